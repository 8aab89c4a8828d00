// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate-bench: the measurements behind docs/perf.md.  scripts/bench runs them and
 * turns their JSON into build/bench/summary.json and the plots.
 *
 * Copyright (c) 2026 The kstate authors
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "common.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kstate-bench setup       --dir DIR --sizes LIST [--fill MAX|all]\n"
		"       kstate-bench restore     --dir DIR --sizes LIST [--reps N] [--csv FILE]\n"
		"       kstate-bench restore-touch --dir DIR --sizes LIST [--reps N] [--csv FILE]\n"
		"       kstate-bench save        --dir DIR [--bytes SIZE] [--record SIZE] [--reps N]\n"
		"                                [--csv FILE]\n"
		"       kstate-bench commit      --dir DIR [--bytes SIZE] [--record SIZE] [--reps N]\n"
		"       kstate-bench first-touch --dir DIR --sizes SIZE [--write] [--reps N]\n"
		"                                [--csv FILE]\n"
		"\n"
		"Measures kstate's restore and save paths against copying the same bytes, and\n"
		"prints one JSON object with medians and ratios; --csv keeps every sample.\n"
		"setup creates a store in DIR with one region per size (named after it);\n"
		"restore and first-touch restore those regions.  restore-touch makes its own\n"
		"store per size under DIR, restores it by mapping and touching 0/10/100 %%\n"
		"of it, and by copying it (zero pages skipped, one thread per CPU).  save\n"
		"times durable commits against memcpy and libpmem2's non-temporal copy; commit\n"
		"only commits (--reps of them), for counting what a commit costs.\n"
		"\n"
		"  -d, --dir DIR      store directory (setup and save create it)\n"
		"  -s, --sizes LIST   comma-separated sizes, K/M/G suffixes, multiples of 4K\n"
		"  -f, --fill MAX     setup: write real bytes into every region up to MAX bytes\n"
		"                     (or 'all')\n"
		"  -b, --bytes SIZE   save: payload bytes (default 256M)\n"
		"  -r, --record SIZE  save: bytes per record (default 64K)\n"
		"  -n, --reps N       rounds, each measuring every variant once (default 9, max 256)\n"
		"  -c, --csv FILE     write every sample to FILE\n"
		"  -w, --write        first-touch: write each page instead of reading it\n"
		"  -o, --output FILE  write the JSON result to FILE instead of stdout\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n"
		"\n"
		"Exit status: 0 ok, 1 error, 2 usage. See docs/perf.md.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "sizes", required_argument, NULL, 's' },
		{ "fill", required_argument, NULL, 'f' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "record", required_argument, NULL, 'r' },
		{ "reps", required_argument, NULL, 'n' },
		{ "csv", required_argument, NULL, 'c' },
		{ "write", no_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		TOOL_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = {
		.bytes = 256ULL << 20,
		.record = 64ULL << 10,
		.reps = 9,
	};
	struct kstate_ctx *ctx = NULL;
	const char *cmd;
	bool sized;
	int c, rc = 0;

	tool_set_name("kstate-bench");
	/* The command comes first; options follow it. */
	cmd = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
	if (cmd) {
		argc--;
		argv++;
	}
	opterr = 0;
	while (!rc && (c = getopt_long(argc, argv, ":d:s:f:b:r:n:c:wo:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.dir = optarg;
			break;
		case 's':
			rc = bench_parse_sizes(optarg, &o);
			break;
		case 'f':
			if (!strcmp(optarg, "all"))
				o.fill = UINT64_MAX;
			else
				rc = tool_parse_size("--fill", optarg, &o.fill);
			break;
		case 'b':
			rc = tool_parse_size("--bytes", optarg, &o.bytes);
			break;
		case 'r':
			rc = tool_parse_size("--record", optarg, &o.record);
			break;
		case 'n':
			rc = tool_parse_uint("--reps", optarg, &o.reps);
			if (!rc && (o.reps < 1 || o.reps > BENCH_MAX_REPS))
				rc = tool_usage_error("--reps %s: give 1 to %d", optarg,
						      BENCH_MAX_REPS);
			break;
		case 'c':
			o.csv = optarg;
			break;
		case 'w':
			o.write = true;
			break;
		case 'o':
			if (!freopen(optarg, "w", stdout)) {
				tool_err("--output %s: %s", optarg, strerror(errno));
				return TOOL_EXIT_FAILURE;
			}
			break;
		case TOOL_OPT_HELP:
			usage(stdout);
			return TOOL_EXIT_OK;
		case TOOL_OPT_VERSION:
			tool_print_version();
			return TOOL_EXIT_OK;
		default:
			return tool_getopt_error(c, argv);
		}
	}
	if (rc)
		return rc;
	if (!cmd || optind < argc)
		return tool_usage_error("give one command: setup, restore, restore-touch, save, "
					"commit or first-touch");
	sized = strcmp(cmd, "save") && strcmp(cmd, "commit");
	if (!o.dir || (sized && !o.nsizes))
		return tool_usage_error("%s needs --dir%s", cmd, sized ? " and --sizes" : "");
	if (!o.record || !o.bytes)
		return tool_usage_error("--bytes and --record must not be 0");
	rc = tool_ctx_new(&ctx);
	if (rc)
		return rc;
	if (!strcmp(cmd, "setup"))
		rc = bench_setup(ctx, &o);
	else if (!strcmp(cmd, "restore"))
		rc = bench_restore(ctx, &o);
	else if (!strcmp(cmd, "restore-touch"))
		rc = bench_restore_touch(ctx, &o);
	else if (!strcmp(cmd, "save"))
		rc = bench_save(ctx, &o);
	else if (!strcmp(cmd, "commit"))
		rc = bench_commit(ctx, &o);
	else if (!strcmp(cmd, "first-touch"))
		rc = bench_first_touch(ctx, &o);
	else
		rc = tool_usage_error("unknown command '%s'", cmd);
	kstate_ctx_delete(&ctx);
	return rc;
}
