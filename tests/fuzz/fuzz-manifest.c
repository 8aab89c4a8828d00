// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz-manifest - kstate_manifest_decode() and the name and file-name rules on any bytes.
 *
 * Beyond no crash and no undefined behaviour:
 *  - a refusal is a documented errno with a reason and an offset in range;
 *  - an accepted manifest has exactly 256 + 64 * entry_count bytes, a known state,
 *    generation > base; each entry passes kstate_entry_decode() on its own (the check
 *    libkstate applies to entries the module returns), names a file that fits, and
 *    sorts strictly after the previous one;
 *  - an accepted manifest re-encodes (kstate_manifest_encode) to the same bytes;
 *  - a name field accepted by kstate_name_decode() re-encodes to the same 32 bytes,
 *    and a file name accepted as "manifest.<16 hex>" is printed back identically.
 */
#include "fuzz-common.h"

static void check_entries(const uint8_t *data, const struct kstate_manifest_info *info,
			  struct kstate_entry *entries)
{
	u32 i;

	for (i = 0; i < info->entry_count; i++) {
		struct kstate_manifest_entry me;
		struct kstate_entry e;
		char fname[KSTATE_FILENAME_MAX];

		kstate_manifest_entry_get(data, i, &entries[i]);
		memcpy(&me, data + kstate_manifest_size(i), sizeof(me));
		FUZZ_ASSERT(kstate_entry_decode(&me, info->generation, &e) == 0);
		FUZZ_ASSERT(memcmp(&e, &entries[i], sizeof(e)) == 0);
		FUZZ_ASSERT(e.generation >= 1 && e.generation <= info->generation);
		if (e.kind == KSTATE_ENTRY_RECORDS)
			FUZZ_ASSERT(kstate_records_filename(fname, sizeof(fname), e.name,
							    e.generation) == 0);
		else
			FUZZ_ASSERT(kstate_region_filename(fname, sizeof(fname), e.name) == 0);
		FUZZ_ASSERT(strchr(fname, '/') == NULL && fname[0] != '.');
		if (i)
			FUZZ_ASSERT(kstate_entry_compare(&entries[i - 1], &entries[i]) < 0);
	}
}

static void check_manifest(const uint8_t *data, size_t size)
{
	struct kstate_format_error fe = { 0 };
	struct kstate_manifest_info info;
	struct kstate_entry *entries;
	uint8_t *again;
	int rc;

	memset(&info, 0, sizeof(info));
	rc = kstate_manifest_decode(data, size, &info, &fe);
	fuzz_check_refusal(rc, &fe, size);
	if (rc)
		return;
	FUZZ_ASSERT(kstate_manifest_size(info.entry_count) == size);
	FUZZ_ASSERT(info.state == KSTATE_MANIFEST_OPEN || info.state == KSTATE_MANIFEST_SEALED);
	FUZZ_ASSERT(info.generation > info.base_generation);

	entries = calloc(info.entry_count ? info.entry_count : 1, sizeof(*entries));
	again = malloc(size);
	FUZZ_ASSERT(entries && again);
	check_entries(data, &info, entries);
	FUZZ_ASSERT(kstate_manifest_encode(again, size, &info, entries) == 0);
	fuzz_check_reencoded(data, again, KSTATE_MANIFEST_HEADER_SIZE, info.version_minor);
	FUZZ_ASSERT(memcmp(data + KSTATE_MANIFEST_HEADER_SIZE,
			   again + KSTATE_MANIFEST_HEADER_SIZE,
			   size - KSTATE_MANIFEST_HEADER_SIZE) == 0);
	free(again);
	free(entries);
}

/* The first bytes as a name field and as a directory entry name. */
static void check_names(const uint8_t *data, size_t size)
{
	u8 field[KSTATE_NAME_LEN] = { 0 }, again[KSTATE_NAME_LEN];
	char name[KSTATE_NAME_LEN], str[KSTATE_FILENAME_MAX], printed[KSTATE_FILENAME_MAX];
	u64 gen;

	memcpy(field, data, size < sizeof(field) ? size : sizeof(field));
	if (kstate_name_decode(field, name) == 0) {
		FUZZ_ASSERT(kstate_name_valid(name));
		FUZZ_ASSERT(kstate_name_encode(again, name) == 0);
		FUZZ_ASSERT(memcmp(field, again, sizeof(field)) == 0);
	}
	memset(str, 0, sizeof(str));
	memcpy(str, data, size < sizeof(str) - 1 ? size : sizeof(str) - 1);
	if (kstate_manifest_filename_parse(str, &gen) == 0) {
		FUZZ_ASSERT(gen != 0);
		FUZZ_ASSERT(kstate_manifest_filename(printed, sizeof(printed), gen) == 0);
		FUZZ_ASSERT(strcmp(printed, str) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_names(data, size);
	fuzz_run(data, size, check_manifest, fuzz_forge_manifest);
	return 0;
}
