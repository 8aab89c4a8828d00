// SPDX-License-Identifier: GPL-2.0-only
/*
 * Persistent regions: files of whole pages on the DAX filesystem of the bound store,
 * used in place through the kernel's direct map of the persistent memory.
 *
 * A file on fsdax is persistent memory that does not move: its blocks are pages of the
 * pmem device, so a page table built inside it keeps its physical addresses across
 * kexec and firmware reboots, as long as nothing moves or frees its blocks.  Three
 * kernel mechanisms keep that promise while a region is open (docs/design.md, "Regions"):
 *
 *  - The blocks are found with the filesystem's own ->swap_activate(), the call swapon
 *    makes (ext4 and XFS, DAX included, both implement it through
 *    iomap_swapfile_activate()).  It returns extents, and refuses holes, inline data,
 *    shared (reflinked) extents and metadata not yet committed.  No per-page lookup.
 *  - The inode carries S_SWAPFILE, set under inode_lock as swapon sets it: the VFS
 *    and the filesystems then refuse truncate, fallocate (punch, collapse, insert),
 *    writes, reflink, extent swaps and defragmentation with -ETXTBSY, and unlink and
 *    rename with -EPERM, for root too, whatever the file's attributes (chattr -i does
 *    not help).  It lives only in memory: closing the region (or the reboot) clears it.
 *  - Each extent holds a reference on the pmem device's dev_pagemap.  Removing the
 *    namespace (ndctl disable-namespace --force, or unbinding nd_pmem) waits in
 *    memunmap_pages() until the region is closed, so the direct-map addresses handed
 *    to the client never dangle; dax_alive() says when the device is going away.
 *
 * The file is also marked immutable (FS_IMMUTABLE_FL), which stays on disk and guards it
 * between boots, when no kernel has it open.
 *
 * Copyright (c) 2026 The kstate authors
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <linux/dax.h>
#include <linux/fileattr.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pfn_t.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/swap.h>
#include "kstate_compat.h"
#include "kstate_internal.h"

/* 64 GiB: the size a region may have (its metadata stays a few KiB, see below). */
#define KSTATE_REGION_MAX_PAGES	((64UL << 30) >> PAGE_SHIFT)
/* Zeros written per call when a region is created; also the CRC and flush step. */
#define KSTATE_REGION_CHUNK	(1UL << 20)

/* A run of file pages that are contiguous on the device. */
struct region_extent {
	pgoff_t first;			/* first page of the file */
	pgoff_t pages;
	phys_addr_t phys;		/* of page @first */
	void *kaddr;			/* direct-map address of page @first */
	struct dev_pagemap *pgmap;	/* held: the device cannot unmap these pages */
};

struct kstate_region {
	struct list_head node;		/* in client->regions, under kstate_mutex */
	struct kstate_client *client;
	char name[KSTATE_NAME_LEN];
	struct file *file;		/* read-only: nothing holds the store open for writing */
	struct dax_device *dax;
	unsigned long pages;
	u32 nr_extents;
	struct region_extent *extents;	/* by file page */
	u32 *by_phys;			/* extent indices by physical address */
	bool is_new;
	bool pinned;			/* we set S_SWAPFILE on the inode */
	bool device_data;		/* a device writes it: no CRC at freeze */
};

/* Regions the module created since the store was bound (see may_reuse()). */
struct created_region {
	struct list_head node;
	char name[KSTATE_NAME_LEN];
};
static LIST_HEAD(created_regions);

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
	rc = vfs_fileattr_set(kstate_mnt_idmap(f->f_path.mnt), d, &fa);
	mnt_drop_write(f->f_path.mnt);
	return rc;
}

/* Write every block, so that the file has no hole or unwritten extent. */
static int fill_zeros(struct file *f, unsigned long pages)
{
	size_t chunk = min_t(size_t, KSTATE_REGION_CHUNK, pages << PAGE_SHIFT);
	loff_t pos = 0, end = (loff_t)pages << PAGE_SHIFT;
	void *zero = kvzalloc(chunk, GFP_KERNEL);
	int rc = 0;

	if (!zero)
		return -ENOMEM;
	while (pos < end && !rc) {
		size_t n = min_t(loff_t, chunk, end - pos);
		ssize_t w = kstate_fault("region_zero", -EIO);

		if (!w)
			w = kernel_write(f, zero, n, &pos);
		if (w != n)
			rc = w < 0 ? w : -EIO;
		cond_resched();
	}
	kvfree(zero);
	return rc ? rc : vfs_fsync(f, 0);
}

