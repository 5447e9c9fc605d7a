/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker: one data-plane thread. Its loop is an epoll set of its own over the data sockets the
 * control plane gave it (epoll_ctl is safe from another thread, which sd-event is not) and an
 * eventfd to stop it. Each wake-up it enters the snapshot domain, drains the ready sockets
 * (ingress -> egress), and leaves it before it blocks again: nothing the control plane does
 * (a reload, a 10,000-membership reconcile, a large JSON answer, an fsync) can hold it up.
 *
 * Wake-ups are coalesced only when it pays, as NICs' adaptive interrupt moderation does: the
 * worker keeps an estimate of its arrival rate, and after a wake-up that found less than a
 * batch it waits (up to the snapshot's coalesce_usec, which config coalesce_usec and the
 * receive buffer bound) only when at least WORKER_COALESCE_MIN datagrams are expected in that
 * time. At low rates a datagram leaves within microseconds; at high rates a wake-up carries a
 * batch, as before.
 */
#ifndef IPV4OPTD_WORKER_H
#define IPV4OPTD_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "snapshot.h"

#define WORKER_COALESCE_MIN 4   /* datagrams expected within the wait for it to pay */
#define WORKER_NICE 10          /* how many nice steps a worker runs ahead of the daemon */

struct worker;

/* notify_fd: an eventfd of the control plane, written when counters hold errors to log or
 * records were queued. */
int worker_new(unsigned id, struct snapshot_domain *d, int notify_fd, struct worker **ret);
int worker_start(struct worker *w);
/* Stops the thread (if started) and frees it. */
struct worker *worker_free(struct worker *w);

/* Control plane: adds or removes a data socket of this worker's (the snapshot that lists it
 * must be published before the add; after the removal it is retired, not closed). */
int worker_watch(struct worker *w, int fd);
int worker_unwatch(struct worker *w, int fd);

uint16_t worker_get_send_port(const struct worker *w);
const struct counters_worker *worker_get_counters(const struct worker *w);
/* Its queue of log policies' datagrams, which the control plane drains when woken. */
struct recordq *worker_get_recordq(const struct worker *w);

#endif
