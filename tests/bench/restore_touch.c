// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Restore and use: a region restored by mapping and then touched (0 %, the first 10 %,
 * 100 % of its pages), against restoring it by copy as well as a user would write it.
 *
 * kstate side: open the store, validate the newest sealed generation, map the region
 * (kstate_region_map), read one byte of each 4 KiB page of the part touched.
 *
 * Copy side, from the same file: map it, copy it into fresh anonymous memory asking for
 * transparent huge pages (MADV_HUGEPAGE), with one thread per CPU, skipping the 4 KiB
 * pages that are all zeros (the fresh memory reads as zero there already: ISA-L's
 * isal_zero_detect), then touch every page as the kstate side does at 100 %.  The
 * copy must finish before anything can use the state, so its time does not depend on
 * how much is touched afterwards.
 *
 * Run it on a memory-backed filesystem (tmpfs) for what a restore from persistent
 * memory costs: memmap= PMEM is ordinary DRAM.  Each size gets its own store, removed
 * before the next, so at most one region and one copy exist at a time.
 *
 * Copyright (c) 2026 The kstate authors
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <isa-l/mem_routines.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "common.h"

#define PAGE 4096ULL
#define COPY_MAX_THREADS 16

enum { T_MAP0, T_MAP10, T_MAP100, T_COPY, T_COUNT };

static const char *const method_names[T_COUNT] = {
	"map_touch0", "map_touch10", "map_touch100", "copy_touch100",
};

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* A store holding one region of @size bytes of real data, sealed in a generation. */
static void make_store(struct kstate_ctx *ctx, const char *dir, const char *name,
		       uint64_t size)
{
	struct kstate_store *s = NULL;
	struct kstate_region *r = NULL;
	struct kstate_txn *txn = NULL;
	uint64_t off;
	int rc;

	rc = bench_store_create(ctx, dir, &s);
	if (!rc)
		rc = kstate_region_map(s, name, size, KSTATE_REGION_CREATE, &r);
	if (rc)
		bench_die(dir, rc);
	for (off = 0; off < size; off += 64ULL << 20) {
		uint64_t n = size - off < (64ULL << 20) ? size - off : 64ULL << 20;

		bench_fill((char *)kstate_region_addr(r) + off, n, off + 1);
	}
	rc = kstate_region_persist(r, 0, size);
	kstate_region_unmap(&r);
	if (!rc)
		rc = kstate_txn_new(s, &txn);
	if (!rc)
		rc = kstate_txn_add_region(txn, name);
	if (!rc)
		rc = kstate_txn_commit(txn);
	if (rc)
		bench_die("commit", rc);
	kstate_txn_delete(&txn);
	kstate_store_delete(&s);
}

/* Read one byte of each page in [0, bytes): the faults a first use takes. */
static uint64_t touch(const volatile uint8_t *p, uint64_t bytes)
{
	uint64_t off, sum = 0;

	for (off = 0; off < bytes; off += PAGE)
		sum += p[off];
	return sum;
}

static double map_sample(struct kstate_ctx *ctx, const char *dir, const char *name,
			 uint64_t size, unsigned int percent, uint64_t *sum, double *faults)
{
	struct bench_restore r;
	uint64_t t0, f0;
	double ns;
	int rc;

	f0 = bench_minflt();
	t0 = bench_now_ns();
	rc = bench_restore_open(ctx, dir, name, &r);
	if (rc)
		bench_die(name, rc);
	*sum += touch(kstate_region_addr(r.region), size / 100 * percent / PAGE * PAGE);
	ns = (double)(bench_now_ns() - t0);
	*faults = (double)(bench_minflt() - f0);
	bench_restore_close(&r);
	return ns;
}

struct copy_part {
	const char *src;
	char *dst;
	uint64_t len;
	uint64_t skipped;
};

static void *copy_thread(void *arg)
{
	struct copy_part *c = arg;
	uint64_t off;

	for (off = 0; off < c->len; off += PAGE) {
		if (isal_zero_detect((void *)(c->src + off), PAGE) == 0) {
			c->skipped++;
			continue;
		}
		memcpy(c->dst + off, c->src + off, PAGE);
	}
	return NULL;
}

