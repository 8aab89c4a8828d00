// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmdline.c - see cmdline.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

char *cmdline_init_args(char *cmdline)
{
	char *p = cmdline;

	for (;;) {
		p = strstr(p, "--");
		if (!p)
			return cmdline + strlen(cmdline);
		if ((p == cmdline || p[-1] == ' ') && (p[2] == ' ' || p[2] == '\0'))
			return p;
		p += 2;
	}
}

/* memparse(): a number (0x for hex, 0 for octal, as the kernel reads it) and K..E. */
static bool memparse(const char *s, const char **end, uint64_t *v)
{
	char *e;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &e, 0);
	if (errno)
		return false;
	switch (*e) {
	case 'E': case 'e': *v <<= 10; /* fall through */
	case 'P': case 'p': *v <<= 10; /* fall through */
	case 'T': case 't': *v <<= 10; /* fall through */
	case 'G': case 'g': *v <<= 10; /* fall through */
	case 'M': case 'm': *v <<= 10; /* fall through */
	case 'K': case 'k': *v <<= 10; e++; break;
	default: break;
	}
	*end = e;
	return true;
}

unsigned int cmdline_memmap(const char *cmdline, struct memmap_range *ranges,
			    unsigned int max, char *words, size_t len)
{
	const char *p = cmdline;
	unsigned int nr = 0;
	size_t wl = 0;

	if (words && len)
		words[0] = '\0';
	while (*p) {
		const char *w, *q;
		bool pmem = false;
		size_t n;

		p += strspn(p, " \t\n");
		w = p;
		/* A word ends at a space outside double quotes. */
		for (q = p; *q && !strchr(" \t\n", *q); q++)
			if (*q == '"') {
				const char *c = strchr(q + 1, '"');

				q = c ? c : q + strlen(q) - 1;
			}
		n = (size_t)(q - w);
		p = q;
		if (n == 2 && strncmp(w, "--", 2) == 0)
			break;		/* the rest is init's */
		if (n <= 7 || strncmp(w, "memmap=", 7) != 0)
			continue;
		for (q = w + 7; q < w + n;) {
			uint64_t sz, at;
			const char *e;

			if (!memparse(q, &e, &sz) || *e != '!' || !memparse(e + 1, &e, &at))
				break;
			pmem = true;
			if (nr < max) {
				ranges[nr].start = at;
				ranges[nr].size = sz;
			}
			nr++;
			if (*e != ',')
				break;
			q = e + 1;
		}
		if (pmem && words && wl + n + 2 <= len)
			wl += (size_t)snprintf(words + wl, len - wl, "%s%.*s", wl ? " " : "",
					       (int)n, w);
	}
	return nr < max ? nr : max;
}

bool cmdline_reserves(const char *cmdline, uint64_t start, uint64_t size)
{
	struct memmap_range r[CMDLINE_MEMMAP_MAX];
	unsigned int i, n = cmdline_memmap(cmdline, r, CMDLINE_MEMMAP_MAX, NULL, 0);

	for (i = 0; i < n; i++)
		if (r[i].start <= start && r[i].start + r[i].size >= start + size)
			return true;
	return false;
}
