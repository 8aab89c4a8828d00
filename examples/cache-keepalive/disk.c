// SPDX-License-Identifier: LGPL-2.1-or-later
/* The synthetic slow disk: see disk.h. */
#include <string.h>
#include <time.h>

#include "disk.h"

/* splitmix64: a fast stream whose every word depends on (key, version, position). */
static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void block_fill(void *buf, uint32_t len, uint64_t key, uint64_t version)
{
	uint64_t s = key * 0xd1342543de82ef95ULL ^ version, w;
	uint8_t *p = buf;
	uint32_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		w = next(&s);
		memcpy(p + i, &w, 8);
	}
	if (i < len) {
		w = next(&s);
		memcpy(p + i, &w, len - i);
	}
}

bool block_matches(uint64_t key, uint64_t version, const void *data, uint32_t len,
		   void *arg)
{
	uint64_t s = key * 0xd1342543de82ef95ULL ^ version, w;
	const uint8_t *p = data;
	uint32_t i;

	(void)arg;
	for (i = 0; i + 8 <= len; i += 8) {
		w = next(&s);
		if (memcmp(p + i, &w, 8))
			return false;
	}
	if (i < len) {
		w = next(&s);
		if (memcmp(p + i, &w, len - i))
			return false;
	}
	return true;
}

/* The whole delay, even when a signal interrupts it. */
static void delay(uint64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

	while (us && nanosleep(&ts, &ts))
		;
}

void disk_write(uint64_t delay_us)
{
	delay(delay_us);
}

void disk_read(uint64_t key, void *buf, uint32_t len, uint64_t delay_us)
{
	delay(delay_us);
	block_fill(buf, len, key, 0);
}
