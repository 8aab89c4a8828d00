// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Restore benchmarks: a store with one region per size; restore (open, validate, map) of
 * each, and restore by mapping against restore by reading the same bytes into memory.
 *
 * Copyright (c) 2026 The kstate authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "common.h"

#define FILL_CHUNK (64ULL << 20)

/* The region file of a size, as the copy-based restore reads it. */
static void region_path(struct kstate_ctx *ctx, const char *dir, uint64_t size, char *path,
			size_t len)
{
	struct bench_restore r;
	char name[32], fname[BENCH_MAX_REPS];
	int idx, rc;

	bench_region_name(name, sizeof(name), size);
	rc = bench_restore_open(ctx, dir, name, &r);
	if (rc)
		bench_die(name, rc);
	idx = kstate_generation_find(r.gen, KSTATE_KIND_REGION, name);
	rc = kstate_generation_entry_filename(r.gen, (unsigned int)idx, fname, sizeof(fname));
	bench_restore_close(&r);
	if (rc)
		bench_die(name, rc);
	snprintf(path, len, "%s/%s", dir, fname);
}

/* Write real bytes into a region through its file, then make them durable. */
static int fill_region(struct kstate_ctx *ctx, const char *dir, uint64_t size)
{
	char path[4096];
	uint64_t off;
	void *buf;
	int fd, rc = 0;

	region_path(ctx, dir, size, path, sizeof(path));
	buf = malloc(FILL_CHUNK);
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (off = 0; off < size && !rc; off += FILL_CHUNK) {
		size_t n = size - off < FILL_CHUNK ? size - off : FILL_CHUNK;

		bench_fill(buf, n, off + 1);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			rc = -EIO;
	}
	if (!rc && fsync(fd))
		rc = -errno;
	close(fd);
	free(buf);
	return rc;
}

int bench_setup(struct kstate_ctx *ctx, const struct bench_opts *o)
{
	struct kstate_store *s = NULL;
	struct kstate_region *r = NULL;
	struct kstate_txn *txn = NULL;
	struct json_object *out, *regions;
	char name[32];
	unsigned int i;
	int rc;

	rc = bench_store_create(ctx, o->dir, &s);
	if (rc)
		bench_die(o->dir, rc);
	rc = kstate_txn_new(s, &txn);
	if (rc)
		bench_die("new transaction", rc);
	regions = json_object_new_array();
	for (i = 0; i < o->nsizes; i++) {
		bench_region_name(name, sizeof(name), o->sizes[i]);
		/* Sparse on a disk filesystem, allocated on DAX: mapping touches neither. */
		rc = kstate_region_map(s, name, o->sizes[i], KSTATE_REGION_CREATE, &r);
		if (rc)
			bench_die(name, rc);
		kstate_region_unmap(&r);
		rc = kstate_txn_add_region(txn, name);
		if (rc)
			bench_die(name, rc);
		json_object_array_add(regions, json_object_new_string(name));
	}
	rc = kstate_txn_commit(txn);
	if (rc)
		bench_die("commit", rc);
	kstate_txn_delete(&txn);
	kstate_store_delete(&s);
	for (i = 0; i < o->nsizes; i++) {
		if (o->sizes[i] > o->fill)
			continue;
		rc = fill_region(ctx, o->dir, o->sizes[i]);
		if (rc)
			bench_die(name, rc);
	}
	out = json_object_new_object();
	json_object_object_add(out, "measure", json_object_new_string("setup"));
	json_object_object_add(out, "store", json_object_new_string(o->dir));
	json_object_object_add(out, "regions", regions);
	tool_json_print(&out);
	return 0;
}

/* One timed restore: ns, and page faults taken while restoring (must stay tiny). */
static void restore_sample(struct kstate_ctx *ctx, const char *dir, uint64_t size,
			   double *ns, double *faults)
{
	struct bench_restore r;
	char name[32];
	uint64_t t0, f0;
	int rc;

	bench_region_name(name, sizeof(name), size);
	f0 = bench_minflt();
	t0 = bench_now_ns();
	rc = bench_restore_open(ctx, dir, name, &r);
	*ns = (double)(bench_now_ns() - t0);
	*faults = (double)(bench_minflt() - f0);
	if (rc)
		bench_die(name, rc);
	if (kstate_region_size(r.region) != size) {
		tool_err("%s: %llu bytes, expected %llu; run setup again",
			name, (unsigned long long)kstate_region_size(r.region),
			(unsigned long long)size);
		exit(TOOL_EXIT_FAILURE);
	}
	bench_restore_close(&r);
}

