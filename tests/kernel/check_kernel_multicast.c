/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel tests of multicast options and memberships, in the namespace lab. Ports the scenarios
 * of the reference's multicastsockopt_test.go (interface, TTL, loopback, join/leave ASM and SSM,
 * block/unblock on UDP and raw sockets) and multicast_test.go (read/write multicast UDP with
 * control messages), plus what the issue asks: the membership limit, SSM and blocked sources
 * on the wire, IP_MULTICAST_ALL, source filters and /proc/net/mcfilter.
 */
#include <net/if.h>

#include "coretest.h"

#define PORT 5002
#define SYSCTL_MAX_MEMBERSHIPS "/proc/sys/net/ipv4/igmp_max_memberships"
#define SYSCTL_MAX_MSF "/proc/sys/net/ipv4/igmp_max_msf"

/* The second sender address on s0 (the first is 10.201.1.1). */
#define SND_EXTRA "10.201.1.11"

static void add_extra_sender_address(void)
{
	/* Idempotent: each test runs in a child of its own, the lab is shared. */
	lab_run(LAB_SND, "ip addr add " SND_EXTRA "/24 dev s0 2>/dev/null || true; "
			 "ip addr show dev s0 | grep -q " SND_EXTRA);
}

/* A UDP sender in snd bound to addr, sending multicast by ifindex. */
static int sender(const char *addr, int ifindex)
{
	int fd = ct_udp(LAB_SND, addr, 0, false);

	ck_assert_int_eq(ipv4opt_set_multicast_if(fd, ifindex), 0);
	return fd;
}

static void multicast_options(int fd)
{
	struct lab *l = lab_get();
	int idx = -1, ttl = -1, lo = (int)if_nametoindex("lo");
	bool on;

	/* Interface: 0 (unset) by default; set by index, read back by index. */
	ck_assert_int_eq(ipv4opt_get_multicast_if(fd, &idx), 0);
	ck_assert_int_eq(idx, 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(ipv4opt_set_multicast_if(fd, l->rcv_if[i]), 0);
		ck_assert_int_eq(ipv4opt_get_multicast_if(fd, &idx), 0);
		ck_assert_int_eq(idx, l->rcv_if[i]);
	}
	ck_assert_int_eq(ipv4opt_set_multicast_if(fd, lo), 0);
	ck_assert_int_eq(ipv4opt_get_multicast_if(fd, &idx), 0);
	ck_assert_int_eq(idx, lo);
	ck_assert_int_eq(ipv4opt_set_multicast_if(fd, 0), 0);
	ck_assert_int_eq(ipv4opt_get_multicast_if(fd, &idx), 0);
	ck_assert_int_eq(idx, 0);
	ck_assert_int_eq(ipv4opt_set_multicast_if(fd, 9999), -ENODEV);
	ck_assert_int_eq(ipv4opt_set_multicast_if(fd, -1), -EINVAL);

	/* TTL: default 1. */
	ck_assert_int_eq(ipv4opt_get_multicast_ttl(fd, &ttl), 0);
	ck_assert_int_eq(ttl, 1);
	ck_assert_int_eq(ipv4opt_set_multicast_ttl(fd, 255), 0);
	ck_assert_int_eq(ipv4opt_get_multicast_ttl(fd, &ttl), 0);
	ck_assert_int_eq(ttl, 255);
	ck_assert_int_eq(ipv4opt_set_multicast_ttl(fd, 256), -EINVAL);

	/* Loopback: default on. */
	ck_assert_int_eq(ipv4opt_get_multicast_loop(fd, &on), 0);
	ck_assert(on);
	ck_assert_int_eq(ipv4opt_set_multicast_loop(fd, false), 0);
	ck_assert_int_eq(ipv4opt_get_multicast_loop(fd, &on), 0);
	ck_assert(!on);
	ck_assert_int_eq(ipv4opt_set_multicast_loop(fd, true), 0);
	ck_assert_int_eq(ipv4opt_get_multicast_loop(fd, &on), 0);
	ck_assert(on);

	/* IP_MULTICAST_ALL: default on. */
	ck_assert_int_eq(ipv4opt_get_multicast_all(fd, &on), 0);
	ck_assert(on);
	ck_assert_int_eq(ipv4opt_set_multicast_all(fd, false), 0);
	ck_assert_int_eq(ipv4opt_get_multicast_all(fd, &on), 0);
	ck_assert(!on);
}

