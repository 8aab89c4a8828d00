// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pool-check POOL: libpmemobj's own check of a cache pool (pmemobj_check()), as a
 * separate program.  The tests run it rather than call it: libpmemobj 1.12 leaks on the
 * failure path and, checking a pool that needs recovery, writes into ranges its own
 * valgrind annotations mark inaccessible; neither is the cache's doing, and a program
 * valgrind does not follow keeps both out of the tests' valgrind and ASan runs.
 * Exit: 0 consistent, 1 inconsistent, 2 unreadable.
 *
 * pool-check -: one pool path per line on stdin, one line back for each: "0", or "1
 * MESSAGE" / "2 MESSAGE".  The crash test checks hundreds of pools through one process.
 */
#include <stdio.h>
#include <string.h>

#include "cache.h"

static int check(const char *path)
{
	int rc = cache_pool_check(path);

	return rc == 1 ? 0 : rc == 0 ? 1 : 2;
}

int main(int argc, char **argv)
{
	char line[4096];
	int rc;

	if (argc != 2) {
		fputs("usage: pool-check POOL | pool-check -\n", stderr);
		return 2;
	}
	if (strcmp(argv[1], "-")) {
		rc = check(argv[1]);
		if (rc)
			fprintf(stderr, "%s\n", cache_errormsg());
		return rc;
	}
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		rc = check(line);
		if (rc)
			printf("%d %s\n", rc, cache_errormsg());
		else
			printf("0\n");
		fflush(stdout);
	}
	return 0;
}
