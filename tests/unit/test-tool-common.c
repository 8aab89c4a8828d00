// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-tool-common - what every command shares (tools/common.c): sizes as people write
 * them, and the one exit-code table.
 */
#include "helpers.h"
#include "common.h"

static void test_size_parse(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(tool_size_parse("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(tool_size_parse("64M", &v), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(tool_size_parse("8GiB", &v), 0);
	assert_int_equal(v, 8ULL << 30);
	assert_int_equal(tool_size_parse("2kB", &v), 0);
	assert_int_equal(v, 2048);
	/* Decimal, always: a leading zero is not octal, and there is no hex. */
	assert_int_equal(tool_size_parse("010G", &v), 0);
	assert_int_equal(v, 10ULL << 30);
	assert_int_equal(tool_size_parse("0755", &v), 0);
	assert_int_equal(v, 755);
	assert_int_equal(tool_size_parse("0x1000", &v), -EINVAL);
	assert_int_equal(tool_size_parse("16777216T", &v), -ERANGE);
	assert_int_equal(tool_size_parse("99999999999999999999", &v), -ERANGE);
	assert_int_equal(tool_size_parse("-1", &v), -EINVAL);
	assert_int_equal(tool_size_parse("+1", &v), -EINVAL);
	assert_int_equal(tool_size_parse(" 1", &v), -EINVAL);
	assert_int_equal(tool_size_parse("", &v), -EINVAL);
	assert_int_equal(tool_size_parse("4X", &v), -EINVAL);
	assert_int_equal(tool_size_parse("4Mb", &v), -EINVAL);
	assert_int_equal(tool_size_parse("4M ", &v), -EINVAL);
	assert_int_equal(tool_size_parse("M", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
