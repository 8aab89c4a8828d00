// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What every status backend shares.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "status.h"

/* quarantine/<file>.<seconds> of @file (the newest), or "" when there is none. */
static void quarantined_as(const char *store, const char *file, char *out, size_t len)
{
	char dir[PATH_MAX], best[NAME_MAX + 1] = "";
	struct dirent *d;
	size_t n = strlen(file);
	DIR *q;

	*out = '\0';
	snprintf(dir, sizeof(dir), "%s/quarantine", store);
	q = opendir(dir);
	if (!q)
		return;
	while ((d = readdir(q)))
		if (!strncmp(d->d_name, file, n) && d->d_name[n] == '.' &&
		    (!best[0] || strlen(d->d_name) > strlen(best) ||
		     (strlen(d->d_name) == strlen(best) && strcmp(d->d_name, best) > 0)))
			snprintf(best, sizeof(best), "%s", d->d_name);
	closedir(q);
	if (best[0])
		snprintf(out, len, "quarantine/%s", best);
}

void status_kept_json(const char *store, struct kstate_generation *gen, const char *client,
		      struct json_object *c)
{
	struct json_object *kept;
	char file[NAME_MAX + 1], path[PATH_MAX + NAME_MAX + 2], q[NAME_MAX + 16];
	struct stat st;
	int i = gen ? kstate_generation_find(gen, KSTATE_KIND_RECORDS, client) : -1;

	if (i < 0 || kstate_generation_entry_filename(gen, (unsigned int)i, file, sizeof(file)))
		return;
	kept = json_object_new_object();
	tool_json_add_u64(kept, "generation", kstate_generation_entry_generation(gen,
							(unsigned int)i));
	tool_json_add_str(kept, "file", file);
	snprintf(path, sizeof(path), "%s/%s", store, file);
	if (lstat(path, &st)) {
		quarantined_as(store, file, q, sizeof(q));
		tool_json_add_str(kept, "quarantined", q[0] ? q : "missing");
	}
	tool_json_add_str(kept, "until", "kstate discard");
	json_object_object_add(c, "kept", kept);
}

void status_clients_free(struct status_client *clients, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(clients[i].name);
		free(clients[i].state);
		free(clients[i].message);
		json_object_put(clients[i].detail);
	}
	free(clients);
}

void status_kept_text(struct json_object *c, const char *indent)
{
	struct json_object *kept, *name, *g, *f, *q;

	if (!json_object_object_get_ex(c, "kept", &kept))
		return;
	json_object_object_get_ex(c, "name", &name);
	json_object_object_get_ex(kept, "generation", &g);
	json_object_object_get_ex(kept, "file", &f);
	printf("%skept: its last good state, generation %s (%s", indent,
	       json_object_get_string(g), json_object_get_string(f));
	if (json_object_object_get_ex(kept, "quarantined", &q))
		printf(", %s %s", strcmp(json_object_get_string(q), "missing") ?
		       "quarantined as" : "file", json_object_get_string(q));
	printf("), carried by every save until 'kstate discard %s'\n",
	       json_object_get_string(name));
}
