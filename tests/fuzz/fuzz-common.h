/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the libFuzzer targets in tests/fuzz/.
 *
 * Random mutations almost never carry a valid CRC32C, so on raw input the fuzzer would
 * mostly exercise the checksum checks.  Each target therefore runs its checks three
 * times: on the input as it is; on a copy whose checksums were recomputed ("forged")
 * over whatever the input declares, the hostile-writer case of a file whose checksums
 * are all valid but whose lengths, counts, names and offsets lie; and on a copy whose
 * file-level length (payload_length, entry_count) was also made to match the input
 * size before forging, so that mutations reach the per-record and per-entry checks
 * instead of stopping at the file length.
 *
 * The checksum arithmetic below forges, it does not parse: acceptance is always
 * decided by format/kstate_format.c, the code the kernel module compiles.
 */
#ifndef KSTATE_FUZZ_COMMON_H
#define KSTATE_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kstate_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant that must hold for every input: abort, so libFuzzer saves the input. */
#define FUZZ_ASSERT(cond)                                                        \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
				__LINE__, #cond);                                \
			abort();                                                 \
		}                                                                \
	} while (0)

/* Every decoder answers 0 or one of the errnos format/kstate_format.h lists. */
static inline int fuzz_format_errno(int rc)
{
	return rc == 0 || rc == -EPROTO || rc == -EBADMSG || rc == -EOPNOTSUPP ||
	       rc == -EOVERFLOW || rc == -EMSGSIZE || rc == -EUCLEAN;
}

/* A refusal says why, and points inside (or at the end of) the input. */
static inline void fuzz_check_refusal(int rc, const struct kstate_format_error *fe,
				      size_t size)
{
	FUZZ_ASSERT(fuzz_format_errno(rc));
	if (rc) {
		FUZZ_ASSERT(fe->what != NULL && fe->what[0] != '\0');
		FUZZ_ASSERT(fe->offset <= size);
	}
}

static inline void fuzz_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t fuzz_get_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Header CRC: the last 4 bytes of a @hsize-byte header cover everything before. */
static inline void fuzz_forge_header_crc(uint8_t *buf, size_t len, uint32_t hsize)
{
	if (len >= hsize)
		fuzz_put_le32(buf + hsize - 4, kstate_crc32c(buf, hsize - 4));
}

/* Record CRCs, for every record whose declared length fits in the buffer. */
static inline void fuzz_forge_record_crcs(uint8_t *buf, size_t len)
{
	uint64_t pos = KSTATE_FILE_HEADER_SIZE;

	while (pos <= len && len - pos >= KSTATE_RECORD_HEADER_SIZE) {
		uint32_t length = fuzz_get_le32(buf + pos + 4);
		uint64_t rsize;
		uint32_t crc;

		if (length > KSTATE_RECORD_MAX_LENGTH)
			break;
		rsize = kstate_record_size(length);
		if (rsize > len - pos)
			break;
		crc = kstate_crc32c_begin();
		crc = kstate_crc32c_add(crc, buf + pos, 12);
		crc = kstate_crc32c_add(crc, buf + pos + KSTATE_RECORD_HEADER_SIZE,
					rsize - KSTATE_RECORD_HEADER_SIZE);
		fuzz_put_le32(buf + pos + 12, kstate_crc32c_end(crc));
		pos += rsize;
	}
}

static inline void fuzz_put_le64(uint8_t *p, uint64_t v)
{
	fuzz_put_le32(p, (uint32_t)v);
	fuzz_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* A record file: optionally payload_length = what follows the header, then every CRC. */
static inline void fuzz_forge_record_file(uint8_t *buf, size_t len, bool lengths)
{
	if (lengths && len >= KSTATE_FILE_HEADER_SIZE)
		fuzz_put_le64(buf + 48, len - KSTATE_FILE_HEADER_SIZE);
	fuzz_forge_record_crcs(buf, len);
	fuzz_forge_header_crc(buf, len, KSTATE_FILE_HEADER_SIZE);
}

/*
 * A manifest: optionally entry_count = whole entries in the buffer; then the entries
 * CRC over the entries the header declares (or all there are), then the header CRC.
 */
static inline void fuzz_forge_manifest(uint8_t *buf, size_t len, bool lengths)
{
	uint64_t end;

	if (len < KSTATE_MANIFEST_HEADER_SIZE)
		return;
	if (lengths)
		fuzz_put_le32(buf + 68, (uint32_t)((len - KSTATE_MANIFEST_HEADER_SIZE) /
						   KSTATE_MANIFEST_ENTRY_SIZE));
	end = kstate_manifest_size(fuzz_get_le32(buf + 68));
	if (end > len)
		end = len;
	fuzz_put_le32(buf + 76, kstate_crc32c(buf + KSTATE_MANIFEST_HEADER_SIZE,
					      end - KSTATE_MANIFEST_HEADER_SIZE));
	fuzz_forge_header_crc(buf, len, KSTATE_MANIFEST_HEADER_SIZE);
}

/*
 * A re-encoded header must equal the input byte for byte.  The encoder writes its own
 * minor version (readers accept any), so for another minor only that field and the
 * checksum that covers it may differ.
 */
static inline void fuzz_check_reencoded(const uint8_t *orig, const void *reenc, size_t hsize,
					u16 minor)
{
	const uint8_t *r = reenc;

	if (minor == KSTATE_FORMAT_VERSION_MINOR) {
		FUZZ_ASSERT(memcmp(orig, r, hsize) == 0);
		return;
	}
	FUZZ_ASSERT(memcmp(orig, r, 10) == 0);
	FUZZ_ASSERT(memcmp(orig + 12, r + 12, hsize - 16) == 0);
}

/* Run @check on @data, then on copies forged by @forge without and with lengths. */
static inline void fuzz_run(const uint8_t *data, size_t size,
			    void (*check)(const uint8_t *, size_t),
			    void (*forge)(uint8_t *, size_t, bool lengths))
{
	uint8_t *copy;
	int lengths;

	check(data, size);
	copy = malloc(size ? size : 1);
	FUZZ_ASSERT(copy != NULL);
	for (lengths = 0; lengths <= 1; lengths++) {
		memcpy(copy, data, size);
		forge(copy, size, lengths);
		check(copy, size);
	}
	free(copy);
}

#endif /* KSTATE_FUZZ_COMMON_H */
