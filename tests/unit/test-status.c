// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-status - how libkstate reads what a kernel client reports about itself
 * (struct kstate_client_detail): numbers, words (KSTATE_DETAIL_TEXT), and the details of
 * an older module, whose key had 24 bytes and no type.
 */
#include "helpers.h"
#include <kstate/ioctl.h>

#include "private.h"

/* A detail as the module writes it: the key, then for a word its NUL, the word, a NUL. */
static struct kstate_client_detail detail(const char *key, uint64_t value, const char *word)
{
	struct kstate_client_detail d;

	memset(&d, 0, sizeof(d));
	memcpy(d.key, key, strlen(key));
	d.value = value;
	if (word) {
		memcpy(d.key + strlen(key) + 1, word, strlen(word));
		d.type = KSTATE_DETAIL_TEXT;
	}
	return d;
}

static void test_words(void **state)
{
	struct kstate_client_detail d = detail("adopted", 2, "reprogrammed");
	char word[sizeof(d.key)];

	(void)state;
	dev_detail_word(&d, word);
	assert_string_equal(word, "reprogrammed");
	d = detail("translation", 0, "off");
	dev_detail_word(&d, word);
	assert_string_equal(word, "off");
	/* The longest that fits: 2 + 1 + 19 + 1 = 23 bytes. */
	d = detail("ab", 0, "0123456789abcdefghi");
	dev_detail_word(&d, word);
	assert_string_equal(word, "0123456789abcdefghi");
}

static void test_numbers(void **state)
{
	struct kstate_client_detail d = detail("root_phys", 0x48201000, NULL);
	char word[sizeof(d.key)] = "x";

	(void)state;
	dev_detail_word(&d, word);
	assert_string_equal(word, "");
	/* An older module: 23 characters of key and type 0 (the 24th key byte, a NUL). */
	d = detail("a_key_of_23_characters_", 7, NULL);
	dev_detail_word(&d, word);
	assert_string_equal(word, "");
}

/* A text detail without a word is a number; a word is never read past the 23 bytes. */
static void test_malformed(void **state)
{
	struct kstate_client_detail d = detail("empty", 4, NULL);
	char word[sizeof(d.key)];

	(void)state;
	d.type = KSTATE_DETAIL_TEXT;
	dev_detail_word(&d, word);
	assert_string_equal(word, "");
	d = detail("long", 5, NULL);
	memset(d.key + 5, 'x', sizeof(d.key) - 5);
	d.type = KSTATE_DETAIL_TEXT;
	dev_detail_word(&d, word);
	assert_string_equal(word, "xxxxxxxxxxxxxxxxxx");
	d = detail("a_key_of_23_characters_", 7, NULL);
	d.type = KSTATE_DETAIL_TEXT;
	dev_detail_word(&d, word);
	assert_string_equal(word, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
