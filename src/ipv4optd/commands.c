/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "config_json.h"
#include "control.h"
#include "ctlproto.h"
#include "daemon.h"
#include "diagnose.h"
#include "links_json.h"
#include "log.h"
#include "macro.h"
#include "members.h"
#include "members_json.h"
#include "relay.h"
#include "state.h"
#include "stats_json.h"
#include "view.h"

static void describe(const struct ctl_membership *j, char *buf, size_t size)
{
	char g[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &j->group, g, sizeof(g));
	inet_ntop(AF_INET, &j->source, s, sizeof(s));
	if (j->source.s_addr != INADDR_ANY)
		snprintf(buf, size, "(%s, %s) on %s", s, g, j->ifname);
	else
		snprintf(buf, size, "%s on %s", g, j->ifname);
}

/* A runtime join may only bind a port that a relay or log policy of the config receives on
 * (config_port_receives): its traffic then goes to that policy. Any other port would take a UDP
 * port some other service uses (the socket binds 0.0.0.0:N with SO_REUSEADDR, the newest
 * socket wins, and the service's CAP_NET_BIND_SERVICE reaches ports below 1024). */
static int refuse_port(const struct config *cfg, uint16_t port, struct control_reply *rp)
{
	char ports[512] = "";
	size_t off = 0, n = 0;

	for (size_t i = 0; i < cfg->n_policies && off < sizeof(ports) - 16; i++) {
		const struct policy *p = &cfg->policies[i];
		bool seen = false;

		if (p->action == POLICY_ACTION_JOIN || p->port == 0)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = cfg->policies[k].action != POLICY_ACTION_JOIN &&
			       cfg->policies[k].port == p->port;
		if (seen)
			continue;
		off += (size_t)snprintf(ports + off, sizeof(ports) - off, "%s%u", n++ ? ", " : "",
					(unsigned)p->port);
	}
	if (n == 0)
		return control_reply_error(rp, EPERM, "port %u is not allowed: a runtime join may "
					   "only use the port of a relay or log policy of the "
					   "configuration, and it has none; join without a port",
					   (unsigned)port);
	return control_reply_error(rp, EPERM, "port %u is not allowed: a runtime join may only "
				   "use the port of a relay or log policy of the configuration "
				   "(%s), or none", (unsigned)port, ports);
}

static int cmd_join(struct daemon *d, struct json_object *args, struct control_reply *rp)
{
	const struct config *cfg = daemon_get_config(d);
	struct members *m = daemon_get_members(d);
	_cleanup_free_ char *e = NULL;
	struct ctl_membership j;
	const struct member *mb;
	char what[128];
	int r;

	r = ctlproto_membership_from_json(args, true, &j, &e);
	if (r < 0)
		return control_reply_error(rp, r, "%s", e ? e : "invalid arguments");
	describe(&j, what, sizeof(what));
	if (!config_port_receives(cfg, j.port))
		return refuse_port(cfg, j.port, rp);
	r = members_runtime_add(m, j.group, j.source, j.ifname, j.port);
	if (r == -EEXIST) {
		/* Idempotent, for scripts and config management: the same join again is done. */
		mb = members_runtime_find(m, j.group, j.source, j.ifname);
		if (mb && mb->port != j.port) {
			char have[32] = "no port";

			if (mb->port)
				snprintf(have, sizeof(have), "port %u", (unsigned)mb->port);
			return control_reply_error(rp, r, "%s is already joined at run time with %s; "
						   "leave it first to change the port", what, have);
		}
		if (!mb)
			return control_reply_error(rp, r, "%s is already joined at run time", what);
		r = members_json_member(mb, &rp->data);
		if (r < 0)
			return r;
		return view_add_bool(rp->data, "already", true);
	}
	if (r == -E2BIG)
		return control_reply_error(rp, r, "too many runtime joins: leave some first");
	if (r < 0)
		return control_reply_error(rp, r, "cannot join %s: %m", what);
	(void)members_reconcile(m, cfg, j.ifname);
	r = state_save(daemon_get_state_dir(d), m);
	if (r < 0) {
		/* Memory and disk agree after every answer: undo. */
		(void)members_runtime_remove(m, j.group, j.source, j.ifname);
		(void)members_reconcile(m, cfg, j.ifname);
		return control_reply_error(rp, r, "cannot record the join in %s/%s: %m",
					   daemon_get_state_dir(d), STATE_FILE_NAME);
	}
	daemon_update_status(d);
	log_info("Runtime join of %s", what);
	mb = members_runtime_find(m, j.group, j.source, j.ifname);
	if (!mb)
		return control_reply_error(rp, ENOMEM, "joined %s, but it is not listed: %m", what);
	r = members_json_member(mb, &rp->data);
	if (r < 0)
		return r;
	return view_add_bool(rp->data, "already", false);
}

