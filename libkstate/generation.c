// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Generations: loading a manifest, and checking the files it lists against it.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "private.h"

/* Largest manifest a reader accepts: the format's own limit. */
#define MANIFEST_MAX_SIZE kstate_manifest_size(KSTATE_MANIFEST_MAX_ENTRIES)

/**
 * manifest_load - read and validate manifest @generation of @s
 * @s: the store
 * @generation: its number
 * @info: decoded header
 * @entries: malloc'ed array of info->entry_count entries (NULL when there are none)
 *
 * Besides the format checks, the manifest must carry the generation its file name
 * says and the store's UUID: a manifest copied from another store or renamed to replay
 * an older generation is refused.
 *
 * Return: 0 or a negative errno, with kstate_errormsg() naming the file.
 */
int manifest_load(struct kstate_store *s, uint64_t generation,
		  struct kstate_manifest_info *info, struct kstate_entry **entries)
{
	struct kstate_format_error fe = { 0 };
	char fname[KSTATE_FILENAME_MAX];
	struct kstate_entry *list = NULL;
	void *buf = NULL;
	size_t len = 0;
	u32 i;
	int rc;

	*entries = NULL;
	kstate_manifest_filename(fname, sizeof(fname), generation);
	rc = kio_read_file(s->dirfd, fname, MANIFEST_MAX_SIZE, &buf, &len);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s/%s: cannot read: %s", s->path, fname,
				   strerror(-rc));
	rc = kstate_manifest_decode(buf, len, info, &fe);
	if (rc) {
		kstate_fail(s->ctx, rc, "%s/%s: %s (offset %llu)", s->path, fname, fe.what,
			    (unsigned long long)fe.offset);
		goto out;
	}
	if (info->generation != generation) {
		rc = kstate_fail(s->ctx, -EUCLEAN, "%s/%s: holds generation %llu, not %llu",
				 s->path, fname, (unsigned long long)info->generation,
				 (unsigned long long)generation);
		goto out;
	}
	if (memcmp(info->store_uuid, s->info.store_uuid, KSTATE_UUID_LEN) != 0) {
		rc = kstate_fail(s->ctx, -EXDEV, "%s/%s: belongs to another store", s->path,
				 fname);
		goto out;
	}
	if (info->entry_count) {
		list = kio_calloc(info->entry_count, sizeof(*list));
		if (!list) {
			rc = kstate_fail(s->ctx, -ENOMEM, "%s/%s: out of memory", s->path, fname);
			goto out;
		}
		for (i = 0; i < info->entry_count; i++)
			kstate_manifest_entry_get(buf, i, &list[i]);
	}
	*entries = list;
out:
	free(buf);
	return rc;
}

/*
 * Open generation @number, or for 0 the newest, refusing rather than going back in
 * time: when the newest manifest is damaged, or the newest sealed generation is older
 * than the store header's high-water mark (generations lost or an old copy put back).
 */
int generation_open(struct kstate_store *s, uint64_t number, bool sealed_only,
		    struct kstate_generation **out)
{
	struct kstate_generation *g;
	int rc;

	if (number == 0) {
		rc = store_scan(s);
		if (rc)
			return rc;
		if (s->damaged > s->newest)
			return kstate_fail(s->ctx, s->damaged_rc,
					   "%s; the newest generation %llu is damaged: choose "
					   "an older generation explicitly to use it",
					   s->damaged_msg, (unsigned long long)s->damaged);
		if (s->newest < s->info.last_sealed_generation)
			return kstate_fail(s->ctx, -ESTALE,
					   "%s: newest sealed generation %llu is older than the "
					   "last sealed generation %llu recorded in %s: "
					   "generations were lost or an old copy was restored",
					   s->path, (unsigned long long)s->newest,
					   (unsigned long long)s->info.last_sealed_generation,
					   KSTATE_STORE_HEADER_NAME);
		if (!s->newest)
			return kstate_fail(s->ctx, -ENOENT, "%s: no sealed generation yet",
					   s->path);
		number = s->newest;
	}
	g = kio_calloc(1, sizeof(*g));
	if (!g)
		return kstate_fail(s->ctx, -ENOMEM, "%s: out of memory", s->path);
	g->store = s;
	rc = manifest_load(s, number, &g->info, &g->entries);
	if (!rc && sealed_only && g->info.state != KSTATE_MANIFEST_SEALED)
		rc = kstate_fail(s->ctx, -EAGAIN, "%s: generation %llu was never sealed "
				 "(its save did not finish)", s->path,
				 (unsigned long long)number);
	if (rc) {
		kstate_generation_delete(&g);
		return rc;
	}
	*out = g;
	return 0;
}

