/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the stream analysers (src/ipv4optd/stream/) on a sequence of arbitrary
 * datagrams, as a worker would feed them. The input is
 *   byte 0: bits 0-1 the format (none, rtp, ts, auto), bits 2-3 the RTP clock rate
 *           (90 kHz, 8 kHz, 48 kHz, 1 MHz), bit 4 a 1 ms interval instead of 1 s
 *   then records: 2 bytes length (big endian, cut to what is left), 2 bytes arrival time after
 *           the previous one in units of 16 us (0xffff: the clock goes back 1 s), the datagram.
 * Each datagram is copied to a buffer of exactly its length, so that any over-read is a
 * sanitizer report. After each one: counters never go back (rtp_lost may, when a late packet
 * arrives), what was analysed adds up, the RTP header's parts fill the datagram exactly, the
 * current source never received more than it expected, jitter is finite and not negative,
 * the detected format never changes once decided.
 */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "ipv4optd/stream/stream.h"

static const uint32_t clock_rates[] = { 90000, 8000, 48000, 1000000 };

/* counters that only count up */
#define MONOTONIC(X)                                                                          \
	X(datagrams) X(bytes) X(rtp_packets) X(rtp_errors) X(rtp_duplicates) X(rtp_reordered)   \
	X(rtp_ssrc_changes) X(rtp_resyncs) X(ts_packets) X(ts_sync_errors) X(ts_cc_errors)      \
	X(ts_duplicates) X(ts_discontinuities) X(ts_transport_errors) X(ts_length_errors)       \
	X(ts_null_packets) X(ts_pids)

static void check_header(const uint8_t *d, size_t len)
{
	struct rtp_header h;
	int r = rtp_header_parse(d, len, &h);

	if (r < 0) {
		fuzz_check(r == -EBADMSG || r == -EPROTONOSUPPORT);
		return;
	}
	fuzz_check(h.version == RTP_VERSION && len >= RTP_HEADER_LEN);
	fuzz_check(h.payload_offset >= RTP_HEADER_LEN + 4u * h.csrc_count + (h.extension ? 4 : 0));
	fuzz_check(h.payload_offset + h.payload_len + h.padding_len == len);
	fuzz_check(h.padding ? h.padding_len >= 1 && h.padding_len == d[len - 1] :
			       h.padding_len == 0);
	fuzz_check(h.seq == (d[2] << 8 | d[3]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stream s;
	struct stream_config cfg = { 0 };
	struct stream_counters before, after;
	uint64_t now = 1000 * STREAM_NSEC_PER_SEC, ts_slots = 0, fed = 0;
	enum stream_format decided = STREAM_FORMAT_AUTO;
	size_t off = 1;

	if (size < 1)
		return 0;
	cfg.format = (enum stream_format)(data[0] & 3);
	cfg.clock_rate = clock_rates[data[0] >> 2 & 3];
	cfg.interval_ns = data[0] & 0x10 ? STREAM_INTERVAL_MIN : 0;
	fuzz_check(stream_init(&s, &cfg) == 0);
	stream_snapshot(&s, now, &before);
	fuzz_check(!before.on_air && before.datagrams == 0);

	while (off + 4 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		unsigned int dt = (unsigned int)data[off + 2] << 8 | data[off + 3];
		uint8_t *d;

		off += 4;
		if (len > size - off)
			len = size - off;
		now = dt == 0xffff ? now - STREAM_NSEC_PER_SEC : now + dt * UINT64_C(16000);
		d = malloc(len ? len : 1);
		fuzz_check(d);
		memcpy(d, data + off, len);
		off += len;

		check_header(d, len);
		stream_feed(&s, d, len, now);
		stream_snapshot(&s, now, &after);
		fed++;

#define X(f) fuzz_check(after.f >= before.f);
		MONOTONIC(X)
#undef X
		fuzz_check(after.datagrams == fed);
		fuzz_check(after.rtp_packets + after.rtp_errors <= after.datagrams);
		fuzz_check(after.ts_pids < MPEGTS_PID_COUNT);
		fuzz_check(after.ts_packets * MPEGTS_PACKET_LEN <= after.bytes);
		fuzz_check(after.on_air);
		fuzz_check(isfinite(after.jitter_ms) && after.jitter_ms >= 0);
		fuzz_check(after.format == cfg.format);
		if (cfg.format != STREAM_FORMAT_AUTO)
			fuzz_check(after.detected == cfg.format);
		if (decided != STREAM_FORMAT_AUTO)
			fuzz_check(after.detected == decided);
		decided = after.detected;
		if (after.detected == STREAM_FORMAT_TS) {
			/* plain TS: every whole 188-byte slot is a packet or a sync error */
			if (before.detected == STREAM_FORMAT_TS)
				ts_slots += len / MPEGTS_PACKET_LEN;
			else
				ts_slots = after.ts_packets + after.ts_sync_errors;
			fuzz_check(after.ts_packets + after.ts_sync_errors == ts_slots);
		}
		if (s.have_source && !s.rtp.probation)
			fuzz_check(s.rtp.received <= rtp_source_expected(&s.rtp));
		if (after.detected == STREAM_FORMAT_NONE)
			fuzz_check(after.rtp_packets == 0 && after.ts_packets == 0);
		free(d);
		before = after;
	}
	return 0;
}
