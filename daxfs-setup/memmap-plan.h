/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daxfs-setup: planning a memmap= reservation (emulated persistent memory) from
 * /proc/iomem.  See memmap-plan.c.
 */
#ifndef DAXFS_SETUP_MEMMAP_PLAN_H
#define DAXFS_SETUP_MEMMAP_PLAN_H

#include <stddef.h>
#include <stdint.h>

struct memmap_plan;

#define MEMMAP_ALIGN_MIN	(16ULL << 20)	/* smallest alignment and size unit */
#define MEMMAP_ALIGN_DEFAULT	(1ULL << 30)	/* lets DAX use 1 GiB mappings */
#define MEMMAP_MIN_RAM		(1ULL << 30)	/* RAM a plan must leave, or it fails */
#define MEMMAP_LOW_RAM		(4ULL << 30)	/* RAM below which a plan warns */

#define MEMMAP_PLAN_SPLIT	(1U << 0)	/* allow up to four ranges */

#define MEMMAP_WARN_BELOW_4G	(1U << 0)	/* no room above 4 GiB */
#define MEMMAP_WARN_LOW_RAM	(1U << 1)	/* leaves < 4 GiB or < 1/4 of RAM */
#define MEMMAP_WARN_PMEM_PRESENT (1U << 2)	/* the machine already has PMEM */

int memmap_plan_new(const char *iomem_path, uint64_t size, uint64_t align, unsigned int flags,
		    struct memmap_plan **out);
void memmap_plan_delete(struct memmap_plan **plan);
unsigned int memmap_plan_range_count(struct memmap_plan *plan);
uint64_t memmap_plan_range_start(struct memmap_plan *plan, unsigned int index);
uint64_t memmap_plan_range_size(struct memmap_plan *plan, unsigned int index);
uint64_t memmap_plan_ram_total(struct memmap_plan *plan);
uint64_t memmap_plan_pmem_present(struct memmap_plan *plan);
unsigned int memmap_plan_warnings(struct memmap_plan *plan);
int memmap_plan_param(struct memmap_plan *plan, char *buf, size_t len);

/*
 * Whether a reservation is active: the running kernel's command line (@cmdline_path,
 * NULL for /proc/cmdline) has memmap=SIZE!START words and @iomem_path (NULL for
 * /proc/iomem) lists each of their ranges as "Persistent Memory (legacy)".
 * @words gets those memmap= words, @total the bytes they reserve.
 * Return: 1 active, 0 not (no words, or a range the kernel did not reserve), -errno.
 */
int memmap_active(const char *iomem_path, const char *cmdline_path, char *words, size_t len,
		  uint64_t *total);

#endif /* DAXFS_SETUP_MEMMAP_PLAN_H */
