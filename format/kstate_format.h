/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * kstate_format - the one implementation of the kstate on-media format.
 *
 * This file and kstate_format.c are compiled unchanged into the kernel module and into
 * libkstate.  Each side supplies "kstate_shim.h" with fixed-width types, byte-order
 * helpers, errno values, string functions and a raw CRC32C; nothing else is assumed.
 *
 * Decoders never read outside the buffer they are given, check every checksum before
 * trusting a length, and return a distinct negative errno per kind of rejection:
 *
 *   -EPROTO      wrong signature, unsupported major version or header size, a non-zero
 *                reserved field or padding, an unknown flag bit or state
 *   -EBADMSG     a checksum does not match
 *   -EOPNOTSUPP  an unknown incompat feature bit or entry kind
 *   -EOVERFLOW   a length or count runs past the end of the buffer or over a limit
 *   -EMSGSIZE    the buffer holds bytes after the end its header declares
 *   -EUCLEAN     checksummed fields that contradict each other or the rules (a bad
 *                name, entries out of order, a record count that does not match)
 *
 * Each decoder can also fill a struct kstate_format_error that says where and why, so
 * the kernel log and the tools can tell an operator exactly what was refused.
 *
 * Copyright (c) 2026 The kstate authors
 */
#ifndef KSTATE_FORMAT_H
#define KSTATE_FORMAT_H

#include "kstate_shim.h"
#include <kstate/format.h>

#define KSTATE_FILE_HEADER_SIZE		((u32)sizeof(struct kstate_file_header))
#define KSTATE_RECORD_HEADER_SIZE	((u32)sizeof(struct kstate_record_header))
#define KSTATE_MANIFEST_HEADER_SIZE	((u32)sizeof(struct kstate_manifest_header))
#define KSTATE_MANIFEST_ENTRY_SIZE	((u32)sizeof(struct kstate_manifest_entry))
#define KSTATE_STORE_HEADER_SIZE	((u32)sizeof(struct kstate_store_header))

/* Longest file name the store uses: "<31 chars>.<16 hex>.ksr" plus NUL, with room. */
#define KSTATE_FILENAME_MAX		64

/**
 * struct kstate_format_error - where and why a decoder refused its input
 * @what: a constant, human-readable reason ("header checksum mismatch")
 * @offset: byte offset in the buffer of the offending field or record
 * @index: record or entry index for per-item errors, otherwise 0
 */
struct kstate_format_error {
	const char *what;
	u64 offset;
	u32 index;
};

/* CRC32C (Castagnoli): begin with ~0, add bytes, end with a final inversion. */
static inline u32 kstate_crc32c_begin(void)
{
	return ~(u32)0;
}

static inline u32 kstate_crc32c_add(u32 state, const void *buf, size_t len)
{
	return kstate_shim_crc32c(state, buf, len);
}

static inline u32 kstate_crc32c_end(u32 state)
{
	return ~state;
}

u32 kstate_crc32c(const void *buf, size_t len);
u32 kstate_crc32c_combine(u32 crc_a, u32 crc_b, u64 len_b);

/* Names */
bool kstate_name_valid(const char *name);
int kstate_name_encode(u8 field[KSTATE_NAME_LEN], const char *name);
int kstate_name_decode(const u8 field[KSTATE_NAME_LEN], char name[KSTATE_NAME_LEN]);

/* File names inside the store; each returns 0 or -ENAMETOOLONG / -EINVAL. */
int kstate_records_filename(char *buf, size_t len, const char *name, u64 generation);
int kstate_region_filename(char *buf, size_t len, const char *name);
int kstate_manifest_filename(char *buf, size_t len, u64 generation);
int kstate_manifest_filename_parse(const char *filename, u64 *generation);

/* ---------------------------------------------------------------------------------- */
/* Record files */

/**
 * struct kstate_file_info - a record file header in CPU byte order
 * @version_major: format major version (decoded; ignored by the encoder)
 * @version_minor: format minor version (decoded; ignored by the encoder)
 * @compat: compatible feature bits
 * @ro_compat: read-only-compatible feature bits
 * @incompat: incompatible feature bits
 * @flags: %KSTATE_FILE_F_*
 * @generation: store generation the file belongs to, > 0
 * @creation_time_ns: CLOCK_REALTIME of the writer in nanoseconds
 * @payload_length: bytes of records after the header
 * @record_count: number of records
 * @client_version: client's own record layout version
 * @store_uuid: store UUID
 * @boot_id: writer's boot id
 * @kernel_release: writer's kernel release, NUL-terminated
 * @name: client or object name, NUL-terminated
 */
struct kstate_file_info {
	u16 version_major;
	u16 version_minor;
	u32 compat;
	u32 ro_compat;
	u32 incompat;
	u32 flags;
	u64 generation;
	u64 creation_time_ns;
	u64 payload_length;
	u32 record_count;
	u32 client_version;
	u8 store_uuid[KSTATE_UUID_LEN];
	u8 boot_id[KSTATE_UUID_LEN];
	char kernel_release[KSTATE_RELEASE_LEN + 1];
	char name[KSTATE_NAME_LEN];
};

/**
 * struct kstate_record - one decoded record; @payload points into the caller's buffer
 * @type: client-defined type
 * @flags: %KSTATE_RECORD_F_*
 * @length: payload length in bytes
 * @payload: first payload byte
 */
struct kstate_record {
	u16 type;
	u16 flags;
	u32 length;
	const void *payload;
};

