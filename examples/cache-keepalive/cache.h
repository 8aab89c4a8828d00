/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The block cache's transactional core: a fixed-capacity cache of blocks (hash index,
 * LRU list, payloads) in a libpmemobj pool that is a kstate region's file.
 *
 * Every operation that changes the pool is one pmemobj transaction: a lookup that hits
 * (moves the entry to the LRU head), an insert (which evicts the LRU tail first when
 * the cache is full), an in-place update, an eviction.  A crash anywhere leaves the
 * pool as it was before or after that transaction.
 *
 * Functions return 0 (or a documented non-negative value) or a negative errno, and
 * leave a message for cache_errormsg() (per thread) that names the pool and the reason.
 * Not thread-safe: one thread per open cache.
 */
#ifndef CACHE_H
#define CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

struct cache;
struct kstate_store;

#define CACHE_REGION_DEFAULT	"cache"
#define CACHE_BLOCK_DEFAULT	4096U
#define CACHE_BLOCK_MIN		512U
#define CACHE_BLOCK_MAX		65536U
#define CACHE_CAPACITY_MAX	(1ULL << 24)

/* cache_open() flags */
#define CACHE_OPEN_SERVE	(1U << 0)	/* a 'run' session: SERVING, run counters reset */

/* cache_put() flags */
#define CACHE_PUT_MISS		(1U << 0)	/* filling after a lookup missed: count a miss */

const char *cache_errormsg(void);

/* Pool bytes for @capacity blocks of @block_size bytes (a multiple of 2 MiB). */
uint64_t cache_pool_size(uint64_t capacity, uint32_t block_size);

int cache_create(struct kstate_store *store, const char *region, uint64_t capacity,
		 uint32_t block_size, unsigned int flags, struct cache **out);
int cache_open(struct kstate_store *store, const char *region, unsigned int flags,
	       struct cache **out);
int cache_region_path(struct kstate_store *store, const char *region, char *buf,
		      size_t len);
/*
 * Without opening the pool: the region is listed in the store's newest sealed
 * generation and libkstate accepts its file (plain, one link, the recorded size).
 * Its path goes to @path; @pmem tells whether it maps as persistent memory.
 */
int cache_locate(struct kstate_store *store, const char *region, char *path, size_t len,
		 bool *pmem);

/* The same on a pool file outside any store (tests, pmempool-style tools). */
int cache_create_file(const char *path, uint64_t capacity, uint32_t block_size,
		      unsigned int flags, struct cache **out);
int cache_open_file(const char *path, unsigned int flags, struct cache **out);

int cache_close(struct cache **c);

int cache_get(struct cache *c, uint64_t key, void *buf, uint64_t *version);
int cache_put(struct cache *c, uint64_t key, uint64_t version, const void *data,
	      unsigned int flags);
int cache_evict(struct cache *c, uint64_t key);
bool cache_contains(struct cache *c, uint64_t key, uint64_t *version);

uint64_t cache_capacity(struct cache *c);
uint32_t cache_block_size(struct cache *c);
uint64_t cache_count(struct cache *c);
const struct cache_root *cache_root(struct cache *c);
const char *cache_path(struct cache *c);
bool cache_is_pmem(struct cache *c);

/*
 * The LRU order, most recent first: up to @max keys into @keys.
 * Return: the number stored.
 */
uint64_t cache_lru_keys(struct cache *c, uint64_t *keys, uint64_t max);

/* What cache_verify() found. */
struct cache_report {
	uint64_t entries;	/* entries reached from the index */
	uint64_t lru;		/* entries on the LRU list */
	uint64_t objects;	/* objects libpmemobj has allocated (root not counted) */
	uint64_t problems;	/* invariants broken */
	char first[256];	/* the first problem, "" when none */
};

/* Whether @data is the right content for block @key at @version. */
typedef bool (*cache_payload_fn)(uint64_t key, uint64_t version, const void *data,
				 uint32_t len, void *arg);

/*
 * The index/LRU invariants, the counters and every payload's CRC (and content, when
 * @fn is given): 0 when all hold, -EUCLEAN when one does not (details in @r).
 * Reads only; follows no link it has not found among the pool's allocated objects.
 */
int cache_verify(struct cache *c, cache_payload_fn fn, void *arg, struct cache_report *r);

/*
 * libpmemobj's own consistency check of a closed pool (pmemobj_check(): pool header,
 * lanes, heap).  Return: 1 consistent, 0 not, negative errno when it cannot be read.
 */
int cache_pool_check(const char *path);

/*
 * Test hook: called between the cache's own stores inside its transactions, so a test
 * can crash the process at each of them.  NULL (the default) in normal use.
 */
extern void (*cache_store_hook)(void);

#endif /* CACHE_H */
