// SPDX-License-Identifier: GPL-2.0-only
/*
 * lw-replay - replay a dm-log-writes log, and enumerate the crash states it describes.
 *
 *   lw-replay list LOG
 *	print the log: one line per entry (index, flags, sector, sectors, mark text).
 *   lw-replay replay LOG DEV [--limit N]
 *	write the first N entries (default all) to DEV, in log order.
 *   lw-replay enumerate LOG --base DEV --cow DEV --mnt DIR [--fstype T]
 *			[--samples K] [--seed S] [--dry-run] -- CHECK [ARG...]
 *	rebuild every crash state the log allows and run CHECK on each, mounted.
 *
 * The log format (Documentation/admin-guide/device-mapper/log-writes.rst, and
 * drivers/md/dm-log-writes.c which writes it): at byte 0 a super block (le64 magic
 * 0x6a736677736872, le64 version 1, le64 nr_entries, le32 sectorsize); from byte
 * sectorsize on, nr_entries entries, each a sectorsize-byte slot holding a header
 * (le64 sector, le64 nr_sectors, le64 flags, le64 data_len) followed, for a write, by
 * nr_sectors slots of data.  A mark carries its text in its own slot after the header;
 * a discard and a flush without data carry nothing.  Sectors are in units of sectorsize.
 *
 * The target logs a write when it completes, but holds writes that are not FUA back
 * until the next flush, and logs them just before it: so everything before a FLUSH
 * entry was on stable media when the flush completed, a FUA entry was on stable media
 * when it was logged, and the plain writes logged after a flush may have reached the
 * media in any order, or not at all, until the next flush.  The crash states are
 * therefore:
 *   - at every FLUSH and FUA entry: the image with every entry up to it applied
 *     (the "marks" fstests' replay-log stops at);
 *   - just before every FLUSH: everything durable at the previous flush, every FUA
 *     write since, and a subset of the plain writes since (the reorderings).  There
 *     are 2^n subsets of n writes; enumerate samples K distinct ones per interval
 *     (always including the one with every write, the last moment before the flush).
 * States that equal one already checked (the log has nothing but marks between two
 * flushes) are not counted twice.
 *
 * How a state is built without copying the device each time: BASE starts as a copy
 * of the device from before logging began and is only ever moved forward, to the
 * last flush at or before the state; a non-persistent dm-snapshot of BASE (exceptions
 * on COW) takes the entries after that flush, and is what gets mounted, so the
 * journal replay of the mount (and anything CHECK writes) never touches BASE.  Each
 * state loads a new snapshot table into the one device, which starts with no
 * exceptions.  No udev is needed: the device-mapper ioctls are issued directly and
 * the node is made with mknod.
 *
 * CHECK runs with the mounted state's directory as its working directory and with
 * LW_MARK (the text of the last mark logged before the crash point, "" if none),
 * LW_STATE (which state this is, in words) and LW_INDEX (its number) in the
 * environment.  Exit status 0 means the state is fine.  A state whose mount fails
 * counts as lost.  The summary line is
 *	crashstates: enumerated=N ok=N lost=N
 *
 * Exit: 0 every state passed, 1 some did not, 2 usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LW_MAGIC	0x6a736677736872ULL
#define LW_VERSION	1
#define LW_FLUSH	(1u << 0)
#define LW_FUA		(1u << 1)
#define LW_DISCARD	(1u << 2)
#define LW_MARK		(1u << 3)
#define LW_METADATA	(1u << 4)
#define LW_KNOWN	(LW_FLUSH | LW_FUA | LW_DISCARD | LW_MARK | LW_METADATA)
#define LW_HDR_SIZE	32

#define SNAP_NAME	"lw-replay-crash"
#define SNAP_NODE	"/dev/lw-replay-crash"

struct lw_entry {
	uint64_t sector;	/* in units of the log's sectorsize */
	uint64_t nr_sectors;
	uint32_t flags;
	uint64_t data_off;	/* byte offset of the data in the log */
	char *mark;		/* the text of a MARK entry */
};

