/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kstate_shim.h (kernel) - what format/kstate_format.c needs, from the kernel.
 *
 * libkstate has its own kstate_shim.h with the same names; the include path picks
 * one, so the format code itself has no #ifdef.
 */
#ifndef KSTATE_SHIM_H
#define KSTATE_SHIM_H

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include <linux/crc32c.h>
#include <linux/sched.h>

/*
 * Raw CRC32C update (no inversion).  A record file may be 256 MiB, checksummed under the
 * module's mutex: it is fed in 1 MiB pieces with a chance to reschedule between them
 * (the format code runs only in process context).
 */
static inline u32 kstate_shim_crc32c(u32 crc, const void *buf, size_t len)
{
	const u8 *p = buf;

	while (len) {
		size_t n = min_t(size_t, len, 1UL << 20);

		crc = crc32c(crc, p, n);
		p += n;
		len -= n;
		if (len)
			cond_resched();
	}
	return crc;
}

/* A long validation loop (millions of records) lets others run now and then. */
static inline void kstate_shim_resched(void)
{
	cond_resched();
}

#endif /* KSTATE_SHIM_H */
