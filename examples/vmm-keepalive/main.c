// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmm-keepalive - a KVM micro-VMM whose guest survives a VMM restart, kexec or
 * firmware reboot: guest RAM is a kstate region, so suspending seals a few KiB of
 * vCPU and device state and resuming maps the same RAM again.
 *
 *   vmm-keepalive run --store DIR --mem SIZE
 *   vmm-keepalive resume --store DIR
 *   vmm-keepalive verify --store DIR
 *   vmm-keepalive bench --dir DIR [--sizes LIST]
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libkstate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "common.h"
#include "state.h"

/* The exit codes every kstate command shares (tools/common.h). */
enum {
	EXIT_USAGE = TOOL_EXIT_USAGE,		/* bad command line */
	EXIT_DAMAGED = TOOL_EXIT_FAILURE,	/* verify: the saved VM is not intact */
	EXIT_NOSTATE = TOOL_EXIT_NOTFOUND,	/* resume: nothing resumable in the store */
};

static void usage(FILE *f)
{
	fputs("Usage: vmm-keepalive run --store DIR --mem SIZE [--console]\n"
	      "       vmm-keepalive resume --store DIR [--console]\n"
	      "       vmm-keepalive verify --store DIR\n"
	      "       vmm-keepalive bench --dir DIR [--sizes LIST] [--run-ms MS]\n"
	      "\n"
	      "A KVM micro-VMM whose guest RAM lives in a kstate store. SIGTERM or SIGINT\n"
	      "pauses the guest, seals its state in the store and exits 0; resume maps the\n"
	      "same RAM again without reading or copying it.  bench measures the blackout,\n"
	      "from the stop signal to the resumed guest's first real work, against a\n"
	      "zero-skipping copy of guest RAM to a file.\n"
	      "\n"
	      "  -s, --store DIR   kstate store directory (run creates it)\n"
	      "  -m, --mem SIZE    guest RAM: bytes or K/M/G suffix, multiple of 2M, 8M to 64G\n"
	      "  -c, --console     echo the guest's serial output to stderr\n"
	      "  -d, --dir DIR     bench: the kstate stores (memory-backed: tmpfs)\n"
	      "      --copy-dir DIR\n"
	      "                    bench: the copy baseline's image (a disk filesystem)\n"
	      "      --sizes LIST  bench: comma-separated sizes (default 64M,1G,4G,8G)\n"
	      "      --dirty LIST  bench: percentages of guest RAM the guest dirties before\n"
	      "                    each suspend (default 1,10,50)\n"
	      "      --reps N      bench: samples per size and percentage (default 5)\n"
	      "      --run-ms MS   bench: guest run time after each resume (default 200)\n"
	      "  -h, --help        this text\n"
	      "  -V, --version     print the version\n"
	      "\n", f);
	tool_print_exit_codes(f);
	fputs("verify exits 1 when the saved VM is damaged, resume 3 when there is nothing\n"
	      "to resume. See vmm-keepalive(1).\n", f);
}

