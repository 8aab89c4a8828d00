// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Persistent memory namespaces for stores, on libndctl and libdaxctl: discover regions
 * and namespaces, put one in fsdax mode for a store, lend spare ones to the kernel as
 * movable system RAM and take them back.
 *
 * A namespace that may hold a store is never touched without being asked by name and
 * forced: fsdax namespaces are stores (or meant to be), and a raw namespace is used
 * only when it is not mounted and carries no filesystem or namespace info block.
 */
#include <fcntl.h>
#include <ndctl/libndctl.h>
#include <daxctl/libdaxctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "inuse.h"
#include "mounts.h"
#include "msg.h"
#include "pmem.h"
#include "probe.h"

#define SZ_2M		(2ULL << 20)
/* The node field of the UUID of devdax namespaces daxfs-setup makes for lending. */
#define LEND_TAG	"kstlnd"
/* From this size on, fsdax keeps its struct pages on the device (1/64 of the size). */
#define MAP_DEVICE_FROM	(16ULL << 30)

struct pmem_region {
	char name[32];
	uint64_t size;
	uint64_t available;
	bool legacy;
};

struct pmem_ns {
	char name[32];
	char region[32];
	const char *mode;
	char blockdev[32];
	char chardev[32];
	uint64_t size;
	uint64_t lent;
	bool legacy;
	bool plain;	/* raw, or fsdax only because the kernel maps a memmap= range */
	struct ndctl_namespace *ndns;
	struct daxctl_dev *dev;
};

struct pmem {
	struct ndctl_ctx *nd;
	struct pmem_region *regions;
	unsigned int nr_regions;
	struct pmem_ns *ns;
	unsigned int nr_ns;
};

static const char *mode_name(enum ndctl_namespace_mode m)
{
	switch (m) {
	case NDCTL_NS_MODE_FSDAX: return "fsdax";
	case NDCTL_NS_MODE_DEVDAX: return "devdax";
	case NDCTL_NS_MODE_SECTOR: return "sector";
	case NDCTL_NS_MODE_RAW: return "raw";
	default: return "unknown";
	}
}

static struct daxctl_dev *ns_daxdev(struct ndctl_namespace *ndns)
{
	struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
	struct daxctl_region *r = dax ? ndctl_dax_get_daxctl_region(dax) : NULL;

	return r ? daxctl_dev_get_first(r) : NULL;
}

static uint64_t dev_lent(struct daxctl_dev *dev)
{
	struct daxctl_memory *mem = dev ? daxctl_dev_get_memory(dev) : NULL;
	int online;

	if (!mem)
		return 0;
	online = daxctl_memory_is_online(mem);
	return online > 0 ? (uint64_t)online * daxctl_memory_get_block_size(mem) : 0;
}

static int scan(struct pmem *p)
{
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	struct ndctl_namespace *ndns;

	free(p->regions);
	free(p->ns);
	p->regions = NULL;
	p->ns = NULL;
	p->nr_regions = p->nr_ns = 0;
	ndctl_bus_foreach(p->nd, bus) {
		bool legacy = strcmp(ndctl_bus_get_provider(bus), "e820") == 0;

		ndctl_region_foreach(bus, region) {
			struct pmem_region *r, *tr;

			if (strcmp(ndctl_region_get_type_name(region), "pmem"))
				continue;
			tr = realloc(p->regions, (p->nr_regions + 1) * sizeof(*r));
			if (!tr)
				return -ENOMEM;
			p->regions = tr;
			r = &p->regions[p->nr_regions++];
			snprintf(r->name, sizeof(r->name), "%s", ndctl_region_get_devname(region));
			r->size = ndctl_region_get_size(region);
			r->available = ndctl_region_get_available_size(region);
			r->legacy = legacy;
			ndctl_namespace_foreach(region, ndns) {
				struct pmem_ns *n, *tn;
				struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
				const char *bdev;

				if (!ndctl_namespace_get_size(ndns))
					continue;	/* an idle seed */
				tn = realloc(p->ns, (p->nr_ns + 1) * sizeof(*n));
				if (!tn)
					return -ENOMEM;
				p->ns = tn;
				n = &p->ns[p->nr_ns++];
				memset(n, 0, sizeof(*n));
				n->ndns = ndns;
				n->legacy = legacy;
				snprintf(n->name, sizeof(n->name), "%s",
					 ndctl_namespace_get_devname(ndns));
				snprintf(n->region, sizeof(n->region), "%s", r->name);
				n->mode = mode_name(ndctl_namespace_get_mode(ndns));
				n->size = ndctl_namespace_get_size(ndns);
				bdev = pfn ? ndctl_pfn_get_block_device(pfn) :
					ndctl_namespace_get_block_device(ndns);
				if (pfn)
					n->size = ndctl_pfn_get_size(pfn);
				/* memmap= namespaces read as fsdax with no pfn device: the kernel
				 * maps them with struct pages in RAM by itself. */
				n->plain = !strcmp(n->mode, "raw") ||
					   (!strcmp(n->mode, "fsdax") && !pfn);
				snprintf(n->blockdev, sizeof(n->blockdev), "%s", bdev ? bdev : "");
				n->dev = ns_daxdev(ndns);
				if (n->dev) {
					snprintf(n->chardev, sizeof(n->chardev), "%s",
						 daxctl_dev_get_devname(n->dev));
					n->size = daxctl_dev_get_size(n->dev);
					n->lent = dev_lent(n->dev);
				}
			}
		}
	}
	return 0;
}

