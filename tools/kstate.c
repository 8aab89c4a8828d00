// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate - inspect, verify and clean a kstate store, and decode kstate files offline.
 *
 * Everything goes through libkstate: this program never reads the on-media format
 * itself.  See docs/man/kstate.8.scd.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "region.h"
#include "status.h"

struct opts {
	const char *store;	/* --store, before or after the command */
	bool json;
	bool hex;
	bool dry_run;
	uint64_t generation;	/* 0: the newest */
	unsigned int keep;
	const char *arg;	/* NAME or FILE */
};

struct cmd {
	const char *name;
	const char *synopsis;
	const char *summary;
	const char *options;	/* help text for its own options */
	const char *arg;	/* name of its one positional argument, or NULL */
	const struct option *longopts;
	int (*run)(struct kstate_ctx *ctx, struct opts *o);
};

#define OPT_GENERATION	0x200
#define OPT_HEX		0x201
#define OPT_KEEP	0x202
#define OPT_DRY_RUN	0x203

#define OPT_STORE_ENTRY	{ "store", required_argument, NULL, TOOL_OPT_STORE }
#define OPT_JSON_ENTRY	{ "json", no_argument, NULL, TOOL_OPT_JSON }
#define OPT_GEN_ENTRY	{ "generation", required_argument, NULL, OPT_GENERATION }
#define OPT_HEX_ENTRY	{ "hex", no_argument, NULL, OPT_HEX }

#define HELP_STORE	"  --store DIR        the store (default: $KSTATE_STORE, else " \
			TOOL_DEFAULT_STORE ")\n"
#define HELP_JSON	"  --json             print JSON instead of text\n"
#define HELP_GEN	"  --generation N     use generation N instead of the newest sealed one\n"
#define HELP_HEX	"  --hex              dump record payloads in hex\n"
#define HELP_COMMON	"  -h, --help         this text\n" \
			"  -V, --version      print the version\n"

/* ---------------------------------------------------------------------------------- */
/* Shared output */

static void entry_json(struct json_object *o, struct kstate_generation *g, unsigned int i)
{
	tool_json_add_str(o, "name", kstate_generation_entry_name(g, i));
	tool_json_add_str(o, "kind", tool_kind_str(kstate_generation_entry_kind(g, i)));
	tool_json_add_u64(o, "generation", kstate_generation_entry_generation(g, i));
	tool_json_add_u64(o, "size", kstate_generation_entry_size(g, i));
	tool_json_add_u64(o, "crc", kstate_generation_entry_crc(g, i));
	tool_json_add_u64(o, "client_version", kstate_generation_entry_client_version(g, i));
	tool_json_add_str(o, "owner", kstate_generation_entry_is_kernel(g, i) ? "kernel" : "user");
}

static void entry_header(void)
{
	printf("  %-31s %-7s %10s %12s %8s %s\n", "NAME", "KIND", "GENERATION", "SIZE",
	       "VERSION", "OWNER");
}

static void entry_line(struct kstate_generation *g, unsigned int i)
{
	printf("  %-31s %-7s %10" PRIu64 " %12" PRIu64 " %8" PRIu32 " %s\n",
	       kstate_generation_entry_name(g, i),
	       tool_kind_str(kstate_generation_entry_kind(g, i)),
	       kstate_generation_entry_generation(g, i), kstate_generation_entry_size(g, i),
	       kstate_generation_entry_client_version(g, i),
	       kstate_generation_entry_is_kernel(g, i) ? "kernel" : "user");
}

/* Every entry of @g: into @array when printing JSON, else as a table. */
static void entries_emit(struct kstate_generation *g, struct json_object *array)
{
	unsigned int i, n = kstate_generation_entry_count(g);

	if (!array && !n) {
		printf("  (no entries)\n");
		return;
	}
	if (!array)
		entry_header();
	for (i = 0; i < n; i++) {
		if (array)
			entry_json(tool_json_append_object(array), g, i);
		else
			entry_line(g, i);
	}
}

static void generation_json(struct json_object *o, struct kstate_generation *g)
{
	char uuid[TOOL_UUID_STR_LEN];

	tool_json_add_u64(o, "generation", kstate_generation_number(g));
	tool_json_add_str(o, "state", kstate_generation_is_sealed(g) ? "sealed" : "open");
	tool_json_add_u64(o, "base", kstate_generation_base(g));
	tool_json_add_time(o, "created", kstate_generation_creation_time(g));
	tool_json_add_time(o, "sealed", kstate_generation_seal_time(g));
	tool_json_add_str(o, "kernel_release", kstate_generation_kernel_release(g));
	tool_json_add_str(o, "boot_id", tool_uuid_str(kstate_generation_boot_id(g), uuid));
	tool_json_add_u64(o, "entry_count", kstate_generation_entry_count(g));
}

static void generation_text(struct kstate_generation *g)
{
	char t1[TOOL_TIME_STR_LEN], t2[TOOL_TIME_STR_LEN], uuid[TOOL_UUID_STR_LEN];

	printf("generation:     %" PRIu64 " (%s)\n", kstate_generation_number(g),
	       kstate_generation_is_sealed(g) ? "sealed" : "open: its save never finished");
	printf("base:           %" PRIu64 "\n", kstate_generation_base(g));
	printf("created:        %s\n", tool_time_str(kstate_generation_creation_time(g), t1));
	printf("sealed:         %s\n", tool_time_str(kstate_generation_seal_time(g), t2));
	printf("kernel release: %s\n", kstate_generation_kernel_release(g));
	printf("boot id:        %s\n", tool_uuid_str(kstate_generation_boot_id(g), uuid));
}

