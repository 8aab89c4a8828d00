// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-grub - daxfs-setup apply's boot configuration, on sample roots: the reservation
 * goes into etc/default/grub.d/kstate.cfg and nowhere else; memmap= anywhere in the
 * effective configuration (GRUB_CMDLINE_LINUX_DEFAULT, a grub.d file, a backslash-
 * continued value) is seen; a second run changes nothing; a different reservation of
 * ours needs force (and is backed up once); a grub.d file that overrides ours is
 * caught; kernel-install's etc/kernel/cmdline is recognised.
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

/* What Debian's cloud images add (50-cloudimg-settings.cfg), with a reservation. */
static const char cloud_cfg[] =
	"# Cloud Image specific Grub settings for Generic Cloud Images\n"
	"GRUB_CMDLINE_LINUX_DEFAULT=\"console=tty1 console=ttyS0 memmap=2G!8G\"\n"
	"GRUB_TIMEOUT=0\n";

/* A value continued over two lines, as people write long command lines. */
static const char continued_grub[] =
	"GRUB_DEFAULT=0\n"
	"GRUB_CMDLINE_LINUX=\"console=ttyS0,115200 \\\n"
	"    memmap=1G!4G quiet\"\n";

struct fx {
	char *root;
};

static int setup(void **state)
{
	static const char *const dirs[] = { "etc", "etc/default", "etc/default/grub.d" };
	struct fx *f = calloc(1, sizeof(*f));
	size_t i;

	f->root = make_tmpdir();
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = path_in(f->root, "%s", dirs[i]);

		assert_int_equal(mkdir(p, 0755), 0);
		free(p);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	remove_tree(f->root);
	free(f);
	return 0;
}

static void put(struct fx *f, const char *rel, const char *text)
{
	char *p = path_in(f->root, "%s", rel);

	write_whole(p, text, strlen(text));
	free(p);
}

static char *slurp(struct fx *f, const char *rel)
{
	char *p = path_in(f->root, "%s", rel);
	size_t len;
	char *buf = read_whole(p, &len), *s = strndup(buf, len);

	free(buf);
	free(p);
	return s;
}

static int set(struct fx *f, const char *param, unsigned int flags, bool *changed,
	       char *err, size_t errlen)
{
	struct grub_change ch;
	int rc = grub_set_memmap(f->root, param, flags, &ch, err, errlen);

	if (changed)
		*changed = ch.changed;
	grub_change_release(&ch);
	return rc;
}

static void test_dropin_then_idempotent(void **state)
{
	struct fx *f = *state;
	struct boot_config bc;
	char err[1024], *cfg, *grub;
	bool changed;

	put(f, "etc/default/grub", debian_grub);
	assert_int_equal(set(f, "memmap=4G!21G", 0, &changed, err, sizeof(err)), 0);
	assert_true(changed);
	/* The distribution's file is never touched. */
	grub = slurp(f, "etc/default/grub");
	assert_string_equal(grub, debian_grub);
	cfg = slurp(f, GRUB_DROPIN);
	assert_non_null(strstr(cfg, "\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX "
				    "memmap=4G!21G\"\n"));
	assert_int_equal(boot_config_read(f->root, &bc, err, sizeof(err)), 0);
	assert_string_equal(bc.effective, "memmap=4G!21G");
	assert_string_equal(bc.ours, "memmap=4G!21G");
	assert_string_equal(bc.others, "");
	boot_config_release(&bc);

	/* Again: nothing changes, and no backup appears. */
	assert_int_equal(set(f, "memmap=4G!21G", 0, &changed, err, sizeof(err)), 0);
	assert_false(changed);
	assert_false(file_exists(f->root, GRUB_DROPIN ".bak"));
	free(cfg);
	cfg = slurp(f, GRUB_DROPIN);
	assert_non_null(strstr(cfg, "memmap=4G!21G"));
	free(cfg);
	free(grub);
}

static void test_sees_default_and_griddrop(void **state)
{
	struct fx *f = *state;
	char err[1024];
	bool changed = true;

	/* memmap= in GRUB_CMDLINE_LINUX_DEFAULT of a cloud image's grub.d file. */
	put(f, "etc/default/grub", debian_grub);
	put(f, "etc/default/grub.d/50-cloudimg-settings.cfg", cloud_cfg);
	assert_int_equal(set(f, "memmap=4G!21G", 0, &changed, err, sizeof(err)), -EEXIST);
	assert_false(changed);
	assert_non_null(strstr(err, "memmap=2G!8G"));
	assert_non_null(strstr(err, "50-cloudimg-settings.cfg"));
	assert_false(file_exists(f->root, GRUB_DROPIN));
	/* The same reservation already there: nothing to add, not a second one. */
	assert_int_equal(set(f, "memmap=2G!8G", 0, &changed, err, sizeof(err)), 0);
	assert_false(changed);
	assert_false(file_exists(f->root, GRUB_DROPIN));
	/* Force does not make daxfs-setup edit someone else's file. */
	assert_int_equal(set(f, "memmap=4G!21G", GRUB_FORCE, NULL, err, sizeof(err)), -EEXIST);
}