/**
 * pmem_new - discover this machine's persistent memory
 * @out: the handle: regions and namespaces as found now
 *
 * Return: 0, -ENOMEM, or the error libndctl gave (no root is needed to look).
 */
int pmem_new(struct pmem **out)
{
	struct pmem *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return setup_fail(-ENOMEM, "pmem: out of memory");
	rc = ndctl_new(&p->nd);
	if (rc) {
		free(p);
		return setup_fail(rc < 0 ? rc : -ENXIO,
				   "pmem: cannot open libndctl (is sysfs mounted?)");
	}
	rc = scan(p);
	if (rc) {
		pmem_delete(&p);
		return setup_fail(rc, "pmem: out of memory");
	}
	*out = p;
	return 0;
}

/**
 * pmem_delete - release the handle
 * @pmem: pointer to the handle; set to NULL. NULL or a pointer to NULL is fine.
 */
void pmem_delete(struct pmem **pmem)
{
	if (!pmem || !*pmem)
		return;
	ndctl_unref((*pmem)->nd);
	free((*pmem)->regions);
	free((*pmem)->ns);
	free(*pmem);
	*pmem = NULL;
}

/* Rescan with a fresh libndctl context: other tools may have changed things. */
static int rescan(struct pmem *p)
{
	struct ndctl_ctx *nd;
	int rc = ndctl_new(&nd);

	if (rc)
		return setup_fail(rc < 0 ? rc : -ENXIO, "pmem: cannot open libndctl");
	ndctl_unref(p->nd);
	p->nd = nd;
	rc = scan(p);
	return rc ? setup_fail(rc, "pmem: out of memory") : 0;
}

/**
 * pmem_refresh - discover again, after something else changed the devices
 * @pmem: the handle
 *
 * Indexes and strings from before the call are invalid after it.
 *
 * Return: 0 or -errno.
 */
int pmem_refresh(struct pmem *pmem)
{
	return rescan(pmem);
}

/**
 * pmem_region_count - number of persistent memory regions
 * @pmem: the handle
 *
 * Return: the count.
 */
unsigned int pmem_region_count(struct pmem *pmem)
{
	return pmem->nr_regions;
}

/**
 * pmem_region_name - a region's device name, e.g. "region0"
 * @pmem: the handle
 * @index: below pmem_region_count()
 *
 * Return: the name, or NULL for a bad index.
 */
const char *pmem_region_name(struct pmem *pmem, unsigned int index)
{
	return index < pmem->nr_regions ? pmem->regions[index].name : NULL;
}

/**
 * pmem_region_size - a region's capacity
 * @pmem: the handle
 * @index: below pmem_region_count()
 *
 * Return: bytes, 0 for a bad index.
 */
uint64_t pmem_region_size(struct pmem *pmem, unsigned int index)
{
	return index < pmem->nr_regions ? pmem->regions[index].size : 0;
}

/**
 * pmem_region_available - capacity of a region not in any namespace
 * @pmem: the handle
 * @index: below pmem_region_count()
 *
 * Return: bytes, 0 for a bad index.
 */
uint64_t pmem_region_available(struct pmem *pmem, unsigned int index)
{
	return index < pmem->nr_regions ? pmem->regions[index].available : 0;
}

