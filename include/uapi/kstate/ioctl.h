/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kstate /dev/kstate ioctl ABI.
 *
 * Copyright (c) 2026 The kstate authors
 */
#ifndef _UAPI_KSTATE_IOCTL_H
#define _UAPI_KSTATE_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: /dev/kstate ioctl ABI
 *
 * The kstate module exposes one misc device, /dev/kstate, usable only with
 * CAP_SYS_ADMIN.  Userspace binds a store directory, asks the module to save its
 * clients into a new generation, to restore them from a sealed one, and reads the
 * status of every client.
 *
 * Rules that keep this ABI stable: every structure starts with @size (the caller's
 * sizeof) and @flags; the module rejects unknown flags and non-zero reserved fields
 * with -EINVAL, and a @size smaller than the first version of the structure with
 * -EINVAL.  A structure is never changed once released: new behaviour comes as a new
 * flag that gives reserved space a meaning, or as a new ioctl number.  Unknown ioctl
 * numbers return -ENOTTY.
 */

#define KSTATE_DEVICE_PATH	"/dev/kstate"
/*
 * 1: bind, unbind, save, restore, status.
 * 2: save may freeze (KSTATE_SAVE_F_FREEZE), thaw, discard, status reports the module's
 *    state (KSTATE_STATUS_F_MODULE_STATE); refused clients are no longer saved.
 */
#define KSTATE_ABI_VERSION	2

/* 0xB9 is not listed in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define KSTATE_IOC_TYPE		0xB9

/* Restore states of a client (struct kstate_client_status.state). */
#define KSTATE_CLIENT_WAITING	0	/* registered, no store bound yet */
#define KSTATE_CLIENT_FRESH	1	/* bound, nothing saved for it: first boot */
#define KSTATE_CLIENT_RESTORED	2	/* restored from the bound generation */
#define KSTATE_CLIENT_FAILED	3	/* its saved state was refused; see error/message.
					 * Saves skip it: its last good entry stays in the
					 * store until discarded (KSTATE_IOC_DISCARD) */

/**
 * struct kstate_ioc_bind - bind a store directory (KSTATE_IOC_BIND)
 * @size: sizeof(struct kstate_ioc_bind)
 * @flags: zero
 * @dirfd: an open directory file descriptor of the store
 * @reserved0: zero
 * @generation: sealed generation to restore clients from; 0 when there is none
 * @store_uuid: UUID the caller read from the store header; the module checks the
 *	manifest it restores from against it
 * @reserved: zero
 *
 * Every client already registered restores immediately; clients that register later
 * restore at registration.  -EBUSY when a store is already bound.
 */
struct kstate_ioc_bind {
	__u32	size;
	__u32	flags;
	__s32	dirfd;
	__u32	reserved0;
	__u64	generation;
	__u8	store_uuid[16];
	__u64	reserved[4];
};

/* struct kstate_ioc_save.flags */
#define KSTATE_SAVE_F_FREEZE	0x1U	/* the final save before a reboot: freeze first */
#define KSTATE_SAVE_F_ALL	KSTATE_SAVE_F_FREEZE

/**
 * struct kstate_ioc_save - save every client into a new generation (KSTATE_IOC_SAVE)
 * @size: sizeof(struct kstate_ioc_save)
 * @flags: 0 for a checkpoint, or %KSTATE_SAVE_F_FREEZE for the save that precedes a
 *	kexec or reboot
 * @base_generation: sealed generation the new one builds on (the store's newest), 0
 *	for none; informational, the module does not read it
 * @generation: number of the generation to create, which the caller has claimed with
 *	an open manifest; greater than every existing one
 * @clients_saved: out: clients whose state is now in @generation
 * @clients_failed: out: clients whose save failed (their status says why)
 * @entries: user pointer to an array of struct kstate_manifest_entry (format.h)
 * @entry_count: in: capacity of @entries; out: entries filled, one per record file
 *	written and one per persistent region in use; with -ENOSPC, the number needed
 * @entry_size: sizeof(struct kstate_manifest_entry)
 * @reserved: zero
 *
 * The module writes "<client>.<generation>.ksr" for every restored or fresh client,
 * makes each durable, persists every open region, and returns their manifest entries.
 * The caller seals the generation with them (libkstate's kstate_dev_save() does all of
 * this under the store lock).  -EIO when any client failed: then nothing may be
 * sealed, and the files written are the caller's to remove.
 *
 * A client whose restore was refused (%KSTATE_CLIENT_FAILED) is not saved and returns
 * no entry: the caller keeps its entries of the base generation, so its last good state
 * is never replaced by an empty one.
 *
 * With %KSTATE_SAVE_F_FREEZE the module first freezes every restored or fresh client
 * (its ->freeze() callback): from then until the reboot no client changes what it
 * saved or its regions, and each region entry carries the CRC32C of the region's
 * contents (%KSTATE_ENTRY_F_REGION_CRC), which restore checks.  The clients stay frozen
 * after a successful save; KSTATE_IOC_THAW thaws them when the reboot does not happen.
 * A freezing save that fails thaws them itself.  While frozen, restore, discard and
 * unbind return -EBUSY, and clients cannot remove regions.
 */
