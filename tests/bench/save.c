// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Save benchmark: a record file of BYTES in RECORD-sized records through
 * kstate_writer_add() and commit, against memcpy() of the same bytes.
 *
 * Three things are timed per round, in rotating order:
 *   write    kstate_writer_new + every kstate_writer_add: pwritev() into the file and
 *            CRC32C (ISA-L) of every byte - the throughput of the save path;
 *   durable  from kstate_txn_new to kstate_txn_commit returning: the write path plus
 *            the OPEN manifest, header, fsyncs, rename, seal and gc - what a caller
 *            waits for before it may reboot;
 *   memcpy   the same bytes into freshly mapped anonymous memory (the pages are
 *            allocated on the way, as the page cache allocates them for the write),
 *            and into memory touched before (the bare copy).
 *
 * Copyright (c) 2026 The kstate authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "common.h"

static void *map_anon(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		tool_err("cannot map %llu bytes: %s",
			(unsigned long long)bytes, strerror(errno));
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

int bench_save(struct kstate_ctx *ctx, const struct bench_opts *o)
{
	double wr[BENCH_MAX_REPS], du[BENCH_MAX_REPS], mf[BENCH_MAX_REPS], mw[BENCH_MAX_REPS], m_wr, m_du, m_mf, m_mw, gb = (double)o->bytes;
	unsigned int rep, k, reps = o->reps;
	FILE *csv = bench_csv_open(o->csv, "rep,method,bytes,ns");
	struct kstate_store *s = NULL;
	struct json_object *out;
	char *src, *warm;
	int rc;

	rc = bench_store_create(ctx, o->dir, &s);
	if (rc)
		bench_die(o->dir, rc);
	/* Keep one generation: old record files go at each commit, as on a real host. */
	kstate_store_set_keep(s, 1);
	src = map_anon(o->bytes);
	warm = map_anon(o->bytes);
	bench_fill(src, o->bytes, 42);
	memset(warm, 1, o->bytes);
	/* One untimed round of each warms the allocator, the page cache and the CPU. */
	save_once(s, src, o, &wr[0], &du[0]);
	memcpy_fresh(src, o->bytes);
	for (rep = 0; rep < reps; rep++) {
		for (k = 0; k < 3; k++) {
			switch ((k + rep) % 3) {
			case 0:
				save_once(s, src, o, &wr[rep], &du[rep]);
				break;
			case 1:
				mf[rep] = memcpy_fresh(src, o->bytes);
				break;
			default:
				mw[rep] = memcpy_warm(warm, src, o->bytes);
				break;
			}
		}
		if (csv)
			fprintf(csv, "%u,write,%llu,%.0f\n%u,durable,%llu,%.0f\n"
				"%u,memcpy-fresh,%llu,%.0f\n%u,memcpy-warm,%llu,%.0f\n",
				rep, (unsigned long long)o->bytes, wr[rep],
				rep, (unsigned long long)o->bytes, du[rep],
				rep, (unsigned long long)o->bytes, mf[rep],
				rep, (unsigned long long)o->bytes, mw[rep]);
	}
	if (csv)
		fclose(csv);
	m_wr = bench_median(wr, reps);
	m_du = bench_median(du, reps);
	m_mf = bench_median(mf, reps);
	m_mw = bench_median(mw, reps);
	out = json_object_new_object();
	json_object_object_add(out, "measure", json_object_new_string("save"));
	json_object_object_add(out, "bytes", json_object_new_int64((int64_t)o->bytes));
	json_object_object_add(out, "record_bytes", json_object_new_int64((int64_t)o->record));
	json_object_object_add(out, "reps", json_object_new_int((int)reps));
	json_object_object_add(out, "write_gb_per_s", json_object_new_double(gb / m_wr));
	json_object_object_add(out, "durable_gb_per_s", json_object_new_double(gb / m_du));
	json_object_object_add(out, "memcpy_fresh_gb_per_s", json_object_new_double(gb / m_mf));
	json_object_object_add(out, "memcpy_warm_gb_per_s", json_object_new_double(gb / m_mw));
	json_object_object_add(out, "write_vs_memcpy_fresh", json_object_new_double(m_mf / m_wr));
	json_object_object_add(out, "durable_vs_memcpy_fresh",
			       json_object_new_double(m_mf / m_du));
	json_object_object_add(out, "write_vs_memcpy_warm", json_object_new_double(m_mw / m_wr));
	json_object_object_add(out, "durable_vs_memcpy_warm",
			       json_object_new_double(m_mw / m_du));
	tool_json_print(&out);
	munmap(src, o->bytes);
	munmap(warm, o->bytes);
	kstate_store_delete(&s);
	return 0;
}
