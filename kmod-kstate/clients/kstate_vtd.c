// SPDX-License-Identifier: GPL-2.0-only
/*
 * kstate_vtd: Intel VT-d translation tables that the hardware walks, kept in place in
 * kstate regions across kexec and firmware reboots, with a device doing DMA through them.
 *
 * The client owns one DMA remapping unit (found in the ACPI DMAR table; the kernel is
 * booted with intel_iommu=off, which leaves the unit alone) and one device behind it,
 * QEMU's "edu" (1234:11e8), a PCI device with a DMA engine.  Everything the unit reads
 * lives in the region "vtd-tables": the legacy root table, a context table for the
 * device's bus, a context table shared by every other bus, and a 4-level second-level
 * page table.  The device's context entry translates through that page table; every other
 * device gets a pass-through entry, which is what a kernel booted with intel_iommu=off
 * expects of them.  The page table maps VTD_DMA_PAGES IOVAs, above the machine's RAM, to
 * the pages of a second region, "vtd-dma": a DMA that lands in those pages went through
 * the tables, since untranslated it would have gone nowhere.
 *
 * The tables are a pure function of the two regions' physical addresses (vtd_table_page()),
 * so their check after a reboot is exact: each page must equal what this client would
 * write, and the pages' CRC32C must equal the one saved.  Then:
 *  - after kexec, the unit still points at the saved root (Linux's intel_iommu_init()
 *    switches translation off on purpose, about 1 s into boot, and leaves RTADDR and the
 *    tables alone): translation is switched back on, the same tables, no write to RTADDR
 *    ("live");
 *  - after a firmware reset the unit comes back with RTADDR 0: RTADDR is set to the same
 *    root, and translation switched on ("reprogrammed");
 *  - when no state was saved the tables are built ("rebuilt");
 *  - when a check fails the tables are not used: the device loses Bus Master and the unit
 *    stays off ("refused", fail closed).
 * Each adoption ends with DMA in both directions through the tables, data checked.
 *
 * Two knobs serve the tests (module parameters, writable by root):
 *  - late_dma=1 loads a pattern into the device and arms a DMA that a kmsg dumper starts
 *    at KMSG_DUMP_SHUTDOWN, after Linux cleared Bus Master in pci_device_shutdown(): on a
 *    kexec it lands through the preserved tables while the next kernel boots, and the next
 *    adoption finds it ("inflight");
 *  - fault_test=N clears the leaf of DMA page N, lets the device write to it and reads the
 *    unit's fault recording registers, then puts the leaf back.
 *
 * Copyright (c) 2026 The kstate authors
 */
#define pr_fmt(fmt) "kstate_vtd: " fmt

#include <linux/acpi.h>
#include <linux/crc32c.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kmsg_dump.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sched/clock.h>
#include <linux/version.h>
#include <asm/cacheflush.h>
#include <kstate/client.h>

#define VTD_NAME		"vtd"
#define VTD_TABLES		"vtd-tables"
#define VTD_DMA			"vtd-dma"
#define VTD_VERSION		1
#define VTD_REC_STATE		1
#define VTD_MAGIC		0x3130445456534b53ULL	/* "SKSVTD01" */

/* VT-d registers (Intel VT-d specification, chapter 11). */
#define DMAR_VER		0x00
#define DMAR_CAP		0x08
#define DMAR_ECAP		0x10
#define DMAR_GCMD		0x18
#define DMAR_GSTS		0x1c
#define DMAR_RTADDR		0x20
#define DMAR_CCMD		0x28
#define DMAR_FSTS		0x34
#define DMAR_REG_SPAN		0x1000

#define GSTS_TES		BIT(31)
#define GSTS_RTPS		BIT(30)
#define GSTS_AFLS		BIT(28)
#define GSTS_QIES		BIT(26)
#define GSTS_IRES		BIT(25)
#define GSTS_CFIS		BIT(23)
/* Enables a GCMD write must repeat; the other status bits report one-shot commands. */
#define GSTS_KEEP		(GSTS_TES | GSTS_AFLS | GSTS_QIES | GSTS_IRES | GSTS_CFIS)
#define GCMD_TE			BIT(31)
#define GCMD_SRTP		BIT(30)

#define CAP_SAGAW_48		BIT_ULL(10)		/* 4-level second-level tables */
#define CAP_FRO(c)		((((c) >> 24) & 0x3ff) * 16)
#define CAP_NFR(c)		((((c) >> 40) & 0xff) + 1)
#define CAP_MGAW(c)		((((c) >> 16) & 0x3f) + 1)
#define CAP_DWD			BIT_ULL(54)
#define CAP_DRD			BIT_ULL(55)
#define ECAP_PT			BIT_ULL(6)
#define ECAP_IRO(e)		((((e) >> 8) & 0x3ff) * 16)

#define CCMD_ICC		BIT_ULL(63)
#define CCMD_GLOBAL		(1ULL << 61)
#define IOTLB_IVT		BIT_ULL(63)
#define IOTLB_GLOBAL		(1ULL << 60)
#define IOTLB_DR		BIT_ULL(49)
#define IOTLB_DW		BIT_ULL(48)

#define FSTS_PFO		BIT(0)
#define FSTS_PPF		BIT(1)
#define FSTS_FRI(s)		(((s) >> 8) & 0xff)
#define FRCD_F			BIT_ULL(63)		/* in the record's upper quadword */
#define FRCD_REASON(h)		(((h) >> 32) & 0xff)
#define FRCD_SID(h)		((h) & 0xffff)
#define FR_WRITE		5			/* write through a non-writable entry */

/* Table entries: legacy root and context entries, second-level PTEs. */
#define ENTRY_P			BIT_ULL(0)
#define CTX_TT_PT		(2ULL << 2)		/* pass-through */
#define CTX_AW_48		2ULL			/* 4-level, 48-bit */
#define CTX_DID(d)		((u64)(d) << 8)
#define PTE_R			BIT_ULL(0)
#define PTE_W			BIT_ULL(1)
#define PTE_ADDR		GENMASK_ULL(51, 12)
#define DID_DEVICE		1
#define DID_PASSTHROUGH		2

/*
 * The IOVA window: above 4 GiB and below the device's 40-bit DMA mask, with a non-zero
 * index at every level (L4 1, L3 3, L2 5), so a walk that indexes wrong faults.
 */
#define VTD_IOVA_BASE		((1ULL << 39) | (3ULL << 30) | (5ULL << 21))
#define VTD_DMA_PAGES		8
#define VTD_LATE_SRC		(VTD_DMA_PAGES - 2)	/* pattern loaded into the device */
#define VTD_LATE_DST		(VTD_DMA_PAGES - 1)	/* where the late DMA lands */

