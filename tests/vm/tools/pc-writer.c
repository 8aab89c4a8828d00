// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pc-writer - the userspace side of the power-cut campaign (tests/vm/scenarios/
 * kstate-powercut.sh), run in the guest against $KSTATE_STORE.
 *
 *   pc-writer commit COUNTER [--kernel]
 *	seal one generation holding the user object "pc-user": a record with the
 *	generation and COUNTER, and a record of pattern bytes derived from COUNTER;
 *	with --kernel the kstate module saves every kernel client into the same
 *	generation (one consistent cut).  Prints "generation G".
 *   pc-writer check
 *	read "pc-user" of the newest sealed generation through libkstate (which checks
 *	the manifest, the file's CRC and every record) and check its contents are those
 *	commit wrote for that generation.  Prints "user-generation E counter C".
 *
 * Exit: 0 done, 1 failed (the reason on stderr), 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>

#include <libkstate.h>

#define PC_OBJECT	"pc-user"
#define PC_VERSION	1
#define PC_REC_HEAD	1
#define PC_REC_PATTERN	2

struct pc_head {
	uint64_t generation;	/* little-endian on media */
	uint64_t counter;
	uint32_t pattern_len;
	uint32_t reserved;
};

static const char *store_path(void)
{
	const char *p = getenv("KSTATE_STORE");

	return p && *p ? p : "/var/lib/kstate";
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "pc-writer: %s: %s (%s)\n", what, kstate_errormsg(), strerror(-rc));
	return 1;
}

/* Between 1 and 12 KiB, so record files of different generations differ in size too. */
static uint32_t pattern_len(uint64_t counter)
{
	return 1 + (uint32_t)((counter * 2654435761U) % 12288);
}

