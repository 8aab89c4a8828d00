// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kq-forge - the attacker of the QEMU tests: seal a new generation whose device state
 * for guest NAME passes every check of the store and of kstate-qemu (checksums, META,
 * the live page), but whose migration stream is cut short, so that only QEMU itself can
 * refuse it.  kstate-qemu must then keep the guest from running and change nothing.
 *
 *   kq-forge STORE NAME KEEP     keep only the first KEEP bytes of the stream
 *
 * (Cutting only the tail is not enough: QEMU ends the stream with a JSON description of
 * the devices that the loading side reads but does not need.)
 *
 * Exit: 0 done, 1 failed, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmstate.h"

int main(int argc, char **argv)
{
	struct kstate_ctx *ctx = NULL;
	struct kstate_store *store = NULL;
	struct vm_saved saved = { 0 };
	struct vm_save save = { 0 };
	struct vm vm = { 0 };
	char err[512] = "";
	const void *data;
	uint16_t type, flags;
	uint64_t keep, done = 0, persist_us;
	size_t length;
	int rc;

	if (argc != 4 || !(keep = strtoull(argv[3], NULL, 10))) {
		fprintf(stderr, "usage: kq-forge STORE NAME KEEP\n");
		return 2;
	}
	rc = kstate_ctx_new(&ctx);
	if (!rc)
		rc = kstate_store_new(ctx, argv[1], 0, &store);
	if (rc) {
		fprintf(stderr, "kq-forge: %s\n", kstate_errormsg());
		return 1;
	}
	rc = vm_init(&vm, store, argv[2], err);
	if (!rc)
		rc = vm_live_map(&vm, 0, err);
	if (!rc)
		rc = vm_saved_load(&vm, &saved, err);
	if (!rc)
		rc = vm_ram_map(&vm, saved.ram_size, false, err);
	if (!rc && keep >= saved.stream_bytes) {
		snprintf(err, sizeof(err), "the stream has only %llu bytes",
			 (unsigned long long)saved.stream_bytes);
		rc = -EINVAL;
	}
	if (!rc)
		rc = vm_save_begin(&vm, &save, saved.args, err);
	while (!rc && done < keep &&
	       (rc = kstate_reader_next(saved.reader, &type, &flags, &data, &length)) == 1) {
		rc = 0;
		if (type != VM_RECORD_STREAM)
			continue;
		if (length > keep - done)
			length = keep - done;
		rc = kstate_writer_add(save.writer, VM_RECORD_STREAM, KSTATE_RECORD_CRITICAL,
				       data, length);
		if (rc)
			snprintf(err, sizeof(err), "%s", kstate_errormsg());
		done += length;
		save.stream_bytes += length;
		save.stream_records++;
	}
	if (!rc) {
		struct json_object *meta = json_object_new_object();

		json_object_object_add(meta, "qemu_version",
				       json_object_new_string(saved.qemu_version));
		json_object_object_add(meta, "forged", json_object_new_boolean(true));
		rc = vm_save_commit(&vm, &save, meta, &persist_us, err);
	}
	if (rc)
		fprintf(stderr, "kq-forge: %s\n", err);
	else
		printf("kq-forge: generation %llu: %s's stream cut from %llu to %llu bytes\n",
		       (unsigned long long)kstate_txn_generation(save.txn), vm.name,
		       (unsigned long long)saved.stream_bytes, (unsigned long long)keep);
	vm_save_abort(&save);
	vm_saved_free(&saved);
	vm_fini(&vm);
	kstate_store_delete(&store);
	kstate_ctx_delete(&ctx);
	return rc ? 1 : 0;
}
