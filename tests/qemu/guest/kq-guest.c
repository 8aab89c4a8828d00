// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kq-guest: a multiboot guest that counts timer ticks and checks a memory pattern, for
 * the QEMU tests of kstate (see kq-guest.h for its memory and its serial lines).
 *
 * Freestanding 32-bit code: no libc, no libgcc (only 32-bit arithmetic).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq-guest.h"

#define MB_MAGIC	0x1badb002u
#define MB_FLAGS	0x00000002u	/* give us the memory size */
#define MB_BOOT_MAGIC	0x2badb002u

#define COM1		0x3f8
#define HZ		100u
#define FULL_EVERY	(2 * HZ)	/* ticks between complete checks */

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
};

/* The multiboot header, in its own section so the linker script puts it first. */
__attribute__((section(".multiboot"), used, aligned(4)))
static const uint32_t mb_header[3] = { MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS) };

/*
 * The counter lives in EDI for the whole program: the interrupt stubs save and restore
 * every register, and nothing else is compiled with EDI.  A resume restores it from
 * QEMU's CPU state, and its RAM mirror from the RAM file.
 */
register uint32_t counter asm("edi");

static volatile struct kq_status *const st = (struct kq_status *)KQ_STATUS_ADDR;
static volatile uint32_t *const area = (uint32_t *)KQ_AREA_ADDR;
volatile uint32_t ticks;	/* incremented by the timer interrupt (isr_timer) */
volatile uint32_t nmis;		/* incremented by the NMI handler (isr_nmi) */

