/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stream analysers (src/ipv4optd/stream/) on crafted datagrams: the RTP header's length
 * checks, RFC 3550 A.1 sequence tracking (wrap, gaps, reordering, duplicates, SSRC changes,
 * resynchronisation), 6.4.1 jitter against a worked example, ISO/IEC 13818-1 continuity
 * counters (adaptation-field-only packets, the discontinuity flag, the one duplicate, the null
 * PID), sync errors, format detection, gaps and on air.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4optd/stream/stream.h"

#define MS UINT64_C(1000000)
#define SSRC_A 0x11223344u
#define SSRC_B 0x55667788u

/* --- crafting ------------------------------------------------------------------------------ */

enum afc {
	AFC_PAYLOAD = 1,  /* '01' */
	AFC_AF_ONLY = 2,  /* '10' */
	AFC_AF_PAYLOAD = 3, /* '11' */
};

/* One 188-byte TS packet of pid with counter cc; discontinuity sets the adaptation field's
 * discontinuity_indicator (which needs an adaptation field). */
static void ts_packet(uint8_t *p, unsigned int pid, enum afc afc, unsigned int cc,
		      bool discontinuity)
{
	memset(p, 0xff, MPEGTS_PACKET_LEN);
	p[0] = MPEGTS_SYNC_BYTE;
	p[1] = (uint8_t)(pid >> 8 & 0x1f);
	p[2] = (uint8_t)pid;
	p[3] = (uint8_t)(afc << 4 | (cc & 0x0f));
	if (afc & 2) {
		p[4] = afc == AFC_AF_ONLY ? 183 : 1;
		p[5] = discontinuity ? 0x80 : 0x00;
	}
}

static void feed_ts(struct mpegts *ts, unsigned int pid, enum afc afc, unsigned int cc,
		    bool discontinuity)
{
	uint8_t p[MPEGTS_PACKET_LEN];

	ts_packet(p, pid, afc, cc, discontinuity);
	mpegts_feed(ts, p, sizeof(p));
}

/* An RTP datagram (no CSRC, no extension, no padding) with payload_len bytes of payload. */
static size_t rtp_packet(uint8_t *buf, uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t pt,
			 const uint8_t *payload, size_t payload_len)
{
	buf[0] = 0x80;
	buf[1] = pt;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
	if (payload_len)
		memcpy(buf + RTP_HEADER_LEN, payload, payload_len);
	return RTP_HEADER_LEN + payload_len;
}

static void init_stream(struct stream *s, enum stream_format f)
{
	struct stream_config c = { .format = f };

	ck_assert_int_eq(stream_init(s, &c), 0);
}

/* An RTP datagram of PT 96 with a 160-byte payload (not TS) into the stream. */
static void feed_rtp(struct stream *s, uint16_t seq, uint32_t ssrc, uint64_t now)
{
	uint8_t buf[RTP_HEADER_LEN + 160], payload[160];

	memset(payload, 0xd5, sizeof(payload));
	stream_feed(s, buf, rtp_packet(buf, seq, seq * 160u, ssrc, 96, payload, sizeof(payload)),
		    now);
}

static struct stream_counters snap(const struct stream *s, uint64_t now)
{
	struct stream_counters c;

	stream_snapshot(s, now, &c);
	return c;
}

/* Streams are 16 KiB+: static, as a worker would embed them, not on Check's stack. */
static struct stream st;

/* --- RTP header ---------------------------------------------------------------------------- */

START_TEST(test_rtp_parse_lengths)
{
	uint8_t b[64] = { 0 };
	struct rtp_header h;

	rtp_packet(b, 0x1234, 0xdeadbeef, SSRC_A, 33, NULL, 0);
	ck_assert_int_eq(rtp_header_parse(b, 12, &h), 0);
	ck_assert_uint_eq(h.seq, 0x1234);
	ck_assert_uint_eq(h.timestamp, 0xdeadbeef);
	ck_assert_uint_eq(h.ssrc, SSRC_A);
	ck_assert_uint_eq(h.payload_type, 33);
	ck_assert_uint_eq(h.payload_offset, 12);
	ck_assert_uint_eq(h.payload_len, 0);
	ck_assert_int_eq(rtp_header_parse(b, 11, &h), -EBADMSG);
	ck_assert_int_eq(rtp_header_parse(b, 0, &h), -EBADMSG);

	/* two CSRCs: 8 more bytes, exactly */
	b[0] = 0x82;
	ck_assert_int_eq(rtp_header_parse(b, 19, &h), -EBADMSG);
	ck_assert_int_eq(rtp_header_parse(b, 20, &h), 0);
	ck_assert_uint_eq(h.csrc_count, 2);
	ck_assert_uint_eq(h.payload_offset, 20);

	/* an extension header of one word after the CSRCs: 4 + 4 bytes */
	b[0] = 0x92;
	b[20] = 0xbe;
	b[21] = 0xde;
	b[22] = 0;
	b[23] = 1;
	ck_assert_int_eq(rtp_header_parse(b, 23, &h), -EBADMSG);
	ck_assert_int_eq(rtp_header_parse(b, 27, &h), -EBADMSG);
	ck_assert_int_eq(rtp_header_parse(b, 28, &h), 0);
	ck_assert(h.extension);
	ck_assert_uint_eq(h.payload_offset, 28);
	ck_assert_uint_eq(h.payload_len, 0);

	/* padding: the last byte counts the padding, itself included */
	b[0] = 0xa0;
	b[15] = 4;
	ck_assert_int_eq(rtp_header_parse(b, 16, &h), 0);
	ck_assert_uint_eq(h.payload_offset, 12);
	ck_assert_uint_eq(h.payload_len, 0);
	ck_assert_uint_eq(h.padding_len, 4);
	b[15] = 5; /* more than follows the header */
	ck_assert_int_eq(rtp_header_parse(b, 16, &h), -EBADMSG);
	b[15] = 0; /* a count of zero cannot be: it counts itself */
	ck_assert_int_eq(rtp_header_parse(b, 16, &h), -EBADMSG);
	ck_assert_int_eq(rtp_header_parse(b, 12, &h), -EBADMSG); /* no byte for the count */
	b[15] = 1;
	ck_assert_int_eq(rtp_header_parse(b, 16, &h), 0);
	ck_assert_uint_eq(h.payload_len, 3);

	/* versions 0, 1, 3 */
	for (unsigned int v = 0; v < 4; v++) {
		if (v == RTP_VERSION)
			continue;
		b[0] = (uint8_t)(v << 6);
		ck_assert_int_eq(rtp_header_parse(b, 12, &h), -EPROTONOSUPPORT);
	}
}
END_TEST

