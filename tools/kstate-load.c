// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate-load - at boot, validate the store and hand it to the kstate module so that
 * every kernel client restores its state.  See docs/man/kstate-load.8.scd.
 *
 * The generation is chosen and validated here (the newest sealed one; a damaged
 * newest one is refused rather than silently replaced by an older one); the module
 * validates each client's file again before the client sees a byte.  Damaged files are
 * moved to the store's quarantine, never deleted; a client the module refuses keeps its
 * sound file in place, and saves carry that last good state until "kstate discard".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "status.h"

#define OPT_VERIFY_ONLY	0x200
#define OPT_GENERATION	0x201

struct load {
	const char *path;
	bool json;
	bool verify_only;
	uint64_t generation;		/* asked for; 0: the newest */
	struct kstate_store *store;
	struct kstate_generation *gen;	/* NULL: nothing saved yet */
	struct json_object *report;
	struct json_object *problems;	/* array of strings */
	int exit_code;
};

static void usage(void)
{
	printf("Usage: kstate-load [--store DIR] [--json] [--verify-only] [--generation N]\n"
	       "\n"
	       "Validate the newest sealed generation of the store and hand it to the kstate\n"
	       "module, so that every kernel client restores its state; report per client.\n"
	       "\n"
	       "  --store DIR        the store (default: $KSTATE_STORE, else "
	       TOOL_DEFAULT_STORE ")\n"
	       "  --json             print a JSON report instead of text\n"
	       "  --verify-only      validate and report, restore nothing (no module needed)\n"
	       "  --generation N     restore generation N instead of the newest sealed one\n"
	       "  -h, --help         this text\n"
	       "  -V, --version      print the version\n"
	       "\n");
	tool_print_exit_codes(stdout);
}

static void problem(struct load *l, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct load *l, const char *format, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, format);
	vsnprintf(msg, sizeof(msg), format, ap);
	va_end(ap);
	json_object_array_add(l->problems, json_object_new_string(msg));
	tool_err("%s", msg);
	l->exit_code = TOOL_EXIT_FAILURE;
}

/* Move a record file out of the way, for inspection; nothing is deleted. */
static void quarantine_entry(struct load *l, unsigned int i, struct json_object *o)
{
	char fname[256];

	if (kstate_generation_entry_filename(l->gen, i, fname, sizeof(fname)))
		return;
	if (kstate_store_quarantine(l->store, fname) == 0) {
		tool_json_add_str(o, "quarantined", fname);
		tool_warn("moved %s to %s/quarantine/ for inspection", fname, l->path);
	} else {
		tool_warn("cannot quarantine %s: %s", fname, kstate_errormsg());
	}
}

/*
 * A client the module refused keeps its record file where it is when the file itself
 * is sound (libkstate verified every file before the bind and quarantined the damaged
 * ones): the refusal may be the client's (an older module, a changed region), and the
 * saves carry this last good state until "kstate discard".  Only a file that turns out
 * damaged now is quarantined.
 */
static void refused_client(struct load *l, const char *client, struct json_object *c)
{
	int i, rc;

	if (!l->gen)
		return;
	i = kstate_generation_find(l->gen, KSTATE_KIND_RECORDS, client);
	if (i >= 0 && kstate_generation_entry_is_kernel(l->gen, (unsigned int)i)) {
		rc = kstate_generation_verify_entry(l->gen, (unsigned int)i);
		if (rc && rc != -ENOENT)
			quarantine_entry(l, (unsigned int)i, c);
	}
	status_kept_json(l->path, l->gen, client, c);
}

/* Check every member file of the generation; report each damaged one. */
static unsigned int verify_generation(struct load *l)
{
	struct json_object *entries = tool_json_add_array(l->report, "entries");
	unsigned int i, n = kstate_generation_entry_count(l->gen), bad = 0;

	for (i = 0; i < n; i++) {
		struct json_object *e = tool_json_append_object(entries);
		int rc = kstate_generation_verify_entry(l->gen, i);

		tool_json_add_str(e, "name", kstate_generation_entry_name(l->gen, i));
		tool_json_add_str(e, "kind", tool_kind_str(kstate_generation_entry_kind(l->gen, i)));
		tool_json_add_str(e, "owner", kstate_generation_entry_is_kernel(l->gen, i) ?
				  "kernel" : "user");
		tool_json_add_bool(e, "valid", rc == 0);
		if (rc) {
			tool_json_add_str(e, "error", kstate_errormsg());
			problem(l, "%s", kstate_errormsg());
			bad++;
			/* Nobody gets a damaged file: its client is refused, the file kept. */
			if (!l->verify_only &&
			    kstate_generation_entry_kind(l->gen, i) == KSTATE_KIND_RECORDS)
				quarantine_entry(l, i, e);
		}
	}
	return bad;
}

