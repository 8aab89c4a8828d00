// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A store: a directory holding "kstate.store", one manifest per generation, the record
 * files those manifests list, and regions.  See docs/format.md for the layout and the
 * commit protocol.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "private.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

int store_lock(struct kstate_store *s)
{
	int rc;

	if (s->locked)
		return 0;
	rc = kio_flock(s->dirfd, LOCK_EX);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s: cannot lock the store: %s", s->path,
				   strerror(-rc));
	s->locked = true;
	return 0;
}

void store_unlock(struct kstate_store *s)
{
	if (!s->locked)
		return;
	flock(s->dirfd, LOCK_UN);
	s->locked = false;
}

static int store_read_header(struct kstate_store *s)
{
	struct kstate_format_error fe = { 0 };
	void *buf = NULL;
	size_t len = 0;
	int rc;

	rc = kio_read_file(s->dirfd, KSTATE_STORE_HEADER_NAME, 4096, &buf, &len);
	if (rc == -ENOENT)
		return rc;
	if (rc)
		return kstate_fail(s->ctx, rc, "%s/%s: cannot read: %s", s->path,
				   KSTATE_STORE_HEADER_NAME, strerror(-rc));
	rc = kstate_store_header_decode(buf, len, &s->info, &fe);
	free(buf);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s/%s: %s (offset %llu)", s->path,
				   KSTATE_STORE_HEADER_NAME, fe.what,
				   (unsigned long long)fe.offset);
	return 0;
}

/*
 * The store header with its high-water mark raised to @last_sealed (it only moves up,
 * and only with the lock held): the commit writes it (txn.c) and then takes @info.
 */
int store_encode_header(struct kstate_store *s, uint64_t last_sealed,
			struct kstate_store_header *h, struct kstate_store_info *info)
{
	*info = s->info;
	if (last_sealed > info->last_sealed_generation)
		info->last_sealed_generation = last_sealed;
	return kstate_store_header_encode(h, info);
}

static int store_create_header(struct kstate_store *s)
{
	struct kstate_store_info info = { 0 };
	const char *step = "";
	struct kstate_store_header h;
	int rc;

	rc = kio_getrandom(info.store_uuid, sizeof(info.store_uuid));
	if (rc)
		return kstate_fail(s->ctx, rc, "%s: no random bytes for the store UUID: %s",
				   s->path, strerror(-rc));
	info.store_uuid[6] = (u8)((info.store_uuid[6] & 0x0f) | 0x40);	/* version 4 */
	info.store_uuid[8] = (u8)((info.store_uuid[8] & 0x3f) | 0x80);	/* RFC 4122 */
	info.creation_time_ns = kstate_now_ns();
	kstate_store_header_encode(&h, &info);
	rc = kio_write_durable(s->dirfd, KSTATE_STORE_HEADER_NAME, &h, sizeof(h), false, &step);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s: cannot create %s: %s: %s", s->path,
				   KSTATE_STORE_HEADER_NAME, step, strerror(-rc));
	s->info = info;
	log_info(s->ctx, "%s: created a new store", s->path);
	return 0;
}

/*
 * KSTATE_FORCE_DAX=1, for tests and benchmarks: a store on a memory-backed filesystem
 * (tmpfs, ramfs) is written as on DAX: record files mapped and filled with the
 * non-temporal stores and the drain used on persistent memory (set
 * PMEM2_FORCE_GRANULARITY=CACHE_LINE too, or libpmem2 msyncs page by page), and
 * commits with the DAX protocol.  memmap= PMEM is ordinary DRAM, so this measures what
 * a DAX store costs without a DAX filesystem.  Refused elsewhere: on a disk it would
 * skip the fsyncs that make the data durable.
 */
static bool store_force_dax(struct kstate_store *s)
{
	const char *e = secure_getenv("KSTATE_FORCE_DAX");
	struct statfs sf;

	if (!e || strcmp(e, "1") != 0)
		return false;
	if (fstatfs(s->dirfd, &sf) == 0 &&
	    (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC)) {
		log_info(s->ctx, "%s: KSTATE_FORCE_DAX: memory-backed store written as DAX",
			 s->path);
		return true;
	}
	log_warn(s->ctx, "%s: KSTATE_FORCE_DAX ignored: not a tmpfs or ramfs store", s->path);
	return false;
}

