// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pmem2_dl.c - load libpmem2 on first use: see pmem2_dl.h for why.
 *
 * Copyright (c) 2026 The kstate authors
 */
#define KSTATE_PMEM2_DL_IMPL
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "pmem2_dl.h"
#include "private.h"

#ifndef KSTATE_PMEM2_SONAME
#define KSTATE_PMEM2_SONAME "libpmem2.so.1"
#endif

struct kstate_pmem2_api kstate_pmem2;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
	struct kstate_pmem2_api api;
	void *h = dlopen(KSTATE_PMEM2_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		return;
	}
#define KSTATE_PMEM2_SYM(f)						\
	api.f = (__typeof__(api.f))dlsym(h, #f);			\
	if (!api.f) {							\
		snprintf(load_error, sizeof(load_error), "%s: no symbol %s",	\
			 KSTATE_PMEM2_SONAME, #f);				\
		dlclose(h);						\
		return;							\
	}
	KSTATE_PMEM2_FUNCS(KSTATE_PMEM2_SYM)
#undef KSTATE_PMEM2_SYM
	/* Stays loaded for the life of the process, as a linked library would. */
	kstate_pmem2 = api;
}

int kstate_pmem2_load(struct kstate_ctx *ctx)
{
	pthread_once(&once, load);
	if (load_error[0])
		return kstate_fail(ctx, -ELIBACC, "cannot load %s, which maps regions: %s "
				   "(install PMDK's libpmem2)", KSTATE_PMEM2_SONAME, load_error);
	return 0;
}
