/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Raw IPv4 sockets against the kernel, in the namespace lab (snd 10.201.1.1 / 10.201.2.1,
 * rcv 10.201.1.2 / 10.201.2.2). Scenarios ported from the reference's unicast_test.go and
 * multicast_test.go (raw ICMP read/write), multicastlistener_test.go (raw conn listeners) and
 * unicastsockopt_test.go / multicastsockopt_test.go (options on SOCK_RAW), plus IP_HDRINCL
 * writes whose every header field is checked at the receiver.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <unistd.h>

#include "rawtest.h"

#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17

static struct lab *L;

static uint16_t test_id(void)
{
	/* Check runs every test in its own process: the pid tells our echoes from others. */
	return (uint16_t)getpid();
}

static size_t udp_build(uint8_t *buf, uint16_t sport, uint16_t dport, const void *data,
			size_t n)
{
	size_t len = 8 + n;

	buf[0] = (uint8_t)(sport >> 8);
	buf[1] = (uint8_t)sport;
	buf[2] = (uint8_t)(dport >> 8);
	buf[3] = (uint8_t)dport;
	buf[4] = (uint8_t)(len >> 8);
	buf[5] = (uint8_t)len;
	buf[6] = buf[7] = 0; /* no UDP checksum (allowed over IPv4, RFC 768) */
	memcpy(buf + 8, data, n);
	return len;
}

static int udp_bound(enum lab_ns ns, struct in_addr addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = addr, .sin_port = htons(port) };
	int fd = test_socket(ns, SOCK_DGRAM, 0);

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void assert_header_checksum_ok(const struct raw_pkt *p)
{
	ck_assert_uint_eq(ipv4opt_checksum(p->buf, (size_t)p->h.len), 0);
}

/* unicast_test.go TestRawConnReadWriteUnicastICMP / TestPacketConnReadWriteUnicastICMP:
 * echo request from snd to rcv on a raw ICMP socket, the echo reply read with its header
 * parsed and its control message. */
START_TEST(test_raw_icmp_unicast)
{
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	uint16_t id = test_id();
	struct raw_pkt p;

	ck_assert_int_eq(ipv4opt_set_control_message(fd, IPV4OPT_CM_TTL | IPV4OPT_CM_DST |
							     IPV4OPT_CM_IFINDEX | IPV4OPT_CM_TOS,
						     true),
			 0);
	for (uint16_t seq = 1; seq <= 3; seq++) {
		icmp_send(fd, L->rcv_addr[0], ICMP_TYPE_ECHO, id, seq);
		ck_assert_int_eq(raw_read_until(fd, IP_PROTO_ICMP, ICMP_TYPE_ECHO_REPLY, id, &p), 0);

		/* the header as the kernel handed it over */
		ck_assert_int_eq(p.h.version, 4);
		ck_assert_int_eq(p.h.len, 20);
		ck_assert_int_eq(p.h.protocol, IP_PROTO_ICMP);
		ck_assert_int_eq(p.h.ttl, 64);
		ck_assert_int_eq(p.h.total_len, p.n);
		ck_assert_int_eq(p.h.frag_off, 0);
		ck_assert_uint_eq(p.h.src.s_addr, L->rcv_addr[0].s_addr);
		ck_assert_uint_eq(p.h.dst.s_addr, L->snd_addr[0].s_addr);
		ck_assert_int_eq(p.h.checksum, p.buf[10] << 8 | p.buf[11]);
		assert_header_checksum_ok(&p);
		/* the payload: our echo, answered */
		ck_assert_uint_eq(p.off, 20);
		ck_assert_uint_eq(p.len, ICMP_HDR_LEN + sizeof("ipv4opt"));
		ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), seq);
		ck_assert_mem_eq(raw_pkt_payload(&p) + ICMP_HDR_LEN, "ipv4opt", sizeof("ipv4opt"));
		ck_assert_uint_eq(ipv4opt_checksum(raw_pkt_payload(&p), p.len), 0);
		/* the control message agrees with the header and names the arrival link */
		ck_assert_uint_eq(p.cm.flags & (IPV4OPT_CM_TTL | IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX |
						IPV4OPT_CM_TOS),
				  IPV4OPT_CM_TTL | IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX |
					  IPV4OPT_CM_TOS);
		ck_assert_int_eq(p.cm.ttl, p.h.ttl);
		ck_assert_int_eq(p.cm.tos, p.h.tos);
		ck_assert_uint_eq(p.cm.dst.s_addr, L->snd_addr[0].s_addr);
		ck_assert_int_eq(p.cm.ifindex, L->snd_if[0]);
	}
	close(fd);
}
END_TEST

