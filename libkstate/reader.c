// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The record reader: the whole file is read and validated before the first record is
 * handed out, so a caller never acts on part of a damaged file.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "private.h"

struct kstate_reader {
	struct kstate_ctx *ctx;
	void *buf;
	size_t len;
	uint64_t pos;
	uint32_t crc;
	struct kstate_file_info info;
};

static int reader_alloc(struct kstate_ctx *ctx, struct kstate_reader **out)
{
	*out = kio_calloc(1, sizeof(**out));
	if (!*out)
		return kstate_fail(ctx, -ENOMEM, "reader: out of memory");
	(*out)->ctx = ctx;
	(*out)->pos = KSTATE_FILE_HEADER_SIZE;
	return 0;
}

/**
 * kstate_reader_new - open an object's record file from a sealed generation
 * @store: the store
 * @generation: the generation, or 0 for the newest (refused when damaged or stale, as
 *	kstate_generation_new() explains)
 * @name: object name
 * @out: the reader
 *
 * The file is read completely and checked against its manifest entry (see
 * kstate_store_verify()) before this returns.
 *
 * Return: 0, -ENOENT when the generation has no record file of that name, -EAGAIN for
 * a generation that was never sealed, or the validation error (-EBADMSG, -EPROTO,
 * -EOPNOTSUPP, -EOVERFLOW, -EMSGSIZE, -EUCLEAN, ...) with kstate_errormsg() saying
 * which file and why.
 */
KSTATE_EXPORT int kstate_reader_new(struct kstate_store *store, uint64_t generation,
				    const char *name, struct kstate_reader **out)
{
	struct kstate_generation *g = NULL;
	struct kstate_reader *r = NULL;
	int idx, rc;

	if (!name)
		return kstate_fail(store->ctx, -EINVAL, "kstate_reader_new: no name");
	rc = generation_open(store, generation, true, &g);
	if (rc)
		return rc;
	idx = kstate_generation_find(g, KSTATE_ENTRY_RECORDS, name);
	if (idx < 0) {
		rc = kstate_fail(store->ctx, -ENOENT, "%s: generation %llu has no record file "
				 "for '%s'", store->path,
				 (unsigned long long)g->info.generation, name);
		goto out;
	}
	rc = reader_alloc(store->ctx, &r);
	if (rc)
		goto out;
	rc = member_load_records(store, &g->info, &g->entries[idx], &r->buf, &r->len,
				 &r->info);
	if (rc)
		goto out;
	r->crc = g->entries[idx].crc;
	*out = r;
	r = NULL;
out:
	kstate_reader_delete(&r);
	kstate_generation_delete(&g);
	return rc;
}

/*
 * Make a reader of a whole record file already in memory, checked on its own (header,
 * every record, exact length).  @buf is taken over: kept by the reader, or freed on
 * failure.  @what names the file in messages.
 */
int reader_new_from_buffer(struct kstate_ctx *ctx, const char *what, void *buf, size_t len,
			   struct kstate_reader **out)
{
	struct kstate_format_error fe = { 0 };
	struct kstate_reader *r = NULL;
	int rc;

	rc = reader_alloc(ctx, &r);
	if (rc) {
		free(buf);
		return rc;
	}
	r->buf = buf;
	r->len = len;
	rc = kstate_file_validate(r->buf, r->len, &r->info, &fe);
	if (rc) {
		if (fe.index || rc == -EBADMSG)
			kstate_fail(ctx, rc, "%s: record %u: %s (offset %llu)", what, fe.index,
				    fe.what, (unsigned long long)fe.offset);
		else
			kstate_fail(ctx, rc, "%s: %s (offset %llu)", what, fe.what,
				    (unsigned long long)fe.offset);
		kstate_reader_delete(&r);
		return rc;
	}
	r->crc = kstate_crc32c(r->buf, r->len);
	*out = r;
	return 0;
}

/**
 * kstate_reader_delete - release a reader
 * @reader: pointer to the reader; set to NULL. NULL or a pointer to NULL is fine.
 */
KSTATE_EXPORT void kstate_reader_delete(struct kstate_reader **reader)
{
	if (!reader || !*reader)
		return;
	free((*reader)->buf);
	free(*reader);
	*reader = NULL;
}