/* Every record of @r: into @array when printing JSON, else as lines; payloads if @hex. */
static int records_emit(struct kstate_reader *r, struct json_object *array, bool hex,
			const char *indent)
{
	const void *data;
	uint16_t type, flags;
	size_t length;
	unsigned int i = 0;
	int rc;

	while ((rc = kstate_reader_next(r, &type, &flags, &data, &length)) == 1) {
		if (array) {
			struct json_object *o = tool_json_append_object(array);

			tool_json_add_u64(o, "index", i);
			tool_json_add_u64(o, "type", type);
			tool_json_add_u64(o, "flags", flags);
			tool_json_add_bool(o, "critical", flags & KSTATE_RECORD_CRITICAL);
			tool_json_add_u64(o, "length", length);
			/* The reader checked every record's CRC before handing out the first. */
			tool_json_add_bool(o, "crc_ok", true);
			if (hex)
				tool_json_add_hex(o, "payload", data, length);
		} else {
			printf("%srecord %u: type %u, flags 0x%04x%s, %zu bytes, crc ok\n",
			       indent, i, type, flags,
			       flags & KSTATE_RECORD_CRITICAL ? " (critical)" : "", length);
			if (hex)
				tool_hexdump(data, length, "      ");
		}
		i++;
	}
	if (rc < 0)
		return tool_fail(rc, NULL);
	if (!array && i == 0)
		printf("%s(no records)\n", indent);
	return 0;
}

static void reader_json(struct json_object *o, struct kstate_reader *r)
{
	tool_json_add_str(o, "name", kstate_reader_name(r));
	tool_json_add_u64(o, "generation", kstate_reader_generation(r));
	tool_json_add_u64(o, "client_version", kstate_reader_client_version(r));
	tool_json_add_str(o, "owner", kstate_reader_is_kernel(r) ? "kernel" : "user");
	tool_json_add_u64(o, "size", kstate_reader_size(r));
	tool_json_add_u64(o, "crc", kstate_reader_crc(r));
	tool_json_add_u64(o, "record_count", kstate_reader_record_count(r));
	tool_json_add_time(o, "created", kstate_reader_creation_time(r));
	tool_json_add_str(o, "kernel_release", kstate_reader_kernel_release(r));
	tool_json_add_uuid(o, "boot_id", kstate_reader_boot_id(r));
	tool_json_add_uuid(o, "store_uuid", kstate_reader_store_uuid(r));
}

static void reader_text(struct kstate_reader *r, const char *indent)
{
	char t[TOOL_TIME_STR_LEN], u1[TOOL_UUID_STR_LEN], u2[TOOL_UUID_STR_LEN];

	printf("%sname %s, generation %" PRIu64 ", client version %" PRIu32 ", %s\n", indent,
	       kstate_reader_name(r), kstate_reader_generation(r),
	       kstate_reader_client_version(r), kstate_reader_is_kernel(r) ? "kernel" : "user");
	printf("%s%" PRIu64 " bytes, crc 0x%08" PRIx32 ", %" PRIu32 " records\n", indent,
	       kstate_reader_size(r), kstate_reader_crc(r), kstate_reader_record_count(r));
	printf("%swritten %s by kernel %s, boot %s\n", indent,
	       tool_time_str(kstate_reader_creation_time(r), t), kstate_reader_kernel_release(r),
	       tool_uuid_str(kstate_reader_boot_id(r), u1));
	printf("%sstore %s\n", indent, tool_uuid_str(kstate_reader_store_uuid(r), u2));
}

/* ---------------------------------------------------------------------------------- */
/* list */

/* Clients as the store holds them: kernel record entries of the newest generation. */
static void clients_saved(struct kstate_generation *g, struct json_object *clients)
{
	unsigned int i, n = g ? kstate_generation_entry_count(g) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *c, *detail;

		if (!kstate_generation_entry_is_kernel(g, i) ||
		    kstate_generation_entry_kind(g, i) != KSTATE_KIND_RECORDS)
			continue;
		c = tool_json_append_object(clients);
		tool_json_add_str(c, "name", kstate_generation_entry_name(g, i));
		tool_json_add_u64(c, "version", kstate_generation_entry_client_version(g, i));
		tool_json_add_str(c, "state", "saved");
		detail = json_object_new_object();
		tool_json_add_u64(detail, "generation", kstate_generation_entry_generation(g, i));
		tool_json_add_u64(detail, "size", kstate_generation_entry_size(g, i));
		json_object_object_add(c, "detail", detail);
	}
}

/* What the running system says about its clients replaces what the store says. */
static bool clients_live(const char *store, struct kstate_generation *g,
			 struct json_object *clients)
{
	struct status_client *live = NULL;
	size_t n = 0, i, j;
	int rc = status_live_clients(store, &live, &n);

	if (rc) {
		if (rc != -ENODEV)
			tool_warn("cannot read the live client status: %s", strerror(-rc));
		return false;
	}
	for (i = 0; i < n; i++) {
		struct json_object *c = NULL;

		for (j = 0; j < json_object_array_length(clients); j++) {
			struct json_object *x = json_object_array_get_idx(clients, j), *name;

			if (json_object_object_get_ex(x, "name", &name) &&
			    strcmp(json_object_get_string(name), live[i].name) == 0)
				c = x;
		}
		if (!c) {
			c = tool_json_append_object(clients);
			tool_json_add_str(c, "name", live[i].name);
		}
		tool_json_add_u64(c, "version", live[i].version);
		tool_json_add_str(c, "state", live[i].state);
		tool_json_add_u64(c, "restored_generation", live[i].generation);
		if (live[i].message && *live[i].message)
			tool_json_add_str(c, "message", live[i].message);
		if (live[i].error)
			tool_json_add_str(c, "error", strerror(-live[i].error));
		json_object_object_add(c, "detail", live[i].detail ? live[i].detail :
				       json_object_new_object());
		live[i].detail = NULL;
		if (!strcmp(live[i].state, "failed"))
			status_kept_json(store, g, live[i].name, c);
	}
	status_clients_free(live, n);
	return true;
}

