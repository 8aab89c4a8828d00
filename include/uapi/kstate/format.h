/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kstate on-media format: record files, manifests and the store header.
 *
 * Copyright (c) 2026 The kstate authors
 */
#ifndef _UAPI_KSTATE_FORMAT_H
#define _UAPI_KSTATE_FORMAT_H

#include <linux/types.h>

/**
 * DOC: kstate on-media format
 *
 * Everything in this file is a contract with data already written to persistent
 * memory: a kernel booted next year must read what this kernel writes today, and the
 * other way round.  All fields are little-endian and naturally aligned; there is no
 * implicit padding; every ``reserved`` field is written as zero and a reader rejects
 * a non-zero one (so that a later version may give it a meaning).  Every header ends
 * with its CRC32C (Castagnoli, the iSCSI polynomial, initial value ~0, final XOR ~0)
 * computed over all bytes of the header before it.
 *
 * Changing the layout requires one of:
 *
 * - a new ``compat`` feature bit: the change may be ignored by an older reader
 *   (for example a new informational field carved out of ``reserved``);
 * - a new ``ro_compat`` feature bit: an older reader may read the object but must not
 *   write a new object derived from it;
 * - a new ``incompat`` feature bit: an older reader must refuse the object;
 * - a new ``version_major``: a different format; old readers refuse it.
 *
 * ``version_minor`` only records which revision of this document the writer followed.
 * docs/format.md describes every byte and the commit protocol built on these objects.
 */

/* Signatures, 8 bytes, not NUL-terminated. */
#define KSTATE_FILE_MAGIC	"KSTATREC"	/* record file */
#define KSTATE_MANIFEST_MAGIC	"KSTATMAN"	/* manifest of one generation */
#define KSTATE_STORE_MAGIC	"KSTATSTO"	/* store header */
#define KSTATE_MAGIC_LEN	8

#define KSTATE_FORMAT_VERSION_MAJOR	1
#define KSTATE_FORMAT_VERSION_MINOR	0

/*
 * Names of clients and objects: 1 to 31 characters of [A-Za-z0-9_-], the first one a
 * letter or digit, stored NUL-padded in 32 bytes.  Names become file names, so this
 * rule is what keeps a crafted name from ever reaching outside the store directory.
 */
#define KSTATE_NAME_LEN		32
#define KSTATE_RELEASE_LEN	64	/* uname -r, NUL-padded, may fill all 64 bytes */
#define KSTATE_UUID_LEN		16

/*
 * Manifest incompat bit 0: some region entry carries
 * %KSTATE_ENTRY_F_REGION_CRC.  A 1.0 reader would refuse such an entry anyway (a region
 * with a non-zero crc); the bit makes it refuse the manifest up front, by its feature.
 */
#define KSTATE_MANIFEST_INCOMPAT_REGION_CRC	0x00000001U

/* Feature bits this implementation knows; every other bit is reserved. */
#define KSTATE_FILE_COMPAT_SUPP		0x00000000U
#define KSTATE_FILE_RO_COMPAT_SUPP	0x00000000U
#define KSTATE_FILE_INCOMPAT_SUPP	0x00000000U
#define KSTATE_MANIFEST_COMPAT_SUPP	0x00000000U
#define KSTATE_MANIFEST_RO_COMPAT_SUPP	0x00000000U
#define KSTATE_MANIFEST_INCOMPAT_SUPP	KSTATE_MANIFEST_INCOMPAT_REGION_CRC
#define KSTATE_STORE_COMPAT_SUPP	0x00000000U
#define KSTATE_STORE_RO_COMPAT_SUPP	0x00000000U
#define KSTATE_STORE_INCOMPAT_SUPP	0x00000000U

/* ------------------------------------------------------------------------------------ */
/* Record file: a header followed by payload_length bytes of records. */

/* File flags. */
#define KSTATE_FILE_F_KERNEL	0x00000001U	/* written by the kernel module */
#define KSTATE_FILE_F_ALL	KSTATE_FILE_F_KERNEL

