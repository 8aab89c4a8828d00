/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kq-guest: the tiny guest of the QEMU tests (tests/qemu/).  What the host side may
 * read from guest RAM (the region file) and what the guest prints.
 *
 * A multiboot image QEMU loads with -kernel.  It runs in 32-bit protected mode with
 * the PIT at 100 Hz through the PIC, so a resumed guest only keeps counting if QEMU
 * restored the CPU, PIC and PIT state, and it idles with HLT between ticks.
 *
 * Guest-physical memory:
 *
 *   0x00100000  the image (code, data, stack)
 *   0x00200000  struct kq_status (KQ_STATUS_ADDR), read by the host from the RAM file
 *   0x00400000  the check area (KQ_AREA_ADDR): "area=KiB" on the command line,
 *               default 256 KiB; at every tick one word of it is rewritten from the
 *               counter, and all of it is checked every 2 s and on an NMI
 *   then        the fill area: "fill=MiB" (default 0), written once at boot with a
 *               fixed pattern and checked on an NMI, so that guest RAM is not
 *               mostly zero pages (which QEMU's migration would send as flags)
 *
 * Serial (COM1) lines, one per event:
 *   kq boot mem=KiB area=KiB fill=MiB      first boot, before filling
 *   kq ready n=N                            fill done; counting
 *   kq n=N full=F bad=B mm=M nmi=C          once a second
 *   kq check n=N area=ok|BAD fill=ok|BAD    an NMI (QMP inject-nmi) asked for a check
 *   kq fault vec=V                          a CPU exception; the guest stops
 * n: the tick counter.  It lives in a CPU register (EDI) and is mirrored in RAM, so a
 * resume that pairs RAM with older or newer CPU state shows as mm (mismatches).
 */
#ifndef KQ_GUEST_H
#define KQ_GUEST_H

#include <stdint.h>

#define KQ_STATUS_ADDR	0x00200000u
#define KQ_AREA_ADDR	0x00400000u
#define KQ_MAGIC	0x4b514753u	/* "KQGS" */

struct kq_status {
	uint32_t magic;		/* KQ_MAGIC once the guest has booted */
	uint32_t counter;	/* ticks since boot: the RAM mirror of EDI */
	uint32_t area_words;	/* 32-bit words in the check area */
	uint32_t fill_words;	/* 32-bit words in the fill area */
	uint32_t full_checks;	/* complete checks of the check area */
	uint32_t bad_words;	/* words found wrong, ever */
	uint32_t mismatches;	/* ticks where RAM and EDI disagreed */
	uint32_t nmi_checks;	/* checks asked for with an NMI */
};

#endif /* KQ_GUEST_H */
