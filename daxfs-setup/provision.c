// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * daxfs-setup provision and status: an fsdax namespace (pmem.c), a filesystem made
 * for DAX (mkfs), mounted with dax=always (mount), checked with statx, and kept across
 * reboots in /etc/fstab or a systemd mount unit.  Every step first looks at what is
 * there, so running it again changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daxfs-setup.h"
#include "common.h"
#include "mounts.h"
#include "msg.h"
#include "pmem.h"
#include "probe.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000	/* linux/stat.h since 5.8 */
#endif

#define STORE_MARKER "kstate.store"
#define DEFAULT_MOUNT "/var/lib/kstate"

extern char **environ;

/* statx says whether @path is DAX: 1 yes, 0 no, -errno if it cannot tell. */
static int file_is_dax(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx))
		return -errno;
	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX))
		return -EOPNOTSUPP;
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

/* Write a new file in @dir and ask statx whether it is DAX. */
static int verify_dax(const char *dir)
{
	char path[PATH_MAX], buf[4096] = { 0 };
	int fd, rc;

	snprintf(path, sizeof(path), "%s/.daxfs-setup-check.%d", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) && !fsync(fd) ? 0 : -errno;
	close(fd);
	if (!rc)
		rc = file_is_dax(path);
	unlink(path);
	return rc;
}

/*
 * Whether the filesystem on @dev (not mounted) holds a store.  The look changes
 * nothing on the device: read-only, and without replaying a journal (ext4 "noload",
 * xfs "norecovery"), which a read-only mount would otherwise do.
 */
static bool holds_store(const char *dev, const char *fstype)
{
	char tmp[] = "/run/daxfs-setup.XXXXXX", marker[64];
	const char *opts = !strcmp(fstype, "xfs") ? "norecovery" :
			   !strncmp(fstype, "ext", 3) ? "noload" : NULL;
	bool found = false;

	if (!opts)
		return true;	/* a filesystem we do not know: assume it does */
	if (!mkdtemp(tmp))
		return true;	/* cannot look: assume it does */
	if (mount(dev, tmp, fstype, MS_RDONLY | MS_NOEXEC | MS_NOSUID | MS_NODEV, opts)) {
		rmdir(tmp);
		return true;
	}
	snprintf(marker, sizeof(marker), "%s/%s", tmp, STORE_MARKER);
	found = access(marker, F_OK) == 0;
	umount(tmp);
	rmdir(tmp);
	return found;
}

/* ---------------------------------------------------------------------------------- */
/* Keeping the mount across reboots */

/* systemd-escape --path: "/var/lib/kstate" -> "var-lib-kstate". */
static void unit_name(const char *dir, char *out, size_t len)
{
	size_t o = 0;
	const char *p = dir;

	while (*p == '/')
		p++;
	for (; *p && o + 5 < len; p++) {
		if (*p == '/') {
			if (p[1] && p[1] != '/')
				out[o++] = '-';
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || *p == '_' || (*p == '.' && o)) {
			out[o++] = *p;
		} else {
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", (unsigned char)*p);
		}
	}
	snprintf(out + o, len - o, ".mount");
}

/* Replace @file with @text (keeping a backup) unless it already says that. */
static int write_if_changed(const char *file, const char *text, bool dry_run, bool *changed)
{
	char *old = NULL, tmp[PATH_MAX], bak[PATH_MAX];
	size_t len = 0;
	FILE *f = fopen(file, "re");
	int fd, rc = 0;

	if (f) {
		old = calloc(1, 1 << 20);
		len = old ? fread(old, 1, (1 << 20) - 1, f) : 0;
		fclose(f);
	}
	*changed = !old || strcmp(old, text) != 0;
	if (!*changed || dry_run)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.daxfs-setup.tmp", file);
	snprintf(bak, sizeof(bak), "%s.daxfs-setup.bak", file);
	if (old) {
		fd = open(bak, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, old, len) != (ssize_t)len || fsync(fd))
			rc = -errno;
		if (fd >= 0)
			close(fd);
		if (rc)
			goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd))
		rc = -errno;
	if (fd >= 0)
		close(fd);
	if (!rc && rename(tmp, file))
		rc = -errno;
	if (rc)
		unlink(tmp);