static int cmd_leave(struct daemon *d, struct json_object *args, struct control_reply *rp)
{
	const struct config *cfg = daemon_get_config(d);
	struct members *m = daemon_get_members(d);
	_cleanup_free_ char *e = NULL;
	struct ctl_membership j;
	const struct member *mb;
	char what[128];
	int r;

	r = ctlproto_membership_from_json(args, false, &j, &e);
	if (r < 0)
		return control_reply_error(rp, r, "%s", e ? e : "invalid arguments");
	describe(&j, what, sizeof(what));
	mb = members_runtime_find(m, j.group, j.source, j.ifname);
	if (mb)
		j.port = mb->port; /* to put it back if the state cannot be written */
	r = members_runtime_remove(m, j.group, j.source, j.ifname);
	if (r == -ENOENT)
		return control_reply_error(rp, r, "no runtime join of %s (memberships of the config "
					   "are left by editing it and reloading)", what);
	if (r < 0)
		return control_reply_error(rp, r, "cannot leave %s: %m", what);
	(void)members_reconcile(m, cfg, j.ifname);
	r = state_save(daemon_get_state_dir(d), m);
	if (r < 0) {
		(void)members_runtime_add(m, j.group, j.source, j.ifname, j.port);
		(void)members_reconcile(m, cfg, j.ifname);
		return control_reply_error(rp, r, "cannot record the leave in %s/%s: %m",
					   daemon_get_state_dir(d), STATE_FILE_NAME);
	}
	daemon_update_status(d);
	log_info("Runtime leave of %s", what);
	r = ctlproto_membership_to_json(&j, false, &rp->data);
	if (r < 0)
		return r;
	return view_add_string(rp->data, "state", "left");
}

/* The config's policies, the memberships, the interfaces: each rendered by its module. */
/* A membership of show, in the order rows are listed: by the policy's place in the config
 * (runtime joins last), then interface name, group and port, so that a row keeps its place
 * whatever order the memberships were made in (a link that came back, a reload). */
struct show_row {
	struct json_object *o;
	const struct member *mb;
	size_t policy;
};

static int show_row_cmp(const void *a, const void *b)
{
	const struct show_row *x = a, *y = b;
	int c;

	if (x->policy != y->policy)
		return x->policy < y->policy ? -1 : 1;
	c = strcmp(x->mb->ifname, y->mb->ifname);
	if (c)
		return c;
	if (x->mb->group.s_addr != y->mb->group.s_addr)
		return ntohl(x->mb->group.s_addr) < ntohl(y->mb->group.s_addr) ? -1 : 1;
	return (int)x->mb->port - (int)y->mb->port;
}

/* What show adds to the config's policies and the memberships: each policy's state with a
 * reason and its memberships by state, its outputs or log as stats has them; the memberships
 * in a stable order; with `policy`, only that policy (or "runtime": the runtime joins). */
