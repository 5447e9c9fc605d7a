/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats_json: the data of the `stats` control command,
 *   {"version": "0.1.0",
 *    "policies": {"NAME": {"action": "relay", "COUNTER": N, ...}, ...},
 *    "data_path": {"unmatched_packets": N, "loop_packets": N, "rxq_overflow_packets": N,
 *                  "receive_errors": N, "data_sockets": N}}
 * one object per policy keyed by name, counters as integers (ipv4ctl renders every integer
 * of a policy as a counter, also in Prometheus text). The data path fills the counters in
 * stats_json_policy_counters(), and its own, of no policy, in "data_path" (relay.c,
 * relay_stats_json(); only in the stats of every policy, not of one). "version" is the
 * daemon's.
 */
#ifndef IPV4OPTD_STATS_JSON_H
#define IPV4OPTD_STATS_JSON_H

#include <json-c/json.h>

#include "config.h"

struct daemon;

/* The stats of every policy, or of the one named policy (NULL: all). -ENOENT: no such
 * policy. Does not log. */
int stats_json_build(struct daemon *d, const char *policy, struct json_object **ret);

/* Adds the counters of policy p to obj. The hook of the data path. */
int stats_json_policy_counters(struct daemon *d, const struct policy *p,
			       struct json_object *obj);

#endif
