// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The record writer: builds one record file under a temporary name, then gives it its
 * final name inside a transaction.
 *
 * Each byte of a payload is read from the caller once: a chunk small enough to stay
 * in the CPU cache is checksummed (ISA-L CRC32C) and then copied out while it is still
 * there.  The record CRC runs over the header's first 12 bytes, the payload and the
 * padding in one stream; the whole-file CRC the manifest needs is derived from it by
 * kstate_crc32c_combine(), never by reading the data again.
 *
 * Where the bytes go:
 *
 * - The file usually starts as a spare (spare.c): the blocks of a record file that gc
 *   freed, already allocated and written, so nothing is allocated or zeroed now.
 * - On a DAX store a spare of at least WRITER_MAP_MIN bytes is mapped with libpmem2
 *   (writer_map.c): records are copied with non-temporal stores, one drain at commit
 *   makes them durable, and no fsync of the file follows (see txn.c for the commit).
 * - Otherwise, and for what goes past the end of a mapped spare, pwritev(): on DAX
 *   the kernel copies into persistent memory (allocating and zeroing blocks a spare
 *   did not have), elsewhere into the page cache, which commit fsyncs.
 *
 * The file header goes in last, at commit, once the length and count are known.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "private.h"

/*
 * Bytes checksummed and then copied while they are still in the cache: a mapping
 * copy is a function call, so a chunk well inside L1 and L2; a pwritev() is a system
 * call, so a chunk that keeps the call count low and still fits in L2.
 */
#define WRITER_MAP_CHUNK	(16U << 10)
#define WRITER_PWRITE_CHUNK	(256U << 10)

/* Below this a spare is written with pwritev(): mapping it costs more than it saves. */
#define WRITER_MAP_MIN		(1ULL << 20)

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
	uint64_t size;			/* the file's size now: a spare's, or what pwrite grew */
	uint32_t count;
	uint32_t records_crc;		/* kstate_crc32c() of the records so far */
	struct writer_map *map;		/* the mapped part of a spare on DAX, or NULL */
	int failed;			/* first error; the writer is then unusable */
	bool committed;
};

/* Take a spare for the file, or create it; map a large spare on a DAX store. */
static int writer_open_file(struct kstate_writer *w)
{
	struct kstate_store *s = w->s;
	int fd = -1, rc;

	rc = spare_take(s, w->tmp, &fd, &w->size);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s/%s: cannot reuse a spare file: %s", s->path,
				   w->tmp, strerror(-rc));
	if (fd < 0) {
		fd = kio_openat(s->dirfd, w->tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			return kstate_fail(s->ctx, fd, "%s/%s: cannot create: %s", s->path,
					   w->tmp, strerror(-fd));
		w->size = 0;
	}
	w->fd = fd;
	if (!s->dax || w->size < WRITER_MAP_MIN)
		return 0;
	rc = writer_map_new(s, fd, w->size, w->tmp, &w->map);
	if (rc == -ELIBACC) {
		/* No libpmem2 on this machine: the kernel's DAX write path still works. */
		log_dbg(s->ctx, "%s/%s: %s; writing with pwritev", s->path, w->tmp,
			kstate_errormsg());
		return 0;
	}
	if (!rc)
		log_dbg(s->ctx, "%s/%s: writing through a mapping of a %llu-byte spare", s->path,
			w->tmp, (unsigned long long)w->size);
	return rc;
}

/* Put @len bytes at file offset @off: through the mapping as far as it goes. */
static int writer_put(struct kstate_writer *w, uint64_t off, const void *buf, size_t len)
{
	size_t mapped = 0;
	int rc;

	if (w->map && off < writer_map_len(w->map)) {
		mapped = writer_map_len(w->map) - off < len ? writer_map_len(w->map) - off : len;
		writer_map_copy(w->map, off, buf, mapped);
	}
	if (mapped == len)
		return 0;
	rc = kio_pwrite(w->fd, (const char *)buf + mapped, len - mapped, off + mapped);
	if (!rc && off + len > w->size)
		w->size = off + len;
	return rc;
}

/* Ask for [p, p + len) in the cache while the copy before it streams out. */
static void prefetch_range(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 64)
		__builtin_prefetch(p + i, 0, 3);
}

/*
 * Checksum @len bytes into @crc and put them at @off, a cache-sized chunk at a time:
 * the CRC reads a chunk into the cache, the copy takes it from there.  Each copy
 * starts after a prefetch of the next chunk, so reading that one from memory overlaps
 * with writing this one instead of following it (with it, a CRC-and-copy keeps up with
 * memcpy(); without, it ran about 15 % behind).
 */