struct kstate_ioc_save {
	__u32	size;
	__u32	flags;
	__u64	base_generation;
	__u64	generation;
	__u32	clients_saved;
	__u32	clients_failed;
	__u64	entries;
	__u32	entry_count;
	__u32	entry_size;
	__u64	reserved[2];
};

/**
 * struct kstate_ioc_restore - restore clients from the bound generation
 * @size: sizeof(struct kstate_ioc_restore)
 * @flags: zero
 * @name: client to restore, NUL-padded; all zero for every client not yet restored
 * @clients_restored: out: clients restored by this call
 * @clients_failed: out: clients whose saved state was refused by this call
 * @reserved: zero
 */
struct kstate_ioc_restore {
	__u32	size;
	__u32	flags;
	__u8	name[32];
	__u32	clients_restored;
	__u32	clients_failed;
	__u64	reserved[4];
};

#define KSTATE_CLIENT_DETAIL_MAX	16

#define KSTATE_DETAIL_U64	0	/* @value is the value */
#define KSTATE_DETAIL_TEXT	1	/* @key also holds a word, @value its number */

/**
 * struct kstate_client_detail - one value a client reports about itself
 * @key: NUL-terminated name, for example "mappings" or "root_phys".  For a text detail
 *	the name's NUL is followed by a NUL-terminated word, for example "adopted\0live\0",
 *	all within these 23 bytes; the rest is zero
 * @type: %KSTATE_DETAIL_U64 or %KSTATE_DETAIL_TEXT.  This byte was the last of a 24-byte
 *	@key, always zero, before text details existed: a reader that does not know them
 *	sees the name and the number
 * @value: the value; for a text detail the word's number (an enum value of the client)
 */
struct kstate_client_detail {
	__u8	key[23];
	__u8	type;
	__u64	value;
};

/**
 * struct kstate_client_status - status of one registered client
 * @name: client name, NUL-padded
 * @version: the client's format version
 * @state: %KSTATE_CLIENT_*
 * @error: negative errno of the last failure, 0 when none
 * @detail_count: valid entries in @detail
 * @generation: generation restored from (0 when fresh)
 * @saved_generation: generation last saved to in this boot (0 when none)
 * @message: why it failed, or what it did, NUL-terminated
 * @detail: client-defined values
 */
struct kstate_client_status {
	__u8	name[32];
	__u32	version;
	__u32	state;
	__s32	error;
	__u32	detail_count;
	__u64	generation;
	__u64	saved_generation;
	__u8	message[128];
	struct kstate_client_detail detail[KSTATE_CLIENT_DETAIL_MAX];
};

/* struct kstate_ioc_status.flags */
#define KSTATE_STATUS_F_MODULE_STATE	0x1U	/* fill @module_state */
#define KSTATE_STATUS_F_ALL		KSTATE_STATUS_F_MODULE_STATE

/* struct kstate_ioc_status.module_state */
#define KSTATE_MODULE_FROZEN		0x1ULL	/* a final save froze the clients */

/**
 * struct kstate_ioc_status - report the module and every client (KSTATE_IOC_STATUS)
 * @size: sizeof(struct kstate_ioc_status)
 * @flags: 0, or %KSTATE_STATUS_F_MODULE_STATE (ABI version 2) to get @module_state
 * @client_count: in: capacity of the array at @clients; out: clients registered, which
 *	may exceed the capacity (then only that many were filled)
 * @client_size: in: sizeof(struct kstate_client_status)
 * @clients: user pointer to an array of struct kstate_client_status
 * @abi_version: out: %KSTATE_ABI_VERSION of the module
 * @bound: out: 1 when a store is bound
 * @bound_generation: out: generation the bound store restores from
 * @store_uuid: out: UUID of the bound store
 * @module_state: in: zero; out with %KSTATE_STATUS_F_MODULE_STATE: %KSTATE_MODULE_*
 * @reserved: zero
 */
struct kstate_ioc_status {
	__u32	size;
	__u32	flags;
	__u32	client_count;
	__u32	client_size;
	__u64	clients;
	__u32	abi_version;
	__u32	bound;
	__u64	bound_generation;
	__u8	store_uuid[16];
	__u64	module_state;
	__u64	reserved[3];
};

/**
 * struct kstate_ioc_thaw - let frozen clients change their state again (KSTATE_IOC_THAW)
 * @size: sizeof(struct kstate_ioc_thaw)
 * @flags: zero
 * @clients_thawed: out: clients thawed by this call
 * @was_frozen: out: 1 when the clients were frozen
 * @reserved: zero
 *
 * Cancels a final save whose reboot did not happen (a failed kexec, an aborted
 * shutdown, an operator's change of mind).  The sealed generation stays valid; thawed
 * clients change their regions again, so it stops matching them and the next reboot
 * must be preceded by a new save.  Thawing when nothing is frozen is not an error.
 */