enum vtd_table_page { PG_ROOT, PG_CTX_BUS, PG_CTX_OTHER, PG_L4, PG_L3, PG_L2, PG_L1, VTD_TABLE_PAGES };

/* QEMU's edu device: BAR0 registers and the 4 KiB buffer in its own address space. */
#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_ID			0x00
#define EDU_ID_VALUE		0x010000ed
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_CMD_RUN		BIT(0)
#define EDU_CMD_TO_RAM		BIT(1)
#define EDU_BUF			0x40000
#define EDU_BUF_SIZE		4096
/*
 * QEMU aborts the whole machine on a DMA whose device-side range is not strictly inside
 * the buffer, and its check counts the end as outside: a transfer ends at 0x40ffe at
 * most.  Every DMA here moves the first EDU_DMA_LEN bytes of a page.
 */
#define EDU_DMA_LEN		(EDU_BUF_SIZE - 8)
#define EDU_DMA_WORDS		(EDU_DMA_LEN / 8)
#define EDU_DMA_TIMEOUT_MS	2000	/* a DMA takes 100 ms of virtual time */

enum vtd_adopted { ADOPT_NONE, ADOPT_LIVE, ADOPT_REPROGRAMMED, ADOPT_REBUILT, ADOPT_REFUSED };
static const char *const adopted_names[] = {
	[ADOPT_NONE] = "none", [ADOPT_LIVE] = "live", [ADOPT_REPROGRAMMED] = "reprogrammed",
	[ADOPT_REBUILT] = "rebuilt", [ADOPT_REFUSED] = "refused",
};

enum vtd_inflight { INFLIGHT_NONE, INFLIGHT_INTACT, INFLIGHT_LOST };
static const char *const inflight_names[] = {
	[INFLIGHT_NONE] = "none", [INFLIGHT_INTACT] = "intact", [INFLIGHT_LOST] = "lost",
};

#define REC_F_LATE_DMA		BIT(0)

/* The saved record: what the tables were built for and how to check them.  Little-endian. */
struct vtd_record {
	__le64 magic;
	__le64 unit_base;	/* DRHD register base */
	__le64 cap;		/* the unit's CAP and ECAP when the tables were built */
	__le64 ecap;
	__le64 root_phys;
	__le64 iova_base;
	__le64 late_seed;	/* pattern of the armed late DMA */
	__le32 table_pages;
	__le32 dma_pages;
	__le32 tables_crc;	/* CRC32C of every table page */
	__le32 flags;		/* REC_F_* */
	__le16 segment;
	__le16 source_id;	/* bus << 8 | devfn of the device */
	__le32 reserved;
};

struct vtd {
	struct mutex lock;		/* the state below; taken inside kstate's callbacks */
	struct kstate_client *client;
	/* the unit */
	u64 base;
	u16 segment;
	void __iomem *regs;
	u64 cap, ecap;
	/* the device */
	struct pci_dev *pdev;
	void __iomem *bar;
	u16 sid;
	/* found at module load, before this client touched anything */
	u32 gsts_at_load;
	u64 rtaddr_at_load;
	u64 blocked_ns;			/* when Bus Master was taken away at load, or 0 */
	/* the regions */
	struct kstate_region *tables, *dma;
	void *tpage[VTD_TABLE_PAGES];
	phys_addr_t tphys[VTD_TABLE_PAGES];
	void *dpage[VTD_DMA_PAGES];
	phys_addr_t dphys[VTD_DMA_PAGES];
	u64 root_phys;
	u32 tables_crc;
	bool enabled;			/* translation on through these tables */
	bool frozen;			/* between the final save and the reboot */
	bool closing;			/* module exit: adopt nothing, start no DMA */
	/* report */
	enum vtd_adopted adopted;
	enum vtd_inflight inflight;
	u64 dma_checks, dma_failed;
	u64 faults, fault_reason, fault_addr, fault_sid;
	u64 enable_ns;			/* when translation went (back) on, local_clock() */
	u64 window_ns;			/* switch-off to block or re-enable; 0 when unknown */
	u32 check_seq;
	/* late DMA, read by the dumper with interrupts off: no lock */
	bool late_armed;
	u64 late_seed;
	struct kmsg_dumper dumper;
};

static struct vtd vtd = { .lock = __MUTEX_INITIALIZER(vtd.lock) };

/* ---------------------------------------------------------------------------------- */
/* The unit's registers */

static int vtd_wait_gsts(struct vtd *v, u32 mask, u32 want)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if ((readl(v->regs + DMAR_GSTS) & mask) == want)
			return 0;
		udelay(10);
	}
	return -ETIMEDOUT;
}

/* Set or clear one enable of GCMD, repeating the others (GCMD is write-only). */
static int vtd_gcmd(struct vtd *v, u32 bit, bool on)
{
	u32 cmd = readl(v->regs + DMAR_GSTS) & GSTS_KEEP;

	cmd = on ? cmd | bit : cmd & ~bit;
	writel(cmd, v->regs + DMAR_GCMD);
	return vtd_wait_gsts(v, bit, on ? bit : 0);
}

static int vtd_wait_q(struct vtd *v, unsigned int reg, u64 busy)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (!(readq(v->regs + reg) & busy))
			return 0;
		udelay(10);
	}
	return -ETIMEDOUT;
}

/* Global context-cache and IOTLB invalidation: after SRTP and after any entry changes. */
static int vtd_invalidate(struct vtd *v)
{
	unsigned int iotlb = ECAP_IRO(v->ecap) + 8;
	u64 drain = (v->cap & CAP_DRD ? IOTLB_DR : 0) | (v->cap & CAP_DWD ? IOTLB_DW : 0);
	int rc;

	writeq(CCMD_ICC | CCMD_GLOBAL, v->regs + DMAR_CCMD);
	rc = vtd_wait_q(v, DMAR_CCMD, CCMD_ICC);
	if (rc)
		return rc;
	writeq(IOTLB_IVT | IOTLB_GLOBAL | drain, v->regs + iotlb);
	return vtd_wait_q(v, iotlb, IOTLB_IVT);
}

static int vtd_set_root(struct vtd *v, u64 root)
{
	writeq(root, v->regs + DMAR_RTADDR);
	writel((readl(v->regs + DMAR_GSTS) & GSTS_KEEP) | GCMD_SRTP, v->regs + DMAR_GCMD);
	return vtd_wait_gsts(v, GSTS_RTPS, GSTS_RTPS);
}

