// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library context, logging and the per-thread error message.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

static __thread char errormsg[512];

/**
 * kstate_errormsg - why the last failing libkstate call in this thread failed
 *
 * Return: a message naming the object and the reason, or "" if nothing failed yet.
 * The text stays valid until the next failing call in the same thread.
 */
KSTATE_EXPORT const char *kstate_errormsg(void)
{
	return errormsg;
}

int kstate_fail(struct kstate_ctx *ctx, int rc, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(errormsg, sizeof(errormsg), format, ap);
	va_end(ap);
	log_err(ctx, "%s", errormsg);
	return rc;
}

void kstate_log(struct kstate_ctx *ctx, int priority, const char *file, int line,
		const char *fn, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	ctx->log_fn(ctx, priority, file, line, fn, format, ap);
	va_end(ap);
}

/* Used only when the KSTATE_LOG environment variable asks for logging. */
static void log_stderr(struct kstate_ctx *ctx, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	fprintf(stderr, "libkstate: %s: ", fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

static int log_priority_parse(const char *s)
{
	static const struct {
		const char *name;
		int priority;
	} names[] = {
		{ "err", LOG_ERR }, { "warning", LOG_WARNING }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	char *end;
	long v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].priority;
	v = strtol(s, &end, 10);
	if (end != s && *end == '\0' && v >= 0 && v <= LOG_DEBUG)
		return (int)v;
	return LOG_ERR;
}

/**
 * kstate_ctx_new - create a library context
 * @out: the new context
 *
 * The library never prints on its own: messages go to the function set with
 * kstate_ctx_set_log_fn().  Setting the environment variable KSTATE_LOG to err,
 * warning, info, debug or a syslog priority number logs to stderr at that level.
 *
 * Return: 0, or -ENOMEM.
 */
KSTATE_EXPORT int kstate_ctx_new(struct kstate_ctx **out)
{
	struct kstate_ctx *ctx;
	const char *env;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return kstate_fail(NULL, -ENOMEM, "kstate_ctx_new: out of memory");
	ctx->log_priority = LOG_ERR;
	env = secure_getenv("KSTATE_LOG");
	if (env && *env) {
		ctx->log_fn = log_stderr;
		ctx->log_priority = log_priority_parse(env);
	}
	*out = ctx;
	return 0;
}

/**
 * kstate_ctx_delete - release a context
 * @ctx: pointer to the context; set to NULL. NULL or a pointer to NULL is fine.
 *
 * Every object created from the context must be released first.
 */
KSTATE_EXPORT void kstate_ctx_delete(struct kstate_ctx **ctx)
{
	if (!ctx || !*ctx)
		return;
	free(*ctx);
	*ctx = NULL;
}

/**
 * kstate_ctx_set_log_fn - send log messages to @fn
 * @ctx: the context
 * @fn: the log function, or NULL to drop messages
 */
KSTATE_EXPORT void kstate_ctx_set_log_fn(struct kstate_ctx *ctx, kstate_log_fn fn)
{
	ctx->log_fn = fn;
}

/**
 * kstate_ctx_set_log_priority - log messages up to @priority
 * @ctx: the context
 * @priority: syslog priority, LOG_ERR (default) to LOG_DEBUG
 */
KSTATE_EXPORT void kstate_ctx_set_log_priority(struct kstate_ctx *ctx, int priority)
{
	ctx->log_priority = priority;
}

/**
 * kstate_ctx_get_log_priority - the current log priority
 * @ctx: the context
 *
 * Return: the syslog priority up to which messages are logged.
 */
KSTATE_EXPORT int kstate_ctx_get_log_priority(struct kstate_ctx *ctx)
{
	return ctx->log_priority;
}

/**
 * kstate_ctx_set_userdata - attach caller data to the context (for the log function)
 * @ctx: the context
 * @userdata: anything
 */
KSTATE_EXPORT void kstate_ctx_set_userdata(struct kstate_ctx *ctx, void *userdata)
{
	ctx->userdata = userdata;
}

/**
 * kstate_ctx_get_userdata - caller data attached with kstate_ctx_set_userdata()
 * @ctx: the context
 *
 * Return: the pointer, or NULL.
 */
KSTATE_EXPORT void *kstate_ctx_get_userdata(struct kstate_ctx *ctx)
{
	return ctx->userdata;
}

/* ---------------------------------------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The boot id tells an operator which boot wrote a file; all zeros if unknown. */
void kstate_boot_id(u8 out[KSTATE_UUID_LEN])
{
	char text[64];
	ssize_t n;
	int fd, i = 0;
	const char *p;

	memset(out, 0, KSTATE_UUID_LEN);
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	for (p = text; *p && i < KSTATE_UUID_LEN; p++) {
		int hi, lo;

		if (*p == '-')
			continue;
		hi = hexval(p[0]);
		lo = p[1] ? hexval(p[1]) : -1;
		if (hi < 0 || lo < 0)
			break;
		out[i++] = (u8)(hi << 4 | lo);
		p++;
	}
	if (i != KSTATE_UUID_LEN)
		memset(out, 0, KSTATE_UUID_LEN);
}

void kstate_kernel_release(char out[KSTATE_RELEASE_LEN + 1])
{
	struct utsname u;

	memset(out, 0, KSTATE_RELEASE_LEN + 1);
	if (uname(&u) == 0)
		snprintf(out, KSTATE_RELEASE_LEN + 1, "%s", u.release);
}

uint64_t kstate_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
