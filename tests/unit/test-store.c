// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-store - libkstate stores, transactions, writers, readers, generations, gc and
 * regions, on an ordinary directory (no root, no devices).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>

#include "helpers.h"
#include "kstate_format.h"
#include "libkstate.h"
#include "kstate_format.h"

/* Internal, from the static archive: make the Nth wrapped call fail. */
void kstate_fault_inject(unsigned long nth, int error);
unsigned long kstate_fault_calls(void);

struct fixture {
	char *dir;
	struct kstate_ctx *ctx;
	struct kstate_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = make_tmpdir();
	assert_int_equal(kstate_ctx_new(&f->ctx), 0);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, KSTATE_STORE_CREATE, &f->store), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kstate_fault_inject(0, 0);
	kstate_store_delete(&f->store);
	kstate_ctx_delete(&f->ctx);
	remove_tree(f->dir);
	free(f);
	return 0;
}

/* Commit one record file @name holding the string @text, in its own transaction. */
static int save_text(struct kstate_store *s, const char *name, const char *text)
{
	struct kstate_writer *w = NULL;
	int rc;

	rc = kstate_writer_new(s, NULL, name, 1, &w);
	if (!rc)
		rc = kstate_writer_add(w, 1, 0, text, strlen(text));
	if (!rc)
		rc = kstate_writer_commit(w);
	kstate_writer_delete(&w);
	return rc;
}

/* The text of the single record of @name in @gen (0: newest), or NULL with *rc set. */
static char *load_text(struct kstate_store *s, uint64_t gen, const char *name, int *rc)
{
	struct kstate_reader *r = NULL;
	const void *data;
	size_t len;
	uint16_t type;
	char *text = NULL;

	*rc = kstate_reader_new(s, gen, name, &r);
	if (*rc)
		return NULL;
	if (kstate_reader_next(r, &type, NULL, &data, &len) == 1) {
		text = strndup(data, len);
		assert_int_equal(type, 1);
		assert_int_equal(kstate_reader_next(r, NULL, NULL, NULL, NULL), 0);
	}
	kstate_reader_delete(&r);
	return text;
}

static void assert_text(struct kstate_store *s, uint64_t gen, const char *name,
			const char *expect)
{
	int rc;
	char *text = load_text(s, gen, name, &rc);

	if (rc)
		fail_msg("reading %s: %d %s", name, rc, kstate_errormsg());
	assert_string_equal(text, expect);
	free(text);
}

static void test_store_create_reopen(void **state)
{
	struct fixture *f = *state;
	struct kstate_store *again = NULL;
	static const uint8_t zero[16];

	assert_memory_not_equal(kstate_store_uuid(f->store), zero, 16);
	assert_int_equal(kstate_store_generation(f->store), 0);
	assert_true(file_exists(f->dir, "kstate.store"));
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &again), 0);
	assert_memory_equal(kstate_store_uuid(again), kstate_store_uuid(f->store), 16);
	assert_string_equal(kstate_store_path(again), f->dir);
	assert_false(kstate_store_is_dax(again));	/* an ordinary test directory */
	kstate_store_delete(&again);
	assert_null(again);
	kstate_store_delete(&again);			/* NULL-safe */
}

/*
 * Whoever can write the store directory decides what the next boot restores: a
 * writable open refuses a directory writable by group or others, or owned by another
 * user; a read-only open (inspection) is allowed.
 */
static void test_store_dir_permissions(void **state)
{
	struct fixture *f = *state;
	struct kstate_store *s = NULL;

	assert_int_equal(save_text(f->store, "state", "1"), 0);
	assert_int_equal(chmod(f->dir, 0770), 0);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &s), -EPERM);
	assert_non_null(strstr(kstate_errormsg(), "writable by its group (mode 0770)"));
	assert_null(s);
	assert_int_equal(chmod(f->dir, 01777), 0);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, KSTATE_STORE_CREATE, &s), -EPERM);
	assert_non_null(strstr(kstate_errormsg(), "writable by others"));
	assert_non_null(strstr(kstate_errormsg(), "chmod go-w"));
	assert_int_equal(kstate_store_new(f->ctx, f->dir, KSTATE_STORE_RDONLY, &s), 0);
	assert_text(s, 0, "state", "1");
	kstate_store_delete(&s);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &s), 0);
	kstate_store_delete(&s);
	/* Owned by another user: only root can hand the directory away to test it. */
	if (geteuid() == 0) {
		assert_int_equal(chown(f->dir, 12345, 12345), 0);
		assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &s), -EPERM);
		assert_non_null(strstr(kstate_errormsg(), "owned by uid 12345"));
		assert_int_equal(kstate_store_new(f->ctx, f->dir, KSTATE_STORE_RDONLY, &s), 0);
		kstate_store_delete(&s);
		assert_int_equal(chown(f->dir, 0, 0), 0);
	}
	assert_int_equal(chmod(f->dir, 0700), 0);
}

static void test_store_open_errors(void **state)
{
	struct fixture *f = *state;
	struct kstate_store *s = NULL;
	char *missing = path_in(f->dir, "nope"), *plain = path_in(f->dir, "plain");

	assert_int_equal(kstate_store_new(f->ctx, missing, 0, &s), -ENOENT);
	assert_non_null(strstr(kstate_errormsg(), "does not exist"));
	assert_int_equal(mkdir(plain, 0700), 0);
	assert_int_equal(kstate_store_new(f->ctx, plain, 0, &s), -ENOENT);
	assert_non_null(strstr(kstate_errormsg(), "not a kstate store"));
	assert_int_equal(kstate_store_new(f->ctx, plain, KSTATE_STORE_CREATE |
					  KSTATE_STORE_RDONLY, &s), -EINVAL);
	assert_null(s);
	free(missing);
	free(plain);
}

static void test_writer_reader_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct kstate_writer *w = NULL;
	struct kstate_reader *r = NULL;
	uint8_t payload[5000];
	const void *data;
	size_t len, i;
	uint16_t type, flags;
	uint8_t boot[16];
	FILE *bf;
	char text[64];

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13);
	assert_int_equal(kstate_writer_new(f->store, NULL, "vmm", 7, &w), 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(kstate_writer_add(w, (uint16_t)i, i % 2, payload, i * 25), 0);
	assert_int_equal(kstate_writer_commit(w), 0);
	kstate_writer_delete(&w);
	assert_int_equal(kstate_store_generation(f->store), 1);

	assert_int_equal(kstate_reader_new(f->store, 0, "vmm", &r), 0);
	assert_string_equal(kstate_reader_name(r), "vmm");
	assert_int_equal(kstate_reader_generation(r), 1);
	assert_int_equal(kstate_reader_client_version(r), 7);
	assert_int_equal(kstate_reader_record_count(r), 200);
	assert_false(kstate_reader_is_kernel(r));
	for (i = 0; i < 200; i++) {
		assert_int_equal(kstate_reader_next(r, &type, &flags, &data, &len), 1);
		assert_int_equal(type, i);
		assert_int_equal(flags, i % 2);
		assert_int_equal(len, i * 25);
		assert_memory_equal(data, payload, len);
	}
	assert_int_equal(kstate_reader_next(r, &type, &flags, &data, &len), 0);
	kstate_reader_rewind(r);
	assert_int_equal(kstate_reader_next(r, &type, NULL, NULL, NULL), 1);
	assert_int_equal(type, 0);
	/* The writer's identity: this kernel and this boot. */
	bf = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (bf && fgets(text, sizeof(text), bf)) {
		unsigned int b[16];

		sscanf(text, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x%2x", &b[0],
		       &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7], &b[8], &b[9], &b[10],
		       &b[11], &b[12], &b[13], &b[14], &b[15]);
		for (i = 0; i < 16; i++)
			boot[i] = (uint8_t)b[i];
		assert_memory_equal(kstate_reader_boot_id(r), boot, 16);
	}
	if (bf)
		fclose(bf);
	assert_memory_equal(kstate_reader_store_uuid(r), kstate_store_uuid(f->store), 16);
	kstate_reader_delete(&r);
	assert_null(r);
}

