/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <net/if.h>

#include "links_json.h"
#include "view.h"

int links_json_append_all(const struct links *l, struct json_object *arr)
{
	const struct link *links;
	size_t n = 0;

	links = links_all(l, &n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		if (!o || json_object_array_add(arr, o) < 0) {
			json_object_put(o);
			return -ENOMEM;
		}
		if (view_add_string(o, "ifname", links[i].name) < 0 ||
		    view_add_int(o, "ifindex", links[i].ifindex) < 0 ||
		    view_add_bool(o, "up", links[i].flags & IFF_UP) < 0)
			return -ENOMEM;
	}
	return 0;
}
