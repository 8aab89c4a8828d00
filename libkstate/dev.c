// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dev.c - driving the kstate kernel module through /dev/kstate.
 *
 * The module saves kernel clients into record files and restores them; the generation
 * protocol stays here, in one place: a save is a transaction of this library whose
 * new generation lists the files the module wrote, sealed like any other.
 *
 * Copyright (c) 2026 The kstate authors
 */
#include <fcntl.h>
#include <kstate/ioctl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "private.h"

struct kstate_dev {
	struct kstate_ctx *ctx;
	int fd;
};

/**
 * kstate_dev_new - open the kstate module's device
 * @ctx: library context
 * @out: the device handle
 *
 * Return: 0, -ENOENT when the module is not loaded, -EPERM/-EACCES without
 * CAP_SYS_ADMIN, or another negative errno.
 */
KSTATE_EXPORT int kstate_dev_new(struct kstate_ctx *ctx, struct kstate_dev **out)
{
	struct kstate_dev *dev;
	int fd;

	fd = kio_openat(AT_FDCWD, KSTATE_DEVICE_PATH, O_RDWR, 0);
	if (fd < 0) {
		int rc = fd;

		if (rc == -ENOENT || rc == -ENODEV || rc == -ENXIO)
			return kstate_fail(ctx, -ENOENT, "%s: kstate module not loaded: run "
					   "modprobe kstate", KSTATE_DEVICE_PATH);
		if (rc == -EPERM || rc == -EACCES)
			return kstate_fail(ctx, rc, "%s: must be root (CAP_SYS_ADMIN)",
					   KSTATE_DEVICE_PATH);
		return kstate_fail(ctx, rc, "%s: %s", KSTATE_DEVICE_PATH, strerror(-rc));
	}
	dev = kio_calloc(1, sizeof(*dev));
	if (!dev) {
		close(fd);
		return kstate_fail(ctx, -ENOMEM, "out of memory");
	}
	dev->ctx = ctx;
	dev->fd = fd;
	*out = dev;
	return 0;
}

/**
 * kstate_dev_delete - close the device
 * @dev: pointer to the handle; set to NULL. NULL or a pointer to NULL is fine.
 */
KSTATE_EXPORT void kstate_dev_delete(struct kstate_dev **dev)
{
	if (!dev || !*dev)
		return;
	close((*dev)->fd);
	free(*dev);
	*dev = NULL;
}

static int dev_ioctl(struct kstate_dev *dev, unsigned long cmd, void *arg)
{
	return kio_ioctl(dev->fd, cmd, arg);
}

struct kstate_dev_status {
	struct kstate_ioc_status st;
	struct kstate_client_status *clients;
	unsigned int count;
	struct client_text *text;	/* NUL-terminated copies of the NUL-padded fields */
};

struct client_text {
	char name[sizeof(((struct kstate_client_status *)0)->name) + 1];
	char message[sizeof(((struct kstate_client_status *)0)->message) + 1];
	char keys[KSTATE_CLIENT_DETAIL_MAX][sizeof(((struct kstate_client_detail *)0)->key) + 1];
	char words[KSTATE_CLIENT_DETAIL_MAX][sizeof(((struct kstate_client_detail *)0)->key)];
};

/*
 * A text detail holds "key\0word\0" in its 23 key bytes (ioctl.h): copy the word out,
 * never reading past the key.  A number, or a text detail without a word, gives "".
 */
void dev_detail_word(const struct kstate_client_detail *d, char *word)
{
	const char *key = (const char *)d->key;
	size_t klen = strnlen(key, sizeof(d->key)), n;

	word[0] = '\0';
	if (d->type != KSTATE_DETAIL_TEXT || klen + 1 >= sizeof(d->key))
		return;
	n = strnlen(key + klen + 1, sizeof(d->key) - klen - 1);
	memcpy(word, key + klen + 1, n);
	word[n] = '\0';
}

/**
 * kstate_dev_status_new - take a snapshot of the module's state and its clients
 * @dev: the device
 * @out: the snapshot; the kstate_dev_status_*() getters read it, and it does not
 *	change when the module's state does (take a new one)
 *
 * Return: 0 or a negative errno.
 */
