// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cache's transactional core (see cache.h, and layout.h for the pool's layout).
 *
 * The pool file is the kstate region's file.  libkstate creates the region (a plain
 * file of a fixed size, every block allocated on DAX), lists it in a sealed generation
 * of the store and, on every open, checks that it is still the file that generation
 * recorded; libpmemobj then maps that same file, with MAP_SYNC on DAX, and owns its
 * bytes.  libpmemobj cannot live inside someone else's mapping (it opens a pool by
 * path), which is why the region's file itself is the pool.
 *
 * Creating is done in this order, and a crash between two steps is undone by the next
 * create: region file, pmemobj_create(), the formatting transaction, then the kstate
 * generation that lists the region.  That commit is what makes the cache exist;
 * cache_open() refuses a region no sealed generation lists, and cache_create() removes
 * such a leftover and starts again.
 */
#include <errno.h>
#include <libkstate.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache-private.h"

void (*cache_store_hook)(void);

static __thread char errbuf[512];

const char *cache_errormsg(void)
{
	return errbuf;
}

static int vfail(int rc, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static int vfail(int rc, const char *fmt, va_list ap)
{
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	return rc;
}

static int fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vfail(rc, fmt, ap);
	va_end(ap);
	return rc;
}

int cache_fail(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vfail(rc, fmt, ap);
	va_end(ap);
	return rc;
}