/* The RawConn half of the same scenario: the echo request is written with its own header
 * (IP_HDRINCL, TTL and TOS per packet, source and ID left to the kernel), checked as it
 * arrives at rcv, and its reply read back at snd. */
START_TEST(test_raw_icmp_hdrincl)
{
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	int rfd = test_socket(LAB_RCV, SOCK_RAW, IPPROTO_ICMP);
	uint16_t id = test_id();
	bool on = true;

	ck_assert_int_eq(ipv4opt_get_hdrincl(fd, &on), 0);
	ck_assert(!on);
	ck_assert_int_eq(ipv4opt_set_hdrincl(fd, true), 0);
	ck_assert_int_eq(ipv4opt_get_hdrincl(fd, &on), 0);
	ck_assert(on);
	ck_assert_int_eq(ipv4opt_set_control_message(rfd, IPV4OPT_CM_ALL & ~IPV4OPT_CM_RXQ_OVFL,
						     true),
			 0);

	for (int i = 1; i <= 3; i++) {
		struct ipv4opt_header h = {
			.tos = i << 2,
			.ttl = i,
			.protocol = IP_PROTO_ICMP,
			.dst = L->rcv_addr[0],
		};
		uint8_t icmp[64];
		size_t n = icmp_build(icmp, ICMP_TYPE_ECHO, id, (uint16_t)i, "hdrincl", 8);
		struct raw_pkt p;

		ck_assert_int_eq(ipv4opt_raw_send(fd, &h, icmp, n, NULL), (int)(20 + n));

		/* at rcv: our TOS and TTL, the kernel's source and ID */
		ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
		ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), i);
		ck_assert_int_eq(p.h.tos, i << 2);
		ck_assert_int_eq(p.h.ttl, i);
		ck_assert_int_eq(p.h.total_len, (int)(20 + n));
		ck_assert_uint_eq(p.h.src.s_addr, L->snd_addr[0].s_addr);
		ck_assert_uint_eq(p.h.dst.s_addr, L->rcv_addr[0].s_addr);
		ck_assert_int_ne(p.h.id, 0);
		assert_header_checksum_ok(&p);
		ck_assert_uint_eq(p.len, n);
		ck_assert_mem_eq(raw_pkt_payload(&p), icmp, n);
		ck_assert_int_eq(p.cm.ttl, i);
		ck_assert_int_eq(p.cm.tos, i << 2);
		ck_assert_int_eq(p.cm.ifindex, L->rcv_if[0]);
		ck_assert_uint_eq(p.cm.dst.s_addr, L->rcv_addr[0].s_addr);

		/* back at snd: the reply (reading is unaffected by IP_HDRINCL) */
		ck_assert_int_eq(raw_read_until(fd, IP_PROTO_ICMP, ICMP_TYPE_ECHO_REPLY, id, &p), 0);
		ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), i);
		ck_assert_uint_eq(p.h.src.s_addr, L->rcv_addr[0].s_addr);
	}
	close(fd);
	close(rfd);
}
END_TEST

/* IP_HDRINCL on an IPPROTO_RAW socket: a UDP datagram whose header sets every field we can
 * choose (TOS with ECN bits, TTL, ID, DF, NOP/NOP/NOP/EOL options), sent with a control
 * message naming the egress link; received at rcv by a raw UDP socket (header and control
 * data checked) and by the UDP socket of the port (payload delivered). */