static void free_swap_extents(struct swap_info_struct *sis)
{
	struct rb_node *n;

	unsigned long i = 0;

	/* A fragmented file may have millions before the too-fragmented check refuses it. */
	while ((n = rb_first(&sis->swap_extent_root))) {
		rb_erase(n, &sis->swap_extent_root);
		kfree(rb_entry(n, struct swap_extent, rb_node));
		if (!(++i & 1023))
			cond_resched();
	}
}

/* Metadata kept per page stays below 8 bytes (or one page for a small region). */
static size_t metadata_limit(unsigned long pages)
{
	return max_t(size_t, PAGE_SIZE, pages * 8);
}

static size_t metadata_size(u32 nr_extents)
{
	return (size_t)nr_extents * (sizeof(struct region_extent) + sizeof(u32));
}

/* Turn one device extent into region extents, splitting where the direct map does. */
static int add_extent(struct kstate_region *r, u32 *cap, u64 dev_pgoff, pgoff_t first,
		      pgoff_t pages)
{
	while (pages) {
		struct region_extent *e;
		unsigned long pfn;
		pfn_t pt;
		void *kaddr;
		long n;
		int id, i;

		if (r->nr_extents == *cap) {
			if (metadata_size(*cap * 2) > metadata_limit(r->pages))
				return -EFBIG;	/* too fragmented */
			e = kstate_buf_alloc(*cap * 2, sizeof(*e), "region_alloc");
			if (!e)
				return -ENOMEM;
			memcpy(e, r->extents, *cap * sizeof(*e));
			kstate_buf_free(r->extents);
			r->extents = e;
			*cap *= 2;
		}
		n = kstate_fault("region_dax", -EIO);
		if (!n) {
			id = dax_read_lock();
			n = dax_alive(r->dax) ?
			    dax_direct_access(r->dax, dev_pgoff, pages, DAX_ACCESS, &kaddr,
					      &pt) : -ENXIO;
			dax_read_unlock(id);
		}
		if (n < 1)
			return n < 0 ? n : -EIO;
		n = min_t(long, n, pages);
		pfn = pfn_t_to_pfn(pt);
		e = &r->extents[r->nr_extents];
		e->first = first;
		e->pages = n;
		e->phys = PFN_PHYS(pfn);
		e->kaddr = kaddr;
		/* Without struct pages there is nothing that keeps the device mapped. */
		e->pgmap = get_dev_pagemap(pfn, NULL);
		if (!e->pgmap)
			return -EOPNOTSUPP;
		r->nr_extents++;
		for (i = 0; i < e->pgmap->nr_range; i++)
			if (PFN_PHYS(pfn + n - 1) >= e->pgmap->ranges[i].start &&
			    PFN_PHYS(pfn + n) - 1 <= e->pgmap->ranges[i].end)
				break;
		if (i == e->pgmap->nr_range) {
			/* It crosses into another device map: hold that one separately. */
			e->pages = 1;
			n = 1;
		}
		dev_pgoff += n;
		first += n;
		pages -= n;
		cond_resched();
	}
	return 0;
}

/*
 * Find the file's blocks the way swapon does, under inode_lock with S_SWAPFILE already
 * set (so nothing changes them meanwhile), then resolve each extent to the direct map.
 */
