// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Shared by every kstate command: see common.h.
 */
#include <ctype.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "common.h"
#include "tools-config.h"

static const char *program = "kstate";

void tool_set_name(const char *name)
{
	program = name;
}

const char *tool_name(void)
{
	return program;
}

static void vmessage(const char *prefix, const char *format, va_list ap)
{
	fprintf(stderr, "%s: %s", program, prefix);
	vfprintf(stderr, format, ap);
	fputc('\n', stderr);
}

void tool_err(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vmessage("", format, ap);
	va_end(ap);
}

void tool_warn(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vmessage("warning: ", format, ap);
	va_end(ap);
}

int tool_usage_error(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	fprintf(stderr, "%s: ", program);
	vfprintf(stderr, format, ap);
	fprintf(stderr, " (try '%s --help')\n", program);
	va_end(ap);
	return TOOL_EXIT_USAGE;
}

/* "kstate 0.1.0" for kstate and its subcommands, "kstate-save (kstate) 0.1.0" else. */
void tool_print_version(void)
{
	size_t n = strcspn(program, " ");

	if (n == strlen("kstate") && strncmp(program, "kstate", n) == 0)
		printf("kstate %s\n", KSTATE_VERSION);
	else
		printf("%.*s (kstate) %s\n", (int)n, program, KSTATE_VERSION);
}

static const struct {
	int code;
	const char *text;
} exit_codes[] = {
	{ TOOL_EXIT_OK, "done, or nothing to do; everything checked is intact" },
	{ TOOL_EXIT_FAILURE, "failed, or damage was found (the reason is on stderr)" },
	{ TOOL_EXIT_USAGE, "usage error" },
	{ TOOL_EXIT_NOTFOUND, "nothing to act on: no such store, generation, entry, file, "
			      "device or saved state" },
	{ TOOL_EXIT_PERM, "not permitted: run as root" },
	{ TOOL_EXIT_REFUSED, "refused as unsafe or impossible; nothing changed (--force "
			     "where offered)" },
	{ TOOL_EXIT_BUSY, "in use, or not freed in time; nothing changed, try again" },
	{ TOOL_EXIT_UNAVAILABLE, "a kernel facility is missing: the kstate module, "
				 "persistent memory" },
};

void tool_print_exit_codes(FILE *f)
{
	size_t i;

	fprintf(f, "Exit status:\n");
	for (i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
		fprintf(f, "  %d  %s\n", exit_codes[i].code, exit_codes[i].text);
}

int tool_getopt_error(int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return tool_usage_error("option '%s' needs an argument", arg);
	if (optopt && strncmp(arg, "--", 2) != 0)
		return tool_usage_error("unknown option '-%c'", optopt);
	return tool_usage_error("unknown option '%s'", arg);
}

const char *tool_store_path(const char *option)
{
	const char *env = getenv(TOOL_STORE_ENV);

	if (option)
		return option;
	if (env && *env)
		return env;
	return TOOL_DEFAULT_STORE;
}

int tool_parse_u64(const char *option, const char *text, uint64_t *value)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (!isdigit((unsigned char)text[0]) || *end || errno)
		return tool_usage_error("%s needs a number, not '%s'", option, text);
	*value = v;
	return 0;
}

int tool_parse_uint(const char *option, const char *text, unsigned int *value)
{
	uint64_t v;
	int rc = tool_parse_u64(option, text, &v);

	if (rc)
		return rc;
	if (v > 1000000)
		return tool_usage_error("%s %s is too large", option, text);
	*value = (unsigned int)v;
	return 0;
}

int tool_exit_code(int rc)
{
	switch (rc) {
	case 0:
		return TOOL_EXIT_OK;
	case -ENOENT:
		return TOOL_EXIT_NOTFOUND;
	case -EACCES:	/* not -EPERM: libkstate uses it for "not a plain file" */
		return TOOL_EXIT_PERM;
	default:
		return TOOL_EXIT_FAILURE;
	}
}

int tool_fail(int rc, const char *hint)
{
	const char *msg = kstate_errormsg();

	if (!*msg)
		msg = strerror(-rc);
	if (rc == -EACCES && !hint && geteuid() != 0)
		hint = "must be root";
	if (hint)
		tool_err("%s: %s", msg, hint);
	else
		tool_err("%s", msg);
	return tool_exit_code(rc);
}

int tool_ctx_new(struct kstate_ctx **ctx)
{
	int rc = kstate_ctx_new(ctx);

	if (rc)
		return tool_fail(rc, NULL);
	return 0;
}

int tool_dev_open(struct kstate_ctx *ctx, struct kstate_dev **out)
{
	int rc = kstate_dev_new(ctx, out);

	if (rc == -ENOENT) {
		tool_err("%s", kstate_errormsg());
		return TOOL_EXIT_UNAVAILABLE;
	}
	return rc ? tool_fail(rc, NULL) : 0;
}

