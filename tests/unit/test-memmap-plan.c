// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-memmap-plan - the memmap= planner on the /proc/iomem samples in
 * tests/data/iomem/: the ranges it picks, its warnings and every reason it refuses.
 */
#include <inttypes.h>

#include "helpers.h"
#include "memmap-plan.h"
#include "msg.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

static char *sample(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/iomem/%s", test_data_dir(), name) > 0);
	return p;
}

/*
 * An oracle independent of the planner: the range lies inside one top-level
 * "System RAM" line and overlaps no other line of the file at any depth.
 */
static void assert_range_safe(const char *path, uint64_t start, uint64_t size)
{
	uint64_t end = start + size - 1;
	bool inside = false;
	char line[256];
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		int used = 0;
		const char *p = line + strspn(line, " ");

		assert_int_equal(sscanf(p, "%llx-%llx : %n", &s, &e, &used), 2);
		if (e < start || s > end)
			continue;
		if (p == line && strncmp(p + used, "System RAM\n", 11) == 0 &&
		    s <= start && e >= end) {
			inside = true;
			continue;
		}
		fail_msg("%s: range %#" PRIx64 "+%#" PRIx64 " overlaps %s", path, start, size,
			 line);
	}
	fclose(f);
	assert_true(inside);
}

struct expect {
	const char *file;
	uint64_t size;
	uint64_t align;
	unsigned int flags;
	const char *param;
	unsigned int warnings;
};

static void check_plan(const struct expect *x)
{
	struct memmap_plan *plan = NULL;
	char *path = sample(x->file), param[128];
	uint64_t total = 0;
	unsigned int i;
	int rc;

	rc = memmap_plan_new(path, x->size, x->align, x->flags, &plan);
	if (rc)
		fail_msg("%s: %s", x->file, setup_errormsg());
	assert_int_equal(memmap_plan_param(plan, param, sizeof(param)), 0);
	assert_string_equal(param, x->param);
	assert_int_equal(memmap_plan_warnings(plan), x->warnings);
	for (i = 0; i < memmap_plan_range_count(plan); i++) {
		uint64_t s = memmap_plan_range_start(plan, i);
		uint64_t n = memmap_plan_range_size(plan, i);

		assert_int_equal(s % (x->align ? x->align : GiB), 0);
		assert_range_safe(path, s, n);
		total += n;
	}
	assert_int_equal(total, x->size);
	assert_int_equal(memmap_plan_range_size(plan, i), 0);
	memmap_plan_delete(&plan);
	assert_null(plan);
	free(path);
}

static void test_qemu_2g(void **state)
{
	/* All RAM is below 4 GiB; the lab's memmap=512M!1G is what it must find. */
	static const struct expect x = {
		"qemu-2g", 512 * MiB, 0, 0, "memmap=512M!1G",
		MEMMAP_WARN_BELOW_4G | MEMMAP_WARN_LOW_RAM,
	};

	check_plan(&x);
}

static void test_qemu_24g(void **state)
{
	static const struct expect x = { "qemu-24g", 4 * GiB, 0, 0, "memmap=4G!21G", 0 };

	check_plan(&x);
}

static void test_cloud_vm_24g(void **state)
{
	static const struct expect x = {
		"cloud-vm-24g", 8 * GiB, 16 * MiB, 0, "memmap=8G!17G", 0,
	};

	check_plan(&x);
}

static void test_server_512g(void **state)
{
	/* Top of the second node, 1 GiB aligned; the low crash kernel is irrelevant. */
	static const struct expect x = {
		"server-2s-512g", 64 * GiB, 0, 0, "memmap=64G!450G", 0,
	};

	check_plan(&x);
}

static void test_server_split_low_ram(void **state)
{
	/* 480G fits in no single range; split it over both nodes, and warn. */
	static const struct expect x = {
		"server-2s-512g", 480 * GiB, 0, MEMMAP_PLAN_SPLIT,
		"memmap=256G!258G,224G!34G", MEMMAP_WARN_LOW_RAM,
	};

	check_plan(&x);
}

static void test_holes_crash(void **state)
{
	/* Highest 1G-aligned 4G below the crash kernel at the top of RAM. */
	static const struct expect x = {
		"desktop-holes-crash-32g", 4 * GiB, 0, 0, "memmap=4G!28G", 0,
	};

	check_plan(&x);
}

static void test_holes_crash_tight(void **state)
{
	/* 7G at 16M alignment would hit the crash kernel if placed at the very top. */
	static const struct expect x = {
		"desktop-holes-crash-32g", 7 * GiB, 16 * MiB, 0, "memmap=7G!25840M", 0,
	};

	check_plan(&x);
}

static void test_holes_split(void **state)
{
	static const struct expect x = {
		"desktop-holes-crash-32g", 8 * GiB, 0, MEMMAP_PLAN_SPLIT,
		"memmap=7G!25G,1G!23G", 0,
	};

	check_plan(&x);
}

static void test_legacy_pmem(void **state)
{
	/* 12G..16G is already memmap= PMEM: the plan goes around it and says so. */
	static const struct expect x = {
		"vm-legacy-pmem-16g", 4 * GiB, 0, 0, "memmap=4G!8G",
		MEMMAP_WARN_PMEM_PRESENT,
	};
	struct memmap_plan *plan = NULL;
	char *path = sample(x.file);

	check_plan(&x);
	assert_int_equal(memmap_plan_new(path, 4 * GiB, 0, 0, &plan), 0);
	assert_int_equal(memmap_plan_pmem_present(plan), 4 * GiB);
	memmap_plan_delete(&plan);
	free(path);
}

