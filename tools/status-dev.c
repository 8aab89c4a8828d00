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

const char *status_state_name(uint32_t state)
{
	switch (state) {
	case KSTATE_CLIENT_WAITING:
		return "waiting";
	case KSTATE_CLIENT_FRESH:
		return "fresh";
	case KSTATE_CLIENT_RESTORED:
		return "restored";
	case KSTATE_CLIENT_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

struct json_object *status_detail_json(const struct kstate_client_status *c)
{
	struct json_object *detail = json_object_new_object();
	uint32_t i;

	for (i = 0; i < c->detail_count && i < KSTATE_CLIENT_DETAIL_MAX; i++) {
		char key[sizeof(c->detail[i].key) + 1] = "";
		size_t klen;

		memcpy(key, c->detail[i].key, sizeof(c->detail[i].key));
		klen = strlen(key);
		/* A text detail: "key\0word\0" (the word after the key's NUL). */
		if (c->detail[i].type == KSTATE_DETAIL_TEXT && klen + 1 < sizeof(key) - 1 &&
		    key[klen + 1])
			json_object_object_add(detail, key,
					       json_object_new_string(key + klen + 1));
		else
			tool_json_add_u64(detail, key, c->detail[i].value);
	}
	return detail;
}

int status_live_clients(const char *store, struct status_client **clients, size_t *count)
{
	struct kstate_client_status *list = NULL;
	struct kstate_ioc_status st;
	struct status_client *out;
	struct kstate_ctx *ctx = NULL;
	struct kstate_dev *dev = NULL;
	unsigned int n = 0, i;
	int rc;

	(void)store;
	*clients = NULL;
	*count = 0;
	rc = kstate_ctx_new(&ctx);
	if (rc)
		return rc;
	rc = kstate_dev_new(ctx, &dev);
	if (!rc)
		rc = kstate_dev_status(dev, &st, &list, &n);
	kstate_dev_delete(&dev);
	kstate_ctx_delete(&ctx);
	if (rc)
		return rc == -ENOENT ? -ENODEV : rc;
	out = calloc(n ? n : 1, sizeof(*out));
	if (!out) {
		free(list);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		char name[sizeof(list[i].name) + 1] = "";
		char message[sizeof(list[i].message) + 1] = "";

		memcpy(name, list[i].name, sizeof(list[i].name));
		memcpy(message, list[i].message, sizeof(list[i].message));
		out[i].name = strdup(name);
		out[i].state = strdup(status_state_name(list[i].state));
		out[i].message = strdup(message);
		out[i].version = list[i].version;
		out[i].error = list[i].error;
		out[i].generation = list[i].generation;
		out[i].detail = status_detail_json(&list[i]);
		if (!out[i].name || !out[i].state || !out[i].message) {
			status_clients_free(out, i + 1);
			free(list);
			return -ENOMEM;
		}
	}
	free(list);
	*clients = out;
	*count = n;
	return 0;
}
