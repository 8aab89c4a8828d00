/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kstate_shim.h (userspace) - what format/kstate_format.c needs, from libc and ISA-L.
 *
 * The kernel module has its own kstate_shim.h with the same names; the build picks one
 * by include path, so the format code itself has no #ifdef.
 */
#ifndef KSTATE_SHIM_H
#define KSTATE_SHIM_H

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <isa-l/crc.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define le16_to_cpu(x) le16toh(x)
#define le32_to_cpu(x) le32toh(x)
#define le64_to_cpu(x) le64toh(x)
#define cpu_to_le16(x) htole16(x)
#define cpu_to_le32(x) htole32(x)
#define cpu_to_le64(x) htole64(x)

/* Raw CRC32C update (no inversion), as the kernel's crc32c(); ISA-L takes an int length. */
static inline u32 kstate_shim_crc32c(u32 crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		size_t n = len > (size_t)INT_MAX ? (size_t)1 << 30 : len;

		crc = crc32_iscsi((unsigned char *)p, (int)n, crc);
		p += n;
		len -= n;
	}
	return crc;
}

/* The kernel reschedules in long loops; a process is preempted anyway. */
static inline void kstate_shim_resched(void)
{
}

#endif /* KSTATE_SHIM_H */
