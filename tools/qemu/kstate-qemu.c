// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate-qemu - run an unmodified QEMU whose guest survives kexec and firmware reboots:
 * guest RAM in a kstate region (memory-backend-file, share=on), device state sealed in
 * the store at suspend (migration with x-ignore-shared, so only device state is
 * written), and loaded back into a new QEMU at resume (-incoming defer).
 *
 *   start NAME [--ram SIZE] [--fresh] [-- QEMU-ARGS...]   resume NAME, else boot it
 *   suspend NAME                                         seal its state, stop QEMU
 *   status NAME, discard NAME, qmp NAME COMMAND [JSON]
 *
 * "start" stays in the foreground as QEMU's supervisor: SIGTERM or SIGINT (what
 * "suspend" and systemd's stop send) suspends.  See docs/man/kstate-qemu.8.scd and
 * docs/qemu.md.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "qemu-proc.h"
#include "qmp.h"
#include "vmstate.h"

#define DEFAULT_RUN_DIR		"/run/kstate-qemu"
#define RUN_DIR_ENV		"KSTATE_QEMU_RUN_DIR"
#define DEFAULT_TIMEOUT_S	300
#define ERR_LEN			QMP_ERR_LEN
/* Migration is not rate-limited here: the guest is stopped and the target is local. */
#define MAX_BANDWIDTH		(100ULL << 30)

struct opts {
	const char *store;
	const char *run_dir;
	const char *qemu;
	const char *name;
	uint64_t ram;
	unsigned int timeout_s;
	bool fresh;
	bool json;
	char **qemu_args;	/* after "--", or from --args-file */
	int nqemu_args;
	struct argv_buf file_args;	/* --args-file */
	const char *qmp_command;
	const char *qmp_args;
};

/* The supervisor of one QEMU ("start"). */
struct sup {
	struct opts *o;
	struct kstate_store *store;
	struct vm vm;
	struct argv_buf user;	/* the QEMU arguments that are the guest's, not ours */
	pid_t qemu;
	struct qmp *qmp;
	char qemu_version[64];
	int sigfd;
	int lock_fd;
	unsigned int seq;	/* events written to NAME.last */
	uint64_t t0_us;		/* when this command started */
	bool shutdown_seen;	/* QEMU reported a guest shutdown */
};

static int timeout_ms(const struct opts *o)
{
	return (int)o->timeout_s * 1000;
}

static const char *run_dir(const struct opts *o)
{
	const char *env = getenv(RUN_DIR_ENV);

	if (o->run_dir)
		return o->run_dir;
	return env && *env ? env : DEFAULT_RUN_DIR;
}

/* RUN_DIR/NAME.SUFFIX */
static int run_path(const struct opts *o, const char *suffix, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.%s", run_dir(o), o->name, suffix);

	if (n < 0 || (size_t)n >= len) {
		tool_err("run directory path too long: %s", run_dir(o));
		return -ENAMETOOLONG;
	}
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Events: one JSON line on stdout each, the last one also in RUN_DIR/NAME.last */

static void event_emit(struct sup *s, struct json_object **ev)
{
	char path[4096], tmp[4200];
	const char *text;
	FILE *f;

	tool_json_add_u64(*ev, "seq", ++s->seq);
	text = json_object_to_json_string_ext(*ev, JSON_C_TO_STRING_PLAIN);
	printf("%s\n", text);
	fflush(stdout);
	if (!run_path(s->o, "last", path, sizeof(path))) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		f = fopen(tmp, "w");
		if (f) {
			fprintf(f, "%s\n", text);
			if (fclose(f) == 0)
				rename(tmp, path);
			else
				unlink(tmp);
		}
	}
	json_object_put(*ev);
	*ev = NULL;
}

static struct json_object *event_new(struct sup *s, const char *name)
{
	struct json_object *ev = json_object_new_object();

	tool_json_add_str(ev, "event", name);
	tool_json_add_str(ev, "vm", s->vm.name);
	return ev;
}

/* ---------------------------------------------------------------------------------- */
/* QEMU's command line */

static bool reserved_arg(const char *a)
{
	static const char *const ours[] = { "-m", "--m", "-incoming", "--incoming",
					    "-daemonize", "--daemonize" };
	size_t i;

	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (!strcmp(a, ours[i]))
			return true;
	return false;
}

/* The guest's arguments plus ours: RAM from the region, the two QMP sockets. */
static int build_argv(struct sup *s, bool incoming, struct argv_buf *a)
{
	char kqmp[4096], qmp[4096];
	int rc = 0, i;

	if (run_path(s->o, "kqmp", kqmp, sizeof(kqmp)) || run_path(s->o, "qmp", qmp, sizeof(qmp)))
		return -ENAMETOOLONG;
	unlink(kqmp);
	unlink(qmp);
	rc |= argv_add(a, qemu_program(s->o->qemu));
	for (i = 0; i < s->user.n; i++)
		rc |= argv_add(a, s->user.v[i]);
	rc |= argv_add(a, "-object");
	rc |= argv_addf(a, "memory-backend-file,id=kstate-ram,mem-path=%s,size=%" PRIu64
			",share=on,discard-data=off%s", s->vm.ram_path,
			kstate_region_size(s->vm.ram),
			kstate_region_is_pmem(s->vm.ram) ? ",pmem=on" : "");
	rc |= argv_add(a, "-machine");
	rc |= argv_add(a, "memory-backend=kstate-ram");
	rc |= argv_add(a, "-m");
	rc |= argv_addf(a, "%" PRIu64 "k", kstate_region_size(s->vm.ram) / 1024);
	rc |= argv_add(a, "-chardev");
	rc |= argv_addf(a, "socket,id=kstate-qmp,path=%s,server=on,wait=off", kqmp);
	rc |= argv_add(a, "-mon");
	rc |= argv_add(a, "chardev=kstate-qmp,mode=control");
	rc |= argv_add(a, "-qmp");
	rc |= argv_addf(a, "unix:%s,server=on,wait=off", qmp);
	if (incoming) {
		rc |= argv_add(a, "-incoming");
		rc |= argv_add(a, "defer");
		rc |= argv_add(a, "-S");
	}
	return rc ? -ENOMEM : 0;
}

