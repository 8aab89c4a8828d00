// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * daxfs-setup: see msg.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "msg.h"

bool setup_quiet;
static char errormsg[512];

int setup_fail(int rc, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(errormsg, sizeof(errormsg), format, ap);
	va_end(ap);
	return rc;
}

const char *setup_errormsg(void)
{
	return errormsg;
}

static void vprint(const char *prefix, const char *format, va_list ap)
{
	fprintf(stderr, "daxfs-setup: %s", prefix);
	vfprintf(stderr, format, ap);
	fputc('\n', stderr);
}

void setup_warn(const char *format, ...)
{
	va_list ap;

	if (setup_quiet)
		return;
	va_start(ap, format);
	vprint("warning: ", format, ap);
	va_end(ap);
}

void setup_info(const char *format, ...)
{
	va_list ap;

	if (setup_quiet || !getenv("DAXFS_SETUP_VERBOSE"))
		return;
	va_start(ap, format);
	vprint("", format, ap);
	va_end(ap);
}
