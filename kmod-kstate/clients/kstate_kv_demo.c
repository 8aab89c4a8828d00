// SPDX-License-Identifier: GPL-2.0-only
/*
 * kstate_kv_demo: a serialization client.  It holds a red-black tree of
 * variable-size objects, writes one record per object at save and rebuilds the tree
 * at restore.
 *
 * It also shows how a client changes its record layout: version 1 wrote
 * {key_len, value_len, key, value}; version 2 adds a 64-bit id and flags.  A version 2
 * module restores version 1 records by converting them.  Load with format_version=1
 * to act as the old module and write version 1 records.
 *
 * Restore is all or nothing: the new tree is built aside and installed only when every
 * record parsed and the trailer's count and checksum match.
 *
 * Copyright (c) 2026 The kstate authors
 */
#define pr_fmt(fmt) "kstate_kv_demo: " fmt

#include <linux/crc32c.h>
#include <linux/module.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <kstate/client.h>

#define KV_NAME			"kv-demo"
#define KV_REC_OBJECT_V1	1
#define KV_REC_OBJECT_V2	2
#define KV_REC_TRAILER		3
#define KV_KEY_MAX		255
#define KV_VALUE_MAX		(64 * 1024)

static unsigned int objects = 1000;
module_param(objects, uint, 0444);
MODULE_PARM_DESC(objects, "objects to create on a fresh start (default 1000)");

static unsigned int format_version = 2;
module_param(format_version, uint, 0444);
MODULE_PARM_DESC(format_version, "record layout version to write: 1 (old) or 2 (default)");

struct kv_object {
	struct rb_node node;
	u64 id;
	u32 flags;
	u32 key_len;
	u32 value_len;
	u8 data[];		/* key, then value */
};

struct kv_v1 {
	__le32 key_len;
	__le32 value_len;
};

struct kv_v2 {
	__le64 id;
	__le32 flags;
	__le32 key_len;
	__le32 value_len;
	__le32 reserved;
};

struct kv_trailer {
	__le64 count;
	__le32 checksum;
	__le32 reserved;
};

struct kv {
	struct kstate_client *client;
	struct rb_root tree;
	u64 count;
	u64 bytes;
	u32 checksum;
	u32 restored_version;
};

static struct kv kv;

static int kv_insert(struct rb_root *root, struct kv_object *obj)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct kv_object *o = rb_entry(*link, struct kv_object, node);

		parent = *link;
		if (obj->id == o->id)
			return -EEXIST;
		link = obj->id < o->id ? &(*link)->rb_left : &(*link)->rb_right;
	}
	rb_link_node(&obj->node, parent, link);
	rb_insert_color(&obj->node, root);
	return 0;
}

static void kv_free_tree(struct rb_root *root)
{
	struct kv_object *o, *tmp;

	rbtree_postorder_for_each_entry_safe(o, tmp, root, node)
		kfree(o);
	*root = RB_ROOT;
}

static struct kv_object *kv_new(u64 id, u32 flags, const void *key, u32 key_len,
				const void *value, u32 value_len)
{
	struct kv_object *o = kmalloc(struct_size(o, data, key_len + value_len), GFP_KERNEL);

	if (!o)
		return NULL;
	o->id = id;
	o->flags = flags;
	o->key_len = key_len;
	o->value_len = value_len;
	memcpy(o->data, key, key_len);
	memcpy(o->data + key_len, value, value_len);
	return o;
}

/* Count, bytes and checksum over the objects in id order. */
static void kv_summary(struct rb_root *root, u64 *count, u64 *bytes, u32 *checksum)
{
	struct rb_node *n;
	u32 crc = ~0U;

	*count = 0;
	*bytes = 0;
	for (n = rb_first(root); n; n = rb_next(n)) {
		struct kv_object *o = rb_entry(n, struct kv_object, node);
		__le64 id = cpu_to_le64(o->id);

		crc = crc32c(crc, &id, sizeof(id));
		crc = crc32c(crc, o->data, o->key_len + o->value_len);
		(*count)++;
		*bytes += o->key_len + o->value_len;
	}
	*checksum = ~crc;
}

