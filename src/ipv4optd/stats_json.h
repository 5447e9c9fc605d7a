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
#include "members.h"
#include "relay.h"

/* Each policy's memberships by state, and what to say of the first that is not joined. */
struct stats_tally {
	size_t joined, waiting, failed;
	char reason[256]; /* of the first failed one, else of the first waiting one; "" */
};

/* One pass over the memberships of m: the tally of each policy of c in (*ret)[i] (indexed as
 * c->policies; the runtime joins in [c->n_policies]), and, when ret_index is not NULL, the
 * policy index of each membership, in members_first() order (for sorting show's rows). */
int stats_json_tally(const struct config *c, const struct members *m, struct stats_tally **ret,
		     size_t **ret_index);

/* Adds a policy's "state" and "reason", and "memberships" {joined, waiting, failed}: "failed"
 * when a membership failed or its data path does not work (relay_policy_failure(): an output
 * down or failing, its capture failed), else "waiting" when none is joined (no interface
 * matches its names and patterns yet, or those that do are missing), else "ok"; reason is null
 * when ok. show and stats say it alike. r may be NULL. */
int stats_json_policy_state(const struct policy *p, const struct stats_tally *t, struct relay *r,
			    struct json_object *obj);

/* The stats of every policy of c, or of the one named policy (NULL: all), with the counters
 * of relay r (NULL: none yet: no "data_path") and the state of each (stats_json_policy_state(),
 * from the memberships of m). -ENOENT: no such policy. Does not log. */
int stats_json_build(const struct config *c, struct relay *r, const struct members *m,
		     const char *policy, struct json_object **ret);

#endif