/* --- RTP sequence (RFC 3550 A.1) ---------------------------------------------------------- */

START_TEST(test_rtp_wrap)
{
	struct stream_counters c;

	init_stream(&st, STREAM_FORMAT_RTP);
	/* 65533 starts probation, 65534 makes the source valid (base), then across the wrap */
	for (uint32_t i = 0; i < 8; i++)
		feed_rtp(&st, (uint16_t)(65533 + i), SSRC_A, i * 20 * MS);
	c = snap(&st, 140 * MS);
	ck_assert_uint_eq(c.rtp_packets, 8);
	ck_assert_uint_eq(rtp_source_expected(&st.rtp), 7); /* 65534, 65535, 0, 1, 2, 3, 4 */
	ck_assert_uint_eq(c.rtp_lost, 0);
	ck_assert_uint_eq(c.rtp_reordered, 0);
	ck_assert_uint_eq(c.rtp_duplicates, 0);
	ck_assert_uint_eq(c.rtp_resyncs, 0);
	ck_assert_uint_eq(st.rtp.cycles, RTP_SEQ_MOD);

	/* a gap across the next wrap is counted too: ...65534, [65535, 0, 1 lost], 2 */
	init_stream(&st, STREAM_FORMAT_RTP);
	feed_rtp(&st, 65532, SSRC_A, 0);
	feed_rtp(&st, 65533, SSRC_A, 1 * MS);
	feed_rtp(&st, 65534, SSRC_A, 2 * MS);
	feed_rtp(&st, 2, SSRC_A, 3 * MS);
	c = snap(&st, 3 * MS);
	ck_assert_uint_eq(c.rtp_lost, 3);
	ck_assert_uint_eq(c.rtp_reordered, 0);
}
END_TEST

START_TEST(test_rtp_gap_lost_exactly)
{
	struct stream_counters c;
	uint64_t t = 0;

	init_stream(&st, STREAM_FORMAT_RTP);
	/* 1000 datagrams from 100, every 50th dropped (as the lab's nftables rule will) */
	for (uint32_t seq = 100; seq < 1100; seq++, t += MS)
		if (seq % 50 != 0)
			feed_rtp(&st, (uint16_t)seq, SSRC_A, t);
	c = snap(&st, t);
	/* 150, 200, ..., 1050 (100 is the first one, dropped before the stream started) */
	ck_assert_uint_eq(c.rtp_lost, 19);
	ck_assert_uint_eq(c.rtp_duplicates, 0);
	ck_assert_uint_eq(c.rtp_reordered, 0);

	/* a late arrival of a datagram counted as lost takes it back */
	feed_rtp(&st, 1050, SSRC_A, t);
	c = snap(&st, t);
	ck_assert_uint_eq(c.rtp_lost, 18);
	ck_assert_uint_eq(c.rtp_reordered, 1);
}
END_TEST

START_TEST(test_rtp_reordering)
{
	static const uint16_t order[] = { 1, 2, 3, 5, 4, 6, 9, 7, 8, 10 };
	struct stream_counters c;

	init_stream(&st, STREAM_FORMAT_RTP);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		feed_rtp(&st, order[i], SSRC_A, i * MS);
	c = snap(&st, 10 * MS);
	ck_assert_uint_eq(c.rtp_reordered, 3); /* 4, 7, 8 */
	ck_assert_uint_eq(c.rtp_lost, 0);
	ck_assert_uint_eq(c.rtp_duplicates, 0);

	/* late across the wrap: 65535 after 0 */
	init_stream(&st, STREAM_FORMAT_RTP);
	feed_rtp(&st, 65533, SSRC_A, 0);
	feed_rtp(&st, 65534, SSRC_A, 1 * MS);
	feed_rtp(&st, 0, SSRC_A, 2 * MS);
	c = snap(&st, 2 * MS);
	ck_assert_uint_eq(c.rtp_lost, 1);
	feed_rtp(&st, 65535, SSRC_A, 3 * MS);
	feed_rtp(&st, 1, SSRC_A, 4 * MS);
	c = snap(&st, 4 * MS);
	ck_assert_uint_eq(c.rtp_lost, 0);
	ck_assert_uint_eq(c.rtp_reordered, 1);
	ck_assert_uint_eq(c.rtp_duplicates, 0);
}
END_TEST

