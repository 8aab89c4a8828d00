// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench: the blackout of a kstate suspend + resume against a copy-based savevm that
 * skips zero pages, for each guest RAM size and each share of RAM the guest dirtied,
 * several samples each, in one process.
 *
 * Every sample boots a fresh guest and has it dirty the asked share of its RAM
 * (PORT_DIRTY, one word per 4 KiB page from GUEST_DIRTY_ADDR); its report of that is
 * the stop signal.  The blackout runs from there to the resumed guest's own report
 * of its first real work (PORT_WORK: a read and a write at the top of its RAM):
 *
 * kstate: guest RAM is a region of a store in DIR (memory-backed, standing in for
 *         persistent memory); suspend persists the pages KVM's dirty log lists and
 *         seals the records; the VM is torn down and the store closed (what a VMM
 *         exit does); resume opens the store, maps RAM again, registers all of it with
 *         KVM and runs the vCPU.
 * copy:   guest RAM is anonymous memory (transparent huge pages); suspend writes the
 *         vCPU state, a bitmap of the pages that are not all zeros and those pages to
 *         an image in COPY_DIR, fdatasyncs it and drops it from the page cache (as
 *         after kexec or a reboot); resume reads it back into new anonymous memory,
 *         leaving zero pages untouched, registers it and runs the vCPU.
 *
 * Both guests then run on and must report memory and registers intact ("guest_ok").
 * One JSON line per sample goes to stdout; scripts/bench takes medians and ranges.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <isa-l/mem_routines.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "libkstate.h"

#include "bench.h"
#include "common.h"
#include "state.h"

#define PAGE		4096ULL
#define IO_CHUNK	(64ULL << 20)
#define DIRTY_WAIT_MS	600000		/* a guest that never reports its dirtying */
#define RESUME_WAIT_MS	60000		/* ... or its first work */

struct sample {
	const char *kind;
	uint64_t mem_size;
	unsigned int dirty_pct, rep;
	uint64_t stop_ns;		/* the guest reported its dirtying: the stop signal */
	uint64_t sealed_ns;		/* state durable */
	uint64_t down_ns;		/* VM torn down, store closed or RAM freed */
	uint64_t resume_t0_ns;		/* resume started */
	uint64_t first_exit_ns;		/* first exit of the resumed vCPU */
	uint64_t work_ns;		/* the guest's first real work after the resume */
	uint64_t dirty_pages;		/* what the guest dirtied */
	uint64_t image_bytes;		/* copy: bytes written */
	bool work_ok, ok;
	struct phases save, restore;
	struct vm_stats stats;		/* KVM's mappings after the resumed guest ran */
	struct vm_stats dirtied;	/* ... and right after the guest dirtied its share */
	uint64_t counter_before, counter_after;
};

