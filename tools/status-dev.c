// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The status backend that asks the kstate module: which clients are registered now,
 * whether each was restored, started fresh or failed, and what it reports.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "status.h"

const char *status_state_name(int state)
{
	switch (state) {
	case KSTATE_CLIENT_STATE_WAITING:
		return "waiting";
	case KSTATE_CLIENT_STATE_FRESH:
		return "fresh";
	case KSTATE_CLIENT_STATE_RESTORED:
		return "restored";
	case KSTATE_CLIENT_STATE_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

struct json_object *status_detail_json(struct kstate_dev_status *st, unsigned int index)
{
	struct json_object *detail = json_object_new_object();
	const char *key;
	uint64_t value;
	unsigned int i;

	for (i = 0; kstate_dev_status_client_detail(st, index, i, &key, &value) == 0; i++) {
		const char *word = kstate_dev_status_client_detail_text(st, index, i);

		if (word)
			json_object_object_add(detail, key, json_object_new_string(word));
		else
			tool_json_add_u64(detail, key, value);
	}
	return detail;
}

/* A snapshot of the module's status, or -ENODEV without the module. */
static int live_status(struct kstate_dev_status **st)
{
	struct kstate_ctx *ctx = NULL;
	struct kstate_dev *dev = NULL;
	int rc;

	rc = kstate_ctx_new(&ctx);
	if (rc)
		return rc;
	rc = kstate_dev_new(ctx, &dev);
	if (!rc)
		rc = kstate_dev_status_new(dev, st);
	kstate_dev_delete(&dev);
	kstate_ctx_delete(&ctx);
	return rc == -ENOENT ? -ENODEV : rc;
}

int status_live_clients(const char *store, struct status_client **clients, size_t *count)
{
	struct kstate_dev_status *st = NULL;
	struct status_client *out;
	unsigned int n, i;
	int rc;

	(void)store;
	*clients = NULL;
	*count = 0;
	rc = live_status(&st);
	if (rc)
		return rc;
	n = kstate_dev_status_client_count(st);
	out = calloc(n ? n : 1, sizeof(*out));
	if (!out) {
		kstate_dev_status_delete(&st);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		out[i].name = strdup(kstate_dev_status_client_name(st, i));
		out[i].state = strdup(status_state_name(kstate_dev_status_client_state(st, i)));
		out[i].message = strdup(kstate_dev_status_client_message(st, i));
		out[i].version = kstate_dev_status_client_version(st, i);
		out[i].error = kstate_dev_status_client_error(st, i);
		out[i].generation = kstate_dev_status_client_generation(st, i);
		out[i].detail = status_detail_json(st, i);
		if (!out[i].name || !out[i].state || !out[i].message) {
			status_clients_free(out, i + 1);
			kstate_dev_status_delete(&st);
			return -ENOMEM;
		}
	}
	kstate_dev_status_delete(&st);
	*clients = out;
	*count = n;
	return 0;
}

int status_live_frozen(void)
{
	struct kstate_dev_status *st = NULL;
	int rc = live_status(&st);

	if (rc)
		return rc;
	rc = kstate_dev_status_is_frozen(st);
	kstate_dev_status_delete(&st);
	return rc;
}
