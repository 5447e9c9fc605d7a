/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "ctlproto.h"
#include "daemon.h"
#include "macro.h"
#include "stats_json.h"

int stats_json_policy_counters(struct daemon *d, const struct policy *p,
			       struct json_object *obj)
{
	/* The data path's counters (relay.c); a join policy gets the same keys, zero. */
	return relay_stats_policy_json(d->relay, p->name, obj);
}

static int policy_stats(struct daemon *d, const struct policy *p, struct json_object *policies)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *a;
	int r;

	if (!o)
		return -ENOMEM;
	a = json_object_new_string(policy_action_to_string(p->action));
	if (!a || json_object_object_add(o, "action", a) < 0) {
		json_object_put(a);
		return -ENOMEM;
	}
	r = stats_json_policy_counters(d, p, o);
	if (r < 0)
		return r;
	if (json_object_object_add(policies, p->name, o) < 0)
		return -ENOMEM;
	o = NULL;
	return 0;
}

/* The data path's own counters, of no policy: datagrams no policy claimed, our own output
 * heard again, the kernel's receive-queue drops, failed reads, and the data sockets. */
static int data_path_stats(struct daemon *d, struct json_object *root)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return -ENOMEM;
	if (!d->relay)
		return 0;
	r = relay_stats_json(d->relay, o);
	if (r < 0)
		return r;
	return ctlproto_json_add(root, "data_path", TAKE_PTR(o));
}

int stats_json_build(struct daemon *d, const char *policy, struct json_object **ret)
{
	_cleanup_json_ struct json_object *root = json_object_new_object();
	struct json_object *policies = json_object_new_object();
	int r;

	if (!root || !policies || json_object_object_add(root, "policies", policies) < 0) {
		json_object_put(policies);
		return -ENOMEM;
	}
	/* Which daemon answers (ipv4ctl --prometheus: ipv4opt_build_info). */
	r = ctlproto_json_add(root, "version", json_object_new_string(PACKAGE_VERSION));
	if (r < 0)
		return r;
	if (policy) {
		const struct policy *p = config_find_policy(d->config, policy);

		if (!p)
			return -ENOENT;
		r = policy_stats(d, p, policies);
		if (r < 0)
			return r;
	} else {
		for (size_t i = 0; i < d->config->n_policies; i++) {
			r = policy_stats(d, &d->config->policies[i], policies);
			if (r < 0)
				return r;
		}
		r = data_path_stats(d, root);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(root);
	return 0;
}