out:
	free(old);
	return rc;
}

/* The fstab with one line for @dir: ours replaces any other line for @dir. */
static int fstab_update(const char *fstab, const char *line, const char *dir, bool dry_run,
			bool *changed)
{
	char *text = NULL, buf[4096];
	size_t len = 0;
	FILE *in = fopen(fstab, "re"), *out = open_memstream(&text, &len);
	bool placed = false;
	int rc;

	if (!out) {
		if (in)
			fclose(in);
		return -ENOMEM;
	}
	while (in && fgets(buf, sizeof(buf), in)) {
		char spec[1024], mp[PATH_MAX];

		if (buf[0] != '#' && sscanf(buf, "%1023s %4095s", spec, mp) == 2 &&
		    strcmp(mp, dir) == 0) {
			if (!placed)
				fprintf(out, "%s\n", line);
			placed = true;
			continue;
		}
		fputs(buf, out);
	}
	if (in)
		fclose(in);
	if (!placed)
		fprintf(out, "%s\n", line);
	fclose(out);
	rc = write_if_changed(fstab, text, dry_run, changed);
	free(text);
	return rc;
}

/* ---------------------------------------------------------------------------------- */

struct provision {
	const char *fs;
	const char *dir;
	const char *name;
	const char *fstab;
	const char *unit_dir;
	unsigned int flags;
	bool force;
	bool dry_run;
	bool json;
	/* results */
	char ns[32];
	char bdev[40];
	char fs_found[32];
	bool ns_changed, formatted, mounted, persisted, enabled;
	int dax;
	char persist_file[PATH_MAX + 300];
};

static int step(struct provision *p, const char *what, char *argv[])
{
	int rc;

	if (p->dry_run) {
		print_cmd("would run: ", argv);
		return 0;
	}
	if (!p->json)
		print_cmd("running: ", argv);
	rc = tool_run(argv, p->json);
	if (rc == -ENOENT)
		return error(EXIT_FAIL, "%s: %s not found; install it (e2fsprogs, xfsprogs, "
			     "util-linux)", what, argv[0]);
	if (rc)
		return error(EXIT_FAIL, "%s failed (exit %d): %s", what, rc, p->bdev);
	return 0;
}

static int do_mkfs(struct provision *p)
{
	/* 4 KiB blocks (DAX needs page-sized blocks); 2 MiB stripes (ext4) or a 2 MiB
	 * inherited extent size hint (xfs; su=2m breaks small logs) so that files get
	 * 2 MiB-aligned extents, which fsdax maps with huge pages. No reflink on xfs:
	 * it disables DAX and bmap(). */
	char *ext4[] = { "mkfs.ext4", "-F", "-q", "-b", "4096", "-m", "0",
			 "-E", "stride=512,stripe_width=512", "-L", "kstate", p->bdev, NULL };
	char *xfs[] = { "mkfs.xfs", "-f", "-q", "-b", "size=4096", "-m", "reflink=0",
			"-d", "extszinherit=512", "-L", "kstate", p->bdev, NULL };

	p->formatted = true;
	return step(p, "mkfs", strcmp(p->fs, "xfs") ? ext4 : xfs);
}

static int do_mount(struct provision *p)
{
	char *argv[] = { "mount", "-t", (char *)p->fs, "-o", "dax=always", p->bdev,
			 (char *)p->dir, NULL };

	if (!p->dry_run && mkdir(p->dir, 0755) && errno != EEXIST)
		return error(EXIT_FAIL, "cannot create mount point %s: %s", p->dir,
			     strerror(errno));
	p->mounted = true;
	return step(p, "mount", argv);
}

