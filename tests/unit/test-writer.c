// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-writer - the record writer's two paths: the DAX-native one (spares mapped with
 * libpmem2, non-temporal copies, one drain, three fsyncs per commit) on a tmpfs store
 * standing in for persistent memory (KSTATE_FORCE_DAX=1), and the page-cache one.
 * Contents are checked through the reader and kstate_store_verify(), which recompute
 * every record CRC and the whole-file CRC from the bytes on disk.
 *
 * Built a second time as test-writer-no-pmem2 (KSTATE_TEST_NO_PMEM2, with a libpmem2
 * name that cannot load): on a machine without libpmem2 the DAX writer falls back to
 * pwritev, with the same contents and the same three fsyncs per commit.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <syslog.h>
#include <linux/magic.h>

#include "helpers.h"
#include "kstate_format.h"
#include "libkstate.h"

/* Internal, from the static archive. */
void kstate_fault_inject(unsigned long nth, int error);
unsigned long kstate_fault_calls(void);
unsigned long kstate_io_fsyncs(void);

struct fixture {
	char *dir;
	struct kstate_ctx *ctx;
	struct kstate_store *store;
	bool dax;
	unsigned int mapped;	/* "writing through a mapping" messages seen */
	unsigned int fallback;	/* "writing with pwritev" (no libpmem2) messages seen */
};

static void count_log(struct kstate_ctx *ctx, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	struct fixture *f = kstate_ctx_get_userdata(ctx);
	char msg[512];

	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(msg, sizeof(msg), format, args);
	if (strstr(msg, "writing through a mapping"))
		f->mapped++;
	if (strstr(msg, "writing with pwritev"))
		f->fallback++;
}

/* A store in a new directory under @base; with @dax, written as on DAX. */
static int setup_in(void **state, const char *base, bool dax)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char tmpl[256];
	struct statfs sf;

	if (dax && (statfs(base, &sf) || sf.f_type != TMPFS_MAGIC)) {
		/* Each test then skips: nothing here can stand in for DAX. */
		print_message("%s is not tmpfs: cannot stand in for DAX\n", base);
		*state = f;
		return 0;
	}
	snprintf(tmpl, sizeof(tmpl), "%s/kstate-test-XXXXXX", base);
	f->dir = strdup(mkdtemp(tmpl));
	f->dax = dax;
	setenv("KSTATE_FORCE_DAX", dax ? "1" : "0", 1);
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 1);
	assert_int_equal(kstate_ctx_new(&f->ctx), 0);
	kstate_ctx_set_userdata(f->ctx, f);
	kstate_ctx_set_log_fn(f->ctx, count_log);
	kstate_ctx_set_log_priority(f->ctx, LOG_DEBUG);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, KSTATE_STORE_CREATE, &f->store), 0);
	assert_int_equal(kstate_store_is_dax(f->store), dax);
	*state = f;
	return 0;
}

static int setup_dax(void **state)
{
	return setup_in(state, "/dev/shm", true);
}

static int setup_pagecache(void **state)
{
	const char *t = getenv("TMPDIR");

	return setup_in(state, t ? t : "/tmp", false);
}

/* The fixture, or skip when setup found no tmpfs to stand in for DAX. */
static struct fixture *fixture(void **state)
{
	struct fixture *f = *state;

	if (!f->dir)
		skip();
	return f;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f->dir) {
		free(f);
		return 0;
	}
	kstate_fault_inject(0, 0);
	kstate_store_delete(&f->store);
	kstate_ctx_delete(&f->ctx);
	remove_tree(f->dir);
	unsetenv("KSTATE_FORCE_DAX");
	free(f);
	return 0;
}

/*
 * Record lengths that cross every boundary the writer has: empty, unaligned (padding),
 * the 16 KiB mapping chunk and the 256 KiB pwrite chunk, a mapped spare's end.
 */
static const size_t lengths[] = {
	0, 1, 7, 8, 13, 4096, (16 << 10) - 3, (16 << 10) + 5, (256 << 10) + 1,
	(1 << 20) + 3, 100, 0,
};
#define NLENGTHS (sizeof(lengths) / sizeof(lengths[0]))

static uint8_t byte_at(unsigned int round, size_t rec, size_t i)
{
	return (uint8_t)(i * 131 + rec * 7 + round * 29 + (i >> 12));
}

/* One generation: record file "big" with every length, in round @round's bytes. */
static int save_round(struct kstate_store *s, unsigned int round, size_t scale)
{
	struct kstate_writer *w = NULL;
	uint8_t *buf = malloc(lengths[NLENGTHS - 3] * scale + 1);
	size_t r, i;
	int rc;

	rc = kstate_writer_new(s, NULL, "big", round, &w);
	for (r = 0; r < NLENGTHS && !rc; r++) {
		size_t len = lengths[r] * (r == NLENGTHS - 3 ? scale : 1);

		for (i = 0; i < len; i++)
			buf[i] = byte_at(round, r, i);
		rc = kstate_writer_add(w, (uint16_t)(r + 1), 0, buf, len);
	}
	if (!rc)
		rc = kstate_writer_commit(w);
	kstate_writer_delete(&w);
	free(buf);
	return rc;
}

