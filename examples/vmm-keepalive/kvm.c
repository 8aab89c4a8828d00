// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The VM on the raw KVM API: one vCPU, no in-kernel irqchip, guest RAM given by the
 * caller (a kstate region, or anonymous memory for the copy-based comparison).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

volatile sig_atomic_t vmm_stop;
uint64_t vmm_stop_ns;

/* MSRs a guest can change that live outside regs/sregs; filtered by what KVM lists. */
static const uint32_t wanted_msrs[] = {
	0x00000010,	/* IA32_TSC: the guest's TSC continues where it paused */
	0x00000174,	/* IA32_SYSENTER_CS */
	0x00000175,	/* IA32_SYSENTER_ESP */
	0x00000176,	/* IA32_SYSENTER_EIP */
	0x000001a0,	/* IA32_MISC_ENABLE */
	0x00000277,	/* IA32_PAT */
	0xc0000081,	/* STAR */
	0xc0000082,	/* LSTAR */
	0xc0000083,	/* CSTAR */
	0xc0000084,	/* SYSCALL_MASK */
	0xc0000102,	/* KERNEL_GS_BASE */
	0xc0000103,	/* TSC_AUX */
};

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const struct guest_shared *vm_guest_shared(const uint8_t *mem)
{
	return (const struct guest_shared *)(mem + GUEST_SHARED_ADDR);
}

void vcpu_state_free(struct vcpu_state *st)
{
	free(st->xsave);
	st->xsave = NULL;
	st->xsave_size = 0;
}

int vcpu_state_alloc_xsave(struct vcpu_state *st, uint32_t size)
{
	vcpu_state_free(st);
	st->xsave = calloc(1, size);
	if (!st->xsave)
		return -ENOMEM;
	st->xsave_size = size;
	return 0;
}

static int kvm_fail(const char *what)
{
	int e = errno;

	fprintf(stderr, "vmm-keepalive: %s: %s\n", what, strerror(e));
	return -e;
}

/* The MSRs of wanted_msrs[] this KVM can save and restore. */
static int pick_msrs(struct vm *vm)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	uint32_t i, j;

	if (ioctl(vm->kvm, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return kvm_fail("KVM_GET_MSR_INDEX_LIST");
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	if (!list)
		return -ENOMEM;
	list->nmsrs = probe.nmsrs;
	if (ioctl(vm->kvm, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		free(list);
		return kvm_fail("KVM_GET_MSR_INDEX_LIST");
	}
	vm->vcpu.nmsrs = 0;
	for (i = 0; i < sizeof(wanted_msrs) / sizeof(wanted_msrs[0]); i++)
		for (j = 0; j < list->nmsrs; j++)
			if (list->indices[j] == wanted_msrs[i])
				vm->vcpu.msrs[vm->vcpu.nmsrs++].index = wanted_msrs[i];
	free(list);
	return 0;
}

/* The host's supported CPUID, given to the vCPU at first boot and saved with it. */
static int get_supported_cpuid(struct vm *vm)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[VMM_CPUID_MAX];
	} c = { .hdr.nent = VMM_CPUID_MAX };

	if (ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, &c) < 0)
		return kvm_fail("KVM_GET_SUPPORTED_CPUID");
	vm->vcpu.ncpuid = c.hdr.nent;
	memcpy(vm->vcpu.cpuid, c.e, c.hdr.nent * sizeof(c.e[0]));
	return 0;
}

static int set_cpuid(struct vm *vm)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[VMM_CPUID_MAX];
	} c = { .hdr.nent = vm->vcpu.ncpuid };

	memcpy(c.e, vm->vcpu.cpuid, vm->vcpu.ncpuid * sizeof(c.e[0]));
	if (ioctl(vm->vcpufd, KVM_SET_CPUID2, &c) < 0)
		return kvm_fail("KVM_SET_CPUID2");
	return 0;
}

/*
 * Manual protection: KVM_GET_DIRTY_LOG then only reads the log, without clearing it and
 * write-protecting every page it lists (KVM_CLEAR_DIRTY_LOG does that, for a guest that
 * runs on after a save; this one stops).  Initially-set bits would only spare mappings
 * that exist when logging starts: a new VM has none, so they are not asked for.
 */