static void on_qmp_event(struct json_object *ev, void *userdata)
{
	struct sup *s = userdata;
	struct json_object *name;

	if (json_object_object_get_ex(ev, "event", &name) &&
	    !strcmp(json_object_get_string(name), "SHUTDOWN"))
		s->shutdown_seen = true;
}

/* Start QEMU and connect to its QMP socket; on failure QEMU is gone. */
static int qemu_start(struct sup *s, bool incoming, char *err)
{
	struct argv_buf a = { 0 };
	char kqmp[4096], why[48];
	int rc;

	rc = build_argv(s, incoming, &a);
	if (rc) {
		snprintf(err, ERR_LEN, "cannot build QEMU's command line");
		argv_free(&a);
		return rc;
	}
	rc = qemu_spawn(a.v, &s->qemu);
	if (rc) {
		snprintf(err, ERR_LEN, "cannot run %s: %s", a.v[0], strerror(-rc));
		argv_free(&a);
		return rc;
	}
	argv_free(&a);
	run_path(s->o, "kqmp", kqmp, sizeof(kqmp));
	rc = qmp_connect(kqmp, s->qemu, timeout_ms(s->o), &s->qmp, err);
	if (rc) {
		rc = qemu_wait(s->qemu, 0, true);
		if (rc >= 0) {
			size_t n = strlen(err);

			snprintf(err + n, ERR_LEN - n, " (QEMU %s; its messages are above)",
				 qemu_status_str(rc, why));
		}
		s->qemu = 0;
		return -ECHILD;
	}
	qmp_set_event_fn(s->qmp, on_qmp_event, s);
	return 0;
}

/* Stop QEMU for good: quit over QMP, SIGKILL if it does not go. */
static int qemu_stop(struct sup *s, bool ask)
{
	int status;

	if (!s->qemu)
		return 0;
	if (ask && s->qmp)
		qmp_cmd(s->qmp, "quit", NULL, -1, 10000, NULL, NULL);
	status = qemu_wait(s->qemu, ask ? 30000 : 0, true);
	qmp_close(&s->qmp);
	s->qemu = 0;
	return status;
}

static void query_version(struct sup *s)
{
	struct json_object *ret = NULL, *q, *v;
	char err[ERR_LEN];
	int major = 0, minor = 0, micro = 0;

	if (qmp_cmd(s->qmp, "query-version", NULL, -1, timeout_ms(s->o), &ret, err))
		return;
	if (json_object_object_get_ex(ret, "qemu", &q)) {
		if (json_object_object_get_ex(q, "major", &v))
			major = json_object_get_int(v);
		if (json_object_object_get_ex(q, "minor", &v))
			minor = json_object_get_int(v);
		if (json_object_object_get_ex(q, "micro", &v))
			micro = json_object_get_int(v);
	}
	snprintf(s->qemu_version, sizeof(s->qemu_version), "%d.%d.%d", major, minor, micro);
	json_object_put(ret);
}

/* "running", "paused", ... or "" */
static void query_status(struct sup *s, char *buf, size_t len)
{
	struct json_object *ret = NULL, *v;
	char err[ERR_LEN];

	*buf = '\0';
	if (qmp_cmd(s->qmp, "query-status", NULL, -1, timeout_ms(s->o), &ret, err))
		return;
	if (json_object_object_get_ex(ret, "status", &v))
		snprintf(buf, len, "%s", json_object_get_string(v));
	json_object_put(ret);
}

/* Give QEMU one end of a new pipe under @fdname; the other end is returned in *@ours. */
static int pass_pipe_end(struct sup *s, const char *fdname, bool qemu_writes, int *ours,
			 char *err)
{
	struct json_object *args = json_object_new_object();
	int p[2], rc;

	if (pipe2(p, O_CLOEXEC)) {
		json_object_put(args);
		return snprintf(err, ERR_LEN, "pipe: %s", strerror(errno)), -errno;
	}
	tool_json_add_str(args, "fdname", fdname);
	rc = qmp_cmd(s->qmp, "getfd", args, qemu_writes ? p[1] : p[0], timeout_ms(s->o), NULL,
		     err);
	close(qemu_writes ? p[1] : p[0]);
	if (rc) {
		close(qemu_writes ? p[0] : p[1]);
		return rc;
	}
	*ours = qemu_writes ? p[0] : p[1];
	return 0;
}

static int set_migration(struct sup *s, char *err)
{
	struct json_object *args = json_object_new_object();
	int rc = qmp_set_capability(s->qmp, "x-ignore-shared", true, timeout_ms(s->o), err);

	if (rc) {
		json_object_put(args);
		return rc;
	}
	json_object_object_add(args, "max-bandwidth", json_object_new_uint64(MAX_BANDWIDTH));
	return qmp_cmd(s->qmp, "migrate-set-parameters", args, -1, timeout_ms(s->o), NULL, err);
}

/* ---------------------------------------------------------------------------------- */
/* suspend: in the supervisor, on SIGTERM or SIGINT */