static bool store_detect_dax(struct kstate_store *s)
{
	struct statx stx;

	if (statx(s->dirfd, KSTATE_STORE_HEADER_NAME, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS,
		  &stx) < 0)
		return false;
	if ((stx.stx_attributes_mask & STATX_ATTR_DAX) && (stx.stx_attributes & STATX_ATTR_DAX))
		return true;
	return store_force_dax(s);
}

static int cmp_gen_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Manifest generations present in the directory, newest first. */
static int store_list_manifests(struct kstate_store *s, uint64_t **gens, size_t *count)
{
	char **names = NULL;
	size_t n = 0, i, k = 0;
	uint64_t *list;
	int rc;

	rc = kio_list_dir(s->dirfd, &names, &n);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s: cannot list the store: %s", s->path,
				   strerror(-rc));
	list = kio_calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		kio_free_list(names, n);
		return kstate_fail(s->ctx, -ENOMEM, "%s: out of memory", s->path);
	}
	for (i = 0; i < n; i++) {
		uint64_t g;

		if (kstate_manifest_filename_parse(names[i], &g) == 0)
			list[k++] = g;
	}
	kio_free_list(names, n);
	qsort(list, k, sizeof(*list), cmp_gen_desc);
	*gens = list;
	*count = k;
	return 0;
}

/*
 * Whether a manifest that failed to load is damaged (or hostile) rather than merely
 * unreadable right now: damage is reported and kept as evidence, an I/O error or lack
 * of memory makes the whole scan fail instead.
 */
static bool is_damage(int rc)
{
	switch (rc) {
	case -EBADMSG: case -EPROTO: case -EOPNOTSUPP: case -EOVERFLOW: case -EMSGSIZE:
	case -EUCLEAN: case -EXDEV: case -ELOOP: case -EPERM: case -EMLINK: case -EFBIG:
		return true;
	default:
		return false;
	}
}

/*
 * Find the newest valid sealed generation.  Open manifests are generations whose
 * writer has not sealed them (or crashed): they are skipped.  A manifest that fails
 * validation above the newest valid one is remembered as damaged, so that a default
 * load refuses it instead of silently going back in time.  The handle changes only
 * when the whole scan succeeds.
 */
int store_scan(struct kstate_store *s)
{
	uint64_t *gens = NULL, newest = 0, damaged = 0;
	char damaged_msg[sizeof(s->damaged_msg)] = "";
	int damaged_rc = 0;
	size_t n = 0, i;
	int rc;

	rc = store_list_manifests(s, &gens, &n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		struct kstate_manifest_info info;
		struct kstate_entry *entries = NULL;

		rc = manifest_load(s, gens[i], &info, &entries);
		free(entries);
		if (rc == -ENOENT)	/* removed by a concurrent gc */
			continue;
		if (rc && !is_damage(rc))
			goto out;
		if (rc) {
			if (!damaged) {
				damaged = gens[i];
				damaged_rc = rc;
				snprintf(damaged_msg, sizeof(damaged_msg), "%s",
					 kstate_errormsg());
			}
			continue;
		}
		if (info.state == KSTATE_MANIFEST_SEALED) {
			newest = gens[i];
			break;
		}
	}
	rc = 0;
	s->newest = newest;
	s->damaged = damaged;
	s->damaged_rc = damaged_rc;
	memcpy(s->damaged_msg, damaged_msg, sizeof(damaged_msg));
	s->highest = n ? gens[0] : 0;
out:
	free(gens);
	return rc;
}

/*
 * Whoever can write the store directory can delete, replace or plant the files the
 * next boot restores (the module refuses to bind such a directory with -EPERM).  A
 * writable open refuses a directory another user owns or that group or others may
 * write; a read-only open (inspection) only warns.
 */