/**
 * struct kstate_file_header - header of a record file, at offset 0
 * @magic: %KSTATE_FILE_MAGIC
 * @version_major: %KSTATE_FORMAT_VERSION_MAJOR
 * @version_minor: %KSTATE_FORMAT_VERSION_MINOR of the writer
 * @header_size: size of this header, sizeof(struct kstate_file_header); records start here
 * @compat: features an older reader may ignore
 * @ro_compat: features an older reader may read but not write
 * @incompat: features an older reader must refuse
 * @flags: %KSTATE_FILE_F_*
 * @generation: store generation this file was written for
 * @creation_time_ns: CLOCK_REALTIME of the writer, nanoseconds since the epoch
 * @payload_length: bytes of records after the header; the file ends right after them
 * @record_count: number of records
 * @client_version: the client's own version of its record layout
 * @store_uuid: UUID of the store this file belongs to
 * @boot_id: boot id (/proc/sys/kernel/random/boot_id) of the writer's boot
 * @kernel_release: writer's kernel release, NUL-padded
 * @name: client or object name, NUL-padded (see %KSTATE_NAME_LEN)
 * @reserved: zero
 * @header_crc: CRC32C of bytes 0..251
 */
struct kstate_file_header {
	__u8	magic[KSTATE_MAGIC_LEN];		/*   0 */
	__le16	version_major;				/*   8 */
	__le16	version_minor;				/*  10 */
	__le32	header_size;				/*  12 */
	__le32	compat;					/*  16 */
	__le32	ro_compat;				/*  20 */
	__le32	incompat;				/*  24 */
	__le32	flags;					/*  28 */
	__le64	generation;				/*  32 */
	__le64	creation_time_ns;			/*  40 */
	__le64	payload_length;				/*  48 */
	__le32	record_count;				/*  56 */
	__le32	client_version;				/*  60 */
	__u8	store_uuid[KSTATE_UUID_LEN];		/*  64 */
	__u8	boot_id[KSTATE_UUID_LEN];		/*  80 */
	__u8	kernel_release[KSTATE_RELEASE_LEN];	/*  96 */
	__u8	name[KSTATE_NAME_LEN];			/* 160 */
	__u8	reserved[60];				/* 192 */
	__le32	header_crc;				/* 252 */
};							/* 256 */

/* Record flags. */
/*
 * A reader that does not know the record's type must refuse the whole file rather than
 * skip the record.  Records without this flag may be skipped by readers that do not
 * know them: that is how a client adds optional data without a version bump.
 */
#define KSTATE_RECORD_F_CRITICAL	0x0001U
#define KSTATE_RECORD_F_ALL		KSTATE_RECORD_F_CRITICAL

#define KSTATE_RECORD_ALIGN		8	/* payloads are zero-padded to this */
#define KSTATE_RECORD_MAX_LENGTH	0x40000000U	/* 1 GiB; larger data goes in a region */

/**
 * struct kstate_record_header - header of one record
 * @type: client-defined record type
 * @flags: %KSTATE_RECORD_F_*
 * @length: payload bytes that follow, before padding
 * @reserved: zero
 * @crc: CRC32C of bytes 0..11 of this header, then the payload and its zero padding
 *
 * The payload follows the header and is padded with zeros to %KSTATE_RECORD_ALIGN, so
 * the next record header is 8-byte aligned.
 */
struct kstate_record_header {
	__le16	type;		/*  0 */
	__le16	flags;		/*  2 */
	__le32	length;		/*  4 */
	__le32	reserved;	/*  8 */
	__le32	crc;		/* 12 */
};				/* 16 */

/* ------------------------------------------------------------------------------------ */
/* Manifest: one generation of a store, a header followed by entry_count entries. */

#define KSTATE_MANIFEST_OPEN	1	/* generation being written; not a consistent cut */
#define KSTATE_MANIFEST_SEALED	2	/* complete: every entry was durable before sealing */

#define KSTATE_MANIFEST_MAX_ENTRIES	65536

