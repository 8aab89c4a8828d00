// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * kstate_format - encode and validate kstate record files, manifests and store headers.
 *
 * Compiled unchanged into the kernel module and libkstate (see kstate_format.h).  Every
 * multi-byte field is copied out of the caller's buffer with memcpy before use, so a
 * buffer at any alignment is fine and nothing is read past @len.
 *
 * Copyright (c) 2026 The kstate authors
 */
#include "kstate_format.h"

static int reject(struct kstate_format_error *err, int rc, u64 offset, u32 index,
		  const char *what)
{
	if (err) {
		err->what = what;
		err->offset = offset;
		err->index = index;
	}
	return rc;
}

#define FIELD_OFFSET(type, field) ((u64)offsetof(struct type, field))

u32 kstate_crc32c(const void *buf, size_t len)
{
	return kstate_crc32c_end(kstate_crc32c_add(kstate_crc32c_begin(), buf, len));
}

/*
 * Combining CRCs: appending n bytes to a message multiplies its CRC by x^(8n) modulo
 * the polynomial, so crc(A || B) = crc(A) * x^(8 |B|) + crc(B).  This is zlib's
 * crc32_combine() of 1.2.12 (multmodp/x2nmodp) for the Castagnoli polynomial: a few
 * hundred operations whatever the length, cheap enough for a writer to combine per
 * record instead of reading its data a second time.  Polynomials are bit-reflected, as
 * in the CRC itself: bit 31 is x^0.
 */
#define CRC32C_POLY_REFLECTED 0x82F63B78U

/* x^(2^n) mod P for n = 0..31, so x^k needs one multiplication per set bit of k. */
static const u32 crc32c_x2n[32] = {
	0x40000000U, 0x20000000U, 0x08000000U, 0x00800000U, 0x00008000U, 0x82f63b78U,
	0x6ea2d55cU, 0x18b8ea18U, 0x510ac59aU, 0xb82be955U, 0xb8fdb1e7U, 0x88e56f72U,
	0x74c360a4U, 0xe4172b16U, 0x0d65762aU, 0x35d73a62U, 0x28461564U, 0xbf455269U,
	0xe2ea32dcU, 0xfe7740e6U, 0xf946610bU, 0x3c204f8fU, 0x538586e3U, 0x59726915U,
	0x734d5309U, 0xbc1ac763U, 0x7d0722ccU, 0xd289cabeU, 0xe94ca9bcU, 0x05b74f3fU,
	0xa51e1f42U, 0x40000000U,
};

/* a * b mod P. */
static u32 crc32c_multmodp(u32 a, u32 b)
{
	u32 m = 1U << 31, p = 0;

	for (;;) {
		if (a & m) {
			p ^= b;
			if ((a & (m - 1)) == 0)
				break;
		}
		m >>= 1;
		b = b & 1 ? (b >> 1) ^ CRC32C_POLY_REFLECTED : b >> 1;
	}
	return p;
}

/* x^(n * 2^k) mod P. */
static u32 crc32c_x2nmodp(u64 n, unsigned int k)
{
	u32 p = 1U << 31;	/* x^0 */

	while (n) {
		if (n & 1)
			p = crc32c_multmodp(crc32c_x2n[k & 31], p);
		n >>= 1;
		k++;
	}
	return p;
}

/**
 * kstate_crc32c_combine - CRC32C of A followed by B, from the CRC32C of each
 * @crc_a: kstate_crc32c() of A
 * @crc_b: kstate_crc32c() of B
 * @len_b: length of B in bytes
 *
 * Lets a writer that emits a header after its data still produce the checksum of the
 * whole file without reading the data again.  It is linear: it shifts @crc_a over
 * @len_b bytes and adds @crc_b, so XORed inputs give XORed results.
 *
 * Return: kstate_crc32c() of A || B.
 */
u32 kstate_crc32c_combine(u32 crc_a, u32 crc_b, u64 len_b)
{
	return crc32c_multmodp(crc32c_x2nmodp(len_b, 3), crc_a) ^ crc_b;
}

static bool all_zero(const u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* ---------------------------------------------------------------------------------- */
/* Names */

static bool name_char_valid(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '_' || c == '-');
}

/**
 * kstate_name_valid - whether @name is a valid client or object name
 * @name: NUL-terminated string
 *
 * Return: true for 1 to %KSTATE_NAME_LEN - 1 characters of [A-Za-z0-9_-] starting
 * with a letter or digit.
 */
bool kstate_name_valid(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++) {
		if (i >= KSTATE_NAME_LEN - 1 || !name_char_valid(name[i], i == 0))
			return false;
	}
	return i > 0;
}

/**
 * kstate_name_encode - store @name NUL-padded in an on-media name field
 * @field: destination, %KSTATE_NAME_LEN bytes
 * @name: a valid name
 *
 * Return: 0, or -EINVAL if @name is not valid (the field is then left untouched).
 */
