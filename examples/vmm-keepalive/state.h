/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The saved VM in a kstate store, one sealed generation per suspend:
 *
 *   region "guest-ram"  guest RAM itself, mapped shared and changed in place
 *   region "vmm-live"   one page: which generation guest RAM matches, or "running"
 *   records "vmm"       VMM_REC_* below: vCPU and device state, a few KiB
 *
 * Records are the KVM structures as the kernel defines them (x86-64, little-endian)
 * plus the small structs here; every one is KSTATE_RECORD_CRITICAL, so a reader that
 * does not know one refuses the file instead of restoring half a VM.
 */
#ifndef VMM_STATE_H
#define VMM_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm.h"

#define VMM_RECORDS		"vmm"
#define VMM_REGION_RAM		"guest-ram"
#define VMM_REGION_LIVE		"vmm-live"
#define VMM_RECORDS_VERSION	1

enum vmm_rec {
	VMM_REC_META = 1,	/* struct vmm_meta */
	VMM_REC_REGS,		/* struct kvm_regs */
	VMM_REC_SREGS,		/* struct kvm_sregs */
	VMM_REC_EVENTS,		/* struct kvm_vcpu_events */
	VMM_REC_XSAVE,		/* struct kvm_xsave, KVM_CAP_XSAVE2 bytes */
	VMM_REC_XCRS,		/* struct kvm_xcrs */
	VMM_REC_FPU,		/* struct kvm_fpu, only without XSAVE */
	VMM_REC_MSRS,		/* struct kvm_msr_entry[] */
	VMM_REC_CPUID,		/* struct kvm_cpuid_entry2[] */
	VMM_REC_SERIAL,		/* struct serial_state */
	VMM_REC_TIMER,		/* struct timer_state */
};

struct vmm_meta {
	uint32_t version;	/* VMM_RECORDS_VERSION */
	uint32_t vcpus;		/* 1 */
	uint64_t mem_size;	/* bytes of region "guest-ram" */
	uint64_t guest_counter;	/* guest_shared.counter at suspend */
	uint32_t guest_sum1;	/* guest_shared.sum1 at suspend */
	uint32_t guest_sum2;
	uint32_t used_crc;	/* CRC32C of guest RAM [0, GUEST_USED_END) at suspend */
	uint32_t guest_ok;	/* the guest's own verdict at suspend */
	uint64_t saved_ns;	/* CLOCK_REALTIME of the suspend */
	uint32_t at_idle;	/* paused at the guest's idle point: RAM consistent with itself */
	uint32_t reserved;
};

#define VMM_LIVE_MAGIC		0x564c534bu	/* "KSLV" */
#define VMM_LIVE_RUNNING	1
#define VMM_LIVE_SUSPENDED	2

/*
 * Guest RAM changes in place, so the records of generation N describe it only until
 * the guest runs again.  This page says which generation RAM matches: a resume sets
 * RUNNING before the first guest instruction, a suspend sets SUSPENDED + N before
 * sealing N.  A VMM that dies while the guest runs leaves RUNNING, and resume refuses
 * rather than pairing newer RAM with older registers.
 */
struct vmm_live {
	uint32_t magic;
	uint32_t state;
	uint64_t generation;
	uint64_t updated_ns;
};

/* Times of one suspend or resume, in the order they happened. */
#define PHASES_MAX 8
struct phases {
	unsigned int n;
	const char *name[PHASES_MAX];
	uint64_t us[PHASES_MAX];
	uint64_t t;		/* start of the current phase */
};

void phase_start(struct phases *p);
void phase_end(struct phases *p, const char *name);

/* A VM attached to a store: what run and resume keep between their steps. */
struct vmm_store {
	struct kstate_ctx *ctx;
	struct kstate_store *store;
	struct kstate_region *ram;
	struct kstate_region *live;
	uint64_t generation;	/* newest sealed generation this VM saved or came from */
	uint64_t dirty_pages;	/* pages persisted by the last save */
};

int vmm_store_open(struct vmm_store *vs, const char *path, bool create);
void vmm_store_close(struct vmm_store *vs);
int vmm_store_create_guest(struct vmm_store *vs, struct vm *vm, uint64_t mem_size);
int vmm_store_save(struct vmm_store *vs, struct vm *vm, struct phases *ph);
int vmm_store_restore(struct vmm_store *vs, struct vm *vm, struct phases *ph);

struct verify_result {
	uint64_t generation;
	uint64_t guest_counter;
	uint64_t mem_size;
	bool guest_ok_at_save;
	bool at_idle;
	unsigned int failed;
	char why[512];
};
int vmm_store_verify(const char *path, struct verify_result *res);

/* Checks the records and loads them into vm->vcpu and the devices (restore, verify). */
int vmm_records_parse(struct kstate_reader *r, struct vm *vm, struct vmm_meta *meta,
		      char *why, size_t whylen);

#endif /* VMM_STATE_H */