struct idt_entry {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct idt_entry idt[256];
static const uint64_t gdt[3] = {
	0,
	0x00cf9a000000ffffULL,	/* 0x08: code, flat 4 GiB */
	0x00cf92000000ffffULL,	/* 0x10: data, flat 4 GiB */
};

/* ---------------------------------------------------------------------------------- */
/* Entry and interrupt stubs */

__asm__(
	".section .text.entry, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	mov $stack_top, %esp\n"
	"	push %ebx\n"			/* multiboot info */
	"	push %eax\n"			/* multiboot magic */
	"	call kmain\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	".text\n"
	".globl isr_timer\n"
	"isr_timer:\n"
	"	pusha\n"
	"	incl ticks\n"
	"	mov $0x20, %al\n"
	"	outb %al, $0x20\n"
	"	popa\n"
	"	iret\n"
	".globl isr_nmi\n"
	"isr_nmi:\n"
	"	incl nmis\n"
	"	iret\n"
	".globl isr_spurious\n"
	"isr_spurious:\n"
	"	pusha\n"
	"	mov $0x20, %al\n"
	"	outb %al, $0xa0\n"
	"	outb %al, $0x20\n"
	"	popa\n"
	"	iret\n"
	/* One stub per exception vector: push the vector, stop in fault(). */
	".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	".globl isr_exc\\n\n"
	"isr_exc\\n:\n"
	"	push $\\n\n"
	"	call fault\n"
	".endr\n"
	".bss\n"
	".balign 16\n"
	"	.skip 16384\n"
	"stack_top:\n"
	".text\n");

void isr_timer(void);
void isr_nmi(void);
void isr_spurious(void);
#define EXC(n) void isr_exc##n(void);
EXC(0) EXC(1) EXC(2) EXC(3) EXC(4) EXC(5) EXC(6) EXC(7) EXC(8) EXC(9) EXC(10) EXC(11)
EXC(12) EXC(13) EXC(14) EXC(15) EXC(16) EXC(17) EXC(18) EXC(19) EXC(20) EXC(21) EXC(22)
EXC(23) EXC(24) EXC(25) EXC(26) EXC(27) EXC(28) EXC(29) EXC(30) EXC(31)
static void (*const exc_stubs[32])(void) = {
	isr_exc0, isr_exc1, isr_exc2, isr_exc3, isr_exc4, isr_exc5, isr_exc6, isr_exc7,
	isr_exc8, isr_exc9, isr_exc10, isr_exc11, isr_exc12, isr_exc13, isr_exc14,
	isr_exc15, isr_exc16, isr_exc17, isr_exc18, isr_exc19, isr_exc20, isr_exc21,
	isr_exc22, isr_exc23, isr_exc24, isr_exc25, isr_exc26, isr_exc27, isr_exc28,
	isr_exc29, isr_exc30, isr_exc31,
};

void kmain(uint32_t magic, const struct mb_info *mbi);
void fault(uint32_t vector) __attribute__((noreturn));

/* ---------------------------------------------------------------------------------- */
/* Ports, serial, RTC */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_serial(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void putu(uint32_t v)
{
	char buf[11];
	int i = 10;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_serial(buf + i);
}

static void put_kv(const char *key, uint32_t v)
{
	puts_serial(key);
	putu(v);
}

/* ---------------------------------------------------------------------------------- */
/* The pattern */

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

/* What word @w of the check area holds at first boot, and what tick @c writes. */
static uint32_t area_initial(uint32_t w)
{
	return mix(w * 2654435761u + 0x6b737461u);
}

static uint32_t area_tick(uint32_t c)
{
	return mix(c ^ 0x51454d55u) | 1;
}

/*
 * What word @w must hold once the counter is @c: tick c' writes word c' % n, so the
 * last write to w was the largest c' <= c with c' % n == w and c' >= 1, if any.
 */
static uint32_t area_expected(uint32_t w, uint32_t c, uint32_t n)
{
	uint32_t last;

	if (c < w)
		return area_initial(w);
	last = w + (c - w) / n * n;
	return last ? area_tick(last) : area_initial(w);
}

static uint32_t fill_value(uint32_t w)
{
	return mix(w ^ 0x46494c4cu);
}

/* Count the words of the check area that are not what counter @c says. */
static uint32_t check_area(uint32_t c)
{
	uint32_t n = st->area_words, w, bad = 0;

	for (w = 0; w < n; w++)
		if (area[w] != area_expected(w, c, n))
			bad++;
	return bad;
}

static uint32_t check_fill(void)
{
	volatile uint32_t *fill = area + st->area_words;
	uint32_t n = st->fill_words, w, bad = 0;

	for (w = 0; w < n; w++)
		if (fill[w] != fill_value(w))
			bad++;
	return bad;
}

/* ---------------------------------------------------------------------------------- */
/* Setup */

static void idt_set(unsigned int v, void (*fn)(void))
{
	uint32_t a = (uint32_t)(uintptr_t)fn;

	idt[v].off_lo = (uint16_t)a;
	idt[v].sel = 0x08;
	idt[v].zero = 0;
	idt[v].type = 0x8e;	/* present, ring 0, 32-bit interrupt gate */
	idt[v].off_hi = (uint16_t)(a >> 16);
}

static void cpu_setup(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt },
		idtr = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };
	unsigned int v;

	__asm__ volatile("lgdt %0\n"
			 "ljmp $0x08, $1f\n"
			 "1: mov $0x10, %%ax\n"
			 "mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%ss\n"
			 "mov %%ax, %%fs\n mov %%ax, %%gs\n"
			 : : "m"(gdtr) : "eax", "memory");
	for (v = 0; v < 32; v++)
		idt_set(v, exc_stubs[v]);
	for (v = 32; v < 256; v++)
		idt_set(v, isr_spurious);
	idt_set(2, isr_nmi);
	idt_set(0x20, isr_timer);
	__asm__ volatile("lidt %0" : : "m"(idtr));

	/* PIC: IRQ 0-7 at vectors 0x20-0x27, 8-15 at 0x28-0x2f; only the timer. */
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xfe); outb(0xa1, 0xff);
	/* PIT channel 0, rate generator at HZ. */
	outb(0x43, 0x34);
	outb(0x40, (uint8_t)(1193182 / HZ));
	outb(0x40, (uint8_t)((1193182 / HZ) >> 8));
	/* COM1: 115200 8N1, no interrupts. */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
}