/* Milliseconds: decimal digits only. */
static int parse_ms(const char *text, uint64_t *ms)
{
	char *end;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	*ms = strtoull(text, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static void on_stop(int sig)
{
	(void)sig;
	if (!vmm_stop) {
		vmm_stop_ns = now_ns();
		vmm_stop = 1;
	}
}

/* No SA_RESTART: a signal must interrupt KVM_RUN and the tick sleep. */
void install_stop_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop };
	int sigs[] = { SIGTERM, SIGINT, SIGALRM };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* The guest mappings KVM holds now: 4 KiB or 2 MiB, for faults per GiB touched. */
void json_add_stats(struct json_object *o, struct vm *vm)
{
	struct vm_stats st;

	vm_stats(vm, &st);
	if (!st.valid)
		return;
	json_object_object_add(o, "kvm_pages_4k", json_object_new_int64((int64_t)st.pages_4k));
	json_object_object_add(o, "kvm_pages_2m", json_object_new_int64((int64_t)st.pages_2m));
	json_object_object_add(o, "dirty_log_manual_protect",
			       json_object_new_boolean(vm->manual_protect));
}

void json_add_phases(struct json_object *o, const struct phases *ph)
{
	unsigned int i;

	for (i = 0; i < ph->n; i++)
		json_object_object_add(o, ph->name[i], json_object_new_int64((int64_t)ph->us[i]));
}

static void json_print(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(o);
}

static uint64_t phases_total(const struct phases *ph)
{
	uint64_t t = 0;
	unsigned int i;

	for (i = 0; i < ph->n; i++)
		t += ph->us[i];
	return t;
}

/* Run until a stop signal, then seal the state and print the "suspended" line. */
static int run_and_suspend(struct vmm_store *vs, struct vm *vm, vm_first_exit_fn first,
			   void *arg)
{
	struct phases ph = { 0 };
	struct json_object *o;
	int rc;

	rc = vm_run(vm, first, arg);
	if (rc)
		return 1;
	rc = vmm_store_save(vs, vm, &ph);
	if (rc)
		return 1;
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("suspended"));
	json_object_object_add(o, "generation", json_object_new_int64((int64_t)vs->generation));
	json_object_object_add(o, "guest_counter",
			       json_object_new_int64((int64_t)vm_guest_shared(vm->mem)->counter));
	json_object_object_add(o, "guest_ok", json_object_new_boolean(guest_ok(vm)));
	json_object_object_add(o, "save_us", json_object_new_int64((int64_t)phases_total(&ph)));
	json_add_phases(o, &ph);
	json_object_object_add(o, "guest_checks", json_object_new_int(vm->report.checks));
	json_object_object_add(o, "at_idle", json_object_new_boolean(vm->at_idle));
	json_object_object_add(o, "dirty_pages", json_object_new_int64((int64_t)vs->dirty_pages));
	json_object_object_add(o, "mem_bytes", json_object_new_int64((int64_t)vm->mem_size));
	json_object_object_add(o, "pmem", json_object_new_boolean(kstate_region_is_pmem(vs->ram)));
	json_add_stats(o, vm);
	json_print(o);
	return 0;
}

static int cmd_run(const char *store, uint64_t mem, bool console)
{
	struct vmm_store vs;
	struct vm vm = { .console = console };
	int rc;

	if (mkdir(store, 0700) && errno != EEXIST) {
		fprintf(stderr, "vmm-keepalive: cannot create store directory %s: %s\n", store,
			strerror(errno));
		return 1;
	}
	install_stop_handlers();
	rc = vmm_store_open(&vs, store, true);
	if (!rc)
		rc = vmm_store_create_guest(&vs, &vm, mem);
	if (!rc)
		rc = run_and_suspend(&vs, &vm, NULL, NULL);
	vm_destroy(&vm);
	vmm_store_close(&vs);
	return rc ? 1 : 0;
}

struct resumed {
	struct vmm_store *vs;
	struct phases ph;
	uint64_t t0;
	uint64_t first_exit_ns;
};

static void first_exit(struct vm *vm, void *arg)
{
	struct resumed *r = arg;

	(void)vm;
	r->first_exit_ns = now_ns();
	phase_end(&r->ph, "first_insn_us");
}

/* At the guest's first real work: restore_us ends there. */
static void print_resumed(struct vm *vm, void *arg)
{
	struct resumed *r = arg;
	struct json_object *o;

	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("resumed"));
	json_object_object_add(o, "generation", json_object_new_int64((int64_t)r->vs->generation));
	json_object_object_add(o, "guest_counter",
			       json_object_new_int64((int64_t)vm_guest_shared(vm->mem)->counter));
	json_object_object_add(o, "restore_us",
			       json_object_new_int64((int64_t)(vm->first_work_ns - r->t0) / 1000));
	json_add_phases(o, &r->ph);
	json_object_object_add(o, "first_work_us",
			       json_object_new_int64((int64_t)(vm->first_work_ns -
							       r->first_exit_ns) / 1000));
	json_object_object_add(o, "first_work_ok", json_object_new_boolean(vm->first_work_ok));
	json_object_object_add(o, "mem_bytes", json_object_new_int64((int64_t)vm->mem_size));
	json_object_object_add(o, "slot_us", json_object_new_int64((int64_t)vm->slots_us));
	json_object_object_add(o, "pmem",
			       json_object_new_boolean(kstate_region_is_pmem(r->vs->ram)));
	json_print(o);
}

