// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mounts.c - see mounts.h.
 */
#include <errno.h>
#include <libmount/libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mounts.h"

int mount_find(const char *dev, struct mount_info *m)
{
	char path[PATH_MAX];
	struct libmnt_table *tb;
	struct libmnt_fs *fs;
	struct stat st;
	const char *opts;
	char *val = NULL;
	size_t vlen = 0;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "%s%s", dev[0] == '/' ? "" : "/dev/", dev);
	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		return 0;
	tb = mnt_new_table_from_file("/proc/self/mountinfo");
	if (!tb)
		return -EIO;
	fs = mnt_table_find_devno(tb, st.st_rdev, MNT_ITER_FORWARD);
	if (fs) {
		m->found = true;
		snprintf(m->dir, sizeof(m->dir), "%s", mnt_fs_get_target(fs));
		snprintf(m->fstype, sizeof(m->fstype), "%s", mnt_fs_get_fstype(fs));
		opts = mnt_fs_get_fs_options(fs);
		if (opts && mnt_optstr_get_option(opts, "dax", &val, &vlen) == 0)
			m->dax_always = !val || (vlen == 6 && strncmp(val, "always", 6) == 0);
	}
	mnt_unref_table(tb);
	return 0;
}
