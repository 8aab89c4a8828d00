// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz-record-file - kstate_file_validate() and kstate_record_decode() on any bytes.
 *
 * Beyond "no crash, no out-of-bounds read" (ASan) and "no undefined behaviour" (UBSan):
 *  - a refusal is one of the documented errnos, with a reason and an offset in range;
 *  - the header decoder alone refuses exactly when the whole-file validation refuses
 *    for a header reason, with the same errno;
 *  - an accepted file walks record by record to its exact end with kstate_record_decode()
 *    (as libkstate's reader and the module do), finding record_count records;
 *  - every accepted record re-encodes to its 16 stored header bytes, and the accepted
 *    file header re-encodes to its 256 stored bytes.
 */
#include "fuzz-common.h"

static void check_file(const uint8_t *data, size_t size)
{
	struct kstate_format_error fe = { 0 };
	struct kstate_file_info info, hinfo;
	struct kstate_file_header h;
	u64 pos = KSTATE_FILE_HEADER_SIZE;
	u32 n = 0;
	int rc, hrc;

	memset(&info, 0, sizeof(info));
	memset(&hinfo, 0, sizeof(hinfo));
	rc = kstate_file_validate(data, size, &info, &fe);
	fuzz_check_refusal(rc, &fe, size);
	hrc = kstate_file_header_decode(data, size, &hinfo, NULL);
	FUZZ_ASSERT(fuzz_format_errno(hrc));
	if (hrc) {
		FUZZ_ASSERT(rc == hrc);
		return;
	}
	if (rc)
		return;

	FUZZ_ASSERT(memcmp(&info, &hinfo, sizeof(info)) == 0);
	FUZZ_ASSERT(info.generation != 0);
	FUZZ_ASSERT(kstate_name_valid(info.name));
	FUZZ_ASSERT(KSTATE_FILE_HEADER_SIZE + info.payload_length == size);

	while (pos < size) {
		struct kstate_record_header rh;
		struct kstate_record rec;
		u64 start = pos;

		FUZZ_ASSERT(kstate_record_decode(data, size, &pos, &rec, NULL) == 0);
		FUZZ_ASSERT(pos > start && pos <= size);
		FUZZ_ASSERT(pos - start == kstate_record_size(rec.length));
		FUZZ_ASSERT((const uint8_t *)rec.payload == data + start +
			    KSTATE_RECORD_HEADER_SIZE);
		FUZZ_ASSERT(kstate_record_header_encode(&rh, rec.type, rec.flags, rec.payload,
							rec.length) == 0);
		FUZZ_ASSERT(memcmp(&rh, data + start, sizeof(rh)) == 0);
		n++;
	}
	FUZZ_ASSERT(pos == size);
	FUZZ_ASSERT(n == info.record_count);

	FUZZ_ASSERT(kstate_file_header_encode(&h, &info) == 0);
	fuzz_check_reencoded(data, &h, sizeof(h), info.version_minor);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_run(data, size, check_file, fuzz_forge_record_file);
	return 0;
}