static void test_txn_several_files_one_generation(void **state)
{
	struct fixture *f = *state;
	struct kstate_txn *t = NULL;
	struct kstate_writer *w = NULL;
	struct kstate_region *rg = NULL;
	struct kstate_generation *g = NULL;
	const char *names[] = { "alpha", "beta", "gamma" };
	int i;

	assert_int_equal(kstate_region_map(f->store, "ram", 1 << 20, KSTATE_REGION_CREATE,
					   &rg), 0);
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_int_equal(kstate_txn_generation(t), 1);
	assert_int_equal(kstate_txn_base(t), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(kstate_writer_new(f->store, t, names[i], 1, &w), 0);
		assert_int_equal(kstate_writer_add(w, 1, 0, names[i], strlen(names[i])), 0);
		assert_int_equal(kstate_writer_commit(w), 0);
		kstate_writer_delete(&w);
	}
	assert_int_equal(kstate_txn_add_region(t, "ram"), 0);
	/* Not sealed yet: readers see nothing. */
	assert_int_equal(kstate_generation_new(f->store, 0, &g), -ENOENT);
	assert_int_equal(kstate_txn_commit(t), 0);
	kstate_txn_delete(&t);

	assert_int_equal(kstate_generation_new(f->store, 0, &g), 0);
	assert_int_equal(kstate_generation_number(g), 1);
	assert_true(kstate_generation_is_sealed(g));
	assert_int_equal(kstate_generation_entry_count(g), 4);
	i = kstate_generation_find(g, KSTATE_KIND_REGION, "ram");
	assert_true(i >= 0);
	assert_int_equal(kstate_generation_entry_size(g, (unsigned int)i), 1 << 20);
	assert_int_equal(kstate_generation_find(g, KSTATE_KIND_RECORDS, "ram"), -ENOENT);
	kstate_generation_delete(&g);
	for (i = 0; i < 3; i++)
		assert_text(f->store, 0, names[i], names[i]);
	assert_int_equal(kstate_store_verify(f->store, 0), 0);
	kstate_region_unmap(&rg);
}

static void test_generations_carry_over_and_gc(void **state)
{
	struct fixture *f = *state;
	struct kstate_generation *g = NULL;
	uint64_t gens[8];
	int i, idx;

	assert_int_equal(save_text(f->store, "a", "a1"), 0);
	for (i = 2; i <= 5; i++) {
		char text[8];

		snprintf(text, sizeof(text), "b%d", i);
		assert_int_equal(save_text(f->store, "b", text), 0);
	}
	assert_int_equal(kstate_store_generation(f->store), 5);
	/* keep 2: manifests 4 and 5 remain; a's file from generation 1 is still listed. */
	assert_int_equal(kstate_store_generations(f->store, gens, 8), 2);
	assert_int_equal(gens[0], 5);
	assert_int_equal(gens[1], 4);
	assert_int_equal(kstate_generation_new(f->store, 0, &g), 0);
	idx = kstate_generation_find(g, KSTATE_KIND_RECORDS, "a");
	assert_true(idx >= 0);
	assert_int_equal(kstate_generation_entry_generation(g, (unsigned int)idx), 1);
	assert_int_equal(kstate_generation_base(g), 4);
	kstate_generation_delete(&g);
	assert_text(f->store, 0, "a", "a1");
	assert_text(f->store, 0, "b", "b5");
	assert_text(f->store, 4, "b", "b4");	/* the previous generation stays readable */
	assert_true(file_exists(f->dir, "a.0000000000000001.ksr"));
	assert_false(file_exists(f->dir, "b.0000000000000003.ksr"));
	assert_int_equal(count_files(f->dir, "b."), 2);
	/* An explicit gc down to one generation. */
	assert_int_equal(kstate_store_gc_each(f->store, 1, 0, NULL, NULL), 0);
	assert_int_equal(kstate_store_generations(f->store, gens, 8), 1);
	assert_int_equal(count_files(f->dir, "b."), 1);
	assert_int_equal(kstate_generation_new(f->store, 4, &g), -ENOENT);
}

static void test_txn_abort_leaves_previous(void **state)
{
	struct fixture *f = *state;
	struct kstate_txn *t = NULL;
	struct kstate_writer *w = NULL;

	assert_int_equal(save_text(f->store, "x", "first"), 0);
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_true(file_exists(f->dir, "manifest.0000000000000002"));
	assert_int_equal(kstate_writer_new(f->store, t, "x", 1, &w), 0);
	assert_int_equal(kstate_writer_add(w, 1, 0, "second", 6), 0);
	assert_int_equal(kstate_writer_commit(w), 0);
	kstate_writer_delete(&w);
	assert_true(file_exists(f->dir, "x.0000000000000002.ksr"));
	kstate_txn_delete(&t);			/* abandon */
	assert_false(file_exists(f->dir, "x.0000000000000002.ksr"));
	assert_false(file_exists(f->dir, "manifest.0000000000000002"));
	assert_text(f->store, 0, "x", "first");
	/* A writer deleted before commit leaves nothing behind either. */
	assert_int_equal(kstate_writer_new(f->store, NULL, "y", 1, &w), 0);
	assert_int_equal(kstate_writer_add(w, 1, 0, "tmp", 3), 0);
	kstate_writer_delete(&w);
	assert_int_equal(count_files(f->dir, ".tmp."), 0);
	assert_int_equal(kstate_store_generation(f->store), 1);
}

static void test_txn_remove_and_busy(void **state)
{
	struct fixture *f = *state;
	struct kstate_txn *t = NULL, *t2 = NULL;
	int rc;

	assert_int_equal(save_text(f->store, "x", "1"), 0);
	assert_int_equal(save_text(f->store, "y", "2"), 0);
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_int_equal(kstate_txn_new(f->store, &t2), -EBUSY);
	assert_int_equal(kstate_txn_remove(t, KSTATE_KIND_RECORDS, "x"), 0);
	assert_int_equal(kstate_txn_remove(t, KSTATE_KIND_RECORDS, "x"), -ENOENT);
	assert_int_equal(kstate_txn_commit(t), 0);
	assert_int_equal(kstate_txn_commit(t), -EINVAL);
	kstate_txn_delete(&t);
	free(load_text(f->store, 0, "x", &rc));
	assert_int_equal(rc, -ENOENT);
	assert_text(f->store, 0, "y", "2");
	assert_text(f->store, 2, "x", "1");
}

static void test_writer_argument_errors(void **state)
{
	struct fixture *f = *state;
	struct kstate_writer *w = NULL;
	struct kstate_txn *t = NULL;
	char big;

	assert_int_equal(kstate_writer_new(f->store, NULL, "bad name", 1, &w), -EINVAL);
	assert_int_equal(kstate_writer_new(f->store, NULL, "../etc", 1, &w), -EINVAL);
	assert_int_equal(kstate_writer_new(f->store, NULL, "", 1, &w), -EINVAL);
	assert_null(w);
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_int_equal(kstate_writer_new(f->store, t, "dup", 1, &w), 0);
	assert_int_equal(kstate_writer_add(w, 1, 0x8000, "", 0), -EINVAL);
	assert_int_equal(kstate_writer_add(w, 1, 0, &big, (size_t)1 << 31), -EINVAL);
	assert_int_equal(kstate_writer_add(w, 1, 0, NULL, 4), -EINVAL);
	assert_int_equal(kstate_writer_commit(w), 0);
	assert_int_equal(kstate_writer_add(w, 1, 0, "", 0), -EINVAL);
	kstate_writer_delete(&w);
	assert_int_equal(kstate_writer_new(f->store, t, "dup", 1, &w), 0);
	assert_int_equal(kstate_writer_commit(w), -EEXIST);
	assert_non_null(strstr(kstate_errormsg(), "already has a record file"));
	kstate_writer_delete(&w);
	assert_int_equal(kstate_txn_commit(t), 0);
	kstate_txn_delete(&t);
	assert_int_equal(kstate_store_verify(f->store, 0), 0);
}

static void test_rdonly_store(void **state)
{
	struct fixture *f = *state;
	struct kstate_store *ro = NULL;
	struct kstate_writer *w = NULL;
	struct kstate_region *rg = NULL;

	assert_int_equal(save_text(f->store, "x", "1"), 0);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, KSTATE_STORE_RDONLY, &ro), 0);
	assert_int_equal(kstate_writer_new(ro, NULL, "x", 1, &w), -EROFS);
	assert_int_equal(kstate_region_map(ro, "r", 4096, KSTATE_REGION_CREATE, &rg), -EROFS);
	assert_int_equal(kstate_store_gc_each(ro, 1, 0, NULL, NULL), -EROFS);
	assert_text(ro, 0, "x", "1");
	assert_int_equal(kstate_store_verify(ro, 0), 0);
	kstate_store_delete(&ro);
}

