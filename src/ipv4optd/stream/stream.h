/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stream analysis, a per-datagram stage of the data plane (issue 12): one struct stream per
 * analysed stream (a policy, or a policy and a source address when several send), fed every
 * datagram with its arrival time. It tells RTP (RFC 3550, rtp.h) and MPEG-TS (ISO/IEC 13818-1,
 * mpegts.h), straight over UDP or inside RTP, from the datagrams themselves when asked to
 * ("auto"), and keeps plain counters: stream_feed() allocates nothing, logs nothing, takes no
 * lock, and touches only the struct it is given, so a worker owns it; the control plane reads
 * it with stream_snapshot() (what counts as what: doc/stream-analysis.md).
 */
#ifndef IPV4OPTD_STREAM_STREAM_H
#define IPV4OPTD_STREAM_STREAM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpegts.h"
#include "rtp.h"

enum stream_format {
	STREAM_FORMAT_NONE, /* no analysis: datagrams, gaps, on air */
	STREAM_FORMAT_RTP,  /* RTP, its payload also as MPEG-TS when it is (PT 33 or sync bytes) */
	STREAM_FORMAT_TS,   /* MPEG-TS straight over UDP */
	STREAM_FORMAT_AUTO, /* one of the above, decided from the first datagrams */
	_STREAM_FORMAT_MAX,
	_STREAM_FORMAT_INVALID = -EINVAL,
};

const char *stream_format_to_string(enum stream_format f);
enum stream_format stream_format_from_string(const char *s);

#define STREAM_NSEC_PER_SEC UINT64_C(1000000000)
#define STREAM_STALL_TIMEOUT_DEFAULT (1 * STREAM_NSEC_PER_SEC)
#define STREAM_INTERVAL_DEFAULT (1 * STREAM_NSEC_PER_SEC)
#define STREAM_INTERVAL_MIN (STREAM_NSEC_PER_SEC / 1000)
/* "auto" gives up (format none) after this many datagrams that decided nothing */
#define STREAM_AUTO_DATAGRAMS 16

struct stream_config {
	enum stream_format format;
	uint32_t clock_rate;       /* RTP clock in Hz; 0: RTP_CLOCK_RATE_DEFAULT (90 kHz) */
	uint64_t stall_timeout_ns; /* on air: a datagram within this; 0: 1 s */
	uint64_t interval_ns;      /* the longest gap is kept per interval of this; 0: 1 s */
};

struct stream {
	struct stream_config config;
	enum stream_format detected; /* what is analysed: config.format, or what auto decided */
	bool rtp_ts;                 /* RTP payloads are MPEG-TS */
	/* auto: datagrams seen undecided, and the last RTP header seen */
	uint32_t auto_datagrams;
	bool auto_have_rtp;
	uint32_t auto_ssrc;
	uint16_t auto_seq;

	uint64_t datagrams;
	uint64_t bytes;
	bool have_last;
	uint64_t last_ns;
	uint64_t interval_start_ns;
	uint64_t interval_max_gap_ns; /* in the current interval */
	uint64_t interval_ts_bytes;
	uint64_t prev_max_gap_ns;     /* in the last complete interval */
	uint64_t ts_bitrate;          /* bit/s over the last complete interval */

	/* RTP: the current source, and what earlier sources (SSRCs) added up to */
	bool have_source;
	struct rtp_source rtp;
	uint64_t rtp_packets;
	uint64_t rtp_errors;
	uint64_t rtp_ssrc_changes;
	uint64_t rtp_lost_before;
	uint64_t rtp_duplicates_before;
	uint64_t rtp_reordered_before;
	uint64_t rtp_resyncs_before;

	struct mpegts ts;
};

/* What the control plane reads (all counters since stream_init()). */
struct stream_counters {
	enum stream_format format;   /* configured */
	enum stream_format detected; /* analysed; STREAM_FORMAT_AUTO: not decided yet */
	bool rtp_ts;
	uint64_t datagrams;
	uint64_t bytes;
	uint64_t rtp_packets;       /* datagrams with a valid RTP header */
	uint64_t rtp_errors;        /* datagrams whose RTP header did not parse */
	uint64_t rtp_lost;
	uint64_t rtp_duplicates;
	uint64_t rtp_reordered;
	uint64_t rtp_ssrc_changes;
	uint64_t rtp_resyncs;
	uint32_t rtp_ssrc;          /* the current source */
	double jitter_ms;           /* RFC 3550 6.4.1, of the current source */
	uint64_t ts_packets;
	uint64_t ts_sync_errors;
	uint64_t ts_cc_errors;
	uint64_t ts_duplicates;
	uint64_t ts_discontinuities;
	uint64_t ts_transport_errors;
	uint64_t ts_length_errors;
	uint64_t ts_null_packets;
	uint32_t ts_pids;
	struct mpegts_pid_errors ts_error_pids[MPEGTS_ERROR_PIDS]; /* the first PIDs in error */
	uint32_t ts_n_error_pids;
	uint64_t ts_bitrate;        /* bit/s over the last complete interval */
	uint64_t max_gap_ns;        /* last complete and current interval, and the silence now */
	bool on_air;
};

/* Returns 0, or -EINVAL for a format out of range, a clock rate outside
 * RTP_CLOCK_RATE_MIN..MAX or an interval below STREAM_INTERVAL_MIN (zero fields: defaults). */
int stream_init(struct stream *s, const struct stream_config *config);

/* One datagram (the UDP payload) that arrived at now_ns (CLOCK_MONOTONIC). */
void stream_feed(struct stream *s, const uint8_t *buf, size_t len, uint64_t now_ns);

/* The counters as of now_ns (on air, the current silence). */
void stream_snapshot(const struct stream *s, uint64_t now_ns, struct stream_counters *ret);

#endif