/* The copy-based restore of @path (@size bytes): see the top of the file. */
static double copy_sample(const char *path, uint64_t size, unsigned int threads,
			  uint64_t *sum, double *faults, uint64_t *skipped)
{
	struct copy_part part[COPY_MAX_THREADS];
	pthread_t tid[COPY_MAX_THREADS];
	uint64_t t0, f0, per, i;
	const char *src;
	char *dst;
	double ns;
	int fd;

	f0 = bench_minflt();
	t0 = bench_now_ns();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	src = fd < 0 ? MAP_FAILED : mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	dst = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED) {
		tool_err("%s: %s", path, strerror(errno));
		exit(TOOL_EXIT_FAILURE);
	}
	madvise(dst, size, MADV_HUGEPAGE);
	madvise((void *)src, size, MADV_SEQUENTIAL);
	per = size / threads / (2ULL << 20) * (2ULL << 20);
	for (i = 0; i < threads; i++) {
		part[i] = (struct copy_part){
			.src = src + i * per, .dst = dst + i * per,
			.len = i == threads - 1 ? size - i * per : per,
		};
		if (pthread_create(&tid[i], NULL, copy_thread, &part[i])) {
			tool_err("cannot start a copy thread");
			exit(TOOL_EXIT_FAILURE);
		}
	}
	*skipped = 0;
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		*skipped += part[i].skipped;
	}
	*sum += touch((const volatile uint8_t *)dst, size);
	ns = (double)(bench_now_ns() - t0);
	*faults = (double)(bench_minflt() - f0);
	munmap((void *)src, size);
	munmap(dst, size);
	close(fd);
	return ns;
}

int bench_restore_touch(struct kstate_ctx *ctx, const struct bench_opts *o)
{
	static double ns[T_COUNT][BENCH_MAX_REPS], flt[T_COUNT][BENCH_MAX_REPS];
	unsigned int rep, k, m, i, reps = o->reps;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int threads = cpus < 1 ? 1 : cpus > COPY_MAX_THREADS ? COPY_MAX_THREADS :
			       (unsigned int)cpus;
	FILE *csv = bench_csv_open(o->csv, "size,rep,method,ns,faults");
	struct json_object *out, *arr;
	uint64_t sum = 0, skipped = 0;
	char dir[4096], path[4096 + 64], name[32];

	if (mkdir(o->dir, 0700) && errno != EEXIST) {
		tool_err("%s: cannot create: %s", o->dir, strerror(errno));
		exit(TOOL_EXIT_FAILURE);
	}
	arr = json_object_new_array();
	for (i = 0; i < o->nsizes; i++) {
		uint64_t size = o->sizes[i];
		struct json_object *e = json_object_new_object(), *methods, *mf;
		double med[T_COUNT], fmed;

		bench_region_name(name, sizeof(name), size);
		snprintf(dir, sizeof(dir), "%s/%s", o->dir, name);
		snprintf(path, sizeof(path), "%s/%s.region", dir, name);
		make_store(ctx, dir, name, size);
		/* Untimed: one of each, so the first timed round is not the first ever. */
		map_sample(ctx, dir, name, size, 100, &sum, &fmed);
		copy_sample(path, size, threads, &sum, &fmed, &skipped);
		for (rep = 0; rep < reps; rep++) {
			for (k = 0; k < T_COUNT; k++) {
				m = (k + rep) % T_COUNT;
				if (m == T_COPY)
					ns[m][rep] = copy_sample(path, size, threads, &sum,
								 &flt[m][rep], &skipped);
				else
					ns[m][rep] = map_sample(ctx, dir, name, size,
								m == T_MAP0 ? 0 :
								m == T_MAP10 ? 10 : 100,
								&sum, &flt[m][rep]);
			}
			if (csv)
				for (m = 0; m < T_COUNT; m++)
					fprintf(csv, "%llu,%u,%s,%.0f,%.0f\n",
						(unsigned long long)size, rep, method_names[m],
						ns[m][rep], flt[m][rep]);
		}
		methods = json_object_new_object();
		mf = json_object_new_object();
		for (m = 0; m < T_COUNT; m++) {
			json_object_object_add(methods, method_names[m],
					       bench_stat_json(ns[m], reps, &med[m]));
			json_object_object_add(mf, method_names[m],
					       json_object_new_double(bench_median(flt[m], reps)));
		}
		json_object_object_add(e, "bytes", json_object_new_int64((int64_t)size));
		json_object_object_add(e, "methods", methods);
		json_object_object_add(e, "median_faults", mf);
		json_object_object_add(e, "copy_zero_pages_skipped",
				       json_object_new_int64((int64_t)skipped));
		json_object_object_add(e, "copy_over_map_touch100",
				       json_object_new_double(med[T_COPY] / med[T_MAP100]));
		json_object_object_add(e, "copy_gb_per_s",
				       json_object_new_double((double)size / med[T_COPY]));
		json_object_array_add(arr, e);
		if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS)) {
			tool_err("%s: cannot remove: %s", dir, strerror(errno));
			exit(TOOL_EXIT_FAILURE);
		}
	}
	if (csv)
		fclose(csv);
	out = json_object_new_object();
	json_object_object_add(out, "measure", json_object_new_string("restore-touch"));
	json_object_object_add(out, "reps", json_object_new_int((int)reps));
	json_object_object_add(out, "copy_threads", json_object_new_int((int)threads));
	json_object_object_add(out, "sizes", arr);
	json_object_object_add(out, "checksum", json_object_new_int64((int64_t)sum));
	tool_json_print(&out);
	return 0;
}
