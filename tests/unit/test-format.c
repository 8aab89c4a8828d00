// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-format - the shared format implementation (format/kstate_format.c): golden
 * vectors, round trips and every validation path.
 */
#include "helpers.h"
#include "kstate_format.h"

/* Recompute a header CRC (last 4 bytes of a @size-byte header) after tampering. */
static void fix_header_crc(u8 *buf, u32 size)
{
	put_le32(buf + size - 4, kstate_crc32c(buf, size - 4));
}

/* Recompute the CRC of the record at @off after tampering with its header/payload. */
static void fix_record_crc(u8 *buf, u64 off)
{
	u32 len = get_le32(buf + off + 4);
	u32 crc = kstate_crc32c_begin();

	crc = kstate_crc32c_add(crc, buf + off, 12);
	crc = kstate_crc32c_add(crc, buf + off + 16, kstate_record_size(len) - 16);
	put_le32(buf + off + 12, kstate_crc32c_end(crc));
}

static void fix_manifest_crcs(u8 *buf, size_t len)
{
	put_le32(buf + 76, kstate_crc32c(buf + 256, len - 256));
	fix_header_crc(buf, 256);
}

static void *golden_records(size_t *len)
{
	return read_data("golden-records.ksr", len);
}

static void test_crc32c_check_value(void **state)
{
	(void)state;
	assert_int_equal(kstate_crc32c("123456789", 9), 0xE3069283);
	assert_int_equal(kstate_crc32c("", 0), 0);
}

static void test_crc32c_combine(void **state)
{
	u8 data[1000];
	size_t split;

	(void)state;
	for (split = 0; split < sizeof(data); split++)
		data[split] = (u8)(split * 131 + 7);
	for (split = 0; split <= sizeof(data); split += 37) {
		u32 a = kstate_crc32c(data, split);
		u32 b = kstate_crc32c(data + split, sizeof(data) - split);

		assert_int_equal(kstate_crc32c_combine(a, b, sizeof(data) - split),
				 kstate_crc32c(data, sizeof(data)));
	}
}

/* Combining across lengths with many bits set, up to 24 MiB, against a direct CRC. */
static void test_crc32c_combine_long(void **state)
{
	static const size_t splits[] = { 1, 4095, 65536 + 17, (3 << 20) + 5, (7 << 20) - 1 };
	size_t len = 24 << 20, i;
	u8 *data = malloc(len);
	u32 whole, head, rest, hdr12, hdr16;

	(void)state;
	for (i = 0; i < len; i++)
		data[i] = (u8)(i * 2654435761U >> 13);
	whole = kstate_crc32c(data, len);
	for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		head = kstate_crc32c(data, splits[i]);
		rest = kstate_crc32c(data + splits[i], len - splits[i]);
		assert_int_equal(kstate_crc32c_combine(head, rest, len - splits[i]), whole);
	}
	/*
	 * Linear in the first CRC, as the writer uses it: crc(16-byte header || body) from
	 * crc(first 12 header bytes || body).
	 */
	hdr12 = kstate_crc32c(data, 12);
	hdr16 = kstate_crc32c(data, 16);
	assert_int_equal(kstate_crc32c_combine(hdr16 ^ hdr12,
					       kstate_crc32c_combine(hdr12,
								     kstate_crc32c(data + 16, len - 16),
								     len - 16),
					       len - 16),
			 whole);
	free(data);
}

