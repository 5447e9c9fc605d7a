/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * redundancy: the data plane's stage for policies with several inputs (key 'inputs').
 *
 * Failover is decided on the control plane (relay.c: a timer compares each input's last
 * datagram time with failover_timeout and publishes a snapshot naming the active input); the
 * worker forwards the active input's datagrams and counts the others' (counters_input).
 *
 * Merge (SMPTE 2022-7 style: RTP inputs carrying one stream, one SSRC and sequence space) is a
 * reorder window per (policy, worker): each sequence number is forwarded once, in order, from
 * whichever input delivers it first; a missing number waits at most the merge window after the
 * first later number arrived, then is counted lost on every input (lost_all) and skipped; later
 * copies are dropped (duplicates; after the window: late). Once a number has been forwarded,
 * its copies are awaited for the window again: an input that has not delivered it by then lost
 * it, and the number counts as recovered (missing on one input, supplied by another).
 *
 * The window's buffers are allocated once by the control plane (REDUNDANCY_SLOTS datagrams of
 * up to REDUNDANCY_SLOT_SIZE bytes); nothing is allocated, locked or logged per datagram. The
 * counters are published with relaxed atomic stores (counters.h) and read by the control plane.
 * Both inputs must reach the same worker: relay.c gives a merge policy's sockets to one.
 */
#ifndef IPV4OPTD_REDUNDANCY_H
#define IPV4OPTD_REDUNDANCY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "ipv4opt.h"

#define REDUNDANCY_SLOTS 2048      /* numbers in flight: 100 ms at 20,000 datagrams/s */
#define REDUNDANCY_SLOT_SIZE 2048  /* bytes: RTP over Ethernet carries at most 1472 */
#define REDUNDANCY_MAX_INPUTS 32   /* a mask of inputs per number */

/* One datagram as the stage hands it on: its payload and what was received with it. */
struct redundancy_datagram {
	const uint8_t *buf;
	size_t len;
	struct sockaddr_in src;
	struct ipv4opt_cm cm;
	uint16_t dport;
};

/* Called for each datagram the stage forwards (in sequence order); buf stays valid until the
 * next call into the stage for the same policy, and at least until egress_flush(). */
typedef void (*redundancy_deliver_fn)(void *userdata, uint32_t policy,
				      const struct redundancy_datagram *d);

/* Counted per policy and worker (published). */
struct redundancy_counters {
	uint64_t forwarded;  /* numbers forwarded */
	uint64_t recovered;  /* forwarded, missed by at least one input */
	uint64_t lost_all;   /* skipped: no input delivered it within the window */
	uint64_t duplicates; /* copies of a number already held or forwarded */
	uint64_t late;       /* copies of a number older than the window */
	uint64_t not_rtp;    /* datagrams without a valid RTP header: dropped */
	uint64_t too_big;    /* datagrams larger than a slot that had to wait: dropped */
	uint64_t resyncs;    /* jumps beyond the window: the stream started again */
} __attribute__((aligned(COUNTERS_CACHELINE)));

struct redundancy_slot;

struct redundancy_merge {
	struct redundancy_counters pub;
	/* the worker's alone */
	uint64_t window_usec;
	size_t n_inputs;
	bool started;
	uint16_t next;               /* the number to forward next */
	uint16_t tail;               /* the oldest forwarded number still awaiting copies */
	size_t held;                 /* numbers waiting (received, not forwarded yet) */
	uint32_t bad_seq;            /* far behind: 0x10000 | the number that would confirm a
				      * restart; 0: none */
	struct redundancy_slot *slots; /* [REDUNDANCY_SLOTS] */
};

/* Control plane: a window for n_inputs inputs (2..REDUNDANCY_MAX_INPUTS). Free with
 * redundancy_merge_free(). */
int redundancy_merge_new(size_t n_inputs, uint64_t window_usec, struct redundancy_merge **ret);
struct redundancy_merge *redundancy_merge_free(struct redundancy_merge *m);

/* Worker: one datagram of input `input` at now (CLOCK_MONOTONIC usec); forwards what it can.
 * lost: [n_inputs] per-input counters (lost, first) of this worker. */
void redundancy_merge_push(struct redundancy_merge *m, size_t input,
			   const struct redundancy_datagram *d, uint64_t now,
			   struct counters_input *in, redundancy_deliver_fn fn, void *userdata,
			   uint32_t policy);

/* Worker: gives up on what waited out the window, settles what was forwarded a window ago.
 * Returns the CLOCK_MONOTONIC usec of the next deadline, or 0 when nothing waits. */
uint64_t redundancy_merge_tick(struct redundancy_merge *m, uint64_t now,
			       struct counters_input *in, redundancy_deliver_fn fn, void *userdata,
			       uint32_t policy);

#endif
