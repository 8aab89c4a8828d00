// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Save benchmark: a record file of BYTES in RECORD-sized records, committed as a new
 * generation, against copying the same bytes.
 *
 * Timed per round, in rotating order:
 *   durable      kstate_txn_new to kstate_txn_commit returning: the OPEN manifest, the
 *                writer (CRC32C and copy of every byte, in one pass), its commit, the
 *                seal, the high-water mark, gc - everything a caller waits for before
 *                it may reboot;
 *   write        kstate_writer_new and every kstate_writer_add: the data path alone;
 *   memcpy-warm  memcpy() into anonymous memory touched before: the bare copy;
 *   pmem2-nt     libpmem2's non-temporal memcpy into a mapped, pre-touched file of the
 *                store's filesystem, then its drain: the fastest durable copy there is
 *                on persistent memory (with PMEM2_FORCE_GRANULARITY=CACHE_LINE on a
 *                memory-backed filesystem, the same instructions as on DAX);
 *   memcpy-fresh memcpy() into a new anonymous mapping (each page faulted in on the way),
 *                for reference.
 *
 * On a store written as DAX (a DAX filesystem, or tmpfs with KSTATE_FORCE_DAX=1) the
 * writer maps reused record files and copies with non-temporal stores; elsewhere it
 * writes into the page cache and the commit fsyncs.  The store keeps one generation,
 * so from the third commit on every round reuses the previous round's blocks, as a
 * host saving the same state again would; the untimed warm-up rounds get there.
 *
 * Copyright (c) 2026 The kstate authors
 */
#include <errno.h>
#include <fcntl.h>
#include <libpmem2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "common.h"

enum { M_DURABLE, M_WRITE, M_WARM, M_PMEM2, M_FRESH, M_COUNT };

static const char *const method_names[M_COUNT] = {
	"durable", "write", "memcpy_warm", "pmem2_nt", "memcpy_fresh",
};

static void *map_anon(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		tool_err("cannot map %llu bytes: %s", (unsigned long long)bytes, strerror(errno));
		exit(TOOL_EXIT_FAILURE);
	}
	return p;
}

static double memcpy_fresh(const void *src, uint64_t bytes)
{
	void *dst = map_anon(bytes);
	uint64_t t0 = bench_now_ns();
	double ns;

	memcpy(dst, src, bytes);
	ns = (double)(bench_now_ns() - t0);
	munmap(dst, bytes);
	return ns;
}

static double memcpy_warm(void *dst, const void *src, uint64_t bytes)
{
	uint64_t t0 = bench_now_ns();

	memcpy(dst, src, bytes);
	/* Keep the compiler from dropping a copy nobody reads. */
	__asm__ volatile("" : : "r"(dst) : "memory");
	return (double)(bench_now_ns() - t0);
}

/* The libpmem2 baseline: a file next to the store, written once, mapped for good. */
struct nt_target {
	int fd;
	struct pmem2_source *src;
	struct pmem2_map *map;
	char *addr;
	pmem2_memcpy_fn memcpy_fn;
	pmem2_drain_fn drain_fn;
	int granularity;
	char path[4096];
};

static void nt_open(struct nt_target *t, const char *dir, uint64_t bytes)
{
	struct pmem2_config *cfg = NULL;

	snprintf(t->path, sizeof(t->path), "%s.pmem2-baseline", dir);
	t->fd = open(t->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (t->fd < 0 || ftruncate(t->fd, (off_t)bytes)) {
		tool_err("%s: %s", t->path, strerror(errno));
		exit(TOOL_EXIT_FAILURE);
	}
	if (pmem2_config_new(&cfg) ||
	    pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE) ||
	    pmem2_source_from_fd(&t->src, t->fd) || pmem2_map_new(&t->map, cfg, t->src)) {
		tool_err("%s: libpmem2: %s", t->path, pmem2_errormsg());
		exit(TOOL_EXIT_FAILURE);
	}
	pmem2_config_delete(&cfg);
	t->addr = pmem2_map_get_address(t->map);
	t->memcpy_fn = pmem2_get_memcpy_fn(t->map);
	t->drain_fn = pmem2_get_drain_fn(t->map);
	t->granularity = (int)pmem2_map_get_store_granularity(t->map);
	/* Pre-touched, as the writer's reused blocks are. */
	memset(t->addr, 1, bytes);
	pmem2_get_persist_fn(t->map)(t->addr, bytes);
}

