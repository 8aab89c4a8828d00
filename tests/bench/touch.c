// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * First touch of a restored region: map it as a restore does, touch every 4 KiB page
 * once, and count the faults: on fsdax a 2 MiB-aligned region should be mapped by PMDs,
 * one fault per 2 MiB.  Rss and FilePmdMapped from /proc/self/smaps are reported too,
 * but Linux 6.1 does not count fsdax pages there (vm_normal_page_pmd() skips devmap
 * entries); tests/vm/scenarios/bench-pmd.sh counts the fs_dax trace events instead.
 *
 * Copyright (c) 2026 The kstate authors
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "common.h"

/* Rss and FilePmdMapped in bytes of every mapping inside [start, end). */
static void smaps_of(uintptr_t start, uintptr_t end, uint64_t *rss, uint64_t *pmd)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;

	*rss = *pmd = 0;
	if (!f) {
		tool_err("/proc/self/smaps: cannot read; mount /proc");
		exit(TOOL_EXIT_FAILURE);
	}
	while (fgets(line, sizeof(line), f)) {
		uintptr_t a, b;
		unsigned long long kb;

		/* A mapping's header line starts "start-end "; its fields follow. */
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &a, &b) == 2) {
			in = a >= start && b <= end;
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "Rss: %llu kB", &kb) == 1)
			*rss += kb << 10;
		else if (sscanf(line, "FilePmdMapped: %llu kB", &kb) == 1)
			*pmd += kb << 10;
	}
	fclose(f);
}

int bench_first_touch(struct kstate_ctx *ctx, const struct bench_opts *o)
{
	double ns[BENCH_MAX_REPS], faults[BENCH_MAX_REPS], share[BENCH_MAX_REPS], m_ns, m_f;
	unsigned int rep, reps = o->reps;
	FILE *csv = bench_csv_open(o->csv, "rep,bytes,touch_ns,faults,rss,file_pmd_mapped");
	uint64_t size = o->sizes[0], rss = 0, pmd = 0, off, t0, f0, sum = 0;
	struct json_object *out;
	struct bench_restore r;
	char name[32];
	bool is_pmem = false;
	int rc;

	bench_region_name(name, sizeof(name), size);
	for (rep = 0; rep < reps; rep++) {
		volatile uint8_t *p;

		rc = bench_restore_open(ctx, o->dir, name, &r);
		if (rc)
			bench_die(name, rc);
		is_pmem = kstate_region_is_pmem(r.region);
		p = kstate_region_addr(r.region);
		f0 = bench_minflt();
		t0 = bench_now_ns();
		for (off = 0; off < size; off += 4096) {
			if (o->write)
				p[off] = (uint8_t)(p[off] + 1);
			else
				sum += p[off];
		}
		ns[rep] = (double)(bench_now_ns() - t0);
		faults[rep] = (double)(bench_minflt() - f0);
		smaps_of((uintptr_t)p, (uintptr_t)p + size, &rss, &pmd);
		share[rep] = (double)pmd / (double)size;
		if (csv)
			fprintf(csv, "%u,%llu,%.0f,%.0f,%llu,%llu\n", rep, (unsigned long long)size,
				ns[rep], faults[rep], (unsigned long long)rss,
				(unsigned long long)pmd);
		if (o->write)
			kstate_region_persist(r.region, 0, size);
		bench_restore_close(&r);
	}
	if (csv)
		fclose(csv);
	m_ns = bench_median(ns, reps);
	m_f = bench_median(faults, reps);
	bench_median(share, reps);	/* sorts: share[0] is the worst round */
	out = json_object_new_object();
	json_object_object_add(out, "measure", json_object_new_string("first-touch"));
	json_object_object_add(out, "bytes", json_object_new_int64((int64_t)size));
	json_object_object_add(out, "reps", json_object_new_int((int)reps));
	json_object_object_add(out, "access", json_object_new_string(o->write ? "write" : "read"));
	json_object_object_add(out, "is_pmem", json_object_new_boolean(is_pmem));
	json_object_object_add(out, "touch_median_ns", json_object_new_double(m_ns));
	json_object_object_add(out, "faults_median", json_object_new_double(m_f));
	json_object_object_add(out, "faults_per_gib",
			       json_object_new_double(m_f * (double)(1ULL << 30) / (double)size));
	json_object_object_add(out, "smaps_pmd_share_min", json_object_new_double(share[0]));
	json_object_object_add(out, "smaps_rss_bytes_last", json_object_new_int64((int64_t)rss));
	json_object_object_add(out, "smaps_file_pmd_mapped_bytes_last",
			       json_object_new_int64((int64_t)pmd));
	json_object_object_add(out, "checksum", json_object_new_int64((int64_t)sum));
	tool_json_print(&out);
	return 0;
}