START_TEST(test_rtp_duplicates)
{
	static const uint16_t order[] = { 1, 2, 3, 3, 2, 4, 4, 5 };
	struct stream_counters c;

	init_stream(&st, STREAM_FORMAT_RTP);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		feed_rtp(&st, order[i], SSRC_A, i * MS);
	c = snap(&st, 8 * MS);
	ck_assert_uint_eq(c.rtp_duplicates, 3); /* 3, 2, 4 again */
	ck_assert_uint_eq(c.rtp_reordered, 0);
	ck_assert_uint_eq(c.rtp_lost, 0);

	/* a duplicate of a late packet, 99 behind (the edge of MAX_MISORDER), is still told */
	init_stream(&st, STREAM_FORMAT_RTP);
	for (uint16_t seq = 1; seq <= 200; seq++)
		if (seq != 101)
			feed_rtp(&st, seq, SSRC_A, seq * MS);
	ck_assert_uint_eq(snap(&st, 0).rtp_lost, 1);
	feed_rtp(&st, 101, SSRC_A, 201 * MS);
	feed_rtp(&st, 101, SSRC_A, 202 * MS);
	c = snap(&st, 202 * MS);
	ck_assert_uint_eq(c.rtp_lost, 0);
	ck_assert_uint_eq(c.rtp_reordered, 1);
	ck_assert_uint_eq(c.rtp_duplicates, 1);
}
END_TEST

START_TEST(test_rtp_ssrc_change)
{
	struct stream_counters c;

	init_stream(&st, STREAM_FORMAT_RTP);
	/* A: 1..10 with 6 lost */
	for (uint16_t seq = 1; seq <= 10; seq++)
		if (seq != 6)
			feed_rtp(&st, seq, SSRC_A, seq * MS);
	/* B takes over with its own sequence space: no loss from the jump, one change */
	for (uint16_t seq = 40000; seq < 40010; seq++)
		feed_rtp(&st, seq, SSRC_B, (uint64_t)(seq - 39980) * MS);
	c = snap(&st, 30 * MS);
	ck_assert_uint_eq(c.rtp_ssrc_changes, 1);
	ck_assert_uint_eq(c.rtp_ssrc, SSRC_B);
	ck_assert_uint_eq(c.rtp_lost, 1);
	ck_assert_uint_eq(c.rtp_reordered, 0);
	ck_assert_uint_eq(c.rtp_duplicates, 0);
	ck_assert_uint_eq(c.rtp_resyncs, 0);

	/* back to A: a second change */
	feed_rtp(&st, 11, SSRC_A, 31 * MS);
	ck_assert_uint_eq(snap(&st, 31 * MS).rtp_ssrc_changes, 2);
}
END_TEST

START_TEST(test_rtp_resync)
{
	struct stream_counters c;
	uint16_t seq;

	init_stream(&st, STREAM_FORMAT_RTP);
	for (seq = 1; seq <= 5; seq++)
		feed_rtp(&st, seq, SSRC_A, seq * MS);
	/* one jump of more than MAX_DROPOUT is not believed ... */
	feed_rtp(&st, 20000, SSRC_A, 6 * MS);
	c = snap(&st, 6 * MS);
	ck_assert_uint_eq(c.rtp_lost, 0);
	ck_assert_uint_eq(c.rtp_resyncs, 0);
	feed_rtp(&st, 6, SSRC_A, 7 * MS);
	/* ... two in sequence restart the count there (A.1 bad_seq) */
	feed_rtp(&st, 30000, SSRC_A, 8 * MS);
	feed_rtp(&st, 30001, SSRC_A, 9 * MS);
	feed_rtp(&st, 30003, SSRC_A, 10 * MS);
	c = snap(&st, 10 * MS);
	ck_assert_uint_eq(c.rtp_resyncs, 1);
	ck_assert_uint_eq(c.rtp_lost, 1); /* 30002 */
}
END_TEST

/*
 * RFC 3550 6.4.1 worked by hand. Clock 90 kHz; timestamps 1800 apart are 20 ms apart.
 * D(i-1,i) = (R_i - R_i-1) - (S_i - S_i-1), J += (|D| - J) / 16, here in milliseconds:
 *
 *   pkt  seq  timestamp  arrival (ms)  D (ms)               J (ms)
 *   0    10        0        0          -  (probation)       0
 *   1    11     1800       20          -  (first counted)   0
 *   2    12     3600       41.6        21.6 - 20 =  1.6     0 + (1.6 - 0) / 16 = 0.1
 *   3    13     5400       60          18.4 - 20 = -1.6     0.1 + (1.6 - 0.1) / 16 = 0.19375
 *   4    14     7200       80          20 - 20   =  0       0.19375 - 0.19375 / 16 = 0.181640625
 *   5    15     7200       80.8        0.8 - 0   =  0.8     0.181640625 + (0.8 - 0.181640625) / 16
 *                                                           = 0.181640625 + 0.0386474609375
 *                                                           = 0.2202880859375
 * (packet 5 is a second packet of the same video frame: same timestamp). In RTP timestamp
 * units, as RTCP reports it, that is 0.2202880859375 ms x 90 = 19.83 ticks.
 */
