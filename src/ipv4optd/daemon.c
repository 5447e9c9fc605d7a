/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "diagnose.h"
#include "links.h"
#include "log.h"
#include "macro.h"
#include "members.h"
#include "notify.h"
#include "relay.h"
#include "state.h"

/* The interfaces whose checks a loop iteration's link events call for; past that many (a resync,
 * a storm), one run over everything instead. */
#define DAEMON_DIAGNOSE_NAMES 8

struct daemon {
	sd_event *event;
	struct daemon_options opts;
	struct config *config;
	struct links *links;
	struct members *members;
	struct relay *relay;        /* data path of relay and log policies */
	struct control *control;    /* the control socket (ipv4ctl) */
	struct diagnose *diagnose;  /* what the checks found and logged last */
	sd_event_source *diagnose_soon; /* one run after the link events of a loop iteration */
	char diagnose_names[DAEMON_DIAGNOSE_NAMES][IF_NAMESIZE]; /* ... of these interfaces */
	size_t n_diagnose_names;
	bool diagnose_all;          /* more names than that: a run over everything */
	uint64_t start_usec;        /* CLOCK_MONOTONIC */
	uint64_t reloads;
	uint64_t reload_failures;
	bool stopping;
};

/* Logs every "file:line: message" line of a config error text. */
static void log_config_errors(int level, const char *errors)
{
	const char *p = errors;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		if (len > 0)
			log_full_errno(level, 0, NULL, "%.*s", len, p);
		p = nl ? nl + 1 : NULL;
	}
}

void daemon_update_status(struct daemon *d)
{
	struct members_counts c;

	members_get_counts(d->members, &c);
	notify_status("%zu joined, %zu waiting, %zu failed, on %zu sockets", c.joined, c.waiting,
		      c.failed, c.sockets);
}

/* The checks of ipv4ctl diagnose, run by the daemon itself (at start, after a reload: every
 * check; after link events: those about the interfaces of the events, so that an event costs
 * what its interface holds, not what the config holds): what changed since the last run is
 * logged, once. What depends on time alone (no-traffic) is left to the command. */
static void daemon_diagnose(struct daemon *d, const char *only_ifname)
{
	_cleanup_(diagnose_report_freep) struct diagnose_report *r = NULL;
	const struct diagnose_input in = {
		.config = d->config,
		.links = d->links,
		.members = d->members,
		.relay = d->relay,
		.skip_traffic = true,
		.only_ifname = only_ifname,
	};
	int k;

	if (!d->diagnose)
		return;
	k = diagnose_run(d->diagnose, &in, NULL, &r);
	if (k >= 0)
		k = diagnose_log_changes(d->diagnose, r, only_ifname);
	if (k < 0)
		log_warning_errno(k, "Failed to run the checks of diagnose: %m");
}

static int on_diagnose_soon(sd_event_source *s, void *userdata)
{
	struct daemon *d = userdata;

	(void)s;
	d->diagnose_soon = sd_event_source_disable_unref(d->diagnose_soon);
	if (d->diagnose_all)
		daemon_diagnose(d, NULL);
	else
		for (size_t i = 0; i < d->n_diagnose_names; i++)
			daemon_diagnose(d, d->diagnose_names[i]);
	d->n_diagnose_names = 0;
	d->diagnose_all = false;
	return 0;
}

/* The link events of one loop iteration (a flap, a resync) make one run per interface, once
 * the loop has handled them. */
static void daemon_diagnose_soon(struct daemon *d, const char *ifname)
{
	bool known = false;

	for (size_t i = 0; i < d->n_diagnose_names && !known; i++)
		known = streq(d->diagnose_names[i], ifname);
	if (!known) {
		if (d->n_diagnose_names < DAEMON_DIAGNOSE_NAMES)
			snprintf(d->diagnose_names[d->n_diagnose_names++], IF_NAMESIZE, "%s",
				 ifname);
		else
			d->diagnose_all = true;
	}
	if (d->diagnose_soon || !d->event)
		return;
	if (sd_event_add_defer(d->event, &d->diagnose_soon, on_diagnose_soon, d) < 0)
		d->diagnose_soon = NULL; /* the next event or reload runs them */
}

