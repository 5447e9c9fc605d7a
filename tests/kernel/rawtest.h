/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the raw-socket, ICMP and BPF kernel tests: building ICMP echo messages,
 * receive timeouts, and reading a raw socket until a wanted packet shows up. */
#ifndef IPV4OPT_RAWTEST_H
#define IPV4OPT_RAWTEST_H

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "ipv4opt.h"
#include "lab.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define ICMP_TYPE_ECHO_REPLY 0
#define ICMP_TYPE_DEST_UNREACH 3
#define ICMP_TYPE_ECHO 8
#define ICMP_HDR_LEN 8

/* Time a packet that should arrive may take: seconds, since a loaded machine may run the
 * softirq that delivers it late. A shorter wait that shows a packet does not come is always
 * followed by a packet that must come next on the same path, so a late one is seen then. */
#define RAW_ARRIVE_MS 5000

/* A socket in ns that waits RAW_ARRIVE_MS for a packet. */
static inline int test_socket(enum lab_ns ns, int type, int protocol)
{
	return lab_test_socket(ns, type, protocol, RAW_ARRIVE_MS);
}

/* Lifts the receiver's ICMP rate limit (errors are limited per peer; the tests must not
 * depend on the bucket), then runs the suite in the lab. */
static inline int raw_run_suite(Suite *s)
{
	lab_require_root();
	lab_get();
	if (lab_run(LAB_RCV, "sysctl -qw net.ipv4.icmp_ratelimit=0") != 0) {
		fprintf(stderr, "cannot lift the ICMP rate limit in the lab\n");
		return EXIT_FAILURE;
	}
	return lab_run_suite(s);
}

/* Builds an ICMP message (type, code 0, identifier, sequence, data) with its checksum. */
static inline size_t icmp_build(uint8_t *buf, int type, uint16_t id, uint16_t seq,
				const void *data, size_t n)
{
	uint16_t sum;

	buf[0] = (uint8_t)type;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	if (n > 0)
		memcpy(buf + ICMP_HDR_LEN, data, n);
	sum = ipv4opt_checksum(buf, ICMP_HDR_LEN + n);
	buf[2] = (uint8_t)(sum >> 8);
	buf[3] = (uint8_t)sum;
	return ICMP_HDR_LEN + n;
}

static inline uint16_t icmp_id(const uint8_t *icmp)
{
	return (uint16_t)(icmp[4] << 8 | icmp[5]);
}

static inline uint16_t icmp_seq(const uint8_t *icmp)
{
	return (uint16_t)(icmp[6] << 8 | icmp[7]);
}

/* Sends an ICMP message from a raw IPPROTO_ICMP socket (the kernel writes the IPv4 header). */
static inline void icmp_send(int fd, struct in_addr dst, int type, uint16_t id, uint16_t seq)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = dst };
	static const char data[] = "ipv4opt";
	uint8_t b[64];
	size_t n = icmp_build(b, type, id, seq, data, sizeof(data));

	ck_assert_int_eq(sendto(fd, b, n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)n);
}

/* One packet read by ipv4opt_raw_recv(). */
struct raw_pkt {
	uint8_t buf[2048];
	int n;
	struct ipv4opt_header h;
	size_t off, len;
	struct ipv4opt_cm cm;
};

static inline const uint8_t *raw_pkt_payload(const struct raw_pkt *p)
{
	return p->buf + p->off;
}

/* Reads raw packets until one of protocol `proto` whose payload starts with byte `first`
 * (any when first < 0) and, for ICMP, carries identifier id (any when id < 0). Other
 * traffic (IGMP reports, strangers) is skipped. Returns 0, or the negative error of the read
 * that failed (-EAGAIN when nothing came before the timeout). */
static inline int raw_read_until(int fd, int proto, int first, int id, struct raw_pkt *p)
{
	for (int i = 0; i < 64; i++) {
		p->n = ipv4opt_raw_recv(fd, p->buf, sizeof(p->buf), &p->h, &p->off, &p->len, &p->cm);
		if (p->n < 0)
			return p->n;
		if (p->h.protocol != proto)
			continue;
		if (first >= 0 && (p->len < 1 || raw_pkt_payload(p)[0] != first))
			continue;
		if (id >= 0 && (p->len < ICMP_HDR_LEN || icmp_id(raw_pkt_payload(p)) != id))
			continue;
		return 0;
	}
	return -ELOOP;
}

#endif
