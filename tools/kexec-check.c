// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kexec-check.c - see kexec-check.h.
 *
 * The store lives in a filesystem; the filesystem on a block device; for persistent
 * memory that device belongs to an nd region, whose bus provider says whether the
 * kernel command line created it (e820: memmap=SIZE!START) or the firmware did (NFIT).
 * A memmap= region survives a kexec only if the next kernel reserves the same range:
 * without it the range is ordinary RAM the next kernel hands out, and the store is
 * overwritten.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libkmod.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kexec-check.h"

static int whyf(char *why, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int whyf(char *why, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return rc;
}

static int read_word(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX + 64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int read_u64(const char *dir, const char *name, uint64_t *v)
{
	char buf[64];
	int rc = read_word(dir, name, buf, sizeof(buf));

	if (rc)
		return rc;
	errno = 0;
	*v = strtoull(buf, NULL, 0);
	return errno ? -errno : 0;
}

int backing_find(const char *sysfs, const char *path, struct backing *b, char *why,
		 size_t len)
{
	char link[PATH_MAX], real[PATH_MAX], *p, *region = NULL, *bus = NULL, *dev;
	char provider[64] = "";
	struct stat st;
	int rc;

	memset(b, 0, sizeof(*b));
	if (stat(path, &st))
		return whyf(why, len, -errno, "%s: %s", path, strerror(errno));
	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", sysfs, major(st.st_dev),
		 minor(st.st_dev));
	if (!realpath(link, real))
		return 0;	/* not on a block device (tmpfs, nfs, ...): nothing to keep */
	dev = strrchr(real, '/');
	snprintf(b->device, sizeof(b->device), "%.63s", dev ? dev + 1 : real);
	/* .../ndbusN/regionM/{namespace,pfn,dax}X.Y/block/pmemZ */
	for (p = strtok(real, "/"); p; p = strtok(NULL, "/")) {
		if (strncmp(p, "ndbus", 5) == 0)
			bus = p;
		else if (strncmp(p, "region", 6) == 0 && bus && !region)
			region = p;
	}
	if (!region)
		return 0;	/* a disk: survives any reboot by itself */
	snprintf(b->region, sizeof(b->region), "%.31s", region);
	/* strtok cut the path into words; rebuild the region's directory. */
	if (!realpath(link, real))
		return whyf(why, len, -errno, "%s: %s", link, strerror(errno));
	{
		char comp[sizeof(b->region) + 2];

		snprintf(comp, sizeof(comp), "/%s/", b->region);
		p = strstr(real, comp);
		if (!p)
			return whyf(why, len, -EINVAL, "%s: no %s in it", real, b->region);
		p[strlen(comp) - 1] = '\0';
	}
	rc = read_u64(real, "resource", &b->start);
	if (!rc)
		rc = read_u64(real, "size", &b->size);
	if (rc)
		return whyf(why, len, rc, "%s: cannot read its range: %s", real, strerror(-rc));
	*strrchr(real, '/') = '\0';	/* the bus */
	read_word(real, "provider", provider, sizeof(provider));
	b->kind = strcmp(provider, "e820") == 0 ? BACKING_MEMMAP : BACKING_NVDIMM;
	return 0;
}

int kernel_image_release(const char *image, char *release, size_t len, char *why,
			 size_t whylen)
{
	unsigned char hdr[0x210];
	char text[128];
	unsigned int off;
	ssize_t n;
	int fd;

	fd = open(image, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return whyf(why, whylen, -errno, "%s: %s", image, strerror(errno));
	n = pread(fd, hdr, sizeof(hdr), 0);
	/* x86 boot protocol: "HdrS" at 0x202, kernel_version (offset - 0x200) at 0x20e. */
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4)) {
		close(fd);
		return whyf(why, whylen, -ENOEXEC, "%s: not an x86 bzImage: cannot tell which "
			    "kernel release it is", image);
	}
	off = (unsigned int)(hdr[0x20e] | hdr[0x20f] << 8) + 0x200;
	n = off > 0x200 ? pread(fd, text, sizeof(text) - 1, off) : -1;
	close(fd);
	if (n <= 0)
		return whyf(why, whylen, -ENOEXEC, "%s: no kernel version string in its "
			    "header", image);
	text[n] = '\0';
	text[strcspn(text, " ")] = '\0';
	if (!text[0] || strlen(text) >= len)
		return whyf(why, whylen, -ENOEXEC, "%s: unreadable kernel version", image);
	snprintf(release, len, "%s", text);
	return 0;
}

