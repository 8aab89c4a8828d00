// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Regions: a named file of the store mapped shared, changed in place.
 *
 * libpmem2 (loaded on first use, see pmem2_dl.h) maps the file: on a DAX filesystem
 * with MAP_SYNC, so stores reach persistent memory with a CPU cache flush and no fsync;
 * elsewhere with page granularity, where persisting means msync.  Mapping an existing region reads, copies
 * and checksums nothing, so it costs the same for 64 MiB as for 64 GiB.  libpmem2
 * aligns the mapping to 2 MiB (1 GiB for large ones) so fsdax can use huge mappings.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "pmem2_dl.h"
#include "private.h"

#define REGION_ALIGN 4096ULL

struct kstate_region {
	struct kstate_store *s;
	char name[KSTATE_NAME_LEN];
	int fd;
	struct pmem2_source *src;
	struct pmem2_map *map;
	pmem2_persist_fn persist;
	void *addr;
	uint64_t size;
	bool pmem;
	bool created;
};

/*
 * libpmem2 returns either a negative errno or one of its own PMEM2_E_* codes, all
 * below -100000 (pmem2_err_to_errno() is declared but not exported by 1.12).
 */
int kstate_pmem2_fail(struct kstate_store *s, const char *fname, const char *what, int rc)
{
	int e = rc > -4096 ? rc : -EINVAL;

	if (rc == PMEM2_E_LENGTH_OUT_OF_RANGE || rc == PMEM2_E_SOURCE_EMPTY)
		e = -EINVAL;
	if (e >= 0)
		e = -EIO;
	return kstate_fail(s->ctx, e, "%s/%s: %s: %s", s->path, fname, what, pmem2_errormsg());
}

/* Open an existing region file, or create it when asked to. */
static int region_open_file(struct kstate_region *r, const char *fname, uint64_t size,
			    unsigned int flags)
{
	struct kstate_store *s = r->s;
	uint64_t cur = 0;
	int fd, rc;

	fd = -ENOENT;
	if (!(flags & KSTATE_REGION_EXCL))
		fd = kio_openat(s->dirfd, fname, O_RDWR | O_NONBLOCK, 0);
	if (fd == -ENOENT && (flags & KSTATE_REGION_CREATE)) {
		if (size == 0 || size % REGION_ALIGN)
			return kstate_fail(s->ctx, -EINVAL, "%s/%s: a new region needs a size "
					   "that is a non-zero multiple of 4096, not %llu",
					   s->path, fname, (unsigned long long)size);
		fd = kio_openat(s->dirfd, fname, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0)
			r->created = true;
	}
	if (fd < 0)
		return kstate_fail(s->ctx, fd, "%s/%s: %s", s->path, fname,
				   fd == -ENOENT ? "no such region" :
				   fd == -EEXIST ? "region already exists" : strerror(-fd));
	r->fd = fd;
	if (r->created) {
		/*
		 * On DAX, allocate every block now so no page fault has to allocate
		 * (and, with MAP_SYNC, wait for a journal commit); elsewhere a sparse
		 * file costs nothing until written.
		 */
		rc = s->dax ? kio_fallocate(fd, size) : kio_ftruncate(fd, size);
		if (!rc)
			rc = kio_fsync(fd);
		if (!rc)
			rc = kio_fsync(s->dirfd);
		if (rc)
			return kstate_fail(s->ctx, rc, "%s/%s: cannot size to %llu bytes: %s",
					   s->path, fname, (unsigned long long)size,
					   strerror(-rc));
		r->size = size;
		return 0;
	}
	rc = kio_fstat_regular(fd, &cur);
	if (rc)
		return kstate_fail(s->ctx, rc, "%s/%s: %s", s->path, fname,
				   rc == -EPERM ? "not a plain file" :
				   rc == -EMLINK ? "has more than one link" : strerror(-rc));
	if (cur == 0 || cur % REGION_ALIGN)
		return kstate_fail(s->ctx, -EUCLEAN, "%s/%s: region size %llu is not a non-zero "
				   "multiple of 4096", s->path, fname, (unsigned long long)cur);
	if (size && size != cur)
		return kstate_fail(s->ctx, -EINVAL, "%s/%s: region has %llu bytes, not %llu",
				   s->path, fname, (unsigned long long)cur,
				   (unsigned long long)size);
	r->size = cur;
	return 0;
}