/* Bind, then report every client the module knows and the saved ones still waiting. */
static int restore(struct load *l, struct kstate_ctx *ctx)
{
	struct json_object *clients = tool_json_add_array(l->report, "clients");
	struct kstate_dev_status *st = NULL;
	struct kstate_dev *dev = NULL;
	unsigned int n = 0, i;
	uint64_t t0 = tool_now_us();
	int rc;

	rc = tool_dev_open(ctx, &dev);
	if (rc)
		return rc;
	rc = kstate_dev_bind(dev, l->store, l->gen ? kstate_generation_number(l->gen) : 0);
	if (!rc)
		rc = kstate_dev_status_new(dev, &st);
	kstate_dev_delete(&dev);
	if (rc)
		return tool_fail(rc, NULL);
	tool_json_add_u64(l->report, "restore_us", tool_now_us() - t0);
	n = kstate_dev_status_client_count(st);
	for (i = 0; i < n; i++) {
		struct json_object *c = tool_json_append_object(clients);
		const char *name = kstate_dev_status_client_name(st, i);
		const char *msg = kstate_dev_status_client_message(st, i);
		int state = kstate_dev_status_client_state(st, i);
		int error = kstate_dev_status_client_error(st, i);

		tool_json_add_str(c, "name", name);
		tool_json_add_u64(c, "version", kstate_dev_status_client_version(st, i));
		tool_json_add_str(c, "state", status_state_name(state));
		tool_json_add_str(c, "message", msg);
		json_object_object_add(c, "detail", status_detail_json(st, i));
		if (state == KSTATE_CLIENT_STATE_FAILED) {
			problem(l, "%s: refused: %s (%s)", name, msg, strerror(-error));
			tool_json_add_str(c, "error", strerror(-error));
			refused_client(l, name, c);
		}
	}
	/* Saved kernel state whose client module is not loaded restores when it is. */
	for (i = 0; l->gen && i < kstate_generation_entry_count(l->gen); i++) {
		const char *name = kstate_generation_entry_name(l->gen, i);
		unsigned int j;
		bool loaded = false;

		if (kstate_generation_entry_kind(l->gen, i) != KSTATE_KIND_RECORDS ||
		    !kstate_generation_entry_is_kernel(l->gen, i))
			continue;
		for (j = 0; j < n; j++)
			loaded |= strcmp(kstate_dev_status_client_name(st, j), name) == 0;
		if (!loaded) {
			struct json_object *c = tool_json_append_object(clients);

			tool_json_add_str(c, "name", name);
			tool_json_add_u64(c, "version",
					  kstate_generation_entry_client_version(l->gen, i));
			tool_json_add_str(c, "state", "pending");
			tool_json_add_str(c, "message", "saved state waits for its module: it "
					  "restores when the module registers");
			json_object_object_add(c, "detail", json_object_new_object());
		}
	}
	kstate_dev_status_delete(&st);
	return 0;
}