static void clients_text(struct json_object *clients)
{
	size_t i, n = json_object_array_length(clients);

	printf("clients:\n");
	if (!n)
		printf("  (none)\n");
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(clients, i), *v;

		json_object_object_get_ex(c, "name", &v);
		printf("  %-31s", json_object_get_string(v));
		json_object_object_get_ex(c, "version", &v);
		printf(" version %-6s", json_object_get_string(v));
		json_object_object_get_ex(c, "state", &v);
		printf(" %-9s", json_object_get_string(v));
		if (json_object_object_get_ex(c, "detail", &v))
			printf(" %s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		putchar('\n');
		if (json_object_object_get_ex(c, "message", &v))
			printf("  %-31s %s\n", "", json_object_get_string(v));
		status_kept_text(c, "                                  ");
	}
}

/* One line or object per manifest in the store, damaged ones included. */
static int generations_emit(struct kstate_store *s, struct json_object *array)
{
	uint64_t *gens;
	int n, i, damaged = 0;

	n = kstate_store_generations(s, NULL, 0);
	if (n < 0)
		return tool_fail(n, NULL);
	gens = calloc((size_t)n + 1, sizeof(*gens));
	if (!gens)
		return tool_fail(-ENOMEM, NULL);
	n = kstate_store_generations(s, gens, (size_t)n);
	if (!array)
		printf("generations:\n");
	for (i = 0; i < n; i++) {
		struct kstate_generation *g = NULL;
		char t[TOOL_TIME_STR_LEN];
		int rc = kstate_generation_new(s, gens[i], &g);

		if (rc) {
			damaged++;
			if (array) {
				struct json_object *o = tool_json_append_object(array);

				tool_json_add_u64(o, "generation", gens[i]);
				tool_json_add_str(o, "state", "damaged");
				tool_json_add_str(o, "error", kstate_errormsg());
			} else {
				printf("  %-10" PRIu64 " damaged: %s\n", gens[i],
				       kstate_errormsg());
			}
			continue;
		}
		if (array)
			generation_json(tool_json_append_object(array), g);
		else
			printf("  %-10" PRIu64 " %-7s %s, %u entr%s, kernel %s\n", gens[i],
			       kstate_generation_is_sealed(g) ? "sealed" : "open",
			       tool_time_str(kstate_generation_is_sealed(g) ?
					     kstate_generation_seal_time(g) :
					     kstate_generation_creation_time(g), t),
			       kstate_generation_entry_count(g),
			       kstate_generation_entry_count(g) == 1 ? "y" : "ies",
			       kstate_generation_kernel_release(g));
		kstate_generation_delete(&g);
	}
	if (!array && n == 0)
		printf("  (none)\n");
	free(gens);
	return damaged ? TOOL_EXIT_FAILURE : 0;
}

static int cmd_list(struct kstate_ctx *ctx, struct opts *o)
{
	const char *path = tool_store_path(o->store);
	struct json_object *root, *clients, *generations, *entries;
	struct kstate_store *s = NULL;
	struct kstate_generation *g = NULL;
	char uuid[TOOL_UUID_STR_LEN], problem[512] = "";
	int rc, exit_code;
	bool live, frozen;

	exit_code = tool_store_open(ctx, path, KSTATE_STORE_RDONLY, &s);
	if (exit_code)
		return exit_code;
	if (!kstate_store_is_dax(s))
		tool_warn("store %s is not on a DAX filesystem: kernel clients cannot keep "
			  "state in place there; put it on a filesystem mounted with -o dax",
			  path);
	rc = kstate_generation_new(s, 0, &g);
	if (rc && rc != -ENOENT) {
		snprintf(problem, sizeof(problem), "%s", kstate_errormsg());
		exit_code = TOOL_EXIT_FAILURE;
	}

	root = json_object_new_object();
	tool_json_add_str(root, "store", path);
	tool_json_add_uuid(root, "uuid", kstate_store_uuid(s));
	tool_json_add_bool(root, "dax", kstate_store_is_dax(s));
	tool_json_add_u64(root, "generation", g ? kstate_generation_number(g) : 0);
	tool_json_add_u64(root, "last_sealed", kstate_store_last_sealed(s));
	if (*problem)
		tool_json_add_str(root, "error", problem);
	clients = tool_json_add_array(root, "clients");
	clients_saved(g, clients);
	live = clients_live(path, g, clients);
	tool_json_add_bool(root, "live", live);
	frozen = live && status_live_frozen() > 0;
	tool_json_add_bool(root, "frozen", frozen);

	if (o->json) {
		generations = tool_json_add_array(root, "generations");
		if (generations_emit(s, generations))
			exit_code = TOOL_EXIT_FAILURE;
		entries = tool_json_add_array(root, "entries");
		if (g)
			entries_emit(g, entries);
		tool_json_print(&root);
	} else {
		printf("store:          %s\n", path);
		printf("uuid:           %s\n", tool_uuid_str(kstate_store_uuid(s), uuid));
		printf("dax:            %s\n", kstate_store_is_dax(s) ? "yes" : "no");
		if (g)
			printf("generation:     %" PRIu64 " (newest sealed, kernel %s)\n",
			       kstate_generation_number(g), kstate_generation_kernel_release(g));
		else
			printf("generation:     none%s\n", *problem ? " usable" :
			       " sealed yet (nothing saved)");
		printf("last sealed:    %" PRIu64 "\n", kstate_store_last_sealed(s));
		if (frozen)
			printf("frozen:         yes: a final save was made; the kernel clients "
			       "keep their state until the reboot ('kstate thaw' cancels)\n");
		if (generations_emit(s, NULL))
			exit_code = TOOL_EXIT_FAILURE;
		clients_text(clients);
		if (g) {
			printf("entries of generation %" PRIu64 ":\n", kstate_generation_number(g));
			entries_emit(g, NULL);
		}
		json_object_put(root);
	}
	if (*problem)
		tool_err("%s", problem);
	kstate_generation_delete(&g);
	kstate_store_delete(&s);
	return exit_code;
}