static int writer_put_crc(struct kstate_writer *w, uint64_t off, const void *buf, size_t len,
			  u32 *crc)
{
	size_t chunk = w->map ? WRITER_MAP_CHUNK : WRITER_PWRITE_CHUNK;
	const char *p = buf;
	int rc;

	while (len) {
		size_t n = len < chunk ? len : chunk;

		*crc = kstate_crc32c_add(*crc, p, n);
		prefetch_range(p + n, len - n < chunk ? len - n : chunk);
		rc = writer_put(w, off, p, n);
		if (rc)
			return rc;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

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
	w->records_crc = 0;		/* kstate_crc32c() of nothing */
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
	if (rc) {
		kstate_fail(store->ctx, rc, "%s/%s: file name too long", store->path, w->final);
		goto fail;
	}
	rc = writer_open_file(w);
	if (rc)
		goto fail;
	*out = w;
	return 0;
fail:
	kstate_writer_delete(&w);
	return rc;
}

static int writer_usable(struct kstate_writer *w)
{
	if (!w->failed && !w->committed)
		return 0;
	return kstate_fail(w->s->ctx, w->failed ? w->failed : -EINVAL, "%s/%s: writer %s",
			   w->s->path, w->final, w->failed ? "failed earlier" : "already committed");
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
	struct kstate_writer *w = writer;
	struct kstate_record_header h;
	u32 crc, hdr12_crc, pad;
	u64 body;
	int rc;

	rc = writer_usable(w);
	if (rc)
		return rc;
	if (length > KSTATE_RECORD_MAX_LENGTH || (flags & ~KSTATE_RECORD_F_ALL) ||
	    (length && !data))
		return kstate_fail(w->s->ctx, -EINVAL, "%s/%s: record type %u: invalid "
				   "flags 0x%x or length %zu", w->s->path, w->final,
				   type, flags, length);
	if (w->count == UINT32_MAX)
		return kstate_fail(w->s->ctx, -EOVERFLOW, "%s/%s: too many records",
				   w->s->path, w->final);
	kstate_record_header_prepare(&h, type, flags, (u32)length, &crc);
	hdr12_crc = kstate_crc32c_end(crc);
	pad = kstate_record_padding((u32)length);
	body = length + pad;
	if (!w->map && length <= WRITER_PWRITE_CHUNK) {
		/* Small: checksum, then header, payload and padding in one system call. */
		struct iovec iov[3] = {
			{ .iov_base = &h, .iov_len = sizeof(h) },
			{ .iov_base = (void *)data, .iov_len = length },
			{ .iov_base = (void *)zeros, .iov_len = pad },
		};

		crc = kstate_crc32c_add(crc, data, length);
		crc = kstate_crc32c_add(crc, zeros, pad);
		kstate_record_header_seal(&h, crc);
		rc = kio_pwritev(w->fd, iov, 3, w->end);
		if (!rc && w->end + sizeof(h) + body > w->size)
			w->size = w->end + sizeof(h) + body;
	} else {
		/* The payload first, checksummed as it goes; its header behind it. */
		rc = writer_put_crc(w, w->end + sizeof(h), data, length, &crc);
		if (!rc)
			rc = writer_put_crc(w, w->end + sizeof(h) + length, zeros, pad, &crc);
		kstate_record_header_seal(&h, crc);
		if (!rc)
			rc = writer_put(w, w->end, &h, sizeof(h));
	}
	if (rc) {
		w->failed = rc;
		return kstate_fail(w->s->ctx, rc, "%s/%s: write: %s", w->s->path, w->tmp,
				   strerror(-rc));
	}
	/*
	 * The file CRC needs crc(header || body) and the stream gave crc(header[0..11] ||
	 * body): they differ by the first 12 bytes' contribution shifted over the body,
	 * which combining is linear in.
	 */
	crc = kstate_crc32c_combine(kstate_crc32c(&h, sizeof(h)) ^ hdr12_crc,
				    kstate_crc32c_end(crc), body);
	w->records_crc = kstate_crc32c_combine(w->records_crc, crc, sizeof(h) + body);
	w->end += sizeof(h) + body;
	w->count++;
	return 0;
}

/*
 * Header in, everything durable where the store needs it before the transaction
 * seals, and the file cut to its length: on DAX one drain (the copies were
 * non-temporal; what pwrite wrote is in persistent memory already), elsewhere fsync.
 */
static int writer_finish_file(struct kstate_writer *w, const struct kstate_file_header *h,
			      const char **step)
{
	int rc;

	*step = "write header";
	rc = writer_put(w, 0, h, sizeof(*h));
	if (rc)
		return rc;
	if (w->map) {
		writer_map_drain(w->map);
		writer_map_delete(&w->map);
	}
	if (w->size != w->end) {
		*step = "truncate";
		rc = kio_ftruncate(w->fd, w->end);
		if (rc)
			return rc;
		w->size = w->end;
	}
	if (w->s->dax)
		return 0;
	*step = "fsync";
	return kio_fsync(w->fd);
}

/**
 * kstate_writer_commit - make the record file part of its transaction
 * @writer: the writer
 *
 * Writes the header, makes the file durable (a drain of the CPU's stores on DAX, an
 * fsync elsewhere), renames it to "<name>.<generation>.ksr" (never replacing a file)
 * and lists it in the transaction, whose commit makes the name durable.  A writer with
 * its own transaction also seals that transaction: when this returns 0 the record file
 * is the store's newest generation.
 *
 * Return: 0, -EEXIST when the transaction already has a record file of this name, or
 * another negative errno; the store then still holds its previous generation.
 */
KSTATE_EXPORT int kstate_writer_commit(struct kstate_writer *writer)
{
	struct kstate_writer *w = writer;
	struct kstate_store *s = w->s;
	struct kstate_file_info fi = { 0 };
	struct kstate_file_header h;
	struct kstate_entry e = { 0 };
	const char *step;
	u64 payload_len = w->end - KSTATE_FILE_HEADER_SIZE;
	int rc;

	rc = writer_usable(w);
	if (rc)
		return rc;
	fi.flags = 0;
	fi.generation = kstate_txn_generation(w->txn);
	fi.creation_time_ns = kstate_now_ns();
	fi.payload_length = payload_len;
	fi.record_count = w->count;
	fi.client_version = w->client_version;
	memcpy(fi.store_uuid, s->info.store_uuid, KSTATE_UUID_LEN);
	kstate_boot_id(fi.boot_id);
	kstate_kernel_release(fi.kernel_release);
	snprintf(fi.name, sizeof(fi.name), "%s", w->name);
	kstate_file_header_encode(&h, &fi);

	rc = writer_finish_file(w, &h, &step);
	/*
	 * Tracked before the rename: once the final name exists, an abandoned transaction
	 * must remove it, or the next transaction, which reuses the generation number,
	 * would find the name taken (-EEXIST) until a gc.
	 */
	if (!rc) {
		step = "track";
		rc = txn_track_file(w->txn, w->final);
	}
	if (!rc) {
		kio_close(w->fd);
		w->fd = -1;
		step = "rename";
		rc = kio_renameat(s->dirfd, w->tmp, w->final, false);
	}
	if (rc) {
		w->failed = rc;
		if (rc == -EEXIST)
			return kstate_fail(s->ctx, rc, "%s/%s: generation %llu already has a "
					   "record file named '%s'", s->path, w->final,
					   (unsigned long long)fi.generation, w->name);
		return kstate_fail(s->ctx, rc, "%s/%s: %s: %s", s->path, w->tmp, step,
				   strerror(-rc));
	}
	w->tmp[0] = '\0';		/* nothing temporary left to clean up */

	snprintf(e.name, sizeof(e.name), "%s", w->name);
	e.generation = fi.generation;
	e.size = w->end;
	e.crc = kstate_crc32c_combine(kstate_crc32c(&h, sizeof(h)), w->records_crc,
				      payload_len);
	e.kind = KSTATE_ENTRY_RECORDS;
	e.client_version = w->client_version;
	rc = txn_put_entry(w->txn, &e);
	if (rc) {
		w->failed = rc;
		return kstate_fail(s->ctx, rc, "%s/%s: cannot list in generation %llu: %s",
				   s->path, w->final, (unsigned long long)fi.generation,
				   strerror(-rc));
	}
	w->committed = true;
	if (w->own_txn)
		return kstate_txn_commit(w->txn);
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
	writer_map_delete(&w->map);
	kio_close(w->fd);
	if (w->tmp[0] && !w->committed)
		unlinkat(w->s->dirfd, w->tmp, 0);
	if (w->own_txn)
		kstate_txn_delete(&w->txn);
	free(w);
	*writer = NULL;
}
