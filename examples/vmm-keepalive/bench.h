/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VMM_BENCH_H
#define VMM_BENCH_H

#include <stdint.h>

struct json_object;
struct phases;

struct vm;

#define BENCH_REPS_MAX 64

int bench(const char *dir, const char *copy_dir, const char *sizes, const char *dirty,
	  unsigned int reps, uint64_t run_ms);

/* main.c */
void install_stop_handlers(void);
void json_add_phases(struct json_object *o, const struct phases *ph);
void json_add_stats(struct json_object *o, struct vm *vm);

#endif /* VMM_BENCH_H */
