// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate-save - save every kernel client into a new sealed generation of the store,
 * then optionally kexec into a new kernel or reboot through firmware.
 * See docs/man/kstate-save.8.scd.
 *
 * Order matters: the new kernel is loaded (kexec_file_load) before anything is saved,
 * so a kernel that cannot be loaded stops the update while nothing has changed; it is
 * executed only once the generation is sealed and durable.  A failed save never
 * reboots: the loaded kernel is unloaded and the reason printed.
 *
 * The save that precedes a kexec or reboot (--kexec, --reboot, or --freeze for a
 * reboot made by someone else, as kstate-save.service does) freezes the kernel
 * clients: none changes its state or regions until the machine goes down.  Whenever
 * that reboot does not follow (the seal fails, kexec or reboot returns), this program
 * thaws them again ("kstate thaw" does the same by hand).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#define OPT_KEXEC		0x200
#define OPT_INITRD		0x201
#define OPT_APPEND		0x202
#define OPT_REUSE_CMDLINE	0x203
#define OPT_REBOOT		0x204
#define OPT_FREEZE		0x205

struct save_opts {
	const char *store;
	bool json;
	const char *kexec;
	const char *initrd;
	const char *append;
	bool reuse_cmdline;
	bool reboot;
	bool freeze;		/* --freeze, or implied by --kexec and --reboot */
};

static void usage(void)
{
	printf("Usage: kstate-save [--store DIR] [--json]\n"
	       "                   [--kexec KERNEL [--initrd FILE] [--append CMDLINE | --reuse-cmdline]]\n"
	       "                   [--reboot | --freeze]\n"
	       "\n"
	       "Save every kernel client registered with the kstate module into a new sealed\n"
	       "generation of the store; then, if asked, kexec into KERNEL or reboot.\n"
	       "\n"
	       "  --store DIR          the store (default: $KSTATE_STORE, else "
	       TOOL_DEFAULT_STORE ")\n"
	       "  --json               print a JSON report instead of text\n"
	       "  --kexec KERNEL       load KERNEL with kexec_file_load before saving and\n"
	       "                       execute it once the save is durable\n"
	       "  --initrd FILE        initramfs for --kexec\n"
	       "  --append CMDLINE     command line for --kexec\n"
	       "  --reuse-cmdline      give --kexec the running kernel's command line\n"
	       "  --reboot             reboot through firmware once the save is durable\n"
	       "  --freeze             the final save before a reboot made by someone else:\n"
	       "                       the kernel clients stay frozen until it ('kstate thaw'\n"
	       "                       cancels); implied by --kexec and --reboot\n"
	       "  -h, --help           this text\n"
	       "  -V, --version        print the version\n"
	       "\n"
	       "Exit: 0 saved (and, with --kexec/--reboot, does not return), 1 failed (nothing\n"
	       "rebooted), 2 usage, 3 no such store, 4 not root.\n");
}

/* The running kernel's command line, without the trailing newline. */
static int read_cmdline(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cmdline", "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* kexec_file_load(2): the only form lockdown allows; the kernel checks the image. */
static int kexec_load(const struct save_opts *o)
{
	char cmdline[4096] = "";
	unsigned long flags = 0;
	int kfd, ifd = -1, rc = 0;

	if (o->reuse_cmdline) {
		rc = read_cmdline(cmdline, sizeof(cmdline));
		if (rc) {
			tool_err("cannot read /proc/cmdline: %s", strerror(-rc));
			return TOOL_EXIT_FAILURE;
		}
	} else if (o->append) {
		if (strlen(o->append) >= sizeof(cmdline))
			return tool_usage_error("--append: command line too long");
		snprintf(cmdline, sizeof(cmdline), "%s", o->append);
	}
	kfd = open(o->kexec, O_RDONLY | O_CLOEXEC);
	if (kfd < 0) {
		tool_err("%s: %s", o->kexec, strerror(errno));
		return errno == ENOENT ? TOOL_EXIT_NOTFOUND : TOOL_EXIT_FAILURE;
	}
	if (o->initrd) {
		ifd = open(o->initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			tool_err("%s: %s", o->initrd, strerror(errno));
			close(kfd);
			return errno == ENOENT ? TOOL_EXIT_NOTFOUND : TOOL_EXIT_FAILURE;
		}
	} else {
		flags |= KEXEC_FILE_NO_INITRAMFS;
	}
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1, cmdline, flags) < 0) {
		rc = errno;
		tool_err("%s: kexec_file_load failed: %s%s; nothing was saved", o->kexec,
			 strerror(rc), rc == EPERM ? " (must be root; under lockdown the kernel "
			 "must be signed)" : rc == ENOEXEC ? " (not a bootable kernel image)" : "");
	}
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	return rc ? TOOL_EXIT_FAILURE : 0;
}