static void corrupt_byte(const char *dir, const char *name, long offset)
{
	char *p = path_in(dir, "%s", name);
	int fd = open(p, O_RDWR);
	uint8_t b;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, offset), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, offset), 1);
	close(fd);
	free(p);
}

static void test_corrupt_record_file_refused_and_quarantined(void **state)
{
	struct fixture *f = *state;
	char *text;
	int rc;

	assert_int_equal(save_text(f->store, "x", "payload-that-matters"), 0);
	corrupt_byte(f->dir, "x.0000000000000001.ksr", 256 + 16 + 3);
	text = load_text(f->store, 0, "x", &rc);
	assert_null(text);
	assert_int_equal(rc, -EBADMSG);
	assert_non_null(strstr(kstate_errormsg(), "x.0000000000000001.ksr"));
	assert_non_null(strstr(kstate_errormsg(), "record checksum mismatch"));
	assert_int_equal(kstate_store_verify(f->store, 0), -EBADMSG);
	/* Quarantine keeps the file for inspection. */
	assert_int_equal(kstate_store_quarantine(f->store, "x.0000000000000001.ksr"), 0);
	assert_false(file_exists(f->dir, "x.0000000000000001.ksr"));
	assert_int_equal(count_files(f->dir, "quarantine"), 1);
	{
		char *q = path_in(f->dir, "quarantine");

		assert_int_equal(count_files(q, "x.0000000000000001.ksr."), 1);
		free(q);
	}
	assert_int_equal(kstate_store_quarantine(f->store, "../escape"), -EINVAL);
	assert_int_equal(kstate_store_quarantine(f->store, "kstate.store"), -EINVAL);
	/* gc never removes quarantined files. */
	assert_int_equal(kstate_store_gc_each(f->store, 1, 0, NULL, NULL), 0);
	assert_int_equal(count_files(f->dir, "quarantine"), 1);
}

static void test_substituted_record_file_refused(void **state)
{
	struct fixture *f = *state;
	char *a, *b;
	int rc;

	/* Replace a's file with b's (a valid file, but not the one the manifest lists). */
	assert_int_equal(save_text(f->store, "a", "aaaa"), 0);
	assert_int_equal(save_text(f->store, "a", "bbbb"), 0);
	a = path_in(f->dir, "a.0000000000000001.ksr");
	b = path_in(f->dir, "a.0000000000000002.ksr");
	assert_int_equal(rename(a, b), 0);
	free(load_text(f->store, 0, "a", &rc));
	assert_int_equal(rc, -EBADMSG);
	assert_non_null(strstr(kstate_errormsg(), "file checksum differs from its manifest"));
	free(a);
	free(b);
}

static void test_damaged_newest_generation_refused(void **state)
{
	struct fixture *f = *state;
	struct kstate_generation *g = NULL;
	char *text;
	int rc;

	assert_int_equal(save_text(f->store, "x", "old"), 0);
	assert_int_equal(save_text(f->store, "x", "new"), 0);
	corrupt_byte(f->dir, "manifest.0000000000000002", 40);
	assert_int_equal(kstate_store_refresh(f->store), 0);
	assert_int_equal(kstate_store_generation(f->store), 1);
	/* The default refuses instead of silently going back to generation 1. */
	assert_int_equal(kstate_generation_new(f->store, 0, &g), -EBADMSG);
	assert_non_null(strstr(kstate_errormsg(), "is damaged"));
	text = load_text(f->store, 0, "x", &rc);
	assert_null(text);
	assert_int_equal(rc, -EBADMSG);
	/* An explicit choice of the older generation works. */
	assert_text(f->store, 1, "x", "old");
	/* gc keeps the damaged manifest and its files as evidence. */
	assert_int_equal(kstate_store_gc_each(f->store, 1, 0, NULL, NULL), 0);
	assert_true(file_exists(f->dir, "manifest.0000000000000002"));
	assert_true(file_exists(f->dir, "x.0000000000000002.ksr"));
	/* A new save builds on the newest valid generation. */
	assert_int_equal(save_text(f->store, "x", "newer"), 0);
	assert_text(f->store, 0, "x", "newer");
	assert_int_equal(kstate_store_generation(f->store), 3);
}

static void test_replayed_generation_detected(void **state)
{
	struct fixture *f = *state;
	struct kstate_generation *g = NULL;
	struct kstate_txn *t = NULL;
	char *m3;

	kstate_store_set_keep(f->store, 3);
	assert_int_equal(kstate_store_get_keep(f->store), 3);
	assert_int_equal(save_text(f->store, "x", "1"), 0);
	assert_int_equal(save_text(f->store, "x", "2"), 0);
	assert_int_equal(save_text(f->store, "x", "3"), 0);
	assert_int_equal(kstate_store_last_sealed(f->store), 3);
	/* Remove the newest generation as if an old copy of the store were put back. */
	m3 = path_in(f->dir, "manifest.0000000000000003");
	assert_int_equal(unlink(m3), 0);
	assert_int_equal(kstate_generation_new(f->store, 0, &g), -ESTALE);
	assert_non_null(strstr(kstate_errormsg(), "older than the last sealed"));
	/* An explicit generation is still readable for inspection. */
	assert_text(f->store, 2, "x", "2");
	/* Saving is not blocked, and the new generation is above the mark. */
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_int_equal(kstate_txn_generation(t), 4);
	assert_int_equal(kstate_txn_commit(t), 0);
	kstate_txn_delete(&t);
	assert_text(f->store, 0, "x", "2");
	free(m3);
}

static void test_manifest_renamed_or_foreign_refused(void **state)
{
	struct fixture *f = *state;
	struct kstate_generation *g = NULL;
	struct kstate_store *other = NULL;
	char *odir = make_tmpdir(), *src, *dst;
	size_t len;
	void *buf;

	assert_int_equal(save_text(f->store, "x", "1"), 0);
	/* A copy of manifest 1 renamed to claim generation 7. */
	src = path_in(f->dir, "manifest.0000000000000001");
	dst = path_in(f->dir, "manifest.0000000000000007");
	buf = read_whole(src, &len);
	write_whole(dst, buf, len);
	free(buf);
	assert_int_equal(kstate_generation_new(f->store, 7, &g), -EUCLEAN);
	assert_non_null(strstr(kstate_errormsg(), "holds generation 1"));
	assert_int_equal(unlink(dst), 0);
	free(dst);
	/* A manifest from another store. */
	assert_int_equal(kstate_store_new(f->ctx, odir, KSTATE_STORE_CREATE, &other), 0);
	assert_int_equal(save_text(other, "x", "foreign"), 0);
	assert_int_equal(save_text(other, "x", "foreign2"), 0);
	kstate_store_delete(&other);
	free(src);
	src = path_in(odir, "manifest.0000000000000002");
	dst = path_in(f->dir, "manifest.0000000000000002");
	buf = read_whole(src, &len);
	write_whole(dst, buf, len);
	free(buf);
	assert_int_equal(kstate_generation_new(f->store, 2, &g), -EXDEV);
	free(src);
	free(dst);
	remove_tree(odir);
}

static void test_planted_files_refused(void **state)
{
	struct fixture *f = *state;
	char *target = path_in(f->dir, "x.0000000000000001.ksr");
	char *elsewhere = path_in(f->dir, "elsewhere");
	int rc;

	assert_int_equal(save_text(f->store, "x", "1"), 0);
	/* A symlink in place of a record file is never followed. */
	assert_int_equal(rename(target, elsewhere), 0);
	assert_int_equal(symlink(elsewhere, target), 0);
	free(load_text(f->store, 0, "x", &rc));
	assert_int_equal(rc, -ELOOP);
	/* A hard link: refused. */
	assert_int_equal(unlink(target), 0);
	assert_int_equal(link(elsewhere, target), 0);
	free(load_text(f->store, 0, "x", &rc));
	assert_int_equal(rc, -EMLINK);
	/* A fifo: refused without blocking. */
	assert_int_equal(unlink(target), 0);
	assert_int_equal(mkfifo(target, 0600), 0);
	free(load_text(f->store, 0, "x", &rc));
	assert_int_equal(rc, -EPERM);
	assert_non_null(strstr(kstate_errormsg(), "not a plain file"));
	free(target);
	free(elsewhere);
}

