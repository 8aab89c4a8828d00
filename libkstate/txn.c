// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Transactions: the commit protocol that turns files into one sealed generation.
 *
 *   1. lock the store (flock on its directory) and pick generation N above every
 *      manifest and the store header's high-water mark;
 *   2. write manifest N in state OPEN, which claims the number;
 *   3. writers add member files: each one written to a temporary name, made durable
 *      (see below) and renamed to its final name (never replacing one);
 *   4. seal: write manifest N in state SEALED listing the base generation's entries
 *      plus the new ones, and the store header with its high-water mark raised to N,
 *      to temporary names; barrier 1; rename the manifest over the OPEN one; barrier
 *      2 (N is sealed); rename the header into place; barrier 3;
 *   5. remove what gc no longer needs, keeping freed record files as spares.
 *
 * A barrier is an fsync of the store directory.  On a page-cache store every file is
 * also fsynced before its rename, so barrier 1 makes the members and both new files
 * durable before the seal can be.  On a DAX store file data is durable when written
 * (the writer's non-temporal copies and drain, or the kernel's DAX write), so the only
 * thing left is metadata: names, sizes, allocations.  There a barrier is the journal
 * commit that the directory fsync forces, and it carries every earlier metadata change
 * of the filesystem, not only the directory's: ext4 (jbd2) and XFS journal in order.
 * So a DAX commit costs three fsyncs in all (and the OPEN manifest none: a crash
 * before barrier 1 loses it with everything else of N), where fsyncing each file
 * would make the kernel flush every page the writers mapped a second time.
 *
 * A reader takes the newest SEALED manifest, so a crash before barrier 2 leaves the
 * previous generation, and after it the new one: never a mix, never a torn file.  A
 * crash before barrier 3 leaves the high-water mark at N - 1, as a crash between a
 * seal and a header update always could.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "private.h"

struct kstate_txn {
	struct kstate_store *s;
	uint64_t generation;
	uint64_t base;
	uint64_t creation_ns;
	struct kstate_entry *entries;	/* kept in kstate_entry_compare() order */
	u32 count;
	u32 cap;
	char **files;			/* files this transaction created, removed on abort */
	size_t nfiles;
	bool committed;
};

struct kstate_store *txn_store(struct kstate_txn *t)
{
	return t->s;
}

/*
 * Manifest N in @state to a temporary file, fsynced on a page-cache store; @tmp gets
 * its name, for the caller to rename.
 */
static int manifest_stage(struct kstate_txn *t, u32 state, char *tmp, size_t tmp_len,
			  const char **step)
{
	struct kstate_manifest_info info = { 0 };
	char fname[KSTATE_FILENAME_MAX];
	size_t len;
	void *buf;
	int rc;

	info.generation = t->generation;
	info.base_generation = t->base;
	info.creation_time_ns = t->creation_ns;
	info.seal_time_ns = state == KSTATE_MANIFEST_SEALED ? kstate_now_ns() : 0;
	info.state = state;
	info.entry_count = state == KSTATE_MANIFEST_SEALED ? t->count : 0;
	memcpy(info.store_uuid, t->s->info.store_uuid, KSTATE_UUID_LEN);
	kstate_boot_id(info.boot_id);
	kstate_kernel_release(info.kernel_release);
	len = kstate_manifest_size(info.entry_count);
	buf = kio_malloc(len);
	if (!buf) {
		*step = "allocate";
		return -ENOMEM;
	}
	rc = kstate_manifest_encode(buf, len, &info, t->entries);
	if (rc) {
		*step = "encode";
		free(buf);
		return rc;
	}
	kstate_manifest_filename(fname, sizeof(fname), t->generation);
	rc = kio_write_tmp(t->s->dirfd, fname, buf, len, !t->s->dax, tmp, tmp_len, step);
	free(buf);
	return rc;
}

/*
 * The OPEN manifest claims generation N.  On a page-cache store it is durable at once;
 * on DAX barrier 1 of the commit makes it durable with the members (see above).
 */
static int txn_write_open(struct kstate_txn *t, const char **step)
{
	char fname[KSTATE_FILENAME_MAX], tmp[KSTATE_FILENAME_MAX + 48];
	int dirfd = t->s->dirfd, rc;

	kstate_manifest_filename(fname, sizeof(fname), t->generation);
	rc = manifest_stage(t, KSTATE_MANIFEST_OPEN, tmp, sizeof(tmp), step);
	if (!rc)
		rc = kio_rename_tmp(dirfd, tmp, fname, false, step);
	if (rc || t->s->dax)
		return rc;
	rc = kio_fsync(dirfd);
	if (rc) {
		/* The name is visible but maybe not durable: take the claim back. */
		*step = "directory fsync";
		unlinkat(dirfd, fname, 0);
	}
	return rc;
}

