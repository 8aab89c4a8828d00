// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate-forge - the attacker of the hostile-input scenario (tests/vm/scenarios/
 * kstate-hostile.sh): it rewrites files of the store at $KSTATE_STORE so that every
 * checksum is right again, leaving only the checks that look at meaning to catch them.
 *
 *   kstate-forge file NAME FIELD VALUE
 *	set a field of the file header of kernel client NAME's record file in the newest
 *	sealed generation (version_major, incompat, payload_length, generation,
 *	client_version), recompute the header CRC, then reseal (below)
 *   kstate-forge record-length NAME VALUE
 *	set the length of the file's first record, recompute that record's CRC over what
 *	is there, then reseal
 *   kstate-forge reseal NAME
 *	make the newest manifest's entry for NAME agree with its file again (size, CRC32C,
 *	client version) and recompute the manifest's CRCs: the file now passes every
 *	size and checksum test
 *   kstate-forge manifest FIELD VALUE
 *	set a field of the newest manifest's header (version_major, incompat, generation)
 *	and recompute its CRC
 *   kstate-forge bind [GENERATION]
 *	bind the kstate module to the store at GENERATION (default: the newest sealed)
 *	without any userspace check, as if the files changed after kstate-load looked at
 *	them: only the module's own checks stand between them and the clients
 *
 * It uses the format code's constants and CRC, never its encoders, so that it can write
 * what they would refuse.  Exit: 0 done, 1 failed, 2 usage.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "private.h"

