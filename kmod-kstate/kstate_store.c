// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bound store: a directory opened by userspace and handed over by file
 * descriptor.  Every file is opened relative to it, by a plain name checked against
 * the format's name rules, without following symlinks; files are created 0600.
 *
 * Copyright (c) 2026 The kstate authors
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include "kstate_compat.h"
#include "kstate_internal.h"

struct kstate_store kstate_store;

/**
 * kstate_store_open - open a file of the bound store
 * @name: a plain file name (no '/')
 * @flags: open flags; O_NOFOLLOW is always added, and O_NONBLOCK without O_CREAT so
 *	that a fifo planted in the store cannot block the opener (and kstate_mutex)
 * @mode: mode for O_CREAT, masked to 0600
 *
 * Return: the file or an ERR_PTR.
 */
struct file *kstate_store_open(const char *name, int flags, umode_t mode)
{
	struct file *f;

	lockdep_assert_held(&kstate_mutex);
	if (!kstate_store.bound)
		return ERR_PTR(-ENXIO);
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return ERR_PTR(-EINVAL);
	if (!(flags & O_CREAT))
		flags |= O_NONBLOCK;
	f = file_open_root(&kstate_store.dir, name,
			   flags | O_NOFOLLOW | O_LARGEFILE | O_CLOEXEC, mode & 0600);
	if (!IS_ERR(f))
		atomic_inc(&kstate_files_open);
	return f;
}

/**
 * kstate_store_close - close a file from kstate_store_open()
 * @f: the file
 */
void kstate_store_close(struct file *f)
{
	atomic_dec(&kstate_files_open);
	fput(f);
}

/**
 * kstate_store_check_file - refuse anything but a plain file of root's
 * @f: a file of the store
 * @name: its name, for the message
 *
 * A file kstate trusts is a regular file with one link, owned by root: not a fifo or
 * device planted in its place, not a hard link to a file someone else can change.
 *
 * Return: 0, -EPERM or -EMLINK.
 */
int kstate_store_check_file(struct file *f, const char *name)
{
	struct inode *inode = file_inode(f);

	if (!S_ISREG(inode->i_mode)) {
		pr_err("%s: not a regular file, refused\n", name);
		return -EPERM;
	}
	if (inode->i_nlink != 1) {
		pr_err("%s: has %u links (a planted hard link?), refused\n", name,
		       inode->i_nlink);
		return -EMLINK;
	}
	if (!uid_eq(inode->i_uid, GLOBAL_ROOT_UID)) {
		pr_err("%s: not owned by root, refused\n", name);
		return -EPERM;
	}
	return 0;
}

/**
 * kstate_store_read - read a whole file of the bound store into memory
 * @name: file name
 * @max: largest size accepted
 * @buf: out: the contents, free with kstate_buf_free()
 * @len: out: size
 *
 * Return: 0, -EFBIG above @max, or another negative errno.
 */
