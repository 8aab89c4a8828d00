// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A lone kstate file: a record file, a manifest or a store header, read and validated
 * on its own, without the store it came from.  This is what "kstate dump" decodes when
 * an operator copies a file to another machine.  Only the checks that need nothing but
 * the file itself are made; kstate_store_verify() adds those that need the store.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "private.h"

struct kstate_file {
	struct kstate_ctx *ctx;
	int type;
	void *buf;
	size_t len;
	uint32_t crc;
	char *what;	/* how messages name the file */
	/* The fields every header has, whatever the type. */
	unsigned int major, minor;
	uint32_t compat, ro_compat, incompat;
	const uint8_t *store_uuid;
	uint64_t creation_time_ns;
	union {
		struct kstate_file_info records;
		struct kstate_manifest_info manifest;
		struct kstate_store_info store;
	} u;
};

static const struct {
	const char *magic;
	int type;
} file_types[] = {
	{ KSTATE_FILE_MAGIC, KSTATE_FILE_TYPE_RECORDS },
	{ KSTATE_MANIFEST_MAGIC, KSTATE_FILE_TYPE_MANIFEST },
	{ KSTATE_STORE_MAGIC, KSTATE_FILE_TYPE_STORE },
};

static int file_type_of(const void *buf, size_t len)
{
	size_t i;

	if (len < KSTATE_MAGIC_LEN)
		return 0;
	for (i = 0; i < sizeof(file_types) / sizeof(file_types[0]); i++)
		if (memcmp(buf, file_types[i].magic, KSTATE_MAGIC_LEN) == 0)
			return file_types[i].type;
	return 0;
}

#define COPY_COMMON(f, info) do {                                   \
		(f)->major = (info)->version_major;                      \
		(f)->minor = (info)->version_minor;                      \
		(f)->compat = (info)->compat;                            \
		(f)->ro_compat = (info)->ro_compat;                      \
		(f)->incompat = (info)->incompat;                        \
		(f)->store_uuid = (info)->store_uuid;                    \
		(f)->creation_time_ns = (info)->creation_time_ns;        \
	} while (0)

static void file_common(struct kstate_file *f)
{
	if (f->type == KSTATE_FILE_TYPE_RECORDS)
		COPY_COMMON(f, &f->u.records);
	else if (f->type == KSTATE_FILE_TYPE_MANIFEST)
		COPY_COMMON(f, &f->u.manifest);
	else
		COPY_COMMON(f, &f->u.store);
}

/* Validate @f->buf as the type its signature names; the errno of the first problem. */
static int file_validate(struct kstate_file *f)
{
	struct kstate_format_error fe = { 0 };
	int rc;

	f->type = file_type_of(f->buf, f->len);
	switch (f->type) {
	case KSTATE_FILE_TYPE_RECORDS:
		rc = kstate_file_validate(f->buf, f->len, &f->u.records, &fe);
		break;
	case KSTATE_FILE_TYPE_MANIFEST:
		rc = kstate_manifest_decode(f->buf, f->len, &f->u.manifest, &fe);
		break;
	case KSTATE_FILE_TYPE_STORE:
		rc = kstate_store_header_decode(f->buf, f->len, &f->u.store, &fe);
		break;
	default:
		if (f->len < KSTATE_MAGIC_LEN)
			return kstate_fail(f->ctx, -EOVERFLOW, "%s: %zu bytes, too short to be a "
					   "kstate file", f->what, f->len);
		return kstate_fail(f->ctx, -EPROTO, "%s: not a kstate file (unknown "
				   "signature)", f->what);
	}
	if (!rc) {
		f->crc = kstate_crc32c(f->buf, f->len);
		file_common(f);
		return 0;
	}
	if (f->type == KSTATE_FILE_TYPE_RECORDS && (fe.index || rc == -EBADMSG))
		return kstate_fail(f->ctx, rc, "%s: record %u: %s (offset %llu)", f->what,
				   fe.index, fe.what, (unsigned long long)fe.offset);
	if (f->type == KSTATE_FILE_TYPE_MANIFEST && fe.index)
		return kstate_fail(f->ctx, rc, "%s: entry %u: %s (offset %llu)", f->what,
				   fe.index, fe.what, (unsigned long long)fe.offset);
	return kstate_fail(f->ctx, rc, "%s: %s (offset %llu)", f->what, fe.what,
			   (unsigned long long)fe.offset);
}

/*
 * Read a whole file given by path (not a store member): refuses what kio_read_file()
 * refuses, with a message an operator can act on.
 */
