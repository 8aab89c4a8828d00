// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The status backend for builds without the kstate module's device API: nothing is
 * live, so "kstate list" reports what the store holds.
 */
#include <errno.h>

#include "status.h"

int status_live_clients(const char *store, struct status_client **clients, size_t *count)
{
	(void)store;
	*clients = NULL;
	*count = 0;
	return -ENODEV;
}
