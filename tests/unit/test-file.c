// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lone files (kstate_file_*) and gc reporting (kstate_store_gc_each): what "kstate dump"
 * and "kstate gc --dry-run" are built on.  Every golden file must decode, and every
 * single-bit flip and every truncation of one must be refused with a message.
 */
#include <dirent.h>

#include "helpers.h"
#include "libkstate.h"

static struct kstate_ctx *ctx;

static int setup(void **state)
{
	(void)state;
	return kstate_ctx_new(&ctx);
}

static int teardown(void **state)
{
	(void)state;
	kstate_ctx_delete(&ctx);
	return 0;
}

/* Every regular file under tests/data/ (one level of directories), as paths. */
static size_t golden_files(char ***out)
{
	const char *dirs[] = { "", "golden-store" };
	char **list = NULL;
	size_t n = 0, i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *dir = path_in(test_data_dir(), "%s", dirs[i]);
		struct dirent *d;
		DIR *dh = opendir(dir);

		assert_non_null(dh);
		while ((d = readdir(dh))) {
			char *p = path_in(dir, "%s", d->d_name);
			struct stat st;

			assert_int_equal(lstat(p, &st), 0);
			if (!S_ISREG(st.st_mode)) {
				free(p);
				continue;
			}
			list = realloc(list, (n + 1) * sizeof(*list));
			assert_non_null(list);
			list[n++] = p;
		}
		closedir(dh);
		free(dir);
	}
	*out = list;
	return n;
}

static void free_list(char **list, size_t n)
{
	while (n--)
		free(list[n]);
	free(list);
}

static void test_golden_files_decode(void **state)
{
	int seen[4] = { 0 };
	char **files;
	size_t n, i;

	(void)state;
	n = golden_files(&files);
	assert_true(n >= 8);
	for (i = 0; i < n; i++) {
		struct kstate_file *f = NULL;
		int rc = kstate_file_new(ctx, files[i], &f);

		if (rc)
			fail_msg("%s: %s", files[i], kstate_errormsg());
		assert_in_range(kstate_file_type(f), KSTATE_FILE_TYPE_RECORDS,
				KSTATE_FILE_TYPE_STORE);
		seen[kstate_file_type(f)]++;
		kstate_file_delete(&f);
		assert_null(f);
	}
	assert_true(seen[KSTATE_FILE_TYPE_RECORDS] >= 3);
	assert_true(seen[KSTATE_FILE_TYPE_MANIFEST] >= 3);
	assert_true(seen[KSTATE_FILE_TYPE_STORE] >= 2);
	free_list(files, n);
}

static struct kstate_file *open_data(const char *name)
{
	struct kstate_file *f = NULL;
	char *p = path_in(test_data_dir(), "%s", name);

	if (kstate_file_new(ctx, p, &f))
		fail_msg("%s: %s", p, kstate_errormsg());
	free(p);
	return f;
}

static void test_records_file_fields(void **state)
{
	struct kstate_file *f = open_data("golden-records.ksr");
	struct kstate_reader *r = NULL;
	struct kstate_generation *g = NULL;
	unsigned int major, minor;
	uint32_t c, ro, in;
	const void *data;
	uint16_t type, flags;
	size_t len;
	int n = 0;

	(void)state;
	assert_int_equal(kstate_file_type(f), KSTATE_FILE_TYPE_RECORDS);
	assert_int_equal(kstate_file_size(f), 440);
	kstate_file_version(f, &major, &minor);
	assert_int_equal(major, 1);
	assert_int_equal(minor, 0);
	kstate_file_features(f, &c, &ro, &in);
	assert_int_equal(c | ro | in, 0);
	assert_int_equal(kstate_file_store_uuid(f)[0], 0x6b);
	assert_int_equal(kstate_file_creation_time(f), 1764000000123456789ULL);
	assert_int_equal(kstate_file_last_sealed(f), 0);
	assert_int_equal(kstate_file_open_generation(f, &g), -EINVAL);
	assert_null(g);
	assert_int_equal(kstate_file_open_reader(f, &r), 0);
	/* The reader owns a copy: it outlives the file. */
	kstate_file_delete(&f);
	assert_string_equal(kstate_reader_name(r), "golden");
	assert_int_equal(kstate_reader_client_version(r), 3);
	assert_int_equal(kstate_reader_record_count(r), 4);
	while (kstate_reader_next(r, &type, &flags, &data, &len) == 1) {
		if (n == 0) {
			assert_int_equal(type, 1);
			assert_int_equal(len, 5);
			assert_memory_equal(data, "hello", 5);
		}
		if (n == 1)
			assert_int_equal(flags, KSTATE_RECORD_CRITICAL);
		n++;
	}
	assert_int_equal(n, 4);
	kstate_reader_delete(&r);
}

