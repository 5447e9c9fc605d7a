/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control: the control socket server (doc/control-protocol.md) inside the daemon's event loop:
 * transport and access only. What each command does is the dispatcher's (commands.c).
 * A UNIX stream socket, passed by systemd (ipv4optd.socket) or created at control.path (-S).
 * Every client is non-blocking with bounded buffers and a deadline per request, so a slow,
 * silent, half-written or vanished client never stalls the loop or the other clients. Peer
 * credentials decide access: read-only commands for anyone, state changes for root, the
 * daemon's own uid and the members of control.group. The same peers have slots of their own:
 * other users cannot take the last CONTROL_RESERVED_CLIENTS, nor more than
 * CONTROL_MAX_CLIENTS_PER_UID each, so no local user can lock root out.
 */
#ifndef IPV4OPTD_CONTROL_H
#define IPV4OPTD_CONTROL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "ctlproto.h"
#include "macro.h"

#define CONTROL_MAX_CLIENTS 64
#define CONTROL_RESERVED_CLIENTS 16   /* of those, for root, the daemon's uid, control.group */
#define CONTROL_MAX_CLIENTS_PER_UID 8 /* per uid of the other peers */
/* A request must arrive whole within this time of the connection or of the previous answer,
 * and its answer be read within this time of being queued: a deadline per request, not reset
 * by each byte, so a peer dribbling a byte now and then cannot hold a slot for ever. */
#define CONTROL_REQUEST_TIMEOUT_USEC (10ULL * 1000000ULL)
/* Out of file descriptors: accepting stops until a client closes or this time passes. */
#define CONTROL_ACCEPT_PAUSE_USEC (1ULL * 1000000ULL)
/* A pause within this time of the previous one is the same shortage: logged at debug level. */
#define CONTROL_ACCEPT_WARN_USEC (60ULL * 1000000ULL)
#define CONTROL_ACCEPT_BUDGET 16 /* connections accepted per wakeup */

/* Who may run a command: decided from the peer's credentials at connect (SO_PEERCRED,
 * SO_PEERGROUPS), never from what it sends. */
enum control_access {
	CONTROL_ACCESS_READ,   /* anyone who can connect: the socket's mode decides who can */
	CONTROL_ACCESS_CHANGE, /* changes state: root, the daemon's uid, members of control.group */
	_CONTROL_ACCESS_MAX,
	_CONTROL_ACCESS_INVALID = -EINVAL,
};

/* What a command answers: data on success (an object, NULL for {}), a message (and details,
 * an array of strings) on failure. The server frees data and details. */
struct control_reply {
	struct json_object *data;
	char message[1024];
	struct json_object *details;
};

/* Writes the message of a failure (%m names err) and returns -|err|: `return
 * control_reply_error(rp, r, "cannot join %s: %m", what);`. */
_printf_(3, 4) int control_reply_error(struct control_reply *rp, int err, const char *fmt, ...);

/* What the server hands each decoded request to (commands.c gives the daemon's). The server
 * checks access, frames the answer and keeps the connection; the dispatcher only carries the
 * command out. */
struct control_dispatcher {
	/* The access command needs; _CONTROL_ACCESS_INVALID: the dispatcher does not know it. */
	enum control_access (*access)(enum ctl_command command);
	/* Carries out command with args (an object, empty when none): >= 0 with the answer in
	 * rp->data, or a negative errno with rp->message set (control_reply_error()). Runs on
	 * the loop, one request at a time. */
	int (*run)(enum ctl_command command, struct json_object *args, struct control_reply *rp,
		   void *userdata);
};

/* The control block of the config, as the server needs it (copied: the config may go). */
struct control_settings {
	const char *path;          /* control.path */
	const char *path_override; /* -S: used instead of path; NULL: none */
	const char *group;         /* control.group; NULL: none */
	mode_t mode;               /* control.mode */
};

struct control;

/* Adopts the socket systemd passed, or creates it at s->path_override or s->path (removing a
 * stale socket; refusing when another daemon answers there), and attaches it to e. Requests
 * go to dispatcher (with userdata), which must outlive the server. Logs what fails. */
int control_new(sd_event *e, const struct control_settings *s,
		const struct control_dispatcher *dispatcher, void *userdata, struct control **ret);
/* Closes every client and the socket; removes the socket file if it created it. */
struct control *control_free(struct control *c);
void control_freep(struct control **c);

/* After a reload: the control block s of the new config. Applies what changed that can be
 * applied to a running socket (control.group: access, chown; control.mode: chmod), logs it and
 * what needs a restart (control.path). The notes are kept for the reload's answer
 * (control_get_reload_notes). */
void control_settings_changed(struct control *c, const struct control_settings *s);
/* A JSON array of strings, what the last control_settings_changed said; NULL if nothing. */
struct json_object *control_get_reload_notes(const struct control *c);

const char *control_get_path(const struct control *c);
bool control_is_activated(const struct control *c);
size_t control_get_n_clients(const struct control *c);

#endif