struct kstate_ioc_thaw {
	__u32	size;
	__u32	flags;
	__u32	clients_thawed;
	__u32	was_frozen;
	__u64	reserved[4];
};

/**
 * struct kstate_ioc_discard - give up a client's refused state (KSTATE_IOC_DISCARD)
 * @size: sizeof(struct kstate_ioc_discard)
 * @flags: zero
 * @name: the client, NUL-padded
 * @reserved: zero
 *
 * The client must be %KSTATE_CLIENT_FAILED (else -EALREADY); -ENOENT when it is not
 * registered, -EBUSY while frozen.  The module starts it fresh (->restore() with no
 * records), which may rebuild its regions in place; the next save replaces its kept
 * entries with the fresh state.  Returns the fresh start's error if that fails.
 */
struct kstate_ioc_discard {
	__u32	size;
	__u32	flags;
	__u8	name[32];
	__u64	reserved[4];
};

#define KSTATE_IOC_BIND		_IOW(KSTATE_IOC_TYPE, 1, struct kstate_ioc_bind)
#define KSTATE_IOC_UNBIND	_IO(KSTATE_IOC_TYPE, 2)
#define KSTATE_IOC_SAVE		_IOWR(KSTATE_IOC_TYPE, 3, struct kstate_ioc_save)
#define KSTATE_IOC_RESTORE	_IOWR(KSTATE_IOC_TYPE, 4, struct kstate_ioc_restore)
#define KSTATE_IOC_STATUS	_IOWR(KSTATE_IOC_TYPE, 5, struct kstate_ioc_status)
#define KSTATE_IOC_THAW		_IOWR(KSTATE_IOC_TYPE, 6, struct kstate_ioc_thaw)
#define KSTATE_IOC_DISCARD	_IOW(KSTATE_IOC_TYPE, 7, struct kstate_ioc_discard)

_Static_assert(sizeof(struct kstate_ioc_bind) == 72, "kstate_ioc_bind is 72 bytes");
_Static_assert(__builtin_offsetof(struct kstate_ioc_bind, generation) == 16,
	       "kstate_ioc_bind.generation at 16");
_Static_assert(__builtin_offsetof(struct kstate_ioc_bind, store_uuid) == 24,
	       "kstate_ioc_bind.store_uuid at 24");
_Static_assert(sizeof(struct kstate_ioc_save) == 64, "kstate_ioc_save is 64 bytes");
_Static_assert(__builtin_offsetof(struct kstate_ioc_save, generation) == 16,
	       "kstate_ioc_save.generation at 16");
_Static_assert(__builtin_offsetof(struct kstate_ioc_save, clients_saved) == 24,
	       "kstate_ioc_save.clients_saved at 24");
_Static_assert(__builtin_offsetof(struct kstate_ioc_save, entries) == 32,
	       "kstate_ioc_save.entries at 32");
_Static_assert(__builtin_offsetof(struct kstate_ioc_save, entry_count) == 40,
	       "kstate_ioc_save.entry_count at 40");
_Static_assert(sizeof(struct kstate_ioc_restore) == 80, "kstate_ioc_restore is 80 bytes");
_Static_assert(__builtin_offsetof(struct kstate_ioc_restore, clients_restored) == 40,
	       "kstate_ioc_restore.clients_restored at 40");
_Static_assert(sizeof(struct kstate_client_detail) == 32, "kstate_client_detail is 32 bytes");
_Static_assert(__builtin_offsetof(struct kstate_client_detail, type) == 23,
	       "kstate_client_detail.type at 23");
_Static_assert(sizeof(struct kstate_client_status) == 704,
	       "kstate_client_status is 704 bytes");
_Static_assert(__builtin_offsetof(struct kstate_client_status, message) == 64,
	       "kstate_client_status.message at 64");
_Static_assert(__builtin_offsetof(struct kstate_client_status, detail) == 192,
	       "kstate_client_status.detail at 192");
_Static_assert(sizeof(struct kstate_ioc_status) == 88, "kstate_ioc_status is 88 bytes");
_Static_assert(__builtin_offsetof(struct kstate_ioc_status, clients) == 16,
	       "kstate_ioc_status.clients at 16");
_Static_assert(__builtin_offsetof(struct kstate_ioc_status, bound_generation) == 32,
	       "kstate_ioc_status.bound_generation at 32");
_Static_assert(__builtin_offsetof(struct kstate_ioc_status, store_uuid) == 40,
	       "kstate_ioc_status.store_uuid at 40");
_Static_assert(__builtin_offsetof(struct kstate_ioc_status, module_state) == 56,
	       "kstate_ioc_status.module_state at 56");
_Static_assert(sizeof(struct kstate_ioc_thaw) == 48, "kstate_ioc_thaw is 48 bytes");
_Static_assert(sizeof(struct kstate_ioc_discard) == 72, "kstate_ioc_discard is 72 bytes");
_Static_assert(__builtin_offsetof(struct kstate_ioc_discard, reserved) == 40,
	       "kstate_ioc_discard.reserved at 40");

#endif /* _UAPI_KSTATE_IOCTL_H */