/**
 * kstate_generation_new - open one generation of a store
 * @store: the store
 * @number: the generation, or 0 for the newest sealed one
 * @out: the generation
 *
 * With @number 0 the newest generation is refused, not silently replaced by an older
 * one, when its manifest is damaged (the manifest's own error) or when it is older than
 * the store's recorded high-water mark (-ESTALE).  An explicit @number opens that
 * manifest whatever its state, so an operator can inspect an open (unsealed) one.
 *
 * Return: 0, -ENOENT when there is no such generation, or the validation error.
 */
KSTATE_EXPORT int kstate_generation_new(struct kstate_store *store, uint64_t number,
					struct kstate_generation **out)
{
	return generation_open(store, number, false, out);
}

/**
 * kstate_generation_delete - release a generation
 * @gen: pointer to the generation; set to NULL. NULL or a pointer to NULL is fine.
 */
KSTATE_EXPORT void kstate_generation_delete(struct kstate_generation **gen)
{
	if (!gen || !*gen)
		return;
	free((*gen)->entries);
	free(*gen);
	*gen = NULL;
}

/**
 * kstate_generation_number - the generation's number
 * @gen: the generation
 *
 * Return: the number, > 0.
 */
KSTATE_EXPORT uint64_t kstate_generation_number(struct kstate_generation *gen)
{
	return gen->info.generation;
}

/**
 * kstate_generation_base - the sealed generation this one was derived from
 * @gen: the generation
 *
 * Return: its number, 0 for none.
 */
KSTATE_EXPORT uint64_t kstate_generation_base(struct kstate_generation *gen)
{
	return gen->info.base_generation;
}

/**
 * kstate_generation_is_sealed - whether the generation is a complete, consistent cut
 * @gen: the generation
 *
 * Return: true when sealed, false for an open generation whose save never finished.
 */
KSTATE_EXPORT bool kstate_generation_is_sealed(struct kstate_generation *gen)
{
	return gen->info.state == KSTATE_MANIFEST_SEALED;
}

/**
 * kstate_generation_creation_time - when the generation was opened
 * @gen: the generation
 *
 * Return: CLOCK_REALTIME nanoseconds.
 */
KSTATE_EXPORT uint64_t kstate_generation_creation_time(struct kstate_generation *gen)
{
	return gen->info.creation_time_ns;
}

/**
 * kstate_generation_seal_time - when the generation was sealed
 * @gen: the generation
 *
 * Return: CLOCK_REALTIME nanoseconds, 0 for an open generation.
 */
KSTATE_EXPORT uint64_t kstate_generation_seal_time(struct kstate_generation *gen)
{
	return gen->info.seal_time_ns;
}

/**
 * kstate_generation_kernel_release - the kernel that wrote the manifest
 * @gen: the generation
 *
 * Return: its release string (uname -r).
 */
KSTATE_EXPORT const char *kstate_generation_kernel_release(struct kstate_generation *gen)
{
	return gen->info.kernel_release;
}

/**
 * kstate_generation_boot_id - the boot that wrote the manifest
 * @gen: the generation
 *
 * Return: 16 bytes, all zero when unknown.
 */
KSTATE_EXPORT const uint8_t *kstate_generation_boot_id(struct kstate_generation *gen)
{
	return gen->info.boot_id;
}

/**
 * kstate_generation_entry_count - how many files the generation lists
 * @gen: the generation
 *
 * Return: the number of entries.
 */
KSTATE_EXPORT unsigned int kstate_generation_entry_count(struct kstate_generation *gen)
{
	return gen->info.entry_count;
}

/**
 * kstate_generation_find - the index of an entry
 * @gen: the generation
 * @kind: %KSTATE_KIND_RECORDS or %KSTATE_KIND_REGION
 * @name: object name
 *
 * Return: the index, or -ENOENT.
 */
