// SPDX-License-Identifier: GPL-2.0-only
/*
 * kstate: keep kernel state across kexec and firmware reboots in files of a DAX store.
 *
 * Clients register with a name and callbacks.  Userspace (kstate-load at boot,
 * kstate-save before kexec or reboot) binds a store directory through /dev/kstate and
 * asks for saves; the module writes each client's records into the store, and at the
 * next boot hands each client its validated records back.  The generation protocol
 * (claiming, sealing, gc) is userspace's, so that one implementation of it exists.
 *
 * Copyright (c) 2026 The kstate authors
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/stringify.h>
#include <linux/uaccess.h>
#include "kstate_internal.h"

DEFINE_MUTEX(kstate_mutex);
static LIST_HEAD(kstate_clients);
static unsigned int kstate_client_count;
/* Set by a freezing save, cleared by KSTATE_IOC_THAW or a failed freezing save. */
bool kstate_frozen;

void kstate_client_fail(struct kstate_client *client, int error, const char *fmt, ...)
{
	va_list ap;

	client->error = error;
	va_start(ap, fmt);
	vscnprintf(client->message, sizeof(client->message), fmt, ap);
	va_end(ap);
	pr_err("%s: %s\n", client->name, client->message);
}

/**
 * kstate_client_fail_why - record a failed callback, keeping the reason it gave
 * @client: the client
 * @error: negative errno the callback returned
 * @what: what failed
 *
 * A callback that fails may have said why with kstate_client_set_message(); that
 * reason stays in the status, after @what.
 */
void kstate_client_fail_why(struct kstate_client *client, int error, const char *what)
{
	char why[sizeof(client->message)];

	strscpy(why, client->message, sizeof(why));
	if (why[0])
		kstate_client_fail(client, error, "%s: %s", what, why);
	else
		kstate_client_fail(client, error, "%s (%d)", what, error);
}

/**
 * kstate_client_set_message - say what the client did, for its status
 * @client: the client
 * @fmt: printf format
 */
void kstate_client_set_message(struct kstate_client *client, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(client->message, sizeof(client->message), fmt, ap);
	va_end(ap);
}
EXPORT_SYMBOL_GPL(kstate_client_set_message);

/* The slot for @key: its own, or a new one; NULL when every slot is taken. */
static struct kstate_client_detail *detail_slot(struct kstate_client *client, const char *key)
{
	struct kstate_client_detail *d;
	u32 i;

	for (i = 0; i < client->detail_count; i++)
		if (!strncmp(client->detail[i].key, key, sizeof(client->detail[i].key)))
			return &client->detail[i];
	if (i == KSTATE_CLIENT_DETAIL_MAX) {
		pr_warn_once("%s: too many status details, '%s' dropped\n", client->name, key);
		return NULL;
	}
	d = &client->detail[client->detail_count++];
	memset(d, 0, sizeof(*d));
	return d;
}

/**
 * kstate_client_set_detail - set a value the client reports in its status
 * @client: the client
 * @key: short name, at most 22 characters
 * @value: the value
 *
 * At most %KSTATE_CLIENT_DETAIL_MAX keys; more are dropped with a warning.
 */
void kstate_client_set_detail(struct kstate_client *client, const char *key, u64 value)
{
	struct kstate_client_detail *d = detail_slot(client, key);

	if (!d)
		return;
	memset(d->key, 0, sizeof(d->key));
	strscpy(d->key, key, sizeof(d->key));
	d->type = KSTATE_DETAIL_U64;
	d->value = value;
}
EXPORT_SYMBOL_GPL(kstate_client_set_detail);

/**
 * kstate_client_set_detail_text - report a state as a word, such as "live" or "refused"
 * @client: the client
 * @key: short name
 * @value: the word's number in the client's own enum (what an older reader shows)
 * @word: the word; the key, the word and their two NULs fit in 23 bytes
 *
 * A word that does not fit is dropped with a warning and only @value is reported.
 */
void kstate_client_set_detail_text(struct kstate_client *client, const char *key, u64 value,
				   const char *word)
{
	size_t klen = strlen(key), wlen = strlen(word);
	struct kstate_client_detail *d;

	kstate_client_set_detail(client, key, value);
	if (klen + wlen + 2 > sizeof(d->key)) {
		pr_warn_once("%s: status detail '%s': '%s' is too long, only its number is reported\n",
			     client->name, key, word);
		return;
	}
	d = detail_slot(client, key);
	if (!d)
		return;
	memcpy(d->key + klen + 1, word, wlen);
	d->type = KSTATE_DETAIL_TEXT;
}
EXPORT_SYMBOL_GPL(kstate_client_set_detail_text);