static void test_continuation_line(void **state)
{
	struct fx *f = *state;
	struct boot_config bc;
	char err[1024], *grub;

	put(f, "etc/default/grub", continued_grub);
	assert_int_equal(boot_config_read(f->root, &bc, err, sizeof(err)), 0);
	assert_string_equal(bc.others, "memmap=1G!4G");
	boot_config_release(&bc);
	assert_int_equal(set(f, "memmap=1G!4G", 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(set(f, "memmap=2G!4G", 0, NULL, err, sizeof(err)), -EEXIST);
	grub = slurp(f, "etc/default/grub");
	assert_string_equal(grub, continued_grub);
	free(grub);
}

static void test_our_other_reservation_needs_force(void **state)
{
	struct fx *f = *state;
	char err[1024], *bak, *old;
	bool changed = true;

	put(f, "etc/default/grub", debian_grub);
	assert_int_equal(set(f, "memmap=4G!12G", 0, NULL, err, sizeof(err)), 0);
	old = slurp(f, GRUB_DROPIN);
	assert_int_equal(set(f, "memmap=8G!12G", 0, &changed, err, sizeof(err)), -EEXIST);
	assert_false(changed);
	assert_non_null(strstr(err, "--force"));
	assert_int_equal(set(f, "memmap=8G!12G", GRUB_FORCE, &changed, err, sizeof(err)), 0);
	assert_true(changed);
	bak = slurp(f, GRUB_DROPIN ".bak");
	assert_string_equal(bak, old);
	free(bak);
	free(old);
}

static void test_override_caught(void **state)
{
	struct fx *f = *state;
	char err[1024];

	put(f, "etc/default/grub", debian_grub);
	put(f, "etc/default/grub.d/zz-local.cfg", "GRUB_CMDLINE_LINUX=\"quiet\"\n");
	assert_int_equal(set(f, "memmap=4G!21G", 0, NULL, err, sizeof(err)), -EMEDIUMTYPE);
	assert_non_null(strstr(err, "sourced after it"));
	assert_false(file_exists(f->root, GRUB_DROPIN));
}

static void test_dry_run_writes_nothing(void **state)
{
	struct fx *f = *state;
	struct grub_change ch;
	char err[1024];

	put(f, "etc/default/grub", debian_grub);
	assert_int_equal(grub_set_memmap(f->root, "memmap=4G!21G", GRUB_DRY_RUN, &ch, err,
					 sizeof(err)), 0);
	assert_true(ch.changed);
	assert_false(file_exists(f->root, GRUB_DROPIN));
	grub_change_release(&ch);
}

static void test_rejects_bad_input(void **state)
{
	struct fx *f = *state;
	char err[1024], *p;

	put(f, "etc/default/grub", debian_grub);
	assert_int_equal(set(f, "memmap=4G$21G", 0, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(set(f, "memmap=4G!21G quiet", 0, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(set(f, "memmap=4G!21G\"; reboot", 0, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(set(f, "mem=4G", 0, NULL, err, sizeof(err)), -EINVAL);
	assert_false(file_exists(f->root, GRUB_DROPIN));
	/* No GRUB at all. */
	p = path_in(f->root, "etc/default/grub");
	assert_int_equal(remove(p), 0);
	free(p);
	assert_int_equal(set(f, "memmap=4G!21G", 0, NULL, err, sizeof(err)), -ENOENT);
}

static void test_kernel_install(void **state)
{
	struct fx *f = *state;
	struct boot_config bc;
	char err[1024], *p = path_in(f->root, "etc/kernel");

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	put(f, "etc/kernel/cmdline", "root=UUID=1234 rw quiet memmap=512M!1G\n");
	assert_int_equal(boot_config_read(f->root, &bc, err, sizeof(err)), 0);
	assert_true(bc.kernel_cmdline);
	assert_false(bc.grub);
	assert_string_equal(bc.kernel_cmdline_memmap, "memmap=512M!1G");
	boot_config_release(&bc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dropin_then_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sees_default_and_griddrop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_continuation_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_our_other_reservation_needs_force, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_override_caught, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_install, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
