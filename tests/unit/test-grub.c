// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-grub - daxfs-setup apply: the GRUB_CMDLINE_LINUX edit on temporary copies of
 * /etc/default/grub: added once, idempotent, backed up, other words kept, a different
 * reservation refused without force, dry run writes nothing.
 */
#include "helpers.h"
#include "grub.h"

/* Debian 12's /etc/default/grub, as installed. */
static const char debian_grub[] =
	"# If you change this file, run 'update-grub' afterwards to update\n"
	"# /boot/grub/grub.cfg.\n"
	"# For full documentation of the options in this file, see:\n"
	"#   info -f grub -n 'Simple configuration'\n"
	"\n"
	"GRUB_DEFAULT=0\n"
	"GRUB_TIMEOUT=5\n"
	"GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
	"GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
	"GRUB_CMDLINE_LINUX=\"\"\n"
	"\n"
	"# Uncomment to disable graphical terminal (grub-pc only)\n"
	"#GRUB_TERMINAL=console\n";

struct fx {
	char *dir;
	char *file;
	char *bak;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = make_tmpdir();
	f->file = path_in(f->dir, "grub");
	f->bak = path_in(f->dir, "grub.daxfs-setup.bak");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->file);
	free(f->bak);
	remove_tree(f->dir);
	free(f);
	return 0;
}

static char *slurp(const char *path)
{
	size_t len;
	char *buf = read_whole(path, &len), *s = strndup(buf, len);

	free(buf);
	return s;
}

static int set(struct fx *f, const char *param, unsigned int flags, bool *changed)
{
	struct grub_change ch;
	char err[512];
	int rc = grub_set_memmap(f->file, param, flags, &ch, err, sizeof(err));

	if (changed)
		*changed = ch.changed;
	grub_change_release(&ch);
	return rc;
}

static void test_add_then_idempotent(void **state)
{
	struct fx *f = *state;
	char *after, *again, *bak;
	bool changed;
	struct stat st;

	write_whole(f->file, debian_grub, strlen(debian_grub));
	chmod(f->file, 0644);
	assert_int_equal(set(f, "memmap=4G!21G", 0, &changed), 0);
	assert_true(changed);
	after = slurp(f->file);
	assert_non_null(strstr(after, "\nGRUB_CMDLINE_LINUX=\"memmap=4G!21G\"\n"));
	assert_non_null(strstr(after, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"));
	assert_int_equal(strlen(after), strlen(debian_grub) + strlen("memmap=4G!21G"));
	bak = slurp(f->bak);
	assert_string_equal(bak, debian_grub);
	assert_int_equal(stat(f->file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	/* Again: nothing changes, not even the backup. */
	unlink(f->bak);
	assert_int_equal(set(f, "memmap=4G!21G", 0, &changed), 0);
	assert_false(changed);
	again = slurp(f->file);
	assert_string_equal(again, after);
	assert_false(file_exists(f->dir, "grub.daxfs-setup.bak"));
	free(after);
	free(again);
	free(bak);
}

static void test_keeps_other_words(void **state)
{
	static const char text[] =
		"#GRUB_CMDLINE_LINUX=\"commented out\"\n"
		"GRUB_CMDLINE_LINUX=\"old\"\n"
		"GRUB_CMDLINE_LINUX=\"console=ttyS0,115200  memmap=64M$0x7000000 quiet\" # keep\n";
	struct fx *f = *state;
	char *after;

	write_whole(f->file, text, strlen(text));
	assert_int_equal(set(f, "memmap=512M!1G", 0, NULL), 0);
	after = slurp(f->file);
	assert_string_equal(after,
		"#GRUB_CMDLINE_LINUX=\"commented out\"\n"
		"GRUB_CMDLINE_LINUX=\"old\"\n"
		"GRUB_CMDLINE_LINUX=\"console=ttyS0,115200 memmap=64M$0x7000000 quiet "
		"memmap=512M!1G\" # keep\n");
	free(after);
}

static void test_refuses_other_reservation(void **state)
{
	static const char text[] = "GRUB_CMDLINE_LINUX='quiet memmap=4G!12G'\n";
	struct fx *f = *state;
	char *after;
	bool changed = true;

	write_whole(f->file, text, strlen(text));
	assert_int_equal(set(f, "memmap=8G!12G", 0, &changed), -EEXIST);
	assert_false(changed);
	after = slurp(f->file);
	assert_string_equal(after, text);
	free(after);
	assert_false(file_exists(f->dir, "grub.daxfs-setup.bak"));

	assert_int_equal(set(f, "memmap=8G!12G", GRUB_FORCE, &changed), 0);
	assert_true(changed);
	after = slurp(f->file);
	assert_string_equal(after, "GRUB_CMDLINE_LINUX='quiet memmap=8G!12G'\n");
	free(after);
}

static void test_appends_missing_line(void **state)
{
	static const char text[] = "GRUB_DEFAULT=0";
	struct fx *f = *state;
	char *after;

	write_whole(f->file, text, strlen(text));
	assert_int_equal(set(f, "memmap=2G!5G,2G!9G", 0, NULL), 0);
	after = slurp(f->file);
	assert_string_equal(after, "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"memmap=2G!5G,2G!9G\"\n");
	free(after);
}

static void test_unquoted_value(void **state)
{
	static const char text[] = "GRUB_CMDLINE_LINUX=quiet\n";
	struct fx *f = *state;
	char *after;

	write_whole(f->file, text, strlen(text));
	assert_int_equal(set(f, "memmap=1G!4G", 0, NULL), 0);
	after = slurp(f->file);
	assert_string_equal(after, "GRUB_CMDLINE_LINUX=\"quiet memmap=1G!4G\"\n");
	free(after);
}

static void test_dry_run_writes_nothing(void **state)
{
	struct fx *f = *state;
	struct grub_change ch;
	char err[512], *after;

	write_whole(f->file, debian_grub, strlen(debian_grub));
	assert_int_equal(grub_set_memmap(f->file, "memmap=4G!21G", GRUB_DRY_RUN, &ch, err,
					 sizeof(err)), 0);
	assert_true(ch.changed);
	assert_string_equal(ch.new_line, "GRUB_CMDLINE_LINUX=\"memmap=4G!21G\"");
	assert_null(ch.backup);
	grub_change_release(&ch);
	after = slurp(f->file);
	assert_string_equal(after, debian_grub);
	free(after);
	assert_false(file_exists(f->dir, "grub.daxfs-setup.bak"));
}

static void test_rejects_bad_input(void **state)
{
	struct fx *f = *state;

	write_whole(f->file, debian_grub, strlen(debian_grub));
	assert_int_equal(set(f, "memmap=4G$21G", 0, NULL), -EINVAL);
	assert_int_equal(set(f, "memmap=4G!21G quiet", 0, NULL), -EINVAL);
	assert_int_equal(set(f, "quiet", 0, NULL), -EINVAL);
	unlink(f->file);
	assert_int_equal(set(f, "memmap=4G!21G", 0, NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_then_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keeps_other_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_other_reservation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appends_missing_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unquoted_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_bad_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