/* Read and clear the fault records; remember the last one. */
static unsigned int vtd_collect_faults(struct vtd *v)
{
	unsigned int i, n = 0, fro = CAP_FRO(v->cap);
	u32 fsts;

	lockdep_assert_held(&v->lock);
	fsts = readl(v->regs + DMAR_FSTS);
	for (i = 0; i < CAP_NFR(v->cap); i++) {
		unsigned int rec = fro + i * 16;
		u64 lo = readq(v->regs + rec), hi = readq(v->regs + rec + 8);

		if (!(hi & FRCD_F))
			continue;
		v->fault_reason = FRCD_REASON(hi);
		v->fault_sid = FRCD_SID(hi);
		v->fault_addr = lo & PAGE_MASK;
		v->faults++;
		n++;
		writel(upper_32_bits(FRCD_F), v->regs + rec + 12);	/* write 1 to clear F */
	}
	if (fsts & (FSTS_PFO | FSTS_PPF))
		writel(FSTS_PFO, v->regs + DMAR_FSTS);
	return n;
}

/* Fault records left from before this module loaded: say so, do not count them. */
static void vtd_clear_stale_faults(struct vtd *v)
{
	u64 faults = v->faults;
	unsigned int n = vtd_collect_faults(v);

	if (n)
		pr_info("%u fault record(s) left from before, the last: reason %llu, source %04llx, address %#llx; cleared\n",
			n, v->fault_reason, v->fault_sid, v->fault_addr);
	v->faults = faults;
	v->fault_reason = v->fault_sid = v->fault_addr = 0;
}

/* ---------------------------------------------------------------------------------- */
/* The tables */

static unsigned int pt_index(u64 iova, int level)
{
	return (iova >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

/*
 * What page @pg of the tables holds, from the regions' physical addresses alone: the
 * build writes it, the adoption compares with it.  Non-leaf entries need R and W (the
 * unit checks the access rights at every level).
 */
static void vtd_table_page(const struct vtd *v, unsigned int pg, u64 *e)
{
	unsigned int bus = PCI_BUS_NUM(v->sid), devfn = v->sid & 0xff, i;

	memset(e, 0, PAGE_SIZE);
	switch (pg) {
	case PG_ROOT:
		for (i = 0; i < 256; i++)
			e[2 * i] = v->tphys[i == bus ? PG_CTX_BUS : PG_CTX_OTHER] | ENTRY_P;
		break;
	case PG_CTX_BUS:
	case PG_CTX_OTHER:
		for (i = 0; i < 256; i++) {
			if (pg == PG_CTX_BUS && i == devfn) {
				e[2 * i] = v->tphys[PG_L4] | ENTRY_P;	/* TT 0: translated */
				e[2 * i + 1] = CTX_AW_48 | CTX_DID(DID_DEVICE);
			} else {
				e[2 * i] = CTX_TT_PT | ENTRY_P;
				e[2 * i + 1] = CTX_AW_48 | CTX_DID(DID_PASSTHROUGH);
			}
		}
		break;
	case PG_L4:
	case PG_L3:
	case PG_L2:
		e[pt_index(VTD_IOVA_BASE, 4 - (pg - PG_L4))] = v->tphys[pg + 1] | PTE_R | PTE_W;
		break;
	case PG_L1:
		for (i = 0; i < VTD_DMA_PAGES; i++)
			e[pt_index(VTD_IOVA_BASE, 1) + i] = v->dphys[i] | PTE_R | PTE_W;
		break;
	}
}

static u32 vtd_tables_crc(const struct vtd *v)
{
	u32 crc = ~0U;
	int i;

	for (i = 0; i < VTD_TABLE_PAGES; i++)
		crc = crc32c(crc, v->tpage[i], PAGE_SIZE);
	return ~crc;
}

/* The unit does not snoop the CPU caches (ECAP.C is 0 here): write the lines back. */
static void vtd_flush_entry(void *p, unsigned int size)
{
	clflush_cache_range(p, size);
}

static int vtd_tables_build(struct vtd *v)
{
	u64 *img = (u64 *)__get_free_page(GFP_KERNEL);
	int i;

	if (!img)
		return -ENOMEM;
	for (i = 0; i < VTD_TABLE_PAGES; i++) {
		vtd_table_page(v, i, img);
		memcpy(v->tpage[i], img, PAGE_SIZE);
		vtd_flush_entry(v->tpage[i], PAGE_SIZE);
	}
	free_page((unsigned long)img);
	kstate_region_persist(v->tables, 0, 0);
	v->tables_crc = vtd_tables_crc(v);
	return 0;
}

/* Return the first table page that differs from what this client would write, or -1. */
static int vtd_tables_check(struct vtd *v)
{
	u64 *img = (u64 *)__get_free_page(GFP_KERNEL);
	int i, bad = -1;

	if (!img)
		return -2;
	for (i = 0; i < VTD_TABLE_PAGES && bad < 0; i++) {
		vtd_table_page(v, i, img);
		if (memcmp(v->tpage[i], img, PAGE_SIZE))
			bad = i;
	}
	free_page((unsigned long)img);
	return bad;
}

static u64 vtd_iova(unsigned int page)
{
	return VTD_IOVA_BASE + ((u64)page << PAGE_SHIFT);
}

/* ---------------------------------------------------------------------------------- */
/* The device */

static bool edu_busy(struct vtd *v)
{
	return readq(v->bar + EDU_DMA_CMD) & EDU_CMD_RUN;
}

static int edu_wait(struct vtd *v)
{
	unsigned long end = jiffies + msecs_to_jiffies(EDU_DMA_TIMEOUT_MS);

	while (edu_busy(v)) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(2000, 4000);
	}
	return 0;
}

/*
 * Start one DMA of EDU_DMA_LEN bytes between the start of the device's buffer and @iova:
 * the only device-side range used, so the one QEMU checks is right by construction.
 */
static void edu_start(struct vtd *v, bool to_ram, u64 iova)
{
	BUILD_BUG_ON(EDU_DMA_LEN >= EDU_BUF_SIZE || EDU_DMA_LEN > PAGE_SIZE);
	writeq(to_ram ? EDU_BUF : iova, v->bar + EDU_DMA_SRC);
	writeq(to_ram ? iova : EDU_BUF, v->bar + EDU_DMA_DST);
	writeq(EDU_DMA_LEN, v->bar + EDU_DMA_CNT);
	writeq(EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0), v->bar + EDU_DMA_CMD);
}