/**
 * kstate_region_map - map a region into this process
 * @store: the store, opened writable
 * @name: region name: 1 to 31 characters of [A-Za-z0-9_-], first a letter or digit
 * @size: size in bytes, a multiple of 4096; 0 to map an existing region at its size
 * @flags: %KSTATE_REGION_CREATE to create a missing region (zero-filled),
 *	%KSTATE_REGION_EXCL with it to insist on a new one
 * @out: the region
 *
 * Mapping an existing region costs O(1): nothing is read, copied or checksummed.
 *
 * Return: 0, -ENOENT (no such region), -EEXIST (with EXCL), -EINVAL (bad name, or a
 * size different from the existing region's), or another negative errno.
 */
KSTATE_EXPORT int kstate_region_map(struct kstate_store *store, const char *name,
				    uint64_t size, unsigned int flags,
				    struct kstate_region **out)
{
	char fname[KSTATE_FILENAME_MAX];
	struct pmem2_config *cfg = NULL;
	struct kstate_region *r;
	int rc;

	if (store->flags & KSTATE_STORE_RDONLY)
		return kstate_fail(store->ctx, -EROFS, "%s: store opened read-only",
				   store->path);
	if (!name || kstate_region_filename(fname, sizeof(fname), name))
		return kstate_fail(store->ctx, -EINVAL, "invalid region name '%s': use 1 to 31 "
				   "of [A-Za-z0-9_-], starting with a letter or digit",
				   name ? name : "");
	if (flags & ~(KSTATE_REGION_CREATE | KSTATE_REGION_EXCL) ||
	    ((flags & KSTATE_REGION_EXCL) && !(flags & KSTATE_REGION_CREATE)))
		return kstate_fail(store->ctx, -EINVAL, "%s: invalid region flags 0x%x", name,
				   flags);
	rc = kstate_pmem2_load(store->ctx);
	if (rc)
		return rc;
	r = kio_calloc(1, sizeof(*r));
	if (!r)
		return kstate_fail(store->ctx, -ENOMEM, "%s: out of memory", store->path);
	r->s = store;
	r->fd = -1;
	snprintf(r->name, sizeof(r->name), "%s", name);
	rc = region_open_file(r, fname, size, flags);
	if (rc)
		goto fail;

	rc = kio_fault_point();
	if (!rc)
		rc = pmem2_config_new(&cfg);
	if (rc) {
		rc = kstate_pmem2_fail(store, fname, "pmem2_config_new", rc);
		goto fail;
	}
	rc = pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE);
	if (!rc)
		rc = kio_fault_point();
	if (!rc)
		rc = pmem2_source_from_fd(&r->src, r->fd);
	if (rc) {
		rc = kstate_pmem2_fail(store, fname, "pmem2 source", rc);
		goto fail;
	}
	rc = kio_fault_point();
	if (!rc)
		rc = pmem2_map_new(&r->map, cfg, r->src);
	if (rc) {
		rc = kstate_pmem2_fail(store, fname, "pmem2_map_new", rc);
		goto fail;
	}
	pmem2_config_delete(&cfg);
	r->addr = pmem2_map_get_address(r->map);
	r->persist = pmem2_get_persist_fn(r->map);
	r->pmem = pmem2_map_get_store_granularity(r->map) != PMEM2_GRANULARITY_PAGE;
	log_dbg(store->ctx, "%s/%s: mapped %llu bytes at %p (%s)", store->path, fname,
		(unsigned long long)r->size, r->addr,
		r->pmem ? "persistent memory, MAP_SYNC" : "page cache");
	*out = r;
	return 0;
