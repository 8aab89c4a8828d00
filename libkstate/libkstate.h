/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkstate - keep state across kexec and firmware reboots in files on a DAX store.
 *
 * Copyright (c) 2026 The kstate authors
 *
 * Objects (all opaque, created with *_new or *_map and released with *_delete or
 * *_unmap, which are NULL-safe and clear the caller's pointer):
 *
 *   kstate_ctx        library context: logging
 *   kstate_store      a store directory: generations of sealed manifests
 *   kstate_generation one validated generation (its manifest)
 *   kstate_txn        a new generation being written; sealed by kstate_txn_commit()
 *   kstate_writer     one record file being written into a transaction
 *   kstate_reader     one validated record file, iterated record by record
 *   kstate_region     a named file mapped shared into this process, updated in place
 *   kstate_file       one kstate file read and validated on its own, without a store
 *   kstate_dev        the kstate kernel module (/dev/kstate): bind, save, restore, status
 *
 * Every function that can fail returns 0 (or a count) on success and a negative errno
 * on failure, and leaves a message for kstate_errormsg() that names the object and the
 * reason.  Getters return values directly.  Flags a function does not know are refused
 * with -EINVAL, so a flag added later never silently does nothing on an older library.
 *
 * Threads: the library keeps no global state except the error message, which is per
 * thread (kstate_errormsg() tells about the calling thread's last failure), and the
 * one-time load of libpmem2 for regions, which is thread-safe.  A handle is not
 * locked: use one from one thread at a time, or serialise the calls yourself.  Handles
 * that share nothing may be used from different threads at once; handles that share a
 * store (the store, its transactions, writers, readers, generations and regions) count
 * as one.  A context may be shared by threads if its log function is thread-safe; do
 * not change its settings while other threads use it.  Region memory itself is yours:
 * the library does not touch it after kstate_region_map() returns.  Between processes,
 * a store is locked (flock) for every change, so two processes can commit to one store
 * safely; one of them waits.
 *
 * ABI: the soname is libkstate.so.0 while the interface is under review; see
 * libkstate.sym.
 */
#ifndef LIBKSTATE_H
#define LIBKSTATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kstate_ctx;
struct kstate_store;
struct kstate_generation;
struct kstate_txn;
struct kstate_writer;
struct kstate_reader;
struct kstate_region;
struct kstate_dev;
struct kstate_dev_status;

/* ---------------------------------------------------------------------------------- */
/* Context, logging, errors */

/**
 * typedef kstate_log_fn - where the library's log messages go
 * @ctx: the context that logs
 * @priority: syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG)
 * @file: source file
 * @line: source line
 * @fn: function name
 * @format: printf format
 * @args: arguments
 */
typedef void (*kstate_log_fn)(struct kstate_ctx *ctx, int priority, const char *file,
			      int line, const char *fn, const char *format, va_list args);

int kstate_ctx_new(struct kstate_ctx **out);
void kstate_ctx_delete(struct kstate_ctx **ctx);
void kstate_ctx_set_log_fn(struct kstate_ctx *ctx, kstate_log_fn fn);
void kstate_ctx_set_log_priority(struct kstate_ctx *ctx, int priority);
int kstate_ctx_get_log_priority(struct kstate_ctx *ctx);
void kstate_ctx_set_userdata(struct kstate_ctx *ctx, void *userdata);
void *kstate_ctx_get_userdata(struct kstate_ctx *ctx);

const char *kstate_errormsg(void);

/* ---------------------------------------------------------------------------------- */
/* Stores */

#define KSTATE_STORE_CREATE	(1U << 0)	/* make the directory a store if it is not */
#define KSTATE_STORE_RDONLY	(1U << 1)	/* never write: inspection and verification */

#define KSTATE_STORE_KEEP_DEFAULT	2	/* sealed generations kept by default */

int kstate_store_new(struct kstate_ctx *ctx, const char *path, unsigned int flags,
		     struct kstate_store **out);
void kstate_store_delete(struct kstate_store **store);
const char *kstate_store_path(struct kstate_store *store);
const uint8_t *kstate_store_uuid(struct kstate_store *store);
bool kstate_store_is_dax(struct kstate_store *store);
uint64_t kstate_store_generation(struct kstate_store *store);
uint64_t kstate_store_last_sealed(struct kstate_store *store);
void kstate_store_set_keep(struct kstate_store *store, unsigned int keep);
unsigned int kstate_store_get_keep(struct kstate_store *store);
int kstate_store_refresh(struct kstate_store *store);
int kstate_store_generations(struct kstate_store *store, uint64_t *generations,
			     size_t capacity);
int kstate_store_verify(struct kstate_store *store, uint64_t generation);
int kstate_generation_verify_entry(struct kstate_generation *gen, unsigned int index);
int kstate_store_quarantine(struct kstate_store *store, const char *filename);

#define KSTATE_GC_DRY_RUN	(1U << 0)	/* remove nothing, only report */

/**
 * typedef kstate_gc_fn - told about each file gc removes (or would remove)
 * @store: the store
 * @filename: the file's name inside the store directory
 * @userdata: as given to kstate_store_gc_each()
 */
typedef void (*kstate_gc_fn)(struct kstate_store *store, const char *filename,
			     void *userdata);

int kstate_store_gc_each(struct kstate_store *store, unsigned int keep, unsigned int flags,
			 kstate_gc_fn fn, void *userdata);

/* ---------------------------------------------------------------------------------- */
/* Generations */

/* Entry kinds, as in the manifest (include/uapi/kstate/format.h). */
#define KSTATE_KIND_RECORDS	1
#define KSTATE_KIND_REGION	2

int kstate_generation_new(struct kstate_store *store, uint64_t number,
			  struct kstate_generation **out);
void kstate_generation_delete(struct kstate_generation **gen);
uint64_t kstate_generation_number(struct kstate_generation *gen);
uint64_t kstate_generation_base(struct kstate_generation *gen);
bool kstate_generation_is_sealed(struct kstate_generation *gen);
uint64_t kstate_generation_creation_time(struct kstate_generation *gen);
uint64_t kstate_generation_seal_time(struct kstate_generation *gen);
const char *kstate_generation_kernel_release(struct kstate_generation *gen);
const uint8_t *kstate_generation_boot_id(struct kstate_generation *gen);
unsigned int kstate_generation_entry_count(struct kstate_generation *gen);
int kstate_generation_find(struct kstate_generation *gen, int kind, const char *name);
const char *kstate_generation_entry_name(struct kstate_generation *gen, unsigned int index);
int kstate_generation_entry_kind(struct kstate_generation *gen, unsigned int index);
uint64_t kstate_generation_entry_generation(struct kstate_generation *gen,
					    unsigned int index);
uint64_t kstate_generation_entry_size(struct kstate_generation *gen, unsigned int index);
uint32_t kstate_generation_entry_crc(struct kstate_generation *gen, unsigned int index);
uint32_t kstate_generation_entry_client_version(struct kstate_generation *gen,
						unsigned int index);
bool kstate_generation_entry_is_kernel(struct kstate_generation *gen, unsigned int index);
int kstate_generation_entry_filename(struct kstate_generation *gen, unsigned int index,
				     char *buf, size_t len);

/* ---------------------------------------------------------------------------------- */
/* Transactions: one new generation */

int kstate_txn_new(struct kstate_store *store, struct kstate_txn **out);
void kstate_txn_delete(struct kstate_txn **txn);
uint64_t kstate_txn_generation(struct kstate_txn *txn);
uint64_t kstate_txn_base(struct kstate_txn *txn);
int kstate_txn_add_region(struct kstate_txn *txn, const char *name);
int kstate_txn_remove(struct kstate_txn *txn, int kind, const char *name);
int kstate_txn_commit(struct kstate_txn *txn);

/* ---------------------------------------------------------------------------------- */
/* Record files */

/* A reader that does not know this record's type must refuse the whole file. */
#define KSTATE_RECORD_CRITICAL	0x0001U

int kstate_writer_new(struct kstate_store *store, struct kstate_txn *txn, const char *name,
		      uint32_t client_version, struct kstate_writer **out);
void kstate_writer_delete(struct kstate_writer **writer);
int kstate_writer_add(struct kstate_writer *writer, uint16_t type, uint16_t flags,
		      const void *data, size_t length);
int kstate_writer_commit(struct kstate_writer *writer);

int kstate_reader_new(struct kstate_store *store, uint64_t generation, const char *name,
		      struct kstate_reader **out);
void kstate_reader_delete(struct kstate_reader **reader);
int kstate_reader_next(struct kstate_reader *reader, uint16_t *type, uint16_t *flags,
		       const void **data, size_t *length);
void kstate_reader_rewind(struct kstate_reader *reader);
const char *kstate_reader_name(struct kstate_reader *reader);
uint64_t kstate_reader_generation(struct kstate_reader *reader);
uint32_t kstate_reader_client_version(struct kstate_reader *reader);
uint32_t kstate_reader_record_count(struct kstate_reader *reader);
uint64_t kstate_reader_creation_time(struct kstate_reader *reader);
const char *kstate_reader_kernel_release(struct kstate_reader *reader);
const uint8_t *kstate_reader_boot_id(struct kstate_reader *reader);
const uint8_t *kstate_reader_store_uuid(struct kstate_reader *reader);
bool kstate_reader_is_kernel(struct kstate_reader *reader);
uint64_t kstate_reader_size(struct kstate_reader *reader);
uint32_t kstate_reader_crc(struct kstate_reader *reader);

/* ---------------------------------------------------------------------------------- */
/* Lone files: any kstate file read and validated without its store */

struct kstate_file;

#define KSTATE_FILE_TYPE_RECORDS	1	/* a record file, "<name>.<gen>.ksr" */
#define KSTATE_FILE_TYPE_MANIFEST	2	/* a manifest, "manifest.<gen>" */
#define KSTATE_FILE_TYPE_STORE		3	/* a store header, "kstate.store" */

int kstate_file_new(struct kstate_ctx *ctx, const char *path, struct kstate_file **out);
int kstate_file_new_from_buffer(struct kstate_ctx *ctx, const void *buf, size_t len,
				struct kstate_file **out);
void kstate_file_delete(struct kstate_file **file);
int kstate_file_type(struct kstate_file *file);
uint64_t kstate_file_size(struct kstate_file *file);
uint32_t kstate_file_crc(struct kstate_file *file);
void kstate_file_version(struct kstate_file *file, unsigned int *major, unsigned int *minor);
void kstate_file_features(struct kstate_file *file, uint32_t *compat, uint32_t *ro_compat,
			  uint32_t *incompat);
const uint8_t *kstate_file_store_uuid(struct kstate_file *file);
uint64_t kstate_file_creation_time(struct kstate_file *file);
uint64_t kstate_file_last_sealed(struct kstate_file *file);
int kstate_file_open_reader(struct kstate_file *file, struct kstate_reader **out);
int kstate_file_open_generation(struct kstate_file *file, struct kstate_generation **out);

/* ---------------------------------------------------------------------------------- */
/* Regions */

#define KSTATE_REGION_CREATE	(1U << 0)	/* create it if it does not exist */
#define KSTATE_REGION_EXCL	(1U << 1)	/* with CREATE: fail if it exists */

int kstate_region_map(struct kstate_store *store, const char *name, uint64_t size,
		      unsigned int flags, struct kstate_region **out);
void kstate_region_unmap(struct kstate_region **region);
void *kstate_region_addr(struct kstate_region *region);
uint64_t kstate_region_size(struct kstate_region *region);
const char *kstate_region_name(struct kstate_region *region);
bool kstate_region_is_pmem(struct kstate_region *region);
bool kstate_region_is_new(struct kstate_region *region);
int kstate_region_persist(struct kstate_region *region, uint64_t offset, uint64_t length);
int kstate_region_remove(struct kstate_store *store, const char *name);
int kstate_store_region_path(struct kstate_store *store, const char *name, char *buf,
			     size_t len);

/**
 * typedef kstate_region_fn - told about each region kstate_store_region_each() finds
 * @store: the store
 * @name: the region's name
 * @userdata: as given to kstate_store_region_each()
 */
typedef void (*kstate_region_fn)(struct kstate_store *store, const char *name,
				 void *userdata);

int kstate_store_region_each(struct kstate_store *store, kstate_region_fn fn,
			     void *userdata);

/* ---------------------------------------------------------------------------------- */
/* The kstate kernel module (/dev/kstate) */

/* Client states (kstate_dev_status_client_state()). */
#define KSTATE_CLIENT_STATE_UNKNOWN	0	/* a state this library does not know */
#define KSTATE_CLIENT_STATE_WAITING	1	/* registered, no store bound yet */
#define KSTATE_CLIENT_STATE_FRESH	2	/* nothing saved for it: started empty */
#define KSTATE_CLIENT_STATE_RESTORED	3	/* restored from the bound generation */
#define KSTATE_CLIENT_STATE_FAILED	4	/* its saved state was refused */

int kstate_dev_new(struct kstate_ctx *ctx, struct kstate_dev **out);
void kstate_dev_delete(struct kstate_dev **dev);
int kstate_dev_bind(struct kstate_dev *dev, struct kstate_store *store, uint64_t generation);
int kstate_dev_save(struct kstate_dev *dev, struct kstate_txn *txn, unsigned int *saved);
#define KSTATE_DEV_SAVE_FREEZE	0x1U	/* the final save before a reboot: freeze the clients */
int kstate_dev_save_flags(struct kstate_dev *dev, struct kstate_txn *txn, unsigned int flags,
			  unsigned int *saved);
int kstate_dev_thaw(struct kstate_dev *dev, unsigned int *thawed, bool *was_frozen);
int kstate_dev_discard(struct kstate_dev *dev, const char *client);

int kstate_dev_status_new(struct kstate_dev *dev, struct kstate_dev_status **out);
void kstate_dev_status_delete(struct kstate_dev_status **status);
bool kstate_dev_status_is_bound(struct kstate_dev_status *status);
bool kstate_dev_status_is_frozen(struct kstate_dev_status *status);
uint64_t kstate_dev_status_generation(struct kstate_dev_status *status);
const uint8_t *kstate_dev_status_store_uuid(struct kstate_dev_status *status);
unsigned int kstate_dev_status_client_count(struct kstate_dev_status *status);
const char *kstate_dev_status_client_name(struct kstate_dev_status *status,
					  unsigned int index);
uint32_t kstate_dev_status_client_version(struct kstate_dev_status *status,
					  unsigned int index);
int kstate_dev_status_client_state(struct kstate_dev_status *status, unsigned int index);
int kstate_dev_status_client_error(struct kstate_dev_status *status, unsigned int index);
const char *kstate_dev_status_client_message(struct kstate_dev_status *status,
					     unsigned int index);
uint64_t kstate_dev_status_client_generation(struct kstate_dev_status *status,
					     unsigned int index);
int kstate_dev_status_client_detail(struct kstate_dev_status *status, unsigned int index,
				    unsigned int detail, const char **key, uint64_t *value);
const char *kstate_dev_status_client_detail_text(struct kstate_dev_status *status,
						 unsigned int index, unsigned int detail);

#ifdef __cplusplus
}
#endif

#endif /* LIBKSTATE_H */