static void enable_manual_protect(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 };
	int have = ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	if (have <= 0 || !(have & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
		return;
	cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	vm->manual_protect = ioctl(vm->vmfd, KVM_ENABLE_CAP, &cap) == 0;
}

static int set_slot(struct vm *vm)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0,
		.flags = vm->dirty == VM_DIRTY_LOG ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem_size,
		.userspace_addr = (uintptr_t)vm->mem,
	};

	if (ioctl(vm->vmfd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return kvm_fail("KVM_SET_USER_MEMORY_REGION");
	return 0;
}

/**
 * vm_create - open KVM, create the VM with @mem as its RAM at guest-physical 0, and
 * one vCPU (its state is set by vm_setup_fresh_vcpu() or vm_set_state())
 * @dirty: how a save learns what the guest wrote (see enum vm_dirty)
 *
 * All of guest RAM is registered here, before the vCPU can run.  Nothing here touches
 * @mem: the memslot only records the mapping.
 */
int vm_create(struct vm *vm, void *mem, uint64_t mem_size, enum vm_dirty dirty)
{
	uint64_t t0;
	int rc, size;

	vm->kvm = vm->vmfd = vm->vcpufd = -1;
	vm->mem = mem;
	vm->mem_size = mem_size;
	vm->dirty = dirty;
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		return kvm_fail("/dev/kvm (load kvm_intel or kvm_amd and run as a user with "
				"access to it)");
	if (ioctl(vm->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "vmm-keepalive: /dev/kvm: unexpected KVM API version\n");
		return -ENOTSUP;
	}
	vm->vmfd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->vmfd < 0)
		return kvm_fail("KVM_CREATE_VM");
	t0 = now_ns();
	if (dirty == VM_DIRTY_LOG)
		enable_manual_protect(vm);
	rc = set_slot(vm);
	if (rc)
		return rc;
	vm->slots_us = us_since(t0);
	vm->vcpufd = ioctl(vm->vmfd, KVM_CREATE_VCPU, 0);
	if (vm->vcpufd < 0)
		return kvm_fail("KVM_CREATE_VCPU");
	size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return kvm_fail("KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = (size_t)size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpufd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return kvm_fail("mmap kvm_run");
	}
	/* XSAVE2 reports the buffer size for the host's features (AMX needs > 4 KiB). */
	size = ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	if (size <= 0 && ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0)
		size = sizeof(struct kvm_xsave);
	if (size > 0) {
		if (size < (int)sizeof(struct kvm_xsave))
			size = sizeof(struct kvm_xsave);
		rc = vcpu_state_alloc_xsave(&vm->vcpu, (uint32_t)size);
		if (rc)
			return rc;
	}
	return pick_msrs(vm);
}

void vm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	vm->run = NULL;
	if (vm->vcpufd >= 0)
		close(vm->vcpufd);
	if (vm->vmfd >= 0)
		close(vm->vmfd);
	if (vm->kvm >= 0)
		close(vm->kvm);
	vm->kvm = vm->vmfd = vm->vcpufd = -1;
	vcpu_state_free(&vm->vcpu);
}

/*
 * Segments: null, kernel code and data (unused), user 64-bit code (0x1b) and user
 * data (0x23).  The guest runs at CPL 3: see vmm-guest.h.
 */
static const uint64_t guest_gdt[] = {
	0,
	0x00af9b000000ffffULL,
	0x00cf93000000ffffULL,
	0x00affb000000ffffULL,
	0x00cff3000000ffffULL,
};

/* The guest-physical address of the page directory of GiB @gib. */
static uint64_t guest_pd(uint64_t gib)
{
	return gib ? GUEST_PD_HIGH_ADDR + (gib - 1) * 4096 : GUEST_PD_ADDR;
}

/*
 * First boot: the guest program, its GDT, and page tables mapping all of guest RAM
 * 1:1 with 2 MiB pages (at most GUEST_RAM_MAX_GIB).  Return: the end of what was
 * written, which the caller persists (KVM's dirty log does not see it).
 */