static void memberships(int fd)
{
	struct lab *l = lab_get();
	struct in_addr g = lab_addr("239.5.5.5"), ssm = lab_addr("232.5.5.5");
	struct in_addr s1 = lab_addr("10.201.1.1"), s2 = lab_addr(SND_EXTRA);
	int r0 = l->rcv_if[0], r1 = l->rcv_if[1];

	/* Any-source, on both interfaces. */
	ck_assert_int_eq(ipv4opt_join_group(fd, r0, g), 0);
	ck_assert_int_eq(ipv4opt_join_group(fd, r1, g), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "239.5.5.5"), 1);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "239.5.5.5"), 1);
	ck_assert_int_eq(ipv4opt_join_group(fd, r0, g), -EADDRINUSE);
	/* Exclude one source, re-include it. */
	ck_assert_int_eq(ipv4opt_block_source(fd, r0, g, s1), 0);
	ck_assert_int_eq(lab_mcfilter_has(LAB_RCV, "r0", "239.5.5.5", "10.201.1.1"), 1);
	ck_assert_int_eq(ipv4opt_unblock_source(fd, r0, g, s1), 0);
	ck_assert_int_eq(lab_mcfilter_has(LAB_RCV, "r0", "239.5.5.5", "10.201.1.1"), 0);
	ck_assert_int_eq(ipv4opt_unblock_source(fd, r0, g, s1), -EADDRNOTAVAIL);
	ck_assert_int_eq(ipv4opt_leave_group(fd, r0, g), 0);
	ck_assert_int_eq(ipv4opt_leave_group(fd, r1, g), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "239.5.5.5"), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "239.5.5.5"), 0);
	ck_assert_int_eq(ipv4opt_leave_group(fd, r0, g), -EADDRNOTAVAIL);

	/* Source-specific: two sources of one group. */
	ck_assert_int_eq(ipv4opt_join_source_group(fd, r0, ssm, s1), 0);
	ck_assert_int_eq(ipv4opt_join_source_group(fd, r0, ssm, s2), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "232.5.5.5"), 1);
	ck_assert_int_eq(lab_mcfilter_has(LAB_RCV, "r0", "232.5.5.5", "10.201.1.1"), 1);
	ck_assert_int_eq(lab_mcfilter_has(LAB_RCV, "r0", "232.5.5.5", SND_EXTRA), 1);
	ck_assert_int_eq(ipv4opt_join_source_group(fd, r0, ssm, s1), -EADDRNOTAVAIL);
	ck_assert_int_eq(ipv4opt_leave_source_group(fd, r0, ssm, s1), 0);
	ck_assert_int_eq(lab_mcfilter_has(LAB_RCV, "r0", "232.5.5.5", "10.201.1.1"), 0);
	ck_assert_int_eq(ipv4opt_leave_source_group(fd, r0, ssm, s2), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "232.5.5.5"), 0);

	/* Errors: not multicast, no such interface. */
	ck_assert_int_eq(ipv4opt_join_group(fd, r0, s1), -IPV4OPT_E_NOT_MULTICAST);
	ck_assert_int_eq(ipv4opt_join_source_group(fd, r0, s1, s2), -IPV4OPT_E_NOT_MULTICAST);
	ck_assert_int_eq(ipv4opt_block_source(fd, r0, lab_addr("255.255.255.255"), s1),
			 -IPV4OPT_E_NOT_MULTICAST);
	ck_assert_int_eq(ipv4opt_join_group(fd, 9999, g), -ENODEV);
	ck_assert_int_eq(ipv4opt_join_group(fd, -1, g), -EINVAL);
}

