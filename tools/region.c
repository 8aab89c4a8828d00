// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate region create|list|show|remove: regions from the command line, so that a region
 * can be made for any program to map (QEMU's memory-backend-file, a database's pool).
 *
 * Everything goes through libkstate's region API; the file itself is only stat()ed for
 * its size and allocated blocks.  See docs/man/kstate.8.scd, "REGIONS".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "region.h"

#define OPT_SIZE	0x300

struct region_opts {
	const char *store;
	const char *name;
	uint64_t size;
	bool json;
};

struct region_cmd {
	const char *name;
	const char *synopsis;
	const char *summary;
	const char *options;
	bool takes_name;
	int (*run)(struct kstate_ctx *ctx, struct region_opts *o);
};

#define HELP_STORE	"  --store DIR        the store (default: $KSTATE_STORE, else " \
			TOOL_DEFAULT_STORE ")\n"
#define HELP_JSON	"  --json             print JSON instead of text\n"
#define HELP_SIZE	"  --size SIZE        bytes, a multiple of 4096; K, M, G, T suffixes\n"
#define HELP_COMMON	"  -h, --help         this text\n" \
			"  -V, --version      print the version\n"

/* ---------------------------------------------------------------------------------- */
/* What the store and the file say about one region */

struct region_info {
	char name[64];
	char path[4096];
	bool exists;
	uint64_t size;		/* the file's size */
	uint64_t allocated;	/* bytes of blocks the filesystem has given it */
	uint64_t listed;	/* newest sealed generation, if it lists the region; else 0 */
	uint64_t listed_size;	/* the size that generation records */
};

static int region_info_get(struct kstate_store *s, struct kstate_generation *g,
			   const char *name, struct region_info *info)
{
	struct stat st;
	int rc, i;

	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", name);
	rc = kstate_store_region_path(s, name, info->path, sizeof(info->path));
	if (rc)
		return rc;
	if (lstat(info->path, &st) == 0 && S_ISREG(st.st_mode)) {
		info->exists = true;
		info->size = (uint64_t)st.st_size;
		info->allocated = (uint64_t)st.st_blocks * 512;
	}
	i = g ? kstate_generation_find(g, KSTATE_KIND_REGION, name) : -1;
	if (i >= 0) {
		info->listed = kstate_generation_number(g);
		info->listed_size = kstate_generation_entry_size(g, (unsigned int)i);
	}
	return 0;
}

/* "ok", or why a load of the newest generation would refuse it. */
static const char *region_state(const struct region_info *info)
{
	if (!info->exists)
		return info->listed ? "missing" : "absent";
	if (!info->listed)
		return "unlisted";
	return info->size == info->listed_size ? "ok" : "size-mismatch";
}

static void region_json(struct json_object *o, const struct region_info *info)
{
	tool_json_add_str(o, "name", info->name);
	tool_json_add_str(o, "path", info->path);
	tool_json_add_u64(o, "size", info->size);
	tool_json_add_u64(o, "allocated", info->allocated);
	tool_json_add_u64(o, "listed_generation", info->listed);
	tool_json_add_u64(o, "listed_size", info->listed_size);
	tool_json_add_str(o, "state", region_state(info));
}

static void region_header(void)
{
	printf("%-31s %14s %14s %10s %-13s %s\n", "NAME", "SIZE", "ALLOCATED", "LISTED", "STATE",
	       "PATH");
}

static void region_line(const struct region_info *info)
{
	printf("%-31s %14" PRIu64 " %14" PRIu64 " ", info->name, info->size, info->allocated);
	if (info->listed)
		printf("%10" PRIu64, info->listed);
	else
		printf("%10s", "-");
	printf(" %-13s %s\n", region_state(info), info->path);
}

/* The newest sealed generation, or NULL when there is none (or it is refused). */
static struct kstate_generation *newest_generation(struct kstate_store *s)
{
	struct kstate_generation *g = NULL;
	int rc = kstate_generation_new(s, 0, &g);

