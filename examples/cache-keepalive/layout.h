/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DOC: the cache's persistent layout (libpmemobj layout "kstate-cache", version 1)
 *
 * This is a contract with every pool written so far: a change to a structure below
 * needs a new CACHE_LAYOUT_VERSION and code that refuses (or converts) the old one.
 * All fields are little-endian (the pool is only ever used on x86-64), naturally
 * aligned, with explicit reserved space, no pointers: a link is a pool offset
 * (PMEMoid.off of an object in this pool), 0 meaning none.
 *
 * Objects in the pool:
 *   root        struct cache_root (pmemobj_root)
 *   buckets     uint64_t[nbuckets], type CACHE_TYPE_BUCKETS: the hash index, each slot
 *               the offset of the first entry of its chain
 *   entries     struct cache_entry + block_size bytes of payload, type CACHE_TYPE_ENTRY,
 *               one per cached block, on one hash chain and on the LRU list
 *
 * Every change to these objects happens inside one pmemobj transaction (undo log), so
 * after a crash at any instruction libpmemobj's recovery, which runs in pmemobj_open(),
 * leaves the state before or after that transaction, never a mix.
 */
#ifndef CACHE_LAYOUT_H
#define CACHE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_LAYOUT		"kstate-cache"		/* pmemobj layout name */
#define CACHE_MAGIC		0x314548434143534bULL	/* "KSCACHE1" little-endian */
#define CACHE_LAYOUT_VERSION	1

#define CACHE_TYPE_ENTRY	1	/* pmemobj type numbers */
#define CACHE_TYPE_BUCKETS	2

#define CACHE_STATE_IDLE	0	/* no 'run' has the pool open */
#define CACHE_STATE_SERVING	1	/* a 'run' is serving; still set after a crash */

/* Counters, updated inside the transaction of the operation they count. */
struct cache_counters {
	uint64_t hits;		/* lookups that found the block */
	uint64_t misses;	/* blocks inserted after a lookup missed */
	uint64_t inserts;	/* entries created (misses and writes of uncached blocks) */
	uint64_t updates;	/* payloads rewritten in place */
	uint64_t evictions;	/* entries removed (LRU victims and explicit evictions) */
	uint64_t reserved[3];
};

struct cache_root {
	uint64_t magic;		/* CACHE_MAGIC once formatted; 0 in a new pool */
	uint32_t version;	/* CACHE_LAYOUT_VERSION */
	uint32_t block_size;	/* payload bytes per entry */
	uint64_t capacity;	/* most entries the cache holds */
	uint64_t nbuckets;	/* hash slots: a power of two >= capacity */
	uint64_t buckets;	/* offset of the bucket array */
	uint64_t count;		/* entries now */
	uint64_t lru_head;	/* most recently used entry */
	uint64_t lru_tail;	/* least recently used entry: evicted first */
	uint64_t txns;		/* transactions committed since the pool was formatted */
	uint64_t state;		/* CACHE_STATE_* */
	uint64_t created_ns;	/* CLOCK_REALTIME when formatted */
	uint64_t runs;		/* 'run' sessions started */
	uint64_t clean_stops;	/* 'run' sessions that ended with CACHE_STATE_IDLE */
	uint64_t run_start_ns;	/* CLOCK_REALTIME when the last session started */
	uint64_t reserved[18];
	struct cache_counters total;	/* since the pool was formatted */
	struct cache_counters run;	/* since the last session started */
};

struct cache_entry {
	uint64_t key;		/* block number */
	uint64_t version;	/* payload version: content is f(key, version) on the disk */
	uint64_t hash_next;	/* next entry on the same hash chain */
	uint64_t lru_prev;	/* toward the head (more recently used) */
	uint64_t lru_next;	/* toward the tail (less recently used) */
	uint32_t crc;		/* CRC32C (iSCSI) of the payload */
	uint32_t flags;		/* none defined: 0 */
	uint64_t reserved[2];
	uint8_t data[];		/* block_size bytes */
};

_Static_assert(sizeof(struct cache_counters) == 64, "cache_counters layout");
_Static_assert(offsetof(struct cache_root, total) == 256, "cache_root layout");
_Static_assert(sizeof(struct cache_root) == 384, "cache_root layout");
_Static_assert(offsetof(struct cache_entry, crc) == 40, "cache_entry layout");
_Static_assert(sizeof(struct cache_entry) == 64, "cache_entry layout");

#endif /* CACHE_LAYOUT_H */