/*
 * A mount unit written but not enabled is not mounted at the next boot: enable it
 * (after daemon-reload, so systemd reads the new file) when systemd runs this machine.
 */
static int enable_unit(struct provision *p, char *unit)
{
	char *reload[] = { "systemctl", "daemon-reload", NULL };
	char *enable[] = { "systemctl", "enable", unit, NULL };
	struct stat st;
	int rc;

	if (lstat("/run/systemd/system/", &st) || !S_ISDIR(st.st_mode)) {
		if (!p->json)
			printf("systemd does not run here: enable %s where it does (systemctl "
			       "enable %s)\n", p->persist_file, unit);
		return 0;
	}
	if (p->dry_run) {
		print_cmd("would run: ", reload);
		print_cmd("would run: ", enable);
		return 0;
	}
	rc = tool_run(reload, true);
	if (!rc)
		rc = tool_run(enable, true);
	if (rc)
		return error(EXIT_FAIL, "%s is written but could not be enabled (systemctl: "
			     "%d): run 'systemctl daemon-reload && systemctl enable %s'",
			     p->persist_file, rc, unit);
	p->enabled = true;
	if (!p->json)
		printf("enabled %s\n", unit);
	return 0;
}

static int persist(struct provision *p)
{
	char uuid[64] = "", line[PATH_MAX + 256], unit[256], text[PATH_MAX * 2];
	int rc;

	if (!p->dry_run && probe_fs_uuid(p->bdev, uuid, sizeof(uuid)))
		return error(EXIT_FAIL, "%s: libblkid found no filesystem UUID", p->bdev);
	if (!uuid[0])
		snprintf(uuid, sizeof(uuid), "<uuid of %s>", p->bdev);
	if (p->unit_dir) {
		unit_name(p->dir, unit, sizeof(unit));
		snprintf(p->persist_file, sizeof(p->persist_file), "%s/%s", p->unit_dir, unit);
		snprintf(text, sizeof(text),
			 "# Written by daxfs-setup: the kstate store (DAX persistent memory).\n"
			 "[Unit]\nDescription=kstate store on persistent memory\n"
			 "Before=local-fs.target\n\n"
			 "[Mount]\nWhat=/dev/disk/by-uuid/%s\nWhere=%s\nType=%s\n"
			 "Options=dax=always\n\n[Install]\nWantedBy=local-fs.target\n",
			 uuid, p->dir, p->fs);
		rc = write_if_changed(p->persist_file, text, p->dry_run, &p->persisted);
	} else {
		snprintf(p->persist_file, sizeof(p->persist_file), "%s", p->fstab);
		snprintf(line, sizeof(line), "UUID=%s %s %s dax=always,nofail 0 0", uuid, p->dir,
			 p->fs);
		rc = fstab_update(p->fstab, line, p->dir, p->dry_run, &p->persisted);
	}
	if (rc)
		return error(EXIT_FAIL, "cannot write %s: %s", p->persist_file, strerror(-rc));
	if (p->persisted && !p->json)
		printf("%s %s\n", p->dry_run ? "would write" : "wrote", p->persist_file);
	return p->unit_dir ? enable_unit(p, unit) : 0;
}

