/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture: the records of log policies. One record per datagram (time, source, destination,
 * interface, TTL, TOS, length), either to the journal at most rate_limit per second with a
 * summary of what was suppressed, or to a pcap file (LINKTYPE_RAW: each datagram behind an
 * IPv4 and a UDP header synthesized from its control data, so tcpdump and Wireshark show
 * addresses, ports, TTL and TOS) written through a buffer and rotated at max_size
 * (FILE -> FILE.1, the older ones shifted up to FILE.max_files, the oldest dropped).
 *
 * A pcap file is appended to, never truncated: a start, a restart or a reload adds to the
 * records already there (the header is written only to an empty file; a file that is not a
 * pcap file of ours or is misframed before its end, a symbolic link or not a regular file is
 * refused and left alone). The
 * file always ends at a whole record: a partial one at its end is cut when it is opened, and
 * after a short write (full disk) the file is cut back to the last whole record while the
 * buffered records are kept to be written again.
 */
#ifndef IPV4OPTD_CAPTURE_H
#define IPV4OPTD_CAPTURE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"

#define CAPTURE_DEFAULT_RATE_LIMIT 10
#define CAPTURE_PCAP_LINKTYPE_RAW 101

struct capture;

/* What is known of one received datagram. */
struct capture_packet {
	uint64_t realtime_usec;
	struct in_addr src;
	uint16_t sport;
	struct in_addr dst;
	uint16_t dport;
	int ifindex;
	const char *ifname;  /* NULL: unknown */
	int ttl;             /* -1: unknown */
	int tos;             /* -1: unknown */
	const void *data;
	size_t len;
};

/* policy is copied. A pcap file that cannot be opened now is logged and tried again later
 * (at most once a second, when datagrams come). */
int capture_new(sd_event *e, const char *policy, const struct log_conf *conf,
		struct capture **ret);
struct capture *capture_free(struct capture *c);
void capture_freep(struct capture **c);

/* Records one datagram. Returns 1 when recorded (pcap: buffered), 0 when suppressed by the
 * rate limit, a negative errno when the pcap file cannot be opened or the buffer is full and
 * cannot be written (the record is lost). */
int capture_record(struct capture *c, const struct capture_packet *p);

/* Writes the buffer out (pcap). Returns 0 or a negative errno (the records stay buffered and
 * are written again within a second). */
int capture_flush(struct capture *c);

/* True if a and b record the same way (no need to reopen on reload). */
bool capture_conf_equal(const struct log_conf *a, const struct log_conf *b);

/* What keeps the capture from recording now, as a phrase ("cannot open /x.pcap: Permission
 * denied"), or "" when it records (c NULL: "not set up"). A failed rotation is no failure: the
 * records go on into the file. */
void capture_describe_error(const struct capture *c, char *buf, size_t size);

/* Counters: records suppressed by the rate limit, files rotated. */
uint64_t capture_suppressed(const struct capture *c);
uint64_t capture_rotations(const struct capture *c);

#endif