static int show_annotate(struct daemon *d, const char *policy, struct json_object *o)
{
	const struct config *cfg = daemon_get_config(d);
	const struct members *m = daemon_get_members(d);
	struct relay *rl = daemon_get_relay(d);
	_cleanup_free_ struct stats_tally *t = NULL;
	_cleanup_free_ size_t *index = NULL;
	_cleanup_free_ struct show_row *rows = NULL;
	struct json_object *policies, *members, *sorted, *kept;
	size_t n = 0, want = SIZE_MAX;
	int r;

	if (policy) {
		const struct policy *p = config_find_policy(cfg, policy);

		if (p)
			want = (size_t)(p - cfg->policies);
		else if (streq(policy, "runtime"))
			want = cfg->n_policies;
		else
			return -ENOENT;
	}
	if (!json_object_object_get_ex(o, "policies", &policies) ||
	    !json_object_object_get_ex(o, "members", &members))
		return -EINVAL;
	r = stats_json_tally(cfg, m, &t, &index);
	if (r < 0)
		return r;
	kept = json_object_new_array();
	if (!kept)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(policies) && i < cfg->n_policies; i++) {
		struct json_object *p = json_object_array_get_idx(policies, i);

		r = stats_json_policy_state(&cfg->policies[i], &t[i], rl, p);
		if (r >= 0)
			r = relay_show_policy_json(rl, cfg->policies[i].name, p);
		if (r >= 0 && (want == SIZE_MAX || want == i) &&
		    json_object_array_add(kept, json_object_get(p)) < 0)
			r = -ENOMEM;
		if (r < 0) {
			json_object_put(kept);
			return r;
		}
	}
	r = ctlproto_json_add(o, "policies", kept);
	if (r < 0)
		return r;

	rows = calloc(json_object_array_length(members) + 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (const struct member *mb = members_first(m); mb; mb = members_next(mb), n++) {
		if (n >= json_object_array_length(members))
			return -EINVAL; /* members is not the memberships' array */
		rows[n] = (struct show_row){ json_object_array_get_idx(members, n), mb, index[n] };
	}
	qsort(rows, n, sizeof(*rows), show_row_cmp);
	sorted = json_object_new_array();
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((want == SIZE_MAX || want == rows[i].policy) &&
		    json_object_array_add(sorted, json_object_get(rows[i].o)) < 0) {
			json_object_put(sorted);
			return -ENOMEM;
		}
	return ctlproto_json_add(o, "members", sorted);
}

static int cmd_show(struct daemon *d, struct json_object *args, struct control_reply *rp)
{
	static const char *const keys[] = { "policy", NULL };
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *policies = json_object_new_array(), *members = json_object_new_array(),
			   *ifs = json_object_new_array();
	_cleanup_free_ char *e = NULL;
	const char *policy = NULL;
	int r;

	if (!o || ctlproto_json_add(o, "policies", policies) < 0 ||
	    ctlproto_json_add(o, "members", members) < 0 ||
	    ctlproto_json_add(o, "interfaces", ifs) < 0)
		return -ENOMEM;
	r = ctlproto_args_check_keys(args, keys, &e);
	if (r >= 0)
		r = ctlproto_args_get_string(args, "policy", false, 64, &policy, &e);
	if (r < 0)
		return control_reply_error(rp, r, "%s", e);
	if (policy && !config_find_policy(daemon_get_config(d), policy) &&
	    !streq(policy, "runtime"))
		return control_reply_error(rp, ENOENT, "no policy named \"%s\"", policy);
	r = config_json_append_policies(daemon_get_config(d), policies);
	if (r < 0)
		return r;
	/* a policy with inputs: which one is forwarded now (failover), from the data plane */
	for (size_t i = 0; i < json_object_array_length(policies); i++) {
		struct json_object *p = json_object_array_get_idx(policies, i), *n;
		int a;

		if (!json_object_object_get_ex(p, "inputs", NULL) ||
		    !json_object_object_get_ex(p, "name", &n))
			continue;
		a = relay_policy_active_input(daemon_get_relay(d), json_object_get_string(n));
		if (json_object_object_add(p, "active_input",
					   a >= 0 ? json_object_new_int64(a + 1) : NULL) < 0)
			return -ENOMEM;
	}
	r = members_json_append_all(daemon_get_members(d), members);
	if (r < 0)
		return r;
	r = links_json_append_all(daemon_get_links(d), ifs);
	if (r < 0)
		return r;
	/* each membership marked with the codes ipv4ctl diagnose finds on it */
	{
		_cleanup_(diagnose_report_freep) struct diagnose_report *report = NULL;
		const struct diagnose_input in = {
			.config = daemon_get_config(d),
			.links = daemon_get_links(d),
			.members = daemon_get_members(d),
			.relay = daemon_get_relay(d),
		};

		r = diagnose_run(NULL, &in, NULL, &report);
		if (r >= 0)
			r = diagnose_report_mark_members(report, daemon_get_members(d), members);
		if (r < 0)
			return r;
	}
	r = show_annotate(d, policy, o);
	if (r < 0)
		return r;
	rp->data = TAKE_PTR(o);
	return 0;
}

