/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Starting and stopping a QEMU process, for kstate-qemu and its benchmark.
 */
#ifndef KSTATE_QEMU_PROC_H
#define KSTATE_QEMU_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A growing NULL-terminated argument vector. */
struct argv_buf {
	char **v;
	int n, cap;
};

int argv_add(struct argv_buf *a, const char *arg);
int argv_addf(struct argv_buf *a, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
void argv_free(struct argv_buf *a);

/*
 * The QEMU program: @option, else $KSTATE_QEMU, else qemu-system-x86_64.
 */
const char *qemu_program(const char *option);

/*
 * Start @argv (argv[0] looked up on PATH) as a child that dies with this process
 * (PR_SET_PDEATHSIG), in its own process group so a terminal's ^C reaches only us,
 * with stdin from /dev/null, its stdout sent to our stderr, and every signal
 * unblocked.  Return: 0 with *@pid, or -errno.
 */
int qemu_spawn(char *const argv[], pid_t *pid);

/*
 * Wait up to @timeout_ms for @pid to exit; SIGKILL it after that if @kill_late.
 * Return: its wait status, or -ETIMEDOUT (still running), or -errno.
 */
int qemu_wait(pid_t pid, int timeout_ms, bool kill_late);

/* "exited with status N" or "was killed by signal N", for messages. */
const char *qemu_status_str(int status, char buf[48]);

#endif /* KSTATE_QEMU_PROC_H */
