// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A crash between every pair of persistent stores of each cache operation.
 *
 * This program defines libpmem's store and flush entry points (pmem_flush, pmem_drain,
 * pmem_persist, pmem_memcpy, ...), so libpmemobj's calls land here first (the
 * executable is linked with -rdynamic) and then go on to libpmem.  Each call, each
 * midpoint of a copy or fill (a torn copy), and each point between two of the cache's
 * own stores (cache_store_hook) is a crash point.  For an operation with N points, N
 * children each start from a copy of the same pool, run the operation and die by
 * SIGKILL at their point: what they stored so far is in the shared file mapping, the
 * rest never happens.  After each one:
 *
 *   - pmemobj_check() (libpmemobj's own check of header, lanes and heap, run by
 *     pool-check) and `pmempool check` pass on the pool as the crash left it, and
 *     pmemobj_check() again after recovery and one more operation;
 *   - opening it (libpmemobj's recovery) gives a cache whose invariants hold
 *     (cache_verify(), payload contents included) and whose entries, LRU order and
 *     counters are exactly those before the operation or exactly those after it;
 *   - the pool still works: one more operation, checked again.
 *
 * PMEM_IS_PMEM_FORCE=1 (set by meson) makes libpmemobj treat the file as persistent
 * memory, so it persists with flushes rather than msync, as on DAX.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libpmem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "disk.h"
#include "helpers.h"

/* ---------------------------------------------------------------------------------- */
/* Crash points */

static long crash_at;		/* stop at this point (1-based); 0: only count */
static long points;		/* points passed since arm() */
static int armed;
static int report_fd = -1;	/* a child tells its parent where it stopped */

static void arm(long at)
{
	crash_at = at;
	points = 0;
	armed = 1;
}

static void disarm(void)
{
	armed = 0;
}

/*
 * Tell the parent, then wait for its SIGKILL.  Killed from outside, not by raise():
 * that is a crash no exit path sees, and valgrind or LeakSanitizer (which follow the
 * fork) do not stop to check the child's leaks.
 */
static void stop_here(long n)
{
	if (write(report_fd, &n, sizeof(n)) != sizeof(n))
		_exit(2);
	for (;;)
		pause();
}

static void point(void)
{
	if (!armed)
		return;
	if (++points == crash_at)
		stop_here(points);
}

#define REAL(name) \
	static __typeof__(name) *real; \
	if (!real) \
		real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

void pmem_flush(const void *addr, size_t len)
{
	REAL(pmem_flush);
	point();
	real(addr, len);
}

void pmem_drain(void)
{
	REAL(pmem_drain);
	point();
	real();
}

void pmem_persist(const void *addr, size_t len)
{
	REAL(pmem_persist);
	point();
	real(addr, len);
}

void pmem_deep_flush(const void *addr, size_t len)
{
	REAL(pmem_deep_flush);
	point();
	real(addr, len);
}

int pmem_msync(const void *addr, size_t len)
{
	REAL(pmem_msync);
	point();
	return real(addr, len);
}

void *pmem_memcpy(void *dest, const void *src, size_t len, unsigned flags)
{
	REAL(pmem_memcpy);
	point();
	if (armed && len >= 16) {
		memcpy(dest, src, len / 2);	/* torn: the first half only */
		point();
	}
	return real(dest, src, len, flags);
}

void *pmem_memset(void *dest, int c, size_t len, unsigned flags)
{
	REAL(pmem_memset);
	point();
	if (armed && len >= 16) {
		memset(dest, c, len / 2);
		point();
	}
	return real(dest, c, len, flags);
}

/* No torn point: redoing half of an overlapping move would not be a prefix of it. */
void *pmem_memmove(void *dest, const void *src, size_t len, unsigned flags)
{
	REAL(pmem_memmove);
	point();
	return real(dest, src, len, flags);
}

/* ---------------------------------------------------------------------------------- */
/* Cache states */

#define CAP	4
#define BS	512

struct state {
	uint64_t count;
	uint64_t keys[CAP + 1];		/* LRU order */
	uint64_t versions[CAP + 1];
	struct cache_counters total;
};

static void state_of(struct cache *c, struct state *s)
{
	uint64_t i;

	memset(s, 0, sizeof(*s));
	s->count = cache_count(c);
	assert_true(s->count <= CAP);
	assert_int_equal(cache_lru_keys(c, s->keys, CAP + 1), s->count);
	for (i = 0; i < s->count; i++)
		assert_true(cache_contains(c, s->keys[i], &s->versions[i]));
	s->total = cache_root(c)->total;
}

static bool state_eq(const struct state *a, const struct state *b)
{
	return a->count == b->count && !memcmp(a->keys, b->keys, sizeof(a->keys)) &&
	       !memcmp(a->versions, b->versions, sizeof(a->versions)) &&
	       !memcmp(&a->total, &b->total, sizeof(a->total));
}

static void put_block(struct cache *c, uint64_t key, uint64_t version, unsigned int flags)
{
	uint8_t buf[BS];

	block_fill(buf, BS, key, version);
	assert_int_equal(cache_put(c, key, version, buf, flags), 0);
}

static void verify_ok(struct cache *c, const char *when, long at)
{
	struct cache_report r;
	int rc = cache_verify(c, block_matches, NULL, &r);

	if (rc)
		fail_msg("%s, crash point %ld: %s", when, at, cache_errormsg());
}

/* ---------------------------------------------------------------------------------- */
/* Scenarios: a pool to start from and the operation to crash */

struct scenario {
	const char *name;
	void (*setup)(struct cache *c);
	void (*op)(struct cache *c);
};

static void setup_two(struct cache *c)
{
	put_block(c, 10, 0, CACHE_PUT_MISS);
	put_block(c, 11, 0, CACHE_PUT_MISS);
}

static void setup_full(struct cache *c)
{
	uint64_t k;

	for (k = 10; k < 10 + CAP; k++)
		put_block(c, k, 0, CACHE_PUT_MISS);
}

static void op_insert(struct cache *c)
{
	put_block(c, 99, 0, CACHE_PUT_MISS);
}

static void op_update(struct cache *c)
{
	put_block(c, 11, 7, 0);
}

static void op_hit(struct cache *c)
{
	uint8_t buf[BS];

	/* 10 is the least recently used: the hit moves it from tail to head. */
	assert_int_equal(cache_get(c, 10, buf, NULL), 1);
}

static void op_evict(struct cache *c)
{
	assert_int_equal(cache_evict(c, 12), 0);
}

static const struct scenario scenarios[] = {
	{ "insert", setup_two, op_insert },
	{ "insert-evicting", setup_full, op_insert },
	{ "update", setup_full, op_update },
	{ "hit", setup_full, op_hit },
	{ "evict", setup_full, op_evict },
};

/* ---------------------------------------------------------------------------------- */

static char *dir;
static const char *pmempool;

/*
 * Every crash point, except under valgrind: there each forked child and each open runs
 * some fifty times slower, and what valgrind looks for (memory errors, leaks) shows on
 * every fourth point as on all of them.  The plain and ASan runs take every point.
 */
#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#define CRASH_STRIDE	(RUNNING_ON_VALGRIND ? 4 : 1)
#else
#define CRASH_STRIDE	1
#endif
static long stride = 1;	/* the last point is always taken: the commit is done */

static void copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out;
	struct stat st;

	assert_true(in >= 0);
	assert_int_equal(fstat(in, &st), 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	assert_int_equal(sendfile(out, in, NULL, (size_t)st.st_size), st.st_size);
	close(in);
	close(out);
}

/* `pmempool check` on the pool: it must exit 0. */
static void pmempool_check(const char *path, const char *name, long at)
{
	char cmd[4096];
	int rc;

	snprintf(cmd, sizeof(cmd), "'%.1000s' check -q '%.2000s'", pmempool, path);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("%s: crash point %ld: '%s' exited %d", name, at, cmd, rc);
}

/* pmemobj_check() on the pool, by the pool-check process: it must say consistent. */
static FILE *checker_in, *checker_out;

static void checker_start(const char *prog)
{
	int in[2], out[2];
	pid_t pid;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(prog, prog, "-", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	checker_in = fdopen(in[1], "w");
	checker_out = fdopen(out[0], "r");
	assert_non_null(checker_in);
	assert_non_null(checker_out);
}

static void pool_check(const char *path, const char *name, long at, const char *when)
{
	char line[1024];

	fprintf(checker_in, "%s\n", path);
	fflush(checker_in);
	if (!fgets(line, sizeof(line), checker_out))
		fail_msg("%s: crash point %ld: pool-check died", name, at);
	if (strcmp(line, "0\n"))
		fail_msg("%s: crash point %ld: pmemobj_check %s: %s", name, at, when, line);
}

/*
 * Run @sc's operation on @work in a child stopped at crash point @at (0: at the end,
 * after closing the pool), killed there by SIGKILL.
 * Return: the point it stopped at, or how many it passed when @at is 0.
 */
static long run_child(const struct scenario *sc, const char *work, long at)
{
	struct cache *c = NULL;
	int fds[2], status;
	long n = -1;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		if (cache_open_file(work, 0, &c))
			_exit(2);
		arm(at);
		sc->op(c);
		disarm();
		if (at)
			_exit(3);	/* the point was not reached */
		if (cache_close(&c))
			_exit(2);
		stop_here(points);
	}
	close(fds[1]);
	if (read(fds[0], &n, sizeof(n)) != sizeof(n))
		n = -1;
	close(fds[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL || (at && n != at))
		fail_msg("%s: crash point %ld: the child did not stop there (status 0x%x)",
			 sc->name, at, status);
	return n;
}

static void run_scenario(const struct scenario *sc)
{
	/* Not malloc'ed: the children exit without freeing (leak checkers follow forks). */
	static char tpl[4096], work[4096];
	struct state before, after, got;
	long n, at, as_before = 0, as_after = 0;
	struct cache *c = NULL;

	snprintf(tpl, sizeof(tpl), "%s/%s.tpl", dir, sc->name);
	snprintf(work, sizeof(work), "%s/%s.pool", dir, sc->name);
	unlink(tpl);
	assert_int_equal(cache_create_file(tpl, CAP, BS, 0, &c), 0);
	sc->setup(c);
	state_of(c, &before);
	assert_int_equal(cache_close(&c), 0);

	/*
	 * The operation without a crash, in a child like the ones that crash (a fresh
	 * process opening the pool): its result, and how many points it passes.
	 */
	copy_file(tpl, work);
	n = run_child(sc, work, 0);
	assert_int_equal(cache_open_file(work, 0, &c), 0);
	state_of(c, &after);
	assert_int_equal(cache_close(&c), 0);
	assert_false(state_eq(&before, &after));
	/* Interposition works: libpmemobj's flushes and the cache's own stores. */
	assert_true(n >= 4);

	for (at = 1; at <= n; at = at < n && at + stride > n ? n : at + stride) {
		copy_file(tpl, work);
		run_child(sc, work, at);

		/* As the crash left it, before any recovery: libpmemobj's and pmempool's checks. */
		pool_check(work, sc->name, at, "before recovery");
		pmempool_check(work, sc->name, at);

		/* Recovery: all of the operation or none of it. */
		if (cache_open_file(work, 0, &c))
			fail_msg("%s: crash point %ld: open: %s", sc->name, at, cache_errormsg());
		verify_ok(c, sc->name, at);
		state_of(c, &got);
		if (state_eq(&got, &before))
			as_before++;
		else if (state_eq(&got, &after))
			as_after++;
		else
			fail_msg("%s: crash point %ld: the cache is neither as before nor as "
				 "after the operation (count %llu)", sc->name, at,
				 (unsigned long long)got.count);

		/* Still usable. */
		put_block(c, 1000 + (uint64_t)at, 0, CACHE_PUT_MISS);
		verify_ok(c, "after the next operation", at);
		assert_int_equal(cache_close(&c), 0);
		pool_check(work, sc->name, at, "after recovery");
	}
	printf("%s: %ld crash points: %ld recovered as before, %ld as after\n", sc->name, n,
	       as_before, as_after);
	/* The points span the commit: some crashes roll back, some find it done. */
	assert_true(as_before > 0);
	assert_true(as_after > 0);
	unlink(tpl);
	unlink(work);
}

static void test_scenario(void **state)
{
	run_scenario(*state);
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[sizeof(scenarios) / sizeof(scenarios[0])];
	size_t i;
	int rc;

	if (argc < 3 || access(argv[1], X_OK)) {
		printf("SKIP: pmempool (package pmdk-tools) not found; run scripts/install-deps\n");
		return 77;
	}
	pmempool = argv[1];
	checker_start(argv[2]);
	stride = CRASH_STRIDE;
	if (stride > 1)
		printf("under valgrind: every %ld. crash point\n", stride);
	if (!getenv("PMEM_IS_PMEM_FORCE")) {
		printf("PMEM_IS_PMEM_FORCE=1 must be set (meson test sets it)\n");
		return 1;
	}
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(test_scenario,
							(void *)&scenarios[i]);
		tests[i].name = scenarios[i].name;
	}
	/* Each point copies a pool and maps it four times: RAM is much faster than a disk. */
	if (!getenv("TMPDIR") && !access("/dev/shm", W_OK))
		setenv("TMPDIR", "/dev/shm", 1);
	dir = make_tmpdir();
	rc = _cmocka_run_group_tests("cache-crash", tests, i, NULL, NULL);
	remove_tree(dir);
	return rc;
}