fail:
	pmem2_config_delete(&cfg);
	if (r->created)
		unlinkat(store->dirfd, fname, 0);
	kstate_region_unmap(&r);
	return rc;
}

/**
 * kstate_region_unmap - unmap a region
 * @region: pointer to the region; set to NULL. NULL or a pointer to NULL is fine.
 *
 * Stores not yet persisted with kstate_region_persist() may be lost on a crash.
 */
KSTATE_EXPORT void kstate_region_unmap(struct kstate_region **region)
{
	struct kstate_region *r;

	if (!region || !*region)
		return;
	r = *region;
	if (r->map)
		pmem2_map_delete(&r->map);
	if (r->src)
		pmem2_source_delete(&r->src);
	kio_close(r->fd);
	free(r);
	*region = NULL;
}

/**
 * kstate_region_addr - where the region is mapped
 * @region: the region
 *
 * Return: the first byte, aligned to at least 2 MiB.
 */
KSTATE_EXPORT void *kstate_region_addr(struct kstate_region *region)
{
	return region->addr;
}

/**
 * kstate_region_size - the region's size
 * @region: the region
 *
 * Return: bytes.
 */
KSTATE_EXPORT uint64_t kstate_region_size(struct kstate_region *region)
{
	return region->size;
}

/**
 * kstate_region_name - the region's name
 * @region: the region
 *
 * Return: the name.
 */
KSTATE_EXPORT const char *kstate_region_name(struct kstate_region *region)
{
	return region->name;
}

/**
 * kstate_region_is_pmem - whether stores go straight to persistent memory
 * @region: the region
 *
 * Return: true for a DAX mapping with MAP_SYNC (persisting is a cache flush), false
 * for a page-cache mapping (persisting is msync).
 */
KSTATE_EXPORT bool kstate_region_is_pmem(struct kstate_region *region)
{
	return region->pmem;
}

/**
 * kstate_region_is_new - whether kstate_region_map() created the region
 * @region: the region
 *
 * Return: true for a new, zero-filled region; false when an existing one was mapped.
 */
KSTATE_EXPORT bool kstate_region_is_new(struct kstate_region *region)
{
	return region->created;
}

/**
 * kstate_region_persist - make a range of the region durable
 * @region: the region
 * @offset: first byte
 * @length: bytes
 *
 * Uses libpmem2: a cache flush and fence on persistent memory, msync otherwise.
 *
 * Return: 0, -EINVAL for a range outside the region, or the msync error.
 */
KSTATE_EXPORT int kstate_region_persist(struct kstate_region *region, uint64_t offset,
					uint64_t length)
{
	int rc;

	if (offset > region->size || length > region->size - offset)
		return kstate_fail(region->s->ctx, -EINVAL, "%s: range %llu+%llu outside the "
				   "region's %llu bytes", region->name,
				   (unsigned long long)offset, (unsigned long long)length,
				   (unsigned long long)region->size);
	if (region->pmem) {
		region->persist((char *)region->addr + offset, length);
		return 0;
	}
	/*
	 * A page-cache mapping needs msync.  Not pmem2_deep_flush(): libpmem2 1.12 does
	 * nothing there for a regular file mapped with page granularity, so the data
	 * would stay dirty in the page cache.  Not pmem2's persist function either: it
	 * msyncs but cannot report an error.
	 */
	rc = kio_msync((char *)region->addr + offset, length);
	if (rc)
		return kstate_fail(region->s->ctx, rc, "%s/%s: msync: %s", region->s->path,
				   region->name, strerror(-rc));
	return 0;
}

/**
 * kstate_region_remove - delete a region's file
 * @store: the store, opened writable
 * @name: region name
 *
 * Refused while the newest sealed generation lists the region: commit a generation
 * without it first (kstate_txn_remove()), so nothing sealed is ever lost.
 *
 * Return: 0, -ENOENT, -EBUSY, or another negative errno.
 */