/* ---------------------------------------------------------------------------------- */
/* show NAME */

static int show_entry(struct kstate_store *s, struct kstate_generation *g, unsigned int i,
		      struct json_object *array, bool hex)
{
	struct json_object *o = array ? tool_json_append_object(array) : NULL;
	struct kstate_reader *r = NULL;
	int rc;

	if (o)
		entry_json(o, g, i);
	else
		entry_line(g, i);
	if (kstate_generation_entry_kind(g, i) != KSTATE_KIND_RECORDS) {
		/* A region changes in place: only its presence and size can be checked. */
		rc = kstate_generation_verify_entry(g, i);
		if (o)
			tool_json_add_bool(o, "ok", rc == 0);
	} else {
		rc = kstate_reader_new(s, kstate_generation_number(g),
				       kstate_generation_entry_name(g, i), &r);
		if (o)
			tool_json_add_bool(o, "ok", rc == 0);
		if (!rc)
			rc = records_emit(r, o ? tool_json_add_array(o, "records") : NULL, hex,
					  "    ");
		kstate_reader_delete(&r);
	}
	if (rc < 0) {
		if (o)
			tool_json_add_str(o, "error", kstate_errormsg());
		tool_err("%s", kstate_errormsg());
		return TOOL_EXIT_FAILURE;
	}
	return rc;
}

static int cmd_show(struct kstate_ctx *ctx, struct opts *o)
{
	const char *path = tool_store_path(o->store);
	struct kstate_store *s = NULL;
	struct kstate_generation *g = NULL;
	struct json_object *root = NULL, *array = NULL;
	unsigned int i, found = 0;
	int rc, exit_code;

	exit_code = tool_store_open(ctx, path, KSTATE_STORE_RDONLY, &s);
	if (exit_code)
		return exit_code;
	rc = kstate_generation_new(s, o->generation, &g);
	if (rc) {
		exit_code = tool_fail(rc, NULL);
		goto out;
	}
	if (o->json) {
		root = json_object_new_object();
		tool_json_add_str(root, "store", path);
		tool_json_add_u64(root, "generation", kstate_generation_number(g));
		tool_json_add_str(root, "name", o->arg);
		array = tool_json_add_array(root, "entries");
	} else {
		printf("generation %" PRIu64 " of %s:\n", kstate_generation_number(g), path);
		entry_header();
	}
	for (i = 0; i < kstate_generation_entry_count(g); i++) {
		if (strcmp(kstate_generation_entry_name(g, i), o->arg) != 0)
			continue;
		found++;
		rc = show_entry(s, g, i, array, o->hex);
		if (rc)
			exit_code = rc;
	}
	if (root)
		tool_json_print(&root);
	if (!found) {
		tool_err("generation %" PRIu64 " of %s has no entry '%s': 'kstate list' shows "
			 "what it has", kstate_generation_number(g), path, o->arg);
		exit_code = TOOL_EXIT_NOTFOUND;
	}
out:
	kstate_generation_delete(&g);
	kstate_store_delete(&s);
	return exit_code;
}

/* ---------------------------------------------------------------------------------- */
/* verify */

/* Check one generation; Return: the number of problems found. */
static unsigned int verify_generation(struct kstate_store *s, uint64_t number,
				      struct json_object *array)
{
	struct json_object *o = array ? tool_json_append_object(array) : NULL, *entries;
	struct kstate_generation *g = NULL;
	unsigned int i, bad = 0;
	int rc;

	if (o)
		tool_json_add_u64(o, "generation", number);
	rc = kstate_generation_new(s, number, &g);
	if (rc) {
		tool_err("generation %" PRIu64 ": %s", number, kstate_errormsg());
		if (o) {
			tool_json_add_str(o, "state", rc == -ENOENT ? "missing" : "damaged");
			tool_json_add_bool(o, "ok", false);
			tool_json_add_str(o, "error", kstate_errormsg());
		} else {
			printf("generation %" PRIu64 ": %s\n", number,
			       rc == -ENOENT ? "MISSING" : "DAMAGED");
		}
		return 1;
	}
	if (!kstate_generation_is_sealed(g)) {
		/* An unfinished save: never used by a load, removed by gc.  Not damage. */
		if (o) {
			tool_json_add_str(o, "state", "open");
			tool_json_add_bool(o, "ok", true);
		} else {
			printf("generation %" PRIu64 ": open (its save never finished), "
			       "skipped\n", number);
		}
		kstate_generation_delete(&g);
		return 0;
	}
	if (o) {
		tool_json_add_str(o, "state", "sealed");
		entries = tool_json_add_array(o, "entries");
	} else {
		printf("generation %" PRIu64 ": sealed, %u entr%s\n", number,
		       kstate_generation_entry_count(g),
		       kstate_generation_entry_count(g) == 1 ? "y" : "ies");
	}
	for (i = 0; i < kstate_generation_entry_count(g); i++) {
		const char *name = kstate_generation_entry_name(g, i);
		const char *kind = tool_kind_str(kstate_generation_entry_kind(g, i));

		rc = kstate_generation_verify_entry(g, i);
		if (rc) {
			bad++;
			tool_err("generation %" PRIu64 ": %s", number, kstate_errormsg());
		}
		if (o) {
			struct json_object *e = tool_json_append_object(entries);

			tool_json_add_str(e, "name", name);
			tool_json_add_str(e, "kind", kind);
			tool_json_add_bool(e, "ok", rc == 0);
			if (rc)
				tool_json_add_str(e, "error", kstate_errormsg());
		} else {
			printf("  %-31s %-7s %s\n", name, kind, rc ? "DAMAGED" : "ok");
		}
	}
	if (o)
		tool_json_add_bool(o, "ok", bad == 0);
	kstate_generation_delete(&g);
	return bad;
}