static void test_names(void **state)
{
	static const char *good[] = { "a", "Z", "0", "iommu-demo", "kv_demo2",
				      "abcdefghijklmnopqrstuvwxyz01234" };
	static const char *bad[] = { "", "-a", "_a", ".a", "a.b", "a/b", "a b", "..",
				     "abcdefghijklmnopqrstuvwxyz012345", "\xc3\xa9" };
	u8 field[KSTATE_NAME_LEN];
	char name[KSTATE_NAME_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(kstate_name_valid(good[i]));
		assert_int_equal(kstate_name_encode(field, good[i]), 0);
		assert_int_equal(kstate_name_decode(field, name), 0);
		assert_string_equal(name, good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(kstate_name_valid(bad[i]));
		assert_int_equal(kstate_name_encode(field, bad[i]), -EINVAL);
	}
	/* A field with bytes after the terminating NUL is not a name. */
	kstate_name_encode(field, "abc");
	field[10] = 'x';
	assert_int_equal(kstate_name_decode(field, name), -EUCLEAN);
	/* Nor is a field without any NUL. */
	memset(field, 'a', sizeof(field));
	assert_int_equal(kstate_name_decode(field, name), -EUCLEAN);
}

static void test_filenames(void **state)
{
	char buf[KSTATE_FILENAME_MAX];
	u64 g = 0;

	(void)state;
	assert_int_equal(kstate_records_filename(buf, sizeof(buf), "vmm", 0x2a), 0);
	assert_string_equal(buf, "vmm.000000000000002a.ksr");
	assert_int_equal(kstate_region_filename(buf, sizeof(buf), "guest-ram"), 0);
	assert_string_equal(buf, "guest-ram.region");
	assert_int_equal(kstate_manifest_filename(buf, sizeof(buf), 7), 0);
	assert_string_equal(buf, "manifest.0000000000000007");
	assert_int_equal(kstate_manifest_filename_parse(buf, &g), 0);
	assert_int_equal(g, 7);
	assert_int_equal(kstate_manifest_filename_parse("manifest.000000000000000A", &g),
			 -EINVAL);
	assert_int_equal(kstate_manifest_filename_parse("manifest.0000000000000000", &g),
			 -EINVAL);
	assert_int_equal(kstate_manifest_filename_parse("manifest.00000000000000011", &g),
			 -EINVAL);
	assert_int_equal(kstate_manifest_filename_parse("manifest.1", &g), -EINVAL);
	assert_int_equal(kstate_records_filename(buf, sizeof(buf), "../x", 1), -EINVAL);
	assert_int_equal(kstate_records_filename(buf, 8, "vmm", 1), -ENAMETOOLONG);
}

/* Decode the golden record file and re-encode it: the same bytes must come out. */
static void test_golden_records_reencode(void **state)
{
	struct kstate_file_info fi;
	struct kstate_record rec;
	size_t len;
	u8 *buf = golden_records(&len), *out = calloc(1, len);
	u64 pos = KSTATE_FILE_HEADER_SIZE, opos = pos;
	int n = 0;

	(void)state;
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), 0);
	assert_string_equal(fi.name, "golden");
	assert_string_equal(fi.kernel_release, "6.1.0-56-amd64");
	assert_int_equal(fi.generation, 1);
	assert_int_equal(fi.client_version, 3);
	assert_int_equal(fi.record_count, 4);
	assert_int_equal(fi.version_major, 1);
	assert_true(fi.creation_time_ns == 1764000000123456789ULL);
	while (pos < len) {
		assert_int_equal(kstate_record_decode(buf, len, &pos, &rec, NULL), 0);
		assert_int_equal(kstate_record_header_encode((void *)(out + opos), rec.type,
							     rec.flags, rec.payload,
							     rec.length), 0);
		memcpy(out + opos + KSTATE_RECORD_HEADER_SIZE, rec.payload, rec.length);
		opos += kstate_record_size(rec.length);
		n++;
	}
	assert_int_equal(n, 4);
	assert_int_equal(kstate_file_header_encode((void *)out, &fi), 0);
	assert_memory_equal(buf, out, len);
	free(buf);
	free(out);
}

static void test_golden_records_content(void **state)
{
	struct kstate_file_info fi;
	struct kstate_record rec;
	size_t len;
	u8 *buf = golden_records(&len);
	u64 pos = KSTATE_FILE_HEADER_SIZE;
	int i;

	(void)state;
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), 0);
	assert_int_equal(kstate_record_decode(buf, len, &pos, &rec, NULL), 0);
	assert_int_equal(rec.type, 1);
	assert_int_equal(rec.length, 5);
	assert_memory_equal(rec.payload, "hello", 5);
	assert_int_equal(kstate_record_decode(buf, len, &pos, &rec, NULL), 0);
	assert_int_equal(rec.type, 2);
	assert_int_equal(rec.flags, KSTATE_RECORD_F_CRITICAL);
	assert_int_equal(kstate_record_decode(buf, len, &pos, &rec, NULL), 0);
	assert_int_equal(rec.type, 3);
	assert_int_equal(rec.length, 0);
	assert_int_equal(kstate_record_decode(buf, len, &pos, &rec, NULL), 0);
	assert_int_equal(rec.type, 0xffff);
	assert_int_equal(rec.length, 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(((const u8 *)rec.payload)[i], (u8)(i * 7));
	assert_int_equal(pos, len);
	free(buf);
}

static void test_golden_empty(void **state)
{
	struct kstate_file_info fi;
	size_t len;
	u8 *buf = read_data("golden-empty.ksr", &len);

	(void)state;
	assert_int_equal(len, KSTATE_FILE_HEADER_SIZE);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), 0);
	assert_int_equal(fi.record_count, 0);
	assert_int_equal(fi.payload_length, 0);
	free(buf);
}

