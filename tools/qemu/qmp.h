/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small QMP client (QEMU Machine Protocol, one JSON object per line over a unix
 * socket), enough to stop, migrate, load and continue a guest.  Used by kstate-qemu and
 * its blackout benchmark.  Every call takes a deadline so a hung QEMU cannot hang the
 * caller; errors are returned as -errno with a message in the caller's buffer.
 */
#ifndef KSTATE_QMP_H
#define KSTATE_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct qmp;

#define QMP_ERR_LEN	512

/* Called with each asynchronous event ({"event": ...}) read while waiting. */
typedef void (*qmp_event_fn)(struct json_object *event, void *userdata);

/*
 * Connect to the QMP socket at @path, retrying until @timeout_ms while QEMU creates it
 * (and while @pid, if > 0, is alive), read the greeting and enter command mode.
 * Return: 0, -ETIMEDOUT, -ESRCH when @pid died first, or another -errno; @err says why.
 */
int qmp_connect(const char *path, int pid, int timeout_ms, struct qmp **out, char *err);
void qmp_close(struct qmp **q);

/* The socket, for poll(); call qmp_read_events() when it is readable. */
int qmp_fd(struct qmp *q);
void qmp_set_event_fn(struct qmp *q, qmp_event_fn fn, void *userdata);

/*
 * Run @command with @args (taken over, may be NULL), passing @fd (or -1) along with it
 * as SCM_RIGHTS (for "getfd").  *@ret, if not NULL, gets the "return" value (the caller
 * puts it).  Return: 0, -EPROTO when QEMU answered with an error (its class and
 * description in @err), -ETIMEDOUT, -ECONNRESET when QEMU went away, or another -errno.
 */
int qmp_cmd(struct qmp *q, const char *command, struct json_object *args, int fd,
	    int timeout_ms, struct json_object **ret, char *err);

/* Read and dispatch whatever events are waiting, without blocking.  Return: 0 or -errno. */
int qmp_read_events(struct qmp *q);

/* migrate-set-capabilities with one capability. */
int qmp_set_capability(struct qmp *q, const char *capability, bool state, int timeout_ms,
		       char *err);

/*
 * Poll query-migrate until its status is final: 0 for "completed", -EIO for "failed"
 * or "cancelled" (QEMU's error-desc in @err), -ETIMEDOUT, -ECONNRESET.
 */
int qmp_wait_migration(struct qmp *q, int timeout_ms, char *err);

/* Milliseconds left until @deadline_ms (tool_now_us() / 1000 based), at least 0. */
int qmp_ms_left(uint64_t deadline_ms);

#endif /* KSTATE_QMP_H */
