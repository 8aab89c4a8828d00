// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * daxfs-setup - from a stock machine to a mounted DAX store: plan and apply a memmap=
 * reservation, provision a namespace and a filesystem, report, lend spare PMEM as RAM.
 *
 * A thin front end: the planning and the namespace work are libkstate's
 * (memmap_plan_*, pmem_*); mkfs, mount and update-grub are run as the
 * standard tools.  Exit codes are in docs/man/daxfs-setup.8.scd.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daxfs-setup.h"
#include "grub.h"
#include "common.h"
#include "memmap-plan.h"
#include "msg.h"


const char *prog = "daxfs-setup";

/* ---------------------------------------------------------------------------------- */
/* Shared helpers */

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try '%s --help')\n", prog);
	return EXIT_USAGE;
}

int error(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void print_cmd(const char *prefix, char *const argv[])
{
	fputs(prefix, stdout);
	for (int i = 0; argv[i]; i++)
		printf("%s%s", i ? " " : "", argv[i]);
	putchar('\n');
}

/* ---------------------------------------------------------------------------------- */
/* plan */

struct plan_opts {
	uint64_t size;
	uint64_t align;
	const char *iomem;
	unsigned int flags;
};

static const char *const warn_names[] = { "below-4g", "low-ram", "pmem-present" };

static int plan_make(const struct plan_opts *o,
		     struct memmap_plan **plan)
{
	int rc = memmap_plan_new(o->iomem, o->size, o->align, o->flags, plan);

	if (rc == -EINVAL && !o->size)
		return usage_error("--size is required");
	if (rc)
		return error(rc == -ENOMEM || rc == -ENOENT || rc == -EACCES ? EXIT_FAIL :
			     EXIT_REFUSED, "%s", setup_errormsg());
	return 0;
}

static struct json_object *plan_json(struct memmap_plan *plan, const char *param)
{
	struct json_object *o = json_object_new_object(), *w = json_object_new_array();
	unsigned int i, n = memmap_plan_range_count(plan);
	uint64_t total = 0;

	json_object_object_add(o, "memmap", json_object_new_string(param));
	for (i = 0; i < n; i++)
		total += memmap_plan_range_size(plan, i);
	if (n == 1) {
		json_object_object_add(o, "start",
			json_object_new_uint64(memmap_plan_range_start(plan, 0)));
		json_object_object_add(o, "size", json_object_new_uint64(total));
	} else {
		struct json_object *r = json_object_new_array();

		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "start",
				json_object_new_uint64(memmap_plan_range_start(plan, i)));
			json_object_object_add(e, "size",
				json_object_new_uint64(memmap_plan_range_size(plan, i)));
			json_object_array_add(r, e);
		}
		json_object_object_add(o, "ranges", r);
		json_object_object_add(o, "size", json_object_new_uint64(total));
	}
	json_object_object_add(o, "ram_total",
			       json_object_new_uint64(memmap_plan_ram_total(plan)));
	for (i = 0; i < sizeof(warn_names) / sizeof(warn_names[0]); i++)
		if (memmap_plan_warnings(plan) & (1U << i))
			json_object_array_add(w, json_object_new_string(warn_names[i]));
	json_object_object_add(o, "warnings", w);
	return o;
}

/* Options shared by plan and apply; returns 1 if @c was one of them, <0 on error. */
static int plan_opt(int c, struct plan_opts *o)
{
	switch (c) {
	case 's':
		if (tool_size_parse(optarg, &o->size))
			return -usage_error("--size: '%s' is not a size like 4G or 512M", optarg);
		return 1;
	case 'a':
		if (tool_size_parse(optarg, &o->align))
			return -usage_error("--align: '%s' is not a size like 1G", optarg);
		return 1;
	case 'i':
		o->iomem = optarg;
		return 1;
	case 'S':
		o->flags |= MEMMAP_PLAN_SPLIT;
		return 1;
	}
	return 0;
}

#define PLAN_LONGOPTS \
	{ "size", required_argument, NULL, 's' }, \
	{ "align", required_argument, NULL, 'a' }, \
	{ "iomem", required_argument, NULL, 'i' }, \
	{ "split", no_argument, NULL, 'S' }

static int cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		PLAN_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct plan_opts o = { 0 };
	struct memmap_plan *plan = NULL;
	bool json = false;
	char param[256];
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:a:i:Sjh", longopts, NULL)) != -1) {
		rc = plan_opt(c, &o);
		if (rc < 0)
			return -rc;
		if (rc)
			continue;
		switch (c) {
		case 'j': json = true; break;
		case 'h': return usage(stdout, EXIT_OK);
		default: return usage_error("plan: bad option");
		}
	}
	if (optind < argc)
		return usage_error("plan: unexpected argument '%s'", argv[optind]);
	if (!o.size)
		return usage_error("plan: --size is required");
	rc = plan_make(&o, &plan);
	if (!rc) {
		memmap_plan_param(plan, param, sizeof(param));
		if (json)
			json_print(plan_json(plan, param));
		else
			puts(param);
	}
	memmap_plan_delete(&plan);
	return rc;
}

/* ---------------------------------------------------------------------------------- */
/* apply */