static int cmd_resume(const char *store, bool console)
{
	struct vmm_store vs;
	struct resumed r = { .vs = &vs };
	struct vm vm = { .console = console, .on_work = print_resumed, .on_work_arg = &r };
	int rc;

	install_stop_handlers();
	r.t0 = now_ns();
	phase_start(&r.ph);
	rc = vmm_store_open(&vs, store, false);
	if (!rc)
		rc = vmm_store_restore(&vs, &vm, &r.ph);
	if (!rc)
		rc = run_and_suspend(&vs, &vm, first_exit, &r);
	vm_destroy(&vm);
	vmm_store_close(&vs);
	if (rc == -ESTALE || rc == -ENOENT)
		return EXIT_NOSTATE;
	return rc ? 1 : 0;
}

static int cmd_verify(const char *store)
{
	struct verify_result res;
	struct json_object *o;
	int rc;

	rc = vmm_store_verify(store, &res);
	if (rc)
		return 1;
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("verified"));
	json_object_object_add(o, "ok", json_object_new_boolean(res.failed == 0));
	json_object_object_add(o, "generation", json_object_new_int64((int64_t)res.generation));
	json_object_object_add(o, "guest_counter", json_object_new_int64((int64_t)res.guest_counter));
	json_object_object_add(o, "guest_ok_at_save", json_object_new_boolean(res.guest_ok_at_save));
	json_object_object_add(o, "at_idle", json_object_new_boolean(res.at_idle));
	json_object_object_add(o, "mem_bytes", json_object_new_int64((int64_t)res.mem_size));
	if (res.failed) {
		json_object_object_add(o, "failed", json_object_new_int((int)res.failed));
		json_object_object_add(o, "reason", json_object_new_string(res.why));
		fprintf(stderr, "vmm-keepalive: store %s: saved VM not intact: %s\n", store,
			res.why);
	}
	json_print(o);
	return res.failed ? EXIT_DAMAGED : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "mem", required_argument, NULL, 'm' },
		{ "console", no_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "sizes", required_argument, NULL, 'S' },
		{ "run-ms", required_argument, NULL, 'r' },
		{ "copy-dir", required_argument, NULL, 'C' },
		{ "dirty", required_argument, NULL, 'D' },
		{ "reps", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *cmd, *store = NULL, *dir = NULL, *copy_dir = NULL, *sizes = "64M,1G,4G,8G";
	const char *dirty = "1,10,50";
	uint64_t mem = 0, run_ms = 200, reps = 5;
	bool console = false;
	int c;

	while ((c = getopt_long(argc, argv, "s:m:cd:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 'm':
			if (tool_size_parse(optarg, &mem) || mem < (8u << 20) || mem % (2u << 20) ||
			    mem > ((uint64_t)GUEST_RAM_MAX_GIB << 30)) {
				fprintf(stderr, "vmm-keepalive: --mem %s: give a multiple of 2M from "
					"8M to 64G, for example --mem 64M\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c': console = true; break;
		case 'd': dir = optarg; break;
		case 'S': sizes = optarg; break;
		case 'r':
			if (parse_ms(optarg, &run_ms) || run_ms == 0) {
				fprintf(stderr, "vmm-keepalive: --run-ms %s: give milliseconds\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'C': copy_dir = optarg; break;
		case 'D': dirty = optarg; break;
		case 'n':
			if (parse_ms(optarg, &reps) || reps == 0 || reps > BENCH_REPS_MAX) {
				fprintf(stderr, "vmm-keepalive: --reps %s: give 1 to %d\n", optarg,
					BENCH_REPS_MAX);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vmm-keepalive %s\n", VMM_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "bench") == 0) {
		if (!dir || !copy_dir) {
			fprintf(stderr, "vmm-keepalive: bench needs --dir DIR (memory-backed, for "
				"the stores) and --copy-dir DIR (a disk, for the copy's image)\n");
			return EXIT_USAGE;
		}
		return bench(dir, copy_dir, sizes, dirty, (unsigned int)reps, run_ms);
	}
	if (!store) {
		fprintf(stderr, "vmm-keepalive: %s needs --store DIR\n", cmd);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "run") == 0) {
		if (!mem) {
			fprintf(stderr, "vmm-keepalive: run needs --mem SIZE, for example --mem 64M\n");
			return EXIT_USAGE;
		}
		return cmd_run(store, mem, console);
	}
	if (strcmp(cmd, "resume") == 0)
		return cmd_resume(store, console);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(store);
	fprintf(stderr, "vmm-keepalive: unknown command '%s' (try --help)\n", cmd);
	return EXIT_USAGE;
}
