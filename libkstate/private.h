/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkstate internals shared by the library's source files.  Nothing here is exported.
 */
#ifndef LIBKSTATE_PRIVATE_H
#define LIBKSTATE_PRIVATE_H

#include <sys/types.h>
#include <syslog.h>

#include "libkstate.h"
#include "kstate_format.h"

#define KSTATE_EXPORT __attribute__((visibility("default")))

struct kstate_ctx {
	kstate_log_fn log_fn;
	int log_priority;
	void *userdata;
};

void kstate_log(struct kstate_ctx *ctx, int priority, const char *file, int line,
		const char *fn, const char *format, ...)
	__attribute__((format(printf, 6, 7)));

#define kstate_log_cond(ctx, prio, ...)                                               \
	do {                                                                          \
		if ((ctx) && (ctx)->log_fn && (ctx)->log_priority >= (prio))         \
			kstate_log(ctx, prio, __FILE__, __LINE__, __func__, __VA_ARGS__); \
	} while (0)

#define log_err(ctx, ...)	kstate_log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define log_warn(ctx, ...)	kstate_log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define log_info(ctx, ...)	kstate_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define log_dbg(ctx, ...)	kstate_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

/*
 * Record why a call failed: sets the per-thread kstate_errormsg() text, logs it at
 * LOG_ERR through @ctx (which may be NULL), and returns @rc so callers can write
 * "return kstate_fail(ctx, -EINVAL, ...)".
 */
int kstate_fail(struct kstate_ctx *ctx, int rc, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------------------------- */
/* io.c: every syscall and allocation on the commit and load paths, so that tests can
 * make the Nth one fail (kstate_fault_inject) and check nothing is lost.  Only
 * best-effort cleanup after a failure (unlinking a temporary file, closing, unlocking)
 * calls libc directly: it has no error to report, and gc removes what it leaves.
 */
struct iovec;
struct stat;

void kstate_fault_inject(unsigned long nth, int error);
unsigned long kstate_fault_calls(void);
unsigned long kstate_io_fsyncs(void);

void *kio_malloc(size_t size);
void *kio_calloc(size_t n, size_t size);
void *kio_realloc(void *ptr, size_t size);
char *kio_strdup(const char *s);
int kio_fault_point(void);
int kio_open_dir(const char *path);
int kio_fstat(int fd, struct stat *st);
int kio_getrandom(void *buf, size_t len);
int kio_ioctl(int fd, unsigned long cmd, void *arg);
int kio_rename_between(int fromdir, const char *from, int todir, const char *to,
		       bool replace);
int kio_openat(int dirfd, const char *name, int flags, mode_t mode);
int kio_fstat_regular(int fd, uint64_t *size);
int kio_pwritev(int fd, struct iovec *iov, int iovcnt, uint64_t offset);
int kio_pwrite(int fd, const void *buf, size_t len, uint64_t offset);
int kio_pread(int fd, void *buf, size_t len, uint64_t offset);
int kio_fsync(int fd);
int kio_msync(void *addr, size_t len);
int kio_renameat(int dirfd, const char *from, const char *to, bool replace);
int kio_unlinkat(int dirfd, const char *name);
int kio_ftruncate(int fd, uint64_t size);
int kio_fallocate(int fd, uint64_t size);
int kio_flock(int fd, int op);
int kio_mkdirat(int dirfd, const char *name, mode_t mode);
int kio_list_dir(int dirfd, char ***names, size_t *count);
void kio_free_list(char **names, size_t count);
void kio_close(int fd);

int kio_tmpname(char *buf, size_t len, const char *final_name);
int kio_write_tmp(int dirfd, const char *name, const void *buf, size_t len, bool sync,
		  char *tmp, size_t tmp_len, const char **step);
int kio_rename_tmp(int dirfd, const char *tmp, const char *name, bool replace,
		   const char **step);
int kio_write_durable(int dirfd, const char *name, const void *buf, size_t len,
		      bool replace, const char **step);
int kio_read_file(int dirfd, const char *name, size_t max, void **buf, size_t *len);

/* ---------------------------------------------------------------------------------- */
/* Identity of this boot and kernel, written into every header. */
void kstate_boot_id(u8 out[KSTATE_UUID_LEN]);
void kstate_kernel_release(char out[KSTATE_RELEASE_LEN + 1]);
uint64_t kstate_now_ns(void);

/* dev.c: the word of a text detail (KSTATE_DETAIL_TEXT) into @word, which has room for
 * the 23 bytes of a key; "" for a number. */
struct kstate_client_detail;
void dev_detail_word(const struct kstate_client_detail *d, char *word);

/* ---------------------------------------------------------------------------------- */
/* store.c */

struct kstate_store {
	struct kstate_ctx *ctx;
	char *path;
	int dirfd;
	unsigned int flags;
	bool dax;			/* DAX, or memory standing in for it (KSTATE_FORCE_DAX) */
	unsigned int keep;
	struct kstate_store_info info;	/* the store header, as last read or written */
	uint64_t newest;		/* newest valid sealed generation, 0 for none */
	uint64_t damaged;		/* newest manifest above @newest that failed, or 0 */
	int damaged_rc;
	char damaged_msg[256];
	uint64_t highest;		/* highest manifest generation of any state */
	bool locked;			/* this handle holds the store lock */
};

int store_lock(struct kstate_store *s);
void store_unlock(struct kstate_store *s);
int store_scan(struct kstate_store *s);
int store_encode_header(struct kstate_store *s, uint64_t last_sealed,
			struct kstate_store_header *h, struct kstate_store_info *info);
int store_gc_locked(struct kstate_store *s, unsigned int keep);

/* generation.c */
struct kstate_generation {
	struct kstate_store *store;
	struct kstate_manifest_info info;
	struct kstate_entry *entries;
};

int manifest_load(struct kstate_store *s, uint64_t generation,
		  struct kstate_manifest_info *info, struct kstate_entry **entries);
int generation_open(struct kstate_store *s, uint64_t number, bool sealed_only,
		    struct kstate_generation **out);
int member_load_records(struct kstate_store *s, const struct kstate_manifest_info *mi,
			const struct kstate_entry *e, void **buf, size_t *len,
			struct kstate_file_info *fi);
int member_check_region(struct kstate_store *s, const struct kstate_entry *e);

/* file.c */
int lone_file_read(struct kstate_ctx *ctx, const char *path, void **buf, size_t *len);

/* reader.c */
int reader_new_from_buffer(struct kstate_ctx *ctx, const char *what, void *buf, size_t len,
			   struct kstate_reader **out);

/* region.c: a libpmem2 failure as a negative errno, with a message naming @fname. */
int kstate_pmem2_fail(struct kstate_store *s, const char *fname, const char *what, int rc);

/* spare.c */
bool spare_is_spare(const char *fname);
int spare_take(struct kstate_store *s, const char *tmp, int *fd, uint64_t *size);
int spare_put(struct kstate_store *s, const char *fname);

/* writer_map.c */
struct writer_map;
int writer_map_new(struct kstate_store *s, int fd, uint64_t len, const char *what,
		   struct writer_map **out);
uint64_t writer_map_len(const struct writer_map *m);
void writer_map_copy(struct writer_map *m, uint64_t off, const void *buf, size_t len);
void writer_map_drain(struct writer_map *m);
void writer_map_delete(struct writer_map **map);

/* txn.c */
int txn_put_entry(struct kstate_txn *t, const struct kstate_entry *e);
int txn_track_file(struct kstate_txn *t, const char *filename);
struct kstate_store *txn_store(struct kstate_txn *t);

#endif /* LIBKSTATE_PRIVATE_H */
