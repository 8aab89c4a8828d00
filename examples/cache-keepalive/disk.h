/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The synthetic slow disk behind the cache: block @key at @version holds bytes that
 * are a function of (key, version) only, so anyone can tell the right content from a
 * torn or misplaced one; every read costs a fixed delay, which is what makes a warm
 * cache visible as a hit rate.
 */
#ifndef CACHE_DISK_H
#define CACHE_DISK_H

#include <stdbool.h>
#include <stdint.h>

void block_fill(void *buf, uint32_t len, uint64_t key, uint64_t version);
bool block_matches(uint64_t key, uint64_t version, const void *data, uint32_t len,
		   void *arg);

/* Read block @key (its version 0) after sleeping @delay_us microseconds. */
void disk_read(uint64_t key, void *buf, uint32_t len, uint64_t delay_us);
/* A write: the disk keeps nothing (see README), it only costs @delay_us. */
void disk_write(uint64_t delay_us);

#endif /* CACHE_DISK_H */
