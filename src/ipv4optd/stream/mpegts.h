/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MPEG-TS (ISO/IEC 13818-1 2.4.3) for the stream-analysis stage of the data plane: sync
 * bytes, the continuity counter of every PID, transport errors, PIDs seen, bytes for the
 * bitrate. The state holds a table of all 8192 PIDs (16 KiB), so feeding a datagram allocates
 * nothing and reads 4 to 6 bytes of each 188-byte packet. No logging, no locks.
 */
#ifndef IPV4OPTD_STREAM_MPEGTS_H
#define IPV4OPTD_STREAM_MPEGTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPEGTS_PACKET_LEN 188
#define MPEGTS_SYNC_BYTE 0x47
#define MPEGTS_PID_COUNT 8192
#define MPEGTS_PID_NULL 0x1fff
#define MPEGTS_ERROR_PIDS 8 /* PIDs whose continuity errors are counted one by one */

/* The continuity errors of one PID. */
struct mpegts_pid_errors {
	uint16_t pid;
	uint64_t cc_errors;
};

struct mpegts {
	/* per PID: bits 0-3 the last continuity_counter, the MPEGTS_PID_* flags of mpegts.c, and
	 * in bits 8-15 the epoch in which that counter holds */
	uint16_t pid[MPEGTS_PID_COUNT];
	uint8_t epoch;             /* 1..255; mpegts_reset_continuity() moves it on */
	uint64_t packets;          /* 188-byte packets that began with the sync byte */
	uint64_t bytes;            /* 188 x packets: what the TS bitrate counts */
	uint64_t sync_errors;      /* 188-byte slots that did not begin with 0x47 */
	uint64_t length_errors;    /* payloads whose length is not a multiple of 188 */
	uint64_t transport_errors; /* packets with transport_error_indicator set */
	uint64_t cc_errors;        /* continuity_counter not as 2.4.3.3 allows */
	uint64_t duplicates;       /* the one duplicate packet 2.4.3.3 allows */
	uint64_t discontinuities;  /* packets with discontinuity_indicator set */
	uint64_t null_packets;     /* PID 0x1FFF, not analysed */
	uint32_t pids_seen;        /* distinct PIDs other than the null PID */
	/* cc_errors of the first MPEGTS_ERROR_PIDS PIDs that had one, in that order (the rest
	 * are in cc_errors only) */
	struct mpegts_pid_errors error_pids[MPEGTS_ERROR_PIDS];
	uint32_t n_error_pids;
};

void mpegts_init(struct mpegts *ts);

/* Forgets the continuity_counter expected on every PID (a new sender): the next packet of
 * each PID starts its count again. PIDs seen and the counters stay. O(1) but once in 255
 * calls (a peer can change its SSRC with every datagram). */
void mpegts_reset_continuity(struct mpegts *ts);

/* Analyses len bytes of 188-byte TS packets (a UDP payload, or an RTP payload). */
void mpegts_feed(struct mpegts *ts, const uint8_t *buf, size_t len);

/* Whether buf looks like TS packets: at least one, a multiple of 188 bytes, each beginning
 * with the sync byte. */
bool mpegts_probe(const uint8_t *buf, size_t len);

#endif