int lone_file_read(struct kstate_ctx *ctx, const char *path, void **buf, size_t *len)
{
	int rc = kio_read_file(AT_FDCWD, path, (size_t)-1, buf, len);

	if (rc)
		return kstate_fail(ctx, rc, "%s: cannot read: %s", path,
				   rc == -EPERM ? "not a plain file" :
				   rc == -EMLINK ? "has more than one link" :
				   rc == -ELOOP ? "is a symbolic link" : strerror(-rc));
	return 0;
}

/* Takes over @buf: kept by the file, or freed on failure. */
static int file_new(struct kstate_ctx *ctx, const char *what, void *buf, size_t len,
		    struct kstate_file **out)
{
	struct kstate_file *f;
	int rc;

	f = kio_calloc(1, sizeof(*f));
	if (!f || !(f->what = kio_strdup(what))) {
		free(f);
		free(buf);
		return kstate_fail(ctx, -ENOMEM, "%s: out of memory", what);
	}
	f->ctx = ctx;
	f->buf = buf;
	f->len = len;
	rc = file_validate(f);
	if (rc) {
		kstate_file_delete(&f);
		return rc;
	}
	*out = f;
	return 0;
}

/**
 * kstate_file_new - read and validate one kstate file on its own
 * @ctx: library context
 * @path: a record file, a manifest or a store header ("kstate.store"), for example a
 *	copy taken to another machine
 * @out: the file
 *
 * The type comes from the file's signature.  The whole file is checked as the format
 * requires (header checksum, versions, feature bits, reserved fields, every record or
 * entry, exact length); what only the store can tell (the file's CRC against its
 * manifest, a manifest's generation against its file name) is not.
 *
 * Return: 0, -EPROTO for a file that is not a kstate file or has a bad field,
 * -EBADMSG for a checksum mismatch, -EOVERFLOW or -EMSGSIZE for a wrong length,
 * -EOPNOTSUPP or -EUCLEAN as listed in format/kstate_format.h, or the errno of reading
 * it; kstate_errormsg() names the file, the problem and its offset.
 */
KSTATE_EXPORT int kstate_file_new(struct kstate_ctx *ctx, const char *path,
				  struct kstate_file **out)
{
	void *buf = NULL;
	size_t len = 0;
	int rc;

	if (!path || !out)
		return kstate_fail(ctx, -EINVAL, "kstate_file_new: missing argument");
	rc = lone_file_read(ctx, path, &buf, &len);
	return rc ? rc : file_new(ctx, path, buf, len, out);
}

/**
 * kstate_file_new_from_buffer - validate one kstate file held in memory
 * @ctx: library context
 * @buf: the whole file; copied, so it may be freed after the call
 * @len: its size
 * @out: the file
 *
 * As kstate_file_new(), for bytes that did not come from a file (a test, a network
 * transfer).  Messages call the file "buffer".
 *
 * Return: as for kstate_file_new().
 */
KSTATE_EXPORT int kstate_file_new_from_buffer(struct kstate_ctx *ctx, const void *buf,
					      size_t len, struct kstate_file **out)
{
	void *copy;

	if ((!buf && len) || !out)
		return kstate_fail(ctx, -EINVAL, "kstate_file_new_from_buffer: missing argument");
	copy = kio_malloc(len ? len : 1);
	if (!copy)
		return kstate_fail(ctx, -ENOMEM, "buffer: out of memory");
	if (len)
		memcpy(copy, buf, len);
	return file_new(ctx, "buffer", copy, len, out);
}

/**
 * kstate_file_delete - release a file
 * @file: pointer to the file; set to NULL. NULL or a pointer to NULL is fine.
 */
KSTATE_EXPORT void kstate_file_delete(struct kstate_file **file)
{
	if (!file || !*file)
		return;
	free((*file)->buf);
	free((*file)->what);
	free(*file);
	*file = NULL;
}

/**
 * kstate_file_type - what kind of kstate file this is
 * @file: the file
 *
 * Return: %KSTATE_FILE_TYPE_RECORDS, %KSTATE_FILE_TYPE_MANIFEST or
 * %KSTATE_FILE_TYPE_STORE.
 */
KSTATE_EXPORT int kstate_file_type(struct kstate_file *file)
{
	return file->type;
}

/**
 * kstate_file_size - the file's size
 * @file: the file
 *
 * Return: bytes.
 */
KSTATE_EXPORT uint64_t kstate_file_size(struct kstate_file *file)
{
	return file->len;
}