	if (rc && rc != -ENOENT)
		tool_warn("cannot read the newest generation, so no region shows as listed: "
			  "%s", kstate_errormsg());
	return rc ? NULL : g;
}

/* ---------------------------------------------------------------------------------- */
/* create NAME --size SIZE */

static int region_create(struct kstate_ctx *ctx, struct region_opts *o)
{
	const char *path = tool_store_path(o->store);
	struct kstate_store *s = NULL;
	struct kstate_region *r = NULL;
	struct region_info info;
	int rc, exit_code;

	if (!o->size)
		return tool_usage_error("--size is required");
	exit_code = tool_store_open(ctx, path, 0, &s);
	if (exit_code)
		return exit_code;
	rc = kstate_region_map(s, o->name, o->size, KSTATE_REGION_CREATE | KSTATE_REGION_EXCL,
			       &r);
	if (rc == -EEXIST) {
		tool_err("%s: 'kstate region show %s' tells what it is; nothing was changed",
			 kstate_errormsg(), o->name);
		exit_code = TOOL_EXIT_REFUSED;
		goto out;
	}
	if (rc) {
		exit_code = tool_fail(rc, rc == -EINVAL ? "nothing was created" : NULL);
		goto out;
	}
	rc = region_info_get(s, NULL, o->name, &info);
	if (rc) {
		exit_code = tool_fail(rc, NULL);
		goto out;
	}
	if (o->json) {
		struct json_object *root = json_object_new_object();

		tool_json_add_str(root, "store", path);
		region_json(root, &info);
		tool_json_add_bool(root, "pmem", kstate_region_is_pmem(r));
		tool_json_print(&root);
	} else {
		printf("region %s: %" PRIu64 " bytes, zero-filled, %s\n%s\n", o->name, info.size,
		       kstate_region_is_pmem(r) ? "persistent memory (DAX, MAP_SYNC)" :
		       "page cache (not DAX: persisted with msync)", info.path);
	}
out:
	kstate_region_unmap(&r);
	kstate_store_delete(&s);
	return exit_code;
}

/* ---------------------------------------------------------------------------------- */
/* list */

struct list_state {
	struct kstate_generation *g;
	struct json_object *array;
	unsigned int count;
	int rc;
};

static void list_one(struct kstate_store *s, const char *name, void *userdata)
{
	struct list_state *st = userdata;
	struct region_info info;
	int rc = region_info_get(s, st->g, name, &info);

	if (rc) {
		st->rc = rc;
		return;
	}
	if (st->array)
		region_json(tool_json_append_object(st->array), &info);
	else
		region_line(&info);
	st->count++;
}

static int region_list(struct kstate_ctx *ctx, struct region_opts *o)
{
	const char *path = tool_store_path(o->store);
	struct list_state st = { 0 };
	struct json_object *root = NULL;
	struct kstate_store *s = NULL;
	int rc, exit_code;

	exit_code = tool_store_open(ctx, path, KSTATE_STORE_RDONLY, &s);
	if (exit_code)
		return exit_code;
	st.g = newest_generation(s);
	if (o->json) {
		root = json_object_new_object();
		tool_json_add_str(root, "store", path);
		tool_json_add_u64(root, "generation", st.g ? kstate_generation_number(st.g) : 0);
		st.array = tool_json_add_array(root, "regions");
	} else {
		region_header();
	}
	rc = kstate_store_region_each(s, list_one, &st);
	if (rc >= 0 && st.rc)
		rc = st.rc;
	if (rc < 0) {
		exit_code = tool_fail(rc, NULL);
		json_object_put(root);
	} else if (root) {
		tool_json_print(&root);
	} else if (!st.count) {
		printf("(no regions)\n");
	}
	kstate_generation_delete(&st.g);
	kstate_store_delete(&s);
	return exit_code;
}