START_TEST(test_rtp_jitter_worked_example)
{
	static const struct {
		uint16_t seq;
		uint32_t ts;
		uint64_t arrival_us;
		double jitter_ms;
	} pkt[] = {
		{ 10, 0, 0, 0 },
		{ 11, 1800, 20000, 0 },
		{ 12, 3600, 41600, 0.1 },
		{ 13, 5400, 60000, 0.19375 },
		{ 14, 7200, 80000, 0.181640625 },
		{ 15, 7200, 80800, 0.2202880859375 },
	};
	uint8_t buf[RTP_HEADER_LEN];
	struct stream_counters c;

	init_stream(&st, STREAM_FORMAT_RTP);
	for (size_t i = 0; i < sizeof(pkt) / sizeof(pkt[0]); i++) {
		stream_feed(&st, buf, rtp_packet(buf, pkt[i].seq, pkt[i].ts, SSRC_A, 96, NULL, 0),
			    pkt[i].arrival_us * 1000);
		c = snap(&st, pkt[i].arrival_us * 1000);
		ck_assert_double_eq_tol(c.jitter_ms, pkt[i].jitter_ms, 1e-12);
	}

	/* the same stream at an 8 kHz clock: timestamps 160 apart are 20 ms apart */
	struct stream_config cfg = { .format = STREAM_FORMAT_RTP, .clock_rate = 8000 };

	ck_assert_int_eq(stream_init(&st, &cfg), 0);
	for (size_t i = 0; i < sizeof(pkt) / sizeof(pkt[0]); i++)
		stream_feed(&st, buf,
			    rtp_packet(buf, pkt[i].seq, pkt[i].ts / 1800 * 160, SSRC_A, 0, NULL, 0),
			    pkt[i].arrival_us * 1000);
	ck_assert_double_eq_tol(snap(&st, 0).jitter_ms, 0.2202880859375, 1e-12);
}
END_TEST

/* --- MPEG-TS continuity (ISO/IEC 13818-1 2.4.3.3) ----------------------------------------- */

static struct mpegts ts;

START_TEST(test_ts_cc_in_order_and_wrap)
{
	mpegts_init(&ts);
	for (unsigned int i = 0; i < 40; i++)
		feed_ts(&ts, 0x100, AFC_PAYLOAD, i % 16, false);
	ck_assert_uint_eq(ts.cc_errors, 0);
	ck_assert_uint_eq(ts.packets, 40);
	ck_assert_uint_eq(ts.pids_seen, 1);
	/* 39 % 16 = 7 was last; 9 skips 8 */
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 9, false);
	ck_assert_uint_eq(ts.cc_errors, 1);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 10, false);
	ck_assert_uint_eq(ts.cc_errors, 1);
	/* each PID has its own counter */
	feed_ts(&ts, 0x101, AFC_PAYLOAD, 3, false);
	feed_ts(&ts, 0x101, AFC_PAYLOAD, 4, false);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 11, false);
	ck_assert_uint_eq(ts.cc_errors, 1);
	ck_assert_uint_eq(ts.pids_seen, 2);
}
END_TEST

/* Continuity errors per PID: the first MPEGTS_ERROR_PIDS PIDs in error, in that order, each with
 * its count; later PIDs only in the total. */
START_TEST(test_ts_error_pids)
{
	mpegts_init(&ts);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 0, false);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 5, false); /* error on 0x100 */
	feed_ts(&ts, 0x101, AFC_PAYLOAD, 0, false);
	feed_ts(&ts, 0x101, AFC_PAYLOAD, 1, false); /* in order: none */
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 9, false); /* error on 0x100 again */
	feed_ts(&ts, 0x101, AFC_PAYLOAD, 3, false); /* error on 0x101 */
	ck_assert_uint_eq(ts.cc_errors, 3);
	ck_assert_uint_eq(ts.n_error_pids, 2);
	ck_assert_uint_eq(ts.error_pids[0].pid, 0x100);
	ck_assert_uint_eq(ts.error_pids[0].cc_errors, 2);
	ck_assert_uint_eq(ts.error_pids[1].pid, 0x101);
	ck_assert_uint_eq(ts.error_pids[1].cc_errors, 1);
	/* a third copy is an error of its PID too */
	feed_ts(&ts, 0x101, AFC_PAYLOAD, 3, false);
	feed_ts(&ts, 0x101, AFC_PAYLOAD, 3, false);
	ck_assert_uint_eq(ts.error_pids[1].cc_errors, 2);
	/* ten more PIDs in error: the table holds the first 8 */
	for (unsigned int pid = 0x200; pid < 0x20a; pid++) {
		feed_ts(&ts, pid, AFC_PAYLOAD, 0, false);
		feed_ts(&ts, pid, AFC_PAYLOAD, 2, false);
	}
	ck_assert_uint_eq(ts.cc_errors, 14);
	ck_assert_uint_eq(ts.n_error_pids, MPEGTS_ERROR_PIDS);
	ck_assert_uint_eq(ts.error_pids[MPEGTS_ERROR_PIDS - 1].pid, 0x205);
	/* the stream's counters carry the table */
	init_stream(&st, STREAM_FORMAT_TS);
	{
		uint8_t p[2 * MPEGTS_PACKET_LEN];
		struct stream_counters c;

		ts_packet(p, 0x42, AFC_PAYLOAD, 0, false);
		ts_packet(p + MPEGTS_PACKET_LEN, 0x42, AFC_PAYLOAD, 7, false);
		stream_feed(&st, p, sizeof(p), 1000);
		c = snap(&st, 1000);
		ck_assert_uint_eq(c.ts_cc_errors, 1);
		ck_assert_uint_eq(c.ts_n_error_pids, 1);
		ck_assert_uint_eq(c.ts_error_pids[0].pid, 0x42);
		ck_assert_uint_eq(c.ts_error_pids[0].cc_errors, 1);
	}
}
END_TEST

