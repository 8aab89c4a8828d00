// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate-bench helpers: clocks, fault counters, sizes, medians, output.
 *
 * Copyright (c) 2026 The kstate authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "bench.h"
#include "common.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Page faults of this process so far (minor and major). */
uint64_t bench_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

int bench_parse_sizes(const char *list, struct bench_opts *o)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int rc = 0;

	if (!copy)
		return tool_usage_error("out of memory");
	o->nsizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		if (o->nsizes == BENCH_MAX_SIZES)
			rc = tool_usage_error("--sizes: at most %d sizes", BENCH_MAX_SIZES);
		else
			rc = tool_parse_size("--sizes", tok, &o->sizes[o->nsizes]);
		if (!rc && (!o->sizes[o->nsizes] || o->sizes[o->nsizes] % 4096))
			rc = tool_usage_error("--sizes: %s is not a non-zero multiple of 4K", tok);
		o->nsizes++;
	}
	free(copy);
	if (!rc && !o->nsizes)
		rc = tool_usage_error("--sizes: give at least one size");
	return rc;
}

/* Regions are named after their size, so every subcommand finds the one it wants. */
void bench_region_name(char *buf, size_t len, uint64_t size)
{
	if (size % (1ULL << 20))
		snprintf(buf, len, "r%lluk", (unsigned long long)(size >> 10));
	else
		snprintf(buf, len, "r%llum", (unsigned long long)(size >> 20));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of n samples; sorts v. */
double bench_median(double *v, unsigned int n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Every sample of one measurement, in the order taken, with its median and range:
 * {"median_ns", "min_ns", "max_ns", "samples_ns": [...]}.  @median gets the median.
 */
struct json_object *bench_stat_json(const double *v, unsigned int n, double *median)
{
	struct json_object *j = json_object_new_object(), *arr = json_object_new_array();
	double sorted[BENCH_MAX_REPS];
	unsigned int i;

	for (i = 0; i < n; i++) {
		sorted[i] = v[i];
		json_object_array_add(arr, json_object_new_double(v[i]));
	}
	*median = bench_median(sorted, n);
	json_object_object_add(j, "median_ns", json_object_new_double(*median));
	json_object_object_add(j, "min_ns", json_object_new_double(n ? sorted[0] : 0));
	json_object_object_add(j, "max_ns", json_object_new_double(n ? sorted[n - 1] : 0));
	json_object_object_add(j, "samples_ns", arr);
	return j;
}

/* Raw samples, appended: scripts/bench plots them. NULL path: no CSV. */
FILE *bench_csv_open(const char *path, const char *header)
{
	FILE *f;

	if (!path)
		return NULL;
	f = fopen(path, "w");
	if (!f) {
		tool_err("%s: %s; give a writable --csv path", path,
			strerror(errno));
		exit(TOOL_EXIT_FAILURE);
	}
	fprintf(f, "%s\n", header);
	return f;
}

void bench_die(const char *what, int rc)
{
	tool_err("%s: %s", what, kstate_errormsg()[0] ? kstate_errormsg() : strerror(-rc));
	exit(TOOL_EXIT_FAILURE);
}

/* Bytes that do not compress and are not zero, so nothing can take a shortcut. */
void bench_fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t *p = buf, x = seed | 1;
	size_t i;

	for (i = 0; i < len / sizeof(*p); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	memset((char *)buf + i * sizeof(*p), 0xa5, len % sizeof(*p));
}

/* Make DIR (mode 0700, as stores must be) and a store in it. */
int bench_store_create(struct kstate_ctx *ctx, const char *dir, struct kstate_store **out)
{
	if (mkdir(dir, 0700) && errno != EEXIST) {
		tool_err("%s: cannot create: %s", dir, strerror(errno));
		exit(TOOL_EXIT_FAILURE);
	}
	return kstate_store_new(ctx, dir, KSTATE_STORE_CREATE, out);
}

/*
 * Kept out of line and not static so that callgrind can count exactly this
 * (--toggle-collect=bench_restore_open).
 */
__attribute__((noinline))
int bench_restore_open(struct kstate_ctx *ctx, const char *dir, const char *name,
		       struct bench_restore *r)
{
	int idx, rc;

	memset(r, 0, sizeof(*r));
	rc = kstate_store_new(ctx, dir, 0, &r->store);
	if (!rc)
		rc = kstate_generation_new(r->store, kstate_store_last_sealed(r->store), &r->gen);
	if (!rc) {
		idx = kstate_generation_find(r->gen, KSTATE_KIND_REGION, name);
		rc = idx < 0 ? idx : kstate_region_map(r->store, name,
						kstate_generation_entry_size(r->gen, (unsigned int)idx),
						0, &r->region);
	}
	if (rc)
		bench_restore_close(r);
	return rc;
}

void bench_restore_close(struct bench_restore *r)
{
	kstate_region_unmap(&r->region);
	kstate_generation_delete(&r->gen);
	kstate_store_delete(&r->store);
}