/**
 * kstate_client_priv - the private pointer given at registration
 * @client: the client
 *
 * Return: the pointer.
 */
void *kstate_client_priv(struct kstate_client *client)
{
	return client->priv;
}
EXPORT_SYMBOL_GPL(kstate_client_priv);

/*
 * Start a client with nothing restored: ->restore(client, NULL, 0).  It may create its
 * regions; kstate_region_open() knows it is starting fresh (client->fresh_start).
 */
static int start_fresh(struct kstate_client *client, const char *why)
{
	int rc;

	lockdep_assert_held(&kstate_mutex);
	client->fresh_start = true;
	rc = client->ops->restore(client, NULL, 0);
	client->fresh_start = false;
	if (rc) {
		if (!client->error)
			kstate_client_fail_why(client, rc, "cannot start fresh");
		client->state = KSTATE_CLIENT_FAILED;
		return rc;
	}
	client->state = KSTATE_CLIENT_FRESH;
	client->generation = 0;
	if (!client->message[0])
		kstate_client_set_message(client, "%s: started fresh", why);
	pr_info("%s: %s, started fresh\n", client->name, why);
	return 0;
}

/* Restore one client from the bound generation; the caller holds kstate_mutex. */
static int restore_client(struct kstate_client *client)
{
	const struct kstate_entry *entry;
	int rc;

	lockdep_assert_held(&kstate_mutex);
	entry = kstate_store_find(KSTATE_ENTRY_RECORDS, client->name);
	client->error = 0;
	client->message[0] = '\0';
	client->kept_generation = 0;
	if (!entry)
		return start_fresh(client, "nothing saved for it");
	rc = kstate_records_restore(client, entry);
	if (rc) {
		/*
		 * Its saved state stays in the store: saves carry this entry into every new
		 * generation until the operator discards it (KSTATE_IOC_DISCARD).
		 */
		client->state = KSTATE_CLIENT_FAILED;
		client->kept_generation = entry->generation;
		return rc;
	}
	client->state = KSTATE_CLIENT_RESTORED;
	client->generation = kstate_store.generation;
	if (!client->message[0])
		kstate_client_set_message(client, "restored from generation %llu",
					  kstate_store.generation);
	pr_info("%s: restored from generation %llu\n", client->name, kstate_store.generation);
	return 0;
}

/* Clients whose state is live (restored or fresh) are the ones saved and frozen. */
static bool client_live(const struct kstate_client *client)
{
	return client->state == KSTATE_CLIENT_RESTORED || client->state == KSTATE_CLIENT_FRESH;
}

static int freeze_client(struct kstate_client *client)
{
	int rc = 0;
	char message[sizeof(client->message)];

	lockdep_assert_held(&kstate_mutex);
	if (client->frozen || !client_live(client))
		return 0;
	if (client->ops->freeze) {
		/* A refusing ->freeze() may say why; otherwise its status stays as it was. */
		strscpy(message, client->message, sizeof(message));
		client->message[0] = '\0';
		rc = client->ops->freeze(client);
		if (rc) {
			kstate_client_fail_why(client, rc, "cannot freeze");
			return rc;
		}
		strscpy(client->message, message, sizeof(client->message));
	}
	client->frozen = true;
	return 0;
}

static unsigned int thaw_all(void)
{
	struct kstate_client *c;
	unsigned int n = 0;

	lockdep_assert_held(&kstate_mutex);
	list_for_each_entry(c, &kstate_clients, node) {
		if (!c->frozen)
			continue;
		if (c->ops->thaw)
			c->ops->thaw(c);
		c->frozen = false;
		n++;
	}
	if (kstate_frozen)
		pr_info("thawed %u clients: they may change their state again\n", n);
	kstate_frozen = false;
	return n;
}

/* Freeze every live client for the save that precedes a reboot; all or none. */
static int freeze_all(void)
{
	struct kstate_client *c;
	int rc;

	lockdep_assert_held(&kstate_mutex);
	list_for_each_entry(c, &kstate_clients, node) {
		rc = freeze_client(c);
		if (rc) {
			kstate_frozen = true;	/* so that thaw_all() reports */
			thaw_all();
			return rc;
		}
	}
	kstate_frozen = true;
	pr_info("clients frozen until the reboot (or KSTATE_IOC_THAW)\n");
	return 0;
}