/**
 * pmem_region_is_legacy - whether a region is emulated with memmap= (e820)
 * @pmem: the handle
 * @index: below pmem_region_count()
 *
 * Return: true for a memmap= (legacy e820) region, false for NFIT and bad indexes.
 */
bool pmem_region_is_legacy(struct pmem *pmem, unsigned int index)
{
	return index < pmem->nr_regions && pmem->regions[index].legacy;
}

/**
 * pmem_namespace_count - number of namespaces with capacity
 * @pmem: the handle
 *
 * Return: the count.
 */
unsigned int pmem_namespace_count(struct pmem *pmem)
{
	return pmem->nr_ns;
}

static const struct pmem_ns *ns_at(struct pmem *p, unsigned int i)
{
	return i < p->nr_ns ? &p->ns[i] : NULL;
}

/**
 * pmem_namespace_name - a namespace's name, e.g. "namespace0.0"
 * @pmem: the handle
 * @index: below pmem_namespace_count()
 *
 * Return: the name, or NULL for a bad index.
 */
const char *pmem_namespace_name(struct pmem *pmem,
						     unsigned int index)
{
	const struct pmem_ns *n = ns_at(pmem, index);

	return n ? n->name : NULL;
}

/**
 * pmem_namespace_region - the region a namespace is in
 * @pmem: the handle
 * @index: below pmem_namespace_count()
 *
 * Return: the region's name, or NULL for a bad index.
 */
const char *pmem_namespace_region(struct pmem *pmem,
						       unsigned int index)
{
	const struct pmem_ns *n = ns_at(pmem, index);

	return n ? n->region : NULL;
}

/**
 * pmem_namespace_mode - a namespace's mode
 * @pmem: the handle
 * @index: below pmem_namespace_count()
 *
 * Return: "fsdax", "devdax", "raw", "sector" or "unknown"; NULL for a bad index.
 */
const char *pmem_namespace_mode(struct pmem *pmem,
						     unsigned int index)
{
	const struct pmem_ns *n = ns_at(pmem, index);

	return n ? n->mode : NULL;
}

/**
 * pmem_namespace_size - usable size of a namespace in its mode
 * @pmem: the handle
 * @index: below pmem_namespace_count()
 *
 * Return: bytes (less the fsdax or devdax metadata), 0 for a bad index.
 */
uint64_t pmem_namespace_size(struct pmem *pmem, unsigned int index)
{
	const struct pmem_ns *n = ns_at(pmem, index);

	return n ? n->size : 0;
}

/**
 * pmem_namespace_blockdev - the block device of a raw or fsdax namespace
 * @pmem: the handle
 * @index: below pmem_namespace_count()
 *
 * Return: a name such as "pmem0" (without /dev/), or "" if it has none (devdax,
 * disabled); NULL for a bad index.
 */
const char *pmem_namespace_blockdev(struct pmem *pmem,
							 unsigned int index)
{
	const struct pmem_ns *n = ns_at(pmem, index);

	return n ? n->blockdev : NULL;
}

/**
 * pmem_namespace_chardev - the device-dax device of a devdax namespace
 * @pmem: the handle
 * @index: below pmem_namespace_count()
 *
 * Return: a name such as "dax0.1", or "" if it has none; NULL for a bad index.
 */
const char *pmem_namespace_chardev(struct pmem *pmem,
							unsigned int index)
{
	const struct pmem_ns *n = ns_at(pmem, index);

	return n ? n->chardev : NULL;
}

/**
 * pmem_namespace_lent - how much of a namespace is online as system RAM
 * @pmem: the handle
 * @index: below pmem_namespace_count()
 *
 * Return: bytes of online memory blocks, 0 if not lent or for a bad index.
 */
uint64_t pmem_namespace_lent(struct pmem *pmem, unsigned int index)
{
	const struct pmem_ns *n = ns_at(pmem, index);

	return n ? n->lent : 0;
}

/**
 * pmem_namespace_find - look a namespace up by name or device
 * @pmem: the handle
 * @name: "namespace0.0", "pmem0", "/dev/pmem0", "dax0.1" or "/dev/dax0.1"
 *
 * Return: its index, or -ENOENT.
 */