START_TEST(test_multicastsockopt_udp)
{
	/* multicastsockopt_test.go: TestPacketConnMulticastSocketOptions (udp4) */
	int fd = ct_udp(LAB_RCV, NULL, PORT, false);

	add_extra_sender_address();
	multicast_options(fd);
	memberships(fd);
	close(fd);
}
END_TEST

START_TEST(test_multicastsockopt_raw)
{
	/* multicastsockopt_test.go: TestPacketConnMulticastSocketOptions (ip4:icmp) and
	 * TestRawConnMulticastSocketOptions */
	int fd = ct_socket(LAB_RCV, SOCK_RAW, IPPROTO_ICMP);

	add_extra_sender_address();
	multicast_options(fd);
	memberships(fd);
	close(fd);
}
END_TEST

START_TEST(test_multicast_read_write)
{
	/* multicast_test.go: TestPacketConnReadWriteMulticastUDP. The sender sets the interface,
	 * TTL and TOS on its socket; the receiver reads them per packet with the group and the
	 * arrival interface. Then the same by s1 / r1. */
	struct lab *l = lab_get();
	int rcv = ct_udp(LAB_RCV, NULL, PORT, false);
	struct ipv4opt_cm cm;
	struct sockaddr_in from;

	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_ALL, true), 0);
	ck_assert_int_eq(ipv4opt_join_group(rcv, l->rcv_if[0], lab_addr("239.1.1.1")), 0);
	ck_assert_int_eq(ipv4opt_join_group(rcv, l->rcv_if[1], lab_addr("239.1.1.1")), 0);
	for (int i = 0; i < 2; i++) {
		int snd = sender(NULL, l->snd_if[i]);
		char want[32];

		ck_assert_int_eq(ipv4opt_set_multicast_ttl(snd, 5 + i), 0);
		ck_assert_int_eq(ipv4opt_set_tos(snd, IPV4OPT_DSCP_EF << 2), 0);
		ck_assert_int_eq(ipv4opt_set_multicast_loop(snd, false), 0);
		snprintf(want, sizeof(want), "group by s%d", i);
		ct_send(snd, want, "239.1.1.1", PORT, NULL);
		ct_expect(rcv, want, &from, &cm);
		ck_assert_str_eq(ct_ntoa(from.sin_addr), i == 0 ? "10.201.1.1" : "10.201.2.1");
		ck_assert_str_eq(ct_ntoa(cm.dst), "239.1.1.1");
		ck_assert_int_eq(cm.ifindex, l->rcv_if[i]);
		ck_assert_int_eq(cm.ttl, 5 + i);
		ck_assert_int_eq(cm.tos, IPV4OPT_DSCP_EF << 2);
		/* Per packet, the control message overrides the socket's TTL and TOS. */
		ct_send(snd, "cm", "239.1.1.1", PORT,
			&(struct ipv4opt_cm){ .flags = IPV4OPT_CM_TTL | IPV4OPT_CM_TOS,
					      .ttl = 9, .tos = 0x28 });
		ct_expect(rcv, "cm", NULL, &cm);
		ck_assert_int_eq(cm.ttl, 9);
		ck_assert_int_eq(cm.tos, 0x28);
		close(snd);
	}
	/* Egress by IP_PKTINFO on a socket without IP_MULTICAST_IF. */
	{
		int snd = ct_udp(LAB_SND, NULL, 0, false);

		ct_send(snd, "pktinfo s1", "239.1.1.1", PORT,
			&(struct ipv4opt_cm){ .flags = IPV4OPT_CM_IFINDEX,
					      .ifindex = l->snd_if[1] });
		ct_expect(rcv, "pktinfo s1", &from, &cm);
		ck_assert_int_eq(cm.ifindex, l->rcv_if[1]);
		close(snd);
	}
	/* Left on r1: what s1 sends no longer arrives. */
	ck_assert_int_eq(ipv4opt_leave_group(rcv, l->rcv_if[1], lab_addr("239.1.1.1")), 0);
	{
		int snd = sender(NULL, l->snd_if[1]);

		ct_send(snd, "gone", "239.1.1.1", PORT, NULL);
		ct_expect_none(rcv);
		close(snd);
	}
	/* While r0 still delivers: the next datagram read is this one, not "gone". */
	{
		int snd = sender(NULL, l->snd_if[0]);

		ct_send(snd, "still joined on r0", "239.1.1.1", PORT, NULL);
		ct_expect(rcv, "still joined on r0", NULL, &cm);
		ck_assert_int_eq(cm.ifindex, l->rcv_if[0]);
		close(snd);
	}
	close(rcv);
}
END_TEST

