// SPDX-License-Identifier: GPL-2.0-only
/*
 * kstate_iommu_demo: an IOMMU page table that lives in persistent memory in place.
 *
 * The table has the shape of an Intel VT-d second-level table: four levels of 4 KiB
 * pages of 512 eight-byte entries, each holding the physical address of the next
 * level (or of the target page) with read/write bits.  All of it is inside one kstate
 * region, so its pages have the same physical addresses after kexec or a firmware
 * reboot: a real IOMMU could keep translating through it while the kernel is replaced.
 *
 * Save records only the root's physical address, the seed, the number of mappings and
 * a checksum.  Restore re-attaches the table where it is (no rebuild, no copy), then
 * walks it in software as the hardware would, following physical addresses, and checks
 * every mapping against the seed.
 *
 * At run time the table changes, as a device's mappings do: writing a count to
 * /sys/module/kstate_iommu_demo/parameters/live_mappings maps or unmaps IOVAs until
 * that many are mapped.  Between the save that precedes a reboot (->freeze()) and the
 * reboot, or ->thaw() when the reboot does not happen, such a change is refused with
 * -EBUSY: the saved record and the frozen region must still describe the table the
 * next kernel re-attaches.
 *
 * Copyright (c) 2026 The kstate authors
 */
#define pr_fmt(fmt) "kstate_iommu_demo: " fmt

#include <linux/crc32c.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <kstate/client.h>

#define DEMO_NAME		"iommu-demo"
#define DEMO_REGION		"iommu-demo-pt"
#define DEMO_VERSION		1
#define DEMO_REC_TABLE		1
#define DEMO_MAGIC		0x4b534d4d554f4931ULL	/* "1IOUMMSK" */

#define PTE_R			BIT_ULL(0)
#define PTE_W			BIT_ULL(1)
#define PTE_ADDR_MASK		GENMASK_ULL(51, 12)
#define PT_ENTRIES		512
#define TARGET_PFN_MASK		GENMASK_ULL(27, 0)	/* targets below 1 TiB */

static unsigned int mappings = 65536;
module_param(mappings, uint, 0444);
MODULE_PARM_DESC(mappings, "IOVA mappings to build on a fresh start (default 65536)");

/* What the saved record holds, little-endian. */
struct demo_record {
	__le64 magic;
	__le64 root_phys;
	__le64 seed;
	__le64 window_pages;	/* IOVAs are page numbers below this power of two */
	__le64 region_pages;
	__le32 mappings;
	__le32 checksum;	/* CRC32C of every table page */
};

/*
 * @lock orders the run-time changes against save, restore, freeze and thaw (which the
 * core calls with its own lock held, taken before this one).
 */
struct demo {
	struct kstate_client *client;
	struct mutex lock;
	struct kstate_region *region;	/* NULL until restored or built, or after a refusal */
	bool frozen;
	u64 seed;
	u64 window;
	u32 mappings;
	u32 checksum;
	unsigned long next_page;	/* bump allocator inside the region */
	u64 root_phys;
	u64 verified;
	u64 reattach_ns;
	u64 verify_ns;
	u64 restore_ns;			/* the whole ->restore(): re-attach and every check */
	u64 build_ns;
	u64 changes;			/* run-time map/unmap operations */
	u64 refused;			/* run-time changes refused while frozen */
};

static struct demo demo;

/* The i-th mapping: an odd multiplier makes the IOVA pages distinct within the window. */
static u64 demo_iova(const struct demo *d, u64 i)
{
	return ((i * 0x9e3779b97f4a7c15ULL + d->seed) & (d->window - 1)) << PAGE_SHIFT;
}

static u64 demo_pte(const struct demo *d, u64 i)
{
	u64 x = (d->seed ^ i) * 0xbf58476d1ce4e5b9ULL;

	x ^= x >> 31;
	return ((x & TARGET_PFN_MASK) << PAGE_SHIFT) | PTE_R | PTE_W;
}

