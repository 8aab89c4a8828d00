// SPDX-License-Identifier: GPL-2.0-only
/*
 * ro-store-probe: what KVM does with a guest store to RAM the VMM mapped read-only.
 *
 * The README's "Dirty tracking" explains why vmm-keepalive does not track writes by
 * write-protecting guest RAM itself; this is the probe behind it.  A real-mode guest
 * stores one byte at 0x3000 of a slot whose host mapping is PROT_READ.  It prints what
 * KVM_RUN returned: an MMIO exit (the store handed to userspace to emulate), an EFAULT
 * memory-fault exit (the address, for the VMM to unprotect and retry), or something else.
 *
 *   cc -o ro-store-probe examples/vmm-keepalive/tests/ro-store-probe.c && ./ro-store-probe
 *
 * Copyright (c) 2026 The kstate authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#define MEM		(4u << 20)
#define EXIT_MEMORY_FAULT	39	/* KVM_EXIT_MEMORY_FAULT, newer than some headers */

/* kvm_run's memory_fault.gpa: after flags, at the start of the exit union (offset 32). */
static unsigned long long gpa_of(const struct kvm_run *run)
{
	uint64_t gpa;

	memcpy(&gpa, (const char *)run + 32 + 8, sizeof(gpa));
	return (unsigned long long)gpa;
}

int main(void)
{
	/* mov byte [0x3000], 0x42; hlt */
	static const uint8_t code[] = { 0xc6, 0x06, 0x00, 0x30, 0x42, 0xf4 };
	struct kvm_userspace_memory_region slot = { .memory_size = MEM };
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_sregs sregs;
	struct kvm_run *run;
	int kvm, vm, vcpu, rc, err;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("/dev/kvm");
		return 77;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || mem == MAP_FAILED) {
		perror("KVM_CREATE_VM or mmap");
		return 1;
	}
	memcpy(mem + 0x1000, code, sizeof(code));
	slot.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) || mprotect(mem, MEM, PROT_READ)) {
		perror("memslot or mprotect");
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run = mmap(NULL, (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
		   MAP_SHARED, vcpu, 0);
	if (vcpu < 0 || run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs)) {
		perror("vCPU");
		return 1;
	}
	sregs.cs.base = sregs.cs.selector = 0;
	sregs.ds.base = sregs.ds.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs)) {
		perror("vCPU registers");
		return 1;
	}
	rc = ioctl(vcpu, KVM_RUN, 0);
	err = rc ? errno : 0;
	if (!rc && run->exit_reason == KVM_EXIT_MMIO)
		printf("store to read-only RAM: KVM_EXIT_MMIO at %#llx, %u byte(s), write %u: "
		       "userspace must emulate it\n", (unsigned long long)run->mmio.phys_addr,
		       run->mmio.len, run->mmio.is_write);
	else if (rc && err == EFAULT && run->exit_reason == EXIT_MEMORY_FAULT)
		printf("store to read-only RAM: EFAULT with a memory-fault exit at %#llx: "
		       "the VMM can unprotect and retry\n",
		       gpa_of(run));
	else
		printf("store to read-only RAM: KVM_RUN returned %d (%s), exit reason %u\n", rc,
		       rc ? strerror(err) : "ok", run->exit_reason);
	return 0;
}