KSTATE_EXPORT int kstate_dev_status_new(struct kstate_dev *dev, struct kstate_dev_status **out)
{
	struct kstate_dev_status *ds;
	struct kstate_client_status *list = NULL;
	unsigned int cap = 0, i;
	int rc;

	ds = kio_calloc(1, sizeof(*ds));
	if (!ds)
		return kstate_fail(dev->ctx, -ENOMEM, "out of memory");
	uint32_t flags = KSTATE_STATUS_F_MODULE_STATE;

	for (;;) {
		memset(&ds->st, 0, sizeof(ds->st));
		ds->st.size = sizeof(ds->st);
		ds->st.flags = flags;
		ds->st.client_count = cap;
		ds->st.client_size = sizeof(*list);
		ds->st.clients = (uintptr_t)list;
		rc = dev_ioctl(dev, KSTATE_IOC_STATUS, &ds->st);
		if (rc == -EINVAL && flags) {
			flags = 0;	/* a module of ABI version 1 */
			continue;
		}
		if (rc) {
			free(list);
			free(ds);
			return kstate_fail(dev->ctx, rc, "%s: status: %s", KSTATE_DEVICE_PATH,
					   strerror(-rc));
		}
		if (ds->st.client_count <= cap)
			break;
		cap = ds->st.client_count + 4;	/* clients may register meanwhile */
		free(list);
		list = kio_calloc(cap, sizeof(*list));
		if (!list) {
			free(ds);
			return kstate_fail(dev->ctx, -ENOMEM, "out of memory");
		}
	}
	ds->clients = list;
	ds->count = ds->st.client_count;
	ds->text = kio_calloc(ds->count + 1, sizeof(*ds->text));
	if (!ds->text) {
		kstate_dev_status_delete(&ds);
		return kstate_fail(dev->ctx, -ENOMEM, "out of memory");
	}
	for (i = 0; i < ds->count; i++) {
		struct client_text *t = &ds->text[i];
		unsigned int j;

		memcpy(t->name, list[i].name, sizeof(list[i].name));
		memcpy(t->message, list[i].message, sizeof(list[i].message));
		if (list[i].detail_count > KSTATE_CLIENT_DETAIL_MAX)
			list[i].detail_count = KSTATE_CLIENT_DETAIL_MAX;
		for (j = 0; j < list[i].detail_count; j++) {
			memcpy(t->keys[j], list[i].detail[j].key, sizeof(list[i].detail[j].key));
			dev_detail_word(&list[i].detail[j], t->words[j]);
		}
	}
	*out = ds;
	return 0;
}

/**
 * kstate_dev_status_delete - release a snapshot
 * @status: pointer to the snapshot; set to NULL. NULL or a pointer to NULL is fine.
 */
KSTATE_EXPORT void kstate_dev_status_delete(struct kstate_dev_status **status)
{
	if (!status || !*status)
		return;
	free((*status)->clients);
	free((*status)->text);
	free(*status);
	*status = NULL;
}

/**
 * kstate_dev_status_is_bound - whether the module has a store bound
 * @status: the snapshot
 *
 * Return: true when a store is bound.
 */
KSTATE_EXPORT bool kstate_dev_status_is_bound(struct kstate_dev_status *status)
{
	return status->st.bound != 0;
}

/**
 * kstate_dev_status_generation - the generation the bound store restores from
 * @status: the snapshot
 *
 * Return: the generation, 0 when none is bound or the store had none.
 */
KSTATE_EXPORT uint64_t kstate_dev_status_generation(struct kstate_dev_status *status)
{
	return status->st.bound_generation;
}

/**
 * kstate_dev_status_store_uuid - the UUID of the bound store
 * @status: the snapshot
 *
 * Return: 16 bytes, all zero when none is bound.
 */
KSTATE_EXPORT const uint8_t *kstate_dev_status_store_uuid(struct kstate_dev_status *status)
{
	return status->st.store_uuid;
}

/**
 * kstate_dev_status_is_frozen - whether a final save froze the kernel clients
 * @status: the snapshot
 *
 * From a save made with %KSTATE_DEV_SAVE_FREEZE until the reboot, or until
 * kstate_dev_thaw(), no kernel client changes its state or regions.
 *
 * Return: true when frozen (always false with a module of ABI version 1).
 */