/* "key=N" from the multiboot command line, or @def. */
static uint32_t cmdline_value(const struct mb_info *mbi, const char *key, uint32_t def)
{
	const char *p, *k;

	if (!(mbi->flags & 4) || !mbi->cmdline)
		return def;
	for (p = (const char *)(uintptr_t)mbi->cmdline; *p; p++) {
		if (p != (const char *)(uintptr_t)mbi->cmdline && p[-1] != ' ')
			continue;
		for (k = key; *k && *p == *k; k++, p++)
			;
		if (!*k && *p == '=') {
			uint32_t v = 0;

			for (p++; *p >= '0' && *p <= '9'; p++)
				v = v * 10 + (uint32_t)(*p - '0');
			return v;
		}
		if (!*p)
			break;
	}
	return def;
}

void fault(uint32_t vector)
{
	puts_serial("kq fault");
	put_kv(" vec=", vector);
	puts_serial("\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---------------------------------------------------------------------------------- */
/* The loop */

static void report(void)
{
	put_kv("kq n=", counter);
	put_kv(" full=", st->full_checks);
	put_kv(" bad=", st->bad_words);
	put_kv(" mm=", st->mismatches);
	put_kv(" nmi=", st->nmi_checks);
	puts_serial("\n");
}

/* Asked for with an NMI (QMP inject-nmi): check everything now and say so. */
static void nmi_check(void)
{
	uint32_t bad_area = check_area(counter), bad_fill = check_fill();

	st->nmi_checks++;
	st->bad_words += bad_area + bad_fill;
	st->full_checks++;
	put_kv("kq check n=", counter);
	puts_serial(bad_area ? " area=BAD" : " area=ok");
	puts_serial(bad_fill ? " fill=BAD" : " fill=ok");
	puts_serial("\n");
}

/* One tick: counter in EDI and in RAM, one word of the check area. */
static void tick(void)
{
	if (st->counter != counter)
		st->mismatches++;
	counter++;
	st->counter = counter;
	area[counter % st->area_words] = area_tick(counter);
}

void kmain(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t mem_kib, area_kib, fill_mib, w, seen, nmi_seen, limit;

	cpu_setup();
	if (magic != MB_BOOT_MAGIC || !(mbi->flags & 1)) {
		puts_serial("kq error: not started by a multiboot loader with memory info\n");
		return;
	}
	mem_kib = 1024 + mbi->mem_upper;
	area_kib = cmdline_value(mbi, "area", 256);
	fill_mib = cmdline_value(mbi, "fill", 0);
	limit = mem_kib - KQ_AREA_ADDR / 1024;
	if (mem_kib <= KQ_AREA_ADDR / 1024 + 4 || area_kib < 4 || area_kib > limit ||
	    fill_mib > (limit - area_kib) / 1024) {
		puts_serial("kq error: too little RAM for area= and fill=\n");
		return;
	}
	put_kv("kq boot mem=", mem_kib);
	put_kv(" area=", area_kib);
	put_kv(" fill=", fill_mib);
	puts_serial("\n");

	st->magic = 0;
	st->area_words = area_kib * 256;
	st->fill_words = fill_mib * 262144;
	st->full_checks = st->bad_words = st->mismatches = st->nmi_checks = 0;
	for (w = 0; w < st->area_words; w++)
		area[w] = area_initial(w);
	for (w = 0; w < st->fill_words; w++)
		area[st->area_words + w] = fill_value(w);
	counter = 0;
	st->counter = 0;
	st->magic = KQ_MAGIC;
	put_kv("kq ready n=", counter);
	puts_serial("\n");

	seen = ticks;
	nmi_seen = nmis;
	__asm__ volatile("sti");
	for (;;) {
		__asm__ volatile("hlt");
		while (seen != ticks) {
			seen++;
			tick();
			if (counter % FULL_EVERY == 0) {
				st->bad_words += check_area(counter);
				st->full_checks++;
			}
			if (counter % HZ == 0)
				report();
		}
		if (nmi_seen != nmis) {
			nmi_seen = nmis;
			nmi_check();
		}
	}
}
