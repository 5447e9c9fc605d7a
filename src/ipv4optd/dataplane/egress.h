/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * egress: one worker's sending side. One unconnected UDP socket per worker serves every policy
 * and every output: each message carries its destination (msg_name), its TOS byte (IP_TOS), its
 * TTL (IP_TTL) and its egress interface (IP_PKTINFO ipi_ifindex) as control messages
 * (kernel-facts.md, "Sending"), so one sendmmsg carries a batch across policies, and the cost
 * per datagram does not depend on how many policies there are. Consecutive datagrams of one
 * output with the same size go out as one UDP GSO message (UDP_SEGMENT): the stack is walked
 * once for all of them. Nothing waits for a slow destination: what the kernel refuses is a
 * counted drop of that datagram's policy and output.
 */
#ifndef IPV4OPTD_EGRESS_H
#define IPV4OPTD_EGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

struct egress;

/* Opens the worker's send socket (bound to a port of its own: loop protection). */
int egress_new(unsigned worker, struct egress **ret);
struct egress *egress_free(struct egress *e);
uint16_t egress_get_port(const struct egress *e);

/* Queues one datagram (buf stays valid until egress_flush) for output o of policy p, with the
 * TOS byte tos. Flushes by itself when the queue is full. */
void egress_queue(struct egress *e, const struct snapshot_policy *p, size_t o, const void *buf,
		  size_t len, uint8_t tos);
/* Sends what is queued. */
void egress_flush(struct egress *e);

/* Set when a send error is recorded in a policy's counters and the control plane has not been
 * told for a while (the worker then wakes it). Cleared by the call. */
bool egress_take_notify(struct egress *e);

#endif