/* Return: 0 when the guest is sealed and QEMU gone; else the guest runs on. */
static int sup_suspend(struct sup *s)
{
	struct json_object *ev, *meta, *args;
	struct vm_save save = { 0 };
	uint64_t t0 = tool_now_us(), t_stop, t_mig, t_commit, persist_us = 0;
	char err[ERR_LEN] = "", status[32];
	bool was_running;
	int fd = -1, rc;

	query_status(s, status, sizeof(status));
	was_running = !strcmp(status, "running");
	rc = qmp_cmd(s->qmp, "stop", NULL, -1, timeout_ms(s->o), NULL, err);
	t_stop = tool_now_us();
	if (!rc)
		rc = set_migration(s, err);
	if (!rc)
		rc = pass_pipe_end(s, "kstate-out", true, &fd, err);
	if (!rc)
		rc = vm_save_begin(&s->vm, &save, s->user.v, err);
	if (!rc) {
		args = json_object_new_object();
		tool_json_add_str(args, "uri", "fd:kstate-out");
		rc = qmp_cmd(s->qmp, "migrate", args, -1, timeout_ms(s->o), NULL, err);
	}
	if (!rc)
		rc = vm_save_stream(&save, fd, err);
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = qmp_wait_migration(s->qmp, timeout_ms(s->o), err);
	t_mig = tool_now_us();
	if (!rc) {
		meta = json_object_new_object();
		tool_json_add_str(meta, "qemu_version", s->qemu_version);
		tool_json_add_bool(meta, "pmem", kstate_region_is_pmem(s->vm.ram));
		tool_json_add_str(meta, "guest_status", status);
		rc = vm_save_commit(&s->vm, &save, meta, &persist_us, err);
	}
	t_commit = tool_now_us();
	if (rc) {
		vm_save_abort(&save);
		tool_err("%s: suspend failed, the guest %s: %s", s->vm.name,
			 was_running ? "runs on" : "stays paused", err);
		if (was_running && s->qmp) {
			char err2[ERR_LEN];

			if (qmp_cmd(s->qmp, "cont", NULL, -1, timeout_ms(s->o), NULL, err2))
				tool_err("%s: cannot continue the guest: %s", s->vm.name, err2);
		}
		ev = event_new(s, "suspend-failed");
		tool_json_add_str(ev, "error", err);
		event_emit(s, &ev);
		return rc;
	}
	ev = event_new(s, "suspended");
	tool_json_add_u64(ev, "generation", kstate_txn_generation(save.txn));
	tool_json_add_u64(ev, "suspend_us", t_commit - t0);
	tool_json_add_u64(ev, "stop_us", t_stop - t0);
	tool_json_add_u64(ev, "migrate_us", t_mig - t_stop);
	tool_json_add_u64(ev, "persist_us", persist_us);
	tool_json_add_u64(ev, "commit_us", t_commit - t_mig - persist_us);
	tool_json_add_u64(ev, "stream_bytes", save.stream_bytes);
	tool_json_add_u64(ev, "ram_bytes", kstate_region_size(s->vm.ram));
	tool_json_add_bool(ev, "pmem", kstate_region_is_pmem(s->vm.ram));
	vm_save_abort(&save);	/* committed: only frees */
	qemu_stop(s, true);
	event_emit(s, &ev);
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* start */

static int lock_run_dir(struct sup *s)
{
	char path[4096];
	FILE *f;

	if (mkdir(run_dir(s->o), 0700) && errno != EEXIST) {
		tool_err("cannot create the run directory %s: %s", run_dir(s->o), strerror(errno));
		return TOOL_EXIT_FAILURE;
	}
	if (run_path(s->o, "lock", path, sizeof(path)))
		return TOOL_EXIT_USAGE;
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		tool_err("%s: %s", path, strerror(errno));
		return TOOL_EXIT_FAILURE;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
		tool_err("%s is already running (%s is locked): 'kstate-qemu suspend %s' first",
			 s->o->name, path, s->o->name);
		return TOOL_EXIT_BUSY;
	}
	if (run_path(s->o, "pid", path, sizeof(path)))
		return TOOL_EXIT_USAGE;
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
		tool_err("%s: cannot write: %s", path, strerror(errno));
		return TOOL_EXIT_FAILURE;
	}
	return 0;
}