int pmem_namespace_find(struct pmem *pmem, const char *name)
{
	unsigned int i;

	if (strncmp(name, "/dev/", 5) == 0)
		name += 5;
	for (i = 0; i < pmem->nr_ns; i++) {
		const struct pmem_ns *n = &pmem->ns[i];

		if (!strcmp(n->name, name) || (n->blockdev[0] && !strcmp(n->blockdev, name)) ||
		    (n->chardev[0] && !strcmp(n->chardev, name)))
			return (int)i;
	}
	return setup_fail(-ENOENT,
			   "pmem: no namespace or device '%s' (see 'ndctl list -N')", name);
}

/* ---------------------------------------------------------------------------------- */

/* Whether the block device is mounted (anywhere, in this mount namespace). */
static bool blockdev_mounted(const char *bdev)
{
	struct mount_info m;

	return mount_find(bdev, &m) < 0 || m.found;	/* cannot tell: assume the worst */
}

/*
 * What a device holds that must not be destroyed (a filesystem where a store may
 * live, LUKS, LVM, a partition table, a namespace info block): a description, or NULL
 * if it looks empty.
 */
static const char *blockdev_content(const char *bdev, char *what, size_t len)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/dev/%s", bdev);
	rc = probe_content(path, what, len);
	if (rc < 0)
		snprintf(what, len, "unreadable contents (%s)", strerror(-rc));
	return rc ? what : NULL;
}

/* Refuse a raw namespace that is in use or holds data, unless forced. */
static int raw_usable(struct pmem *p, const struct pmem_ns *n, unsigned int flags,
		      const char *purpose)
{
	char buf[256];
	const char *what;

	if (!n->blockdev[0])
		return setup_fail(-EBUSY, "pmem: %s is disabled; enable it with "
				   "'ndctl enable-namespace %s' first", n->name, n->name);
	if (blockdev_mounted(n->blockdev))
		return setup_fail(-EBUSY, "pmem: %s (/dev/%s) is mounted; it may hold "
				   "a store and is not used %s", n->name, n->blockdev, purpose);
	what = blockdev_content(n->blockdev, buf, sizeof(buf));
	if (what && !(flags & PMEM_FORCE))
		return setup_fail(-EEXIST, "pmem: %s (/dev/%s) holds %s, which may be "
				   "a store; it is not used %s unless forced", n->name,
				   n->blockdev, what, purpose);
	return 0;
}

/* Raw namespace to fsdax: an info block at its start, a new /dev/pmemN. */
static int make_fsdax(struct pmem *p, struct pmem_ns *n, unsigned int flags)
{
	struct ndctl_region *region = ndctl_namespace_get_region(n->ndns);
	struct ndctl_pfn *pfn = ndctl_region_get_pfn_seed(region);
	enum ndctl_pfn_loc loc;
	uuid_t uu;
	int rc;

	if (!pfn)
		return setup_fail(-ENXIO, "pmem: %s has no fsdax seed (is nd_pmem "
				   "loaded?)", ndctl_region_get_devname(region));
	loc = n->size >= MAP_DEVICE_FROM ? NDCTL_PFN_LOC_PMEM : NDCTL_PFN_LOC_RAM;
	if (flags & PMEM_MAP_DEVICE)
		loc = NDCTL_PFN_LOC_PMEM;
	if (flags & PMEM_MAP_MEMORY)
		loc = NDCTL_PFN_LOC_RAM;
	rc = ndctl_namespace_disable_safe(n->ndns);
	if (rc)
		return setup_fail(rc, "pmem: cannot disable %s: %s", n->name,
				   strerror(-rc));
	uuid_generate(uu);
	rc = ndctl_pfn_set_uuid(pfn, uu);
	if (!rc)
		rc = ndctl_pfn_set_location(pfn, loc);
	if (!rc && ndctl_pfn_has_align(pfn))
		rc = ndctl_pfn_set_align(pfn, SZ_2M);
	if (!rc)
		rc = ndctl_pfn_set_namespace(pfn, n->ndns);
	if (!rc)
		rc = ndctl_pfn_enable(pfn);
	if (rc) {
		ndctl_pfn_set_namespace(pfn, NULL);
		ndctl_namespace_enable(n->ndns);
		return setup_fail(rc, "pmem: cannot put %s in fsdax mode: %s "
				   "(left in raw mode)", n->name, strerror(-rc));
	}
	setup_info("pmem: %s is now fsdax (/dev/%s), struct pages in %s", n->name,
		 ndctl_pfn_get_block_device(pfn), loc == NDCTL_PFN_LOC_PMEM ? "PMEM" : "RAM");
	return 0;
}

