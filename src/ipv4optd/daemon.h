/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon: the one owner object of ipv4optd. It holds the event loop and every module, and
 * carries out what spans modules: start, reload (parse, swap whole, reconcile), stop.
 */
#ifndef IPV4OPTD_DAEMON_H
#define IPV4OPTD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "links.h"
#include "members.h"
#include "relay.h"

struct control;

struct daemon_options {
	const char *config_path;
	const char *control_path;  /* -S: overrides control.path */
	const char *state_dir;     /* overrides state_dir */
	int netlink_rcvbuf;        /* 0: default */
	bool foreground_log;       /* -n: log to stderr */
	bool debug;                /* -d: debug level, whatever the config says */
};

struct daemon {
	sd_event *event;
	struct daemon_options opts;
	struct config *config;
	struct links *links;
	struct members *members;
	struct relay *relay;        /* data path of relay and log policies */
	struct control *control;    /* the control socket (ipv4ctl) */
	uint64_t start_usec;        /* CLOCK_MONOTONIC */
	uint64_t reloads;
	uint64_t reload_failures;
	bool stopping;
};

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

#endif