int bench_restore(struct kstate_ctx *ctx, const struct bench_opts *o)
{
	double ns[BENCH_MAX_SIZES][BENCH_MAX_REPS], flt[BENCH_MAX_SIZES][BENCH_MAX_REPS], med[BENCH_MAX_SIZES];
	struct json_object *out, *arr;
	unsigned int rep, j, i, reps = o->reps;
	FILE *csv = bench_csv_open(o->csv, "rep,bytes,ns,faults");
	double dummy_ns, dummy_f;

	/* One untimed round: the first open of each file pays for dentries and inodes. */
	for (i = 0; i < o->nsizes; i++)
		restore_sample(ctx, o->dir, o->sizes[i], &dummy_ns, &dummy_f);
	/* Rotate the order every round so drift and noise spread over all sizes. */
	for (rep = 0; rep < reps; rep++) {
		for (j = 0; j < o->nsizes; j++) {
			i = (j + rep) % o->nsizes;
			restore_sample(ctx, o->dir, o->sizes[i], &ns[i][rep], &flt[i][rep]);
			if (csv)
				fprintf(csv, "%u,%llu,%.0f,%.0f\n", rep,
					(unsigned long long)o->sizes[i], ns[i][rep], flt[i][rep]);
		}
	}
	if (csv)
		fclose(csv);
	out = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < o->nsizes; i++) {
		struct json_object *e = json_object_new_object();
		double fmed;

		med[i] = bench_median(ns[i], reps);
		fmed = bench_median(flt[i], reps);
		json_object_object_add(e, "bytes", json_object_new_int64((int64_t)o->sizes[i]));
		json_object_object_add(e, "median_ns", json_object_new_double(med[i]));
		json_object_object_add(e, "min_ns", json_object_new_double(ns[i][0]));
		json_object_object_add(e, "max_ns", json_object_new_double(ns[i][reps - 1]));
		json_object_object_add(e, "median_faults", json_object_new_double(fmed));
		json_object_array_add(arr, e);
	}
	json_object_object_add(out, "measure", json_object_new_string("restore"));
	json_object_object_add(out, "reps", json_object_new_int((int)reps));
	json_object_object_add(out, "sizes", arr);
	json_object_object_add(out, "flatness_last_over_first",
			       json_object_new_double(med[o->nsizes - 1] / med[0]));
	tool_json_print(&out);
	return 0;
}

/* The copy-based restore: read the file into freshly allocated anonymous memory. */
static double copy_sample(const char *path, uint64_t size, uint64_t *sum)
{
	uint64_t t0 = bench_now_ns(), off = 0, i;
	double ns;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	buf = malloc(size);
	if (fd < 0 || !buf) {
		tool_err("%s: %s", path, fd < 0 ? strerror(errno) :
			"out of memory for the copy");
		exit(TOOL_EXIT_FAILURE);
	}
	while (off < size) {
		size_t n = size - off > (1ULL << 30) ? (1ULL << 30) : size - off;
		ssize_t got = read(fd, buf + off, n);

		if (got <= 0) {
			tool_err("%s: short read at %llu", path,
				(unsigned long long)off);
			exit(TOOL_EXIT_FAILURE);
		}
		off += (uint64_t)got;
	}
	close(fd);
	ns = (double)(bench_now_ns() - t0);
	/* Use what was read (untimed), so the copy is observable work. */
	for (i = 0; i < size; i += 4096)
		*sum += (uint8_t)buf[i];
	free(buf);
	return ns;
}

int bench_map_vs_copy(struct kstate_ctx *ctx, const struct bench_opts *o)
{
	static double map_ns[BENCH_MAX_SIZES][BENCH_MAX_REPS], copy_ns[BENCH_MAX_SIZES][BENCH_MAX_REPS];
	unsigned int rep, i, reps = o->reps;
	FILE *csv = bench_csv_open(o->csv, "rep,method,bytes,ns");
	struct json_object *out, *arr;
	char path[BENCH_MAX_SIZES][4096];
	uint64_t sum = 0;
	double f;

	for (i = 0; i < o->nsizes; i++) {
		region_path(ctx, o->dir, o->sizes[i], path[i], sizeof(path[i]));
		/* Warm the page cache once: the copy reads from memory, its best case. */
		copy_sample(path[i], o->sizes[i], &sum);
	}
	for (rep = 0; rep < reps; rep++) {
		for (i = 0; i < o->nsizes; i++) {
			/* Alternate which goes first, so neither always runs on a cold cache. */
			if (rep % 2)
				copy_ns[i][rep] = copy_sample(path[i], o->sizes[i], &sum);
			restore_sample(ctx, o->dir, o->sizes[i], &map_ns[i][rep], &f);
			if (!(rep % 2))
				copy_ns[i][rep] = copy_sample(path[i], o->sizes[i], &sum);
			if (csv)
				fprintf(csv, "%u,map,%llu,%.0f\n%u,copy,%llu,%.0f\n", rep,
					(unsigned long long)o->sizes[i], map_ns[i][rep], rep,
					(unsigned long long)o->sizes[i], copy_ns[i][rep]);
		}
	}
	if (csv)
		fclose(csv);
	out = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < o->nsizes; i++) {
		struct json_object *e = json_object_new_object();
		double m = bench_median(map_ns[i], reps), c = bench_median(copy_ns[i], reps);

		json_object_object_add(e, "bytes", json_object_new_int64((int64_t)o->sizes[i]));
		json_object_object_add(e, "map_median_ns", json_object_new_double(m));
		json_object_object_add(e, "copy_median_ns", json_object_new_double(c));
		json_object_object_add(e, "copy_gb_per_s",
				       json_object_new_double((double)o->sizes[i] / c));
		json_object_object_add(e, "speedup", json_object_new_double(c / m));
		json_object_array_add(arr, e);
	}
	json_object_object_add(out, "measure", json_object_new_string("map-vs-copy"));
	json_object_object_add(out, "reps", json_object_new_int((int)reps));
	json_object_object_add(out, "sizes", arr);
	json_object_object_add(out, "checksum", json_object_new_int64((int64_t)sum));
	tool_json_print(&out);
	return 0;
}