static int kv_populate(struct kv *k)
{
	u8 *value = kmalloc(KV_VALUE_MAX, GFP_KERNEL);
	u64 i, x = 0x243f6a8885a308d3ULL;
	int rc = 0;

	if (!value)
		return -ENOMEM;
	for (i = 0; i < objects && !rc; i++) {
		char key[48];
		u32 key_len, value_len, j;
		struct kv_object *o;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		key_len = scnprintf(key, sizeof(key), "object-%llu-%llx", i, x & 0xffffff);
		value_len = x % 4096;	/* variable size, empty ones included */
		for (j = 0; j < value_len; j++)
			value[j] = (u8)(x >> (j % 56)) ^ (u8)j;
		o = kv_new(i + 1, (u32)(x >> 60), key, key_len, value, value_len);
		rc = o ? kv_insert(&k->tree, o) : -ENOMEM;
	}
	kfree(value);
	return rc;
}

static int kv_save(struct kstate_client *client, struct kstate_writer *w)
{
	struct kv *k = kstate_client_priv(client);
	struct kv_trailer t = { 0 };
	struct rb_node *n;
	u8 *buf = kmalloc(sizeof(struct kv_v2) + KV_KEY_MAX + KV_VALUE_MAX, GFP_KERNEL);
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	for (n = rb_first(&k->tree); n && !rc; n = rb_next(n)) {
		struct kv_object *o = rb_entry(n, struct kv_object, node);
		u32 data_len = o->key_len + o->value_len;

		if (format_version == 1) {
			struct kv_v1 h = {
				.key_len = cpu_to_le32(o->key_len),
				.value_len = cpu_to_le32(o->value_len),
			};

			memcpy(buf, &h, sizeof(h));
			memcpy(buf + sizeof(h), o->data, data_len);
			rc = kstate_record_add(w, KV_REC_OBJECT_V1, 0, buf, sizeof(h) + data_len);
		} else {
			struct kv_v2 h = {
				.id = cpu_to_le64(o->id),
				.flags = cpu_to_le32(o->flags),
				.key_len = cpu_to_le32(o->key_len),
				.value_len = cpu_to_le32(o->value_len),
			};

			memcpy(buf, &h, sizeof(h));
			memcpy(buf + sizeof(h), o->data, data_len);
			rc = kstate_record_add(w, KV_REC_OBJECT_V2, 0, buf, sizeof(h) + data_len);
		}
	}
	kfree(buf);
	if (rc)
		return rc;
	t.count = cpu_to_le64(k->count);
	t.checksum = cpu_to_le32(k->checksum);
	return kstate_record_add(w, KV_REC_TRAILER, KSTATE_RECORD_F_CRITICAL, &t, sizeof(t));
}

/* Parse one object record of either layout; @next_id numbers version 1 objects. */
static struct kv_object *kv_parse(u16 type, const u8 *data, u32 len, u64 next_id)
{
	u32 key_len, value_len, hdr;
	u64 id;
	u32 flags = 0;

	if (type == KV_REC_OBJECT_V1) {
		struct kv_v1 h;

		if (len < sizeof(h))
			return ERR_PTR(-EUCLEAN);
		memcpy(&h, data, sizeof(h));
		key_len = le32_to_cpu(h.key_len);
		value_len = le32_to_cpu(h.value_len);
		id = next_id;		/* version 1 had no ids: they were the order */
		hdr = sizeof(h);
	} else {
		struct kv_v2 h;

		if (len < sizeof(h))
			return ERR_PTR(-EUCLEAN);
		memcpy(&h, data, sizeof(h));
		if (h.reserved)
			return ERR_PTR(-EUCLEAN);
		key_len = le32_to_cpu(h.key_len);
		value_len = le32_to_cpu(h.value_len);
		id = le64_to_cpu(h.id);
		flags = le32_to_cpu(h.flags);
		hdr = sizeof(h);
	}
	if (key_len > KV_KEY_MAX || value_len > KV_VALUE_MAX ||
	    (u64)hdr + key_len + value_len != len)
		return ERR_PTR(-EUCLEAN);
	return kv_new(id, flags, data + hdr, key_len, data + hdr + key_len, value_len) ?:
	       ERR_PTR(-ENOMEM);
}

