// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz-store-header - kstate_store_header_decode() on any bytes.
 *
 * Beyond no crash and no undefined behaviour: a refusal is a documented errno with a
 * reason; an accepted header is exactly 128 bytes and re-encodes to the same bytes
 * (the high-water mark and UUID survive the round trip libkstate makes each commit).
 */
#include "fuzz-common.h"

static void check_store(const uint8_t *data, size_t size)
{
	struct kstate_format_error fe = { 0 };
	struct kstate_store_info info;
	struct kstate_store_header h;
	int rc;

	memset(&info, 0, sizeof(info));
	rc = kstate_store_header_decode(data, size, &info, &fe);
	fuzz_check_refusal(rc, &fe, size);
	if (rc)
		return;
	FUZZ_ASSERT(size == KSTATE_STORE_HEADER_SIZE);
	FUZZ_ASSERT(info.flags == 0);
	FUZZ_ASSERT((info.incompat & ~KSTATE_STORE_INCOMPAT_SUPP) == 0);
	FUZZ_ASSERT(kstate_store_header_encode(&h, &info) == 0);
	fuzz_check_reencoded(data, &h, sizeof(h), info.version_minor);
}

static void forge(uint8_t *buf, size_t len, bool lengths)
{
	fuzz_forge_header_crc(buf, len, KSTATE_STORE_HEADER_SIZE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_run(data, size, check_store, forge);
	return 0;
}