static void on_link_event(struct links *l, enum links_event ev, const struct link *k,
			  const char *old_name, void *userdata)
{
	struct daemon *d = userdata;
	struct log_ctx ctx = { .ifname = k->name };

	(void)l;
	if (!d->links)
		return; /* the first dump, before the first reconcile */

	/* Egress interfaces of relay policies come and go like memberships' ones. */
	relay_link_event(d->relay, ev, k, old_name);
	daemon_diagnose_soon(d, k->name);
	if (ev == LINKS_EVENT_RENAME)
		daemon_diagnose_soon(d, old_name);

	switch (ev) {
	case LINKS_EVENT_NEW:
		log_full_errno(LOG_INFO, 0, &ctx, "Interface %s appeared (index %d)", k->name,
			       k->ifindex);
		members_reconcile(d->members, d->config, k->name);
		break;
	case LINKS_EVENT_RENAME:
		log_full_errno(LOG_INFO, 0, &ctx, "Interface %s (index %d) renamed to %s", old_name,
			       k->ifindex, k->name);
		members_reconcile(d->members, d->config, old_name);
		members_reconcile(d->members, d->config, k->name);
		break;
	case LINKS_EVENT_DEL:
		log_full_errno(LOG_INFO, 0, &ctx, "Interface %s (index %d) is gone", k->name,
			       k->ifindex);
		members_reconcile(d->members, d->config, k->name);
		break;
	case LINKS_EVENT_CHANGE:
		/* The kernel keeps memberships and their source filters across down/up and
		 * reports them again on up: nothing to do. */
		log_full_errno(LOG_DEBUG, 0, &ctx, "Interface %s is %s", k->name,
			       (k->flags & IFF_UP) ? "up" : "down");
		/* ... but a failed join is tried again: the change may have mended it. */
		if (members_retry_failed(d->members, k->name) > 0)
			break;
		return;
	case LINKS_EVENT_ADDRESS:
		/* Joins are by index: addresses do not matter to held memberships; a failed
		 * one is tried again (ipv4ctl(8)). */
		if (members_retry_failed(d->members, k->name) > 0)
			break;
		return;
	case _LINKS_EVENT_MAX:
		return;
	}
	daemon_update_status(d);
}

/* The control block of the config in force, as the control socket takes it. */
static struct control_settings daemon_control_settings(const struct daemon *d)
{
	return (struct control_settings){
		.path = d->config->control.path,
		.path_override = d->opts.control_path,
		.group = d->config->control.group,
		.mode = d->config->control.mode,
	};
}

/* After members_runtime_drop_foreign_ports() removed runtime joins: the state file says so. */
static void daemon_record_dropped(struct daemon *d)
{
	const char *dir = daemon_get_state_dir(d);
	int r = state_save(dir, d->members);

	if (r < 0)
		log_error_errno(r, "Failed to record in %s that runtime joins were left: %m", dir);
}

int daemon_reload(struct daemon *d, char **ret_errors)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_free_ char *errors = NULL;
	size_t dropped;
	int r;

	notify_reloading();
	log_info("Reloading %s", d->opts.config_path);
	r = config_parse_file(d->opts.config_path, &c, &errors);
	if (r < 0) {
		d->reload_failures++;
		log_error_errno(r, "Reload failed, keeping the running configuration: %m");
		log_config_errors(LOG_ERR, errors);
		notify_ready();
		daemon_update_status(d);
		if (ret_errors)
			*ret_errors = TAKE_PTR(errors);
		return r;
	}

	struct config *old = d->config;
	d->config = TAKE_PTR(c);
	(void)relay_set_config(d->relay, d->config); /* points into the new config; logs */
	log_set_max_level(d->opts.debug ? LOG_DEBUG : d->config->log.level);
	dropped = members_runtime_drop_foreign_ports(d->members, d->config);
	r = members_reconcile(d->members, d->config, NULL);
	if (dropped > 0)
		daemon_record_dropped(d);
	struct control_settings cs = daemon_control_settings(d);
	control_settings_changed(d->control, &cs); /* applies and logs what it can */
	config_free(old); /* members hold copies, not pointers into it */
	/* The parse of a large file (libconfig's tree) is freed now, but glibc keeps the pages:
	 * give them back (10,000 policies: 16.8 MiB RSS before, 8.3 MiB after). */
	malloc_trim(0);
	d->reloads++;
	notify_ready();
	daemon_update_status(d);
	daemon_diagnose(d, NULL);
	if (r < 0)
		return log_error_errno(r, "Reload applied with errors: %m");
	log_info("Reloaded %s: %zu %s", d->opts.config_path, d->config->n_policies,
		 d->config->n_policies == 1 ? "policy" : "policies");
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct daemon *d = userdata;

	(void)s;
	switch (si->ssi_signo) {
	case SIGHUP:
		(void)daemon_reload(d, NULL);
		return 0;
	case SIGTERM:
	case SIGINT:
		log_info("Received %s, leaving every group", strsignal((int)si->ssi_signo));
		d->stopping = true;
		notify_stopping();
		return sd_event_exit(d->event, 0);
	default:
		return 0;
	}
}

