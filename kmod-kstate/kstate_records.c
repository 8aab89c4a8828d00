// SPDX-License-Identifier: GPL-2.0-only
/*
 * Record files of kernel clients, written and read with the shared format code.
 *
 * At save a client's records are gathered in memory, then written under the final
 * name "<name>.<generation>.ksr" of a generation userspace has just claimed (its
 * manifest is open, so no reader looks at the file yet) and fsynced.  The file counts
 * only once userspace seals the manifest that lists it with its size and CRC; a crash
 * before that leaves the previous generation, and gc removes the orphan.
 *
 * At restore the whole file is read and validated (size and CRC against the manifest,
 * header, every record) before the client sees a single byte.
 *
 * Copyright (c) 2026 The kstate authors
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include "kstate_compat.h"
#include "kstate_internal.h"

struct kstate_writer {
	u8 *buf;		/* file header space, then records */
	size_t len;
	size_t cap;
	u32 count;
};

struct kstate_reader {
	const u8 *buf;
	size_t len;
	u64 pos;
};

/**
 * kstate_record_add - append one record to the client's file being saved
 * @w: the writer passed to ->save()
 * @type: client-defined type
 * @flags: 0 or %KSTATE_RECORD_F_CRITICAL
 * @data: payload
 * @length: payload bytes
 *
 * Return: 0, -EINVAL for unknown flags, -EFBIG past the module's file limit, -ENOMEM.
 */
int kstate_record_add(struct kstate_writer *w, u16 type, u16 flags, const void *data,
		      u32 length)
{
	u64 need = kstate_record_size(length);
	int rc;

	if (flags & ~KSTATE_RECORD_F_ALL)
		return -EINVAL;
	if (w->len + need > KSTATE_KMOD_FILE_MAX)
		return -EFBIG;
	if (w->len + need > w->cap) {
		size_t cap = max_t(size_t, w->cap * 2, w->len + need);
		u8 *bigger = kstate_kvrealloc(w->buf, w->cap, cap, GFP_KERNEL);

		if (!bigger)
			return -ENOMEM;
		w->buf = bigger;
		w->cap = cap;
	}
	rc = kstate_record_header_encode((struct kstate_record_header *)(w->buf + w->len),
					 type, flags, data, length);
	if (rc)
		return rc;
	memcpy(w->buf + w->len + KSTATE_RECORD_HEADER_SIZE, data, length);
	memset(w->buf + w->len + KSTATE_RECORD_HEADER_SIZE + length, 0,
	       kstate_record_padding(length));
	w->len += need;
	w->count++;
	return 0;
}
EXPORT_SYMBOL_GPL(kstate_record_add);

/**
 * kstate_record_next - the next record of the client's restored file
 * @r: the reader passed to ->restore()
 * @type: out: the record's type
 * @data: out: its payload, valid until ->restore() returns
 * @length: out: payload bytes
 *
 * The file was validated as a whole before ->restore() was called.
 *
 * Return: 1 for a record, 0 at the end, a negative errno if the file is inconsistent.
 */
int kstate_record_next(struct kstate_reader *r, u16 *type, const void **data, u32 *length)
{
	struct kstate_record rec;
	int rc;

	if (r->pos >= r->len)
		return 0;
	rc = kstate_record_decode(r->buf, r->len, &r->pos, &rec, NULL);
	if (rc)
		return rc;
	*type = rec.type;
	*data = rec.payload;
	*length = rec.length;
	return 1;
}
EXPORT_SYMBOL_GPL(kstate_record_next);

static void fill_info(struct kstate_file_info *fi, struct kstate_client *client,
		      u64 generation, struct kstate_writer *w)
{
	memset(fi, 0, sizeof(*fi));
	fi->flags = KSTATE_FILE_F_KERNEL;
	fi->generation = generation;
	fi->creation_time_ns = ktime_get_real_ns();
	fi->payload_length = w->len - KSTATE_FILE_HEADER_SIZE;
	fi->record_count = w->count;
	fi->client_version = client->version;
	memcpy(fi->store_uuid, kstate_store.uuid, KSTATE_UUID_LEN);
	strscpy(fi->kernel_release, init_utsname()->release, sizeof(fi->kernel_release));
	strscpy(fi->name, client->name, sizeof(fi->name));
}

static int write_file(const char *name, const void *buf, size_t len)
{
	struct file *f;
	loff_t pos = 0;
	int rc = 0;

	rc = kstate_fault("save_open", -EIO);
	if (rc)
		return rc;
	f = kstate_store_open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (IS_ERR(f))
		return PTR_ERR(f);
	while (pos < len) {
		ssize_t n = kstate_fault("save_write", -EIO);

		if (!n)
			n = kernel_write(f, buf + pos, len - pos, &pos);

		if (n <= 0) {
			rc = n ? n : -EIO;
			break;
		}
	}
	if (!rc)
		rc = kstate_fault("save_fsync", -EIO);
	if (!rc)
		rc = vfs_fsync(f, 0);
	kstate_store_close(f);
	if (rc)
		kstate_store_unlink(name);
	return rc;
}