KSTATE_EXPORT bool kstate_dev_status_is_frozen(struct kstate_dev_status *status)
{
	return status->st.module_state & KSTATE_MODULE_FROZEN;
}

/**
 * kstate_dev_status_client_count - how many clients are registered
 * @status: the snapshot
 *
 * Return: the count; clients are indexed from 0.
 */
KSTATE_EXPORT unsigned int kstate_dev_status_client_count(struct kstate_dev_status *status)
{
	return status->count;
}

static const struct kstate_client_status *client_at(struct kstate_dev_status *ds,
						    unsigned int i)
{
	return i < ds->count ? &ds->clients[i] : NULL;
}

/**
 * kstate_dev_status_client_name - a client's name
 * @status: the snapshot
 * @index: below kstate_dev_status_client_count()
 *
 * Return: the name, or NULL for a bad index.
 */
KSTATE_EXPORT const char *kstate_dev_status_client_name(struct kstate_dev_status *status,
							unsigned int index)
{
	return index < status->count ? status->text[index].name : NULL;
}

/**
 * kstate_dev_status_client_version - the layout version of a client's records
 * @status: the snapshot
 * @index: below kstate_dev_status_client_count()
 *
 * Return: the version, 0 for a bad index.
 */
KSTATE_EXPORT uint32_t kstate_dev_status_client_version(struct kstate_dev_status *status,
							unsigned int index)
{
	const struct kstate_client_status *c = client_at(status, index);

	return c ? c->version : 0;
}

/**
 * kstate_dev_status_client_state - where a client is in its life this boot
 * @status: the snapshot
 * @index: below kstate_dev_status_client_count()
 *
 * Return: %KSTATE_CLIENT_STATE_WAITING (no store bound yet), _FRESH (nothing saved
 * for it), _RESTORED, _FAILED (its saved state was refused: see the error and the
 * message), or _UNKNOWN for a state this library does not know and a bad index.
 */
KSTATE_EXPORT int kstate_dev_status_client_state(struct kstate_dev_status *status,
						 unsigned int index)
{
	const struct kstate_client_status *c = client_at(status, index);

	switch (c ? c->state : ~0U) {
	case KSTATE_CLIENT_WAITING:
		return KSTATE_CLIENT_STATE_WAITING;
	case KSTATE_CLIENT_FRESH:
		return KSTATE_CLIENT_STATE_FRESH;
	case KSTATE_CLIENT_RESTORED:
		return KSTATE_CLIENT_STATE_RESTORED;
	case KSTATE_CLIENT_FAILED:
		return KSTATE_CLIENT_STATE_FAILED;
	default:
		return KSTATE_CLIENT_STATE_UNKNOWN;
	}
}

/**
 * kstate_dev_status_client_error - why a client last failed
 * @status: the snapshot
 * @index: below kstate_dev_status_client_count()
 *
 * Return: a negative errno, 0 when it has not failed or for a bad index.
 */
KSTATE_EXPORT int kstate_dev_status_client_error(struct kstate_dev_status *status,
						 unsigned int index)
{
	const struct kstate_client_status *c = client_at(status, index);

	return c ? c->error : 0;
}

/**
 * kstate_dev_status_client_message - what a client last did, or why it failed
 * @status: the snapshot
 * @index: below kstate_dev_status_client_count()
 *
 * Return: the text ("" if none), or NULL for a bad index.
 */
KSTATE_EXPORT const char *kstate_dev_status_client_message(struct kstate_dev_status *status,
							   unsigned int index)
{
	return index < status->count ? status->text[index].message : NULL;
}

/**
 * kstate_dev_status_client_generation - the generation a client restored from
 * @status: the snapshot
 * @index: below kstate_dev_status_client_count()
 *
 * Return: the generation, 0 when it started fresh or for a bad index.
 */
KSTATE_EXPORT uint64_t kstate_dev_status_client_generation(struct kstate_dev_status *status,
							   unsigned int index)
{
	const struct kstate_client_status *c = client_at(status, index);

	return c ? c->generation : 0;
}