/* Thousands of groups need hundreds of sockets: take the hard limit of open files. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int daemon_new(const struct daemon_options *opts, struct daemon **ret)
{
	_cleanup_(daemon_freep) struct daemon *d = NULL;
	_cleanup_free_ char *errors = NULL;
	sigset_t ss;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return log_error_errno(ENOMEM, "Out of memory");
	d->opts = *opts;
	d->start_usec = clock_now_usec(CLOCK_MONOTONIC);

	r = config_parse_file(opts->config_path, &d->config, &errors);
	if (r < 0) {
		log_config_errors(LOG_ERR, errors);
		return log_error_errno(r, "Failed to load %s: %m", opts->config_path);
	}
	log_set_max_level(opts->debug ? LOG_DEBUG : d->config->log.level);
	raise_nofile();

	r = sd_event_default(&d->event);
	if (r < 0)
		return log_error_errno(r, "Failed to create the event loop: %m");
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int sig = 0; sig < NSIG; sig++)
		if (sigismember(&ss, sig) == 1) {
			r = sd_event_add_signal(d->event, NULL, sig, on_signal, d);
			if (r < 0)
				return log_error_errno(r, "Failed to watch signal %d: %m", sig);
		}
	r = sd_event_set_watchdog(d->event, true);
	if (r < 0)
		log_warning_errno(r, "Failed to enable the watchdog: %m");

	/* The data path first: it maps what the membership engine holds to its policies. */
	r = relay_new(d->event, d->config->workers, &d->relay);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the data path: %m");
	r = members_new(&d->members);
	if (r < 0)
		return log_error_errno(r, "Failed to set up memberships: %m");
	relay_set_members(d->relay, d->members);
	r = diagnose_new(&d->diagnose);
	if (r < 0)
		return log_error_errno(r, "Out of memory");

	/* Before any join: a second daemon on the same socket must not get that far. */
	struct control_settings cs = daemon_control_settings(d);
	r = control_new(d->event, &cs, opts->dispatcher, d, &d->control);
	if (r < 0)
		return r; /* logged */

	struct links *l;
	r = links_new(d->event, opts->netlink_rcvbuf, on_link_event, d, &l);
	if (r < 0)
		return log_error_errno(r, "Failed to watch interfaces (rtnetlink): %m");
	d->links = l;
	members_set_links(d->members, d->links);
	relay_set_links(d->relay, d->links);
	(void)relay_set_config(d->relay, d->config); /* logs what fails */

	/* The first reconcile joins everything at once: one summary, details at debug. */
	members_set_log_level(d->members, LOG_DEBUG);
	r = members_reconcile(d->members, d->config, NULL);
	members_set_log_level(d->members, LOG_INFO);
	malloc_trim(0); /* as after a reload */
	if (r < 0)
		log_error_errno(r, "Initial reconcile incomplete: %m");

	/* Runtime joins of ipv4ctl, after the config's: a bad state file cannot spoil those. */
	if (state_load(daemon_get_state_dir(d), d->members) > 0) {
		size_t dropped = members_runtime_drop_foreign_ports(d->members, d->config);

		members_set_log_level(d->members, LOG_DEBUG);
		r = members_reconcile(d->members, d->config, NULL);
		members_set_log_level(d->members, LOG_INFO);
		if (r < 0)
			log_error_errno(r, "Restoring runtime joins incomplete: %m");
		if (dropped > 0)
			daemon_record_dropped(d);
	}

	struct members_counts c;
	members_get_counts(d->members, &c);
	log_info("Started: %zu %s, %zu %s joined, %zu waiting for an interface, %zu failed, on "
		 "%zu %s (igmp_max_memberships=%u, igmp_max_msf=%u)", d->config->n_policies,
		 d->config->n_policies == 1 ? "policy" : "policies", c.joined,
		 c.joined == 1 ? "membership" : "memberships", c.waiting, c.failed, c.sockets,
		 c.sockets == 1 ? "socket" : "sockets", c.max_memberships, c.max_msf);
	daemon_diagnose(d, NULL);
	*ret = TAKE_PTR(d);
	return 0;
}

int daemon_run(struct daemon *d)
{
	int r;

	notify_ready();
	daemon_update_status(d);
	r = sd_event_loop(d->event);
	if (r < 0) {
		log_error_errno(r, "Event loop failed: %m");
		return 1;
	}
	return 0;
}

struct daemon *daemon_free(struct daemon *d)
{
	if (!d)
		return NULL;
	control_free(d->control);
	sd_event_source_disable_unref(d->diagnose_soon);
	diagnose_free(d->diagnose);
	members_free(d->members); /* leaves every group */
	relay_free(d->relay);      /* after members (it reads their memberships until then) */
	links_free(d->links);
	config_free(d->config);
	sd_event_unref(d->event);
	free(d);
	return NULL;
}

void daemon_freep(struct daemon **d)
{
	daemon_free(*d);
}

const struct config *daemon_get_config(const struct daemon *d)
{
	return d->config;
}

struct diagnose *daemon_get_diagnose(const struct daemon *d)
{
	return d->diagnose;
}

struct members *daemon_get_members(const struct daemon *d)
{
	return d->members;
}

struct relay *daemon_get_relay(const struct daemon *d)
{
	return d->relay;
}

const struct links *daemon_get_links(const struct daemon *d)
{
	return d->links;
}

const struct control *daemon_get_control(const struct daemon *d)
{
	return d->control;
}

const char *daemon_get_config_path(const struct daemon *d)
{
	return d->opts.config_path;
}

const char *daemon_get_state_dir(const struct daemon *d)
{
	return d->opts.state_dir ? d->opts.state_dir : d->config->state_dir;
}

uint64_t daemon_get_uptime_usec(const struct daemon *d)
{
	return clock_now_usec(CLOCK_MONOTONIC) - d->start_usec;
}

uint64_t daemon_get_reloads(const struct daemon *d)
{
	return d->reloads;
}

uint64_t daemon_get_reload_failures(const struct daemon *d)
{
	return d->reload_failures;
}