static void alarm_in(uint64_t ms)
{
	struct itimerval it = { .it_value = { .tv_sec = (time_t)(ms / 1000),
					      .tv_usec = (suseconds_t)(ms % 1000) * 1000 } };

	vmm_stop = 0;
	vmm_stop_ns = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run the fresh guest until it reports the dirtying; that report is the stop. */
static int run_until_dirty(struct vm *vm, struct sample *s)
{
	vm->dirty_request = (uint32_t)(s->mem_size / 100 * s->dirty_pct / PAGE);
	vm->stop_after_dirty = true;
	alarm_in(DIRTY_WAIT_MS);
	if (vm_run(vm, NULL, NULL))
		return -1;
	if (!vm->dirty_done && vm->dirty_request) {
		fprintf(stderr, "vmm-keepalive: bench: the guest did not report dirtying %u "
			"pages\n", vm->dirty_request);
		return -1;
	}
	s->dirty_pages = vm->dirty_done;
	s->stop_ns = vmm_stop_ns;
	vm_stats(vm, &s->dirtied);
	return 0;
}

struct resume_ctx {
	struct sample *s;
	uint64_t run_ms;
};

static void on_first_exit(struct vm *vm, void *arg)
{
	struct resume_ctx *r = arg;

	(void)vm;
	r->s->first_exit_ns = now_ns();
	phase_end(&r->s->restore, "first_insn_us");
}

/* The end of the blackout: let the guest run on a while, then stop it. */
static void on_work(struct vm *vm, void *arg)
{
	struct resume_ctx *r = arg;

	r->s->work_ns = vm->first_work_ns;
	r->s->work_ok = vm->first_work_ok;
	alarm_in(r->run_ms);
}

/* After a resume: run to the first work and on, pause, and ask the guest's verdict. */
static int run_after_resume(struct vm *vm, struct resume_ctx *r)
{
	struct sample *s = r->s;

	vm->on_work = on_work;
	vm->on_work_arg = r;
	alarm_in(RESUME_WAIT_MS);
	if (vm_run(vm, on_first_exit, r) || vm_pause(vm))
		return -1;
	if (!s->work_ns) {
		fprintf(stderr, "vmm-keepalive: bench: the resumed guest never reported its "
			"first work\n");
		return -1;
	}
	vm_stats(vm, &s->stats);
	s->counter_after = vm_guest_shared(vm->mem)->counter;
	s->ok = guest_ok(vm) && s->work_ok && s->counter_after > s->counter_before;
	return 0;
}

static int sample_kstate(const char *dir, struct sample *s, uint64_t run_ms)
{
	struct resume_ctx r = { .s = s, .run_ms = run_ms };
	struct vmm_store vs;
	struct vm vm = { 0 };
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/kstate-%llu", dir, (unsigned long long)s->mem_size);
	rm_tree(path);
	if (mkdir(path, 0700))
		return -errno;
	rc = vmm_store_open(&vs, path, true);
	if (!rc)
		rc = vmm_store_create_guest(&vs, &vm, s->mem_size);
	if (!rc)
		rc = run_until_dirty(&vm, s);
	if (!rc)
		rc = vmm_store_save(&vs, &vm, &s->save);
	if (!rc) {
		s->sealed_ns = now_ns();
		s->counter_before = vm_guest_shared(vm.mem)->counter;
	}
	vm_destroy(&vm);
	vmm_store_close(&vs);
	s->down_ns = now_ns();
	if (rc)
		goto out;

	memset(&vm, 0, sizeof(vm));
	s->resume_t0_ns = now_ns();
	phase_start(&s->restore);
	rc = vmm_store_open(&vs, path, false);
	if (!rc)
		rc = vmm_store_restore(&vs, &vm, &s->restore);
	if (!rc)
		rc = run_after_resume(&vm, &r);
	vm_destroy(&vm);
	vmm_store_close(&vs);
out:
	rm_tree(path);
	return rc;
}

static int write_all(int fd, const void *buf, uint64_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len > IO_CHUNK ? IO_CHUNK : len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, uint64_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len > IO_CHUNK ? IO_CHUNK : len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* What a copy-based save writes ahead of RAM. */
struct copy_header {
	struct vcpu_state vcpu;		/* xsave pointer not used: the bytes follow */
	struct serial_state serial;
	struct timer_state timer;
	uint64_t mem_size;
	uint64_t pages;			/* pages that are not all zeros, in the image */
};

static void *anon(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, size, MADV_HUGEPAGE);
	return p;
}

#define BIT(b, i) ((b)[(i) / 64] & (1ULL << ((i) % 64)))

/* The next run [*start, *p) of set bits at or after *p; false when there is none. */
static bool next_run(const uint64_t *bitmap, uint64_t pages, uint64_t *p, uint64_t *start)
{
	while (*p < pages && !BIT(bitmap, *p))
		(*p)++;
	*start = *p;
	while (*p < pages && BIT(bitmap, *p))
		(*p)++;
	return *p > *start;
}

/*
 * Suspend by copy: vCPU state, the bitmap of non-zero pages, then those pages, each run
 * of consecutive ones in one write.
 */
static int copy_save(struct vm *vm, int fd, struct copy_header *h, uint64_t *bitmap)
{
	uint64_t pages = vm->mem_size / PAGE, words = (pages + 63) / 64, p, start;

	memset(bitmap, 0, words * 8);
	h->pages = 0;
	for (p = 0; p < pages; p++) {
		if (isal_zero_detect(vm->mem + p * PAGE, PAGE)) {
			bitmap[p / 64] |= 1ULL << (p % 64);
			h->pages++;
		}
	}
	h->vcpu = vm->vcpu;
	h->serial = vm->serial;
	h->timer = vm->timer;
	h->mem_size = vm->mem_size;
	if (write_all(fd, h, sizeof(*h)) || write_all(fd, vm->vcpu.xsave, vm->vcpu.xsave_size) ||
	    write_all(fd, bitmap, words * 8))
		return -1;
	for (p = 0; next_run(bitmap, pages, &p, &start);)
		if (write_all(fd, vm->mem + start * PAGE, (p - start) * PAGE))
			return -1;
	return fdatasync(fd);
}

static int copy_restore(uint8_t *mem, uint64_t size, int fd, struct copy_header *h,
			uint8_t *xsave, uint32_t xsave_size, uint64_t *bitmap)
{
	uint64_t pages = size / PAGE, words = (pages + 63) / 64, p, start;

	if (read_all(fd, h, sizeof(*h)) || h->mem_size != size ||
	    h->vcpu.xsave_size != xsave_size || read_all(fd, xsave, xsave_size) ||
	    read_all(fd, bitmap, words * 8))
		return -1;
	for (p = 0; next_run(bitmap, pages, &p, &start);)
		if (read_all(fd, mem + start * PAGE, (p - start) * PAGE))
			return -1;
	return 0;
}

static int sample_copy(const char *dir, struct sample *s, uint64_t run_ms)
{
	struct resume_ctx r = { .s = s, .run_ms = run_ms };
	uint64_t words = (s->mem_size / PAGE + 63) / 64;
	struct copy_header *h = calloc(1, sizeof(*h));
	uint64_t *bitmap = calloc(words, 8);
	struct vm vm = { 0 };
	uint8_t *xsave = NULL;
	char path[4096];
	void *mem;
	int fd = -1, rc = -1;

	snprintf(path, sizeof(path), "%s/copy-%llu.img", dir, (unsigned long long)s->mem_size);
	mem = anon(s->mem_size);
	if (!h || !bitmap || !mem || vm_create(&vm, mem, s->mem_size, VM_DIRTY_NONE))
		goto out;
	vm_load_guest(&vm);
	if (vm_setup_fresh_vcpu(&vm) || run_until_dirty(&vm, s))
		goto out;
	phase_start(&s->save);
	s->save.t = s->stop_ns;
	if (vm_pause(&vm) || vm_get_state(&vm))
		goto out;
	phase_end(&s->save, "pause_regs_us");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || copy_save(&vm, fd, h, bitmap))
		goto out;
	phase_end(&s->save, "write_us");
	s->sealed_ns = now_ns();
	s->image_bytes = (uint64_t)lseek(fd, 0, SEEK_CUR);
	s->counter_before = vm_guest_shared(vm.mem)->counter;
	/* Cold: the image must come back from the disk, as after a reboot. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	fd = -1;
	vm_destroy(&vm);
	munmap(mem, s->mem_size);
	s->down_ns = now_ns();

	memset(&vm, 0, sizeof(vm));
	s->resume_t0_ns = now_ns();
	phase_start(&s->restore);
	mem = anon(s->mem_size);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!mem || fd < 0)
		goto out;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (vm_create(&vm, mem, s->mem_size, VM_DIRTY_NONE))
		goto out;
	xsave = malloc(vm.vcpu.xsave_size ? vm.vcpu.xsave_size : 1);
	if (!xsave || copy_restore(mem, s->mem_size, fd, h, xsave, vm.vcpu.xsave_size, bitmap))
		goto out;
	phase_end(&s->restore, "read_us");
	memcpy(vm.vcpu.xsave, xsave, h->vcpu.xsave_size);
	h->vcpu.xsave = vm.vcpu.xsave;
	vm.vcpu = h->vcpu;
	vm.serial = h->serial;
	vm.timer = h->timer;
	vm.resume_gen = 1;
	if (vm_set_state(&vm))
		goto out;
	phase_end(&s->restore, "regs_us");
	rc = run_after_resume(&vm, &r);
out:
	if (rc)
		fprintf(stderr, "vmm-keepalive: bench: copy-based save of %llu bytes failed: %s\n",
			(unsigned long long)s->mem_size, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	vm_destroy(&vm);
	if (mem)
		munmap(mem, s->mem_size);
	free(xsave);
	free(bitmap);
	free(h);
	return rc;
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

/* Phases of a suspend and of a resume share names (regs_us): prefix them. */
static void add_phases(struct json_object *o, const char *prefix, const struct phases *ph)
{
	char key[64];
	unsigned int i;

	for (i = 0; i < ph->n; i++) {
		snprintf(key, sizeof(key), "%s%s", prefix, ph->name[i]);
		add_u64(o, key, ph->us[i]);
	}
}

static void print_sample(const struct sample *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(s->kind));
	add_u64(o, "mem_bytes", s->mem_size);
	add_u64(o, "dirty_pct", s->dirty_pct);
	add_u64(o, "rep", s->rep);
	add_u64(o, "blackout_us", (s->work_ns - s->stop_ns) / 1000);
	add_u64(o, "suspend_us", (s->sealed_ns - s->stop_ns) / 1000);
	add_u64(o, "teardown_us", (s->down_ns - s->sealed_ns) / 1000);
	add_u64(o, "resume_us", (s->work_ns - s->resume_t0_ns) / 1000);
	add_u64(o, "first_work_after_first_exit_us", (s->work_ns - s->first_exit_ns) / 1000);
	add_phases(o, "suspend_", &s->save);
	add_phases(o, "resume_", &s->restore);
	add_u64(o, "dirty_pages", s->dirty_pages);
	if (s->image_bytes)
		add_u64(o, "image_bytes", s->image_bytes);
	if (s->stats.valid) {
		add_u64(o, "kvm_pages_4k", s->stats.pages_4k);
		add_u64(o, "kvm_pages_2m", s->stats.pages_2m);
	}
	if (s->dirtied.valid) {
		add_u64(o, "dirtied_kvm_pages_4k", s->dirtied.pages_4k);
		add_u64(o, "dirtied_kvm_pages_2m", s->dirtied.pages_2m);
	}
	json_object_object_add(o, "first_work_ok", json_object_new_boolean(s->work_ok));
	json_object_object_add(o, "guest_ok", json_object_new_boolean(s->ok));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(o);
}