/* ---------------------------------------------------------------------------------- */
/* show NAME */

static int region_show(struct kstate_ctx *ctx, struct region_opts *o)
{
	const char *path = tool_store_path(o->store);
	struct kstate_generation *g = NULL;
	struct kstate_store *s = NULL;
	struct region_info info;
	int rc, exit_code;

	exit_code = tool_store_open(ctx, path, KSTATE_STORE_RDONLY, &s);
	if (exit_code)
		return exit_code;
	g = newest_generation(s);
	rc = region_info_get(s, g, o->name, &info);
	if (rc) {
		exit_code = tool_fail(rc, NULL);
		goto out;
	}
	if (!info.exists && !info.listed) {
		tool_err("store %s has no region '%s': 'kstate region list' shows what it has",
			 path, o->name);
		exit_code = TOOL_EXIT_NOTFOUND;
		goto out;
	}
	if (o->json) {
		struct json_object *root = json_object_new_object();

		tool_json_add_str(root, "store", path);
		region_json(root, &info);
		tool_json_print(&root);
	} else {
		printf("region:         %s\n", info.name);
		printf("path:           %s\n", info.path);
		printf("size:           %" PRIu64 " bytes (%" PRIu64 " allocated)\n", info.size,
		       info.allocated);
		if (info.listed)
			printf("listed:         by generation %" PRIu64 ", %" PRIu64 " bytes\n",
			       info.listed, info.listed_size);
		else
			printf("listed:         by no sealed generation\n");
		printf("state:          %s\n", region_state(&info));
	}
	/* A load of the newest generation would refuse it: say so in the exit code. */
	if (!strcmp(region_state(&info), "missing") ||
	    !strcmp(region_state(&info), "size-mismatch")) {
		tool_err("region %s: %s: generation %" PRIu64 " records %" PRIu64 " bytes, the "
			 "file has %s", o->name, region_state(&info), info.listed,
			 info.listed_size, info.exists ? "another size" : "gone");
		exit_code = TOOL_EXIT_FAILURE;
	}
out:
	kstate_generation_delete(&g);
	kstate_store_delete(&s);
	return exit_code;
}

/* ---------------------------------------------------------------------------------- */
/* remove NAME */

static int region_remove(struct kstate_ctx *ctx, struct region_opts *o)
{
	const char *path = tool_store_path(o->store);
	struct kstate_store *s = NULL;
	int rc, exit_code;

	exit_code = tool_store_open(ctx, path, 0, &s);
	if (exit_code)
		return exit_code;
	rc = kstate_region_remove(s, o->name);
	if (rc == -EBUSY) {
		/* Sealed state is never removed behind its manifest's back. */
		tool_err("%s; its owner drops it from the next generation first (for a QEMU "
			 "guest: 'kstate-qemu discard'); nothing was removed", kstate_errormsg());
		exit_code = TOOL_EXIT_REFUSED;
	} else if (rc) {
		exit_code = tool_fail(rc, NULL);
	} else if (o->json) {
		struct json_object *root = json_object_new_object();

		tool_json_add_str(root, "store", path);
		tool_json_add_str(root, "name", o->name);
		tool_json_add_bool(root, "removed", true);
		tool_json_print(&root);
	} else {
		printf("region %s removed\n", o->name);
	}
	kstate_store_delete(&s);
	return exit_code;
}

/* ---------------------------------------------------------------------------------- */
/* Command line */

static const struct region_cmd region_cmds[] = {
	{ "create", "region create NAME --size SIZE [--store DIR] [--json]",
	  "make a new zero-filled region (blocks allocated on DAX)",
	  HELP_STORE HELP_SIZE HELP_JSON, true, region_create },
	{ "list", "region list [--store DIR] [--json]",
	  "every region file of the store, and whether the newest generation lists it",
	  HELP_STORE HELP_JSON, false, region_list },
	{ "show", "region show NAME [--store DIR] [--json]",
	  "one region: its file, size and what the newest generation records",
	  HELP_STORE HELP_JSON, true, region_show },
	{ "remove", "region remove NAME [--store DIR] [--json]",
	  "delete a region no sealed generation lists",
	  HELP_STORE HELP_JSON, true, region_remove },
};