/**
 * kstate_client_register - make a subsystem's state survive reboots
 * @name: client name: 1 to 31 of [A-Za-z0-9_-], starting with a letter or digit
 * @version: the client's record format version, >= 1; a client restores records
 *	written by any version up to its own
 * @ops: callbacks; ->save and ->restore are required
 * @priv: returned by kstate_client_priv()
 *
 * When a store is already bound the client is restored before this returns, and,
 * when the clients are frozen (a final save was made), frozen right after.
 *
 * Return: the client, or ERR_PTR(-EINVAL / -EEXIST / -ENOMEM).
 */
struct kstate_client *kstate_client_register(const char *name, u32 version,
					     const struct kstate_client_ops *ops,
					     void *priv)
{
	struct kstate_client *client, *c;

	if (!name || !kstate_name_valid(name) || !version || !ops || !ops->save ||
	    !ops->restore)
		return ERR_PTR(-EINVAL);
	client = kzalloc(sizeof(*client), GFP_KERNEL);
	if (!client)
		return ERR_PTR(-ENOMEM);
	strscpy(client->name, name, sizeof(client->name));
	client->version = version;
	client->ops = ops;
	client->priv = priv;
	client->state = KSTATE_CLIENT_WAITING;
	INIT_LIST_HEAD(&client->regions);

	mutex_lock(&kstate_mutex);
	list_for_each_entry(c, &kstate_clients, node) {
		if (!strcmp(c->name, name)) {
			mutex_unlock(&kstate_mutex);
			kfree(client);
			return ERR_PTR(-EEXIST);
		}
	}
	list_add_tail(&client->node, &kstate_clients);
	kstate_client_count++;
	if (kstate_store.bound) {
		restore_client(client);
		if (kstate_frozen)
			freeze_client(client);
	} else
		kstate_client_set_message(client, "waiting for a store to be bound");
	mutex_unlock(&kstate_mutex);
	return client;
}
EXPORT_SYMBOL_GPL(kstate_client_register);

/**
 * kstate_client_unregister - remove a client; its saved state stays in the store
 * @client: the client, or an ERR_PTR/NULL (ignored)
 */
void kstate_client_unregister(struct kstate_client *client)
{
	if (IS_ERR_OR_NULL(client))
		return;
	mutex_lock(&kstate_mutex);
	kstate_regions_release(client);
	list_del(&client->node);
	kstate_client_count--;
	mutex_unlock(&kstate_mutex);
	kfree(client);
}
EXPORT_SYMBOL_GPL(kstate_client_unregister);

/* ---------------------------------------------------------------------------------- */
/* ioctls */

/* Copy in an extensible structure: at least @min bytes, unknown tail must be zero. */
static int copy_ioc(void *dst, size_t dst_size, size_t min, void __user *src)
{
	u32 size;

	if (get_user(size, (u32 __user *)src))
		return -EFAULT;
	if (size < min)
		return -EINVAL;
	return copy_struct_from_user(dst, dst_size, src, size);
}

static bool reserved_zero(const u64 *r, size_t n)
{
	while (n--)
		if (r[n])
			return false;
	return true;
}

static long ioc_bind(void __user *arg)
{
	struct kstate_ioc_bind b;
	struct kstate_client *c;
	int rc;

	rc = copy_ioc(&b, sizeof(b), sizeof(b), arg);
	if (rc)
		return rc;
	if (b.flags || b.reserved0 || !reserved_zero(b.reserved, ARRAY_SIZE(b.reserved)))
		return -EINVAL;
	mutex_lock(&kstate_mutex);
	if (kstate_store.bound) {
		rc = -EBUSY;
		goto out;
	}
	rc = kstate_store_bind(b.dirfd, b.generation, b.store_uuid);
	if (rc)
		goto out;
	pr_info("store bound, restoring from generation %llu\n", b.generation);
	list_for_each_entry(c, &kstate_clients, node)
		if (c->state == KSTATE_CLIENT_WAITING)
			restore_client(c);
out:
	mutex_unlock(&kstate_mutex);
	return rc;
}

static long ioc_unbind(void)
{
	struct kstate_client *c;
	int rc = 0;

	mutex_lock(&kstate_mutex);
	list_for_each_entry(c, &kstate_clients, node)
		if (!list_empty(&c->regions))
			rc = -EBUSY;	/* its regions are files of this store */
	if (kstate_frozen)
		rc = -EBUSY;
	if (!rc && !kstate_store.bound)
		rc = -ENXIO;
	if (!rc)
		kstate_store_unbind();
	mutex_unlock(&kstate_mutex);
	return rc;
}

