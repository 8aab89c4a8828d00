// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Starting and stopping a QEMU process: see qemu-proc.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qemu-proc.h"

int argv_add(struct argv_buf *a, const char *arg)
{
	if (a->n + 2 > a->cap) {
		int cap = a->cap ? a->cap * 2 : 32;
		char **v = realloc(a->v, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n] = strdup(arg);
	if (!a->v[a->n])
		return -ENOMEM;
	a->v[++a->n] = NULL;
	return 0;
}

int argv_addf(struct argv_buf *a, const char *format, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, format);
	rc = vasprintf(&s, format, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	rc = argv_add(a, s);
	free(s);
	return rc;
}

void argv_free(struct argv_buf *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

const char *qemu_program(const char *option)
{
	const char *env = getenv("KSTATE_QEMU");

	if (option && *option)
		return option;
	return env && *env ? env : "qemu-system-x86_64";
}

int qemu_spawn(char *const argv[], pid_t *pid)
{
	pid_t parent = getpid(), child;
	int err[2], e = 0;
	ssize_t n;

	/* A close-on-exec pipe tells us whether the exec worked. */
	if (pipe2(err, O_CLOEXEC))
		return -errno;
	child = fork();
	if (child < 0) {
		e = errno;
		close(err[0]);
		close(err[1]);
		return -e;
	}
	if (child == 0) {
		sigset_t none;
		int fd;

		close(err[0]);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			if (fd != STDIN_FILENO)
				close(fd);
		}
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		e = errno;
		n = write(err[1], &e, sizeof(e));
		(void)n;
		_exit(127);
	}
	close(err[1]);
	do {
		n = read(err[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(err[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(child, NULL, 0);
		return -e;
	}
	*pid = child;
	return 0;
}

int qemu_wait(pid_t pid, int timeout_ms, bool kill_late)
{
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	int status, waited = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (waited >= timeout_ms)
			break;
		nanosleep(&pause, NULL);
		waited += 5;
	}
	if (!kill_late)
		return -ETIMEDOUT;
	kill(pid, SIGKILL);
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	return r == pid ? status : -errno;
}

const char *qemu_status_str(int status, char buf[48])
{
	if (WIFEXITED(status))
		snprintf(buf, 48, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, 48, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, 48, "wait status 0x%x", status);
	return buf;
}