static int provision_fs(struct provision *p)
{
	char have[32], what[256];
	struct mount_info m;
	int rc;

	rc = mount_find(p->bdev, &m);
	if (rc)
		return error(EXIT_FAIL, "cannot read the mount table: %s", strerror(-rc));
	if (m.found) {
		if (strcmp(m.dir, p->dir))
			return error(EXIT_REFUSED, "%s is already mounted at %s, not %s: use "
				     "--mount %s, or unmount it first", p->bdev, m.dir, p->dir,
				     m.dir);
		if (!m.dax_always)
			return error(EXIT_REFUSED, "%s is mounted at %s without dax=always: "
				     "unmount it and run provision again", p->bdev, m.dir);
		snprintf(p->fs_found, sizeof(p->fs_found), "%s", m.fstype);
		p->fs = p->fs_found;
		return 0;
	}
	/* A namespace converted by this dry run does not exist yet: it would be empty. */
	rc = p->dry_run && p->ns_changed ? 0 : probe_content(p->bdev, what, sizeof(what));
	if (rc < 0)
		return error(EXIT_FAIL, "%s: cannot read it: %s", p->bdev, strerror(-rc));
	if (rc == 0) {
		rc = do_mkfs(p);
	} else if (probe_fstype(p->bdev, have, sizeof(have)) == 0 && !p->force &&
		   strcmp(have, p->fs) == 0) {
		rc = 0;				/* made before: keep it and its files */
	} else if (!p->force) {
		return error(EXIT_REFUSED, "%s holds %s%s, not a %s filesystem: formatting "
			     "destroys it; %s%s%s--force to format", p->bdev, what,
			     have[0] && holds_store(p->bdev, have) ? " with a kstate store" : "",
			     p->fs, have[0] ? "use --fs " : "", have[0] ? have : "",
			     have[0] ? " to keep it, or " : "");
	} else {
		if (have[0] && holds_store(p->bdev, have))
			fprintf(stderr, "%s: warning: --force: formatting %s destroys the kstate "
				"store on it\n", prog, p->bdev);
		rc = do_mkfs(p);
	}
	if (!rc)
		rc = do_mount(p);
	return rc;
}

int cmd_provision(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fs", required_argument, NULL, 't' },
		{ "mount", required_argument, NULL, 'm' },
		{ "namespace", required_argument, NULL, 'N' },
		{ "map", required_argument, NULL, 'M' },
		{ "fstab", required_argument, NULL, 'F' },
		{ "mount-unit", optional_argument, NULL, 'U' },
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct provision p = { .fs = "ext4", .dir = DEFAULT_MOUNT, .fstab = "/etc/fstab" };
	struct pmem *pmem = NULL;
	unsigned int idx = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "t:m:N:M:F:U::fnjh", longopts, NULL)) != -1) {
		switch (c) {
		case 't': p.fs = optarg; break;
		case 'm': p.dir = optarg; break;
		case 'N': p.name = optarg; break;
		case 'M':
			if (!strcmp(optarg, "dev"))
				p.flags |= PMEM_MAP_DEVICE;
			else if (!strcmp(optarg, "mem"))
				p.flags |= PMEM_MAP_MEMORY;
			else
				return usage_error("--map: 'dev' or 'mem', not '%s'", optarg);
			break;
		case 'F': p.fstab = optarg; break;
		case 'U': p.unit_dir = optarg ? optarg : "/etc/systemd/system"; break;
		case 'f': p.force = true; break;
		case 'n': p.dry_run = true; break;
		case 'j': p.json = true; break;
		case 'h': return usage(stdout, EXIT_OK);
		default: return usage_error("provision: bad option");
		}
	}
	if (optind < argc)
		return usage_error("provision: unexpected argument '%s'", argv[optind]);
	if (strcmp(p.fs, "ext4") && strcmp(p.fs, "xfs"))
		return usage_error("--fs: ext4 or xfs, not '%s'", p.fs);
	if (p.dir[0] != '/')
		return usage_error("--mount: '%s' is not an absolute path", p.dir);
	if (p.force)
		p.flags |= PMEM_FORCE;
	if (p.dry_run)
		p.flags |= PMEM_DRY_RUN;

	rc = pmem_new(&pmem);
	if (!rc)
		rc = pmem_provision(pmem, p.name, p.flags, &idx);
	if (rc < 0) {
		rc = error(rc == -EBUSY || rc == -EEXIST || rc == -EINVAL || rc == -ENODEV ||
			   rc == -ENOENT ? EXIT_REFUSED : EXIT_FAIL, "%s", setup_errormsg());
		goto out;
	}
	p.ns_changed = rc == 1;
	snprintf(p.ns, sizeof(p.ns), "%s", pmem_namespace_name(pmem, idx));
	snprintf(p.bdev, sizeof(p.bdev), "/dev/%s", pmem_namespace_blockdev(pmem, idx));
	if (!p.json)
		printf("%s: %s fsdax mode (%s)\n", p.ns, !p.ns_changed ? "already in" :
		       p.dry_run ? "would be put in" : "put in", p.bdev);
	rc = provision_fs(&p);
	if (!rc && !p.dry_run) {
		p.dax = verify_dax(p.dir);
		if (p.dax != 1)
			rc = error(EXIT_FAIL, "%s is mounted at %s but a new file there is not DAX "
				   "(statx: %s); check dmesg for why the kernel refused DAX",
				   p.bdev, p.dir, p.dax == 0 ? "no DAX attribute" :
				   strerror(-p.dax));
	}
	if (!rc)
		rc = persist(&p);
	if (!rc && p.json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "namespace", json_object_new_string(p.ns));
		json_object_object_add(j, "blockdev", json_object_new_string(p.bdev));
		json_object_object_add(j, "fs", json_object_new_string(p.fs));
		json_object_object_add(j, "mount", json_object_new_string(p.dir));
		json_object_object_add(j, "dax_verified", json_object_new_boolean(p.dax == 1));
		json_object_object_add(j, "persisted_in", json_object_new_string(p.persist_file));
		json_object_object_add(j, "unit_enabled", json_object_new_boolean(p.enabled));
		json_object_object_add(j, "dry_run", json_object_new_boolean(p.dry_run));
		json_object_object_add(j, "changed_namespace",
				       json_object_new_boolean(p.ns_changed));
		json_object_object_add(j, "formatted", json_object_new_boolean(p.formatted));
		json_object_object_add(j, "mounted", json_object_new_boolean(p.mounted));
		json_object_object_add(j, "changed_persistence",
				       json_object_new_boolean(p.persisted));
		json_print(j);
	} else if (!rc && !p.dry_run) {
		printf("%s: %s on %s, DAX verified%s\n", p.dir, p.fs, p.bdev,
		       p.ns_changed || p.formatted || p.mounted || p.persisted ? "" :
		       "; nothing changed");
	}