START_TEST(test_ts_cc_adaptation_field_only)
{
	mpegts_init(&ts);
	/* '10' packets (a PCR, no payload) do not increment: 0, AF, 1, AF, AF, 2, '11' 3 */
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 0, false);
	feed_ts(&ts, 0x100, AFC_AF_ONLY, 0, false);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 1, false);
	feed_ts(&ts, 0x100, AFC_AF_ONLY, 1, false);
	feed_ts(&ts, 0x100, AFC_AF_ONLY, 1, false);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 2, false);
	feed_ts(&ts, 0x100, AFC_AF_PAYLOAD, 3, false);
	ck_assert_uint_eq(ts.cc_errors, 0);
	ck_assert_uint_eq(ts.duplicates, 0); /* an AF-only packet is no duplicate either */
	/* had the '10' packets counted, 4 would follow 3 + 3: counting them would be an error
	 * here; and a lost payload packet is still seen across them */
	feed_ts(&ts, 0x100, AFC_AF_ONLY, 3, false);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 4, false);
	ck_assert_uint_eq(ts.cc_errors, 0);
	feed_ts(&ts, 0x100, AFC_AF_ONLY, 4, false);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 6, false); /* 5 lost */
	ck_assert_uint_eq(ts.cc_errors, 1);
	ck_assert_uint_eq(ts.packets, 11);
}
END_TEST

START_TEST(test_ts_discontinuity_indicator)
{
	mpegts_init(&ts);
	feed_ts(&ts, 0x200, AFC_PAYLOAD, 5, false);
	/* a jump to 9 flagged in the adaptation field: not an error, and 9 is the new count */
	feed_ts(&ts, 0x200, AFC_AF_PAYLOAD, 9, true);
	feed_ts(&ts, 0x200, AFC_PAYLOAD, 10, false);
	ck_assert_uint_eq(ts.cc_errors, 0);
	ck_assert_uint_eq(ts.discontinuities, 1);
	/* the same jump without the flag is one */
	feed_ts(&ts, 0x200, AFC_PAYLOAD, 12, false);
	ck_assert_uint_eq(ts.cc_errors, 1);
	/* the flag in an adaptation-field-only packet: its counter is the new one, not moved */
	feed_ts(&ts, 0x200, AFC_AF_ONLY, 2, true);
	feed_ts(&ts, 0x200, AFC_PAYLOAD, 3, false);
	ck_assert_uint_eq(ts.cc_errors, 1);
	ck_assert_uint_eq(ts.discontinuities, 2);
}
END_TEST

START_TEST(test_ts_duplicate_packet)
{
	mpegts_init(&ts);
	feed_ts(&ts, 0x300, AFC_PAYLOAD, 2, false);
	feed_ts(&ts, 0x300, AFC_PAYLOAD, 3, false);
	feed_ts(&ts, 0x300, AFC_PAYLOAD, 3, false); /* the one duplicate allowed */
	ck_assert_uint_eq(ts.cc_errors, 0);
	ck_assert_uint_eq(ts.duplicates, 1);
	feed_ts(&ts, 0x300, AFC_PAYLOAD, 3, false); /* a third copy is not */
	ck_assert_uint_eq(ts.cc_errors, 1);
	ck_assert_uint_eq(ts.duplicates, 1);
	feed_ts(&ts, 0x300, AFC_PAYLOAD, 4, false);
	feed_ts(&ts, 0x300, AFC_PAYLOAD, 4, false); /* after a new one, a duplicate again */
	feed_ts(&ts, 0x300, AFC_PAYLOAD, 5, false);
	ck_assert_uint_eq(ts.cc_errors, 1);
	ck_assert_uint_eq(ts.duplicates, 2);
}
END_TEST

START_TEST(test_ts_null_pid_ignored)
{
	mpegts_init(&ts);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 0, false);
	/* null packets carry any counter (Debian's ffmpeg writes 0 in every one) */
	for (unsigned int i = 0; i < 10; i++)
		feed_ts(&ts, MPEGTS_PID_NULL, AFC_PAYLOAD, (i * 7) % 16, false);
	for (unsigned int i = 0; i < 10; i++)
		feed_ts(&ts, MPEGTS_PID_NULL, AFC_PAYLOAD, 0, false);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 1, false);
	ck_assert_uint_eq(ts.cc_errors, 0);
	ck_assert_uint_eq(ts.duplicates, 0);
	ck_assert_uint_eq(ts.null_packets, 20);
	ck_assert_uint_eq(ts.pids_seen, 1);
	ck_assert_uint_eq(ts.packets, 22);
	ck_assert_uint_eq(ts.bytes, 22 * MPEGTS_PACKET_LEN); /* the bitrate counts them */
}
END_TEST