static void test_manifest_and_store_fields(void **state)
{
	struct kstate_file *f = open_data("golden-manifest-sealed");
	struct kstate_generation *g = NULL;
	struct kstate_reader *r = NULL;

	(void)state;
	assert_int_equal(kstate_file_type(f), KSTATE_FILE_TYPE_MANIFEST);
	assert_int_equal(kstate_file_open_reader(f, &r), -EINVAL);
	assert_non_null(strstr(kstate_errormsg(), "not a record file"));
	assert_int_equal(kstate_file_open_generation(f, &g), 0);
	kstate_file_delete(&f);
	assert_int_equal(kstate_generation_number(g), 3);
	assert_int_equal(kstate_generation_base(g), 2);
	assert_true(kstate_generation_is_sealed(g));
	assert_string_equal(kstate_generation_kernel_release(g), "6.1.0-50-amd64");
	assert_int_equal(kstate_generation_entry_count(g), 3);
	assert_string_equal(kstate_generation_entry_name(g, 0), "golden");
	assert_string_equal(kstate_generation_entry_name(g, 1), "iommu-demo");
	assert_true(kstate_generation_entry_is_kernel(g, 1));
	assert_int_equal(kstate_generation_entry_kind(g, 2), KSTATE_KIND_REGION);
	assert_int_equal(kstate_generation_entry_size(g, 2), 2 << 20);
	/* There is no store to check the files against. */
	assert_int_equal(kstate_generation_verify_entry(g, 0), -EINVAL);
	assert_non_null(strstr(kstate_errormsg(), "lone manifest"));
	kstate_generation_delete(&g);

	f = open_data("golden-manifest-open");
	assert_int_equal(kstate_file_open_generation(f, &g), 0);
	assert_false(kstate_generation_is_sealed(g));
	assert_int_equal(kstate_generation_entry_count(g), 0);
	kstate_generation_delete(&g);
	kstate_file_delete(&f);

	f = open_data("golden-store-header");
	assert_int_equal(kstate_file_type(f), KSTATE_FILE_TYPE_STORE);
	assert_int_equal(kstate_file_last_sealed(f), 3);
	assert_int_equal(kstate_file_size(f), 128);
	kstate_file_delete(&f);
}

/* A refusal must come with a message that names the buffer and says why. */
static void assert_refused(const void *buf, size_t len, const char *file, const char *how,
			   size_t at)
{
	struct kstate_file *f = NULL;
	int rc = kstate_file_new_from_buffer(ctx, buf, len, &f);

	if (rc == 0)
		fail_msg("%s %s at %zu was accepted", file, how, at);
	assert_true(rc < 0);
	assert_null(f);
	assert_non_null(strstr(kstate_errormsg(), "buffer: "));
	assert_true(strlen(kstate_errormsg()) > strlen("buffer: "));
}

static void test_every_bit_flip_and_truncation_refused(void **state)
{
	char **files;
	size_t n, i, off;
	unsigned int bit;

	(void)state;
	n = golden_files(&files);
	for (i = 0; i < n; i++) {
		size_t len;
		uint8_t *buf = read_whole(files[i], &len);
		uint8_t *longer = calloc(1, len + 8);

		for (off = 0; off < len; off++) {
			for (bit = 0; bit < 8; bit++) {
				buf[off] ^= (uint8_t)(1U << bit);
				assert_refused(buf, len, files[i], "bit flip", off * 8 + bit);
				buf[off] ^= (uint8_t)(1U << bit);
			}
			assert_refused(buf, off, files[i], "truncation", off);
		}
		memcpy(longer, buf, len);
		for (off = 1; off <= 8; off++)
			assert_refused(longer, len + off, files[i], "extension", off);
		free(longer);
		free(buf);
	}
	free_list(files, n);
}

