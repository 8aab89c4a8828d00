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