KSTATE_EXPORT int kstate_region_remove(struct kstate_store *store, const char *name)
{
	struct kstate_manifest_info info;
	struct kstate_entry *entries = NULL;
	char fname[KSTATE_FILENAME_MAX];
	u32 i;
	int rc;

	if (store->flags & KSTATE_STORE_RDONLY)
		return kstate_fail(store->ctx, -EROFS, "%s: store opened read-only",
				   store->path);
	if (!name || kstate_region_filename(fname, sizeof(fname), name))
		return kstate_fail(store->ctx, -EINVAL, "invalid region name '%s'",
				   name ? name : "");
	rc = store_lock(store);
	if (rc)
		return rc;
	rc = store_scan(store);
	if (!rc && store->newest)
		rc = manifest_load(store, store->newest, &info, &entries);
	if (rc)
		goto out;
	for (i = 0; store->newest && i < info.entry_count; i++) {
		if (entries[i].kind == KSTATE_ENTRY_REGION && !strcmp(entries[i].name, name)) {
			rc = kstate_fail(store->ctx, -EBUSY, "%s/%s: listed by sealed generation "
					 "%llu: commit a generation without it first",
					 store->path, fname, (unsigned long long)store->newest);
			goto out;
		}
	}
	rc = kio_unlinkat(store->dirfd, fname);
	if (!rc)
		rc = kio_fsync(store->dirfd);
	if (rc)
		kstate_fail(store->ctx, rc, "%s/%s: cannot remove: %s", store->path, fname,
			    strerror(-rc));
out:
	free(entries);
	store_unlock(store);
	return rc;
}

/**
 * kstate_store_region_path - the path of a region's file
 * @store: the store (read-only is fine)
 * @name: region name
 * @buf: where the path goes
 * @len: size of @buf
 *
 * For programs that map the region themselves or hand it to another one, such as a
 * VMM given guest RAM as a file.  The region need not exist.
 *
 * Return: 0, -EINVAL for an invalid name, -ENAMETOOLONG when @buf is too small.
 */
KSTATE_EXPORT int kstate_store_region_path(struct kstate_store *store, const char *name,
					   char *buf, size_t len)
{
	char fname[KSTATE_FILENAME_MAX];
	int n;

	if (!name || kstate_region_filename(fname, sizeof(fname), name))
		return kstate_fail(store->ctx, -EINVAL, "invalid region name '%s': use 1 to 31 "
				   "of [A-Za-z0-9_-], starting with a letter or digit",
				   name ? name : "");
	n = snprintf(buf, len, "%s/%s", store->path, fname);
	if (n < 0 || (size_t)n >= len)
		return kstate_fail(store->ctx, -ENAMETOOLONG, "%s/%s: path longer than %zu bytes",
				   store->path, fname, len);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/**
 * kstate_store_region_each - call a function for every region file of the store
 * @store: the store (read-only is fine)
 * @fn: called with each region's name, in name order
 * @userdata: passed to @fn
 *
 * Lists region files whether or not a generation lists them; a file whose name ends
 * in the region suffix but is not a valid region name is left out.  Sizes and types
 * are not checked here: kstate_region_map() and kstate_store_verify() do that.
 *
 * Return: the number of regions, or a negative errno.
 */
KSTATE_EXPORT int kstate_store_region_each(struct kstate_store *store, kstate_region_fn fn,
					   void *userdata)
{
	const size_t suffix = strlen(KSTATE_REGION_SUFFIX);
	char **names = NULL;
	size_t count = 0, i, len;
	int rc, n = 0;

	rc = kio_list_dir(store->dirfd, &names, &count);
	if (rc)
		return kstate_fail(store->ctx, rc, "%s: cannot list: %s", store->path,
				   strerror(-rc));
	qsort(names, count, sizeof(*names), name_cmp);
	for (i = 0; i < count; i++) {
		len = strlen(names[i]);
		if (len <= suffix || strcmp(names[i] + len - suffix, KSTATE_REGION_SUFFIX))
			continue;
		names[i][len - suffix] = '\0';
		if (!kstate_name_valid(names[i]))
			continue;
		n++;
		if (fn)
			fn(store, names[i], userdata);
	}
	kio_free_list(names, count);
	return n;
}