START_TEST(test_multicast_loop)
{
	/* A socket in snd that joined the group on s0 hears its own datagrams only with
	 * IP_MULTICAST_LOOP on. */
	struct lab *l = lab_get();
	int fd = ct_udp(LAB_SND, NULL, PORT, false);

	ck_assert_int_eq(ipv4opt_join_group(fd, l->snd_if[0], lab_addr("239.1.1.2")), 0);
	ck_assert_int_eq(ipv4opt_set_multicast_if(fd, l->snd_if[0]), 0);
	ct_send(fd, "looped", "239.1.1.2", PORT, NULL);
	ct_expect(fd, "looped", NULL, NULL);
	ck_assert_int_eq(ipv4opt_set_multicast_loop(fd, false), 0);
	ct_send(fd, "not looped", "239.1.1.2", PORT, NULL);
	ct_expect_none(fd);
	/* Loop on again: the next datagram heard is the one sent now. */
	ck_assert_int_eq(ipv4opt_set_multicast_loop(fd, true), 0);
	ct_send(fd, "looped again", "239.1.1.2", PORT, NULL);
	ct_expect(fd, "looped again", NULL, NULL);
	close(fd);
}
END_TEST

START_TEST(test_max_memberships)
{
	/* One socket holds net.ipv4.igmp_max_memberships groups (per namespace); one more is
	 * -ENOBUFS. At the default, then raised to 100: all 100 on r0 in /proc/net/igmp. */
	struct lab *l = lab_get();
	int max = ct_sysctl_get(LAB_RCV, SYSCTL_MAX_MEMBERSHIPS);
	int fd = ct_udp(LAB_RCV, NULL, 0, false);
	char g[32];
	int count;

	ck_assert_int_eq(max, 20);
	for (int i = 0; i < max; i++) {
		snprintf(g, sizeof(g), "239.100.0.%d", i + 1);
		ck_assert_int_eq(ipv4opt_join_group(fd, l->rcv_if[0], lab_addr(g)), 0);
	}
	ck_assert_int_eq(ipv4opt_join_group(fd, l->rcv_if[0], lab_addr("239.100.1.1")), -ENOBUFS);
	/* SSM channels count the same way. */
	ck_assert_int_eq(ipv4opt_join_source_group(fd, l->rcv_if[0], lab_addr("232.100.1.1"),
						   lab_addr("10.201.1.1")), -ENOBUFS);
	close(fd);

	ct_sysctl_set(LAB_RCV, SYSCTL_MAX_MEMBERSHIPS, 100);
	fd = ct_udp(LAB_RCV, NULL, 0, false);
	for (int i = 0; i < 100; i++) {
		snprintf(g, sizeof(g), "239.100.%d.%d", i / 50, i % 50 + 1);
		ck_assert_msg(ipv4opt_join_group(fd, l->rcv_if[0], lab_addr(g)) == 0, "join %s", g);
	}
	count = 0;
	for (int i = 0; i < 100; i++) {
		snprintf(g, sizeof(g), "239.100.%d.%d", i / 50, i % 50 + 1);
		count += lab_igmp_has(LAB_RCV, "r0", g);
	}
	ck_assert_int_eq(count, 100);
	ck_assert_int_eq(ipv4opt_join_group(fd, l->rcv_if[0], lab_addr("239.100.9.9")), -ENOBUFS);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "239.100.9.9"), 0);
	/* Leaving one frees its slot. */
	ck_assert_int_eq(ipv4opt_leave_group(fd, l->rcv_if[0], lab_addr("239.100.0.1")), 0);
	ck_assert_int_eq(ipv4opt_join_group(fd, l->rcv_if[0], lab_addr("239.100.9.9")), 0);
	close(fd);
	ct_sysctl_set(LAB_RCV, SYSCTL_MAX_MEMBERSHIPS, max);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "239.100.0.2"), 0);
}
END_TEST