static void check_round(struct kstate_store *s, unsigned int round, size_t scale)
{
	struct kstate_reader *r = NULL;
	const void *data;
	size_t len, rec = 0, i;
	uint16_t type;
	int rc;

	assert_int_equal(kstate_store_verify(s, 0), 0);
	assert_int_equal(kstate_reader_new(s, 0, "big", &r), 0);
	assert_int_equal(kstate_reader_client_version(r), round);
	while ((rc = kstate_reader_next(r, &type, NULL, &data, &len)) == 1) {
		const uint8_t *p = data;

		assert_int_equal(type, rec + 1);
		assert_int_equal(len, lengths[rec] * (rec == NLENGTHS - 3 ? scale : 1));
		for (i = 0; i < len; i++)
			if (p[i] != byte_at(round, rec, i))
				fail_msg("round %u record %zu byte %zu differs", round, rec, i);
		rec++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(rec, NLENGTHS);
	kstate_reader_delete(&r);
}

/*
 * Rounds 1 and 2 create their files; from round 3 on a commit's gc has freed the
 * previous file and the writer reuses it: mapped on DAX.  Round 4 needs more than the
 * spare holds, so the end goes through pwrite; round 5 less, so the file is cut.
 */
static void test_roundtrip_with_spares(void **state)
{
	struct fixture *f = fixture(state);
	static const size_t scale[] = { 1, 1, 1, 1, 3, 1 };
	unsigned int round;

	kstate_store_set_keep(f->store, 1);
	for (round = 1; round <= 5; round++) {
		if (save_round(f->store, round, scale[round]))
			fail_msg("round %u: %s", round, kstate_errormsg());
		check_round(f->store, round, scale[round]);
	}
	assert_int_equal(count_files(f->dir, ".tmp."), count_files(f->dir, ".tmp.spare."));
	assert_true(count_files(f->dir, ".tmp.spare.") >= 1);
#ifdef KSTATE_TEST_NO_PMEM2
	assert_int_equal(f->mapped, 0);
	assert_int_equal(f->fallback, f->dax ? 3 : 0);	/* rounds 3, 4 and 5 */
#else
	assert_int_equal(f->mapped, f->dax ? 3 : 0);	/* rounds 3, 4 and 5 */
	assert_int_equal(f->fallback, 0);
#endif
	/* An operator's gc frees the spares' space. */
	assert_int_equal(kstate_store_gc_each(f->store, 1, 0, NULL, NULL), 0);
	assert_int_equal(count_files(f->dir, ".tmp."), 0);
	check_round(f->store, 5, 1);
}

/* What a commit costs in fsyncs: at most 3 on DAX, whatever the writer wrote. */
static void test_fsyncs_per_commit(void **state)
{
	struct fixture *f = fixture(state);
	unsigned long before;
	unsigned int round;

	kstate_store_set_keep(f->store, 1);
	for (round = 1; round <= 4; round++) {
		before = kstate_io_fsyncs();
		assert_int_equal(save_round(f->store, round, 1), 0);
		print_message("      %s commit %u: %lu fsyncs\n", f->dax ? "DAX" : "page-cache",
			      round, kstate_io_fsyncs() - before);
		if (f->dax)
			assert_int_equal(kstate_io_fsyncs() - before, 3);
		else
			assert_int_equal(kstate_io_fsyncs() - before, 8);
	}
	check_round(f->store, 4, 1);
}

/*
 * Every wrapped call of a commit that maps a spare fails in turn: the store keeps its
 * previous generation intact, leaves nothing temporary but spares, and the next
 * fault-free commit succeeds.
 */
static void test_fault_injection_every_step(void **state)
{
	struct fixture *f = fixture(state);
	unsigned int round = 1, current = 1;
	unsigned long nth;
	int failures = 0;

	kstate_store_set_keep(f->store, 1);
	assert_int_equal(save_round(f->store, round++, 1), 0);
	assert_int_equal(save_round(f->store, current = round++, 1), 0);
	for (nth = 1;; nth++) {
		struct kstate_store *fresh = NULL;
		uint64_t before = kstate_store_generation(f->store);
		unsigned long calls;
		unsigned int mapped = f->mapped;
		int rc;

		kstate_fault_inject(nth, EIO);
		rc = save_round(f->store, round, 1);
		calls = kstate_fault_calls();
		kstate_fault_inject(0, 0);
		assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &fresh), 0);
		if (rc) {
			failures++;
			assert_int_equal(kstate_store_generation(fresh), before);
		} else {
			assert_int_equal(kstate_store_generation(fresh), before + 1);
			current = round++;
			if (f->dax && calls < nth)
				assert_int_equal(f->mapped, mapped + 1);
		}
		check_round(fresh, current, 1);
		kstate_store_delete(&fresh);
		assert_int_equal(count_files(f->dir, ".tmp."),
				 count_files(f->dir, ".tmp.spare."));
		if (calls < nth) {
			if (rc)
				fail_msg("fault-free commit: %d (%s)", rc, kstate_errormsg());
			break;
		}
	}
	assert_true(failures > 10);
	print_message("      commit survived %d injected failures over %lu steps\n", failures,
		      nth - 1);
}