static int edu_dma(struct vtd *v, bool to_ram, unsigned int page)
{
	int rc;

	if (page >= VTD_DMA_PAGES)
		return -EINVAL;
	rc = edu_wait(v);
	if (rc)
		return rc;
	edu_start(v, to_ram, vtd_iova(page));
	return edu_wait(v);
}

static void vtd_pattern(u64 seed, unsigned int page, u64 *p)
{
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / 8; i++)
		p[i] = (seed ^ ((u64)page << 32 | i)) * 0x9e3779b97f4a7c15ULL;
}

/* Does @p hold the pattern in the part of the page a DMA moves? */
static bool vtd_pattern_ok(u64 seed, unsigned int page, const u64 *p)
{
	unsigned int i;

	for (i = 0; i < EDU_DMA_WORDS; i++)
		if (READ_ONCE(p[i]) != ((seed ^ ((u64)page << 32 | i)) * 0x9e3779b97f4a7c15ULL))
			return false;
	return true;
}

/*
 * One round trip through the tables: a pattern in DMA page @src goes to the device
 * (RAM -> device, read through the IOVA) and comes back into page @dst (device -> RAM,
 * written through the IOVA).  Both pages are checked.
 */
static int vtd_dma_check(struct vtd *v, unsigned int src, unsigned int dst)
{
	u64 seed = get_random_u64();
	int rc;

	lockdep_assert_held(&v->lock);
	vtd_pattern(seed, src, v->dpage[src]);
	memset(v->dpage[dst], 0, PAGE_SIZE);
	rc = edu_dma(v, false, src);
	if (!rc)
		rc = edu_dma(v, true, dst);
	if (!rc && (!vtd_pattern_ok(seed, src, v->dpage[dst]) ||
		    !vtd_pattern_ok(seed, src, v->dpage[src])))
		rc = -EIO;
	if (rc) {
		v->dma_failed++;
		pr_err("DMA check IOVA %#llx -> device -> IOVA %#llx failed (%d)\n",
		       vtd_iova(src), vtd_iova(dst), rc);
		return rc;
	}
	v->dma_checks++;
	return 0;
}

/* Two round trips over different pages of the leaf table. */
static int vtd_dma_checks(struct vtd *v)
{
	unsigned int a = v->check_seq++ % (VTD_DMA_PAGES - 2);
	int rc;

	rc = vtd_dma_check(v, a, (a + 3) % (VTD_DMA_PAGES - 2));
	if (!rc)
		rc = vtd_dma_check(v, (a + 1) % (VTD_DMA_PAGES - 2), a);
	if (vtd_collect_faults(v))
		pr_err("the unit recorded a fault during the DMA checks: reason %llu, address %#llx\n",
		       v->fault_reason, v->fault_addr);
	return rc;
}

/* ---------------------------------------------------------------------------------- */
/* Adoption */

/*
 * When Linux switched translation off: the kernel log has the start of pci_iommu_init(),
 * which calls intel_iommu_init() -> intel_disable_iommus(), when booted with
 * initcall_debug.  An out-of-tree module loads far later and cannot see it happen.
 */
static u64 vtd_switch_off_ns(void)
{
	static const char needle[] = "calling  pci_iommu_init+";
	struct kmsg_dump_iter iter;
	unsigned long sec, usec;
	char *line;
	size_t len;
	u64 ns = 0;

	line = kmalloc(512, GFP_KERNEL);
	if (!line)
		return 0;
	kmsg_dump_rewind(&iter);
	while (kmsg_dump_get_line(&iter, false, line, 511, &len)) {
		cond_resched();		/* up to log_buf_len of lines */
		line[len] = '\0';
		if (!strstr(line, needle))
			continue;
		if (sscanf(line, "[%lu.%lu]", &sec, &usec) == 2)
			ns = (u64)sec * NSEC_PER_SEC + (u64)usec * NSEC_PER_USEC;
		break;
	}
	kfree(line);
	return ns;
}

static void vtd_block_device(struct vtd *v)
{
	lockdep_assert_held(&v->lock);
	pci_clear_master(v->pdev);
}

/* Switch translation on through v's tables, with the root already latched or not. */
static int vtd_enable(struct vtd *v, bool set_root)
{
	int rc = 0;

	lockdep_assert_held(&v->lock);
	if (set_root)
		rc = vtd_set_root(v, v->root_phys);
	if (!rc)
		rc = vtd_invalidate(v);
	if (!rc && !(readl(v->regs + DMAR_GSTS) & GSTS_TES))
		rc = vtd_gcmd(v, GCMD_TE, true);
	if (rc)
		return rc;
	v->enable_ns = local_clock();
	WRITE_ONCE(v->enabled, true);	/* read by the dumper */
	pci_set_master(v->pdev);
	return 0;
}

static void vtd_disable(struct vtd *v)
{
	vtd_block_device(v);
	if (readl(v->regs + DMAR_GSTS) & GSTS_TES)
		vtd_gcmd(v, GCMD_TE, false);
	WRITE_ONCE(v->enabled, false);
}

static void vtd_regions_close(struct vtd *v)
{
	kstate_region_close(v->tables);
	kstate_region_close(v->dma);
	v->tables = v->dma = NULL;
}

static int vtd_region_open(struct kstate_client *client, const char *name, unsigned long pages,
			   bool fresh, struct kstate_region **out)
{
	int rc = kstate_region_open(client, name, pages, out);

	/* A fresh start may find a region of another size left behind: rebuild it. */
	if (rc == -EUCLEAN && fresh) {
		rc = kstate_region_remove(client, name);
		if (!rc)
			rc = kstate_region_open(client, name, pages, out);
	}
	if (rc)
		kstate_client_set_message(client, "cannot open region %s (%d)", name, rc);
	return rc;
}

static int vtd_regions_open(struct vtd *v, struct kstate_client *client, bool fresh)
{
	int i, rc;

	rc = vtd_region_open(client, VTD_TABLES, VTD_TABLE_PAGES, fresh, &v->tables);
	if (rc)
		return rc;
	rc = vtd_region_open(client, VTD_DMA, VTD_DMA_PAGES, fresh, &v->dma);
	if (rc) {
		vtd_regions_close(v);
		return rc;
	}
	/* The device writes the buffers after the final save (the late DMA): no freeze CRC. */
	kstate_region_set_device_data(v->dma);
	for (i = 0; i < VTD_TABLE_PAGES; i++) {
		v->tpage[i] = kstate_region_page_addr(v->tables, i);
		v->tphys[i] = kstate_region_page_phys(v->tables, i);
	}
	for (i = 0; i < VTD_DMA_PAGES; i++) {
		v->dpage[i] = kstate_region_page_addr(v->dma, i);
		v->dphys[i] = kstate_region_page_phys(v->dma, i);
	}
	v->root_phys = v->tphys[PG_ROOT];
	return 0;
}