static const char *store_path(void)
{
	const char *p = getenv("KSTATE_STORE");

	return p && *p ? p : "/var/lib/kstate";
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kstate-forge: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long n;

	if (!f)
		die("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("cannot read %s", path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* In place: the inode (owner, links, immutable flag) stays the one that was there. */
static void write_all(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || fsync(fd) || close(fd))
		die("cannot write %s", path);
}

/* Newest manifest on disk (sealed or not), by file name. */
static uint64_t newest_manifest(char *path, size_t len)
{
	char fname[KSTATE_FILENAME_MAX];
	struct kstate_ctx *ctx = NULL;
	struct kstate_store *s = NULL;
	uint64_t g;

	if (kstate_ctx_new(&ctx) || kstate_store_new(ctx, store_path(), KSTATE_STORE_RDONLY, &s))
		die("cannot open the store %s", store_path());
	g = s->newest;
	if (!g)
		die("%s has no sealed generation", store_path());
	kstate_manifest_filename(fname, sizeof(fname), g);
	snprintf(path, len, "%s/%s", store_path(), fname);

	kstate_store_delete(&s);
	kstate_ctx_delete(&ctx);
	return g;
}

static void manifest_recrc(void *buf, size_t len)
{
	struct kstate_manifest_header *h = buf;
	u32 n = le32_to_cpu(h->entry_count);

	if (len < kstate_manifest_size(n))
		die("%s", "manifest shorter than its entries");
	h->entries_crc = cpu_to_le32(kstate_crc32c((u8 *)buf + KSTATE_MANIFEST_HEADER_SIZE,
						   (size_t)n * KSTATE_MANIFEST_ENTRY_SIZE));
	h->header_crc = cpu_to_le32(kstate_crc32c(h, offsetof(struct kstate_manifest_header,
							       header_crc)));
}

/* The kernel record entry for @name in manifest @buf, or die. */
static struct kstate_manifest_entry *manifest_find(void *buf, const char *name)
{
	struct kstate_manifest_header *h = buf;
	u32 i, n = le32_to_cpu(h->entry_count);
	u8 field[KSTATE_NAME_LEN];

	if (kstate_name_encode(field, name))
		die("invalid name '%s'", name);
	for (i = 0; i < n; i++) {
		struct kstate_manifest_entry *e = (void *)((u8 *)buf + kstate_manifest_size(i));

		if (!memcmp(e->name, field, sizeof(field)) &&
		    le16_to_cpu(e->kind) == KSTATE_ENTRY_RECORDS)
			return e;
	}
	die("the newest manifest lists no record file '%s'", name);
}

static void record_path(const char *name, char *path, size_t len)
{
	char mpath[512], fname[KSTATE_FILENAME_MAX];
	struct kstate_manifest_entry *e;
	size_t mlen;
	void *m;

	newest_manifest(mpath, sizeof(mpath));
	m = read_all(mpath, &mlen);
	e = manifest_find(m, name);
	kstate_records_filename(fname, sizeof(fname), name, le64_to_cpu(e->generation));
	snprintf(path, len, "%s/%s", store_path(), fname);
	free(m);
}

static void reseal(const char *name)
{
	char mpath[512], fpath[512];
	struct kstate_manifest_entry *e;
	const struct kstate_file_header *fh;
	size_t mlen, flen;
	void *m, *f;

	newest_manifest(mpath, sizeof(mpath));
	record_path(name, fpath, sizeof(fpath));
	m = read_all(mpath, &mlen);
	f = read_all(fpath, &flen);
	if (flen < sizeof(*fh))
		die("%s is shorter than a file header", fpath);
	fh = f;
	e = manifest_find(m, name);
	e->size = cpu_to_le64(flen);
	e->crc = cpu_to_le32(kstate_crc32c(f, flen));
	e->client_version = fh->client_version;
	manifest_recrc(m, mlen);
	write_all(mpath, m, mlen);
	free(f);
	free(m);
}

static uint64_t number(const char *text)
{
	char *end;
	unsigned long long v = strtoull(text, &end, 0);

	if (*end)
		die("not a number: '%s'", text);
	return v;
}

static void file_field(const char *name, const char *field, uint64_t v)
{
	struct kstate_file_header *h;
	char path[512];
	size_t len;

	record_path(name, path, sizeof(path));
	h = read_all(path, &len);
	if (len < sizeof(*h))
		die("%s is shorter than a file header", path);
	if (!strcmp(field, "version_major"))
		h->version_major = cpu_to_le16((u16)v);
	else if (!strcmp(field, "incompat"))
		h->incompat = cpu_to_le32((u32)v);
	else if (!strcmp(field, "payload_length"))
		h->payload_length = cpu_to_le64(v);
	else if (!strcmp(field, "generation"))
		h->generation = cpu_to_le64(v);
	else if (!strcmp(field, "client_version"))
		h->client_version = cpu_to_le32((u32)v);
	else
		die("unknown file header field '%s'", field);
	h->header_crc = cpu_to_le32(kstate_crc32c(h, offsetof(struct kstate_file_header,
							       header_crc)));
	write_all(path, h, len);
	free(h);
	reseal(name);
}

static void record_length(const char *name, uint64_t v)
{
	struct kstate_record_header *r;
	char path[512];
	size_t len, have;
	u8 *buf;
	u32 crc;

	record_path(name, path, sizeof(path));
	buf = read_all(path, &len);
	if (len < KSTATE_FILE_HEADER_SIZE + sizeof(*r))
		die("%s has no record", path);
	r = (void *)(buf + KSTATE_FILE_HEADER_SIZE);
	r->length = cpu_to_le32((u32)v);
	have = len - KSTATE_FILE_HEADER_SIZE - sizeof(*r);
	if (v < have)
		have = kstate_record_size((u32)v) - sizeof(*r);
	crc = kstate_crc32c_add(kstate_crc32c_begin(), r, offsetof(struct kstate_record_header,
								   crc));
	crc = kstate_crc32c_add(crc, r + 1, have);
	r->crc = cpu_to_le32(kstate_crc32c_end(crc));
	write_all(path, buf, len);
	free(buf);
	reseal(name);
}

static void manifest_field(const char *field, uint64_t v)
{
	struct kstate_manifest_header *h;
	char path[512];
	size_t len;

	newest_manifest(path, sizeof(path));
	h = read_all(path, &len);
	if (!strcmp(field, "version_major"))
		h->version_major = cpu_to_le16((u16)v);
	else if (!strcmp(field, "incompat"))
		h->incompat = cpu_to_le32((u32)v);
	else if (!strcmp(field, "generation"))
		h->generation = cpu_to_le64(v);
	else
		die("unknown manifest header field '%s'", field);
	manifest_recrc(h, len);
	write_all(path, h, len);
	free(h);
}

static void bind(uint64_t generation)
{
	struct kstate_ctx *ctx = NULL;
	struct kstate_store *s = NULL;
	struct kstate_dev *dev = NULL;
	char path[512];
	int rc;

	if (!generation)
		generation = newest_manifest(path, sizeof(path));
	if (kstate_ctx_new(&ctx) || kstate_store_new(ctx, store_path(), KSTATE_STORE_RDONLY, &s))
		die("cannot open the store %s", store_path());
	rc = kstate_dev_new(ctx, &dev);
	if (!rc)
		rc = kstate_dev_bind(dev, s, generation);
	if (rc)
		die("bind: %s", kstate_errormsg());
	kstate_dev_delete(&dev);
	kstate_store_delete(&s);
	kstate_ctx_delete(&ctx);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "file") && argc == 5)
		file_field(argv[2], argv[3], number(argv[4]));
	else if (!strcmp(cmd, "record-length") && argc == 4)
		record_length(argv[2], number(argv[3]));
	else if (!strcmp(cmd, "reseal") && argc == 3)
		reseal(argv[2]);
	else if (!strcmp(cmd, "manifest") && argc == 4)
		manifest_field(argv[2], number(argv[3]));
	else if (!strcmp(cmd, "bind") && argc <= 3)
		bind(argc == 3 ? number(argv[2]) : 0);
	else {
		fprintf(stderr, "usage: kstate-forge file NAME FIELD VALUE | record-length NAME VALUE"
			" | reseal NAME | manifest FIELD VALUE | bind [GENERATION]\n");
		return 2;
	}
	return 0;
}
