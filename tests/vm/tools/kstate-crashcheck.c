// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate-crashcheck - an independent check of a kstate store left by a crash.
 *
 * Written from docs/format.md alone: it shares no code with format/ or libkstate (its
 * own CRC32C, its own parser), so a bug in the project's codec or reader cannot hide a
 * bug in the commit protocol from it.  It is the second opinion beside the project's
 * own verifier ("kstate verify"), which it also runs and holds to the same answer.
 *
 *   kstate-crashcheck check STORE --expect DIR [--mark MARK] [--verifier] [--record FILE]
 *
 * What a crash may leave, and what it checks (docs/format.md sections 11 and 12):
 *   - kstate.store is a valid store header, and its high-water mark is not ahead of
 *     the newest sealed generation (a default load would refuse the store);
 *   - every file under a manifest name is a complete, valid manifest, OPEN or SEALED:
 *     manifests are only ever renamed into place after an fsync, so a torn one means
 *     the protocol let a rename reach the disk before the data it names;
 *   - the newest SEALED generation is one MARK allows: "sealed:G" (the last commit
 *     returned: G), "begin:G:S" (a commit of G was in flight: S, the last one sealed
 *     before it, or G), "gc:S" (a gc ran after S was sealed: S);
 *   - every file each sealed manifest lists is there, of the listed size and whole-file
 *     CRC32C, with a valid header naming the same object, generation, client version
 *     and store, and every record intact;
 *   - each sealed manifest is byte for byte the one the writer sealed: DIR holds the
 *     copy of manifest.G taken when the commit of G returned (so the member files,
 *     whose sizes and CRCs it lists, are exactly the files that were sealed);
 *   - with --verifier: "kstate verify --json --store STORE" exits 0 and names the same
 *     newest generation.
 * MARK defaults to $LW_MARK, which lw-replay sets to the last mark of the write log
 * before the crash point it replayed.  --record appends "MARK NEWEST" to FILE, so a
 * caller can tell which outcomes of a commit the crash states covered.
 *
 * Exit: 0 the store is what the protocol promises, 1 it is not (why on stdout), 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* docs/format.md, sections 4 to 9. */
#define PREFIX_SIZE		32
#define FILE_HDR_SIZE		256
#define MANIFEST_HDR_SIZE	256
#define STORE_HDR_SIZE		128
#define ENTRY_SIZE		64
#define MAX_ENTRIES		65536
#define NAME_LEN		32
#define STATE_OPEN		1
#define STATE_SEALED		2
#define KIND_RECORDS		1
#define KIND_REGION		2
#define RECORD_MAX		0x40000000u

struct entry {
	char name[NAME_LEN];
	uint64_t generation, size;
	uint32_t crc, client_version;
	uint16_t kind, flags;
};

struct manifest {
	uint64_t generation;
	uint32_t state, count;
	uint8_t uuid[16];
	struct entry *entries;
};

static char why[512];

__attribute__((format(printf, 1, 2)))
static bool refuse(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return false;
}

/* Put "WHAT: " before the reason already in why. */
static bool refuse_in(const char *what)
{
	char inner[sizeof(why)];

	memcpy(inner, why, sizeof(inner));
	return refuse("%s: %.400s", what, inner);
}

/* Section 2: reflected 0x82F63B78, initial and final value ~0. */
static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? 0x82F63B78u : 0);
		crc_table[i] = c;
	}
}

/* "CRC of A, then B": crc32c_more(crc32c_more(~0, A), B) ^ ~0. */
static uint32_t crc32c_more(uint32_t c, const uint8_t *p, size_t n)
{
	while (n--)
		c = (c >> 8) ^ crc_table[(c ^ *p++) & 0xff];
	return c;
}

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	return crc32c_more(0xffffffffu, p, n) ^ 0xffffffffu;
}

/* Section 1: every integer is little-endian. */
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static bool zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Section 3: 1..31 of [A-Za-z0-9_-], first a letter or digit, NUL-padded in 32 bytes. */
static bool name_ok(const uint8_t *f, char *out)
{
	size_t n = strnlen((const char *)f, NAME_LEN), i;

	if (n == 0 || n == NAME_LEN || !zero(f + n, NAME_LEN - n))
		return false;
	for (i = 0; i < n; i++) {
		char c = (char)f[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '-')))
			return false;
	}
	memcpy(out, f, n + 1);
	return true;
}