uint64_t vm_load_guest(struct vm *vm)
{
	uint64_t *pml4 = (uint64_t *)(vm->mem + GUEST_PML4_ADDR);
	uint64_t *pdpt = (uint64_t *)(vm->mem + GUEST_PDPT_ADDR);
	uint64_t gibs = (vm->mem_size + (1ULL << 30) - 1) >> 30, g, i;

	memcpy(vm->mem + GUEST_GDT_ADDR, guest_gdt, sizeof(guest_gdt));
	memcpy(vm->mem + GUEST_LOAD_ADDR, guest_bin, guest_bin_len);
	pml4[0] = GUEST_PDPT_ADDR | 0x7;		/* present, writable, user */
	for (g = 0; g < gibs; g++) {
		uint64_t *pd = (uint64_t *)(vm->mem + guest_pd(g));

		pdpt[g] = guest_pd(g) | 0x7;
		for (i = 0; i < 512; i++)
			pd[i] = ((g << 30) + (i << 21)) | 0x87;	/* ... and a 2 MiB page */
	}
	return guest_pd(gibs - 1) + 4096;
}

static void user_segment(struct kvm_segment *s, uint16_t selector, uint8_t type, bool code64)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 3, .db = !code64, .s = 1, .l = code64, .g = 1,
	};
}

/* First boot: 64-bit long mode, CPL 3, IOPL 3, at GUEST_LOAD_ADDR, interrupts off. */
int vm_setup_fresh_vcpu(struct vm *vm)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rip = GUEST_LOAD_ADDR,
		.rsp = GUEST_STACK_TOP,
		.rflags = 0x3002,	/* IOPL 3: in/out allowed at CPL 3 */
	};
	int rc;

	rc = get_supported_cpuid(vm);
	if (!rc)
		rc = set_cpuid(vm);
	if (rc)
		return rc;
	if (ioctl(vm->vcpufd, KVM_GET_SREGS, &sregs) < 0)
		return kvm_fail("KVM_GET_SREGS");
	user_segment(&sregs.cs, 0x1b, 0xb, true);
	user_segment(&sregs.ds, 0x23, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = GUEST_GDT_ADDR;
	sregs.gdt.limit = sizeof(guest_gdt) - 1;
	sregs.cr3 = GUEST_PML4_ADDR;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.cr0 = 0x80000011;		/* PG | ET | PE */
	sregs.efer = 0x500;		/* LMA | LME */
	if (ioctl(vm->vcpufd, KVM_SET_SREGS, &sregs) < 0)
		return kvm_fail("KVM_SET_SREGS");
	if (ioctl(vm->vcpufd, KVM_SET_REGS, &regs) < 0)
		return kvm_fail("KVM_SET_REGS");
	return 0;
}

/* Sleep until the next timer tick, or until a signal asks us to stop. */
static void wait_tick(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = TIMER_PERIOD_NS };

	if (!vmm_stop)
		nanosleep(&ts, NULL);
}

/* How long a stop request waits for the guest to reach its idle point. */
#define STOP_WAIT_NS	(100 * 1000000ULL)

/**
 * vm_run - run the vCPU until vmm_stop is set or the guest fails
 * @first_exit: called once, at the first exit (the guest has run again)
 *
 * A stop request takes effect when the guest next idles (PORT_IDLE), at most
 * STOP_WAIT_NS later: it idles between two steps, so the saved RAM is consistent
 * with itself and verify can check it.  vm->at_idle says whether it got there.
 *
 * Return: 0 when stopped by a signal, a negative errno on failure.
 */