static void unlink_written(struct kstate_entry *entries, u32 n)
{
	char name[KSTATE_FILENAME_MAX];
	u32 i;

	for (i = 0; i < n; i++) {
		if (entries[i].kind != KSTATE_ENTRY_RECORDS)
			continue;
		kstate_records_filename(name, sizeof(name), entries[i].name,
					entries[i].generation);
		kstate_store_unlink(name);
	}
}

/* Room for @more entries after the @n used ones. */
static int entries_reserve(struct kstate_entry **entries, u32 *cap, u32 n, u32 more)
{
	struct kstate_entry *bigger;
	u32 want;

	if (n + more <= *cap)
		return 0;
	want = max(n + more, *cap ? *cap * 2 : 16U);
	bigger = kstate_buf_alloc(want, sizeof(*bigger), "save_entries");
	if (!bigger)
		return -ENOMEM;
	if (*entries)
		memcpy(bigger, *entries, n * sizeof(*bigger));
	kstate_buf_free(*entries);
	*entries = bigger;
	*cap = want;
	return 0;
}

/* Save one live client: its record file, then every region it has open now. */
static int save_client(struct kstate_client *c, u64 generation, struct kstate_entry **entries,
		       u32 *cap, u32 *n)
{
	int rc;

	rc = entries_reserve(entries, cap, *n, 1);
	if (rc)
		return rc;
	rc = kstate_records_save(c, generation, &(*entries)[*n]);
	if (rc)
		return rc;
	(*n)++;
	/* Counted after ->save(): a region it opened there is listed too. */
	rc = entries_reserve(entries, cap, *n, kstate_region_count(c));
	if (rc)
		return rc;
	/* Only a frozen client's regions cannot change any more: only they get a CRC. */
	rc = kstate_region_entries(c, generation, &(*entries)[*n], *cap - *n, c->frozen);
	if (rc < 0)
		return rc;
	*n += rc;
	return 0;
}

static long ioc_save(void __user *arg)
{
	struct kstate_manifest_entry __user *uentries;
	struct kstate_ioc_save s;
	struct kstate_entry *entries = NULL;
	struct kstate_client *c;
	bool froze = false;
	u32 cap = 0, n = 0, i;
	int rc;

	rc = copy_ioc(&s, sizeof(s), sizeof(s), arg);
	if (rc)
		return rc;
	if ((s.flags & ~KSTATE_SAVE_F_ALL) || !reserved_zero(s.reserved, ARRAY_SIZE(s.reserved)) ||
	    !s.generation || s.entry_size != sizeof(struct kstate_manifest_entry))
		return -EINVAL;
	uentries = u64_to_user_ptr(s.entries);
	mutex_lock(&kstate_mutex);
	if (!kstate_store.bound) {
		rc = -ENXIO;
		goto out;
	}
	if (s.generation <= kstate_store.generation) {
		rc = -ESTALE;
		goto out;
	}
	if ((s.flags & KSTATE_SAVE_F_FREEZE) && !kstate_frozen) {
		rc = freeze_all();
		if (rc)
			goto out;
		froze = true;
	}
	s.clients_saved = s.clients_failed = 0;
	list_for_each_entry(c, &kstate_clients, node) {
		int cr;

		if (!client_live(c)) {
			/* Never saved as if fresh: its entries of the base generation stay. */
			if (c->kept_generation)
				pr_info("%s: not saved: its state of generation %llu was refused and stays in the store until it is discarded\n",
					c->name, c->kept_generation);
			continue;
		}
		cr = save_client(c, s.generation, &entries, &cap, &n);
		if (cr) {
			if (cr == -ENOMEM && !c->error)
				kstate_client_fail(c, cr, "cannot allocate the entry list");
			s.clients_failed++;
			continue;
		}
		s.clients_saved++;
	}
	if (s.clients_failed) {
		unlink_written(entries, n);
		n = 0;
		rc = -EIO;
	} else if (n > s.entry_count) {
		unlink_written(entries, n);
		s.entry_count = n;
		rc = -ENOSPC;
		goto report;
	}
	for (i = 0; i < n && !rc; i++) {
		struct kstate_manifest_entry me;

		kstate_entry_encode(&me, &entries[i]);
		if (copy_to_user(&uentries[i], &me, sizeof(me)))
			rc = -EFAULT;
	}
	s.entry_count = n;
	if (!rc && copy_to_user(arg, &s, sizeof(s)))
		rc = -EFAULT;
	if (rc == -EFAULT) {
		/* Userspace cannot commit what it was not told: nothing stays written. */
		unlink_written(entries, n);
		goto out;
	}
	if (!rc) {
		/* Written and reported: the clients' status may say so. */
		list_for_each_entry(c, &kstate_clients, node)
			if (client_live(c))
				c->saved_generation = s.generation;
	}
	pr_info("saved %u clients into generation %llu (%u failed)%s\n", s.clients_saved,
		s.generation, s.clients_failed, kstate_frozen ? ", frozen" : "");
report:
	if (rc && copy_to_user(arg, &s, sizeof(s)))
		rc = -EFAULT;
out:
	/* A freezing save that fails leaves nothing frozen: no reboot follows it. */
	if (rc && froze)
		thaw_all();
	mutex_unlock(&kstate_mutex);
	kstate_buf_free(entries);
	return rc;
}