/**
 * kstate_reader_next - the next record
 * @reader: the reader
 * @type: the record's type
 * @flags: its flags (%KSTATE_RECORD_CRITICAL)
 * @data: its payload, valid until the reader is deleted
 * @length: payload length
 *
 * Return: 1 with a record, 0 after the last one.
 */
KSTATE_EXPORT int kstate_reader_next(struct kstate_reader *reader, uint16_t *type,
				     uint16_t *flags, const void **data, size_t *length)
{
	struct kstate_record rec;
	int rc;

	if (reader->pos >= reader->len)
		return 0;
	rc = kstate_record_decode(reader->buf, reader->len, &reader->pos, &rec, NULL);
	if (rc)	/* cannot happen: the whole file was validated when it was opened */
		return kstate_fail(reader->ctx, rc, "record at offset %llu became invalid",
				   (unsigned long long)reader->pos);
	if (type)
		*type = rec.type;
	if (flags)
		*flags = rec.flags;
	if (data)
		*data = rec.payload;
	if (length)
		*length = rec.length;
	return 1;
}

/**
 * kstate_reader_rewind - start again at the first record
 * @reader: the reader
 */
KSTATE_EXPORT void kstate_reader_rewind(struct kstate_reader *reader)
{
	reader->pos = KSTATE_FILE_HEADER_SIZE;
}

/**
 * kstate_reader_name - the object name in the file header
 * @reader: the reader
 *
 * Return: the name.
 */
KSTATE_EXPORT const char *kstate_reader_name(struct kstate_reader *reader)
{
	return reader->info.name;
}

/**
 * kstate_reader_generation - the generation the file was written for
 * @reader: the reader
 *
 * Return: the generation number.
 */
KSTATE_EXPORT uint64_t kstate_reader_generation(struct kstate_reader *reader)
{
	return reader->info.generation;
}

/**
 * kstate_reader_client_version - the writer's record layout version
 * @reader: the reader
 *
 * Return: the version given to kstate_writer_new().
 */
KSTATE_EXPORT uint32_t kstate_reader_client_version(struct kstate_reader *reader)
{
	return reader->info.client_version;
}

/**
 * kstate_reader_record_count - how many records the file holds
 * @reader: the reader
 *
 * Return: the record count.
 */
KSTATE_EXPORT uint32_t kstate_reader_record_count(struct kstate_reader *reader)
{
	return reader->info.record_count;
}

/**
 * kstate_reader_creation_time - when the file was written
 * @reader: the reader
 *
 * Return: CLOCK_REALTIME nanoseconds of the writer.
 */
KSTATE_EXPORT uint64_t kstate_reader_creation_time(struct kstate_reader *reader)
{
	return reader->info.creation_time_ns;
}

/**
 * kstate_reader_kernel_release - the kernel that wrote the file
 * @reader: the reader
 *
 * Return: its release string.
 */
KSTATE_EXPORT const char *kstate_reader_kernel_release(struct kstate_reader *reader)
{
	return reader->info.kernel_release;
}

/**
 * kstate_reader_boot_id - the boot that wrote the file
 * @reader: the reader
 *
 * Return: 16 bytes, all zero when unknown.
 */
KSTATE_EXPORT const uint8_t *kstate_reader_boot_id(struct kstate_reader *reader)
{
	return reader->info.boot_id;
}

/**
 * kstate_reader_store_uuid - the store the file belongs to
 * @reader: the reader
 *
 * Return: 16 bytes.
 */
KSTATE_EXPORT const uint8_t *kstate_reader_store_uuid(struct kstate_reader *reader)
{
	return reader->info.store_uuid;
}

/**
 * kstate_reader_is_kernel - whether the kernel module wrote the file
 * @reader: the reader
 *
 * Return: true for files written by a kernel client.
 */
KSTATE_EXPORT bool kstate_reader_is_kernel(struct kstate_reader *reader)
{
	return reader->info.flags & KSTATE_FILE_F_KERNEL;
}

/**
 * kstate_reader_size - the file's size
 * @reader: the reader
 *
 * Return: bytes.
 */
KSTATE_EXPORT uint64_t kstate_reader_size(struct kstate_reader *reader)
{
	return reader->len;
}

/**
 * kstate_reader_crc - CRC32C of the whole file
 * @reader: the reader
 *
 * Return: the checksum (equal to the manifest's for files opened from a store).
 */
KSTATE_EXPORT uint32_t kstate_reader_crc(struct kstate_reader *reader)
{
	return reader->crc;
}
