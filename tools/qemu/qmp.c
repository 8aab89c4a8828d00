// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A small QMP client: see qmp.h.  QEMU writes one JSON object per line ("\r\n"), with
 * events interleaved between a command and its answer; this client reads line by line,
 * hands events to a callback and matches answers by order (one command at a time).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

struct qmp {
	int fd;
	char *buf;		/* bytes read, not yet a whole line */
	size_t len, cap;
	qmp_event_fn event_fn;
	void *event_data;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int qmp_ms_left(uint64_t deadline_ms)
{
	uint64_t now = now_ms();

	return now >= deadline_ms ? 0 : (int)(deadline_ms - now);
}

static int seterr(char *err, int rc, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static int seterr(char *err, int rc, const char *format, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, format);
		vsnprintf(err, QMP_ERR_LEN, format, ap);
		va_end(ap);
	}
	return rc;
}

int qmp_fd(struct qmp *q)
{
	return q->fd;
}

void qmp_set_event_fn(struct qmp *q, qmp_event_fn fn, void *userdata)
{
	q->event_fn = fn;
	q->event_data = userdata;
}

/*
 * The next whole JSON object from QEMU, waiting up to @timeout_ms (0: do not wait).
 * Return: 1 with *@out set, 0 when nothing came in time, or -errno.
 */
