// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz-file-open - libkstate's kstate_file_new_from_buffer() on any bytes: what
 * "kstate dump" and "kstate verify" do with a file an operator hands them.
 *
 * Beyond no crash, no leak (LeakSanitizer) and no undefined behaviour:
 *  - libkstate accepts or refuses exactly as the format decoder for the type the
 *    signature names, with the same errno, and always leaves a message;
 *  - an accepted record file's reader returns record_count records whose payloads are
 *    the file's own bytes, walking to the exact end, and again after a rewind;
 *  - an accepted manifest's generation lists entries with valid file names, and
 *    refuses to verify them without a store;
 *  - size, whole-file CRC and high-water mark match the bytes.
 */
#include "fuzz-common.h"
#include "libkstate.h"

static struct kstate_ctx *ctx;

/* What the format decoder says about @data, for the type its signature names. */
static int format_verdict(const uint8_t *data, size_t size, int *type)
{
	union {
		struct kstate_file_info f;
		struct kstate_manifest_info m;
		struct kstate_store_info s;
	} u;

	*type = 0;
	if (size < KSTATE_MAGIC_LEN)
		return -EOVERFLOW;
	if (memcmp(data, KSTATE_FILE_MAGIC, KSTATE_MAGIC_LEN) == 0) {
		*type = KSTATE_FILE_TYPE_RECORDS;
		return kstate_file_validate(data, size, &u.f, NULL);
	}
	if (memcmp(data, KSTATE_MANIFEST_MAGIC, KSTATE_MAGIC_LEN) == 0) {
		*type = KSTATE_FILE_TYPE_MANIFEST;
		return kstate_manifest_decode(data, size, &u.m, NULL);
	}
	if (memcmp(data, KSTATE_STORE_MAGIC, KSTATE_MAGIC_LEN) == 0) {
		*type = KSTATE_FILE_TYPE_STORE;
		return kstate_store_header_decode(data, size, &u.s, NULL);
	}
	return -EPROTO;
}

/* Walk every record; returns how many there were. */
static uint32_t walk_records(struct kstate_reader *r, const uint8_t *data, size_t size)
{
	u64 off = KSTATE_FILE_HEADER_SIZE;
	uint32_t n = 0;
	const void *payload;
	uint16_t type, flags;
	size_t length;
	int rc;

	while ((rc = kstate_reader_next(r, &type, &flags, &payload, &length)) == 1) {
		FUZZ_ASSERT(off + kstate_record_size((u32)length) <= size);
		FUZZ_ASSERT(memcmp(payload, data + off + KSTATE_RECORD_HEADER_SIZE,
				   length) == 0);
		FUZZ_ASSERT((flags & ~KSTATE_RECORD_F_ALL) == 0);
		off += kstate_record_size((u32)length);
		n++;
	}
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(off == size);
	return n;
}

static void check_records(struct kstate_file *f, const uint8_t *data, size_t size)
{
	struct kstate_reader *r = NULL;
	uint32_t n;

	FUZZ_ASSERT(kstate_file_open_generation(f, NULL) == -EINVAL);
	FUZZ_ASSERT(kstate_file_open_reader(f, &r) == 0);
	n = walk_records(r, data, size);
	FUZZ_ASSERT(n == kstate_reader_record_count(r));
	kstate_reader_rewind(r);
	FUZZ_ASSERT(walk_records(r, data, size) == n);
	FUZZ_ASSERT(kstate_reader_size(r) == size);
	kstate_reader_delete(&r);
}

static void check_manifest(struct kstate_file *f)
{
	struct kstate_generation *g = NULL;
	char fname[KSTATE_FILENAME_MAX];
	unsigned int i, n;

	FUZZ_ASSERT(kstate_file_open_reader(f, NULL) == -EINVAL);
	FUZZ_ASSERT(kstate_file_open_generation(f, &g) == 0);
	n = kstate_generation_entry_count(g);
	for (i = 0; i < n; i++) {
		int kind = kstate_generation_entry_kind(g, i);

		FUZZ_ASSERT(kind == KSTATE_KIND_RECORDS || kind == KSTATE_KIND_REGION);
		FUZZ_ASSERT(kstate_generation_entry_filename(g, i, fname, sizeof(fname)) == 0);
		FUZZ_ASSERT(strncmp(fname, kstate_generation_entry_name(g, i),
				    strlen(kstate_generation_entry_name(g, i))) == 0);
		FUZZ_ASSERT(kstate_generation_entry_generation(g, i) <=
			    kstate_generation_number(g));
		FUZZ_ASSERT(kstate_generation_find(g, kind, kstate_generation_entry_name(g, i)) ==
			    (int)i);
	}
	if (n)
		FUZZ_ASSERT(kstate_generation_verify_entry(g, 0) == -EINVAL);
	FUZZ_ASSERT(kstate_generation_entry_name(g, n)[0] == '\0');
	FUZZ_ASSERT(kstate_generation_entry_filename(g, n, fname, sizeof(fname)) == -EINVAL);
	kstate_generation_delete(&g);
}

static void check_open(const uint8_t *data, size_t size)
{
	struct kstate_file *f = NULL;
	int type, expect, rc;

	expect = format_verdict(data, size, &type);
	rc = kstate_file_new_from_buffer(ctx, data, size, &f);
	FUZZ_ASSERT(rc == expect);
	if (rc) {
		FUZZ_ASSERT(f == NULL);
		FUZZ_ASSERT(kstate_errormsg()[0] != '\0');
		return;
	}
	FUZZ_ASSERT(kstate_file_type(f) == type);
	FUZZ_ASSERT(kstate_file_size(f) == size);
	FUZZ_ASSERT(kstate_file_crc(f) == kstate_crc32c(data, size));
	if (type == KSTATE_FILE_TYPE_RECORDS)
		check_records(f, data, size);
	else if (type == KSTATE_FILE_TYPE_MANIFEST)
		check_manifest(f);
	else
		FUZZ_ASSERT(kstate_file_last_sealed(f) ==
			    ((u64)fuzz_get_le32(data + 56) | (u64)fuzz_get_le32(data + 60) << 32));
	kstate_file_delete(&f);
}

/* Forge the checksums of whichever kind of file the signature names. */
static void forge(uint8_t *buf, size_t len, bool lengths)
{
	if (len < KSTATE_MAGIC_LEN)
		return;
	if (memcmp(buf, KSTATE_FILE_MAGIC, KSTATE_MAGIC_LEN) == 0) {
		fuzz_forge_record_file(buf, len, lengths);
	} else if (memcmp(buf, KSTATE_MANIFEST_MAGIC, KSTATE_MAGIC_LEN) == 0) {
		fuzz_forge_manifest(buf, len, lengths);
	} else {
		fuzz_forge_header_crc(buf, len, KSTATE_STORE_HEADER_SIZE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx)
		FUZZ_ASSERT(kstate_ctx_new(&ctx) == 0);
	fuzz_run(data, size, check_open, forge);
	return 0;
}
