/* SPDX-License-Identifier: BSD-3-Clause */
/* RTP header parsing and per-source receiver state (RFC 3550 5.1, 6.4.1, appendix A.1). */
#include <errno.h>
#include <string.h>

#include "rtp.h"

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int rtp_header_parse(const uint8_t *buf, size_t len, struct rtp_header *ret)
{
	struct rtp_header h = { 0 };
	size_t off, end = len;

	if (len < RTP_HEADER_LEN)
		return -EBADMSG;
	h.version = buf[0] >> 6;
	if (h.version != RTP_VERSION)
		return -EPROTONOSUPPORT;
	h.padding = buf[0] & 0x20;
	h.extension = buf[0] & 0x10;
	h.csrc_count = buf[0] & 0x0f;
	h.marker = buf[1] & 0x80;
	h.payload_type = buf[1] & 0x7f;
	h.seq = get_be16(buf + 2);
	h.timestamp = get_be32(buf + 4);
	h.ssrc = get_be32(buf + 8);

	/* 5.1: the CSRC list, 0 to 15 items of 32 bits */
	off = RTP_HEADER_LEN + 4 * (size_t)h.csrc_count;
	if (off > len)
		return -EBADMSG;
	/* 5.3.1: the extension header, 16 bits profile-defined, 16 bits length in 32-bit words
	 * not counting those four octets */
	if (h.extension) {
		if (off + 4 > len)
			return -EBADMSG;
		off += 4 + 4 * (size_t)get_be16(buf + off + 2);
		if (off > len)
			return -EBADMSG;
	}
	/* 5.1: the last octet of the padding counts the padding octets, itself included, so it
	 * is at least 1 and at most what follows the headers */
	if (h.padding) {
		if (off == len)
			return -EBADMSG;
		h.padding_len = buf[len - 1];
		if (h.padding_len == 0 || h.padding_len > len - off)
			return -EBADMSG;
		end = len - h.padding_len;
	}
	h.payload_offset = off;
	h.payload_len = end - off;
	*ret = h;
	return 0;
}

/* A.1 init_seq(): a (re)start of the sequence space at seq. */
static void init_seq(struct rtp_source *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->window[0] = 1; /* bit 0: max_seq itself */
	s->window[1] = 0;
	s->have_transit = false;
}

void rtp_source_init(struct rtp_source *s, uint32_t ssrc, uint16_t seq)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	init_seq(s, seq);
	/* A.1: the first packet is seq, so the one before is seq - 1 */
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = RTP_MIN_SEQUENTIAL;
	s->window[0] = 0;
}

uint64_t rtp_source_expected(const struct rtp_source *s)
{
	if (s->probation)
		return 0;
	/* A.3: extended_max - base_seq + 1 */
	return (uint64_t)s->cycles + s->max_seq - s->base_seq + 1;
}

static uint64_t lost_since_init(const struct rtp_source *s)
{
	uint64_t expected = rtp_source_expected(s);

	/* received counts distinct packets of [base_seq, extended max] only (see below), so it
	 * never exceeds expected; the test keeps that true whatever a peer sends */
	return expected > s->received ? expected - s->received : 0;
}

uint64_t rtp_source_lost(const struct rtp_source *s)
{
	return s->lost_before + lost_since_init(s);
}

/* The window slides forward by delta (1..MAX_DROPOUT) sequence numbers. */
static void window_advance(struct rtp_source *s, uint32_t delta)
{
	if (delta >= 128) {
		s->window[1] = 0;
		s->window[0] = 0;
	} else if (delta >= 64) {
		s->window[1] = s->window[0] << (delta - 64);
		s->window[0] = 0;
	} else {
		s->window[1] = s->window[1] << delta | (s->window[0] >> 1 >> (63 - delta));
		s->window[0] <<= delta;
	}
	s->window[0] |= 1;
}

/* Marks max_seq - back (0 < back < 128) received; false when it already was. */
static bool window_mark(struct rtp_source *s, uint32_t back)
{
	uint64_t *w = &s->window[back / 64];
	uint64_t bit = UINT64_C(1) << (back % 64);

	if (*w & bit)
		return false;
	*w |= bit;
	return true;
}

/* RFC 3550 6.4.1: D(i,j) = (Rj - Ri) - (Sj - Si), J += (|D(i,j)| - J) / 16, here with R and
 * S both in nanoseconds (S from the RTP timestamp at clock_rate), so J is in nanoseconds. */
static void jitter_update(struct rtp_source *s, const struct rtp_header *h, uint64_t arrival_ns,
			  uint32_t clock_rate)
{
	if (s->have_transit) {
		/* differences with wrap: both clocks are modular */
		int64_t dr = (int64_t)(arrival_ns - s->last_arrival_ns);
		int32_t ds = (int32_t)(h->timestamp - s->last_timestamp);
		double d = (double)dr - (double)ds * 1e9 / clock_rate;

		if (d < 0)
			d = -d;
		s->jitter_ns += (d - s->jitter_ns) / 16;
	}
	s->have_transit = true;
	s->last_arrival_ns = arrival_ns;
	s->last_timestamp = h->timestamp;
}

enum rtp_update rtp_source_update(struct rtp_source *s, const struct rtp_header *h,
				  uint64_t arrival_ns, uint32_t clock_rate)
{
	uint16_t seq = h->seq;
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	/* A.1: a source is valid after MIN_SEQUENTIAL packets in sequence */
	if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				jitter_update(s, h, arrival_ns, clock_rate);
				return RTP_UPDATE_NEW;
			}
		} else {
			s->probation = RTP_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		s->probation_drops++;
		return RTP_UPDATE_PROBATION;
	}

	if (udelta == 0) {
		s->duplicates++;
		return RTP_UPDATE_DUPLICATE;
	}
	if (udelta < RTP_MAX_DROPOUT) {
		/* in order, with a permissible gap */
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD; /* sequence number wrapped */
		s->max_seq = seq;
		window_advance(s, udelta);
		s->received++;
		jitter_update(s, h, arrival_ns, clock_rate);
		return RTP_UPDATE_NEW;
	}
	if (udelta <= RTP_SEQ_MOD - RTP_MAX_MISORDER) {
		/* A.1: the sequence number made a very large jump */
		if (seq == s->bad_seq) {
			/* two sequential packets: the source restarted without telling us */
			s->lost_before += lost_since_init(s);
			s->resyncs++;
			init_seq(s, seq);
			s->received++;
			jitter_update(s, h, arrival_ns, clock_rate);
			return RTP_UPDATE_NEW;
		}
		s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
		return RTP_UPDATE_BAD;
	}

	/* behind max_seq by back (1..MAX_MISORDER - 1): a duplicate or a late packet */
	uint32_t back = RTP_SEQ_MOD - udelta;

	if ((uint64_t)s->cycles + s->max_seq - s->base_seq < back) {
		/* older than the first packet counted: late, but outside what expected covers */
		s->reordered++;
		return RTP_UPDATE_LATE;
	}
	if (!window_mark(s, back)) {
		s->duplicates++;
		return RTP_UPDATE_DUPLICATE;
	}
	s->reordered++;
	s->received++;
	jitter_update(s, h, arrival_ns, clock_rate);
	return RTP_UPDATE_LATE;
}
