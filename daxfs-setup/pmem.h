/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daxfs-setup: persistent memory namespaces (libndctl, libdaxctl): provisioning one
 * for a store, lending spare ones as RAM.  See pmem.c.
 */
#ifndef DAXFS_SETUP_PMEM_H
#define DAXFS_SETUP_PMEM_H

#include <stdbool.h>
#include <stdint.h>

struct pmem;

#define PMEM_FORCE	(1U << 0)	/* use a raw namespace that holds data */
#define PMEM_DRY_RUN	(1U << 1)	/* say what would change, change nothing */
#define PMEM_MAP_DEVICE	(1U << 2)	/* fsdax struct pages on the device */
#define PMEM_MAP_MEMORY	(1U << 3)	/* fsdax struct pages in RAM */

int pmem_new(struct pmem **out);
void pmem_delete(struct pmem **pmem);
int pmem_refresh(struct pmem *pmem);
unsigned int pmem_region_count(struct pmem *pmem);
const char *pmem_region_name(struct pmem *pmem, unsigned int index);
uint64_t pmem_region_size(struct pmem *pmem, unsigned int index);
uint64_t pmem_region_available(struct pmem *pmem, unsigned int index);
bool pmem_region_is_legacy(struct pmem *pmem, unsigned int index);
unsigned int pmem_namespace_count(struct pmem *pmem);
const char *pmem_namespace_name(struct pmem *pmem, unsigned int index);
const char *pmem_namespace_region(struct pmem *pmem, unsigned int index);
const char *pmem_namespace_mode(struct pmem *pmem, unsigned int index);
uint64_t pmem_namespace_size(struct pmem *pmem, unsigned int index);
const char *pmem_namespace_blockdev(struct pmem *pmem, unsigned int index);
const char *pmem_namespace_chardev(struct pmem *pmem, unsigned int index);
uint64_t pmem_namespace_lent(struct pmem *pmem, unsigned int index);
int pmem_namespace_find(struct pmem *pmem, const char *name);
int pmem_provision(struct pmem *pmem, const char *name, unsigned int flags,
		   unsigned int *index);
int pmem_lend(struct pmem *pmem, const char *name, uint64_t size, unsigned int flags,
	      uint64_t *lent);
int pmem_reclaim(struct pmem *pmem, const char *name, uint64_t size, unsigned int flags,
		 uint64_t *reclaimed);

#endif /* DAXFS_SETUP_PMEM_H */
