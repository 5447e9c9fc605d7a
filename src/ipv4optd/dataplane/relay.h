/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * relay: the data plane's control side. It owns the workers (worker.h), keeps the runtime of
 * relay and log policies (counters, captures, egress interfaces, stall and rejoin timers)
 * across reloads, and builds the snapshot (snapshot.h) the workers read: each data socket's
 * routes ((group, arrival interface) -> policy, from the membership engine's holds), each
 * policy's outputs with their egress index, the host's addresses (loop protection). A new
 * snapshot is published after any event of the control loop that changed one of those; the
 * old one is freed once no worker can still see it.
 *
 * The membership engine (members.c) holds the memberships on sockets bound to no port. The
 * relay receives on sockets of its own: one per port of a relay or log policy and per worker,
 * bound to the port with IP_MULTICAST_ALL on and no membership, each taking the groups of its
 * worker (a socket filter: destination address modulo the number of workers). The kernel walks
 * every socket bound to a port for each datagram, so this keeps delivery cost independent of
 * the number of groups, and a group's datagrams on one thread. Datagrams are matched to
 * policies by (destination, arrival interface) from the memberships held; what the host
 * accepts for the port that no policy claims (another program's group, a unicast datagram) is
 * counted as unmatched. A membership change never touches a receive socket; a removed socket is
 * closed only once no snapshot lists it, so a worker never reads a descriptor closed under it.
 */
#ifndef IPV4OPTD_RELAY_H
#define IPV4OPTD_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "links.h"
#include "members.h"

struct relay;

/* Starts `workers` data-plane threads (1 .. CONFIG_MAX_WORKERS). */
int relay_new(sd_event *e, unsigned workers, struct relay **ret);
/* Stops the workers, then frees everything. */
struct relay *relay_free(struct relay *r);
void relay_freep(struct relay **r);

void relay_set_members(struct relay *r, struct members *m);
void relay_set_links(struct relay *r, const struct links *l);

/* Takes config c (which must outlive the next call): policies are matched by name, so a
 * policy kept across a reload keeps its counters (a relay policy whose outputs changed starts
 * its per-output counters again); captures and timers follow what changed. Call it before
 * members_reconcile() with c, and before the old config is freed: the snapshot copies what the
 * workers need. A change of `workers` needs a restart (logged). */
int relay_set_config(struct relay *r, const struct config *c);

/* A link event (from the daemon's links handler): egress interfaces are resolved again, and
 * the host's own addresses (loop protection) re-read. */
void relay_link_event(struct relay *r, enum links_event ev, const struct link *k,
		      const char *old_name);

/* Adds the counters of policy `policy` to obj (the control socket's `stats` object of that
 * policy; a policy without a data path gets the same keys, zero): packets_received,
 * bytes_received, packets_sent (relay: sent, over all outputs; log: records written),
 * bytes_sent, dropped_packets and drops {reason: N}, stalls, rejoins,
 * receive_packets_per_second and receive_bytes_per_second (over the last one to two seconds),
 * last_packet_timestamp_seconds (0: none), last_source ("ADDR:PORT" or null),
 * max_datagram_bytes; relay: egress ("up" when every output can send, else "down") and
 * outputs [{to, interface, egress, packets_sent, bytes_sent, dropped_packets}]; a policy with
 * analyze other than none: stream {...} (analyze_json(), doc/stream-analysis.md). Returns 0 or
 * -ENOMEM. */
int relay_stats_policy_json(struct relay *r, const char *policy, struct json_object *obj);

/* The input policy `policy` forwards now (0-based: failover's active input), or -1 (merge:
 * every input; no inputs; no such policy). */
int relay_policy_active_input(struct relay *r, const char *policy);

/* Adds the relay's own counters to obj: unmatched_packets (on data sockets, claimed by no
 * policy), loop_packets, rxq_overflow_packets, receive_errors, data_sockets, workers. */
int relay_stats_json(struct relay *r, struct json_object *obj);

/* The receive buffer the kernel granted the receive sockets of port (doubled, socket(7)), or
 * -ENOENT when nothing receives on it. */
int relay_get_port_rcvbuf(struct relay *r, uint16_t port);

/* show's view of policy `policy`'s data path, the same objects as in stats: relay, "outputs"
 * [{to, interface, egress, dscp, ttl, state, reason, packets_sent, bytes_sent,
 * dropped_packets}] (state "up", "down": the egress interface is missing, "failing": sends
 * failed within the last 10 s, e.g. an unreachable destination; reason null when up); log,
 * "log" {target, file, max_size, max_files | rate_limit, state ("recording" or "failed"),
 * reason}. Nothing for a policy without a data path. 0 or -ENOMEM. */
int relay_show_policy_json(struct relay *r, const char *policy, struct json_object *obj);

/* True, with the first reason in buf ("output 10.9.9.9:6000: send failed: ..."), when an
 * output of the policy is not up or its capture failed. */
bool relay_policy_failure(struct relay *r, const char *policy, char *buf, size_t size);

/* status: outputs and captures, and how many of each are not working. */
struct relay_failures {
	size_t outputs, outputs_failed;
	size_t captures, captures_failed;
};
void relay_get_failures(struct relay *r, struct relay_failures *ret);

/* Writes out what captures buffer (pcap files). */
void relay_flush(struct relay *r);

#endif