/* A writer that dies between its own commit and the seal: the previous one stays. */
static void test_crash_before_seal(void **state)
{
	struct fixture *f = fixture(state);
	pid_t pid;
	int status;

	kstate_store_set_keep(f->store, 1);
	assert_int_equal(save_round(f->store, 1, 1), 0);
	assert_int_equal(save_round(f->store, 2, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct kstate_ctx *ctx = NULL;
		struct kstate_store *s = NULL;
		struct kstate_txn *t = NULL;
		struct kstate_writer *w = NULL;
		static char junk[2 << 20];

		memset(junk, 0x5a, sizeof(junk));
		if (kstate_ctx_new(&ctx) || kstate_store_new(ctx, f->dir, 0, &s) ||
		    kstate_txn_new(s, &t) || kstate_writer_new(s, t, "big", 9, &w) ||
		    kstate_writer_add(w, 1, 0, junk, sizeof(junk)) || kstate_writer_commit(w))
			_exit(1);
		_exit(0);	/* no seal, no cleanup: a crash */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	check_round(f->store, 2, 1);
	assert_int_equal(save_round(f->store, 3, 1), 0);
	check_round(f->store, 3, 1);
}

/*
 * Spares are names in a directory whoever can write the store controls: a symlink, a
 * hard link or a fifo planted as a spare is removed, never written through.
 */
static void test_planted_spares_refused(void **state)
{
	struct fixture *f = fixture(state);
	char *victim = path_in(f->dir, "quarantine-victim");
	char *spare0 = path_in(f->dir, ".tmp.spare.0");
	char *spare1 = path_in(f->dir, ".tmp.spare.1");
	char *spare2 = path_in(f->dir, ".tmp.spare.2");
	size_t len;
	char *back;

	write_whole(victim, "keep me", 7);
	assert_int_equal(symlink(victim, spare0), 0);
	assert_int_equal(link(victim, spare1), 0);
	assert_int_equal(mkfifo(spare2, 0600), 0);
	assert_int_equal(save_round(f->store, 1, 1), 0);
	check_round(f->store, 1, 1);
	back = read_whole(victim, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(back, "keep me", 7);
	assert_false(file_exists(f->dir, ".tmp.spare.0"));
	assert_false(file_exists(f->dir, ".tmp.spare.1"));
	assert_false(file_exists(f->dir, ".tmp.spare.2"));
	free(back);
	free(victim);
	free(spare0);
	free(spare1);
	free(spare2);
}

/* The test hook is refused where it would skip needed fsyncs: not on tmpfs. */
static void test_force_dax_only_on_memory(void **state)
{
	struct fixture *f = fixture(state);
	struct kstate_store *s = NULL;

	setenv("KSTATE_FORCE_DAX", "1", 1);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &s), 0);
	assert_false(kstate_store_is_dax(s));
	kstate_store_delete(&s);
}

int main(void)
{
#ifdef KSTATE_TEST_NO_PMEM2
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_with_spares, setup_dax, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_with_spares, setup_pagecache,
						teardown),
		cmocka_unit_test_setup_teardown(test_fsyncs_per_commit, setup_dax, teardown),
	};
#else
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_with_spares, setup_dax, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_with_spares, setup_pagecache,
						teardown),
		cmocka_unit_test_setup_teardown(test_fsyncs_per_commit, setup_dax, teardown),
		cmocka_unit_test_setup_teardown(test_fsyncs_per_commit, setup_pagecache,
						teardown),
		cmocka_unit_test_setup_teardown(test_fault_injection_every_step, setup_dax,
						teardown),
		cmocka_unit_test_setup_teardown(test_crash_before_seal, setup_dax, teardown),
		cmocka_unit_test_setup_teardown(test_planted_spares_refused, setup_dax, teardown),
		cmocka_unit_test_setup_teardown(test_force_dax_only_on_memory, setup_pagecache,
						teardown),
	};
#endif

	return cmocka_run_group_tests(tests, NULL, NULL);
}