static long ioc_thaw(void __user *arg)
{
	struct kstate_ioc_thaw t;
	int rc;

	rc = copy_ioc(&t, sizeof(t), sizeof(t), arg);
	if (rc)
		return rc;
	if (t.flags || !reserved_zero(t.reserved, ARRAY_SIZE(t.reserved)))
		return -EINVAL;
	mutex_lock(&kstate_mutex);
	t.was_frozen = kstate_frozen;
	t.clients_thawed = thaw_all();
	mutex_unlock(&kstate_mutex);
	return copy_to_user(arg, &t, sizeof(t)) ? -EFAULT : 0;
}

static struct kstate_client *client_find(const char *name)
{
	struct kstate_client *c;

	lockdep_assert_held(&kstate_mutex);
	list_for_each_entry(c, &kstate_clients, node)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static long ioc_discard(void __user *arg)
{
	struct kstate_ioc_discard d;
	struct kstate_client *c;
	char name[KSTATE_NAME_LEN];
	u64 kept;
	int rc;

	rc = copy_ioc(&d, sizeof(d), sizeof(d), arg);
	if (rc)
		return rc;
	if (d.flags || !reserved_zero(d.reserved, ARRAY_SIZE(d.reserved)) ||
	    kstate_name_decode(d.name, name))
		return -EINVAL;
	mutex_lock(&kstate_mutex);
	c = client_find(name);
	if (!c)
		rc = -ENOENT;
	else if (!kstate_store.bound)
		rc = -ENXIO;		/* starting fresh needs the store its regions live in */
	else if (kstate_frozen)
		rc = -EBUSY;
	else if (c->state != KSTATE_CLIENT_FAILED)
		rc = -EALREADY;		/* only a refused state can be discarded */
	if (rc)
		goto out;
	kept = c->kept_generation;
	pr_info("%s: the operator discarded its refused state (generation %llu)\n", c->name,
		kept);
	c->error = 0;
	c->message[0] = '\0';
	c->kept_generation = 0;
	c->discarded = true;
	rc = start_fresh(c, "its refused state was discarded");
	/* Still refused: the kept state stays listed, in the status and the save log. */
	if (rc)
		c->kept_generation = kept;
out:
	mutex_unlock(&kstate_mutex);
	return rc;
}

static long ioc_restore(void __user *arg)
{
	struct kstate_ioc_restore q;
	struct kstate_client *c;
	char name[KSTATE_NAME_LEN];
	bool all, found = false;
	int rc;

	rc = copy_ioc(&q, sizeof(q), sizeof(q), arg);
	if (rc)
		return rc;
	if (q.flags || !reserved_zero(q.reserved, ARRAY_SIZE(q.reserved)))
		return -EINVAL;
	all = !q.name[0];
	if (!all && kstate_name_decode(q.name, name))
		return -EINVAL;
	q.clients_restored = q.clients_failed = 0;
	mutex_lock(&kstate_mutex);
	if (!kstate_store.bound) {
		rc = -ENXIO;
		goto out;
	}
	if (kstate_frozen) {
		rc = -EBUSY;
		goto out;
	}
	list_for_each_entry(c, &kstate_clients, node) {
		if (!all && strcmp(c->name, name))
			continue;
		found = true;
		if (client_live(c))
			continue;
		if (restore_client(c))
			q.clients_failed++;
		else
			q.clients_restored++;
	}
	if (!all && !found)
		rc = -ENOENT;
	if (!rc && copy_to_user(arg, &q, sizeof(q)))
		rc = -EFAULT;
out:
	mutex_unlock(&kstate_mutex);
	return rc;
}

static long ioc_status(void __user *arg)
{
	struct kstate_client_status __user *ustat;
	struct kstate_client_status *st;
	struct kstate_ioc_status s;
	struct kstate_client *c;
	u32 i = 0;
	int rc;

	rc = copy_ioc(&s, sizeof(s), sizeof(s), arg);
	if (rc)
		return rc;
	if ((s.flags & ~KSTATE_STATUS_F_ALL) || !reserved_zero(s.reserved, ARRAY_SIZE(s.reserved)) ||
	    (s.client_count && s.client_size != sizeof(*st)))
		return -EINVAL;
	ustat = u64_to_user_ptr(s.clients);
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	mutex_lock(&kstate_mutex);
	list_for_each_entry(c, &kstate_clients, node) {
		if (i >= s.client_count)
			break;
		if (c->ops->status)
			c->ops->status(c);
		memset(st, 0, sizeof(*st));
		strscpy(st->name, c->name, sizeof(st->name));
		st->version = c->version;
		st->state = c->state;
		st->error = c->error;
		st->generation = c->generation;
		st->saved_generation = c->saved_generation;
		strscpy(st->message, c->message, sizeof(st->message));
		st->detail_count = c->detail_count;
		memcpy(st->detail, c->detail, sizeof(st->detail));
		if (copy_to_user(&ustat[i], st, sizeof(*st))) {
			rc = -EFAULT;
			break;
		}
		i++;
	}
	s.client_count = kstate_client_count;
	s.abi_version = KSTATE_ABI_VERSION;
	s.bound = kstate_store.bound;
	s.bound_generation = kstate_store.generation;
	memcpy(s.store_uuid, kstate_store.uuid, sizeof(s.store_uuid));
	if (s.flags & KSTATE_STATUS_F_MODULE_STATE)
		s.module_state = kstate_frozen ? KSTATE_MODULE_FROZEN : 0;
	mutex_unlock(&kstate_mutex);
	kfree(st);
	if (!rc && copy_to_user(arg, &s, sizeof(s)))
		rc = -EFAULT;
	return rc;
}

static long kstate_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case KSTATE_IOC_BIND:
		return ioc_bind(uarg);
	case KSTATE_IOC_UNBIND:
		return ioc_unbind();
	case KSTATE_IOC_SAVE:
		return ioc_save(uarg);
	case KSTATE_IOC_RESTORE:
		return ioc_restore(uarg);
	case KSTATE_IOC_STATUS:
		return ioc_status(uarg);
	case KSTATE_IOC_THAW:
		return ioc_thaw(uarg);
	case KSTATE_IOC_DISCARD:
		return ioc_discard(uarg);
	default:
		return -ENOTTY;
	}
}