static void print_text(struct load *l)
{
	struct json_object *clients, *v;
	size_t i;

	json_object_object_get_ex(l->report, "result", &v);
	printf("store %s: %s", l->path, json_object_get_string(v));
	if (l->gen)
		printf(" (generation %" PRIu64 ", saved by kernel %s)",
		       kstate_generation_number(l->gen), kstate_generation_kernel_release(l->gen));
	putchar('\n');
	if (!json_object_object_get_ex(l->report, "clients", &clients))
		return;
	for (i = 0; i < json_object_array_length(clients); i++) {
		struct json_object *c = json_object_array_get_idx(clients, i), *name, *state,
				   *msg, *detail;

		json_object_object_get_ex(c, "name", &name);
		json_object_object_get_ex(c, "state", &state);
		json_object_object_get_ex(c, "message", &msg);
		json_object_object_get_ex(c, "detail", &detail);
		printf("  %-24s %-9s %s\n", json_object_get_string(name),
		       json_object_get_string(state), json_object_get_string(msg));
		if (detail && json_object_object_length(detail))
			printf("  %-24s %-9s %s\n", "", "",
			       json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN));
		status_kept_text(c, "                                     ");
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		TOOL_OPTIONS_COMMON,
		{ "store", required_argument, NULL, TOOL_OPT_STORE },
		{ "json", no_argument, NULL, TOOL_OPT_JSON },
		{ "verify-only", no_argument, NULL, OPT_VERIFY_ONLY },
		{ "generation", required_argument, NULL, OPT_GENERATION },
		{ NULL, 0, NULL, 0 },
	};
	struct load l = { 0 };
	struct kstate_ctx *ctx = NULL;
	const char *store_opt = NULL, *result;
	int c, rc;

	tool_set_name("kstate-load");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case TOOL_OPT_HELP:
			usage();
			return TOOL_EXIT_OK;
		case TOOL_OPT_VERSION:
			tool_print_version();
			return TOOL_EXIT_OK;
		case TOOL_OPT_STORE:
			store_opt = optarg;
			break;
		case TOOL_OPT_JSON:
			l.json = true;
			break;
		case OPT_VERIFY_ONLY:
			l.verify_only = true;
			break;
		case OPT_GENERATION:
			if (tool_parse_u64("--generation", optarg, &l.generation) ||
			    !l.generation)
				return tool_usage_error("--generation needs a number above 0");
			break;
		default:
			return tool_getopt_error(c, argv);
		}
	}
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	if (!l.verify_only && geteuid() != 0) {
		tool_err("must be root: restoring kernel state needs CAP_SYS_ADMIN");
		return TOOL_EXIT_PERM;
	}
	l.path = tool_store_path(store_opt);
	rc = tool_ctx_new(&ctx);
	if (rc)
		return rc;
	/* At first boot the store is created: there is nothing to restore, which is fine. */
	rc = tool_store_open(ctx, l.path, l.verify_only ? KSTATE_STORE_RDONLY :
			     KSTATE_STORE_CREATE, &l.store);
	if (rc) {
		kstate_ctx_delete(&ctx);
		return rc;
	}
	l.report = json_object_new_object();
	l.problems = json_object_new_array();
	tool_json_add_str(l.report, "store", l.path);
	tool_json_add_uuid(l.report, "uuid", kstate_store_uuid(l.store));
	if (!kstate_store_is_dax(l.store))
		tool_warn("store %s is not on a DAX filesystem: record files work, persistent "
			  "regions do not; mount it with -o dax=always", l.path);

	rc = kstate_generation_new(l.store, l.generation, &l.gen);
	if (rc == -ENOENT && !l.generation) {
		result = "nothing-to-restore";	/* first boot: no sealed generation yet */
	} else if (rc) {
		problem(&l, "%s%s", kstate_errormsg(), l.generation ? "" :
			"; nothing was restored (choose an older generation with --generation N "
			"after inspecting it with kstate list)");
		if (rc == -ENOENT)
			l.exit_code = TOOL_EXIT_NOTFOUND;
		result = "refused";
		goto report;
	} else if (verify_generation(&l)) {
		/*
		 * The manifest is sound but some member files are not: every client whose
		 * file is intact still restores; the module refuses the others (it checks
		 * each file again) and their files go to quarantine below.
		 */
		result = l.verify_only ? "damaged" : "restored";
	} else {
		result = l.verify_only ? "verified" : "restored";
	}
	tool_json_add_u64(l.report, "generation", l.gen ? kstate_generation_number(l.gen) : 0);
	if (!l.verify_only) {
		rc = restore(&l, ctx);
		if (rc) {
			l.exit_code = rc;
			result = "failed";
		} else if (l.exit_code) {
			result = "partly-restored";
		}
	}
report:
	tool_json_add_str(l.report, "result", result);
	json_object_object_add(l.report, "problems", l.problems);
	if (l.json)
		tool_json_print(&l.report);
	else
		print_text(&l);
	json_object_put(l.report);
	kstate_generation_delete(&l.gen);
	kstate_store_delete(&l.store);
	kstate_ctx_delete(&ctx);
	return l.exit_code;
}