/**
 * pmem_provision - make sure a namespace is in fsdax mode for a store
 * @pmem: the handle
 * @name: the namespace (or its device) to use, or NULL to choose: an fsdax namespace
 *	if there is one, else the first raw namespace that is unused and empty
 * @flags: PMEM_MAP_DEVICE or PMEM_MAP_MEMORY to choose where struct pages
 *	go (default: on the device from 16 GiB on), PMEM_FORCE to use a raw
 *	namespace that holds a filesystem or an old info block, PMEM_DRY_RUN
 * @index: the namespace's index after the call (the handle is refreshed)
 *
 * A namespace already in fsdax mode is left as it is, so a second call changes
 * nothing.  A devdax namespace is never converted: it may be lent as RAM.
 *
 * Return: 1 if a namespace was (or, with PMEM_DRY_RUN, would be) put in fsdax
 * mode, 0 if one already was; -ENODEV if there is no namespace at all, -EBUSY if it
 * is mounted or disabled, -EEXIST if it holds data and no force was given, -EINVAL
 * for a devdax or sector namespace, or another -errno from libndctl.
 */
int pmem_provision(struct pmem *pmem, const char *name, unsigned int flags,
		   unsigned int *index)
{
	struct pmem_ns *n = NULL;
	char nsname[32], buf[256];
	unsigned int i;
	int rc;

	if (flags & ~(PMEM_FORCE | PMEM_DRY_RUN | PMEM_MAP_DEVICE | PMEM_MAP_MEMORY) ||
	    ((flags & PMEM_MAP_DEVICE) && (flags & PMEM_MAP_MEMORY)))
		return setup_fail(-EINVAL, "pmem: invalid provision flags 0x%x", flags);

	if (name) {
		rc = pmem_namespace_find(pmem, name);
		if (rc < 0)
			return rc;
		n = &pmem->ns[rc];
	} else {
		/* One that already has a filesystem (provisioned before), then one set up
		 * in fsdax mode, then the first plain one that is empty. */
		for (i = 0; i < pmem->nr_ns && !n; i++)
			if (!strcmp(pmem->ns[i].mode, "fsdax") && pmem->ns[i].blockdev[0] &&
			    (blockdev_mounted(pmem->ns[i].blockdev) ||
			     blockdev_content(pmem->ns[i].blockdev, buf, sizeof(buf))))
				n = &pmem->ns[i];
		for (i = 0; i < pmem->nr_ns && !n; i++)
			if (!strcmp(pmem->ns[i].mode, "fsdax") && !pmem->ns[i].plain)
				n = &pmem->ns[i];
		for (i = 0; i < pmem->nr_ns && !n; i++)
			if (pmem->ns[i].plain &&
			    !raw_usable(pmem, &pmem->ns[i], flags, "for a new store"))
				n = &pmem->ns[i];
		if (!n)
			return setup_fail(pmem->nr_ns ? -EBUSY : -ENODEV,
					   pmem->nr_ns ? "pmem: no fsdax namespace and no unused raw "
					   "one: name one to use, or free one" :
					   "pmem: no persistent memory: boot with the memmap= that "
					   "'daxfs-setup plan' prints, or add NVDIMMs");
	}
	*index = (unsigned int)(n - pmem->ns);
	if (!strcmp(n->mode, "fsdax") && n->plain) {
		/* Already usable; only a large one gets its struct pages moved to PMEM,
		 * and only while it is empty. */
		bool want_dev = (flags & PMEM_MAP_DEVICE) ||
			(n->size >= MAP_DEVICE_FROM && !(flags & PMEM_MAP_MEMORY));

		if (!want_dev || blockdev_mounted(n->blockdev) ||
		    blockdev_content(n->blockdev, buf, sizeof(buf)))
			return 0;
	} else if (!strcmp(n->mode, "fsdax")) {
		return 0;
	} else if (strcmp(n->mode, "raw")) {
		return setup_fail(-EINVAL, "pmem: %s is in %s mode; only raw "
				   "namespaces are converted (to redo it: ndctl create-namespace "
				   "-f -e %s -m fsdax)", n->name, n->mode, n->name);
	}
	rc = raw_usable(pmem, n, flags, "for a new store");
	if (rc)
		return rc;
	if (flags & PMEM_DRY_RUN)
		return 1;
	snprintf(nsname, sizeof(nsname), "%s", n->name);
	rc = make_fsdax(pmem, n, flags);
	if (rc)
		return rc;
	rc = rescan(pmem);
	if (rc)
		return rc;
	rc = pmem_namespace_find(pmem, nsname);
	if (rc < 0)
		return rc;
	*index = (unsigned int)rc;
	return 1;
}

