// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest program: 64-bit long mode at CPL 3, identity-mapped, no interrupts.
 *
 * At first boot it fills a 1 MiB check area from a fixed seed and computes two
 * checksums over it.  Then it loops forever: increment the counter, rewrite one word
 * of the check area while updating the checksums incrementally, advance a canary kept
 * in R15 (and mirrored in memory), read the timer, and idle until the next timer tick.
 * Every GUEST_CHECK_EVERY iterations, and whenever PORT_RESUME shows a new resume
 * generation, it recomputes the checksums from memory and compares them and the
 * canary: a resume that lost memory or registers is reported as "result=bad".
 *
 * Right after a resume, before anything else, comes its first real work: read the
 * word at the top of RAM (it must hold what it held at the suspend), write a new one,
 * read it back, and say so on PORT_WORK.  That is where the VMM's blackout ends: the
 * guest has used memory at both ends of its RAM.  After a boot or a resume it also asks
 * PORT_DIRTY how many pages to dirty, so a benchmark can make it write a given share
 * of its RAM before the next suspend.
 */
#include <stdint.h>

#include "../vmm-guest.h"

/* Reserved for the whole program: a register only a correct vCPU restore keeps. */
register uint64_t canary asm("r15");

struct guest_shared shared __attribute__((section(".shared")));
uint32_t check_area[GUEST_CHECK_WORDS] __attribute__((section(".check")));

static int timer_bad;
static int probe_bad;

static volatile uint32_t *const probe = (volatile uint32_t *)(uintptr_t)GUEST_PROBE_ADDR;

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static volatile uint32_t *top_probe(void)
{
	uint64_t ram = (uint64_t)inl(PORT_RAM_MB) << 20;

	return (volatile uint32_t *)(uintptr_t)(ram - GUEST_TOP_PROBE);
}

/*
 * The first real work after a resume: a read and a write at the top of RAM, far from
 * everything the guest touched so far.  Reported at once on PORT_WORK.
 */
static void first_work(uint32_t gen)
{
	volatile uint32_t *top = top_probe();
	uint32_t seen = *top, next = guest_mix(shared.top ^ gen) | 1u;
	int ok = !shared.top || seen == shared.top;

	*top = next;
	ok = ok && *top == next;
	shared.top = next;
	if (!ok)
		probe_bad = 1;
	outl(PORT_WORK, (uint32_t)ok);
}

/* Write one word in each of the next @pages pages from GUEST_DIRTY_ADDR, as asked. */
static void dirty_pages(void)
{
	uint64_t ram = (uint64_t)inl(PORT_RAM_MB) << 20;
	uint64_t room = (ram - GUEST_DIRTY_ADDR - (2u << 20)) / 4096;
	uint64_t n = inl(PORT_DIRTY), i;

	if (n == 0 || n == 0xffffffffu)
		return;
	if (n > room)
		n = room;
	for (i = 0; i < n; i++)
		*(volatile uint64_t *)(uintptr_t)(GUEST_DIRTY_ADDR + i * 4096) =
			shared.counter ^ i;
	outl(PORT_DIRTY, (uint32_t)n);
}

/* Wait for the next timer tick: the VMM sleeps until then (HLT is not allowed at CPL 3). */
static inline void idle(void)
{
	outb(PORT_IDLE, 0);
}

static void putc_serial(char c)
{
	while (!(inb(PORT_COM1 + 5) & 0x20))	/* LSR: transmit holding register empty */
		;
	outb(PORT_COM1, (uint8_t)c);
}

static void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void puthex(uint32_t v, int digits)
{
	while (digits--)
		putc_serial("0123456789abcdef"[(v >> (digits * 4)) & 0xf]);
}

static void putdec(uint32_t v)
{
	char buf[11];
	int n = 0;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc_serial(buf[--n]);
}

/*
 * One report line, parsed by the VMM (devices.c):
 *   TAG gen=G counter=HEX16 sum1=HEX8 sum2=HEX8 mem=ok regs=ok timer=ok high=ok result=ok
 */
