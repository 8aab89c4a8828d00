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
#include <inttypes.h>
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
#include "cmdline.h"
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

static int plan_make(const struct plan_opts *o, struct memmap_plan **plan)
{
	int rc = memmap_plan_new(o->iomem, o->size, o->align, o->flags, plan);

	if (rc == -EINVAL && !o->size)
		return usage_error("--size is required");
	if (rc)
		return error(rc == -ENOMEM ? EXIT_FAIL : rc == -EPERM || rc == -EACCES ?
			     EXIT_PERM : rc == -ENOENT ? EXIT_NOTFOUND : EXIT_REFUSED, "%s",
			     setup_errormsg());
	return 0;
}

/* "ranges": [{"start", "size"}, ...] and "size", the same shape for every reservation. */
static void ranges_json(struct json_object *o, const char *param)
{
	struct memmap_range r[CMDLINE_MEMMAP_MAX];
	struct json_object *a = json_object_new_array();
	unsigned int i, n = cmdline_memmap(param, r, CMDLINE_MEMMAP_MAX, NULL, 0);
	uint64_t total = 0;

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "start", json_object_new_uint64(r[i].start));
		json_object_object_add(e, "size", json_object_new_uint64(r[i].size));
		json_object_array_add(a, e);
		total += r[i].size;
	}
	json_object_object_add(o, "ranges", a);
	json_object_object_add(o, "size", json_object_new_uint64(total));
}

static struct json_object *plan_json(struct memmap_plan *plan, const char *param)
{
	struct json_object *o = json_object_new_object(), *w = json_object_new_array();
	unsigned int i;

	json_object_object_add(o, "memmap", json_object_new_string(param));
	ranges_json(o, param);
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

/*
 * apply: make the next boots reserve the memory, and recognise when they already do.
 *
 * After the reboot the reserved range is no longer System RAM in /proc/iomem, so
 * planning again would pick another range.  A reservation the running kernel honours
 * (its memmap= words are in /proc/cmdline and each range is "Persistent Memory
 * (legacy)" in iomem) is therefore kept as it is: the same size asked again is
 * "already applied"; a different size is refused, since it would move the store.
 */
struct apply {
	const char *root;
	const char *cmdline;	/* the running command line's file */
	const char *param;	/* what the next boots should reserve */
	char active[4096];	/* the reservation the running kernel honours, or "" */
	uint64_t active_size;
	struct boot_config bc;
	struct grub_change ch;
	const char *result;
};

static int apply_report(struct apply *ap, bool json, bool dry_run)
{
	if (json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "result", json_object_new_string(ap->result));
		json_object_object_add(j, "memmap", json_object_new_string(ap->param));
		ranges_json(j, ap->param);
		json_object_object_add(j, "active", json_object_new_boolean(ap->active[0]));
		json_object_object_add(j, "changed", json_object_new_boolean(ap->ch.changed));
		json_object_object_add(j, "dry_run", json_object_new_boolean(dry_run));
		json_object_object_add(j, "file", ap->ch.file ?
				       json_object_new_string(ap->ch.file) : NULL);
		json_object_object_add(j, "backup", ap->ch.backup ?
				       json_object_new_string(ap->ch.backup) : NULL);
		json_print(j);
	} else if (!strcmp(ap->result, "already-applied")) {
		printf("%s is active and configured: already applied, nothing to do\n",
		       ap->param);
	} else if (!strcmp(ap->result, "configured")) {
		printf("%s is already configured; reboot to reserve the memory, then run '%s "
		       "provision'\n", ap->param, prog);
	} else if (dry_run) {
		printf("would write %s: GRUB_CMDLINE_LINUX += %s\n", ap->ch.file, ap->param);
	} else {
		printf("%s: GRUB_CMDLINE_LINUX += %s%s%s%s\n", ap->ch.file, ap->param,
		       ap->ch.backup ? " (previous: " : "", ap->ch.backup ? ap->ch.backup : "",
		       ap->ch.backup ? ")" : "");
	}
	return 0;
}