struct lw_log {
	int fd;
	uint32_t ss;		/* sectorsize */
	size_t n;
	struct lw_entry *e;
};

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("lw-replay: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;
	size_t got = 0;

	while (got < len) {
		n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n <= 0)
			die("read of the log at %" PRIu64 ": %s", off + got,
			    n ? strerror(errno) : "end of device");
		got += (size_t)n;
	}
}

static void pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n;
	size_t done = 0;

	while (done < len) {
		n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n <= 0)
			die("write at %" PRIu64 ": %s", off + done,
			    n ? strerror(errno) : "no progress");
		done += (size_t)n;
	}
}

static uint64_t dev_size(int fd)
{
	struct stat st;
	uint64_t size;

	if (fstat(fd, &st))
		die("fstat: %s", strerror(errno));
	if (S_ISREG(st.st_mode))
		return (uint64_t)st.st_size;
	if (ioctl(fd, BLKGETSIZE64, &size))
		die("BLKGETSIZE64: %s", strerror(errno));
	return size;
}

static void log_open(struct lw_log *log, const char *path)
{
	uint8_t *slot;
	uint64_t magic, version, count, off, size, data_len;
	size_t i;

	log->fd = open(path, O_RDONLY);
	if (log->fd < 0)
		die("%s: %s", path, strerror(errno));
	size = dev_size(log->fd);
	slot = malloc(4096);
	if (!slot)
		die("out of memory");
	pread_all(log->fd, slot, 4096 < size ? 4096 : (size_t)size, 0);
	magic = le64(slot);
	version = le64(slot + 8);
	count = le64(slot + 16);
	log->ss = slot[24] | slot[25] << 8 | slot[26] << 16 | (uint32_t)slot[27] << 24;
	if (magic != LW_MAGIC || version != LW_VERSION)
		die("%s: not a dm-log-writes log (magic %#" PRIx64 ", version %" PRIu64 ")",
		    path, magic, version);
	if (log->ss < 512 || log->ss > 4096 || (log->ss & (log->ss - 1)))
		die("%s: sectorsize %u", path, log->ss);
	log->e = calloc(count ? count : 1, sizeof(*log->e));
	if (!log->e)
		die("out of memory for %" PRIu64 " entries", count);
	off = log->ss;
	for (i = 0; i < count; i++) {
		struct lw_entry *e = &log->e[i];

		if (off + log->ss > size)
			die("%s: entry %zu of %" PRIu64 " runs past the device", path, i, count);
		pread_all(log->fd, slot, log->ss, off);
		e->sector = le64(slot);
		e->nr_sectors = le64(slot + 8);
		e->flags = (uint32_t)le64(slot + 16);
		data_len = le64(slot + 24);
		if (le64(slot + 16) & ~(uint64_t)LW_KNOWN)
			die("%s: entry %zu has unknown flags %#" PRIx64, path, i, le64(slot + 16));
		off += log->ss;
		if (e->flags & LW_MARK) {
			if (data_len > log->ss - LW_HDR_SIZE)
				die("%s: mark %zu is %" PRIu64 " bytes", path, i, data_len);
			e->mark = strndup((char *)slot + LW_HDR_SIZE, (size_t)data_len);
			if (!e->mark)
				die("out of memory");
			continue;
		}
		e->data_off = off;
		if (!(e->flags & LW_DISCARD))
			off += e->nr_sectors * log->ss;
		if (off > size)
			die("%s: entry %zu's data runs past the device", path, i);
	}
	log->n = count;
	free(slot);
}

static const char *flag_str(uint32_t f)
{
	static char s[64];

	snprintf(s, sizeof(s), "%s%s%s%s%s", f & LW_FLUSH ? "FLUSH|" : "", f & LW_FUA ? "FUA|" : "",
		 f & LW_DISCARD ? "DISCARD|" : "", f & LW_MARK ? "MARK|" : "",
		 f & LW_METADATA ? "META|" : "");
	if (*s)
		s[strlen(s) - 1] = '\0';
	else
		strcpy(s, "WRITE");
	return s;
}

