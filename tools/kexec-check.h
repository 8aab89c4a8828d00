/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What kstate-save checks before it loads a kernel to kexec into: the new command line
 * keeps the reservation the store lives on, and the new kernel has a kstate module
 * that reads the store's format.  Each check returns 0 or a negative errno and leaves
 * the reason in @why (what was found and what to do).
 */
#ifndef KSTATE_TOOLS_KEXEC_CHECK_H
#define KSTATE_TOOLS_KEXEC_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"

/* What the store's filesystem lives on, as far as a reboot is concerned. */
enum backing_kind {
	BACKING_OTHER,		/* not persistent memory: nothing to keep reserved */
	BACKING_MEMMAP,		/* a memmap= (e820) region: the command line reserves it */
	BACKING_NVDIMM,		/* an NVDIMM the firmware describes (NFIT) */
};

struct backing {
	enum backing_kind kind;
	char device[64];	/* block device, e.g. "pmem0" */
	char region[32];	/* e.g. "region0" */
	uint64_t start;		/* physical range of the region */
	uint64_t size;
};

/*
 * Where @path's filesystem lives: its block device and, for persistent memory, the
 * region and its physical range, from @sysfs (normally "/sys").
 */
int backing_find(const char *sysfs, const char *path, struct backing *b, char *why,
		 size_t len);

/* The release ("6.1.0-56-amd64") a bzImage announces in its setup header. */
int kernel_image_release(const char *image, char *release, size_t len, char *why,
			 size_t whylen);

/*
 * What a kstate module reads, as it declares it in its modinfo: kstate_format=M.m and
 * kstate_incompat_{store,manifest,file}=MASK, the incompatible features it understands.
 */
struct format_version {
	unsigned int major;
	unsigned int minor;
	uint32_t incompat_store;
	uint32_t incompat_manifest;
	uint32_t incompat_file;
};

/*
 * Find kstate.ko{,.xz,.zst,.gz} under @moddir/@release and read what it declares into @v.
 * A module from before the declarations reads format 1.0 without incompatible features.
 * Return: 0, -ENOENT when the tree has no kstate module, or another -errno.
 */
int module_format(const char *moddir, const char *release, char *path, size_t pathlen,
		  struct format_version *v, char *why, size_t whylen);

#endif /* KSTATE_TOOLS_KEXEC_CHECK_H */