START_TEST(test_raw_hdrincl_udp_fields)
{
	static const uint8_t opts[] = { 0x01, 0x01, 0x01, 0x00 }; /* NOP NOP NOP EOL */
	static const char data[] = "every field";
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_RAW);
	int rfd = test_socket(LAB_RCV, SOCK_RAW, IPPROTO_UDP);
	int ufd = udp_bound(LAB_RCV, L->rcv_addr[0], 9999);
	struct ipv4opt_header h = {
		.tos = 0xb9, /* EF, ECT(1) */
		.ttl = 7,
		.id = 0x1234,
		.flags = IPV4OPT_FLAG_DF,
		.protocol = IP_PROTO_UDP,
		.src = L->snd_addr[0],
		.dst = L->rcv_addr[0],
		.options_len = sizeof(opts),
	};
	struct ipv4opt_cm cm = { .flags = IPV4OPT_CM_IFINDEX, .ifindex = L->snd_if[0] };
	uint8_t udp[64], got[64];
	size_t n = udp_build(udp, 4000, 9999, data, sizeof(data));
	struct raw_pkt p;
	bool on = false;

	/* IPPROTO_RAW implies IP_HDRINCL (raw(7)) */
	ck_assert_int_eq(ipv4opt_get_hdrincl(fd, &on), 0);
	ck_assert(on);
	memcpy(h.options, opts, sizeof(opts));
	ck_assert_int_eq(ipv4opt_set_control_message(rfd, IPV4OPT_CM_TTL | IPV4OPT_CM_TOS |
							      IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX,
						     true),
			 0);

	ck_assert_int_eq(ipv4opt_raw_send(fd, &h, udp, n, &cm), (int)(24 + n));

	ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_UDP, -1, -1, &p), 0);
	ck_assert_int_eq(p.n, (int)(24 + n));
	ck_assert_int_eq(p.h.version, 4);
	ck_assert_int_eq(p.h.len, 24);
	ck_assert_int_eq(p.h.tos, 0xb9);
	ck_assert_int_eq(p.h.total_len, (int)(24 + n));
	ck_assert_int_eq(p.h.id, 0x1234);
	ck_assert_int_eq(p.h.flags, IPV4OPT_FLAG_DF);
	ck_assert_int_eq(p.h.frag_off, 0);
	ck_assert_int_eq(p.h.ttl, 7);
	ck_assert_int_eq(p.h.protocol, IP_PROTO_UDP);
	ck_assert_uint_eq(p.h.src.s_addr, L->snd_addr[0].s_addr);
	ck_assert_uint_eq(p.h.dst.s_addr, L->rcv_addr[0].s_addr);
	ck_assert_uint_eq(p.h.options_len, sizeof(opts));
	ck_assert_mem_eq(p.h.options, opts, sizeof(opts));
	assert_header_checksum_ok(&p);
	ck_assert_uint_eq(p.off, 24);
	ck_assert_uint_eq(p.len, n);
	ck_assert_mem_eq(raw_pkt_payload(&p), udp, n);
	ck_assert_int_eq(p.cm.ttl, 7);
	ck_assert_int_eq(p.cm.tos, 0xb9);
	ck_assert_int_eq(p.cm.ifindex, L->rcv_if[0]);
	ck_assert_uint_eq(p.cm.dst.s_addr, L->rcv_addr[0].s_addr);

	/* the UDP layer took it as well-formed */
	ck_assert_int_eq(recv(ufd, got, sizeof(got), 0), (ssize_t)sizeof(data));
	ck_assert_mem_eq(got, data, sizeof(data));

	/* a buffer too small for the packet: cut, and told by the header's total length */
	struct ipv4opt_header th;
	size_t off, len;
	uint8_t small[30];

	ck_assert_int_eq(ipv4opt_raw_send(fd, &h, udp, n, NULL), (int)(24 + n));
	ck_assert_int_eq(ipv4opt_raw_recv(rfd, small, sizeof(small), &th, &off, &len, NULL),
			 (int)sizeof(small));
	ck_assert_int_eq(th.total_len, (int)(24 + n));
	ck_assert_uint_eq(off, 24);
	ck_assert_uint_eq(len, sizeof(small) - 24);

	close(fd);
	close(rfd);
	close(ufd);
}
END_TEST