static int store_check_dir(struct kstate_store *s)
{
	bool writable = !(s->flags & KSTATE_STORE_RDONLY);
	struct stat st;
	int rc;

	rc = kio_fstat(s->dirfd, &st);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s: cannot stat the store directory: %s",
				   s->path, strerror(-rc));
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		if (writable)
			return kstate_fail(s->ctx, -EPERM, "%s: store directory is owned by uid "
					   "%u, not by root or this user: chown it", s->path,
					   (unsigned int)st.st_uid);
		log_warn(s->ctx, "%s: store directory is owned by uid %u", s->path,
			 (unsigned int)st.st_uid);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		if (writable)
			return kstate_fail(s->ctx, -EPERM, "%s: store directory is writable by "
					   "%s (mode %04o): chmod go-w it (0700 is best)", s->path,
					   (st.st_mode & S_IWOTH) ? "others" : "its group",
					   (unsigned int)(st.st_mode & 07777));
		log_warn(s->ctx, "%s: store directory is writable by group or others (mode "
			 "%04o)", s->path, (unsigned int)(st.st_mode & 07777));
	}
	return 0;
}

/**
 * kstate_store_new - open a store directory
 * @ctx: library context
 * @path: the store directory; it must exist
 * @flags: %KSTATE_STORE_CREATE to make it a store if it is not one yet,
 *	%KSTATE_STORE_RDONLY to never write to it
 * @out: the store handle
 *
 * Opening reads the store header and finds the newest sealed generation; it does not
 * read member files.  Record files may live on any filesystem; on a DAX filesystem the
 * store's files are persistent memory (kstate_store_is_dax()).  For tests and
 * benchmarks, the environment variable KSTATE_FORCE_DAX=1 makes a store on tmpfs or
 * ramfs count as DAX: memory standing in for memmap= PMEM, written the way DAX is.
 *
 * Unless %KSTATE_STORE_RDONLY, the directory must be owned by root or the caller and not
 * be writable by group or others: whoever can write it controls what the next boot
 * restores.
 *
 * Return: 0, -ENOENT when @path does not exist or is not a store (without
 * %KSTATE_STORE_CREATE), -ENOTDIR, -EPERM for a directory someone else could write, or
 * another negative errno; kstate_errormsg() says why.
 */