START_TEST(test_ts_sync_and_length_errors)
{
	uint8_t d[7 * MPEGTS_PACKET_LEN + 5];

	memset(d, 0, sizeof(d));
	mpegts_init(&ts);
	for (unsigned int i = 0; i < 7; i++)
		ts_packet(d + i * MPEGTS_PACKET_LEN, 0x100, AFC_PAYLOAD, i, false);
	d[2 * MPEGTS_PACKET_LEN] = 0x46;
	d[5 * MPEGTS_PACKET_LEN] = 0x00;
	mpegts_feed(&ts, d, 7 * MPEGTS_PACKET_LEN);
	ck_assert_uint_eq(ts.sync_errors, 2);
	ck_assert_uint_eq(ts.packets, 5);
	ck_assert_uint_eq(ts.cc_errors, 2); /* 2 and 5 were not read: 3 and 6 follow a gap */
	ck_assert_uint_eq(ts.length_errors, 0);
	ck_assert(!mpegts_probe(d, 7 * MPEGTS_PACKET_LEN));

	/* a tail that is not a whole packet */
	mpegts_init(&ts);
	d[2 * MPEGTS_PACKET_LEN] = MPEGTS_SYNC_BYTE;
	d[5 * MPEGTS_PACKET_LEN] = MPEGTS_SYNC_BYTE;
	ck_assert(mpegts_probe(d, 7 * MPEGTS_PACKET_LEN));
	ck_assert(!mpegts_probe(d, sizeof(d)));
	ck_assert(!mpegts_probe(d, 0));
	mpegts_feed(&ts, d, sizeof(d));
	ck_assert_uint_eq(ts.packets, 7);
	ck_assert_uint_eq(ts.length_errors, 1);
	ck_assert_uint_eq(ts.sync_errors, 0);
	ck_assert_uint_eq(ts.cc_errors, 0);

	/* transport_error_indicator: counted, the packet not used for continuity */
	mpegts_init(&ts);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 0, false);
	ts_packet(d, 0x100, AFC_PAYLOAD, 9, false);
	d[1] |= 0x80;
	mpegts_feed(&ts, d, MPEGTS_PACKET_LEN);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 1, false);
	ck_assert_uint_eq(ts.transport_errors, 1);
	ck_assert_uint_eq(ts.cc_errors, 0);
}
END_TEST

START_TEST(test_ts_reset_continuity)
{
	mpegts_init(&ts);
	/* 600 resets, past the epoch's wrap at 255 (where the table is cleared): after each,
	 * any counter starts the count again, and the one after it must follow */
	for (unsigned int i = 0; i < 600; i++) {
		feed_ts(&ts, 0x100, AFC_PAYLOAD, i * 5, false);
		feed_ts(&ts, 0x100, AFC_PAYLOAD, i * 5 + 1, false);
		feed_ts(&ts, 0x101, AFC_PAYLOAD, i * 3, false);
		ck_assert_uint_eq(ts.cc_errors, 0);
		mpegts_reset_continuity(&ts);
	}
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 7, false);
	feed_ts(&ts, 0x100, AFC_PAYLOAD, 9, false);
	ck_assert_uint_eq(ts.cc_errors, 1);
	ck_assert_uint_eq(ts.pids_seen, 2); /* PIDs seen stay */
}
END_TEST

/* --- the stream: RTP with TS inside, detection, gaps, on air ------------------------------ */

/* An RTP datagram of 7 TS packets (1328 bytes), PIDs 0x100 x 6 and 0x101, counters from the
 * datagram's index n so that consecutive datagrams continue. */
static size_t rtp_ts_datagram(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t n)
{
	uint8_t payload[7 * MPEGTS_PACKET_LEN];

	for (unsigned int i = 0; i < 6; i++)
		ts_packet(payload + i * MPEGTS_PACKET_LEN, 0x100, AFC_PAYLOAD, n * 6 + i, false);
	ts_packet(payload + 6 * MPEGTS_PACKET_LEN, 0x101, AFC_PAYLOAD, n, false);
	return rtp_packet(buf, seq, n * 3003, SSRC_A, pt, payload, sizeof(payload));
}

START_TEST(test_stream_rtp_ts)
{
	uint8_t buf[1500];
	struct stream_counters c;
	size_t len;

	init_stream(&st, STREAM_FORMAT_RTP);
	for (uint32_t n = 0; n < 10; n++) {
		len = rtp_ts_datagram(buf, RTP_PT_MP2T, (uint16_t)(500 + n), n);
		ck_assert_uint_eq(len, 1328);
		stream_feed(&st, buf, len, n * MS);
		if (n == 4) /* an RTP duplicate is no TS error */
			stream_feed(&st, buf, len, n * MS);
	}
	c = snap(&st, 9 * MS);
	ck_assert(c.rtp_ts);
	ck_assert_uint_eq(c.rtp_duplicates, 1);
	ck_assert_uint_eq(c.ts_cc_errors, 0);
	ck_assert_uint_eq(c.ts_packets, 10 * 7);
	ck_assert_uint_eq(c.ts_pids, 2);
	ck_assert_uint_eq(c.rtp_lost, 0);

	/* a lost datagram: one RTP loss, one CC error on each of the two PIDs */
	stream_feed(&st, buf, rtp_ts_datagram(buf, RTP_PT_MP2T, 511, 11), 11 * MS);
	c = snap(&st, 11 * MS);
	ck_assert_uint_eq(c.rtp_lost, 1);
	ck_assert_uint_eq(c.ts_cc_errors, 2);

	/* a new SSRC (another encoder) starts the TS counters again: no CC error */
	len = rtp_ts_datagram(buf, RTP_PT_MP2T, 7, 3);
	buf[8] ^= 0xff; /* another SSRC */
	stream_feed(&st, buf, len, 12 * MS);
	c = snap(&st, 12 * MS);
	ck_assert_uint_eq(c.rtp_ssrc_changes, 1);
	ck_assert_uint_eq(c.ts_cc_errors, 2);
	ck_assert_uint_eq(c.rtp_lost, 1);
}
END_TEST

