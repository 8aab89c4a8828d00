/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by cache.c (operations) and verify.c (the invariant checker). */
#ifndef CACHE_PRIVATE_H
#define CACHE_PRIVATE_H

#include <isa-l/crc.h>
#include <libpmemobj.h>
#include <limits.h>

#include "cache.h"

struct cache {
	PMEMobjpool *pop;
	struct cache_root *root;
	uint64_t *buckets;
	char path[PATH_MAX];
	bool serving;
	bool pmem;
};

int cache_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void *cache_at(struct cache *c, uint64_t off)
{
	return (char *)c->pop + off;
}

/* The bucket of @key: splitmix64's finalizer, then the low bits. */
static inline uint64_t cache_bucket(const struct cache_root *r, uint64_t key)
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return key & (r->nbuckets - 1);
}

static inline uint32_t cache_payload_crc(const void *data, uint32_t len)
{
	return crc32_iscsi((unsigned char *)data, (int)len, 0xffffffffU);
}

#endif /* CACHE_PRIVATE_H */
