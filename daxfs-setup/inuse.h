/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daxfs-setup: whether a device is in use by a process, and whether lend may take it.
 */
#ifndef DAXFS_SETUP_INUSE_H
#define DAXFS_SETUP_INUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * A process that has @path open (any of its file descriptors) or mapped (any of its
 * mappings), found through @proc (normally "/proc").  The same device under another
 * node name counts.  @comm gets its command name.
 * Return: 1 and @pid when one does, 0 when none does, -errno when @path cannot be
 * looked at.
 */
int device_user(const char *proc, const char *path, pid_t *pid, char *comm, size_t len);

/*
 * Whether "daxfs-setup lend" may give @path to the kernel as RAM.  @named: the operator
 * named it; @ours: daxfs-setup created it (for lending) or converts it now.  A device
 * neither named nor ours may be someone's (a VMM's devdax guest memory), and a device
 * any process has open or mapped is in use: both are refused.
 * Return: 0, -EPERM (not ours, not named) or -EBUSY (in use), with @why.
 */
int lend_allowed(const char *proc, const char *path, bool named, bool ours, char *why,
		 size_t len);

#endif /* DAXFS_SETUP_INUSE_H */
