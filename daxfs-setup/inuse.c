// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * inuse.c - see inuse.h.  The kernel lets a devdax device be reconfigured while a
 * process maps it (the mapping then faults), so daxfs-setup looks first: every
 * process's open files (/proc/PID/fd) and mappings (/proc/PID/maps).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "inuse.h"

static bool same_file(const struct stat *a, const struct stat *b)
{
	if (a->st_dev == b->st_dev && a->st_ino == b->st_ino)
		return true;
	/* Another node for the same device. */
	return (S_ISCHR(a->st_mode) || S_ISBLK(a->st_mode)) &&
	       (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT) && a->st_rdev == b->st_rdev;
}

static bool has_open(const char *dir, const struct stat *target)
{
	char fddir[PATH_MAX + 8], fd[PATH_MAX + 300];
	struct dirent *d;
	struct stat st;
	bool found = false;
	DIR *dp;

	snprintf(fddir, sizeof(fddir), "%s/fd", dir);
	dp = opendir(fddir);
	if (!dp)
		return false;	/* gone, or a kernel thread */
	while (!found && (d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(fd, sizeof(fd), "%s/%s", fddir, d->d_name);
		found = stat(fd, &st) == 0 && same_file(&st, target);
	}
	closedir(dp);
	return found;
}

static bool has_mapped(const char *dir, const struct stat *target)
{
	char maps[PATH_MAX + 8], line[PATH_MAX + 128];
	bool found = false;
	FILE *f;

	snprintf(maps, sizeof(maps), "%s/maps", dir);
	f = fopen(maps, "re");
	if (!f)
		return false;
	/* "start-end perms offset major:minor inode path" */
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned int maj, mnr;
		unsigned long long ino;

		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &mnr, &ino) == 3 && ino &&
		    makedev(maj, mnr) == target->st_dev && ino == target->st_ino)
			found = true;
	}
	fclose(f);
	return found;
}

int device_user(const char *proc, const char *path, pid_t *pid, char *comm, size_t len)
{
	char dir[PATH_MAX], cpath[PATH_MAX + 16];
	struct stat target;
	struct dirent *d;
	int found = 0;
	DIR *dp;

	if (stat(path, &target))
		return -errno;
	dp = opendir(proc);
	if (!dp)
		return -errno;
	while (!found && (d = readdir(dp))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", proc, d->d_name);
		if (!has_open(dir, &target) && !has_mapped(dir, &target))
			continue;
		found = 1;
		*pid = (pid_t)strtol(d->d_name, NULL, 10);
		comm[0] = '\0';
		snprintf(cpath, sizeof(cpath), "%s/comm", dir);
		{
			FILE *f = fopen(cpath, "re");

			if (f) {
				if (fgets(comm, (int)len, f))
					comm[strcspn(comm, "\n")] = '\0';
				fclose(f);
			}
		}
	}
	closedir(dp);
	return found;
}

int lend_allowed(const char *proc, const char *path, bool named, bool ours, char *why,
		 size_t len)
{
	char comm[64];
	pid_t pid;
	int rc;

	if (!named && !ours) {
		snprintf(why, len, "%s was not made by daxfs-setup and not named: it may be "
			 "someone's (a VMM's guest memory); name it with --namespace to lend it",
			 path);
		return -EPERM;
	}
	rc = device_user(proc, path, &pid, comm, sizeof(comm));
	if (rc < 0) {
		snprintf(why, len, "%s: cannot tell whether it is in use: %s", path,
			 strerror(-rc));
		return -EBUSY;
	}
	if (rc) {
		snprintf(why, len, "%s is in use: process %d (%s) has it open or mapped", path,
			 (int)pid, comm);
		return -EBUSY;
	}
	return 0;
}
