/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon: the one owner object of ipv4optd. It holds the event loop and every module, and
 * carries out what spans modules: start, reload (parse, swap whole, reconcile), stop.
 */
#ifndef IPV4OPTD_DAEMON_H
#define IPV4OPTD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct control;
struct control_dispatcher;
struct diagnose;
struct links;
struct members;
struct relay;

struct daemon_options {
	const char *config_path;
	const char *control_path;  /* -S: overrides control.path */
	const char *state_dir;     /* overrides state_dir */
	int netlink_rcvbuf;        /* 0: default */
	bool foreground_log;       /* -n: log to stderr */
	bool debug;                /* -d: debug level, whatever the config says */
	/* What the control socket's requests go to (main.c: commands.c's), with the daemon as
	 * userdata. */
	const struct control_dispatcher *dispatcher;
};

struct daemon;

/* Parses the config, opens every module, does the first reconcile. Logs what fails. */
int daemon_new(const struct daemon_options *opts, struct daemon **ret);
struct daemon *daemon_free(struct daemon *d);
void daemon_freep(struct daemon **d);

/* Runs the loop until SIGTERM/SIGINT. Returns the exit code. */
int daemon_run(struct daemon *d);

/* Re-reads the config file. Invalid: nothing changes; the errors ("file:line: message"
 * lines) are logged and, if ret_errors, returned. Valid: swapped in and reconciled. */
int daemon_reload(struct daemon *d, char **ret_errors);

/* Sends STATUS= with the current counts. */
void daemon_update_status(struct daemon *d);

/* What the daemon holds, for the control socket's commands (commands.c). The config is the
 * one in force: a reload replaces it, so it is valid until the next reload. */
const struct config *daemon_get_config(const struct daemon *d);
struct members *daemon_get_members(const struct daemon *d);
/* The checks' memory (ipv4ctl diagnose: a counter rising since the last run). */
struct diagnose *daemon_get_diagnose(const struct daemon *d);
struct relay *daemon_get_relay(const struct daemon *d);
const struct links *daemon_get_links(const struct daemon *d);
const struct control *daemon_get_control(const struct daemon *d);
/* The config file (-f). */
const char *daemon_get_config_path(const struct daemon *d);
/* Where runtime joins are kept: --state-dir, else the config's state_dir. */
const char *daemon_get_state_dir(const struct daemon *d);
/* Since daemon_new(), CLOCK_MONOTONIC. */
uint64_t daemon_get_uptime_usec(const struct daemon *d);
/* Reloads done (valid files) and refused (invalid ones) since the start. */
uint64_t daemon_get_reloads(const struct daemon *d);
uint64_t daemon_get_reload_failures(const struct daemon *d);

#endif