int vm_run(struct vm *vm, vm_first_exit_fn first_exit, void *arg)
{
	struct kvm_run *run = vm->run;
	int rc;

	/* Entered from a fresh boot or a state saved at the idle point. */
	vm->at_idle = true;
	run->immediate_exit = 0;
	dev_timer_start(vm);
	for (;;) {
		if (vmm_stop && (vm->at_idle || now_ns() - vmm_stop_ns > STOP_WAIT_NS))
			break;
		rc = ioctl(vm->vcpufd, KVM_RUN, 0);
		if (rc < 0 && errno != EINTR && errno != EAGAIN)
			return kvm_fail("KVM_RUN");
		vm->at_idle = false;
		if (first_exit) {
			first_exit(vm, arg);
			first_exit = NULL;
		}
		if (rc < 0)
			continue;
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;
			uint32_t i;

			if (run->io.port == PORT_IDLE && run->io.direction == KVM_EXIT_IO_OUT) {
				vm->at_idle = true;
				wait_tick();
				break;
			}
			for (i = 0; i < run->io.count; i++) {
				rc = dev_io(vm, run->io.port,
					    run->io.direction == KVM_EXIT_IO_OUT,
					    run->io.size, data + i * run->io.size);
				if (rc)
					return rc;
			}
			break;
		}
		case KVM_EXIT_MMIO:
			fprintf(stderr, "vmm-keepalive: guest %s %u bytes at 0x%llx: no RAM and "
				"no device there\n", run->mmio.is_write ? "wrote" : "read",
				run->mmio.len, (unsigned long long)run->mmio.phys_addr);
			return -EFAULT;
		case KVM_EXIT_HLT:
			wait_tick();
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_SHUTDOWN:
			fprintf(stderr, "vmm-keepalive: guest triple fault (KVM_EXIT_SHUTDOWN)\n");
			return -EFAULT;
		case KVM_EXIT_FAIL_ENTRY:
			fprintf(stderr, "vmm-keepalive: VM entry failed, reason 0x%llx\n",
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			return -EFAULT;
		case KVM_EXIT_INTERNAL_ERROR:
			fprintf(stderr, "vmm-keepalive: KVM internal error, suberror %u\n",
				run->internal.suberror);
			return -EFAULT;
		default:
			fprintf(stderr, "vmm-keepalive: unexpected exit reason %u\n",
				run->exit_reason);
			return -EFAULT;
		}
	}
	return 0;
}

/*
 * Stop the vCPU in a state that can be saved: KVM completes an exit userspace has
 * answered (the value of an IN lands in EAX) only on the next KVM_RUN, so run once
 * more with immediate_exit, which completes it and returns at once.
 */
int vm_pause(struct vm *vm)
{
	vm->run->immediate_exit = 1;
	if (ioctl(vm->vcpufd, KVM_RUN, 0) == 0 || errno != EINTR)
		return kvm_fail("KVM_RUN with immediate_exit");
	vm->run->immediate_exit = 0;
	dev_timer_stop(vm);
	return 0;
}

int vm_get_state(struct vm *vm)
{
	struct vcpu_state *st = &vm->vcpu;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[VMM_MSR_MAX];
	} msrs = { .hdr.nmsrs = st->nmsrs };
	uint32_t i;

	if (ioctl(vm->vcpufd, KVM_GET_REGS, &st->regs) < 0)
		return kvm_fail("KVM_GET_REGS");
	if (ioctl(vm->vcpufd, KVM_GET_SREGS, &st->sregs) < 0)
		return kvm_fail("KVM_GET_SREGS");
	if (ioctl(vm->vcpufd, KVM_GET_VCPU_EVENTS, &st->events) < 0)
		return kvm_fail("KVM_GET_VCPU_EVENTS");
	if (st->xsave) {
		unsigned long req = st->xsave_size > sizeof(struct kvm_xsave) ?
				    KVM_GET_XSAVE2 : KVM_GET_XSAVE;

		if (ioctl(vm->vcpufd, req, st->xsave) < 0)
			return kvm_fail("KVM_GET_XSAVE");
		if (ioctl(vm->vcpufd, KVM_GET_XCRS, &st->xcrs) < 0)
			return kvm_fail("KVM_GET_XCRS");
	} else if (ioctl(vm->vcpufd, KVM_GET_FPU, &st->fpu) < 0) {
		return kvm_fail("KVM_GET_FPU");
	}
	for (i = 0; i < st->nmsrs; i++)
		msrs.e[i].index = st->msrs[i].index;
	if (ioctl(vm->vcpufd, KVM_GET_MSRS, &msrs) != (int)st->nmsrs)
		return kvm_fail("KVM_GET_MSRS");
	memcpy(st->msrs, msrs.e, st->nmsrs * sizeof(msrs.e[0]));
	return 0;
}