static void test_not_a_kstate_file(void **state)
{
	struct kstate_file *f = NULL;
	char *dir = make_tmpdir();
	char *p = path_in(dir, "text");

	(void)state;
	write_whole(p, "hello, world\n", 13);
	assert_int_equal(kstate_file_new(ctx, p, &f), -EPROTO);
	assert_non_null(strstr(kstate_errormsg(), "not a kstate file"));
	assert_int_equal(kstate_file_new_from_buffer(ctx, "KST", 3, &f), -EOVERFLOW);
	assert_non_null(strstr(kstate_errormsg(), "too short"));
	assert_int_equal(kstate_file_new(ctx, dir, &f), -EPERM);
	assert_non_null(strstr(kstate_errormsg(), "not a plain file"));
	free(p);
	p = path_in(dir, "missing");
	assert_int_equal(kstate_file_new(ctx, p, &f), -ENOENT);
	assert_null(f);
	free(p);
	remove_tree(dir);
}

struct names {
	char list[16][64];
	int n;
};

static void collect(struct kstate_store *store, const char *filename, void *userdata)
{
	struct names *names = userdata;

	(void)store;
	assert_true(names->n < 16);
	snprintf(names->list[names->n++], sizeof(names->list[0]), "%s", filename);
}

static void test_gc_each_dry_run_then_real(void **state)
{
	struct kstate_store *s = NULL, *ro = NULL;
	struct names dry = { 0 }, real = { 0 };
	char *dir = make_tmpdir();
	int g, i;

	(void)state;
	assert_int_equal(kstate_store_new(ctx, dir, KSTATE_STORE_CREATE, &s), 0);
	kstate_store_set_keep(s, 10);
	for (g = 1; g <= 4; g++) {
		struct kstate_writer *w = NULL;

		assert_int_equal(kstate_writer_new(s, NULL, "vmm", 1, &w), 0);
		assert_int_equal(kstate_writer_add(w, 1, 0, &g, sizeof(g)), 0);
		assert_int_equal(kstate_writer_commit(w), 0);
		kstate_writer_delete(&w);
	}
	assert_int_equal(count_files(dir, "manifest."), 4);

	assert_int_equal(kstate_store_new(ctx, dir, KSTATE_STORE_RDONLY, &ro), 0);
	assert_int_equal(kstate_store_gc_each(ro, 2, 0, NULL, NULL), -EROFS);
	assert_int_equal(kstate_store_gc_each(ro, 2, 0x80, NULL, NULL), -EINVAL);
	assert_int_equal(kstate_store_gc_each(ro, 2, KSTATE_GC_DRY_RUN, collect, &dry), 0);
	kstate_store_delete(&ro);
	/* Generations 1 and 2: a manifest and a record file each. */
	assert_int_equal(dry.n, 4);
	assert_int_equal(count_files(dir, "manifest."), 4);
	assert_int_equal(count_files(dir, "vmm."), 4);

	assert_int_equal(kstate_store_gc_each(s, 2, 0, collect, &real), 0);
	assert_int_equal(real.n, dry.n);
	for (i = 0; i < dry.n; i++) {
		assert_string_equal(real.list[i], dry.list[i]);
		assert_false(file_exists(dir, dry.list[i]));
	}
	assert_true(file_exists(dir, "manifest.0000000000000004"));
	assert_true(file_exists(dir, "manifest.0000000000000003"));
	assert_int_equal(count_files(dir, "manifest."), 2);
	assert_int_equal(kstate_store_generation(s), 4);
	kstate_store_delete(&s);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_files_decode),
		cmocka_unit_test(test_records_file_fields),
		cmocka_unit_test(test_manifest_and_store_fields),
		cmocka_unit_test(test_every_bit_flip_and_truncation_refused),
		cmocka_unit_test(test_not_a_kstate_file),
		cmocka_unit_test(test_gc_each_dry_run_then_real),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
