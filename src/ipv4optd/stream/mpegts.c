/* SPDX-License-Identifier: BSD-3-Clause */
/* MPEG-TS continuity and sync analysis (ISO/IEC 13818-1 2.4.3.2, 2.4.3.3, 2.4.3.5). */
#include <string.h>

#include "mpegts.h"

/* mpegts.pid[]: the 4-bit continuity_counter, flags, and the epoch in which the counter is the
 * last one of a payload packet (an older epoch: none is expected) */
#define MPEGTS_PID_CC_MASK 0x000f
#define MPEGTS_PID_SEEN 0x0010      /* a packet of this PID arrived */
#define MPEGTS_PID_DUPLICATE 0x0020 /* the last payload packet was a duplicate */
#define MPEGTS_PID_EPOCH_SHIFT 8

/* 2.4.3.2 transport packet header, 2.4.3.4 adaptation field */
#define TS_TEI 0x80              /* byte 1: transport_error_indicator */
#define TS_AFC_ADAPTATION 0x20   /* byte 3: adaptation_field_control '1x' */
#define TS_AFC_PAYLOAD 0x10      /* byte 3: adaptation_field_control 'x1' */
#define TS_AF_DISCONTINUITY 0x80 /* byte 5: discontinuity_indicator */

void mpegts_init(struct mpegts *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->epoch = 1;
}

void mpegts_reset_continuity(struct mpegts *ts)
{
	if (++ts->epoch != 0)
		return;
	/* the epoch wrapped: clear them all, once in 255 */
	for (size_t i = 0; i < MPEGTS_PID_COUNT; i++)
		ts->pid[i] &= MPEGTS_PID_SEEN;
	ts->epoch = 1;
}

bool mpegts_probe(const uint8_t *buf, size_t len)
{
	if (len == 0 || len % MPEGTS_PACKET_LEN)
		return false;
	for (size_t off = 0; off < len; off += MPEGTS_PACKET_LEN)
		if (buf[off] != MPEGTS_SYNC_BYTE)
			return false;
	return true;
}

/* One continuity error on pid: the total, and the PID's own count while the table has room
 * (a search of at most MPEGTS_ERROR_PIDS, on errors only). */
static void cc_error(struct mpegts *ts, unsigned int pid)
{
	ts->cc_errors++;
	for (uint32_t i = 0; i < ts->n_error_pids; i++)
		if (ts->error_pids[i].pid == pid) {
			ts->error_pids[i].cc_errors++;
			return;
		}
	if (ts->n_error_pids < MPEGTS_ERROR_PIDS)
		ts->error_pids[ts->n_error_pids++] =
			(struct mpegts_pid_errors){ .pid = (uint16_t)pid, .cc_errors = 1 };
}

/* 2.4.3.3 continuity_counter: it increments (mod 16) with each packet of a PID that carries a
 * payload (adaptation_field_control '01' or '11'); it does not for '00' and '10'. A packet may
 * be sent twice in a row with the same counter, not more often; a discontinuity_indicator
 * (2.4.3.5) allows any counter in that packet. */
static void packet_continuity(struct mpegts *ts, const uint8_t *p)
{
	unsigned int pid = (unsigned int)(p[1] & 0x1f) << 8 | p[2];
	uint16_t cc = p[3] & 0x0f;
	uint16_t e = ts->pid[pid];
	uint16_t last = e & MPEGTS_PID_CC_MASK;
	uint16_t fresh = (uint16_t)(ts->epoch << MPEGTS_PID_EPOCH_SHIFT | MPEGTS_PID_SEEN);
	bool valid = e >> MPEGTS_PID_EPOCH_SHIFT == ts->epoch;
	bool discontinuity = false;

	if (pid == MPEGTS_PID_NULL) {
		/* 2.4.3.3: the continuity_counter of null packets is undefined */
		ts->null_packets++;
		return;
	}
	if (!(e & MPEGTS_PID_SEEN)) {
		e |= MPEGTS_PID_SEEN;
		ts->pids_seen++;
	}
	/* an adaptation field of at least one byte holds the flags */
	if ((p[3] & TS_AFC_ADAPTATION) && p[4] > 0)
		discontinuity = p[5] & TS_AF_DISCONTINUITY;

	/* "fresh | cc": seen, this counter in this epoch, no duplicate yet */
	if (discontinuity) {
		ts->discontinuities++;
		e = fresh | cc;
	} else if (!(p[3] & TS_AFC_PAYLOAD)) {
		/* no payload ('10', or the reserved '00'): the counter does not move */
	} else if (!valid) {
		e = fresh | cc;
	} else if (cc == ((last + 1) & MPEGTS_PID_CC_MASK)) {
		e = fresh | cc;
	} else if (cc == last) {
		if (e & MPEGTS_PID_DUPLICATE) {
			cc_error(ts, pid); /* a third copy */
		} else {
			ts->duplicates++;
			e |= MPEGTS_PID_DUPLICATE;
		}
	} else {
		cc_error(ts, pid);
		e = fresh | cc;
	}
	ts->pid[pid] = e;
}

void mpegts_feed(struct mpegts *ts, const uint8_t *buf, size_t len)
{
	size_t off;

	for (off = 0; off + MPEGTS_PACKET_LEN <= len; off += MPEGTS_PACKET_LEN) {
		const uint8_t *p = buf + off;

		if (p[0] != MPEGTS_SYNC_BYTE) {
			ts->sync_errors++;
			continue;
		}
		ts->packets++;
		ts->bytes += MPEGTS_PACKET_LEN;
		if (p[1] & TS_TEI) {
			/* the demodulator marked the packet: its PID may be wrong too */
			ts->transport_errors++;
			continue;
		}
		packet_continuity(ts, p);
	}
	if (off != len)
		ts->length_errors++;
}