/* Restore: CPUID first (it shapes XSAVE and the MSRs), then the rest. */
int vm_set_state(struct vm *vm)
{
	struct vcpu_state *st = &vm->vcpu;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[VMM_MSR_MAX];
	} msrs = { .hdr.nmsrs = st->nmsrs };
	int rc;

	rc = set_cpuid(vm);
	if (rc)
		return rc;
	if (ioctl(vm->vcpufd, KVM_SET_SREGS, &st->sregs) < 0)
		return kvm_fail("KVM_SET_SREGS");
	if (ioctl(vm->vcpufd, KVM_SET_REGS, &st->regs) < 0)
		return kvm_fail("KVM_SET_REGS");
	if (st->xsave) {
		if (ioctl(vm->vcpufd, KVM_SET_XSAVE, st->xsave) < 0)
			return kvm_fail("KVM_SET_XSAVE");
		if (ioctl(vm->vcpufd, KVM_SET_XCRS, &st->xcrs) < 0)
			return kvm_fail("KVM_SET_XCRS");
	} else if (ioctl(vm->vcpufd, KVM_SET_FPU, &st->fpu) < 0) {
		return kvm_fail("KVM_SET_FPU");
	}
	memcpy(msrs.e, st->msrs, st->nmsrs * sizeof(msrs.e[0]));
	if (ioctl(vm->vcpufd, KVM_SET_MSRS, &msrs) != (int)st->nmsrs)
		return kvm_fail("KVM_SET_MSRS");
	if (ioctl(vm->vcpufd, KVM_SET_VCPU_EVENTS, &st->events) < 0)
		return kvm_fail("KVM_SET_VCPU_EVENTS");
	return 0;
}

/**
 * vm_dirty_bitmap - the guest pages written since the memslot was created
 * @bitmap: malloc'ed, one bit per 4 KiB page of guest RAM, from KVM's dirty log
 *
 * With manual protection KVM only reads the log out; without it, it also clears it
 * and write-protects those pages.  Either way the result lists every page written
 * since the slot was created, which is all a save before exit needs.
 */
int vm_dirty_bitmap(struct vm *vm, uint64_t **bitmap)
{
	size_t words = (vm->mem_size / 4096 + 63) / 64;
	struct kvm_dirty_log log = { .slot = 0 };

	*bitmap = calloc(words, sizeof(uint64_t));
	if (!*bitmap)
		return -ENOMEM;
	if (vm->dirty != VM_DIRTY_LOG) {
		memset(*bitmap, 0xff, words * sizeof(uint64_t));
		return 0;
	}
	log.dirty_bitmap = *bitmap;
	if (ioctl(vm->vmfd, KVM_GET_DIRTY_LOG, &log) < 0) {
		free(*bitmap);
		*bitmap = NULL;
		return kvm_fail("KVM_GET_DIRTY_LOG");
	}
	return 0;
}

/*
 * KVM's binary statistics of the VM: how many guest pages it maps at each size.  A
 * KVM without them (before 5.14) leaves @st->valid false.
 */
void vm_stats(struct vm *vm, struct vm_stats *st)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dsize;
	uint32_t i;
	char *descs = NULL;
	int fd;

	memset(st, 0, sizeof(*st));
	fd = ioctl(vm->vmfd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		goto out;
	dsize = sizeof(*d) + h.name_size;
	descs = calloc(h.num_desc, dsize);
	if (!descs || pread(fd, descs, dsize * h.num_desc, h.desc_offset) !=
	    (ssize_t)(dsize * h.num_desc))
		goto out;
	for (i = 0; i < h.num_desc; i++) {
		uint64_t *dst = NULL, v;

		d = (struct kvm_stats_desc *)(descs + i * dsize);
		if (!strcmp(d->name, "pages_4k"))
			dst = &st->pages_4k;
		else if (!strcmp(d->name, "pages_2m"))
			dst = &st->pages_2m;
		else if (!strcmp(d->name, "pages_1g"))
			dst = &st->pages_1g;
		if (dst && d->size == 1 &&
		    pread(fd, &v, sizeof(v), h.data_offset + d->offset) == (ssize_t)sizeof(v)) {
			*dst = v;
			st->valid = true;
		}
	}
out:
	free(descs);
	close(fd);
}