/**
 * kstate_dev_status_client_detail - one value a client reports about itself
 * @status: the snapshot
 * @index: below kstate_dev_status_client_count()
 * @detail: 0, 1, ... until -ENOENT
 * @key: out: its name, for example "mappings"; valid while @status lives
 * @value: out: its value
 *
 * Return: 0, or -ENOENT past the client's last value or for a bad index.
 */
KSTATE_EXPORT int kstate_dev_status_client_detail(struct kstate_dev_status *status,
						  unsigned int index, unsigned int detail,
						  const char **key, uint64_t *value)
{
	const struct kstate_client_status *c = client_at(status, index);

	if (!c || detail >= c->detail_count)
		return -ENOENT;
	*key = status->text[index].keys[detail];
	*value = c->detail[detail].value;
	return 0;
}

/**
 * kstate_dev_status_client_detail_text - the word a client reports for one of its states
 * @status: the snapshot
 * @index: below kstate_dev_status_client_count()
 * @detail: as for kstate_dev_status_client_detail()
 *
 * Some details are states reported as a word (%KSTATE_DETAIL_TEXT), for example the VT-d
 * client's "adopted": "live"; kstate_dev_status_client_detail() gives the word's number.
 *
 * Return: the word, valid while @status lives; NULL for a detail that is a number, or
 * for a bad index.
 */
KSTATE_EXPORT const char *kstate_dev_status_client_detail_text(struct kstate_dev_status *status,
							       unsigned int index,
							       unsigned int detail)
{
	const struct kstate_client_status *c = client_at(status, index);

	if (!c || detail >= c->detail_count || !status->text[index].words[detail][0])
		return NULL;
	return status->text[index].words[detail];
}

/**
 * kstate_dev_bind - hand a store to the module so that clients restore from it
 * @dev: the device
 * @store: the store; its directory is passed by file descriptor
 * @generation: the sealed generation clients restore from (the caller validated it),
 *	0 when there is none: every client starts fresh
 *
 * Clients registered now restore before this returns; later ones at registration.
 *
 * Return: 0, -EBUSY when a store is already bound, -EPERM when the directory is not
 * owned by root or is writable by others, or another negative errno.
 */
KSTATE_EXPORT int kstate_dev_bind(struct kstate_dev *dev, struct kstate_store *store,
				  uint64_t generation)
{
	struct kstate_ioc_bind b = { .size = sizeof(b) };
	int rc;

	b.dirfd = store->dirfd;
	b.generation = generation;
	memcpy(b.store_uuid, store->info.store_uuid, sizeof(b.store_uuid));
	rc = dev_ioctl(dev, KSTATE_IOC_BIND, &b);
	if (rc == -EBUSY)
		return kstate_fail(dev->ctx, rc, "%s: a store is already bound", store->path);
	if (rc == -EPERM)
		return kstate_fail(dev->ctx, rc, "%s: the module refused the store: it must be "
				   "owned by root and not writable by group or others",
				   store->path);
	if (rc)
		return kstate_fail(dev->ctx, rc, "%s: cannot bind generation %llu: %s "
				   "(see the kernel log)", store->path,
				   (unsigned long long)generation, strerror(-rc));
	log_info(dev->ctx, "%s: bound, clients restore from generation %llu", store->path,
		 (unsigned long long)generation);
	return 0;
}

/**
 * kstate_dev_save - save every kernel client into a transaction's generation
 * @dev: the device
 * @txn: an open transaction of the store the module is bound to
 * @saved: out, optional: number of clients saved
 *
 * A checkpoint: kstate_dev_save_flags() with no flags.
 *
 * Return: as kstate_dev_save_flags().
 */
KSTATE_EXPORT int kstate_dev_save(struct kstate_dev *dev, struct kstate_txn *txn,
				  unsigned int *saved)
{
	return kstate_dev_save_flags(dev, txn, 0, saved);
}