static int map_extents(struct kstate_region *r)
{
	struct inode *inode = file_inode(r->file);
	const struct address_space_operations *aops = r->file->f_mapping->a_ops;
	struct swap_info_struct *sis;
	struct rb_node *node;
	u64 start_off = 0;
	sector_t span = 0;
	u32 cap;
	int rc;

	if (!aops->swap_activate)
		return -EOPNOTSUPP;	/* the filesystem cannot report stable blocks */
	sis = kzalloc(sizeof(*sis), GFP_KERNEL);
	if (!sis)
		return -ENOMEM;
	sis->swap_extent_root = RB_ROOT;
	sis->bdev = inode->i_sb->s_bdev;	/* XFS sets its data or realtime device */
	sis->max = r->pages;
	rc = kstate_fault("region_extents", -EIO);
	if (!rc)
		rc = aops->swap_activate(sis, r->file, &span);
	if (rc < 0)
		goto out;
	if (sis->max != r->pages) {
		rc = -ENODATA;	/* fewer usable pages than the file has */
		goto out;
	}
	rc = kstate_fault("region_dax", -EIO);
	if (rc)
		goto out;
	r->dax = fs_dax_get_by_bdev(sis->bdev, &start_off, NULL, NULL);
	if (!r->dax) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	atomic_inc(&kstate_dax_refs);
	cap = 8;
	r->extents = kstate_buf_alloc(cap, sizeof(*r->extents), "region_alloc");
	if (!r->extents) {
		rc = -ENOMEM;
		goto out;
	}
	for (node = rb_first(&sis->swap_extent_root); node && !rc; node = rb_next(node)) {
		struct swap_extent *se = rb_entry(node, struct swap_extent, rb_node);

		if (se->start_page != (r->nr_extents ?
				       r->extents[r->nr_extents - 1].first +
				       r->extents[r->nr_extents - 1].pages : 0)) {
			rc = -ENODATA;	/* a page of the file has no block */
			break;
		}
		rc = add_extent(r, &cap, (start_off >> PAGE_SHIFT) + se->start_block,
				se->start_page, se->nr_pages);
	}
out:
	free_swap_extents(sis);
	kfree(sis);
	return rc;
}

/* S_SWAPFILE: the swap code's guard against anything that would move or free blocks. */
static int pin(struct kstate_region *r)
{
	struct inode *inode = file_inode(r->file);
	int rc;

	inode_lock(inode);
	if (IS_SWAPFILE(inode)) {
		rc = -ETXTBSY;	/* open as another region, or a swap file */
	} else {
		inode->i_flags |= S_SWAPFILE;
		r->pinned = true;
		rc = map_extents(r);
	}
	inode_unlock(inode);
	return rc;
}

static void unpin(struct kstate_region *r)
{
	struct inode *inode = file_inode(r->file);

	inode_lock(inode);
	inode->i_flags &= ~S_SWAPFILE;
	inode_unlock(inode);
	r->pinned = false;
}

static int cmp_phys(const void *a, const void *b, const void *priv)
{
	const struct region_extent *ext = priv;
	phys_addr_t pa = ext[*(const u32 *)a].phys;
	phys_addr_t pb = ext[*(const u32 *)b].phys;

	return pa < pb ? -1 : pa > pb;
}

static void region_free(struct kstate_region *r)
{
	u32 i;

	if (r->pinned)
		unpin(r);
	for (i = 0; i < r->nr_extents; i++)
		put_dev_pagemap(r->extents[i].pgmap);
	if (r->dax) {
		fs_put_dax(r->dax, NULL);
		atomic_dec(&kstate_dax_refs);
	}
	if (r->file)
		kstate_store_close(r->file);
	kstate_buf_free(r->extents);
	kstate_buf_free(r->by_phys);
	kfree(r);
	atomic_dec(&kstate_regions);
}

/* The extent holding file page @index; the caller checked @index < pages. */
static const struct region_extent *extent_of(const struct kstate_region *r,
					     unsigned long index)
{
	u32 lo = 0, hi = r->nr_extents;

	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;

		if (r->extents[mid].first <= index)
			lo = mid;
		else
			hi = mid;
	}
	return &r->extents[lo];
}

/* CRC32C (as in format/) of the region's bytes in file order, rescheduling as it goes. */
static int region_crc(const struct kstate_region *r, u32 *crc)
{
	u32 c = kstate_crc32c_begin();
	int id, rc = 0;
	u32 i;

	for (i = 0; i < r->nr_extents && !rc; i++) {
		const struct region_extent *e = &r->extents[i];
		size_t off, len = e->pages << PAGE_SHIFT;

		for (off = 0; off < len; off += KSTATE_REGION_CHUNK) {
			id = dax_read_lock();
			if (dax_alive(r->dax))
				c = kstate_crc32c_add(c, e->kaddr + off,
						      min(KSTATE_REGION_CHUNK, len - off));
			else
				rc = -ENXIO;
			dax_read_unlock(id);
			if (rc)
				break;
			cond_resched();
		}
	}
	*crc = kstate_crc32c_end(c);
	return rc;
}