/**
 * kstate_txn_new - start a new generation of a store
 * @store: the store, opened writable
 * @out: the transaction
 *
 * Takes the store lock (an exclusive flock on the store directory, held until the
 * transaction is committed or deleted), picks the next generation number and records
 * it durably as an open manifest.  The new generation starts with every entry of the
 * newest sealed generation; writers replace or add entries, kstate_txn_remove() drops
 * them, kstate_txn_commit() seals the result.
 *
 * Return: 0, -EROFS for a read-only store, -EBUSY when this handle already has an open
 * transaction, or another negative errno.
 */
KSTATE_EXPORT int kstate_txn_new(struct kstate_store *store, struct kstate_txn **out)
{
	struct kstate_manifest_info base_info;
	struct kstate_txn *t;
	const char *step = "";
	int rc;

	if (store->flags & KSTATE_STORE_RDONLY)
		return kstate_fail(store->ctx, -EROFS, "%s: store opened read-only",
				   store->path);
	if (store->locked)
		return kstate_fail(store->ctx, -EBUSY, "%s: a transaction is already open on "
				   "this store handle", store->path);
	t = kio_calloc(1, sizeof(*t));
	if (!t)
		return kstate_fail(store->ctx, -ENOMEM, "%s: out of memory", store->path);
	t->s = store;
	rc = store_lock(store);
	if (rc)
		goto fail;
	rc = kstate_store_refresh(store);
	if (rc)
		goto fail;
	/*
	 * Saving is never blocked: the new generation gets a number above every one seen
	 * and above the high-water mark.  Restoring from a store that went back in time
	 * is what kstate_generation_new() refuses.
	 */
	if (store->newest < store->info.last_sealed_generation)
		log_warn(store->ctx, "%s: newest sealed generation %llu is older than the last "
			 "sealed generation %llu; the new generation builds on %llu",
			 store->path, (unsigned long long)store->newest,
			 (unsigned long long)store->info.last_sealed_generation,
			 (unsigned long long)store->newest);
	if (store->damaged > store->newest)
		log_warn(store->ctx, "%s: generation %llu is damaged and left in place; the new "
			 "generation builds on %llu", store->path,
			 (unsigned long long)store->damaged, (unsigned long long)store->newest);
	t->base = store->newest;
	t->generation = (store->highest > store->info.last_sealed_generation ?
			 store->highest : store->info.last_sealed_generation) + 1;
	t->creation_ns = kstate_now_ns();
	if (t->base) {
		rc = manifest_load(store, t->base, &base_info, &t->entries);
		if (rc)
			goto fail;
		if (base_info.ro_compat & ~KSTATE_MANIFEST_RO_COMPAT_SUPP) {
			rc = kstate_fail(store->ctx, -EROFS, "%s: generation %llu uses read-only "
					 "features 0x%x this library does not know: it may be "
					 "read but not extended", store->path,
					 (unsigned long long)t->base, base_info.ro_compat);
			goto fail;
		}
		t->count = t->cap = base_info.entry_count;
	}
	rc = txn_write_open(t, &step);
	if (rc) {
		kstate_fail(store->ctx, rc, "%s: cannot open generation %llu: %s: %s",
			    store->path, (unsigned long long)t->generation, step,
			    strerror(-rc));
		goto fail;
	}
	store->highest = t->generation;
	log_dbg(store->ctx, "%s: opened generation %llu on base %llu", store->path,
		(unsigned long long)t->generation, (unsigned long long)t->base);
	*out = t;
	return 0;
fail:
	free(t->entries);
	free(t);
	store_unlock(store);
	return rc;
}

/**
 * kstate_txn_generation - the number of the generation being written
 * @txn: the transaction
 *
 * Return: the generation number.
 */
KSTATE_EXPORT uint64_t kstate_txn_generation(struct kstate_txn *txn)
{
	return txn->generation;
}

/**
 * kstate_txn_base - the sealed generation the transaction started from
 * @txn: the transaction
 *
 * Return: its number, 0 when the store had none.
 */
KSTATE_EXPORT uint64_t kstate_txn_base(struct kstate_txn *txn)
{
	return txn->base;
}

static int entry_find(struct kstate_txn *t, int kind, const char *name, u32 *pos)
{
	struct kstate_entry key = { .kind = (u16)kind };
	u32 i;

	snprintf(key.name, sizeof(key.name), "%s", name);
	for (i = 0; i < t->count; i++) {
		int c = kstate_entry_compare(&t->entries[i], &key);

		if (c == 0) {
			*pos = i;
			return 0;
		}
		if (c > 0)
			break;
	}
	*pos = i;
	return -ENOENT;
}

