// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate-save - save every kernel client into a new sealed generation of the store,
 * then optionally kexec into a new kernel or reboot through firmware.
 * See docs/man/kstate-save.8.scd.
 *
 * Order matters.  Before anything is loaded or saved, the kexec is checked: the new
 * command line (the running one unless told otherwise) must keep the reservation the
 * store lives on, and the new kernel's module tree must have a kstate module that
 * reads the store's format; otherwise the next kernel would boot over the store or
 * could not restore it.  Then the new kernel is loaded (kexec_file_load), so a kernel
 * that cannot be loaded stops the update while nothing has changed.
 *
 * Under systemd the save is not made here: "systemctl kexec" (or reboot) stops the
 * services first, and kstate-save.service saves once, after them, as the system goes
 * down; saving here too would seal a state the services go on changing.  Without
 * systemd the save is made here and the kernel executed only once the generation is
 * sealed and durable.  A failed save never reboots: the loaded kernel is unloaded and
 * the reason printed.
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
#include <kstate/format.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "kexec-check.h"

#define OPT_KEXEC		0x200
#define OPT_INITRD		0x201
#define OPT_APPEND		0x202
#define OPT_REUSE_CMDLINE	0x203
#define OPT_REBOOT		0x204
#define OPT_APPEND_EXTRA	0x205
#define OPT_FORCE		0x206
#define OPT_SYSTEMD		0x207
#define OPT_NO_SYSTEMD		0x208
#define OPT_MODULES_DIR		0x209
#define OPT_FREEZE		0x20a

#define CMDLINE_MAX		4096

struct save_opts {
	const char *store;
	bool json;
	const char *kexec;
	const char *initrd;
	const char *append;
	const char *append_extra;
	bool reuse_cmdline;
	bool reboot;
	bool freeze;		/* --freeze, or implied by --kexec and --reboot */
	bool force;
	int systemd;		/* -1 auto, 0 no, 1 yes */
	const char *modules_dir;
	char cmdline[CMDLINE_MAX];
};

