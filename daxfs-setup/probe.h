/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daxfs-setup: what a device holds, before anything is written to it (libblkid).
 */
#ifndef DAXFS_SETUP_PROBE_H
#define DAXFS_SETUP_PROBE_H

#include <stddef.h>

/*
 * Look at @path (a block device or an image file) for anything that must not be
 * destroyed: every signature libblkid knows (filesystems, LUKS, LVM, RAID members,
 * partition tables; all of them, not only the first) and the info block of a former
 * fsdax, devdax or sector namespace, which libblkid does not know.
 * @what gets a description ("crypto_LUKS", "gpt partition table, ext4", ...).
 * Return: 1 it holds something, 0 nothing was found, -errno if it cannot be read
 * (callers treat that as "holds something").
 */
int probe_content(const char *path, char *what, size_t len);

/*
 * The filesystem type on @path ("ext4"), or "" when there is none: libblkid's safe
 * probe, which refuses to name one when several signatures disagree.
 * Return: 0, 1 if several signatures were found (@type is ""), or -errno.
 */
int probe_fstype(const char *path, char *type, size_t len);

/* The filesystem UUID on @path, as text. Return: 0, -ENOENT if none, or -errno. */
int probe_fs_uuid(const char *path, char *uuid, size_t len);

#endif /* DAXFS_SETUP_PROBE_H */