/* Nothing saved for this client: build the tables and switch translation on. */
static int vtd_fresh(struct vtd *v, struct kstate_client *client)
{
	int rc;

	lockdep_assert_held(&v->lock);
	/* Whatever the unit did before, nothing may walk the region while it is rebuilt. */
	vtd_disable(v);
	rc = vtd_regions_open(v, client, true);
	if (rc)
		return rc;
	rc = vtd_tables_build(v);
	if (!rc)
		rc = vtd_enable(v, true);
	if (!rc)
		rc = vtd_dma_checks(v);
	if (rc) {
		vtd_disable(v);
		vtd_regions_close(v);
		kstate_client_set_message(client, "tables built but the unit or the DMA failed (%d)",
					  rc);
		return rc;
	}
	v->adopted = ADOPT_REBUILT;
	kstate_client_set_message(client, "built tables at %#llx, translation on, %llu DMA checks passed",
				  v->root_phys, v->dma_checks);
	return 0;
}

/* Refuse the saved tables: the device cannot DMA, the unit stays off. */
static int vtd_refuse(struct vtd *v, struct kstate_client *client, int rc, const char *why)
{
	vtd_disable(v);
	vtd_regions_close(v);
	v->adopted = ADOPT_REFUSED;
	kstate_client_set_message(client, "refused: %s; device blocked", why);
	pr_err("saved tables refused: %s; %s blocked (no Bus Master), translation off\n", why,
	       pci_name(v->pdev));
	return rc;
}

