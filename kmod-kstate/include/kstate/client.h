/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kstate client API: how a kernel subsystem keeps its state across kexec and firmware
 * reboots.
 *
 * A client registers a name, a format version and callbacks.  When userspace asks for
 * a save (KSTATE_IOC_SAVE, run by kstate-save before kexec or reboot) the client's
 * ->save() writes records; they land in the file "<name>.<generation>.ksr" of the
 * bound store and become part of the state only when the whole generation is sealed.
 * After the reboot, once a store is bound (kstate-load), each client's ->restore() is
 * called with a reader over its records, already validated end to end; a client that
 * registers later is restored at registration.
 *
 * Objects that must not move, such as IOMMU page tables, live in persistent regions:
 * files of whole pages on the DAX filesystem of the store, whose pages have stable
 * kernel and physical addresses across reboots.
 *
 * Copyright (c) 2026 The kstate authors
 */
#ifndef _KSTATE_CLIENT_H
#define _KSTATE_CLIENT_H

#include <linux/types.h>
#include <kstate/format.h>	/* KSTATE_RECORD_F_*, KSTATE_NAME_LEN */

struct kstate_client;
struct kstate_writer;
struct kstate_reader;
struct kstate_region;

/**
 * struct kstate_client_ops - what a client does at save, restore and status time
 * @save: write the client's records with kstate_record_add(); return 0 or -errno.
 *	A failure keeps the generation from being sealed: the previous one stays.
 * @restore: called once per boot after a store is bound.  @r is NULL when the store
 *	holds nothing for this client (first boot); otherwise the client's records from
 *	the restored generation, written by format version @version.  Return 0 when the
 *	state was applied, or -errno when it was refused; a refusal must leave nothing
 *	half-applied.
 * @status: optional; report values with kstate_client_set_detail() and states with
 *	kstate_client_set_detail_text().
 */
struct kstate_client_ops {
	int (*save)(struct kstate_client *client, struct kstate_writer *w);
	int (*restore)(struct kstate_client *client, struct kstate_reader *r, u32 version);
	void (*status)(struct kstate_client *client);
};

struct kstate_client *kstate_client_register(const char *name, u32 version,
					     const struct kstate_client_ops *ops,
					     void *priv);
void kstate_client_unregister(struct kstate_client *client);
void *kstate_client_priv(struct kstate_client *client);
void kstate_client_set_detail(struct kstate_client *client, const char *key, u64 value);
void kstate_client_set_detail_text(struct kstate_client *client, const char *key, u64 value,
				   const char *word);
void kstate_client_set_message(struct kstate_client *client, const char *fmt, ...)
	__printf(2, 3);

int kstate_record_add(struct kstate_writer *w, u16 type, u16 flags, const void *data,
		      u32 length);
int kstate_record_next(struct kstate_reader *r, u16 *type, const void **data, u32 *length);

int kstate_region_open(struct kstate_client *client, const char *name,
		       unsigned long pages, struct kstate_region **out);
void kstate_region_close(struct kstate_region *region);
int kstate_region_remove(struct kstate_client *client, const char *name);
bool kstate_region_is_new(const struct kstate_region *region);
unsigned long kstate_region_pages(const struct kstate_region *region);
void *kstate_region_page_addr(const struct kstate_region *region, unsigned long index);
phys_addr_t kstate_region_page_phys(const struct kstate_region *region, unsigned long index);
void *kstate_region_phys_to_virt(const struct kstate_region *region, phys_addr_t phys);
int kstate_region_persist(struct kstate_region *region, unsigned long first,
			  unsigned long count);

#endif /* _KSTATE_CLIENT_H */