/**
 * kstate_file_crc - CRC32C of the whole file
 * @file: the file
 *
 * Return: the checksum a manifest entry records for a record file.
 */
KSTATE_EXPORT uint32_t kstate_file_crc(struct kstate_file *file)
{
	return file->crc;
}

/**
 * kstate_file_version - the format version the writer followed
 * @file: the file
 * @major: the major version (only supported ones are accepted)
 * @minor: the writer's minor version
 */
KSTATE_EXPORT void kstate_file_version(struct kstate_file *file, unsigned int *major,
				       unsigned int *minor)
{
	*major = file->major;
	*minor = file->minor;
}

/**
 * kstate_file_features - the feature bits of the file's header
 * @file: the file
 * @compat: features an older reader may ignore
 * @ro_compat: features an older reader may read but not write
 * @incompat: features a reader must know (only known ones are accepted)
 */
KSTATE_EXPORT void kstate_file_features(struct kstate_file *file, uint32_t *compat,
					uint32_t *ro_compat, uint32_t *incompat)
{
	*compat = file->compat;
	*ro_compat = file->ro_compat;
	*incompat = file->incompat;
}

/**
 * kstate_file_store_uuid - the store the file belongs to
 * @file: the file
 *
 * Return: 16 bytes, valid while the file is open.
 */
KSTATE_EXPORT const uint8_t *kstate_file_store_uuid(struct kstate_file *file)
{
	return file->store_uuid;
}

/**
 * kstate_file_creation_time - when the file's object was created
 * @file: the file
 *
 * Return: CLOCK_REALTIME nanoseconds: when a record file was written, a generation
 * opened, or a store created.
 */
KSTATE_EXPORT uint64_t kstate_file_creation_time(struct kstate_file *file)
{
	return file->creation_time_ns;
}

/**
 * kstate_file_last_sealed - a store header's high-water mark
 * @file: the file
 *
 * Return: the highest generation the store is known to have sealed; 0 for files that
 * are not a store header.
 */
KSTATE_EXPORT uint64_t kstate_file_last_sealed(struct kstate_file *file)
{
	return file->type == KSTATE_FILE_TYPE_STORE ? file->u.store.last_sealed_generation : 0;
}

/**
 * kstate_file_open_reader - read the records of a record file
 * @file: a file of type %KSTATE_FILE_TYPE_RECORDS
 * @out: a reader over its own copy of the file, released with kstate_reader_delete()
 *
 * Return: 0, -EINVAL for another type of file, or -ENOMEM.
 */
KSTATE_EXPORT int kstate_file_open_reader(struct kstate_file *file,
					  struct kstate_reader **out)
{
	void *copy;

	if (file->type != KSTATE_FILE_TYPE_RECORDS)
		return kstate_fail(file->ctx, -EINVAL, "%s: not a record file", file->what);
	copy = kio_malloc(file->len);
	if (!copy)
		return kstate_fail(file->ctx, -ENOMEM, "%s: out of memory", file->what);
	memcpy(copy, file->buf, file->len);
	return reader_new_from_buffer(file->ctx, file->what, copy, file->len, out);
}

/**
 * kstate_file_open_generation - read the generation a manifest describes
 * @file: a file of type %KSTATE_FILE_TYPE_MANIFEST
 * @out: the generation, released with kstate_generation_delete()
 *
 * The generation has no store: its header and entries can be read with the
 * kstate_generation_* getters, but kstate_generation_verify_entry() refuses it.
 *
 * Return: 0, -EINVAL for another type of file, or -ENOMEM.
 */
KSTATE_EXPORT int kstate_file_open_generation(struct kstate_file *file,
					      struct kstate_generation **out)
{
	struct kstate_generation *g;
	u32 i;

	if (file->type != KSTATE_FILE_TYPE_MANIFEST)
		return kstate_fail(file->ctx, -EINVAL, "%s: not a manifest", file->what);
	g = kio_calloc(1, sizeof(*g));
	if (g && file->u.manifest.entry_count)
		g->entries = kio_calloc(file->u.manifest.entry_count, sizeof(*g->entries));
	if (!g || (file->u.manifest.entry_count && !g->entries)) {
		kstate_generation_delete(&g);
		return kstate_fail(file->ctx, -ENOMEM, "%s: out of memory", file->what);
	}
	g->info = file->u.manifest;
	for (i = 0; i < g->info.entry_count; i++)
		kstate_manifest_entry_get(file->buf, i, &g->entries[i]);
	*out = g;
	return 0;
}
