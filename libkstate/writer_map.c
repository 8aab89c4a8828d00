// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The DAX-native part of the record writer: a spare file mapped with libpmem2 (loaded on
 * first use, pmem2_dl.h), filled
 * with non-temporal copies, made durable by one drain.
 *
 * The spare's blocks are allocated and written already, so a write fault on the
 * mapping allocates nothing: with MAP_SYNC it has no metadata to wait for, and fsdax
 * maps 2 MiB at a time where the blocks are aligned.  libpmem2's memcpy with
 * PMEM2_F_MEM_NONTEMPORAL | PMEM2_F_MEM_NODRAIN streams the data past the CPU caches
 * (what it cannot stream, the small and unaligned ends, it flushes), so nothing needs
 * flushing afterwards and a single drain (SFENCE) at commit orders it all before the
 * file gets its name.  The kernel still counts the pages dirty and would flush them
 * again on fsync: the commit protocol (txn.c) never fsyncs a mapped record file.
 */
#include <stdlib.h>

#include "pmem2_dl.h"
#include "private.h"

struct writer_map {
	struct pmem2_source *src;
	struct pmem2_map *map;
	char *addr;
	uint64_t len;
	pmem2_memcpy_fn memcpy_fn;
	pmem2_drain_fn drain_fn;
};

/**
 * writer_map_new - map a record file being written
 * @s: the store
 * @fd: the file, open for reading and writing
 * @len: bytes to map, the file's size
 * @what: the file's name, for messages
 * @out: the mapping
 *
 * Return: 0 or a negative errno.
 */
int writer_map_new(struct kstate_store *s, int fd, uint64_t len, const char *what,
		   struct writer_map **out)
{
	struct pmem2_config *cfg = NULL;
	struct writer_map *m;
	int rc;

	rc = kstate_pmem2_load(s->ctx);
	if (rc)
		return rc;
	m = kio_calloc(1, sizeof(*m));
	if (!m)
		return kstate_fail(s->ctx, -ENOMEM, "%s: out of memory", s->path);
	rc = kio_fault_point();
	if (!rc)
		rc = pmem2_config_new(&cfg);
	if (!rc)
		rc = pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE);
	if (!rc)
		rc = kio_fault_point();
	if (!rc)
		rc = pmem2_source_from_fd(&m->src, fd);
	if (!rc)
		rc = kio_fault_point();
	if (!rc)
		rc = pmem2_map_new(&m->map, cfg, m->src);
	pmem2_config_delete(&cfg);
	if (rc) {
		rc = kstate_pmem2_fail(s, what, "map for writing", rc);
		writer_map_delete(&m);
		return rc;
	}
	m->addr = pmem2_map_get_address(m->map);
	m->len = len < pmem2_map_get_size(m->map) ? len : pmem2_map_get_size(m->map);
	m->memcpy_fn = pmem2_get_memcpy_fn(m->map);
	m->drain_fn = pmem2_get_drain_fn(m->map);
	*out = m;
	return 0;
}

uint64_t writer_map_len(const struct writer_map *m)
{
	return m->len;
}

/* Copy into [off, off + len), which the caller keeps inside the mapping. */
void writer_map_copy(struct writer_map *m, uint64_t off, const void *buf, size_t len)
{
	m->memcpy_fn(m->addr + off, buf, len,
		     PMEM2_F_MEM_NONTEMPORAL | PMEM2_F_MEM_NODRAIN);
}

void writer_map_drain(struct writer_map *m)
{
	m->drain_fn();
}

void writer_map_delete(struct writer_map **map)
{
	struct writer_map *m = *map;

	if (!m)
		return;
	if (m->map)
		pmem2_map_delete(&m->map);
	if (m->src)
		pmem2_source_delete(&m->src);
	free(m);
	*map = NULL;
}
