// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Saving the VM into a kstate store and getting it back (see state.h for the layout).
 *
 * Save:    pause, read vCPU state, persist the guest pages KVM logged as dirty, write
 *          the records, mark vmm-live SUSPENDED at the new generation, seal it.
 * Restore: read and check the newest sealed generation's records, map the regions
 *          (O(1): no guest RAM is read or copied), check vmm-live, create the VM,
 *          set vCPU and device state, mark vmm-live RUNNING, run.
 * Verify:  like restore up to the checks, then read guest RAM from the host side and
 *          check it against the records; needs no KVM.
 */
#include <errno.h>
#include <fcntl.h>
#include <isa-l/crc.h>
#include <libkstate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state.h"

void phase_start(struct phases *p)
{
	p->t = now_ns();
}

void phase_end(struct phases *p, const char *name)
{
	uint64_t t = now_ns();

	if (p->n < PHASES_MAX) {
		p->name[p->n] = name;
		p->us[p->n++] = (t - p->t) / 1000;
	}
	p->t = t;
}

static int fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int rc, const char *fmt, ...)
{
	va_list ap;

	fputs("vmm-keepalive: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return rc;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint32_t used_crc(const uint8_t *mem)
{
	return crc32_iscsi((unsigned char *)mem, GUEST_USED_END, 0xffffffffu);
}

int vmm_store_open(struct vmm_store *vs, const char *path, bool create)
{
	int rc;

	memset(vs, 0, sizeof(*vs));
	rc = kstate_ctx_new(&vs->ctx);
	if (rc)
		return fail(rc, "cannot create the libkstate context: %s", strerror(-rc));
	rc = kstate_store_new(vs->ctx, path, create ? KSTATE_STORE_CREATE : 0, &vs->store);
	if (rc)
		return fail(rc, "store %s: %s%s", path, kstate_errormsg(),
			    rc == -ENOENT ? " (create it with 'vmm-keepalive run')" : "");
	return 0;
}

void vmm_store_close(struct vmm_store *vs)
{
	kstate_region_unmap(&vs->ram);
	kstate_region_unmap(&vs->live);
	kstate_store_delete(&vs->store);
	kstate_ctx_delete(&vs->ctx);
}

static int live_set(struct vmm_store *vs, uint32_t state, uint64_t generation)
{
	struct vmm_live *l = kstate_region_addr(vs->live);
	int rc;

	l->magic = VMM_LIVE_MAGIC;
	l->state = state;
	l->generation = generation;
	l->updated_ns = realtime_ns();
	rc = kstate_region_persist(vs->live, 0, sizeof(*l));
	if (rc)
		return fail(rc, "%s: %s", VMM_REGION_LIVE, kstate_errormsg());
	return 0;
}

/**
 * vmm_store_create_guest - first boot: new guest RAM region and vmm-live page, the
 * guest program loaded and persisted, vmm-live marked RUNNING
 */
int vmm_store_create_guest(struct vmm_store *vs, struct vm *vm, uint64_t mem_size)
{
	const char *path = kstate_store_path(vs->store);
	int rc;

	rc = kstate_region_map(vs->store, VMM_REGION_RAM, mem_size,
			       KSTATE_REGION_CREATE | KSTATE_REGION_EXCL, &vs->ram);
	if (rc == -EEXIST)
		return fail(rc, "store %s already holds a guest: resume it with 'vmm-keepalive "
			    "resume --store %s', or remove the store to start over", path, path);
	if (rc)
		return fail(rc, "%s", kstate_errormsg());
	rc = kstate_region_map(vs->store, VMM_REGION_LIVE, 4096, KSTATE_REGION_CREATE,
			       &vs->live);
	if (rc)
		return fail(rc, "%s", kstate_errormsg());
	rc = vm_create(vm, kstate_region_addr(vs->ram), mem_size, VM_DIRTY_LOG);
	if (rc)
		return rc;
	/* Written by the VMM, not the guest, so KVM's dirty log does not list them. */
	rc = kstate_region_persist(vs->ram, 0, vm_load_guest(vm));
	if (rc)
		return fail(rc, "%s", kstate_errormsg());
	rc = live_set(vs, VMM_LIVE_RUNNING, 0);
	if (rc)
		return rc;
	return vm_setup_fresh_vcpu(vm);
}

/* Persist the pages the guest wrote since the memslot was created, in runs. */
static int persist_dirty(struct vmm_store *vs, struct vm *vm)
{
	uint64_t *bitmap, pages = vm->mem_size / 4096, p, start;
	int rc;

	vs->dirty_pages = 0;
	rc = vm_dirty_bitmap(vm, &bitmap);
	if (rc)
		return rc;
	for (p = 0; p < pages && !rc; p++) {
		if (!(bitmap[p / 64] & (1ULL << (p % 64))))
			continue;
		start = p;
		while (p < pages && (bitmap[p / 64] & (1ULL << (p % 64))))
			p++;
		vs->dirty_pages += p - start;
		rc = kstate_region_persist(vs->ram, start * 4096, (p - start) * 4096);
	}
	free(bitmap);
	if (rc)
		return fail(rc, "%s", kstate_errormsg());
	return 0;
}

static int add_records(struct kstate_writer *w, struct vm *vm, const struct vmm_meta *meta)
{
	const struct vcpu_state *st = &vm->vcpu;
	const uint16_t c = KSTATE_RECORD_CRITICAL;
	int rc;

	rc = kstate_writer_add(w, VMM_REC_META, c, meta, sizeof(*meta));
	if (!rc)
		rc = kstate_writer_add(w, VMM_REC_CPUID, c, st->cpuid,
				       st->ncpuid * sizeof(st->cpuid[0]));
	if (!rc)
		rc = kstate_writer_add(w, VMM_REC_REGS, c, &st->regs, sizeof(st->regs));
	if (!rc)
		rc = kstate_writer_add(w, VMM_REC_SREGS, c, &st->sregs, sizeof(st->sregs));
	if (!rc)
		rc = kstate_writer_add(w, VMM_REC_EVENTS, c, &st->events, sizeof(st->events));
	if (!rc && st->xsave)
		rc = kstate_writer_add(w, VMM_REC_XSAVE, c, st->xsave, st->xsave_size);
	if (!rc && st->xsave)
		rc = kstate_writer_add(w, VMM_REC_XCRS, c, &st->xcrs, sizeof(st->xcrs));
	if (!rc && !st->xsave)
		rc = kstate_writer_add(w, VMM_REC_FPU, c, &st->fpu, sizeof(st->fpu));
	if (!rc)
		rc = kstate_writer_add(w, VMM_REC_MSRS, c, st->msrs,
				       st->nmsrs * sizeof(st->msrs[0]));
	if (!rc)
		rc = kstate_writer_add(w, VMM_REC_SERIAL, c, &vm->serial, sizeof(vm->serial));
	if (!rc)
		rc = kstate_writer_add(w, VMM_REC_TIMER, c, &vm->timer, sizeof(vm->timer));
	return rc;
}

/**
 * vmm_store_save - pause the guest and seal its state as a new generation
 * @ph: phases pause, vcpu, persist, records, commit; pause is measured from the
 *	signal when there was one
 *
 * A crash before the seal leaves the previous generation as the newest sealed one,
 * and vmm-live tells resume that guest RAM no longer matches it.
 */
int vmm_store_save(struct vmm_store *vs, struct vm *vm, struct phases *ph)
{
	const struct guest_shared *gs = vm_guest_shared(vm->mem);
	struct kstate_writer *w = NULL;
	struct kstate_txn *txn = NULL;
	struct vmm_meta meta = { 0 };
	int rc;

	ph->t = vmm_stop_ns ? vmm_stop_ns : now_ns();
	rc = vm_pause(vm);
	if (rc)
		return rc;
	phase_end(ph, "pause_us");
	rc = vm_get_state(vm);
	if (rc)
		return rc;
	phase_end(ph, "regs_us");
	rc = persist_dirty(vs, vm);
	if (rc)
		return rc;
	phase_end(ph, "persist_us");

	meta.version = VMM_RECORDS_VERSION;
	meta.vcpus = 1;
	meta.mem_size = vm->mem_size;
	meta.guest_counter = gs->counter;
	meta.guest_sum1 = gs->sum1;
	meta.guest_sum2 = gs->sum2;
	meta.used_crc = used_crc(vm->mem);
	meta.guest_ok = guest_ok(vm);
	meta.saved_ns = realtime_ns();
	meta.at_idle = vm->at_idle;
	rc = kstate_txn_new(vs->store, &txn);
	if (!rc)
		rc = kstate_writer_new(vs->store, txn, VMM_RECORDS, VMM_RECORDS_VERSION, &w);
	if (!rc)
		rc = add_records(w, vm, &meta);
	if (!rc)
		rc = kstate_writer_commit(w);
	if (rc) {
		fail(rc, "cannot write the VM state: %s", kstate_errormsg());
		goto out;
	}
	phase_end(ph, "records_us");
	rc = live_set(vs, VMM_LIVE_SUSPENDED, kstate_txn_generation(txn));
	if (!rc)
		rc = kstate_txn_add_region(txn, VMM_REGION_RAM);
	if (!rc)
		rc = kstate_txn_add_region(txn, VMM_REGION_LIVE);
	if (!rc)
		rc = kstate_txn_commit(txn);
	if (rc) {
		fail(rc, "cannot seal the VM state: %s", kstate_errormsg());
		goto out;
	}
	vs->generation = kstate_txn_generation(txn);
	phase_end(ph, "commit_us");
out:
	kstate_writer_delete(&w);
	kstate_txn_delete(&txn);
	return rc;
}

static int why(char *buf, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int why(char *buf, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* Copy a record of exactly @size bytes. */
#define TAKE(dst, size)								\
	do {									\
		if (len != (size))						\
			return why(whybuf, whylen, -EUCLEAN, "record %u has %zu " \
				   "bytes, not %zu", type, len, (size_t)(size)); \
		memcpy((dst), data, len);					\
	} while (0)

/**
 * vmm_records_parse - check the records of a saved VM and load them into @vm
 * @r: reader of the "vmm" record file (its checksum already verified by libkstate)
 * @vm: vm->vcpu.xsave_size is the host's XSAVE size after vm_create(), 0 to take
 *	any (verify)
 * @meta: the VMM_REC_META record
 * @whybuf: why the records were refused
 *
 * Return: 0, or -EUCLEAN for a missing, duplicated, unknown or wrong-sized record.
 */
int vmm_records_parse(struct kstate_reader *r, struct vm *vm, struct vmm_meta *meta,
		      char *whybuf, size_t whylen)
{
	static const uint32_t required = 1u << VMM_REC_META | 1u << VMM_REC_REGS |
		1u << VMM_REC_SREGS | 1u << VMM_REC_EVENTS | 1u << VMM_REC_MSRS |
		1u << VMM_REC_CPUID | 1u << VMM_REC_SERIAL | 1u << VMM_REC_TIMER;
	struct vcpu_state *st = &vm->vcpu;
	uint32_t seen = 0;
	uint16_t type, flags;
	const void *data;
	size_t len;
	int rc;

	if (kstate_reader_client_version(r) != VMM_RECORDS_VERSION)
		return why(whybuf, whylen, -EUCLEAN, "record layout version %u, this VMM "
			   "knows %u", kstate_reader_client_version(r), VMM_RECORDS_VERSION);
	kstate_reader_rewind(r);
	while ((rc = kstate_reader_next(r, &type, &flags, &data, &len)) == 1) {
		if (type >= 32 || (seen & (1u << type)))
			return why(whybuf, whylen, -EUCLEAN, "record type %u %s", type,
				   type >= 32 ? "unknown" : "appears twice");
		seen |= 1u << type;
		switch (type) {
		case VMM_REC_META:
			TAKE(meta, sizeof(*meta));
			break;
		case VMM_REC_REGS:
			TAKE(&st->regs, sizeof(st->regs));
			break;
		case VMM_REC_SREGS:
			TAKE(&st->sregs, sizeof(st->sregs));
			break;
		case VMM_REC_EVENTS:
			TAKE(&st->events, sizeof(st->events));
			break;
		case VMM_REC_XCRS:
			TAKE(&st->xcrs, sizeof(st->xcrs));
			break;
		case VMM_REC_FPU:
			TAKE(&st->fpu, sizeof(st->fpu));
			break;
		case VMM_REC_SERIAL:
			TAKE(&vm->serial, sizeof(vm->serial));
			break;
		case VMM_REC_TIMER:
			TAKE(&vm->timer, sizeof(vm->timer));
			break;
		case VMM_REC_XSAVE:
			if (len < sizeof(struct kvm_xsave) || len > (1u << 20) ||
			    (st->xsave_size && len != st->xsave_size))
				return why(whybuf, whylen, -EUCLEAN, "XSAVE state of %zu bytes "
					   "does not fit this host's %u (saved on another CPU "
					   "model?)", len, st->xsave_size);
			if (vcpu_state_alloc_xsave(st, (uint32_t)len))
				return -ENOMEM;
			memcpy(st->xsave, data, len);
			break;
		case VMM_REC_MSRS:
			if (len % sizeof(st->msrs[0]) || len / sizeof(st->msrs[0]) > VMM_MSR_MAX)
				return why(whybuf, whylen, -EUCLEAN, "MSR record of %zu bytes",
					   len);
			st->nmsrs = (uint32_t)(len / sizeof(st->msrs[0]));
			memcpy(st->msrs, data, len);
			break;
		case VMM_REC_CPUID:
			if (len % sizeof(st->cpuid[0]) || len == 0 ||
			    len / sizeof(st->cpuid[0]) > VMM_CPUID_MAX)
				return why(whybuf, whylen, -EUCLEAN, "CPUID record of %zu bytes",
					   len);
			st->ncpuid = (uint32_t)(len / sizeof(st->cpuid[0]));
			memcpy(st->cpuid, data, len);
			break;
		default:
			return why(whybuf, whylen, -EUCLEAN, "record type %u unknown", type);
		}
	}
	if (rc < 0)
		return why(whybuf, whylen, rc, "%s", kstate_errormsg());
	if ((seen & required) != required)
		return why(whybuf, whylen, -EUCLEAN, "records incomplete (types seen 0x%x, "
			   "needed 0x%x)", seen, required);
	if (!(seen & (1u << VMM_REC_XSAVE)) && !(seen & (1u << VMM_REC_FPU)))
		return why(whybuf, whylen, -EUCLEAN, "no FPU or XSAVE record");
	if ((seen & (1u << VMM_REC_XSAVE)) && !(seen & (1u << VMM_REC_XCRS)))
		return why(whybuf, whylen, -EUCLEAN, "XSAVE record without XCRS");
	if (st->xsave_size && !(seen & (1u << VMM_REC_XSAVE)))
		return why(whybuf, whylen, -EUCLEAN, "saved without XSAVE, this host has it");
	if (meta->version != VMM_RECORDS_VERSION || meta->vcpus != 1 ||
	    meta->mem_size < 2 * GUEST_USED_END || meta->mem_size % (2u << 20))
		return why(whybuf, whylen, -EUCLEAN, "meta record: version %u, %u vCPUs, %llu "
			   "bytes of RAM", meta->version, meta->vcpus,
			   (unsigned long long)meta->mem_size);
	if (vm->serial.line_len >= SERIAL_LINE_MAX)
		return why(whybuf, whylen, -EUCLEAN, "serial line length %u",
			   vm->serial.line_len);
	return 0;
}

/*
 * The newest sealed generation: its number and its region sizes, checked against the
 * store (present, right kind and size).
 */
static int newest_generation(struct kstate_store *store, uint64_t *number,
			     uint64_t *ram_size, char *whybuf, size_t whylen)
{
	struct kstate_generation *gen = NULL;
	int rc, ram, live;

	rc = kstate_generation_new(store, 0, &gen);
	if (rc)
		return why(whybuf, whylen, rc, "%s", rc == -ENOENT ?
			   "no saved VM: the store has no sealed generation" :
			   kstate_errormsg());
	*number = kstate_generation_number(gen);
	ram = kstate_generation_find(gen, KSTATE_KIND_REGION, VMM_REGION_RAM);
	live = kstate_generation_find(gen, KSTATE_KIND_REGION, VMM_REGION_LIVE);
	if (ram < 0 || live < 0 ||
	    kstate_generation_find(gen, KSTATE_KIND_RECORDS, VMM_RECORDS) < 0) {
		rc = why(whybuf, whylen, -ENOENT, "generation %llu is not a saved VM (it lacks "
			 "%s, %s or %s)", (unsigned long long)*number, VMM_REGION_RAM,
			 VMM_REGION_LIVE, VMM_RECORDS);
		goto out;
	}
	*ram_size = kstate_generation_entry_size(gen, (unsigned int)ram);
	rc = kstate_generation_verify_entry(gen, (unsigned int)ram);
	if (!rc)
		rc = kstate_generation_verify_entry(gen, (unsigned int)live);
	if (rc)
		why(whybuf, whylen, rc, "%s", kstate_errormsg());
out:
	kstate_generation_delete(&gen);
	return rc;
}

static int live_check(const struct vmm_live *l, uint64_t generation, char *whybuf,
		      size_t whylen)
{
	if (l->magic != VMM_LIVE_MAGIC)
		return why(whybuf, whylen, -EUCLEAN, "%s: not initialised", VMM_REGION_LIVE);
	if (l->state == VMM_LIVE_RUNNING)
		return why(whybuf, whylen, -ESTALE, "guest RAM changed after generation %llu "
			   "was sealed: the VMM stopped without saving (crash or kill -9) and "
			   "the vCPU state that went with that RAM is lost",
			   (unsigned long long)generation);
	if (l->state != VMM_LIVE_SUSPENDED || l->generation != generation)
		return why(whybuf, whylen, -ESTALE, "guest RAM matches generation %llu, not the "
			   "newest sealed generation %llu (a save did not complete)",
			   (unsigned long long)l->generation, (unsigned long long)generation);
	return 0;
}

/**
 * vmm_store_restore - put the newest saved VM back, ready for vm_run()
 * @ph: phases open, map, vm, vcpu, mark
 *
 * All of guest RAM is registered with KVM before the vCPU can run (see vmm.h).
 *
 * Reads a few KiB of records and one page of guest RAM (the guest's counter, for
 * the report); the rest of guest RAM is neither read nor copied: KVM faults its
 * pages in from the shared mapping when the guest touches them.
 */
int vmm_store_restore(struct vmm_store *vs, struct vm *vm, struct phases *ph)
{
	struct kstate_reader *r = NULL;
	struct vmm_meta meta = { 0 };
	uint64_t ram_size = 0;
	char whybuf[512] = "";
	int rc;

	rc = newest_generation(vs->store, &vs->generation, &ram_size, whybuf, sizeof(whybuf));
	if (!rc)
		rc = kstate_reader_new(vs->store, vs->generation, VMM_RECORDS, &r);
	if (rc) {
		if (!whybuf[0])
			snprintf(whybuf, sizeof(whybuf), "%s", kstate_errormsg());
		goto out;
	}
	phase_end(ph, "open_us");

	rc = kstate_region_map(vs->store, VMM_REGION_LIVE, 4096, 0, &vs->live);
	if (!rc)
		rc = live_check(kstate_region_addr(vs->live), vs->generation, whybuf,
				sizeof(whybuf));
	if (!rc)
		rc = kstate_region_map(vs->store, VMM_REGION_RAM, ram_size, 0, &vs->ram);
	if (rc) {
		if (!whybuf[0])
			snprintf(whybuf, sizeof(whybuf), "%s", kstate_errormsg());
		goto out;
	}
	phase_end(ph, "map_us");

	rc = vm_create(vm, kstate_region_addr(vs->ram), ram_size, VM_DIRTY_LOG);
	if (rc)
		goto out_quiet;
	phase_end(ph, "vm_us");
	rc = vmm_records_parse(r, vm, &meta, whybuf, sizeof(whybuf));
	if (!rc && meta.mem_size != ram_size)
		rc = why(whybuf, sizeof(whybuf), -EUCLEAN, "records say %llu bytes of RAM, "
			 "region %s has %llu", (unsigned long long)meta.mem_size,
			 VMM_REGION_RAM, (unsigned long long)ram_size);
	if (!rc && vm_guest_shared(vm->mem)->counter != meta.guest_counter)
		rc = why(whybuf, sizeof(whybuf), -EUCLEAN, "guest counter in RAM is %llu, the "
			 "records say %llu", (unsigned long long)vm_guest_shared(vm->mem)->counter,
			 (unsigned long long)meta.guest_counter);
	if (rc)
		goto out;
	rc = vm_set_state(vm);
	if (rc)
		goto out_quiet;
	vm->resume_gen = (uint32_t)vs->generation;
	phase_end(ph, "regs_us");
	rc = live_set(vs, VMM_LIVE_RUNNING, vs->generation);
	if (rc)
		goto out_quiet;
	phase_end(ph, "mark_us");
out:
	if (rc)
		fail(rc, "store %s: cannot resume: %s", kstate_store_path(vs->store), whybuf);
out_quiet:
	kstate_reader_delete(&r);
	return rc;
}

/* Map a region file of the store read-only: verify must work on a read-only copy. */
static const uint8_t *map_file_ro(const char *dir, const char *fname, uint64_t size,
				  char *whybuf, size_t whylen)
{
	char path[4096];
	struct stat st;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, fname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size != size) {
		why(whybuf, whylen, 0, "%s: %s", path, fd < 0 ? strerror(errno) :
		    "size differs from the manifest");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		why(whybuf, whylen, 0, "%s: mmap: %s", path, strerror(errno));
		return NULL;
	}
	return p;
}

#define CHECK(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			res->failed++;						\
			if (!res->why[0])					\
				snprintf(res->why, sizeof(res->why), __VA_ARGS__); \
		}								\
	} while (0)

/**
 * vmm_store_verify - check a saved VM without KVM
 *
 * The records parse and are complete, vmm-live says guest RAM matches the newest
 * generation, and guest RAM agrees with the records and with itself: the CRC of the
 * part the guest uses, the guest program bytes, the counter, the check-area sums the
 * guest keeps, the register canary (saved R15 against the guest's copy in RAM) and
 * the high-memory probe and the top-of-RAM probe.
 *
 * Return: 0 when the store could be examined (see @res->failed), or a negative errno.
 */
int vmm_store_verify(const char *path, struct verify_result *res)
{
	struct kstate_generation *gen = NULL;
	struct kstate_reader *r = NULL;
	struct vmm_meta meta = { 0 };
	struct vmm_store vs = { 0 };
	struct vm vm = { 0 };
	char fname[256], whybuf[512] = "";
	const struct guest_shared *gs;
	const uint8_t *ram = NULL, *live = NULL;
	const uint32_t *probe;
	uint32_t s1, s2;
	int rc, idx;

	memset(res, 0, sizeof(*res));
	rc = kstate_ctx_new(&vs.ctx);
	if (!rc)
		rc = kstate_store_new(vs.ctx, path, KSTATE_STORE_RDONLY, &vs.store);
	if (rc) {
		fail(rc, "store %s: %s", path, kstate_errormsg());
		goto out;
	}
	rc = newest_generation(vs.store, &res->generation, &res->mem_size, whybuf,
			       sizeof(whybuf));
	if (!rc)
		rc = kstate_store_verify(vs.store, res->generation);
	if (!rc)
		rc = kstate_reader_new(vs.store, res->generation, VMM_RECORDS, &r);
	if (!rc)
		rc = vmm_records_parse(r, &vm, &meta, whybuf, sizeof(whybuf));
	if (rc) {
		res->failed++;
		snprintf(res->why, sizeof(res->why), "%s", whybuf[0] ? whybuf :
			 kstate_errormsg());
		rc = 0;
		goto out;
	}
	res->guest_counter = meta.guest_counter;
	res->guest_ok_at_save = meta.guest_ok;
	CHECK(meta.mem_size == res->mem_size, "records say %llu bytes of RAM, the manifest "
	      "%llu", (unsigned long long)meta.mem_size, (unsigned long long)res->mem_size);

	rc = kstate_generation_new(vs.store, res->generation, &gen);
	if (rc) {
		fail(rc, "store %s: %s", path, kstate_errormsg());
		goto out;
	}
	idx = kstate_generation_find(gen, KSTATE_KIND_REGION, VMM_REGION_LIVE);
	kstate_generation_entry_filename(gen, (unsigned int)idx, fname, sizeof(fname));
	live = map_file_ro(path, fname, 4096, whybuf, sizeof(whybuf));
	CHECK(live, "%s", whybuf);
	if (live && live_check((const void *)live, res->generation, whybuf, sizeof(whybuf)))
		CHECK(0, "%s", whybuf);
	idx = kstate_generation_find(gen, KSTATE_KIND_REGION, VMM_REGION_RAM);
	kstate_generation_entry_filename(gen, (unsigned int)idx, fname, sizeof(fname));
	ram = map_file_ro(path, fname, res->mem_size, whybuf, sizeof(whybuf));
	CHECK(ram, "%s", whybuf);
	if (!ram || res->failed)
		goto out;

	gs = vm_guest_shared(ram);
	CHECK(used_crc(ram) == meta.used_crc, "guest RAM [0, 2 MiB) CRC 0x%08x, saved 0x%08x",
	      used_crc(ram), meta.used_crc);
	CHECK(memcmp(ram + GUEST_LOAD_ADDR, guest_bin, guest_bin_len) == 0,
	      "guest program in RAM differs from this VMM's guest program");
	CHECK(gs->magic == GUEST_MAGIC, "guest data page not initialised");
	CHECK(gs->counter == meta.guest_counter, "guest counter %llu in RAM, %llu saved",
	      (unsigned long long)gs->counter, (unsigned long long)meta.guest_counter);
	guest_sums((const uint32_t *)(ram + GUEST_CHECK_ADDR), &s1, &s2);
	res->at_idle = meta.at_idle;
	if (!meta.at_idle)
		goto out;	/* paused mid-step: the guest's own bookkeeping may lag */
	CHECK(s1 == gs->sum1 && s2 == gs->sum2 && s1 == meta.guest_sum1 &&
	      s2 == meta.guest_sum2, "check area sums %08x/%08x, guest kept %08x/%08x, "
	      "saved %08x/%08x", s1, s2, gs->sum1, gs->sum2, meta.guest_sum1, meta.guest_sum2);
	probe = (const uint32_t *)(ram + GUEST_PROBE_ADDR);
	CHECK(probe[0] == gs->probe && probe[1] == gs->resume_gen, "high-memory probe at "
	      "0x%x holds 0x%08x/%u, the guest wrote 0x%08x/%u", GUEST_PROBE_ADDR, probe[0],
	      probe[1], gs->probe, gs->resume_gen);
	probe = (const uint32_t *)(ram + res->mem_size - GUEST_TOP_PROBE);
	CHECK(!gs->top || probe[0] == gs->top, "top-of-RAM probe holds 0x%08x, the guest "
	      "wrote 0x%08x", probe[0], gs->top);
	CHECK(vm.vcpu.regs.r15 == gs->canary, "register canary R15=0x%016llx, the guest's "
	      "copy in RAM 0x%016llx", (unsigned long long)vm.vcpu.regs.r15,
	      (unsigned long long)gs->canary);
	CHECK(vm.vcpu.regs.rip >= GUEST_LOAD_ADDR &&
	      vm.vcpu.regs.rip < GUEST_LOAD_ADDR + guest_bin_len,
	      "saved RIP 0x%llx is outside the guest program",
	      (unsigned long long)vm.vcpu.regs.rip);
out:
	if (ram)
		munmap((void *)ram, res->mem_size);
	if (live)
		munmap((void *)live, 4096);
	kstate_generation_delete(&gen);
	kstate_reader_delete(&r);
	vcpu_state_free(&vm.vcpu);
	vmm_store_close(&vs);
	return rc;
}