static int cmd_stats(struct daemon *d, struct json_object *args, struct control_reply *rp)
{
	static const char *const keys[] = { "policy", NULL };
	_cleanup_free_ char *e = NULL;
	const char *policy;
	int r;

	r = ctlproto_args_check_keys(args, keys, &e);
	if (r >= 0)
		r = ctlproto_args_get_string(args, "policy", false, 64, &policy, &e);
	if (r < 0)
		return control_reply_error(rp, r, "%s", e);
	r = stats_json_build(daemon_get_config(d), daemon_get_relay(d), daemon_get_members(d),
			     policy, &rp->data);
	if (r == -ENOENT)
		return control_reply_error(rp, r, "no policy named \"%s\"", policy);
	return r;
}

static int cmd_reload(struct daemon *d, struct json_object *args, struct control_reply *rp)
{
	static const char *const keys[] = { NULL };
	_cleanup_free_ char *e = NULL, *errors = NULL;
	const char *path = daemon_get_config_path(d);
	struct json_object *notes;
	struct members_counts c;
	int r;

	r = ctlproto_args_check_keys(args, keys, &e);
	if (r < 0)
		return control_reply_error(rp, r, "%s", e);
	r = daemon_reload(d, &errors);
	if (r < 0 && errors) {
		rp->details = json_object_new_array();
		if (!rp->details)
			return -ENOMEM;
		for (char *line = errors, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (*line && json_object_array_add(rp->details,
							   json_object_new_string(line)) < 0)
				return -ENOMEM;
		}
		return control_reply_error(rp, r, "%s is invalid, the running configuration stays",
					   path);
	}
	if (r < 0)
		return control_reply_error(rp, r, "reload of %s applied with errors: %m", path);
	members_get_counts(daemon_get_members(d), &c);
	rp->data = json_object_new_object();
	if (!rp->data || view_add_string(rp->data, "config", path) < 0 ||
	    view_add_u64(rp->data, "policies", daemon_get_config(d)->n_policies) < 0 ||
	    view_add_u64(rp->data, "joined", c.joined) < 0 ||
	    view_add_u64(rp->data, "waiting", c.waiting) < 0 ||
	    view_add_u64(rp->data, "failed", c.failed) < 0)
		return -ENOMEM;
	/* What the reload did to the control socket, and what only a restart applies. */
	notes = control_get_reload_notes(daemon_get_control(d));
	return ctlproto_json_add(rp->data, "notes",
				 notes ? json_object_get(notes) : json_object_new_array());
}

