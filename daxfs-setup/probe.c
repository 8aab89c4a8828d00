// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * probe.c - see probe.h.  libblkid does the work: blkid_do_safeprobe() for a decisive
 * answer (it refuses to name one type when signatures disagree), blkid_do_probe() in a
 * loop for every signature there is, as wipefs lists them.
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

static void append(char *buf, size_t len, const char *text)
{
	size_t n = strlen(buf);

	if (strstr(buf, text))
		return;
	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", text);
}

static blkid_probe probe_new(const char *path, bool partitions)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);

	if (!pr)
		return NULL;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
					  BLKID_SUBLKS_UUID | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, partitions);
	if (partitions)
		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	return pr;
}

/* Namespace info blocks (ndctl's format): 16-byte signatures 4 KiB into the device. */
static const char *nd_info_block(const char *path)
{
	static const struct {
		const char *sig;
		const char *what;
	} sigs[] = {
		{ "NVDIMM_PFN_INFO", "an fsdax info block" },
		{ "NVDIMM_DAX_INFO", "a devdax info block" },
		{ "BTT_ARENA_INFO", "a sector-mode (BTT) info block" },
	};
	char buf[16];
	size_t i;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = pread(fd, buf, sizeof(buf), 4096);
	close(fd);
	for (i = 0; n == (ssize_t)sizeof(buf) && i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (memcmp(buf, sigs[i].sig, strlen(sigs[i].sig)) == 0)
			return sigs[i].what;
	return NULL;
}

int probe_content(const char *path, char *what, size_t len)
{
	blkid_probe pr;
	const char *v, *nd;
	int rc, found = 0;

	what[0] = '\0';
	pr = probe_new(path, true);
	if (!pr)
		return -errno ? -errno : -EIO;
	/* Every signature, one by one ("probe all"). */
	while ((rc = blkid_do_probe(pr)) == 0) {
		found = 1;
		if (blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) == 0) {
			char pt[64];

			snprintf(pt, sizeof(pt), "a %s partition table", v);
			append(what, len, pt);
		} else if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0) {
			append(what, len, v);
		}
	}
	blkid_free_probe(pr);
	if (rc < 0 && !found)
		return -EIO;
	/* The decisive answer: ambivalent or unreadable counts as "holds something". */
	pr = probe_new(path, true);
	if (!pr)
		return -EIO;
	rc = blkid_do_safeprobe(pr);
	blkid_free_probe(pr);
	if (rc == -2 || rc == 0)
		found = 1;
	if (rc == -2)
		append(what, len, "several signatures that disagree");
	else if (rc == -1)
		return -EIO;
	nd = nd_info_block(path);
	if (nd) {
		append(what, len, nd);
		found = 1;
	}
	return found;
}

int probe_fstype(const char *path, char *type, size_t len)
{
	blkid_probe pr = probe_new(path, false);
	const char *v;
	int rc;

	type[0] = '\0';
	if (!pr)
		return -EIO;
	rc = blkid_do_safeprobe(pr);
	if (rc == 0 && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
		snprintf(type, len, "%s", v);
	blkid_free_probe(pr);
	return rc == -2 ? 1 : rc == -1 ? -EIO : 0;
}

int probe_fs_uuid(const char *path, char *uuid, size_t len)
{
	blkid_probe pr = probe_new(path, false);
	const char *v;
	int rc;

	uuid[0] = '\0';
	if (!pr)
		return -EIO;
	rc = blkid_do_safeprobe(pr);
	if (rc == 0 && blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0)
		snprintf(uuid, len, "%s", v);
	blkid_free_probe(pr);
	return rc < 0 ? -EIO : uuid[0] ? 0 : -ENOENT;
}
