// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kstate-qemu's state in the store: see vmstate.h.  Everything goes through libkstate:
 * the record file is checksummed and sealed like every other, the regions are mapped
 * and persisted with its region API.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmstate.h"

#define ERR_LEN 512

static int seterr(char *err, int rc, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static int seterr(char *err, int rc, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(err, ERR_LEN, format, ap);
	va_end(ap);
	return rc;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const char *vm_live_state_str(uint32_t state)
{
	switch (state) {
	case VM_LIVE_NONE:
		return "none";
	case VM_LIVE_RUNNING:
		return "running";
	case VM_LIVE_SUSPENDED:
		return "suspended";
	case VM_LIVE_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}

int vm_init(struct vm *vm, struct kstate_store *store, const char *name, char *err)
{
	size_t i, n = name ? strlen(name) : 0;
	int rc;

	memset(vm, 0, sizeof(*vm));
	if (n == 0 || n > VM_NAME_MAX)
		return seterr(err, -EINVAL, "invalid guest name '%s': 1 to %d characters",
			      name ? name : "", VM_NAME_MAX);
	for (i = 0; i < n; i++)
		if (!(name[i] >= 'a' && name[i] <= 'z') && !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= '0' && name[i] <= '9') && !(i && (name[i] == '-' ||
								   name[i] == '_')))
			return seterr(err, -EINVAL, "invalid guest name '%s': use [A-Za-z0-9_-], "
				      "starting with a letter or digit", name);
	vm->store = store;
	memcpy(vm->name, name, n + 1);
	snprintf(vm->ram_name, sizeof(vm->ram_name), "%s-ram", name);
	snprintf(vm->live_name, sizeof(vm->live_name), "%s-live", name);
	rc = kstate_store_region_path(store, vm->ram_name, vm->ram_path, sizeof(vm->ram_path));
	if (rc)
		return seterr(err, rc, "%s", kstate_errormsg());
	return 0;
}

void vm_fini(struct vm *vm)
{
	kstate_region_unmap(&vm->ram);
	kstate_region_unmap(&vm->live);
}

/* ---------------------------------------------------------------------------------- */
/* NAME-live */

int vm_live_map(struct vm *vm, unsigned int flags, char *err)
{
	bool create = flags & VM_LIVE_CREATE;
	const struct vm_live *l;
	int rc;

	if (vm->live)
		return 0;
	rc = kstate_region_map(vm->store, vm->live_name, create ? 4096 : 0,
			       create ? KSTATE_REGION_CREATE : 0, &vm->live);
	if (rc == -ENOENT && !create)
		return rc;
	if (rc)
		return seterr(err, rc, "%s", kstate_errormsg());
	l = kstate_region_addr(vm->live);
	if (kstate_region_is_new(vm->live) || (flags & VM_LIVE_OVERWRITE))
		return 0;
	if (memcmp(l->magic, VM_LIVE_MAGIC, 8) || le32toh(l->state) > VM_LIVE_STOPPED ||
	    le32toh(l->state) == VM_LIVE_NONE) {
		kstate_region_unmap(&vm->live);
		return seterr(err, -EUCLEAN, "region %s holds no valid live page: the guest's "
			      "state is unknown, so it is not resumed", vm->live_name);
	}
	return 0;
}

uint32_t vm_live_state(struct vm *vm, uint64_t *generation, uint64_t *ram_size)
{
	const struct vm_live *l = vm->live ? kstate_region_addr(vm->live) : NULL;

	if (generation)
		*generation = l ? le64toh(l->generation) : 0;
	if (ram_size)
		*ram_size = l ? le64toh(l->ram_size) : 0;
	if (!l || memcmp(l->magic, VM_LIVE_MAGIC, 8))
		return VM_LIVE_NONE;
	return le32toh(l->state);
}

int vm_live_set(struct vm *vm, uint32_t state, uint64_t generation, uint64_t ram_size,
		char *err)
{
	struct vm_live *l = kstate_region_addr(vm->live);
	int rc;

	memcpy(l->magic, VM_LIVE_MAGIC, 8);
	l->state = htole32(state);
	l->reserved = 0;
	l->generation = htole64(generation);
	l->ram_size = htole64(ram_size);
	l->time_ns = htole64(realtime_ns());
	rc = kstate_region_persist(vm->live, 0, sizeof(*l));
	if (rc)
		return seterr(err, rc, "%s", kstate_errormsg());
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* NAME-ram */

int vm_ram_map(struct vm *vm, uint64_t size, bool create, char *err)
{
	int rc;

	if (vm->ram)
		return 0;
	rc = kstate_region_map(vm->store, vm->ram_name, size,
			       create ? KSTATE_REGION_CREATE : 0, &vm->ram);
	if (rc)
		return seterr(err, rc, "%s", kstate_errormsg());
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Loading */

static const char *meta_str(struct json_object *meta, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(meta, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool meta_u64(struct json_object *meta, const char *key, uint64_t *value)
{
	struct json_object *v;

	if (!json_object_object_get_ex(meta, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*value = json_object_get_uint64(v);
	return true;
}

/* One JSON object filling exactly @length bytes, or NULL. */
static struct json_object *json_parse_object(const void *data, size_t length)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	if (!tok || length > INT32_MAX) {
		json_tokener_free(tok);
		return NULL;
	}
	o = json_tokener_parse_ex(tok, data, (int)length);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != length ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* META against what the file holds and what this guest is. */
static int meta_check(struct vm *vm, struct json_object *meta, struct vm_saved *saved,
		      uint64_t stream_bytes, uint32_t stream_records, char *err)
{
	const char *vmname = meta_str(meta, "vm"), *ram = meta_str(meta, "ram_region");
	const char *qv = meta_str(meta, "qemu_version");
	uint64_t format = 0, bytes = 0, records = 0;
	struct json_object *v;

	if (!meta_u64(meta, "format", &format) || format != VM_FORMAT)
		return seterr(err, -EOPNOTSUPP, "device state of '%s' has format %llu; this "
			      "kstate-qemu reads format %d", vm->name,
			      (unsigned long long)format, VM_FORMAT);
	if (!vmname || strcmp(vmname, vm->name) || !ram || strcmp(ram, vm->ram_name))
		return seterr(err, -EUCLEAN, "device state names guest '%s' with RAM region "
			      "'%s', not '%s' with '%s'", vmname ? vmname : "?", ram ? ram : "?",
			      vm->name, vm->ram_name);
	if (!meta_u64(meta, "ram_size", &saved->ram_size) || !saved->ram_size)
		return seterr(err, -EUCLEAN, "device state of '%s' has no RAM size", vm->name);
	if (!meta_u64(meta, "stream_bytes", &bytes) || bytes != stream_bytes ||
	    !meta_u64(meta, "stream_records", &records) || records != stream_records)
		return seterr(err, -EUCLEAN, "device state of '%s' is incomplete: META says "
			      "%llu bytes in %llu records, the file has %llu in %u", vm->name,
			      (unsigned long long)bytes, (unsigned long long)records,
			      (unsigned long long)stream_bytes, stream_records);
	if (!json_object_object_get_ex(meta, "ignore_shared", &v) || !json_object_get_boolean(v))
		return seterr(err, -EOPNOTSUPP, "device state of '%s' was not saved with "
			      "x-ignore-shared", vm->name);
	snprintf(saved->qemu_version, sizeof(saved->qemu_version), "%s", qv ? qv : "");
	saved->stream_bytes = stream_bytes;
	return 0;
}

static int args_parse(struct vm_saved *saved, const void *data, size_t length, char *err)
{
	const char *p = data;
	size_t i;
	int n = 0;

	if (length && p[length - 1] != '\0')
		return seterr(err, -EUCLEAN, "QEMU arguments record is not NUL-terminated");
	for (i = 0; i < length; i++)
		n += p[i] == '\0';
	saved->args_buf = malloc(length + 1);
	saved->args = calloc((size_t)n + 1, sizeof(char *));
	if (!saved->args_buf || !saved->args)
		return seterr(err, -ENOMEM, "out of memory");
	memcpy(saved->args_buf, data, length);
	for (i = 0, n = 0; i < length; i += strlen(saved->args_buf + i) + 1)
		saved->args[n++] = saved->args_buf + i;
	saved->nargs = n;
	return 0;
}

int vm_saved_load(struct vm *vm, struct vm_saved *saved, char *err)
{
	struct kstate_generation *g = NULL;
	struct json_object *meta = NULL;
	uint64_t number;
	bool found;
	const void *data;
	uint16_t type, flags;
	uint64_t stream_bytes = 0;
	uint32_t stream_records = 0;
	bool have_args = false;
	size_t length;
	int rc;

	memset(saved, 0, sizeof(*saved));
	rc = kstate_generation_new(vm->store, 0, &g);
	if (rc == -ENOENT)
		return seterr(err, rc, "store %s has no sealed generation",
			      kstate_store_path(vm->store));
	if (rc)
		return seterr(err, rc, "%s", kstate_errormsg());
	number = kstate_generation_number(g);
	found = kstate_generation_find(g, KSTATE_KIND_RECORDS, vm->name) >= 0;
	kstate_generation_delete(&g);
	if (!found)
		return seterr(err, -ENOENT, "generation %llu has no device state for '%s'",
			      (unsigned long long)number, vm->name);
	/* From here on, anything missing or wrong is damage, not absence. */
	rc = kstate_reader_new(vm->store, number, vm->name, &saved->reader);
	if (rc)
		return seterr(err, rc == -ENOENT ? -EUCLEAN : rc, "%s", kstate_errormsg());
	saved->generation = kstate_reader_generation(saved->reader);
	if (kstate_reader_client_version(saved->reader) != VM_CLIENT_VERSION) {
		rc = seterr(err, -EOPNOTSUPP, "device state of '%s' has record layout %u; this "
			    "kstate-qemu reads %d", vm->name,
			    kstate_reader_client_version(saved->reader), VM_CLIENT_VERSION);
		goto fail;
	}
	while ((rc = kstate_reader_next(saved->reader, &type, &flags, &data, &length)) == 1) {
		switch (type) {
		case VM_RECORD_STREAM:
			stream_bytes += length;
			stream_records++;
			break;
		case VM_RECORD_ARGS:
			if (have_args) {
				rc = seterr(err, -EUCLEAN, "two QEMU argument records");
				goto fail;
			}
			have_args = true;
			rc = args_parse(saved, data, length, err);
			if (rc)
				goto fail;
			break;
		case VM_RECORD_META:
			json_object_put(meta);
			meta = json_parse_object(data, length);
			if (!meta) {
				rc = seterr(err, -EUCLEAN, "device state of '%s': META is not "
					    "JSON", vm->name);
				goto fail;
			}
			break;
		default:
			if (flags & KSTATE_RECORD_CRITICAL) {
				rc = seterr(err, -EOPNOTSUPP, "device state of '%s' has a record "
					    "of unknown type %u", vm->name, type);
				goto fail;
			}
		}
	}
	if (rc < 0) {
		rc = seterr(err, rc, "%s", kstate_errormsg());
		goto fail;
	}
	if (!meta || !have_args || !stream_records) {
		rc = seterr(err, -EUCLEAN, "device state of '%s' lacks its %s record", vm->name,
			    !meta ? "META" : !have_args ? "ARGS" : "STREAM");
		goto fail;
	}
	rc = meta_check(vm, meta, saved, stream_bytes, stream_records, err);
	if (rc)
		goto fail;
	json_object_put(meta);
	kstate_reader_rewind(saved->reader);
	return 0;
fail:
	json_object_put(meta);
	vm_saved_free(saved);
	return rc;
}

void vm_saved_free(struct vm_saved *saved)
{
	kstate_reader_delete(&saved->reader);
	free(saved->args);
	free(saved->args_buf);
	saved->args = NULL;
	saved->args_buf = NULL;
}

int vm_saved_feed(struct vm_saved *saved, int fd, char *err)
{
	const void *data;
	uint16_t type, flags;
	size_t length, off;
	int rc;

	kstate_reader_rewind(saved->reader);
	while ((rc = kstate_reader_next(saved->reader, &type, &flags, &data, &length)) == 1) {
		if (type != VM_RECORD_STREAM)
			continue;
		for (off = 0; off < length;) {
			ssize_t n = write(fd, (const char *)data + off, length - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return seterr(err, -errno, "feeding QEMU the device state: %s",
					      errno == EPIPE ? "QEMU stopped reading it" :
					      strerror(errno));
			off += (size_t)n;
		}
	}
	if (rc < 0)
		return seterr(err, rc, "%s", kstate_errormsg());
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Saving */

int vm_save_begin(struct vm *vm, struct vm_save *save, char *const args[], char *err)
{
	size_t len = 0, i;
	char *buf, *p;
	int rc;

	memset(save, 0, sizeof(*save));
	rc = kstate_txn_new(vm->store, &save->txn);
	if (!rc)
		rc = kstate_writer_new(vm->store, save->txn, vm->name, VM_CLIENT_VERSION,
				       &save->writer);
	if (rc) {
		seterr(err, rc, "%s", kstate_errormsg());
		vm_save_abort(save);
		return rc;
	}
	for (i = 0; args[i]; i++)
		len += strlen(args[i]) + 1;
	buf = malloc(len ? len : 1);
	if (!buf) {
		vm_save_abort(save);
		return seterr(err, -ENOMEM, "out of memory");
	}
	for (i = 0, p = buf; args[i]; i++)
		p = stpcpy(p, args[i]) + 1;
	rc = kstate_writer_add(save->writer, VM_RECORD_ARGS, KSTATE_RECORD_CRITICAL, buf, len);
	free(buf);
	if (rc) {
		seterr(err, rc, "%s", kstate_errormsg());
		vm_save_abort(save);
	}
	return rc;
}

int vm_save_stream(struct vm_save *save, int fd, char *err)
{
	char *buf = malloc(VM_STREAM_CHUNK);
	size_t fill = 0;
	int rc = 0;

	if (!buf)
		return seterr(err, -ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf + fill, VM_STREAM_CHUNK - fill);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = seterr(err, -errno, "reading QEMU's migration stream: %s",
				    strerror(errno));
			break;
		}
		fill += (size_t)n;
		if (fill == VM_STREAM_CHUNK || (n == 0 && fill)) {
			rc = kstate_writer_add(save->writer, VM_RECORD_STREAM,
					       KSTATE_RECORD_CRITICAL, buf, fill);
			if (rc) {
				seterr(err, rc, "%s", kstate_errormsg());
				break;
			}
			save->stream_bytes += fill;
			save->stream_records++;
			fill = 0;
		}
		if (n == 0)
			break;
	}
	free(buf);
	return rc;
}

int vm_save_commit(struct vm *vm, struct vm_save *save, struct json_object *meta,
		   uint64_t *persist_us, char *err)
{
	const char *text;
	struct timespec t0, t1;
	int rc;

	json_object_object_add(meta, "format", json_object_new_int(VM_FORMAT));
	json_object_object_add(meta, "vm", json_object_new_string(vm->name));
	json_object_object_add(meta, "ram_region", json_object_new_string(vm->ram_name));
	json_object_object_add(meta, "ram_size",
			       json_object_new_uint64(kstate_region_size(vm->ram)));
	json_object_object_add(meta, "stream_bytes", json_object_new_uint64(save->stream_bytes));
	json_object_object_add(meta, "stream_records",
			       json_object_new_uint64(save->stream_records));
	json_object_object_add(meta, "ignore_shared", json_object_new_boolean(true));
	text = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN);
	rc = kstate_writer_add(save->writer, VM_RECORD_META, KSTATE_RECORD_CRITICAL, text,
			       strlen(text));
	json_object_put(meta);
	if (!rc)
		rc = kstate_writer_commit(save->writer);
	if (!rc)
		rc = kstate_txn_add_region(save->txn, vm->ram_name);
	if (!rc)
		rc = kstate_txn_add_region(save->txn, vm->live_name);
	if (rc)
		return seterr(err, rc, "%s", kstate_errormsg());
	/* Guest RAM, as QEMU left it when it stopped: durable before anything says so. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = kstate_region_persist(vm->ram, 0, kstate_region_size(vm->ram));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*persist_us = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
				 (t1.tv_nsec - t0.tv_nsec) / 1000);
	if (rc)
		return seterr(err, rc, "%s", kstate_errormsg());
	/*
	 * NAME-live names the generation before it is sealed: a crash between the two
	 * leaves a live page naming a generation that never sealed, which resume
	 * refuses, and the previous generation's device state no longer matches RAM.
	 */
	rc = vm_live_set(vm, VM_LIVE_SUSPENDED, kstate_txn_generation(save->txn),
			 kstate_region_size(vm->ram), err);
	if (rc)
		return rc;
	rc = kstate_txn_commit(save->txn);
	if (rc) {
		char ignored[ERR_LEN];

		seterr(err, rc, "%s", kstate_errormsg());
		vm_live_set(vm, VM_LIVE_RUNNING, 0, kstate_region_size(vm->ram), ignored);
		return rc;
	}
	return 0;
}

void vm_save_abort(struct vm_save *save)
{
	kstate_writer_delete(&save->writer);
	kstate_txn_delete(&save->txn);
}

/* ---------------------------------------------------------------------------------- */
/* Discarding */

/* Whether any generation the store keeps lists region @name. */
static bool region_kept(struct vm *vm, const char *name)
{
	uint64_t gens[64];
	int n = kstate_store_generations(vm->store, gens, 64), i;
	bool kept = n < 0 || n > 64;	/* when unsure, keep the file */

	for (i = 0; !kept && i < n; i++) {
		struct kstate_generation *g = NULL;

		if (kstate_generation_new(vm->store, gens[i], &g))
			continue;
		kept = kstate_generation_is_sealed(g) &&
		       kstate_generation_find(g, KSTATE_KIND_REGION, name) >= 0;
		kstate_generation_delete(&g);
	}
	return kept;
}

int vm_discard(struct vm *vm, bool *files_kept, char *err)
{
	struct kstate_generation *g = NULL;
	struct kstate_txn *txn = NULL;
	const char *regions[2] = { vm->live_name, vm->ram_name };
	bool listed = false;
	int rc, i;

	*files_kept = false;
	rc = kstate_generation_new(vm->store, 0, &g);
	if (rc && rc != -ENOENT)
		return seterr(err, rc, "%s", kstate_errormsg());
	rc = 0;		/* no sealed generation: nothing lists the guest */
	if (g)
		listed = kstate_generation_find(g, KSTATE_KIND_RECORDS, vm->name) >= 0 ||
			 kstate_generation_find(g, KSTATE_KIND_REGION, vm->ram_name) >= 0 ||
			 kstate_generation_find(g, KSTATE_KIND_REGION, vm->live_name) >= 0;
	if (listed) {
		rc = kstate_txn_new(vm->store, &txn);
		if (!rc && kstate_generation_find(g, KSTATE_KIND_RECORDS, vm->name) >= 0)
			rc = kstate_txn_remove(txn, KSTATE_KIND_RECORDS, vm->name);
		for (i = 0; i < 2; i++)
			if (!rc && kstate_generation_find(g, KSTATE_KIND_REGION, regions[i]) >= 0)
				rc = kstate_txn_remove(txn, KSTATE_KIND_REGION, regions[i]);
		if (!rc)
			rc = kstate_txn_commit(txn);
		kstate_txn_delete(&txn);
	}
	kstate_generation_delete(&g);
	if (rc)
		return seterr(err, rc, "%s", kstate_errormsg());
	kstate_region_unmap(&vm->ram);
	kstate_region_unmap(&vm->live);
	/*
	 * An older generation the store still keeps may list the regions: removing their
	 * files would make it fail verification, so they stay until it is collected.
	 */
	for (i = 0; i < 2; i++) {
		if (region_kept(vm, regions[i])) {
			*files_kept = true;
			continue;
		}
		rc = kstate_region_remove(vm->store, regions[i]);
		if (rc && rc != -ENOENT)
			return seterr(err, rc, "%s", kstate_errormsg());
	}
	return 0;
}
