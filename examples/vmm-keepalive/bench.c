// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench: the blackout of a kstate suspend + resume against a classic copy-based
 * savevm of the same guest, size by size, in one process and one run.
 *
 * kstate: guest RAM is a region of a store in DIR; suspend seals the records and
 *         persists the pages KVM logged as dirty; the VM is torn down and the store
 *         closed (what a VMM exit does); resume opens the store, maps RAM again and
 *         runs the vCPU.
 * copy:   guest RAM is anonymous memory; suspend writes vCPU state and all of RAM to
 *         a file in DIR and fdatasyncs it; the VM is torn down, RAM freed and the
 *         file dropped from the page cache (as after kexec or a reboot); resume
 *         reads the file back into new anonymous memory and runs the vCPU.
 *
 * Blackout = suspend (from the stop signal to the state being durable) + resume (to
 * the first guest exit).  The kstate resume registers guest RAM above the low
 * memslot in the background after that first exit; that time is shown beside it.  Both paths then run the guest again and report whether it
 * found its memory and registers intact.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "libkstate.h"
#include <unistd.h>

#include "bench.h"
#include "common.h"
#include "state.h"

#define CHUNK (64ULL << 20)

struct result {
	uint64_t save_us, restore_us, counter_before, counter_after;
	uint64_t low_slot_us;		/* kstate: the low memslot's registration (in vm_us) */
	uint64_t late_slots_us;		/* kstate: memslot registration after the blackout */
	bool ok;
	struct phases save, restore;
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

struct first {
	uint64_t t0;
	uint64_t *restore_us;
	struct phases *ph;
};

static void first_exit(struct vm *vm, void *arg)
{
	struct first *f = arg;

	(void)vm;
	*f->restore_us = us_since(f->t0);
	if (f->ph)
		phase_end(f->ph, "first_insn_us");
}

/* After a resume: run a while, pause, and ask the guest's verdict. */
static int run_after_resume(struct vm *vm, uint64_t run_ms, struct first *f,
			    struct result *res)
{
	alarm_in(run_ms);
	if (vm_run(vm, first_exit, f) || vm_pause(vm))
		return -1;
	res->counter_after = vm_guest_shared(vm->mem)->counter;
	res->ok = guest_ok(vm) && res->counter_after > res->counter_before;
	return 0;
}

static int bench_kstate(const char *dir, uint64_t size, uint64_t run_ms, struct result *res)
{
	char path[4096];
	struct vmm_store vs;
	struct vm vm = { 0 };
	struct first f = { .restore_us = &res->restore_us, .ph = &res->restore };
	int rc;

	snprintf(path, sizeof(path), "%s/kstate-%llu", dir, (unsigned long long)size);
	rm_tree(path);
	if (mkdir(path, 0700))
		return -errno;
	rc = vmm_store_open(&vs, path, true);
	if (!rc)
		rc = vmm_store_create_guest(&vs, &vm, size);
	if (!rc) {
		alarm_in(run_ms);
		rc = vm_run(&vm, NULL, NULL);
	}
	if (!rc)
		rc = vmm_store_save(&vs, &vm, &res->save);
	if (!rc) {
		res->save_us = (now_ns() - vmm_stop_ns) / 1000;
		res->counter_before = vm_guest_shared(vm.mem)->counter;
	}
	vm_destroy(&vm);
	vmm_store_close(&vs);
	if (rc)
		goto out;

	memset(&vm, 0, sizeof(vm));
	f.t0 = now_ns();
	phase_start(&res->restore);
	rc = vmm_store_open(&vs, path, false);
	if (!rc)
		rc = vmm_store_restore(&vs, &vm, &res->restore);
	if (!rc)
		rc = run_after_resume(&vm, run_ms, &f, res);
	if (!rc)
		rc = vm_late_slots_wait(&vm);
	res->low_slot_us = vm.slots_us;
	res->late_slots_us = vm.late_slots_us;
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
		ssize_t n = write(fd, p, len > CHUNK ? CHUNK : len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, uint64_t len, off_t *off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len > CHUNK ? CHUNK : len);

		if (n <= 0)
			return -1;
		/* Drop what was read, so the page cache does not hold a second copy. */
		posix_fadvise(fd, *off, n, POSIX_FADV_DONTNEED);
		*off += n;
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* The device and vCPU state a copy-based save writes ahead of RAM. */
struct copy_header {
	struct vcpu_state vcpu;		/* xsave pointer not used: the bytes follow */
	struct serial_state serial;
	struct timer_state timer;
};

static void *anon(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int bench_copy(const char *dir, uint64_t size, uint64_t run_ms, struct result *res)
{
	struct copy_header *h = calloc(1, sizeof(*h));
	struct vm vm = { 0 };
	struct first f = { .restore_us = &res->restore_us };
	uint8_t *xsave = NULL;
	char path[4096];
	void *mem;
	off_t off = 0;
	int fd = -1, rc = -1;

	snprintf(path, sizeof(path), "%s/copy-%llu.img", dir, (unsigned long long)size);
	mem = anon(size);
	if (!h || !mem || vm_create(&vm, mem, size, false, false))
		goto out;
	vm_load_guest(&vm);
	if (vm_setup_fresh_vcpu(&vm))
		goto out;
	alarm_in(run_ms);
	if (vm_run(&vm, NULL, NULL))
		goto out;

	/* Suspend: pause, vCPU and devices, then every byte of RAM, durably. */
	if (vm_pause(&vm) || vm_get_state(&vm))
		goto out;
	h->vcpu = vm.vcpu;
	h->serial = vm.serial;
	h->timer = vm.timer;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, h, sizeof(*h)) ||
	    write_all(fd, vm.vcpu.xsave, vm.vcpu.xsave_size) || write_all(fd, mem, size) ||
	    fdatasync(fd))
		goto out;
	res->save_us = (now_ns() - vmm_stop_ns) / 1000;
	res->counter_before = vm_guest_shared(vm.mem)->counter;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	fd = -1;
	vm_destroy(&vm);
	munmap(mem, size);

	/* Resume: read it all back into new memory, then the vCPU. */
	memset(&vm, 0, sizeof(vm));
	f.t0 = now_ns();
	mem = anon(size);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!mem || fd < 0 || read_all(fd, h, sizeof(*h), &off))
		goto out;
	xsave = malloc(h->vcpu.xsave_size ? h->vcpu.xsave_size : 1);
	if (!xsave || read_all(fd, xsave, h->vcpu.xsave_size, &off) ||
	    read_all(fd, mem, size, &off) || vm_create(&vm, mem, size, false, false))
		goto out;
	if (vm.vcpu.xsave_size != h->vcpu.xsave_size)
		goto out;
	memcpy(vm.vcpu.xsave, xsave, h->vcpu.xsave_size);
	h->vcpu.xsave = vm.vcpu.xsave;
	vm.vcpu = h->vcpu;
	vm.serial = h->serial;
	vm.timer = h->timer;
	vm.resume_gen = 1;
	if (vm_set_state(&vm))
		goto out;
	rc = run_after_resume(&vm, run_ms, &f, res);
out:
	if (rc)
		fprintf(stderr, "vmm-keepalive: bench: copy-based save of %llu bytes failed: %s\n",
			(unsigned long long)size, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	vm_destroy(&vm);
	if (mem)
		munmap(mem, size);
	free(xsave);
	free(h);
	return rc;
}

static void ms(char *buf, size_t len, uint64_t us)
{
	snprintf(buf, len, "%llu.%03llu", (unsigned long long)(us / 1000),
		 (unsigned long long)(us % 1000));
}

static const char *human(uint64_t size, char *buf, size_t len)
{
	if (size % (1ULL << 30) == 0)
		snprintf(buf, len, "%llu GiB", (unsigned long long)(size >> 30));
	else
		snprintf(buf, len, "%llu MiB", (unsigned long long)(size >> 20));
	return buf;
}

/**
 * bench - measure both paths at every size of @sizes and print a Markdown table,
 * then one JSON line per size with every phase
 */
int bench(const char *dir, const char *sizes, uint64_t run_ms)
{
	char *list = strdup(sizes), *tok, *save = NULL, sz[32];
	char a[32], b[32], c[32], d[32], e[32], g[32], l[32];
	struct json_object *lines[16];
	unsigned int n = 0, i;
	int failed = 0;

	install_stop_handlers();
	if (!list)
		return 1;
	printf("| guest RAM | kstate suspend ms | kstate resume ms | kstate blackout ms "
	       "| kstate late slots ms | copy suspend ms | copy resume ms | copy blackout ms "
	       "| guest ok |\n"
	       "|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
	fflush(stdout);
	for (tok = strtok_r(list, ",", &save); tok && n < 16; tok = strtok_r(NULL, ",", &save)) {
		struct result k = { 0 }, cp = { 0 };
		struct json_object *o;
		uint64_t size;

		if (tool_size_parse(tok, &size) || size < (4u << 20) || size % (2u << 20)) {
			fprintf(stderr, "vmm-keepalive: bench: size '%s': give multiples of 2M of "
				"at least 4M\n", tok);
			free(list);
			return 2;
		}
		if (bench_kstate(dir, size, run_ms, &k) || bench_copy(dir, size, run_ms, &cp)) {
			failed = 1;
			break;
		}
		ms(a, sizeof(a), k.save_us);
		ms(b, sizeof(b), k.restore_us);
		ms(c, sizeof(c), k.save_us + k.restore_us);
		ms(l, sizeof(l), k.late_slots_us);
		ms(d, sizeof(d), cp.save_us);
		ms(e, sizeof(e), cp.restore_us);
		ms(g, sizeof(g), cp.save_us + cp.restore_us);
		printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		       human(size, sz, sizeof(sz)), a, b, c, l, d, e, g,
		       k.ok && cp.ok ? "yes" : "NO");
		fflush(stdout);
		if (!k.ok || !cp.ok)
			failed = 1;
		o = json_object_new_object();
		json_object_object_add(o, "mem_bytes", json_object_new_int64((int64_t)size));
		json_object_object_add(o, "kstate_save_us", json_object_new_int64((int64_t)k.save_us));
		json_add_phases(o, &k.save);
		json_object_object_add(o, "kstate_restore_us",
				       json_object_new_int64((int64_t)k.restore_us));
		json_add_phases(o, &k.restore);
		json_object_object_add(o, "kstate_low_slot_us",
				       json_object_new_int64((int64_t)k.low_slot_us));
		json_object_object_add(o, "kstate_late_slots_us",
				       json_object_new_int64((int64_t)k.late_slots_us));
		json_object_object_add(o, "copy_save_us", json_object_new_int64((int64_t)cp.save_us));
		json_object_object_add(o, "copy_restore_us",
				       json_object_new_int64((int64_t)cp.restore_us));
		json_object_object_add(o, "kstate_guest_ok", json_object_new_boolean(k.ok));
		json_object_object_add(o, "copy_guest_ok", json_object_new_boolean(cp.ok));
		lines[n++] = o;
	}
	printf("\n");
	for (i = 0; i < n; i++) {
		printf("%s\n", json_object_to_json_string_ext(lines[i], JSON_C_TO_STRING_PLAIN));
		json_object_put(lines[i]);
	}
	free(list);
	return failed;
}
