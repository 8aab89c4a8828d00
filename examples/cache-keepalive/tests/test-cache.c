// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cache's core on a scratch kstate store: the pool as a kstate region, every
 * operation's effect on the index, the LRU order and the counters, warmth across a
 * reopen, pools of several geometries under churn, and that cache_verify() and
 * pmemobj_check() notice each kind of damage.
 */
#include <libkstate.h>
#include <libpmemobj.h>

#include "cache-private.h"
#include "disk.h"
#include "helpers.h"

static const char *pool_check;	/* the pool-check program */

struct fixture {
	char *dir;
	struct kstate_ctx *ctx;
	struct kstate_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = make_tmpdir();
	assert_int_equal(kstate_ctx_new(&f->ctx), 0);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, KSTATE_STORE_CREATE, &f->store), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kstate_store_delete(&f->store);
	kstate_ctx_delete(&f->ctx);
	remove_tree(f->dir);
	free(f);
	return 0;
}

static void put_block(struct cache *c, uint64_t key, uint64_t version, unsigned int flags)
{
	uint8_t buf[CACHE_BLOCK_MAX];

	block_fill(buf, cache_block_size(c), key, version);
	assert_int_equal(cache_put(c, key, version, buf, flags), 0);
}

static void assert_verified(struct cache *c)
{
	struct cache_report r;
	int rc = cache_verify(c, block_matches, NULL, &r);

	if (rc)
		fail_msg("cache_verify: %s", cache_errormsg());
	assert_int_equal(r.entries, cache_count(c));
	assert_int_equal(r.lru, cache_count(c));
}

static void assert_lru(struct cache *c, const uint64_t *want, uint64_t n)
{
	uint64_t got[64];

	assert_int_equal(cache_lru_keys(c, got, 64), n);
	assert_memory_equal(got, want, n * sizeof(*want));
}