static void test_nvdimm_kmem(void **state)
{
	/* PMEM lent as RAM ("System RAM (kmem)", nested) is neither RAM nor free. */
	static const struct expect x = {
		"qemu-nvdimm-kmem-2g", 512 * MiB, 0, 0, "memmap=512M!1G",
		MEMMAP_WARN_BELOW_4G | MEMMAP_WARN_LOW_RAM |
		MEMMAP_WARN_PMEM_PRESENT,
	};
	struct memmap_plan *plan = NULL;
	char *path = sample(x.file);

	check_plan(&x);
	assert_int_equal(memmap_plan_new(path, 512 * MiB, 0, 0, &plan), 0);
	assert_true(memmap_plan_ram_total(plan) < 2 * GiB);
	memmap_plan_delete(&plan);
	free(path);
}

/* ---------------------------------------------------------------------------------- */
/* Refusals: each returns its own errno and a message that names the reason. */

static void check_refusal(const char *file, uint64_t size, uint64_t align, unsigned int flags,
			  int rc, const char *reason)
{
	struct memmap_plan *plan = NULL;
	char *path = file[0] == '/' ? strdup(file) : sample(file);

	assert_int_equal(memmap_plan_new(path, size, align, flags, &plan), rc);
	assert_null(plan);
	if (!strstr(setup_errormsg(), reason))
		fail_msg("%s: message '%s' lacks '%s'", file, setup_errormsg(), reason);
	free(path);
}

static void test_refuse_bad_args(void **state)
{
	check_refusal("qemu-24g", 4 * GiB, 48 * MiB, 0, -EINVAL, "not a power of two");
	check_refusal("qemu-24g", 4 * GiB, 8 * MiB, 0, -EINVAL, "at least 16M");
	check_refusal("qemu-24g", 0, 0, 0, -EINVAL, "multiple of 16M");
	check_refusal("qemu-24g", 100 * MiB, 0, 0, -EINVAL, "multiple of 16M");
	check_refusal("qemu-24g", 4 * GiB, 0, 1U << 5, -EINVAL, "invalid flags");
}

static void test_refuse_not_root(void **state)
{
	check_refusal("nonroot-zeros", 512 * MiB, 0, 0, -EPERM, "run as root");
}

static void test_refuse_missing_and_garbage(void **state)
{
	char *dir = make_tmpdir(), *bad = path_in(dir, "bad"), *noram = path_in(dir, "noram");

	check_refusal("does-not-exist", GiB, 0, 0, -ENOENT, "cannot read");
	write_whole(bad, "hello\n", 6);
	check_refusal(bad, GiB, 0, 0, -EINVAL, "not /proc/iomem text");
	write_whole(noram, "00000000-00000fff : Reserved\n", 29);
	check_refusal(noram, GiB, 0, 0, -ENODATA, "no top-level System RAM");
	unlink(bad);
	unlink(noram);
	free(bad);
	free(noram);
	remove_tree(dir);
}

static void test_refuse_too_little_ram_left(void **state)
{
	check_refusal("qemu-2g", GiB, 0, 0, -E2BIG, "less than 1G");
	check_refusal("server-2s-512g", 512 * GiB, 0, 0, -E2BIG, "less than 1G");
}

static void test_refuse_no_room(void **state)
{
	/* Every segment above 4G is shorter than 8G once aligned, and below is smaller. */
	check_refusal("desktop-holes-crash-32g", 8 * GiB, 0, 0, -ENOSPC, "allow a split");
	check_refusal("server-2s-512g", 480 * GiB, 0, 0, -ENOSPC, "largest free");
	/* Split, 27G needs the 7G, three 6G and a 1G chunk: five ranges, one too many. */
	check_refusal("desktop-holes-crash-32g", 27 * GiB, 0, MEMMAP_PLAN_SPLIT,
		      -E2BIG, "KASLR");
}

static void test_refuse_split_short(void **state)
{
	/* Only aligned chunks count: 2G-aligned, a 24G VM has 20G of them. */
	check_refusal("qemu-24g", 22 * GiB, 2 * GiB, MEMMAP_PLAN_SPLIT, -ENOSPC,
		      "not enough free");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_2g),
		cmocka_unit_test(test_qemu_24g),
		cmocka_unit_test(test_cloud_vm_24g),
		cmocka_unit_test(test_server_512g),
		cmocka_unit_test(test_server_split_low_ram),
		cmocka_unit_test(test_holes_crash),
		cmocka_unit_test(test_holes_crash_tight),
		cmocka_unit_test(test_holes_split),
		cmocka_unit_test(test_legacy_pmem),
		cmocka_unit_test(test_nvdimm_kmem),
		cmocka_unit_test(test_refuse_bad_args),
		cmocka_unit_test(test_refuse_not_root),
		cmocka_unit_test(test_refuse_missing_and_garbage),
		cmocka_unit_test(test_refuse_too_little_ram_left),
		cmocka_unit_test(test_refuse_no_room),
		cmocka_unit_test(test_refuse_split_short),
	};

	setup_quiet = true;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
