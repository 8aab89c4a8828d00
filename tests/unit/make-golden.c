// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * make-golden - write the golden vectors under tests/data/.
 *
 * Run only on purpose ("ninja -C build golden"), when the format changes in a way that
 * also bumps its version: the committed files are what the unit tests hold the encoder
 * and the decoder to.  All inputs are fixed, so the output is byte-for-byte repeatable.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kstate_format.h"

static const u8 uuid[16] = { 0x6b, 0x73, 0x74, 0x61, 0x74, 0x65, 0x4f, 0x01,
			     0x8a, 0x5e, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60 };
static const u8 boot[16] = { 0xb0, 0x07, 0x1d, 0x00, 0x11, 0x22, 0x43, 0x33,
			     0x84, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa };
#define TIME_NS 1764000000123456789ULL

static void put(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	close(fd);
}

struct rec {
	u16 type;
	u16 flags;
	u32 len;
	u8 data[128];
};

/* A record file with @n records; returns its size, buffer in *out. */
static size_t record_file(const char *name, u64 gen, const struct rec *recs, int n,
			  u8 **out)
{
	struct kstate_file_info fi = { 0 };
	size_t size = KSTATE_FILE_HEADER_SIZE, pos;
	u8 *buf;
	int i;

	for (i = 0; i < n; i++)
		size += kstate_record_size(recs[i].len);
	buf = calloc(1, size);
	pos = KSTATE_FILE_HEADER_SIZE;
	for (i = 0; i < n; i++) {
		kstate_record_header_encode((void *)(buf + pos), recs[i].type, recs[i].flags,
					    recs[i].data, recs[i].len);
		memcpy(buf + pos + KSTATE_RECORD_HEADER_SIZE, recs[i].data, recs[i].len);
		pos += kstate_record_size(recs[i].len);
	}
	fi.generation = gen;
	fi.creation_time_ns = TIME_NS;
	fi.payload_length = size - KSTATE_FILE_HEADER_SIZE;
	fi.record_count = (u32)n;
	fi.client_version = 3;
	memcpy(fi.store_uuid, uuid, 16);
	memcpy(fi.boot_id, boot, 16);
	strcpy(fi.kernel_release, "6.1.0-56-amd64");
	strcpy(fi.name, name);
	if (kstate_file_header_encode((void *)buf, &fi))
		exit(2);
	*out = buf;
	return size;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	char store[4096];
	struct rec recs[4] = {
		{ .type = 1, .flags = 0, .len = 5, .data = "hello" },
		{ .type = 2, .flags = KSTATE_RECORD_F_CRITICAL, .len = 8,
		  .data = { 0, 1, 2, 3, 4, 5, 6, 7 } },
		{ .type = 3, .flags = 0, .len = 0 },
		{ .type = 0xffff, .flags = 0, .len = 100 },
	};
	struct kstate_manifest_info mi = { 0 };
	struct kstate_entry e[3];
	struct kstate_store_info si = { 0 };
	struct kstate_store_header sh;
	size_t len, mlen;
	u8 *buf, *m;
	u32 i;

	memset(e, 0, sizeof(e));
	for (i = 0; i < 100; i++)
		recs[3].data[i] = (u8)(i * 7);
	len = record_file("golden", 1, recs, 4, &buf);
	put(dir, "golden-records.ksr", buf, len);

	/* A sealed manifest listing that file, another record file and a region. */
	strcpy(e[0].name, "golden");
	e[0].generation = 1;
	e[0].size = len;
	e[0].crc = kstate_crc32c(buf, len);
	e[0].kind = KSTATE_ENTRY_RECORDS;
	e[0].client_version = 3;
	strcpy(e[1].name, "iommu-demo");
	e[1].generation = 3;
	e[1].size = 4096;
	e[1].crc = 0xdeadbeef;
	e[1].kind = KSTATE_ENTRY_RECORDS;
	e[1].flags = KSTATE_ENTRY_F_KERNEL;
	e[1].client_version = 1;
	strcpy(e[2].name, "guest-ram");
	e[2].generation = 3;
	e[2].size = 2 << 20;
	e[2].kind = KSTATE_ENTRY_REGION;
	mi.generation = 3;
	mi.base_generation = 2;
	mi.creation_time_ns = TIME_NS;
	mi.seal_time_ns = TIME_NS + 1000;
	mi.state = KSTATE_MANIFEST_SEALED;
	mi.entry_count = 3;
	memcpy(mi.store_uuid, uuid, 16);
	memcpy(mi.boot_id, boot, 16);
	strcpy(mi.kernel_release, "6.1.0-50-amd64");
	mlen = kstate_manifest_size(3);
	m = calloc(1, mlen);
	if (kstate_manifest_encode(m, mlen, &mi, e))
		return 3;
	put(dir, "golden-manifest-sealed", m, mlen);
	free(m);

	mi.generation = 4;
	mi.base_generation = 3;
	mi.seal_time_ns = 0;
	mi.state = KSTATE_MANIFEST_OPEN;
	mi.entry_count = 0;
	m = calloc(1, kstate_manifest_size(0));
	if (kstate_manifest_encode(m, kstate_manifest_size(0), &mi, NULL))
		return 4;
	put(dir, "golden-manifest-open", m, kstate_manifest_size(0));
	free(m);

	memcpy(si.store_uuid, uuid, 16);
	si.creation_time_ns = TIME_NS;
	si.last_sealed_generation = 3;
	kstate_store_header_encode(&sh, &si);
	put(dir, "golden-store-header", &sh, sizeof(sh));
	free(buf);

	/* An empty record file. */
	len = record_file("empty", 1, NULL, 0, &buf);
	put(dir, "golden-empty.ksr", buf, len);
	free(buf);

	/* A complete one-generation store, readable by libkstate and the tools. */
	snprintf(store, sizeof(store), "%s/golden-store", dir);
	mkdir(store, 0755);
	len = record_file("golden", 1, recs, 4, &buf);
	put(store, "golden.0000000000000001.ksr", buf, len);
	si.last_sealed_generation = 1;
	kstate_store_header_encode(&sh, &si);
	put(store, KSTATE_STORE_HEADER_NAME, &sh, sizeof(sh));
	e[0].size = len;
	e[0].crc = kstate_crc32c(buf, len);
	mi.generation = 1;
	mi.base_generation = 0;
	mi.seal_time_ns = TIME_NS + 1000;
	mi.state = KSTATE_MANIFEST_SEALED;
	mi.entry_count = 1;
	m = calloc(1, kstate_manifest_size(1));
	if (kstate_manifest_encode(m, kstate_manifest_size(1), &mi, e))
		return 5;
	put(store, "manifest.0000000000000001", m, kstate_manifest_size(1));
	free(m);
	free(buf);
	return 0;
}
