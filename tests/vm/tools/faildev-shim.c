// SPDX-License-Identifier: GPL-2.0-only
/*
 * faildev-shim.so - fail the device under a store right before the Nth call of a commit
 * that can reach the device (kstate-faildev, issue 18).
 *
 * On a page-cache filesystem a commit's writes stay in memory until an fsync sends
 * them to the device, and a kernel client's record is written (and fsynced) inside the
 * save ioctl.  So the calls that can reach the device are fsync, fdatasync, syncfs and
 * ioctl; this preload counts them and, before the one numbered FAILDEV_AT, runs
 * FAILDEV_CMD (a shell command that swaps the device-mapper table for a failing one)
 * and waits for it.  The failure itself is the kernel's: dm-flakey fails the bios, the
 * filesystem and the caller see what a dying disk gives them.  Running the commit once
 * for each N = 1, 2, ... fails the device after every step of it in turn, without a
 * race against a watcher.
 *
 * Environment (read once at load time, then removed so FAILDEV_CMD's processes do not
 * inherit the preload):
 *   FAILDEV_AT=N     the call to fail the device before (1 = the first)
 *   FAILDEV_CMD=CMD  run with /bin/sh -c
 *   FAILDEV_LOG=FILE a line "fired N NAME FDPATH rc=R" is appended when it fires
 *                    (R: FAILDEV_CMD's wait status), or "calls N" at exit if it did not
 *
 * Usage: FAILDEV_AT=3 FAILDEV_CMD='dmsetup ...' FAILDEV_LOG=/tmp/fired \
 *          LD_PRELOAD=faildev-shim.so pc-writer commit 7 --kernel
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static unsigned long at, calls;
static char cmd[4096], logpath[PATH_MAX];
static int fired;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	if (!logpath[0])
		return;
	f = fopen(logpath, "a");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

__attribute__((constructor))
static void shim_init(void)
{
	const char *s;

	s = getenv("FAILDEV_AT");
	at = s ? strtoul(s, NULL, 10) : 0;
	s = getenv("FAILDEV_CMD");
	if (s)
		snprintf(cmd, sizeof(cmd), "%s", s);
	s = getenv("FAILDEV_LOG");
	if (s)
		snprintf(logpath, sizeof(logpath), "%s", s);
	unsetenv("LD_PRELOAD");
	unsetenv("FAILDEV_AT");
	unsetenv("FAILDEV_CMD");
	unsetenv("FAILDEV_LOG");
}

__attribute__((destructor))
static void shim_fini(void)
{
	if (!fired)
		note("calls %lu\n", calls);
}

/* Count one call that may reach the device; fail the device first if it is the one. */
static void before(const char *name, int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;
	int saved = errno, st;

	if (++calls != at || !cmd[0])
		return;
	fired = 1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	st = system(cmd);
	note("fired %lu %s %s rc=%d\n", calls, name, target[0] ? target : "?", st);
	errno = saved;
}

typedef int (*fd_fn)(int);
typedef int (*ioctl_fn)(int, unsigned long, ...);

/* The next definition of NAME (libc's). */
static void *next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, "faildev-shim: no %s after the preload\n", name);
		abort();
	}
	return p;
}

int fsync(int fd)
{
	static fd_fn real;

	if (!real)
		*(void **)&real = next("fsync");
	before("fsync", fd);
	return real(fd);
}

int fdatasync(int fd)
{
	static fd_fn real;

	if (!real)
		*(void **)&real = next("fdatasync");
	before("fdatasync", fd);
	return real(fd);
}

int syncfs(int fd)
{
	static fd_fn real;

	if (!real)
		*(void **)&real = next("syncfs");
	before("syncfs", fd);
	return real(fd);
}

/* Every ioctl request the lab's tools make takes one pointer or integer argument. */
int ioctl(int fd, unsigned long request, ...)
{
	static ioctl_fn real;
	va_list ap;
	void *arg;

	if (!real)
		*(void **)&real = next("ioctl");
	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	before("ioctl", fd);
	return real(fd, request, arg);
}