static bool args_equal(char *const a[], int na, char *const b[], int nb)
{
	int i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

/* Boot the guest anew: guest RAM keeps whatever it held, the firmware starts over. */
static int sup_boot(struct sup *s)
{
	struct json_object *ev;
	char err[ERR_LEN] = "";
	uint64_t size = s->o->ram;
	int rc, i;

	if (!s->o->nqemu_args) {
		tool_err("%s: nothing saved to resume, and no QEMU arguments to boot it with "
			 "(give them after --)", s->o->name);
		return TOOL_EXIT_USAGE;
	}
	for (i = 0; i < s->o->nqemu_args; i++)
		if (argv_add(&s->user, s->o->qemu_args[i]))
			return tool_fail(-ENOMEM, NULL);
	rc = vm_ram_map(&s->vm, size, false, err);
	if (rc == -ENOENT) {
		if (!size) {
			tool_err("%s: region %s does not exist: give --ram SIZE to create it",
				 s->o->name, s->vm.ram_name);
			return TOOL_EXIT_USAGE;
		}
		rc = vm_ram_map(&s->vm, size, true, err);
	}
	if (rc) {
		tool_err("%s: guest RAM: %s", s->o->name, err);
		return rc == -EINVAL ? TOOL_EXIT_REFUSED : TOOL_EXIT_FAILURE;
	}
	/* A new guest, or --fresh: whatever the page held is replaced. */
	rc = vm_live_map(&s->vm, VM_LIVE_CREATE | VM_LIVE_OVERWRITE, err);
	if (!rc)
		rc = vm_live_set(&s->vm, VM_LIVE_RUNNING, 0, kstate_region_size(s->vm.ram), err);
	if (rc) {
		tool_err("%s: %s", s->o->name, err);
		return TOOL_EXIT_FAILURE;
	}
	rc = qemu_start(s, false, err);
	if (rc) {
		tool_err("%s: %s", s->o->name, err);
		vm_live_set(&s->vm, VM_LIVE_STOPPED, 0, kstate_region_size(s->vm.ram), err);
		return TOOL_EXIT_FAILURE;
	}
	query_version(s);
	ev = event_new(s, "booted");
	tool_json_add_u64(ev, "qemu_pid", (uint64_t)s->qemu);
	tool_json_add_u64(ev, "ram_bytes", kstate_region_size(s->vm.ram));
	tool_json_add_bool(ev, "pmem", kstate_region_is_pmem(s->vm.ram));
	tool_json_add_str(ev, "ram_path", s->vm.ram_path);
	event_emit(s, &ev);
	return 0;
}

/* Resume the guest sealed at @generation; on any failure QEMU is gone, nothing changed. */
static int sup_resume(struct sup *s, uint64_t generation, uint64_t ram_size)
{
	struct vm_saved saved = { 0 };
	struct json_object *ev, *args;
	uint64_t t_open, t_spawn, t_load, t_cont;
	char err[ERR_LEN] = "", status[32];
	int fd = -1, rc, exit_code = TOOL_EXIT_FAILURE, i;
	bool marked = false;

	rc = vm_saved_load(&s->vm, &saved, err);
	if (rc) {
		tool_err("%s: the device state is refused, so the guest is not resumed: %s; "
			 "nothing was changed or deleted ('kstate verify' and 'kstate-qemu "
			 "status %s' tell more)", s->o->name, err, s->o->name);
		return TOOL_EXIT_FAILURE;
	}
	if (saved.generation != generation) {
		tool_err("%s: guest RAM was suspended with the device state of generation "
			 "%" PRIu64 ", but the store's newest device state is from generation "
			 "%" PRIu64 " (a suspend that did not seal, or a store rolled back): not "
			 "resumed, nothing changed; 'kstate-qemu start --fresh' boots it again",
			 s->o->name, generation, saved.generation);
		exit_code = TOOL_EXIT_REFUSED;
		goto out;
	}
	if (s->o->ram && s->o->ram != saved.ram_size) {
		tool_err("%s: --ram %" PRIu64 " but the guest was suspended with %" PRIu64
			 " bytes of RAM: not resumed", s->o->name, s->o->ram, saved.ram_size);
		exit_code = TOOL_EXIT_REFUSED;
		goto out;
	}
	if (saved.ram_size != ram_size) {
		tool_err("%s: the device state is for %" PRIu64 " bytes of RAM, the live page "
			 "says %" PRIu64 ": not resumed", s->o->name, saved.ram_size, ram_size);
		exit_code = TOOL_EXIT_REFUSED;
		goto out;
	}
	if (s->o->nqemu_args &&
	    !args_equal(s->o->qemu_args, s->o->nqemu_args, saved.args, saved.nargs)) {
		tool_err("%s: suspended with other QEMU arguments than given now; a different "
			 "machine cannot load its device state. Resume without arguments (the "
			 "saved ones are used) or with exactly these: %s...", s->o->name,
			 saved.nargs ? saved.args[0] : "(none)");
		exit_code = TOOL_EXIT_REFUSED;
		goto out;
	}
	for (i = 0; i < saved.nargs; i++)
		if (argv_add(&s->user, saved.args[i]))
			goto out;
	rc = vm_ram_map(&s->vm, saved.ram_size, false, err);
	if (rc) {
		tool_err("%s: guest RAM: %s: not resumed", s->o->name, err);
		exit_code = rc == -ENOENT ? TOOL_EXIT_FAILURE : TOOL_EXIT_REFUSED;
		goto out;
	}
	t_open = tool_now_us();

	rc = qemu_start(s, true, err);
	t_spawn = tool_now_us();
	if (!rc)
		rc = set_migration(s, err);
	if (!rc)
		rc = pass_pipe_end(s, "kstate-in", false, &fd, err);
	if (!rc) {
		args = json_object_new_object();
		tool_json_add_str(args, "uri", "fd:kstate-in");
		rc = qmp_cmd(s->qmp, "migrate-incoming", args, -1, timeout_ms(s->o), NULL, err);
	}
	if (!rc)
		rc = vm_saved_feed(&saved, fd, err);
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = qmp_wait_migration(s->qmp, timeout_ms(s->o), err);
	t_load = tool_now_us();
	if (!rc) {
		query_status(s, status, sizeof(status));
		if (strcmp(status, "paused")) {
			snprintf(err, ERR_LEN, "QEMU is '%s' after loading, not paused", status);
			rc = -EPROTO;
		}
	}
	/* From here on guest RAM changes: say so durably before the guest runs. */
	if (!rc) {
		rc = vm_live_set(&s->vm, VM_LIVE_RUNNING, 0, saved.ram_size, err);
		marked = !rc;
	}
	if (!rc)
		rc = qmp_cmd(s->qmp, "cont", NULL, -1, timeout_ms(s->o), NULL, err);
	t_cont = tool_now_us();
	if (rc) {
		char why[48];
		int st = -1;

		/* A QEMU that refused the stream exits by itself: give it the time to. */
		if (s->qemu) {
			qmp_close(&s->qmp);
			st = qemu_wait(s->qemu, 5000, true);
			s->qemu = 0;
		}
		tool_err("%s: QEMU did not take the device state of generation %" PRIu64
			 ", so the guest is not resumed: %s%s%s; the store is unchanged",
			 s->o->name, generation, err, st >= 0 ? "; QEMU " : "",
			 st >= 0 ? qemu_status_str(st, why) : "");
		/* The guest never ran: its RAM still matches the sealed state. */
		if (marked)
			vm_live_set(&s->vm, VM_LIVE_SUSPENDED, generation, saved.ram_size, err);
		goto out;
	}
	query_version(s);
	ev = event_new(s, "resumed");
	tool_json_add_u64(ev, "generation", generation);
	tool_json_add_u64(ev, "restore_us", t_cont - s->t0_us);
	tool_json_add_u64(ev, "open_us", t_open - s->t0_us);
	tool_json_add_u64(ev, "spawn_us", t_spawn - t_open);
	tool_json_add_u64(ev, "load_us", t_load - t_spawn);
	tool_json_add_u64(ev, "cont_us", t_cont - t_load);
	tool_json_add_u64(ev, "stream_bytes", saved.stream_bytes);
	tool_json_add_u64(ev, "ram_bytes", saved.ram_size);
	tool_json_add_u64(ev, "qemu_pid", (uint64_t)s->qemu);
	tool_json_add_str(ev, "saved_qemu_version", saved.qemu_version);
	tool_json_add_str(ev, "qemu_version", s->qemu_version);
	event_emit(s, &ev);
	exit_code = 0;
out:
	vm_saved_free(&saved);
	return exit_code;
}

/* QEMU exited on its own: a guest shutdown (status 0) or a crash. */
static int sup_qemu_exited(struct sup *s, int status)
{
	struct json_object *ev;
	char err[ERR_LEN], why[48];
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	s->qemu = 0;
	qmp_close(&s->qmp);
	ev = event_new(s, clean ? "stopped" : "qemu-died");
	tool_json_add_str(ev, "status", qemu_status_str(status, why));
	if (clean) {
		/* Nothing to resume: the next start boots the guest. */
		vm_live_set(&s->vm, VM_LIVE_STOPPED, 0, kstate_region_size(s->vm.ram), err);
	} else {
		tool_err("%s: QEMU %s while the guest ran; its RAM is newer than any saved "
			 "device state, so it cannot be resumed: 'kstate-qemu start --fresh %s' "
			 "boots it again", s->vm.name, why, s->vm.name);
	}
	event_emit(s, &ev);
	return clean ? TOOL_EXIT_OK : TOOL_EXIT_FAILURE;
}

static int sup_loop(struct sup *s)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = s->sigfd, .events = POLLIN },
			{ .fd = s->qmp ? qmp_fd(s->qmp) : -1, .events = POLLIN },
		};
		struct signalfd_siginfo si;
		int status;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			tool_err("poll: %s", strerror(errno));
			return TOOL_EXIT_FAILURE;
		}
		if (pfd[1].revents && qmp_read_events(s->qmp) < 0)
			qmp_close(&s->qmp);	/* QEMU is exiting; SIGCHLD follows */
		if (!(pfd[0].revents & POLLIN))
			continue;
		if (read(s->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			if (waitpid(s->qemu, &status, WNOHANG) == s->qemu)
				return sup_qemu_exited(s, status);
			continue;
		}
		/* SIGTERM, SIGINT, SIGHUP: suspend. */
		if (!s->qmp) {
			tool_err("%s: no QMP connection to QEMU; cannot suspend", s->vm.name);
			continue;
		}
		if (sup_suspend(s) == 0)
			return TOOL_EXIT_OK;
	}
}

