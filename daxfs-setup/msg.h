/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daxfs-setup: why the last operation failed, and warnings on the way.
 *
 * The device and planning code (pmem.c, memmap-plan.c, ...) never prints an error: it
 * returns a negative errno and leaves the reason in setup_errormsg(), which the command
 * reports once with its exit code.  Warnings, which do not stop anything, go to stderr
 * at once (unless setup_quiet is set, as the unit tests do).
 */
#ifndef DAXFS_SETUP_MSG_H
#define DAXFS_SETUP_MSG_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

extern bool setup_quiet;

/* Record why a call failed and return @rc: "return setup_fail(-EBUSY, ...)". */
int setup_fail(int rc, const char *format, ...) __attribute__((format(printf, 2, 3)));
const char *setup_errormsg(void);
void setup_warn(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* Progress detail, printed only with DAXFS_SETUP_VERBOSE set in the environment. */
void setup_info(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif /* DAXFS_SETUP_MSG_H */