START_TEST(test_auto_detect)
{
	uint8_t buf[1500], payload[160];
	struct stream_counters c;

	/* RTP with PT 33: decided by the first datagram */
	init_stream(&st, STREAM_FORMAT_AUTO);
	ck_assert_int_eq(snap(&st, 0).detected, STREAM_FORMAT_AUTO);
	stream_feed(&st, buf, rtp_ts_datagram(buf, RTP_PT_MP2T, 1, 0), 0);
	c = snap(&st, 0);
	ck_assert_int_eq(c.format, STREAM_FORMAT_AUTO);
	ck_assert_int_eq(c.detected, STREAM_FORMAT_RTP);
	ck_assert(c.rtp_ts);
	ck_assert_uint_eq(c.ts_packets, 7); /* the deciding datagram is analysed */

	/* RTP with a dynamic payload type and TS inside: decided by the sync bytes */
	init_stream(&st, STREAM_FORMAT_AUTO);
	stream_feed(&st, buf, rtp_ts_datagram(buf, 96, 1, 0), 0);
	c = snap(&st, 0);
	ck_assert_int_eq(c.detected, STREAM_FORMAT_RTP);
	ck_assert(c.rtp_ts);

	/* plain TS: 0x47 at 0, 188, ... */
	init_stream(&st, STREAM_FORMAT_AUTO);
	for (unsigned int i = 0; i < 7; i++)
		ts_packet(buf + i * MPEGTS_PACKET_LEN, 0x100, AFC_PAYLOAD, i, false);
	stream_feed(&st, buf, 7 * MPEGTS_PACKET_LEN, 0);
	c = snap(&st, 0);
	ck_assert_int_eq(c.detected, STREAM_FORMAT_TS);
	ck_assert(!c.rtp_ts);
	ck_assert_uint_eq(c.ts_packets, 7);
	ck_assert_uint_eq(c.rtp_packets, 0);

	/* RTP of another payload (PCMU): two datagrams of one SSRC in sequence */
	init_stream(&st, STREAM_FORMAT_AUTO);
	memset(payload, 0xff, sizeof(payload));
	stream_feed(&st, buf, rtp_packet(buf, 7, 0, SSRC_A, 0, payload, sizeof(payload)), 0);
	ck_assert_int_eq(snap(&st, 0).detected, STREAM_FORMAT_AUTO);
	stream_feed(&st, buf, rtp_packet(buf, 8, 160, SSRC_A, 0, payload, sizeof(payload)), MS);
	c = snap(&st, MS);
	ck_assert_int_eq(c.detected, STREAM_FORMAT_RTP);
	ck_assert(!c.rtp_ts);
	ck_assert_uint_eq(c.ts_packets, 0);

	/* neither: auto gives up after STREAM_AUTO_DATAGRAMS */
	init_stream(&st, STREAM_FORMAT_AUTO);
	memset(buf, 0x5a, sizeof(buf));
	for (unsigned int i = 0; i < STREAM_AUTO_DATAGRAMS; i++) {
		ck_assert_int_eq(snap(&st, 0).detected, STREAM_FORMAT_AUTO);
		stream_feed(&st, buf, 100, i * MS);
	}
	c = snap(&st, 16 * MS);
	ck_assert_int_eq(c.detected, STREAM_FORMAT_NONE);
	ck_assert_uint_eq(c.datagrams, STREAM_AUTO_DATAGRAMS);
}
END_TEST

