/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What differs between the kernels kstate builds for (6.1 and 6.12 LTS), in one place,
 * keyed on the version that made the change, never on a lab kernel's name.
 *
 * Copyright (c) 2026 The kstate authors
 */
#ifndef _KSTATE_COMPAT_H
#define _KSTATE_COMPAT_H

#include <linux/version.h>
#include <linux/mount.h>
#include <linux/slab.h>

/* 6.3 replaced the mount's user namespace by its idmap in the vfs_*() helpers. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define kstate_mnt_idmap(mnt)	mnt_idmap(mnt)
#else
#define kstate_mnt_idmap(mnt)	mnt_user_ns(mnt)
#endif

/* 6.12 dropped kvrealloc()'s old-size argument. */
static inline void *kstate_kvrealloc(void *p, size_t old_size, size_t new_size, gfp_t gfp)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	return kvrealloc(p, new_size, gfp);
#else
	return kvrealloc(p, old_size, new_size, gfp);
#endif
}

#endif /* _KSTATE_COMPAT_H */