/* The region: created and listed by libkstate, the file is the pool. */
static void test_region(void **state)
{
	struct fixture *f = *state;
	struct kstate_generation *g = NULL;
	struct cache *c = NULL;
	char path[4096];
	struct stat st;
	int i;

	assert_int_equal(cache_create(f->store, "c1", 64, 4096, 0, &c), 0);
	assert_int_equal(cache_count(c), 0);
	assert_int_equal(cache_capacity(c), 64);
	assert_int_equal(cache_close(&c), 0);
	assert_null(c);

	assert_int_equal(cache_region_path(f->store, "c1", path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, cache_pool_size(64, 4096));
	assert_int_equal(cache_pool_check(path), 1);
	assert_int_equal(kstate_generation_new(f->store, 0, &g), 0);
	i = kstate_generation_find(g, KSTATE_KIND_REGION, "c1");
	assert_true(i >= 0);
	assert_int_equal(kstate_generation_entry_size(g, (unsigned int)i), st.st_size);
	kstate_generation_delete(&g);
	/* Listed: libkstate refuses to remove it. */
	assert_int_equal(kstate_region_remove(f->store, "c1"), -EBUSY);
	assert_int_equal(kstate_store_verify(f->store, 0), 0);

	assert_int_equal(cache_create(f->store, "c1", 64, 4096, 0, &c), -EEXIST);
	assert_int_equal(cache_open(f->store, "c1", 0, &c), 0);
	assert_int_equal(cache_close(&c), 0);
	assert_int_equal(cache_open(f->store, "nope", 0, &c), -ENOENT);
	assert_int_equal(cache_create(f->store, "bad/name", 64, 4096, 0, &c), -EINVAL);
	assert_int_equal(cache_create(f->store, "c2", 0, 4096, 0, &c), -EINVAL);
	assert_int_equal(cache_create(f->store, "c2", 64, 1000, 0, &c), -EINVAL);
	assert_int_equal(cache_create(f->store, "c2", 64, 256, 0, &c), -EINVAL);
	assert_null(c);
}

/* A create that stopped before its generation was sealed is not a cache. */
static void test_interrupted_create(void **state)
{
	struct fixture *f = *state;
	struct kstate_region *r = NULL;
	struct cache *c = NULL;

	assert_int_equal(kstate_region_map(f->store, "half", 8 << 20, KSTATE_REGION_CREATE, &r),
			 0);
	memset(kstate_region_addr(r), 0x5a, 4096);	/* whatever the crash left */
	kstate_region_unmap(&r);
	assert_int_equal(cache_open(f->store, "half", 0, &c), -ENOENT);
	assert_int_equal(cache_create(f->store, "half", 16, 4096, 0, &c), 0);
	put_block(c, 1, 0, 0);
	assert_verified(c);
	assert_int_equal(cache_close(&c), 0);
}

/* libkstate checks the file on every open: the recorded size, one link. */
static void test_region_checked(void **state)
{
	struct fixture *f = *state;
	struct cache *c = NULL;
	char path[4096], alias[4200];

	assert_int_equal(cache_create(f->store, "c", 16, 4096, 0, &c), 0);
	assert_int_equal(cache_close(&c), 0);
	assert_int_equal(cache_region_path(f->store, "c", path, sizeof(path)), 0);
	snprintf(alias, sizeof(alias), "%s.link", path);
	assert_int_equal(link(path, alias), 0);
	assert_int_equal(cache_open(f->store, "c", 0, &c), -EMLINK);
	assert_int_equal(unlink(alias), 0);
	assert_int_equal(truncate(path, (off_t)cache_pool_size(16, 4096) + 4096), 0);
	assert_int_equal(cache_open(f->store, "c", 0, &c), -EINVAL);
	assert_null(c);
}

static void test_operations(void **state)
{
	struct fixture *f = *state;
	const struct cache_root *r;
	uint8_t buf[4096], want[4096];
	struct cache *c = NULL;
	uint64_t v = 99;

	assert_int_equal(cache_create(f->store, "ops", 4, 4096, CACHE_OPEN_SERVE, &c), 0);
	r = cache_root(c);
	assert_int_equal(r->state, CACHE_STATE_SERVING);
	assert_int_equal(cache_get(c, 1, buf, &v), 0);
	assert_int_equal(v, 99);
	put_block(c, 1, 0, CACHE_PUT_MISS);
	put_block(c, 2, 0, CACHE_PUT_MISS);
	put_block(c, 3, 0, CACHE_PUT_MISS);
	assert_lru(c, (uint64_t[]){ 3, 2, 1 }, 3);
	assert_int_equal(cache_get(c, 1, buf, &v), 1);
	block_fill(want, 4096, 1, 0);
	assert_memory_equal(buf, want, 4096);
	assert_int_equal(v, 0);
	assert_lru(c, (uint64_t[]){ 1, 3, 2 }, 3);
	/* A hit on the head changes no order, but counts. */
	assert_int_equal(cache_get(c, 1, buf, NULL), 1);
	assert_lru(c, (uint64_t[]){ 1, 3, 2 }, 3);
	put_block(c, 4, 0, CACHE_PUT_MISS);
	/* Full: the least recently used (2) goes. */
	put_block(c, 5, 0, CACHE_PUT_MISS);
	assert_lru(c, (uint64_t[]){ 5, 4, 1, 3 }, 4);
	assert_false(cache_contains(c, 2, NULL));
	/* In place: new version, moved to the head, nothing evicted. */
	put_block(c, 3, 8, 0);
	assert_lru(c, (uint64_t[]){ 3, 5, 4, 1 }, 4);
	assert_true(cache_contains(c, 3, &v));
	assert_int_equal(v, 8);
	assert_int_equal(cache_get(c, 3, buf, NULL), 1);
	block_fill(want, 4096, 3, 8);
	assert_memory_equal(buf, want, 4096);
	assert_int_equal(cache_evict(c, 4), 0);
	assert_int_equal(cache_evict(c, 4), -ENOENT);
	assert_lru(c, (uint64_t[]){ 3, 5, 1 }, 3);
	assert_int_equal(cache_evict(c, 3), 0);	/* the head */
	assert_int_equal(cache_evict(c, 1), 0);	/* the tail */
	assert_lru(c, (uint64_t[]){ 5 }, 1);
	assert_int_equal(r->lru_head, r->lru_tail);
	assert_verified(c);

	assert_int_equal(r->total.hits, 3);
	assert_int_equal(r->total.misses, 5);
	assert_int_equal(r->total.inserts, 5);
	assert_int_equal(r->total.updates, 1);
	assert_int_equal(r->total.evictions, 4);
	assert_memory_equal(&r->run, &r->total, sizeof(r->total));
	assert_int_equal(cache_close(&c), 0);

	/* A second session: run counters start again, totals go on; a clean stop. */
	assert_int_equal(cache_open(f->store, "ops", CACHE_OPEN_SERVE, &c), 0);
	r = cache_root(c);
	assert_int_equal(r->runs, 2);
	assert_int_equal(r->clean_stops, 1);
	assert_int_equal(r->run.hits, 0);
	assert_int_equal(r->total.hits, 3);
	assert_int_equal(cache_get(c, 5, buf, NULL), 1);
	assert_int_equal(r->run.hits, 1);
	assert_int_equal(cache_close(&c), 0);
	assert_int_equal(cache_open(f->store, "ops", 0, &c), 0);
	assert_int_equal(cache_root(c)->state, CACHE_STATE_IDLE);
	assert_int_equal(cache_root(c)->clean_stops, 2);
	assert_int_equal(cache_close(&c), 0);
}

/* What was cached is cached after a reopen, in the same LRU order. */
static void test_warm_reopen(void **state)
{
	struct fixture *f = *state;
	uint64_t before[64], after[64], k, n;
	struct cache *c = NULL;
	uint8_t buf[512];

	assert_int_equal(cache_create(f->store, "warm", 48, 512, 0, &c), 0);
	for (k = 0; k < 100; k++)
		put_block(c, k * 7 % 61, 0, CACHE_PUT_MISS);
	n = cache_lru_keys(c, before, 64);
	assert_int_equal(n, cache_count(c));
	assert_int_equal(cache_close(&c), 0);
	assert_int_equal(cache_open(f->store, "warm", 0, &c), 0);
	assert_int_equal(cache_lru_keys(c, after, 64), n);
	assert_memory_equal(before, after, n * sizeof(*before));
	for (k = 0; k < n; k++)
		assert_int_equal(cache_get(c, before[k], buf, NULL), 1);
	assert_verified(c);
	assert_int_equal(cache_close(&c), 0);
}

/* cache_pool_size() leaves room for full caches under churn, for each geometry. */
static void test_churn(void **state)
{
	static const struct { uint64_t cap; uint32_t bs; } geo[] = {
		{ 1, 65536 }, { 3, 512 }, { 64, 65536 }, { 300, 4096 }, { 1000, 512 },
	};
	struct fixture *f = *state;
	uint8_t buf[CACHE_BLOCK_MAX];
	uint64_t rng = 42, i, k, v;
	size_t g;

	for (g = 0; g < sizeof(geo) / sizeof(geo[0]); g++) {
		struct cache *c = NULL;
		char name[32];

		snprintf(name, sizeof(name), "churn%zu", g);
		assert_int_equal(cache_create(f->store, name, geo[g].cap, geo[g].bs, 0, &c), 0);
		for (i = 0; i < 4 * geo[g].cap + 64; i++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			k = (rng >> 33) % (2 * geo[g].cap + 1);
			if ((rng >> 20) % 10 < 4) {
				v = 0;
				if (cache_contains(c, k, &v))
					v++;
				put_block(c, k, v, 0);
			} else if (cache_get(c, k, buf, NULL) == 0) {
				put_block(c, k, 0, CACHE_PUT_MISS);
			}
		}
		assert_int_equal(cache_count(c), geo[g].cap);
		assert_verified(c);
		assert_int_equal(cache_close(&c), 0);
	}
}

/* ---------------------------------------------------------------------------------- */
/* Damage: each kind is found, named, and nothing is followed blindly. */

static struct cache *damaged_pool(struct fixture *f, const char *name)
{
	struct cache *c = NULL;
	uint64_t k;

	assert_int_equal(cache_create(f->store, name, 32, 512, 0, &c), 0);
	for (k = 0; k < 40; k++)
		put_block(c, k, 0, CACHE_PUT_MISS);
	assert_verified(c);
	return c;
}

static struct cache_entry *entry_of(struct cache *c, uint64_t key)
{
	uint64_t off = c->buckets[cache_bucket(c->root, key)];

	while (off) {
		struct cache_entry *e = cache_at(c, off);

		if (e->key == key)
			return e;
		off = e->hash_next;
	}
	fail_msg("block %llu is not cached", (unsigned long long)key);
	return NULL;
}

static void assert_damage(struct cache *c, const char *what)
{
	struct cache_report r;

	assert_int_equal(cache_verify(c, block_matches, NULL, &r), -EUCLEAN);
	assert_true(r.problems > 0);
	if (!strstr(r.first, what))
		fail_msg("expected '%s', first problem: %s", what, r.first);
	assert_non_null(strstr(cache_errormsg(), what));
}

static void test_verify_finds_damage(void **state)
{
	struct fixture *f = *state;
	struct cache_entry *e;
	struct cache *c;
	PMEMoid oid;

	c = damaged_pool(f, "d1");	/* a torn payload */
	entry_of(c, 20)->data[100] ^= 1;
	assert_damage(c, "half-written");
	cache_close(&c);

	c = damaged_pool(f, "d2");	/* right CRC, wrong content */
	e = entry_of(c, 21);
	block_fill(e->data, 512, 21, 5);
	e->crc = cache_payload_crc(e->data, 512);
	assert_damage(c, "not that block's content");
	cache_close(&c);

	c = damaged_pool(f, "d3");	/* a broken back link */
	entry_of(c, 22)->lru_prev = 0;
	assert_damage(c, "lru_prev");
	cache_close(&c);

	c = damaged_pool(f, "d4");	/* an LRU cycle */
	((struct cache_entry *)cache_at(c, c->root->lru_tail))->lru_next = c->root->lru_head;
	assert_damage(c, "cycle");
	cache_close(&c);

	c = damaged_pool(f, "d5");	/* an entry on the wrong chain */
	entry_of(c, 23)->key = 1000003;
	assert_damage(c, "not its own");
	cache_close(&c);

	c = damaged_pool(f, "d6");	/* a leaked entry */
	assert_int_equal(pmemobj_zalloc(c->pop, &oid, sizeof(*e) + 512, CACHE_TYPE_ENTRY), 0);
	assert_damage(c, "leaked");
	cache_close(&c);

	c = damaged_pool(f, "d7");	/* a link into the middle of nowhere */
	c->buckets[cache_bucket(c->root, 24)] += 8;
	assert_damage(c, "not an entry");
	cache_close(&c);

	c = damaged_pool(f, "d8");	/* counters that disagree with the structure */
	c->root->total.evictions++;
	assert_damage(c, "inserts");
	cache_close(&c);

	c = damaged_pool(f, "d9");	/* a count that disagrees */
	c->root->count--;
	assert_damage(c, "count is");
	cache_close(&c);
}

/* libpmemobj's own check finds heap damage the cache never sees. */
static void test_pool_check_finds_damage(void **state)
{
	struct fixture *f = *state;
	struct cache *c = damaged_pool(f, "heap");
	char path[4096], cmd[4096];
	uint64_t zone0;
	int fd;

	snprintf(path, sizeof(path), "%s", cache_path(c));
	assert_int_equal(cache_close(&c), 0);
	assert_int_equal(cache_pool_check(path), 1);
	if (!pool_check)
		skip();
	/* The first zone header's magic (libpmemobj's ZONE_HEADER_MAGIC), after the lanes. */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	for (zone0 = 0x2000; zone0 < (8 << 20); zone0 += 1024) {
		uint32_t magic = 0;

		assert_int_equal(pread(fd, &magic, 4, (off_t)zone0), 4);
		if (magic == 0xc3f0a2d2)
			break;
	}
	assert_true(zone0 < (8 << 20));
	assert_int_equal(pwrite(fd, "\xff\xff\xff\xff", 4, (off_t)zone0), 4);
	close(fd);
	/* pool-check (see there for why not in this process) must say inconsistent. */
	snprintf(cmd, sizeof(cmd), "'%.1000s' '%.2000s'", pool_check, path);
	assert_int_equal(system(cmd), 1 << 8);
	assert_int_equal(cache_open(f->store, "heap", 0, &c), -EUCLEAN);
	assert_null(c);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_region, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warm_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_churn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_finds_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_check_finds_damage, setup, teardown),
	};

	pool_check = argc > 1 ? argv[1] : NULL;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