static void test_golden_manifest_reencode(void **state)
{
	static const char *files[] = { "golden-manifest-sealed", "golden-manifest-open" };
	size_t f;

	(void)state;
	for (f = 0; f < 2; f++) {
		struct kstate_manifest_info mi;
		struct kstate_entry e[8];
		size_t len;
		u8 *buf = read_data(files[f], &len), *out = calloc(1, len);
		u32 i;

		assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), 0);
		assert_true(mi.entry_count <= 8);
		for (i = 0; i < mi.entry_count; i++)
			kstate_manifest_entry_get(buf, i, &e[i]);
		assert_int_equal(kstate_manifest_encode(out, len, &mi, e), 0);
		assert_memory_equal(buf, out, len);
		free(buf);
		free(out);
	}
}

static void test_golden_manifest_content(void **state)
{
	struct kstate_manifest_info mi;
	struct kstate_entry e;
	size_t len;
	u8 *buf = read_data("golden-manifest-sealed", &len);

	(void)state;
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), 0);
	assert_int_equal(mi.generation, 3);
	assert_int_equal(mi.base_generation, 2);
	assert_int_equal(mi.state, KSTATE_MANIFEST_SEALED);
	assert_int_equal(mi.entry_count, 3);
	/* Sorted by kind, then name: records first. */
	kstate_manifest_entry_get(buf, 0, &e);
	assert_string_equal(e.name, "golden");
	kstate_manifest_entry_get(buf, 1, &e);
	assert_string_equal(e.name, "iommu-demo");
	assert_int_equal(e.flags, KSTATE_ENTRY_F_KERNEL);
	kstate_manifest_entry_get(buf, 2, &e);
	assert_string_equal(e.name, "guest-ram");
	assert_int_equal(e.kind, KSTATE_ENTRY_REGION);
	assert_int_equal(e.size, 2 << 20);
	free(buf);
}

static void test_golden_store_header(void **state)
{
	struct kstate_store_info si;
	struct kstate_store_header h;
	size_t len;
	u8 *buf = read_data("golden-store-header", &len);

	(void)state;
	assert_int_equal(kstate_store_header_decode(buf, len, &si, NULL), 0);
	assert_int_equal(si.last_sealed_generation, 3);
	assert_int_equal(kstate_store_header_encode(&h, &si), 0);
	assert_memory_equal(buf, &h, len);
	free(buf);
}

/*
 * Flip every bit of the record file header: every flip is refused, with -EPROTO for the
 * signature, major version and header size (checked before the checksum, so that a
 * future format is reported as such) and -EBADMSG for everything else.
 */
static void test_file_header_bitflips(void **state)
{
	struct kstate_file_info fi;
	size_t len;
	u8 *buf = golden_records(&len);
	u32 bit;

	(void)state;
	for (bit = 0; bit < KSTATE_FILE_HEADER_SIZE * 8; bit++) {
		u32 byte = bit / 8;
		int expect = byte < 8 || (byte >= 8 && byte < 10) || (byte >= 12 && byte < 16) ?
			     -EPROTO : -EBADMSG;

		buf[byte] ^= (u8)(1u << (bit % 8));
		assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), expect);
		buf[byte] ^= (u8)(1u << (bit % 8));
	}
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), 0);
	free(buf);
}

/* Flip every bit after the header: every flip is refused. */
static void test_records_bitflips(void **state)
{
	struct kstate_format_error fe;
	struct kstate_file_info fi;
	size_t len;
	u8 *buf = golden_records(&len);
	u64 bit;

	(void)state;
	for (bit = KSTATE_FILE_HEADER_SIZE * 8; bit < len * 8; bit++) {
		int rc;

		buf[bit / 8] ^= (u8)(1u << (bit % 8));
		rc = kstate_file_validate(buf, len, &fi, &fe);
		assert_true(rc == -EBADMSG || rc == -EOVERFLOW);
		buf[bit / 8] ^= (u8)(1u << (bit % 8));
	}
	free(buf);
}

/* Cut the file at every length: refused, -EOVERFLOW; one byte more: -EMSGSIZE. */
static void test_file_truncation(void **state)
{
	struct kstate_file_info fi;
	size_t len, cut;
	u8 *buf = golden_records(&len), *longer;

	(void)state;
	for (cut = 0; cut < len; cut++)
		assert_int_equal(kstate_file_validate(buf, cut, &fi, NULL), -EOVERFLOW);
	longer = calloc(1, len + 1);
	memcpy(longer, buf, len);
	assert_int_equal(kstate_file_validate(longer, len + 1, &fi, NULL), -EMSGSIZE);
	free(longer);
	free(buf);
}

