// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * System calls and allocations on the commit and load paths, and the durable-write
 * sequence every on-disk update uses.
 *
 * Each wrapper first asks fault_hit(): tests call kstate_fault_inject(N, err) to make
 * the Nth wrapped call from then on fail with -err, and prove that whatever step fails,
 * the store still holds the previous sealed generation.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "private.h"

static unsigned long fault_calls;	/* wrapped calls since the last injection */
static unsigned long fsync_calls;	/* kio_fsync() calls, for tests: kstate_io_fsyncs() */
static unsigned long fault_nth;		/* fail call number fault_nth, 0 = never */
static int fault_error;

/* Not exported from the shared library: unit tests link the static archive. */
void kstate_fault_inject(unsigned long nth, int error)
{
	__atomic_store_n(&fault_calls, 0, __ATOMIC_SEQ_CST);
	fault_error = error;
	__atomic_store_n(&fault_nth, nth, __ATOMIC_SEQ_CST);
}

unsigned long kstate_fault_calls(void)
{
	return __atomic_load_n(&fault_calls, __ATOMIC_SEQ_CST);
}

static bool fault_hit(void)
{
	unsigned long n = __atomic_add_fetch(&fault_calls, 1, __ATOMIC_SEQ_CST);

	return n == __atomic_load_n(&fault_nth, __ATOMIC_SEQ_CST);
}

#define FAULT_OR(expr)                                  \
	do {                                            \
		if (fault_hit()) {                      \
			errno = fault_error;            \
			return -fault_error;            \
		}                                       \
		if ((expr) < 0)                         \
			return -errno;                  \
	} while (0)

void *kio_malloc(size_t size)
{
	if (fault_hit()) {
		errno = ENOMEM;
		return NULL;
	}
	return malloc(size);
}

void *kio_calloc(size_t n, size_t size)
{
	if (fault_hit()) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(n, size);
}

void *kio_realloc(void *ptr, size_t size)
{
	if (fault_hit()) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, size);
}

char *kio_strdup(const char *s)
{
	if (fault_hit()) {
		errno = ENOMEM;
		return NULL;
	}
	return strdup(s);
}

/*
 * A fault point for calls into other libraries (libpmem2) that allocate and map
 * behind their own API: 0, or the injected negative errno to return instead.
 */
int kio_fault_point(void)
{
	return fault_hit() ? -fault_error : 0;
}