START_TEST(test_max_sources)
{
	/* net.ipv4.igmp_max_msf sources per group and socket: one more is -ENOBUFS. Raised to
	 * 40 to read a filter longer than the library's stack buffer back. */
	struct lab *l = lab_get();
	int max = ct_sysctl_get(LAB_RCV, SYSCTL_MAX_MSF);
	int fd = ct_udp(LAB_RCV, NULL, 0, false);
	struct in_addr g = lab_addr("232.7.7.7"), src[64];
	enum ipv4opt_filter_mode mode;
	size_t n;
	char s[32];

	ck_assert_int_eq(max, 10);
	for (int i = 0; i < max; i++) {
		snprintf(s, sizeof(s), "10.7.0.%d", i + 1);
		ck_assert_int_eq(ipv4opt_join_source_group(fd, l->rcv_if[0], g, lab_addr(s)), 0);
	}
	ck_assert_int_eq(ipv4opt_join_source_group(fd, l->rcv_if[0], g, lab_addr("10.7.1.1")),
			 -ENOBUFS);
	close(fd);

	ct_sysctl_set(LAB_RCV, SYSCTL_MAX_MSF, 40);
	fd = ct_udp(LAB_RCV, NULL, 0, false);
	for (int i = 0; i < 40; i++) {
		snprintf(s, sizeof(s), "10.7.0.%d", i + 1);
		ck_assert_int_eq(ipv4opt_join_source_group(fd, l->rcv_if[0], g, lab_addr(s)), 0);
	}
	n = 64;
	ck_assert_int_eq(ipv4opt_get_source_filter(fd, l->rcv_if[0], g, &mode, src, &n), 0);
	ck_assert_int_eq(mode, IPV4OPT_FILTER_INCLUDE);
	ck_assert_uint_eq(n, 40);
	for (int i = 0; i < 40; i++) {
		snprintf(s, sizeof(s), "10.7.0.%d", i + 1);
		ck_assert_str_eq(ct_ntoa(src[i]), s);
	}
	/* A short array: the count is the kernel's, only the first entries are stored. */
	memset(src, 0, sizeof(src));
	n = 3;
	ck_assert_int_eq(ipv4opt_get_source_filter(fd, l->rcv_if[0], g, &mode, src, &n), 0);
	ck_assert_uint_eq(n, 40);
	ck_assert_str_eq(ct_ntoa(src[2]), "10.7.0.3");
	ck_assert_uint_eq(src[3].s_addr, 0);
	n = 0;
	ck_assert_int_eq(ipv4opt_get_source_filter(fd, l->rcv_if[0], g, &mode, NULL, &n), 0);
	ck_assert_uint_eq(n, 40);
	close(fd);
	ct_sysctl_set(LAB_RCV, SYSCTL_MAX_MSF, max);
}
END_TEST

