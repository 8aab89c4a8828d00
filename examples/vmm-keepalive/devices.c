// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Devices: a 16550 serial port (enough of it for a polling guest), a timer that
 * counts guest run time, the resume port, and the ports through which the guest
 * reports its first real work after a resume and is told to dirty memory.  Their
 * state is plain data in struct vm; serial and timer are saved as records by state.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm.h"

/* A line from the guest's self_check(): remember what it said about itself. */
static void serial_line(struct vm *vm, const char *line)
{
	struct guest_report *r = &vm->report;
	bool ok;

	if (vm->console)
		fprintf(stderr, "guest: %s\n", line);
	if (!strstr(line, " result="))
		return;
	ok = strstr(line, " result=ok") != NULL;
	r->checks++;
	if (!ok)
		r->bad++;
	if (r->resume_pending && strncmp(line, "resume ", 7) == 0) {
		r->resume_pending = false;
		r->resume_seen = true;
		r->resume_ok = ok;
		/* A guest older than PORT_WORK: its resume check is its first report. */
		if (!vm->first_work_ns) {
			vm->first_work_ns = now_ns();
			vm->first_work_ok = ok;
			if (vm->on_work)
				vm->on_work(vm, vm->on_work_arg);
		}
	}
	snprintf(r->last, sizeof(r->last), "%s", line);
}

/*
 * The guest's own verdict: every check in this process passed, at least one ran,
 * and after a resume the resume check ran and passed.
 */
bool guest_ok(const struct vm *vm)
{
	const struct guest_report *r = &vm->report;

	if (r->checks == 0 || r->bad)
		return false;
	if (vm->resume_gen && !(r->resume_seen && r->resume_ok))
		return false;
	return true;
}

static void serial_out(struct vm *vm, unsigned int reg, uint8_t v)
{
	struct serial_state *s = &vm->serial;
	bool dlab = s->lcr & 0x80;

	switch (reg) {
	case 0:
		if (dlab) {
			s->dll = v;
		} else if (v == '\n') {
			s->line[s->line_len] = '\0';
			serial_line(vm, s->line);
			s->line_len = 0;
		} else if (s->line_len < SERIAL_LINE_MAX - 1) {
			s->line[s->line_len++] = (char)v;
		}
		break;
	case 1:
		if (dlab)
			s->dlm = v;
		else
			s->ier = v & 0x0f;
		break;
	case 2:
		s->fcr = v;
		break;
	case 3:
		s->lcr = v;
		break;
	case 4:
		s->mcr = v & 0x1f;
		break;
	case 7:
		s->scr = v;
		break;
	}
}

static uint8_t serial_in(struct vm *vm, unsigned int reg)
{
	struct serial_state *s = &vm->serial;
	bool dlab = s->lcr & 0x80;

	switch (reg) {
	case 0:
		return dlab ? s->dll : 0;	/* no input: the receive buffer is empty */
	case 1:
		return dlab ? s->dlm : s->ier;
	case 2:
		return 0x01;			/* IIR: no interrupt pending */
	case 3:
		return s->lcr;
	case 4:
		return s->mcr;
	case 5:
		return 0x60;			/* LSR: transmitter empty, never busy */
	case 6:
		return 0xb0;			/* MSR: DCD, DSR, CTS */
	default:
		return s->scr;
	}
}

void dev_timer_start(struct vm *vm)
{
	if (!vm->timer_running) {
		vm->run_start_ns = now_ns();
		vm->timer_running = true;
	}
}

/* Fold the time run so far into the device state: a suspended VM's clock stops. */
void dev_timer_stop(struct vm *vm)
{
	if (vm->timer_running) {
		vm->timer.ticks_ns += now_ns() - vm->run_start_ns;
		vm->timer_running = false;
	}
}

static uint32_t timer_ticks(struct vm *vm)
{
	uint64_t ns = vm->timer.ticks_ns;

	if (vm->timer_running)
		ns += now_ns() - vm->run_start_ns;
	vm->timer.reads++;
	return (uint32_t)(ns / TIMER_PERIOD_NS);
}

/**
 * dev_io - one port access of a KVM_EXIT_IO
 * @data: the value written (out) or where to put the value read (in)
 *
 * Return: 0; reads of unknown ports return all ones, as on real hardware.
 */
int dev_io(struct vm *vm, uint16_t port, bool out, unsigned int size, uint8_t *data)
{
	uint32_t v = 0xffffffff;

	if (port >= PORT_COM1 && port < PORT_COM1 + 8) {
		if (out)
			serial_out(vm, port - PORT_COM1, data[0]);
		else
			data[0] = serial_in(vm, port - PORT_COM1);
		return 0;
	}
	if (out) {
		memcpy(&v, data, size < 4 ? size : 4);
		if (port == PORT_WORK && size == 4 && !vm->first_work_ns) {
			vm->first_work_ns = now_ns();
			vm->first_work_ok = v == 1;
			if (vm->on_work)
				vm->on_work(vm, vm->on_work_arg);
		} else if (port == PORT_DIRTY && size == 4) {
			vm->dirty_done = v;
			if (vm->stop_after_dirty && !vmm_stop) {
				vmm_stop_ns = now_ns();
				vmm_stop = 1;
			}
		}
		return 0;
	}
	if (port == PORT_RESUME && size == 4) {
		v = vm->resume_gen;
		if (vm->resume_gen && !vm->report.resume_seen)
			vm->report.resume_pending = true;
	} else if (port == PORT_TIMER && size == 4) {
		v = timer_ticks(vm);
	} else if (port == PORT_RAM_MB && size == 4) {
		v = (uint32_t)(vm->mem_size >> 20);
	} else if (port == PORT_DIRTY && size == 4) {
		v = vm->dirty_request;		/* once: the guest asks after each boot or resume */
		vm->dirty_request = 0;
	}
	memcpy(data, &v, size);
	return 0;
}