static void usage(void)
{
	printf("Usage: kstate-save [--store DIR] [--json]\n"
	       "                   [--kexec KERNEL [--initrd FILE]\n"
	       "                    [--append CMDLINE | --reuse-cmdline] [--append-extra ARGS]\n"
	       "                    [--modules-dir DIR] [--force]]\n"
	       "                   [--reboot | --freeze] [--systemd | --no-systemd]\n"
	       "\n"
	       "Save every kernel client registered with the kstate module into a new sealed\n"
	       "generation of the store; then, if asked, kexec into KERNEL or reboot.  Under\n"
	       "systemd, --kexec and --reboot load the kernel and hand over to 'systemctl\n"
	       "kexec' or 'systemctl reboot': the services stop first and kstate-save.service\n"
	       "makes the save after them.\n"
	       "\n"
	       "  --store DIR          the store (default: $KSTATE_STORE, else "
	       TOOL_DEFAULT_STORE ")\n"
	       "  --json               print a JSON report instead of text\n"
	       "  --kexec KERNEL       load KERNEL with kexec_file_load before saving and\n"
	       "                       execute it once the save is durable\n"
	       "  --initrd FILE        initramfs for --kexec\n"
	       "  --append CMDLINE     replace the command line (default: the running one)\n"
	       "  --reuse-cmdline      the running kernel's command line (the default)\n"
	       "  --append-extra ARGS  add ARGS to the command line\n"
	       "  --modules-dir DIR    where KERNEL's module tree is (default /lib/modules)\n"
	       "  --force              kexec even when the new command line lacks the store's\n"
	       "                       reservation or KERNEL has no kstate module for it\n"
	       "  --reboot             reboot through firmware once the save is durable\n"
	       "  --freeze             the final save before a reboot made by someone else:\n"
	       "                       the kernel clients stay frozen until it ('kstate thaw'\n"
	       "                       cancels); implied by --kexec and --reboot\n"
	       "  --systemd            hand over to systemctl even if systemd seems absent\n"
	       "  --no-systemd         save and reboot here even under systemd\n"
	       "  -h, --help           this text\n"
	       "  -V, --version        print the version\n"
	       "\n");
	tool_print_exit_codes(stdout);
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

/* The next kernel's command line: the running one, or --append, plus --append-extra. */
static int build_cmdline(struct save_opts *o)
{
	size_t n;
	int rc;

	if (o->append) {
		if (strlen(o->append) >= sizeof(o->cmdline))
			return tool_usage_error("--append: command line too long");
		snprintf(o->cmdline, sizeof(o->cmdline), "%s", o->append);
	} else {
		rc = read_cmdline(o->cmdline, sizeof(o->cmdline));
		if (rc) {
			tool_err("cannot read /proc/cmdline: %s", strerror(-rc));
			return TOOL_EXIT_FAILURE;
		}
	}
	if (o->append_extra) {
		/* Before a "--": what follows it is init's, not the kernel's. */
		char *init = cmdline_init_args(o->cmdline), *joined;

		n = (size_t)(init - o->cmdline);
		while (n && o->cmdline[n - 1] == ' ')
			n--;
		if (asprintf(&joined, "%.*s%s%s%s%s", (int)n, o->cmdline, n ? " " : "",
			     o->append_extra, *init ? " " : "", init) < 0) {
			tool_err("out of memory");
			return TOOL_EXIT_FAILURE;
		}
		n = strlen(joined);
		if (n >= sizeof(o->cmdline)) {
			free(joined);
			return tool_usage_error("--append-extra: command line too long");
		}
		memcpy(o->cmdline, joined, n + 1);
		free(joined);
	}
	return 0;
}

/* Refuse (exit 5) unless --force: print why and what to do. */
static int refuse(const struct save_opts *o, const char *what, const char *fix)
{
	if (o->force) {
		tool_warn("--force: %s", what);
		return 0;
	}
	tool_err("refusing to kexec: %s; %s, or pass --force; nothing was loaded or saved",
		 what, fix);
	return TOOL_EXIT_REFUSED;
}

static const char *sysfs_root(void)
{
	const char *s = secure_getenv("KSTATE_SYSFS");	/* tests: a sysfs sample */

	return s && *s ? s : "/sys";
}

/* Everything that must hold for the next kernel to find and read the store. */
static int kexec_check(struct save_opts *o)
{
	const char *path = tool_store_path(o->store);
	char why[512], release[128], module[4096], msg[8192];
	struct kstate_ctx *ctx = NULL;
	struct kstate_file *hdr = NULL;
	struct format_version mv;
	struct backing b;
	unsigned int smaj = 0, smin = 0;
	uint32_t compat, ro, incompat = 0;
	int rc;

	if (!o->cmdline[strspn(o->cmdline, " \t")]) {
		rc = refuse(o, "the new kernel's command line is empty (no root=, no memmap=)",
			    "drop --append \"\" to keep the running command line");
		if (rc)
			return rc;
	}
	rc = backing_find(sysfs_root(), path, &b, why, sizeof(why));
	if (rc) {
		tool_err("store %s: %s", path, why);
		return rc == -ENOENT ? TOOL_EXIT_NOTFOUND : TOOL_EXIT_FAILURE;
	}
	if (b.kind == BACKING_MEMMAP && !cmdline_reserves(o->cmdline, b.start, b.size)) {
		snprintf(msg, sizeof(msg), "the store %s is on %s (%s, memmap= range %#" PRIx64
			 "-%#" PRIx64 ") but the new command line does not reserve it: the next "
			 "kernel would use the store's memory as RAM", path, b.device, b.region,
			 b.start, b.start + b.size - 1);
		rc = refuse(o, msg, "keep memmap= in the command line (--append-extra "
			    "'memmap=SIZE!START')");
		if (rc)
			return rc;
	}
	rc = kernel_image_release(o->kexec, release, sizeof(release), why, sizeof(why));
	if (rc == -ENOENT) {
		tool_err("%s", why);
		return TOOL_EXIT_NOTFOUND;
	}
	if (rc)
		return refuse(o, why, "check that KERNEL is a kernel image");
	rc = module_format(o->modules_dir, release, module, sizeof(module), &mv, why,
			   sizeof(why));
	if (rc)
		return refuse(o, why, "install it");
	/* The store header says which format the store is in; its features must be known. */
	rc = kstate_ctx_new(&ctx);
	if (!rc) {
		char hpath[4096];

		snprintf(hpath, sizeof(hpath), "%s/kstate.store", path);
		rc = kstate_file_new(ctx, hpath, &hdr);
	}
	if (rc) {
		tool_err("store %s: %s", path, kstate_errormsg());
		kstate_ctx_delete(&ctx);
		return rc == -ENOENT ? TOOL_EXIT_NOTFOUND : TOOL_EXIT_FAILURE;
	}
	kstate_file_version(hdr, &smaj, &smin);
	kstate_file_features(hdr, &compat, &ro, &incompat);
	kstate_file_delete(&hdr);
	kstate_ctx_delete(&ctx);
	/*
	 * A reader reads its own major version; an incompatible feature needs a reader at
	 * least as new as the minor version that introduced it.  The generation saved now
	 * is written in this library's format.
	 */
	if (mv.major != smaj || mv.major != KSTATE_FORMAT_VERSION_MAJOR ||
	    (incompat && mv.minor < smin)) {
		snprintf(msg, sizeof(msg), "%s reads kstate format %u.%u, the store %s is in "
			 "format %u.%u%s (this kstate-save writes %u.%u): kernel %s could not "
			 "restore it", module, mv.major, mv.minor, path, smaj, smin,
			 incompat ? " with incompatible features" : "",
			 KSTATE_FORMAT_VERSION_MAJOR, KSTATE_FORMAT_VERSION_MINOR, release);
		return refuse(o, msg, "install a kstate module of this version for it");
	}
	/*
	 * The running kernel's module writes the next generation with this build's
	 * features (a manifest with region CRCs, say); a target module that does not know
	 * one would refuse the restore.  Modules and tools come from one build.
	 */
	if ((incompat & ~mv.incompat_store) ||
	    (KSTATE_MANIFEST_INCOMPAT_SUPP & ~mv.incompat_manifest) ||
	    (KSTATE_FILE_INCOMPAT_SUPP & ~mv.incompat_file)) {
		snprintf(msg, sizeof(msg), "%s does not read every incompatible feature this "
			 "kstate writes (store %#x, manifest %#x, file %#x; it reads store %#x, "
			 "manifest %#x, file %#x): kernel %s would refuse to restore the store %s",
			 module, incompat, KSTATE_MANIFEST_INCOMPAT_SUPP, KSTATE_FILE_INCOMPAT_SUPP,
			 mv.incompat_store, mv.incompat_manifest, mv.incompat_file, release, path);
		return refuse(o, msg, "install a kstate module of this version for it");
	}
	return 0;
}

/* kexec_file_load(2): the only form lockdown allows; the kernel checks the image. */
static int kexec_load(const struct save_opts *o)
{
	unsigned long flags = 0;
	int kfd, ifd = -1, rc = 0;

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
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(o->cmdline) + 1, o->cmdline,
		    flags) < 0) {
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
	if (!tool_dev_open(ctx, &dev))
		thaw(dev);
	kstate_dev_delete(&dev);
	kstate_ctx_delete(&ctx);
}