static int cmd_start(struct kstate_ctx *ctx, struct opts *o, uint64_t t0)
{
	struct sup s = { .o = o, .t0_us = t0, .sigfd = -1, .lock_fd = -1 };
	char err[ERR_LEN] = "", pidpath[4096];
	uint64_t generation = 0, ram_size = 0;
	uint32_t state = VM_LIVE_NONE;
	sigset_t mask;
	int rc, exit_code, i;

	for (i = 0; i < o->nqemu_args; i++) {
		if (reserved_arg(o->qemu_args[i]))
			return tool_usage_error("QEMU argument %s is kstate-qemu's own (RAM size "
						"comes from --ram, resume from the store)",
						o->qemu_args[i]);
	}
	exit_code = tool_store_open(ctx, tool_store_path(o->store), 0, &s.store);
	if (exit_code)
		return exit_code;
	rc = vm_init(&s.vm, s.store, o->name, err);
	if (rc) {
		tool_err("%s", err);
		exit_code = TOOL_EXIT_USAGE;
		goto out;
	}
	if (strchr(s.vm.ram_path, ',')) {
		tool_err("the store path %s has a comma, which QEMU's -object cannot take",
			 kstate_store_path(s.store));
		exit_code = TOOL_EXIT_USAGE;
		goto out;
	}
	exit_code = lock_run_dir(&s);
	if (exit_code)
		goto out;
	/* Signals arrive through the loop, not as interruptions; QEMU gets them unblocked. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (s.sigfd < 0) {
		exit_code = tool_fail(-errno, NULL);
		goto out;
	}

	rc = vm_live_map(&s.vm, 0, err);
	if (rc && rc != -ENOENT && !o->fresh) {
		tool_err("%s: %s; 'kstate-qemu start --fresh %s' boots it again", o->name, err,
			 o->name);
		exit_code = TOOL_EXIT_FAILURE;
		goto out;
	}
	if (!rc)
		state = vm_live_state(&s.vm, &generation, &ram_size);
	if (o->fresh || state == VM_LIVE_NONE || state == VM_LIVE_STOPPED) {
		exit_code = sup_boot(&s);
	} else if (state == VM_LIVE_RUNNING) {
		tool_err("%s: its QEMU stopped without a suspend (crash, kill, power loss), so "
			 "guest RAM is newer than any saved device state: not resumed, nothing "
			 "changed; 'kstate-qemu start --fresh %s' boots it again", o->name,
			 o->name);
		exit_code = TOOL_EXIT_REFUSED;
	} else {
		exit_code = sup_resume(&s, generation, ram_size);
	}
	if (exit_code)
		goto out;
	exit_code = sup_loop(&s);
out:
	if (s.qemu)
		qemu_stop(&s, false);
	qmp_close(&s.qmp);
	if (s.lock_fd >= 0 && !run_path(o, "pid", pidpath, sizeof(pidpath)) && exit_code != TOOL_EXIT_BUSY)
		unlink(pidpath);
	if (s.lock_fd >= 0)
		close(s.lock_fd);
	if (s.sigfd >= 0)
		close(s.sigfd);
	argv_free(&s.user);
	vm_fini(&s.vm);
	kstate_store_delete(&s.store);
	return exit_code;
}

/* ---------------------------------------------------------------------------------- */
/* suspend: signal the supervisor and wait for its event */

/*
 * Whether @pid still runs.  A zombie does not: a supervisor that exited but whose parent
 * (a script, a benchmark) has not reaped it yet still answers kill(pid, 0), and waiting
 * for it to go would only end at --timeout.
 */
static bool proc_alive(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* "pid (comm) state ...", comm may hold anything */
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

static int read_pid(const struct opts *o, pid_t *pid)
{
	char path[4096];
	FILE *f;
	int v = 0;

	if (run_path(o, "pid", path, sizeof(path)))
		return -ENAMETOOLONG;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &v) != 1 || v <= 0)
		v = 0;
	fclose(f);
	if (!v || !proc_alive(v))
		return -ESRCH;
	*pid = v;
	return 0;
}