/* ---------------------------------------------------------------------------------- */
/* Lending spare namespaces as system RAM */

/* Raw namespace to devdax, so that kmem can take it. */
static int make_devdax(struct pmem *p, struct pmem_ns *n)
{
	struct ndctl_region *region = ndctl_namespace_get_region(n->ndns);
	struct ndctl_dax *dax = ndctl_region_get_dax_seed(region);
	uuid_t uu;
	int rc;

	if (!dax)
		return setup_fail(-ENXIO, "pmem: %s has no devdax seed (is dax_pmem "
				   "loaded?)", ndctl_region_get_devname(region));
	rc = ndctl_namespace_disable_safe(n->ndns);
	if (rc)
		return setup_fail(rc, "pmem: cannot disable %s: %s", n->name,
				   strerror(-rc));
	uuid_generate(uu);
	memcpy(uu + 10, LEND_TAG, 6);	/* daxfs-setup made it: lend may take it back */
	rc = ndctl_dax_set_uuid(dax, uu);
	if (!rc)
		rc = ndctl_dax_set_location(dax, NDCTL_PFN_LOC_PMEM);
	if (!rc)
		rc = ndctl_dax_set_align(dax, SZ_2M);
	if (!rc)
		rc = ndctl_dax_set_namespace(dax, n->ndns);
	if (!rc)
		rc = ndctl_dax_enable(dax);
	if (rc) {
		ndctl_dax_set_namespace(dax, NULL);
		ndctl_namespace_enable(n->ndns);
		return setup_fail(rc, "pmem: cannot put %s in devdax mode: %s "
				   "(left in raw mode)", n->name, strerror(-rc));
	}
	n->dev = ns_daxdev(n->ndns);
	if (!n->dev)
		return setup_fail(-ENXIO, "pmem: %s: no dax device after devdax "
				   "(is device_dax loaded?)", n->name);
	return 0;
}

/* Give a devdax device to the kernel as movable memory. */
static int dev_to_ram(struct pmem *p, struct daxctl_dev *dev)
{
	const char *name = daxctl_dev_get_devname(dev);
	struct daxctl_memory *mem;
	int rc;

	if (daxctl_dev_is_enabled(dev)) {
		rc = daxctl_dev_disable(dev);
		if (rc)
			return setup_fail(rc, "pmem: cannot disable %s (in use?): %s",
					   name, strerror(-rc));
	}
	rc = daxctl_dev_enable_ram(dev);
	if (rc) {
		daxctl_dev_enable_devdax(dev);
		return setup_fail(rc, "pmem: %s: kmem refused it: %s (is kmem "
				   "loaded?)", name, strerror(-rc));
	}
	mem = daxctl_dev_get_memory(dev);
	if (!mem)
		return setup_fail(-ENXIO, "pmem: %s: no memory blocks after kmem",
				   name);
	rc = daxctl_memory_online(mem);
	if (rc < 0)
		return setup_fail(rc, "pmem: %s: cannot online its memory: %s", name,
				   strerror(-rc));
	if (daxctl_memory_is_movable(mem) <= 0)
		setup_warn("pmem: %s was onlined outside ZONE_MOVABLE (auto-online "
			 "policy?); reclaiming it may fail", name);
	return 0;
}

/* Offline every block of a lent device; on failure, online again what went. */
static int dev_offline(struct pmem *p, struct daxctl_dev *dev)
{
	struct daxctl_memory *mem = daxctl_dev_get_memory(dev);
	int rc;

	if (!mem)
		return 0;
	rc = daxctl_memory_offline(mem);
	if (rc >= 0 && daxctl_memory_is_online(mem) > 0)
		rc = -EBUSY;
	if (rc < 0) {
		daxctl_memory_online(mem);
		return setup_fail(rc == -EINTR ? -EINTR : -EBUSY,
				   "pmem: %s: memory could not be offlined (%s): it is in use "
				   "and could not be moved; nothing was reclaimed",
				   daxctl_dev_get_devname(dev), strerror(-rc));
	}
	return 0;
}