int kstate_name_encode(u8 field[KSTATE_NAME_LEN], const char *name)
{
	if (!kstate_name_valid(name))
		return -EINVAL;
	memset(field, 0, KSTATE_NAME_LEN);
	memcpy(field, name, strlen(name));
	return 0;
}

/**
 * kstate_name_decode - validate an on-media name field and copy it out
 * @field: %KSTATE_NAME_LEN bytes from a file
 * @name: destination, NUL-terminated on success
 *
 * Return: 0, or -EUCLEAN when the field is not a valid name followed by NUL padding.
 */
int kstate_name_decode(const u8 field[KSTATE_NAME_LEN], char name[KSTATE_NAME_LEN])
{
	size_t n = strnlen((const char *)field, KSTATE_NAME_LEN);

	if (n == 0 || n >= KSTATE_NAME_LEN || !all_zero(field + n, KSTATE_NAME_LEN - n))
		return -EUCLEAN;
	memcpy(name, field, n);
	name[n] = '\0';
	if (!kstate_name_valid(name))
		return -EUCLEAN;
	return 0;
}

/* Kernel release: printable ASCII, NUL-padded, may fill the whole field. */
static int release_encode(u8 field[KSTATE_RELEASE_LEN], const char *release)
{
	size_t n = strnlen(release, KSTATE_RELEASE_LEN + 1);

	if (n > KSTATE_RELEASE_LEN)
		return -EINVAL;
	memset(field, 0, KSTATE_RELEASE_LEN);
	memcpy(field, release, n);
	return 0;
}

