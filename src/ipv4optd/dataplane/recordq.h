/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * recordq: datagrams of log policies, from a worker to the control plane. Recording (a pcap
 * file's writes and rotation, journal records) uses the control loop's timers and the disk, so
 * it happens there, never on a worker: a worker copies the datagram and what is known of it
 * into its own queue (single producer, single consumer, a fixed ring of bytes) and the control
 * plane drains it when woken. A full queue (the control plane busy longer than the queue holds)
 * drops the record, counted as the policy's write_error; relayed traffic never waits for it.
 */
#ifndef IPV4OPTD_RECORDQ_H
#define IPV4OPTD_RECORDQ_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECORDQ_SIZE (4 * 1024 * 1024)

struct recordq_entry {
	uint64_t policy_id;            /* the relay's id of the policy (never reused) */
	uint64_t realtime_usec;
	struct in_addr src, dst;
	uint16_t sport, dport;
	int ifindex;
	int16_t ttl, tos;              /* -1: unknown */
	uint32_t len;                  /* payload bytes that follow */
};

struct recordq;

int recordq_new(struct recordq **ret);
struct recordq *recordq_free(struct recordq *q);

/* Producer: false when the queue has no room. */
bool recordq_push(struct recordq *q, const struct recordq_entry *e, const void *data);
/* Consumer: calls fn for each queued record, at most max of them; returns how many. */
size_t recordq_drain(struct recordq *q, size_t max,
		     void (*fn)(const struct recordq_entry *e, const void *data, void *userdata),
		     void *userdata);

#endif