static void test_file_features(void **state)
{
	struct kstate_format_error fe;
	struct kstate_file_info fi;
	size_t len;
	u8 *buf = golden_records(&len);

	(void)state;
	/* Unknown compat bit: read as if absent. */
	put_le32(buf + 16, 0x80000000);
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), 0);
	assert_int_equal(fi.compat, 0x80000000);
	put_le32(buf + 16, 0);
	/* Unknown ro_compat bit: may be read. */
	put_le32(buf + 20, 0x1);
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), 0);
	assert_int_equal(fi.ro_compat, 1);
	put_le32(buf + 20, 0);
	/* Unknown incompat bit: refused. */
	put_le32(buf + 24, 0x4);
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, &fe), -EOPNOTSUPP);
	assert_int_equal(fe.offset, 24);
	free(buf);
}

static void test_file_version_and_signature(void **state)
{
	struct kstate_file_info fi;
	size_t len;
	u8 *buf = golden_records(&len);

	(void)state;
	/* A newer minor version is read. */
	buf[10] = 99;
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), 0);
	assert_int_equal(fi.version_minor, 99);
	/* A newer major version is refused even with a good checksum. */
	buf[8] = 2;
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EPROTO);
	buf[8] = 1;
	/* A manifest is not a record file. */
	memcpy(buf, KSTATE_MANIFEST_MAGIC, 8);
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EPROTO);
	free(buf);
}

static void test_file_reserved_flags_names(void **state)
{
	struct kstate_file_info fi;
	size_t len;
	u8 *buf = golden_records(&len), *orig = malloc(len);

	(void)state;
	memcpy(orig, buf, len);
	buf[200] = 1;				/* reserved */
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EPROTO);
	memcpy(buf, orig, len);
	put_le32(buf + 28, 0x100);		/* unknown file flag */
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EPROTO);
	memcpy(buf, orig, len);
	buf[160] = '.';				/* name ".olden" */
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EUCLEAN);
	memcpy(buf, orig, len);
	memset(buf + 32, 0, 8);			/* generation 0 */
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EUCLEAN);
	memcpy(buf, orig, len);
	buf[100] = 0x01;			/* control character in the release */
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EUCLEAN);
	free(orig);
	free(buf);
}

static void test_file_lengths_and_counts(void **state)
{
	struct kstate_format_error fe;
	struct kstate_file_info fi;
	size_t len;
	u8 *buf = golden_records(&len), *orig = malloc(len);
	u64 plen;

	(void)state;
	memcpy(orig, buf, len);
	memcpy(&plen, buf + 48, 8);
	/* payload_length past the end, with a valid header checksum. */
	plen += 8;
	memcpy(buf + 48, &plen, 8);
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, &fe), -EOVERFLOW);
	assert_int_equal(fe.offset, 48);
	/* payload_length short of the records. */
	plen -= 16;
	memcpy(buf + 48, &plen, 8);
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EMSGSIZE);
	memcpy(buf, orig, len);
	/* A count above or below the records present. */
	put_le32(buf + 56, 5);
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EUCLEAN);
	put_le32(buf + 56, 3);
	fix_header_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EUCLEAN);
	memcpy(buf, orig, len);
	/* A record length past the end, with a valid record checksum: -EOVERFLOW. */
	put_le32(buf + 256 + 4, 4096);
	assert_int_equal(kstate_file_validate(buf, len, &fi, &fe), -EOVERFLOW);
	assert_int_equal(fe.index, 0);
	/* A record length over the format limit. */
	put_le32(buf + 256 + 4, KSTATE_RECORD_MAX_LENGTH + 1);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EOVERFLOW);
	free(orig);
	free(buf);
}

static void test_record_reserved_flags_padding(void **state)
{
	struct kstate_format_error fe;
	struct kstate_file_info fi;
	size_t len;
	u8 *buf = golden_records(&len), *orig = malloc(len);

	(void)state;
	memcpy(orig, buf, len);
	put_le32(buf + 256 + 8, 1);		/* reserved, checksum recomputed */
	fix_record_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, &fe), -EPROTO);
	memcpy(buf, orig, len);
	buf[256 + 2] = 0x80;			/* unknown record flag */
	fix_record_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, NULL), -EPROTO);
	memcpy(buf, orig, len);
	buf[256 + 16 + 5] = 0xaa;		/* padding after "hello" */
	fix_record_crc(buf, 256);
	assert_int_equal(kstate_file_validate(buf, len, &fi, &fe), -EPROTO);
	assert_string_equal(fe.what, "record padding is not zero");
	memcpy(buf, orig, len);
	buf[256 + 16] ^= 1;			/* payload byte, checksum not fixed */
	assert_int_equal(kstate_file_validate(buf, len, &fi, &fe), -EBADMSG);
	assert_string_equal(fe.what, "record checksum mismatch");
	free(orig);
	free(buf);
}

