/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The contract between the guest program and the VMM: guest-physical addresses, I/O
 * ports and the guest's shared data page.  Compiled into the guest and the VMM, so
 * it uses fixed-width types only and asserts its layout.
 *
 * The guest runs in 64-bit long mode at CPL 3 with IOPL 3 from its first instruction,
 * on page tables the VMM writes at first boot that identity-map the first GiB with
 * 2 MiB user pages.  Why not ring 0, or 32-bit protected mode without paging: some
 * KVM implementations (PVM, which this project's build hosts use) run guest user
 * mode natively but emulate other guest code instruction by instruction, about a
 * thousand times slower.  So the guest idles with an OUT to PORT_IDLE, not HLT.
 *
 * Guest-physical memory:
 *
 *   0x00000500  GDT written by the VMM at first boot
 *   0x00001000  guest program (GUEST_LOAD_ADDR), at most GUEST_CODE_MAX bytes
 *   0x00008000  struct guest_shared (GUEST_SHARED_ADDR)
 *   0x00009000  page tables: PML4, PDPT, PD of the first GiB (GUEST_PML4_ADDR)
 *   0x00010000  PDs of GiB 1 to 63 (GUEST_PD_HIGH_ADDR): all of guest RAM is mapped
 *   0x00080000  top of the guest stack (GUEST_STACK_TOP), growing down
 *   0x00100000  check area: 1 MiB the guest fills at first boot and keeps a running
 *               checksum of (GUEST_CHECK_ADDR, GUEST_CHECK_SIZE)
 *   0x00200000  end of the part the guest needs to run (GUEST_USED_END)
 *   0x00300000  the high-memory probe (GUEST_PROBE_ADDR): two words the guest reads
 *               and writes right after every resume (guest.c, check_probe()):
 *               [0] checked and rewritten, [1] the generation of the last resume
 *   0x00400000  where the guest dirties memory when the VMM asks (GUEST_DIRTY_ADDR)
 *   top - 64    the top probe (GUEST_TOP_PROBE below the end of RAM): the guest's
 *               first real work after a resume is to read it (it must hold what it
 *               held at the suspend), write a new value and read that back, then
 *               report on PORT_WORK: the end of the blackout
 */
#ifndef VMM_GUEST_H
#define VMM_GUEST_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_GDT_ADDR		0x00000500u
#define GUEST_LOAD_ADDR		0x00001000u
#define GUEST_CODE_MAX		0x00007000u
#define GUEST_SHARED_ADDR	0x00008000u
#define GUEST_PML4_ADDR		0x00009000u
#define GUEST_PDPT_ADDR		0x0000a000u
#define GUEST_PD_ADDR		0x0000b000u
#define GUEST_STACK_TOP		0x00080000u
#define GUEST_CHECK_ADDR	0x00100000u
#define GUEST_CHECK_SIZE	0x00100000u
#define GUEST_USED_END		0x00200000u
#define GUEST_PROBE_ADDR	0x00300000u
#define GUEST_DIRTY_ADDR	0x00400000u
#define GUEST_PD_HIGH_ADDR	0x00010000u
#define GUEST_RAM_MAX_GIB	64u		/* PDs at GUEST_PD_HIGH_ADDR for GiB 1..63 */
#define GUEST_TOP_PROBE		64u		/* bytes below the end of RAM */

/* Ports.  The serial port is a 16550 at COM1 with the standard register layout. */
#define PORT_COM1		0x3f8
#define PORT_RESUME		0x510	/* in, 32 bit: resume generation, 0 after a fresh boot */
#define PORT_TIMER		0x514	/* in, 32 bit: timer ticks (ms of guest run time) */
#define PORT_IDLE		0x518	/* out: wait for the next timer tick (HLT for CPL 3) */
#define PORT_RAM_MB		0x51c	/* in, 32 bit: guest RAM in MiB */
#define PORT_WORK		0x520	/* out, 32 bit: first real work after a resume done,
					 * 1 when the top probe held its value, else 0 */
#define PORT_DIRTY		0x524	/* in, 32 bit: 4 KiB pages to dirty now (once);
					 * out: done, the number of pages dirtied */

#define GUEST_MAGIC		0x4b53564du	/* "KSVM" */
#define GUEST_CHECK_EVERY	1024u		/* loop iterations between self-checks */

/*
 * The guest's data page.  The guest owns it; the VMM reads counter and sums at
 * suspend time, and verify recomputes the sums from the check area.
 */
struct guest_shared {
	uint64_t counter;	/* loop iterations since the first boot */
	uint64_t canary;	/* value the register canary (R15) must hold */
	uint32_t magic;		/* GUEST_MAGIC once initialised */
	uint32_t sum1;		/* running sum of the check area's 32-bit words */
	uint32_t sum2;		/* running sum of (index + 1) * word */
	uint32_t resume_gen;	/* last resume generation seen on PORT_RESUME */
	uint32_t last_ticks;	/* last PORT_TIMER value */
	uint32_t checks;	/* self-checks done */
	uint32_t failures;	/* self-checks that failed */
	uint32_t resumes;	/* resumes seen */
	uint32_t probe;		/* value the first word at GUEST_PROBE_ADDR must hold */
	uint32_t top;		/* value the word at the top probe must hold, 0 unset */
};

_Static_assert(sizeof(struct guest_shared) == 56, "guest_shared layout");
_Static_assert(offsetof(struct guest_shared, magic) == 16, "guest_shared layout");
_Static_assert(offsetof(struct guest_shared, probe) == 48, "guest_shared layout");

/* Words of the check area, and how the guest derives a word from a seed. */
#define GUEST_CHECK_WORDS	(GUEST_CHECK_SIZE / 4u)

static inline uint32_t guest_mix(uint32_t x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/* The checksums the guest keeps running over the check area. */
static inline void guest_sums(const uint32_t *words, uint32_t *sum1, uint32_t *sum2)
{
	uint32_t s1 = 0, s2 = 0, i;

	for (i = 0; i < GUEST_CHECK_WORDS; i++) {
		s1 += words[i];
		s2 += (i + 1u) * words[i];
	}
	*sum1 = s1;
	*sum2 = s2;
}

#endif /* VMM_GUEST_H */