static int kv_restore(struct kstate_client *client, struct kstate_reader *r, u32 version)
{
	struct kv *k = kstate_client_priv(client);
	struct rb_root tree = RB_ROOT;
	struct kv_trailer t;
	bool trailer = false;
	const void *data;
	u64 count, bytes;
	u32 len, checksum;
	u16 type;
	int rc;

	if (!r) {
		rc = kv_populate(k);
		if (rc) {
			kv_free_tree(&k->tree);
			return rc;
		}
		kv_summary(&k->tree, &k->count, &k->bytes, &k->checksum);
		k->restored_version = 0;
		kstate_client_set_message(client, "created %llu objects", k->count);
		return 0;
	}
	count = 0;
	while ((rc = kstate_record_next(r, &type, &data, &len)) == 1) {
		struct kv_object *o;

		if (trailer) {
			rc = -EUCLEAN;	/* nothing may follow the trailer */
			break;
		}
		if (type == KV_REC_TRAILER) {
			if (len != sizeof(t)) {
				rc = -EUCLEAN;
				break;
			}
			memcpy(&t, data, sizeof(t));
			trailer = true;
			continue;
		}
		if ((type != KV_REC_OBJECT_V1 || version != 1) &&
		    (type != KV_REC_OBJECT_V2 || version != 2)) {
			rc = -EUCLEAN;
			break;
		}
		o = kv_parse(type, data, len, ++count);
		if (IS_ERR(o)) {
			rc = PTR_ERR(o);
			break;
		}
		rc = kv_insert(&tree, o);
		if (rc) {
			kfree(o);
			break;
		}
	}
	if (!rc && !trailer)
		rc = -EUCLEAN;
	if (!rc) {
		kv_summary(&tree, &count, &bytes, &checksum);
		if (count != le64_to_cpu(t.count) || checksum != le32_to_cpu(t.checksum))
			rc = -EBADMSG;
	}
	if (rc) {
		kv_free_tree(&tree);
		kstate_client_set_message(client, "version %u records refused (%d); nothing applied",
					  version, rc);
		return rc;
	}
	kv_free_tree(&k->tree);
	k->tree = tree;
	k->count = count;
	k->bytes = bytes;
	k->checksum = checksum;
	k->restored_version = version;
	kstate_client_set_message(client, "rebuilt %llu objects from version %u records",
				  count, version);
	return 0;
}

static void kv_status(struct kstate_client *client)
{
	struct kv *k = kstate_client_priv(client);

	kstate_client_set_detail(client, "objects", k->count);
	kstate_client_set_detail(client, "bytes", k->bytes);
	kstate_client_set_detail(client, "checksum", k->checksum);
	kstate_client_set_detail(client, "restored_version", k->restored_version);
	kstate_client_set_detail(client, "format_version", format_version);
}

static const struct kstate_client_ops kv_ops = {
	.save = kv_save,
	.restore = kv_restore,
	.status = kv_status,
};

static int __init kv_init(void)
{
	if (format_version < 1 || format_version > 2)
		return -EINVAL;
	kv.tree = RB_ROOT;
	kv.client = kstate_client_register(KV_NAME, format_version, &kv_ops, &kv);
	return PTR_ERR_OR_ZERO(kv.client);
}

static void __exit kv_exit(void)
{
	kstate_client_unregister(kv.client);
	kv_free_tree(&kv.tree);
}

module_init(kv_init);
module_exit(kv_exit);
MODULE_DESCRIPTION("kstate demo: a red-black tree serialized across reboots, with a format bump");
MODULE_AUTHOR("The kstate authors");
MODULE_LICENSE("GPL");