static void test_record_encode_limits(void **state)
{
	struct kstate_record_header h;

	(void)state;
	assert_int_equal(kstate_record_header_encode(&h, 1, 0x8000, "", 0), -EINVAL);
	assert_int_equal(kstate_record_header_encode(&h, 1, 0, NULL,
						     KSTATE_RECORD_MAX_LENGTH + 1), -EINVAL);
	assert_int_equal(kstate_record_size(0), 16);
	assert_int_equal(kstate_record_size(1), 24);
	assert_int_equal(kstate_record_size(8), 24);
	assert_int_equal(kstate_record_size(9), 32);
	assert_int_equal(kstate_record_padding(5), 3);
}

/* Build records of every length 0..300 and decode them back. */
static void test_records_roundtrip(void **state)
{
	struct kstate_file_info fi = { 0 }, out;
	struct kstate_record rec;
	size_t size = KSTATE_FILE_HEADER_SIZE, pos;
	u8 payload[300], *buf;
	u32 n;
	u64 p;

	(void)state;
	for (n = 0; n < sizeof(payload); n++) {
		payload[n] = (u8)(n ^ 0x5a);
		size += kstate_record_size(n);
	}
	buf = calloc(1, size);
	pos = KSTATE_FILE_HEADER_SIZE;
	for (n = 0; n < sizeof(payload); n++) {
		assert_int_equal(kstate_record_header_encode((void *)(buf + pos), (u16)n,
							     n & 1, payload, n), 0);
		memcpy(buf + pos + 16, payload, n);
		pos += kstate_record_size(n);
	}
	fi.generation = 42;
	fi.payload_length = size - KSTATE_FILE_HEADER_SIZE;
	fi.record_count = sizeof(payload);
	strcpy(fi.name, "roundtrip");
	strcpy(fi.kernel_release, "0123456789012345678901234567890123456789012345678901234567890123");
	assert_int_equal(kstate_file_header_encode((void *)buf, &fi), 0);
	assert_int_equal(kstate_file_validate(buf, size, &out, NULL), 0);
	assert_string_equal(out.kernel_release, fi.kernel_release);	/* all 64 bytes */
	p = KSTATE_FILE_HEADER_SIZE;
	for (n = 0; n < sizeof(payload); n++) {
		assert_int_equal(kstate_record_decode(buf, size, &p, &rec, NULL), 0);
		assert_int_equal(rec.type, n);
		assert_int_equal(rec.flags, n & 1);
		assert_int_equal(rec.length, n);
		assert_memory_equal(rec.payload, payload, n);
	}
	assert_int_equal(p, size);
	free(buf);
}

static void test_file_header_encode_rejects(void **state)
{
	struct kstate_file_info fi = { 0 };
	struct kstate_file_header h;

	(void)state;
	strcpy(fi.name, "ok");
	assert_int_equal(kstate_file_header_encode(&h, &fi), -EINVAL);	/* generation 0 */
	fi.generation = 1;
	assert_int_equal(kstate_file_header_encode(&h, &fi), 0);
	strcpy(fi.name, "not ok");
	assert_int_equal(kstate_file_header_encode(&h, &fi), -EINVAL);
	strcpy(fi.name, "ok");
	fi.flags = 0x10;
	assert_int_equal(kstate_file_header_encode(&h, &fi), -EINVAL);
}

static void test_manifest_header_bitflips(void **state)
{
	struct kstate_manifest_info mi;
	size_t len;
	u8 *buf = read_data("golden-manifest-sealed", &len);
	u64 bit;

	(void)state;
	for (bit = 0; bit < len * 8; bit++) {
		u64 byte = bit / 8;
		int rc, expect = byte < 10 || (byte >= 12 && byte < 16) ? -EPROTO : -EBADMSG;

		buf[byte] ^= (u8)(1u << (bit % 8));
		rc = kstate_manifest_decode(buf, len, &mi, NULL);
		assert_int_equal(rc, expect);
		buf[byte] ^= (u8)(1u << (bit % 8));
	}
	free(buf);
}

static void test_manifest_truncation(void **state)
{
	struct kstate_manifest_info mi;
	size_t len, cut;
	u8 *buf = read_data("golden-manifest-sealed", &len), *longer;

	(void)state;
	for (cut = 0; cut < len; cut++)
		assert_int_equal(kstate_manifest_decode(buf, cut, &mi, NULL), -EOVERFLOW);
	longer = calloc(1, len + 64);
	memcpy(longer, buf, len);
	assert_int_equal(kstate_manifest_decode(longer, len + 64, &mi, NULL), -EMSGSIZE);
	free(longer);
	free(buf);
}

