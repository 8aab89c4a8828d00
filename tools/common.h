/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every kstate command shares: exit codes, the store path rule, option handling,
 * messages and JSON output.  Each command links tools/libkstate-tool.a.
 */
#ifndef KSTATE_TOOLS_COMMON_H
#define KSTATE_TOOLS_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "libkstate.h"

/*
 * Exit codes: one table for kstate, kstate-save, kstate-load, daxfs-setup and
 * vmm-keepalive, printed by every --help (tool_print_exit_codes()) and written out in
 * every man page (tests/unit/exit-codes.sh holds them to this list).  Scripts rely on
 * these numbers: never renumber, only add.
 */
#define TOOL_EXIT_OK		0	/* done (or nothing to do); all checked intact */
#define TOOL_EXIT_FAILURE	1	/* failed, or damage was found */
#define TOOL_EXIT_USAGE		2	/* bad command line */
#define TOOL_EXIT_NOTFOUND	3	/* nothing to act on: no such store, file, ... */
#define TOOL_EXIT_PERM		4	/* not permitted: run as root */
#define TOOL_EXIT_REFUSED	5	/* refused as unsafe or impossible; nothing changed */
#define TOOL_EXIT_BUSY		6	/* in use, or not freed in time; nothing changed */
#define TOOL_EXIT_UNAVAILABLE	7	/* a kernel facility is missing (module, PMEM) */

/* The table above as text: "Exit status:" and one line per code. */
void tool_print_exit_codes(FILE *f);

#define TOOL_DEFAULT_STORE	"/var/lib/kstate"
#define TOOL_STORE_ENV		"KSTATE_STORE"

/* Options every command and subcommand takes; getopt returns these values. */
#define TOOL_OPT_HELP		'h'
#define TOOL_OPT_VERSION	'V'
#define TOOL_OPT_STORE		0x100
#define TOOL_OPT_JSON		0x101
#define TOOL_OPTIONS_COMMON						\
	{ "help", no_argument, NULL, TOOL_OPT_HELP },			\
	{ "version", no_argument, NULL, TOOL_OPT_VERSION }

/* The program name messages start with, e.g. "kstate list". */
void tool_set_name(const char *name);
const char *tool_name(void);

void tool_err(const char *format, ...) __attribute__((format(printf, 1, 2)));
void tool_warn(const char *format, ...) __attribute__((format(printf, 1, 2)));
int tool_usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
void tool_print_version(void);

/*
 * Report what getopt_long() refused (call with its '?' or ':' result, with opterr = 0
 * and an optstring starting with ':').  Return: TOOL_EXIT_USAGE.
 */
int tool_getopt_error(int c, char **argv);

/* --store DIR, else $KSTATE_STORE, else /var/lib/kstate. */
const char *tool_store_path(const char *option);

int tool_parse_u64(const char *option, const char *text, uint64_t *value);
int tool_parse_uint(const char *option, const char *text, unsigned int *value);
/*
 * A byte count as people write it: decimal digits (a leading 0 is still decimal, so
 * "010G" is 10 GiB), optionally followed by K, M, G or T (powers of 1024, either case)
 * and an optional "iB" or "B".  No sign, no hex, nothing after.
 * Return: 0, -EINVAL, or -ERANGE when it does not fit 64 bits.
 */
int tool_size_parse(const char *text, uint64_t *bytes);
/* tool_size_parse() for an option's argument; prints the usage error, returns 2. */
int tool_parse_size(const char *option, const char *text, uint64_t *value);

/* The exit code for a negative errno from libkstate. */
int tool_exit_code(int rc);

/*
 * Print why a libkstate call failed ("kstate list: <kstate_errormsg()>") with what to
 * do about it, and return tool_exit_code(rc).
 */
int tool_fail(int rc, const char *hint);

int tool_ctx_new(struct kstate_ctx **ctx);

/*
 * Run a program (found on PATH) and wait: its exit status, 128 + the signal that
 * killed it, or -errno when it could not run.  @quiet sends its stdout to /dev/null.
 */
int tool_run(char *const argv[], bool quiet);

/* CLOCK_MONOTONIC in microseconds, for the timings the reports give. */
uint64_t tool_now_us(void);

/*
 * Open the store at @path with @flags; on failure print what to do (create it, pass
 * --store, run as root) and return the exit code, else 0.
 */
int tool_store_open(struct kstate_ctx *ctx, const char *path, unsigned int flags,
		    struct kstate_store **out);

/*
 * Open the kstate module's device; on failure print why and return the exit code
 * (TOOL_EXIT_UNAVAILABLE when the module is not loaded), else 0.
 */
int tool_dev_open(struct kstate_ctx *ctx, struct kstate_dev **out);

/* Text forms. */
#define TOOL_UUID_STR_LEN	37
#define TOOL_TIME_STR_LEN	40
const char *tool_uuid_str(const uint8_t uuid[16], char buf[TOOL_UUID_STR_LEN]);
const char *tool_time_str(uint64_t ns, char buf[TOOL_TIME_STR_LEN]);
const char *tool_kind_str(int kind);
void tool_hexdump(const void *data, size_t length, const char *indent);

/* JSON: build with these, print once with tool_json_print() (which releases it). */
void tool_json_add_str(struct json_object *o, const char *key, const char *value);
void tool_json_add_u64(struct json_object *o, const char *key, uint64_t value);
void tool_json_add_bool(struct json_object *o, const char *key, bool value);
void tool_json_add_uuid(struct json_object *o, const char *key, const uint8_t uuid[16]);
void tool_json_add_time(struct json_object *o, const char *key, uint64_t ns);
void tool_json_add_hex(struct json_object *o, const char *key, const void *data,
		       size_t length);
struct json_object *tool_json_add_array(struct json_object *o, const char *key);
struct json_object *tool_json_append_object(struct json_object *array);
void tool_json_print(struct json_object **o);

#endif /* KSTATE_TOOLS_COMMON_H */
