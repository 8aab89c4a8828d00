/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VMM_BENCH_H
#define VMM_BENCH_H

#include <stdint.h>

struct json_object;
struct phases;

int bench(const char *dir, const char *sizes, uint64_t run_ms);

/* main.c */
void install_stop_handlers(void);
void json_add_phases(struct json_object *o, const struct phases *ph);

#endif /* VMM_BENCH_H */
