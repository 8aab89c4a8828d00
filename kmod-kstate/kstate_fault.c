// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection and resource counters, for tests.
 *
 * The Debian kernels the lab runs have no CONFIG_FAULT_INJECTION, so the module carries
 * its own, as parameters (also writable in /sys/module/kstate/parameters/):
 *
 *   fail_where=POINT   the injection point to arm (see kstate_fault() callers:
 *                      save_alloc, save_entries, save_open, save_write, save_fsync,
 *                      read_open, read_alloc, read, bind_alloc, restore_validate,
 *                      region_alloc, region_open, region_zero, region_extents,
 *                      region_dax, region_immutable, region_crc)
 *   fail_nth=N         fail the Nth time POINT is reached after this is written
 *                      (1: the next time); 0 disarms.  Only one failure is injected.
 *   fail_injected      read-only: failures injected so far, so a test knows its point
 *                      was really reached
 *
 *   region_probe       write-only: "NAME PAGES" creates region NAME of PAGES pages in
 *                      the bound store as a client would, reports it in the kernel log
 *                      (extents, metadata size), closes and removes it; the write
 *                      returns the open's error.  For tests of large regions.
 *
 * The counters say what the module holds right now; after any failed operation they
 * must be back where they were before it (no leak):
 *
 *   files_open         files of the store the module has open
 *   buffers            kvmalloc'ed buffers (record files in memory, entry lists, the
 *                      arrays of a region)
 *   regions            region objects, open or being opened
 *   dax_refs           DAX device references taken for regions
 *
 * Copyright (c) 2026 The kstate authors
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "kstate_internal.h"

static char fail_where[32];

/* "echo POINT > .../fail_where" leaves a newline that is not part of the name. */
static int fail_where_set(const char *val, const struct kernel_param *kp)
{
	strscpy(fail_where, val, sizeof(fail_where));
	fail_where[strcspn(fail_where, "\n")] = '\0';
	return 0;
}

static int fail_where_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", fail_where);
}

static const struct kernel_param_ops fail_where_ops = {
	.set = fail_where_set,
	.get = fail_where_get,
};
module_param_cb(fail_where, &fail_where_ops, NULL, 0644);
MODULE_PARM_DESC(fail_where, "fault injection point to arm (tests only; see fail_nth)");

static unsigned int fail_nth;
static atomic_t fail_reached = ATOMIC_INIT(0);
static atomic_t fail_injected = ATOMIC_INIT(0);

atomic_t kstate_files_open = ATOMIC_INIT(0);
atomic_t kstate_buffers = ATOMIC_INIT(0);
atomic_t kstate_regions = ATOMIC_INIT(0);
atomic_t kstate_dax_refs = ATOMIC_INIT(0);

/* Writing fail_nth re-arms: the count of calls reaching the point starts again. */
static int fail_nth_set(const char *val, const struct kernel_param *kp)
{
	int rc = param_set_uint(val, kp);

	if (!rc)
		atomic_set(&fail_reached, 0);
	return rc;
}

static const struct kernel_param_ops fail_nth_ops = {
	.set = fail_nth_set,
	.get = param_get_uint,
};
module_param_cb(fail_nth, &fail_nth_ops, &fail_nth, 0644);
MODULE_PARM_DESC(fail_nth, "fail the Nth call of fail_where from now on; 0: off");

static int counter_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read((atomic_t *)kp->arg));
}

static const struct kernel_param_ops counter_ops = {
	.get = counter_get,
};
module_param_cb(fail_injected, &counter_ops, &fail_injected, 0444);
MODULE_PARM_DESC(fail_injected, "failures injected so far");
module_param_cb(files_open, &counter_ops, &kstate_files_open, 0444);
MODULE_PARM_DESC(files_open, "store files the module holds open");
module_param_cb(buffers, &counter_ops, &kstate_buffers, 0444);
MODULE_PARM_DESC(buffers, "kvmalloc'ed buffers the module holds");
module_param_cb(regions, &counter_ops, &kstate_regions, 0444);
MODULE_PARM_DESC(regions, "region objects alive");
module_param_cb(dax_refs, &counter_ops, &kstate_dax_refs, 0444);
MODULE_PARM_DESC(dax_refs, "DAX device references held for regions");

/* region_probe: a region opened and closed as a client would, with no client module. */
static int region_probe_set(const char *val, const struct kernel_param *kp)
{
	static struct kstate_client probe = { .name = "kstate-probe" };
	char name[KSTATE_NAME_LEN];
	struct kstate_region *r;
	char fname[KSTATE_FILENAME_MAX];
	unsigned long pages;
	u64 t0;
	int rc;

	if (sscanf(val, "%31s %lu", name, &pages) != 2)
		return -EINVAL;
	mutex_lock(&kstate_mutex);
	if (kstate_frozen) {
		mutex_unlock(&kstate_mutex);
		return -EBUSY;
	}
	INIT_LIST_HEAD(&probe.regions);
	t0 = ktime_get_ns();
	rc = kstate_region_open(&probe, name, pages, &r);
	if (!rc) {
		/* Only what the probe created goes: an existing region may be a client's. */
		bool created = kstate_region_is_new(r);

		pr_info("region_probe: %s opened in %llu ms\n", name,
			(ktime_get_ns() - t0) / NSEC_PER_MSEC);
		kstate_region_close(r);
		kstate_region_filename(fname, sizeof(fname), name);
		rc = created ? kstate_region_unlink(fname) : -EEXIST;
	}
	mutex_unlock(&kstate_mutex);
	return rc;
}

static const struct kernel_param_ops region_probe_ops = {
	.set = region_probe_set,
};
module_param_cb(region_probe, &region_probe_ops, NULL, 0200);
MODULE_PARM_DESC(region_probe, "\"NAME PAGES\": create, report and remove a region (tests)");

/**
 * kstate_fault - an injection point
 * @where: the point's name, matched against the fail_where parameter
 * @error: the negative errno to inject
 *
 * Return: @error when this call is the armed one, else 0.
 */
int kstate_fault(const char *where, int error)
{
	unsigned int nth = READ_ONCE(fail_nth);

	if (likely(!nth) || strcmp(where, fail_where))
		return 0;
	if (atomic_inc_return(&fail_reached) != nth)
		return 0;
	atomic_inc(&fail_injected);
	pr_info("fault injected at %s (call %u): %d\n", where, nth, error);
	return error;
}

/**
 * kstate_buf_alloc - a zeroed, counted kvmalloc buffer
 * @n: number of elements
 * @size: element size
 * @where: injection point (fails with NULL, as out of memory)
 *
 * Return: the buffer (free with kstate_buf_free()) or NULL.
 */
void *kstate_buf_alloc(size_t n, size_t size, const char *where)
{
	void *p;

	if (kstate_fault(where, -ENOMEM))
		return NULL;
	p = kvcalloc(n ? n : 1, size, GFP_KERNEL);
	if (p)
		atomic_inc(&kstate_buffers);
	return p;
}

/**
 * kstate_buf_free - free a buffer from kstate_buf_alloc()
 * @p: the buffer, or NULL
 */
void kstate_buf_free(void *p)
{
	if (!p)
		return;
	atomic_dec(&kstate_buffers);
	kvfree(p);
}
