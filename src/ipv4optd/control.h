/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control: the control socket server (doc/control-protocol.md) inside the daemon's event loop.
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

struct daemon;
struct control;
struct config;

/* Adopts the socket systemd passed, or creates it at d->opts.control_path or the config's
 * control.path (removing a stale socket; refusing when another daemon answers there), and
 * attaches it to d->event. Logs what fails. */
int control_new(struct daemon *d, struct control **ret);
/* Closes every client and the socket; removes the socket file if it created it. */
struct control *control_free(struct control *c);
void control_freep(struct control **c);

/* After a reload swapped in d->config (old: the previous one): applies what changed in the
 * control block that can be applied to a running socket (control.group: chown; control.mode:
 * chmod), logs it and what needs a restart (control.path). The notes are kept for the reload's
 * answer (control_get_reload_notes). */
void control_config_changed(struct control *c, const struct config *old);
/* A JSON array of strings, what the last control_config_changed said; NULL if nothing. */
struct json_object *control_get_reload_notes(const struct control *c);

const char *control_get_path(const struct control *c);
bool control_is_activated(const struct control *c);
size_t control_get_n_clients(const struct control *c);

#endif
