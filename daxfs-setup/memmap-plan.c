// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The memmap= planner: where in this machine's RAM to carve out emulated persistent
 * memory for a store, read from /proc/iomem.
 *
 * A memmap=SIZE!START range must lie inside one top-level "System RAM" resource and
 * overlap nothing nested in it (kernel code, data and bss, the crash kernel, ...): the
 * kernel then neither uses it as RAM nor lets anything else claim it.  Ranges above
 * 4 GiB are preferred because the boot loader puts the kernel and the initrd below
 * 4 GiB, where a range would also eat DMA32 memory.  The kernel image moves between
 * boots (KASLR) but the decompressor avoids up to four memmap= ranges, so a plan never
 * has more than four.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "memmap-plan.h"
#include "msg.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)
#define FOUR_GIB (4 * GiB)

/* x86 KASLR (arch/x86/boot/compressed/kaslr.c) avoids at most this many memmap=. */
#define PLAN_MAX_RANGES 4

struct iomem_entry {
	uint64_t start;
	uint64_t end;		/* inclusive, as /proc/iomem prints it */
	unsigned int depth;
	char name[64];
};

struct seg {
	uint64_t start;
	uint64_t end;		/* exclusive */
};

struct memmap_plan {
	uint64_t size;
	uint64_t align;
	uint64_t ram_total;
	uint64_t pmem_present;
	unsigned int warnings;
	unsigned int nr;
	struct seg ranges[PLAN_MAX_RANGES];
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Human size as the kernel's memparse() reads it: the largest exact unit. */
static void size_text(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "EPTGMK";
	int i;

	for (i = 0; v && units[i]; i++) {
		unsigned int shift = (unsigned int)(6 - i) * 10;

		if (!(v & ((1ULL << shift) - 1))) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

static int parse_iomem(const char *path, struct iomem_entry **out,
		       size_t *count)
{
	struct iomem_entry *e = NULL, *tmp;
	size_t n = 0, cap = 0;
	bool nonzero = false;
	char line[256];
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (!f)
		return setup_fail(-errno, "%s: cannot read: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, en;
		const char *p = line;
		unsigned int spaces = 0;
		int used = 0;

		while (*p == ' ') {
			spaces++;
			p++;
		}
		if (*p == '\n' || *p == '\0')
			continue;
		if (sscanf(p, "%llx-%llx : %n", &s, &en, &used) != 2 || !used || en < s) {
			rc = setup_fail(-EINVAL, "%s: not /proc/iomem text: '%.*s'", path,
					 (int)strcspn(line, "\n"), line);
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(e, cap * sizeof(*e));
			if (!tmp) {
				rc = setup_fail(-ENOMEM, "%s: out of memory", path);
				break;
			}
			e = tmp;
		}
		e[n].start = s;
		e[n].end = en;
		e[n].depth = spaces / 2;
		snprintf(e[n].name, sizeof(e[n].name), "%.*s", (int)strcspn(p + used, "\n"),
			 p + used);
		nonzero |= en != 0;
		n++;
	}
	fclose(f);
	if (!rc && !nonzero && n)
		rc = setup_fail(-EPERM,
				 "%s: every address reads as zero: the kernel hides them from "
				 "unprivileged users; run as root", path);
	if (rc) {
		free(e);
		return rc;
	}
	*out = e;
	*count = n;
	return 0;
}

/* Remove [s, e) from the free segments. */
static int segs_cut(struct seg **segs, size_t *n, uint64_t s, uint64_t e)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		struct seg *g = &(*segs)[i];

		if (e <= g->start || s >= g->end)
			continue;
		if (s > g->start && e < g->end) {
			struct seg *tmp = realloc(*segs, (*n + 1) * sizeof(**segs));

			if (!tmp)
				return -ENOMEM;
			*segs = tmp;
			g = &(*segs)[i];
			memmove(g + 2, g + 1, (*n - i - 1) * sizeof(*g));
			g[1].start = e;
			g[1].end = g->end;
			g->end = s;
			(*n)++;
			i++;
		} else if (s <= g->start && e >= g->end) {
			g->end = g->start;	/* emptied; skipped when placing */
		} else if (s <= g->start) {
			g->start = e;
		} else {
			g->end = s;
		}
	}
	return 0;
}

/*
 * Free System RAM: each top-level "System RAM" less everything nested in it and any
 * other top-level resource that overlaps it.
 */
static int free_segments(struct memmap_plan *p, const struct iomem_entry *e,
			 size_t n, struct seg **out, size_t *nsegs)
{
	struct seg *segs = NULL;
	size_t i, j, ns = 0;

	for (i = 0; i < n; i++) {
		if (e[i].depth == 0 && strcmp(e[i].name, "System RAM") == 0) {
			struct seg *tmp = realloc(segs, (ns + 1) * sizeof(*segs));

			if (!tmp)
				goto nomem;
			segs = tmp;
			segs[ns].start = e[i].start;
			segs[ns].end = e[i].end + 1;
			p->ram_total += e[i].end + 1 - e[i].start;
			ns++;
		} else if (e[i].depth == 0 && strncmp(e[i].name, "Persistent Memory", 17) == 0) {
			p->pmem_present += e[i].end + 1 - e[i].start;
		}
	}
	for (i = 0; i < n; i++) {
		bool in_ram = false;

		if (e[i].depth == 0) {
			if (strcmp(e[i].name, "System RAM") == 0)
				continue;
		} else {
			/* The top-level ancestor is the closest earlier depth-0 line. */
			for (j = i; j-- > 0;)
				if (e[j].depth == 0) {
					in_ram = strcmp(e[j].name, "System RAM") == 0;
					break;
				}
			if (!in_ram)
				continue;
		}
		if (segs_cut(&segs, &ns, e[i].start, e[i].end + 1))
			goto nomem;
	}
	*out = segs;
	*nsegs = ns;
	return 0;
nomem:
	free(segs);
	return setup_fail(-ENOMEM, "memmap plan: out of memory");
}

/* The highest aligned start of @size inside a segment clipped to >= @floor, or ~0. */
static uint64_t place_in(const struct seg *g, uint64_t floor, uint64_t size, uint64_t align)
{
	uint64_t lo = g->start > floor ? g->start : floor, start;

	if (g->end <= lo || g->end - lo < size)
		return ~0ULL;
	start = align_down(g->end - size, align);
	return start >= lo ? start : ~0ULL;
}

static bool place_one(struct memmap_plan *p, const struct seg *segs, size_t ns,
		      uint64_t floor)
{
	uint64_t best = ~0ULL, s;
	size_t i;

	for (i = 0; i < ns; i++) {
		s = place_in(&segs[i], floor, p->size, p->align);
		if (s != ~0ULL && (best == ~0ULL || s > best))
			best = s;
	}
	if (best == ~0ULL)
		return false;
	p->ranges[0].start = best;
	p->ranges[0].end = best + p->size;
	p->nr = 1;
	return true;
}

/* Spread the request over the largest aligned chunks: above 4G, then the highest. */
static int place_split(struct memmap_plan *p, struct seg *segs, size_t ns)
{
	uint64_t left = p->size;
	size_t i;

	p->nr = 0;
	for (i = 0; i < ns; i++) {
		uint64_t s = align_up(segs[i].start, p->align);
		uint64_t e = align_down(segs[i].end, p->align);

		segs[i].start = s;
		segs[i].end = e > s ? e : s;
	}
	while (left) {
		struct seg *best = NULL;
		uint64_t take, start;

		for (i = 0; i < ns; i++) {
			struct seg *g = &segs[i];
			bool hi = g->start >= FOUR_GIB;

			if (g->end == g->start)
				continue;
			if (!best || (hi && best->start < FOUR_GIB) ||
			    (hi == (best->start >= FOUR_GIB) &&
			     g->end - g->start >= best->end - best->start))
				best = g;
		}
		if (!best)
			return -ENOSPC;
		if (p->nr == PLAN_MAX_RANGES)
			return -E2BIG;
		take = best->end - best->start < left ? best->end - best->start : left;
		/* Chunks are whole multiples of @align, so an aligned start always fits. */
		start = align_down(best->end - take, p->align);
		p->ranges[p->nr].start = start;
		p->ranges[p->nr].end = start + take;
		best->end = start;
		p->nr++;
		left -= take;
	}
	return 0;
}

static void largest_free(const struct seg *segs, size_t ns, uint64_t align, char *buf,
			 size_t len)
{
	uint64_t best = 0, at = 0;
	char a[32], b[32];
	size_t i;

	for (i = 0; i < ns; i++) {
		uint64_t s = align_up(segs[i].start, align);
		uint64_t e = align_down(segs[i].end, align);

		if (e > s && e - s > best) {
			best = e - s;
			at = s;
		}
	}
	size_text(best, a, sizeof(a));
	size_text(at, b, sizeof(b));
	if (best)
		snprintf(buf, len, "the largest free aligned range is %s at %s", a, b);
	else
		snprintf(buf, len, "no free range is that aligned");
}

/**
 * memmap_plan_new - choose where to reserve persistent memory with memmap=
 * @iomem_path: a copy of /proc/iomem (read as root), or NULL for /proc/iomem itself
 * @size: bytes to reserve; a multiple of 16 MiB
 * @align: alignment of each range's start, a power of two of at least 16 MiB; 0 for
 *	the default of 1 GiB, which lets DAX mappings use huge pages
 * @flags: MEMMAP_PLAN_SPLIT to allow up to four ranges when no single range fits
 * @out: the plan
 *
 * Picks a range of top-level System RAM, as high as possible and preferably above
 * 4 GiB, that overlaps nothing nested in it (kernel image, crash kernel, ...) and no
 * other resource (reserved, ACPI, existing persistent memory).  A plan that had to go
 * below 4 GiB, that leaves the machine little RAM or that adds to persistent memory
 * already present carries warnings (memmap_plan_warnings()), which are also
 * logged.
 *
 * Return: 0; -EINVAL for a bad @size or @align or unreadable text, -EPERM when the
 * addresses read as zero (not root), -ENODATA when there is no System RAM, -E2BIG when
 * the reservation would leave less than 1 GiB of RAM or need more than four ranges,
 * -ENOSPC when no free aligned range is large enough, -ENOMEM.  setup_errormsg() says
 * which and why.
 */
int memmap_plan_new(const char *iomem_path, uint64_t size, uint64_t align, unsigned int flags,
		    struct memmap_plan **out)
{
	struct memmap_plan *p;
	struct iomem_entry *e = NULL;
	struct seg *segs = NULL;
	size_t n = 0, ns = 0;
	char sz[32], al[32], why[128];
	int rc;

