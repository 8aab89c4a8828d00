// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The record writer: builds one record file under a temporary name, then makes it
 * durable and gives it its final name inside a transaction.
 *
 * Records are appended with pwritev() and the header is written last, once the length
 * and count are known.  On a DAX filesystem write() is the kernel's direct copy into
 * persistent memory (no page cache) and fsync() commits only the metadata; writing an
 * append-only file through a MAP_SYNC mapping instead would make every page fault on a
 * newly allocated block wait for a journal commit.  Regions, which are updated in
 * place, are where mappings and libpmem2 flushing belong (region.c).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "private.h"

struct kstate_writer {
	struct kstate_store *s;
	struct kstate_txn *txn;
	bool own_txn;
	char name[KSTATE_NAME_LEN];
	uint32_t client_version;
	int fd;
	char tmp[KSTATE_FILENAME_MAX + 48];
	char final[KSTATE_FILENAME_MAX];
	uint64_t end;			/* where the next record goes */
	uint32_t count;
	uint32_t payload_crc;		/* running CRC32C state over the records */
	int failed;			/* first error; the writer is then unusable */
	bool committed;
};

/**
 * kstate_writer_new - start a record file
 * @store: the store, opened writable
 * @txn: the transaction the file belongs to, or NULL to give the writer its own,
 *	committed by kstate_writer_commit()
 * @name: object name: 1 to 31 characters of [A-Za-z0-9_-], first a letter or digit
 * @client_version: the caller's own version of its record layout, stored in the file
 * @out: the writer
 *
 * Return: 0, -EINVAL for an invalid name, or another negative errno.
 */
KSTATE_EXPORT int kstate_writer_new(struct kstate_store *store, struct kstate_txn *txn,
				    const char *name, uint32_t client_version,
				    struct kstate_writer **out)
{
	struct kstate_writer *w;
	int rc;