/* Whether daxfs-setup made this devdax namespace (to lend it): its UUID says so. */
static bool dax_ours(const struct pmem_ns *n)
{
	struct ndctl_dax *dax = ndctl_namespace_get_dax(n->ndns);
	uuid_t uu;

	if (!dax)
		return false;
	ndctl_dax_get_uuid(dax, uu);
	return memcmp(uu + 10, LEND_TAG, 6) == 0;
}

/* The device lend would hand to the kernel: /dev/daxX.Y, or /dev/pmemN to convert. */
static void lend_path(const struct pmem_ns *n, char *path, size_t len)
{
	snprintf(path, len, "/dev/%s", n->chardev[0] ? n->chardev : n->blockdev);
}

/* Chosen without a name: a spare devdax of ours, or a raw namespace it converts now. */
static bool lendable(struct pmem *p, const struct pmem_ns *n)
{
	char path[64], why[512];

	if (!strcmp(n->mode, "devdax")) {
		if (!n->dev || daxctl_dev_get_memory(n->dev) || !dax_ours(n))
			return false;
	} else if (!n->plain || raw_usable(p, n, 0, "as RAM")) {
		return false;
	}
	lend_path(n, path, sizeof(path));
	return lend_allowed("/proc", path, false, true, why, sizeof(why)) == 0;
}

/**
 * pmem_lend - give spare persistent memory to the kernel as movable RAM
 * @pmem: the handle
 * @name: the namespace or device to lend, or NULL to choose spare ones
 * @size: bytes wanted; whole namespaces are lent until at least this much is
 * @flags: PMEM_DRY_RUN to only say what would be lent
 * @lent: bytes lent (or that would be), counted in onlined memory blocks
 *
 * Without @name, spare means a devdax namespace daxfs-setup made for lending and that
 * is not lent now, or a raw namespace (a second memmap= range) that is not mounted and
 * holds nothing, which is put in devdax mode first.  A devdax namespace someone else
 * made (a VMM's guest memory) is taken only when named.  Any device a process has open
 * or mapped is refused, named or not.  An fsdax namespace is never lent: it holds, or
 * will hold, a store.
 *
 * Return: 0; -ENOSPC (nothing changed) if the spare namespaces add up to less than
 * @size, -EBUSY or -EEXIST if the named namespace is in use (open, mapped, mounted),
 * holds data or is fsdax, or another -errno from libndctl/libdaxctl.
 */
int pmem_lend(struct pmem *pmem, const char *name, uint64_t size, unsigned int flags,
	      uint64_t *lent)
{
	uint64_t spare = 0;
	unsigned int i;
	bool *pick;
	int rc = 0;

	*lent = 0;
	if (flags & ~PMEM_DRY_RUN)
		return setup_fail(-EINVAL, "pmem: invalid lend flags 0x%x", flags);
	pick = calloc(pmem->nr_ns + 1, sizeof(*pick));
	if (!pick)
		return setup_fail(-ENOMEM, "pmem: out of memory");
	if (name) {
		rc = pmem_namespace_find(pmem, name);
		if (rc >= 0) {
			struct pmem_ns *n = &pmem->ns[rc];

			if (!strcmp(n->mode, "fsdax") && !n->plain)
				rc = setup_fail(-EBUSY, "pmem: %s is fsdax: it holds "
						 "or is meant for a store and is never lent",
						 n->name);
			else if (n->plain)
				rc = raw_usable(pmem, n, 0, "as RAM");
			else if (strcmp(n->mode, "devdax") || !n->dev ||
				 daxctl_dev_get_memory(n->dev))
				rc = setup_fail(-EBUSY, "pmem: %s is not a spare "
						 "devdax namespace (already lent?)", n->name);
			if (rc >= 0) {
				char path[64], why[512];
				int r2;

				lend_path(n, path, sizeof(path));
				r2 = lend_allowed("/proc", path, true, dax_ours(n), why,
						  sizeof(why));
				if (r2)
					rc = setup_fail(r2, "pmem: %s: %s", n->name, why);
			}
			if (rc >= 0) {
				pick[rc] = true;
				spare = n->size;
				rc = 0;
			}
		}
	} else {
		for (i = 0; i < pmem->nr_ns && spare < size; i++)
			if (lendable(pmem, &pmem->ns[i])) {
				pick[i] = true;
				spare += pmem->ns[i].size;
			}
		if (spare < size)
			rc = setup_fail(-ENOSPC, "pmem: only %.1f MiB of spare "
					 "persistent memory (devdax, or raw and empty) for %.1f "
					 "MiB; nothing lent", spare / 1048576.0, size / 1048576.0);
	}
	for (i = 0; !rc && i < pmem->nr_ns; i++) {
		struct pmem_ns *n = &pmem->ns[i];

		if (!pick[i])
			continue;
		if (flags & PMEM_DRY_RUN) {
			*lent += n->size;
			continue;
		}
		if (n->plain)
			rc = make_devdax(pmem, n);
		if (!rc)
			rc = dev_to_ram(pmem, n->dev);
		if (!rc)
			*lent += dev_lent(n->dev);
	}
	free(pick);
	if (!(flags & PMEM_DRY_RUN)) {
		int rc2 = rescan(pmem);

		if (!rc)
			rc = rc2;
	}
	return rc;
}

