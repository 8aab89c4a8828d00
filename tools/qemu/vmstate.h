/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What kstate-qemu keeps in the store for one guest NAME:
 *
 *   region NAME-ram    guest RAM: QEMU's memory-backend-file (share=on), changed in
 *                      place by the running guest, never copied
 *   region NAME-live   one page (struct vm_live) saying whether guest RAM is that of a
 *                      running guest or matches the device state of generation G
 *   records NAME       per suspend: ARGS (QEMU's command line), STREAM (QEMU's
 *                      migration stream with x-ignore-shared: device and CPU state and
 *                      the small RAM blocks outside the region, in chunks), META (JSON)
 *
 * A suspend seals all three in one generation; resume loads them only if NAME-live
 * says SUSPENDED at exactly the generation the record file was written in.
 */
#ifndef KSTATE_QEMU_VMSTATE_H
#define KSTATE_QEMU_VMSTATE_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "libkstate.h"

#define VM_NAME_MAX		26	/* + "-live" fits a 31-character region name */
#define VM_CLIENT_VERSION	1	/* record layout: ARGS, STREAM..., META */
#define VM_FORMAT		1	/* META "format" */

#define VM_RECORD_META		1	/* JSON, see vm_meta_check() */
#define VM_RECORD_ARGS		2	/* QEMU arguments, each NUL-terminated */
#define VM_RECORD_STREAM	3	/* migration stream bytes, in order */

#define VM_STREAM_CHUNK		(1u << 20)

/* States of NAME-live. */
#define VM_LIVE_NONE		0	/* no live page: nothing was ever started */
#define VM_LIVE_RUNNING		1	/* a QEMU may be changing guest RAM */
#define VM_LIVE_SUSPENDED	2	/* guest RAM matches the device state of .generation */
#define VM_LIVE_STOPPED		3	/* the guest shut down: nothing to resume */

#define VM_LIVE_MAGIC		"KSQLIVE1"

/* The first bytes of NAME-live; little-endian. */
struct vm_live {
	char magic[8];
	uint32_t state;
	uint32_t reserved;
	uint64_t generation;	/* SUSPENDED: the generation holding the device state */
	uint64_t ram_size;
	uint64_t time_ns;	/* CLOCK_REALTIME of the last change */
};

struct vm {
	struct kstate_store *store;
	char name[VM_NAME_MAX + 1];
	char ram_name[VM_NAME_MAX + 8];
	char live_name[VM_NAME_MAX + 8];
	char ram_path[4096];
	struct kstate_region *ram;	/* mapped by vm_ram_map() */
	struct kstate_region *live;	/* mapped by vm_live_map() */
};

/* A loaded, checked device state. */
struct vm_saved {
	uint64_t generation;		/* the generation the record file was written in */
	uint64_t ram_size;
	uint64_t stream_bytes;
	char qemu_version[64];
	char **args;			/* NULL-terminated, pointing into args_buf */
	char *args_buf;
	int nargs;
	struct kstate_reader *reader;
};

const char *vm_live_state_str(uint32_t state);

/* Names and paths of guest @name in @store (which stays the caller's).  -EINVAL: bad name. */
int vm_init(struct vm *vm, struct kstate_store *store, const char *name, char *err);
void vm_fini(struct vm *vm);

#define VM_LIVE_CREATE		(1u << 0)	/* create NAME-live if it is missing */
#define VM_LIVE_OVERWRITE	(1u << 1)	/* its contents are about to be replaced */

/*
 * Map NAME-live.  Return: 0, -ENOENT (absent, without VM_LIVE_CREATE), -EUCLEAN when it
 * holds no valid live page (unless VM_LIVE_OVERWRITE), or another -errno.
 */
int vm_live_map(struct vm *vm, unsigned int flags, char *err);
/* The state, generation and RAM size in NAME-live (VM_LIVE_NONE when not mapped). */
uint32_t vm_live_state(struct vm *vm, uint64_t *generation, uint64_t *ram_size);
/* Set NAME-live and make it durable.  Return: 0 or -errno. */
int vm_live_set(struct vm *vm, uint32_t state, uint64_t generation, uint64_t ram_size,
		char *err);

/*
 * Map NAME-ram: an existing region (of @size bytes, unless 0), or a new zero-filled
 * one of @size bytes when @create.  Return: 0 or -errno (-ENOENT, -EINVAL for a size
 * mismatch).
 */
int vm_ram_map(struct vm *vm, uint64_t size, bool create, char *err);

/*
 * The device state of the newest sealed generation, checked: the record file is read
 * whole and its checksums verified by libkstate, META must name this guest, its RAM
 * region and size, and the stream records must add up.  Return: 0, -ENOENT when the
 * generation has no record file NAME, or -errno with @err saying what is wrong.
 */
int vm_saved_load(struct vm *vm, struct vm_saved *saved, char *err);
void vm_saved_free(struct vm_saved *saved);
/* Write the STREAM records of @saved to @fd in order.  Return: 0 or -errno. */
int vm_saved_feed(struct vm_saved *saved, int fd, char *err);

/* A save in progress: one transaction with the record file NAME. */
struct vm_save {
	struct kstate_txn *txn;
	struct kstate_writer *writer;
	uint64_t stream_bytes;
	uint32_t stream_records;
};

int vm_save_begin(struct vm *vm, struct vm_save *save, char *const args[], char *err);
/* Read @fd to its end into STREAM records.  Return: 0 or -errno. */
int vm_save_stream(struct vm_save *save, int fd, char *err);
/*
 * Seal: META (@meta, taken over; stream sizes added), the record file, both regions,
 * guest RAM persisted, NAME-live SUSPENDED at the new generation, then the commit.
 * *@persist_us gets the time the RAM persist took.  On failure nothing is sealed and
 * NAME-live is RUNNING again.  Return: 0 or -errno.
 */
int vm_save_commit(struct vm *vm, struct vm_save *save, struct json_object *meta,
		   uint64_t *persist_us, char *err);
/* Abandon a save that was not committed (NULL-safe). */
void vm_save_abort(struct vm_save *save);

/*
 * Drop guest NAME from the store: a generation without its record file and regions,
 * then the region files that no kept generation lists any more (*@files_kept says
 * whether some had to stay).  Return: 0 or -errno.
 */
int vm_discard(struct vm *vm, bool *files_kept, char *err);

#endif /* KSTATE_QEMU_VMSTATE_H */