#define N_REGION_CMDS (sizeof(region_cmds) / sizeof(region_cmds[0]))

static void region_usage(void)
{
	size_t i;

	printf("Usage: kstate region COMMAND [NAME] [OPTIONS]\n\n"
	       "Regions are files of the store that programs map shared and change in place\n"
	       "(guest RAM of a VMM, a pool); a generation lists the ones its owner commits.\n\n"
	       "Commands:\n");
	for (i = 0; i < N_REGION_CMDS; i++)
		printf("  %-8s %s\n", region_cmds[i].name, region_cmds[i].summary);
	printf("\nOptions:\n" HELP_STORE HELP_COMMON "\n");
	tool_print_exit_codes(stdout);
}

static void region_cmd_usage(const struct region_cmd *c)
{
	printf("Usage: kstate %s\n\n%s.\n\nOptions:\n%s%s\n", c->synopsis, c->summary, c->options,
	       HELP_COMMON);
	tool_print_exit_codes(stdout);
}

/* Return: -1 to run the command, else the exit code. */
static int region_parse(const struct region_cmd *c, int argc, char **argv,
			struct region_opts *o)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, TOOL_OPT_STORE },
		{ "json", no_argument, NULL, TOOL_OPT_JSON },
		{ "size", required_argument, NULL, OPT_SIZE },
		TOOL_OPTIONS_COMMON, { 0 }
	};
	int ch;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (ch) {
		case TOOL_OPT_HELP:
			region_cmd_usage(c);
			return TOOL_EXIT_OK;
		case TOOL_OPT_VERSION:
			tool_print_version();
			return TOOL_EXIT_OK;
		case TOOL_OPT_STORE:
			o->store = optarg;
			break;
		case TOOL_OPT_JSON:
			o->json = true;
			break;
		case OPT_SIZE:
			if (c->run != region_create)
				return tool_usage_error("--size is only for 'region create'");
			if (tool_parse_size("--size", optarg, &o->size))
				return TOOL_EXIT_USAGE;
			if (!o->size || o->size % 4096)
				return tool_usage_error("--size %s: must be a non-zero multiple "
							"of 4096", optarg);
			break;
		default:
			return tool_getopt_error(ch, argv);
		}
	}
	if (c->takes_name) {
		if (optind >= argc)
			return tool_usage_error("missing NAME");
		o->name = argv[optind++];
	}
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	return -1;
}

int region_main(int argc, char **argv, const char *store)
{
	static char name[64];
	struct region_opts o = { .store = store };
	const struct region_cmd *c = NULL;
	struct kstate_ctx *ctx = NULL;
	size_t i;
	int rc;

	tool_set_name("kstate region");
	if (argc < 2)
		return tool_usage_error("missing command: create, list, show or remove");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		region_usage();
		return TOOL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		tool_print_version();
		return TOOL_EXIT_OK;
	}
	for (i = 0; i < N_REGION_CMDS; i++)
		if (!strcmp(argv[1], region_cmds[i].name))
			c = &region_cmds[i];
	if (!c)
		return tool_usage_error("unknown command '%s': create, list, show or remove",
					argv[1]);
	snprintf(name, sizeof(name), "kstate region %s", c->name);
	tool_set_name(name);
	rc = region_parse(c, argc - 1, argv + 1, &o);
	if (rc >= 0)
		return rc;
	rc = tool_ctx_new(&ctx);
	if (rc)
		return rc;
	rc = c->run(ctx, &o);
	kstate_ctx_delete(&ctx);
	return rc;
}
