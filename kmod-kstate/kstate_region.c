// SPDX-License-Identifier: GPL-2.0-only
/*
 * Persistent regions: files of whole pages on the DAX filesystem of the bound store,
 * used in place through the kernel's direct map of the persistent memory.
 *
 * A file on fsdax is persistent memory that does not move: its blocks are pages of the
 * pmem device, so a page table built inside it keeps its physical addresses across
 * kexec and firmware reboots.  Each page is resolved with bmap() to a block of the
 * device and with dax_direct_access() to its kernel address and pfn (the method is
 * written down in the lab notes).  Every block is written when the file is created,
 * because bmap() reports nothing for the unwritten extents fallocate() would leave.
 * The file is marked immutable so nothing truncates, moves or reflinks it while the
 * device may point into it; the flag stays on disk, protecting it across the reboot.
 *
 * Copyright (c) 2026 The kstate authors
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <linux/dax.h>
#include <linux/fileattr.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pfn_t.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include "kstate_internal.h"

/* 64 GiB: the arrays describing a region stay a few hundred MiB at most. */
#define KSTATE_REGION_MAX_PAGES	((64UL << 30) >> PAGE_SHIFT)

struct region_page {
	phys_addr_t phys;
	void *kaddr;
};

struct kstate_region {
	struct list_head node;
	struct kstate_client *client;
	char name[KSTATE_NAME_LEN];
	struct file *file;
	struct dax_device *dax;
	unsigned long pages;
	void **kaddr;
	phys_addr_t *phys;
	struct region_page *by_phys;	/* pages sorted by physical address */
	bool is_new;
};

static int set_immutable(struct file *f, bool on)
{
	struct dentry *d = f->f_path.dentry;
	struct fileattr fa = { 0 };
	int rc;

	rc = vfs_fileattr_get(d, &fa);
	if (rc)
		return rc;
	if (!!(fa.flags & FS_IMMUTABLE_FL) == on)
		return 0;
	rc = kstate_fault("region_immutable", -EIO);
	if (rc)
		return rc;
	rc = mnt_want_write(f->f_path.mnt);
	if (rc)
		return rc;
	fileattr_fill_flags(&fa, on ? fa.flags | FS_IMMUTABLE_FL : fa.flags & ~FS_IMMUTABLE_FL);
	rc = vfs_fileattr_set(mnt_user_ns(f->f_path.mnt), d, &fa);
	mnt_drop_write(f->f_path.mnt);
	return rc;
}

/* Write every block so that bmap() can resolve it. */
static int fill_zeros(struct file *f, unsigned long pages)
{
	void *zero = (void *)get_zeroed_page(GFP_KERNEL);
	loff_t pos = 0;
	unsigned long i;
	int rc = 0;

	if (!zero)
		return -ENOMEM;
	for (i = 0; i < pages && !rc; i++) {
		ssize_t n = kstate_fault("region_zero", -EIO);

		if (!n)
			n = kernel_write(f, zero, PAGE_SIZE, &pos);

		if (n != PAGE_SIZE)
			rc = n < 0 ? n : -EIO;
		cond_resched();
	}
	free_page((unsigned long)zero);
	return rc ? rc : vfs_fsync(f, 0);
}

static int resolve_pages(struct kstate_region *r)
{
	struct inode *inode = file_inode(r->file);
	u64 start_off = 0;
	unsigned long i;
	int id, rc = 0;

	rc = kstate_fault("region_dax", -EIO);
	if (rc)
		return rc;
	r->dax = fs_dax_get_by_bdev(inode->i_sb->s_bdev, &start_off, NULL, NULL);
	if (!r->dax)
		return -EOPNOTSUPP;
	atomic_inc(&kstate_dax_refs);
	id = dax_read_lock();
	for (i = 0; i < r->pages; i++) {
		sector_t block = i;
		pfn_t pfn;
		long n;

		rc = kstate_fault("region_bmap", -EIO);
		if (!rc)
			rc = bmap(inode, &block);
		if (!rc && !block)
			rc = -ENODATA;	/* a hole or an unwritten extent */
		if (rc)
			break;
		n = kstate_fault("region_dax", -EIO);
		if (!n)
			n = dax_direct_access(r->dax, (start_off >> PAGE_SHIFT) + block, 1,
					      DAX_ACCESS, &r->kaddr[i], &pfn);
		if (n < 1) {
			rc = n < 0 ? n : -EIO;
			break;
		}
		r->phys[i] = pfn_t_to_phys(pfn);
	}
	dax_read_unlock(id);
	return rc;
}