int kstate_file_header_encode(struct kstate_file_header *hdr,
			      const struct kstate_file_info *info);
int kstate_file_header_decode(const void *buf, size_t len, struct kstate_file_info *info,
			      struct kstate_format_error *err);

/* Bytes a record of @length payload bytes occupies in a file, header and padding included. */
static inline u64 kstate_record_size(u32 length)
{
	return KSTATE_RECORD_HEADER_SIZE +
	       (((u64)length + KSTATE_RECORD_ALIGN - 1) & ~(u64)(KSTATE_RECORD_ALIGN - 1));
}

static inline u32 kstate_record_padding(u32 length)
{
	return (u32)(kstate_record_size(length) - KSTATE_RECORD_HEADER_SIZE - length);
}

int kstate_record_header_prepare(struct kstate_record_header *hdr, u16 type, u16 flags,
				 u32 length, u32 *crc_state);
void kstate_record_header_seal(struct kstate_record_header *hdr, u32 crc_state);
int kstate_record_header_encode(struct kstate_record_header *hdr, u16 type, u16 flags,
				const void *payload, u32 length);
int kstate_record_decode(const void *buf, size_t len, u64 *pos, struct kstate_record *rec,
			 struct kstate_format_error *err);
int kstate_file_validate(const void *buf, size_t len, struct kstate_file_info *info,
			 struct kstate_format_error *err);

/* ---------------------------------------------------------------------------------- */
/* Manifests */

/**
 * struct kstate_manifest_info - a manifest header in CPU byte order
 * @version_major: format major version (decoded; ignored by the encoder)
 * @version_minor: format minor version (decoded; ignored by the encoder)
 * @compat: compatible feature bits
 * @ro_compat: read-only-compatible feature bits
 * @incompat: incompatible feature bits
 * @flags: zero
 * @generation: this generation, > 0
 * @base_generation: sealed generation it derives from, < @generation, 0 for none
 * @creation_time_ns: when the generation was opened
 * @seal_time_ns: when it was sealed, 0 while open
 * @state: %KSTATE_MANIFEST_OPEN or %KSTATE_MANIFEST_SEALED
 * @entry_count: number of entries
 * @store_uuid: store UUID
 * @boot_id: writer's boot id
 * @kernel_release: writer's kernel release, NUL-terminated
 */
struct kstate_manifest_info {
	u16 version_major;
	u16 version_minor;
	u32 compat;
	u32 ro_compat;
	u32 incompat;
	u32 flags;
	u64 generation;
	u64 base_generation;
	u64 creation_time_ns;
	u64 seal_time_ns;
	u32 state;
	u32 entry_count;
	u8 store_uuid[KSTATE_UUID_LEN];
	u8 boot_id[KSTATE_UUID_LEN];
	char kernel_release[KSTATE_RELEASE_LEN + 1];
};

/**
 * struct kstate_entry - a manifest entry in CPU byte order
 * @name: object name, NUL-terminated
 * @generation: generation the file was written in
 * @size: file size
 * @crc: CRC32C of the whole file (records); 0 for regions
 * @kind: %KSTATE_ENTRY_RECORDS or %KSTATE_ENTRY_REGION
 * @flags: %KSTATE_ENTRY_F_*
 * @client_version: client's record layout version (records); 0 for regions
 */
struct kstate_entry {
	char name[KSTATE_NAME_LEN];
	u64 generation;
	u64 size;
	u32 crc;
	u16 kind;
	u16 flags;
	u32 client_version;
};

static inline u64 kstate_manifest_size(u32 entry_count)
{
	return KSTATE_MANIFEST_HEADER_SIZE + (u64)entry_count * KSTATE_MANIFEST_ENTRY_SIZE;
}

int kstate_entry_compare(const struct kstate_entry *a, const struct kstate_entry *b);
int kstate_manifest_encode(void *buf, size_t len, const struct kstate_manifest_info *info,
			   const struct kstate_entry *entries);
int kstate_manifest_decode(const void *buf, size_t len, struct kstate_manifest_info *info,
			   struct kstate_format_error *err);
void kstate_manifest_entry_get(const void *buf, u32 index, struct kstate_entry *entry);
void kstate_entry_encode(struct kstate_manifest_entry *me, const struct kstate_entry *e);
int kstate_entry_decode(const struct kstate_manifest_entry *me, u64 generation,
			struct kstate_entry *entry);

/* ---------------------------------------------------------------------------------- */
/* Store header */

/**
 * struct kstate_store_info - the store header in CPU byte order
 * @version_major: format major version (decoded; ignored by the encoder)
 * @version_minor: format minor version (decoded; ignored by the encoder)
 * @compat: compatible feature bits
 * @ro_compat: read-only-compatible feature bits
 * @incompat: incompatible feature bits
 * @flags: zero
 * @store_uuid: store UUID
 * @creation_time_ns: when the store was created
 * @last_sealed_generation: high-water mark of sealed generations
 */
struct kstate_store_info {
	u16 version_major;
	u16 version_minor;
	u32 compat;
	u32 ro_compat;
	u32 incompat;
	u32 flags;
	u8 store_uuid[KSTATE_UUID_LEN];
	u64 creation_time_ns;
	u64 last_sealed_generation;
};

int kstate_store_header_encode(struct kstate_store_header *hdr,
			       const struct kstate_store_info *info);
int kstate_store_header_decode(const void *buf, size_t len, struct kstate_store_info *info,
			       struct kstate_format_error *err);

#endif /* KSTATE_FORMAT_H */