static int vtd_adopt(struct vtd *v, struct kstate_client *client, const struct vtd_record *rec)
{
	u32 gsts = readl(v->regs + DMAR_GSTS);
	u64 rtaddr = readq(v->regs + DMAR_RTADDR) & PAGE_MASK;
	u64 off_ns;
	bool live;
	int bad, rc;

	lockdep_assert_held(&v->lock);
	if (le64_to_cpu(rec->unit_base) != v->base || le16_to_cpu(rec->segment) != v->segment ||
	    le64_to_cpu(rec->cap) != v->cap || le64_to_cpu(rec->ecap) != v->ecap)
		return vtd_refuse(v, client, -ENODEV, "saved for another remapping unit");
	if (le16_to_cpu(rec->source_id) != v->sid)
		return vtd_refuse(v, client, -ENODEV, "saved for a device at another address");
	if (le64_to_cpu(rec->iova_base) != VTD_IOVA_BASE ||
	    le32_to_cpu(rec->table_pages) != VTD_TABLE_PAGES ||
	    le32_to_cpu(rec->dma_pages) != VTD_DMA_PAGES)
		return vtd_refuse(v, client, -EUCLEAN, "saved layout differs from this client's");
	rc = vtd_regions_open(v, client, false);
	if (rc)
		return vtd_refuse(v, client, rc, "regions cannot be opened");
	if (kstate_region_is_new(v->tables) || kstate_region_is_new(v->dma)) {
		bool tables = kstate_region_is_new(v->tables), dma = kstate_region_is_new(v->dma);

		/* Opening created what should have been there: undo that, then refuse. */
		rc = vtd_refuse(v, client, -ENOENT, "a region is missing from the store");
		if (tables)
			kstate_region_remove(client, VTD_TABLES);
		if (dma)
			kstate_region_remove(client, VTD_DMA);
		return rc;
	}
	if (v->root_phys != le64_to_cpu(rec->root_phys))
		return vtd_refuse(v, client, -EUCLEAN, "root table moved");
	v->tables_crc = vtd_tables_crc(v);
	if (v->tables_crc != le32_to_cpu(rec->tables_crc))
		return vtd_refuse(v, client, -EBADMSG, "table CRC differs from the saved one");
	bad = vtd_tables_check(v);
	if (bad != -1)
		return vtd_refuse(v, client, bad == -2 ? -ENOMEM : -EUCLEAN,
				  "a table page is not what this client writes");
	if (gsts & GSTS_QIES)
		return vtd_refuse(v, client, -EBUSY, "queued invalidation is on: another owner");
	if (rtaddr && rtaddr != v->root_phys)
		return vtd_refuse(v, client, -EBUSY, "the unit points at another root table");

	/* The tables are what was saved.  Same root latched: switch back on, no reprogram. */
	live = rtaddr == v->root_phys;
	rc = vtd_enable(v, !live);
	if (rc)
		return vtd_refuse(v, client, rc, "the unit did not take the tables");
	v->adopted = live ? ADOPT_LIVE : ADOPT_REPROGRAMMED;
	/*
	 * The window exists only when the unit kept a root but was found off: Linux
	 * switched it off.  After a firmware reset the platform reset the device too
	 * (Bus Master off), so nothing could DMA untranslated.
	 */
	off_ns = vtd_switch_off_ns();
	if (v->rtaddr_at_load && !(v->gsts_at_load & GSTS_TES) && off_ns &&
	    off_ns < v->enable_ns)
		v->window_ns = (v->blocked_ns ? v->blocked_ns : v->enable_ns) - off_ns;

	if (le32_to_cpu(rec->flags) & REC_F_LATE_DMA)
		v->inflight = vtd_pattern_ok(le64_to_cpu(rec->late_seed), VTD_LATE_SRC,
					     v->dpage[VTD_LATE_DST]) ? INFLIGHT_INTACT : INFLIGHT_LOST;
	rc = vtd_dma_checks(v);
	if (rc)
		return vtd_refuse(v, client, rc, "DMA through the adopted tables failed");
	kstate_client_set_message(client, "%s: tables at %#llx, translation on, %llu DMA checks passed",
				  adopted_names[v->adopted], v->root_phys, v->dma_checks);
	pr_info("%s tables at %#llx (RTADDR %#llx at load, translation %s), window %llu us, in-flight DMA %s\n",
		adopted_names[v->adopted], v->root_phys, v->rtaddr_at_load,
		v->gsts_at_load & GSTS_TES ? "on" : "off", v->window_ns / NSEC_PER_USEC,
		inflight_names[v->inflight]);
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Client callbacks */

static int vtd_save(struct kstate_client *client, struct kstate_writer *w)
{
	struct vtd *v = kstate_client_priv(client);
	struct vtd_record rec = { 0 };
	int rc;

	mutex_lock(&v->lock);
	if (!v->enabled) {
		mutex_unlock(&v->lock);
		return -ENODATA;
	}
	rec.magic = cpu_to_le64(VTD_MAGIC);
	rec.unit_base = cpu_to_le64(v->base);
	rec.cap = cpu_to_le64(v->cap);
	rec.ecap = cpu_to_le64(v->ecap);
	rec.root_phys = cpu_to_le64(v->root_phys);
	rec.iova_base = cpu_to_le64(VTD_IOVA_BASE);
	rec.table_pages = cpu_to_le32(VTD_TABLE_PAGES);
	rec.dma_pages = cpu_to_le32(VTD_DMA_PAGES);
	rec.tables_crc = cpu_to_le32(vtd_tables_crc(v));
	rec.segment = cpu_to_le16(v->segment);
	rec.source_id = cpu_to_le16(v->sid);
	if (READ_ONCE(v->late_armed)) {
		rec.flags = cpu_to_le32(REC_F_LATE_DMA);
		rec.late_seed = cpu_to_le64(v->late_seed);
	}
	kstate_region_persist(v->tables, 0, 0);
	mutex_unlock(&v->lock);
	rc = kstate_record_add(w, VTD_REC_STATE, KSTATE_RECORD_F_CRITICAL, &rec, sizeof(rec));
	return rc;
}

static int vtd_restore(struct kstate_client *client, struct kstate_reader *r, u32 version)
{
	struct vtd *v = kstate_client_priv(client);
	const void *data;
	u32 len;
	u16 type;
	int rc;

	mutex_lock(&v->lock);
	v->client = client;
	if (!v->pdev || v->closing) {
		kstate_client_set_message(client, "%s", v->closing ? "the module is being unloaded"
							    : "the edu device is gone");
		rc = -ENODEV;
		goto out;
	}
	if (!r) {
		rc = vtd_fresh(v, client);
		goto out;
	}
	rc = kstate_record_next(r, &type, &data, &len);
	if (rc != 1 || type != VTD_REC_STATE || len != sizeof(struct vtd_record) ||
	    le64_to_cpu(((const struct vtd_record *)data)->magic) != VTD_MAGIC)
		rc = vtd_refuse(v, client, -EUCLEAN, "saved state has no valid record");
	else
		rc = vtd_adopt(v, client, data);
out:
	mutex_unlock(&v->lock);
	return rc;
}

static void vtd_status(struct kstate_client *client)
{
	struct vtd *v = kstate_client_priv(client);
	bool on;

	mutex_lock(&v->lock);
	on = v->gsts_at_load & GSTS_TES;

	kstate_client_set_detail(client, "hw", v->base);
	kstate_client_set_detail_text(client, "translation", on, on ? "on" : "off");
	kstate_client_set_detail(client, "rtaddr", v->rtaddr_at_load);
	kstate_client_set_detail(client, "root_phys", v->root_phys);
	kstate_client_set_detail_text(client, "adopted", v->adopted, adopted_names[v->adopted]);
	kstate_client_set_detail_text(client, "translating", v->enabled,
				      v->enabled ? "yes" : "no");
	kstate_client_set_detail(client, "dma_checks", v->dma_checks);
	kstate_client_set_detail(client, "dma_failed", v->dma_failed);
	kstate_client_set_detail(client, "faults", v->faults);
	kstate_client_set_detail(client, "fault_reason", v->fault_reason);
	kstate_client_set_detail(client, "fault_addr", v->fault_addr);
	kstate_client_set_detail(client, "fault_sid", v->fault_sid);
	kstate_client_set_detail_text(client, "inflight", v->inflight,
				      inflight_names[v->inflight]);
	kstate_client_set_detail(client, "window_us", v->window_ns / NSEC_PER_USEC);
	kstate_client_set_detail(client, "enable_us", v->enable_ns / NSEC_PER_USEC);
	kstate_client_set_detail(client, "tables_crc", v->tables_crc);
	mutex_unlock(&v->lock);
}

/*
 * The final save: from now until the reboot the tables must stay exactly what was saved
 * (kstate records their CRC), so the test knobs, which change a leaf or the device's
 * buffer, are refused.  Translation stays on: the device keeps DMA-ing through them.
 */
static int vtd_freeze(struct kstate_client *client)
{
	struct vtd *v = kstate_client_priv(client);

	mutex_lock(&v->lock);
	v->frozen = true;
	mutex_unlock(&v->lock);
	return 0;
}

static void vtd_thaw(struct kstate_client *client)
{
	struct vtd *v = kstate_client_priv(client);

	mutex_lock(&v->lock);
	v->frozen = false;
	mutex_unlock(&v->lock);
}

static const struct kstate_client_ops vtd_ops = {
	.save = vtd_save,
	.restore = vtd_restore,
	.status = vtd_status,
	.freeze = vtd_freeze,
	.thaw = vtd_thaw,
};

/* ---------------------------------------------------------------------------------- */
/* Test knobs */

/*
 * Arm the late DMA: the device's buffer gets a pattern now (RAM -> device through the
 * tables), the landing page is cleared, and the dumper will send the buffer to the landing
 * page once Linux has shut the devices down.
 */
static int vtd_arm_late(struct vtd *v)
{
	u64 seed = get_random_u64();
	int rc;

	lockdep_assert_held(&v->lock);
	if (!v->pdev || v->closing)
		return -ENODEV;
	if (!v->enabled || v->frozen)
		return -EBUSY;
	vtd_pattern(seed, VTD_LATE_SRC, v->dpage[VTD_LATE_SRC]);
	memset(v->dpage[VTD_LATE_DST], 0, PAGE_SIZE);
	rc = edu_dma(v, false, VTD_LATE_SRC);
	if (rc)
		return rc;
	kstate_region_persist(v->dma, 0, 0);
	v->late_seed = seed;
	WRITE_ONCE(v->late_armed, true);
	return 0;
}

static int late_dma_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int rc = kstrtobool(val, &on);

	if (rc)
		return rc;
	mutex_lock(&vtd.lock);
	if (on)
		rc = vtd_arm_late(&vtd);
	else if (vtd.frozen)
		rc = -EBUSY;		/* the saved record says a late DMA comes */
	else
		WRITE_ONCE(vtd.late_armed, false);
	mutex_unlock(&vtd.lock);
	return rc;
}

static int late_dma_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(vtd.late_armed));
}

static const struct kernel_param_ops late_dma_ops = { .set = late_dma_set, .get = late_dma_get };
module_param_cb(late_dma, &late_dma_ops, NULL, 0600);
MODULE_PARM_DESC(late_dma, "1: start a DMA through the tables as late as possible at the next kexec (test)");