/* Flags and fragment offset on the wire: one UDP datagram written as two IP_HDRINCL fragments
 * (MF + offset 0, then offset 2 = 16 bytes) must be reassembled by rcv and delivered whole. */
START_TEST(test_raw_hdrincl_fragments)
{
	static const char data[] = "0123456789abcdefXYZ"; /* 20 bytes with the NUL */
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_RAW);
	int ufd = udp_bound(LAB_RCV, L->rcv_addr[0], 9998);
	struct ipv4opt_header h = {
		.ttl = 64,
		.id = 0x4242,
		.protocol = IP_PROTO_UDP,
		.src = L->snd_addr[0],
		.dst = L->rcv_addr[0],
	};
	uint8_t udp[64], got[64];
	size_t n = udp_build(udp, 4000, 9998, data, sizeof(data));

	ck_assert_uint_eq(n, 28);
	/* first fragment: UDP header + 8 data bytes = 16 bytes, more to come */
	h.flags = IPV4OPT_FLAG_MF;
	h.frag_off = 0;
	ck_assert_int_eq(ipv4opt_raw_send(fd, &h, udp, 16, NULL), 36);
	/* no datagram yet: it is incomplete */
	lab_rcvtimeo(ufd, 200);
	ck_assert_int_eq(recv(ufd, got, sizeof(got), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	lab_rcvtimeo(ufd, RAW_ARRIVE_MS);
	/* last fragment: the remaining 12 bytes at offset 16 (2 units of 8) */
	h.flags = 0;
	h.frag_off = 2;
	ck_assert_int_eq(ipv4opt_raw_send(fd, &h, udp + 16, n - 16, NULL), (int)(20 + n - 16));

	ck_assert_int_eq(recv(ufd, got, sizeof(got), 0), (ssize_t)sizeof(data));
	ck_assert_mem_eq(got, data, sizeof(data));
	close(fd);
	close(ufd);
}
END_TEST

/* The control message of ipv4opt_raw_send() steers the packet: the lab's multicast route
 * leaves by s0, IP_PKTINFO's ifindex sends it by s1 instead (seen arriving on r1). */
START_TEST(test_raw_send_control_ifindex)
{
	struct in_addr group = lab_addr("239.1.1.15");
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_RAW);
	int rfd = test_socket(LAB_RCV, SOCK_RAW, IPPROTO_UDP);
	struct ipv4opt_header h = {
		.ttl = 1,
		.protocol = IP_PROTO_UDP,
		.src = L->snd_addr[0],
		.dst = group,
	};
	uint8_t udp[32];
	struct raw_pkt p;

	ck_assert_int_eq(ipv4opt_join_group(rfd, L->rcv_if[0], group), 0);
	ck_assert_int_eq(ipv4opt_join_group(rfd, L->rcv_if[1], group), 0);
	ck_assert_int_eq(ipv4opt_set_control_message(rfd, IPV4OPT_CM_IFINDEX | IPV4OPT_CM_DST, true),
			 0);

	for (int i = 0; i < 2; i++) {
		struct ipv4opt_cm cm = { .flags = IPV4OPT_CM_IFINDEX, .ifindex = L->snd_if[1] };
		size_t n = udp_build(udp, 4000, 7000, (uint8_t[]){ (uint8_t)(0xa0 + i) }, 1);

		h.id = 0x100 + i;
		/* i = 0: by route (s0); i = 1: by the control message (s1) */
		ck_assert_int_eq(ipv4opt_raw_send(fd, &h, udp, n, i ? &cm : NULL), (int)(20 + n));
		ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_UDP, -1, -1, &p), 0);
		ck_assert_int_eq(p.h.id, 0x100 + i);
		ck_assert_uint_eq(p.h.dst.s_addr, group.s_addr);
		ck_assert_uint_eq(p.cm.dst.s_addr, group.s_addr);
		ck_assert_int_eq(p.cm.ifindex, L->rcv_if[i]);
	}
	close(fd);
	close(rfd);
}
END_TEST