KSTATE_EXPORT int kstate_generation_find(struct kstate_generation *gen, int kind,
					 const char *name)
{
	unsigned int i;

	for (i = 0; i < gen->info.entry_count; i++)
		if (gen->entries[i].kind == kind && strcmp(gen->entries[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

static const struct kstate_entry *entry_at(struct kstate_generation *gen, unsigned int i)
{
	static const struct kstate_entry none;

	return i < gen->info.entry_count ? &gen->entries[i] : &none;
}

/**
 * kstate_generation_entry_name - name of entry @index
 * @gen: the generation
 * @index: below kstate_generation_entry_count()
 *
 * Return: the object name ("" for an index out of range).
 */
KSTATE_EXPORT const char *kstate_generation_entry_name(struct kstate_generation *gen,
						       unsigned int index)
{
	return entry_at(gen, index)->name;
}

/**
 * kstate_generation_entry_kind - kind of entry @index
 * @gen: the generation
 * @index: below kstate_generation_entry_count()
 *
 * Return: %KSTATE_KIND_RECORDS or %KSTATE_KIND_REGION (0 out of range).
 */
KSTATE_EXPORT int kstate_generation_entry_kind(struct kstate_generation *gen,
					       unsigned int index)
{
	return entry_at(gen, index)->kind;
}

/**
 * kstate_generation_entry_generation - generation in which entry @index was written
 * @gen: the generation
 * @index: below kstate_generation_entry_count()
 *
 * Return: the generation; files carried over unchanged keep their original one.
 */
KSTATE_EXPORT uint64_t kstate_generation_entry_generation(struct kstate_generation *gen,
							  unsigned int index)
{
	return entry_at(gen, index)->generation;
}

/**
 * kstate_generation_entry_size - size in bytes of entry @index's file
 * @gen: the generation
 * @index: below kstate_generation_entry_count()
 *
 * Return: the size recorded in the manifest.
 */
KSTATE_EXPORT uint64_t kstate_generation_entry_size(struct kstate_generation *gen,
						    unsigned int index)
{
	return entry_at(gen, index)->size;
}

/**
 * kstate_generation_entry_crc - CRC32C of entry @index's whole file
 * @gen: the generation
 * @index: below kstate_generation_entry_count()
 *
 * Return: the checksum recorded in the manifest, 0 for regions.
 */
KSTATE_EXPORT uint32_t kstate_generation_entry_crc(struct kstate_generation *gen,
						   unsigned int index)
{
	return entry_at(gen, index)->crc;
}

/**
 * kstate_generation_entry_client_version - the client's record layout version
 * @gen: the generation
 * @index: below kstate_generation_entry_count()
 *
 * Return: the version from the record file header, 0 for regions.
 */
KSTATE_EXPORT uint32_t kstate_generation_entry_client_version(struct kstate_generation *gen,
							      unsigned int index)
{
	return entry_at(gen, index)->client_version;
}

/**
 * kstate_generation_entry_is_kernel - whether a kernel client owns entry @index
 * @gen: the generation
 * @index: below kstate_generation_entry_count()
 *
 * Return: true for entries written by the kstate kernel module.
 */
KSTATE_EXPORT bool kstate_generation_entry_is_kernel(struct kstate_generation *gen,
						     unsigned int index)
{
	return entry_at(gen, index)->flags & KSTATE_ENTRY_F_KERNEL;
}

/**
 * kstate_generation_entry_filename - the file name of entry @index in the store
 * @gen: the generation
 * @index: below kstate_generation_entry_count()
 * @buf: destination
 * @len: size of @buf (64 bytes always suffice)
 *
 * Return: 0, -EINVAL for an index out of range, or -ENAMETOOLONG.
 */
KSTATE_EXPORT int kstate_generation_entry_filename(struct kstate_generation *gen,
						   unsigned int index, char *buf, size_t len)
{
	const struct kstate_entry *e;

	if (index >= gen->info.entry_count)
		return -EINVAL;
	e = &gen->entries[index];
	if (e->kind == KSTATE_ENTRY_REGION)
		return kstate_region_filename(buf, len, e->name);
	return kstate_records_filename(buf, len, e->name, e->generation);
}

/**
 * member_load_records - read a record file a manifest lists and check it completely
 * @s: the store
 * @mi: the manifest's header
 * @e: its entry for the file
 * @buf: malloc'ed file contents on success
 * @len: file size on success
 * @fi: decoded file header on success
 *
 * The file must be valid on its own (header, every record, exact length) and match its
 * entry: size, whole-file CRC32C, name, generation, client version and store UUID.
 *
 * Return: 0 or a negative errno, with kstate_errormsg() naming the file and the reason.
 */
int member_load_records(struct kstate_store *s, const struct kstate_manifest_info *mi,
			const struct kstate_entry *e, void **buf, size_t *len,
			struct kstate_file_info *fi)
{
	struct kstate_format_error fe = { 0 };
	char fname[KSTATE_FILENAME_MAX];
	void *p = NULL;
	size_t n = 0;
	int rc;

	kstate_records_filename(fname, sizeof(fname), e->name, e->generation);
	rc = kio_read_file(s->dirfd, fname, (size_t)-1, &p, &n);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s/%s: cannot read: %s", s->path, fname,
				   rc == -EPERM ? "not a plain file" :
				   rc == -EMLINK ? "has more than one link" : strerror(-rc));
	rc = kstate_file_validate(p, n, fi, &fe);
	if (rc) {
		if (fe.index || rc == -EBADMSG)
			kstate_fail(s->ctx, rc, "%s/%s: record %u: %s (offset %llu)", s->path,
				    fname, fe.index, fe.what, (unsigned long long)fe.offset);
		else
			kstate_fail(s->ctx, rc, "%s/%s: %s (offset %llu)", s->path, fname,
				    fe.what, (unsigned long long)fe.offset);
		goto fail;
	}
	if (n != e->size) {
		rc = kstate_fail(s->ctx, -EUCLEAN, "%s/%s: size %zu differs from the %llu "
				 "bytes its manifest lists", s->path, fname, n,
				 (unsigned long long)e->size);
		goto fail;
	}
	if (kstate_crc32c(p, n) != e->crc) {
		rc = kstate_fail(s->ctx, -EBADMSG, "%s/%s: file checksum differs from its "
				 "manifest", s->path, fname);
		goto fail;
	}
	if (fi->generation != e->generation || strcmp(fi->name, e->name) != 0 ||
	    fi->client_version != e->client_version ||
	    memcmp(fi->store_uuid, mi->store_uuid, KSTATE_UUID_LEN) != 0) {
		rc = kstate_fail(s->ctx, -EUCLEAN, "%s/%s: header does not match its "
				 "manifest entry (name, generation, version or store)", s->path,
				 fname);
		goto fail;
	}
	*buf = p;
	*len = n;
	return 0;
fail:
	free(p);
	return rc;
}

/* A region's contents change in place; only its presence, kind and size are checked. */
int member_check_region(struct kstate_store *s, const struct kstate_entry *e)
{
	char fname[KSTATE_FILENAME_MAX];
	uint64_t size = 0;
	int fd, rc;

	kstate_region_filename(fname, sizeof(fname), e->name);
	fd = kio_openat(s->dirfd, fname, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return kstate_fail(s->ctx, fd, "%s/%s: cannot open: %s", s->path, fname,
				   strerror(-fd));
	rc = kio_fstat_regular(fd, &size);
	kio_close(fd);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s/%s: %s", s->path, fname,
				   rc == -EPERM ? "not a plain file" :
				   rc == -EMLINK ? "has more than one link" : strerror(-rc));
	if (size != e->size)
		return kstate_fail(s->ctx, -EUCLEAN, "%s/%s: size %llu differs from the %llu "
				   "bytes its manifest lists", s->path, fname,
				   (unsigned long long)size, (unsigned long long)e->size);
	return 0;
}

/**
 * kstate_generation_verify_entry - check one file a generation lists
 * @gen: the generation
 * @index: below kstate_generation_entry_count()
 *
 * See kstate_store_verify() for what is checked.  A generation from
 * kstate_file_open_generation() has no store and is refused with -EINVAL.
 *
 * Return: 0 when intact, otherwise a negative errno with kstate_errormsg() saying why.
 */
KSTATE_EXPORT int kstate_generation_verify_entry(struct kstate_generation *gen,
						 unsigned int index)
{
	struct kstate_file_info fi;
	void *buf = NULL;
	size_t len = 0;
	int rc;

	if (!gen->store)
		return kstate_fail(NULL, -EINVAL, "generation %llu was read from a lone manifest: "
				   "open its store to verify its files",
				   (unsigned long long)gen->info.generation);
	if (index >= gen->info.entry_count)
		return kstate_fail(gen->store->ctx, -EINVAL, "entry %u out of range", index);
	if (gen->entries[index].kind == KSTATE_ENTRY_REGION)
		return member_check_region(gen->store, &gen->entries[index]);
	rc = member_load_records(gen->store, &gen->info, &gen->entries[index], &buf, &len,
				 &fi);
	free(buf);
	return rc;
}
