/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daxfs-setup: where a block device is mounted (libmount, /proc/self/mountinfo).
 */
#ifndef DAXFS_SETUP_MOUNTS_H
#define DAXFS_SETUP_MOUNTS_H

#include <limits.h>
#include <stdbool.h>

struct mount_info {
	bool found;
	char dir[PATH_MAX];
	char fstype[32];
	bool dax_always;	/* mounted with dax=always (or the old "dax") */
};

/*
 * The first mount of the block device @dev ("pmem0" or "/dev/pmem0") in this mount
 * namespace.  Return: 0 (see @m->found), or -errno when the mount table cannot be
 * read (callers treat that as mounted).
 */
int mount_find(const char *dev, struct mount_info *m);

#endif /* DAXFS_SETUP_MOUNTS_H */