/**
 * struct kstate_manifest_header - header of a manifest, at offset 0
 * @magic: %KSTATE_MANIFEST_MAGIC
 * @version_major: %KSTATE_FORMAT_VERSION_MAJOR
 * @version_minor: %KSTATE_FORMAT_VERSION_MINOR of the writer
 * @header_size: sizeof(struct kstate_manifest_header); entries start here
 * @compat: features an older reader may ignore
 * @ro_compat: features an older reader may read but must not derive a new generation from
 * @incompat: features an older reader must refuse
 * @flags: zero (none defined)
 * @generation: this generation's number, > 0, strictly increasing within a store
 * @base_generation: the sealed generation this one was derived from, 0 for none
 * @creation_time_ns: CLOCK_REALTIME when the generation was opened
 * @seal_time_ns: CLOCK_REALTIME when it was sealed, 0 while open
 * @state: %KSTATE_MANIFEST_OPEN or %KSTATE_MANIFEST_SEALED
 * @entry_count: number of entries, at most %KSTATE_MANIFEST_MAX_ENTRIES
 * @entry_size: sizeof(struct kstate_manifest_entry)
 * @entries_crc: CRC32C of all entry bytes
 * @store_uuid: UUID of the store
 * @boot_id: boot id of the writer's boot
 * @kernel_release: writer's kernel release, NUL-padded
 * @reserved: zero
 * @header_crc: CRC32C of bytes 0..251
 */
struct kstate_manifest_header {
	__u8	magic[KSTATE_MAGIC_LEN];		/*   0 */
	__le16	version_major;				/*   8 */
	__le16	version_minor;				/*  10 */
	__le32	header_size;				/*  12 */
	__le32	compat;					/*  16 */
	__le32	ro_compat;				/*  20 */
	__le32	incompat;				/*  24 */
	__le32	flags;					/*  28 */
	__le64	generation;				/*  32 */
	__le64	base_generation;			/*  40 */
	__le64	creation_time_ns;			/*  48 */
	__le64	seal_time_ns;				/*  56 */
	__le32	state;					/*  64 */
	__le32	entry_count;				/*  68 */
	__le32	entry_size;				/*  72 */
	__le32	entries_crc;				/*  76 */
	__u8	store_uuid[KSTATE_UUID_LEN];		/*  80 */
	__u8	boot_id[KSTATE_UUID_LEN];		/*  96 */
	__u8	kernel_release[KSTATE_RELEASE_LEN];	/* 112 */
	__u8	reserved[76];				/* 176 */
	__le32	header_crc;				/* 252 */
};							/* 256 */

/* Entry kinds. */
#define KSTATE_ENTRY_RECORDS	1	/* record file "<name>.<generation:016x>.ksr" */
#define KSTATE_ENTRY_REGION	2	/* region file "<name>.region", changed in place */

/* Entry flags. */
#define KSTATE_ENTRY_F_KERNEL		0x0001U	/* owned by a kernel client */
/*
 * A region whose @crc is the CRC32C of its whole contents, taken while its owner was
 * frozen for the save that precedes a reboot.  Only on %KSTATE_ENTRY_REGION entries,
 * and only in a manifest with %KSTATE_MANIFEST_INCOMPAT_REGION_CRC.
 */
#define KSTATE_ENTRY_F_REGION_CRC	0x0002U
#define KSTATE_ENTRY_F_ALL		(KSTATE_ENTRY_F_KERNEL | KSTATE_ENTRY_F_REGION_CRC)

/**
 * struct kstate_manifest_entry - one member file of a generation
 * @name: object name, NUL-padded (see %KSTATE_NAME_LEN); the file name derives from it
 * @generation: generation the file was written in, <= the manifest's generation
 * @size: file size in bytes
 * @crc: CRC32C of the whole file for %KSTATE_ENTRY_RECORDS; for a region, whose
 *	contents change in place, zero, or with %KSTATE_ENTRY_F_REGION_CRC the CRC32C of
 *	its contents when its owner was frozen
 * @kind: %KSTATE_ENTRY_RECORDS or %KSTATE_ENTRY_REGION
 * @flags: %KSTATE_ENTRY_F_*
 * @client_version: copied from the record file header; zero for regions
 * @reserved: zero
 *
 * Entries are sorted by (kind, name), strictly ascending, so each object appears once.
 */