/**
 * pmem_reclaim - take lent persistent memory back from the kernel
 * @pmem: the handle
 * @name: the namespace or device to reclaim, or NULL to choose lent ones
 * @size: bytes wanted; whole namespaces are reclaimed until at least this much is
 * @flags: PMEM_DRY_RUN to only say what would be reclaimed
 * @reclaimed: bytes reclaimed (or that would be)
 *
 * All chosen namespaces are offlined first; if any block cannot be (its pages are
 * pinned or cannot move), every block offlined so far is onlined again and the call
 * fails with nothing changed.  Offlining waits while pages are migrated; a signal
 * to the calling thread (for example from alarm()) ends the wait with -EINTR.
 * Reclaimed namespaces are left in devdax mode.
 *
 * Return: 0; -ENOSPC (nothing changed) if less than @size is lent, -EBUSY or -EINTR
 * (nothing changed) if memory could not be offlined, or another -errno.
 */
int pmem_reclaim(struct pmem *pmem, const char *name, uint64_t size, unsigned int flags,
		 uint64_t *reclaimed)
{
	uint64_t have = 0;
	unsigned int i, j;
	bool *pick;
	int rc = 0;

	*reclaimed = 0;
	if (flags & ~PMEM_DRY_RUN)
		return setup_fail(-EINVAL, "pmem: invalid reclaim flags 0x%x", flags);
	pick = calloc(pmem->nr_ns + 1, sizeof(*pick));
	if (!pick)
		return setup_fail(-ENOMEM, "pmem: out of memory");
	if (name) {
		rc = pmem_namespace_find(pmem, name);
		if (rc >= 0 && !pmem->ns[rc].lent)
			rc = setup_fail(-EINVAL, "pmem: %s is not lent",
					 pmem->ns[rc].name);
		if (rc >= 0) {
			pick[rc] = true;
			have = pmem->ns[rc].lent;
			rc = 0;
		}
	} else {
		/* Newest lent first: the highest index. */
		for (i = pmem->nr_ns; i-- > 0 && have < size;)
			if (pmem->ns[i].lent) {
				pick[i] = true;
				have += pmem->ns[i].lent;
			}
		if (have < size)
			rc = setup_fail(-ENOSPC, "pmem: only %.1f MiB is lent; "
					 "nothing reclaimed", have / 1048576.0);
	}
	if (rc || (flags & PMEM_DRY_RUN)) {
		*reclaimed = rc ? 0 : have;
		free(pick);
		return rc;
	}
	for (i = 0; i < pmem->nr_ns; i++) {
		if (!pick[i])
			continue;
		rc = dev_offline(pmem, pmem->ns[i].dev);
		if (rc) {
			for (j = 0; j < i; j++)
				if (pick[j])
					daxctl_memory_online(daxctl_dev_get_memory(pmem->ns[j].dev));
			break;
		}
	}
	for (i = 0; !rc && i < pmem->nr_ns; i++) {
		struct daxctl_dev *dev = pmem->ns[i].dev;

		if (!pick[i])
			continue;
		rc = daxctl_dev_disable(dev);
		if (!rc)
			rc = daxctl_dev_enable_devdax(dev);
		if (rc)
			rc = setup_fail(rc, "pmem: %s: offline, but cannot be given "
					 "back to device-dax: %s", daxctl_dev_get_devname(dev),
					 strerror(-rc));
		else
			*reclaimed += pmem->ns[i].lent;
	}
	free(pick);
	{
		int rc2 = rescan(pmem);

		if (!rc)
			rc = rc2;
	}
	return rc;
}
