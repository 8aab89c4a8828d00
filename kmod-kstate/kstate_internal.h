/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kstate module internals shared by its files.
 *
 * Copyright (c) 2026 The kstate authors
 */
#ifndef _KSTATE_INTERNAL_H
#define _KSTATE_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <kstate/client.h>
#include <kstate/ioctl.h>
#include "kstate_format.h"

/* Largest record file the module reads back: its whole contents are validated in memory. */
#define KSTATE_KMOD_FILE_MAX	(256UL << 20)

struct kstate_client {
	struct list_head node;
	char name[KSTATE_NAME_LEN];
	u32 version;
	const struct kstate_client_ops *ops;
	void *priv;
	u32 state;			/* KSTATE_CLIENT_* */
	int error;
	u64 generation;			/* restored from */
	u64 saved_generation;
	char message[128];
	u32 detail_count;
	struct kstate_client_detail detail[KSTATE_CLIENT_DETAIL_MAX];
	struct list_head regions;	/* open regions, listed in every saved generation */
	u64 kept_generation;		/* FAILED: generation of the refused entry it keeps */
	bool frozen;			/* ->freeze() succeeded, no ->thaw() yet */
	bool fresh_start;		/* inside ->restore(client, NULL, 0) */
	bool discarded;			/* the operator discarded its refused state */
};

/* The bound store: a directory and the sealed generation clients restore from. */
struct kstate_store {
	bool bound;
	struct path dir;
	u64 generation;
	u8 uuid[KSTATE_UUID_LEN];
	struct kstate_entry *entries;	/* of @generation, kernel entries only */
	u32 entry_count;
};

/* Serializes clients, their region lists, the binding, saves, restores and the freeze. */
extern struct mutex kstate_mutex;
extern struct kstate_store kstate_store;
extern bool kstate_frozen;

/* kstate_store.c */
struct file *kstate_store_open(const char *name, int flags, umode_t mode);
void kstate_store_close(struct file *f);
int kstate_store_check_file(struct file *f, const char *name);
int kstate_store_read(const char *name, size_t max, void **buf, size_t *len);
int kstate_store_unlink(const char *name);
int kstate_store_bind(int dirfd, u64 generation, const u8 *uuid);
void kstate_store_unbind(void);
const struct kstate_entry *kstate_store_find(u16 kind, const char *name);

/* kstate_records.c */
int kstate_records_save(struct kstate_client *client, u64 generation,
			struct kstate_entry *entry);
int kstate_records_restore(struct kstate_client *client, const struct kstate_entry *entry);

/* kstate_region.c */
int kstate_region_entries(struct kstate_client *client, u64 generation,
			  struct kstate_entry *entries, u32 max, bool with_crc);
void kstate_regions_release(struct kstate_client *client);
void kstate_regions_forget_created(void);
int kstate_region_unlink(const char *fname);
u32 kstate_region_count(struct kstate_client *client);

/* kstate_fault.c: fault injection points and resource counters (tests) */
int kstate_fault(const char *where, int error);
void *kstate_buf_alloc(size_t n, size_t size, const char *where);
void kstate_buf_free(void *p);
extern atomic_t kstate_files_open;
extern atomic_t kstate_buffers;
extern atomic_t kstate_regions;
extern atomic_t kstate_dax_refs;

void kstate_client_fail(struct kstate_client *client, int error, const char *fmt, ...)
	__printf(3, 4);
void kstate_client_fail_why(struct kstate_client *client, int error, const char *what);

#endif /* _KSTATE_INTERNAL_H */