static unsigned long table_pages(u64 window)
{
	unsigned long l1 = window / PT_ENTRIES;
	unsigned long l2 = DIV_ROUND_UP(l1, PT_ENTRIES);
	unsigned long l3 = DIV_ROUND_UP(l2, PT_ENTRIES);

	return 1 + l3 + l2 + l1;
}

static unsigned int level_index(u64 iova, int level)
{
	return (iova >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

static int demo_map(struct demo *d, u64 iova, u64 pte)
{
	u64 *table = kstate_region_page_addr(d->region, 0);
	int level;

	for (level = 4; level > 1; level--) {
		u64 *e = &table[level_index(iova, level)];

		if (!*e) {
			if (d->next_page >= kstate_region_pages(d->region))
				return -ENOSPC;
			*e = kstate_region_page_phys(d->region, d->next_page++) | PTE_R | PTE_W;
		}
		table = kstate_region_phys_to_virt(d->region, *e & PTE_ADDR_MASK);
		if (!table)
			return -EFAULT;
	}
	table[level_index(iova, 1)] = pte;
	return 0;
}

/* Clear the leaf of @iova; intermediate tables stay, as an IOMMU driver leaves them. */
static int demo_unmap(struct demo *d, u64 iova)
{
	u64 *table = kstate_region_page_addr(d->region, 0);
	int level;

	for (level = 4; level > 1; level--) {
		u64 e = table[level_index(iova, level)];

		if (!(e & PTE_R))
			return -ENOENT;
		table = kstate_region_phys_to_virt(d->region, e & PTE_ADDR_MASK);
		if (!table)
			return -EFAULT;
	}
	WRITE_ONCE(table[level_index(iova, 1)], 0);
	return 0;
}

/* Translate like the IOMMU: follow physical addresses from the root, trust none. */
static u64 demo_walk(const struct demo *d, u64 root_phys, u64 iova)
{
	u64 addr = root_phys;
	int level;

	for (level = 4; level >= 1; level--) {
		u64 *table = kstate_region_phys_to_virt(d->region, addr & PTE_ADDR_MASK);
		u64 e;

		if (!table)
			return 0;
		e = READ_ONCE(table[level_index(iova, level)]);
		if (!(e & PTE_R))
			return 0;
		if (level == 1)
			return e;
		addr = e;
	}
	return 0;
}

static u32 demo_checksum(const struct demo *d)
{
	unsigned long i, n = kstate_region_pages(d->region);
	u32 crc = ~0U;

	for (i = 0; i < n; i++) {
		crc = crc32c(crc, kstate_region_page_addr(d->region, i), PAGE_SIZE);
		if (!(i & 255))
			cond_resched();
	}
	return ~crc;
}

/*
 * The bump allocator's mark after a restore: pages are allocated from 1 up as tables
 * are first needed and never freed, so it is 1 + the tables the root leads to.
 */
static int demo_count_tables(struct demo *d)
{
	unsigned long tables = 0;
	u64 *l4 = kstate_region_page_addr(d->region, 0);
	int i, j, k;

	for (i = 0; i < PT_ENTRIES; i++) {
		u64 *l3;

		if (!l4[i])
			continue;
		tables++;
		l3 = kstate_region_phys_to_virt(d->region, l4[i] & PTE_ADDR_MASK);
		for (j = 0; l3 && j < PT_ENTRIES; j++) {
			u64 *l2;

			if (!l3[j])
				continue;
			tables++;
			l2 = kstate_region_phys_to_virt(d->region, l3[j] & PTE_ADDR_MASK);
			for (k = 0; l2 && k < PT_ENTRIES; k++)
				tables += !!l2[k];
		}
		cond_resched();
	}
	if (tables >= kstate_region_pages(d->region))
		return -EUCLEAN;
	d->next_page = 1 + tables;
	return 0;
}

static int demo_build(struct demo *d)
{
	u64 start = ktime_get_ns();
	unsigned long i;
	int rc;

	for (i = 0; i < kstate_region_pages(d->region); i++) {
		memset(kstate_region_page_addr(d->region, i), 0, PAGE_SIZE);
		if (!(i & 255))
			cond_resched();
	}
	d->next_page = 1;
	d->root_phys = kstate_region_page_phys(d->region, 0);
	for (i = 0; i < d->mappings; i++) {
		rc = demo_map(d, demo_iova(d, i), demo_pte(d, i));
		if (rc)
			return rc;
		if (!(i & 4095))
			cond_resched();
	}
	d->checksum = demo_checksum(d);
	kstate_region_persist(d->region, 0, 0);
	d->build_ns = ktime_get_ns() - start;
	return 0;
}

static int demo_verify(struct demo *d)
{
	u64 start = ktime_get_ns(), i;

	d->verified = 0;
	for (i = 0; i < d->mappings; i++) {
		if (demo_walk(d, d->root_phys, demo_iova(d, i)) != demo_pte(d, i))
			break;
		d->verified++;
		if (!(i & 4095))
			cond_resched();
	}
	d->verify_ns = ktime_get_ns() - start;
	if (d->verified != d->mappings)
		return -EUCLEAN;
	/* Unmapped means unmapped: the next IOVA of the sequence must not translate. */
	if (d->mappings < d->window && demo_walk(d, d->root_phys, demo_iova(d, d->mappings)))
		return -EUCLEAN;
	return 0;
}

static int demo_save(struct kstate_client *client, struct kstate_writer *w)
{
	struct demo *d = kstate_client_priv(client);
	struct demo_record rec;
	int rc;

	mutex_lock(&d->lock);
	if (!d->region) {
		mutex_unlock(&d->lock);
		return -ENODEV;
	}
	/* The table as it is now: a checkpoint may follow run-time changes. */
	d->checksum = demo_checksum(d);
	rec = (struct demo_record) {
		.magic = cpu_to_le64(DEMO_MAGIC),
		.root_phys = cpu_to_le64(d->root_phys),
		.seed = cpu_to_le64(d->seed),
		.window_pages = cpu_to_le64(d->window),
		.region_pages = cpu_to_le64(kstate_region_pages(d->region)),
		.mappings = cpu_to_le32(d->mappings),
		.checksum = cpu_to_le32(d->checksum),
	};
	rc = kstate_record_add(w, DEMO_REC_TABLE, KSTATE_RECORD_F_CRITICAL, &rec, sizeof(rec));
	mutex_unlock(&d->lock);
	return rc;
}

static int demo_freeze(struct kstate_client *client)
{
	struct demo *d = kstate_client_priv(client);

	mutex_lock(&d->lock);
	d->frozen = true;
	mutex_unlock(&d->lock);
	return 0;
}

static void demo_thaw(struct kstate_client *client)
{
	struct demo *d = kstate_client_priv(client);

	mutex_lock(&d->lock);
	d->frozen = false;
	mutex_unlock(&d->lock);
}

/* live_mappings: map or unmap at run time until @want IOVAs are mapped. */
static int demo_set_live(struct demo *d, u32 want)
{
	int rc = 0;

	mutex_lock(&d->lock);
	if (!d->region) {
		rc = -ENODEV;
	} else if (d->frozen) {
		d->refused++;
		rc = -EBUSY;
	} else if (!want || want > d->window) {
		rc = -ERANGE;
	}
	while (!rc && d->mappings < want) {
		rc = demo_map(d, demo_iova(d, d->mappings), demo_pte(d, d->mappings));
		if (!rc && !(++d->mappings & 4095))
			cond_resched();
	}
	while (!rc && d->mappings > want) {
		rc = demo_unmap(d, demo_iova(d, d->mappings - 1));
		if (!rc && !(--d->mappings & 4095))
			cond_resched();
	}
	if (!rc) {
		d->changes++;
		d->verified = d->mappings;
		kstate_region_persist(d->region, 0, 0);
	}
	mutex_unlock(&d->lock);
	if (rc == -EBUSY)
		pr_info("live_mappings=%u refused: frozen for the coming reboot\n", want);
	return rc;
}

static int live_set(const char *val, const struct kernel_param *kp)
{
	u32 want;
	int rc = kstrtou32(val, 0, &want);

	return rc ? rc : demo_set_live(&demo, want);
}

static int live_get(char *buf, const struct kernel_param *kp)
{
	u32 n;

	mutex_lock(&demo.lock);
	n = demo.mappings;
	mutex_unlock(&demo.lock);
	return sysfs_emit(buf, "%u\n", n);
}

static const struct kernel_param_ops live_ops = {
	.set = live_set,
	.get = live_get,
};
module_param_cb(live_mappings, &live_ops, NULL, 0644);
MODULE_PARM_DESC(live_mappings, "IOVAs mapped now; write a count to map or unmap at run time");

static int demo_fresh(struct kstate_client *client, struct demo *d)
{
	struct kstate_region *region;
	unsigned long pages;
	int rc;

	d->mappings = mappings;
	d->window = roundup_pow_of_two(max_t(u64, (u64)mappings * 4, PT_ENTRIES));
	d->seed = get_random_u64();
	pages = table_pages(d->window);
	rc = kstate_region_open(client, DEMO_REGION, pages, &region);
	if (rc == -EUCLEAN) {
		/* Left by a state the operator gave up, with another size: start over. */
		rc = kstate_region_remove(client, DEMO_REGION);
		if (!rc)
			rc = kstate_region_open(client, DEMO_REGION, pages, &region);
	}
	if (rc) {
		kstate_client_set_message(client, "cannot create region %s (%d)", DEMO_REGION,
					  rc);
		return rc;
	}
	mutex_lock(&d->lock);
	d->region = region;
	rc = demo_build(d);
	if (rc)
		d->region = NULL;
	d->verified = rc ? 0 : d->mappings;
	mutex_unlock(&d->lock);
	if (rc) {
		kstate_region_close(region);
		return rc;
	}
	kstate_client_set_message(client, "built %u mappings in %lu table pages", d->mappings,
				  d->next_page);
	return 0;
}

static int demo_restore(struct kstate_client *client, struct kstate_reader *r, u32 version)
{
	struct demo *d = kstate_client_priv(client);
	struct demo t = { 0 };
	struct demo_record rec;
	struct kstate_region *region;
	const void *data;
	u64 start = ktime_get_ns();
	u32 len;
	u16 type;
	int rc;

	if (!r)
		return demo_fresh(client, d);
	rc = kstate_record_next(r, &type, &data, &len);
	if (rc != 1 || type != DEMO_REC_TABLE || len != sizeof(rec)) {
		kstate_client_set_message(client, "saved state has no table record");
		return -EUCLEAN;
	}
	memcpy(&rec, data, sizeof(rec));
	if (le64_to_cpu(rec.magic) != DEMO_MAGIC || !is_power_of_2(le64_to_cpu(rec.window_pages)) ||
	    le64_to_cpu(rec.window_pages) < le32_to_cpu(rec.mappings) ||
	    le64_to_cpu(rec.region_pages) != table_pages(le64_to_cpu(rec.window_pages))) {
		kstate_client_set_message(client, "saved table record is inconsistent");
		return -EUCLEAN;
	}
	rc = kstate_region_open(client, DEMO_REGION, le64_to_cpu(rec.region_pages), &region);
	if (rc) {
		kstate_client_set_message(client, "cannot open region %s (%d)", DEMO_REGION, rc);
		return rc;
	}
	if (kstate_region_page_phys(region, 0) != le64_to_cpu(rec.root_phys)) {
		kstate_client_set_message(client, "table root moved from %#llx to %#llx",
					  le64_to_cpu(rec.root_phys),
					  (u64)kstate_region_page_phys(region, 0));
		kstate_region_close(region);
		return -EUCLEAN;
	}
	/*
	 * Re-attached: the root is where the device would still point.  Now check it, on
	 * the side: nothing of a refused table is applied.
	 */
	t.region = region;
	t.root_phys = le64_to_cpu(rec.root_phys);
	t.seed = le64_to_cpu(rec.seed);
	t.window = le64_to_cpu(rec.window_pages);
	t.mappings = le32_to_cpu(rec.mappings);
	t.reattach_ns = ktime_get_ns() - start;
	t.checksum = demo_checksum(&t);
	if (t.checksum != le32_to_cpu(rec.checksum)) {
		kstate_client_set_message(client, "table checksum %08x, saved %08x",
					  t.checksum, le32_to_cpu(rec.checksum));
		rc = -EBADMSG;
	} else {
		rc = demo_verify(&t);
		if (rc && t.verified < t.mappings)
			kstate_client_set_message(client, "mapping %llu of %u does not translate",
						  t.verified, t.mappings);
		else if (rc)
			kstate_client_set_message(client, "IOVA %u translates but is not mapped",
						  t.mappings);
	}
	if (!rc)
		rc = demo_count_tables(&t);
	if (rc) {
		kstate_region_close(region);
		return rc;
	}
	mutex_lock(&d->lock);
	d->region = region;
	d->root_phys = t.root_phys;
	d->seed = t.seed;
	d->window = t.window;
	d->mappings = t.mappings;
	d->checksum = t.checksum;
	d->next_page = t.next_page;
	d->verified = t.verified;
	d->reattach_ns = t.reattach_ns;
	d->verify_ns = t.verify_ns;
	d->restore_ns = ktime_get_ns() - start;
	mutex_unlock(&d->lock);
	kstate_client_set_message(client, "re-attached table at %#llx, %u mappings verified",
				  d->root_phys, d->mappings);
	return 0;
}

static void demo_status(struct kstate_client *client)
{
	struct demo *d = kstate_client_priv(client);

	mutex_lock(&d->lock);
	kstate_client_set_detail(client, "mappings", d->mappings);
	kstate_client_set_detail(client, "verified", d->verified);
	kstate_client_set_detail(client, "root_phys", d->root_phys);
	kstate_client_set_detail(client, "reattach_ns", d->reattach_ns);
	kstate_client_set_detail(client, "verify_ns", d->verify_ns);
	kstate_client_set_detail(client, "restore_ns", d->restore_ns);
	kstate_client_set_detail(client, "build_ns", d->build_ns);
	kstate_client_set_detail(client, "table_pages",
				 d->region ? kstate_region_pages(d->region) : 0);
	kstate_client_set_detail(client, "frozen", d->frozen);
	kstate_client_set_detail(client, "changes", d->changes);
	kstate_client_set_detail(client, "refused", d->refused);
	mutex_unlock(&d->lock);
}

static const struct kstate_client_ops demo_ops = {
	.save = demo_save,
	.restore = demo_restore,
	.status = demo_status,
	.freeze = demo_freeze,
	.thaw = demo_thaw,
};

static int __init demo_init(void)
{
	if (!mappings)
		return -EINVAL;
	mutex_init(&demo.lock);
	demo.client = kstate_client_register(DEMO_NAME, DEMO_VERSION, &demo_ops, &demo);
	return PTR_ERR_OR_ZERO(demo.client);
}

static void __exit demo_exit(void)
{
	/* live_mappings may still be written until the module is gone: stop it first. */
	mutex_lock(&demo.lock);
	demo.region = NULL;
	mutex_unlock(&demo.lock);
	kstate_client_unregister(demo.client);
}

module_init(demo_init);
module_exit(demo_exit);
MODULE_DESCRIPTION("kstate demo: an IOMMU page table kept in place across reboots");
MODULE_AUTHOR("The kstate authors");
MODULE_LICENSE("GPL");
