// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What every status backend shares.
 */
#include <stdlib.h>

#include "status.h"

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