/* The last event the supervisor wrote, or NULL. */
static struct json_object *read_last(const struct opts *o)
{
	char path[4096];

	if (run_path(o, "last", path, sizeof(path)))
		return NULL;
	return json_object_from_file(path);
}

static uint64_t event_seq(struct json_object *ev)
{
	struct json_object *v;

	return ev && json_object_object_get_ex(ev, "seq", &v) ? json_object_get_uint64(v) : 0;
}

static int cmd_suspend(struct kstate_ctx *ctx, struct opts *o, uint64_t t0)
{
	struct json_object *before, *ev = NULL, *v;
	uint64_t seq0, deadline = t0 + (uint64_t)o->timeout_s * 1000000;
	const char *name = "";
	pid_t pid = 0;
	int rc;

	(void)ctx;
	rc = read_pid(o, &pid);
	if (rc) {
		tool_err("%s is not running under kstate-qemu here (no live supervisor in %s)",
			 o->name, run_dir(o));
		return TOOL_EXIT_NOTFOUND;
	}
	before = read_last(o);
	seq0 = event_seq(before);
	json_object_put(before);
	if (kill(pid, SIGTERM)) {
		tool_err("cannot signal the supervisor (pid %d): %s", (int)pid, strerror(errno));
		return errno == EPERM ? TOOL_EXIT_PERM : TOOL_EXIT_FAILURE;
	}
	/* The supervisor writes its event, then QEMU and it exit. */
	while (tool_now_us() < deadline) {
		bool alive = proc_alive(pid);

		json_object_put(ev);
		ev = read_last(o);
		if (event_seq(ev) > seq0 && json_object_object_get_ex(ev, "event", &v)) {
			name = json_object_get_string(v);
			if (strcmp(name, "suspended") || !alive)
				break;
		}
		if (!alive)
			break;
		usleep(2000);
	}
	if (!*name) {
		tool_err("%s: no answer from the supervisor (pid %d) within %u s", o->name,
			 (int)pid, o->timeout_s);
		json_object_put(ev);
		return TOOL_EXIT_FAILURE;
	}
	if (o->json) {
		tool_json_print(&ev);
	} else if (!strcmp(name, "suspended")) {
		json_object_object_get_ex(ev, "generation", &v);
		printf("%s suspended into generation %s", o->name, json_object_get_string(v));
		json_object_object_get_ex(ev, "suspend_us", &v);
		printf(" in %.1f ms", (double)json_object_get_uint64(v) / 1000);
		json_object_object_get_ex(ev, "stream_bytes", &v);
		printf(" (device state %s bytes)\n", json_object_get_string(v));
	} else {
		printf("%s: %s\n", o->name, json_object_to_json_string_ext(ev,
		       JSON_C_TO_STRING_PLAIN));
	}
	json_object_put(ev);
	return strcmp(name, "suspended") ? TOOL_EXIT_FAILURE : TOOL_EXIT_OK;
}

/* ---------------------------------------------------------------------------------- */
/* status, discard, qmp */

static int cmd_status(struct kstate_ctx *ctx, struct opts *o, uint64_t t0)
{
	struct json_object *root = json_object_new_object();
	struct kstate_store *store = NULL;
	struct vm_saved saved;
	struct vm vm;
	char err[ERR_LEN] = "", live_path[4096];
	uint64_t generation = 0, ram_size = 0;
	struct vm_live live = { 0 };
	uint32_t state = VM_LIVE_NONE;
	pid_t pid = 0;
	int rc, exit_code, fd;
	bool running;

	(void)t0;
	exit_code = tool_store_open(ctx, tool_store_path(o->store), KSTATE_STORE_RDONLY, &store);
	if (exit_code) {
		json_object_put(root);
		return exit_code;
	}
	rc = vm_init(&vm, store, o->name, err);
	if (rc) {
		tool_err("%s", err);
		exit_code = TOOL_EXIT_USAGE;
		goto out;
	}
	/* Read-only: the live page is read, not mapped. */
	kstate_store_region_path(store, vm.live_name, live_path, sizeof(live_path));
	fd = open(live_path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &live, sizeof(live)) == (ssize_t)sizeof(live) &&
		    !memcmp(live.magic, VM_LIVE_MAGIC, 8)) {
			state = le32toh(live.state);
			generation = le64toh(live.generation);
			ram_size = le64toh(live.ram_size);
		}
		close(fd);
	}
	running = read_pid(o, &pid) == 0;
	tool_json_add_str(root, "vm", o->name);
	tool_json_add_str(root, "store", kstate_store_path(store));
	tool_json_add_str(root, "state", vm_live_state_str(state));
	tool_json_add_u64(root, "generation", generation);
	tool_json_add_u64(root, "ram_bytes", ram_size);
	tool_json_add_str(root, "ram_path", vm.ram_path);
	tool_json_add_bool(root, "supervisor_running", running);
	tool_json_add_u64(root, "supervisor_pid", running ? (uint64_t)pid : 0);
	rc = vm_saved_load(&vm, &saved, err);
	if (!rc) {
		tool_json_add_u64(root, "saved_generation", saved.generation);
		tool_json_add_u64(root, "saved_stream_bytes", saved.stream_bytes);
		tool_json_add_str(root, "saved_qemu_version", saved.qemu_version);
		tool_json_add_bool(root, "resumable", state == VM_LIVE_SUSPENDED &&
				   saved.generation == generation && !running);
		vm_saved_free(&saved);
	} else {
		tool_json_add_bool(root, "resumable", false);
		if (rc != -ENOENT || state == VM_LIVE_SUSPENDED) {
			tool_json_add_str(root, "saved_error", err);
			if (state == VM_LIVE_SUSPENDED)
				exit_code = TOOL_EXIT_FAILURE;
		}
	}
	if (o->json) {
		tool_json_print(&root);
	} else {
		struct json_object *v;

		printf("guest:          %s\n", o->name);
		printf("state:          %s", vm_live_state_str(state));
		if (state == VM_LIVE_SUSPENDED)
			printf(" (generation %" PRIu64 ")", generation);
		printf("%s\n", running ? ", supervisor running" : "");
		printf("guest RAM:      %" PRIu64 " bytes in %s\n", ram_size, vm.ram_path);
		if (json_object_object_get_ex(root, "saved_generation", &v))
			printf("device state:   generation %s, intact\n", json_object_get_string(v));
		if (json_object_object_get_ex(root, "saved_error", &v))
			printf("device state:   REFUSED: %s\n", json_object_get_string(v));
		json_object_object_get_ex(root, "resumable", &v);
		printf("resumable:      %s\n", json_object_get_boolean(v) ? "yes" : "no");
		json_object_put(root);
	}
	root = NULL;
