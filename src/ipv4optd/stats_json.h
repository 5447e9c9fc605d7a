/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats_json: the data of the `stats` control command,
 *   {"version": "0.1.0",
 *    "policies": {"NAME": {"action": "relay", "COUNTER": N, ...}, ...},
 *    "data_path": {"unmatched_packets": N, "loop_packets": N, "rxq_overflow_packets": N,
 *                  "receive_errors": N, "data_sockets": N}}
 * one object per policy keyed by name, counters as integers (ipv4ctl renders every integer
 * of a policy as a counter, also in Prometheus text, src/ipv4ctl/output.c). The data path
 * renders the counters (relay.c: relay_stats_policy_json() per policy, relay_stats_json() for
 * its own in "data_path", only in the stats of every policy, not of one); this file puts them
 * together with the policies of the config. "version" is the daemon's.
 */
#ifndef IPV4OPTD_STATS_JSON_H
#define IPV4OPTD_STATS_JSON_H

#include <json-c/json.h>

#include "config.h"
#include "relay.h"

/* The stats of every policy of c, or of the one named policy (NULL: all), with the counters
 * of relay r (NULL: none yet: no "data_path"). -ENOENT: no such policy. Does not log. */
int stats_json_build(const struct config *c, struct relay *r, const char *policy,
		     struct json_object **ret);

#endif