START_TEST(test_ssm_delivery)
{
	/* Two senders on s0 (10.201.1.1 and 10.201.1.11) send to one SSM group; the receiver
	 * joined (10.201.1.1, 232.10.0.4) only: the other source never arrives. */
	struct lab *l = lab_get();
	int rcv = ct_udp(LAB_RCV, NULL, PORT, false);
	int a, b;
	struct in_addr g = lab_addr("232.10.0.4");
	struct sockaddr_in from;
	enum ipv4opt_filter_mode mode;
	struct in_addr src[4];
	size_t n = 4;

	add_extra_sender_address();
	a = sender("10.201.1.1", l->snd_if[0]);
	b = sender(SND_EXTRA, l->snd_if[0]);
	ck_assert_int_eq(ipv4opt_join_source_group(rcv, l->rcv_if[0], g, lab_addr("10.201.1.1")), 0);
	ck_assert_int_eq(lab_mcfilter_has(LAB_RCV, "r0", "232.10.0.4", "10.201.1.1"), 1);
	ck_assert_int_eq(lab_mcfilter_has(LAB_RCV, "r0", "232.10.0.4", SND_EXTRA), 0);
	ck_assert_int_eq(ipv4opt_get_source_filter(rcv, l->rcv_if[0], g, &mode, src, &n), 0);
	ck_assert_int_eq(mode, IPV4OPT_FILTER_INCLUDE);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ct_ntoa(src[0]), "10.201.1.1");

	ct_send(b, "from .11, not joined", "232.10.0.4", PORT, NULL);
	ct_send(a, "from .1", "232.10.0.4", PORT, NULL);
	ct_expect(rcv, "from .1", &from, NULL);
	ck_assert_str_eq(ct_ntoa(from.sin_addr), "10.201.1.1");
	ct_expect_none(rcv);

	/* Add the second source: both arrive. Drop the first: only the second. */
	ck_assert_int_eq(ipv4opt_join_source_group(rcv, l->rcv_if[0], g, lab_addr(SND_EXTRA)), 0);
	ct_send(b, "from .11", "232.10.0.4", PORT, NULL);
	ct_expect(rcv, "from .11", &from, NULL);
	ck_assert_str_eq(ct_ntoa(from.sin_addr), SND_EXTRA);
	ck_assert_int_eq(ipv4opt_leave_source_group(rcv, l->rcv_if[0], g, lab_addr("10.201.1.1")),
			 0);
	ck_assert_int_eq(lab_mcfilter_has(LAB_RCV, "r0", "232.10.0.4", "10.201.1.1"), 0);
	ct_send(a, "from .1, left", "232.10.0.4", PORT, NULL);
	ct_expect_none(rcv);
	ct_send(b, "from .11 again", "232.10.0.4", PORT, NULL);
	ct_expect(rcv, "from .11 again", NULL, NULL);
	close(a);
	close(b);
	close(rcv);
}
END_TEST