/**
 * kstate_records_save - run a client's ->save() and write its record file
 * @client: the client
 * @generation: the generation userspace claimed
 * @entry: out: the manifest entry for the file
 *
 * Return: 0 or a negative errno; the client's status says why.
 */
int kstate_records_save(struct kstate_client *client, u64 generation,
			struct kstate_entry *entry)
{
	struct kstate_writer w = { 0 };
	struct kstate_file_info fi;
	char name[KSTATE_FILENAME_MAX];
	int rc;

	lockdep_assert_held(&kstate_mutex);
	w.cap = 64 * 1024;
	w.buf = kstate_buf_alloc(w.cap, 1, "save_alloc");
	if (!w.buf) {
		kstate_client_fail(client, -ENOMEM, "cannot allocate its record buffer");
		return -ENOMEM;
	}
	w.len = KSTATE_FILE_HEADER_SIZE;
	rc = client->ops->save(client, &w);
	if (rc) {
		kstate_client_fail(client, rc, "save callback failed (%d)", rc);
		goto out;
	}
	fill_info(&fi, client, generation, &w);
	rc = kstate_file_header_encode((struct kstate_file_header *)w.buf, &fi);
	if (rc) {
		kstate_client_fail(client, rc, "cannot encode its file header (%d)", rc);
		goto out;
	}
	kstate_records_filename(name, sizeof(name), client->name, generation);
	rc = write_file(name, w.buf, w.len);
	if (rc) {
		kstate_client_fail(client, rc, "cannot write %s (%d)", name, rc);
		goto out;
	}
	memset(entry, 0, sizeof(*entry));
	strscpy(entry->name, client->name, sizeof(entry->name));
	entry->generation = generation;
	entry->size = w.len;
	entry->crc = kstate_crc32c(w.buf, w.len);
	entry->kind = KSTATE_ENTRY_RECORDS;
	entry->flags = KSTATE_ENTRY_F_KERNEL;
	entry->client_version = client->version;
out:
	kstate_buf_free(w.buf);
	return rc;
}

/**
 * kstate_records_restore - validate a client's record file and run its ->restore()
 * @client: the client
 * @entry: its entry in the bound generation
 *
 * Return: 0 or a negative errno; the client's status says why.
 */
int kstate_records_restore(struct kstate_client *client, const struct kstate_entry *entry)
{
	struct kstate_format_error err = { 0 };
	struct kstate_file_info fi;
	struct kstate_reader r;
	char name[KSTATE_FILENAME_MAX];
	void *buf;
	size_t len;
	int rc;

	lockdep_assert_held(&kstate_mutex);
	kstate_records_filename(name, sizeof(name), entry->name, entry->generation);
	rc = kstate_store_read(name, KSTATE_KMOD_FILE_MAX, &buf, &len);
	if (rc == -ENOENT) {
		kstate_client_fail(client, rc, "%s is missing (kstate-load moves damaged files "
				   "to quarantine/)", name);
		return rc;
	}
	if (rc) {
		kstate_client_fail(client, rc, "%s: cannot read (%d)", name, rc);
		return rc;
	}
	if (len != entry->size) {
		rc = -EUCLEAN;
		kstate_client_fail(client, rc, "%s: %zu bytes, the manifest says %llu", name,
				   len, entry->size);
		goto out;
	}
	if (kstate_crc32c(buf, len) != entry->crc) {
		rc = -EBADMSG;
		kstate_client_fail(client, rc, "%s: file checksum differs from its manifest",
				   name);
		goto out;
	}
	rc = kstate_fault("restore_validate", -EBADMSG);
	if (rc)
		err.what = "injected fault";
	else
		rc = kstate_file_validate(buf, len, &fi, &err);
	if (rc) {
		kstate_client_fail(client, rc, "%s: %s at offset %llu", name, err.what,
				   err.offset);
		goto out;
	}
	if (fi.generation != entry->generation || strcmp(fi.name, client->name) ||
	    fi.client_version != entry->client_version ||
	    memcmp(fi.store_uuid, kstate_store.uuid, KSTATE_UUID_LEN) ||
	    !(fi.flags & KSTATE_FILE_F_KERNEL)) {
		rc = -EUCLEAN;
		kstate_client_fail(client, rc, "%s: header does not match its manifest entry",
				   name);
		goto out;
	}
	if (fi.client_version > client->version) {
		rc = -EOPNOTSUPP;
		kstate_client_fail(client, rc, "%s: written by client format version %u, this "
				   "client knows up to %u", name, fi.client_version,
				   client->version);
		goto out;
	}
	r.buf = buf;
	r.len = len;
	r.pos = KSTATE_FILE_HEADER_SIZE;
	rc = client->ops->restore(client, &r, fi.client_version);
	if (rc && !client->error)
		kstate_client_fail_why(client, rc, "restore callback refused its state");
out:
	kstate_buf_free(buf);
	return rc;
}