/**
 * kstate_dev_save_flags - save every kernel client into a transaction's generation
 * @dev: the device
 * @txn: an open transaction of the store the module is bound to
 * @flags: 0 for a checkpoint, or %KSTATE_DEV_SAVE_FREEZE for the save that precedes a
 *	kexec or reboot: the module freezes its clients first, and they stay frozen (no
 *	client changes its state or regions) until the reboot or kstate_dev_thaw()
 * @saved: out, optional: number of clients saved
 *
 * The module writes one record file per client and persists its regions; their
 * entries join @txn, replacing those of the base generation.  Entries of kernel
 * clients not loaded now, or whose restore was refused, are carried over unchanged.
 * Seal with kstate_txn_commit(); if that fails after a freezing save, thaw.  A freezing
 * save that fails in the module leaves nothing frozen.
 *
 * Return: 0, -ENXIO when the module has no store bound, -EXDEV when it is bound to
 * another store, -EIO when a client failed to save (its status says why; nothing of
 * this save stays), -EBUSY when a client refused to freeze, -EOPNOTSUPP for a freeze
 * on a module of ABI version 1, or another negative errno.
 */
KSTATE_EXPORT int kstate_dev_save_flags(struct kstate_dev *dev, struct kstate_txn *txn,
					unsigned int flags, unsigned int *saved)
{
	struct kstate_store *s = txn_store(txn);
	struct kstate_manifest_entry *me = NULL;
	struct kstate_ioc_status st = { .size = sizeof(st) };
	struct kstate_ioc_save q;
	uint64_t gen = kstate_txn_generation(txn);
	unsigned int cap = 16, i;
	int rc;

	if (flags & ~KSTATE_DEV_SAVE_FREEZE)
		return kstate_fail(dev->ctx, -EINVAL, "invalid save flags 0x%x", flags);
	rc = dev_ioctl(dev, KSTATE_IOC_STATUS, &st);
	if (rc)
		return kstate_fail(dev->ctx, rc, "%s: status: %s", KSTATE_DEVICE_PATH,
				   strerror(-rc));
	if (!st.bound)
		return kstate_fail(dev->ctx, -ENXIO, "%s: the kstate module has no store bound: "
				   "run kstate-load first", s->path);
	if (memcmp(st.store_uuid, s->info.store_uuid, KSTATE_UUID_LEN))
		return kstate_fail(dev->ctx, -EXDEV, "%s: the kstate module is bound to another "
				   "store", s->path);
	if ((flags & KSTATE_DEV_SAVE_FREEZE) && st.abi_version < 2)
		return kstate_fail(dev->ctx, -EOPNOTSUPP, "%s: the kstate module (ABI %u) "
				   "cannot freeze its clients: update it", KSTATE_DEVICE_PATH,
				   st.abi_version);
	for (;;) {
		me = kio_calloc(cap, sizeof(*me));
		if (!me)
			return kstate_fail(dev->ctx, -ENOMEM, "out of memory");
		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.flags = flags & KSTATE_DEV_SAVE_FREEZE ? KSTATE_SAVE_F_FREEZE : 0;
		q.base_generation = kstate_txn_base(txn);
		q.generation = gen;
		q.entries = (uintptr_t)me;
		q.entry_count = cap;
		q.entry_size = sizeof(*me);
		rc = dev_ioctl(dev, KSTATE_IOC_SAVE, &q);
		if (rc != -ENOSPC)
			break;
		cap = q.entry_count + 4;
		free(me);
	}
	if (rc) {
		free(me);
		if (rc == -EIO)
			return kstate_fail(dev->ctx, rc, "%s: %u kernel client(s) failed to save "
					   "(see kstate list and the kernel log)", s->path,
					   q.clients_failed);
		if (rc == -EBUSY && (flags & KSTATE_DEV_SAVE_FREEZE))
			return kstate_fail(dev->ctx, rc, "%s: a kernel client refused to freeze "
					   "(see kstate list and the kernel log); nothing is "
					   "frozen", s->path);
		return kstate_fail(dev->ctx, rc, "%s: kernel save into generation %llu: %s",
				   s->path, (unsigned long long)gen, strerror(-rc));
	}
	for (i = 0; i < q.entry_count && !rc; i++) {
		struct kstate_entry e;
		char fname[KSTATE_FILENAME_MAX];

		/* The module is trusted less than the format: check what it returned. */
		rc = kstate_entry_decode(&me[i], gen, &e);
		if (!rc && (e.generation != gen || !(e.flags & KSTATE_ENTRY_F_KERNEL)))
			rc = -EUCLEAN;
		if (rc) {
			kstate_fail(dev->ctx, rc, "%s: the module returned an invalid entry %u",
				    s->path, i);
			break;
		}
		if (e.kind == KSTATE_ENTRY_RECORDS) {
			kstate_records_filename(fname, sizeof(fname), e.name, gen);
			rc = txn_track_file(txn, fname);
		}
		if (!rc)
			rc = txn_put_entry(txn, &e);
		if (rc)
			kstate_fail(dev->ctx, rc, "%s: cannot add %s to generation %llu: %s",
				    s->path, e.name, (unsigned long long)gen, strerror(-rc));
	}
	free(me);
	if (!rc && saved)
		*saved = q.clients_saved;
	if (!rc)
		log_info(dev->ctx, "%s: %u kernel client(s) saved into generation %llu%s", s->path,
			 q.clients_saved, (unsigned long long)gen,
			 flags & KSTATE_DEV_SAVE_FREEZE ? ", frozen until the reboot" : "");
	return rc;
}