static int cmp_phys(const void *a, const void *b)
{
	phys_addr_t pa = ((const struct region_page *)a)->phys;
	phys_addr_t pb = ((const struct region_page *)b)->phys;

	return pa < pb ? -1 : pa > pb;
}

static void region_free(struct kstate_region *r)
{
	if (r->dax) {
		fs_put_dax(r->dax, NULL);
		atomic_dec(&kstate_dax_refs);
	}
	if (r->file)
		kstate_store_close(r->file);
	kstate_buf_free(r->kaddr);
	kstate_buf_free(r->phys);
	kstate_buf_free(r->by_phys);
	kfree(r);
	atomic_dec(&kstate_regions);
}

/**
 * kstate_region_open - open or create a persistent region of the bound store
 * @client: the owning client
 * @name: region name (format name rules); the file is "<name>.region"
 * @pages: size in pages; an existing region must have exactly this size
 * @out: the region
 *
 * The store must be on a DAX filesystem with page-sized blocks.  Call it from the
 * client's ->restore() or ->save() callbacks, which run with the store bound and the
 * module's lock held.  A new region reads as zeros.  Regions still open when the
 * client unregisters are closed then.
 *
 * Return: 0, -ENXIO when no store is bound, -EOPNOTSUPP when the store is not on DAX,
 * -EUCLEAN when an existing region has another size, or another negative errno.
 */
