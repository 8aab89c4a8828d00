// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * make-store - fill a store for the command-line tests: make-store DIR [GENERATIONS]
 *
 * Each generation holds a user client "vmm" (two records), a region "guest-ram" and a
 * kernel client "iommu-demo".  Kernel record files are written by the kstate module in
 * real life; here the helper writes one the way the module does (format encoder, the
 * kernel flag in the header and in the manifest entry) through libkstate internals.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "private.h"

static void die(const char *what, int rc)
{
	fprintf(stderr, "make-store: %s: %s (%s)\n", what, kstate_errormsg(), strerror(-rc));
	exit(1);
}

/* One kernel record file with a single record, listed in @txn with the kernel flag. */
static void add_kernel_client(struct kstate_store *s, struct kstate_txn *txn,
			      const char *name, uint32_t version, const char *text)
{
	struct {
		struct kstate_file_header h;
		struct kstate_record_header r;
		char payload[64];
	} file;
	struct kstate_file_info fi = { 0 };
	struct kstate_entry e = { 0 };
	char fname[KSTATE_FILENAME_MAX];
	uint32_t len = (uint32_t)strlen(text);
	size_t size = sizeof(file.h) + kstate_record_size(len);
	const char *step = "";
	int rc;

	memset(&file, 0, sizeof(file));
	memcpy(file.payload, text, len);
	kstate_record_header_encode(&file.r, 1, KSTATE_RECORD_F_CRITICAL, file.payload, len);
	fi.flags = KSTATE_FILE_F_KERNEL;
	fi.generation = kstate_txn_generation(txn);
	fi.creation_time_ns = kstate_now_ns();
	fi.payload_length = size - sizeof(file.h);
	fi.record_count = 1;
	fi.client_version = version;
	memcpy(fi.store_uuid, kstate_store_uuid(s), KSTATE_UUID_LEN);
	kstate_kernel_release(fi.kernel_release);
	snprintf(fi.name, sizeof(fi.name), "%s", name);
	if (kstate_file_header_encode(&file.h, &fi))
		die("encode kernel file header", -EINVAL);
	kstate_records_filename(fname, sizeof(fname), name, fi.generation);
	rc = kio_write_durable(s->dirfd, fname, &file, size, false, &step);
	if (!rc)
		rc = txn_track_file(txn, fname);
	if (rc)
		die(step, rc);
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.generation = fi.generation;
	e.size = size;
	e.crc = kstate_crc32c(&file, size);
	e.kind = KSTATE_ENTRY_RECORDS;
	e.flags = KSTATE_ENTRY_F_KERNEL;
	e.client_version = version;
	rc = txn_put_entry(txn, &e);
	if (rc)
		die("list kernel file", rc);
}

int main(int argc, char **argv)
{
	struct kstate_ctx *ctx = NULL;
	struct kstate_store *s = NULL;
	struct kstate_region *region = NULL;
	int n = argc > 2 ? atoi(argv[2]) : 3;
	int g, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: make-store DIR [GENERATIONS]\n");
		return 2;
	}
	if ((rc = kstate_ctx_new(&ctx)) ||
	    (rc = kstate_store_new(ctx, argv[1], KSTATE_STORE_CREATE, &s)))
		die(argv[1], rc);
	kstate_store_set_keep(s, 100);	/* the tests decide what gc keeps */
	rc = kstate_region_map(s, "guest-ram", 65536, KSTATE_REGION_CREATE, &region);
	if (rc)
		die("region", rc);
	memset(kstate_region_addr(region), 0x5a, 65536);
	kstate_region_persist(region, 0, 65536);
	kstate_region_unmap(&region);
	for (g = 1; g <= n; g++) {
		struct kstate_txn *txn = NULL;
		struct kstate_writer *w = NULL;
		char text[64];

		snprintf(text, sizeof(text), "vmm state of generation %d", g);
		if ((rc = kstate_txn_new(s, &txn)) ||
		    (rc = kstate_writer_new(s, txn, "vmm", 2, &w)) ||
		    (rc = kstate_writer_add(w, 1, KSTATE_RECORD_CRITICAL, text, strlen(text))) ||
		    (rc = kstate_writer_add(w, 7, 0, "optional", 8)) ||
		    (rc = kstate_writer_commit(w)) ||
		    (rc = kstate_txn_add_region(txn, "guest-ram")))
			die("vmm", rc);
		snprintf(text, sizeof(text), "iommu tables of generation %d", g);
		add_kernel_client(s, txn, "iommu-demo", 1, text);
		rc = kstate_txn_commit(txn);
		if (rc)
			die("commit", rc);
		kstate_writer_delete(&w);
		kstate_txn_delete(&txn);
	}
	printf("%s: %d generations, newest %llu\n", argv[1], n,
	       (unsigned long long)kstate_store_generation(s));
	kstate_store_delete(&s);
	kstate_ctx_delete(&ctx);
	return 0;
}