static void test_manifest_features_and_state(void **state)
{
	struct kstate_manifest_info mi;
	size_t len;
	u8 *buf = read_data("golden-manifest-sealed", &len), *orig = malloc(len);

	(void)state;
	memcpy(orig, buf, len);
	put_le32(buf + 16, 0x2);		/* compat */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), 0);
	put_le32(buf + 20, 0x2);		/* ro_compat: readable */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), 0);
	assert_int_equal(mi.ro_compat, 2);
	put_le32(buf + 24, 0x2);		/* incompat */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EOPNOTSUPP);
	memcpy(buf, orig, len);
	put_le32(buf + 64, 3);			/* unknown state */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EPROTO);
	memcpy(buf, orig, len);
	put_le32(buf + 72, 128);		/* entry size */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EPROTO);
	memcpy(buf, orig, len);
	memset(buf + 40, 0, 8);			/* base 3 == generation 3 */
	buf[40] = 3;
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EUCLEAN);
	memcpy(buf, orig, len);
	put_le32(buf + 68, KSTATE_MANIFEST_MAX_ENTRIES + 1);
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EOVERFLOW);
	memcpy(buf, orig, len);
	buf[180] = 1;				/* reserved */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EPROTO);
	free(orig);
	free(buf);
}

static void test_manifest_entries_rules(void **state)
{
	struct kstate_format_error fe;
	struct kstate_manifest_info mi;
	size_t len;
	u8 *buf = read_data("golden-manifest-sealed", &len), *orig = malloc(len);
	u8 *e0 = buf + 256, *e1 = buf + 256 + 64, *e2 = buf + 256 + 128;

	(void)state;
	memcpy(orig, buf, len);
	e0[52] = 9;				/* unknown kind */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, &fe), -EOPNOTSUPP);
	assert_int_equal(fe.index, 0);
	memcpy(buf, orig, len);
	e1[32] = 4;				/* entry generation above the manifest's */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, &fe), -EUCLEAN);
	assert_int_equal(fe.index, 1);
	memcpy(buf, orig, len);
	memcpy(e1, e0, 32);			/* duplicate name */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, &fe), -EUCLEAN);
	assert_string_equal(fe.what, "entries out of order or duplicated");
	memcpy(buf, orig, len);
	e0[0] = 'z';				/* "zolden" now sorts after "iommu-demo" */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EUCLEAN);
	memcpy(buf, orig, len);
	e2[48] = 1;				/* a region with a CRC */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EUCLEAN);
	memcpy(buf, orig, len);
	e0[0] = '/';				/* path in a name */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EUCLEAN);
	memcpy(buf, orig, len);
	e0[54] = 0x10;				/* unknown entry flag */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EPROTO);
	memcpy(buf, orig, len);
	e0[60] = 1;				/* entry reserved */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EPROTO);
	memcpy(buf, orig, len);
	e0[40] = 1;				/* record file smaller than a header */
	memset(e0 + 41, 0, 7);
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &mi, NULL), -EUCLEAN);
	free(orig);
	free(buf);
}