/* Section 5.1: printable ASCII up to the first NUL, zeros after it. */
static bool release_ok(const uint8_t *f)
{
	size_t n = strnlen((const char *)f, 64), i;

	for (i = 0; i < n; i++)
		if (f[i] < 0x20 || f[i] > 0x7e)
			return false;
	return zero(f + n, 64 - n);
}

/* Section 4: the common prefix, checked in the documented order. */
static bool prefix_ok(const uint8_t *b, size_t len, const char *magic, uint32_t hsize)
{
	if (len < PREFIX_SIZE)
		return refuse("shorter than the 32-byte prefix (%zu bytes)", len);
	if (memcmp(b, magic, 8))
		return refuse("magic is not %s", magic);
	if (le16(b + 8) != 1)
		return refuse("major version %u", le16(b + 8));
	if (le32(b + 12) != hsize)
		return refuse("header_size %u", le32(b + 12));
	if (len < hsize)
		return refuse("shorter than its %u-byte header (%zu bytes)", hsize, len);
	if (crc32c(b, hsize - 4) != le32(b + hsize - 4))
		return refuse("header CRC does not match");
	if (le32(b + 24))
		return refuse("unknown incompat bits 0x%x", le32(b + 24));
	return true;
}

/* A plain file of the store, read whole; NULL when it is not one (why says). */
static uint8_t *read_file(int dirfd, const char *name, size_t max, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		refuse("%s: %s", name, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (uint64_t)st.st_size > max) {
		refuse("%s: not a plain single-link file of at most %zu bytes", name, max);
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size) {
		refuse("%s: cannot read it", name);
		free(buf);
		return NULL;
	}
	*len = got;
	return buf;
}

/* Section 7. */
static bool store_header(int dirfd, uint8_t uuid[16], uint64_t *hwm)
{
	size_t len;
	uint8_t *b = read_file(dirfd, "kstate.store", 4096, &len);
	bool ok = false;

	if (!b)
		return false;
	if (!prefix_ok(b, len, "KSTATSTO", STORE_HDR_SIZE))
		refuse_in("kstate.store");
	else if (len != STORE_HDR_SIZE)
		refuse("kstate.store: %zu bytes, 128 expected", len);
	else if (le32(b + 28) || !zero(b + 64, 60))
		refuse("kstate.store: flags or reserved bytes set");
	else
		ok = true;
	if (ok) {
		memcpy(uuid, b + 32, 16);
		*hwm = le64(b + 56);
	}
	free(b);
	return ok;
}