static int cmd_apply(int argc, char **argv)
{
	static const struct option longopts[] = {
		PLAN_LONGOPTS,
		{ "memmap", required_argument, NULL, 'm' },
		{ "grub-file", required_argument, NULL, 'g' },
		{ "force", no_argument, NULL, 'f' },
		{ "no-update", no_argument, NULL, 'N' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *update[] = { "update-grub", NULL };
	const char *grub_file = "/etc/default/grub", *memmap = NULL;
	struct plan_opts o = { 0 };
	struct memmap_plan *plan = NULL;
	struct grub_change ch = { 0 };
	bool json = false, no_update = false;
	unsigned int flags = 0;
	char param[256], err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:a:i:Sm:g:fNnjh", longopts, NULL)) != -1) {
		rc = plan_opt(c, &o);
		if (rc < 0)
			return -rc;
		if (rc)
			continue;
		switch (c) {
		case 'm': memmap = optarg; break;
		case 'g': grub_file = optarg; break;
		case 'f': flags |= GRUB_FORCE; break;
		case 'N': no_update = true; break;
		case 'n': flags |= GRUB_DRY_RUN; break;
		case 'j': json = true; break;
		case 'h': return usage(stdout, EXIT_OK);
		default: return usage_error("apply: bad option");
		}
	}
	if (optind < argc)
		return usage_error("apply: unexpected argument '%s'", argv[optind]);
	if (!!memmap == !!o.size)
		return usage_error("apply: give either --size (to plan) or --memmap PARAM");
	if (memmap) {
		snprintf(param, sizeof(param), "%s", memmap);
	} else {
		rc = plan_make(&o, &plan);
		if (rc)
			goto out;
		memmap_plan_param(plan, param, sizeof(param));
	}
	rc = grub_set_memmap(grub_file, param, flags, &ch, err, sizeof(err));
	if (rc) {
		rc = error(rc == -EEXIST || rc == -EINVAL ? EXIT_REFUSED : EXIT_FAIL, "%s", err);
		goto out;
	}
	if (json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "grub_file", json_object_new_string(grub_file));
		json_object_object_add(j, "memmap", json_object_new_string(param));
		json_object_object_add(j, "changed", json_object_new_boolean(ch.changed));
		json_object_object_add(j, "dry_run",
				       json_object_new_boolean(flags & GRUB_DRY_RUN));
		if (ch.new_line)
			json_object_object_add(j, "line", json_object_new_string(ch.new_line));
		if (ch.backup)
			json_object_object_add(j, "backup", json_object_new_string(ch.backup));
		json_print(j);
	} else if (!ch.changed) {
		printf("%s already has %s; nothing to do\n", grub_file, param);
	} else if (flags & GRUB_DRY_RUN) {
		printf("would write to %s: %s\n", grub_file, ch.new_line);
		if (!no_update)
			print_cmd("would run: ", update);
	} else {
		printf("%s: %s (backup: %s)\n", grub_file, ch.new_line, ch.backup);
	}
	if (!ch.changed || no_update || (flags & GRUB_DRY_RUN))
		goto out;
	rc = tool_run(update, json);
	if (rc == -ENOENT)
		rc = error(EXIT_FAIL, "update-grub not found: regenerate the boot loader "
			   "configuration yourself (grub-mkconfig -o /boot/grub/grub.cfg), then "
			   "reboot");
	else if (rc)
		rc = error(EXIT_FAIL, "update-grub failed (%d): %s is changed, the boot "
			   "configuration is not; fix and rerun update-grub", rc, grub_file);
	else if (!json)
		printf("reboot to reserve the memory, then run '%s provision'\n", prog);
out:
	grub_change_release(&ch);
	memmap_plan_delete(&plan);
	return rc;
}

/* ---------------------------------------------------------------------------------- */

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
} commands[] = {
	{ "plan", cmd_plan, "--size SIZE [--align SIZE] [--split] [--iomem FILE] [--json]" },
	{ "apply", cmd_apply,
	  "(--size SIZE [plan options] | --memmap PARAM) [--grub-file FILE] [--force]\n"
	  "                [--no-update] [--dry-run] [--json]" },
	{ "provision", cmd_provision,
	  "[--fs ext4|xfs] [--mount DIR] [--namespace NS] [--map dev|mem]\n"
	  "                [--fstab FILE | --mount-unit[=DIR]] [--force] [--dry-run] [--json]" },
	{ "status", cmd_status, "[--json]" },
	{ "lend", cmd_lend, "SIZE | --namespace NS [--dry-run] [--json]" },
	{ "reclaim", cmd_reclaim,
	  "SIZE | --namespace NS [--timeout SECONDS] [--dry-run] [--json]" },
};

int usage(FILE *f, int code)
{
	size_t i;

	fprintf(f, "Usage: %s COMMAND [OPTIONS]\n\n", prog);
	fprintf(f, "Set up a machine for kstate: reserve emulated persistent memory (memmap=),\n"
		   "make a DAX filesystem for the store on it, lend spare PMEM as RAM.\n\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].synopsis);
	fprintf(f, "\n  --help     this text       --version  print the version\n\n");
	tool_print_exit_codes(f);
	fprintf(f, "See daxfs-setup(8).\n");
	return code;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout, EXIT_OK);
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", prog, DAXFS_SETUP_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