static int kstate_open(struct inode *inode, struct file *file)
{
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

static const struct file_operations kstate_fops = {
	.owner = THIS_MODULE,
	.open = kstate_open,
	.unlocked_ioctl = kstate_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kstate_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kstate",
	.fops = &kstate_fops,
	.mode = 0600,
};

static int __init kstate_init(void)
{
	int rc = misc_register(&kstate_misc);

	if (rc)
		pr_err("cannot register /dev/kstate (%d)\n", rc);
	return rc;
}

static void __exit kstate_exit(void)
{
	misc_deregister(&kstate_misc);
	mutex_lock(&kstate_mutex);
	kstate_store_unbind();
	mutex_unlock(&kstate_mutex);
}

module_init(kstate_init);
module_exit(kstate_exit);
MODULE_DESCRIPTION("kstate: kernel state kept across kexec and firmware reboots in DAX files");
MODULE_AUTHOR("The kstate authors");
MODULE_LICENSE("GPL");
/*
 * What this module reads, for the tools that check a kexec target before loading it
 * (kstate-save, tools/kexec-check.c): the format version, and for each kind of file the
 * incompatible features it understands.  A store written by a newer kstate with a feature
 * missing here would be refused at restore; the check refuses the kexec instead.
 */
MODULE_INFO(kstate_format, __stringify(KSTATE_FORMAT_VERSION_MAJOR) "."
	    __stringify(KSTATE_FORMAT_VERSION_MINOR));
MODULE_INFO(kstate_incompat_store, __stringify(KSTATE_STORE_INCOMPAT_SUPP));
MODULE_INFO(kstate_incompat_manifest, __stringify(KSTATE_MANIFEST_INCOMPAT_SUPP));
MODULE_INFO(kstate_incompat_file, __stringify(KSTATE_FILE_INCOMPAT_SUPP));
