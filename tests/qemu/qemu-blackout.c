// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * qemu-blackout - the blackout of an unmodified QEMU guest, kstate against the copy
 * baseline, side by side on the same guest (docs/qemu.md).
 *
 *   qemu-blackout --kstate-qemu PROG --kstate PROG --guest ELF --dir DIR [--ram MIB]...
 *                 [--rounds N]
 *
 * For each RAM size, kq-guest boots with that much RAM, all but 8 MiB of it filled with
 * a pattern (fill=), so the copy baseline cannot skip zero pages.  Then N rounds of each:
 *
 *   kstate: "kstate-qemu suspend" (QMP stop, migrate with x-ignore-shared into a record
 *     of the store, RAM persisted, sealed; its suspend_us), QEMU exits, the page cache of
 *     the RAM file is dropped (as a reboot would), then "kstate-qemu start" until its
 *     "resumed" event (timed here, from before the fork);
 *   copy: QEMU with the same arguments but RAM in anonymous memory; QMP stop, migrate
 *     into a file (fd:), fsync (timed from stop to the fsync), QEMU quits, the file's
 *     page cache is dropped, then a new QEMU with -incoming defer -S loads it and
 *     continues (timed from before the fork to cont's answer).
 *
 * Blackout = suspend + resume.  After every resume the guest must print a count above
 * the one before the suspend.  Prints one JSON line per round and a Markdown table of
 * medians with min-max ranges.  Exit: 0, 1 a round failed, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "qemu-proc.h"
#include "qmp.h"

#define MAX_SIZES	8
#define MAX_ROUNDS	101
#define TIMEOUT_MS	300000

struct cfg {
	const char *kq;
	const char *kstate;
	const char *guest;
	const char *dir;
	uint64_t sizes[MAX_SIZES];
	int nsizes;
	int rounds;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	fprintf(stderr, "qemu-blackout: ");
	vfprintf(stderr, format, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void drop_cache(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

/* The last "kq n=N" of the guest's serial log. */
static long last_count(const char *serial)
{
	char line[256];
	long n = -1, v;
	FILE *f = fopen(serial, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "kq n=%ld ", &v) == 1)
			n = v;
	fclose(f);
	return n;
}

/* Wait until the guest counts past @after (it runs again). */
static void wait_count(const char *serial, long after)
{
	uint64_t deadline = now_us() + (uint64_t)TIMEOUT_MS * 1000;

	while (last_count(serial) <= after) {
		if (now_us() > deadline)
			die("the guest did not count past %ld (%s)", after, serial);
		usleep(20000);
	}
}

static void wait_line(const char *serial, const char *text)
{
	uint64_t deadline = now_us() + (uint64_t)TIMEOUT_MS * 1000;
	char line[256];

	for (;;) {
		FILE *f = fopen(serial, "r");

		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, text)) {
				fclose(f);
				return;
			}
		if (f)
			fclose(f);
		if (now_us() > deadline)
			die("no '%s' in %s", text, serial);
		usleep(50000);
	}
}

/* The guest's arguments, the same for both ways. */
static void guest_args(struct argv_buf *a, const struct cfg *c, uint64_t ram, const char *serial)
{
	argv_add(a, "-accel");
	argv_add(a, "tcg");
	argv_add(a, "-nodefaults");
	argv_add(a, "-display");
	argv_add(a, "none");
	argv_add(a, "-vga");
	argv_add(a, "none");
	argv_add(a, "-nic");
	argv_add(a, "none");
	argv_add(a, "-kernel");
	argv_add(a, c->guest);
	argv_add(a, "-append");
	argv_addf(a, "area=256 fill=%" PRIu64, (ram >> 20) - 8);
	argv_add(a, "-chardev");
	argv_addf(a, "file,id=s0,path=%s,append=on", serial);
	argv_add(a, "-serial");
	argv_add(a, "chardev:s0");
}

/* ---------------------------------------------------------------------------------- */
/* kstate: the real kstate-qemu */

static int run_wait(char *const argv[], char *out, size_t outlen)
{
	int p[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + len, outlen - len - 1)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/*
 * Start "kstate-qemu start" and wait for @event on its stdout; its pid in *@pid.  Its
 * stdout is a file, read from the start until the event: a pipe closed after the event
 * would kill the supervisor (SIGPIPE) at its next event, the one of the suspend.
 */
static struct json_object *kq_start(const struct cfg *c, struct argv_buf *extra,
				    const char *event, pid_t *pid)
{
	uint64_t deadline = now_us() + (uint64_t)TIMEOUT_MS * 1000;
	char store[4096], run[4096], events[4096], line[4096];
	struct json_object *ev = NULL, *v;
	struct argv_buf a = { 0 };
	int fd, i, status;

	snprintf(store, sizeof(store), "%s/store", c->dir);
	snprintf(run, sizeof(run), "%s/run", c->dir);
	snprintf(events, sizeof(events), "%s/events.jsonl", c->dir);
	argv_add(&a, c->kq);
	argv_add(&a, "--store");
	argv_add(&a, store);
	argv_add(&a, "--run-dir");
	argv_add(&a, run);
	argv_add(&a, "start");
	argv_add(&a, "bench");
	for (i = 0; extra && i < extra->n; i++)
		argv_add(&a, extra->v[i]);
	fd = open(events, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("%s: %s", events, strerror(errno));
	*pid = fork();
	if (*pid == 0) {
		dup2(fd, STDOUT_FILENO);
		execv(a.v[0], a.v);
		_exit(127);
	}
	close(fd);
	argv_free(&a);
	while (!ev) {
		FILE *f = fopen(events, "r");

		while (f && !ev && fgets(line, sizeof(line), f)) {
			ev = json_tokener_parse(line);
			if (ev && json_object_object_get_ex(ev, "event", &v) &&
			    !strcmp(json_object_get_string(v), event))
				break;
			json_object_put(ev);
			ev = NULL;
		}
		if (f)
			fclose(f);
		if (ev)
			break;
		if (waitpid(*pid, &status, WNOHANG) == *pid)
			die("kstate-qemu start exited before its '%s' event", event);
		if (now_us() > deadline)
			die("kstate-qemu start gave no '%s' event", event);
		usleep(1000);
	}
	return ev;
}

static uint64_t get_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		die("no %s in %s", key, json_object_to_json_string(o));
	return json_object_get_uint64(v);
}

struct sample {
	double suspend_ms, resume_ms, blackout_ms;
	uint64_t state_bytes;
};

/* One round as a JSON line on stdout, for the report and the jsonl file. */
static void print_round(const char *way, uint64_t ram, int r, const struct sample *x)
{
	printf("{\"way\":\"%s\",\"ram\":%" PRIu64 ",\"round\":%d,\"suspend_ms\":%.3f,"
	       "\"resume_ms\":%.3f,\"blackout_ms\":%.3f,\"state_bytes\":%" PRIu64 "}\n",
	       way, ram, r + 1, x->suspend_ms, x->resume_ms, x->blackout_ms, x->state_bytes);
	fflush(stdout);
}

static void kstate_rounds(const struct cfg *c, uint64_t ram, struct sample *s)
{
	char store[4096], serial[4096], ramfile[4200], out[8192], cmd[20000];
	struct argv_buf boot = { 0 };
	struct json_object *ev;
	pid_t sup;
	int r, rc;

	snprintf(store, sizeof(store), "%s/store", c->dir);
	snprintf(serial, sizeof(serial), "%s/kstate-serial.log", c->dir);
	snprintf(ramfile, sizeof(ramfile), "%s/bench-ram.region", store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s/run' && mkdir -m 700 '%s' && "
		 "'%s' --store '%s' init >/dev/null 2>&1", store, serial, c->dir, store, c->kstate,
		 store);
	if (system(cmd))
		die("cannot make the store %s", store);
	argv_add(&boot, "--ram");
	argv_addf(&boot, "%" PRIu64, ram);
	argv_add(&boot, "--");
	guest_args(&boot, c, ram, serial);
	ev = kq_start(c, &boot, "booted", &sup);
	json_object_put(ev);
	argv_free(&boot);
	wait_line(serial, "kq ready");
	wait_count(serial, 0);
	/*
	 * The store here is a file on disk, not DAX: the guest's RAM is dirty page cache
	 * until written back.  The kernel does that in the background within 30 s; do it
	 * now, so that the first suspend does not pay for the boot-time fill.
	 */
	sync();
	for (r = 0; r < c->rounds; r++) {
		char *susp[] = { (char *)c->kq, "--store", store, "--run-dir", NULL, "suspend",
				 "bench", "--json", NULL };
		char run[4096];
		long before;
		uint64_t t0;
		int status;

		snprintf(run, sizeof(run), "%s/run", c->dir);
		susp[4] = run;
		rc = run_wait(susp, out, sizeof(out));
		if (rc)
			die("kstate-qemu suspend failed (%d): %s", rc, out);
		waitpid(sup, &status, 0);
		ev = json_tokener_parse(out);
		if (!ev)
			die("kstate-qemu suspend printed no JSON: %s", out);
		s[r].suspend_ms = (double)get_u64(ev, "suspend_us") / 1000;
		s[r].state_bytes = get_u64(ev, "stream_bytes");
		json_object_put(ev);
		before = last_count(serial);
		drop_cache(ramfile);	/* as after a reboot (on DAX there is no cache) */
		t0 = now_us();
		ev = kq_start(c, NULL, "resumed", &sup);
		s[r].resume_ms = (double)(now_us() - t0) / 1000;
		json_object_put(ev);
		s[r].blackout_ms = s[r].suspend_ms + s[r].resume_ms;
		wait_count(serial, before);
		print_round("kstate", ram, r, &s[r]);
	}
	{
		char *susp[] = { (char *)c->kq, "--store", store, "--run-dir", NULL, "suspend",
				 "bench", NULL };
		char run[4096];

		snprintf(run, sizeof(run), "%s/run", c->dir);
		susp[4] = run;
		run_wait(susp, out, sizeof(out));
		waitpid(sup, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store);
	if (system(cmd))
		fprintf(stderr, "qemu-blackout: cannot remove %s\n", store);
}

/* ---------------------------------------------------------------------------------- */
/* copy: RAM in anonymous memory, migrated into a file and back */

static struct qmp *copy_qemu(const struct cfg *c, uint64_t ram, const char *serial,
			     bool incoming, pid_t *pid)
{
	char sock[4096], err[QMP_ERR_LEN];
	struct argv_buf a = { 0 };
	struct qmp *q = NULL;

	snprintf(sock, sizeof(sock), "%s/copy.qmp", c->dir);
	unlink(sock);
	argv_add(&a, qemu_program(NULL));
	guest_args(&a, c, ram, serial);
	argv_add(&a, "-m");
	argv_addf(&a, "%" PRIu64 "k", ram / 1024);
	argv_add(&a, "-qmp");
	argv_addf(&a, "unix:%s,server=on,wait=off", sock);
	if (incoming) {
		argv_add(&a, "-incoming");
		argv_add(&a, "defer");
		argv_add(&a, "-S");
	}
	if (qemu_spawn(a.v, pid))
		die("cannot start %s", a.v[0]);
	argv_free(&a);
	if (qmp_connect(sock, *pid, TIMEOUT_MS, &q, err))
		die("%s", err);
	return q;
}

static void qmp_or_die(struct qmp *q, const char *cmd, struct json_object *args, int fd)
{
	char err[QMP_ERR_LEN];

	if (qmp_cmd(q, cmd, args, fd, TIMEOUT_MS, NULL, err))
		die("%s", err);
}

static void copy_rounds(const struct cfg *c, uint64_t ram, struct sample *s)
{
	char serial[4096], file[4096], err[QMP_ERR_LEN];
	struct json_object *args;
	struct qmp *q;
	pid_t pid;
	int r, fd;

	snprintf(serial, sizeof(serial), "%s/copy-serial.log", c->dir);
	snprintf(file, sizeof(file), "%s/copy.img", c->dir);
	unlink(serial);
	q = copy_qemu(c, ram, serial, false, &pid);
	wait_line(serial, "kq ready");
	wait_count(serial, 0);
	for (r = 0; r < c->rounds; r++) {
		uint64_t t0, t1;
		struct stat st;
		long before;

		/* Suspend: stop, all of RAM and the devices into a file, durable. */
		t0 = now_us();
		qmp_or_die(q, "stop", NULL, -1);
		args = json_object_new_object();
		json_object_object_add(args, "max-bandwidth", json_object_new_uint64(100ULL << 30));
		qmp_or_die(q, "migrate-set-parameters", args, -1);
		fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			die("%s: %s", file, strerror(errno));
		args = json_object_new_object();
		json_object_object_add(args, "fdname", json_object_new_string("copy"));
		qmp_or_die(q, "getfd", args, fd);
		args = json_object_new_object();
		json_object_object_add(args, "uri", json_object_new_string("fd:copy"));
		qmp_or_die(q, "migrate", args, -1);
		if (qmp_wait_migration(q, TIMEOUT_MS, err))
			die("%s", err);
		if (fsync(fd))
			die("fsync %s: %s", file, strerror(errno));
		t1 = now_us();
		close(fd);
		s[r].suspend_ms = (double)(t1 - t0) / 1000;
		stat(file, &st);
		s[r].state_bytes = (uint64_t)st.st_size;
		qmp_cmd(q, "quit", NULL, -1, 10000, NULL, NULL);
		qmp_close(&q);
		qemu_wait(pid, 30000, true);
		before = last_count(serial);
		drop_cache(file);

		/* Resume: a new QEMU reads it all back. */
		t0 = now_us();
		q = copy_qemu(c, ram, serial, true, &pid);
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("%s: %s", file, strerror(errno));
		args = json_object_new_object();
		json_object_object_add(args, "fdname", json_object_new_string("copy"));
		qmp_or_die(q, "getfd", args, fd);
		close(fd);
		args = json_object_new_object();
		json_object_object_add(args, "uri", json_object_new_string("fd:copy"));
		qmp_or_die(q, "migrate-incoming", args, -1);
		if (qmp_wait_migration(q, TIMEOUT_MS, err))
			die("%s", err);
		qmp_or_die(q, "cont", NULL, -1);
		t1 = now_us();
		s[r].resume_ms = (double)(t1 - t0) / 1000;
		s[r].blackout_ms = s[r].suspend_ms + s[r].resume_ms;
		wait_count(serial, before);
		print_round("copy", ram, r, &s[r]);
	}
	qmp_cmd(q, "quit", NULL, -1, 10000, NULL, NULL);
	qmp_close(&q);
	qemu_wait(pid, 30000, true);
	unlink(file);
}

/* ---------------------------------------------------------------------------------- */
/* Summary */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* "median (min–max)" of one field of @n samples. */
static const char *stat_str(const struct sample *s, int n, size_t off, char *buf, size_t len)
{
	double v[MAX_ROUNDS];
	int i;

	for (i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&s[i] + off);
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	snprintf(buf, len, "%.1f (%.1f–%.1f)", n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2,
		 v[0], v[n - 1]);
	return buf;
}

static void row(const char *way, uint64_t ram, const struct sample *s, int n)
{
	char a[64], b[64], d[64];

	printf("| %" PRIu64 " MiB | %s | %s | %s | %s | %.1f MiB |\n", ram >> 20, way,
	       stat_str(s, n, offsetof(struct sample, suspend_ms), a, sizeof(a)),
	       stat_str(s, n, offsetof(struct sample, resume_ms), b, sizeof(b)),
	       stat_str(s, n, offsetof(struct sample, blackout_ms), d, sizeof(d)),
	       (double)s[0].state_bytes / (1 << 20));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kstate-qemu", required_argument, NULL, 'k' },
		{ "kstate", required_argument, NULL, 's' },
		{ "guest", required_argument, NULL, 'g' },
		{ "dir", required_argument, NULL, 'd' },
		{ "ram", required_argument, NULL, 'm' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct sample ks[MAX_SIZES][MAX_ROUNDS], cs[MAX_SIZES][MAX_ROUNDS];
	struct cfg c = { .rounds = 5 };
	int ch, i;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': c.kq = optarg; break;
		case 's': c.kstate = optarg; break;
		case 'g': c.guest = optarg; break;
		case 'd': c.dir = optarg; break;
		case 'n': c.rounds = atoi(optarg); break;
		case 'm':
			if (c.nsizes == MAX_SIZES)
				die("at most %d sizes", MAX_SIZES);
			c.sizes[c.nsizes++] = strtoull(optarg, NULL, 10) << 20;
			break;
		default:
			printf("Usage: qemu-blackout --kstate-qemu PROG --kstate PROG --guest ELF "
			       "--dir DIR [--ram MIB]... [--rounds N]\n");
			return ch == 'h' ? 0 : 2;
		}
	}
	if (!c.kq || !c.kstate || !c.guest || !c.dir || c.rounds < 1 || c.rounds > MAX_ROUNDS) {
		fprintf(stderr, "qemu-blackout: --kstate-qemu, --kstate, --guest and --dir are "
			"required; "
			"1 to %d rounds\n", MAX_ROUNDS);
		return 2;
	}
	if (!c.nsizes)
		c.sizes[c.nsizes++] = 256ULL << 20;
	for (i = 0; i < c.nsizes; i++)
		if (c.sizes[i] < (16ULL << 20) || c.sizes[i] % (2 << 20))
			die("--ram: at least 16 MiB, a multiple of 2");
	signal(SIGPIPE, SIG_IGN);
	mkdir(c.dir, 0700);
	for (i = 0; i < c.nsizes; i++) {
		kstate_rounds(&c, c.sizes[i], ks[i]);
		copy_rounds(&c, c.sizes[i], cs[i]);
	}
	printf("\n| guest RAM | way | suspend ms | resume ms | blackout ms | state written |\n"
	       "|---|---|---:|---:|---:|---:|\n");
	for (i = 0; i < c.nsizes; i++) {
		row("kstate", c.sizes[i], ks[i], c.rounds);
		row("copy", c.sizes[i], cs[i], c.rounds);
	}
	printf("\nmedian (min–max) of %d rounds each\n", c.rounds);
	return 0;
}
