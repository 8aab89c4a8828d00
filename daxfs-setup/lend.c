// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * daxfs-setup lend and reclaim: spare persistent memory (devdax, or an empty second
 * memmap= range) onlined as movable system RAM while it is not needed, and offlined
 * back.  The work is pmem.c's pmem_lend()/pmem_reclaim().
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daxfs-setup.h"
#include "common.h"
#include "msg.h"
#include "pmem.h"

/* SIGALRM only has to interrupt the kernel's offlining loop; nothing to do here. */
static void on_alarm(int sig)
{
	(void)sig;
}

static int lend_or_reclaim(int argc, char **argv, bool lend)
{
	static const struct option longopts[] = {
		{ "namespace", required_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *what = lend ? "lend" : "reclaim", *name = NULL;
	struct pmem *pmem = NULL;
	unsigned int flags = 0, timeout = 60;
	uint64_t size = 0, done = 0;
	bool json = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "N:T:njh", longopts, NULL)) != -1) {
		switch (c) {
		case 'N': name = optarg; break;
		case 'T': timeout = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'n': flags |= PMEM_DRY_RUN; break;
		case 'j': json = true; break;
		case 'h': return usage(stdout, EXIT_OK);
		default: return usage_error("%s: bad option", what);
		}
	}
	if (optind + 1 != argc && !(name && optind == argc))
		return usage_error("%s: give SIZE (like 512M), or --namespace NAME", what);
	if (optind < argc && tool_size_parse(argv[optind], &size))
		return usage_error("%s: '%s' is not a size like 512M", what, argv[optind]);
	rc = pmem_new(&pmem);
	if (rc) {
		rc = error(EXIT_FAIL, "%s", setup_errormsg());
		goto out;
	}
	if (lend) {
		rc = pmem_lend(pmem, name, size, flags, &done);
	} else {
		struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */

		sigaction(SIGALRM, &sa, NULL);
		alarm(timeout);
		rc = pmem_reclaim(pmem, name, size, flags, &done);
		alarm(0);
	}
	if (rc) {
		rc = error(rc == -EBUSY && !lend ? EXIT_BUSY : rc == -EINTR ? EXIT_BUSY :
			   rc == -ENOENT ? EXIT_NOTFOUND :
			   rc == -ENOSPC || rc == -EBUSY || rc == -EEXIST || rc == -EINVAL ||
			   rc == -EPERM ? EXIT_REFUSED : EXIT_FAIL, "%s%s", setup_errormsg(),
			   rc == -EINTR ? " (timed out: see --timeout)" : "");
		goto out;
	}
	if (json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, lend ? "lent" : "reclaimed",
				       json_object_new_uint64(done));
		json_object_object_add(j, "dry_run",
				       json_object_new_boolean(flags & PMEM_DRY_RUN));
		json_print(j);
	} else {
		printf("%s%s %.1f MiB %s system RAM\n", flags & PMEM_DRY_RUN ?
		       "would have " : "", lend ? "lent" : "reclaimed", done / 1048576.0,
		       lend ? "as" : "from");
	}
out:
	pmem_delete(&pmem);
	return rc;
}

int cmd_lend(int argc, char **argv)
{
	return lend_or_reclaim(argc, argv, true);
}

int cmd_reclaim(int argc, char **argv)
{
	return lend_or_reclaim(argc, argv, false);
}