out:
	json_object_put(root);
	kstate_store_delete(&store);
	return exit_code;
}

static int cmd_discard(struct kstate_ctx *ctx, struct opts *o, uint64_t t0)
{
	struct kstate_store *store = NULL;
	struct vm vm;
	char err[ERR_LEN] = "";
	bool kept = false;
	pid_t pid;
	int rc, exit_code;

	(void)t0;
	if (read_pid(o, &pid) == 0) {
		tool_err("%s is running (supervisor pid %d): suspend or stop it first", o->name,
			 (int)pid);
		return TOOL_EXIT_BUSY;
	}
	exit_code = tool_store_open(ctx, tool_store_path(o->store), 0, &store);
	if (exit_code)
		return exit_code;
	rc = vm_init(&vm, store, o->name, err);
	if (!rc)
		rc = vm_discard(&vm, &kept, err);
	if (rc) {
		tool_err("%s: %s", o->name, err);
		exit_code = rc == -EINVAL ? TOOL_EXIT_USAGE : TOOL_EXIT_FAILURE;
	} else if (o->json) {
		struct json_object *root = json_object_new_object();

		tool_json_add_str(root, "vm", o->name);
		tool_json_add_bool(root, "discarded", true);
		tool_json_add_bool(root, "region_files_kept", kept);
		tool_json_print(&root);
	} else if (kept) {
		printf("%s discarded: the newest generation no longer has it; its region files "
		       "stay while an older kept generation lists them ('kstate region remove' "
		       "after the next saves)\n", o->name);
	} else {
		printf("%s discarded: its device state and RAM are gone from the store\n",
		       o->name);
	}
	if (!rc)
		vm_fini(&vm);
	kstate_store_delete(&store);
	return exit_code;
}

static int cmd_qmp(struct kstate_ctx *ctx, struct opts *o, uint64_t t0)
{
	struct json_object *args = NULL, *ret = NULL;
	struct qmp *q = NULL;
	char path[4096], err[ERR_LEN] = "";
	int rc;

	(void)ctx;
	(void)t0;
	if (o->qmp_args) {
		args = json_tokener_parse(o->qmp_args);
		if (!args || !json_object_is_type(args, json_type_object)) {
			json_object_put(args);
			return tool_usage_error("ARGUMENTS must be a JSON object: %s", o->qmp_args);
		}
	}
	if (run_path(o, "qmp", path, sizeof(path))) {
		json_object_put(args);
		return TOOL_EXIT_USAGE;
	}
	rc = qmp_connect(path, 0, 2000, &q, err);
	if (rc) {
		json_object_put(args);
		tool_err("%s: %s", o->name, err);
		return rc == -ETIMEDOUT ? TOOL_EXIT_NOTFOUND : TOOL_EXIT_FAILURE;
	}
	rc = qmp_cmd(q, o->qmp_command, args, -1, timeout_ms(o), &ret, err);
	qmp_close(&q);
	if (rc) {
		tool_err("%s: %s", o->name, err);
		return TOOL_EXIT_FAILURE;
	}
	printf("%s\n", ret ? json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PLAIN) : "{}");
	json_object_put(ret);
	return 0;
}

/*
 * --args-file: one QEMU argument per line, as it is (spaces included); empty lines and
 * lines starting with '#' are skipped.  For the systemd unit, whose environment files
 * cannot quote.
 */
static int read_args_file(const char *path, struct argv_buf *a)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "r");

	if (!f) {
		tool_err("--args-file %s: %s", path, strerror(errno));
		return errno == ENOENT ? TOOL_EXIT_NOTFOUND : TOOL_EXIT_FAILURE;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;
		if (argv_add(a, line)) {
			free(line);
			fclose(f);
			return tool_fail(-ENOMEM, NULL);
		}
	}
	free(line);
	fclose(f);
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Command line */

#define OPT_STORE	TOOL_OPT_STORE
#define OPT_JSON	TOOL_OPT_JSON
#define OPT_RUN_DIR	0x300
#define OPT_QEMU	0x301
#define OPT_RAM		0x302
#define OPT_FRESH	0x303
#define OPT_TIMEOUT	0x304
#define OPT_ARGS_FILE	0x305

struct cmd {
	const char *name;
	const char *synopsis;
	const char *summary;
	int (*run)(struct kstate_ctx *ctx, struct opts *o, uint64_t t0);
};

