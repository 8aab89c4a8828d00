/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel command line as the kernel reads it, for kstate-save (is the store's
 * reservation kept?) and daxfs-setup (is one active?): words, the "--" after which
 * words are init's, and memmap=SIZE!START persistent memory reservations.
 */
#ifndef KSTATE_TOOLS_CMDLINE_H
#define KSTATE_TOOLS_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MEMMAP_MAX	16	/* ranges cmdline_memmap() returns at most */

struct memmap_range {
	uint64_t start;
	uint64_t size;
};

/* Where the arguments for init start: the "--" word, or the terminating NUL. */
char *cmdline_init_args(char *cmdline);

/*
 * The persistent memory ranges @cmdline reserves (memmap=SIZE!START, several words or
 * comma-separated ranges, numbers as the kernel's memparse() reads them), in order, up
 * to @max; words after "--" are init's and do not count.  If @words is not NULL it
 * gets those memmap= words, space-separated (at most @len bytes).
 * Return: how many ranges.
 */
unsigned int cmdline_memmap(const char *cmdline, struct memmap_range *ranges,
			    unsigned int max, char *words, size_t len);

/* Whether @cmdline reserves all of [start, start + size) as persistent memory. */
bool cmdline_reserves(const char *cmdline, uint64_t start, uint64_t size);

#endif /* KSTATE_TOOLS_CMDLINE_H */
