/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlproto.h"
#include "macro.h"
#include "members_json.h"
#include "view.h"

/* ISO 8601, UTC, seconds. */
static void format_time(uint64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000ULL);
	struct tm tm;

	if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "-");
}

int members_json_member(const struct member *mb, struct json_object **ret)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	const char *st = member_state_to_string(mb->state);
	char since[64], why[96], reason[192] = "";

	if (!o)
		return -ENOMEM;
	format_time(mb->since_usec, since, sizeof(since));
	/* A failed one says where it stopped ("cannot bind port 5000: Address already in use");
	 * a waiting one what it waits for. */
	if (mb->state == MEMBER_STATE_FAILED && mb->error)
		snprintf(reason, sizeof(reason), "%s: %s", member_step_describe(mb, why, sizeof(why)),
			 strerror(abs(mb->error)));
	else if (mb->state == MEMBER_STATE_WAITING)
		snprintf(reason, sizeof(reason), "no interface %s", mb->ifname);
	if (view_add_string(o, "policy", mb->policy) < 0 ||
	    view_add_string(o, "origin", member_origin_to_string(mb->origin)) < 0 ||
	    view_add_addr(o, "group", mb->group) < 0 ||
	    view_add_string(o, "mode",
			    mb->mode == IPV4OPT_FILTER_INCLUDE ? "include" : "exclude") < 0 ||
	    view_add_addrs(o, "sources", mb->sources, mb->n_sources) < 0 ||
	    view_add_string(o, "ifname", mb->ifname) < 0 ||
	    view_add_int(o, "ifindex", mb->ifindex) < 0 || view_add_int(o, "port", mb->port) < 0 ||
	    view_add_string(o, "state", st ? st : "unknown") < 0 ||
	    view_add_string(o, "error", mb->error ? strerror(abs(mb->error)) : NULL) < 0 ||
	    view_add_string(o, "error_code",
			    mb->error ? ctlproto_errno_to_code(mb->error) : NULL) < 0 ||
	    view_add_string(o, "error_step", mb->state == MEMBER_STATE_FAILED ?
			    member_step_to_string(mb->error_step) : NULL) < 0 ||
	    view_add_string(o, "reason", reason[0] ? reason : NULL) < 0 ||
	    view_add_string(o, "since", since) < 0 ||
	    view_add_u64(o, "since_unix", mb->since_usec / 1000000ULL) < 0 ||
	    view_add_u64(o, "joins", mb->joins) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}

int members_json_append_all(const struct members *m, struct json_object *arr)
{
	for (const struct member *mb = members_first(m); mb; mb = members_next(mb)) {
		struct json_object *o;
		int r;

		r = members_json_member(mb, &o);
		if (r < 0)
			return r;
		if (json_object_array_add(arr, o) < 0) {
			json_object_put(o);
			return -ENOMEM;
		}
	}
	return 0;
}
