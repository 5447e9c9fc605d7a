/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ingress: one worker's receiving side. A ready data socket is drained with recvmmsg in batches
 * up to a budget; each datagram is matched to its policies by the socket's routes in the snapshot
 * ((IP_PKTINFO destination, arrival index): the membership it arrived by), counted, checked
 * (truncation, source, our own output coming back) and handed on: to egress for each output of
 * a relay policy, to the worker's record queue for a log policy (recorded by the control plane, recordq.h). Nothing is allocated, locked or
 * logged per datagram.
 */
#ifndef IPV4OPTD_INGRESS_H
#define IPV4OPTD_INGRESS_H

#include <stddef.h>

#include "counters.h"
#include "egress.h"
#include "recordq.h"
#include "snapshot.h"

#define INGRESS_BATCH 64      /* datagrams per recvmmsg */
#define INGRESS_BUDGET 1024   /* datagrams per socket before the worker looks at the others */

struct ingress;

int ingress_new(unsigned worker, struct egress *e, struct recordq *q, struct counters_worker *c,
		struct ingress **ret);
struct ingress *ingress_free(struct ingress *i);

/* Drains socket k (of snapshot s) up to the budget. Returns how many datagrams it read; sets
 * *ret_full when the last read filled a whole batch (more is waiting). */
size_t ingress_drain(struct ingress *i, const struct snapshot *s, const struct snapshot_sock *k,
		     bool *ret_full);

/* The merge windows of snapshot s on this worker: what waited out its window is given up or
 * settled, what can go is sent. Returns the CLOCK_MONOTONIC usec of the next deadline, or 0. */
uint64_t ingress_tick(struct ingress *i, const struct snapshot *s, uint64_t now);

/* True if records were queued for the control plane since the last call. */
bool ingress_take_records(struct ingress *i);

#endif
