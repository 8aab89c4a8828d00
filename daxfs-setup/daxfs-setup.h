/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daxfs-setup: what the subcommands share. */
#ifndef DAXFS_SETUP_H
#define DAXFS_SETUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

struct json_object;

/* The exit codes every kstate command shares (tools/common.h, daxfs-setup(8)). */
#define EXIT_OK		TOOL_EXIT_OK		/* done, or nothing to do */
#define EXIT_FAIL	TOOL_EXIT_FAILURE	/* an operation failed */
#define EXIT_USAGE	TOOL_EXIT_USAGE		/* bad command line */
#define EXIT_NOTFOUND	TOOL_EXIT_NOTFOUND	/* no such namespace or device */
#define EXIT_PERM	TOOL_EXIT_PERM		/* not root */
#define EXIT_REFUSED	TOOL_EXIT_REFUSED	/* impossible or unsafe; nothing changed */
#define EXIT_BUSY	TOOL_EXIT_BUSY		/* could not offline in time; nothing changed */
#define EXIT_NOPMEM	TOOL_EXIT_UNAVAILABLE	/* no persistent memory */

extern const char *prog;

int usage(FILE *f, int code);
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void json_print(struct json_object *o);
void print_cmd(const char *prefix, char *const argv[]);

/* The subcommands that work on devices (provision.c, lend.c). */
int cmd_provision(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_lend(int argc, char **argv);
int cmd_reclaim(int argc, char **argv);

#endif /* DAXFS_SETUP_H */