/*
 * A client starting fresh must not take over a region file that a kept generation may
 * still describe: only when no generation is bound (the store has none), when this
 * module created it since the bind, or when the operator discarded the client's state.
 */
static bool may_reuse(const struct kstate_client *client, const char *name)
{
	struct created_region *c;

	lockdep_assert_held(&kstate_mutex);
	if (!client->fresh_start || client->discarded || !kstate_store.generation)
		return true;
	list_for_each_entry(c, &created_regions, node)
		if (!strcmp(c->name, name))
			return true;
	return false;
}

static void remember_created(const char *name)
{
	struct created_region *c = kzalloc(sizeof(*c), GFP_KERNEL);

	lockdep_assert_held(&kstate_mutex);
	/* Without the note a later fresh start is refused, which is the safe side. */
	if (!c)
		return;
	strscpy(c->name, name, sizeof(c->name));
	list_add(&c->node, &created_regions);
}

/**
 * kstate_regions_forget_created - forget which regions were created (store unbound)
 */
void kstate_regions_forget_created(void)
{
	struct created_region *c, *tmp;

	lockdep_assert_held(&kstate_mutex);
	list_for_each_entry_safe(c, tmp, &created_regions, node) {
		list_del(&c->node);
		kfree(c);
	}
}

/* Create the file: zeros everywhere, durable, immutable, then opened read-only. */
static int create_file(struct kstate_region *r, struct file *rw)
{
	struct file *ro;
	int rc;

	rc = fill_zeros(rw, r->pages);
	if (!rc)
		rc = set_immutable(rw, true);
	if (rc)
		return rc;
	/* The same inode, not the name again: nothing can be swapped in between. */
	ro = dentry_open(&rw->f_path, O_RDONLY | O_LARGEFILE | O_NOFOLLOW, current_cred());
	if (IS_ERR(ro))
		return PTR_ERR(ro);
	atomic_inc(&kstate_files_open);
	r->file = ro;
	return 0;
}

static int check_saved_crc(struct kstate_region *r)
{
	const struct kstate_entry *e = kstate_store_find(KSTATE_ENTRY_REGION, r->name);
	u32 crc = 0;
	int rc;

	/* A client starting fresh (after a discard, say) never trusts the old contents. */
	if (!e || !(e->flags & KSTATE_ENTRY_F_REGION_CRC) || r->is_new || r->client->fresh_start)
		return 0;
	if (e->size != (u64)r->pages << PAGE_SHIFT) {
		pr_err("%s: region %s: %lu pages, generation %llu says %llu bytes\n",
		       r->client->name, r->name, r->pages, kstate_store.generation, e->size);
		return -EUCLEAN;
	}
	rc = kstate_fault("region_crc", -EBADMSG);
	if (!rc)
		rc = region_crc(r, &crc);
	if (!rc && crc != e->crc)
		rc = -EBADMSG;
	if (rc == -EBADMSG)
		pr_err("%s: region %s changed after it was frozen for generation %llu (crc %08x, saved %08x): refused\n",
		       r->client->name, r->name, kstate_store.generation, crc, e->crc);
	return rc;
}

/**
 * kstate_region_open - open or create a persistent region of the bound store
 * @client: the owning client
 * @name: region name (format name rules); the file is "<name>.region"
 * @pages: size in pages; an existing region must have exactly this size
 * @out: the region
 *
 * The store must be on a DAX filesystem (ext4 or XFS without reflink) with page-sized
 * blocks.  Call it from the client's ->restore() or ->save() callbacks, which run with
 * the module's lock held.  A new region reads as zeros.  While it is open its blocks
 * cannot move or be freed (see the top of this file).  When the bound generation froze
 * it with a CRC, the contents are checked against it before this returns.  Regions
 * still open when the client unregisters are closed then.
 *
 * Opening is allowed while the clients are frozen (a client module loaded then restores
 * and is frozen after): it changes nothing a saved generation lists.
 *
 * Return: 0, -ENXIO when no store is bound, -EOPNOTSUPP when the
 * store is not on DAX, -EUCLEAN when an existing region has another size, -EBADMSG when
 * it changed after it was frozen, -EEXIST when a fresh client finds a region file a
 * kept generation may describe, -ETXTBSY when it is open already, or another errno.
 */
