/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * relay: the data path of relay and log policies, their counters and their timers.
 *
 * The membership engine (members.c) holds the memberships of relay and log policies on
 * sockets bound to each policy's port, with IP_MULTICAST_ALL off, and one (group, ifindex)
 * at most once per socket. The kernel queues a datagram on a socket only when that socket
 * joined its group on its arrival interface and its source filter lets the source in
 * (kernel-facts.md), so each received copy belongs to exactly one membership: the one the
 * socket holds for (IP_PKTINFO destination, arrival index). The relay keeps that map per
 * socket, rebuilt when the memberships move (members_generation()), and hands each datagram
 * to its policy: sent on (relay) or recorded (log, capture.c).
 *
 * Sockets are drained with recvmmsg in batches up to a budget, then the loop yields; the
 * datagrams of one batch are sent per policy with one sendmmsg on that policy's own
 * non-blocking, connected socket. Nothing is queued past the batch: a send that the kernel
 * refuses (EAGAIN, ENOBUFS, unreachable) is a counted drop, so one slow destination never
 * holds up another policy or the loop.
 */
#ifndef IPV4OPTD_RELAY_H
#define IPV4OPTD_RELAY_H

#include <stdint.h>
#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "links.h"
#include "members.h"

struct relay;

int relay_new(sd_event *e, struct relay **ret);
struct relay *relay_free(struct relay *r);
void relay_freep(struct relay **r);

/* The hooks to give members_new() (userdata: the relay): each data socket gets its receive
 * options and buffer, and an IO source that drains it. */
const struct members_hooks *relay_members_hooks(void);

void relay_set_members(struct relay *r, struct members *m);
void relay_set_links(struct relay *r, const struct links *l);

/* Takes config c (which must outlive the next call): policies are matched by name, so a
 * policy kept across a reload keeps its counters; send sockets, captures and timers follow
 * what changed. Call it before members_reconcile() with c, and before the old config is
 * freed. Logs what fails (a policy that cannot send or record counts its drops). */
int relay_set_config(struct relay *r, const struct config *c);

/* A link event (from the daemon's links handler): egress interfaces are resolved again, and
 * the host's own addresses (loop protection) re-read. */
void relay_link_event(struct relay *r, enum links_event ev, const struct link *k,
		      const char *old_name);

/* Adds the counters of policy `policy` to obj (the control socket's `stats` object of that
 * policy; a policy without a data path gets the same keys, zero): packets_received,
 * bytes_received, packets_sent (relay: sent; log: records written), bytes_sent,
 * dropped_packets and drops {reason: N}, stalls, rejoins, receive_packets_per_second and
 * receive_bytes_per_second (over the last one to two seconds, computed here),
 * last_packet_timestamp_seconds (0: none), last_source ("ADDR:PORT" or null), egress
 * ("up"/"down", relay). Returns 0 or -ENOMEM. */
int relay_stats_policy_json(struct relay *r, const char *policy, struct json_object *obj);

/* Adds the relay's own counters to obj: unmatched_packets (on data sockets, claimed by no
 * policy), loop_packets, rxq_overflow_packets, receive_errors, data_sockets. */
int relay_stats_json(struct relay *r, struct json_object *obj);

/* Writes out what captures buffer (pcap files). */
void relay_flush(struct relay *r);

#endif