START_TEST(test_block_source)
{
	/* Any-source group, two senders: blocking one stops its datagrams, the other still
	 * arrives; unblocking brings it back. The filter reads back as EXCLUDE {blocked}. */
	struct lab *l = lab_get();
	int rcv = ct_udp(LAB_RCV, NULL, PORT, false);
	struct in_addr g = lab_addr("239.2.2.2");
	struct sockaddr_in from;
	enum ipv4opt_filter_mode mode;
	struct in_addr src[4];
	size_t n;
	int a, b;

	add_extra_sender_address();
	a = sender("10.201.1.1", l->snd_if[0]);
	b = sender(SND_EXTRA, l->snd_if[0]);
	ck_assert_int_eq(ipv4opt_join_group(rcv, l->rcv_if[0], g), 0);
	n = 4;
	ck_assert_int_eq(ipv4opt_get_source_filter(rcv, l->rcv_if[0], g, &mode, src, &n), 0);
	ck_assert_int_eq(mode, IPV4OPT_FILTER_EXCLUDE);
	ck_assert_uint_eq(n, 0);

	ct_send(a, "a1", "239.2.2.2", PORT, NULL);
	ct_expect(rcv, "a1", NULL, NULL);
	ct_send(b, "b1", "239.2.2.2", PORT, NULL);
	ct_expect(rcv, "b1", NULL, NULL);

	ck_assert_int_eq(ipv4opt_block_source(rcv, l->rcv_if[0], g, lab_addr(SND_EXTRA)), 0);
	n = 4;
	ck_assert_int_eq(ipv4opt_get_source_filter(rcv, l->rcv_if[0], g, &mode, src, &n), 0);
	ck_assert_int_eq(mode, IPV4OPT_FILTER_EXCLUDE);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ct_ntoa(src[0]), SND_EXTRA);
	ck_assert_int_eq(lab_mcfilter_has(LAB_RCV, "r0", "239.2.2.2", SND_EXTRA), 1);
	ct_send(b, "b2", "239.2.2.2", PORT, NULL);
	ct_send(a, "a2", "239.2.2.2", PORT, NULL);
	ct_expect(rcv, "a2", &from, NULL);
	ck_assert_str_eq(ct_ntoa(from.sin_addr), "10.201.1.1");
	ct_expect_none(rcv);

	ck_assert_int_eq(ipv4opt_unblock_source(rcv, l->rcv_if[0], g, lab_addr(SND_EXTRA)), 0);
	ct_send(b, "b3", "239.2.2.2", PORT, NULL);
	ct_expect(rcv, "b3", NULL, NULL);
	close(a);
	close(b);
	close(rcv);
}
END_TEST

START_TEST(test_set_source_filter)
{
	/* The whole filter in one call: INCLUDE {10.201.1.11} on a joined group, then
	 * EXCLUDE {}, then INCLUDE {} (which leaves the group). */
	struct lab *l = lab_get();
	int rcv = ct_udp(LAB_RCV, NULL, PORT, false);
	struct in_addr g = lab_addr("239.2.2.3"), only = lab_addr(SND_EXTRA), src[4];
	enum ipv4opt_filter_mode mode;
	size_t n;
	int a, b;

	add_extra_sender_address();
	a = sender("10.201.1.1", l->snd_if[0]);
	b = sender(SND_EXTRA, l->snd_if[0]);
	ck_assert_int_eq(ipv4opt_set_source_filter(rcv, l->rcv_if[0], g, IPV4OPT_FILTER_INCLUDE,
						   &only, 1), -EINVAL); /* not joined */
	ck_assert_int_eq(ipv4opt_join_group(rcv, l->rcv_if[0], g), 0);
	ck_assert_int_eq(ipv4opt_set_source_filter(rcv, l->rcv_if[0], g, IPV4OPT_FILTER_INCLUDE,
						   &only, 1), 0);
	n = 4;
	ck_assert_int_eq(ipv4opt_get_source_filter(rcv, l->rcv_if[0], g, &mode, src, &n), 0);
	ck_assert_int_eq(mode, IPV4OPT_FILTER_INCLUDE);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ct_ntoa(src[0]), SND_EXTRA);
	ct_send(a, "a, not included", "239.2.2.3", PORT, NULL);
	ct_send(b, "b", "239.2.2.3", PORT, NULL);
	ct_expect(rcv, "b", NULL, NULL);
	ct_expect_none(rcv);

	ck_assert_int_eq(ipv4opt_set_source_filter(rcv, l->rcv_if[0], g, IPV4OPT_FILTER_EXCLUDE,
						   NULL, 0), 0);
	ct_send(a, "a, excluded none", "239.2.2.3", PORT, NULL);
	ct_expect(rcv, "a, excluded none", NULL, NULL);
	ck_assert_int_eq(ipv4opt_set_source_filter(rcv, l->rcv_if[0], g,
						   (enum ipv4opt_filter_mode)7, NULL, 0), -EINVAL);
	ck_assert_int_eq(ipv4opt_set_source_filter(rcv, l->rcv_if[0], g, IPV4OPT_FILTER_INCLUDE,
						   NULL, 0), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "239.2.2.3"), 0);
	n = 4;
	ck_assert_int_eq(ipv4opt_get_source_filter(rcv, l->rcv_if[0], g, &mode, src, &n),
			 -EADDRNOTAVAIL);
	close(a);
	close(b);
	close(rcv);
}
END_TEST