/* Add or replace an entry, keeping the manifest order. */
int txn_put_entry(struct kstate_txn *t, const struct kstate_entry *e)
{
	u32 pos;

	if (entry_find(t, e->kind, e->name, &pos) == 0) {
		t->entries[pos] = *e;
		return 0;
	}
	if (t->count >= KSTATE_MANIFEST_MAX_ENTRIES)
		return -EOVERFLOW;
	if (t->count == t->cap) {
		u32 cap = t->cap ? t->cap * 2 : 8;
		struct kstate_entry *bigger = kio_realloc(t->entries, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		t->entries = bigger;
		t->cap = cap;
	}
	memmove(&t->entries[pos + 1], &t->entries[pos], (t->count - pos) * sizeof(*e));
	t->entries[pos] = *e;
	t->count++;
	return 0;
}

int txn_track_file(struct kstate_txn *t, const char *filename)
{
	char **bigger = kio_realloc(t->files, (t->nfiles + 1) * sizeof(char *));

	if (!bigger)
		return -ENOMEM;
	t->files = bigger;
	t->files[t->nfiles] = kio_strdup(filename);
	if (!t->files[t->nfiles])
		return -ENOMEM;
	t->nfiles++;
	return 0;
}

/**
 * kstate_txn_add_region - list a region in the new generation
 * @txn: the transaction
 * @name: the region's name; its file must exist in the store
 *
 * Regions are changed in place, so the manifest records only that the region belongs
 * to the generation and its size.  The caller persists the region's contents (see
 * kstate_region_persist()) before committing.
 *
 * Return: 0, -ENOENT when there is no such region, or another negative errno.
 */
KSTATE_EXPORT int kstate_txn_add_region(struct kstate_txn *txn, const char *name)
{
	struct kstate_store *s = txn->s;
	struct kstate_entry e = { 0 };
	char fname[KSTATE_FILENAME_MAX];
	uint64_t size = 0;
	int fd, rc;

	if (txn->committed)
		return kstate_fail(s->ctx, -EINVAL, "%s: transaction already committed",
				   s->path);
	if (!name || kstate_region_filename(fname, sizeof(fname), name))
		return kstate_fail(s->ctx, -EINVAL, "invalid region name '%s'",
				   name ? name : "");
	fd = kio_openat(s->dirfd, fname, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return kstate_fail(s->ctx, fd, "%s/%s: %s", s->path, fname, strerror(-fd));
	rc = kio_fstat_regular(fd, &size);
	kio_close(fd);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s/%s: not a plain single-link file", s->path,
				   fname);
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.generation = txn->generation;
	e.size = size;
	e.kind = KSTATE_ENTRY_REGION;
	rc = txn_put_entry(txn, &e);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s: cannot add region %s: %s", s->path, name,
				   strerror(-rc));
	return 0;
}

/**
 * kstate_txn_remove - drop an entry from the new generation
 * @txn: the transaction
 * @kind: %KSTATE_KIND_RECORDS or %KSTATE_KIND_REGION
 * @name: object name
 *
 * The files stay until gc finds no kept generation listing them.
 *
 * Return: 0 or -ENOENT.
 */
KSTATE_EXPORT int kstate_txn_remove(struct kstate_txn *txn, int kind, const char *name)
{
	u32 pos;

	if (!name || entry_find(txn, kind, name, &pos))
		return kstate_fail(txn->s->ctx, -ENOENT, "%s: generation %llu has no %s '%s'",
				   txn->s->path, (unsigned long long)txn->generation,
				   kind == KSTATE_ENTRY_REGION ? "region" : "record file",
				   name ? name : "");
	memmove(&txn->entries[pos], &txn->entries[pos + 1],
		(txn->count - pos - 1) * sizeof(*txn->entries));
	txn->count--;
	return 0;
}

/**
 * kstate_txn_commit - seal the new generation
 * @txn: the transaction
 *
 * Writes the sealed manifest and the store header with its high-water mark raised,
 * each to a temporary file, then: a directory fsync, the rename of the manifest over
 * the open one, a directory fsync (the generation is sealed), the rename of the
 * header, a directory fsync (see the top of txn.c for why three suffice).  When this
 * returns 0 the generation is durable and is what a reader gets; when it fails,
 * readers still get the previous generation.  Then removes what the kept generations
 * no longer need, keeping freed record files as spares for the next writers (a
 * failure there, or in raising the high-water mark, is logged, not returned: the
 * generation is already sealed).  The store lock is released.  Delete the transaction
 * afterwards with kstate_txn_delete().
 *
 * Return: 0 or a negative errno.
 */