static void self_check(const char *tag, uint32_t gen)
{
	uint32_t s1, s2;
	int mem_ok, regs_ok, ok;

	guest_sums(check_area, &s1, &s2);
	mem_ok = s1 == shared.sum1 && s2 == shared.sum2;
	regs_ok = canary == shared.canary;
	ok = mem_ok && regs_ok && !timer_bad && !probe_bad;
	shared.checks++;
	if (!ok)
		shared.failures++;
	puts_serial(tag);
	puts_serial(" gen=");
	putdec(gen);
	puts_serial(" counter=");
	puthex((uint32_t)(shared.counter >> 32), 8);
	puthex((uint32_t)shared.counter, 8);
	puts_serial(" sum1=");
	puthex(s1, 8);
	puts_serial(" sum2=");
	puthex(s2, 8);
	puts_serial(mem_ok ? " mem=ok" : " mem=bad");
	puts_serial(regs_ok ? " regs=ok" : " regs=bad");
	puts_serial(timer_bad ? " timer=bad" : " timer=ok");
	puts_serial(probe_bad ? " high=bad" : " high=ok");
	puts_serial(ok ? " result=ok\n" : " result=bad\n");
}

static void first_boot(void)
{
	uint32_t i, x = 0x2545f491u;

	for (i = 0; i < GUEST_CHECK_WORDS; i++) {
		x = guest_mix(x);
		check_area[i] = x;
	}
	guest_sums(check_area, &shared.sum1, &shared.sum2);
	canary = 0xc0ffee01c0ffee01ull;
	shared.canary = canary;
	shared.probe = 0x9e3779b9u;
	*probe = shared.probe;
	shared.top = 0x7f4a7c15u;
	*top_probe() = shared.top;
	shared.magic = GUEST_MAGIC;
	puts_serial("boot check-area=1MiB\n");
	self_check("boot", 0);
}

/* One unit of work: everything the self-check can later catch if it were lost. */
static void step(void)
{
	uint64_t counter = shared.counter + 1;
	uint32_t i = (uint32_t)counter % GUEST_CHECK_WORDS;
	uint32_t old = check_area[i];
	uint32_t new = guest_mix(old ^ (uint32_t)counter) | 1u;

	check_area[i] = new;
	shared.sum1 += new - old;
	shared.sum2 += (i + 1u) * (new - old);
	shared.counter = counter;
	canary = canary * 6364136223846793005ull + 1442695040888963407ull;
	shared.canary = canary;
}

/*
 * Right after a resume: check the probe word in high memory (it must hold what was
 * written before the suspend), write a new one, and write the generation into the
 * word after it (once: verify checks it, so a lost write shows).  The VMM may not have registered that memory with KVM yet and must
 * complete these accesses itself; only the first one reaches it, so odd generations
 * begin with a write and even ones with a read, to exercise both.
 */
static void check_probe(uint32_t gen)
{
	if (gen & 1)
		probe[1] = gen;
	if (probe[0] != shared.probe)
		probe_bad = 1;
	shared.probe = guest_mix(shared.probe ^ gen) | 1u;
	probe[0] = shared.probe;
	if (!(gen & 1))
		probe[1] = gen;
}

static void __attribute__((noreturn)) guest_main(void)
{
	uint32_t gen, ticks;

	if (shared.magic != GUEST_MAGIC)
		first_boot();
	dirty_pages();
	for (;;) {
		gen = inl(PORT_RESUME);
		if (gen != shared.resume_gen) {
			first_work(gen);
			shared.resume_gen = gen;
			shared.resumes++;
			check_probe(gen);
			self_check("resume", gen);
			dirty_pages();
		}
		step();
		ticks = inl(PORT_TIMER);
		if (ticks < shared.last_ticks)
			timer_bad = 1;
		shared.last_ticks = ticks;
		if ((uint32_t)shared.counter % GUEST_CHECK_EVERY == 0)
			self_check("check", gen);
		idle();
	}
}

/* The VMM starts here with ESP = GUEST_STACK_TOP. */
__attribute__((section(".text.start"), noreturn)) void _start(void)
{
	guest_main();
}