/*
 * Proof that the unit walks these tables: clear the leaf of one DMA page the device has
 * just written through (so the unit holds its translation in its IOTLB), invalidate, let
 * the device write to it again, and find the fault in the unit's fault recording registers
 * with no data moved; then put the leaf back and DMA through it again.
 */
static int vtd_fault_test(struct vtd *v, unsigned int page)
{
	u64 *leaf, old, faults = v->faults;
	unsigned int src = (page + 1) % (VTD_DMA_PAGES - 2);
	int rc, rc2;

	lockdep_assert_held(&v->lock);
	if (!v->pdev || v->closing)
		return -ENODEV;
	if (!v->enabled || v->frozen)
		return -EBUSY;
	if (page >= VTD_DMA_PAGES - 2)
		return -EINVAL;
	leaf = (u64 *)v->tpage[PG_L1] + pt_index(vtd_iova(page), 1);
	vtd_collect_faults(v);
	faults = v->faults;
	vtd_pattern(0, src, v->dpage[src]);
	rc = edu_dma(v, false, src);			/* the device's buffer: a pattern */
	if (!rc)
		rc = edu_dma(v, true, page);		/* the unit caches the translation */
	if (rc)
		return rc;
	memset(v->dpage[page], 0xa5, PAGE_SIZE);
	old = *leaf;
	WRITE_ONCE(*leaf, 0);
	vtd_flush_entry(leaf, sizeof(*leaf));
	rc = vtd_invalidate(v);
	if (!rc)
		rc = edu_dma(v, true, page);		/* write through the cleared leaf */
	WRITE_ONCE(*leaf, old);
	vtd_flush_entry(leaf, sizeof(*leaf));
	rc2 = vtd_invalidate(v);
	if (rc || rc2)
		return rc ? rc : rc2;
	vtd_collect_faults(v);
	if (v->faults == faults || v->fault_reason != FR_WRITE || v->fault_sid != v->sid ||
	    v->fault_addr != vtd_iova(page) || memchr_inv(v->dpage[page], 0xa5, EDU_DMA_LEN)) {
		pr_err("fault test on IOVA %#llx: no write fault recorded for %s, or data moved\n",
		       vtd_iova(page), pci_name(v->pdev));
		return -EIO;
	}
	pr_info("fault test: write to IOVA %#llx through a cleared leaf faulted (reason %llu, source %04llx), no data moved\n",
		vtd_iova(page), v->fault_reason, v->fault_sid);
	return vtd_dma_checks(v);
}

static int fault_test_set(const char *val, const struct kernel_param *kp)
{
	unsigned int page;
	int rc = kstrtouint(val, 0, &page);

	if (rc)
		return rc;
	mutex_lock(&vtd.lock);
	rc = vtd_fault_test(&vtd, page);
	mutex_unlock(&vtd.lock);
	return rc;
}

static const struct kernel_param_ops fault_test_ops = { .set = fault_test_set };
module_param_cb(fault_test, &fault_test_ops, NULL, 0200);
MODULE_PARM_DESC(fault_test, "N: clear the leaf of DMA page N, check the unit faults a write to it, restore it (test)");

/*
 * The late DMA.  kernel_kexec() calls kmsg_dump(KMSG_DUMP_SHUTDOWN) after
 * machine_shutdown(), so after pci_device_shutdown() took Bus Master away: give it back
 * and start the DMA, without waiting.  Interrupts are off; no locks.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static void vtd_dump(struct kmsg_dumper *dumper, struct kmsg_dump_detail *detail)
{
	enum kmsg_dump_reason reason = detail->reason;
#else
static void vtd_dump(struct kmsg_dumper *dumper, enum kmsg_dump_reason reason)
{
#endif
	struct vtd *v = container_of(dumper, struct vtd, dumper);
	u16 cmd;

	if (reason != KMSG_DUMP_SHUTDOWN || !READ_ONCE(v->late_armed) || !READ_ONCE(v->enabled))
		return;
	if (edu_busy(v))
		return;
	pci_read_config_word(v->pdev, PCI_COMMAND, &cmd);
	pci_write_config_word(v->pdev, PCI_COMMAND, cmd | PCI_COMMAND_MASTER);
	edu_start(v, true, vtd_iova(VTD_LATE_DST));
}

/* ---------------------------------------------------------------------------------- */
/* Discovery */

/* Does this DRHD's device scope name @pdev?  Only devices on the segment's root bus. */
static bool drhd_covers(struct acpi_dmar_hardware_unit *drhd, struct pci_dev *pdev)
{
	void *p = drhd + 1, *end = (void *)drhd + drhd->header.length;

	if (drhd->segment != pci_domain_nr(pdev->bus))
		return false;
	if (drhd->flags & ACPI_DMAR_INCLUDE_ALL)
		return true;
	while (p + sizeof(struct acpi_dmar_device_scope) <= end) {
		struct acpi_dmar_device_scope *s = p;
		struct acpi_dmar_pci_path *path = (void *)(s + 1);

		if (s->length < sizeof(*s) || p + s->length > end)
			break;
		if ((s->entry_type == ACPI_DMAR_SCOPE_TYPE_ENDPOINT ||
		     s->entry_type == ACPI_DMAR_SCOPE_TYPE_BRIDGE) &&
		    s->length == sizeof(*s) + sizeof(*path) && s->bus == pdev->bus->number &&
		    PCI_DEVFN(path->device, path->function) == pdev->devfn)
			return true;
		p += s->length;
	}
	return false;
}

/* Find the remapping unit that covers @pdev in the DMAR table. */
static int vtd_find_unit(struct vtd *v, struct pci_dev *pdev)
{
	struct acpi_table_header *hdr;
	struct acpi_table_dmar *dmar;
	void *p, *end;
	int rc = -ENODEV;

	if (ACPI_FAILURE(acpi_get_table(ACPI_SIG_DMAR, 0, &hdr)))
		return -ENODEV;
	dmar = (struct acpi_table_dmar *)hdr;
	p = dmar + 1;
	end = (void *)hdr + hdr->length;
	while (p + sizeof(struct acpi_dmar_header) <= end) {
		struct acpi_dmar_header *h = p;

		if (h->length < sizeof(*h) || p + h->length > end)
			break;
		if (h->type == ACPI_DMAR_TYPE_HARDWARE_UNIT &&
		    h->length >= sizeof(struct acpi_dmar_hardware_unit) &&
		    drhd_covers(p, pdev)) {
			struct acpi_dmar_hardware_unit *drhd = p;

			v->base = drhd->address;
			v->segment = drhd->segment;
			rc = 0;
			break;
		}
		p += h->length;
	}
	acpi_put_table(hdr);
	return rc;
}