START_TEST(test_gap_on_air_bitrate)
{
	uint8_t buf[7 * MPEGTS_PACKET_LEN];
	struct stream_counters c;
	uint64_t t;

	init_stream(&st, STREAM_FORMAT_TS);
	c = snap(&st, 0);
	ck_assert(!c.on_air);
	ck_assert_uint_eq(c.max_gap_ns, 0);

	/* every 10 ms from 0 to 1000 ms, 40 ms silent from 300 ms */
	for (t = 0; t <= 1000 * MS; t += 10 * MS) {
		if (t > 300 * MS && t < 340 * MS)
			continue;
		for (unsigned int i = 0; i < 7; i++)
			ts_packet(buf + i * MPEGTS_PACKET_LEN, 0x100, AFC_PAYLOAD,
				  (unsigned int)(t / (10 * MS)) * 7 + i, false);
		stream_feed(&st, buf, sizeof(buf), t);
	}
	c = snap(&st, 1000 * MS);
	ck_assert(c.on_air);
	ck_assert_uint_eq(c.max_gap_ns, 40 * MS);
	/* the datagram at 1000 ms closed the first interval: 97 datagrams of 1316 bytes in 1 s */
	ck_assert_uint_eq(c.ts_bitrate, 97 * 1316 * 8);
	ck_assert_uint_eq(c.ts_cc_errors, 1); /* one PID, one jump over the silence */

	/* within the stall timeout (1 s): on air, the silence so far is the longest gap */
	c = snap(&st, 1900 * MS);
	ck_assert(c.on_air);
	ck_assert_uint_eq(c.max_gap_ns, 900 * MS);
	c = snap(&st, 2000 * MS);
	ck_assert(c.on_air);
	c = snap(&st, 2001 * MS);
	ck_assert(!c.on_air);

	/* back: on air again; the gap is the interval's until the next one closes */
	stream_feed(&st, buf, sizeof(buf), 2500 * MS);
	c = snap(&st, 2500 * MS);
	ck_assert(c.on_air);
	ck_assert_uint_eq(c.max_gap_ns, 1500 * MS);
	for (t = 2510 * MS; t <= 4000 * MS; t += 10 * MS)
		stream_feed(&st, buf, sizeof(buf), t);
	ck_assert_uint_eq(snap(&st, 4000 * MS).max_gap_ns, 1500 * MS); /* closed at 3500 ms */
	for (; t <= 4500 * MS; t += 10 * MS)
		stream_feed(&st, buf, sizeof(buf), t);
	ck_assert_uint_eq(snap(&st, 4500 * MS).max_gap_ns, 10 * MS); /* aged out at 4500 ms */

	/* a stall timeout of its own */
	struct stream_config cfg = { .format = STREAM_FORMAT_NONE, .stall_timeout_ns = 100 * MS };

	ck_assert_int_eq(stream_init(&st, &cfg), 0);
	stream_feed(&st, buf, 10, 0);
	ck_assert(snap(&st, 100 * MS).on_air);
	ck_assert(!snap(&st, 101 * MS).on_air);
	ck_assert_uint_eq(snap(&st, 0).ts_packets, 0); /* format none analyses nothing */
}
END_TEST

START_TEST(test_init_and_names)
{
	struct stream_config cfg = { .format = STREAM_FORMAT_RTP };

	ck_assert_int_eq(stream_init(&st, &cfg), 0);
	ck_assert_uint_eq(st.config.clock_rate, RTP_CLOCK_RATE_DEFAULT);
	ck_assert_uint_eq(st.config.stall_timeout_ns, STREAM_STALL_TIMEOUT_DEFAULT);
	cfg.clock_rate = RTP_CLOCK_RATE_MIN - 1;
	ck_assert_int_eq(stream_init(&st, &cfg), -EINVAL);
	cfg.clock_rate = RTP_CLOCK_RATE_MAX + 1;
	ck_assert_int_eq(stream_init(&st, &cfg), -EINVAL);
	cfg.clock_rate = 48000;
	cfg.interval_ns = STREAM_INTERVAL_MIN - 1;
	ck_assert_int_eq(stream_init(&st, &cfg), -EINVAL);
	cfg.interval_ns = 0;
	cfg.format = _STREAM_FORMAT_MAX;
	ck_assert_int_eq(stream_init(&st, &cfg), -EINVAL);

	for (int f = 0; f < _STREAM_FORMAT_MAX; f++)
		ck_assert_int_eq(stream_format_from_string(stream_format_to_string(f)), f);
	ck_assert_str_eq(stream_format_to_string(STREAM_FORMAT_AUTO), "auto");
	ck_assert_int_eq(stream_format_from_string("RTP"), _STREAM_FORMAT_INVALID);
	ck_assert_int_eq(stream_format_from_string(""), _STREAM_FORMAT_INVALID);
	ck_assert_int_eq(stream_format_from_string(NULL), _STREAM_FORMAT_INVALID);
	ck_assert_ptr_null(stream_format_to_string(_STREAM_FORMAT_MAX));
}
END_TEST

static Suite *stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *rtp = tcase_create("rtp");
	TCase *ts_case = tcase_create("mpegts");
	TCase *stream = tcase_create("stream");

	tcase_add_test(rtp, test_rtp_parse_lengths);
	tcase_add_test(rtp, test_rtp_wrap);
	tcase_add_test(rtp, test_rtp_gap_lost_exactly);
	tcase_add_test(rtp, test_rtp_reordering);
	tcase_add_test(rtp, test_rtp_duplicates);
	tcase_add_test(rtp, test_rtp_ssrc_change);
	tcase_add_test(rtp, test_rtp_resync);
	tcase_add_test(rtp, test_rtp_jitter_worked_example);
	suite_add_tcase(s, rtp);

	tcase_add_test(ts_case, test_ts_cc_in_order_and_wrap);
	tcase_add_test(ts_case, test_ts_cc_adaptation_field_only);
	tcase_add_test(ts_case, test_ts_error_pids);
	tcase_add_test(ts_case, test_ts_discontinuity_indicator);
	tcase_add_test(ts_case, test_ts_duplicate_packet);
	tcase_add_test(ts_case, test_ts_null_pid_ignored);
	tcase_add_test(ts_case, test_ts_sync_and_length_errors);
	tcase_add_test(ts_case, test_ts_reset_continuity);
	suite_add_tcase(s, ts_case);

	tcase_add_test(stream, test_stream_rtp_ts);
	tcase_add_test(stream, test_auto_detect);
	tcase_add_test(stream, test_gap_on_air_bitrate);
	tcase_add_test(stream, test_init_and_names);
	suite_add_tcase(s, stream);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stream_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