static int cmd_verify(struct kstate_ctx *ctx, struct opts *o)
{
	const char *path = tool_store_path(o->store);
	struct json_object *root = NULL, *array = NULL;
	struct kstate_store *s = NULL;
	struct kstate_generation *newest = NULL;
	uint64_t *gens = NULL;
	unsigned int bad = 0;
	int n, i, rc, exit_code;

	exit_code = tool_store_open(ctx, path, KSTATE_STORE_RDONLY, &s);
	if (exit_code)
		return exit_code;
	if (o->generation) {
		rc = kstate_store_generations(s, NULL, 0);
		gens = calloc(rc > 0 ? (size_t)rc : 1, sizeof(*gens));
		if (gens && rc > 0)
			rc = kstate_store_generations(s, gens, (size_t)rc);
		for (i = 0; gens && i < rc && gens[i] != o->generation; i++)
			;
		if (gens && i == rc) {
			tool_err("store %s has no generation %" PRIu64 ": 'kstate list' shows "
				 "the generations it keeps", path, o->generation);
			exit_code = rc < 0 ? tool_fail(rc, NULL) : TOOL_EXIT_NOTFOUND;
			goto out;
		}
		free(gens);
		n = 1;
		gens = calloc(1, sizeof(*gens));
		if (gens)
			gens[0] = o->generation;
	} else {
		n = kstate_store_generations(s, NULL, 0);
		if (n < 0) {
			exit_code = tool_fail(n, NULL);
			goto out;
		}
		gens = calloc((size_t)n + 1, sizeof(*gens));
		if (gens)
			n = kstate_store_generations(s, gens, (size_t)n);
	}
	if (!gens) {
		exit_code = tool_fail(-ENOMEM, NULL);
		goto out;
	}
	if (n == 0) {
		tool_err("store %s has no generation to verify (nothing was saved yet)", path);
		exit_code = TOOL_EXIT_NOTFOUND;
		goto out;
	}
	if (o->json) {
		root = json_object_new_object();
		tool_json_add_str(root, "store", path);
		array = tool_json_add_array(root, "generations");
	}
	for (i = 0; i < n; i++)
		bad += verify_generation(s, gens[i], array);
	if (!o->generation) {
		/* What a default load would use: refused if damaged or older than recorded. */
		rc = kstate_generation_new(s, 0, &newest);
		if (rc && rc != -ENOENT) {
			bad++;
			tool_err("%s", kstate_errormsg());
			if (root)
				tool_json_add_str(root, "newest_error", kstate_errormsg());
			else
				printf("newest generation: REFUSED by a default load\n");
		}
		if (root)
			tool_json_add_u64(root, "newest",
					  newest ? kstate_generation_number(newest) : 0);
		kstate_generation_delete(&newest);
	}
	if (root) {
		tool_json_add_u64(root, "problems", bad);
		tool_json_add_bool(root, "ok", bad == 0);
		tool_json_print(&root);
	} else if (bad) {
		printf("%u problem%s found\n", bad, bad == 1 ? "" : "s");
	} else {
		printf("all %d generation%s intact\n", n, n == 1 ? "" : "s");
	}
	exit_code = bad ? TOOL_EXIT_FAILURE : TOOL_EXIT_OK;
out:
	free(gens);
	kstate_store_delete(&s);
	return exit_code;
}

/* ---------------------------------------------------------------------------------- */
/* dump FILE */

static int dump_records(struct kstate_file *f, struct json_object *root, bool hex)
{
	struct kstate_reader *r = NULL;
	int rc = kstate_file_open_reader(f, &r);

	if (rc)
		return tool_fail(rc, NULL);
	if (root) {
		reader_json(root, r);
		rc = records_emit(r, tool_json_add_array(root, "records"), hex, "");
	} else {
		reader_text(r, "");
		rc = records_emit(r, NULL, hex, "  ");
	}
	kstate_reader_delete(&r);
	return rc;
}

static int dump_manifest(struct kstate_file *f, struct json_object *root)
{
	struct kstate_generation *g = NULL;
	char uuid[TOOL_UUID_STR_LEN];
	int rc = kstate_file_open_generation(f, &g);

	if (rc)
		return tool_fail(rc, NULL);
	if (root) {
		generation_json(root, g);
		tool_json_add_uuid(root, "store_uuid", kstate_file_store_uuid(f));
		entries_emit(g, tool_json_add_array(root, "entries"));
	} else {
		generation_text(g);
		printf("store:          %s\n", tool_uuid_str(kstate_file_store_uuid(f), uuid));
		printf("entries:\n");
		entries_emit(g, NULL);
	}
	kstate_generation_delete(&g);
	return 0;
}