/* A store directory by path: the path may go through symlinks, the store's names not. */
int kio_open_dir(const char *path)
{
	int fd;

	if (fault_hit())
		return -fault_error;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int kio_fstat(int fd, struct stat *st)
{
	FAULT_OR(fstat(fd, st));
	return 0;
}

int kio_getrandom(void *buf, size_t len)
{
	ssize_t n;

	if (fault_hit())
		return -fault_error;
	n = getrandom(buf, len, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int kio_ioctl(int fd, unsigned long cmd, void *arg)
{
	FAULT_OR(ioctl(fd, cmd, arg));
	return 0;
}

/* Names inside a store are never followed if they are symlinks. */
int kio_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	int fd;

	if (fault_hit())
		return -fault_error;
	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	return fd < 0 ? -errno : fd;
}

/*
 * Only plain files with one link are trusted: a fifo would block a reader, a device
 * or a hard link to a file outside the store would let a store writer aim kstate at
 * data it does not own.
 */
int kio_fstat_regular(int fd, uint64_t *size)
{
	struct stat st;

	FAULT_OR(fstat(fd, &st));
	if (!S_ISREG(st.st_mode))
		return -EPERM;
	if (st.st_nlink != 1)
		return -EMLINK;
	if (size)
		*size = (uint64_t)st.st_size;
	return 0;
}

int kio_pwritev(int fd, struct iovec *iov, int iovcnt, uint64_t offset)
{
	while (iovcnt > 0) {
		ssize_t n;

		if (fault_hit())
			return -fault_error;
		n = pwritev(fd, iov, iovcnt, (off_t)offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		offset += (uint64_t)n;
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int kio_pwrite(int fd, const void *buf, size_t len, uint64_t offset)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return kio_pwritev(fd, &iov, 1, offset);
}

int kio_pread(int fd, void *buf, size_t len, uint64_t offset)
{
	char *p = buf;

	while (len) {
		ssize_t n;

		if (fault_hit())
			return -fault_error;
		n = pread(fd, p, len, (off_t)offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENODATA;	/* shorter than its size said a moment ago */
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

/* Not exported either: tests count what a commit costs. */
unsigned long kstate_io_fsyncs(void)
{
	return __atomic_load_n(&fsync_calls, __ATOMIC_SEQ_CST);
}

int kio_fsync(int fd)
{
	__atomic_add_fetch(&fsync_calls, 1, __ATOMIC_SEQ_CST);
	FAULT_OR(fsync(fd));
	return 0;
}

/* msync(MS_SYNC) of [addr, addr + len), widened to whole pages. */
int kio_msync(void *addr, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)addr & ~(page - 1);

	FAULT_OR(msync((void *)start, (uintptr_t)addr + len - start, MS_SYNC));
	return 0;
}

/* Without @replace, an existing destination is an error (-EEXIST), never overwritten. */
int kio_renameat(int dirfd, const char *from, const char *to, bool replace)
{
	return kio_rename_between(dirfd, from, dirfd, to, replace);
}

int kio_rename_between(int fromdir, const char *from, int todir, const char *to,
		       bool replace)
{
	FAULT_OR(renameat2(fromdir, from, todir, to, replace ? 0 : RENAME_NOREPLACE));
	return 0;
}

int kio_unlinkat(int dirfd, const char *name)
{
	FAULT_OR(unlinkat(dirfd, name, 0));
	return 0;
}

int kio_ftruncate(int fd, uint64_t size)
{
	FAULT_OR(ftruncate(fd, (off_t)size));
	return 0;
}

int kio_fallocate(int fd, uint64_t size)
{
	FAULT_OR(fallocate(fd, 0, 0, (off_t)size));
	return 0;
}

int kio_flock(int fd, int op)
{
	int rc;

	if (fault_hit())
		return -fault_error;
	do {
		rc = flock(fd, op);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

int kio_mkdirat(int dirfd, const char *name, mode_t mode)
{
	FAULT_OR(mkdirat(dirfd, name, mode));
	return 0;
}

void kio_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

void kio_free_list(char **names, size_t count)
{
	size_t i;

	if (!names)
		return;
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* All names in the directory except "." and "..", in no particular order. */
int kio_list_dir(int dirfd, char ***names, size_t *count)
{
	struct dirent *de;
	char **list = NULL;
	size_t n = 0, cap = 0;
	DIR *dir;
	int fd, rc = 0;

	if (fault_hit())
		return -fault_error;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de) {
			rc = -errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **bigger;

			cap = cap ? cap * 2 : 32;
			bigger = kio_realloc(list, cap * sizeof(*list));
			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			list = bigger;
		}
		list[n] = kio_strdup(de->d_name);
		if (!list[n]) {
			rc = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(dir);
	if (rc) {
		kio_free_list(list, n);
		return rc;
	}
	*names = list;
	*count = n;
	return 0;
}

/* ---------------------------------------------------------------------------------- */

/* A temporary name no other writer uses; gc removes leftovers of crashed writers. */
int kio_tmpname(char *buf, size_t len, const char *final_name)
{
	static unsigned long seq;
	int n;

	n = snprintf(buf, len, KSTATE_TMP_PREFIX "%s.%ld.%lu", final_name, (long)getpid(),
		     __atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST));
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/**
 * kio_write_tmp - write @buf to a new temporary file named after @name
 * @dirfd: the directory
 * @name: the final name the caller will rename it to
 * @buf: contents
 * @len: length of @buf
 * @sync: fsync the file before closing it
 * @tmp: out: the temporary name
 * @tmp_len: size of @tmp
 * @step: on failure, the step that failed
 *
 * Return: 0 or a negative errno.  On failure the temporary file is removed.
 */
int kio_write_tmp(int dirfd, const char *name, const void *buf, size_t len, bool sync,
		  char *tmp, size_t tmp_len, const char **step)
{
	int fd, rc;

	rc = kio_tmpname(tmp, tmp_len, name);
	if (rc) {
		*step = "name";
		return rc;
	}
	fd = kio_openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		*step = "create";
		return fd;
	}
	rc = kio_pwrite(fd, buf, len, 0);
	if (rc)
		*step = "write";
	if (!rc && sync) {
		rc = kio_fsync(fd);
		if (rc)
			*step = "fsync";
	}
	kio_close(fd);
	if (rc)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

/* Give the temporary file @tmp its name @name, or remove it. */
int kio_rename_tmp(int dirfd, const char *tmp, const char *name, bool replace,
		   const char **step)
{
	int rc = kio_renameat(dirfd, tmp, name, replace);

	if (rc) {
		*step = "rename";
		unlinkat(dirfd, tmp, 0);
	}
	return rc;
}

/**
 * kio_write_durable - make @name hold exactly @buf, atomically and durably
 * @dirfd: the directory
 * @name: final file name
 * @buf: contents
 * @len: length of @buf
 * @replace: whether an existing @name may be replaced
 * @step: on failure, the step that failed
 *
 * Write a temporary file, fsync it, rename it over @name, fsync the directory.  A
 * crash at any point leaves either the old @name or the new one, never a mix.
 *
 * Return: 0 or a negative errno.  On failure the temporary file is removed.
 */
int kio_write_durable(int dirfd, const char *name, const void *buf, size_t len,
		      bool replace, const char **step)
{
	char tmp[KSTATE_FILENAME_MAX + 48];
	int rc;

	rc = kio_write_tmp(dirfd, name, buf, len, true, tmp, sizeof(tmp), step);
	if (!rc)
		rc = kio_rename_tmp(dirfd, tmp, name, replace, step);
	if (rc)
		return rc;
	rc = kio_fsync(dirfd);
	if (rc) {
		*step = "directory fsync";
		return rc;	/* renamed: the caller decides whether to take it back */
	}
	return 0;
}

/**
 * kio_read_file - read a whole plain file of the store into memory
 * @dirfd: the store directory
 * @name: file name (never followed if a symlink)
 * @max: largest size accepted
 * @buf: malloc'ed contents on success
 * @len: size on success
 *
 * Return: 0, -ENOENT, -ELOOP (a symlink), -EPERM (not a plain file), -EMLINK (hard
 * linked), -EFBIG (over @max), or another negative errno.
 */
int kio_read_file(int dirfd, const char *name, size_t max, void **buf, size_t *len)
{
	uint64_t size;
	void *p;
	int fd, rc;

	/* O_NONBLOCK: opening a planted fifo must not hang the reader. */
	fd = kio_openat(dirfd, name, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	rc = kio_fstat_regular(fd, &size);
	if (rc)
		goto out;
	if (size > max) {
		rc = -EFBIG;
		goto out;
	}
	p = kio_malloc(size ? size : 1);
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	rc = kio_pread(fd, p, size, 0);
	if (rc) {
		free(p);
		goto out;
	}
	*buf = p;
	*len = size;
out:
	kio_close(fd);
	return rc;
}