static void kexec_unload(void)
{
	syscall(SYS_kexec_file_load, -1, -1, 0, NULL, KEXEC_FILE_UNLOAD);
}

/* The reboot a freezing save prepared will not happen: let the clients go on. */
static void thaw(struct kstate_dev *dev)
{
	unsigned int n = 0;

	if (kstate_dev_thaw(dev, &n, NULL))
		tool_err("%s; run 'kstate thaw'", kstate_errormsg());
	else
		tool_err("the %u frozen kernel client(s) were thawed", n);
}

static void thaw_again(void)
{
	struct kstate_ctx *ctx = NULL;
	struct kstate_dev *dev = NULL;

	if (tool_ctx_new(&ctx))
		return;
	if (kstate_dev_new(ctx, &dev))
		tool_err("%s; run 'kstate thaw'", kstate_errormsg());
	else
		thaw(dev);
	kstate_dev_delete(&dev);
	kstate_ctx_delete(&ctx);
}

/* Save kernel clients into a new generation and seal it. */
static int save(struct kstate_ctx *ctx, const struct save_opts *o, struct json_object *report)
{
	const char *path = tool_store_path(o->store);
	struct kstate_store *s = NULL;
	struct kstate_txn *txn = NULL;
	struct kstate_dev *dev = NULL;
	unsigned int saved = 0;
	bool frozen;
	uint64_t t0;
	int rc, exit_code;

	tool_json_add_str(report, "store", path);
	exit_code = tool_store_open(ctx, path, 0, &s);
	if (exit_code)
		return exit_code;
	rc = kstate_dev_new(ctx, &dev);
	if (rc) {
		exit_code = tool_fail(rc, NULL);
		goto out;
	}
	t0 = tool_now_us();
	rc = kstate_txn_new(s, &txn);
	if (!rc)
		rc = kstate_dev_save_flags(dev, txn, o->freeze ? KSTATE_DEV_SAVE_FREEZE : 0,
					   &saved);
	frozen = !rc && o->freeze;
	if (!rc)
		rc = kstate_txn_commit(txn);
	if (rc) {
		exit_code = tool_fail(rc, "the previous generation is unchanged");
		if (frozen)
			thaw(dev);
		goto out;
	}
	tool_json_add_u64(report, "generation", kstate_txn_generation(txn));
	tool_json_add_u64(report, "base_generation", kstate_txn_base(txn));
	tool_json_add_u64(report, "clients_saved", saved);
	tool_json_add_u64(report, "save_us", tool_now_us() - t0);
	tool_json_add_bool(report, "durable", true);
	tool_json_add_bool(report, "frozen", frozen);
out:
	kstate_txn_delete(&txn);
	kstate_dev_delete(&dev);
	kstate_store_delete(&s);
	return exit_code;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		TOOL_OPTIONS_COMMON,
		{ "store", required_argument, NULL, TOOL_OPT_STORE },
		{ "json", no_argument, NULL, TOOL_OPT_JSON },
		{ "kexec", required_argument, NULL, OPT_KEXEC },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "append", required_argument, NULL, OPT_APPEND },
		{ "reuse-cmdline", no_argument, NULL, OPT_REUSE_CMDLINE },
		{ "reboot", no_argument, NULL, OPT_REBOOT },
		{ "freeze", no_argument, NULL, OPT_FREEZE },
		{ NULL, 0, NULL, 0 },
	};
	struct save_opts o = { 0 };
	struct kstate_ctx *ctx = NULL;
	struct json_object *report;
	int c, rc;

	tool_set_name("kstate-save");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case TOOL_OPT_HELP:
			usage();
			return TOOL_EXIT_OK;
		case TOOL_OPT_VERSION:
			tool_print_version();
			return TOOL_EXIT_OK;
		case TOOL_OPT_STORE:
			o.store = optarg;
			break;
		case TOOL_OPT_JSON:
			o.json = true;
			break;
		case OPT_KEXEC:
			o.kexec = optarg;
			break;
		case OPT_INITRD:
			o.initrd = optarg;
			break;
		case OPT_APPEND:
			o.append = optarg;
			break;
		case OPT_REUSE_CMDLINE:
			o.reuse_cmdline = true;
			break;
		case OPT_REBOOT:
			o.reboot = true;
			break;
		case OPT_FREEZE:
			o.freeze = true;
			break;
		default:
			return tool_getopt_error(c, argv);
		}
	}
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	if ((o.initrd || o.append || o.reuse_cmdline) && !o.kexec)
		return tool_usage_error("--initrd, --append and --reuse-cmdline go with --kexec");
	if (o.append && o.reuse_cmdline)
		return tool_usage_error("--append and --reuse-cmdline exclude each other");
	if (o.kexec && o.reboot)
		return tool_usage_error("--kexec and --reboot exclude each other");
	if (o.kexec || o.reboot)
		o.freeze = true;
	if (geteuid() != 0) {
		tool_err("must be root: saving kernel state needs CAP_SYS_ADMIN");
		return TOOL_EXIT_PERM;
	}
	if (o.kexec) {
		rc = kexec_load(&o);
		if (rc)
			return rc;
	}
	rc = tool_ctx_new(&ctx);
	if (rc)
		return rc;
	report = json_object_new_object();
	rc = save(ctx, &o, report);
	kstate_ctx_delete(&ctx);
	if (rc) {
		if (o.kexec) {
			kexec_unload();
			tool_err("the loaded kernel was unloaded: not rebooting");
		}
		json_object_put(report);
		return rc;
	}
	tool_json_add_str(report, "then", o.kexec ? "kexec" : o.reboot ? "reboot" : "none");
	if (o.json) {
		tool_json_print(&report);
	} else {
		struct json_object *g, *n, *t;

		json_object_object_get_ex(report, "generation", &g);
		json_object_object_get_ex(report, "clients_saved", &n);
		json_object_object_get_ex(report, "save_us", &t);
		printf("saved %s kernel client(s) into generation %s of %s in %.1f ms%s\n",
		       json_object_get_string(n), json_object_get_string(g),
		       tool_store_path(o.store), json_object_get_int64(t) / 1000.0,
		       o.kexec ? "; executing the new kernel" :
		       o.reboot ? "; rebooting" :
		       o.freeze ? "; the clients stay frozen until the reboot ('kstate thaw' "
		       "cancels)" : "");
		json_object_put(report);
	}
	fflush(NULL);
	if (!o.kexec && !o.reboot)
		return TOOL_EXIT_OK;
	sync();
	rc = reboot(o.kexec ? LINUX_REBOOT_CMD_KEXEC : RB_AUTOBOOT);
	tool_err("%s failed: %s (the state is saved; save again before rebooting by hand)",
		 o.kexec ? "kexec" : "reboot", strerror(errno));
	thaw_again();
	return TOOL_EXIT_FAILURE;
}