out:
	pmem_delete(&pmem);
	return rc;
}

/* ---------------------------------------------------------------------------------- */

static uint64_t meminfo_total(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *j, *regions, *nss;
	struct pmem *pmem = NULL;
	uint64_t lent = 0;
	bool json = false;
	unsigned int i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': return usage(stdout, EXIT_OK);
		default: return usage_error("status: bad option");
		}
	}
	if (optind < argc)
		return usage_error("status: unexpected argument '%s'", argv[optind]);
	rc = pmem_new(&pmem);
	if (rc) {
		rc = error(EXIT_FAIL, "%s", setup_errormsg());
		goto out;
	}
	j = json_object_new_object();
	regions = json_object_new_array();
	nss = json_object_new_array();
	for (i = 0; i < pmem_region_count(pmem); i++) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "region",
				       json_object_new_string(pmem_region_name(pmem, i)));
		json_object_object_add(r, "type", json_object_new_string(
			pmem_region_is_legacy(pmem, i) ? "memmap" : "nfit"));
		json_object_object_add(r, "size",
				       json_object_new_uint64(pmem_region_size(pmem, i)));
		json_object_object_add(r, "available", json_object_new_uint64(
			pmem_region_available(pmem, i)));
		json_object_array_add(regions, r);
		if (!json)
			printf("%s (%s): %.1f MiB, %.1f MiB not in a namespace\n",
			       pmem_region_name(pmem, i),
			       pmem_region_is_legacy(pmem, i) ? "memmap" : "nfit",
			       pmem_region_size(pmem, i) / 1048576.0,
			       pmem_region_available(pmem, i) / 1048576.0);
	}
	for (i = 0; i < pmem_namespace_count(pmem); i++) {
		struct json_object *n = json_object_new_object();
		const char *bdev = pmem_namespace_blockdev(pmem, i);
		const char *cdev = pmem_namespace_chardev(pmem, i);
		struct mount_info m = { 0 };
		int dax = -ENOENT;

		lent += pmem_namespace_lent(pmem, i);
		json_object_object_add(n, "namespace", json_object_new_string(
			pmem_namespace_name(pmem, i)));
		json_object_object_add(n, "region", json_object_new_string(
			pmem_namespace_region(pmem, i)));
		json_object_object_add(n, "mode", json_object_new_string(
			pmem_namespace_mode(pmem, i)));
		json_object_object_add(n, "size", json_object_new_uint64(
			pmem_namespace_size(pmem, i)));
		if (bdev[0])
			json_object_object_add(n, "blockdev", json_object_new_string(bdev));
		if (cdev[0])
			json_object_object_add(n, "chardev", json_object_new_string(cdev));
		json_object_object_add(n, "lent_as_ram", json_object_new_uint64(
			pmem_namespace_lent(pmem, i)));
		if (bdev[0])
			mount_find(bdev, &m);
		if (m.found) {
			struct statvfs sv;
			char marker[PATH_MAX + 32];

			snprintf(marker, sizeof(marker), "%s/%s", m.dir, STORE_MARKER);
			dax = file_is_dax(marker);
			json_object_object_add(n, "mount", json_object_new_string(m.dir));
			json_object_object_add(n, "fs", json_object_new_string(m.fstype));
			json_object_object_add(n, "dax_always",
					       json_object_new_boolean(m.dax_always));
			json_object_object_add(n, "store", json_object_new_boolean(dax != -ENOENT));
			if (dax >= 0)
				json_object_object_add(n, "dax_verified",
						       json_object_new_boolean(dax == 1));
			if (!statvfs(m.dir, &sv)) {
				json_object_object_add(n, "bytes_total", json_object_new_uint64(
					(uint64_t)sv.f_blocks * sv.f_frsize));
				json_object_object_add(n, "bytes_free", json_object_new_uint64(
					(uint64_t)sv.f_bavail * sv.f_frsize));
			}
		}
		json_object_array_add(nss, n);
		if (!json) {
			printf("%s: %s, %.1f MiB%s%s%s%s", pmem_namespace_name(pmem, i),
			       pmem_namespace_mode(pmem, i),
			       pmem_namespace_size(pmem, i) / 1048576.0,
			       bdev[0] ? ", /dev/" : "", bdev, cdev[0] ? ", /dev/" : "", cdev);
			if (pmem_namespace_lent(pmem, i))
				printf(", %.1f MiB lent as RAM",
				       pmem_namespace_lent(pmem, i) / 1048576.0);
			if (m.found)
				printf(", mounted at %s (%s%s), %s", m.dir, m.fstype,
				       m.dax_always ? ", dax=always" : ", NOT dax=always",
				       dax == 1 ? "store is DAX" : dax == 0 ? "store is NOT DAX" :
				       dax == -ENOENT ? "no store yet" : "DAX unknown");
			putchar('\n');
		}
	}
	json_object_object_add(j, "regions", regions);
	json_object_object_add(j, "namespaces", nss);
	json_object_object_add(j, "lent_as_ram", json_object_new_uint64(lent));
	json_object_object_add(j, "mem_total", json_object_new_uint64(meminfo_total()));
	if (json)
		json_print(j);
	else {
		if (!pmem_region_count(pmem))
			printf("no persistent memory (see '%s plan')\n", prog);
		printf("lent as RAM: %.1f MiB; MemTotal: %.1f MiB\n", lent / 1048576.0,
		       meminfo_total() / 1048576.0);
		json_object_put(j);
	}
out:
	pmem_delete(&pmem);
	return rc;
}