static void dump_store_header(struct kstate_file *f, struct json_object *root)
{
	char uuid[TOOL_UUID_STR_LEN], t[TOOL_TIME_STR_LEN];

	if (root) {
		tool_json_add_uuid(root, "uuid", kstate_file_store_uuid(f));
		tool_json_add_time(root, "created", kstate_file_creation_time(f));
		tool_json_add_u64(root, "last_sealed", kstate_file_last_sealed(f));
		return;
	}
	printf("uuid:           %s\n", tool_uuid_str(kstate_file_store_uuid(f), uuid));
	printf("created:        %s\n", tool_time_str(kstate_file_creation_time(f), t));
	printf("last sealed:    %" PRIu64 "\n", kstate_file_last_sealed(f));
}

static int cmd_dump(struct kstate_ctx *ctx, struct opts *o)
{
	static const char *const types[] = {
		[KSTATE_FILE_TYPE_RECORDS] = "records",
		[KSTATE_FILE_TYPE_MANIFEST] = "manifest",
		[KSTATE_FILE_TYPE_STORE] = "store",
	};
	struct json_object *root = NULL;
	struct kstate_file *f = NULL;
	unsigned int major, minor;
	uint32_t compat, ro_compat, incompat;
	const char *type;
	int rc;

	rc = kstate_file_new(ctx, o->arg, &f);
	if (rc)
		return tool_fail(rc, NULL);
	type = types[kstate_file_type(f)];
	kstate_file_version(f, &major, &minor);
	kstate_file_features(f, &compat, &ro_compat, &incompat);
	if (o->json) {
		root = json_object_new_object();
		tool_json_add_str(root, "file", o->arg);
		tool_json_add_str(root, "type", type);
		tool_json_add_u64(root, "version_major", major);
		tool_json_add_u64(root, "version_minor", minor);
		tool_json_add_u64(root, "compat", compat);
		tool_json_add_u64(root, "ro_compat", ro_compat);
		tool_json_add_u64(root, "incompat", incompat);
		tool_json_add_u64(root, "file_size", kstate_file_size(f));
		tool_json_add_u64(root, "file_crc", kstate_file_crc(f));
	} else {
		printf("file:           %s\n", o->arg);
		printf("type:           %s, format %u.%u, features 0x%x/0x%x/0x%x, valid\n",
		       type, major, minor, compat, ro_compat, incompat);
		printf("size:           %" PRIu64 " bytes, crc 0x%08" PRIx32 "\n",
		       kstate_file_size(f), kstate_file_crc(f));
	}
	switch (kstate_file_type(f)) {
	case KSTATE_FILE_TYPE_RECORDS:
		rc = dump_records(f, root, o->hex);
		break;
	case KSTATE_FILE_TYPE_MANIFEST:
		rc = dump_manifest(f, root);
		break;
	default:
		dump_store_header(f, root);
		break;
	}
	if (root && !rc)
		tool_json_print(&root);
	json_object_put(root);
	kstate_file_delete(&f);
	return rc;
}

/* ---------------------------------------------------------------------------------- */
/* gc */

struct gc_report {
	struct json_object *removed;
	bool dry_run;
	unsigned int count;
};

static void gc_report(struct kstate_store *s, const char *filename, void *userdata)
{
	struct gc_report *r = userdata;

	(void)s;
	r->count++;
	if (r->removed)
		json_object_array_add(r->removed, json_object_new_string(filename));
	else
		printf("%s %s\n", r->dry_run ? "would remove" : "removed", filename);
}

static int cmd_gc(struct kstate_ctx *ctx, struct opts *o)
{
	const char *path = tool_store_path(o->store);
	struct gc_report report = { .dry_run = o->dry_run };
	struct json_object *root = NULL;
	struct kstate_store *s = NULL;
	int rc, exit_code;

	exit_code = tool_store_open(ctx, path, o->dry_run ? KSTATE_STORE_RDONLY : 0, &s);
	if (exit_code)
		return exit_code;
	if (o->json) {
		root = json_object_new_object();
		tool_json_add_str(root, "store", path);
		tool_json_add_u64(root, "keep", o->keep);
		tool_json_add_bool(root, "dry_run", o->dry_run);
		report.removed = tool_json_add_array(root, "removed");
	}
	rc = kstate_store_gc_each(s, o->keep, o->dry_run ? KSTATE_GC_DRY_RUN : 0, gc_report,
				  &report);
	if (rc) {
		exit_code = tool_fail(rc, NULL);
		json_object_put(root);
	} else if (root) {
		tool_json_add_u64(root, "generation", kstate_store_generation(s));
		tool_json_print(&root);
	} else {
		printf("%s %u file%s; kept the newest %u sealed generation%s (newest: %" PRIu64
		       ")\n", o->dry_run ? "would remove" : "removed", report.count,
		       report.count == 1 ? "" : "s", o->keep, o->keep == 1 ? "" : "s",
		       kstate_store_generation(s));
	}
	kstate_store_delete(&s);
	return exit_code;
}

/* ---------------------------------------------------------------------------------- */
/* thaw, discard NAME */

static int cmd_thaw(struct kstate_ctx *ctx, struct opts *o)
{
	struct kstate_dev *dev = NULL;
	unsigned int n = 0;
	bool was = false;
	int rc = kstate_dev_new(ctx, &dev);

	/* Without the module nothing can be frozen: done (the boot-time unit relies on it). */
	if (rc == -ENOENT) {
		if (!o->json)
			printf("nothing is frozen: the kstate module is not loaded\n");
	} else if (!rc) {
		rc = kstate_dev_thaw(dev, &n, &was);
		kstate_dev_delete(&dev);
		if (rc)
			return tool_fail(rc, NULL);
		if (!o->json && was)
			printf("thawed %u kernel client(s): they change their state again; save "
			       "again before rebooting\n", n);
		else if (!o->json)
			printf("nothing was frozen\n");
	} else {
		return tool_fail(rc, NULL);
	}
	if (o->json) {
		struct json_object *root = json_object_new_object();

		tool_json_add_bool(root, "was_frozen", was);
		tool_json_add_u64(root, "clients_thawed", n);
		tool_json_print(&root);
	}
	return 0;
}

