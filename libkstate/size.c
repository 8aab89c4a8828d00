// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * size.c - byte counts as people write them ("64M", "8GiB", "0x1000"), for every tool.
 *
 * Copyright (c) 2026 The kstate authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

/**
 * kstate_size_parse - parse a byte count with an optional binary unit
 * @text: a number (decimal, or hex with 0x), optionally followed by K, M, G or T
 *	(powers of 1024, either case), optionally followed by "iB" or "B"
 * @bytes: the value on success
 *
 * Return: 0, -EINVAL for anything else (including a sign or trailing text), or
 * -ERANGE when the value does not fit 64 bits.
 */
KSTATE_EXPORT int kstate_size_parse(const char *text, uint64_t *bytes)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!text || !(*text >= '0' && *text <= '9'))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 0);
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