/* multicast_test.go TestRawConnReadWriteMulticastICMP: a raw ICMP socket at rcv joins a group
 * on r0 and receives ICMP echoes sent to the group, written by snd both ways (kernel header
 * with the multicast TTL, and IP_HDRINCL with a TTL of our own). */
START_TEST(test_raw_multicast_icmp)
{
	struct in_addr group = lab_addr("239.1.1.16");
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	int rfd = test_socket(LAB_RCV, SOCK_RAW, IPPROTO_ICMP);
	uint16_t id = test_id();
	struct raw_pkt p;

	ck_assert_int_eq(ipv4opt_join_group(rfd, L->rcv_if[0], group), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "239.1.1.16"), 1);
	ck_assert_int_eq(ipv4opt_set_control_message(rfd, IPV4OPT_CM_TTL | IPV4OPT_CM_DST |
							       IPV4OPT_CM_IFINDEX,
						     true),
			 0);
	ck_assert_int_eq(ipv4opt_set_multicast_if(fd, L->snd_if[0]), 0);
	ck_assert_int_eq(ipv4opt_set_multicast_ttl(fd, 5), 0);

	/* kernel-built header: the multicast TTL applies */
	icmp_send(fd, group, ICMP_TYPE_ECHO, id, 1);
	ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
	ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), 1);
	ck_assert_uint_eq(p.h.dst.s_addr, group.s_addr);
	ck_assert_uint_eq(p.h.src.s_addr, L->snd_addr[0].s_addr);
	ck_assert_int_eq(p.h.ttl, 5);
	ck_assert_int_eq(p.cm.ttl, 5);
	ck_assert_uint_eq(p.cm.dst.s_addr, group.s_addr);
	ck_assert_int_eq(p.cm.ifindex, L->rcv_if[0]);

	/* our own header: its TTL goes out as written */
	ck_assert_int_eq(ipv4opt_set_hdrincl(fd, true), 0);
	for (int i = 2; i <= 3; i++) {
		struct ipv4opt_header h = {
			.ttl = i,
			.protocol = IP_PROTO_ICMP,
			.src = L->snd_addr[0],
			.dst = group,
		};
		uint8_t icmp[32];
		size_t n = icmp_build(icmp, ICMP_TYPE_ECHO, id, (uint16_t)i, NULL, 0);

		ck_assert_int_eq(ipv4opt_raw_send(fd, &h, icmp, n, NULL), (int)(20 + n));
		ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
		ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), i);
		ck_assert_int_eq(p.h.ttl, i);
		ck_assert_uint_eq(p.h.dst.s_addr, group.s_addr);
		ck_assert_int_eq(p.cm.ifindex, L->rcv_if[0]);
	}

	ck_assert_int_eq(ipv4opt_leave_group(rfd, L->rcv_if[0], group), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "239.1.1.16"), 0);
	close(fd);
	close(rfd);
}
END_TEST

static void send_group_echo(int fd, int ifindex, struct in_addr group, uint16_t id, uint16_t seq)
{
	ck_assert_int_eq(ipv4opt_set_multicast_if(fd, ifindex), 0);
	icmp_send(fd, group, ICMP_TYPE_ECHO, id, seq);
}

/* multicastlistener_test.go TestIPSingleRawConnWithSingleGroupListener: one raw socket joins
 * a group on r0 and r1 and hears it on both; after leaving on r0 it hears only r1. */