static int read_message(struct qmp *q, int timeout_ms, struct json_object **out, char *err)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		ssize_t n;
		int rc;

		if (nl) {
			size_t line = (size_t)(nl - q->buf) + 1;
			enum json_tokener_error jerr;
			struct json_tokener *tok = json_tokener_new();
			struct json_object *o;

			if (!tok)
				return seterr(err, -ENOMEM, "out of memory");
			o = json_tokener_parse_ex(tok, q->buf, (int)line);
			jerr = json_tokener_get_error(tok);
			json_tokener_free(tok);
			memmove(q->buf, q->buf + line, q->len - line);
			q->len -= line;
			if (!o || jerr != json_tokener_success ||
			    !json_object_is_type(o, json_type_object)) {
				json_object_put(o);
				return seterr(err, -EPROTO, "QMP: not a JSON object from QEMU");
			}
			*out = o;
			return 1;
		}
		rc = poll(&pfd, 1, qmp_ms_left(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return seterr(err, -errno, "QMP: poll: %s", strerror(errno));
		if (rc == 0)
			return 0;
		if (q->cap - q->len < 4096) {
			size_t cap = q->cap ? q->cap * 2 : 8192;
			char *b = realloc(q->buf, cap);

			if (!b)
				return seterr(err, -ENOMEM, "out of memory");
			q->buf = b;
			q->cap = cap;
		}
		n = read(q->fd, q->buf + q->len, q->cap - q->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return seterr(err, -errno, "QMP: read: %s", strerror(errno));
		if (n == 0)
			return seterr(err, -ECONNRESET, "QMP: QEMU closed the connection "
				      "(it exited)");
		q->len += (size_t)n;
	}
}

static void dispatch_event(struct qmp *q, struct json_object *o)
{
	if (q->event_fn)
		q->event_fn(o, q->event_data);
}

int qmp_read_events(struct qmp *q)
{
	struct json_object *o = NULL;
	int rc;

	while ((rc = read_message(q, 0, &o, NULL)) == 1) {
		dispatch_event(q, o);
		json_object_put(o);
	}
	return rc;
}

static int send_all(struct qmp *q, const char *text, int fd, char *err)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		struct iovec iov = { (void *)(text + off), len - off };
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (fd >= 0 && off == 0) {
			struct cmsghdr *c;

			memset(cbuf, 0, sizeof(cbuf));
			msg.msg_control = cbuf;
			msg.msg_controllen = sizeof(cbuf);
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		n = sendmsg(q->fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return seterr(err, errno == EPIPE ? -ECONNRESET : -errno,
				      "QMP: send: %s", strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

int qmp_cmd(struct qmp *q, const char *command, struct json_object *args, int fd,
	    int timeout_ms, struct json_object **ret, char *err)
{
	struct json_object *req = json_object_new_object(), *o = NULL, *v, *e;
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	char *text;
	int rc;

	if (ret)
		*ret = NULL;
	json_object_object_add(req, "execute", json_object_new_string(command));
	if (args)
		json_object_object_add(req, "arguments", args);
	text = NULL;
	if (asprintf(&text, "%s\r\n",
		     json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN)) < 0)
		text = NULL;
	json_object_put(req);
	if (!text)
		return seterr(err, -ENOMEM, "out of memory");
	rc = send_all(q, text, fd, err);
	free(text);
	if (rc)
		return rc;
	for (;;) {
		rc = read_message(q, qmp_ms_left(deadline), &o, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return seterr(err, -ETIMEDOUT, "QMP: no answer to %s within %d ms",
				      command, timeout_ms);
		if (json_object_object_get_ex(o, "event", NULL)) {
			dispatch_event(q, o);
			json_object_put(o);
			continue;
		}
		break;
	}
	if (json_object_object_get_ex(o, "error", &e)) {
		struct json_object *cls = NULL, *desc = NULL;

		json_object_object_get_ex(e, "class", &cls);
		json_object_object_get_ex(e, "desc", &desc);
		rc = seterr(err, -EPROTO, "QEMU refused %s: %s (%s)", command,
			    desc ? json_object_get_string(desc) : "?",
			    cls ? json_object_get_string(cls) : "?");
	} else if (json_object_object_get_ex(o, "return", &v)) {
		if (ret)
			*ret = json_object_get(v);
		rc = 0;
	} else {
		rc = seterr(err, -EPROTO, "QMP: answer to %s has neither return nor error",
			    command);
	}
	json_object_put(o);
	return rc;
}

/* Whether our child @pid exited (a zombie counts; it is not reaped here). */
static bool child_gone(pid_t pid)
{
	siginfo_t si = { 0 };

	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
		return si.si_pid == pid;
	return errno == ECHILD && kill(pid, 0) && errno == ESRCH;
}

int qmp_connect(const char *path, int pid, int timeout_ms, struct qmp **out, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	struct json_object *greeting = NULL;
	struct qmp *q;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return seterr(err, -ENAMETOOLONG, "QMP socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	q = calloc(1, sizeof(*q));
	if (!q)
		return seterr(err, -ENOMEM, "out of memory");
	q->fd = -1;
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0) {
			rc = seterr(err, -errno, "socket: %s", strerror(errno));
			goto fail;
		}
		if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		rc = -errno;
		close(q->fd);
		q->fd = -1;
		if (rc != -ENOENT && rc != -ECONNREFUSED) {
			seterr(err, rc, "QMP: cannot connect to %s: %s", path, strerror(-rc));
			goto fail;
		}
		if (pid > 0 && child_gone(pid)) {
			rc = seterr(err, -ESRCH, "QEMU (pid %d) exited before its QMP socket "
				    "%s was ready", pid, path);
			goto fail;
		}
		if (!qmp_ms_left(deadline)) {
			rc = seterr(err, -ETIMEDOUT, "QMP: %s not ready within %d ms", path,
				    timeout_ms);
			goto fail;
		}
		usleep(5000);
	}
	rc = read_message(q, qmp_ms_left(deadline), &greeting, err);
	if (rc == 0)
		rc = seterr(err, -ETIMEDOUT, "QMP: no greeting from %s", path);
	if (rc < 0)
		goto fail;
	rc = json_object_object_get_ex(greeting, "QMP", NULL) ? 0 :
		seterr(err, -EPROTO, "QMP: %s did not greet as QMP", path);
	json_object_put(greeting);
	if (rc)
		goto fail;
	rc = qmp_cmd(q, "qmp_capabilities", NULL, -1, qmp_ms_left(deadline) + 1, NULL, err);
	if (rc)
		goto fail;
	*out = q;
	return 0;
fail:
	qmp_close(&q);
	return rc;
}

void qmp_close(struct qmp **q)
{
	if (!q || !*q)
		return;
	if ((*q)->fd >= 0)
		close((*q)->fd);
	free((*q)->buf);
	free(*q);
	*q = NULL;
}

int qmp_set_capability(struct qmp *q, const char *capability, bool state, int timeout_ms,
		       char *err)
{
	struct json_object *args = json_object_new_object();
	struct json_object *caps = json_object_new_array();
	struct json_object *cap = json_object_new_object();

	json_object_object_add(cap, "capability", json_object_new_string(capability));
	json_object_object_add(cap, "state", json_object_new_boolean(state));
	json_object_array_add(caps, cap);
	json_object_object_add(args, "capabilities", caps);
	return qmp_cmd(q, "migrate-set-capabilities", args, -1, timeout_ms, NULL, err);
}

int qmp_wait_migration(struct qmp *q, int timeout_ms, char *err)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	unsigned int pause_ms = 1;

	for (;;) {
		struct json_object *ret = NULL, *status = NULL, *desc = NULL;
		const char *s;
		int rc = qmp_cmd(q, "query-migrate", NULL, -1, qmp_ms_left(deadline) + 1, &ret,
				 err);

		if (rc)
			return rc;
		json_object_object_get_ex(ret, "status", &status);
		s = status ? json_object_get_string(status) : "none";
		if (!strcmp(s, "completed")) {
			json_object_put(ret);
			return 0;
		}
		if (!strcmp(s, "failed") || !strcmp(s, "cancelled")) {
			json_object_object_get_ex(ret, "error-desc", &desc);
			rc = seterr(err, -EIO, "migration %s: %s", s,
				    desc ? json_object_get_string(desc) : "QEMU gave no reason");
			json_object_put(ret);
			return rc;
		}
		json_object_put(ret);
		if (!qmp_ms_left(deadline))
			return seterr(err, -ETIMEDOUT, "migration not finished within %d ms "
				      "(status %s)", timeout_ms, s);
		usleep(pause_ms * 1000);
		if (pause_ms < 20)
			pause_ms *= 2;
	}
}
