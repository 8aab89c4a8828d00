// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-status - how the tools show what a kernel client reports about itself
 * (struct kstate_client_detail): numbers, words (KSTATE_DETAIL_TEXT) and the details
 * an older module writes, with a 24-byte key and no type.
 */
#include "helpers.h"
#include "status.h"

/* Set detail @i as the module does: the key, then for a word its NUL, the word, a NUL. */
static void put(struct kstate_client_status *c, unsigned int i, const char *key,
		uint64_t value, const char *word)
{
	struct kstate_client_detail *d = &c->detail[i];

	memset(d, 0, sizeof(*d));
	memcpy(d->key, key, strlen(key));
	d->value = value;
	if (word) {
		memcpy(d->key + strlen(key) + 1, word, strlen(word));
		d->type = KSTATE_DETAIL_TEXT;
	}
	if (c->detail_count <= i)
		c->detail_count = i + 1;
}

static struct json_object *field(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static void test_numbers_and_words(void **state)
{
	struct kstate_client_status c = { 0 };
	struct json_object *o;

	(void)state;
	put(&c, 0, "root_phys", 0x48201000, NULL);
	put(&c, 1, "adopted", 2, "reprogrammed");
	put(&c, 2, "translation", 0, "off");
	o = status_detail_json(&c);
	assert_int_equal(json_object_get_type(field(o, "root_phys")), json_type_int);
	assert_int_equal(json_object_get_uint64(field(o, "root_phys")), 0x48201000);
	assert_string_equal(json_object_get_string(field(o, "adopted")), "reprogrammed");
	assert_string_equal(json_object_get_string(field(o, "translation")), "off");
	assert_int_equal(json_object_object_length(o), 3);
	json_object_put(o);
}

/* What a module without text details sends: keys of up to 23 bytes, type 0. */
static void test_older_module(void **state)
{
	struct kstate_client_status c = { 0 };
	struct json_object *o;

	(void)state;
	put(&c, 0, "a_key_of_23_characters_", 7, NULL);
	o = status_detail_json(&c);
	assert_int_equal(json_object_get_uint64(field(o, "a_key_of_23_characters_")), 7);
	json_object_put(o);
}

/* A text detail without a word shows its number; a word never reads past the 23 bytes. */
static void test_malformed_text(void **state)
{
	struct kstate_client_status c = { 0 };
	struct json_object *o;

	(void)state;
	put(&c, 0, "empty", 4, NULL);
	c.detail[0].type = KSTATE_DETAIL_TEXT;
	put(&c, 1, "long", 5, NULL);
	memset(c.detail[1].key + 5, 'x', sizeof(c.detail[1].key) - 5);
	c.detail[1].type = KSTATE_DETAIL_TEXT;
	o = status_detail_json(&c);
	assert_int_equal(json_object_get_uint64(field(o, "empty")), 4);
	assert_string_equal(json_object_get_string(field(o, "long")), "xxxxxxxxxxxxxxxxxx");
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_and_words),
		cmocka_unit_test(test_older_module),
		cmocka_unit_test(test_malformed_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
