/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTP (RFC 3550) for the stream-analysis stage of the data plane: the fixed header with exact
 * length checks, and the per-source receiver state of RFC 3550 appendix A.1 (sequence numbers
 * with 16-bit wrap, probation, MAX_DROPOUT / MAX_MISORDER) and section 6.4.1 (interarrival
 * jitter). No allocation, no logging, no locks: a worker owns the state and only counts.
 */
#ifndef IPV4OPTD_STREAM_RTP_H
#define IPV4OPTD_STREAM_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_VERSION 2
#define RTP_HEADER_LEN 12      /* the fixed header, RFC 3550 5.1 */
#define RTP_PT_MP2T 33         /* MPEG-TS over RTP, RFC 2250 / RFC 3551 table 5 */
#define RTP_CLOCK_RATE_DEFAULT 90000
#define RTP_CLOCK_RATE_MIN 1000
#define RTP_CLOCK_RATE_MAX 10000000

/* RFC 3550 appendix A.1 */
#define RTP_MIN_SEQUENTIAL 2
#define RTP_MAX_DROPOUT 3000
#define RTP_MAX_MISORDER 100
#define RTP_SEQ_MOD (1u << 16)

struct rtp_header {
	uint8_t version;
	bool padding;
	bool extension;
	uint8_t csrc_count;
	bool marker;
	uint8_t payload_type;
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
	/* where the payload is in the datagram: after the CSRC list and the extension header,
	 * before the padding */
	size_t payload_offset;
	size_t payload_len;
	size_t padding_len;
};

/*
 * Parses the RTP header at the start of a datagram of len bytes.
 * Returns 0 and fills *ret; -EBADMSG when the datagram is shorter than what the header says
 * it holds (fixed header, CSRC list, extension header and its length, padding count larger
 * than what is left or zero); -EPROTONOSUPPORT when the version is not 2.
 */
int rtp_header_parse(const uint8_t *buf, size_t len, struct rtp_header *ret);

/* One RTP source (one SSRC) as a receiver sees it. */
struct rtp_source {
	/* RFC 3550 A.1 */
	uint32_t ssrc;
	uint16_t max_seq;    /* highest sequence number seen */
	uint64_t cycles;     /* shifted count of sequence number cycles */
	uint32_t base_seq;   /* base sequence number */
	uint32_t bad_seq;    /* last 'bad' sequence number + 1 */
	uint32_t probation;  /* sequential packets till the source is valid */
	uint64_t received;   /* distinct packets received since the last init_seq() */
	/* which of max_seq, max_seq - 1, ..., max_seq - 127 arrived (bit i: max_seq - i): tells a
	 * duplicate from a late packet anywhere within MAX_MISORDER */
	uint64_t window[2];
	/* RFC 3550 6.4.1, kept in nanoseconds */
	bool have_transit;
	uint64_t last_arrival_ns;
	uint32_t last_timestamp;
	double jitter_ns;
	/* counters since the source was first seen, across resynchronisations */
	uint64_t lost_before;   /* lost before the last resynchronisation */
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t resyncs;       /* restarts after a jump of more than MAX_DROPOUT (A.1 bad_seq) */
	uint64_t probation_drops; /* packets not counted while on probation */
};

/* Starts a source at its first packet (A.1: init_seq with probation). */
void rtp_source_init(struct rtp_source *s, uint32_t ssrc, uint16_t seq);

enum rtp_update {
	RTP_UPDATE_NEW,        /* counted: in order or after a gap */
	RTP_UPDATE_LATE,       /* counted: arrived after a later one (reordered) */
	RTP_UPDATE_DUPLICATE,  /* not counted: already received */
	RTP_UPDATE_PROBATION,  /* not counted: the source is not valid yet */
	RTP_UPDATE_BAD,        /* not counted: a jump of more than MAX_DROPOUT, resync pending */
};

/*
 * Feeds one packet of the source (same SSRC) that arrived at arrival_ns; clock_rate is the
 * RTP clock in Hz (RTP_CLOCK_RATE_MIN..MAX). Updates sequence state, counters and jitter.
 */
enum rtp_update rtp_source_update(struct rtp_source *s, const struct rtp_header *h,
				  uint64_t arrival_ns, uint32_t clock_rate);

/* Packets expected (A.3: extended highest sequence number - base + 1) and lost since the
 * source was first seen; lost never counts a packet that arrived, late or not. */
uint64_t rtp_source_expected(const struct rtp_source *s);
uint64_t rtp_source_lost(const struct rtp_source *s);

#endif