/* The kstate.store, a manifest and a region replaced by links or a fifo: refused. */
static void test_planted_store_files_refused(void **state)
{
	struct fixture *f = *state;
	struct kstate_generation *g = NULL;
	struct kstate_store *s = NULL;
	struct kstate_region *r = NULL;
	struct kstate_txn *t = NULL;
	char *hdr = path_in(f->dir, "kstate.store"), *man = path_in(f->dir,
		"manifest.0000000000000002"), *reg = path_in(f->dir, "pt.region");
	char *aside = path_in(f->dir, "aside");

	assert_int_equal(kstate_region_map(f->store, "pt", 4096, KSTATE_REGION_CREATE, &r), 0);
	kstate_region_unmap(&r);
	assert_int_equal(save_text(f->store, "x", "1"), 0);
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_int_equal(kstate_txn_add_region(t, "pt"), 0);
	assert_int_equal(kstate_txn_commit(t), 0);
	kstate_txn_delete(&t);

	/* The store header as a symlink to a valid copy: never followed. */
	assert_int_equal(rename(hdr, aside), 0);
	assert_int_equal(symlink(aside, hdr), 0);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &s), -ELOOP);
	assert_int_equal(unlink(hdr), 0);
	assert_int_equal(link(aside, hdr), 0);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &s), -EMLINK);
	assert_int_equal(unlink(aside), 0);

	/* The newest manifest as a fifo: refused without blocking, not skipped. */
	assert_int_equal(rename(man, aside), 0);
	assert_int_equal(mkfifo(man, 0600), 0);
	assert_int_equal(kstate_generation_new(f->store, 0, &g), -EPERM);
	assert_non_null(strstr(kstate_errormsg(), "manifest.0000000000000002"));
	assert_int_equal(unlink(man), 0);
	assert_int_equal(rename(aside, man), 0);
	assert_int_equal(kstate_store_verify(f->store, 0), 0);

	/* A region as a symlink or a hard link. */
	assert_int_equal(rename(reg, aside), 0);
	assert_int_equal(symlink(aside, reg), 0);
	assert_int_equal(kstate_store_verify(f->store, 0), -ELOOP);
	assert_int_equal(kstate_region_map(f->store, "pt", 0, 0, &r), -ELOOP);
	assert_int_equal(unlink(reg), 0);
	assert_int_equal(link(aside, reg), 0);
	assert_int_equal(kstate_store_verify(f->store, 0), -EMLINK);
	assert_int_equal(kstate_region_map(f->store, "pt", 0, 0, &r), -EMLINK);
	assert_null(r);
	free(hdr);
	free(man);
	free(reg);
	free(aside);
}

/*
 * A store writer who recomputes every checksum: rewrite record file @name of
 * generation @gen with @mutate applied and its header CRC fixed, and make the manifest
 * agree (entry size and whole-file CRC, entries CRC, header CRC).  CRCs are not a MAC:
 * only the format rules stand between such a file and a client.
 */
static void craft_member(struct fixture *f, uint64_t gen, const char *name,
			 void (*mutate)(u8 *buf, size_t len))
{
	char *rpath = path_in(f->dir, "%s.%016llx.ksr", name, (unsigned long long)gen);
	char *mpath = path_in(f->dir, "manifest.%016llx", (unsigned long long)gen);
	size_t rlen, mlen, i;
	u8 *rec = read_whole(rpath, &rlen), *man = read_whole(mpath, &mlen);

	mutate(rec, rlen);
	put_le32(rec + 252, kstate_crc32c(rec, 252));
	for (i = 256; i + 64 <= mlen; i += 64) {
		if (strcmp((char *)man + i, name) == 0 && man[i + 52] == KSTATE_ENTRY_RECORDS) {
			put_le32(man + i + 48, kstate_crc32c(rec, rlen));
			break;
		}
	}
	assert_true(i + 64 <= mlen);
	put_le32(man + 76, kstate_crc32c(man + 256, mlen - 256));
	put_le32(man + 252, kstate_crc32c(man, 252));
	write_whole(rpath, rec, rlen);
	write_whole(mpath, man, mlen);
	free(rec);
	free(man);
	free(rpath);
	free(mpath);
}

static void set_minor_99(u8 *buf, size_t len)
{
	(void)len;
	buf[10] = 99;
}

static void set_major_2(u8 *buf, size_t len)
{
	(void)len;
	buf[8] = 2;
}

static void set_incompat(u8 *buf, size_t len)
{
	(void)len;
	put_le32(buf + 24, 0x10);
}

/* The first record claims 4 KiB; its CRC cannot cover bytes that are not there. */
static void record_length_lies(u8 *buf, size_t len)
{
	(void)len;
	put_le32(buf + 256 + 4, 4096);
}

static void payload_length_lies(u8 *buf, size_t len)
{
	(void)len;
	buf[48] += 8;
}

static void record_count_lies(u8 *buf, size_t len)
{
	(void)len;
	put_le32(buf + 56, 2);
}

static void test_crafted_members_refused(void **state)
{
	struct fixture *f = *state;
	static const struct {
		void (*mutate)(u8 *buf, size_t len);
		int rc;
	} cases[] = {
		{ set_major_2, -EPROTO },		/* a newer format major version */
		{ set_incompat, -EOPNOTSUPP },		/* an unknown incompat feature */
		{ record_length_lies, -EOVERFLOW },
		{ payload_length_lies, -EOVERFLOW },
		{ record_count_lies, -EUCLEAN },
	};
	size_t i;
	int rc;

	assert_int_equal(save_text(f->store, "x", "payload"), 0);
	assert_int_equal(save_text(f->store, "y", "other"), 0);
	/* A newer minor version of the same major is read. */
	craft_member(f, 1, "x", set_minor_99);
	assert_text(f->store, 0, "x", "payload");
	assert_int_equal(kstate_store_verify(f->store, 0), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = path_in(f->dir, "x.0000000000000001.ksr");
		size_t len;
		void *keep = read_whole(p, &len);

		craft_member(f, 1, "x", cases[i].mutate);
		free(load_text(f->store, 0, "x", &rc));
		if (rc != cases[i].rc)
			fail_msg("case %zu: %d, expected %d (%s)", i, rc, cases[i].rc,
				 kstate_errormsg());
		assert_int_equal(kstate_store_verify(f->store, 0), cases[i].rc);
		/* The other member of the generation is unaffected. */
		assert_text(f->store, 0, "y", "other");
		write_whole(p, keep, len);
		craft_member(f, 1, "x", set_minor_99);
		assert_text(f->store, 0, "x", "payload");
		free(keep);
		free(p);
	}
}

/* Store header and manifest from a newer format, with valid checksums. */
static void test_newer_store_and_manifest_refused(void **state)
{
	struct fixture *f = *state;
	struct kstate_generation *g = NULL;
	struct kstate_store *s = NULL;
	char *hdr = path_in(f->dir, "kstate.store");
	char *man = path_in(f->dir, "manifest.0000000000000002");
	size_t len;
	u8 *buf, *orig;

	assert_int_equal(save_text(f->store, "x", "1"), 0);
	assert_int_equal(save_text(f->store, "x", "2"), 0);
	buf = read_whole(hdr, &len);
	put_le32(buf + 24, 0x1);		/* unknown incompat feature */
	put_le32(buf + 124, kstate_crc32c(buf, 124));
	write_whole(hdr, buf, len);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &s), -EOPNOTSUPP);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, KSTATE_STORE_RDONLY, &s),
			 -EOPNOTSUPP);
	buf[24] = 0;
	buf[10] = 7;				/* newer minor: fine */
	put_le32(buf + 124, kstate_crc32c(buf, 124));
	write_whole(hdr, buf, len);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &s), 0);
	kstate_store_delete(&s);
	buf[8] = 2;				/* newer major */
	put_le32(buf + 124, kstate_crc32c(buf, 124));
	write_whole(hdr, buf, len);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &s), -EPROTO);
	free(buf);

	/* A newest manifest of a newer major version: refused, not silently skipped. */
	buf = read_whole(man, &len);
	orig = malloc(len);
	memcpy(orig, buf, len);
	buf[8] = 2;
	put_le32(buf + 252, kstate_crc32c(buf, 252));
	write_whole(man, buf, len);
	assert_int_equal(kstate_generation_new(f->store, 0, &g), -EPROTO);
	assert_non_null(strstr(kstate_errormsg(), "unsupported major version"));
	memcpy(buf, orig, len);
	put_le32(buf + 24, 0x2);		/* unknown incompat feature */
	put_le32(buf + 252, kstate_crc32c(buf, 252));
	write_whole(man, buf, len);
	assert_int_equal(kstate_generation_new(f->store, 0, &g), -EOPNOTSUPP);
	write_whole(man, orig, len);
	assert_text(f->store, 0, "x", "2");
	free(buf);
	free(orig);
	free(hdr);
	free(man);
}

