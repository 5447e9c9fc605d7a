/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>

#include "ctlproto.h"
#include "view.h"

int view_add_string(struct json_object *o, const char *key, const char *s)
{
	/* json-c represents JSON null as a NULL object. */
	if (!s)
		return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
	return ctlproto_json_add(o, key, json_object_new_string(s));
}

int view_add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return ctlproto_json_add(o, key, json_object_new_uint64(v));
}

int view_add_int(struct json_object *o, const char *key, int64_t v)
{
	return ctlproto_json_add(o, key, json_object_new_int64(v));
}

int view_add_bool(struct json_object *o, const char *key, bool v)
{
	return ctlproto_json_add(o, key, json_object_new_boolean(v));
}

int view_add_addr(struct json_object *o, const char *key, struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	return view_add_string(o, key, s);
}

int view_add_addrs(struct json_object *o, const char *key, const struct in_addr *a, size_t n)
{
	struct json_object *arr = json_object_new_array();
	char s[INET_ADDRSTRLEN];

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *v;

		inet_ntop(AF_INET, &a[i], s, sizeof(s));
		v = json_object_new_string(s);
		if (!v || json_object_array_add(arr, v) < 0) {
			json_object_put(v);
			json_object_put(arr);
			return -ENOMEM;
		}
	}
	return ctlproto_json_add(o, key, arr);
}

int view_add_strings(struct json_object *o, const char *key, char *const *v, size_t n)
{
	struct json_object *arr = json_object_new_array();

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_new_string(v[i]);

		if (!s || json_object_array_add(arr, s) < 0) {
			json_object_put(s);
			json_object_put(arr);
			return -ENOMEM;
		}
	}
	return ctlproto_json_add(o, key, arr);
}
