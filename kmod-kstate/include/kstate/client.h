/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kstate client API: how a kernel subsystem keeps its state across kexec and firmware
 * reboots.  kmod-kstate/clients/ holds one example client per file.
 *
 * A client registers a name, a format version and callbacks.  When userspace asks for
 * a save (KSTATE_IOC_SAVE, run by kstate-save) the client's ->save() writes records;
 * they land in the file "<name>.<generation>.ksr" of the bound store and become part
 * of the state only when the whole generation is sealed.  After the reboot, once a
 * store is bound (kstate-load), each client's ->restore() is called with a reader over
 * its records, already validated end to end; a client that registers later is restored
 * at registration.
 *
 * Lifecycle.  A client is WAITING (no store bound), then FRESH (nothing saved for it),
 * RESTORED, or FAILED (its saved state was refused).  Only FRESH and RESTORED clients
 * are saved, frozen and thawed: a FAILED client gets no callback but ->status(), and
 * its last good state stays in the store, carried into every new generation, until the
 * operator discards it ("kstate discard NAME"), which starts it fresh.
 *
 * Two-phase save.  A plain save is a checkpoint.  The save that precedes a kexec or a
 * reboot first calls every live client's ->freeze(); from then until the machine goes
 * down the client must not change what ->save() wrote, nor its regions: it refuses
 * (-EBUSY) or defers such changes.  If the reboot does not happen (the kexec fails,
 * the shutdown is aborted, the operator runs "kstate thaw"), ->thaw() lets it go on.
 * Each region of a frozen client is saved with a CRC32C of its contents, and
 * kstate_region_open() checks it at the next boot before the client sees the region;
 * except a region a device writes (DMA buffers, kstate_region_set_device_data()).
 *
 * Regions.  Objects that must not move, such as IOMMU page tables, live in persistent
 * regions: files of whole pages on the DAX filesystem (ext4 or XFS) of the store.  A
 * page's *physical* address is stable while the file exists, across kexec and firmware
 * reboots: a device may keep using it.  Its *kernel* address (kstate_region_page_addr())
 * is in the direct map of this boot only; KASLR moves the direct map at every boot, so
 * never store one.  While a region is open its blocks cannot be moved or freed, by
 * root either (see kmod-kstate/kstate_region.c and docs/design.md).
 *
 * Locking.  Every callback runs with the module's lock held, and callbacks of one
 * client never run concurrently.  The region functions that change a client's list of
 * regions (open, close, remove, verify) must be called from a callback; they assert the
 * lock.  The accessors (pages, page_addr, page_phys, phys_to_virt, persist) may be used
 * at any time between open and close, with the client's own locking.
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
 * struct kstate_client_ops - what a client does at save, restore, freeze and status time
 * @save: write the client's records with kstate_record_add(); return 0 or -errno.
 *	A failure keeps the generation from being sealed: the previous one stays.  Called
 *	for FRESH and RESTORED clients only, frozen or not.
 * @restore: called once per boot after a store is bound (and again after a discard).
 *	@r is NULL when the store holds nothing for this client (start fresh);
 *	otherwise the client's records from the restored generation, written by format
 *	version @version.  Return 0 when the state was applied, or -errno when it was
 *	refused; a refusal must leave nothing half-applied (close the regions it opened).
 * @status: optional; report values with kstate_client_set_detail() and states as
 *	words with kstate_client_set_detail_text().  Called in every state, FAILED
 *	included.
 * @freeze: optional; the save that precedes a reboot is about to run: from now on do
 *	not change anything ->save() writes or any open region, until ->thaw() or the
 *	reboot.  Return 0, or -errno to refuse (the save fails and every client thaws).
 *	A client whose state never changes outside the callbacks needs none.
 * @thaw: optional; the reboot did not happen: changes may resume.  Called exactly
 *	once for each successful ->freeze().
 */
struct kstate_client_ops {
	int (*save)(struct kstate_client *client, struct kstate_writer *w);
	int (*restore)(struct kstate_client *client, struct kstate_reader *r, u32 version);
	void (*status)(struct kstate_client *client);
	int (*freeze)(struct kstate_client *client);
	void (*thaw)(struct kstate_client *client);
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
int kstate_region_verify(struct kstate_region *region);
void kstate_region_set_device_data(struct kstate_region *region);
bool kstate_region_is_new(const struct kstate_region *region);
unsigned long kstate_region_pages(const struct kstate_region *region);
void *kstate_region_page_addr(const struct kstate_region *region, unsigned long index);
phys_addr_t kstate_region_page_phys(const struct kstate_region *region, unsigned long index);
void *kstate_region_phys_to_virt(const struct kstate_region *region, phys_addr_t phys);
int kstate_region_persist(struct kstate_region *region, unsigned long first,
			  unsigned long count);

#endif /* _KSTATE_CLIENT_H */
