/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daxfs-setup: what the subcommands share. */
#ifndef DAXFS_SETUP_H
#define DAXFS_SETUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

/* Exit codes, documented in daxfs-setup(8). */
#define EXIT_OK		0	/* done, or nothing to do */
#define EXIT_FAIL	1	/* an operation failed */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_REFUSED	3	/* impossible or unsafe request; nothing changed */
#define EXIT_BUSY	4	/* memory could not be offlined; nothing changed */

extern const char *prog;

int usage(FILE *f, int code);
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void json_print(struct json_object *o);
int run_cmd(char *const argv[], bool quiet);
void print_cmd(const char *prefix, char *const argv[]);

/* The subcommands that work on devices (provision.c, lend.c). */
int cmd_provision(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_lend(int argc, char **argv);
int cmd_reclaim(int argc, char **argv);

#endif /* DAXFS_SETUP_H */