/* Write entry @i to @fd (a write's data, zeros for a discard; nothing for a flush). */
static void apply(const struct lw_log *log, size_t i, int fd)
{
	static uint8_t *buf;
	static size_t cap;
	const struct lw_entry *e = &log->e[i];
	uint64_t len = e->nr_sectors * log->ss, done, chunk;

	if ((e->flags & LW_MARK) || !len)
		return;
	if (!buf) {
		cap = 1 << 20;
		buf = malloc(cap);
		if (!buf)
			die("out of memory");
	}
	for (done = 0; done < len; done += chunk) {
		chunk = len - done < cap ? len - done : cap;
		if (e->flags & LW_DISCARD)
			memset(buf, 0, (size_t)chunk);
		else
			pread_all(log->fd, buf, (size_t)chunk, e->data_off + done);
		pwrite_all(fd, buf, (size_t)chunk, e->sector * log->ss + done);
	}
}

static int cmd_list(const struct lw_log *log)
{
	size_t i;

	printf("sectorsize %u, %zu entries\n", log->ss, log->n);
	for (i = 0; i < log->n; i++) {
		const struct lw_entry *e = &log->e[i];

		if (e->mark)
			printf("%zu MARK %s\n", i, e->mark);
		else
			printf("%zu %s %" PRIu64 " +%" PRIu64 "\n", i, flag_str(e->flags),
			       e->sector, e->nr_sectors);
	}
	return 0;
}

static int cmd_replay(const struct lw_log *log, const char *dev, size_t limit)
{
	size_t i;
	int fd = open(dev, O_RDWR);

	if (fd < 0)
		die("%s: %s", dev, strerror(errno));
	for (i = 0; i < log->n && i < limit; i++)
		apply(log, i, fd);
	if (fsync(fd))
		die("%s: fsync: %s", dev, strerror(errno));
	close(fd);
	printf("replayed %zu of %zu entries to %s\n", i, log->n, dev);
	return 0;
}

/* ---- device-mapper, without dmsetup or udev ---- */

static int dm_fd = -1;

static int dm_call(unsigned long cmd, const char *name, uint32_t flags, const char *target,
		   uint64_t sectors, const char *params, dev_t *dev)
{
	union {
		struct dm_ioctl io;
		char buf[16384];
	} u;
	struct dm_target_spec *spec;
	size_t plen;

	memset(&u, 0, sizeof(u));
	u.io.version[0] = DM_VERSION_MAJOR;
	u.io.data_size = sizeof(u);
	u.io.data_start = sizeof(struct dm_ioctl);
	u.io.flags = flags;
	snprintf(u.io.name, sizeof(u.io.name), "%s", name);
	if (target) {
		spec = (struct dm_target_spec *)(u.buf + sizeof(struct dm_ioctl));
		plen = strlen(params) + 1;
		spec->sector_start = 0;
		spec->length = sectors;
		snprintf(spec->target_type, sizeof(spec->target_type), "%s", target);
		memcpy(spec + 1, params, plen);
		spec->next = 0;
		u.io.target_count = 1;
	}
	if (ioctl(dm_fd, cmd, &u.io))
		return -errno;
	if (dev)
		*dev = makedev(major(u.io.dev), minor(u.io.dev));
	return 0;
}

static void snap_remove(bool quiet)
{
	int rc = 0, tries;

	unlink(SNAP_NODE);
	/* The last close of a just-unmounted device can still be on its way. */
	for (tries = 0; tries < 50; tries++) {
		rc = dm_call(DM_DEV_REMOVE, SNAP_NAME, 0, NULL, 0, NULL, NULL);
		if (rc != -EBUSY)
			break;
		usleep(20000);
	}
	if (rc && rc != -ENXIO && !quiet)
		die("removing the snapshot device: %s", strerror(-rc));
}

static void snap_create(void)
{
	dev_t dev;
	int rc;

	rc = dm_call(DM_DEV_CREATE, SNAP_NAME, 0, NULL, 0, NULL, &dev);
	if (rc)
		die("creating the snapshot device: %s", strerror(-rc));
	unlink(SNAP_NODE);
	if (mknod(SNAP_NODE, S_IFBLK | 0600, dev))
		die("mknod %s: %s", SNAP_NODE, strerror(errno));
}