static void test_interrupted_generation_skipped(void **state)
{
	struct fixture *f = *state;
	struct kstate_generation *g = NULL;
	pid_t pid;
	int status;

	assert_int_equal(save_text(f->store, "x", "sealed"), 0);
	/* A writer that dies after adding its file but before sealing. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct kstate_ctx *ctx = NULL;
		struct kstate_store *s = NULL;
		struct kstate_txn *t = NULL;
		struct kstate_writer *w = NULL;

		if (kstate_ctx_new(&ctx) || kstate_store_new(ctx, f->dir, 0, &s) ||
		    kstate_txn_new(s, &t) || kstate_writer_new(s, t, "x", 1, &w) ||
		    kstate_writer_add(w, 1, 0, "unsealed", 8) || kstate_writer_commit(w))
			_exit(1);
		_exit(0);	/* no commit, no cleanup: a crash */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(file_exists(f->dir, "manifest.0000000000000002"));
	assert_int_equal(kstate_generation_new(f->store, 2, &g), 0);
	assert_false(kstate_generation_is_sealed(g));
	kstate_generation_delete(&g);
	assert_text(f->store, 0, "x", "sealed");
	assert_int_equal(kstate_store_verify(f->store, 2), -EAGAIN);
	/* The lock died with the writer; gc removes the abandoned generation. */
	assert_int_equal(kstate_store_gc_each(f->store, 2, 0, NULL, NULL), 0);
	assert_false(file_exists(f->dir, "manifest.0000000000000002"));
	assert_false(file_exists(f->dir, "x.0000000000000002.ksr"));
	assert_int_equal(save_text(f->store, "x", "next"), 0);
	assert_text(f->store, 0, "x", "next");
}

/*
 * Make every wrapped syscall and allocation of a commit fail in turn.  Whenever the
 * commit reports failure, a fresh reader must get the previous generation intact; when
 * it reports success, the new one.  Never anything else, never a leftover temp file.
 */
static void test_commit_fault_injection_every_step(void **state)
{
	struct fixture *f = *state;
	char current[32] = "gen-before";
	unsigned long nth;
	int failures = 0;

	assert_int_equal(save_text(f->store, "state", current), 0);
	for (nth = 1;; nth++) {
		struct kstate_store *fresh = NULL;
		uint64_t before = kstate_store_generation(f->store);
		char next[32];
		unsigned long calls;
		int rc;

		snprintf(next, sizeof(next), "gen-%lu", nth);
		kstate_fault_inject(nth, EIO);
		rc = save_text(f->store, "state", next);
		calls = kstate_fault_calls();
		kstate_fault_inject(0, 0);

		assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &fresh), 0);
		if (rc) {
			failures++;
			assert_int_equal(kstate_store_generation(fresh), before);
		} else {
			assert_int_equal(kstate_store_generation(fresh), before + 1);
			snprintf(current, sizeof(current), "%s", next);
		}
		assert_text(fresh, 0, "state", current);
		assert_int_equal(kstate_store_verify(fresh, 0), 0);
		kstate_store_delete(&fresh);
		/* Nothing temporary left behind; spares are blocks kept on purpose. */
		assert_int_equal(count_files(f->dir, ".tmp."), count_files(f->dir, ".tmp.spare."));
		assert_true(count_files(f->dir, ".tmp.spare.") <= 8);
		if (calls < nth) {
			/* No fault this time: whatever earlier failures left must not stop it. */
			if (rc)
				fail_msg("fault-free commit: %d (%s)", rc, kstate_errormsg());
			break;	/* this commit made fewer calls than nth: all steps covered */
		}
	}
	assert_true(failures > 10);
	print_message("      commit survived %d injected failures over %lu steps\n", failures,
		      nth - 1);
}

/* A store header with an unknown ro_compat bit: readable, never written. */
static void test_store_unknown_ro_compat(void **state)
{
	struct fixture *f = *state;
	struct kstate_store_info si;
	struct kstate_store_header h;
	struct kstate_store *s = NULL;
	char *path = path_in(f->dir, "kstate.store");
	FILE *fp;

	assert_int_equal(save_text(f->store, "state", "kept"), 0);
	fp = fopen(path, "r+");
	assert_non_null(fp);
	assert_int_equal(fread(&h, 1, sizeof(h), fp), sizeof(h));
	assert_int_equal(kstate_store_header_decode(&h, sizeof(h), &si, NULL), 0);
	si.ro_compat = 0x80000000U;
	assert_int_equal(kstate_store_header_encode(&h, &si), 0);
	rewind(fp);
	assert_int_equal(fwrite(&h, 1, sizeof(h), fp), sizeof(h));
	fclose(fp);
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &s), -EROFS);
	assert_non_null(strstr(kstate_errormsg(), "read-only"));
	assert_int_equal(kstate_store_new(f->ctx, f->dir, KSTATE_STORE_RDONLY, &s), 0);
	assert_text(s, 0, "state", "kept");
	kstate_store_delete(&s);
	free(path);
}

/* Faults on the load path give an error, never a partial or wrong record. */
static void test_load_fault_injection(void **state)
{
	struct fixture *f = *state;
	unsigned long nth;

	assert_int_equal(save_text(f->store, "state", "intact"), 0);
	for (nth = 1;; nth++) {
		unsigned long calls;
		char *text;
		int rc;

		kstate_fault_inject(nth, EIO);
		text = load_text(f->store, 0, "state", &rc);
		calls = kstate_fault_calls();
		kstate_fault_inject(0, 0);
		if (rc == 0)
			assert_string_equal(text, "intact");
		else
			assert_null(text);
		free(text);
		if (calls < nth)
			break;
	}
	assert_true(nth > 5);
}

/*
 * Run @op with the 1st, 2nd, ... wrapped call failing until it makes fewer calls than
 * that (so every step failed once and the last run saw no fault).  A failure must be
 * the injected -EIO (or -ENOMEM for an allocation), with a message; the last run must
 * succeed.  @check then inspects what the store looks like.  Leaks on every failure
 * path are what the ASan/LSan and valgrind runs of this test catch.
 */
typedef void (*fault_prep)(struct fixture *f);
typedef int (*fault_op)(struct fixture *f);
typedef void (*fault_check)(struct fixture *f, int rc);

static int fault_each_step(struct fixture *f, fault_prep prep, fault_op op, fault_check check)
{
	unsigned long nth, calls;
	int rc, failures = 0;

	for (nth = 1;; nth++) {
		if (prep)
			prep(f);
		kstate_fault_inject(nth, EIO);
		rc = op(f);
		calls = kstate_fault_calls();
		kstate_fault_inject(0, 0);
		if (rc) {
			failures++;
			if (rc != -EIO && rc != -ENOMEM)
				fail_msg("step %lu: %d (%s)", nth, rc, kstate_errormsg());
			assert_true(kstate_errormsg()[0] != '\0');
		}
		check(f, rc);
		if (calls < nth) {
			assert_int_equal(rc, 0);
			break;
		}
	}
	return failures;
}

/* After any failure, the store still opens, and its newest generation is intact. */
static void check_intact(struct fixture *f, int rc)
{
	struct kstate_store *fresh = NULL;

	(void)rc;
	assert_int_equal(kstate_store_new(f->ctx, f->dir, 0, &fresh), 0);
	assert_text(fresh, 0, "state", "intact");
	assert_int_equal(kstate_store_verify(fresh, 0), 0);
	kstate_store_delete(&fresh);
	assert_int_equal(count_files(f->dir, ".tmp."), 0);
}

