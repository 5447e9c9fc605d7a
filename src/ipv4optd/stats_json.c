/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "ctlproto.h"
#include "macro.h"
#include "stats_json.h"

static int policy_stats(struct relay *rl, const struct policy *p, struct json_object *policies)
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
	/* The data path's counters (relay.c); a join policy gets the same keys, zero. */
	r = relay_stats_policy_json(rl, p->name, o);
	if (r < 0)
		return r;
	if (json_object_object_add(policies, p->name, o) < 0)
		return -ENOMEM;
	o = NULL;
	return 0;
}

/* The data path's own counters, of no policy: datagrams no policy claimed, our own output
 * heard again, the kernel's receive-queue drops, failed reads, and the data sockets. */
static int data_path_stats(struct relay *rl, struct json_object *root)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return -ENOMEM;
	if (!rl)
		return 0;
	r = relay_stats_json(rl, o);
	if (r < 0)
		return r;
	return ctlproto_json_add(root, "data_path", TAKE_PTR(o));
}

int stats_json_build(const struct config *c, struct relay *rl, const char *policy,
		     struct json_object **ret)
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
		const struct policy *p = config_find_policy(c, policy);

		if (!p)
			return -ENOENT;
		r = policy_stats(rl, p, policies);
		if (r < 0)
			return r;
	} else {
		for (size_t i = 0; i < c->n_policies; i++) {
			r = policy_stats(rl, &c->policies[i], policies);
			if (r < 0)
				return r;
		}
		r = data_path_stats(rl, root);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(root);
	return 0;
}