int kstate_store_read(const char *name, size_t max, void **buf, size_t *len)
{
	struct file *f;
	loff_t size, pos = 0;
	void *data;
	int rc;

	lockdep_assert_held(&kstate_mutex);
	rc = kstate_fault("read_open", -EIO);
	if (rc)
		return rc;
	f = kstate_store_open(name, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	rc = kstate_store_check_file(f, name);
	if (rc)
		goto out;
	size = i_size_read(file_inode(f));
	if (size > max) {
		pr_err("%s: %lld bytes, more than the %zu accepted\n", name, size, max);
		rc = -EFBIG;
		goto out;
	}
	data = kstate_buf_alloc(size, 1, "read_alloc");
	if (!data) {
		rc = -ENOMEM;
		goto out;
	}
	while (pos < size) {
		ssize_t n = kstate_fault("read", -EIO);

		if (!n)
			n = kernel_read(f, data + pos, size - pos, &pos);

		if (n < 0) {
			rc = n;
			break;
		}
		if (n == 0) {
			rc = -ENODATA;	/* shrank under us */
			break;
		}
	}
	if (rc) {
		kstate_buf_free(data);
		goto out;
	}
	*buf = data;
	*len = size;
out:
	kstate_store_close(f);
	return rc;
}

/**
 * kstate_store_unlink - remove a file of the bound store
 * @name: file name
 *
 * Return: 0 or a negative errno.
 */
int kstate_store_unlink(const char *name)
{
	struct dentry *dir = kstate_store.dir.dentry, *d;
	struct inode *dinode = d_inode(dir);
	int rc;

	lockdep_assert_held(&kstate_mutex);
	rc = mnt_want_write(kstate_store.dir.mnt);
	if (rc)
		return rc;
	inode_lock_nested(dinode, I_MUTEX_PARENT);
	d = lookup_one_len(name, dir, strlen(name));
	if (IS_ERR(d)) {
		rc = PTR_ERR(d);
	} else {
		rc = d_really_is_positive(d) ?
			vfs_unlink(kstate_mnt_idmap(kstate_store.dir.mnt), dinode, d,
				   NULL) : -ENOENT;
		dput(d);
	}
	inode_unlock(dinode);
	mnt_drop_write(kstate_store.dir.mnt);
	return rc;
}

static int load_manifest(u64 generation, const u8 *uuid)
{
	struct kstate_manifest_info info;
	struct kstate_format_error err = { 0 };
	char name[KSTATE_FILENAME_MAX];
	struct kstate_entry *entries;
	void *buf;
	size_t len;
	u32 i, n = 0;
	int rc;

	kstate_manifest_filename(name, sizeof(name), generation);
	rc = kstate_store_read(name, kstate_manifest_size(KSTATE_MANIFEST_MAX_ENTRIES), &buf,
			       &len);
	if (rc) {
		pr_err("%s: cannot read: %d\n", name, rc);
		return rc;
	}
	rc = kstate_manifest_decode(buf, len, &info, &err);
	if (rc) {
		pr_err("%s: refused: %s at offset %llu (%d)\n", name, err.what, err.offset, rc);
		goto out;
	}
	if (info.state != KSTATE_MANIFEST_SEALED || info.generation != generation) {
		pr_err("%s: not the sealed generation %llu\n", name, generation);
		rc = -ESTALE;
		goto out;
	}
	if (memcmp(info.store_uuid, uuid, KSTATE_UUID_LEN)) {
		pr_err("%s: belongs to another store\n", name);
		rc = -EXDEV;
		goto out;
	}
	entries = kstate_buf_alloc(info.entry_count, sizeof(*entries), "bind_alloc");
	if (!entries) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < info.entry_count; i++) {
		kstate_manifest_entry_get(buf, i, &entries[n]);
		if (entries[n].flags & KSTATE_ENTRY_F_KERNEL)
			n++;
	}
	kstate_store.entries = entries;
	kstate_store.entry_count = n;
out:
	kstate_buf_free(buf);
	return rc;
}

/**
 * kstate_store_bind - bind the store clients save to and restore from
 * @dirfd: open directory of the store
 * @generation: sealed generation to restore from, 0 for none
 * @uuid: the store's UUID as userspace read it
 *
 * The directory must be owned by root and not writable by group or others: anything
 * in it is state the next kernel trusts.
 *
 * Return: 0 or a negative errno.
 */
int kstate_store_bind(int dirfd, u64 generation, const u8 *uuid)
{
	struct file *f = fget(dirfd);
	struct inode *inode;
	int rc = 0;

	lockdep_assert_held(&kstate_mutex);
	if (!f)
		return -EBADF;
	inode = file_inode(f);
	if (!S_ISDIR(inode->i_mode)) {
		rc = -ENOTDIR;
	} else if (!uid_eq(inode->i_uid, GLOBAL_ROOT_UID) || (inode->i_mode & 0022)) {
		pr_err("store directory must be owned by root and not writable by group or others\n");
		rc = -EPERM;
	}
	if (!rc) {
		kstate_store.dir = f->f_path;
		path_get(&kstate_store.dir);
		kstate_store.bound = true;
		kstate_store.generation = generation;
		memcpy(kstate_store.uuid, uuid, KSTATE_UUID_LEN);
		kstate_store.entries = NULL;
		kstate_store.entry_count = 0;
		if (generation)
			rc = load_manifest(generation, uuid);
		if (rc)
			kstate_store_unbind();
	}
	fput(f);
	return rc;
}

/**
 * kstate_store_unbind - forget the bound store
 */
void kstate_store_unbind(void)
{
	lockdep_assert_held(&kstate_mutex);
	if (!kstate_store.bound)
		return;
	kstate_regions_forget_created();
	kstate_buf_free(kstate_store.entries);
	kstate_store.entries = NULL;
	kstate_store.entry_count = 0;
	path_put(&kstate_store.dir);
	kstate_store.bound = false;
	kstate_store.generation = 0;
}

/**
 * kstate_store_find - a kernel entry of the bound generation
 * @kind: %KSTATE_ENTRY_RECORDS (a client's record file) or %KSTATE_ENTRY_REGION
 * @name: client or region name
 *
 * Return: the manifest entry, or NULL when the generation has none.
 */
const struct kstate_entry *kstate_store_find(u16 kind, const char *name)
{
	u32 i;

	lockdep_assert_held(&kstate_mutex);
	for (i = 0; i < kstate_store.entry_count; i++)
		if (kstate_store.entries[i].kind == kind &&
		    !strcmp(kstate_store.entries[i].name, name))
			return &kstate_store.entries[i];
	return NULL;
}