static int op_store_open(struct fixture *f)
{
	struct kstate_store *s = NULL;
	int rc = kstate_store_new(f->ctx, f->dir, 0, &s);

	if (rc)
		assert_null(s);
	kstate_store_delete(&s);
	return rc;
}

static int op_store_create(struct fixture *f)
{
	struct kstate_store *s = NULL;
	char *sub = path_in(f->dir, "new");
	int rc;

	assert_int_equal(mkdir(sub, 0700), 0);
	rc = kstate_store_new(f->ctx, sub, KSTATE_STORE_CREATE, &s);
	kstate_store_delete(&s);
	free(sub);
	return rc;
}

/* A failed create leaves no store or a valid empty one, never a torn header. */
static void check_created(struct fixture *f, int rc)
{
	struct kstate_store *s = NULL;
	char *sub = path_in(f->dir, "new");
	int orc = kstate_store_new(f->ctx, sub, 0, &s);

	if (rc == 0)
		assert_int_equal(orc, 0);
	assert_true(orc == 0 || orc == -ENOENT);
	if (orc == 0)
		assert_int_equal(kstate_store_generation(s), 0);
	kstate_store_delete(&s);
	assert_int_equal(count_files(sub, ".tmp."), 0);
	remove_tree(sub);
}

static int op_region_create(struct fixture *f)
{
	struct kstate_region *r = NULL;
	int rc = kstate_region_map(f->store, "ram", 8192, KSTATE_REGION_CREATE, &r);

	if (!rc) {
		memset(kstate_region_addr(r), 0x5a, 8192);
		rc = kstate_region_persist(r, 0, 8192);
	}
	kstate_region_unmap(&r);
	return rc;
}

/* A region is created whole or not at all; the next round starts without it. */
static void check_region_created(struct fixture *f, int rc)
{
	struct kstate_region *r = NULL;

	if (rc == 0 || file_exists(f->dir, "ram.region")) {
		assert_int_equal(kstate_region_map(f->store, "ram", 0, 0, &r), 0);
		assert_int_equal(kstate_region_size(r), 8192);
		kstate_region_unmap(&r);
		assert_int_equal(kstate_region_remove(f->store, "ram"), 0);
	}
	assert_int_equal(count_files(f->dir, "ram"), 0);
}

static int op_region_map_existing(struct fixture *f)
{
	struct kstate_region *r = NULL;
	int rc = kstate_region_map(f->store, "kept", 0, 0, &r);

	if (!rc)
		assert_int_equal(((uint8_t *)kstate_region_addr(r))[100], 0xa5);
	kstate_region_unmap(&r);
	return rc;
}

static void check_region_kept(struct fixture *f, int rc)
{
	struct kstate_region *r = NULL;

	(void)rc;
	assert_int_equal(kstate_region_map(f->store, "kept", 0, 0, &r), 0);
	assert_int_equal(kstate_region_size(r), 4096);
	assert_int_equal(((uint8_t *)kstate_region_addr(r))[100], 0xa5);
	kstate_region_unmap(&r);
	check_intact(f, rc);
}

static int op_verify(struct fixture *f)
{
	return kstate_store_verify(f->store, 0);
}

/* At least three generations and a leftover temporary file before each gc attempt. */
static char gc_last[32];

static void gc_prepare(struct fixture *f)
{
	static unsigned long round;
	char *tmp = path_in(f->dir, ".tmp.leftover.1.1");

	while (kstate_store_generations(f->store, NULL, 0) < 3) {
		snprintf(gc_last, sizeof(gc_last), "round-%lu", ++round);
		assert_int_equal(save_text(f->store, "other", gc_last), 0);
	}
	write_whole(tmp, "x", 1);
	free(tmp);
}

static int op_gc(struct fixture *f)
{
	return kstate_store_gc_each(f->store, 1, 0, NULL, NULL);
}

/* Whatever a failed gc removed, the newest generation is intact and complete. */
static void check_gc(struct fixture *f, int rc)
{
	(void)rc;
	assert_text(f->store, 0, "other", gc_last);
	assert_text(f->store, 0, "state", "intact");
	assert_int_equal(kstate_store_verify(f->store, 0), 0);
}

#define JUNK "junk.0000000000000009.ksr"

static void quarantine_prepare(struct fixture *f)
{
	char *junk = path_in(f->dir, JUNK);

	write_whole(junk, "evidence", 8);
	free(junk);
}

static int op_quarantine(struct fixture *f)
{
	return kstate_store_quarantine(f->store, JUNK);
}

/* Remove the files of @dir whose name starts with @prefix. */
static void remove_prefixed(const char *dir, const char *prefix)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			assert_int_equal(unlinkat(dirfd(d), de->d_name, 0), 0);
	closedir(d);
}

static void test_fault_injection_store_open_create(void **state)
{
	struct fixture *f = *state;
	int failures;

	assert_int_equal(save_text(f->store, "state", "intact"), 0);
	failures = fault_each_step(f, NULL, op_store_open, check_intact);
	assert_true(failures >= 5);
	print_message("      store open: %d injected failures\n", failures);
	failures = fault_each_step(f, NULL, op_store_create, check_created);
	assert_true(failures >= 8);
	print_message("      store create: %d injected failures\n", failures);
}

static void test_fault_injection_region_map(void **state)
{
	struct fixture *f = *state;
	struct kstate_region *r = NULL;
	struct kstate_txn *t = NULL;
	int failures;

	assert_int_equal(save_text(f->store, "state", "intact"), 0);
	failures = fault_each_step(f, NULL, op_region_create, check_region_created);
	assert_true(failures >= 8);
	print_message("      region create: %d injected failures\n", failures);

	assert_int_equal(kstate_region_map(f->store, "kept", 4096, KSTATE_REGION_CREATE, &r),
			 0);
	((uint8_t *)kstate_region_addr(r))[100] = 0xa5;
	assert_int_equal(kstate_region_persist(r, 0, 4096), 0);
	kstate_region_unmap(&r);
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_int_equal(kstate_txn_add_region(t, "kept"), 0);
	assert_int_equal(kstate_txn_commit(t), 0);
	kstate_txn_delete(&t);
	failures = fault_each_step(f, NULL, op_region_map_existing, check_region_kept);
	assert_true(failures >= 4);
	print_message("      region map: %d injected failures\n", failures);
}

static void test_fault_injection_verify(void **state)
{
	struct fixture *f = *state;
	struct kstate_region *r = NULL;
	struct kstate_txn *t = NULL;
	struct kstate_writer *w = NULL;
	int failures;

	/* A generation with two record files and a region: every kind of member. */
	assert_int_equal(kstate_region_map(f->store, "pt", 4096, KSTATE_REGION_CREATE, &r), 0);
	kstate_region_unmap(&r);
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_int_equal(kstate_writer_new(f->store, t, "state", 1, &w), 0);
	assert_int_equal(kstate_writer_add(w, 1, 0, "intact", 6), 0);
	assert_int_equal(kstate_writer_commit(w), 0);
	kstate_writer_delete(&w);
	assert_int_equal(kstate_writer_new(f->store, t, "second", 1, &w), 0);
	assert_int_equal(kstate_writer_add(w, 1, 0, "2", 1), 0);
	assert_int_equal(kstate_writer_commit(w), 0);
	kstate_writer_delete(&w);
	assert_int_equal(kstate_txn_add_region(t, "pt"), 0);
	assert_int_equal(kstate_txn_commit(t), 0);
	kstate_txn_delete(&t);
	failures = fault_each_step(f, NULL, op_verify, check_intact);
	assert_true(failures >= 10);
	print_message("      verify: %d injected failures\n", failures);
}

/*
 * gc with every step failing in turn: whatever it managed to remove, the newest
 * generation stays intact and complete, and a later gc finishes the job.
 */
static void test_fault_injection_gc(void **state)
{
	struct fixture *f = *state;
	int failures;

	kstate_store_set_keep(f->store, 100);	/* only the explicit gc removes anything */
	assert_int_equal(save_text(f->store, "state", "intact"), 0);
	failures = fault_each_step(f, gc_prepare, op_gc, check_gc);
	/* The last, fault-free gc kept exactly the newest generation. */
	assert_int_equal(kstate_store_generations(f->store, NULL, 0), 1);
	assert_int_equal(count_files(f->dir, ".tmp."), 0);
	assert_true(failures >= 10);
	print_message("      gc: %d injected failures\n", failures);
}