/* Make TARGET (with PARAMS) the live table of the device. */
static void snap_swap(const char *target, const char *params, uint64_t sectors, bool live)
{
	int rc;

	rc = dm_call(DM_TABLE_LOAD, SNAP_NAME, 0, target, sectors, params, NULL);
	if (rc)
		die("loading a %s table '%s': %s (is dm-snapshot loaded?)", target, params,
		    strerror(-rc));
	if (live) {
		rc = dm_call(DM_DEV_SUSPEND, SNAP_NAME, DM_SUSPEND_FLAG | DM_SKIP_LOCKFS_FLAG,
			     NULL, 0, NULL, NULL);
		if (rc)
			die("suspending the snapshot device: %s", strerror(-rc));
	}
	rc = dm_call(DM_DEV_SUSPEND, SNAP_NAME, 0, NULL, 0, NULL, NULL);	/* resume */
	if (rc)
		die("resuming the snapshot device: %s", strerror(-rc));
}

/*
 * A fresh snapshot of BASE, with an empty exception store.  Between two states the
 * device holds an "error" table: a snapshot table loaded over a live snapshot with the
 * same COW device would be handed the old one's exceptions (dm-snapshot's handover),
 * and the last state's writes would leak into this one.  Nothing holds the device
 * open between states, so its page cache is gone too; BLKFLSBUF makes sure.
 */
static void snap_load(dev_t base, dev_t cow, uint64_t sectors, bool live)
{
	char params[128];
	int fd;

	/* snapshot <origin> <cow> N(on-persistent) <chunk sectors> */
	snprintf(params, sizeof(params), "%u:%u %u:%u N 8", major(base), minor(base),
		 major(cow), minor(cow));
	snap_swap("snapshot", params, sectors, live);
	fd = open(SNAP_NODE, O_RDONLY);
	if (fd < 0 || ioctl(fd, BLKFLSBUF, 0))
		die("%s: BLKFLSBUF: %s", SNAP_NODE, strerror(errno));
	close(fd);
}

/* ---- the enumeration ---- */

struct enum_opts {
	const char *base, *cow, *mnt, *fstype;
	unsigned int samples;
	uint64_t seed;
	bool dry_run;
	char **check;
};

