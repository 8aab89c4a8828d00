/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpmem2, loaded when the first region (or DAX mapping) needs it.
 *
 * Debian's libpmem2 links libndctl and libdaxctl (and through them libudev, libkmod,
 * libcrypto, libzstd, liblzma).  A program that only saves and loads records must not
 * pay for that, so libkstate does not link libpmem2: it dlopen()s it on first use,
 * through kstate_pmem2_load().  Code calls the pmem2_*() functions as usual after
 * including this header (instead of <libpmem2.h>): each name below is redirected to a
 * pointer filled in by the loader.  Call kstate_pmem2_load() first; a function used
 * before a successful load is a NULL pointer.  A new libpmem2 function is added to
 * KSTATE_PMEM2_FUNCS.
 */
#ifndef LIBKSTATE_PMEM2_DL_H
#define LIBKSTATE_PMEM2_DL_H

#include <libpmem2.h>

struct kstate_ctx;

#define KSTATE_PMEM2_FUNCS(X)					\
	X(pmem2_config_new)					\
	X(pmem2_config_delete)					\
	X(pmem2_config_set_required_store_granularity)		\
	X(pmem2_config_set_length)				\
	X(pmem2_config_set_offset)				\
	X(pmem2_config_set_sharing)				\
	X(pmem2_source_from_fd)					\
	X(pmem2_source_delete)					\
	X(pmem2_source_size)					\
	X(pmem2_map_new)					\
	X(pmem2_map_delete)					\
	X(pmem2_map_get_address)				\
	X(pmem2_map_get_size)					\
	X(pmem2_map_get_store_granularity)			\
	X(pmem2_get_persist_fn)					\
	X(pmem2_get_flush_fn)					\
	X(pmem2_get_drain_fn)					\
	X(pmem2_get_memcpy_fn)					\
	X(pmem2_get_memmove_fn)					\
	X(pmem2_get_memset_fn)					\
	X(pmem2_errormsg)

struct kstate_pmem2_api {
#define KSTATE_PMEM2_PTR(f) __typeof__(f) *f;
	KSTATE_PMEM2_FUNCS(KSTATE_PMEM2_PTR)
#undef KSTATE_PMEM2_PTR
};

extern struct kstate_pmem2_api kstate_pmem2;

/*
 * Load libpmem2 once per process (thread-safe).  Return: 0, or -ELIBACC when it
 * cannot be loaded (the reason is in kstate_errormsg(), logged through @ctx).
 */
int kstate_pmem2_load(struct kstate_ctx *ctx);

#ifndef KSTATE_PMEM2_DL_IMPL
#define pmem2_config_new				kstate_pmem2.pmem2_config_new
#define pmem2_config_delete				kstate_pmem2.pmem2_config_delete
#define pmem2_config_set_required_store_granularity \
	kstate_pmem2.pmem2_config_set_required_store_granularity
#define pmem2_config_set_length				kstate_pmem2.pmem2_config_set_length
#define pmem2_config_set_offset				kstate_pmem2.pmem2_config_set_offset
#define pmem2_config_set_sharing			kstate_pmem2.pmem2_config_set_sharing
#define pmem2_source_from_fd				kstate_pmem2.pmem2_source_from_fd
#define pmem2_source_delete				kstate_pmem2.pmem2_source_delete
#define pmem2_source_size				kstate_pmem2.pmem2_source_size
#define pmem2_map_new					kstate_pmem2.pmem2_map_new
#define pmem2_map_delete				kstate_pmem2.pmem2_map_delete
#define pmem2_map_get_address				kstate_pmem2.pmem2_map_get_address
#define pmem2_map_get_size				kstate_pmem2.pmem2_map_get_size
#define pmem2_map_get_store_granularity			kstate_pmem2.pmem2_map_get_store_granularity
#define pmem2_get_persist_fn				kstate_pmem2.pmem2_get_persist_fn
#define pmem2_get_flush_fn				kstate_pmem2.pmem2_get_flush_fn
#define pmem2_get_drain_fn				kstate_pmem2.pmem2_get_drain_fn
#define pmem2_get_memcpy_fn				kstate_pmem2.pmem2_get_memcpy_fn
#define pmem2_get_memmove_fn				kstate_pmem2.pmem2_get_memmove_fn
#define pmem2_get_memset_fn				kstate_pmem2.pmem2_get_memset_fn
#define pmem2_errormsg					kstate_pmem2.pmem2_errormsg
#endif

#endif /* LIBKSTATE_PMEM2_DL_H */