/* Between two of the cache's own stores inside a transaction: see cache_store_hook. */
static inline void store_point(void)
{
	if (cache_store_hook)
		cache_store_hook();
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline struct cache_entry *entry_at(struct cache *c, uint64_t off)
{
	return off ? cache_at(c, off) : NULL;
}

static inline uint64_t off_of(struct cache *c, const void *p)
{
	return (uint64_t)((const char *)p - (const char *)c->pop);
}

static inline uint64_t *slot_of(struct cache *c, uint64_t key)
{
	return &c->buckets[cache_bucket(c->root, key)];
}

uint64_t cache_pool_size(uint64_t capacity, uint32_t block_size)
{
	/*
	 * libpmemobj 1.12 needs about 4 MiB for lanes and heap headers, then a little
	 * more than each entry (allocation header, run bitmaps, size classes).  On top:
	 * an insert allocates before the entry it evicts is freed at commit, an update's
	 * undo log (a whole entry) is too big for a lane and comes from the heap, and
	 * their churn fragments it.  The smallest pools that survived 4 x capacity mixed
	 * operations had 1.25 x the entries' bytes + 6 MiB (256 x 64K, 8192 x 4K): give
	 * 1.5 x, and room for whole runs of the entries' and undo logs' size classes
	 * (32 entries), which small caches of big blocks need.  tests/test-cache.c
	 * churns pools of several geometries.
	 */
	uint64_t entry = (sizeof(struct cache_entry) + block_size + 16 + 63) & ~63ULL;
	uint64_t heap = (capacity + 2) * entry + capacity * 2 * sizeof(uint64_t);
	uint64_t size = (6ULL << 20) + heap + heap / 2 + 32 * entry;

	return (size + (2ULL << 20) - 1) & ~((2ULL << 20) - 1);
}

/* ---------------------------------------------------------------------------------- */
/* Transactions */

static int tx_begin(struct cache *c)
{
	int rc = pmemobj_tx_begin(c->pop, NULL, TX_PARAM_NONE);

	if (rc)
		return fail(-rc, "%s: cannot begin a transaction: %s", c->path,
			    pmemobj_errormsg());
	return 0;
}

/* Snapshot a range before changing it; on failure libpmemobj aborts the transaction. */
static int tx_add(struct cache *c, const void *p, size_t len)
{
	int rc = pmemobj_tx_add_range_direct(p, len);

	if (rc)
		return fail(-rc, "%s: cannot log %zu bytes for undo: %s", c->path, len,
			    pmemobj_errormsg());
	return 0;
}

/* Commit when @rc is 0, else abort; the transaction's outcome. */
static int tx_end(struct cache *c, int rc)
{
	int err;

	if (pmemobj_tx_stage() == TX_STAGE_WORK) {
		if (rc)
			pmemobj_tx_abort(-rc);
		else
			pmemobj_tx_commit();
	}
	err = pmemobj_tx_end();
	if (err && !rc)
		rc = fail(-err, "%s: transaction aborted: %s", c->path, pmemobj_errormsg());
	return rc;
}

/* ---------------------------------------------------------------------------------- */
/* Index and LRU list, inside a transaction */

/* The entry for @key and the link that points at it (a bucket slot or a hash_next). */
static struct cache_entry *find(struct cache *c, uint64_t key, uint64_t **link)
{
	uint64_t *l = slot_of(c, key);
	uint64_t n = 0;

	while (*l && n++ <= c->root->count) {
		struct cache_entry *e = cache_at(c, *l);

		if (e->key == key) {
			if (link)
				*link = l;
			return e;
		}
		l = &e->hash_next;
	}
	return NULL;
}

/* Take @e off the LRU list. */
static int lru_unlink(struct cache *c, struct cache_entry *e)
{
	struct cache_entry *p = entry_at(c, e->lru_prev), *n = entry_at(c, e->lru_next);
	struct cache_root *r = c->root;
	int rc = 0;

	if (p) {
		rc = tx_add(c, &p->lru_next, sizeof(p->lru_next));
		if (!rc)
			p->lru_next = e->lru_next;
	} else {
		r->lru_head = e->lru_next;
	}
	store_point();
	if (!rc && n) {
		rc = tx_add(c, &n->lru_prev, sizeof(n->lru_prev));
		if (!rc)
			n->lru_prev = e->lru_prev;
	} else if (!rc) {
		r->lru_tail = e->lru_prev;
	}
	store_point();
	return rc;
}

/* Put @e (not on the list, its header already logged) at the LRU head. */
static int lru_push_head(struct cache *c, struct cache_entry *e)
{
	struct cache_root *r = c->root;
	struct cache_entry *h = entry_at(c, r->lru_head);
	uint64_t off = off_of(c, e);
	int rc = 0;

	e->lru_prev = 0;
	e->lru_next = r->lru_head;
	store_point();
	if (h) {
		rc = tx_add(c, &h->lru_prev, sizeof(h->lru_prev));
		if (!rc)
			h->lru_prev = off;
	} else {
		r->lru_tail = off;
	}
	store_point();
	r->lru_head = off;
	return rc;
}

/* Make @e the most recently used entry. */
static int lru_touch(struct cache *c, struct cache_entry *e)
{
	int rc;

	if (c->root->lru_head == off_of(c, e))
		return 0;
	rc = tx_add(c, e, sizeof(*e));
	if (!rc)
		rc = lru_unlink(c, e);
	if (!rc)
		rc = lru_push_head(c, e);
	return rc;
}

/* Remove @e from the index and the list and free it. */
static int remove_entry(struct cache *c, struct cache_entry *e)
{
	struct cache_root *r = c->root;
	uint64_t *link = NULL;
	int rc;

	if (find(c, e->key, &link) != e)
		return fail(-EUCLEAN, "%s: entry for block %llu is not on its hash chain: run "
			    "'check'", c->path, (unsigned long long)e->key);
	rc = tx_add(c, link, sizeof(*link));
	if (rc)
		return rc;
	*link = e->hash_next;
	store_point();
	rc = lru_unlink(c, e);
	if (rc)
		return rc;
	r->count--;
	r->total.evictions++;
	r->run.evictions++;
	store_point();
	rc = pmemobj_tx_free(pmemobj_oid(e));
	if (rc)
		return fail(-rc, "%s: cannot free an entry: %s", c->path, pmemobj_errormsg());
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Operations: each one transaction */

int cache_get(struct cache *c, uint64_t key, void *buf, uint64_t *version)
{
	struct cache_root *r = c->root;
	struct cache_entry *e = find(c, key, NULL);
	int rc;

	if (!e)
		return 0;
	memcpy(buf, e->data, r->block_size);
	if (version)
		*version = e->version;
	rc = tx_begin(c);
	if (rc)
		return rc;
	rc = tx_add(c, r, sizeof(*r));
	if (!rc)
		rc = lru_touch(c, e);
	if (!rc) {
		r->total.hits++;
		r->run.hits++;
		r->txns++;
	}
	rc = tx_end(c, rc);
	return rc ? rc : 1;
}

/* A new entry for @key; the caller made room. */
static int insert(struct cache *c, uint64_t key, uint64_t version, const void *data)
{
	struct cache_root *r = c->root;
	uint64_t *slot = slot_of(c, key);
	struct cache_entry *e;
	PMEMoid oid;
	int rc;

	oid = pmemobj_tx_xalloc(sizeof(*e) + r->block_size, CACHE_TYPE_ENTRY, 0);
	if (OID_IS_NULL(oid))
		return fail(-ENOSPC, "%s: cannot allocate an entry (%u bytes): %s", c->path,
			    r->block_size, pmemobj_errormsg());
	/* New in this transaction: an abort frees it, so nothing to log. */
	e = cache_at(c, oid.off);
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->version = version;
	store_point();
	memcpy(e->data, data, r->block_size);
	store_point();
	e->crc = cache_payload_crc(e->data, r->block_size);
	e->hash_next = *slot;
	store_point();
	rc = tx_add(c, slot, sizeof(*slot));
	if (rc)
		return rc;
	*slot = oid.off;
	store_point();
	rc = lru_push_head(c, e);
	if (rc)
		return rc;
	r->count++;
	r->total.inserts++;
	r->run.inserts++;
	return 0;
}

int cache_put(struct cache *c, uint64_t key, uint64_t version, const void *data,
	      unsigned int flags)
{
	struct cache_root *r = c->root;
	struct cache_entry *e = find(c, key, NULL);
	int rc;

	rc = tx_begin(c);
	if (rc)
		return rc;
	rc = tx_add(c, r, sizeof(*r));
	if (rc)
		goto out;
	if (e) {
		/* In place: the whole entry is logged, so a torn payload is rolled back. */
		rc = tx_add(c, e, sizeof(*e) + r->block_size);
		if (rc)
			goto out;
		e->version = version;
		store_point();
		memcpy(e->data, data, r->block_size);
		store_point();
		e->crc = cache_payload_crc(e->data, r->block_size);
		store_point();
		rc = lru_touch(c, e);
		r->total.updates++;
		r->run.updates++;
	} else {
		if (r->count >= r->capacity && r->lru_tail)
			rc = remove_entry(c, cache_at(c, r->lru_tail));
		if (!rc)
			rc = insert(c, key, version, data);
	}
	if (!rc && (flags & CACHE_PUT_MISS)) {
		r->total.misses++;
		r->run.misses++;
	}
	if (!rc)
		r->txns++;
out:
	return tx_end(c, rc);
}

int cache_evict(struct cache *c, uint64_t key)
{
	struct cache_entry *e = find(c, key, NULL);
	int rc;

	if (!e)
		return fail(-ENOENT, "%s: block %llu is not cached", c->path,
			    (unsigned long long)key);
	rc = tx_begin(c);
	if (rc)
		return rc;
	rc = tx_add(c, c->root, sizeof(*c->root));
	if (!rc)
		rc = remove_entry(c, e);
	if (!rc)
		c->root->txns++;
	return tx_end(c, rc);
}

bool cache_contains(struct cache *c, uint64_t key, uint64_t *version)
{
	struct cache_entry *e = find(c, key, NULL);

	if (e && version)
		*version = e->version;
	return e != NULL;
}

uint64_t cache_lru_keys(struct cache *c, uint64_t *keys, uint64_t max)
{
	struct cache_entry *e = entry_at(c, c->root->lru_head);
	uint64_t n = 0;

	while (e && n < max && n <= c->root->count) {
		keys[n++] = e->key;
		e = entry_at(c, e->lru_next);
	}
	return n;
}

uint64_t cache_capacity(struct cache *c)
{
	return c->root->capacity;
}

uint32_t cache_block_size(struct cache *c)
{
	return c->root->block_size;
}

uint64_t cache_count(struct cache *c)
{
	return c->root->count;
}

const struct cache_root *cache_root(struct cache *c)
{
	return c->root;
}

const char *cache_path(struct cache *c)
{
	return c->path;
}

/* ---------------------------------------------------------------------------------- */
/* Pools */

static int set_state(struct cache *c, bool serving)
{
	struct cache_root *r = c->root;
	int rc = tx_begin(c);

	if (rc)
		return rc;
	rc = tx_add(c, r, sizeof(*r));
	if (!rc && serving) {
		r->state = CACHE_STATE_SERVING;
		r->runs++;
		r->run_start_ns = realtime_ns();
		memset(&r->run, 0, sizeof(r->run));
	} else if (!rc) {
		r->state = CACHE_STATE_IDLE;
		r->clean_stops++;
	}
	if (!rc)
		r->txns++;
	return tx_end(c, rc);
}

static void pool_close(struct cache *c)
{
	if (c->pop)
		pmemobj_close(c->pop);
	free(c);
}

/* The root's fixed fields, before anything trusts them. */
static int root_validate(struct cache *c)
{
	struct cache_root *r = c->root;
	PMEMoid b;

	if (pmemobj_root_size(c->pop) < sizeof(*r) || r->magic != CACHE_MAGIC)
		return fail(-EUCLEAN, "%s: not a formatted cache (creating it was interrupted?)",
			    c->path);
	if (r->version != CACHE_LAYOUT_VERSION)
		return fail(-EPROTONOSUPPORT, "%s: cache layout version %u, this program "
			    "knows %u", c->path, r->version, CACHE_LAYOUT_VERSION);
	if (r->block_size < CACHE_BLOCK_MIN || r->block_size > CACHE_BLOCK_MAX ||
	    (r->block_size & (r->block_size - 1)) || !r->capacity ||
	    r->capacity > CACHE_CAPACITY_MAX || r->nbuckets < r->capacity ||
	    (r->nbuckets & (r->nbuckets - 1)) || r->nbuckets > 2 * CACHE_CAPACITY_MAX)
		return fail(-EUCLEAN, "%s: impossible geometry: capacity %llu, block size %u, "
			    "%llu buckets", c->path, (unsigned long long)r->capacity,
			    r->block_size, (unsigned long long)r->nbuckets);
	/* The format transaction allocated it first, so this stops at the first object. */
	for (b = pmemobj_first(c->pop); !OID_IS_NULL(b); b = pmemobj_next(b))
		if (pmemobj_type_num(b) == CACHE_TYPE_BUCKETS)
			break;
	if (OID_IS_NULL(b) || b.off != r->buckets ||
	    pmemobj_alloc_usable_size(b) < r->nbuckets * sizeof(uint64_t))
		return fail(-EUCLEAN, "%s: the bucket array is missing or too small", c->path);
	c->buckets = cache_at(c, r->buckets);
	return 0;
}

/* The last step of an open or a create that got to @rc: a session if asked, or close. */
static int pool_ready(struct cache *c, int rc, unsigned int flags, struct cache **out)
{
	if (!rc && (flags & CACHE_OPEN_SERVE)) {
		rc = set_state(c, true);
		c->serving = !rc;
	}
	if (rc) {
		pool_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int pool_open(const char *path, unsigned int flags, struct cache **out)
{
	struct cache *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return fail(-ENOMEM, "%s: out of memory", path);
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->pop = pmemobj_open(path, CACHE_LAYOUT);
	if (!c->pop) {
		/* libpmemobj sets errno to -1 when what it reads is inconsistent. */
		rc = errno > 0 ? -errno : -EUCLEAN;
		if (rc == -EWOULDBLOCK)
			rc = fail(-EBUSY, "%s: another process has the pool open: stop it first",
				  path);
		else
			fail(rc, "%s: libpmemobj cannot open the pool: %s", path,
			     pmemobj_errormsg());
		free(c);
		return rc;
	}
	c->root = pmemobj_direct(pmemobj_root(c->pop, 0));
	rc = c->root ? root_validate(c) : fail(-EUCLEAN, "%s: the pool has no root object "
					       "(creating it was interrupted?)", path);
	return pool_ready(c, rc, flags, out);
}

/* Format a new, empty pool: root and bucket array in one transaction. */
static int pool_format(struct cache *c, uint64_t capacity, uint32_t block_size)
{
	uint64_t nbuckets = 1;
	struct cache_root *r;
	PMEMoid b;
	int rc;

	while (nbuckets < capacity)
		nbuckets <<= 1;
	if (OID_IS_NULL(pmemobj_root(c->pop, sizeof(*r))))
		return fail(-ENOSPC, "%s: cannot allocate the root: %s", c->path,
			    pmemobj_errormsg());
	r = c->root = pmemobj_direct(pmemobj_root(c->pop, sizeof(*r)));
	rc = tx_begin(c);
	if (rc)
		return rc;
	rc = tx_add(c, r, sizeof(*r));
	if (!rc) {
		b = pmemobj_tx_zalloc(nbuckets * sizeof(uint64_t), CACHE_TYPE_BUCKETS);
		if (OID_IS_NULL(b))
			rc = fail(-ENOSPC, "%s: cannot allocate %llu buckets: %s", c->path,
				  (unsigned long long)nbuckets, pmemobj_errormsg());
	}
	if (!rc) {
		memset(r, 0, sizeof(*r));
		r->version = CACHE_LAYOUT_VERSION;
		r->block_size = block_size;
		r->capacity = capacity;
		r->nbuckets = nbuckets;
		r->buckets = b.off;
		r->created_ns = realtime_ns();
		r->magic = CACHE_MAGIC;
	}
	rc = tx_end(c, rc);
	if (!rc)
		c->buckets = cache_at(c, r->buckets);
	return rc;
}

static int check_geometry(uint64_t capacity, uint32_t block_size)
{
	if (!capacity || capacity > CACHE_CAPACITY_MAX)
		return fail(-EINVAL, "capacity %llu: give 1 to %llu blocks",
			    (unsigned long long)capacity, (unsigned long long)CACHE_CAPACITY_MAX);
	if (block_size < CACHE_BLOCK_MIN || block_size > CACHE_BLOCK_MAX ||
	    (block_size & (block_size - 1)))
		return fail(-EINVAL, "block size %u: give a power of two from %u to %u",
			    block_size, CACHE_BLOCK_MIN, CACHE_BLOCK_MAX);
	return 0;
}

/*
 * pmemobj_create() on an existing, zero-filled file of the pool's size (size 0: use the
 * file as it is); libpmemobj refuses a file that holds data.
 */
static int pool_create(const char *path, uint64_t size, uint64_t capacity,
		       uint32_t block_size, unsigned int flags, struct cache **out)
{
	struct cache *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return fail(-ENOMEM, "%s: out of memory", path);
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->pop = pmemobj_create(path, CACHE_LAYOUT, size, 0600);
	if (!c->pop) {
		rc = errno > 0 ? -errno : -EIO;
		fail(rc, "%s: libpmemobj cannot create a pool: %s", path, pmemobj_errormsg());
		free(c);
		return rc;
	}
	rc = pool_format(c, capacity, block_size);
	return pool_ready(c, rc, flags, out);
}

int cache_create_file(const char *path, uint64_t capacity, uint32_t block_size,
		      unsigned int flags, struct cache **out)
{
	int rc = check_geometry(capacity, block_size);

	if (rc)
		return rc;
	return pool_create(path, cache_pool_size(capacity, block_size), capacity, block_size,
			   flags, out);
}

int cache_open_file(const char *path, unsigned int flags, struct cache **out)
{
	return pool_open(path, flags, out);
}

int cache_close(struct cache **cp)
{
	struct cache *c = cp ? *cp : NULL;
	int rc = 0;

	if (!c)
		return 0;
	if (c->serving)
		rc = set_state(c, false);
	pool_close(c);
	*cp = NULL;
	return rc;
}

int cache_pool_check(const char *path)
{
	int rc = pmemobj_check(path, CACHE_LAYOUT);

	if (rc < 0 && errno == EWOULDBLOCK)
		return fail(-EBUSY, "%s: another process has the pool open: stop it first",
			    path);
	if (rc < 0)
		return fail(errno > 0 ? -errno : -EIO, "%s: pmemobj_check cannot read the "
			    "pool: %s", path, pmemobj_errormsg());
	if (rc == 0)
		fail(0, "%s: libpmemobj finds the pool inconsistent: %s", path,
		     pmemobj_errormsg());
	return rc;
}

/* ---------------------------------------------------------------------------------- */
/* The pool as a kstate region */

int cache_region_path(struct kstate_store *store, const char *region, char *buf,
		      size_t len)
{
	int rc = kstate_store_region_path(store, region, buf, len);

	return rc ? fail(rc, "%s", kstate_errormsg()) : 0;
}

/* The size the newest sealed generation records for @region; -ENOENT if unlisted. */
static int region_listed(struct kstate_store *store, const char *region, uint64_t *size)
{
	struct kstate_generation *g = NULL;
	int rc, i;

	rc = kstate_generation_new(store, 0, &g);
	if (rc == -ENOENT)
		return rc;
	if (rc)
		return fail(rc, "%s", kstate_errormsg());
	i = kstate_generation_find(g, KSTATE_KIND_REGION, region);
	if (i >= 0)
		*size = kstate_generation_entry_size(g, (unsigned int)i);
	kstate_generation_delete(&g);
	return i >= 0 ? 0 : -ENOENT;
}

/* Seal a generation that lists @region: from now on the cache exists. */
static int region_register(struct kstate_store *store, const char *region)
{
	struct kstate_txn *txn = NULL;
	int rc;

	rc = kstate_txn_new(store, &txn);
	if (!rc)
		rc = kstate_txn_add_region(txn, region);
	if (!rc)
		rc = kstate_txn_commit(txn);
	if (rc)
		fail(rc, "cannot list the cache region in a new generation: %s",
		     kstate_errormsg());
	kstate_txn_delete(&txn);
	return rc;
}

/*
 * Have libkstate find and check the region file: listed with @size (0: any size), a
 * plain single-link file of that size.  Its mapping is dropped at once: libpmemobj maps
 * the file itself.
 */
static int region_check(struct kstate_store *store, const char *region, uint64_t size,
			unsigned int flags, bool *pmem)
{
	struct kstate_region *r = NULL;
	int rc = kstate_region_map(store, region, size, flags, &r);

	if (rc)
		return fail(rc, "%s", kstate_errormsg());
	*pmem = kstate_region_is_pmem(r);
	kstate_region_unmap(&r);
	return 0;
}

int cache_create(struct kstate_store *store, const char *region, uint64_t capacity,
		 uint32_t block_size, unsigned int flags, struct cache **out)
{
	char path[PATH_MAX];
	uint64_t size = 0;
	bool pmem = false;
	int rc;

	rc = check_geometry(capacity, block_size);
	if (!rc)
		rc = cache_region_path(store, region, path, sizeof(path));
	if (rc)
		return rc;
	rc = region_listed(store, region, &size);
	if (rc == 0)
		return fail(-EEXIST, "%s: the store already has a cache '%s'", path, region);
	if (rc != -ENOENT)
		return rc;
	/* Not listed: a file by that name is what an interrupted create left. */
	rc = kstate_region_remove(store, region);
	if (rc && rc != -ENOENT)
		return fail(rc, "%s", kstate_errormsg());
	size = cache_pool_size(capacity, block_size);
	rc = region_check(store, region, size, KSTATE_REGION_CREATE | KSTATE_REGION_EXCL,
			  &pmem);
	if (rc)
		return rc;
	rc = pool_create(path, 0, capacity, block_size, flags, out);
	if (!rc) {
		(*out)->pmem = pmem;
		rc = region_register(store, region);
		if (rc)
			cache_close(out);
	}
	if (rc)
		kstate_region_remove(store, region);
	return rc;
}

int cache_locate(struct kstate_store *store, const char *region, char *path, size_t len,
		 bool *pmem)
{
	uint64_t size = 0;
	int rc;

	rc = cache_region_path(store, region, path, len);
	if (rc)
		return rc;
	rc = region_listed(store, region, &size);
	if (rc == -ENOENT)
		return fail(rc, "%s: no cache '%s' in this store (create one with 'run "
				  "--capacity N')", kstate_store_path(store), region);
	if (!rc)
		rc = region_check(store, region, size, 0, pmem);
	return rc;
}

int cache_open(struct kstate_store *store, const char *region, unsigned int flags,
	       struct cache **out)
{
	char path[PATH_MAX];
	bool pmem = false;
	int rc;

	rc = cache_locate(store, region, path, sizeof(path), &pmem);
	if (!rc)
		rc = pool_open(path, flags, out);
	if (!rc)
		(*out)->pmem = pmem;
	return rc;
}

bool cache_is_pmem(struct cache *c)
{
	return c->pmem;
}