static int vtd_map_unit(struct vtd *v)
{
	if (!request_mem_region(v->base, DMAR_REG_SPAN, "kstate_vtd")) {
		pr_err("the VT-d unit at %#llx is in use (by the kernel's VT-d driver?): boot with intel_iommu=off\n",
		       v->base);
		return -EBUSY;
	}
	v->regs = ioremap(v->base, DMAR_REG_SPAN);
	if (!v->regs) {
		release_mem_region(v->base, DMAR_REG_SPAN);
		return -ENOMEM;
	}
	v->cap = readq(v->regs + DMAR_CAP);
	v->ecap = readq(v->regs + DMAR_ECAP);
	if (!(v->cap & CAP_SAGAW_48) || CAP_MGAW(v->cap) < 41 || !(v->ecap & ECAP_PT) ||
	    CAP_FRO(v->cap) + CAP_NFR(v->cap) * 16 > DMAR_REG_SPAN ||
	    ECAP_IRO(v->ecap) + 16 > DMAR_REG_SPAN) {
		pr_err("the VT-d unit at %#llx (cap %#llx ecap %#llx) lacks 4-level tables, pass-through or its registers are out of reach\n",
		       v->base, v->cap, v->ecap);
		iounmap(v->regs);
		release_mem_region(v->base, DMAR_REG_SPAN);
		return -ENODEV;
	}
	return 0;
}

static void vtd_unmap_unit(struct vtd *v)
{
	iounmap(v->regs);
	v->regs = NULL;
	release_mem_region(v->base, DMAR_REG_SPAN);
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vtd *v = &vtd;
	int rc;

	if (v->pdev)
		return -EBUSY;		/* one device per unit is all this client drives */
	rc = pci_enable_device_mem(pdev);
	if (rc)
		return rc;
	rc = pci_request_region(pdev, 0, "kstate_vtd");
	if (rc)
		goto out_disable;
	v->bar = pci_iomap(pdev, 0, 0);
	if (!v->bar) {
		rc = -ENOMEM;
		goto out_release;
	}
	if (readl(v->bar + EDU_ID) != EDU_ID_VALUE) {
		dev_err(&pdev->dev, "not an edu device (id %#x)\n", readl(v->bar + EDU_ID));
		rc = -ENODEV;
		goto out_unmap;
	}
	v->pdev = pdev;
	v->sid = PCI_DEVID(pdev->bus->number, pdev->devfn);
	return 0;
out_unmap:
	pci_iounmap(pdev, v->bar);
	v->bar = NULL;
out_release:
	pci_release_region(pdev, 0);
out_disable:
	pci_disable_device(pdev);
	return rc;
}

static void edu_remove(struct pci_dev *pdev)
{
	if (vtd.pdev != pdev)
		return;
	/*
	 * Only a hot unplug or the module's own exit gets here (no unbind through sysfs):
	 * stop the dumper's DMA and translation before the device's mapping goes.
	 */
	WRITE_ONCE(vtd.late_armed, false);
	mutex_lock(&vtd.lock);
	if (vtd.regs)
		vtd_disable(&vtd);
	mutex_unlock(&vtd.lock);
	pci_iounmap(pdev, vtd.bar);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
	vtd.bar = NULL;
	vtd.pdev = NULL;
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = "kstate_vtd",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
	.driver.suppress_bind_attrs = true,
};

static int __init vtd_init(void)
{
	struct vtd *v = &vtd;
	int rc;

	rc = pci_register_driver(&edu_driver);
	if (rc)
		return rc;
	if (!v->pdev) {
		pr_err("no edu device (%04x:%04x) to drive\n", EDU_VENDOR, EDU_DEVICE);
		rc = -ENODEV;
		goto out_driver;
	}
	rc = vtd_find_unit(v, v->pdev);
	if (rc) {
		pr_err("no DMA remapping unit in the ACPI DMAR table covers %s\n", pci_name(v->pdev));
		goto out_driver;
	}
	rc = vtd_map_unit(v);
	if (rc)
		goto out_driver;
	mutex_lock(&v->lock);
	v->gsts_at_load = readl(v->regs + DMAR_GSTS);
	v->rtaddr_at_load = readq(v->regs + DMAR_RTADDR);
	/*
	 * A root is latched but translation is off: the previous kernel's tables, which
	 * this kernel switched off at boot.  Until they are checked the device must not
	 * DMA untranslated: take Bus Master away now, not when the store is bound.
	 */
	if (!(v->gsts_at_load & GSTS_TES) && v->rtaddr_at_load) {
		vtd_block_device(v);
		v->blocked_ns = local_clock();
	}
	vtd_clear_stale_faults(v);
	mutex_unlock(&v->lock);
	pr_info("unit at %#llx: translation %s, RTADDR %#llx; device %s (source id %04x)%s\n",
		v->base, v->gsts_at_load & GSTS_TES ? "on" : "off", v->rtaddr_at_load,
		pci_name(v->pdev), v->sid, v->blocked_ns ? ", blocked until adopted" : "");
	v->dumper.dump = vtd_dump;
	v->dumper.max_reason = KMSG_DUMP_SHUTDOWN;
	rc = kmsg_dump_register(&v->dumper);
	if (rc)
		goto out_unit;
	v->client = kstate_client_register(VTD_NAME, VTD_VERSION, &vtd_ops, v);
	rc = PTR_ERR_OR_ZERO(v->client);
	if (rc)
		goto out_dumper;
	return 0;
out_dumper:
	kmsg_dump_unregister(&v->dumper);
out_unit:
	vtd_unmap_unit(v);
out_driver:
	pci_unregister_driver(&edu_driver);
	return rc;
}

static void __exit vtd_exit(void)
{
	struct vtd *v = &vtd;

	kmsg_dump_unregister(&v->dumper);
	/*
	 * The regions close with the client: nothing may walk them after that.  A restore
	 * that runs before the client is gone (a store bound meanwhile) adopts nothing.
	 */
	mutex_lock(&v->lock);
	v->closing = true;
	if (v->pdev)
		vtd_disable(v);
	mutex_unlock(&v->lock);
	kstate_client_unregister(v->client);
	vtd_unmap_unit(v);
	pci_unregister_driver(&edu_driver);
}

module_init(vtd_init);
module_exit(vtd_exit);
MODULE_DESCRIPTION("kstate client: VT-d tables in place across kexec and firmware reboots, a device DMA-ing through them");
MODULE_AUTHOR("The kstate authors");
MODULE_LICENSE("GPL");