int tool_store_open(struct kstate_ctx *ctx, const char *path, unsigned int flags,
		    struct kstate_store **out)
{
	int rc = kstate_store_new(ctx, path, flags, out);

	if (!rc)
		return 0;
	if (rc == -ENOENT)
		tool_err("store not found: %s; or pass --store DIR or set %s", kstate_errormsg(),
			 TOOL_STORE_ENV);
	else
		return tool_fail(rc, NULL);
	return TOOL_EXIT_NOTFOUND;
}

const char *tool_uuid_str(const uint8_t u[16], char buf[TOOL_UUID_STR_LEN])
{
	uuid_unparse_lower(u, buf);
	return buf;
}

/* UTC, to the second, as ISO 8601; "-" for 0 (never). */
const char *tool_time_str(uint64_t ns, char buf[TOOL_TIME_STR_LEN])
{
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	if (!ns || !gmtime_r(&t, &tm) ||
	    !strftime(buf, TOOL_TIME_STR_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, TOOL_TIME_STR_LEN, "-");
	return buf;
}

const char *tool_kind_str(int kind)
{
	switch (kind) {
	case KSTATE_KIND_RECORDS:
		return "records";
	case KSTATE_KIND_REGION:
		return "region";
	default:
		return "unknown";
	}
}

/* hexdump -C style: offset, 16 bytes, their printable characters. */
void tool_hexdump(const void *data, size_t length, const char *indent)
{
	const uint8_t *p = data;
	size_t off, i;

	for (off = 0; off < length; off += 16) {
		printf("%s%08zx ", indent, off);
		for (i = 0; i < 16; i++) {
			if (off + i < length)
				printf("%s%02x", i == 8 ? "  " : " ", p[off + i]);
			else
				printf("%s  ", i == 8 ? "  " : " ");
		}
		printf("  |");
		for (i = 0; i < 16 && off + i < length; i++)
			putchar(isprint(p[off + i]) ? p[off + i] : '.');
		printf("|\n");
	}
}

void tool_json_add_str(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

void tool_json_add_u64(struct json_object *o, const char *key, uint64_t value)
{
	json_object_object_add(o, key, json_object_new_uint64(value));
}

void tool_json_add_bool(struct json_object *o, const char *key, bool value)
{
	json_object_object_add(o, key, json_object_new_boolean(value));
}

void tool_json_add_uuid(struct json_object *o, const char *key, const uint8_t uuid[16])
{
	char buf[TOOL_UUID_STR_LEN];

	tool_json_add_str(o, key, tool_uuid_str(uuid, buf));
}

/* "<key>": ISO 8601 text (null for 0), "<key>_ns": the exact value. */
void tool_json_add_time(struct json_object *o, const char *key, uint64_t ns)
{
	char buf[TOOL_TIME_STR_LEN], nskey[64];

	tool_json_add_str(o, key, ns ? tool_time_str(ns, buf) : NULL);
	snprintf(nskey, sizeof(nskey), "%s_ns", key);
	tool_json_add_u64(o, nskey, ns);
}

void tool_json_add_hex(struct json_object *o, const char *key, const void *data,
		       size_t length)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = data;
	char *text = malloc(length * 2 + 1);
	size_t i;

	if (!text) {
		json_object_object_add(o, key, NULL);
		return;
	}
	for (i = 0; i < length; i++) {
		text[2 * i] = digits[p[i] >> 4];
		text[2 * i + 1] = digits[p[i] & 15];
	}
	text[2 * length] = '\0';
	tool_json_add_str(o, key, text);
	free(text);
}

struct json_object *tool_json_add_array(struct json_object *o, const char *key)
{
	struct json_object *a = json_object_new_array();

	json_object_object_add(o, key, a);
	return a;
}

struct json_object *tool_json_append_object(struct json_object *array)
{
	struct json_object *o = json_object_new_object();

	json_object_array_add(array, o);
	return o;
}

void tool_json_print(struct json_object **o)
{
	puts(json_object_to_json_string_ext(*o, JSON_C_TO_STRING_PRETTY |
					     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(*o);
	*o = NULL;
}

int tool_run(char *const argv[], bool quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -rc;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

uint64_t tool_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int tool_size_parse(const char *text, uint64_t *bytes)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!text || !isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (shift) {
		end++;
		if (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)
			end += strlen(end);
		if (*end)
			return -EINVAL;
		if (v > (~0ULL >> shift))
			return -ERANGE;
	}
	*bytes = (uint64_t)v << shift;
	return 0;
}

int tool_parse_size(const char *option, const char *text, uint64_t *value)
{
	int rc = tool_size_parse(text, value);

	if (rc == -ERANGE)
		return tool_usage_error("%s %s is too large", option, text);
	if (rc)
		return tool_usage_error("%s needs a size like 64M, not '%s'", option, text);
	return 0;
}