/* Section 9: exactly "manifest." and 16 lower-case hex digits, not all zero. */
static bool manifest_name(const char *n, uint64_t *g)
{
	size_t i;

	if (strncmp(n, "manifest.", 9) || strlen(n) != 25)
		return false;
	for (i = 9; i < 25; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	*g = strtoull(n + 9, NULL, 16);
	return *g != 0;
}

static int entry_cmp(const struct entry *a, const struct entry *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Section 6.3, then the store-level checks of section 12. */
static bool manifest_parse(const uint8_t *b, size_t len, uint64_t name_gen,
			   const uint8_t uuid[16], struct manifest *m)
{
	uint32_t i, count;

	memset(m, 0, sizeof(*m));
	if (!prefix_ok(b, len, "KSTATMAN", MANIFEST_HDR_SIZE))
		return false;
	if (le32(b + 28) || !zero(b + 176, 76))
		return refuse("flags or reserved bytes set");
	if (le32(b + 72) != ENTRY_SIZE)
		return refuse("entry_size %u", le32(b + 72));
	m->generation = le64(b + 32);
	if (!m->generation || le64(b + 40) >= m->generation)
		return refuse("generation %" PRIu64 ", base %" PRIu64, m->generation,
			      le64(b + 40));
	m->state = le32(b + 64);
	if (m->state != STATE_OPEN && m->state != STATE_SEALED)
		return refuse("state %u", m->state);
	count = le32(b + 68);
	if (count > MAX_ENTRIES)
		return refuse("%u entries", count);
	if (!release_ok(b + 112))
		return refuse("bad kernel_release");
	if (MANIFEST_HDR_SIZE + (uint64_t)ENTRY_SIZE * count != len)
		return refuse("%zu bytes for %u entries", len, count);
	if (crc32c(b + MANIFEST_HDR_SIZE, (size_t)count * ENTRY_SIZE) != le32(b + 76))
		return refuse("entries CRC does not match");
	if (m->generation != name_gen)
		return refuse("says generation %" PRIu64 " under the name of %" PRIu64,
			      m->generation, name_gen);
	if (memcmp(b + 80, uuid, 16))
		return refuse("belongs to another store");
	memcpy(m->uuid, b + 80, 16);
	m->entries = calloc(count ? count : 1, sizeof(*m->entries));
	if (!m->entries)
		return refuse("out of memory");
	for (i = 0; i < count; i++) {
		const uint8_t *e = b + MANIFEST_HDR_SIZE + (size_t)i * ENTRY_SIZE;
		struct entry *x = &m->entries[i];

		if (!name_ok(e, x->name))
			return refuse("entry %u: bad name", i);
		x->generation = le64(e + 32);
		x->size = le64(e + 40);
		x->crc = le32(e + 48);
		x->kind = le16(e + 52);
		x->flags = le16(e + 54);
		x->client_version = le32(e + 56);
		if (le32(e + 60))
			return refuse("entry %s: reserved set", x->name);
		if (x->kind != KIND_RECORDS && x->kind != KIND_REGION)
			return refuse("entry %s: kind %u", x->name, x->kind);
		if (x->flags & ~1u)
			return refuse("entry %s: flags 0x%x", x->name, x->flags);
		if (!x->generation || x->generation > m->generation)
			return refuse("entry %s: generation %" PRIu64, x->name, x->generation);
		if (x->kind == KIND_RECORDS && x->size < FILE_HDR_SIZE)
			return refuse("entry %s: %" PRIu64 " bytes", x->name, x->size);
		if (x->kind == KIND_REGION && (x->crc || x->client_version))
			return refuse("region entry %s: crc or client_version set", x->name);
		if (i && entry_cmp(&m->entries[i - 1], x) >= 0)
			return refuse("entry %s: out of order", x->name);
	}
	m->count = count;
	return true;
}

/* Sections 5 and 12: a member record file, whole. */
static bool records_ok(int dirfd, const struct manifest *m, const struct entry *e)
{
	char fname[NAME_LEN + 32], name[NAME_LEN];
	uint64_t pos, payload;
	uint32_t count, i = 0, len, pad;
	uint8_t *b;
	size_t flen;
	bool ok = false;

	snprintf(fname, sizeof(fname), "%s.%016" PRIx64 ".ksr", e->name, e->generation);
	b = read_file(dirfd, fname, 1ull << 34, &flen);
	if (!b)
		return false;
	if (flen != e->size) {
		refuse("%s: %zu bytes, the manifest says %" PRIu64, fname, flen, e->size);
		goto out;
	}
	if (crc32c(b, flen) != e->crc) {
		refuse("%s: whole-file CRC does not match the manifest", fname);
		goto out;
	}
	if (!prefix_ok(b, flen, "KSTATREC", FILE_HDR_SIZE)) {
		refuse_in(fname);
		goto out;
	}
	if ((le32(b + 28) & ~1u) || !zero(b + 192, 60) || !release_ok(b + 96) ||
	    !name_ok(b + 160, name)) {
		refuse("%s: header fields invalid", fname);
		goto out;
	}
	if (le64(b + 32) != e->generation || strcmp(name, e->name) ||
	    le32(b + 60) != e->client_version || memcmp(b + 64, m->uuid, 16)) {
		refuse("%s: header does not match its manifest entry", fname);
		goto out;
	}
	payload = le64(b + 48);
	count = le32(b + 56);
	if (payload != flen - FILE_HDR_SIZE) {
		refuse("%s: payload_length %" PRIu64 " in a %zu-byte file", fname, payload, flen);
		goto out;
	}
	for (pos = FILE_HDR_SIZE; pos < flen; i++) {
		if (i == count || flen - pos < 16) {
			refuse("%s: more records than counted, or a cut record", fname);
			goto out;
		}
		len = le32(b + pos + 4);
		pad = (8 - len % 8) % 8;
		if (len > RECORD_MAX || 16 + (uint64_t)len + pad > flen - pos) {
			refuse("%s: record %u runs past the end", fname, i);
			goto out;
		}
		/* Section 5.2: one CRC over header bytes 0..11, the payload, the padding. */
		if ((crc32c_more(crc32c_more(0xffffffffu, b + pos, 12), b + pos + 16,
				 (size_t)len + pad) ^ 0xffffffffu) != le32(b + pos + 12)) {
			refuse("%s: record %u CRC does not match", fname, i);
			goto out;
		}
		if ((le16(b + pos + 2) & ~1u) || le32(b + pos + 8) ||
		    !zero(b + pos + 16 + len, pad)) {
			refuse("%s: record %u flags, reserved or padding set", fname, i);
			goto out;
		}
		pos += 16 + (uint64_t)len + pad;
	}
	if (i != count) {
		refuse("%s: %u records, header says %u", fname, i, count);
		goto out;
	}
	ok = true;
out:
	free(b);
	return ok;
}

/* Section 8: a region is there with the listed size; its contents are its owner's. */
static bool region_ok(int dirfd, const struct entry *e)
{
	char fname[NAME_LEN + 8];
	struct stat st;

	snprintf(fname, sizeof(fname), "%s.region", e->name);
	if (fstatat(dirfd, fname, &st, AT_SYMLINK_NOFOLLOW))
		return refuse("%s: %s", fname, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || (uint64_t)st.st_size != e->size)
		return refuse("%s: not a plain file of %" PRIu64 " bytes", fname, e->size);
	return true;
}

/* The copy of manifest.G the workload took when the commit of G returned. */
static bool as_sealed(const char *expect, uint64_t g, const uint8_t *b, size_t len)
{
	char path[4096];
	uint8_t *want;
	size_t wlen;
	int dfd;
	bool same;

	dfd = open(expect, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return refuse("%s: %s", expect, strerror(errno));
	snprintf(path, sizeof(path), "manifest.%016" PRIx64, g);
	want = read_file(dfd, path, (size_t)MANIFEST_HDR_SIZE + ENTRY_SIZE * MAX_ENTRIES, &wlen);
	close(dfd);
	if (!want)
		return refuse("generation %" PRIu64 " is sealed, but the writer never sealed "
			      "it (no %s/%s)", g, expect, path);
	same = wlen == len && !memcmp(want, b, len);
	free(want);
	return same ? true : refuse("manifest.%016" PRIx64 " differs from the one the writer "
				    "sealed", g);
}

/* MARK: which newest sealed generations a crash at this point may leave. */
static bool mark_allows(const char *mark, uint64_t *a, uint64_t *b)
{
	unsigned long long x, y;
	char end;

	if (sscanf(mark, "sealed:%llu%c", &x, &end) == 1 ||
	    sscanf(mark, "gc:%llu%c", &x, &end) == 1) {
		*a = *b = x;
		return true;
	}
	if (sscanf(mark, "begin:%llu:%llu%c", &x, &y, &end) == 2 && y < x) {
		*a = y;
		*b = x;
		return true;
	}
	return false;
}

/* "kstate verify --json --store STORE": exit 0 and its newest generation. */
static bool verifier(const char *store, uint64_t *newest)
{
	char out[65536], *p;
	size_t got = 0;
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds))
		return refuse("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return refuse("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execlp("kstate", "kstate", "verify", "--json", "--store", store, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (got < sizeof(out) - 1 && (n = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		return refuse("waitpid: %s", strerror(errno));
	for (p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return refuse("kstate verify failed (status 0x%x): %.300s", status, out);
	p = strstr(out, "\"newest\"");
	if (!p || sscanf(p, "\"newest\" :%" SCNu64, newest) != 1)
		return refuse("kstate verify printed no newest: %.300s", out);
	return true;
}

static int check(const char *store, const char *expect, const char *mark, bool run_verifier,
		 bool verbose, const char *record)
{
	struct manifest *ms = NULL;
	uint8_t uuid[16];
	uint64_t hwm, lo, hi, g, newest = 0, vnewest;
	size_t nms = 0, i, j, len;
	struct dirent *de;
	DIR *d;
	int dirfd, ok = 0;

	if (!mark_allows(mark, &lo, &hi)) {
		fprintf(stderr, "kstate-crashcheck: mark '%s' is none of sealed:G, gc:G, "
			"begin:G:S\n", mark);
		return 2;
	}
	dirfd = open(store, O_RDONLY | O_DIRECTORY);
	if (dirfd < 0) {
		refuse("%s: %s", store, strerror(errno));
		goto out;
	}
	if (!store_header(dirfd, uuid, &hwm))
		goto out;
	d = fdopendir(dup(dirfd));
	if (!d) {
		refuse("%s: %s", store, strerror(errno));
		goto out;
	}
	/* Every manifest, OPEN or SEALED, must be whole: each was renamed into place. */
	while ((de = readdir(d))) {
		struct manifest *bigger;
		uint8_t *b;

		if (!manifest_name(de->d_name, &g))
			continue;
		bigger = realloc(ms, (nms + 1) * sizeof(*ms));
		if (!bigger)
			break;
		ms = bigger;
		b = read_file(dirfd, de->d_name,
			      (size_t)MANIFEST_HDR_SIZE + ENTRY_SIZE * MAX_ENTRIES, &len);
		if (!b || !manifest_parse(b, len, g, uuid, &ms[nms])) {
			char what[64];

			snprintf(what, sizeof(what), "%s is torn or invalid", de->d_name);
			refuse_in(what);
			free(b);
			closedir(d);
			goto out;
		}
		if (ms[nms].state == STATE_SEALED) {
			if (!as_sealed(expect, g, b, len)) {
				free(b);
				closedir(d);
				nms++;
				goto out;
			}
			if (g > newest)
				newest = g;
		}
		free(b);
		nms++;
	}
	closedir(d);
	if (newest != lo && newest != hi) {
		refuse("newest sealed generation %" PRIu64 ", but a crash here may only leave "
		       "%" PRIu64 " or %" PRIu64 "%s", newest, lo, hi,
		       newest < lo ? ": a sealed generation was LOST" : "");
		goto out;
	}
	if (hwm > newest) {
		refuse("kstate.store's high-water mark %" PRIu64 " is ahead of the newest sealed "
		       "generation %" PRIu64, hwm, newest);
		goto out;
	}
	/* Every sealed generation the store keeps, every file it lists, whole. */
	for (i = 0; i < nms; i++) {
		if (ms[i].state != STATE_SEALED)
			continue;
		for (j = 0; j < ms[i].count; j++) {
			const struct entry *e = &ms[i].entries[j];

			if (!(e->kind == KIND_RECORDS ? records_ok(dirfd, &ms[i], e) :
			      region_ok(dirfd, e))) {
				char what[64];

				snprintf(what, sizeof(what), "generation %" PRIu64, ms[i].generation);
				refuse_in(what);
				goto out;
			}
		}
	}
	if (run_verifier) {
		if (!verifier(store, &vnewest))
			goto out;
		if (vnewest != newest) {
			refuse("kstate verify says newest %" PRIu64 ", this check %" PRIu64,
			       vnewest, newest);
			goto out;
		}
	}
	ok = 1;
	if (record) {
		FILE *f = fopen(record, "a");

		if (!f || fprintf(f, "%s %" PRIu64 "\n", mark, newest) < 0 || fclose(f)) {
			refuse("%s: cannot append to it", record);
			ok = 0;
		}
	}
	if (ok && verbose)
		printf("ok: newest sealed generation %" PRIu64 " (mark %s), %zu manifests\n",
		       newest, mark, nms);
out:
	for (i = 0; i < nms; i++)
		free(ms[i].entries);
	free(ms);
	if (dirfd >= 0)
		close(dirfd);
	if (!ok)
		printf("FAIL (mark %s): %s\n", mark, why);
	return ok ? 0 : 1;
}

static int usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: kstate-crashcheck check STORE --expect DIR [--mark MARK] [--verifier] "
		"[--record FILE] [--verbose]\n"
		"MARK (default $LW_MARK): sealed:G | gc:G | begin:G:S\n");
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "expect", required_argument, NULL, 'e' },
		{ "mark", required_argument, NULL, 'm' },
		{ "verifier", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "record", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *expect = NULL, *mark = getenv("LW_MARK"), *record = NULL;
	bool run_verifier = false, verbose = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': expect = optarg; break;
		case 'm': mark = optarg; break;
		case 'V': run_verifier = true; break;
		case 'v': verbose = true; break;
		case 'r': record = optarg; break;
		case 'h': return usage(0);
		default: return usage(2);
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "check") || !expect || !mark)
		return usage(2);
	crc_init();
	return check(argv[optind + 1], expect, mark, run_verifier, verbose, record);
}