static const struct cmd cmds[] = {
	{ "start", "start NAME [--ram SIZE] [--fresh] [--qemu PROG] [--args-file FILE | -- "
	  "QEMU-ARGS...]",
	  "resume guest NAME from the store, or boot it; stay as QEMU's supervisor",
	  cmd_start },
	{ "suspend", "suspend NAME [--json]",
	  "seal the guest's device state in a new generation and stop its QEMU",
	  cmd_suspend },
	{ "status", "status NAME [--json]",
	  "what the store holds for NAME and whether it can be resumed", cmd_status },
	{ "discard", "discard NAME [--json]",
	  "drop NAME's device state and RAM from the store", cmd_discard },
	{ "qmp", "qmp NAME COMMAND [ARGUMENTS-JSON]",
	  "run one QMP command on NAME's QEMU and print its answer", cmd_qmp },
};

#define HELP_OPTIONS \
	"  --store DIR      the store (default: $KSTATE_STORE, else " TOOL_DEFAULT_STORE ")\n" \
	"  --run-dir DIR    sockets, pid and lock files (default: $" RUN_DIR_ENV ", else\n" \
	"                   " DEFAULT_RUN_DIR ")\n" \
	"  --ram SIZE       start: guest RAM for a new guest (K, M, G suffixes)\n" \
	"  --fresh          start: boot the guest even if a suspended state exists\n" \
	"                   (that state is not deleted; the next suspend replaces it)\n" \
	"  --qemu PROG      start: the QEMU program (default: $KSTATE_QEMU, else\n" \
	"                   qemu-system-x86_64)\n" \
	"  --args-file FILE start: QEMU's arguments, one per line, instead of after --\n" \
	"  --timeout S      wait at most S seconds for QEMU (default 300)\n" \
	"  --json           suspend, status, discard: print JSON\n" \
	"  -h, --help       this text\n" \
	"  -V, --version    print the version\n"

static void usage(void)
{
	size_t i;

	printf("Usage: kstate-qemu COMMAND NAME [OPTIONS] [-- QEMU-ARGS...]\n\n"
	       "Run a QEMU guest whose RAM is a kstate region, so that it survives kexec and\n"
	       "firmware reboots: suspend seals its device state in the store, start resumes.\n\n"
	       "Commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %s\n      %s\n", cmds[i].synopsis, cmds[i].summary);
	printf("\nOptions:\n" HELP_OPTIONS "\n");
	tool_print_exit_codes(stdout);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
		{ "qemu", required_argument, NULL, OPT_QEMU },
		{ "ram", required_argument, NULL, OPT_RAM },
		{ "fresh", no_argument, NULL, OPT_FRESH },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "args-file", required_argument, NULL, OPT_ARGS_FILE },
		TOOL_OPTIONS_COMMON, { 0 }
	};
	uint64_t t0 = tool_now_us();
	struct opts o = { .timeout_s = DEFAULT_TIMEOUT_S };
	struct kstate_ctx *ctx = NULL;
	const struct cmd *c = NULL;
	static char name[64];
	const char *args_file = NULL;
	int ch, rc, i, end = argc;
	size_t k;

	tool_set_name("kstate-qemu");
	/* Everything after "--" is QEMU's. */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			end = i;
			o.qemu_args = argv + i + 1;
			o.nqemu_args = argc - i - 1;
			break;
		}
	opterr = 0;
	while ((ch = getopt_long(end, argv, ":hV", longopts, NULL)) != -1) {
		switch (ch) {
		case TOOL_OPT_HELP:
			usage();
			return TOOL_EXIT_OK;
		case TOOL_OPT_VERSION:
			tool_print_version();
			return TOOL_EXIT_OK;
		case OPT_STORE:
			o.store = optarg;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_RUN_DIR:
			o.run_dir = optarg;
			break;
		case OPT_QEMU:
			o.qemu = optarg;
			break;
		case OPT_RAM:
			if (tool_parse_size("--ram", optarg, &o.ram))
				return TOOL_EXIT_USAGE;
			if (!o.ram || o.ram % (2 << 20))
				return tool_usage_error("--ram %s: must be a non-zero multiple of "
							"2 MiB", optarg);
			break;
		case OPT_FRESH:
			o.fresh = true;
			break;
		case OPT_ARGS_FILE:
			args_file = optarg;
			break;
		case OPT_TIMEOUT:
			if (tool_parse_uint("--timeout", optarg, &o.timeout_s))
				return TOOL_EXIT_USAGE;
			if (!o.timeout_s)
				return tool_usage_error("--timeout must be at least 1");
			break;
		default:
			return tool_getopt_error(ch, argv);
		}
	}
	if (optind >= end)
		return tool_usage_error("missing command");
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (!strcmp(argv[optind], cmds[k].name))
			c = &cmds[k];
	if (!c)
		return tool_usage_error("unknown command '%s'", argv[optind]);
	snprintf(name, sizeof(name), "kstate-qemu %s", c->name);
	tool_set_name(name);
	if (++optind >= end)
		return tool_usage_error("missing NAME");
	o.name = argv[optind++];
	if (c->run == cmd_qmp) {
		if (optind >= end)
			return tool_usage_error("missing COMMAND");
		o.qmp_command = argv[optind++];
		if (optind < end)
			o.qmp_args = argv[optind++];
	}
	if (optind < end)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	if (args_file) {
		if (o.nqemu_args)
			return tool_usage_error("give QEMU arguments after -- or in --args-file, "
						"not both");
		rc = read_args_file(args_file, &o.file_args);
		if (rc)
			return rc;
		o.qemu_args = o.file_args.v;
		o.nqemu_args = o.file_args.n;
	}
	if ((o.nqemu_args || args_file) && c->run != cmd_start)
		return tool_usage_error("QEMU arguments (after -- or --args-file) are only for "
					"start");
	if ((o.ram || o.fresh || o.qemu) && c->run != cmd_start)
		return tool_usage_error("--ram, --fresh and --qemu are only for start");
	rc = tool_ctx_new(&ctx);
	if (rc)
		return rc;
	rc = c->run(ctx, &o, t0);
	kstate_ctx_delete(&ctx);
	argv_free(&o.file_args);
	return rc;
}