int kstate_region_open(struct kstate_client *client, const char *name,
		       unsigned long pages, struct kstate_region **out)
{
	char fname[KSTATE_FILENAME_MAX];
	struct kstate_region *r;
	struct file *rw = NULL;
	struct inode *inode;
	bool created;
	u32 i;
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
	rc = kstate_fault("region_open", -EIO);
	if (rc) {
		pr_err("%s: region %s: cannot open %s (%d)\n", client->name, name, fname, rc);
		goto fail;
	}
	rw = kstate_store_open(fname, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (IS_ERR(rw) && PTR_ERR(rw) == -EEXIST) {
		rw = NULL;
		r->file = kstate_store_open(fname, O_RDONLY, 0);
		if (IS_ERR(r->file)) {
			rc = PTR_ERR(r->file);
			r->file = NULL;
		}
	} else if (IS_ERR(rw)) {
		rc = PTR_ERR(rw);
		rw = NULL;
	} else {
		r->is_new = true;
	}
	if (rc) {
		pr_err("%s: region %s: cannot open %s (%d)\n", client->name, name, fname, rc);
		goto fail;
	}
	inode = file_inode(rw ? rw : r->file);
	rc = kstate_store_check_file(rw ? rw : r->file, fname);
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
	if (!r->is_new && !may_reuse(client, name)) {
		rc = -EEXIST;
		pr_err("%s: region %s: starting fresh, but %s exists and a kept generation may describe it: run 'kstate discard %s' to give that state up\n",
		       client->name, name, fname, client->name);
		goto fail;
	}
	if (r->is_new) {
		rc = create_file(r, rw);
	} else if (i_size_read(inode) != (loff_t)pages << PAGE_SHIFT) {
		rc = -EUCLEAN;
		pr_err("%s: region %s: %lld bytes on disk, %lu pages expected\n", client->name,
		       name, i_size_read(inode), pages);
		goto fail;
	} else {
		rc = set_immutable(r->file, true);
	}
	if (!rc)
		rc = pin(r);
	if (!rc)
		rc = check_saved_crc(r);
	if (rc) {
		pr_err("%s: region %s: cannot map its pages (%d)\n", client->name, name, rc);
		goto fail;
	}
	r->by_phys = kstate_buf_alloc(r->nr_extents, sizeof(*r->by_phys), "region_alloc");
	if (!r->by_phys) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < r->nr_extents; i++)
		r->by_phys[i] = i;
	sort_r(r->by_phys, r->nr_extents, sizeof(*r->by_phys), cmp_phys, NULL, r->extents);
	if (rw)
		kstate_store_close(rw);
	if (r->is_new)
		remember_created(name);
	list_add_tail(&r->node, &client->regions);
	pr_info("%s: region %s: %lu pages in %u extents at %pa, %zu bytes of metadata\n",
		client->name, name, pages, r->nr_extents, &r->extents[0].phys,
		metadata_size(r->nr_extents));
	*out = r;
	return 0;
fail:
	if (rw)
		kstate_store_close(rw);
	created = r->is_new;
	region_free(r);
	if (created)
		kstate_region_unlink(fname);	/* nothing of a failed creation stays */
	return rc;
}
EXPORT_SYMBOL_GPL(kstate_region_open);

/**
 * kstate_region_close - stop using a region; its file and contents stay
 * @region: the region, or NULL
 *
 * Call it from a callback (with the module's lock held, as for kstate_region_open());
 * regions still open at kstate_client_unregister() are closed there.  Its blocks may
 * move again once it is closed.
 */
