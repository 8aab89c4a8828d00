// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * grub.c - the reservation in GRUB's configuration: see grub.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdline.h"
#include "grub.h"

/*
 * grub-mkconfig's own order: /etc/default/grub, then the grub.d files (NAME.cfg), each
 * sourced with its output discarded; what they leave in the two command line variables
 * is printed.  $2 = 1 skips our drop-in, to see what the others say on their own.
 */
static const char source_script[] =
	"root=$1 skip=$2\n"
	"{ . \"$root/etc/default/grub\"; } >/dev/null 2>&1 </dev/null\n"
	"for f in \"$root\"/etc/default/grub.d/*.cfg; do\n"
	"	[ -e \"$f\" ] || continue\n"
	"	[ \"$skip\" = 1 ] && [ \"${f##*/}\" = kstate.cfg ] && continue\n"
	"	{ . \"$f\"; } >/dev/null 2>&1 </dev/null\n"
	"done\n"
	"printf '%s %s\\n' \"$GRUB_CMDLINE_LINUX\" \"$GRUB_CMDLINE_LINUX_DEFAULT\"\n";

static int failf(char *err, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int failf(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return rc;
}

static char *path_join(const char *root, const char *rel)
{
	char *p;

	if (asprintf(&p, "%s/%s", strcmp(root, "/") ? root : "", rel) < 0)
		return NULL;
	return p;
}

/* The command line the GRUB files under @root produce, as a shell sourcing them sees it. */
static int grub_cmdline(const char *root, bool skip_ours, char *out, size_t len)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	char *argv[] = { "sh", "-c", (char *)source_script, "sh", (char *)root,
			 skip_ours ? "1" : "0", NULL };
	posix_spawn_file_actions_t fa;
	size_t n = 0;
	ssize_t r;
	int fds[2], status, rc;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		return -rc;
	}
	while (n + 1 < len && (r = read(fds[0], out + n, len - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EINVAL;
}

/* The pmem memmap= words of @cmdline, malloc'ed ("" for none). */
static char *memmap_words(const char *cmdline)
{
	char words[4096];
	struct memmap_range r[CMDLINE_MEMMAP_MAX];

	cmdline_memmap(cmdline, r, CMDLINE_MEMMAP_MAX, words, sizeof(words));
	return strdup(words);
}

static bool file_mentions_memmap(const char *path)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen(path, "re");

	while (f && !found && fgets(line, sizeof(line), f))
		found = line[strspn(line, " \t")] != '#' && strstr(line, "memmap=");
	if (f)
		fclose(f);
	return found;
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Files of grub.d in the order grub-mkconfig sources them (the shell's glob order). */
static int list_others(const char *root, char **files)
{
	char *grub = path_join(root, "etc/default/grub");
	char *dir = path_join(root, "etc/default/grub.d");
	struct dirent **names = NULL;
	size_t len = 0;
	FILE *out;
	int n = 0, i;

	out = open_memstream(files, &len);
	if (!grub || !dir || !out) {
		free(grub);
		free(dir);
		if (out)
			fclose(out);
		return -ENOMEM;
	}
	if (file_mentions_memmap(grub))
		fprintf(out, "%s", grub);
	n = scandir(dir, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t l = strlen(name);
		char *p;

		if (l > 4 && strcmp(name + l - 4, ".cfg") == 0 && strcmp(name, "kstate.cfg") &&
		    asprintf(&p, "%s/%s", dir, name) > 0) {
			if (file_mentions_memmap(p))
				fprintf(out, "%s%s", ftell(out) ? " " : "", p);
			free(p);
		}
		free(names[i]);
	}
	free(names);
	fclose(out);
	free(grub);
	free(dir);
	return 0;
}

int boot_config_read(const char *root, struct boot_config *bc, char *err, size_t errlen)
{
	char line[8192], *grub = path_join(root, "etc/default/grub");
	char *ours = path_join(root, GRUB_DROPIN);
	char *kcmd = path_join(root, "etc/kernel/cmdline");
	int rc = -ENOMEM;

	memset(bc, 0, sizeof(*bc));
	if (!grub || !ours || !kcmd)
		goto out;
	bc->grub = access(grub, F_OK) == 0;
	bc->kernel_cmdline = read_small(kcmd, line, sizeof(line)) == 0;
	bc->kernel_cmdline_memmap = memmap_words(bc->kernel_cmdline ? line : "");
	/* Our file is ours: only its GRUB_CMDLINE_LINUX line counts. */
	if (read_small(ours, line, sizeof(line)) == 0) {
		/* GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX memmap=...", as we write it */
		char *v = strstr(line, "GRUB_CMDLINE_LINUX=\""), *e = NULL;

		if (v) {
			v += strlen("GRUB_CMDLINE_LINUX=\"");
			e = strchr(v, '"');
		}
		if (e)
			*e = '\0';
		bc->ours = memmap_words(e ? v : "");
	} else {
		bc->ours = strdup("");
	}
	if (!bc->kernel_cmdline_memmap || !bc->ours)
		goto out;
	if (!bc->grub) {
		bc->effective = strdup("");
		bc->others = strdup("");
		bc->others_files = strdup("");
		rc = bc->effective && bc->others && bc->others_files ? 0 : -ENOMEM;
		goto out;
	}
	rc = grub_cmdline(root, false, line, sizeof(line));
	if (!rc) {
		bc->effective = memmap_words(line);
		rc = grub_cmdline(root, true, line, sizeof(line));
	}
	if (rc) {
		rc = failf(err, errlen, rc, "%s: cannot source GRUB's configuration (%s)", grub,
			   strerror(-rc));
		goto out;
	}
	bc->others = memmap_words(line);
	rc = list_others(root, &bc->others_files);
	if (!rc && (!bc->effective || !bc->others))
		rc = -ENOMEM;
out:
	if (rc == -ENOMEM)
		failf(err, errlen, rc, "out of memory");
	if (rc)
		boot_config_release(bc);
	free(grub);
	free(ours);
	free(kcmd);
	return rc;
}

void boot_config_release(struct boot_config *bc)
{
	free(bc->effective);
	free(bc->others);
	free(bc->others_files);
	free(bc->ours);
	free(bc->kernel_cmdline_memmap);
	memset(bc, 0, sizeof(*bc));
}

/* Whether two lists of memmap= words reserve the same ranges (in any order). */
static bool same_ranges(const char *a, const char *b)
{
	struct memmap_range ra[CMDLINE_MEMMAP_MAX], rb[CMDLINE_MEMMAP_MAX];
	unsigned int na = cmdline_memmap(a, ra, CMDLINE_MEMMAP_MAX, NULL, 0);
	unsigned int nb = cmdline_memmap(b, rb, CMDLINE_MEMMAP_MAX, NULL, 0);
	unsigned int i, j;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (ra[i].start == rb[j].start && ra[i].size == rb[j].size)
				break;
		if (j == nb)
			return false;
	}
	return true;
}

static int write_atomic(const char *path, const char *text, mode_t mode)
{
	char *tmp;
	size_t len = strlen(text);
	int fd, rc = 0;

	if (asprintf(&tmp, "%s.daxfs-setup.tmp", path) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		rc = errno ? -errno : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

int grub_set_memmap(const char *root, const char *param, unsigned int flags,
		    struct grub_change *out, char *err, size_t errlen)
{
	struct boot_config bc, after;
	struct memmap_range r[CMDLINE_MEMMAP_MAX];
	char words[4096], old[8192], *text = NULL, *dir = NULL;
	bool had_old;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strpbrk(param, " \t\"'\\$`") ||
	    !cmdline_memmap(param, r, CMDLINE_MEMMAP_MAX, words, sizeof(words)) ||
	    strcmp(words, param))
		return failf(err, errlen, -EINVAL, "'%s' is not a memmap=SIZE!START parameter",
			     param);
	rc = boot_config_read(root, &bc, err, errlen);
	if (rc)
		return rc;
	out->file = path_join(root, GRUB_DROPIN);
	dir = path_join(root, "etc/default/grub.d");
	if (!out->file || !dir) {
		rc = failf(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	if (!bc.grub) {
		rc = failf(err, errlen, -ENOENT, "%s/etc/default/grub does not exist: this "
			   "system does not boot with GRUB as daxfs-setup knows it", root);
		goto out;
	}
	if (bc.others[0]) {
		if (same_ranges(bc.others, param)) {
			out->effective = strdup(bc.effective);
			rc = 0;		/* reserved already, by someone else's file */
			goto out;
		}
		rc = failf(err, errlen, -EEXIST, "GRUB's configuration already reserves "
			   "persistent memory with '%s' (in %s); a second reservation '%s' would "
			   "not move a store, only add to it: remove it there first, or apply "
			   "--memmap '%s'", bc.others, bc.others_files[0] ? bc.others_files :
			   "the configuration", param, bc.others);
		goto out;
	}
	if (same_ranges(bc.ours, param) && bc.ours[0]) {
		out->effective = strdup(bc.effective);
		rc = 0;
		goto out;
	}
	if (bc.ours[0] && !(flags & GRUB_FORCE)) {
		rc = failf(err, errlen, -EEXIST, "%s reserves persistent memory with '%s'; "
			   "changing it to '%s' moves or shrinks the store on it: copy the store "
			   "away first, then use --force", out->file, bc.ours, param);
		goto out;
	}
	out->changed = true;
	if (asprintf(&text, "# Written by daxfs-setup(8): the persistent memory the kstate "
		     "store lives on.\n# Changing or removing it moves or drops the store's "
		     "memory: see daxfs-setup(8).\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX "
		     "%s\"\n", param) < 0) {
		rc = failf(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	if (flags & GRUB_DRY_RUN) {
		rc = 0;
		goto out;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		rc = failf(err, errlen, -errno, "%s: %s", dir, strerror(errno));
		goto out;
	}
	had_old = read_small(out->file, old, sizeof(old)) == 0;
	if (had_old) {
		if (asprintf(&out->backup, "%s.bak", out->file) < 0) {
			rc = failf(err, errlen, -ENOMEM, "out of memory");
			goto out;
		}
		rc = write_atomic(out->backup, old, 0644);
		if (rc) {
			rc = failf(err, errlen, rc, "%s: %s", out->backup, strerror(-rc));
			goto out;
		}
	}
	rc = write_atomic(out->file, text, 0644);
	if (rc) {
		rc = failf(err, errlen, rc, "%s: cannot write: %s", out->file, strerror(-rc));
		goto out;
	}
	/* A grub.d file sourced after ours may set GRUB_CMDLINE_LINUX outright. */
	rc = boot_config_read(root, &after, err, errlen);
	if (rc)
		goto out;
	if (!same_ranges(after.effective, param)) {
		if (had_old)
			write_atomic(out->file, old, 0644);
		else
			unlink(out->file);
		rc = failf(err, errlen, -EMEDIUMTYPE, "%s was written but GRUB's configuration "
			   "still gives '%s': a file of %s sourced after it sets "
			   "GRUB_CMDLINE_LINUX without keeping it; %s is restored", out->file,
			   after.effective, dir, out->file);
	} else {
		out->effective = strdup(after.effective);
	}
	boot_config_release(&after);
out:
	free(text);
	free(dir);
	boot_config_release(&bc);
	return rc;
}

void grub_change_release(struct grub_change *c)
{
	free(c->file);
	free(c->backup);
	free(c->effective);
	memset(c, 0, sizeof(*c));
}