START_TEST(test_raw_listener_single_conn)
{
	struct in_addr group = lab_addr("239.1.1.17");
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	int rfd = test_socket(LAB_RCV, SOCK_RAW, IPPROTO_ICMP);
	uint16_t id = test_id();
	struct raw_pkt p;

	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(ipv4opt_join_group(rfd, L->rcv_if[i], group), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "239.1.1.17"), 1);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "239.1.1.17"), 1);
	/* joining twice on one link is the kernel's EADDRINUSE */
	ck_assert_int_eq(ipv4opt_join_group(rfd, L->rcv_if[0], group), -EADDRINUSE);
	ck_assert_int_eq(ipv4opt_set_control_message(rfd, IPV4OPT_CM_IFINDEX, true), 0);

	for (int i = 0; i < 2; i++) {
		send_group_echo(fd, L->snd_if[i], group, id, (uint16_t)(10 + i));
		ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
		ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), 10 + i);
		ck_assert_int_eq(p.cm.ifindex, L->rcv_if[i]);
	}

	ck_assert_int_eq(ipv4opt_leave_group(rfd, L->rcv_if[0], group), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "239.1.1.17"), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "239.1.1.17"), 1);
	/* by s0: dropped at r0 (no member); by s1: heard. The first echo read is s1's. */
	send_group_echo(fd, L->snd_if[0], group, id, 20);
	send_group_echo(fd, L->snd_if[1], group, id, 21);
	ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
	ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), 21);
	ck_assert_int_eq(p.cm.ifindex, L->rcv_if[1]);
	close(fd);
	close(rfd);
}
END_TEST

/* multicastlistener_test.go TestIPPerInterfaceSingleRawConnWithSingleGroupListener: one raw
 * socket per link, each joined on its own link only. With IP_MULTICAST_ALL off, each hears
 * only the group traffic of its own link. */
START_TEST(test_raw_listener_per_interface)
{
	struct in_addr group = lab_addr("239.1.1.18");
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	int rfd[2];
	uint16_t id = test_id();
	struct raw_pkt p;

	for (int i = 0; i < 2; i++) {
		rfd[i] = test_socket(LAB_RCV, SOCK_RAW, IPPROTO_ICMP);
		ck_assert_int_eq(ipv4opt_set_multicast_all(rfd[i], false), 0);
		ck_assert_int_eq(ipv4opt_join_group(rfd[i], L->rcv_if[i], group), 0);
		ck_assert_int_eq(ipv4opt_set_control_message(rfd[i], IPV4OPT_CM_IFINDEX, true), 0);
	}
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "239.1.1.18"), 1);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "239.1.1.18"), 1);

	/* s0 then s1: socket 0 reads s0's echo first, socket 1 reads s1's echo first */
	send_group_echo(fd, L->snd_if[0], group, id, 30);
	send_group_echo(fd, L->snd_if[1], group, id, 31);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(raw_read_until(rfd[i], IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
		ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), 30 + i);
		ck_assert_int_eq(p.cm.ifindex, L->rcv_if[i]);
	}
	/* and nothing else: socket 0 never sees s1's echo; its next echo is s0's next one */
	lab_rcvtimeo(rfd[0], 300);
	ck_assert_int_eq(raw_read_until(rfd[0], IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), -EAGAIN);
	lab_rcvtimeo(rfd[0], RAW_ARRIVE_MS);
	send_group_echo(fd, L->snd_if[0], group, id, 32);
	ck_assert_int_eq(raw_read_until(rfd[0], IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
	ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), 32);
	ck_assert_int_eq(p.cm.ifindex, L->rcv_if[0]);
	for (int i = 0; i < 2; i++)
		close(rfd[i]);
	close(fd);
}
END_TEST

/* unicastsockopt_test.go TestRawConnUnicastSocketOptions: TOS and TTL on SOCK_RAW, read back
 * and seen on the wire at rcv. */