static int cmd_status(struct daemon *d, struct json_object *args, struct control_reply *rp)
{
	static const char *const keys[] = { NULL };
	const struct config *cfg = daemon_get_config(d);
	const struct control *ctl = daemon_get_control(d);
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *mem = json_object_new_object(), *kern = json_object_new_object(),
			   *ctrl = json_object_new_object(), *st = json_object_new_object(),
			   *dp = json_object_new_object();
	_cleanup_free_ char *e = NULL;
	struct relay_failures f;
	struct members_counts c;
	int r;

	if (!o || ctlproto_json_add(o, "memberships", mem) < 0 ||
	    ctlproto_json_add(o, "kernel", kern) < 0 || ctlproto_json_add(o, "control", ctrl) < 0 ||
	    ctlproto_json_add(o, "state", st) < 0 || ctlproto_json_add(o, "data_path", dp) < 0)
		return -ENOMEM;
	r = ctlproto_args_check_keys(args, keys, &e);
	if (r < 0)
		return control_reply_error(rp, r, "%s", e);
	members_get_counts(daemon_get_members(d), &c);
	relay_get_failures(daemon_get_relay(d), &f);
	if (view_add_string(o, "version", PACKAGE_VERSION) < 0 ||
	    view_add_int(o, "pid", getpid()) < 0 ||
	    view_add_u64(o, "uptime_seconds", daemon_get_uptime_usec(d) / 1000000ULL) < 0 ||
	    view_add_string(o, "config", daemon_get_config_path(d)) < 0 ||
	    view_add_u64(o, "policies", cfg->n_policies) < 0 ||
	    view_add_u64(o, "reloads", daemon_get_reloads(d)) < 0 ||
	    view_add_u64(o, "reload_failures", daemon_get_reload_failures(d)) < 0 ||
	    view_add_string(o, "log_level", log_level_to_string(log_get_max_level())) < 0 ||
	    view_add_u64(mem, "joined", c.joined) < 0 ||
	    view_add_u64(mem, "waiting", c.waiting) < 0 ||
	    view_add_u64(mem, "failed", c.failed) < 0 ||
	    view_add_u64(mem, "runtime", c.runtime) < 0 ||
	    view_add_u64(dp, "outputs", f.outputs) < 0 ||
	    view_add_u64(dp, "outputs_failed", f.outputs_failed) < 0 ||
	    view_add_u64(dp, "captures", f.captures) < 0 ||
	    view_add_u64(dp, "captures_failed", f.captures_failed) < 0 ||
	    view_add_u64(mem, "sockets", c.sockets) < 0 ||
	    view_add_u64(kern, "igmp_max_memberships", c.max_memberships) < 0 ||
	    view_add_u64(kern, "igmp_max_msf", c.max_msf) < 0 ||
	    view_add_string(ctrl, "path", control_get_path(ctl)) < 0 ||
	    view_add_bool(ctrl, "socket_activated", control_is_activated(ctl)) < 0 ||
	    view_add_u64(ctrl, "clients", control_get_n_clients(ctl)) < 0 ||
	    view_add_u64(ctrl, "max_clients", CONTROL_MAX_CLIENTS) < 0 ||
	    view_add_string(ctrl, "group", cfg->control.group) < 0 ||
	    view_add_string(st, "dir", daemon_get_state_dir(d)) < 0)
		return -ENOMEM;
	rp->data = TAKE_PTR(o);
	return 0;
}

static int cmd_log_level(struct daemon *d, struct json_object *args, struct control_reply *rp)
{
	static const char *const keys[] = { "level", NULL };
	_cleanup_free_ char *e = NULL;
	const char *s, *previous = log_level_to_string(log_get_max_level());
	int r, level;

	(void)d;
	r = ctlproto_args_check_keys(args, keys, &e);
	if (r >= 0)
		r = ctlproto_args_get_string(args, "level", true, 16, &s, &e);
	if (r < 0)
		return control_reply_error(rp, r, "%s", e);
	level = log_level_from_string(s);
	if (level < 0)
		return control_reply_error(rp, EINVAL, "unknown log level \"%s\" (emerg, alert, "
					   "crit, err, warning, notice, info, debug)", s);
	log_set_max_level(level);
	log_notice("Log level set to %s (was %s)", log_level_to_string(level), previous);
	rp->data = json_object_new_object();
	if (!rp->data || view_add_string(rp->data, "level", log_level_to_string(level)) < 0 ||
	    view_add_string(rp->data, "previous", previous) < 0)
		return -ENOMEM;
	return 0;
}