struct kstate_manifest_entry {
	__u8	name[KSTATE_NAME_LEN];	/*  0 */
	__le64	generation;		/* 32 */
	__le64	size;			/* 40 */
	__le32	crc;			/* 48 */
	__le16	kind;			/* 52 */
	__le16	flags;			/* 54 */
	__le32	client_version;		/* 56 */
	__le32	reserved;		/* 60 */
};					/* 64 */

/* ------------------------------------------------------------------------------------ */
/* Store header: the file "kstate.store" at the root of a store. */

/**
 * struct kstate_store_header - identity and high-water mark of a store
 * @magic: %KSTATE_STORE_MAGIC
 * @version_major: %KSTATE_FORMAT_VERSION_MAJOR
 * @version_minor: %KSTATE_FORMAT_VERSION_MINOR of the writer
 * @header_size: sizeof(struct kstate_store_header)
 * @compat: features an older reader may ignore
 * @ro_compat: features an older reader may read but not write
 * @incompat: features an older reader must refuse
 * @flags: zero (none defined)
 * @store_uuid: UUID of the store, random at creation, never changed
 * @creation_time_ns: CLOCK_REALTIME at creation
 * @last_sealed_generation: highest generation known to have been sealed; a newest
 *	sealed manifest below it means generations were lost or replayed
 * @reserved: zero
 * @header_crc: CRC32C of bytes 0..123
 */
struct kstate_store_header {
	__u8	magic[KSTATE_MAGIC_LEN];	/*   0 */
	__le16	version_major;			/*   8 */
	__le16	version_minor;			/*  10 */
	__le32	header_size;			/*  12 */
	__le32	compat;				/*  16 */
	__le32	ro_compat;			/*  20 */
	__le32	incompat;			/*  24 */
	__le32	flags;				/*  28 */
	__u8	store_uuid[KSTATE_UUID_LEN];	/*  32 */
	__le64	creation_time_ns;		/*  48 */
	__le64	last_sealed_generation;		/*  56 */
	__u8	reserved[60];			/*  64 */
	__le32	header_crc;			/* 124 */
};						/* 128 */

/* File names inside a store directory. */
#define KSTATE_STORE_HEADER_NAME	"kstate.store"
#define KSTATE_MANIFEST_PREFIX		"manifest."	/* + generation as %016llx */
#define KSTATE_RECORDS_SUFFIX		".ksr"		/* <name>.<generation %016llx>.ksr */
#define KSTATE_REGION_SUFFIX		".region"	/* <name>.region */
#define KSTATE_TMP_PREFIX		".tmp."		/* files being written */
#define KSTATE_SPARE_PREFIX		".tmp.spare."	/* + slot: blocks kept for reuse */
#define KSTATE_QUARANTINE_DIR		"quarantine"	/* refused files, kept for inspection */

