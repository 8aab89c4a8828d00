/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daxfs-setup: editing the kernel command line in /etc/default/grub. */
#ifndef DAXFS_SETUP_GRUB_H
#define DAXFS_SETUP_GRUB_H

#include <stdbool.h>
#include <stddef.h>

#define GRUB_FORCE	(1U << 0)	/* replace a different memmap=...!... */
#define GRUB_DRY_RUN	(1U << 1)	/* compute the change, write nothing */

struct grub_change {
	bool changed;		/* the file changed (or would, with GRUB_DRY_RUN) */
	char *old_memmap;	/* the persistent-memory memmap= words found, "" if none */
	char *new_line;		/* the GRUB_CMDLINE_LINUX line written, when changed */
	char *backup;		/* the backup made, when written */
};

/*
 * Make @param (memmap=SIZE!START[,...]) the only persistent-memory memmap= word of
 * GRUB_CMDLINE_LINUX in @file, keeping a backup in FILE.daxfs-setup.bak.
 * Returns 0 (see @out->changed), -EEXIST when another reservation is there and
 * GRUB_FORCE is not given, or another -errno; @err says why.
 */
int grub_set_memmap(const char *file, const char *param, unsigned int flags,
		    struct grub_change *out, char *err, size_t errlen);
void grub_change_release(struct grub_change *change);

#endif /* DAXFS_SETUP_GRUB_H */