static int cmd_apply(int argc, char **argv)
{
	static const struct option longopts[] = {
		PLAN_LONGOPTS,
		{ "memmap", required_argument, NULL, 'm' },
		{ "root", required_argument, NULL, 'r' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "no-update", no_argument, NULL, 'N' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *update[] = { "update-grub", NULL };
	struct apply ap = { .root = "/" };
	struct plan_opts o = { 0 };
	struct memmap_plan *plan = NULL;
	bool json = false, no_update = false;
	unsigned int flags = 0;
	char param[256], err[1024];
	const char *memmap = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:a:i:Sm:r:c:fNnjh", longopts, NULL)) != -1) {
		rc = plan_opt(c, &o);
		if (rc < 0)
			return -rc;
		if (rc)
			continue;
		switch (c) {
		case 'm': memmap = optarg; break;
		case 'r': ap.root = optarg; break;
		case 'c': ap.cmdline = optarg; break;
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

	rc = memmap_active(o.iomem, ap.cmdline, ap.active, sizeof(ap.active), &ap.active_size);
	if (rc < 0)
		return error(rc == -EPERM ? EXIT_PERM : EXIT_FAIL, "%s", setup_errormsg());
	if (!rc)
		ap.active[0] = '\0';
	if (memmap) {
		ap.param = memmap;
	} else if (ap.active[0] && ap.active_size == o.size) {
		ap.param = ap.active;	/* keep it where it is: the store is there */
	} else if (ap.active[0] && !(flags & GRUB_FORCE)) {
		char a[32], b[32];

		snprintf(a, sizeof(a), "%" PRIu64 "M", ap.active_size >> 20);
		snprintf(b, sizeof(b), "%" PRIu64 "M", o.size >> 20);
		return error(EXIT_REFUSED, "'%s' (%s) is active; a reservation of %s would be "
			     "another range and lose the store on this one: copy the store away "
			     "first, then use --force", ap.active, a, b);
	} else {
		rc = plan_make(&o, &plan);
		if (rc)
			return rc;
		memmap_plan_param(plan, param, sizeof(param));
		memmap_plan_delete(&plan);
		ap.param = param;
	}

	rc = boot_config_read(ap.root, &ap.bc, err, sizeof(err));
	if (rc)
		return error(EXIT_FAIL, "%s", err);
	if (ap.bc.kernel_cmdline) {
		/* kernel-install builds the entries from it; that is not ours to edit. */
		if (strcmp(ap.bc.kernel_cmdline_memmap, ap.param) == 0) {
			ap.result = ap.active[0] && !strcmp(ap.active, ap.param) ?
				"already-applied" : "configured";
			rc = apply_report(&ap, json, flags & GRUB_DRY_RUN);
		} else {
			rc = error(EXIT_REFUSED, "%s/etc/kernel/cmdline exists: the boot entries "
				   "are made by kernel-install from it, which daxfs-setup does not "
				   "edit; add '%s'%s%s%s to it and regenerate them (kernel-install "
				   "add), then reboot", strcmp(ap.root, "/") ? ap.root : "", ap.param,
				   ap.bc.kernel_cmdline_memmap[0] ? " in place of '" : "",
				   ap.bc.kernel_cmdline_memmap,
				   ap.bc.kernel_cmdline_memmap[0] ? "'" : "");
		}
		goto out;
	}
	rc = grub_set_memmap(ap.root, ap.param, flags, &ap.ch, err, sizeof(err));
	if (rc) {
		rc = error(rc == -EEXIST || rc == -EINVAL || rc == -EMEDIUMTYPE ||
			   rc == -ENOENT ? EXIT_REFUSED : EXIT_FAIL, "%s", err);
		goto out;
	}
	if (ap.ch.changed)
		ap.result = flags & GRUB_DRY_RUN ? "would-apply" : "applied";
	else if (ap.active[0] && !strcmp(ap.active, ap.param))
		ap.result = "already-applied";
	else
		ap.result = "configured";
	apply_report(&ap, json, flags & GRUB_DRY_RUN);
	if (!ap.ch.changed || no_update)
		goto out;
	if (flags & GRUB_DRY_RUN) {
		if (!json)
			print_cmd("would run: ", update);
		goto out;
	}
	rc = tool_run(update, json);
	if (rc == -ENOENT)
		rc = error(EXIT_FAIL, "update-grub not found: regenerate the boot loader "
			   "configuration yourself (grub-mkconfig -o /boot/grub/grub.cfg), then "
			   "reboot");
	else if (rc)
		rc = error(EXIT_FAIL, "update-grub failed (%d): %s is written, the boot "
			   "configuration is not; fix and rerun update-grub", rc, ap.ch.file);
	else if (!json)
		printf("reboot to reserve the memory, then run '%s provision'\n", prog);
out:
	grub_change_release(&ap.ch);
	boot_config_release(&ap.bc);
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
	  "(--size SIZE [plan options] | --memmap PARAM) [--root DIR] [--cmdline FILE]\n"
	  "                [--force] [--no-update] [--dry-run] [--json]" },
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