/* Layout checks: any change here is a format change. */
#define __KSTATE_CHECK_OFFSET(type, field, off) \
	_Static_assert(__builtin_offsetof(struct type, field) == (off), \
		       #type "." #field " must stay at offset " #off)

_Static_assert(sizeof(struct kstate_file_header) == 256, "record file header is 256 bytes");
__KSTATE_CHECK_OFFSET(kstate_file_header, version_major, 8);
__KSTATE_CHECK_OFFSET(kstate_file_header, version_minor, 10);
__KSTATE_CHECK_OFFSET(kstate_file_header, header_size, 12);
__KSTATE_CHECK_OFFSET(kstate_file_header, compat, 16);
__KSTATE_CHECK_OFFSET(kstate_file_header, ro_compat, 20);
__KSTATE_CHECK_OFFSET(kstate_file_header, incompat, 24);
__KSTATE_CHECK_OFFSET(kstate_file_header, flags, 28);
__KSTATE_CHECK_OFFSET(kstate_file_header, generation, 32);
__KSTATE_CHECK_OFFSET(kstate_file_header, creation_time_ns, 40);
__KSTATE_CHECK_OFFSET(kstate_file_header, payload_length, 48);
__KSTATE_CHECK_OFFSET(kstate_file_header, record_count, 56);
__KSTATE_CHECK_OFFSET(kstate_file_header, client_version, 60);
__KSTATE_CHECK_OFFSET(kstate_file_header, store_uuid, 64);
__KSTATE_CHECK_OFFSET(kstate_file_header, boot_id, 80);
__KSTATE_CHECK_OFFSET(kstate_file_header, kernel_release, 96);
__KSTATE_CHECK_OFFSET(kstate_file_header, name, 160);
__KSTATE_CHECK_OFFSET(kstate_file_header, reserved, 192);
__KSTATE_CHECK_OFFSET(kstate_file_header, header_crc, 252);

_Static_assert(sizeof(struct kstate_record_header) == 16, "record header is 16 bytes");
__KSTATE_CHECK_OFFSET(kstate_record_header, type, 0);
__KSTATE_CHECK_OFFSET(kstate_record_header, flags, 2);
__KSTATE_CHECK_OFFSET(kstate_record_header, length, 4);
__KSTATE_CHECK_OFFSET(kstate_record_header, reserved, 8);
__KSTATE_CHECK_OFFSET(kstate_record_header, crc, 12);

_Static_assert(sizeof(struct kstate_manifest_header) == 256, "manifest header is 256 bytes");
__KSTATE_CHECK_OFFSET(kstate_manifest_header, version_major, 8);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, version_minor, 10);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, header_size, 12);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, compat, 16);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, ro_compat, 20);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, incompat, 24);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, flags, 28);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, generation, 32);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, base_generation, 40);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, creation_time_ns, 48);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, seal_time_ns, 56);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, state, 64);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, entry_count, 68);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, entry_size, 72);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, entries_crc, 76);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, store_uuid, 80);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, boot_id, 96);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, kernel_release, 112);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, reserved, 176);
__KSTATE_CHECK_OFFSET(kstate_manifest_header, header_crc, 252);

_Static_assert(sizeof(struct kstate_manifest_entry) == 64, "manifest entry is 64 bytes");
__KSTATE_CHECK_OFFSET(kstate_manifest_entry, name, 0);
__KSTATE_CHECK_OFFSET(kstate_manifest_entry, generation, 32);
__KSTATE_CHECK_OFFSET(kstate_manifest_entry, size, 40);
__KSTATE_CHECK_OFFSET(kstate_manifest_entry, crc, 48);
__KSTATE_CHECK_OFFSET(kstate_manifest_entry, kind, 52);
__KSTATE_CHECK_OFFSET(kstate_manifest_entry, flags, 54);
__KSTATE_CHECK_OFFSET(kstate_manifest_entry, client_version, 56);
__KSTATE_CHECK_OFFSET(kstate_manifest_entry, reserved, 60);

_Static_assert(sizeof(struct kstate_store_header) == 128, "store header is 128 bytes");
__KSTATE_CHECK_OFFSET(kstate_store_header, version_major, 8);
__KSTATE_CHECK_OFFSET(kstate_store_header, version_minor, 10);
__KSTATE_CHECK_OFFSET(kstate_store_header, header_size, 12);
__KSTATE_CHECK_OFFSET(kstate_store_header, compat, 16);
__KSTATE_CHECK_OFFSET(kstate_store_header, ro_compat, 20);
__KSTATE_CHECK_OFFSET(kstate_store_header, incompat, 24);
__KSTATE_CHECK_OFFSET(kstate_store_header, flags, 28);
__KSTATE_CHECK_OFFSET(kstate_store_header, store_uuid, 32);
__KSTATE_CHECK_OFFSET(kstate_store_header, creation_time_ns, 48);
__KSTATE_CHECK_OFFSET(kstate_store_header, last_sealed_generation, 56);
__KSTATE_CHECK_OFFSET(kstate_store_header, reserved, 64);
__KSTATE_CHECK_OFFSET(kstate_store_header, header_crc, 124);

#endif /* _UAPI_KSTATE_FORMAT_H */