KSTATE_EXPORT int kstate_store_new(struct kstate_ctx *ctx, const char *path,
				   unsigned int flags, struct kstate_store **out)
{
	struct kstate_store *s;
	int rc;

	if (!ctx || !path || !out)
		return kstate_fail(ctx, -EINVAL, "kstate_store_new: missing argument");
	if (flags & ~(KSTATE_STORE_CREATE | KSTATE_STORE_RDONLY) ||
	    ((flags & KSTATE_STORE_CREATE) && (flags & KSTATE_STORE_RDONLY)))
		return kstate_fail(ctx, -EINVAL, "%s: invalid store flags 0x%x", path, flags);
	s = kio_calloc(1, sizeof(*s));
	if (!s)
		return kstate_fail(ctx, -ENOMEM, "%s: out of memory", path);
	s->ctx = ctx;
	s->flags = flags;
	s->keep = KSTATE_STORE_KEEP_DEFAULT;
	s->dirfd = -1;
	s->path = kio_strdup(path);
	if (!s->path) {
		rc = kstate_fail(ctx, -ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	rc = kio_open_dir(path);
	if (rc < 0) {
		if (rc == -ENOENT)
			kstate_fail(ctx, rc, "%s: store directory does not exist: create it "
				    "(on a DAX filesystem) first", path);
		else
			kstate_fail(ctx, rc, "%s: cannot open store directory: %s", path,
				    strerror(-rc));
		goto fail;
	}
	s->dirfd = rc;
	rc = store_check_dir(s);
	if (rc)
		goto fail;
	if (flags & KSTATE_STORE_CREATE) {
		rc = store_lock(s);
		if (rc)
			goto fail;
	}
	rc = store_read_header(s);
	if (rc == -ENOENT) {
		if (flags & KSTATE_STORE_CREATE)
			rc = store_create_header(s);
		else
			kstate_fail(ctx, rc, "%s: not a kstate store (no %s): create it with "
				    "KSTATE_STORE_CREATE or 'kstate init'", path,
				    KSTATE_STORE_HEADER_NAME);
	}
	if (rc)
		goto fail;
	if (!(flags & KSTATE_STORE_RDONLY) &&
	    (s->info.ro_compat & ~KSTATE_STORE_RO_COMPAT_SUPP)) {
		/* A newer writer's feature this library would break by writing: read only. */
		rc = kstate_fail(ctx, -EROFS, "%s: the store uses read-only-compatible features "
				 "0x%x this library does not know: open it read-only", path,
				 s->info.ro_compat);
		goto fail;
	}
	s->dax = store_detect_dax(s);
	rc = store_scan(s);
	if (rc)
		goto fail;
	store_unlock(s);
	*out = s;
	return 0;
fail:
	kstate_store_delete(&s);
	return rc;
}

/**
 * kstate_store_delete - close a store
 * @store: pointer to the store; set to NULL. NULL or a pointer to NULL is fine.
 *
 * Transactions, writers, readers, generations and regions of the store must be
 * released first.
 */
KSTATE_EXPORT void kstate_store_delete(struct kstate_store **store)
{
	struct kstate_store *s;

	if (!store || !*store)
		return;
	s = *store;
	store_unlock(s);
	kio_close(s->dirfd);
	free(s->path);
	free(s);
	*store = NULL;
}

/**
 * kstate_store_path - the directory a store was opened at
 * @store: the store
 *
 * Return: the path given to kstate_store_new().
 */
KSTATE_EXPORT const char *kstate_store_path(struct kstate_store *store)
{
	return store->path;
}

/**
 * kstate_store_uuid - the store's UUID
 * @store: the store
 *
 * Return: 16 bytes, valid while the store is open.
 */
KSTATE_EXPORT const uint8_t *kstate_store_uuid(struct kstate_store *store)
{
	return store->info.store_uuid;
}

/**
 * kstate_store_is_dax - whether the store's files are DAX (persistent memory)
 * @store: the store
 *
 * Return: true when the filesystem maps the store's files directly (statx
 * STATX_ATTR_DAX on the store header).
 */
KSTATE_EXPORT bool kstate_store_is_dax(struct kstate_store *store)
{
	return store->dax;
}

/**
 * kstate_store_generation - the newest valid sealed generation
 * @store: the store
 *
 * As found by the last kstate_store_new(), kstate_store_refresh() or commit.  A newer
 * damaged manifest makes kstate_generation_new(store, 0, ...) fail even though this
 * returns the older valid one.
 *
 * Return: the generation number, 0 when there is none.
 */
KSTATE_EXPORT uint64_t kstate_store_generation(struct kstate_store *store)
{
	return store->newest;
}

/**
 * kstate_store_last_sealed - the store header's high-water mark
 * @store: the store
 *
 * Return: the highest generation this store is known to have sealed.
 */
KSTATE_EXPORT uint64_t kstate_store_last_sealed(struct kstate_store *store)
{
	return store->info.last_sealed_generation;
}

/**
 * kstate_store_set_keep - how many sealed generations a commit keeps
 * @store: the store
 * @keep: at least 1; the default is %KSTATE_STORE_KEEP_DEFAULT
 */
KSTATE_EXPORT void kstate_store_set_keep(struct kstate_store *store, unsigned int keep)
{
	store->keep = keep ? keep : 1;
}

/**
 * kstate_store_get_keep - how many sealed generations a commit keeps
 * @store: the store
 *
 * Return: the number set with kstate_store_set_keep().
 */
KSTATE_EXPORT unsigned int kstate_store_get_keep(struct kstate_store *store)
{
	return store->keep;
}

/**
 * kstate_store_refresh - re-read the store header and find the newest generation again
 * @store: the store
 *
 * Return: 0 or a negative errno.
 */
KSTATE_EXPORT int kstate_store_refresh(struct kstate_store *store)
{
	int rc = store_read_header(store);

	if (rc == -ENOENT)
		return kstate_fail(store->ctx, rc, "%s: %s disappeared", store->path,
				   KSTATE_STORE_HEADER_NAME);
	return rc ? rc : store_scan(store);
}

/**
 * kstate_store_generations - the generations that have a manifest, newest first
 * @store: the store
 * @generations: array filled with up to @capacity numbers (may be NULL if 0)
 * @capacity: size of @generations
 *
 * Sealed, open and damaged manifests are all listed; kstate_generation_new() tells
 * which is which.
 *
 * Return: the number of manifests (which may exceed @capacity), or a negative errno.
 */
KSTATE_EXPORT int kstate_store_generations(struct kstate_store *store, uint64_t *generations,
					   size_t capacity)
{
	uint64_t *gens = NULL;
	size_t n = 0, i;
	int rc;

	rc = store_list_manifests(store, &gens, &n);
	if (rc)
		return rc;
	for (i = 0; i < n && i < capacity; i++)
		generations[i] = gens[i];
	free(gens);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

/**
 * kstate_store_verify - check a generation and every file it lists
 * @store: the store
 * @generation: the generation, or 0 for the newest (refused if damaged)
 *
 * Reads every record file and checks its header, every record checksum, its
 * whole-file checksum against the manifest, and that it belongs to this store and
 * generation; checks that every region exists with its recorded size.
 *
 * Return: 0 when everything is intact, otherwise the first failure's errno, with
 * kstate_errormsg() naming the file and the reason.
 */
KSTATE_EXPORT int kstate_store_verify(struct kstate_store *store, uint64_t generation)
{
	struct kstate_generation *g = NULL;
	unsigned int i;
	int rc;

	rc = generation_open(store, generation, true, &g);
	if (rc)
		return rc;
	for (i = 0; i < g->info.entry_count && !rc; i++)
		rc = kstate_generation_verify_entry(g, i);
	kstate_generation_delete(&g);
	return rc;
}

/* ---------------------------------------------------------------------------------- */
/* Garbage collection */

struct gc_state {
	uint64_t *kept;		/* sealed generations kept */
	size_t nkept;
	uint64_t *damaged;	/* manifests that failed validation: kept as evidence */
	size_t ndamaged;
	char **referenced;	/* record file names listed by kept manifests */
	size_t nref;
};

static bool gen_in(const uint64_t *list, size_t n, uint64_t g)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

static bool name_in(char **list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* "<name>.<16 hex>.ksr": the generation, or 0 when @fname is not a record file name. */
static uint64_t records_filename_generation(const char *fname)
{
	size_t len = strlen(fname), slen = sizeof(KSTATE_RECORDS_SUFFIX) - 1;
	char manifest[KSTATE_FILENAME_MAX];
	uint64_t g;

	if (len < slen + 18 || strcmp(fname + len - slen, KSTATE_RECORDS_SUFFIX) != 0 ||
	    fname[len - slen - 17] != '.')
		return 0;
	snprintf(manifest, sizeof(manifest), KSTATE_MANIFEST_PREFIX "%.16s",
		 fname + len - slen - 16);
	return kstate_manifest_filename_parse(manifest, &g) == 0 ? g : 0;
}

static void gc_state_free(struct gc_state *st)
{
	free(st->kept);
	free(st->damaged);
	kio_free_list(st->referenced, st->nref);
}

static int gc_plan(struct kstate_store *s, unsigned int keep, const uint64_t *gens,
		   size_t n, struct gc_state *st)
{
	size_t i, j;
	int rc;

	st->kept = kio_calloc(n ? n : 1, sizeof(uint64_t));
	st->damaged = kio_calloc(n ? n : 1, sizeof(uint64_t));
	if (!st->kept || !st->damaged)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct kstate_manifest_info info;
		struct kstate_entry *entries = NULL;

		rc = manifest_load(s, gens[i], &info, &entries);
		if (rc == -ENOMEM)
			return rc;
		if (rc) {
			st->damaged[st->ndamaged++] = gens[i];
			continue;
		}
		if (info.state != KSTATE_MANIFEST_SEALED || st->nkept >= keep) {
			free(entries);
			continue;
		}
		st->kept[st->nkept++] = gens[i];
		for (j = 0; j < info.entry_count; j++) {
			char fname[KSTATE_FILENAME_MAX];
			char **bigger;

			if (entries[j].kind != KSTATE_ENTRY_RECORDS)
				continue;
			kstate_records_filename(fname, sizeof(fname), entries[j].name,
						entries[j].generation);
			bigger = kio_realloc(st->referenced, (st->nref + 1) * sizeof(char *));
			if (!bigger || !(bigger[st->nref] = kio_strdup(fname))) {
				if (bigger)
					st->referenced = bigger;
				free(entries);
				return -ENOMEM;
			}
			st->referenced = bigger;
			st->nref++;
		}
		free(entries);
	}
	return 0;
}

/*
 * Remove what no kept generation needs: sealed manifests beyond the newest @keep, open
 * manifests (with the lock held no writer is active, so they are abandoned), record
 * files no kept manifest lists, and temporary files.  Never removed: the store header,
 * regions, quarantined files, damaged manifests and the record files of their
 * generation (evidence for an operator), and anything else kstate did not name.
 *
 * With @recycle (the gc at the end of a commit) record files become spares for the
 * next writers while there are free slots (spare.c), and spares stay; no fsync
 * follows, as nothing depends on a removal being durable (a lost one is redone by the
 * next gc).  Without it (an operator's gc) spares go too, and the directory is synced.
 */
static int store_gc_run(struct kstate_store *s, unsigned int keep, bool dry_run,
			bool recycle, kstate_gc_fn fn, void *userdata)
{
	struct gc_state st = { 0 };
	uint64_t *gens = NULL;
	char **names = NULL;
	size_t n = 0, nnames = 0, i;
	unsigned int removed = 0;
	int rc;

	if (keep == 0)
		keep = 1;
	rc = store_list_manifests(s, &gens, &n);
	if (rc)
		return rc;
	rc = gc_plan(s, keep, gens, n, &st);
	if (rc)
		goto out;
	rc = kio_list_dir(s->dirfd, &names, &nnames);
	if (rc)
		goto out;
	for (i = 0; i < nnames; i++) {
		const char *f = names[i];
		uint64_t g;
		bool remove = false;

		if (strncmp(f, KSTATE_TMP_PREFIX, sizeof(KSTATE_TMP_PREFIX) - 1) == 0) {
			remove = !(recycle && spare_is_spare(f));
		} else if (kstate_manifest_filename_parse(f, &g) == 0) {
			remove = !gen_in(st.kept, st.nkept, g) &&
				 !gen_in(st.damaged, st.ndamaged, g);
		} else if ((g = records_filename_generation(f)) != 0) {
			remove = !name_in(st.referenced, st.nref, f) &&
				 !gen_in(st.damaged, st.ndamaged, g);
		}
		if (!remove)
			continue;
		if (fn)
			fn(s, f, userdata);
		if (dry_run)
			continue;
		if (recycle && records_filename_generation(f)) {
			rc = spare_put(s, f);
			if (!rc) {
				log_dbg(s->ctx, "%s: gc kept %s as a spare", s->path, f);
				continue;
			}
			if (rc != -ENOSPC && rc != -ENOENT) {
				kstate_fail(s->ctx, rc, "%s/%s: cannot keep as a spare: %s",
					    s->path, f, strerror(-rc));
				goto out;
			}
		}
		rc = kio_unlinkat(s->dirfd, f);
		if (rc && rc != -ENOENT) {
			kstate_fail(s->ctx, rc, "%s/%s: cannot remove: %s", s->path, f,
				    strerror(-rc));
			goto out;
		}
		removed++;
		log_dbg(s->ctx, "%s: gc removed %s", s->path, f);
	}
	rc = removed && !recycle ? kio_fsync(s->dirfd) : 0;
	if (rc)
		kstate_fail(s->ctx, rc, "%s: fsync after gc: %s", s->path, strerror(-rc));
out:
	if (rc == -ENOMEM)
		kstate_fail(s->ctx, rc, "%s: out of memory during gc", s->path);
	kio_free_list(names, nnames);
	gc_state_free(&st);
	free(gens);
	return rc;
}

int store_gc_locked(struct kstate_store *s, unsigned int keep)
{
	return store_gc_run(s, keep, false, true, NULL, NULL);
}

/**
 * kstate_store_gc_each - remove generations and files no longer needed, naming each
 * @store: the store; with %KSTATE_GC_DRY_RUN it may be opened %KSTATE_STORE_RDONLY
 * @keep: sealed generations to keep, newest first (0 means 1)
 * @flags: %KSTATE_GC_DRY_RUN to remove nothing and only report what would go
 * @fn: called with each file name (relative to the store) before it is removed; may be
 *	NULL
 * @userdata: passed to @fn
 *
 * Removes older sealed manifests, abandoned open manifests, record files no kept
 * generation lists, leftover temporary files and the spare files commits keep for
 * reuse (so their space is free afterwards), with the store locked.  Regions,
 * damaged manifests, quarantined files and unknown files are never removed.
 *
 * Return: 0 or a negative errno.
 */
KSTATE_EXPORT int kstate_store_gc_each(struct kstate_store *store, unsigned int keep,
				       unsigned int flags, kstate_gc_fn fn, void *userdata)
{
	bool dry_run = flags & KSTATE_GC_DRY_RUN;
	int rc;

	if (flags & ~KSTATE_GC_DRY_RUN)
		return kstate_fail(store->ctx, -EINVAL, "%s: invalid gc flags 0x%x",
				   store->path, flags);
	if (!dry_run && (store->flags & KSTATE_STORE_RDONLY))
		return kstate_fail(store->ctx, -EROFS, "%s: store opened read-only",
				   store->path);
	rc = store_lock(store);
	if (rc)
		return rc;
	rc = store_gc_run(store, keep, dry_run, false, fn, userdata);
	if (!rc && !dry_run)
		rc = store_scan(store);
	store_unlock(store);
	return rc;
}

/**
 * kstate_store_quarantine - move a refused file aside, keeping it for inspection
 * @store: the store
 * @filename: a file name in the store directory (no '/')
 *
 * The file is renamed into the store's "quarantine" directory with the current time
 * appended; nothing is deleted.  gc never touches quarantined files.
 *
 * Return: 0 or a negative errno.
 */
KSTATE_EXPORT int kstate_store_quarantine(struct kstate_store *store, const char *filename)
{
	char dest[KSTATE_FILENAME_MAX + 64];
	int qfd = -1, rc;

	if (store->flags & KSTATE_STORE_RDONLY)
		return kstate_fail(store->ctx, -EROFS, "%s: store opened read-only",
				   store->path);
	if (!filename || !*filename || strchr(filename, '/') || filename[0] == '.' ||
	    strcmp(filename, KSTATE_STORE_HEADER_NAME) == 0 ||
	    strlen(filename) >= KSTATE_FILENAME_MAX)
		return kstate_fail(store->ctx, -EINVAL, "%s: cannot quarantine '%s'",
				   store->path, filename ? filename : "");
	rc = store_lock(store);
	if (rc)
		return rc;
	rc = kio_mkdirat(store->dirfd, KSTATE_QUARANTINE_DIR, 0700);
	if (rc && rc != -EEXIST)
		goto fail;
	qfd = kio_openat(store->dirfd, KSTATE_QUARANTINE_DIR, O_RDONLY | O_DIRECTORY, 0);
	if (qfd < 0) {
		rc = qfd;
		goto fail;
	}
	snprintf(dest, sizeof(dest), "%s.%llu", filename,
		 (unsigned long long)(kstate_now_ns() / 1000000000ULL));
	rc = kio_rename_between(store->dirfd, filename, qfd, dest, false);
	if (rc)
		goto fail;
	rc = kio_fsync(qfd);
	if (!rc)
		rc = kio_fsync(store->dirfd);
	if (rc)
		goto fail;
	kio_close(qfd);
	log_info(store->ctx, "%s: quarantined %s as %s/%s", store->path, filename,
	     KSTATE_QUARANTINE_DIR, dest);
	rc = store_scan(store);
	store_unlock(store);
	return rc;
fail:
	kio_close(qfd);
	store_unlock(store);
	return kstate_fail(store->ctx, rc, "%s/%s: cannot quarantine: %s", store->path,
			   filename, strerror(-rc));
}
