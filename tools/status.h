/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live state of kstate clients, for "kstate list".
 *
 * Offline, "kstate list" knows only what the store says: the kernel clients the newest
 * generation holds, in state "saved".  When the kstate module is loaded, status-dev.c
 * adds what the running system knows: whether each client was restored, started fresh
 * or failed, and its own detail.
 */
#ifndef KSTATE_TOOLS_STATUS_H
#define KSTATE_TOOLS_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "libkstate.h"

/**
 * struct status_client - one client as the running system reports it
 * @name: client name, malloc'ed
 * @version: the client's record layout version
 * @state: "fresh", "restored" or "failed" (malloc'ed)
 * @message: what the client last did or why it failed (malloc'ed), or NULL
 * @error: negative errno of its last failure, 0 when none
 * @generation: generation it was restored from, 0 when fresh
 * @detail: what the client reports about itself, or NULL; owned
 */
struct status_client {
	char *name;
	uint32_t version;
	char *state;
	char *message;
	int error;
	uint64_t generation;
	struct json_object *detail;
};

/**
 * status_live_clients - the clients the running system knows about
 * @store: the store path the caller inspects
 * @clients: malloc'ed array on success, released with status_clients_free()
 * @count: its length
 *
 * Return: 0, -ENODEV when there is no live source (no backend in this build, or the
 * kstate module is not loaded), or another negative errno.
 */
int status_live_clients(const char *store, struct status_client **clients, size_t *count);

void status_clients_free(struct status_client *clients, size_t count);

/* 1 when a final save froze the kernel clients, 0 when not, -ENODEV without a source. */
int status_live_frozen(void);

/*
 * status_kept_json - a refused client's last good state, which saves keep carrying:
 * adds "kept": {"generation", "file", "quarantined" (when the file is not in the store:
 * its quarantine/ name, or "missing"), "until"} to @c.  Nothing when @gen has no
 * record file for @client.
 */
void status_kept_json(const char *store, struct kstate_generation *gen, const char *client,
		      struct json_object *c);
/* One line about @c's "kept" object, if it has one. */
void status_kept_text(struct json_object *c, const char *indent);

/* A client's state (KSTATE_CLIENT_STATE_*) and details, as text and JSON. */
const char *status_state_name(int state);
struct json_object *status_detail_json(struct kstate_dev_status *st, unsigned int index);

#endif /* KSTATE_TOOLS_STATUS_H */