/* A refused file is moved aside whole or left in place: never lost, never copied. */
static void check_quarantined(struct fixture *f, int rc)
{
	char *qdir = path_in(f->dir, "quarantine");
	int in_place, moved;

	in_place = file_exists(f->dir, JUNK);
	moved = file_exists(f->dir, "quarantine") ? count_files(qdir, JUNK ".") : 0;
	assert_int_equal(in_place + moved, 1);
	if (rc == 0)
		assert_int_equal(moved, 1);
	if (moved)
		remove_prefixed(qdir, "junk.");
	free(qdir);
}

static void test_fault_injection_quarantine(void **state)
{
	struct fixture *f = *state;
	int failures;

	failures = fault_each_step(f, quarantine_prepare, op_quarantine, check_quarantined);
	assert_true(failures >= 3);
	print_message("      quarantine: %d injected failures\n", failures);
}

static void test_region_map_write_reopen(void **state)
{
	struct fixture *f = *state;
	struct kstate_region *r = NULL;
	uint64_t size = 8 << 20, i;
	uint32_t *p;

	assert_int_equal(kstate_region_map(f->store, "guest-ram", size,
					   KSTATE_REGION_CREATE | KSTATE_REGION_EXCL, &r), 0);
	assert_true(kstate_region_is_new(r));
	assert_int_equal(kstate_region_size(r), size);
	assert_string_equal(kstate_region_name(r), "guest-ram");
	assert_int_equal((uintptr_t)kstate_region_addr(r) % (2 << 20), 0);
	p = kstate_region_addr(r);
	assert_int_equal(p[12345], 0);		/* a new region is zero-filled */
	for (i = 0; i < size / 4; i += 1024)
		p[i] = (uint32_t)(i * 2654435761u);
	assert_int_equal(kstate_region_persist(r, 0, size), 0);
	assert_int_equal(kstate_region_persist(r, size - 1, 2), -EINVAL);
	kstate_region_unmap(&r);
	assert_null(r);

	assert_int_equal(kstate_region_map(f->store, "guest-ram", 0, 0, &r), 0);
	assert_false(kstate_region_is_new(r));
	assert_int_equal(kstate_region_size(r), size);
	p = kstate_region_addr(r);
	for (i = 0; i < size / 4; i += 1024)
		assert_int_equal(p[i], (uint32_t)(i * 2654435761u));
	kstate_region_unmap(&r);
	kstate_region_unmap(&r);		/* NULL-safe */
}

static void test_region_errors(void **state)
{
	struct fixture *f = *state;
	struct kstate_region *r = NULL;

	assert_int_equal(kstate_region_map(f->store, "r", 0, 0, &r), -ENOENT);
	assert_int_equal(kstate_region_map(f->store, "r", 1000, KSTATE_REGION_CREATE, &r),
			 -EINVAL);
	assert_int_equal(kstate_region_map(f->store, "bad/name", 4096, KSTATE_REGION_CREATE,
					   &r), -EINVAL);
	assert_int_equal(kstate_region_map(f->store, "r", 4096, KSTATE_REGION_EXCL, &r),
			 -EINVAL);
	assert_int_equal(kstate_region_map(f->store, "r", 8192, KSTATE_REGION_CREATE, &r), 0);
	kstate_region_unmap(&r);
	assert_int_equal(kstate_region_map(f->store, "r", 8192,
					   KSTATE_REGION_CREATE | KSTATE_REGION_EXCL, &r), -EEXIST);
	assert_int_equal(kstate_region_map(f->store, "r", 4096, 0, &r), -EINVAL);
	assert_non_null(strstr(kstate_errormsg(), "8192"));
	assert_null(r);
}

static void test_region_in_generation_and_remove(void **state)
{
	struct fixture *f = *state;
	struct kstate_region *r = NULL;
	struct kstate_txn *t = NULL;

	assert_int_equal(kstate_region_map(f->store, "pt", 4096, KSTATE_REGION_CREATE, &r), 0);
	kstate_region_unmap(&r);
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_int_equal(kstate_txn_add_region(t, "pt"), 0);
	assert_int_equal(kstate_txn_add_region(t, "missing"), -ENOENT);
	assert_int_equal(kstate_txn_commit(t), 0);
	kstate_txn_delete(&t);
	/* Sealed state is never removed behind the manifest's back. */
	assert_int_equal(kstate_region_remove(f->store, "pt"), -EBUSY);
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_int_equal(kstate_txn_remove(t, KSTATE_KIND_REGION, "pt"), 0);
	assert_int_equal(kstate_txn_commit(t), 0);
	kstate_txn_delete(&t);
	assert_int_equal(kstate_region_remove(f->store, "pt"), 0);
	assert_false(file_exists(f->dir, "pt.region"));
	assert_int_equal(kstate_region_remove(f->store, "pt"), -ENOENT);
	/* A region listed by a generation whose file vanished fails verification. */
	assert_int_equal(kstate_region_map(f->store, "gone", 4096, KSTATE_REGION_CREATE, &r),
			 0);
	kstate_region_unmap(&r);
	assert_int_equal(kstate_txn_new(f->store, &t), 0);
	assert_int_equal(kstate_txn_add_region(t, "gone"), 0);
	assert_int_equal(kstate_txn_commit(t), 0);
	kstate_txn_delete(&t);
	{
		char *p = path_in(f->dir, "gone.region");

		assert_int_equal(truncate(p, 8192), 0);
		assert_int_equal(kstate_store_verify(f->store, 0), -EUCLEAN);
		assert_int_equal(unlink(p), 0);
		assert_int_equal(kstate_store_verify(f->store, 0), -ENOENT);
		free(p);
	}
}

static void collect_region(struct kstate_store *store, const char *name, void *userdata)
{
	char *list = userdata;

	(void)store;
	strcat(list, name);
	strcat(list, ",");
}

/* Region files are listed whether or not a generation lists them; others are not. */
static void test_region_each_and_path(void **state)
{
	struct fixture *f = *state;
	struct kstate_region *r = NULL;
	char list[256] = "", path[4096], small[8], *p;

	assert_int_equal(kstate_store_region_each(f->store, collect_region, list), 0);
	assert_string_equal(list, "");
	assert_int_equal(kstate_region_map(f->store, "vm1", 4096, KSTATE_REGION_CREATE, &r), 0);
	kstate_region_unmap(&r);
	assert_int_equal(kstate_region_map(f->store, "a-ram", 8192, KSTATE_REGION_CREATE, &r),
			 0);
	kstate_region_unmap(&r);
	/* Not regions: another suffix, an invalid name, the bare suffix. */
	write_whole(p = path_in(f->dir, "vm1.regionx"), "x", 1);
	free(p);
	write_whole(p = path_in(f->dir, ".hidden.region"), "x", 1);
	free(p);
	write_whole(p = path_in(f->dir, ".region"), "x", 1);
	free(p);
	assert_int_equal(kstate_store_region_each(f->store, collect_region, list), 2);
	assert_string_equal(list, "a-ram,vm1,");
	assert_int_equal(kstate_store_region_each(f->store, NULL, NULL), 2);

	assert_int_equal(kstate_store_region_path(f->store, "vm1", path, sizeof(path)), 0);
	p = path_in(f->dir, "vm1.region");
	assert_string_equal(path, p);
	free(p);
	assert_int_equal(kstate_store_region_path(f->store, "bad/name", path, sizeof(path)),
			 -EINVAL);
	assert_int_equal(kstate_store_region_path(f->store, "vm1", small, sizeof(small)),
			 -ENAMETOOLONG);
}

/* With libpmem2 told the file is persistent memory, the flush path is used. */
static void test_region_pmem_granularity(void **state)
{
	struct fixture *f = *state;
	struct kstate_region *r = NULL;
	char *p;

	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 1);
	assert_int_equal(kstate_region_map(f->store, "pm", 2 << 20, KSTATE_REGION_CREATE, &r),
			 0);
	unsetenv("PMEM2_FORCE_GRANULARITY");
	assert_true(kstate_region_is_pmem(r));
	p = kstate_region_addr(r);
	memcpy(p + 4096, "persisted", 10);
	assert_int_equal(kstate_region_persist(r, 4096, 10), 0);
	kstate_region_unmap(&r);
	assert_int_equal(kstate_region_map(f->store, "pm", 0, 0, &r), 0);
	assert_false(kstate_region_is_pmem(r));
	assert_string_equal((char *)kstate_region_addr(r) + 4096, "persisted");
	kstate_region_unmap(&r);
}