static int parse_list(const char *what, const char *text, uint64_t *v, unsigned int max,
		      bool size)
{
	char *list = strdup(text), *tok, *save = NULL;
	unsigned int n = 0;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		int bad;

		if (n == max) {
			n = 0;
			break;
		}
		if (size) {
			bad = tool_size_parse(tok, &v[n]) || v[n] < (8u << 20) ||
			      v[n] % (2u << 20) || v[n] > ((uint64_t)GUEST_RAM_MAX_GIB << 30);
		} else {
			v[n] = strtoull(tok, &end, 10);
			bad = *end || v[n] > 90;
		}
		if (bad) {
			fprintf(stderr, "vmm-keepalive: bench: %s '%s': give %s\n", what, tok,
				size ? "multiples of 2M from 8M to 64G" : "percentages, 0 to 90");
			n = 0;
			break;
		}
		n++;
	}
	free(list);
	return (int)n;
}

/**
 * bench - every size of @sizes at every share of @dirty, @reps samples of each path;
 * one JSON line per sample
 *
 * Return: 0, 1 when a sample failed or a guest was not intact, 2 for bad arguments.
 */
int bench(const char *dir, const char *copy_dir, const char *sizes, const char *dirty,
	  unsigned int reps, uint64_t run_ms)
{
	uint64_t size[16], pct[16];
	int nsizes, npct, i, j;
	unsigned int rep;
	int failed = 0;

	install_stop_handlers();
	nsizes = parse_list("size", sizes, size, 16, true);
	npct = parse_list("dirty share", dirty, pct, 16, false);
	if (nsizes <= 0 || npct <= 0)
		return 2;
	for (i = 0; i < nsizes && !failed; i++) {
		for (j = 0; j < npct && !failed; j++) {
			for (rep = 0; rep < reps && !failed; rep++) {
				struct sample k = { .kind = "kstate", .mem_size = size[i],
						    .dirty_pct = (unsigned int)pct[j], .rep = rep };
				struct sample c = k;

				c.kind = "copy";
				/* Alternate which goes first, so drift hits both alike. */
				if (rep % 2 == 0) {
					failed = sample_kstate(dir, &k, run_ms) ||
						 sample_copy(copy_dir, &c, run_ms);
				} else {
					failed = sample_copy(copy_dir, &c, run_ms) ||
						 sample_kstate(dir, &k, run_ms);
				}
				if (failed)
					break;
				print_sample(&k);
				print_sample(&c);
				if (!k.ok || !c.ok) {
					fprintf(stderr, "vmm-keepalive: bench: a guest was not "
						"intact after its resume (kstate %s, copy %s)\n",
						k.ok ? "ok" : "BAD", c.ok ? "ok" : "BAD");
					failed = 1;
				}
			}
		}
	}
	return failed;
}
