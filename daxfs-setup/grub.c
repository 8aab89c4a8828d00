// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Put a memmap= parameter into GRUB_CMDLINE_LINUX of /etc/default/grub.
 *
 * The file is shell that grub-mkconfig sources, so the last assignment wins and only
 * that one is edited.  memmap= words that reserve persistent memory (those with '!')
 * are ours; other memmap= forms and every other word are left as they are.  Changing
 * an existing persistent memory reservation moves or shrinks a store, so that takes
 * --force.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grub.h"

#define KEY "GRUB_CMDLINE_LINUX="

static int failf(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return rc;
}

static char *read_text(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *tmp = realloc(buf, cap = n + 65536);

			if (!tmp) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = tmp;
		}
		size_t r = fread(buf + n, 1, 4096, f);

		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int write_file(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		rc = errno ? -errno : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

/* A memmap= word that reserves persistent memory: memmap=nn[KMG]!ss[KMG][,...]. */
static bool pmem_word(const char *w, size_t n)
{
	return n > 7 && strncmp(w, "memmap=", 7) == 0 && memchr(w, '!', n);
}

/*
 * Locate the last uncommented GRUB_CMDLINE_LINUX= line: where its key starts, its
 * value, the quote around it (0 if none) and what follows the value.
 */
static const char *find_line(const char *text, const char **value, size_t *vlen,
			     char *quote, const char **tail)
{
	const char *p = text, *found = NULL;

	while (*p) {
		const char *eol = strchrnul(p, '\n'), *q = p + strspn(p, " \t");

		if (strncmp(q, KEY, strlen(KEY)) == 0) {
			const char *v = q + strlen(KEY), *e;

			found = q;
			*quote = (*v == '"' || *v == '\'') ? *v : 0;
			if (*quote) {
				v++;
				e = memchr(v, *quote, (size_t)(eol - v));
				if (!e)
					e = eol;
				*tail = e < eol ? e + 1 : eol;
			} else {
				e = v + strcspn(v, " \t\n#");
				*tail = e;
			}
			*value = v;
			*vlen = (size_t)(e - v);
		}
		p = *eol ? eol + 1 : eol;
	}
	return found;
}

int grub_set_memmap(const char *file, const char *param, unsigned int flags,
		    struct grub_change *out, char *err, size_t errlen)
{
	const char *value = NULL, *line = NULL, *tail = NULL;
	char *text, *words = NULL, *mine = NULL, *newtext = NULL, *tmp = NULL, *bak = NULL;
	size_t len, vlen = 0, wl = 0, ml = 0;
	char quote = '"';
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!pmem_word(param, strlen(param)) || strpbrk(param, " \t\"'\\$`"))
		return failf(err, errlen, -EINVAL,
			     "'%s' is not a memmap=SIZE!START parameter", param);
	text = read_text(file, &len);
	if (!text)
		return failf(err, errlen, -errno, "%s: cannot read: %s", file, strerror(errno));
	if (stat(file, &st)) {
		rc = failf(err, errlen, -errno, "%s: %s", file, strerror(errno));
		goto out;
	}
	line = find_line(text, &value, &vlen, &quote, &tail);
	if (line && !quote)
		quote = '"';
	words = calloc(1, vlen + strlen(param) + 2);
	mine = calloc(1, vlen + 1);
	if (!words || !mine) {
		rc = failf(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	/* Split the old value into our memmap= words and everything else. */
	for (size_t i = 0; i < vlen;) {
		size_t n;

		i += strspn(value + i, " \t");
		n = strcspn(value + i, " \t");
		if (n > vlen - i)
			n = vlen - i;
		if (!n)
			break;
		if (pmem_word(value + i, n))
			ml += (size_t)sprintf(mine + ml, "%s%.*s", ml ? " " : "", (int)n, value + i);
		else
			wl += (size_t)sprintf(words + wl, "%s%.*s", wl ? " " : "", (int)n, value + i);
		i += n;
	}
	out->old_memmap = strdup(mine);
	if (strcmp(mine, param) == 0) {
		out->changed = false;
		rc = 0;
		goto out;
	}
	if (ml && !(flags & GRUB_FORCE)) {
		rc = failf(err, errlen, -EEXIST,
			   "%s already reserves persistent memory with '%s'; changing it to '%s' "
			   "moves or shrinks the store on it: copy the store away first, then "
			   "use --force", file, mine, param);
		goto out;
	}
	sprintf(words + wl, "%s%s", wl ? " " : "", param);
	if (line)
		rc = asprintf(&newtext, "%.*s%s%c%s%c%s", (int)(line - text), text, KEY,
			      quote, words, quote, tail);
	else
		rc = asprintf(&newtext, "%s%s%s\"%s\"\n", text,
			      len && text[len - 1] != '\n' ? "\n" : "", KEY, words);
	if (rc < 0) {
		rc = failf(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	out->changed = true;
	if (asprintf(&out->new_line, "%s%c%s%c", KEY, quote, words, quote) < 0)
		out->new_line = NULL;
	rc = 0;
	if (flags & GRUB_DRY_RUN)
		goto out;
	if (asprintf(&bak, "%s.daxfs-setup.bak", file) < 0 ||
	    asprintf(&tmp, "%s.daxfs-setup.tmp", file) < 0) {
		rc = failf(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	rc = write_file(bak, text, len, st.st_mode & 07777);
	if (rc) {
		rc = failf(err, errlen, rc, "%s: cannot write the backup: %s", bak, strerror(-rc));
		goto out;
	}
	out->backup = strdup(bak);
	rc = write_file(tmp, newtext, strlen(newtext), st.st_mode & 07777);
	if (!rc && rename(tmp, file))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		rc = failf(err, errlen, rc, "%s: cannot replace: %s (unchanged; backup in %s)",
			   file, strerror(-rc), bak);
	}
out:
	free(text);
	free(words);
	free(mine);
	free(newtext);
	free(tmp);
	free(bak);
	return rc;
}

void grub_change_release(struct grub_change *c)
{
	free(c->old_memmap);
	free(c->new_line);
	free(c->backup);
	memset(c, 0, sizeof(*c));
}
