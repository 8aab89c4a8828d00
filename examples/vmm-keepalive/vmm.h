/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmm-keepalive internals: the VM (kvm.c), its devices (devices.c), and saving and
 * restoring it in a kstate store (state.c).
 */
#ifndef VMM_H
#define VMM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm-guest.h"

struct kstate_store;
struct kstate_reader;

#define SERIAL_LINE_MAX		200
#define TIMER_PERIOD_NS		1000000ULL	/* one tick = 1 ms of guest run time */
#define VMM_MSR_MAX		16
#define VMM_CPUID_MAX		128

/* 16550 UART registers the guest can set, and the line the VMM is assembling. */
struct serial_state {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, reserved;
	uint32_t line_len;
	char line[SERIAL_LINE_MAX];
};

/* The timer device: guest run time, which stops while the VM is suspended. */
struct timer_state {
	uint64_t ticks_ns;	/* guest run time at the last pause */
	uint64_t reads;		/* PORT_TIMER reads, for the record */
};

/* What the guest last said about itself on the serial port. */
struct guest_report {
	uint32_t checks;	/* report lines seen in this VMM process */
	uint32_t bad;		/* of which "result=bad" */
	bool resume_pending;	/* a resume happened and its check line is not yet in */
	bool resume_ok;		/* the post-resume check said result=ok */
	bool resume_seen;
	char last[SERIAL_LINE_MAX];
};

/* Everything KVM holds about the vCPU that a restore must put back. */
struct vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
	struct kvm_xcrs xcrs;
	struct kvm_fpu fpu;		/* used when the host has no XSAVE */
	struct kvm_xsave *xsave;	/* xsave_size bytes, NULL without XSAVE */
	uint32_t xsave_size;
	uint32_t nmsrs;
	struct kvm_msr_entry msrs[VMM_MSR_MAX];
	uint32_t ncpuid;
	struct kvm_cpuid_entry2 cpuid[VMM_CPUID_MAX];
};

/*
 * Guest RAM is two memslots.  Slot 0, [0, VM_LOW_SLOT_SIZE), holds everything the
 * guest needs to run (GDT, program, data page, page tables, stack, check area: see
 * vmm-guest.h); slot 1 is the rest.  Why two: registering a memslot costs time in
 * proportion to its size on a shadow-paging KVM (PVM allocates a reverse-map entry
 * per 4 KiB page: about 60 us for 64 MiB, 7.5 to 11 ms for 8 GiB).  A resume
 * registers slot 0 only, runs the vCPU, and at its first exit starts a thread that
 * registers slot 1 while the guest runs on (KVM allows memslot changes while vCPUs
 * run).  A guest access to slot 1
 * before it exists comes out of KVM_RUN as KVM_EXIT_MMIO; vm_ram_mmio() waits for
 * the thread and does the access on the same memory.  A fresh boot registers both
 * slots up front: only the resume is on anyone's blackout path.
 */
#define VM_LOW_SLOT_SIZE	GUEST_USED_END
#define VM_SLOTS		2

struct vm_slot {
	uint64_t gpa, size;	/* guest-physical range; host address is mem + gpa */
};

struct vm {
	int kvm, vmfd, vcpufd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
	bool dirty_log;		/* memslots log dirty pages: save persists only those */
	unsigned int nslots;
	struct vm_slot slots[VM_SLOTS];
	/* Slots 1.. registered late, by a thread vm_run() starts (resume only). */
	bool late_pending;	/* not registered yet, thread not started */
	bool late_running;	/* thread started, not yet joined */
	bool late_used;		/* this VM registered slots late (for the reports) */
	int late_rc;		/* the thread's result, read after joining it */
	uint64_t late_delay_ms;	/* test: the thread waits this long first */
	uint64_t slots_us;	/* vm_create()'s memslot registration (part of vm_us) */
	uint64_t late_slots_us;	/* the thread's registration time, delay excluded */
	pthread_t late_thread;
	uint64_t ram_mmio_exits;	/* guest RAM accesses vm_ram_mmio() completed */
	uint64_t *vmm_dirty;	/* pages vm_ram_mmio() wrote: not in KVM's dirty log */
	bool console;		/* echo the guest's serial lines to stderr */
	uint32_t resume_gen;	/* what PORT_RESUME returns */
	uint64_t run_start_ns;	/* host time the timer last started counting */
	bool timer_running;
	bool at_idle;		/* the vCPU stopped at the guest's idle point */
	struct serial_state serial;
	struct timer_state timer;
	struct guest_report report;
	struct vcpu_state vcpu;
};

/* Set from the SIGTERM/SIGINT handler. */
extern volatile sig_atomic_t vmm_stop;
extern uint64_t vmm_stop_ns;

uint64_t now_ns(void);
static inline uint64_t us_since(uint64_t t0)
{
	return (now_ns() - t0) / 1000;
}

/* kvm.c */
int vm_create(struct vm *vm, void *mem, uint64_t mem_size, bool dirty_log, bool late_slots);
int vm_late_slots_wait(struct vm *vm);
int vm_ram_mmio(struct vm *vm, struct kvm_run *run);
void vm_destroy(struct vm *vm);
void vm_load_guest(struct vm *vm);
int vm_setup_fresh_vcpu(struct vm *vm);
typedef void (*vm_first_exit_fn)(struct vm *vm, void *arg);
int vm_run(struct vm *vm, vm_first_exit_fn first_exit, void *arg);
int vm_pause(struct vm *vm);
int vm_get_state(struct vm *vm);
int vm_set_state(struct vm *vm);
int vm_dirty_bitmap(struct vm *vm, uint64_t **bitmap);
void vcpu_state_free(struct vcpu_state *st);
int vcpu_state_alloc_xsave(struct vcpu_state *st, uint32_t size);
const struct guest_shared *vm_guest_shared(const uint8_t *mem);

/* devices.c */
int dev_io(struct vm *vm, uint16_t port, bool out, unsigned int size, uint8_t *data);
void dev_timer_start(struct vm *vm);
void dev_timer_stop(struct vm *vm);
bool guest_ok(const struct vm *vm);

/* The guest program, built from guest/guest.c and embedded by bin2c.py. */
extern const unsigned char guest_bin[];
extern const unsigned int guest_bin_len;

#endif /* VMM_H */