/* The findings of every check (diagnose.c) on every policy, or on one. Read-only. */
static int cmd_diagnose(struct daemon *d, struct json_object *args, struct control_reply *rp)
{
	static const char *const keys[] = { "policy", NULL };
	_cleanup_(diagnose_report_freep) struct diagnose_report *report = NULL;
	_cleanup_free_ char *e = NULL;
	const struct diagnose_input in = {
		.config = daemon_get_config(d),
		.links = daemon_get_links(d),
		.members = daemon_get_members(d),
		.relay = daemon_get_relay(d),
	};
	const char *policy;
	int r;

	r = ctlproto_args_check_keys(args, keys, &e);
	if (r >= 0)
		r = ctlproto_args_get_string(args, "policy", false, 64, &policy, &e);
	if (r < 0)
		return control_reply_error(rp, r, "%s", e);
	r = diagnose_run(daemon_get_diagnose(d), &in, policy, &report);
	if (r == -ENOENT)
		return control_reply_error(rp, r, "no policy named \"%s\"", policy);
	if (r < 0)
		return r;
	/* what a full run finds is logged as the daemon's own runs are, once per change: a fix
	 * that is no link event (a sysctl, a route) shows in the log at the next one of either */
	if (!policy)
		(void)diagnose_log_changes(daemon_get_diagnose(d), report, NULL);
	return diagnose_report_to_json(report, &rp->data);
}

/* ------------------------------------------------------------------------------------------ */
/* The table                                                                                   */

struct command {
	enum control_access access;
	int (*run)(struct daemon *d, struct json_object *args, struct control_reply *rp);
};

/* Indexed by the protocol's command (ctlproto.h names them); a command without a handler
 * here is answered "unknown command" (tests/unit/check_commands checks that none lacks one). */
static const struct command commands[_CTL_COMMAND_MAX] = {
	[CTL_COMMAND_JOIN]      = { CONTROL_ACCESS_CHANGE, cmd_join },
	[CTL_COMMAND_LEAVE]     = { CONTROL_ACCESS_CHANGE, cmd_leave },
	[CTL_COMMAND_SHOW]      = { CONTROL_ACCESS_READ,   cmd_show },
	[CTL_COMMAND_STATS]     = { CONTROL_ACCESS_READ,   cmd_stats },
	[CTL_COMMAND_RELOAD]    = { CONTROL_ACCESS_CHANGE, cmd_reload },
	[CTL_COMMAND_STATUS]    = { CONTROL_ACCESS_READ,   cmd_status },
	[CTL_COMMAND_LOG_LEVEL] = { CONTROL_ACCESS_CHANGE, cmd_log_level },
	[CTL_COMMAND_DIAGNOSE]  = { CONTROL_ACCESS_READ,   cmd_diagnose },
};

static const struct command *command_get(enum ctl_command command)
{
	if (command < 0 || command >= _CTL_COMMAND_MAX || !commands[command].run)
		return NULL;
	return &commands[command];
}

enum control_access commands_access(enum ctl_command command)
{
	const struct command *c = command_get(command);

	return c ? c->access : _CONTROL_ACCESS_INVALID;
}

static int commands_run(enum ctl_command command, struct json_object *args,
			struct control_reply *rp, void *userdata)
{
	const struct command *c = command_get(command);

	if (!c)
		return control_reply_error(rp, EOPNOTSUPP, "unknown command");
	return c->run(userdata, args, rp);
}

const struct control_dispatcher commands_dispatcher = {
	.access = commands_access,
	.run = commands_run,
};