void kstate_region_close(struct kstate_region *region)
{
	lockdep_assert_held(&kstate_mutex);
	if (!region)
		return;
	list_del(&region->node);
	region_free(region);
}
EXPORT_SYMBOL_GPL(kstate_region_close);

/* Remove a region file that is not open: immutable off, then unlink. */
int kstate_region_unlink(const char *fname)
{
	struct file *f;
	int rc;

	lockdep_assert_held(&kstate_mutex);
	f = kstate_store_open(fname, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	/* Pinned: some client (region names are the store's, not a client's) has it open. */
	if (IS_SWAPFILE(file_inode(f))) {
		kstate_store_close(f);
		return -EBUSY;
	}
	rc = set_immutable(f, false);
	kstate_store_close(f);
	return rc ? rc : kstate_store_unlink(fname);
}

/**
 * kstate_region_remove - delete a region's file from the bound store
 * @client: the client that owns it
 * @name: region name; the region must not be open
 *
 * Same rules as kstate_region_open(): from a callback, not while frozen, and a client
 * starting fresh may remove only what no kept generation can describe.
 *
 * Return: 0, -EBUSY when it is open or the clients are frozen, -EEXIST when a kept
 * generation may describe it, or another negative errno.
 */
int kstate_region_remove(struct kstate_client *client, const char *name)
{
	char fname[KSTATE_FILENAME_MAX];
	struct kstate_region *r;

	lockdep_assert_held(&kstate_mutex);
	if (!kstate_name_valid(name))
		return -EINVAL;
	if (kstate_frozen)
		return -EBUSY;
	list_for_each_entry(r, &client->regions, node)
		if (!strcmp(r->name, name))
			return -EBUSY;
	if (!may_reuse(client, name))
		return -EEXIST;
	kstate_region_filename(fname, sizeof(fname), name);
	return kstate_region_unlink(fname);
}
EXPORT_SYMBOL_GPL(kstate_region_remove);

/**
 * kstate_region_set_device_data - say that a device writes this region at any time
 * @region: the region, open
 *
 * For DMA buffers.  A device may keep writing them after the final save, through the
 * reboot even (a DMA in flight lands while the next kernel boots), so a freeze records
 * no CRC of this region and the next boot checks none: the client checks what the
 * device wrote itself.  Tables a device reads must not be marked: their CRC is what
 * proves nothing changed them between the save and the reboot.  The mark lasts until
 * the region is closed; mark it again after each open.
 */
void kstate_region_set_device_data(struct kstate_region *region)
{
	region->device_data = true;
}
EXPORT_SYMBOL_GPL(kstate_region_set_device_data);

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
 * The address is in the kernel's direct map of the persistent memory: valid until the
 * region is closed, in this boot only (the direct map moves from boot to boot).
 *
 * Return: the address, NULL for an index out of range.
 */
void *kstate_region_page_addr(const struct kstate_region *region, unsigned long index)
{
	const struct region_extent *e;

	if (index >= region->pages)
		return NULL;
	e = extent_of(region, index);
	return e->kaddr + ((index - e->first) << PAGE_SHIFT);
}
EXPORT_SYMBOL_GPL(kstate_region_page_addr);

/**
 * kstate_region_page_phys - physical address of one page of a region
 * @region: the region
 * @index: page index, below kstate_region_pages()
 *
 * It does not change while the file exists, across kexec and firmware reboots.
 *
 * Return: the physical address, 0 for an index out of range.
 */
phys_addr_t kstate_region_page_phys(const struct kstate_region *region, unsigned long index)
{
	const struct region_extent *e;

	if (index >= region->pages)
		return 0;
	e = extent_of(region, index);
	return e->phys + ((phys_addr_t)(index - e->first) << PAGE_SHIFT);
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
	u32 lo = 0, hi = region->nr_extents;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct region_extent *e = &region->extents[region->by_phys[mid]];

		if (phys < e->phys)
			hi = mid;
		else if (phys >= e->phys + ((phys_addr_t)e->pages << PAGE_SHIFT))
			lo = mid + 1;
		else
			return e->kaddr + (phys - e->phys);
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
 * Return: 0, -EINVAL for a range outside the region, -ENXIO when the device is going
 * away (the pages stay mapped until the region is closed, but are no longer durable).
 */
int kstate_region_persist(struct kstate_region *region, unsigned long first,
			  unsigned long count)
{
	unsigned long end;
	int id, rc = 0;
	u32 i;

	if (!count)
		count = region->pages - min(first, region->pages);
	if (first >= region->pages || count > region->pages - first)
		return -EINVAL;
	end = first + count;
	for (i = 0; i < region->nr_extents && !rc; i++) {
		const struct region_extent *e = &region->extents[i];
		unsigned long from = max(first, e->first), to = min(end, e->first + e->pages);
		size_t off, len;

		if (from >= to)
			continue;
		off = (from - e->first) << PAGE_SHIFT;
		len = (to - from) << PAGE_SHIFT;
		while (len) {
			size_t n = min(len, KSTATE_REGION_CHUNK);

			id = dax_read_lock();
			if (dax_alive(region->dax))
				dax_flush(region->dax, e->kaddr + off, n);
			else
				rc = -ENXIO;
			dax_read_unlock(id);
			if (rc)
				break;
			off += n;
			len -= n;
			cond_resched();
		}
	}
	wmb();	/* order the write-backs before the caller reports durability */
	return rc;
}
EXPORT_SYMBOL_GPL(kstate_region_persist);

/**
 * kstate_region_verify - check a region against the CRC its last freeze recorded
 * @region: the region
 *
 * kstate_region_open() already does this when the bound generation froze the region;
 * a client may call it again later, for example from a background check it reports.
 *
 * Return: 0 when the contents match, -ENODATA when the bound generation recorded no
 * CRC for it (it was saved by a checkpoint, or created since), -EBADMSG when they
 * differ, -ENXIO when the device is going away.
 */
int kstate_region_verify(struct kstate_region *region)
{
	const struct kstate_entry *e;
	u32 crc;
	int rc;

	lockdep_assert_held(&kstate_mutex);
	e = kstate_store_find(KSTATE_ENTRY_REGION, region->name);
	if (region->is_new || !e || !(e->flags & KSTATE_ENTRY_F_REGION_CRC))
		return -ENODATA;
	rc = region_crc(region, &crc);
	if (rc)
		return rc;
	return crc == e->crc ? 0 : -EBADMSG;
}
EXPORT_SYMBOL_GPL(kstate_region_verify);

/**
 * kstate_region_entries - persist a client's regions and list them for a generation
 * @client: the client
 * @generation: the generation being saved
 * @entries: out: manifest entries
 * @max: room at @entries
 * @with_crc: the client is frozen: record each region's CRC32C (not of device data)
 *
 * Return: the number of entries, or -ENOSPC, -ENXIO or -EIO.
 */
int kstate_region_entries(struct kstate_client *client, u64 generation,
			  struct kstate_entry *entries, u32 max, bool with_crc)
{
	struct kstate_region *r;
	u32 n = 0;
	int rc;

	lockdep_assert_held(&kstate_mutex);
	list_for_each_entry(r, &client->regions, node) {
		struct kstate_entry *e = &entries[n];

		if (n == max)
			return -ENOSPC;
		rc = kstate_region_persist(r, 0, 0);
		if (rc) {
			kstate_client_fail(client, rc, "cannot persist region %s (%d)", r->name,
					   rc);
			return rc;
		}
		memset(e, 0, sizeof(*e));
		strscpy(e->name, r->name, sizeof(e->name));
		e->generation = generation;
		e->size = (u64)r->pages << PAGE_SHIFT;
		e->kind = KSTATE_ENTRY_REGION;
		e->flags = KSTATE_ENTRY_F_KERNEL;
		if (with_crc && !r->device_data) {
			rc = kstate_fault("region_crc", -EIO);
			if (!rc)
				rc = region_crc(r, &e->crc);
			if (rc) {
				kstate_client_fail(client, rc, "cannot checksum region %s (%d)",
						   r->name, rc);
				return rc;
			}
			e->flags |= KSTATE_ENTRY_F_REGION_CRC;
		}
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

	lockdep_assert_held(&kstate_mutex);
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

	lockdep_assert_held(&kstate_mutex);
	list_for_each_entry(r, &client->regions, node)
		n++;
	return n;
}