	if (!name || !kstate_name_valid(name))
		return kstate_fail(store->ctx, -EINVAL, "invalid record file name '%s': use 1 "
				   "to 31 of [A-Za-z0-9_-], starting with a letter or digit",
				   name ? name : "");
	if (txn && txn_store(txn) != store)
		return kstate_fail(store->ctx, -EINVAL, "%s: transaction of another store",
				   store->path);
	w = kio_calloc(1, sizeof(*w));
	if (!w)
		return kstate_fail(store->ctx, -ENOMEM, "%s: out of memory", store->path);
	w->s = store;
	w->fd = -1;
	w->client_version = client_version;
	w->end = KSTATE_FILE_HEADER_SIZE;
	w->payload_crc = kstate_crc32c_begin();
	snprintf(w->name, sizeof(w->name), "%s", name);
	if (!txn) {
		rc = kstate_txn_new(store, &txn);
		if (rc)
			goto fail;
		w->own_txn = true;
	}
	w->txn = txn;
	kstate_records_filename(w->final, sizeof(w->final), name, kstate_txn_generation(txn));
	rc = kio_tmpname(w->tmp, sizeof(w->tmp), w->final);
	if (!rc)
		rc = kio_openat(store->dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (rc < 0) {
		kstate_fail(store->ctx, rc, "%s/%s: cannot create: %s", store->path, w->tmp,
			    strerror(-rc));
		goto fail;
	}
	w->fd = rc;
	*out = w;
	return 0;
fail:
	kstate_writer_delete(&w);
	return rc;
}

/**
 * kstate_writer_add - append one record
 * @writer: the writer
 * @type: the caller's record type
 * @flags: 0 or %KSTATE_RECORD_CRITICAL
 * @data: payload
 * @length: payload bytes, at most 1 GiB (larger data belongs in a region)
 *
 * The payload is checksummed and written at once; @data may be reused on return.
 *
 * Return: 0, -EINVAL for bad flags or length, or the write error.  After a write
 * error the writer only fails; delete it.
 */
KSTATE_EXPORT int kstate_writer_add(struct kstate_writer *writer, uint16_t type,
				    uint16_t flags, const void *data, size_t length)
{
	static const u8 zeros[KSTATE_RECORD_ALIGN];
	struct kstate_record_header h;
	struct iovec iov[3];
	u32 pad;
	int rc;

	if (writer->failed || writer->committed)
		return kstate_fail(writer->s->ctx, writer->failed ? writer->failed : -EINVAL,
				   "%s/%s: writer %s", writer->s->path, writer->final,
				   writer->failed ? "failed earlier" : "already committed");
	if (length > KSTATE_RECORD_MAX_LENGTH || (flags & ~KSTATE_RECORD_F_ALL) ||
	    (length && !data))
		return kstate_fail(writer->s->ctx, -EINVAL, "%s/%s: record type %u: invalid "
				   "flags 0x%x or length %zu", writer->s->path, writer->final,
				   type, flags, length);
	if (writer->count == UINT32_MAX)
		return kstate_fail(writer->s->ctx, -EOVERFLOW, "%s/%s: too many records",
				   writer->s->path, writer->final);
	kstate_record_header_encode(&h, type, flags, data, (u32)length);
	pad = kstate_record_padding((u32)length);
	iov[0] = (struct iovec){ .iov_base = &h, .iov_len = sizeof(h) };
	iov[1] = (struct iovec){ .iov_base = (void *)data, .iov_len = length };
	iov[2] = (struct iovec){ .iov_base = (void *)zeros, .iov_len = pad };
	rc = kio_pwritev(writer->fd, iov, 3, writer->end);
	if (rc) {
		writer->failed = rc;
		return kstate_fail(writer->s->ctx, rc, "%s/%s: write: %s", writer->s->path,
				   writer->tmp, strerror(-rc));
	}
	writer->payload_crc = kstate_crc32c_add(writer->payload_crc, &h, sizeof(h));
	writer->payload_crc = kstate_crc32c_add(writer->payload_crc, data, length);
	writer->payload_crc = kstate_crc32c_add(writer->payload_crc, zeros, pad);
	writer->end += kstate_record_size((u32)length);
	writer->count++;
	return 0;
}

/**
 * kstate_writer_commit - make the record file durable and part of its transaction
 * @writer: the writer
 *
 * Writes the header, fsyncs the file, renames it to "<name>.<generation>.ksr" (never
 * replacing a file) and fsyncs the directory, then lists it in the transaction.  A
 * writer with its own transaction also seals that transaction: when this returns 0 the
 * record file is the store's newest generation.
 *
 * Return: 0, -EEXIST when the transaction already has a record file of this name, or
 * another negative errno; the store then still holds its previous generation.
 */
KSTATE_EXPORT int kstate_writer_commit(struct kstate_writer *writer)
{
	struct kstate_store *s = writer->s;
	struct kstate_file_info fi = { 0 };
	struct kstate_file_header h;
	struct kstate_entry e = { 0 };
	const char *step;
	u64 payload_len = writer->end - KSTATE_FILE_HEADER_SIZE;
	int rc;

	if (writer->failed || writer->committed)
		return kstate_fail(s->ctx, writer->failed ? writer->failed : -EINVAL,
				   "%s/%s: writer %s", s->path, writer->final,
				   writer->failed ? "failed earlier" : "already committed");
	fi.flags = 0;
	fi.generation = kstate_txn_generation(writer->txn);
	fi.creation_time_ns = kstate_now_ns();
	fi.payload_length = payload_len;
	fi.record_count = writer->count;
	fi.client_version = writer->client_version;
	memcpy(fi.store_uuid, s->info.store_uuid, KSTATE_UUID_LEN);
	kstate_boot_id(fi.boot_id);
	kstate_kernel_release(fi.kernel_release);
	snprintf(fi.name, sizeof(fi.name), "%s", writer->name);
	kstate_file_header_encode(&h, &fi);

	step = "write header";
	rc = kio_pwrite(writer->fd, &h, sizeof(h), 0);
	if (!rc) {
		step = "fsync";
		rc = kio_fsync(writer->fd);
	}
	/*
	 * Tracked before the rename: once the final name exists, an abandoned transaction
	 * must remove it, or the next transaction, which reuses the generation number,
	 * would find the name taken (-EEXIST) until a gc.
	 */
	if (!rc) {
		step = "track";
		rc = txn_track_file(writer->txn, writer->final);
	}
	if (!rc) {
		kio_close(writer->fd);
		writer->fd = -1;
		step = "rename";
		rc = kio_renameat(s->dirfd, writer->tmp, writer->final, false);
	}
	if (rc) {
		writer->failed = rc;
		if (rc == -EEXIST)
			return kstate_fail(s->ctx, rc, "%s/%s: generation %llu already has a "
					   "record file named '%s'", s->path, writer->final,
					   (unsigned long long)fi.generation, writer->name);
		return kstate_fail(s->ctx, rc, "%s/%s: %s: %s", s->path, writer->tmp, step,
				   strerror(-rc));
	}
	writer->tmp[0] = '\0';		/* nothing temporary left to clean up */
	rc = kio_fsync(s->dirfd);
	if (rc) {
		writer->failed = rc;
		return kstate_fail(s->ctx, rc, "%s/%s: directory fsync: %s", s->path,
				   writer->final, strerror(-rc));
	}

	snprintf(e.name, sizeof(e.name), "%s", writer->name);
	e.generation = fi.generation;
	e.size = writer->end;
	e.crc = kstate_crc32c_combine(kstate_crc32c(&h, sizeof(h)),
				      kstate_crc32c_end(writer->payload_crc), payload_len);
	e.kind = KSTATE_ENTRY_RECORDS;
	e.client_version = writer->client_version;
	rc = txn_put_entry(writer->txn, &e);
	if (rc) {
		writer->failed = rc;
		return kstate_fail(s->ctx, rc, "%s/%s: cannot list in generation %llu: %s",
				   s->path, writer->final, (unsigned long long)fi.generation,
				   strerror(-rc));
	}
	writer->committed = true;
	if (writer->own_txn)
		return kstate_txn_commit(writer->txn);
	return 0;
}

/**
 * kstate_writer_delete - release a writer, discarding an uncommitted file
 * @writer: pointer to the writer; set to NULL. NULL or a pointer to NULL is fine.
 *
 * A writer with its own transaction abandons it if it was not sealed.
 */
KSTATE_EXPORT void kstate_writer_delete(struct kstate_writer **writer)
{
	struct kstate_writer *w;

	if (!writer || !*writer)
		return;
	w = *writer;
	kio_close(w->fd);
	if (w->tmp[0] && !w->committed)
		unlinkat(w->s->dirfd, w->tmp, 0);
	if (w->own_txn)
		kstate_txn_delete(&w->txn);
	free(w);
	*writer = NULL;
}
