/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * counters: what the data plane counts, per policy and per worker.
 *
 * Each worker has a block of its own in every policy's counters, and is its only writer; the
 * control plane sums the blocks when it renders stats. Single writer, so a worker adds with a
 * plain read and a relaxed atomic store; the control plane reads with relaxed atomic loads: no
 * lock, no read-modify-write, and ThreadSanitizer sees every access as atomic. A reader may see
 * one counter of a datagram updated and the next not yet: stats are a view, not a transaction.
 */
#ifndef IPV4OPTD_COUNTERS_H
#define IPV4OPTD_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#define COUNTERS_CACHELINE 64

enum counters_drop {
	COUNTERS_DROP_TRUNCATED,        /* longer than the buffer (MSG_TRUNC) */
	COUNTERS_DROP_RXQ_OVERFLOW,     /* the kernel's receive queue was full (SO_RXQ_OVFL) */
	COUNTERS_DROP_SEND_EAGAIN,      /* send buffer full */
	COUNTERS_DROP_SEND_ENOBUFS,     /* no memory or queue full below the socket */
	COUNTERS_DROP_SEND_UNREACHABLE, /* no route */
	COUNTERS_DROP_SEND_OTHER,
	COUNTERS_DROP_NO_INTERFACE,     /* the egress interface does not exist now */
	COUNTERS_DROP_FILTERED,         /* source not allowed by the policy */
	COUNTERS_DROP_LOOP,             /* our own output coming back */
	COUNTERS_DROP_WRITE_ERROR,      /* log to a pcap file: the file cannot be written */
	_COUNTERS_DROP_MAX,
};

/* The stats key of each reason. */
const char *counters_drop_to_string(enum counters_drop d);
enum counters_drop counters_drop_from_errno(int err); /* a send error */

/* One worker's counters of one policy. */
struct counters_policy {
	uint64_t packets_in, bytes_in, packets_out, bytes_out;
	uint64_t drops[_COUNTERS_DROP_MAX];
	uint64_t last_realtime;         /* CLOCK_REALTIME usec of the last datagram; 0: none */
	uint64_t last_mono;             /* CLOCK_MONOTONIC usec, for stall detection */
	uint64_t last_source;           /* address (network order) << 16 | port (host order) */
	uint64_t max_datagram;          /* bytes, the largest received */
	/* The receive rate: [0] the start of the current window, [1] of the previous one. */
	uint64_t rate_usec[2], rate_packets[2], rate_bytes[2];
	/* The last send or write error (negative errno) and how many happened: the control plane
	 * logs them (a worker never logs), rate-limited by the worker's wake-up of it. */
	int64_t last_error;
	uint64_t errors;
	uint64_t notify_usec;           /* when the worker last woke the control plane for it */
} __attribute__((aligned(COUNTERS_CACHELINE)));

/* One worker's counters of one input of a policy with 'inputs' (redundancy.h). */
struct counters_input {
	uint64_t packets, bytes;
	uint64_t last_mono;             /* CLOCK_MONOTONIC usec of the last datagram; 0: none */
	uint64_t inactive;              /* failover: dropped, another input was active */
	uint64_t lost;                  /* merge: numbers this input did not deliver in time */
	uint64_t first;                 /* merge: numbers forwarded from this input */
} __attribute__((aligned(COUNTERS_CACHELINE)));

/* One worker's counters of one output of a relay policy. */
struct counters_output {
	uint64_t packets, bytes, dropped;
} __attribute__((aligned(COUNTERS_CACHELINE)));

/* A worker's own counters (not of a policy). */
struct counters_worker {
	uint64_t unmatched;             /* datagrams on data sockets that no policy claimed */
	uint64_t loops;
	uint64_t rxq_overflow;
	uint64_t receive_errors;
	uint64_t wakeups, datagrams, coalesced_waits;
} __attribute__((aligned(COUNTERS_CACHELINE)));

/* The single writer's add. */
#define COUNTER_ADD(field, v) __atomic_store_n(&(field), (field) + (v), __ATOMIC_RELAXED)
#define COUNTER_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
/* Any thread's read. */
#define COUNTER_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

#endif