START_TEST(test_multicast_all)
{
	/* Two sockets on one port, each joined to one group. With IP_MULTICAST_ALL on (the
	 * default) each receives both groups; off, each receives only its own. */
	struct lab *l = lab_get();
	int x = ct_udp(LAB_RCV, NULL, PORT, true), y = ct_udp(LAB_RCV, NULL, PORT, true);
	int snd = sender(NULL, l->snd_if[0]);
	struct ipv4opt_cm cm;

	ck_assert_int_eq(ipv4opt_join_group(x, l->rcv_if[0], lab_addr("239.3.3.1")), 0);
	ck_assert_int_eq(ipv4opt_join_group(y, l->rcv_if[0], lab_addr("239.3.3.2")), 0);
	ck_assert_int_eq(ipv4opt_set_control_message(x, IPV4OPT_CM_DST, true), 0);
	ck_assert_int_eq(ipv4opt_set_control_message(y, IPV4OPT_CM_DST, true), 0);

	ct_send(snd, "one", "239.3.3.1", PORT, NULL);
	ct_send(snd, "two", "239.3.3.2", PORT, NULL);
	ct_expect(x, "one", NULL, &cm);
	ct_expect(x, "two", NULL, &cm);
	ck_assert_str_eq(ct_ntoa(cm.dst), "239.3.3.2");
	ct_expect(y, "one", NULL, &cm);
	ck_assert_str_eq(ct_ntoa(cm.dst), "239.3.3.1");
	ct_expect(y, "two", NULL, &cm);

	ck_assert_int_eq(ipv4opt_set_multicast_all(x, false), 0);
	ck_assert_int_eq(ipv4opt_set_multicast_all(y, false), 0);
	ct_send(snd, "one", "239.3.3.1", PORT, NULL);
	ct_send(snd, "two", "239.3.3.2", PORT, NULL);
	ct_expect(x, "one", NULL, &cm);
	ck_assert_str_eq(ct_ntoa(cm.dst), "239.3.3.1");
	ct_expect_none(x);
	ct_expect(y, "two", NULL, &cm);
	ck_assert_str_eq(ct_ntoa(cm.dst), "239.3.3.2");
	ct_expect_none(y);
	/* Each still gets its own group: the next datagram each reads is the one sent now. */
	ct_send(snd, "one again", "239.3.3.1", PORT, NULL);
	ct_send(snd, "two again", "239.3.3.2", PORT, NULL);
	ct_expect(x, "one again", NULL, &cm);
	ct_expect(y, "two again", NULL, &cm);
	close(x);
	close(y);
	close(snd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel_multicast");
	TCase *tc = tcase_create("multicast");

	/* ARRIVE_MS is seconds: room for a few waits of it on a loaded machine */
	tcase_set_timeout(tc, 60);

	tcase_add_test(tc, test_multicastsockopt_udp);
	tcase_add_test(tc, test_multicastsockopt_raw);
	tcase_add_test(tc, test_multicast_read_write);
	tcase_add_test(tc, test_multicast_loop);
	tcase_add_test(tc, test_max_memberships);
	tcase_add_test(tc, test_max_sources);
	tcase_add_test(tc, test_ssm_delivery);
	tcase_add_test(tc, test_block_source);
	tcase_add_test(tc, test_set_source_filter);
	tcase_add_test(tc, test_multicast_all);
	suite_add_tcase(s, tc);
	return lab_run_suite(s);
}