/**
 * kstate_dev_thaw - let frozen kernel clients change their state again
 * @dev: the device
 * @thawed: out, optional: clients thawed
 * @was_frozen: out, optional: whether the clients were frozen
 *
 * Cancels the freeze of a final save whose reboot does not happen.  Thawing when
 * nothing is frozen is not an error.
 *
 * Return: 0, -EOPNOTSUPP for a module of ABI version 1, or another negative errno.
 */
KSTATE_EXPORT int kstate_dev_thaw(struct kstate_dev *dev, unsigned int *thawed,
				  bool *was_frozen)
{
	struct kstate_ioc_thaw t = { .size = sizeof(t) };
	int rc = dev_ioctl(dev, KSTATE_IOC_THAW, &t);

	if (rc == -ENOTTY)
		return kstate_fail(dev->ctx, -EOPNOTSUPP, "%s: the kstate module cannot thaw "
				   "(ABI version 1): update it", KSTATE_DEVICE_PATH);
	if (rc)
		return kstate_fail(dev->ctx, rc, "%s: thaw: %s", KSTATE_DEVICE_PATH,
				   strerror(-rc));
	if (thawed)
		*thawed = t.clients_thawed;
	if (was_frozen)
		*was_frozen = t.was_frozen;
	return 0;
}

/**
 * kstate_dev_discard - give up a kernel client's refused state and start it fresh
 * @dev: the device
 * @client: the client's name; it must be registered and failed
 *
 * The client's last good state, which saves keep carrying while it is refused, is
 * replaced by its fresh state at the next save.
 *
 * Return: 0, -ENOENT when no such client is registered, -EALREADY when it is not
 * failed (nothing to discard), -EBUSY while the clients are frozen, -EOPNOTSUPP for a
 * module of ABI version 1, or the fresh start's error (the client's status says why).
 */
KSTATE_EXPORT int kstate_dev_discard(struct kstate_dev *dev, const char *client)
{
	struct kstate_ioc_discard d = { .size = sizeof(d) };
	int rc;

	if (!client || kstate_name_encode(d.name, client))
		return kstate_fail(dev->ctx, -EINVAL, "invalid client name '%s'",
				   client ? client : "");
	rc = dev_ioctl(dev, KSTATE_IOC_DISCARD, &d);
	switch (rc) {
	case 0:
		return 0;
	case -ENOTTY:
		return kstate_fail(dev->ctx, -EOPNOTSUPP, "%s: the kstate module cannot discard "
				   "(ABI version 1): update it", KSTATE_DEVICE_PATH);
	case -ENOENT:
		return kstate_fail(dev->ctx, rc, "%s: no kernel client '%s' is registered",
				   KSTATE_DEVICE_PATH, client);
	case -EALREADY:
		return kstate_fail(dev->ctx, rc, "%s: client '%s' was not refused: nothing to "
				   "discard", KSTATE_DEVICE_PATH, client);
	case -EBUSY:
		return kstate_fail(dev->ctx, rc, "%s: the clients are frozen for a reboot: run "
				   "'kstate thaw' first", KSTATE_DEVICE_PATH);
	default:
		return kstate_fail(dev->ctx, rc, "%s: client '%s' discarded its state but cannot "
				   "start fresh: %s (see kstate list)", KSTATE_DEVICE_PATH,
				   client, strerror(-rc));
	}
}
