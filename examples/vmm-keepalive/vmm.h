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
 * Guest RAM is one memslot, registered before the vCPU first runs, so the guest can
 * use (and execute from) any address at once.  How a save learns what the guest
 * wrote: KVM's dirty log, with KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 where KVM has it,
 * so fetching the log at suspend does not also write-protect every dirty page.
 * KVM maps 4 KiB pages in any slot that logs dirty pages (kvm_mmu_hugepage_adjust()
 * returns early for them, whether the log is a bitmap, manually protected with
 * initially-set bits, or a ring), so a logging VM takes one fault per 4 KiB page it
 * touches; vm_stats() reports the mappings.  VM_DIRTY_NONE keeps 2 MiB mappings
 * where the host maps 2 MiB, and the save then persists all of guest RAM.
 */
enum vm_dirty {
	VM_DIRTY_LOG,		/* KVM dirty log: a save persists what the guest wrote */
	VM_DIRTY_NONE,		/* no log: huge mappings, a save persists everything */
};

/* Guest mappings KVM holds (its binary statistics), for faults per GiB touched. */
struct vm_stats {
	uint64_t pages_4k, pages_2m, pages_1g;
	bool valid;
};

struct vm {
	int kvm, vmfd, vcpufd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
	enum vm_dirty dirty;	/* how a save learns what the guest wrote */
	bool manual_protect;	/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 is on */
	uint64_t slots_us;	/* vm_create()'s memslot registration (part of vm_us) */
	/* Reported by the guest through PORT_WORK and PORT_DIRTY (devices.c). */
	uint64_t first_work_ns;	/* when the guest reported its first work, 0 not yet */
	bool first_work_ok;	/* ... and whether the top probe held its value */
	uint32_t dirty_request;	/* pages the guest dirties when it next asks */
	uint32_t dirty_done;	/* pages it reported dirtied */
	bool stop_after_dirty;	/* treat that report as a stop request (bench) */
	void (*on_work)(struct vm *vm, void *arg);	/* called at the first work */
	void *on_work_arg;
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
int vm_create(struct vm *vm, void *mem, uint64_t mem_size, enum vm_dirty dirty);
void vm_destroy(struct vm *vm);
uint64_t vm_load_guest(struct vm *vm);
int vm_setup_fresh_vcpu(struct vm *vm);
typedef void (*vm_first_exit_fn)(struct vm *vm, void *arg);
int vm_run(struct vm *vm, vm_first_exit_fn first_exit, void *arg);
int vm_pause(struct vm *vm);
int vm_get_state(struct vm *vm);
int vm_set_state(struct vm *vm);
int vm_dirty_bitmap(struct vm *vm, uint64_t **bitmap);
void vm_stats(struct vm *vm, struct vm_stats *st);
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
