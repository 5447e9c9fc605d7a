/* SPDX-License-Identifier: BSD-3-Clause */
/* One analysed stream: format detection, RTP and MPEG-TS analysers, gaps, on air. */
#include <string.h>

#include "stream.h"

static const char *const format_table[_STREAM_FORMAT_MAX] = {
	[STREAM_FORMAT_NONE] = "none",
	[STREAM_FORMAT_RTP] = "rtp",
	[STREAM_FORMAT_TS] = "ts",
	[STREAM_FORMAT_AUTO] = "auto",
};

const char *stream_format_to_string(enum stream_format f)
{
	if (f < 0 || f >= _STREAM_FORMAT_MAX)
		return NULL;
	return format_table[f];
}

enum stream_format stream_format_from_string(const char *s)
{
	if (!s)
		return _STREAM_FORMAT_INVALID;
	for (int i = 0; i < _STREAM_FORMAT_MAX; i++)
		if (strcmp(format_table[i], s) == 0)
			return (enum stream_format)i;
	return _STREAM_FORMAT_INVALID;
}

int stream_init(struct stream *s, const struct stream_config *config)
{
	struct stream_config c = *config;

	if (c.format < 0 || c.format >= _STREAM_FORMAT_MAX)
		return -EINVAL;
	if (c.clock_rate == 0)
		c.clock_rate = RTP_CLOCK_RATE_DEFAULT;
	if (c.clock_rate < RTP_CLOCK_RATE_MIN || c.clock_rate > RTP_CLOCK_RATE_MAX)
		return -EINVAL;
	if (c.stall_timeout_ns == 0)
		c.stall_timeout_ns = STREAM_STALL_TIMEOUT_DEFAULT;
	if (c.interval_ns == 0)
		c.interval_ns = STREAM_INTERVAL_DEFAULT;
	if (c.interval_ns < STREAM_INTERVAL_MIN)
		return -EINVAL;

	memset(s, 0, sizeof(*s));
	s->config = c;
	s->detected = c.format;
	mpegts_init(&s->ts);
	return 0;
}

/* "auto": TS when the datagram is 188-byte packets with their sync bytes (an RTP version 2
 * header cannot begin with 0x47); RTP with a TS payload when the header parses and the
 * payload type is 33 or the payload is such packets; RTP of another payload after two
 * datagrams of one SSRC in sequence (a version-2 first byte alone is weak evidence). */
static void detect(struct stream *s, const uint8_t *buf, size_t len)
{
	struct rtp_header h;

	if (mpegts_probe(buf, len)) {
		s->detected = STREAM_FORMAT_TS;
		return;
	}
	if (rtp_header_parse(buf, len, &h) >= 0) {
		if (h.payload_type == RTP_PT_MP2T ||
		    mpegts_probe(buf + h.payload_offset, h.payload_len)) {
			s->detected = STREAM_FORMAT_RTP;
			return;
		}
		if (s->auto_have_rtp && h.ssrc == s->auto_ssrc &&
		    h.seq == (uint16_t)(s->auto_seq + 1)) {
			s->detected = STREAM_FORMAT_RTP;
			return;
		}
		s->auto_have_rtp = true;
		s->auto_ssrc = h.ssrc;
		s->auto_seq = h.seq;
	} else {
		s->auto_have_rtp = false;
	}
	if (++s->auto_datagrams >= STREAM_AUTO_DATAGRAMS)
		s->detected = STREAM_FORMAT_NONE;
}

/* A new SSRC is a new source (RFC 3550 8.2: a sender that changes its SSRC restarts its
 * sequence numbers and timestamps): what the old one counted is kept, the new one starts on
 * probation, and its TS continuity counters start again too. */
static void ssrc_change(struct stream *s, const struct rtp_header *h)
{
	s->rtp_lost_before += rtp_source_lost(&s->rtp);
	s->rtp_duplicates_before += s->rtp.duplicates;
	s->rtp_reordered_before += s->rtp.reordered;
	s->rtp_resyncs_before += s->rtp.resyncs;
	s->rtp_ssrc_changes++;
	rtp_source_init(&s->rtp, h->ssrc, h->seq);
	mpegts_reset_continuity(&s->ts);
}

static void feed_rtp(struct stream *s, const uint8_t *buf, size_t len, uint64_t now_ns)
{
	struct rtp_header h;
	enum rtp_update u;
	const uint8_t *payload;

	if (rtp_header_parse(buf, len, &h) < 0) {
		s->rtp_errors++;
		return;
	}
	s->rtp_packets++;
	if (!s->have_source) {
		rtp_source_init(&s->rtp, h.ssrc, h.seq);
		s->have_source = true;
	} else if (h.ssrc != s->rtp.ssrc) {
		ssrc_change(s, &h);
	}
	u = rtp_source_update(&s->rtp, &h, now_ns, s->config.clock_rate);
	/* a duplicate datagram carries TS packets already counted: they would read as CC
	 * errors of packets that were not lost */
	if (u == RTP_UPDATE_DUPLICATE)
		return;

	payload = buf + h.payload_offset;
	if (!s->rtp_ts && (h.payload_type == RTP_PT_MP2T || mpegts_probe(payload, h.payload_len)))
		s->rtp_ts = true;
	if (s->rtp_ts) {
		uint64_t before = s->ts.bytes;

		mpegts_feed(&s->ts, payload, h.payload_len);
		s->interval_ts_bytes += s->ts.bytes - before;
	}
}