/* cachestat(2), Linux 6.5: how much of a file's page cache is dirty. */
struct test_cachestat_range {
	uint64_t off, len;
};

struct test_cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

static long dirty_pages(const char *path)
{
	struct test_cachestat_range range = { 0, 0 };	/* len 0: to the end */
	struct test_cachestat cs = { 0 };
	int fd = open(path, O_RDONLY);
	long rc;

	assert_true(fd >= 0);
	rc = syscall(451 /* __NR_cachestat on x86-64 */, fd, &range, &cs, 0);
	close(fd);
	return rc ? -1 : (long)cs.nr_dirty;
}

/* On a page-cache mapping, persisting a range leaves no dirty page in it behind. */
static void test_region_persist_writes_back(void **state)
{
	struct fixture *f = *state;
	struct kstate_region *r = NULL;
	char path[4096];
	char *p;

	assert_int_equal(kstate_region_map(f->store, "wb", 2 << 20, KSTATE_REGION_CREATE, &r),
			 0);
	if (kstate_region_is_pmem(r)) {
		kstate_region_unmap(&r);
		skip();		/* DAX: no page cache to observe */
	}
	snprintf(path, sizeof(path), "%s/wb.region", f->dir);
	p = kstate_region_addr(r);
	p[100] = 1;
	p[4096 + 100] = 2;
	p[8192 + 100] = 3;
	if (dirty_pages(path) < 3) {
		kstate_region_unmap(&r);
		skip();		/* no cachestat(2) (Linux < 6.5) or no dirty accounting */
	}
	/* An unaligned range covering parts of pages 0 and 1 writes back both. */
	assert_int_equal(kstate_region_persist(r, 100, 4096), 0);
	assert_int_equal(dirty_pages(path), 1);
	assert_int_equal(kstate_region_persist(r, 0, 2 << 20), 0);
	assert_int_equal(dirty_pages(path), 0);
	kstate_region_unmap(&r);
}

/* The committed golden store reads back through the whole library. */
static void test_golden_store(void **state)
{
	struct fixture *f = *state;
	struct kstate_store *s = NULL;
	struct kstate_reader *r = NULL;
	struct kstate_file *lone = NULL;
	char path[4096];
	const void *data;
	size_t len;
	uint16_t type;

	snprintf(path, sizeof(path), "%s/golden-store", test_data_dir());
	assert_int_equal(kstate_store_new(f->ctx, path, KSTATE_STORE_RDONLY, &s), 0);
	assert_int_equal(kstate_store_generation(s), 1);
	assert_int_equal(kstate_store_verify(s, 0), 0);
	assert_int_equal(kstate_reader_new(s, 0, "golden", &r), 0);
	assert_int_equal(kstate_reader_record_count(r), 4);
	assert_string_equal(kstate_reader_kernel_release(r), "6.1.0-56-amd64");
	assert_true(kstate_reader_creation_time(r) == 1764000000123456789ULL);
	assert_int_equal(kstate_reader_next(r, &type, NULL, &data, &len), 1);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "hello", 5);
	assert_int_equal(kstate_reader_size(r), 256 + 24 + 24 + 16 + 120);
	kstate_reader_delete(&r);
	kstate_store_delete(&s);
	snprintf(path, sizeof(path), "%s/golden-records.ksr", test_data_dir());
	assert_int_equal(kstate_file_new(f->ctx, path, &lone), 0);
	assert_int_equal(kstate_file_open_reader(lone, &r), 0);
	assert_string_equal(kstate_reader_name(r), "golden");
	kstate_reader_delete(&r);
	kstate_file_delete(&lone);
	snprintf(path, sizeof(path), "%s/golden-manifest-sealed", test_data_dir());
	assert_int_equal(kstate_file_new(f->ctx, path, &lone), 0);
	assert_int_equal(kstate_file_open_reader(lone, &r), -EINVAL);
	assert_non_null(strstr(kstate_errormsg(), "not a record file"));
	kstate_file_delete(&lone);
}

static int logged_priority;
static char logged[512];

static void capture_log(struct kstate_ctx *ctx, int priority, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	(void)ctx;
	(void)file;
	(void)line;
	(void)fn;
	logged_priority = priority;
	vsnprintf(logged, sizeof(logged), format, args);
}

static void test_logging_through_context(void **state)
{
	struct fixture *f = *state;
	struct kstate_writer *w = NULL;
	int marker = 42;

	kstate_ctx_set_userdata(f->ctx, &marker);
	assert_ptr_equal(kstate_ctx_get_userdata(f->ctx), &marker);
	kstate_ctx_set_log_fn(f->ctx, capture_log);
	kstate_ctx_set_log_priority(f->ctx, LOG_DEBUG);
	assert_int_equal(kstate_ctx_get_log_priority(f->ctx), LOG_DEBUG);
	logged[0] = '\0';
	assert_int_equal(kstate_writer_new(f->store, NULL, "no good", 1, &w), -EINVAL);
	assert_int_equal(logged_priority, LOG_ERR);
	assert_non_null(strstr(logged, "invalid record file name"));
	assert_int_equal(save_text(f->store, "x", "1"), 0);
	assert_non_null(strstr(logged, "sealed generation 1"));
	/* Below the priority, nothing is logged. */
	kstate_ctx_set_log_priority(f->ctx, LOG_ERR);
	logged[0] = '\0';
	assert_int_equal(save_text(f->store, "x", "2"), 0);
	assert_string_equal(logged, "");
	kstate_ctx_set_log_fn(f->ctx, NULL);
}

static void test_log_environment(void **state)
{
	struct kstate_ctx *ctx = NULL;

	(void)state;
	setenv("KSTATE_LOG", "debug", 1);
	assert_int_equal(kstate_ctx_new(&ctx), 0);
	assert_int_equal(kstate_ctx_get_log_priority(ctx), LOG_DEBUG);
	kstate_ctx_delete(&ctx);
	setenv("KSTATE_LOG", "4", 1);
	assert_int_equal(kstate_ctx_new(&ctx), 0);
	assert_int_equal(kstate_ctx_get_log_priority(ctx), LOG_WARNING);
	kstate_ctx_delete(&ctx);
	unsetenv("KSTATE_LOG");
	assert_int_equal(kstate_ctx_new(&ctx), 0);
	assert_int_equal(kstate_ctx_get_log_priority(ctx), LOG_ERR);
	kstate_ctx_delete(&ctx);
	assert_null(ctx);
}

static void *fail_in_thread(void *arg)
{
	struct kstate_store *s = arg;
	struct kstate_writer *w = NULL;

	kstate_writer_new(s, NULL, "thread bad name", 1, &w);
	return strdup(kstate_errormsg());
}

static void test_errormsg_is_per_thread(void **state)
{
	struct fixture *f = *state;
	struct kstate_region *r = NULL;
	pthread_t th;
	char *other;

	assert_int_equal(kstate_region_map(f->store, "r", 0, 0, &r), -ENOENT);
	assert_non_null(strstr(kstate_errormsg(), "no such region"));
	assert_int_equal(pthread_create(&th, NULL, fail_in_thread, f->store), 0);
	assert_int_equal(pthread_join(th, (void **)&other), 0);
	assert_non_null(strstr(other, "thread bad name"));
	assert_non_null(strstr(kstate_errormsg(), "no such region"));
	free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_create_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_dir_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_reader_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_several_files_one_generation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_generations_carry_over_and_gc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_txn_abort_leaves_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_remove_and_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_argument_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rdonly_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record_file_refused_and_quarantined,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_substituted_record_file_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_damaged_newest_generation_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_replayed_generation_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_manifest_renamed_or_foreign_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_planted_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_store_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crafted_members_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_store_and_manifest_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_generation_skipped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_commit_fault_injection_every_step, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_fault_injection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_unknown_ro_compat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_injection_store_open_create, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fault_injection_region_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_injection_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_injection_gc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_injection_quarantine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_map_write_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_each_and_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_in_generation_and_remove, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_region_pmem_granularity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_persist_writes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_golden_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logging_through_context, setup, teardown),
		cmocka_unit_test(test_log_environment),
		cmocka_unit_test_setup_teardown(test_errormsg_is_per_thread, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
