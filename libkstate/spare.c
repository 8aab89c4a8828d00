// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Spare files: the blocks of record files gc no longer needs, kept for the next
 * writer instead of being freed.
 *
 * A new file on a DAX filesystem costs more than its bytes: every block is allocated
 * and zeroed before the data is copied in (so it is written twice), and the
 * allocation is journalled.  A record file that gc would delete has blocks that are
 * allocated and written: renamed to a spare name it becomes the next writer's file,
 * which only overwrites them (and maps them, see writer.c).  On a page-cache store the
 * same reuse overwrites cached pages in place instead of allocating new ones.
 *
 * Spares are named KSTATE_SPARE_PREFIX "<slot>" with at most SPARE_SLOTS slots, so the
 * space they hold is bounded by that many old record files.  The names start with
 * KSTATE_TMP_PREFIX: their contents are meaningless, and a library that does not know
 * spares removes them as leftovers of a writer.  A writer takes a spare by renaming it
 * to its own temporary name, so two writers never share one; a crash leaves at worst a
 * temporary file for gc.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "private.h"

/* Enough for every record file of a generation in the common cases. */
#define SPARE_SLOTS 8

static void spare_name(char *buf, size_t len, unsigned int slot)
{
	snprintf(buf, len, KSTATE_SPARE_PREFIX "%u", slot);
}

/* Whether @fname is a spare slot this library uses. */
bool spare_is_spare(const char *fname)
{
	size_t plen = sizeof(KSTATE_SPARE_PREFIX) - 1;

	return strncmp(fname, KSTATE_SPARE_PREFIX, plen) == 0 && fname[plen] >= '0' &&
	       fname[plen] < '0' + SPARE_SLOTS && fname[plen + 1] == '\0';
}

/**
 * spare_take - rename a spare to @tmp and open it for writing
 * @s: the store
 * @tmp: the writer's temporary name
 * @fd: out: the open file, or -1 when there was no usable spare
 * @size: out: its size
 *
 * A spare that is not a plain single-link file (planted by whoever can write the store
 * directory) is removed, never written to.
 *
 * Return: 0 (with or without a spare), or the negative errno of a failed rename or
 * open.
 */
int spare_take(struct kstate_store *s, const char *tmp, int *fd, uint64_t *size)
{
	char name[sizeof(KSTATE_SPARE_PREFIX) + 8];
	unsigned int slot;
	int rc;

	*fd = -1;
	*size = 0;
	for (slot = 0; slot < SPARE_SLOTS; slot++) {
		spare_name(name, sizeof(name), slot);
		rc = kio_renameat(s->dirfd, name, tmp, false);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
		rc = kio_openat(s->dirfd, tmp, O_RDWR | O_NONBLOCK, 0);
		if (rc >= 0) {
			*fd = rc;
			rc = kio_fstat_regular(*fd, size);
		}
		if (!rc)
			return 0;
		kio_close(*fd);
		*fd = -1;
		unlinkat(s->dirfd, tmp, 0);
		if (rc != -EPERM && rc != -EMLINK && rc != -ELOOP)
			return rc;
		log_warn(s->ctx, "%s/%s: spare is %s: removed", s->path, name,
			 rc == -EPERM ? "not a plain file" :
			 rc == -EMLINK ? "hard-linked" : "a symbolic link");
	}
	return 0;
}

/**
 * spare_put - keep the file @fname as a spare
 * @s: the store, locked
 * @fname: a file in the store directory no generation needs any more
 *
 * Only a plain file with one link is kept: whatever else was planted under a record
 * file's name is left to the caller to remove.
 *
 * Return: 0 when it became a spare, -ENOSPC when every slot is taken or the file is
 * not one to keep (the caller removes it), or another negative errno.
 */
int spare_put(struct kstate_store *s, const char *fname)
{
	char name[sizeof(KSTATE_SPARE_PREFIX) + 8];
	unsigned int slot;
	struct stat st;
	int rc;

	if (fstatat(s->dirfd, fname, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1)
		return -ENOSPC;

	for (slot = 0; slot < SPARE_SLOTS; slot++) {
		spare_name(name, sizeof(name), slot);
		rc = kio_renameat(s->dirfd, fname, name, false);
		if (rc != -EEXIST)
			return rc;
	}
	return -ENOSPC;
}
