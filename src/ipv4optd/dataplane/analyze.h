/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * analyze: the stream-analysis stage of the data plane (doc/stream-analysis.md). For a policy
 * with `analyze` other than "none", ingress hands each datagram it accepted to analyze_feed()
 * before relaying, logging or (action monitor) nothing else.
 *
 * The state is per (policy, worker): one struct analyze per worker, allocated and initialised
 * by the control plane (relay.c, like the policy's counters) and written only by its worker. A
 * policy's memberships may sit on sockets of different workers; one source's datagrams to one
 * group arrive by one membership, so on one worker, and the views sum (or take the worst of)
 * what the workers saw. Each worker tracks up to ANALYZE_SOURCES source addresses per policy,
 * each with its own struct stream (RTP sequence space, TS continuity counters); datagrams of
 * further sources are only counted (other_datagrams).
 *
 * The worker publishes each source's counters after every datagram with relaxed atomic stores
 * (COUNTER_SET); the control plane reads them with COUNTER_GET, without a lock and without
 * stopping the worker. Nothing is allocated, locked or logged per datagram.
 */
#ifndef IPV4OPTD_ANALYZE_H
#define IPV4OPTD_ANALYZE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "counters.h"
#include "stream/stream.h"

#define ANALYZE_SOURCES 4 /* source addresses analysed per policy and worker */

/* One source's counters as its worker last published them. */
struct analyze_published {
	uint64_t used;             /* 1: the slot has a source */
	uint64_t addr;             /* its address, network order */
	uint64_t detected, rtp_ts;
	uint64_t datagrams, bytes;
	uint64_t rtp_packets, rtp_errors, rtp_lost, rtp_duplicates, rtp_reordered;
	uint64_t rtp_ssrc_changes, rtp_resyncs, rtp_ssrc, jitter_ns;
	uint64_t ts_packets, ts_sync_errors, ts_cc_errors, ts_duplicates, ts_discontinuities;
	uint64_t ts_transport_errors, ts_length_errors, ts_null_packets, ts_pids, ts_bitrate;
	uint64_t error_pids[MPEGTS_ERROR_PIDS]; /* pid << 48 | count */
	uint64_t n_error_pids;
	uint64_t max_gap_ns;       /* as of the last datagram */
	uint64_t last_ns;          /* CLOCK_MONOTONIC of the last datagram */
};

struct analyze_source {
	struct analyze_published pub;
	struct stream stream;      /* the worker's alone */
} __attribute__((aligned(COUNTERS_CACHELINE)));

struct analyze {
	struct stream_config config; /* set before publication, then read only */
	uint64_t other_datagrams;    /* published: of sources beyond ANALYZE_SOURCES */
	uint64_t on_air_events;      /* published: a source began, or came back after a silence
				      * longer than the stall timeout */
	size_t n_sources;            /* the worker's alone */
	struct analyze_source src[ANALYZE_SOURCES];
} __attribute__((aligned(COUNTERS_CACHELINE)));

/* Control plane: n_workers blocks for one policy, each initialised for config. Returns 0,
 * -EINVAL (a config stream_init() refuses) or -ENOMEM. Free with free(). */
int analyze_new(size_t n_workers, const struct stream_config *config, struct analyze **ret);

/* Worker: one accepted datagram (UDP payload) from src (network order) at now_ns
 * (CLOCK_MONOTONIC). Returns true when a source came on the air with it (the control plane
 * should look: analyze_summarize()). */
bool analyze_feed(struct analyze *a, in_addr_t src, const uint8_t *buf, size_t len,
		  uint64_t now_ns);

/* Control plane: what the workers of one policy saw, as of now_ns. */
struct analyze_summary {
	struct stream_counters total; /* sums; jitter, gap, format, SSRC: see analyze.c */
	size_t sources;               /* tracked, over the workers */
	uint64_t other_datagrams;
	uint64_t on_air_events;
	uint64_t last_ns;             /* the latest datagram of any source; 0: none */
};

void analyze_summarize(const struct analyze *a, size_t n_workers, uint64_t now_ns,
		       struct analyze_summary *ret);

/* Adds "stream": {...} to obj (the policy's stats object): the summary's counters and
 * "sources": [{"source": ADDR, ...}] per source (doc/stream-analysis.md). -ENOMEM. */
int analyze_json(const struct analyze *a, size_t n_workers, uint64_t now_ns,
		 struct json_object *obj);

#endif