static double nt_copy(struct nt_target *t, const void *src, uint64_t bytes)
{
	uint64_t t0 = bench_now_ns();

	t->memcpy_fn(t->addr, src, bytes, PMEM2_F_MEM_NONTEMPORAL | PMEM2_F_MEM_NODRAIN);
	t->drain_fn();
	return (double)(bench_now_ns() - t0);
}

static void nt_close(struct nt_target *t)
{
	pmem2_map_delete(&t->map);
	pmem2_source_delete(&t->src);
	close(t->fd);
	unlink(t->path);
}

static void save_once(struct kstate_store *s, const char *src, const struct bench_opts *o,
		      double *write_ns, double *durable_ns)
{
	struct kstate_writer *w = NULL;
	struct kstate_txn *txn = NULL;
	uint64_t t0, tw0, tw1, off;
	int rc;

	t0 = bench_now_ns();
	rc = kstate_txn_new(s, &txn);
	if (rc)
		bench_die("new transaction", rc);
	tw0 = bench_now_ns();
	rc = kstate_writer_new(s, txn, "bench", 1, &w);
	if (rc)
		bench_die("new writer", rc);
	for (off = 0; off < o->bytes; off += o->record) {
		size_t n = o->bytes - off < o->record ? o->bytes - off : o->record;

		rc = kstate_writer_add(w, 1, 0, src + off, n);
		if (rc)
			bench_die("add record", rc);
	}
	tw1 = bench_now_ns();
	rc = kstate_writer_commit(w);
	if (!rc)
		rc = kstate_txn_commit(txn);
	if (rc)
		bench_die("commit", rc);
	*durable_ns = (double)(bench_now_ns() - t0);
	*write_ns = (double)(tw1 - tw0);
	kstate_writer_delete(&w);
	kstate_txn_delete(&txn);
}

/*
 * The store, keeping one generation (old record files go at each commit, as on a real
 * host), and @o->bytes of source data.
 */
static char *save_setup(struct kstate_ctx *ctx, const struct bench_opts *o, uint64_t seed,
			struct kstate_store **s)
{
	char *src;
	int rc;

	rc = bench_store_create(ctx, o->dir, s);
	if (rc)
		bench_die(o->dir, rc);
	kstate_store_set_keep(*s, 1);
	src = map_anon(o->bytes);
	bench_fill(src, o->bytes, seed);
	return src;
}