/* sd_booted(): systemd is PID 1 when it has created /run/systemd/system/. */
static bool under_systemd(void)
{
	struct stat st;

	return lstat("/run/systemd/system/", &st) == 0 && S_ISDIR(st.st_mode);
}

static int systemctl(const char *a1, const char *a2, bool quiet)
{
	char *argv[] = { "systemctl", (char *)a1, (char *)a2, NULL };

	return tool_run(argv, quiet);
}

/*
 * Hand the reboot to systemd: the services stop, kstate-save.service saves in its
 * ExecStop, then systemd executes the loaded kernel (or reboots).  Without that unit
 * active nothing would save, so that refuses.  Releases @report.
 */
static int hand_over(const struct save_opts *o, struct json_object *report)
{
	const char *verb = o->kexec ? "kexec" : "reboot";
	int rc;

	rc = systemctl("is-active", "kstate-save.service", true);
	if (rc) {
		tool_err("kstate-save.service is not active, so nothing would save while the "
			 "system goes down: enable it (systemctl enable --now kstate-load.service "
			 "kstate-save.service), or pass --no-systemd to save here; not %s",
			 o->kexec ? "executing the loaded kernel" : "rebooting");
		json_object_put(report);
		return TOOL_EXIT_REFUSED;
	}
	tool_json_add_str(report, "store", tool_store_path(o->store));
	tool_json_add_str(report, "then", verb);
	tool_json_add_str(report, "handed_over", o->kexec ? "systemctl kexec" :
			  "systemctl reboot");
	if (o->json)
		tool_json_print(&report);
	else
		printf("kernel state is saved by kstate-save.service once the services have "
		       "stopped; running systemctl %s\n", verb);
	json_object_put(report);
	fflush(NULL);
	rc = systemctl(verb, NULL, false);
	if (rc) {
		tool_err("systemctl %s failed (%d)%s; nothing was saved by this command",
			 verb, rc, o->kexec ? ": the loaded kernel was unloaded" : "");
		return TOOL_EXIT_FAILURE;
	}
	return TOOL_EXIT_OK;
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
	exit_code = tool_dev_open(ctx, &dev);
	if (exit_code)
		goto out;
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
		{ "append-extra", required_argument, NULL, OPT_APPEND_EXTRA },
		{ "reuse-cmdline", no_argument, NULL, OPT_REUSE_CMDLINE },
		{ "modules-dir", required_argument, NULL, OPT_MODULES_DIR },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "reboot", no_argument, NULL, OPT_REBOOT },
		{ "systemd", no_argument, NULL, OPT_SYSTEMD },
		{ "no-systemd", no_argument, NULL, OPT_NO_SYSTEMD },
		{ "freeze", no_argument, NULL, OPT_FREEZE },
		{ NULL, 0, NULL, 0 },
	};
	struct save_opts o = { .systemd = -1, .modules_dir = "/lib/modules" };
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
		case OPT_APPEND_EXTRA:
			o.append_extra = optarg;
			break;
		case OPT_REUSE_CMDLINE:
			o.reuse_cmdline = true;
			break;
		case OPT_MODULES_DIR:
			o.modules_dir = optarg;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case OPT_REBOOT:
			o.reboot = true;
			break;
		case OPT_SYSTEMD:
			o.systemd = 1;
			break;
		case OPT_NO_SYSTEMD:
			o.systemd = 0;
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
	if ((o.initrd || o.append || o.append_extra || o.reuse_cmdline || o.force) && !o.kexec)
		return tool_usage_error("--initrd, --append, --append-extra, --reuse-cmdline and "
					"--force go with --kexec");
	if (o.append && o.reuse_cmdline)
		return tool_usage_error("--append and --reuse-cmdline exclude each other");
	if (o.kexec && o.reboot)
		return tool_usage_error("--kexec and --reboot exclude each other");
	if (o.kexec || o.reboot)
		o.freeze = true;
	if (o.systemd >= 0 && !o.kexec && !o.reboot)
		return tool_usage_error("--systemd and --no-systemd go with --kexec or --reboot");
	if (geteuid() != 0) {
		tool_err("must be root: saving kernel state needs CAP_SYS_ADMIN");
		return TOOL_EXIT_PERM;
	}
	if (o.systemd < 0)
		o.systemd = under_systemd();
	if (o.kexec) {
		rc = build_cmdline(&o);
		if (!rc)
			rc = kexec_check(&o);
		if (!rc)
			rc = kexec_load(&o);
		if (rc)
			return rc;
	}
	report = json_object_new_object();
	if (o.kexec)
		tool_json_add_str(report, "cmdline", o.cmdline);
	if ((o.kexec || o.reboot) && o.systemd) {
		rc = hand_over(&o, report);
		if (rc && o.kexec)
			kexec_unload();
		return rc;
	}
	rc = tool_ctx_new(&ctx);
	if (rc) {
		json_object_put(report);
		return rc;
	}
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