START_TEST(test_raw_unicast_sockopt)
{
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	int rfd = test_socket(LAB_RCV, SOCK_RAW, IPPROTO_ICMP);
	uint16_t id = test_id();
	struct raw_pkt p;
	int v;

	ck_assert_int_eq(ipv4opt_set_tos(fd, 0xb8), 0);
	ck_assert_int_eq(ipv4opt_get_tos(fd, &v), 0);
	ck_assert_int_eq(v, 0xb8);
	ck_assert_int_eq(ipv4opt_set_ttl(fd, 255), 0);
	ck_assert_int_eq(ipv4opt_get_ttl(fd, &v), 0);
	ck_assert_int_eq(v, 255);
	ck_assert_int_eq(ipv4opt_set_ttl(fd, 3), 0);
	ck_assert_int_eq(ipv4opt_get_ttl(fd, &v), 0);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(ipv4opt_set_ttl(fd, 256), -EINVAL);

	icmp_send(fd, L->rcv_addr[0], ICMP_TYPE_ECHO, id, 1);
	ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
	ck_assert_int_eq(p.h.tos, 0xb8);
	ck_assert_int_eq(p.h.ttl, 3);

	/* with IP_HDRINCL the header's values win over the socket's */
	ck_assert_int_eq(ipv4opt_set_hdrincl(fd, true), 0);
	struct ipv4opt_header h = {
		.tos = 0x28,
		.ttl = 9,
		.protocol = IP_PROTO_ICMP,
		.dst = L->rcv_addr[0],
	};
	uint8_t icmp[16];
	size_t n = icmp_build(icmp, ICMP_TYPE_ECHO, id, 2, NULL, 0);
	ck_assert_int_eq(ipv4opt_raw_send(fd, &h, icmp, n, NULL), (int)(20 + n));
	ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
	ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), 2);
	ck_assert_int_eq(p.h.tos, 0x28);
	ck_assert_int_eq(p.h.ttl, 9);
	close(fd);
	close(rfd);
}
END_TEST

/* multicastsockopt_test.go TestRawConnMulticastSocketOptions: multicast interface, TTL and
 * loopback on SOCK_RAW, read back and observed: the TTL and the link at rcv, the loop at the
 * sender itself. */
START_TEST(test_raw_multicast_sockopt)
{
	struct in_addr group = lab_addr("239.1.1.19");
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	int rfd = test_socket(LAB_RCV, SOCK_RAW, IPPROTO_ICMP);
	uint16_t id = test_id();
	struct raw_pkt p;
	bool loop;
	int v;

	ck_assert_int_eq(ipv4opt_set_multicast_if(fd, L->snd_if[1]), 0);
	ck_assert_int_eq(ipv4opt_get_multicast_if(fd, &v), 0);
	ck_assert_int_eq(v, L->snd_if[1]);
	ck_assert_int_eq(ipv4opt_set_multicast_ttl(fd, 2), 0);
	ck_assert_int_eq(ipv4opt_get_multicast_ttl(fd, &v), 0);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(ipv4opt_set_multicast_loop(fd, false), 0);
	ck_assert_int_eq(ipv4opt_get_multicast_loop(fd, &loop), 0);
	ck_assert(!loop);
	ck_assert_int_eq(ipv4opt_set_multicast_loop(fd, true), 0);
	ck_assert_int_eq(ipv4opt_get_multicast_loop(fd, &loop), 0);
	ck_assert(loop);

	/* on the wire: out of s1 (not the s0 route), TTL 2 */
	ck_assert_int_eq(ipv4opt_join_group(rfd, L->rcv_if[1], group), 0);
	ck_assert_int_eq(ipv4opt_set_control_message(rfd, IPV4OPT_CM_IFINDEX | IPV4OPT_CM_TTL, true),
			 0);
	icmp_send(fd, group, ICMP_TYPE_ECHO, id, 1);
	ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
	ck_assert_int_eq(p.h.ttl, 2);
	ck_assert_int_eq(p.cm.ttl, 2);
	ck_assert_int_eq(p.cm.ifindex, L->rcv_if[1]);
	ck_assert_uint_eq(p.h.src.s_addr, L->snd_addr[1].s_addr);

	/* loopback: the sender joins on s1, so its own echoes come back when the loop is on.
	 * Off first (seq 2), then on (seq 3): the first echo read back must be seq 3. */
	ck_assert_int_eq(ipv4opt_join_group(fd, L->snd_if[1], group), 0);
	ck_assert_int_eq(ipv4opt_set_multicast_loop(fd, false), 0);
	icmp_send(fd, group, ICMP_TYPE_ECHO, id, 2);
	ck_assert_int_eq(ipv4opt_set_multicast_loop(fd, true), 0);
	icmp_send(fd, group, ICMP_TYPE_ECHO, id, 3);
	ck_assert_int_eq(raw_read_until(fd, IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
	ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), 3);
	/* while rcv got both */
	for (uint16_t seq = 2; seq <= 3; seq++) {
		ck_assert_int_eq(raw_read_until(rfd, IP_PROTO_ICMP, ICMP_TYPE_ECHO, id, &p), 0);
		ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), seq);
	}
	close(fd);
	close(rfd);
}
END_TEST

