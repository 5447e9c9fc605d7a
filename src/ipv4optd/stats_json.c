/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "macro.h"
#include "stats_json.h"

int stats_json_tally(const struct config *c, const struct members *m, struct stats_tally **ret,
		     size_t **ret_index)
{
	_cleanup_json_ struct json_object *names = json_object_new_object();
	_cleanup_free_ struct stats_tally *t = calloc(c->n_policies + 1, sizeof(*t));
	_cleanup_free_ size_t *index = NULL;
	size_t n = 0, i = 0;

	if (!names || !t)
		return -ENOMEM;
	/* a name index once (json-c's objects are hash tables), not a search per membership */
	for (size_t k = 0; k < c->n_policies; k++)
		if (ctlproto_json_add(names, c->policies[k].name, json_object_new_int64((int64_t)k)) < 0)
			return -ENOMEM;
	for (const struct member *mb = members_first(m); mb; mb = members_next(mb))
		n++;
	if (ret_index) {
		index = calloc(n ? n : 1, sizeof(*index));
		if (!index)
			return -ENOMEM;
	}
	for (const struct member *mb = members_first(m); mb; mb = members_next(mb), i++) {
		struct json_object *v;
		size_t k = c->n_policies;
		struct stats_tally *x;
		char g[INET_ADDRSTRLEN], why[96];

		if (mb->origin == MEMBER_ORIGIN_CONFIG && json_object_object_get_ex(names, mb->policy, &v))
			k = (size_t)json_object_get_int64(v);
		if (index)
			index[i] = k;
		x = &t[k];
		inet_ntop(AF_INET, &mb->group, g, sizeof(g));
		switch (mb->state) {
		case MEMBER_STATE_JOINED:
			x->joined++;
			break;
		case MEMBER_STATE_WAITING:
			if (x->waiting++ == 0 && x->failed == 0)
				snprintf(x->reason, sizeof(x->reason), "%s on %s: no interface %s", g,
					 mb->ifname, mb->ifname);
			break;
		case MEMBER_STATE_FAILED:
			if (x->failed++ == 0)
				snprintf(x->reason, sizeof(x->reason), "%s on %s: %s: %s", g, mb->ifname,
					 member_step_describe(mb, why, sizeof(why)),
					 strerror(abs(mb->error)));
			break;
		case _MEMBER_STATE_MAX:
		case _MEMBER_STATE_INVALID:
			break;
		}
	}
	*ret = TAKE_PTR(t);
	if (ret_index)
		*ret_index = TAKE_PTR(index);
	return 0;
}

int stats_json_policy_state(const struct policy *p, const struct stats_tally *t, struct relay *r,
			    struct json_object *obj)
{
	struct json_object *mem = json_object_new_object();
	char reason[512] = "";
	const char *st = "ok";

	if (t->failed > 0) {
		st = "failed";
		snprintf(reason, sizeof(reason), "%s", t->reason);
	} else if (r && relay_policy_failure(r, p->name, reason, sizeof(reason)))
		st = "failed";
	else if (t->joined == 0) {
		st = "waiting";
		if (t->waiting > 0)
			snprintf(reason, sizeof(reason), "%s", t->reason);
		else {
			/* no interface matches yet: say which names and patterns it waits for */
			size_t off = (size_t)snprintf(reason, sizeof(reason), "no interface matches ");

			for (size_t i = 0; i < p->n_interfaces && off < sizeof(reason); i++)
				off += (size_t)snprintf(reason + off, sizeof(reason) - off, "%s%s",
							i ? ", " : "", p->interfaces[i]);
			if (p->n_interfaces == 0)
				snprintf(reason, sizeof(reason), "no membership");
		}
	}
	if (ctlproto_json_add(obj, "state", json_object_new_string(st)) < 0 ||
	    (reason[0] ? ctlproto_json_add(obj, "reason", json_object_new_string(reason)) :
			 json_object_object_add(obj, "reason", NULL)) < 0 ||
	    ctlproto_json_add(obj, "memberships", mem) < 0 ||
	    ctlproto_json_add(mem, "joined", json_object_new_uint64(t->joined)) < 0 ||
	    ctlproto_json_add(mem, "waiting", json_object_new_uint64(t->waiting)) < 0 ||
	    ctlproto_json_add(mem, "failed", json_object_new_uint64(t->failed)) < 0)
		return -ENOMEM;
	return 0;
}

static int policy_stats(struct relay *rl, const struct policy *p, const struct stats_tally *t,
			struct json_object *policies)
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
	r = stats_json_policy_state(p, t, rl, o);
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

int stats_json_build(const struct config *c, struct relay *rl, const struct members *m,
		     const char *policy, struct json_object **ret)
{
	_cleanup_free_ struct stats_tally *t = NULL;
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
		r = stats_json_tally(c, m, &t, NULL);
		if (r < 0)
			return r;
		r = policy_stats(rl, p, &t[p - c->policies], policies);
		if (r < 0)
			return r;
	} else {
		r = stats_json_tally(c, m, &t, NULL);
		if (r < 0)
			return r;
		for (size_t i = 0; i < c->n_policies; i++) {
			r = policy_stats(rl, &c->policies[i], &t[i], policies);
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
