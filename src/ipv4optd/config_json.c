/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "config_json.h"
#include "ctlproto.h"
#include "macro.h"
#include "stream/rtp.h"
#include "view.h"

int config_json_policy(const struct policy *p, struct json_object **ret)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	if (view_add_strings(o, "interfaces", p->interfaces, p->n_interfaces) < 0 ||
	    view_add_string(o, "name", p->name) < 0 || view_add_addr(o, "group", p->group) < 0 ||
	    view_add_addrs(o, "sources", p->sources, p->n_sources) < 0 ||
	    view_add_addrs(o, "exclude", p->exclude, p->n_exclude) < 0 ||
	    view_add_string(o, "action", policy_action_to_string(p->action)) < 0 ||
	    view_add_int(o, "port", p->port) < 0 || view_add_int(o, "line", p->line) < 0)
		return -ENOMEM;
	/* what the policy does with its datagrams besides its action: the stream analysis
	 * (stats has its counters), with the RTP clock in force */
	if (view_add_string(o, "analyze", stream_format_to_string(p->analyze)) < 0 ||
	    view_add_int(o, "rtp_clock_rate", p->rtp_clock_rate ? (int64_t)p->rtp_clock_rate :
			 RTP_CLOCK_RATE_DEFAULT) < 0)
		return -ENOMEM;
	if (p->n_inputs > 0) {
		struct json_object *arr = json_object_new_array();

		if (!arr || json_object_object_add(o, "inputs", arr) < 0 ||
		    view_add_string(o, "redundancy", policy_redundancy_to_string(p->redundancy)) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < p->n_inputs; i++) {
			const struct policy_input *in = &p->inputs[i];
			struct json_object *e = json_object_new_object();

			if (!e || json_object_array_add(arr, e) < 0) {
				json_object_put(e);
				return -ENOMEM;
			}
			if (view_add_addr(e, "group", in->group) < 0 ||
			    view_add_addrs(e, "sources", in->sources, in->n_sources) < 0 ||
			    view_add_addrs(e, "exclude", in->exclude, in->n_exclude) < 0 ||
			    view_add_strings(e, "interfaces", in->interfaces, in->n_interfaces) < 0 ||
			    view_add_int(e, "port", in->port) < 0 ||
			    view_add_int(e, "line", in->line) < 0)
				return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(o);
	return 0;
}

int config_json_append_policies(const struct config *c, struct json_object *arr)
{
	for (size_t i = 0; i < c->n_policies; i++) {
		struct json_object *p;
		int r;

		r = config_json_policy(&c->policies[i], &p);
		if (r < 0)
			return r;
		if (json_object_array_add(arr, p) < 0) {
			json_object_put(p);
			return -ENOMEM;
		}
	}
	return 0;
}
