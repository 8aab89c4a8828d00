/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kstate-bench: measurements that compare kstate's restore and save paths with the
 * copy-based way of doing the same thing, side by side in one process so the noise of a
 * shared machine hits both.  See docs/perf.md.
 *
 * Copyright (c) 2026 The kstate authors
 */
#ifndef KSTATE_BENCH_H
#define KSTATE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libkstate.h>

#define BENCH_MAX_SIZES 16
#define BENCH_MAX_REPS 256

struct bench_opts {
	const char *dir;		/* the store directory */
	const char *csv;		/* raw samples go here, one line each */
	uint64_t sizes[BENCH_MAX_SIZES];
	unsigned int nsizes;
	uint64_t fill;			/* setup: regions up to this size get written data */
	uint64_t bytes;			/* save: payload bytes */
	uint64_t record;		/* save: bytes per record */
	unsigned int reps;
	bool write;			/* first-touch: write instead of read */
};

/* util.c */
uint64_t bench_now_ns(void);
uint64_t bench_minflt(void);
int bench_parse_sizes(const char *list, struct bench_opts *o);
void bench_region_name(char *buf, size_t len, uint64_t size);
double bench_median(double *v, unsigned int n);
struct json_object;
struct json_object *bench_stat_json(const double *v, unsigned int n, double *median);
FILE *bench_csv_open(const char *path, const char *header);
void bench_die(const char *what, int rc);
int bench_store_create(struct kstate_ctx *ctx, const char *dir, struct kstate_store **out);
void bench_fill(void *buf, size_t len, uint64_t seed);

/*
 * A restore as a VMM or kstate-load does it: open the store, validate the newest sealed
 * generation, find the region and map it.
 */
struct bench_restore {
	struct kstate_store *store;
	struct kstate_generation *gen;
	struct kstate_region *region;
};

int bench_restore_open(struct kstate_ctx *ctx, const char *dir, const char *name,
		       struct bench_restore *r);
void bench_restore_close(struct bench_restore *r);

/* restore.c, restore_touch.c, save.c, touch.c: one function per subcommand, 0 or an exit code */
int bench_setup(struct kstate_ctx *ctx, const struct bench_opts *o);
int bench_restore(struct kstate_ctx *ctx, const struct bench_opts *o);
int bench_restore_touch(struct kstate_ctx *ctx, const struct bench_opts *o);
int bench_save(struct kstate_ctx *ctx, const struct bench_opts *o);
int bench_commit(struct kstate_ctx *ctx, const struct bench_opts *o);
int bench_first_touch(struct kstate_ctx *ctx, const struct bench_opts *o);

#endif /* KSTATE_BENCH_H */