/* The longest gap is kept per interval; the interval rolls over on the datagram that comes
 * after its end, in the worker, so the control plane never writes here. */
static void track_time(struct stream *s, uint64_t now_ns)
{
	uint64_t gap = 0;

	if (!s->have_last) {
		s->have_last = true;
		s->interval_start_ns = now_ns;
	} else if (now_ns > s->last_ns) {
		gap = now_ns - s->last_ns;
	}
	s->last_ns = now_ns;

	if (now_ns < s->interval_start_ns) {
		/* the clock went back (it does not with CLOCK_MONOTONIC): start over */
		s->interval_start_ns = now_ns;
	} else if (now_ns - s->interval_start_ns >= s->config.interval_ns) {
		uint64_t elapsed = now_ns - s->interval_start_ns;

		s->prev_max_gap_ns = s->interval_max_gap_ns;
		s->ts_bitrate = (uint64_t)((double)s->interval_ts_bytes * 8 * 1e9 / (double)elapsed);
		s->interval_max_gap_ns = 0;
		s->interval_ts_bytes = 0;
		s->interval_start_ns = now_ns;
	}
	if (gap > s->interval_max_gap_ns)
		s->interval_max_gap_ns = gap;
}

void stream_feed(struct stream *s, const uint8_t *buf, size_t len, uint64_t now_ns)
{
	s->datagrams++;
	s->bytes += len;
	track_time(s, now_ns);

	if (s->detected == STREAM_FORMAT_AUTO) {
		detect(s, buf, len);
		if (s->detected == STREAM_FORMAT_AUTO)
			return;
	}
	switch (s->detected) {
	case STREAM_FORMAT_NONE:
		break;
	case STREAM_FORMAT_RTP:
		feed_rtp(s, buf, len, now_ns);
		break;
	case STREAM_FORMAT_TS: {
		uint64_t before = s->ts.bytes;

		mpegts_feed(&s->ts, buf, len);
		s->interval_ts_bytes += s->ts.bytes - before;
		break;
	}
	case STREAM_FORMAT_AUTO:
	case _STREAM_FORMAT_MAX:
	case _STREAM_FORMAT_INVALID:
		break;
	}
}

void stream_snapshot(const struct stream *s, uint64_t now_ns, struct stream_counters *ret)
{
	struct stream_counters c = {
		.format = s->config.format,
		.detected = s->detected,
		.rtp_ts = s->rtp_ts,
		.datagrams = s->datagrams,
		.bytes = s->bytes,
		.rtp_packets = s->rtp_packets,
		.rtp_errors = s->rtp_errors,
		.rtp_lost = s->rtp_lost_before,
		.rtp_duplicates = s->rtp_duplicates_before,
		.rtp_reordered = s->rtp_reordered_before,
		.rtp_ssrc_changes = s->rtp_ssrc_changes,
		.rtp_resyncs = s->rtp_resyncs_before,
		.ts_packets = s->ts.packets,
		.ts_sync_errors = s->ts.sync_errors,
		.ts_cc_errors = s->ts.cc_errors,
		.ts_duplicates = s->ts.duplicates,
		.ts_discontinuities = s->ts.discontinuities,
		.ts_transport_errors = s->ts.transport_errors,
		.ts_length_errors = s->ts.length_errors,
		.ts_null_packets = s->ts.null_packets,
		.ts_pids = s->ts.pids_seen,
		.ts_n_error_pids = s->ts.n_error_pids,
		.ts_bitrate = s->ts_bitrate,
	};
	uint64_t gap;

	memcpy(c.ts_error_pids, s->ts.error_pids, sizeof(c.ts_error_pids));
	if (s->have_source) {
		c.rtp_ssrc = s->rtp.ssrc;
		c.rtp_lost += rtp_source_lost(&s->rtp);
		c.rtp_duplicates += s->rtp.duplicates;
		c.rtp_reordered += s->rtp.reordered;
		c.rtp_resyncs += s->rtp.resyncs;
		c.jitter_ms = s->rtp.jitter_ns / 1e6;
	}
	if (s->have_last) {
		gap = now_ns > s->last_ns ? now_ns - s->last_ns : 0;
		c.max_gap_ns = s->prev_max_gap_ns;
		if (s->interval_max_gap_ns > c.max_gap_ns)
			c.max_gap_ns = s->interval_max_gap_ns;
		if (gap > c.max_gap_ns)
			c.max_gap_ns = gap;
		c.on_air = gap <= s->config.stall_timeout_ns;
	}
	*ret = c;
}