/* Errors at the kernel boundary and in the library's own checks. */
START_TEST(test_raw_errors)
{
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_RAW);
	int ufd = test_socket(LAB_SND, SOCK_DGRAM, 0);
	struct ipv4opt_header h = { .ttl = 1, .protocol = IP_PROTO_UDP, .dst = L->rcv_addr[0] };
	static uint8_t big[70000];
	uint8_t buf[64];
	bool on;

	/* options not 4-aligned / too long */
	h.options_len = 3;
	ck_assert_int_eq(ipv4opt_raw_send(fd, &h, buf, 8, NULL), -IPV4OPT_E_HEADER_LENGTH);
	h.options_len = 44;
	ck_assert_int_eq(ipv4opt_raw_send(fd, &h, buf, 8, NULL), -IPV4OPT_E_HEADER_LENGTH);
	h.options_len = 0;
	/* more than the 16-bit total length can say */
	ck_assert_int_eq(ipv4opt_raw_send(fd, &h, big, 65536 - 20, NULL), -EMSGSIZE);
	/* a header field out of range */
	h.ttl = 256;
	ck_assert_int_eq(ipv4opt_raw_send(fd, &h, buf, 8, NULL), -EINVAL);
	h.ttl = 1;
	ck_assert_int_eq(ipv4opt_raw_send(fd, NULL, buf, 8, NULL), -EINVAL);
	/* IP_HDRINCL can be set on raw sockets only; any IPv4 socket reads it (as off) */
	ck_assert_int_eq(ipv4opt_set_hdrincl(ufd, true), -ENOPROTOOPT);
	on = true;
	ck_assert_int_eq(ipv4opt_get_hdrincl(ufd, &on), 0);
	ck_assert(!on);
	ck_assert_int_eq(ipv4opt_get_hdrincl(fd, NULL), -EINVAL);
	/* nothing to read: the timeout, as -EAGAIN */
	lab_rcvtimeo(fd, 100);
	struct ipv4opt_header rh;
	ck_assert_int_eq(ipv4opt_raw_recv(fd, buf, sizeof(buf), &rh, NULL, NULL, NULL), -EAGAIN);
	ck_assert_int_eq(ipv4opt_raw_recv(-1, buf, sizeof(buf), &rh, NULL, NULL, NULL), -EBADF);
	close(fd);
	close(ufd);
}
END_TEST

static Suite *raw_suite(void)
{
	Suite *s = suite_create("kernel_raw");
	TCase *tc = tcase_create("raw");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_raw_icmp_unicast);
	tcase_add_test(tc, test_raw_icmp_hdrincl);
	tcase_add_test(tc, test_raw_hdrincl_udp_fields);
	tcase_add_test(tc, test_raw_hdrincl_fragments);
	tcase_add_test(tc, test_raw_send_control_ifindex);
	tcase_add_test(tc, test_raw_multicast_icmp);
	tcase_add_test(tc, test_raw_listener_single_conn);
	tcase_add_test(tc, test_raw_listener_per_interface);
	tcase_add_test(tc, test_raw_unicast_sockopt);
	tcase_add_test(tc, test_raw_multicast_sockopt);
	tcase_add_test(tc, test_raw_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Built once, before Check forks a process per test, so every test shares it and only
	 * this process tears it down. */
	L = lab_get();
	return lab_run_suite(raw_suite());
}