static char found_module[PATH_MAX];

static int find_kstate_ko(const char *path, const struct stat *st, int type, struct FTW *f)
{
	static const char *const names[] = { "kstate.ko", "kstate.ko.xz", "kstate.ko.zst",
					     "kstate.ko.gz" };
	size_t i;

	(void)st;
	if (type != FTW_F)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(path + f->base, names[i]) == 0) {
			snprintf(found_module, sizeof(found_module), "%s", path);
			return 1;
		}
	return 0;
}

/* A feature mask as the module's __stringify() spells it: "0x00000001U". */
static int modinfo_mask(const char *value, uint32_t *mask)
{
	unsigned long long m;
	char *end;

	errno = 0;
	m = strtoull(value, &end, 16);
	if (errno || end == value || m > UINT32_MAX || (*end && strcmp(end, "U")))
		return -EINVAL;
	*mask = (uint32_t)m;
	return 0;
}

int module_format(const char *moddir, const char *release, char *path, size_t pathlen,
		  struct format_version *v, char *why, size_t whylen)
{
	static const char *const no_config[] = { NULL };
	char tree[PATH_MAX];
	struct kmod_ctx *kmod;
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	int rc;

	snprintf(tree, sizeof(tree), "%s/%s", moddir, release);
	found_module[0] = '\0';
	rc = nftw(tree, find_kstate_ko, 16, FTW_PHYS);
	if (rc < 0)
		return whyf(why, whylen, -ENOENT, "%s: no module tree for kernel %s", tree,
			    release);
	if (!found_module[0])
		return whyf(why, whylen, -ENOENT, "%s has no kstate module: kernel %s could not "
			    "restore the store (build and install kmod-kstate for it, e.g. with "
			    "dkms)", tree, release);
	snprintf(path, pathlen, "%s", found_module);
	kmod = kmod_new(tree, no_config);
	if (!kmod)
		return whyf(why, whylen, -ENOMEM, "libkmod: out of memory");
	rc = kmod_module_new_from_path(kmod, found_module, &mod);
	if (!rc)
		rc = kmod_module_get_info(mod, &info);
	if (rc < 0) {
		rc = whyf(why, whylen, rc, "%s: cannot read its modinfo: %s", found_module,
			  strerror(-rc));
		goto out;
	}
	/*
	 * Modules from before the declarations read format 1.0, the only one there was,
	 * and no incompatible feature (the first, the manifest's region CRC, came with them).
	 */
	memset(v, 0, sizeof(*v));
	v->major = 1;
	rc = 0;
	for (l = info; l && !rc; l = kmod_list_next(info, l)) {
		const char *key = kmod_module_info_get_key(l);
		const char *value = kmod_module_info_get_value(l);

		if (strcmp(key, "kstate_format") == 0) {
			if (sscanf(value, "%u.%u", &v->major, &v->minor) != 2)
				rc = -EINVAL;
		} else if (strcmp(key, "kstate_incompat_store") == 0) {
			rc = modinfo_mask(value, &v->incompat_store);
		} else if (strcmp(key, "kstate_incompat_manifest") == 0) {
			rc = modinfo_mask(value, &v->incompat_manifest);
		} else if (strcmp(key, "kstate_incompat_file") == 0) {
			rc = modinfo_mask(value, &v->incompat_file);
		} else {
			continue;
		}
		if (rc)
			rc = whyf(why, whylen, -EINVAL, "%s: unreadable %s '%s'", found_module,
				  key, value);
	}
out:
	kmod_module_info_free_list(info);
	kmod_module_unref(mod);
	kmod_unref(kmod);
	return rc;
}