/* The client is not loaded: drop its kept record file from a new generation. */
static int discard_in_store(struct kstate_ctx *ctx, struct opts *o, struct json_object *root)
{
	const char *path = tool_store_path(o->store);
	struct kstate_generation *g = NULL;
	struct kstate_store *s = NULL;
	struct kstate_txn *txn = NULL;
	int i, rc, exit_code;

	exit_code = tool_store_open(ctx, path, 0, &s);
	if (exit_code)
		return exit_code;
	rc = kstate_generation_new(s, 0, &g);
	i = rc ? -1 : kstate_generation_find(g, KSTATE_KIND_RECORDS, o->arg);
	if (i < 0 || !kstate_generation_entry_is_kernel(g, (unsigned int)i)) {
		tool_err("%s: no kernel client '%s' is loaded and the newest generation holds "
			 "no state of it", path, o->arg);
		exit_code = TOOL_EXIT_NOTFOUND;
		goto out;
	}
	rc = kstate_txn_new(s, &txn);
	if (!rc)
		rc = kstate_txn_remove(txn, KSTATE_KIND_RECORDS, o->arg);
	if (!rc)
		rc = kstate_txn_commit(txn);
	if (rc) {
		exit_code = tool_fail(rc, "the previous generation is unchanged");
		goto out;
	}
	tool_json_add_str(root, "where", "store");
	tool_json_add_u64(root, "generation", kstate_txn_generation(txn));
	if (!o->json)
		printf("%s: generation %" PRIu64 " no longer holds the state of '%s' (its file "
		       "stays until gc); the client starts fresh when it is loaded\n", path,
		       kstate_txn_generation(txn), o->arg);
out:
	kstate_txn_delete(&txn);
	kstate_generation_delete(&g);
	kstate_store_delete(&s);
	return exit_code;
}

static int cmd_discard(struct kstate_ctx *ctx, struct opts *o)
{
	struct json_object *root = json_object_new_object();
	struct kstate_dev *dev = NULL;
	int rc = kstate_dev_new(ctx, &dev), exit_code = 0;

	tool_json_add_str(root, "client", o->arg);
	if (!rc) {
		rc = kstate_dev_discard(dev, o->arg);
		kstate_dev_delete(&dev);
	}
	if (rc == -ENOENT) {
		exit_code = discard_in_store(ctx, o, root);
	} else if (rc) {
		exit_code = tool_fail(rc, NULL);
	} else {
		tool_json_add_str(root, "where", "module");
		if (!o->json)
			printf("%s: its refused state was discarded and it started fresh; the next "
			       "save replaces the state the store kept for it\n", o->arg);
	}
	if (!exit_code && o->json)
		tool_json_print(&root);
	json_object_put(root);
	return exit_code;
}

/* ---------------------------------------------------------------------------------- */
/* init */