	if (!iomem_path)
		iomem_path = "/proc/iomem";
	if (!align)
		align = MEMMAP_ALIGN_DEFAULT;
	size_text(align, al, sizeof(al));
	size_text(size, sz, sizeof(sz));
	if (flags & ~MEMMAP_PLAN_SPLIT)
		return setup_fail(-EINVAL, "memmap plan: invalid flags 0x%x", flags);
	if (!is_pow2(align) || align < MEMMAP_ALIGN_MIN)
		return setup_fail(-EINVAL,
				   "memmap plan: alignment %s is not a power of two of at least 16M",
				   al);
	if (!size || size % MEMMAP_ALIGN_MIN)
		return setup_fail(-EINVAL,
				   "memmap plan: size %s is not a non-zero multiple of 16M", sz);
	p = calloc(1, sizeof(*p));
	if (!p)
		return setup_fail(-ENOMEM, "memmap plan: out of memory");
	p->size = size;
	p->align = align;

	rc = parse_iomem(iomem_path, &e, &n);
	if (rc)
		goto out;
	rc = free_segments(p, e, n, &segs, &ns);
	if (rc)
		goto out;
	if (!p->ram_total) {
		rc = setup_fail(-ENODATA, "%s: no top-level System RAM listed", iomem_path);
		goto out;
	}
	if (p->ram_total < size || p->ram_total - size < MEMMAP_MIN_RAM) {
		rc = setup_fail(-E2BIG,
				 "memmap plan: reserving %s of %.1fG System RAM would leave less "
				 "than 1G for the kernel; ask for less", sz,
				 (double)p->ram_total / GiB);
		goto out;
	}
	if (place_one(p, segs, ns, FOUR_GIB))
		goto warn;
	if (place_one(p, segs, ns, 0)) {
		p->warnings |= MEMMAP_WARN_BELOW_4G;
		goto warn;
	}
	largest_free(segs, ns, align, why, sizeof(why));
	if (!(flags & MEMMAP_PLAN_SPLIT)) {
		rc = setup_fail(-ENOSPC,
				 "memmap plan: no free %s-aligned range of %s in System RAM (%s); "
				 "ask for less, a smaller alignment, or allow a split", al, sz, why);
		goto out;
	}
	rc = place_split(p, segs, ns);
	if (rc == -E2BIG) {
		rc = setup_fail(rc,
				 "memmap plan: %s needs more than %d ranges of %s-aligned free RAM "
				 "and KASLR avoids only %d memmap= ranges; ask for less",
				 sz, PLAN_MAX_RANGES, al, PLAN_MAX_RANGES);
		goto out;
	} else if (rc) {
		rc = setup_fail(rc,
				 "memmap plan: not enough free %s-aligned System RAM for %s (%s)",
				 al, sz, why);
		goto out;
	}
	for (unsigned int i = 0; i < p->nr; i++)
		if (p->ranges[i].start < FOUR_GIB)
			p->warnings |= MEMMAP_WARN_BELOW_4G;
warn:
	if (p->ram_total - size < MEMMAP_LOW_RAM || p->ram_total - size < p->ram_total / 4)
		p->warnings |= MEMMAP_WARN_LOW_RAM;
	if (p->pmem_present)
		p->warnings |= MEMMAP_WARN_PMEM_PRESENT;
	if (p->warnings & MEMMAP_WARN_BELOW_4G)
		setup_warn("memmap plan: no room above 4G; the range is below 4G, where the "
			 "boot loader may place the kernel or initrd");
	if (p->warnings & MEMMAP_WARN_LOW_RAM)
		setup_warn("memmap plan: %s leaves the system only %.1fG of its %.1fG RAM",
			 sz, (double)(p->ram_total - size) / GiB, (double)p->ram_total / GiB);
	if (p->warnings & MEMMAP_WARN_PMEM_PRESENT)
		setup_warn("memmap plan: the machine already has persistent memory; a new "
			 "range adds to it, it does not move a store");
	*out = p;
	p = NULL;
	rc = 0;
out:
	free(segs);
	free(e);
	free(p);
	return rc;
}

/**
 * memmap_plan_delete - release a plan
 * @plan: pointer to the plan; set to NULL. NULL or a pointer to NULL is fine.
 */
void memmap_plan_delete(struct memmap_plan **plan)
{
	if (!plan || !*plan)
		return;
	free(*plan);
	*plan = NULL;
}

/**
 * memmap_plan_range_count - how many ranges the plan reserves
 * @plan: the plan
 *
 * Return: 1, or up to 4 when the request was split.
 */
unsigned int memmap_plan_range_count(struct memmap_plan *plan)
{
	return plan->nr;
}

/**
 * memmap_plan_range_start - physical start address of one range
 * @plan: the plan
 * @index: range index, below memmap_plan_range_count()
 *
 * Return: the address, or 0 for an index out of range.
 */
uint64_t memmap_plan_range_start(struct memmap_plan *plan, unsigned int index)
{
	return index < plan->nr ? plan->ranges[index].start : 0;
}

/**
 * memmap_plan_range_size - size of one range
 * @plan: the plan
 * @index: range index, below memmap_plan_range_count()
 *
 * Return: the size in bytes, or 0 for an index out of range.
 */
uint64_t memmap_plan_range_size(struct memmap_plan *plan, unsigned int index)
{
	return index < plan->nr ? plan->ranges[index].end - plan->ranges[index].start : 0;
}

/**
 * memmap_plan_ram_total - System RAM the kernel currently lists
 * @plan: the plan
 *
 * Return: bytes of top-level System RAM in the iomem text.
 */
uint64_t memmap_plan_ram_total(struct memmap_plan *plan)
{
	return plan->ram_total;
}

/**
 * memmap_plan_pmem_present - persistent memory the machine already has
 * @plan: the plan
 *
 * Return: bytes of top-level "Persistent Memory" resources (memmap= or NFIT).
 */
uint64_t memmap_plan_pmem_present(struct memmap_plan *plan)
{
	return plan->pmem_present;
}

/**
 * memmap_plan_warnings - what an operator should know before applying the plan
 * @plan: the plan
 *
 * Return: MEMMAP_WARN_* bits, 0 for none.
 */
unsigned int memmap_plan_warnings(struct memmap_plan *plan)
{
	return plan->warnings;
}

/**
 * memmap_plan_param - the kernel command line parameter for the plan
 * @plan: the plan
 * @buf: where to write it, for example "memmap=4G!12G" (ranges separated by commas)
 * @len: size of @buf
 *
 * Return: 0, or -ENOSPC when @buf is too small.
 */
int memmap_plan_param(struct memmap_plan *plan, char *buf, size_t len)
{
	size_t off;
	unsigned int i;

	off = (size_t)snprintf(buf, len, "memmap=");
	for (i = 0; i < plan->nr && off < len; i++) {
		char s[32], a[32];

		size_text(plan->ranges[i].end - plan->ranges[i].start, s, sizeof(s));
		size_text(plan->ranges[i].start, a, sizeof(a));
		off += (size_t)snprintf(buf + off, len - off, "%s%s!%s", i ? "," : "", s, a);
	}
	if (off >= len)
		return setup_fail(-ENOSPC, "memmap plan: buffer of %zu too small",
				   len);
	return 0;
}

int memmap_active(const char *iomem_path, const char *cmdline_path, char *words, size_t len,
		  uint64_t *total)
{
	struct memmap_range r[CMDLINE_MEMMAP_MAX];
	struct iomem_entry *e = NULL;
	char cmdline[8192];
	unsigned int nr, i;
	size_t n = 0, j;
	ssize_t got;
	int fd, rc;

	words[0] = '\0';
	*total = 0;
	fd = open(cmdline_path ? cmdline_path : "/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return setup_fail(-errno, "%s: cannot read: %s", cmdline_path ?
				  cmdline_path : "/proc/cmdline", strerror(errno));
	got = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	cmdline[got > 0 ? got : 0] = '\0';
	nr = cmdline_memmap(cmdline, r, CMDLINE_MEMMAP_MAX, words, len);
	if (!nr)
		return 0;
	rc = parse_iomem(iomem_path ? iomem_path : "/proc/iomem", &e, &n);
	if (rc)
		return rc;
	/* Each range must be a top-level legacy PMEM resource: the kernel honoured it. */
	for (i = 0, rc = 1; i < nr && rc == 1; i++) {
		for (j = 0; j < n; j++)
			if (e[j].depth == 0 && e[j].start == r[i].start &&
			    e[j].end + 1 == r[i].start + r[i].size &&
			    strcmp(e[j].name, "Persistent Memory (legacy)") == 0)
				break;
		if (j == n)
			rc = 0;
		*total += r[i].size;
	}
	free(e);
	if (!rc)
		*total = 0;
	return rc;
}
