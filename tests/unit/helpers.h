/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the unit tests: temporary directories, files, golden data.
 */
#ifndef KSTATE_TEST_HELPERS_H
#define KSTATE_TEST_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

/* Directory of the committed golden vectors; meson passes it in the environment. */
static inline const char *test_data_dir(void)
{
	const char *d = getenv("KSTATE_TEST_DATA");

	return d ? d : "tests/data";
}

static inline void *read_whole(const char *path, size_t *len)
{
	struct stat st;
	void *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size ? st.st_size : 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static inline void *read_data(const char *name, size_t *len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", test_data_dir(), name);
	return read_whole(path, len);
}

static inline void write_whole(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static inline char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	assert_true(asprintf(&path, "%s/kstate-test.XXXXXX", base ? base : "/tmp") > 0);
	assert_non_null(mkdtemp(path));
	return path;
}

static inline int rm_one(const char *path, const struct stat *st, int type,
			 struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline void remove_tree(char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

static inline char *path_in(const char *dir, const char *fmt, ...)
{
	char name[1024], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static inline int file_exists(const char *dir, const char *name)
{
	char *p = path_in(dir, "%s", name);
	int rc = access(p, F_OK) == 0;

	free(p);
	return rc;
}

/* Number of directory entries whose name starts with @prefix. */
static inline int count_files(const char *dir, const char *prefix)
{
	char cmd[4096];
	FILE *f;
	int n = 0;
	char line[512];

	snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	pclose(f);
	return n;
}

static inline void put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline uint32_t get_le32(const void *p)
{
	const uint8_t *b = p;

	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

#endif /* KSTATE_TEST_HELPERS_H */