static int release_decode(const u8 field[KSTATE_RELEASE_LEN],
			  char release[KSTATE_RELEASE_LEN + 1])
{
	size_t n = strnlen((const char *)field, KSTATE_RELEASE_LEN);
	size_t i;

	for (i = 0; i < n; i++)
		if (field[i] < 0x20 || field[i] > 0x7e)
			return -EUCLEAN;
	if (!all_zero(field + n, KSTATE_RELEASE_LEN - n))
		return -EUCLEAN;
	memcpy(release, field, n);
	release[n] = '\0';
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* File names */

static int check_snprintf(int n, size_t len)
{
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int kstate_records_filename(char *buf, size_t len, const char *name, u64 generation)
{
	if (!kstate_name_valid(name))
		return -EINVAL;
	return check_snprintf(snprintf(buf, len, "%s.%016llx" KSTATE_RECORDS_SUFFIX, name,
				       (unsigned long long)generation), len);
}

int kstate_region_filename(char *buf, size_t len, const char *name)
{
	if (!kstate_name_valid(name))
		return -EINVAL;
	return check_snprintf(snprintf(buf, len, "%s" KSTATE_REGION_SUFFIX, name), len);
}

int kstate_manifest_filename(char *buf, size_t len, u64 generation)
{
	return check_snprintf(snprintf(buf, len, KSTATE_MANIFEST_PREFIX "%016llx",
				       (unsigned long long)generation), len);
}

/**
 * kstate_manifest_filename_parse - recognise "manifest.<16 lower-case hex digits>"
 * @filename: a directory entry name
 * @generation: set to the generation on success
 *
 * Return: 0, or -EINVAL when @filename is not a manifest name (generation 0 included).
 */
int kstate_manifest_filename_parse(const char *filename, u64 *generation)
{
	size_t plen = sizeof(KSTATE_MANIFEST_PREFIX) - 1;
	u64 gen = 0;
	size_t i;

	if (strncmp(filename, KSTATE_MANIFEST_PREFIX, plen) != 0)
		return -EINVAL;
	filename += plen;
	for (i = 0; i < 16; i++) {
		char c = filename[i];

		if (c >= '0' && c <= '9')
			gen = (gen << 4) | (u64)(c - '0');
		else if (c >= 'a' && c <= 'f')
			gen = (gen << 4) | (u64)(c - 'a' + 10);
		else
			return -EINVAL;
	}
	if (filename[16] != '\0' || gen == 0)
		return -EINVAL;
	*generation = gen;
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Common header checks: signature, major version and size sit at the same offsets in
 * every header and are checked before the checksum, so a file from a future major
 * version is reported as such instead of as corrupt.
 */

struct common_header {
	u8 magic[KSTATE_MAGIC_LEN];
	__le16 version_major;
	__le16 version_minor;
	__le32 header_size;
	__le32 compat;
	__le32 ro_compat;
	__le32 incompat;
	__le32 flags;
};

static int check_common(const void *buf, size_t len, const char *magic, u32 size,
			u32 incompat_supp, struct kstate_format_error *err)
{
	struct common_header c;
	__le32 stored;

	if (len < sizeof(c))
		return reject(err, -EOVERFLOW, len, 0, "shorter than a header");
	memcpy(&c, buf, sizeof(c));
	if (memcmp(c.magic, magic, KSTATE_MAGIC_LEN) != 0)
		return reject(err, -EPROTO, 0, 0, "bad signature");
	if (le16_to_cpu(c.version_major) != KSTATE_FORMAT_VERSION_MAJOR)
		return reject(err, -EPROTO, 8, 0, "unsupported major version");
	if (le32_to_cpu(c.header_size) != size)
		return reject(err, -EPROTO, 12, 0, "unsupported header size");
	if (len < size)
		return reject(err, -EOVERFLOW, len, 0, "truncated header");
	memcpy(&stored, (const u8 *)buf + size - sizeof(stored), sizeof(stored));
	if (kstate_crc32c(buf, size - sizeof(stored)) != le32_to_cpu(stored))
		return reject(err, -EBADMSG, size - sizeof(stored), 0,
			      "header checksum mismatch");
	if (le32_to_cpu(c.incompat) & ~incompat_supp)
		return reject(err, -EOPNOTSUPP, 24, 0, "unknown incompat feature");
	return 0;
}

static void common_decode(const struct common_header *c, u16 *major, u16 *minor,
			  u32 *compat, u32 *ro_compat, u32 *incompat, u32 *flags)
{
	*major = le16_to_cpu(c->version_major);
	*minor = le16_to_cpu(c->version_minor);
	*compat = le32_to_cpu(c->compat);
	*ro_compat = le32_to_cpu(c->ro_compat);
	*incompat = le32_to_cpu(c->incompat);
	*flags = le32_to_cpu(c->flags);
}

/* ---------------------------------------------------------------------------------- */
/* Record files */

/**
 * kstate_file_header_encode - fill a record file header, checksum included
 * @hdr: destination
 * @info: values; version and header size come from this implementation
 *
 * Return: 0, or -EINVAL for an invalid name or release, unknown flags or generation 0.
 */
int kstate_file_header_encode(struct kstate_file_header *hdr,
			      const struct kstate_file_info *info)
{
	struct kstate_file_header h;

	memset(&h, 0, sizeof(h));
	if (info->generation == 0 || (info->flags & ~KSTATE_FILE_F_ALL))
		return -EINVAL;
	if (kstate_name_encode(h.name, info->name) ||
	    release_encode(h.kernel_release, info->kernel_release))
		return -EINVAL;
	memcpy(h.magic, KSTATE_FILE_MAGIC, KSTATE_MAGIC_LEN);
	h.version_major = cpu_to_le16(KSTATE_FORMAT_VERSION_MAJOR);
	h.version_minor = cpu_to_le16(KSTATE_FORMAT_VERSION_MINOR);
	h.header_size = cpu_to_le32(KSTATE_FILE_HEADER_SIZE);
	h.compat = cpu_to_le32(info->compat);
	h.ro_compat = cpu_to_le32(info->ro_compat);
	h.incompat = cpu_to_le32(info->incompat);
	h.flags = cpu_to_le32(info->flags);
	h.generation = cpu_to_le64(info->generation);
	h.creation_time_ns = cpu_to_le64(info->creation_time_ns);
	h.payload_length = cpu_to_le64(info->payload_length);
	h.record_count = cpu_to_le32(info->record_count);
	h.client_version = cpu_to_le32(info->client_version);
	memcpy(h.store_uuid, info->store_uuid, KSTATE_UUID_LEN);
	memcpy(h.boot_id, info->boot_id, KSTATE_UUID_LEN);
	h.header_crc = cpu_to_le32(kstate_crc32c(&h, offsetof(struct kstate_file_header,
							       header_crc)));
	memcpy(hdr, &h, sizeof(h));
	return 0;
}

/**
 * kstate_file_header_decode - validate a record file header and decode it
 * @buf: the file, or at least its first %KSTATE_FILE_HEADER_SIZE bytes
 * @len: bytes available at @buf
 * @info: decoded header on success
 * @err: optional; why the header was refused
 *
 * Only the header is checked; the records are checked by kstate_file_validate().
 *
 * Return: 0 or a negative errno as listed in kstate_format.h.
 */
int kstate_file_header_decode(const void *buf, size_t len, struct kstate_file_info *info,
			      struct kstate_format_error *err)
{
	struct kstate_file_header h;
	int rc;

	rc = check_common(buf, len, KSTATE_FILE_MAGIC, KSTATE_FILE_HEADER_SIZE,
			  KSTATE_FILE_INCOMPAT_SUPP, err);
	if (rc)
		return rc;
	memcpy(&h, buf, sizeof(h));
	common_decode((const struct common_header *)&h, &info->version_major,
		      &info->version_minor, &info->compat, &info->ro_compat, &info->incompat,
		      &info->flags);
	if (info->flags & ~KSTATE_FILE_F_ALL)
		return reject(err, -EPROTO, FIELD_OFFSET(kstate_file_header, flags), 0,
			      "unknown file flags");
	if (!all_zero(h.reserved, sizeof(h.reserved)))
		return reject(err, -EPROTO, FIELD_OFFSET(kstate_file_header, reserved), 0,
			      "reserved header bytes are not zero");
	info->generation = le64_to_cpu(h.generation);
	info->creation_time_ns = le64_to_cpu(h.creation_time_ns);
	info->payload_length = le64_to_cpu(h.payload_length);
	info->record_count = le32_to_cpu(h.record_count);
	info->client_version = le32_to_cpu(h.client_version);
	memcpy(info->store_uuid, h.store_uuid, KSTATE_UUID_LEN);
	memcpy(info->boot_id, h.boot_id, KSTATE_UUID_LEN);
	if (info->generation == 0)
		return reject(err, -EUCLEAN, FIELD_OFFSET(kstate_file_header, generation), 0,
			      "generation is zero");
	if (release_decode(h.kernel_release, info->kernel_release))
		return reject(err, -EUCLEAN, FIELD_OFFSET(kstate_file_header, kernel_release),
			      0, "kernel release is not printable NUL-padded text");
	if (kstate_name_decode(h.name, info->name))
		return reject(err, -EUCLEAN, FIELD_OFFSET(kstate_file_header, name), 0,
			      "invalid name");
	return 0;
}

/*
 * CRC of a record: its header up to the crc field, the payload, then the padding.  The
 * writer has no padding buffer and passes NULL for zeros; the reader passes the bytes
 * stored in the file, so the padding is checksummed like everything else.
 */
static u32 record_crc(const struct kstate_record_header *h, const void *payload, u32 length,
		      const void *padding)
{
	static const u8 zeros[KSTATE_RECORD_ALIGN];
	u32 crc = kstate_crc32c_begin();

	crc = kstate_crc32c_add(crc, h, offsetof(struct kstate_record_header, crc));
	crc = kstate_crc32c_add(crc, payload, length);
	crc = kstate_crc32c_add(crc, padding ? padding : zeros, kstate_record_padding(length));
	return kstate_crc32c_end(crc);
}

/**
 * kstate_record_header_prepare - fill a record header except its CRC
 * @hdr: destination
 * @type: client-defined type
 * @flags: %KSTATE_RECORD_F_*
 * @length: payload length, at most %KSTATE_RECORD_MAX_LENGTH
 * @crc_state: out: the CRC32C state after the header's bytes 0..11
 *
 * For a writer that checksums the payload in the same pass that copies it: continue
 * @crc_state with kstate_crc32c_add() over the payload and its
 * kstate_record_padding(@length) zeros, then kstate_record_header_seal().
 *
 * Return: 0, or -EINVAL for unknown flags or an oversized payload.
 */
int kstate_record_header_prepare(struct kstate_record_header *hdr, u16 type, u16 flags,
				 u32 length, u32 *crc_state)
{
	struct kstate_record_header h;

	if ((flags & ~KSTATE_RECORD_F_ALL) || length > KSTATE_RECORD_MAX_LENGTH)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	h.type = cpu_to_le16(type);
	h.flags = cpu_to_le16(flags);
	h.length = cpu_to_le32(length);
	memcpy(hdr, &h, sizeof(h));
	*crc_state = kstate_crc32c_add(kstate_crc32c_begin(), &h,
				       offsetof(struct kstate_record_header, crc));
	return 0;
}

/**
 * kstate_record_header_seal - store the CRC of a prepared record header
 * @hdr: a header from kstate_record_header_prepare()
 * @crc_state: its CRC32C state continued over the payload and the padding
 */
void kstate_record_header_seal(struct kstate_record_header *hdr, u32 crc_state)
{
	__le32 crc = cpu_to_le32(kstate_crc32c_end(crc_state));

	memcpy(&hdr->crc, &crc, sizeof(crc));
}

/**
 * kstate_record_header_encode - fill a record header for a payload
 * @hdr: destination
 * @type: client-defined type
 * @flags: %KSTATE_RECORD_F_*
 * @payload: the payload (its CRC is computed here)
 * @length: payload length, at most %KSTATE_RECORD_MAX_LENGTH
 *
 * The caller writes the header, the payload, then kstate_record_padding(@length) zeros.
 *
 * Return: 0, or -EINVAL for unknown flags or an oversized payload.
 */
int kstate_record_header_encode(struct kstate_record_header *hdr, u16 type, u16 flags,
				const void *payload, u32 length)
{
	static const u8 zeros[KSTATE_RECORD_ALIGN];
	u32 crc;
	int rc;

	rc = kstate_record_header_prepare(hdr, type, flags, length, &crc);
	if (rc)
		return rc;
	crc = kstate_crc32c_add(crc, payload, length);
	crc = kstate_crc32c_add(crc, zeros, kstate_record_padding(length));
	kstate_record_header_seal(hdr, crc);
	return 0;
}

/**
 * kstate_record_decode - validate and decode the record at *@pos
 * @buf: buffer holding the records
 * @len: end of the records in @buf
 * @pos: offset of the record; advanced past it (padding included) on success
 * @rec: decoded record; @rec->payload points into @buf
 * @err: optional; why the record was refused
 *
 * Return: 0 or a negative errno as listed in kstate_format.h.
 */
int kstate_record_decode(const void *buf, size_t len, u64 *pos, struct kstate_record *rec,
			 struct kstate_format_error *err)
{
	const u8 *p = buf;
	struct kstate_record_header h;
	u64 off = *pos;
	u32 length, pad;
	u16 flags;

	if (off > len || len - off < sizeof(h))
		return reject(err, -EOVERFLOW, off, 0, "record header past the end");
	memcpy(&h, p + off, sizeof(h));
	length = le32_to_cpu(h.length);
	if (length > KSTATE_RECORD_MAX_LENGTH)
		return reject(err, -EOVERFLOW, off + 4, 0, "record length over the limit");
	if (kstate_record_size(length) > len - off)
		return reject(err, -EOVERFLOW, off + 4, 0, "record length past the end");
	if (record_crc(&h, p + off + sizeof(h), length, p + off + sizeof(h) + length) !=
	    le32_to_cpu(h.crc))
		return reject(err, -EBADMSG, off + 12, 0, "record checksum mismatch");
	flags = le16_to_cpu(h.flags);
	if (flags & ~KSTATE_RECORD_F_ALL)
		return reject(err, -EPROTO, off + 2, 0, "unknown record flags");
	if (le32_to_cpu(h.reserved))
		return reject(err, -EPROTO, off + 8, 0, "reserved record field is not zero");
	pad = kstate_record_padding(length);
	if (!all_zero(p + off + sizeof(h) + length, pad))
		return reject(err, -EPROTO, off + sizeof(h) + length, 0,
			      "record padding is not zero");
	rec->type = le16_to_cpu(h.type);
	rec->flags = flags;
	rec->length = length;
	rec->payload = p + off + sizeof(h);
	*pos = off + kstate_record_size(length);
	return 0;
}

/**
 * kstate_file_validate - validate a whole record file: header, every record, totals
 * @buf: the whole file
 * @len: file size
 * @info: decoded header on success
 * @err: optional; why the file was refused (@err->index is the record index)
 *
 * After success every record can be walked with kstate_record_decode() from offset
 * %KSTATE_FILE_HEADER_SIZE without further failure.
 *
 * Return: 0 or a negative errno as listed in kstate_format.h.
 */
int kstate_file_validate(const void *buf, size_t len, struct kstate_file_info *info,
			 struct kstate_format_error *err)
{
	struct kstate_record rec;
	u64 pos = KSTATE_FILE_HEADER_SIZE;
	u64 end;
	u32 i;
	int rc;

	rc = kstate_file_header_decode(buf, len, info, err);
	if (rc)
		return rc;
	if (info->payload_length > len - KSTATE_FILE_HEADER_SIZE)
		return reject(err, -EOVERFLOW, FIELD_OFFSET(kstate_file_header, payload_length),
			      0, "payload length past the end of the file");
	end = KSTATE_FILE_HEADER_SIZE + info->payload_length;
	if (end != len)
		return reject(err, -EMSGSIZE, end, 0, "bytes after the last record");
	for (i = 0; pos < end; i++) {
		if (i == info->record_count)
			return reject(err, -EUCLEAN, pos, i, "more records than the header counts");
		rc = kstate_record_decode(buf, end, &pos, &rec, err);
		if (rc) {
			if (err)
				err->index = i;
			return rc;
		}
		if ((i & 4095) == 4095)
			kstate_shim_resched();
	}
	if (i != info->record_count)
		return reject(err, -EUCLEAN, pos, i, "fewer records than the header counts");
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Manifests */

/**
 * kstate_entry_compare - the manifest order of entries: by kind, then by name
 * @a: an entry
 * @b: another entry
 *
 * Return: <0, 0 or >0 like strcmp().
 */
int kstate_entry_compare(const struct kstate_entry *a, const struct kstate_entry *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strncmp(a->name, b->name, KSTATE_NAME_LEN);
}

/*
 * @region_crc: the manifest has %KSTATE_MANIFEST_INCOMPAT_REGION_CRC (an entry received
 * on its own is checked as if it had), so region entries may carry a CRC.
 */
static int entry_check(const struct kstate_entry *e, u64 generation, bool region_crc)
{
	if (!kstate_name_valid(e->name))
		return -EUCLEAN;
	if (e->kind != KSTATE_ENTRY_RECORDS && e->kind != KSTATE_ENTRY_REGION)
		return -EOPNOTSUPP;
	if (e->flags & ~KSTATE_ENTRY_F_ALL)
		return -EPROTO;
	if ((e->flags & KSTATE_ENTRY_F_REGION_CRC) &&
	    (e->kind != KSTATE_ENTRY_REGION || !region_crc))
		return -EPROTO;
	if (e->generation == 0 || e->generation > generation)
		return -EUCLEAN;
	if (e->kind == KSTATE_ENTRY_RECORDS && e->size < KSTATE_FILE_HEADER_SIZE)
		return -EUCLEAN;
	if (e->kind == KSTATE_ENTRY_REGION &&
	    ((e->crc && !(e->flags & KSTATE_ENTRY_F_REGION_CRC)) || e->client_version))
		return -EUCLEAN;
	return 0;
}

/**
 * kstate_entry_encode - write one entry in its on-media form
 * @me: destination
 * @e: the entry; its name must be valid
 */
void kstate_entry_encode(struct kstate_manifest_entry *me, const struct kstate_entry *e)
{
	memset(me, 0, sizeof(*me));
	kstate_name_encode(me->name, e->name);
	me->generation = cpu_to_le64(e->generation);
	me->size = cpu_to_le64(e->size);
	me->crc = cpu_to_le32(e->crc);
	me->kind = cpu_to_le16(e->kind);
	me->flags = cpu_to_le16(e->flags);
	me->client_version = cpu_to_le32(e->client_version);
}

static void entry_from_le(const struct kstate_manifest_entry *me, struct kstate_entry *entry)
{
	size_t n;

	memset(entry, 0, sizeof(*entry));
	n = strnlen((const char *)me->name, KSTATE_NAME_LEN - 1);
	memcpy(entry->name, me->name, n);
	entry->generation = le64_to_cpu(me->generation);
	entry->size = le64_to_cpu(me->size);
	entry->crc = le32_to_cpu(me->crc);
	entry->kind = le16_to_cpu(me->kind);
	entry->flags = le16_to_cpu(me->flags);
	entry->client_version = le32_to_cpu(me->client_version);
}

static int manifest_info_check(const struct kstate_manifest_info *info)
{
	if (info->generation == 0 || info->base_generation >= info->generation)
		return -EUCLEAN;
	if (info->state != KSTATE_MANIFEST_OPEN && info->state != KSTATE_MANIFEST_SEALED)
		return -EPROTO;
	if (info->entry_count > KSTATE_MANIFEST_MAX_ENTRIES)
		return -EOVERFLOW;
	return 0;
}

/**
 * kstate_manifest_encode - write a manifest: header, then the entries
 * @buf: destination, kstate_manifest_size(@info->entry_count) bytes
 * @len: bytes available at @buf
 * @info: header values; version and sizes come from this implementation
 * @entries: @info->entry_count entries in kstate_entry_compare() order, no duplicates
 *
 * Return: 0, -EOVERFLOW when @len is too small or there are too many entries, -EINVAL
 * for an invalid header value or entry, or entries out of order.
 */
int kstate_manifest_encode(void *buf, size_t len, const struct kstate_manifest_info *info,
			   const struct kstate_entry *entries)
{
	struct kstate_manifest_header h;
	u32 i, crc, incompat = info->incompat;
	u8 *p = buf;
	int rc;

	rc = manifest_info_check(info);
	if (rc == -EOVERFLOW)
		return rc;
	if (rc || info->flags)
		return -EINVAL;
	if (kstate_manifest_size(info->entry_count) > len)
		return -EOVERFLOW;
	for (i = 0; i < info->entry_count; i++) {
		if (entry_check(&entries[i], info->generation, true))
			return -EINVAL;
		if (entries[i].flags & KSTATE_ENTRY_F_REGION_CRC)
			incompat |= KSTATE_MANIFEST_INCOMPAT_REGION_CRC;
		if (i && kstate_entry_compare(&entries[i - 1], &entries[i]) >= 0)
			return -EINVAL;
	}

	memset(&h, 0, sizeof(h));
	if (release_encode(h.kernel_release, info->kernel_release))
		return -EINVAL;
	crc = kstate_crc32c_begin();
	for (i = 0; i < info->entry_count; i++) {
		struct kstate_manifest_entry me;

		kstate_entry_encode(&me, &entries[i]);
		memcpy(p + kstate_manifest_size(i), &me, sizeof(me));
		crc = kstate_crc32c_add(crc, &me, sizeof(me));
	}

	memcpy(h.magic, KSTATE_MANIFEST_MAGIC, KSTATE_MAGIC_LEN);
	h.version_major = cpu_to_le16(KSTATE_FORMAT_VERSION_MAJOR);
	h.version_minor = cpu_to_le16(KSTATE_FORMAT_VERSION_MINOR);
	h.header_size = cpu_to_le32(KSTATE_MANIFEST_HEADER_SIZE);
	h.compat = cpu_to_le32(info->compat);
	h.ro_compat = cpu_to_le32(info->ro_compat);
	h.incompat = cpu_to_le32(incompat);
	h.generation = cpu_to_le64(info->generation);
	h.base_generation = cpu_to_le64(info->base_generation);
	h.creation_time_ns = cpu_to_le64(info->creation_time_ns);
	h.seal_time_ns = cpu_to_le64(info->seal_time_ns);
	h.state = cpu_to_le32(info->state);
	h.entry_count = cpu_to_le32(info->entry_count);
	h.entry_size = cpu_to_le32(KSTATE_MANIFEST_ENTRY_SIZE);
	h.entries_crc = cpu_to_le32(kstate_crc32c_end(crc));
	memcpy(h.store_uuid, info->store_uuid, KSTATE_UUID_LEN);
	memcpy(h.boot_id, info->boot_id, KSTATE_UUID_LEN);
	h.header_crc = cpu_to_le32(kstate_crc32c(&h, offsetof(struct kstate_manifest_header,
							       header_crc)));
	memcpy(p, &h, sizeof(h));
	return 0;
}

/**
 * kstate_manifest_entry_get - decode entry @index of a manifest already validated
 * @buf: a manifest that passed kstate_manifest_decode()
 * @index: below the decoded entry_count
 * @entry: decoded entry
 */
void kstate_manifest_entry_get(const void *buf, u32 index, struct kstate_entry *entry)
{
	struct kstate_manifest_entry me;

	memcpy(&me, (const u8 *)buf + kstate_manifest_size(index), sizeof(me));
	entry_from_le(&me, entry);
}

/**
 * kstate_entry_decode - decode and check one entry received on its own
 * @me: the entry in its on-media form (for example from the kernel's save ioctl)
 * @generation: the generation that will list it
 * @entry: decoded entry
 *
 * Return: 0, or -EPROTO, -EOPNOTSUPP or -EUCLEAN as kstate_manifest_decode() would
 * refuse it.
 */
int kstate_entry_decode(const struct kstate_manifest_entry *me, u64 generation,
			struct kstate_entry *entry)
{
	char name[KSTATE_NAME_LEN];

	if (me->reserved || kstate_name_decode(me->name, name))
		return me->reserved ? -EPROTO : -EUCLEAN;
	entry_from_le(me, entry);
	return entry_check(entry, generation, true);
}

static const char *entry_problem(int rc)
{
	switch (rc) {
	case -EOPNOTSUPP:
		return "unknown entry kind";
	case -EPROTO:
		return "unknown entry flags or non-zero reserved field";
	default:
		return "invalid entry (name, generation or size)";
	}
}

/**
 * kstate_manifest_decode - validate a whole manifest and decode its header
 * @buf: the whole manifest file
 * @len: file size
 * @info: decoded header on success
 * @err: optional; why the manifest was refused (@err->index is the entry index)
 *
 * Entries are then read with kstate_manifest_entry_get().
 *
 * Return: 0 or a negative errno as listed in kstate_format.h.
 */
int kstate_manifest_decode(const void *buf, size_t len, struct kstate_manifest_info *info,
			   struct kstate_format_error *err)
{
	const u8 *p = buf;
	struct kstate_manifest_header h;
	struct kstate_entry prev, cur;
	u64 size;
	u32 i;
	int rc;

	rc = check_common(buf, len, KSTATE_MANIFEST_MAGIC, KSTATE_MANIFEST_HEADER_SIZE,
			  KSTATE_MANIFEST_INCOMPAT_SUPP, err);
	if (rc)
		return rc;
	memcpy(&h, buf, sizeof(h));
	common_decode((const struct common_header *)&h, &info->version_major,
		      &info->version_minor, &info->compat, &info->ro_compat, &info->incompat,
		      &info->flags);
	if (info->flags)
		return reject(err, -EPROTO, FIELD_OFFSET(kstate_manifest_header, flags), 0,
			      "unknown manifest flags");
	if (!all_zero(h.reserved, sizeof(h.reserved)))
		return reject(err, -EPROTO, FIELD_OFFSET(kstate_manifest_header, reserved), 0,
			      "reserved header bytes are not zero");
	if (le32_to_cpu(h.entry_size) != KSTATE_MANIFEST_ENTRY_SIZE)
		return reject(err, -EPROTO, FIELD_OFFSET(kstate_manifest_header, entry_size), 0,
			      "unsupported entry size");
	info->generation = le64_to_cpu(h.generation);
	info->base_generation = le64_to_cpu(h.base_generation);
	info->creation_time_ns = le64_to_cpu(h.creation_time_ns);
	info->seal_time_ns = le64_to_cpu(h.seal_time_ns);
	info->state = le32_to_cpu(h.state);
	info->entry_count = le32_to_cpu(h.entry_count);
	memcpy(info->store_uuid, h.store_uuid, KSTATE_UUID_LEN);
	memcpy(info->boot_id, h.boot_id, KSTATE_UUID_LEN);
	rc = manifest_info_check(info);
	if (rc == -EPROTO)
		return reject(err, rc, FIELD_OFFSET(kstate_manifest_header, state), 0,
			      "unknown manifest state");
	if (rc == -EOVERFLOW)
		return reject(err, rc, FIELD_OFFSET(kstate_manifest_header, entry_count), 0,
			      "too many entries");
	if (rc)
		return reject(err, rc, FIELD_OFFSET(kstate_manifest_header, generation), 0,
			      "generation is zero or not above its base");
	if (release_decode(h.kernel_release, info->kernel_release))
		return reject(err, -EUCLEAN,
			      FIELD_OFFSET(kstate_manifest_header, kernel_release), 0,
			      "kernel release is not printable NUL-padded text");

	size = kstate_manifest_size(info->entry_count);
	if (size > len)
		return reject(err, -EOVERFLOW, len, 0, "entries past the end of the file");
	if (size < len)
		return reject(err, -EMSGSIZE, size, 0, "bytes after the last entry");
	if (kstate_crc32c(p + KSTATE_MANIFEST_HEADER_SIZE, size - KSTATE_MANIFEST_HEADER_SIZE) !=
	    le32_to_cpu(h.entries_crc))
		return reject(err, -EBADMSG, FIELD_OFFSET(kstate_manifest_header, entries_crc),
			      0, "entries checksum mismatch");

	for (i = 0; i < info->entry_count; i++) {
		struct kstate_manifest_entry me;
		u64 off = kstate_manifest_size(i);

		memcpy(&me, p + off, sizeof(me));
		if (kstate_name_decode(me.name, cur.name))
			return reject(err, -EUCLEAN, off, i, "invalid entry name");
		if (le32_to_cpu(me.reserved))
			return reject(err, -EPROTO, off + 60, i,
				      "reserved entry field is not zero");
		kstate_manifest_entry_get(buf, i, &cur);
		rc = entry_check(&cur, info->generation,
				 info->incompat & KSTATE_MANIFEST_INCOMPAT_REGION_CRC);
		if (rc)
			return reject(err, rc, off, i, entry_problem(rc));
		if (i && kstate_entry_compare(&prev, &cur) >= 0)
			return reject(err, -EUCLEAN, off, i, "entries out of order or duplicated");
		prev = cur;
	}
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Store header */

/**
 * kstate_store_header_encode - fill a store header, checksum included
 * @hdr: destination
 * @info: values; version and header size come from this implementation
 *
 * Return: 0, or -EINVAL for non-zero flags.
 */
int kstate_store_header_encode(struct kstate_store_header *hdr,
			       const struct kstate_store_info *info)
{
	struct kstate_store_header h;

	if (info->flags)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, KSTATE_STORE_MAGIC, KSTATE_MAGIC_LEN);
	h.version_major = cpu_to_le16(KSTATE_FORMAT_VERSION_MAJOR);
	h.version_minor = cpu_to_le16(KSTATE_FORMAT_VERSION_MINOR);
	h.header_size = cpu_to_le32(KSTATE_STORE_HEADER_SIZE);
	h.compat = cpu_to_le32(info->compat);
	h.ro_compat = cpu_to_le32(info->ro_compat);
	h.incompat = cpu_to_le32(info->incompat);
	memcpy(h.store_uuid, info->store_uuid, KSTATE_UUID_LEN);
	h.creation_time_ns = cpu_to_le64(info->creation_time_ns);
	h.last_sealed_generation = cpu_to_le64(info->last_sealed_generation);
	h.header_crc = cpu_to_le32(kstate_crc32c(&h, offsetof(struct kstate_store_header,
							       header_crc)));
	memcpy(hdr, &h, sizeof(h));
	return 0;
}

/**
 * kstate_store_header_decode - validate the store header and decode it
 * @buf: the whole "kstate.store" file
 * @len: file size
 * @info: decoded header on success
 * @err: optional; why the header was refused
 *
 * Return: 0 or a negative errno as listed in kstate_format.h.
 */
int kstate_store_header_decode(const void *buf, size_t len, struct kstate_store_info *info,
			       struct kstate_format_error *err)
{
	struct kstate_store_header h;
	int rc;

	rc = check_common(buf, len, KSTATE_STORE_MAGIC, KSTATE_STORE_HEADER_SIZE,
			  KSTATE_STORE_INCOMPAT_SUPP, err);
	if (rc)
		return rc;
	if (len > KSTATE_STORE_HEADER_SIZE)
		return reject(err, -EMSGSIZE, KSTATE_STORE_HEADER_SIZE, 0,
			      "bytes after the store header");
	memcpy(&h, buf, sizeof(h));
	common_decode((const struct common_header *)&h, &info->version_major,
		      &info->version_minor, &info->compat, &info->ro_compat, &info->incompat,
		      &info->flags);
	if (info->flags)
		return reject(err, -EPROTO, FIELD_OFFSET(kstate_store_header, flags), 0,
			      "unknown store flags");
	if (!all_zero(h.reserved, sizeof(h.reserved)))
		return reject(err, -EPROTO, FIELD_OFFSET(kstate_store_header, reserved), 0,
			      "reserved header bytes are not zero");
	memcpy(info->store_uuid, h.store_uuid, KSTATE_UUID_LEN);
	info->creation_time_ns = le64_to_cpu(h.creation_time_ns);
	info->last_sealed_generation = le64_to_cpu(h.last_sealed_generation);
	return 0;
}
