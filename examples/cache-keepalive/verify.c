// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cache's own invariants, checked against what libpmemobj says is allocated:
 *
 *   - the allocated objects are exactly the root, one bucket array and the entries;
 *   - every hash chain holds only allocated entries that hash to its bucket, ends, and
 *     no key appears twice;
 *   - the LRU list runs from lru_head to lru_tail through allocated entries, each
 *     lru_prev pointing back, without a cycle;
 *   - the index, the LRU list and the allocated entries are the same set, of root.count
 *     entries, at most capacity (so nothing leaked and nothing dangles);
 *   - inserts - evictions == count (the counters change in the structure's transactions);
 *   - every payload has the CRC stored with it (no entry is half-written), and, when the
 *     caller knows how, the content its key and version call for.
 *
 * It follows only links it has found among the allocated objects, so a damaged pool
 * gives a report, not a crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache-private.h"

struct walk {
	struct cache *c;
	struct cache_report *r;
	uint64_t *offs;		/* allocated entries, sorted */
	uint64_t n;
	uint8_t *in_index;	/* per entry of offs */
	uint8_t *in_lru;
};

static void problem(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->r->problems++) {
		va_start(ap, fmt);
		vsnprintf(w->r->first, sizeof(w->r->first), fmt, ap);
		va_end(ap);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The index in w->offs of the entry at @off, or -1 when no entry starts there. */
static int64_t entry_index(struct walk *w, uint64_t off)
{
	uint64_t *p = bsearch(&off, w->offs, w->n, sizeof(*w->offs), cmp_u64);

	return p ? p - w->offs : -1;
}

static int collect_objects(struct walk *w)
{
	struct cache *c = w->c;
	const struct cache_root *root = c->root;
	uint64_t cap = 64, buckets = 0, root_off = pmemobj_root(c->pop, 0).off;
	PMEMoid o;

	w->offs = malloc(cap * sizeof(*w->offs));
	if (!w->offs)
		return -ENOMEM;
	for (o = pmemobj_first(c->pop); !OID_IS_NULL(o); o = pmemobj_next(o)) {
		uint64_t t = pmemobj_type_num(o);

		if (o.off == root_off)
			continue;
		if (t == CACHE_TYPE_BUCKETS) {
			if (o.off != root->buckets)
				problem(w, "a second bucket array at offset 0x%llx",
					(unsigned long long)o.off);
			buckets++;
			continue;
		}
		if (t != CACHE_TYPE_ENTRY) {
			problem(w, "an object of unknown type %llu at offset 0x%llx",
				(unsigned long long)t, (unsigned long long)o.off);
			continue;
		}
		if (pmemobj_alloc_usable_size(o) < sizeof(struct cache_entry) + root->block_size) {
			problem(w, "entry at offset 0x%llx is too small for a block",
				(unsigned long long)o.off);
			continue;
		}
		if (w->n == cap) {
			uint64_t *bigger = realloc(w->offs, 2 * cap * sizeof(*w->offs));

			if (!bigger)
				return -ENOMEM;
			w->offs = bigger;
			cap *= 2;
		}
		w->offs[w->n++] = o.off;
	}
	w->r->objects = w->n + buckets;
	if (buckets != 1)
		problem(w, "%llu bucket arrays allocated, 1 expected", (unsigned long long)buckets);
	qsort(w->offs, w->n, sizeof(*w->offs), cmp_u64);
	w->in_index = calloc(w->n + 1, 1);
	w->in_lru = calloc(w->n + 1, 1);
	return w->in_index && w->in_lru ? 0 : -ENOMEM;
}

static void walk_index(struct walk *w, uint64_t *keys)
{
	struct cache *c = w->c;
	const struct cache_root *root = c->root;
	uint64_t b, nkeys = 0, k;

	for (b = 0; b < root->nbuckets; b++) {
		uint64_t off = c->buckets[b];

		while (off) {
			int64_t i = entry_index(w, off);
			struct cache_entry *e;

			if (i < 0) {
				problem(w, "bucket %llu links to offset 0x%llx, not an entry",
					(unsigned long long)b, (unsigned long long)off);
				break;
			}
			if (w->in_index[i]) {
				problem(w, "entry at 0x%llx is reached twice from the index (cycle "
					"or shared chain)", (unsigned long long)off);
				break;
			}
			w->in_index[i] = 1;
			e = cache_at(c, off);
			if (cache_bucket(root, e->key) != b)
				problem(w, "block %llu is on the chain of bucket %llu, not its own",
					(unsigned long long)e->key, (unsigned long long)b);
			keys[nkeys++] = e->key;
			w->r->entries++;
			off = e->hash_next;
		}
	}
	qsort(keys, nkeys, sizeof(*keys), cmp_u64);
	for (k = 1; k < nkeys; k++)
		if (keys[k] == keys[k - 1])
			problem(w, "block %llu is cached twice", (unsigned long long)keys[k]);
}

static void walk_lru(struct walk *w)
{
	struct cache *c = w->c;
	const struct cache_root *root = c->root;
	uint64_t off = root->lru_head, prev = 0;

	while (off) {
		int64_t i = entry_index(w, off);
		struct cache_entry *e;

		if (i < 0) {
			problem(w, "the LRU list links to offset 0x%llx, not an entry",
				(unsigned long long)off);
			return;
		}
		if (w->in_lru[i]) {
			problem(w, "the LRU list has a cycle at 0x%llx", (unsigned long long)off);
			return;
		}
		w->in_lru[i] = 1;
		e = cache_at(c, off);
		if (e->lru_prev != prev)
			problem(w, "block %llu: lru_prev 0x%llx, 0x%llx expected",
				(unsigned long long)e->key, (unsigned long long)e->lru_prev,
				(unsigned long long)prev);
		w->r->lru++;
		prev = off;
		off = e->lru_next;
	}
	if (root->lru_tail != prev)
		problem(w, "lru_tail is 0x%llx, the list ends at 0x%llx",
			(unsigned long long)root->lru_tail, (unsigned long long)prev);
}

static void check_entries(struct walk *w, cache_payload_fn fn, void *arg)
{
	struct cache *c = w->c;
	uint32_t bs = c->root->block_size;
	uint64_t i;

	for (i = 0; i < w->n; i++) {
		struct cache_entry *e = cache_at(c, w->offs[i]);

		if (!w->in_index[i] || !w->in_lru[i])
			problem(w, "block %llu (entry at 0x%llx) is %s", (unsigned long long)e->key,
				(unsigned long long)w->offs[i],
				!w->in_index[i] && !w->in_lru[i] ? "allocated but unreachable "
				"(leaked)" : !w->in_index[i] ? "on the LRU list but not in the "
				"index" : "in the index but not on the LRU list");
		if (e->flags || e->reserved[0] || e->reserved[1])
			problem(w, "block %llu: reserved fields are not zero",
				(unsigned long long)e->key);
		if (cache_payload_crc(e->data, bs) != e->crc)
			problem(w, "block %llu version %llu: payload CRC 0x%08x, stored 0x%08x "
				"(half-written)", (unsigned long long)e->key,
				(unsigned long long)e->version, cache_payload_crc(e->data, bs),
				e->crc);
		else if (fn && !fn(e->key, e->version, e->data, bs, arg))
			problem(w, "block %llu version %llu: payload is not that block's content",
				(unsigned long long)e->key, (unsigned long long)e->version);
	}
}

int cache_verify(struct cache *c, cache_payload_fn fn, void *arg, struct cache_report *r)
{
	const struct cache_root *root = c->root;
	struct walk w = { .c = c, .r = r };
	uint64_t *keys = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = collect_objects(&w);
	if (!rc) {
		keys = malloc((w.n + 1) * sizeof(*keys));
		rc = keys ? 0 : -ENOMEM;
	}
	if (rc) {
		rc = cache_fail(rc, "%s: out of memory for the check", c->path);
		goto out;
	}
	walk_index(&w, keys);
	walk_lru(&w);
	check_entries(&w, fn, arg);
	if (r->entries != root->count || r->lru != root->count || w.n != root->count)
		problem(&w, "count is %llu: %llu in the index, %llu on the LRU list, %llu "
			"allocated", (unsigned long long)root->count,
			(unsigned long long)r->entries, (unsigned long long)r->lru,
			(unsigned long long)w.n);
	if (root->count > root->capacity)
		problem(&w, "%llu entries, capacity %llu", (unsigned long long)root->count,
			(unsigned long long)root->capacity);
	if (root->total.inserts - root->total.evictions != root->count)
		problem(&w, "%llu inserts - %llu evictions != %llu entries",
			(unsigned long long)root->total.inserts,
			(unsigned long long)root->total.evictions,
			(unsigned long long)root->count);
	rc = r->problems ? cache_fail(-EUCLEAN, "%s: %llu problem(s), first: %s", c->path,
				      (unsigned long long)r->problems, r->first) : 0;
out:
	free(keys);
	free(w.offs);
	free(w.in_index);
	free(w.in_lru);
	return rc;
}
