// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * store-only DIR - a program that uses only libkstate's store API, as a VMM saving its
 * device state would: create a store, write a record file, commit, read it back.
 * tests/unit/exports.sh runs it and checks what it links (ldd).
 */
#include <libkstate.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct kstate_ctx *ctx = NULL;
	struct kstate_store *s = NULL;
	struct kstate_txn *txn = NULL;
	struct kstate_writer *w = NULL;
	struct kstate_reader *r = NULL;
	const void *data;
	size_t len;
	uint16_t type;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: store-only DIR\n");
		return 2;
	}
	rc = kstate_ctx_new(&ctx);
	if (!rc)
		rc = kstate_store_new(ctx, argv[1], KSTATE_STORE_CREATE, &s);
	if (!rc)
		rc = kstate_txn_new(s, &txn);
	if (!rc)
		rc = kstate_writer_new(s, txn, "vmm", 1, &w);
	if (!rc)
		rc = kstate_writer_add(w, 7, 0, "device state", 12);
	if (!rc)
		rc = kstate_writer_commit(w);
	if (!rc)
		rc = kstate_txn_commit(txn);
	if (!rc)
		rc = kstate_reader_new(s, 0, "vmm", &r);
	if (!rc)
		rc = kstate_reader_next(r, &type, NULL, &data, &len) == 1 && type == 7 &&
		     len == 12 && memcmp(data, "device state", 12) == 0 ? 0 : -1;
	if (rc)
		fprintf(stderr, "store-only: %d: %s\n", rc, kstate_errormsg());
	else
		printf("store-only: generation %llu written and read back\n",
		       (unsigned long long)kstate_store_generation(s));
	kstate_reader_delete(&r);
	kstate_writer_delete(&w);
	kstate_txn_delete(&txn);
	kstate_store_delete(&s);
	kstate_ctx_delete(&ctx);
	return rc ? 1 : 0;
}