KSTATE_EXPORT int kstate_txn_commit(struct kstate_txn *txn)
{
	struct kstate_store *s = txn->s;
	char fname[KSTATE_FILENAME_MAX], mtmp[KSTATE_FILENAME_MAX + 48];
	char htmp[KSTATE_FILENAME_MAX + 48];
	struct kstate_store_header h;
	struct kstate_store_info info;
	const char *step = "";
	int rc;

	if (txn->committed)
		return kstate_fail(s->ctx, -EINVAL, "%s: generation %llu already committed",
				   s->path, (unsigned long long)txn->generation);
	kstate_manifest_filename(fname, sizeof(fname), txn->generation);
	htmp[0] = '\0';
	rc = manifest_stage(txn, KSTATE_MANIFEST_SEALED, mtmp, sizeof(mtmp), &step);
	if (rc)
		goto fail;
	rc = store_encode_header(s, txn->generation, &h, &info);
	if (!rc)
		rc = kio_write_tmp(s->dirfd, KSTATE_STORE_HEADER_NAME, &h, sizeof(h), !s->dax,
				   htmp, sizeof(htmp), &step);
	if (rc) {
		htmp[0] = '\0';
		goto fail_tmp;
	}
	step = "directory fsync";
	rc = kio_fsync(s->dirfd);		/* barrier 1: members and new files */
	if (rc)
		goto fail_tmp;
	step = "rename";
	rc = kio_renameat(s->dirfd, mtmp, fname, true);
	if (rc)
		goto fail_tmp;
	step = "directory fsync";
	rc = kio_fsync(s->dirfd);		/* barrier 2: sealed */
	if (rc) {
		/* Visible but maybe not durable: take it back so readers agree. */
		unlinkat(s->dirfd, fname, 0);
		fsync(s->dirfd);
		goto fail_tmp;
	}
	txn->committed = true;
	s->newest = txn->generation;
	rc = kio_renameat(s->dirfd, htmp, KSTATE_STORE_HEADER_NAME, true);
	if (!rc) {
		s->info = info;
		rc = kio_fsync(s->dirfd);	/* barrier 3: high-water mark */
	}
	if (rc) {
		unlinkat(s->dirfd, htmp, 0);
		log_warn(s->ctx, "%s: generation %llu is sealed but the high-water mark was not "
			 "raised: %s", s->path, (unsigned long long)txn->generation,
			 strerror(-rc));
	}
	if (store_gc_locked(s, s->keep))
		log_warn(s->ctx, "%s: generation %llu is sealed but gc failed: %s", s->path,
			 (unsigned long long)txn->generation, kstate_errormsg());
	store_scan(s);
	store_unlock(s);
	log_info(s->ctx, "%s: sealed generation %llu (%u entries)", s->path,
		 (unsigned long long)txn->generation, txn->count);
	return 0;
fail_tmp:
	unlinkat(s->dirfd, mtmp, 0);
	if (htmp[0])
		unlinkat(s->dirfd, htmp, 0);
fail:
	return kstate_fail(s->ctx, rc, "%s: cannot seal generation %llu: %s: %s", s->path,
			   (unsigned long long)txn->generation, step, strerror(-rc));
}

/**
 * kstate_txn_delete - release a transaction, abandoning it if it was not committed
 * @txn: pointer to the transaction; set to NULL. NULL or a pointer to NULL is fine.
 *
 * An uncommitted transaction's files and open manifest are removed and the store lock
 * released; the store keeps its previous generation.
 */
KSTATE_EXPORT void kstate_txn_delete(struct kstate_txn **txn)
{
	struct kstate_txn *t;
	size_t i;

	if (!txn || !*txn)
		return;
	t = *txn;
	if (!t->committed) {
		char fname[KSTATE_FILENAME_MAX];

		for (i = 0; i < t->nfiles; i++)
			unlinkat(t->s->dirfd, t->files[i], 0);
		kstate_manifest_filename(fname, sizeof(fname), t->generation);
		unlinkat(t->s->dirfd, fname, 0);
		fsync(t->s->dirfd);
		store_unlock(t->s);
		log_dbg(t->s->ctx, "%s: abandoned generation %llu", t->s->path,
			(unsigned long long)t->generation);
	}
	kio_free_list(t->files, t->nfiles);
	free(t->entries);
	free(t);
	*txn = NULL;
}