int bench_save(struct kstate_ctx *ctx, const struct bench_opts *o)
{
	static double ns[M_COUNT][BENCH_MAX_REPS];
	double med[M_COUNT], dummy, gb = (double)o->bytes;
	unsigned int rep, k, m, reps = o->reps;
	FILE *csv = bench_csv_open(o->csv, "rep,method,bytes,ns");
	struct json_object *out, *methods, *ratios;
	struct kstate_store *s = NULL;
	struct nt_target nt = { .fd = -1 };
	char *src, *warm;

	src = save_setup(ctx, o, 42, &s);
	warm = map_anon(o->bytes);
	memset(warm, 1, o->bytes);
	nt_open(&nt, o->dir, o->bytes);
	/* Untimed: three commits reach the steady state (a reused file), and a warm-up. */
	for (k = 0; k < 3; k++)
		save_once(s, src, o, &dummy, &dummy);
	nt_copy(&nt, src, o->bytes);
	memcpy_fresh(src, o->bytes);
	for (rep = 0; rep < reps; rep++) {
		for (k = 0; k < 4; k++) {
			switch ((k + rep) % 4) {
			case 0:
				save_once(s, src, o, &ns[M_WRITE][rep], &ns[M_DURABLE][rep]);
				break;
			case 1:
				ns[M_WARM][rep] = memcpy_warm(warm, src, o->bytes);
				break;
			case 2:
				ns[M_PMEM2][rep] = nt_copy(&nt, src, o->bytes);
				break;
			default:
				ns[M_FRESH][rep] = memcpy_fresh(src, o->bytes);
				break;
			}
		}
		if (csv)
			for (m = 0; m < M_COUNT; m++)
				fprintf(csv, "%u,%s,%llu,%.0f\n", rep, method_names[m],
					(unsigned long long)o->bytes, ns[m][rep]);
	}
	if (csv)
		fclose(csv);
	out = json_object_new_object();
	methods = json_object_new_object();
	for (m = 0; m < M_COUNT; m++) {
		struct json_object *j = bench_stat_json(ns[m], reps, &med[m]);

		json_object_object_add(j, "gb_per_s", json_object_new_double(gb / med[m]));
		json_object_object_add(methods, method_names[m], j);
	}
	ratios = json_object_new_object();
	json_object_object_add(ratios, "durable_vs_memcpy_warm",
			       json_object_new_double(med[M_WARM] / med[M_DURABLE]));
	json_object_object_add(ratios, "durable_vs_pmem2_nt",
			       json_object_new_double(med[M_PMEM2] / med[M_DURABLE]));
	json_object_object_add(ratios, "write_vs_memcpy_warm",
			       json_object_new_double(med[M_WARM] / med[M_WRITE]));
	json_object_object_add(ratios, "pmem2_nt_vs_memcpy_warm",
			       json_object_new_double(med[M_WARM] / med[M_PMEM2]));
	json_object_object_add(out, "measure", json_object_new_string("save"));
	json_object_object_add(out, "store_is_dax", json_object_new_boolean(kstate_store_is_dax(s)));
	json_object_object_add(out, "pmem2_granularity",
			       json_object_new_string(nt.granularity == PMEM2_GRANULARITY_BYTE ?
						      "byte" : nt.granularity ==
						      PMEM2_GRANULARITY_CACHE_LINE ?
						      "cache-line" : "page"));
	json_object_object_add(out, "bytes", json_object_new_int64((int64_t)o->bytes));
	json_object_object_add(out, "record_bytes", json_object_new_int64((int64_t)o->record));
	json_object_object_add(out, "reps", json_object_new_int((int)reps));
	json_object_object_add(out, "methods", methods);
	json_object_object_add(out, "ratios", ratios);
	tool_json_print(&out);
	nt_close(&nt);
	munmap(src, o->bytes);
	munmap(warm, o->bytes);
	kstate_store_delete(&s);
	return 0;
}

/*
 * Only commits, N of them, on a store a save run already brought to the steady state:
 * what a VM lab scenario wraps in its syscall and journal counters.
 */
int bench_commit(struct kstate_ctx *ctx, const struct bench_opts *o)
{
	static double ns[BENCH_MAX_REPS], wr[BENCH_MAX_REPS];
	struct kstate_store *s = NULL;
	struct json_object *out;
	unsigned int rep;
	double med;
	char *src;

	src = save_setup(ctx, o, 43, &s);
	for (rep = 0; rep < o->reps; rep++)
		save_once(s, src, o, &wr[rep], &ns[rep]);
	out = json_object_new_object();
	json_object_object_add(out, "measure", json_object_new_string("commit"));
	json_object_object_add(out, "store_is_dax", json_object_new_boolean(kstate_store_is_dax(s)));
	json_object_object_add(out, "commits", json_object_new_int((int)o->reps));
	json_object_object_add(out, "bytes", json_object_new_int64((int64_t)o->bytes));
	json_object_object_add(out, "record_bytes", json_object_new_int64((int64_t)o->record));
	json_object_object_add(out, "durable", bench_stat_json(ns, o->reps, &med));
	tool_json_print(&out);
	munmap(src, o->bytes);
	kstate_store_delete(&s);
	return 0;
}