struct enum_state {
	const struct lw_log *log;
	const struct enum_opts *o;
	int base_fd;
	dev_t base_dev, cow_dev;
	uint64_t sectors;
	size_t base_len;	/* entries applied to BASE */
	unsigned long enumerated, ok, lost, at_marks, reorderings, intervals;
	size_t widest;		/* most plain writes between two flushes */
	uint64_t rng;
	bool loaded;		/* the snapshot device has a table */
	double t_prep, t_mount, t_check, t_umount;	/* seconds spent, for the summary */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rnd(struct enum_state *st)
{
	/* xorshift64*: reproducible from --seed */
	st->rng ^= st->rng >> 12;
	st->rng ^= st->rng << 25;
	st->rng ^= st->rng >> 27;
	return st->rng * 0x2545F4914F6CDD1DULL;
}

static void base_advance(struct enum_state *st, size_t to)
{
	if (to <= st->base_len)
		return;
	for (; st->base_len < to; st->base_len++)
		apply(st->log, st->base_len, st->base_fd);
	if (fsync(st->base_fd))
		die("%s: fsync: %s", st->o->base, strerror(errno));
}

/* Check one crash state: BASE moved to @base_len, then @extra (in log order) on top. */
static void state_check(struct enum_state *st, size_t base_len, const size_t *extra,
			size_t nextra, const char *mark, const char *what)
{
	char idx[32];
	pid_t pid;
	int fd, status;
	size_t i;
	double t0 = now_s(), t1, t2, t3;

	st->enumerated++;
	if (st->o->dry_run) {
		printf("state %lu: %s (mark '%s'): entries 0..%zu", st->enumerated, what, mark,
		       base_len ? base_len - 1 : 0);
		for (i = 0; i < nextra; i++)
			printf(" +%zu", extra[i]);
		printf("\n");
		st->ok++;
		return;
	}
	base_advance(st, base_len);
	snap_load(st->base_dev, st->cow_dev, st->sectors, st->loaded);
	st->loaded = true;
	if (nextra) {
		fd = open(SNAP_NODE, O_RDWR);
		if (fd < 0)
			die("%s: %s", SNAP_NODE, strerror(errno));
		for (i = 0; i < nextra; i++)
			apply(st->log, extra[i], fd);
		if (fsync(fd))
			die("%s: fsync: %s", SNAP_NODE, strerror(errno));
		close(fd);
	}
	/* A plain mount: the journal replay a real boot does. */
	t1 = now_s();
	st->t_prep += t1 - t0;
	if (mount(SNAP_NODE, st->o->mnt, st->o->fstype, 0, NULL)) {
		printf("lw-replay: state %lu (%s, mark '%s'): LOST: mount failed: %s\n",
		       st->enumerated, what, mark, strerror(errno));
		st->lost++;
		snap_swap("error", "", st->sectors, true);
		return;
	}
	t2 = now_s();
	st->t_mount += t2 - t1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		snprintf(idx, sizeof(idx), "%lu", st->enumerated);
		setenv("LW_MARK", mark, 1);
		setenv("LW_STATE", what, 1);
		setenv("LW_INDEX", idx, 1);
		if (chdir(st->o->mnt))
			_exit(126);
		execvp(st->o->check[0], st->o->check);
		fprintf(stderr, "lw-replay: %s: %s\n", st->o->check[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		st->ok++;
	} else {
		st->lost++;
		printf("lw-replay: state %lu (%s, mark '%s'): LOST: the check exited with "
		       "status 0x%x\n", st->enumerated, what, mark, status);
	}
	fflush(stdout);
	t3 = now_s();
	st->t_check += t3 - t2;
	if (umount2(st->o->mnt, 0))
		die("umount %s: %s", st->o->mnt, strerror(errno));
	snap_swap("error", "", st->sectors, true);	/* the snapshot and its exceptions go */
	st->t_umount += now_s() - t3;
}

/*
 * Just before the flush at entry @at: everything durable at the last flush (BASE at
 * @durable), every FUA write since (@fua), and samples of the distinct non-empty
 * subsets of the plain writes since (@pend).  Subsets that give a state checked
 * anyway are skipped: every write, when the flush carries no data (the state at the
 * flush itself); exactly the writes before the last FUA write (the state at it); and
 * only the data of the flush that opened the interval (the state at that flush).
 */
static void reorderings(struct enum_state *st, size_t at, size_t durable, const size_t *pend,
			size_t npend, const size_t *fua, size_t nfua, bool flush_has_data,
			bool opened_by_data_flush, const char *mark)
{
	uint64_t *chosen, mask, full, skip[3], space;
	unsigned char *sel;
	size_t *extra, nextra, i, j, p, f, want, nchosen = 0, nskip = 0;
	bool exact = npend < 63;	/* masks name the subsets; beyond, draws never repeat */
	bool try_full = true;		/* first the last moment before the flush */
	char what[160];

	if (!npend)
		return;
	st->intervals++;
	if (npend > st->widest)
		st->widest = npend;
	full = exact ? (1ULL << npend) - 1 : UINT64_MAX;
	if (exact) {
		skip[nskip++] = 0;
		if (!flush_has_data)
			skip[nskip++] = full;
		if (nfua) {
			for (mask = 0, j = 0; j < npend; j++)
				if (pend[j] < fua[nfua - 1])
					mask |= 1ULL << j;
			skip[nskip++] = mask;
		} else if (opened_by_data_flush) {
			skip[nskip++] = 1;
		}
	}
	for (space = full, i = 1; i < nskip; i++) {	/* full: the non-empty subsets */
		for (j = 0; j < i && skip[j] != skip[i]; j++)
			;
		space -= j == i;
	}
	want = st->o->samples < space ? st->o->samples : (size_t)space;
	sel = calloc(npend, 1);
	extra = calloc(npend + nfua, sizeof(*extra));
	chosen = calloc(want ? want : 1, sizeof(*chosen));
	if (!sel || !extra || !chosen)
		die("out of memory");
	for (i = 0; i < want; i++) {
		for (;;) {
			if (try_full)
				memset(sel, 1, npend);
			else if (exact)
				for (mask = 1 + rnd(st) % full, j = 0; j < npend; j++)
					sel[j] = (mask >> j) & 1;
			else
				for (j = 0; j < npend; j++)
					sel[j] = rnd(st) >> 63;
			try_full = false;
			for (mask = 0, j = 0; exact && j < npend; j++)
				mask |= (uint64_t)sel[j] << j;
			if (!exact) {
				for (j = 0; j < npend && !sel[j]; j++)
					;
				if (j < npend)
					break;		/* not empty */
				continue;
			}
			for (j = 0; j < nskip && skip[j] != mask; j++)
				;
			if (j < nskip)
				continue;		/* a state checked anyway */
			for (j = 0; j < nchosen && chosen[j] != mask; j++)
				;
			if (j == nchosen)
				break;			/* not drawn before */
		}
		chosen[nchosen++] = mask;
		/* The FUA writes and the chosen plain writes, in log order. */
		nextra = 0;
		for (p = 0, f = 0; p < npend || f < nfua;) {
			if (f < nfua && (p == npend || fua[f] < pend[p]))
				extra[nextra++] = fua[f++];
			else if (sel[p++])
				extra[nextra++] = pend[p - 1];
		}
		snprintf(what, sizeof(what), "before the flush at entry %zu: %zu of the %zu "
			 "writes since entry %zu", at, nextra - nfua, npend, durable);
		st->reorderings++;
		state_check(st, durable, extra, nextra, mark, what);
	}
	free(chosen);
	free(extra);
	free(sel);
}

static int cmd_enumerate(const struct lw_log *log, const struct enum_opts *o)
{
	struct enum_state st = { .log = log, .o = o, .rng = o->seed ? o->seed : 1 };
	size_t *pend, *fua, *all, npend = 0, nfua = 0, durable = 0, i, k, n;
	const char *mark = "";
	bool changed = true, opened = false;
	struct stat sb;
	struct timespec t0, t1;
	char what[96];
	int cow_fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pend = calloc(log->n + 1, sizeof(*pend));
	fua = calloc(log->n + 1, sizeof(*fua));
	all = calloc(log->n + 1, sizeof(*all));
	if (!pend || !fua || !all)
		die("out of memory");
	if (!o->dry_run) {
		st.base_fd = open(o->base, O_RDWR);
		if (st.base_fd < 0 || fstat(st.base_fd, &sb) || !S_ISBLK(sb.st_mode))
			die("%s: not a block device we can write", o->base);
		st.base_dev = sb.st_rdev;
		st.sectors = dev_size(st.base_fd) / 512;
		cow_fd = open(o->cow, O_RDONLY);
		if (cow_fd < 0 || fstat(cow_fd, &sb) || !S_ISBLK(sb.st_mode))
			die("%s: not a block device", o->cow);
		st.cow_dev = sb.st_rdev;
		close(cow_fd);
		dm_fd = open("/dev/mapper/control", O_RDWR);
		if (dm_fd < 0)
			die("/dev/mapper/control: %s (is dm-mod loaded?)", strerror(errno));
		snap_remove(true);	/* a leftover of an interrupted run */
		snap_create();
	}
	for (i = 0; i < log->n; i++) {
		const struct lw_entry *e = &log->e[i];
		bool data = !(e->flags & LW_MARK) && e->nr_sectors;

		if (e->mark) {
			mark = e->mark;
			continue;
		}
		if (e->flags & LW_FLUSH) {
			reorderings(&st, i, durable, pend, npend, fua, nfua, data, opened, mark);
			/* Everything before the flush is durable; its own data if FUA. */
			durable = (data && (e->flags & LW_FUA)) ? i + 1 : i;
			npend = nfua = 0;
			opened = data && !(e->flags & LW_FUA);
			if (opened)
				pend[npend++] = i;
			changed |= data;
			if (changed) {
				snprintf(what, sizeof(what), "at the flush at entry %zu", i);
				st.at_marks++;
				state_check(&st, durable, pend, npend, mark, what);
			}
			changed = false;
		} else if (e->flags & LW_FUA) {
			fua[nfua++] = i;
			/* Every entry since the last flush: the plain ones happened to land. */
			n = 0;
			for (k = durable; k <= i; k++)
				if (!log->e[k].mark)
					all[n++] = k;
			snprintf(what, sizeof(what), "at the FUA write at entry %zu", i);
			st.at_marks++;
			state_check(&st, durable, all, n, mark, what);
			changed = false;
		} else {
			pend[npend++] = i;
			changed = true;
		}
	}
	/* The end of the log: what was never flushed may or may not be there. */
	reorderings(&st, log->n, durable, pend, npend, fua, nfua, true, opened, mark);
	if (!o->dry_run) {
		snap_remove(false);
		close(st.base_fd);
		close(dm_fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("  %zu log entries; %lu states at flush and FUA points, %lu reorderings of the "
	       "writes between %lu pairs of flushes (up to %zu writes between two), "
	       "%.1f s\n", log->n, st.at_marks, st.reorderings, st.intervals, st.widest,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (st.enumerated && !o->dry_run)
		printf("  per state: %.0f ms to build it, %.0f ms to mount it, %.0f ms to check "
		       "it, %.0f ms to unmount it\n", 1e3 * st.t_prep / st.enumerated,
		       1e3 * st.t_mount / st.enumerated, 1e3 * st.t_check / st.enumerated,
		       1e3 * st.t_umount / st.enumerated);
	printf("crashstates: enumerated=%lu ok=%lu lost=%lu\n", st.enumerated, st.ok, st.lost);
	free(pend);
	free(fua);
	free(all);
	return st.lost || !st.enumerated ? 1 : 0;
}

static int usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: lw-replay list LOG\n"
		"       lw-replay replay LOG DEV [--limit N]\n"
		"       lw-replay enumerate LOG --base DEV --cow DEV --mnt DIR [--fstype T]\n"
		"                 [--samples K] [--seed S] [--dry-run] -- CHECK [ARG...]\n");
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "base", required_argument, NULL, 'b' },
		{ "cow", required_argument, NULL, 'c' },
		{ "mnt", required_argument, NULL, 'm' },
		{ "fstype", required_argument, NULL, 't' },
		{ "samples", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct enum_opts o = { .fstype = "ext4", .samples = 2 };
	struct lw_log log = { 0 };
	size_t limit = SIZE_MAX;
	const char *cmd;
	int c;

	if (argc < 2)
		return usage(2);
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': limit = strtoull(optarg, NULL, 0); break;
		case 'b': o.base = optarg; break;
		case 'c': o.cow = optarg; break;
		case 'm': o.mnt = optarg; break;
		case 't': o.fstype = optarg; break;
		case 'k': o.samples = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 's': o.seed = strtoull(optarg, NULL, 0); break;
		case 'n': o.dry_run = true; break;
		case 'h': return usage(0);
		default: return usage(2);
		}
	}
	if (!strcmp(cmd, "list") && argc - optind == 1) {
		log_open(&log, argv[optind]);
		return cmd_list(&log);
	}
	if (!strcmp(cmd, "replay") && argc - optind == 2) {
		log_open(&log, argv[optind]);
		return cmd_replay(&log, argv[optind + 1], limit);
	}
	if (!strcmp(cmd, "enumerate") && argc - optind >= 2 &&
	    (o.dry_run || (o.base && o.cow && o.mnt))) {
		log_open(&log, argv[optind]);
		o.check = argv + optind + 1;
		return cmd_enumerate(&log, &o);
	}
	return usage(2);
}