/* Regions frozen for a reboot carry a CRC: entry flag 0x2 under manifest incompat bit 0. */
static void test_manifest_region_crc(void **state)
{
	struct kstate_manifest_info mi = { 0 }, out;
	struct kstate_entry e[2], got;
	struct kstate_manifest_entry me;
	size_t len;
	u8 *buf = read_data("golden-manifest-sealed", &len), *orig = malloc(len);
	u8 *e0 = buf + 256, *e2 = buf + 256 + 128, mbuf[512];

	(void)state;
	memcpy(orig, buf, len);
	e2[48] = 1;				/* region CRC, flag, but no feature bit */
	e2[54] = KSTATE_ENTRY_F_REGION_CRC;
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &out, NULL), -EPROTO);
	put_le32(buf + 24, KSTATE_MANIFEST_INCOMPAT_REGION_CRC);
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &out, NULL), 0);
	kstate_manifest_entry_get(buf, 2, &got);
	assert_int_equal(got.crc, 1);
	assert_int_equal(got.flags, KSTATE_ENTRY_F_REGION_CRC);
	e2[54] = 0;				/* a CRC without the flag */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &out, NULL), -EUCLEAN);
	e2[54] = KSTATE_ENTRY_F_REGION_CRC;
	e0[54] |= KSTATE_ENTRY_F_REGION_CRC;	/* the flag on a record file */
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &out, NULL), -EPROTO);
	/* The bit alone, with no such entry, is still a valid manifest. */
	memcpy(buf, orig, len);
	put_le32(buf + 24, KSTATE_MANIFEST_INCOMPAT_REGION_CRC);
	fix_manifest_crcs(buf, len);
	assert_int_equal(kstate_manifest_decode(buf, len, &out, NULL), 0);

	/* The encoder sets the bit when an entry needs it, and only then. */
	memset(e, 0, sizeof(e));
	mi.generation = 2;
	mi.state = KSTATE_MANIFEST_SEALED;
	mi.entry_count = 2;
	strcpy(e[0].name, "a");
	strcpy(e[1].name, "b");
	e[0].kind = e[1].kind = KSTATE_ENTRY_REGION;
	e[0].generation = e[1].generation = 1;
	e[0].size = e[1].size = 4096;
	assert_int_equal(kstate_manifest_encode(mbuf, sizeof(mbuf), &mi, e), 0);
	assert_int_equal(kstate_manifest_decode(mbuf, kstate_manifest_size(2), &out, NULL), 0);
	assert_int_equal(out.incompat, 0);
	e[1].flags = KSTATE_ENTRY_F_KERNEL | KSTATE_ENTRY_F_REGION_CRC;
	e[1].crc = 0xdeadbeef;
	assert_int_equal(kstate_manifest_encode(mbuf, sizeof(mbuf), &mi, e), 0);
	assert_int_equal(kstate_manifest_decode(mbuf, kstate_manifest_size(2), &out, NULL), 0);
	assert_int_equal(out.incompat, KSTATE_MANIFEST_INCOMPAT_REGION_CRC);
	kstate_manifest_entry_get(mbuf, 1, &got);
	assert_int_equal(got.crc, 0xdeadbeef);
	/* One entry on its own (from the module): a region may carry it, a record file not. */
	kstate_entry_encode(&me, &e[1]);
	assert_int_equal(kstate_entry_decode(&me, 2, &got), 0);
	e[1].kind = KSTATE_ENTRY_RECORDS;
	e[1].size = 4096;
	kstate_entry_encode(&me, &e[1]);
	assert_int_equal(kstate_entry_decode(&me, 2, &got), -EPROTO);
	free(orig);
	free(buf);
}

static void test_manifest_encode_rejects(void **state)
{
	struct kstate_manifest_info mi = { 0 };
	struct kstate_entry e[2];
	u8 buf[512];

	(void)state;
	memset(e, 0, sizeof(e));
	mi.generation = 2;
	mi.state = KSTATE_MANIFEST_SEALED;
	mi.entry_count = 2;
	strcpy(e[0].name, "b");
	strcpy(e[1].name, "a");
	e[0].kind = e[1].kind = KSTATE_ENTRY_REGION;
	e[0].generation = e[1].generation = 1;
	assert_int_equal(kstate_manifest_encode(buf, sizeof(buf), &mi, e), -EINVAL);
	strcpy(e[0].name, "a");
	strcpy(e[1].name, "b");
	assert_int_equal(kstate_manifest_encode(buf, sizeof(buf), &mi, e), 0);
	assert_int_equal(kstate_manifest_encode(buf, 300, &mi, e), -EOVERFLOW);
	mi.state = 7;
	assert_int_equal(kstate_manifest_encode(buf, sizeof(buf), &mi, e), -EINVAL);
	mi.state = KSTATE_MANIFEST_SEALED;
	mi.entry_count = KSTATE_MANIFEST_MAX_ENTRIES + 1;
	assert_int_equal(kstate_manifest_encode(buf, sizeof(buf), &mi, e), -EOVERFLOW);
}

static void test_store_header_rules(void **state)
{
	struct kstate_store_info si;
	size_t len, cut;
	u8 *buf = read_data("golden-store-header", &len), *orig = malloc(len);
	u32 bit;

	(void)state;
	memcpy(orig, buf, len);
	for (bit = 0; bit < len * 8; bit++) {
		buf[bit / 8] ^= (u8)(1u << (bit % 8));
		assert_int_not_equal(kstate_store_header_decode(buf, len, &si, NULL), 0);
		buf[bit / 8] ^= (u8)(1u << (bit % 8));
	}
	for (cut = 0; cut < len; cut++)
		assert_int_equal(kstate_store_header_decode(buf, cut, &si, NULL), -EOVERFLOW);
	put_le32(buf + 24, 0x1);
	fix_header_crc(buf, 128);
	assert_int_equal(kstate_store_header_decode(buf, len, &si, NULL), -EOPNOTSUPP);
	memcpy(buf, orig, len);
	buf[64] = 1;
	fix_header_crc(buf, 128);
	assert_int_equal(kstate_store_header_decode(buf, len, &si, NULL), -EPROTO);
	free(orig);
	free(buf);
}

