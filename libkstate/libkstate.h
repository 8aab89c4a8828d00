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
 * reason.  Getters return values directly.
 */
#ifndef LIBKSTATE_H
#define LIBKSTATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <kstate/ioctl.h>

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
struct kstate_ctx *kstate_store_get_ctx(struct kstate_store *store);
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
int kstate_store_gc(struct kstate_store *store, unsigned int keep);
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
int kstate_reader_new_from_file(struct kstate_ctx *ctx, const char *path,
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

/* The kernel module: see dev.c. */
int kstate_dev_new(struct kstate_ctx *ctx, struct kstate_dev **out);
void kstate_dev_delete(struct kstate_dev **dev);
int kstate_dev_status(struct kstate_dev *dev, struct kstate_ioc_status *status,
		      struct kstate_client_status **clients, unsigned int *count);
int kstate_dev_bind(struct kstate_dev *dev, struct kstate_store *store, uint64_t generation);
int kstate_dev_unbind(struct kstate_dev *dev);
int kstate_dev_restore(struct kstate_dev *dev, const char *client, unsigned int *restored,
		       unsigned int *failed);
int kstate_dev_save(struct kstate_dev *dev, struct kstate_txn *txn, unsigned int *saved);
#define KSTATE_DEV_SAVE_FREEZE	0x1U	/* the final save before a reboot: freeze the clients */
int kstate_dev_save_flags(struct kstate_dev *dev, struct kstate_txn *txn, unsigned int flags,
			  unsigned int *saved);
int kstate_dev_thaw(struct kstate_dev *dev, unsigned int *thawed, bool *was_frozen);
int kstate_dev_discard(struct kstate_dev *dev, const char *client);
/* ---------------------------------------------------------------------------------- */
/* Planning a memmap= reservation (emulated persistent memory) from /proc/iomem */

struct kstate_memmap_plan;

#define KSTATE_MEMMAP_ALIGN_MIN		(16ULL << 20)	/* smallest alignment and size unit */
#define KSTATE_MEMMAP_ALIGN_DEFAULT	(1ULL << 30)	/* lets DAX use 1 GiB mappings */
#define KSTATE_MEMMAP_MIN_RAM		(1ULL << 30)	/* RAM a plan must leave, or it fails */
#define KSTATE_MEMMAP_LOW_RAM		(4ULL << 30)	/* RAM below which a plan warns */

#define KSTATE_MEMMAP_PLAN_SPLIT	(1U << 0)	/* allow up to four ranges */

#define KSTATE_MEMMAP_WARN_BELOW_4G	(1U << 0)	/* no room above 4 GiB */
#define KSTATE_MEMMAP_WARN_LOW_RAM	(1U << 1)	/* leaves < 4 GiB or < 1/4 of RAM */
#define KSTATE_MEMMAP_WARN_PMEM_PRESENT	(1U << 2)	/* the machine already has PMEM */

int kstate_memmap_plan_new(struct kstate_ctx *ctx, const char *iomem_path, uint64_t size,
			   uint64_t align, unsigned int flags, struct kstate_memmap_plan **out);
void kstate_memmap_plan_delete(struct kstate_memmap_plan **plan);
unsigned int kstate_memmap_plan_range_count(struct kstate_memmap_plan *plan);
uint64_t kstate_memmap_plan_range_start(struct kstate_memmap_plan *plan, unsigned int index);
uint64_t kstate_memmap_plan_range_size(struct kstate_memmap_plan *plan, unsigned int index);
uint64_t kstate_memmap_plan_ram_total(struct kstate_memmap_plan *plan);
uint64_t kstate_memmap_plan_pmem_present(struct kstate_memmap_plan *plan);
unsigned int kstate_memmap_plan_warnings(struct kstate_memmap_plan *plan);
int kstate_memmap_plan_param(struct kstate_memmap_plan *plan, char *buf, size_t len);

/* ---------------------------------------------------------------------------------- */
/* Persistent memory namespaces: provisioning for a store, lending spare as RAM */

struct kstate_pmem;

#define KSTATE_PMEM_FORCE	(1U << 0)	/* use a raw namespace that holds data */
#define KSTATE_PMEM_DRY_RUN	(1U << 1)	/* say what would change, change nothing */
#define KSTATE_PMEM_MAP_DEVICE	(1U << 2)	/* fsdax struct pages on the device */
#define KSTATE_PMEM_MAP_MEMORY	(1U << 3)	/* fsdax struct pages in RAM */

int kstate_pmem_new(struct kstate_ctx *ctx, struct kstate_pmem **out);
void kstate_pmem_delete(struct kstate_pmem **pmem);
int kstate_pmem_refresh(struct kstate_pmem *pmem);
unsigned int kstate_pmem_region_count(struct kstate_pmem *pmem);
const char *kstate_pmem_region_name(struct kstate_pmem *pmem, unsigned int index);
uint64_t kstate_pmem_region_size(struct kstate_pmem *pmem, unsigned int index);
uint64_t kstate_pmem_region_available(struct kstate_pmem *pmem, unsigned int index);
bool kstate_pmem_region_is_legacy(struct kstate_pmem *pmem, unsigned int index);
unsigned int kstate_pmem_namespace_count(struct kstate_pmem *pmem);
const char *kstate_pmem_namespace_name(struct kstate_pmem *pmem, unsigned int index);
const char *kstate_pmem_namespace_region(struct kstate_pmem *pmem, unsigned int index);
const char *kstate_pmem_namespace_mode(struct kstate_pmem *pmem, unsigned int index);
uint64_t kstate_pmem_namespace_size(struct kstate_pmem *pmem, unsigned int index);
const char *kstate_pmem_namespace_blockdev(struct kstate_pmem *pmem, unsigned int index);
const char *kstate_pmem_namespace_chardev(struct kstate_pmem *pmem, unsigned int index);
uint64_t kstate_pmem_namespace_lent(struct kstate_pmem *pmem, unsigned int index);
int kstate_pmem_namespace_find(struct kstate_pmem *pmem, const char *name);
int kstate_pmem_provision(struct kstate_pmem *pmem, const char *name, unsigned int flags,
			  unsigned int *index);
int kstate_pmem_lend(struct kstate_pmem *pmem, const char *name, uint64_t size,
		     unsigned int flags, uint64_t *lent);
int kstate_pmem_reclaim(struct kstate_pmem *pmem, const char *name, uint64_t size,
			unsigned int flags, uint64_t *reclaimed);

/* "64M", "8GiB", "0x1000": see size.c. */
int kstate_size_parse(const char *text, uint64_t *bytes);

#ifdef __cplusplus
}
#endif

#endif /* LIBKSTATE_H */
