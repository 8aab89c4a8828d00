// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pool-check POOL: libpmemobj's own check of a cache pool (pmemobj_check()), as a
 * separate program.  The tests run it with system(): libpmemobj 1.12 leaks on the
 * failure path and, checking a pool that needs recovery, writes into ranges its own
 * valgrind annotations mark inaccessible; neither is the cache's doing, and a program
 * valgrind does not follow keeps both out of the tests' valgrind and ASan runs.
 * Exit: 0 consistent, 1 inconsistent, 2 unreadable.
 */
#include <stdio.h>

#include "cache.h"

int main(int argc, char **argv)
{
	int rc;

	if (argc != 2) {
		fputs("usage: pool-check POOL\n", stderr);
		return 2;
	}
	rc = cache_pool_check(argv[1]);
	if (rc != 1)
		fprintf(stderr, "%s\n", cache_errormsg());
	return rc == 1 ? 0 : rc == 0 ? 1 : 2;
}