static int cmd_init(struct kstate_ctx *ctx, struct opts *o)
{
	const char *path = tool_store_path(o->store);
	struct kstate_store *s = NULL;
	char uuid[TOOL_UUID_STR_LEN];
	int rc = kstate_store_new(ctx, path, KSTATE_STORE_CREATE, &s);

	if (rc)
		return tool_fail(rc, rc == -ENOENT ? "mkdir it, or pass --store DIR" : NULL);
	if (!kstate_store_is_dax(s))
		tool_warn("store %s is not on a DAX filesystem: kernel clients cannot keep "
			  "state in place there; put it on a filesystem mounted with -o dax",
			  path);
	if (o->json) {
		struct json_object *root = json_object_new_object();

		tool_json_add_str(root, "store", path);
		tool_json_add_uuid(root, "uuid", kstate_store_uuid(s));
		tool_json_add_bool(root, "dax", kstate_store_is_dax(s));
		tool_json_add_u64(root, "generation", kstate_store_generation(s));
		tool_json_print(&root);
	} else {
		printf("store %s: uuid %s, newest generation %" PRIu64 "\n", path,
		       tool_uuid_str(kstate_store_uuid(s), uuid), kstate_store_generation(s));
	}
	kstate_store_delete(&s);
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Command line */

static const struct option list_opts[] = {
	OPT_STORE_ENTRY, OPT_JSON_ENTRY, TOOL_OPTIONS_COMMON, { 0 }
};
static const struct option show_opts[] = {
	OPT_STORE_ENTRY, OPT_JSON_ENTRY, OPT_GEN_ENTRY, OPT_HEX_ENTRY, TOOL_OPTIONS_COMMON,
	{ 0 }
};
static const struct option verify_opts[] = {
	OPT_STORE_ENTRY, OPT_JSON_ENTRY, OPT_GEN_ENTRY, TOOL_OPTIONS_COMMON, { 0 }
};
static const struct option dump_opts[] = {
	OPT_JSON_ENTRY, OPT_HEX_ENTRY, TOOL_OPTIONS_COMMON, { 0 }
};
static const struct option gc_opts[] = {
	OPT_STORE_ENTRY, OPT_JSON_ENTRY,
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	TOOL_OPTIONS_COMMON, { 0 }
};
static const struct option init_opts[] = {
	OPT_STORE_ENTRY, OPT_JSON_ENTRY, TOOL_OPTIONS_COMMON, { 0 }
};
static const struct option thaw_opts[] = {
	OPT_JSON_ENTRY, TOOL_OPTIONS_COMMON, { 0 }
};
static const struct option discard_opts[] = {
	OPT_STORE_ENTRY, OPT_JSON_ENTRY, TOOL_OPTIONS_COMMON, { 0 }
};

static const struct cmd cmds[] = {
	{ "list", "list [--store DIR] [--json]",
	  "the store, its generations, clients and entries",
	  HELP_STORE HELP_JSON, NULL, list_opts, cmd_list },
	{ "show", "show NAME [--store DIR] [--generation N] [--json] [--hex]",
	  "one entry and its records",
	  HELP_STORE HELP_GEN HELP_JSON HELP_HEX, "NAME", show_opts, cmd_show },
	{ "verify", "verify [--store DIR] [--generation N] [--json]",
	  "check every kept generation (or N) and every file it lists",
	  HELP_STORE HELP_GEN HELP_JSON, NULL, verify_opts, cmd_verify },
	{ "dump", "dump FILE [--json] [--hex]",
	  "decode one kstate file offline, without its store",
	  HELP_JSON HELP_HEX, "FILE", dump_opts, cmd_dump },
	{ "gc", "gc [--store DIR] [--keep K] [--dry-run] [--json]",
	  "remove what the newest K sealed generations do not need",
	  HELP_STORE
	  "  --keep K           sealed generations to keep (default 2, at least 1)\n"
	  "  --dry-run          only print what would be removed\n"
	  HELP_JSON, NULL, gc_opts, cmd_gc },
	{ "init", "init [--store DIR] [--json]",
	  "make a directory a kstate store (nothing happens to an existing one)",
	  HELP_STORE HELP_JSON, NULL, init_opts, cmd_init },
	{ "thaw", "thaw [--json]",
	  "cancel a final save whose reboot will not happen: the kernel clients change "
	  "their state again",
	  HELP_JSON, NULL, thaw_opts, cmd_thaw },
	{ "discard", "discard CLIENT [--store DIR] [--json]",
	  "give up the state of a kernel client that was refused, which saves keep "
	  "carrying; it starts fresh",
	  HELP_STORE HELP_JSON, "CLIENT", discard_opts, cmd_discard },
};

static void usage(void)
{
	size_t i;

	printf("Usage: kstate [--store DIR] COMMAND [OPTIONS]\n\n"
	       "Inspect, verify and clean a kstate store; decode kstate files offline.\n\n"
	       "Commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %-8s %s\n", cmds[i].name, cmds[i].summary);
	printf("  %-8s %s\n", "region", REGION_SUMMARY);
	printf("\nOptions:\n" HELP_STORE HELP_COMMON "\n"
	       "'kstate COMMAND --help' describes a command.\n\n");
	tool_print_exit_codes(stdout);
}

static void cmd_usage(const struct cmd *c)
{
	printf("Usage: kstate %s\n\n%s.\n\nOptions:\n%s%s\n", c->synopsis, c->summary,
	       c->options, HELP_COMMON);
	tool_print_exit_codes(stdout);
}

/* Return: -1 to run the command, else the exit code. */
static int cmd_parse(const struct cmd *c, int argc, char **argv, struct opts *o)
{
	int ch;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":hV", c->longopts, NULL)) != -1) {
		switch (ch) {
		case TOOL_OPT_HELP:
			cmd_usage(c);
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
		case OPT_HEX:
			o->hex = true;
			break;
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_GENERATION:
			if (tool_parse_u64("--generation", optarg, &o->generation))
				return TOOL_EXIT_USAGE;
			if (!o->generation)
				return tool_usage_error("--generation must be at least 1");
			break;
		case OPT_KEEP:
			if (tool_parse_uint("--keep", optarg, &o->keep))
				return TOOL_EXIT_USAGE;
			if (!o->keep)
				return tool_usage_error("--keep must be at least 1: gc never "
							"removes the newest generation");
			break;
		default:
			return tool_getopt_error(ch, argv);
		}
	}
	if (c->arg) {
		if (optind >= argc)
			return tool_usage_error("missing %s", c->arg);
		o->arg = argv[optind++];
	}
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		OPT_STORE_ENTRY, TOOL_OPTIONS_COMMON, { 0 }
	};
	struct opts o = { .keep = KSTATE_STORE_KEEP_DEFAULT };
	struct kstate_ctx *ctx = NULL;
	const struct cmd *c = NULL;
	char name[64];
	size_t i;
	int ch, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case TOOL_OPT_HELP:
			usage();
			return TOOL_EXIT_OK;
		case TOOL_OPT_VERSION:
			tool_print_version();
			return TOOL_EXIT_OK;
		case TOOL_OPT_STORE:
			o.store = optarg;
			break;
		default:
			return tool_getopt_error(ch, argv);
		}
	}
	if (optind >= argc)
		return tool_usage_error("missing command");
	/* "region" has commands of its own (region.c). */
	if (strcmp(argv[optind], "region") == 0)
		return region_main(argc - optind, argv + optind, o.store);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0)
			c = &cmds[i];
	if (!c)
		return tool_usage_error("unknown command '%s'", argv[optind]);
	snprintf(name, sizeof(name), "kstate %s", c->name);
	tool_set_name(name);
	rc = cmd_parse(c, argc - optind, argv + optind, &o);
	if (rc >= 0)
		return rc;
	rc = tool_ctx_new(&ctx);
	if (rc)
		return rc;
	rc = c->run(ctx, &o);
	kstate_ctx_delete(&ctx);
	return rc;
}