static void pattern_fill(uint8_t *p, uint32_t len, uint64_t counter)
{
	uint64_t x = counter * 0x9e3779b97f4a7c15ULL + 1;
	uint32_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

static int commit(struct kstate_ctx *ctx, uint64_t counter, int kernel)
{
	struct kstate_store *s = NULL;
	struct kstate_txn *txn = NULL;
	struct kstate_writer *w = NULL;
	struct kstate_dev *dev = NULL;
	struct pc_head head = { 0 };
	uint8_t pattern[12288];
	uint32_t len = pattern_len(counter);
	int rc, ret = 1;

	rc = kstate_store_new(ctx, store_path(), 0, &s);
	if (rc)
		return fail("open store", rc);
	rc = kstate_txn_new(s, &txn);
	if (rc) {
		fail("start generation", rc);
		goto out;
	}
	head.generation = htole64(kstate_txn_generation(txn));
	head.counter = htole64(counter);
	head.pattern_len = htole32(len);
	pattern_fill(pattern, len, counter);
	rc = kstate_writer_new(s, txn, PC_OBJECT, PC_VERSION, &w);
	if (!rc)
		rc = kstate_writer_add(w, PC_REC_HEAD, KSTATE_RECORD_CRITICAL, &head, sizeof(head));
	if (!rc)
		rc = kstate_writer_add(w, PC_REC_PATTERN, 0, pattern, len);
	if (!rc)
		rc = kstate_writer_commit(w);
	if (rc) {
		fail("write " PC_OBJECT, rc);
		goto out;
	}
	if (kernel) {
		rc = kstate_dev_new(ctx, &dev);
		if (!rc)
			rc = kstate_dev_save(dev, txn, NULL);
		if (rc) {
			fail("save kernel clients", rc);
			goto out;
		}
	}
	rc = kstate_txn_commit(txn);
	if (rc) {
		fail("seal", rc);
		goto out;
	}
	printf("generation %" PRIu64 "\n", kstate_txn_generation(txn));
	ret = 0;
out:
	kstate_dev_delete(&dev);
	kstate_writer_delete(&w);
	kstate_txn_delete(&txn);
	kstate_store_delete(&s);
	return ret;
}

static int check(struct kstate_ctx *ctx)
{
	struct kstate_store *s = NULL;
	struct kstate_generation *g = NULL;
	struct kstate_reader *r = NULL;
	struct pc_head head;
	uint8_t want[12288];
	const void *data;
	size_t length;
	uint16_t type, flags;
	uint64_t gen, counter, egen;
	int rc, ret = 1, idx;

	rc = kstate_store_new(ctx, store_path(), KSTATE_STORE_RDONLY, &s);
	if (rc)
		return fail("open store", rc);
	rc = kstate_generation_new(s, 0, &g);
	if (rc) {
		fail("newest sealed generation", rc);
		goto out;
	}
	gen = kstate_generation_number(g);
	idx = kstate_generation_find(g, KSTATE_KIND_RECORDS, PC_OBJECT);
	if (idx < 0) {
		fprintf(stderr, "pc-writer: generation %" PRIu64 " lists no %s\n", gen, PC_OBJECT);
		goto out;
	}
	egen = kstate_generation_entry_generation(g, (unsigned int)idx);
	rc = kstate_reader_new(s, gen, PC_OBJECT, &r);
	if (rc) {
		fail("read " PC_OBJECT, rc);
		goto out;
	}
	rc = kstate_reader_next(r, &type, &flags, &data, &length);
	if (rc != 1 || type != PC_REC_HEAD || length != sizeof(head)) {
		fprintf(stderr, "pc-writer: %s of generation %" PRIu64 ": no head record\n",
			PC_OBJECT, gen);
		goto out;
	}
	memcpy(&head, data, sizeof(head));
	counter = le64toh(head.counter);
	if (le64toh(head.generation) != egen || kstate_reader_generation(r) != egen) {
		fprintf(stderr, "pc-writer: %s: written for generation %" PRIu64 ", file of %"
			PRIu64 ", listed as %" PRIu64 "\n", PC_OBJECT,
			(uint64_t)le64toh(head.generation), kstate_reader_generation(r), egen);
		goto out;
	}
	rc = kstate_reader_next(r, &type, &flags, &data, &length);
	if (rc != 1 || type != PC_REC_PATTERN || length != pattern_len(counter) ||
	    le32toh(head.pattern_len) != length) {
		fprintf(stderr, "pc-writer: %s: pattern record missing or of the wrong size\n",
			PC_OBJECT);
		goto out;
	}
	pattern_fill(want, (uint32_t)length, counter);
	if (memcmp(want, data, length)) {
		fprintf(stderr, "pc-writer: %s: pattern differs from counter %" PRIu64 "'s\n",
			PC_OBJECT, counter);
		goto out;
	}
	if (kstate_reader_next(r, &type, &flags, &data, &length) != 0) {
		fprintf(stderr, "pc-writer: %s: unexpected records after the pattern\n",
			PC_OBJECT);
		goto out;
	}
	printf("generation %" PRIu64 " user-generation %" PRIu64 " counter %" PRIu64 "\n",
	       gen, egen, counter);
	ret = 0;
out:
	kstate_reader_delete(&r);
	kstate_generation_delete(&g);
	kstate_store_delete(&s);
	return ret;
}

int main(int argc, char **argv)
{
	struct kstate_ctx *ctx = NULL;
	char *end;
	uint64_t counter;
	int rc;

	if (argc >= 3 && !strcmp(argv[1], "commit")) {
		errno = 0;
		counter = strtoull(argv[2], &end, 10);
		if (errno || *end || (argc == 4 && strcmp(argv[3], "--kernel")) || argc > 4)
			goto usage;
		if (kstate_ctx_new(&ctx))
			return 1;
		rc = commit(ctx, counter, argc == 4);
	} else if (argc == 2 && !strcmp(argv[1], "check")) {
		if (kstate_ctx_new(&ctx))
			return 1;
		rc = check(ctx);
	} else {
		goto usage;
	}
	kstate_ctx_delete(&ctx);
	return rc;
usage:
	fprintf(stderr, "usage: pc-writer commit COUNTER [--kernel] | pc-writer check\n");
	return 2;
}