/* Decoders never read past @len: run them on exact-size heap copies (ASan checks). */
/* One entry on its own (the kernel's save ioctl returns them): round trip and rules. */
static void test_entry_encode_decode(void **state)
{
	struct kstate_manifest_entry me, bad;
	struct kstate_entry e, out;

	(void)state;
	memset(&e, 0, sizeof(e));	/* padding too: the whole struct is compared */
	snprintf(e.name, sizeof(e.name), "iommu-demo");
	e.generation = 7;
	e.size = 4096;
	e.crc = 0x12345678;
	e.kind = KSTATE_ENTRY_RECORDS;
	e.flags = KSTATE_ENTRY_F_KERNEL;
	e.client_version = 2;
	kstate_entry_encode(&me, &e);
	assert_int_equal(kstate_entry_decode(&me, 7, &out), 0);
	assert_memory_equal(&out, &e, sizeof(e));
	/* A later generation may list it; an earlier one may not. */
	assert_int_equal(kstate_entry_decode(&me, 8, &out), 0);
	assert_int_equal(kstate_entry_decode(&me, 6, &out), -EUCLEAN);
	bad = me;
	bad.reserved = cpu_to_le32(1);
	assert_int_equal(kstate_entry_decode(&bad, 7, &out), -EPROTO);
	bad = me;
	bad.name[0] = '.';
	assert_int_equal(kstate_entry_decode(&bad, 7, &out), -EUCLEAN);
	bad = me;
	bad.kind = cpu_to_le16(9);
	assert_int_equal(kstate_entry_decode(&bad, 7, &out), -EOPNOTSUPP);
	bad = me;
	bad.flags = cpu_to_le16(0x8000);
	assert_int_equal(kstate_entry_decode(&bad, 7, &out), -EPROTO);
	bad = me;
	bad.size = cpu_to_le64(KSTATE_FILE_HEADER_SIZE - 1);
	assert_int_equal(kstate_entry_decode(&bad, 7, &out), -EUCLEAN);
}

static void test_no_read_past_buffer(void **state)
{
	static const char *files[] = { "golden-records.ksr", "golden-manifest-sealed",
				       "golden-store-header" };
	size_t f, len, cut;

	(void)state;
	for (f = 0; f < 3; f++) {
		u8 *buf = read_data(files[f], &len);

		for (cut = 0; cut <= len; cut++) {
			u8 *copy = malloc(cut ? cut : 1);
			struct kstate_file_info fi;
			struct kstate_manifest_info mi;
			struct kstate_store_info si;

			memcpy(copy, buf, cut);
			kstate_file_validate(copy, cut, &fi, NULL);
			kstate_manifest_decode(copy, cut, &mi, NULL);
			kstate_store_header_decode(copy, cut, &si, NULL);
			free(copy);
		}
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_check_value),
		cmocka_unit_test(test_crc32c_combine),
		cmocka_unit_test(test_crc32c_combine_long),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_filenames),
		cmocka_unit_test(test_golden_records_reencode),
		cmocka_unit_test(test_golden_records_content),
		cmocka_unit_test(test_golden_empty),
		cmocka_unit_test(test_golden_manifest_reencode),
		cmocka_unit_test(test_golden_manifest_content),
		cmocka_unit_test(test_golden_store_header),
		cmocka_unit_test(test_file_header_bitflips),
		cmocka_unit_test(test_records_bitflips),
		cmocka_unit_test(test_file_truncation),
		cmocka_unit_test(test_file_features),
		cmocka_unit_test(test_file_version_and_signature),
		cmocka_unit_test(test_file_reserved_flags_names),
		cmocka_unit_test(test_file_lengths_and_counts),
		cmocka_unit_test(test_record_reserved_flags_padding),
		cmocka_unit_test(test_record_encode_limits),
		cmocka_unit_test(test_records_roundtrip),
		cmocka_unit_test(test_file_header_encode_rejects),
		cmocka_unit_test(test_manifest_header_bitflips),
		cmocka_unit_test(test_manifest_truncation),
		cmocka_unit_test(test_manifest_features_and_state),
		cmocka_unit_test(test_manifest_entries_rules),
		cmocka_unit_test(test_manifest_region_crc),
		cmocka_unit_test(test_manifest_encode_rejects),
		cmocka_unit_test(test_store_header_rules),
		cmocka_unit_test(test_no_read_past_buffer),
		cmocka_unit_test(test_entry_encode_decode),
	};

	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
