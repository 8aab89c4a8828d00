/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daxfs-setup: the kernel command line the boot loader will give the next boot.
 *
 * GRUB's configuration is shell that grub-mkconfig sources: /etc/default/grub, then
 * /etc/default/grub.d/NAME.cfg in order (cloud images set the command line there).
 * daxfs-setup never edits those files: its reservation goes into its own drop-in,
 * /etc/default/grub.d/kstate.cfg, which appends to GRUB_CMDLINE_LINUX.  To know what
 * the next boot gets, the files are sourced exactly as grub-mkconfig does (so quoting,
 * continuation lines, variables and GRUB_CMDLINE_LINUX_DEFAULT all count).
 *
 * Systems that build the command line from /etc/kernel/cmdline (kernel-install, Boot
 * Loader Specification entries) are recognised and not edited.
 */
#ifndef DAXFS_SETUP_GRUB_H
#define DAXFS_SETUP_GRUB_H

#include <stdbool.h>
#include <stddef.h>

#define GRUB_DROPIN	"etc/default/grub.d/kstate.cfg"	/* under the root */

#define GRUB_FORCE	(1U << 0)	/* replace a different reservation of our own */
#define GRUB_DRY_RUN	(1U << 1)	/* compute the change, write nothing */

/* What the boot configuration under a root says about persistent memory. */
struct boot_config {
	bool grub;		/* etc/default/grub exists */
	char *effective;	/* pmem memmap= words the next boot gets, "" if none */
	char *others;		/* ... from files that are not ours */
	char *others_files;	/* the files that mention memmap=, space-separated */
	char *ours;		/* pmem memmap= words in kstate.cfg, "" if none */
	bool kernel_cmdline;	/* etc/kernel/cmdline exists (kernel-install) */
	char *kernel_cmdline_memmap;	/* its pmem memmap= words */
};

/*
 * Read the boot configuration under @root ("/" for this machine).
 * Return: 0, or -errno with @err saying why (a file that cannot be sourced, ...).
 */
int boot_config_read(const char *root, struct boot_config *bc, char *err, size_t errlen);
void boot_config_release(struct boot_config *bc);

struct grub_change {
	bool changed;		/* kstate.cfg changed (or would, with GRUB_DRY_RUN) */
	char *file;		/* the drop-in's path */
	char *backup;		/* its previous contents, when it had other ones */
	char *effective;	/* pmem memmap= words the next boot gets afterwards */
};

/*
 * Make @param (memmap=SIZE!START[,...]) the reservation of kstate.cfg under @root.
 * Return: 0 (see @out->changed); -EEXIST when kstate.cfg reserves something else and
 * GRUB_FORCE is not given, or another file reserves persistent memory (daxfs-setup
 * does not edit it); -ENOENT without etc/default/grub; -EINVAL for a bad @param;
 * -EMEDIUMTYPE when a later grub.d file overrides GRUB_CMDLINE_LINUX (checked after
 * writing, the file is restored); or another -errno.  @err says why.
 */
int grub_set_memmap(const char *root, const char *param, unsigned int flags,
		    struct grub_change *out, char *err, size_t errlen);
void grub_change_release(struct grub_change *change);

#endif /* DAXFS_SETUP_GRUB_H */