int kstate_region_open(struct kstate_client *client, const char *name,
		       unsigned long pages, struct kstate_region **out)
{
	char fname[KSTATE_FILENAME_MAX];
	struct kstate_region *r;
	struct inode *inode;
	unsigned long i;
	int rc;

	lockdep_assert_held(&kstate_mutex);
	if (!kstate_name_valid(name) || !pages || pages > KSTATE_REGION_MAX_PAGES)
		return -EINVAL;
	if (!kstate_store.bound)
		return -ENXIO;
	kstate_region_filename(fname, sizeof(fname), name);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	atomic_inc(&kstate_regions);
	r->client = client;
	r->pages = pages;
	strscpy(r->name, name, sizeof(r->name));
	r->kaddr = kstate_buf_alloc(pages, sizeof(*r->kaddr), "region_alloc");
	r->phys = kstate_buf_alloc(pages, sizeof(*r->phys), "region_alloc");
	r->by_phys = kstate_buf_alloc(pages, sizeof(*r->by_phys), "region_alloc");
	if (!r->kaddr || !r->phys || !r->by_phys) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = kstate_fault("region_open", -EIO);
	if (rc) {
		pr_err("%s: region %s: cannot open %s (%d)\n", client->name, name, fname, rc);
		goto fail;
	}
	r->file = kstate_store_open(fname, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (IS_ERR(r->file) && PTR_ERR(r->file) == -EEXIST)
		r->file = kstate_store_open(fname, O_RDONLY, 0);
	else if (!IS_ERR(r->file))
		r->is_new = true;
	if (IS_ERR(r->file)) {
		rc = PTR_ERR(r->file);
		r->file = NULL;
		pr_err("%s: region %s: cannot open %s (%d)\n", client->name, name, fname, rc);
		goto fail;
	}
	inode = file_inode(r->file);
	rc = kstate_store_check_file(r->file, fname);
	if (rc) {
		pr_err("%s: region %s: %s is not a plain file of root's, refused\n",
		       client->name, name, fname);
		goto fail;
	}
	if (!IS_DAX(inode) || inode->i_blkbits != PAGE_SHIFT) {
		rc = -EOPNOTSUPP;
		pr_err("%s: region %s: the store is not on a DAX filesystem with %lu-byte blocks (mount it with -o dax=always)\n",
		       client->name, name, PAGE_SIZE);
		goto fail;
	}
	if (r->is_new) {
		rc = fill_zeros(r->file, pages);
	} else if (i_size_read(inode) != (loff_t)pages << PAGE_SHIFT) {
		rc = -EUCLEAN;
		pr_err("%s: region %s: %lld bytes on disk, %lu pages expected\n", client->name,
		       name, i_size_read(inode), pages);
	}
	if (!rc)
		rc = resolve_pages(r);
	if (!rc)
		rc = set_immutable(r->file, true);
	if (rc) {
		pr_err("%s: region %s: cannot map its pages (%d)\n", client->name, name, rc);
		goto fail;
	}
	for (i = 0; i < pages; i++) {
		r->by_phys[i].phys = r->phys[i];
		r->by_phys[i].kaddr = r->kaddr[i];
	}
	sort(r->by_phys, pages, sizeof(*r->by_phys), cmp_phys, NULL);
	list_add_tail(&r->node, &client->regions);
	*out = r;
	return 0;
fail:
	if (r->is_new && r->file) {
		kstate_store_close(r->file);
		r->file = NULL;
		kstate_store_unlink(fname);
	}
	region_free(r);
	return rc;
}
EXPORT_SYMBOL_GPL(kstate_region_open);

/**
 * kstate_region_close - stop using a region; its file and contents stay
 * @region: the region, or NULL
 */
void kstate_region_close(struct kstate_region *region)
{
	if (!region)
		return;
	list_del(&region->node);
	region_free(region);
}
EXPORT_SYMBOL_GPL(kstate_region_close);

/**
 * kstate_region_remove - delete a region's file from the bound store
 * @client: the client that owns it
 * @name: region name; the region must not be open
 *
 * Return: 0 or a negative errno.
 */
int kstate_region_remove(struct kstate_client *client, const char *name)
{
	char fname[KSTATE_FILENAME_MAX];
	struct kstate_region *r;
	struct file *f;
	int rc;

	if (!kstate_name_valid(name))
		return -EINVAL;
	list_for_each_entry(r, &client->regions, node)
		if (!strcmp(r->name, name))
			return -EBUSY;
	kstate_region_filename(fname, sizeof(fname), name);
	f = kstate_store_open(fname, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	rc = set_immutable(f, false);
	kstate_store_close(f);
	return rc ? rc : kstate_store_unlink(fname);
}
EXPORT_SYMBOL_GPL(kstate_region_remove);

/**
 * kstate_region_is_new - whether the region was created by this open (reads as zeros)
 * @region: the region
 *
 * Return: true for a new region, false for one that existed.
 */
bool kstate_region_is_new(const struct kstate_region *region)
{
	return region->is_new;
}
EXPORT_SYMBOL_GPL(kstate_region_is_new);

/**
 * kstate_region_pages - size of a region
 * @region: the region
 *
 * Return: its number of pages.
 */
unsigned long kstate_region_pages(const struct kstate_region *region)
{
	return region->pages;
}
EXPORT_SYMBOL_GPL(kstate_region_pages);

/**
 * kstate_region_page_addr - kernel address of one page of a region
 * @region: the region
 * @index: page index, below kstate_region_pages()
 *
 * Return: the address, valid until the region is closed.
 */
void *kstate_region_page_addr(const struct kstate_region *region, unsigned long index)
{
	return index < region->pages ? region->kaddr[index] : NULL;
}
EXPORT_SYMBOL_GPL(kstate_region_page_addr);

/**
 * kstate_region_page_phys - physical address of one page of a region
 * @region: the region
 * @index: page index, below kstate_region_pages()
 *
 * It does not change while the file exists, across reboots included.
 *
 * Return: the physical address, 0 for an index out of range.
 */
phys_addr_t kstate_region_page_phys(const struct kstate_region *region, unsigned long index)
{
	return index < region->pages ? region->phys[index] : 0;
}
EXPORT_SYMBOL_GPL(kstate_region_page_phys);

/**
 * kstate_region_phys_to_virt - kernel address of a physical address inside a region
 * @region: the region
 * @phys: a physical address
 *
 * Lets a client follow physical pointers (such as page-table entries) as hardware
 * does, without trusting them: an address outside the region gives NULL.
 *
 * Return: the kernel address or NULL.
 */
void *kstate_region_phys_to_virt(const struct kstate_region *region, phys_addr_t phys)
{
	phys_addr_t page = phys & PAGE_MASK;
	unsigned long lo = 0, hi = region->pages;

	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;
		phys_addr_t p = region->by_phys[mid].phys;

		if (p == page)
			return region->by_phys[mid].kaddr + (phys & ~PAGE_MASK);
		if (p < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(kstate_region_phys_to_virt);

/**
 * kstate_region_persist - make pages of a region durable
 * @region: the region
 * @first: first page
 * @count: number of pages; 0 means to the end
 *
 * Writes CPU caches back to the persistent memory (a no-op where the platform
 * persists caches).  Saves persist every open region before they report success.
 *
 * Return: 0 or -EINVAL for a range outside the region.
 */
int kstate_region_persist(struct kstate_region *region, unsigned long first,
			  unsigned long count)
{
	unsigned long i;
	int id;

	if (!count)
		count = region->pages - min(first, region->pages);
	if (first >= region->pages || count > region->pages - first)
		return -EINVAL;
	id = dax_read_lock();
	for (i = first; i < first + count; i++)
		dax_flush(region->dax, region->kaddr[i], PAGE_SIZE);
	dax_read_unlock(id);
	wmb();	/* order the write-backs before the caller reports durability */
	return 0;
}
EXPORT_SYMBOL_GPL(kstate_region_persist);

/**
 * kstate_region_entries - persist a client's regions and list them for a generation
 * @client: the client
 * @generation: the generation being saved
 * @entries: out: manifest entries
 * @max: room at @entries
 *
 * Return: the number of entries, or -ENOSPC.
 */
int kstate_region_entries(struct kstate_client *client, u64 generation,
			  struct kstate_entry *entries, u32 max)
{
	struct kstate_region *r;
	u32 n = 0;

	list_for_each_entry(r, &client->regions, node) {
		if (n == max)
			return -ENOSPC;
		kstate_region_persist(r, 0, 0);
		memset(&entries[n], 0, sizeof(entries[n]));
		strscpy(entries[n].name, r->name, sizeof(entries[n].name));
		entries[n].generation = generation;
		entries[n].size = (u64)r->pages << PAGE_SHIFT;
		entries[n].kind = KSTATE_ENTRY_REGION;
		entries[n].flags = KSTATE_ENTRY_F_KERNEL;
		n++;
	}
	return n;
}

/**
 * kstate_regions_release - close every region of a departing client (files stay)
 * @client: the client
 */
void kstate_regions_release(struct kstate_client *client)
{
	struct kstate_region *r, *tmp;

	list_for_each_entry_safe(r, tmp, &client->regions, node)
		kstate_region_close(r);
}

/**
 * kstate_region_count - number of regions a client has open
 * @client: the client
 *
 * Return: the count.
 */
u32 kstate_region_count(struct kstate_client *client)
{
	struct kstate_region *r;
	u32 n = 0;

	list_for_each_entry(r, &client->regions, node)
		n++;
	return n;
}
