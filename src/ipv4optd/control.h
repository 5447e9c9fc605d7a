/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control: the control socket server (doc/control-protocol.md) inside the daemon's event loop.
 * A UNIX stream socket, passed by systemd (ipv4optd.socket) or created at control.path (-S).
 * Every client is non-blocking with bounded buffers and an idle timeout, so a slow, silent,
 * half-written or vanished client never stalls the loop or the other clients. Peer
 * credentials decide access: read-only commands for anyone, state changes for root and the
 * members of control.group.
 */
#ifndef IPV4OPTD_CONTROL_H
#define IPV4OPTD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTROL_MAX_CLIENTS 64
#define CONTROL_IDLE_TIMEOUT_USEC (10ULL * 1000000ULL)
#define CONTROL_ACCEPT_BUDGET 16 /* connections accepted per wakeup */

struct daemon;
struct control;

/* Adopts the socket systemd passed, or creates it at d->opts.control_path or the config's
 * control.path (removing a stale socket; refusing when another daemon answers there), and
 * attaches it to d->event. Logs what fails. */
int control_new(struct daemon *d, struct control **ret);
/* Closes every client and the socket; removes the socket file if it created it. */
struct control *control_free(struct control *c);
void control_freep(struct control **c);

const char *control_get_path(const struct control *c);
bool control_is_activated(const struct control *c);
size_t control_get_n_clients(const struct control *c);

#endif
