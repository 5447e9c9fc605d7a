/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel tests of unicast options and control messages, in the namespace lab. Ports the
 * scenarios of the reference's unicastsockopt_test.go (TOS/TTL on stream, datagram and raw
 * sockets) and unicast_test.go (read/write unicast UDP and ICMP with control messages), plus
 * IP_RECVTOS, IP_UNICAST_IF, MSG_TRUNC and SO_RXQ_OVFL.
 */
#include <net/if.h>
#include <netinet/ip_icmp.h>
#include <sys/ioctl.h>

#include "coretest.h"

#define PORT 5001

START_TEST(test_tos_ttl_sockets)
{
	/* unicastsockopt_test.go: TestConnUnicastSocketOptions (TCP),
	 * TestPacketConnUnicastSocketOptions (UDP, ICMP raw), TestRawConnUnicastSocketOptions */
	static const struct {
		int type, protocol;
	} kinds[] = {
		{ SOCK_STREAM, IPPROTO_TCP },
		{ SOCK_DGRAM, IPPROTO_UDP },
		{ SOCK_RAW, IPPROTO_ICMP },
		{ SOCK_RAW, IPPROTO_RAW },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int fd = ct_socket(LAB_RCV, kinds[i].type, kinds[i].protocol);
		int tos = -1, ttl = -1;

		ck_assert_int_eq(ipv4opt_get_tos(fd, &tos), 0);
		ck_assert_int_eq(tos, 0);
		ck_assert_int_eq(ipv4opt_get_ttl(fd, &ttl), 0);
		ck_assert_int_eq(ttl, 64); /* net.ipv4.ip_default_ttl */

		ck_assert_int_eq(ipv4opt_set_tos(fd, IPV4OPT_DSCP_AF11 << 2), 0);
		ck_assert_int_eq(ipv4opt_get_tos(fd, &tos), 0);
		ck_assert_int_eq(tos, IPV4OPT_DSCP_AF11 << 2);
		ck_assert_int_eq(ipv4opt_set_ttl(fd, 255), 0);
		ck_assert_int_eq(ipv4opt_get_ttl(fd, &ttl), 0);
		ck_assert_int_eq(ttl, 255);
		ck_assert_int_eq(ipv4opt_set_ttl(fd, 1), 0);
		ck_assert_int_eq(ipv4opt_get_ttl(fd, &ttl), 0);
		ck_assert_int_eq(ttl, 1);

		/* ECN bits: TCP owns them (net/ipv4/ip_sockglue.c, __ip_sock_set_tos()). */
		ck_assert_int_eq(ipv4opt_set_tos(fd, 0xb9), 0);
		ck_assert_int_eq(ipv4opt_get_tos(fd, &tos), 0);
		ck_assert_int_eq(tos, kinds[i].type == SOCK_STREAM ? 0xb8 : 0xb9);

		/* Errors come back as negative errno values. */
		ck_assert_int_eq(ipv4opt_set_ttl(fd, 0), -EINVAL);
		ck_assert_int_eq(ipv4opt_set_ttl(fd, 256), -EINVAL);
		ck_assert_int_eq(ipv4opt_set_tos(fd, 256), -EINVAL);
		ck_assert_int_eq(ipv4opt_set_tos(fd, -1), -EINVAL);
		ck_assert_int_eq(ipv4opt_get_ttl(fd, &ttl), 0);
		ck_assert_int_eq(ttl, 1);
		/* -1 restores the default TTL. */
		ck_assert_int_eq(ipv4opt_set_ttl(fd, -1), 0);
		ck_assert_int_eq(ipv4opt_get_ttl(fd, &ttl), 0);
		ck_assert_int_eq(ttl, 64);
		close(fd);
	}
	ck_assert_int_eq(ipv4opt_set_tos(-1, 0), -EBADF);
	ck_assert_int_eq(ipv4opt_get_ttl(-1, &(int){ 0 }), -EBADF);
}
END_TEST

START_TEST(test_set_dscp_keeps_ecn)
{
	int fd = ct_socket(LAB_RCV, SOCK_DGRAM, 0);
	int tos;

	ck_assert_int_eq(ipv4opt_set_tos(fd, 0x03), 0);
	ck_assert_int_eq(ipv4opt_set_dscp(fd, IPV4OPT_DSCP_EF), 0);
	ck_assert_int_eq(ipv4opt_get_tos(fd, &tos), 0);
	ck_assert_int_eq(tos, 0xbb);
	ck_assert_int_eq(ipv4opt_set_dscp(fd, IPV4OPT_DSCP_CS0), 0);
	ck_assert_int_eq(ipv4opt_get_tos(fd, &tos), 0);
	ck_assert_int_eq(tos, 0x03);
	ck_assert_int_eq(ipv4opt_set_dscp(fd, 64), -EINVAL);
	close(fd);
}
END_TEST

START_TEST(test_udp_read_write_cm)
{
	/* unicast_test.go: TestPacketConnReadWriteUnicastUDP, across the veth pair s0 - r0. */
	struct lab *l = lab_get();
	int rcv = ct_udp(LAB_RCV, "10.201.1.2", PORT, false);
	int snd = ct_udp(LAB_SND, "10.201.1.1", 0, false);
	struct ipv4opt_cm out = { .flags = IPV4OPT_CM_TTL | IPV4OPT_CM_TOS, .ttl = 42, .tos = 0xb8 };
	struct ipv4opt_cm cm, reply;
	struct sockaddr_in from;

	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_ALL, true), 0);
	ct_send(snd, "hello", "10.201.1.2", PORT, &out);
	ct_expect(rcv, "hello", &from, &cm);
	ck_assert_str_eq(ct_ntoa(from.sin_addr), "10.201.1.1");
	ck_assert_int_eq(ntohs(from.sin_port), ct_port(snd));
	/* SO_RXQ_OVFL is on, but the kernel adds the counter only once it is above zero
	 * (net/core/sock.c, sock_recv_drops()). */
	ck_assert_uint_eq(cm.flags, IPV4OPT_CM_TTL | IPV4OPT_CM_TOS | IPV4OPT_CM_SRC |
					    IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX);
	ck_assert_int_eq(cm.ttl, 42);
	ck_assert_int_eq(cm.tos, 0xb8);
	ck_assert_str_eq(ct_ntoa(cm.dst), "10.201.1.2");
	ck_assert_int_eq(cm.ifindex, l->rcv_if[0]);
	ck_assert_str_eq(ct_ntoa(cm.src), "10.201.1.2"); /* ipi_spec_dst: our local address */

	/* The reply leaves with the received destination as source and by the arrival
	 * interface (IP_PKTINFO on send). */
	reply = (struct ipv4opt_cm){
		.flags = IPV4OPT_CM_SRC | IPV4OPT_CM_IFINDEX,
		.src = cm.dst,
		.ifindex = cm.ifindex,
	};
	ck_assert_int_eq(ipv4opt_sendmsg(rcv, "world", 5, 0, &from, &reply), 5);
	ct_expect(snd, "world", &from, NULL);
	ck_assert_str_eq(ct_ntoa(from.sin_addr), "10.201.1.2");
	ck_assert_int_eq(ntohs(from.sin_port), PORT);

	/* Disabled one by one, each message goes away; the others stay. */
	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_TTL, false), 0);
	ct_send(snd, "no ttl", "10.201.1.2", PORT, &out);
	ct_expect(rcv, "no ttl", NULL, &cm);
	ck_assert(!(cm.flags & IPV4OPT_CM_TTL));
	ck_assert(cm.flags & IPV4OPT_CM_TOS);
	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_TOS | IPV4OPT_CM_RXQ_OVFL,
						     false), 0);
	ct_send(snd, "no tos", "10.201.1.2", PORT, &out);
	ct_expect(rcv, "no tos", NULL, &cm);
	ck_assert_uint_eq(cm.flags, IPV4OPT_CM_SRC | IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX);
	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_DST, false), 0);
	ct_send(snd, "none", "10.201.1.2", PORT, NULL);
	ct_expect(rcv, "none", NULL, &cm);
	ck_assert_uint_eq(cm.flags, 0);
	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_TTL, true), 0);
	ct_send(snd, "ttl again", "10.201.1.2", PORT, NULL);
	ct_expect(rcv, "ttl again", NULL, &cm);
	ck_assert_uint_eq(cm.flags, IPV4OPT_CM_TTL);
	ck_assert_int_eq(cm.ttl, 64);
	/* The socket's TTL (IP_TTL) on the wire. */
	ck_assert_int_eq(ipv4opt_set_ttl(snd, 33), 0);
	ct_send(snd, "ttl 33", "10.201.1.2", PORT, NULL);
	ct_expect(rcv, "ttl 33", NULL, &cm);
	ck_assert_int_eq(cm.ttl, 33);
	ck_assert_int_eq(ipv4opt_set_control_message(rcv, 1u << 10, true), -EINVAL);
	close(rcv);
	close(snd);
}
END_TEST

START_TEST(test_pktinfo_source_and_interface)
{
	/* IP_PKTINFO on send: ipi_spec_dst picks the source address, ipi_ifindex the way out.
	 * Sent to r1's address 10.201.2.2 by s0 with s1's address as source: the receiver sees
	 * it arrive on r0 from 10.201.2.1 (rp_filter is off in rcv). */
	struct lab *l = lab_get();
	int rcv = ct_udp(LAB_RCV, NULL, PORT, false);
	int snd = ct_udp(LAB_SND, NULL, 0, false);
	struct ipv4opt_cm out = {
		.flags = IPV4OPT_CM_SRC | IPV4OPT_CM_IFINDEX,
		.src = lab_addr("10.201.2.1"),
		.ifindex = l->snd_if[0],
	};
	struct ipv4opt_cm cm;
	struct sockaddr_in from;

	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX, true),
			 0);
	ct_send(snd, "via s0", "10.201.2.2", PORT, &out);
	ct_expect(rcv, "via s0", &from, &cm);
	ck_assert_str_eq(ct_ntoa(from.sin_addr), "10.201.2.1");
	ck_assert_str_eq(ct_ntoa(cm.dst), "10.201.2.2");
	ck_assert_int_eq(cm.ifindex, l->rcv_if[0]);

	/* Without control data the route takes it by s1. */
	ct_send(snd, "via s1", "10.201.2.2", PORT, NULL);
	ct_expect(rcv, "via s1", &from, &cm);
	ck_assert_str_eq(ct_ntoa(from.sin_addr), "10.201.2.1");
	ck_assert_int_eq(cm.ifindex, l->rcv_if[1]);

	/* A source address that is not ours: no route from it (ip_route_output_key_hash_rcu()). */
	out.src = lab_addr("192.0.2.1");
	out.flags = IPV4OPT_CM_SRC;
	{
		struct sockaddr_in to = ct_sin("10.201.1.2", PORT);

		ck_assert_int_eq(ipv4opt_sendmsg(snd, "x", 1, 0, &to, &out), -ENETUNREACH);
	}
	close(rcv);
	close(snd);
}
END_TEST

START_TEST(test_unicast_if)
{
	/* IP_UNICAST_IF steers unicast out of an interface without privilege: to 10.201.2.2
	 * (r1's address) by s0, the packet arrives on r0 (r0 answers ARP for any local address). */
	struct lab *l = lab_get();
	int rcv = ct_udp(LAB_RCV, NULL, PORT, false);
	int snd = ct_udp(LAB_SND, NULL, 0, false);
	struct ipv4opt_cm cm;

	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_IFINDEX, true), 0);
	ck_assert_int_eq(ipv4opt_set_unicast_if(snd, l->snd_if[0]), 0);
	ct_send(snd, "by s0", "10.201.2.2", PORT, NULL);
	ct_expect(rcv, "by s0", NULL, &cm);
	ck_assert_int_eq(cm.ifindex, l->rcv_if[0]);

	ck_assert_int_eq(ipv4opt_set_unicast_if(snd, 0), 0);
	ct_send(snd, "by route", "10.201.2.2", PORT, NULL);
	ct_expect(rcv, "by route", NULL, &cm);
	ck_assert_int_eq(cm.ifindex, l->rcv_if[1]);

	ck_assert_int_eq(ipv4opt_set_unicast_if(snd, -1), -EINVAL);
	ck_assert_int_eq(ipv4opt_set_unicast_if(snd, 9999), -EADDRNOTAVAIL);
	close(rcv);
	close(snd);
}
END_TEST

START_TEST(test_recvtos)
{
	/* The TOS byte the sender set on its socket, read back per packet at the receiver. */
	int rcv = ct_udp(LAB_RCV, "10.201.1.2", PORT, false);
	int snd = ct_udp(LAB_SND, NULL, 0, false);
	struct ipv4opt_cm cm;

	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_TOS, true), 0);
	ck_assert_int_eq(ipv4opt_set_tos(snd, 0x01), 0);
	ck_assert_int_eq(ipv4opt_set_dscp(snd, IPV4OPT_DSCP_AF41), 0);
	ct_send(snd, "af41", "10.201.1.2", PORT, NULL);
	ct_expect(rcv, "af41", NULL, &cm);
	ck_assert_uint_eq(cm.flags, IPV4OPT_CM_TOS);
	ck_assert_int_eq(cm.tos, IPV4OPT_DSCP_AF41 << 2 | 0x01);

	ck_assert_int_eq(ipv4opt_set_tos(snd, 0), 0);
	ct_send(snd, "zero", "10.201.1.2", PORT, NULL);
	ct_expect(rcv, "zero", NULL, &cm);
	ck_assert_int_eq(cm.tos, 0);
	close(rcv);
	close(snd);
}
END_TEST

START_TEST(test_ping_socket)
{
	/* unicast_test.go: TestPacketConnReadWriteUnicastICMP, on an unprivileged ICMP socket
	 * (SOCK_DGRAM, IPPROTO_ICMP), allowed by net.ipv4.ping_group_range in snd. */
	struct lab *l = lab_get();
	struct sockaddr_in to = ct_sin("10.201.1.2", 0), from;
	struct ipv4opt_cm cm;
	uint8_t req[16] = { ICMP_ECHO, 0 }, rep[64];
	bool trunc = true;
	ssize_t n;
	int fd;

	ck_assert_int_eq(lab_run(LAB_SND, "sysctl -qw net.ipv4.ping_group_range=\"0 2147483647\""),
			 0);
	fd = ct_socket(LAB_SND, SOCK_DGRAM, IPPROTO_ICMP);
	ck_assert_int_eq(ipv4opt_set_control_message(fd, IPV4OPT_CM_TTL | IPV4OPT_CM_DST |
						     IPV4OPT_CM_IFINDEX | IPV4OPT_CM_TOS, true), 0);
	ck_assert_int_eq(ipv4opt_set_ttl(fd, 7), 0);
	ck_assert_int_eq(ipv4opt_set_tos(fd, IPV4OPT_DSCP_CS1 << 2), 0);
	for (int seq = 1; seq <= 3; seq++) {
		req[6] = 0;
		req[7] = (uint8_t)seq;
		memcpy(req + 8, "ipv4opt!", 8);
		/* The kernel fills in the identifier and the checksum of a ping socket. */
		ck_assert_int_eq(ipv4opt_sendmsg(fd, req, sizeof(req), 0, &to, NULL), sizeof(req));
		n = ipv4opt_recvmsg(fd, rep, sizeof(rep), 0, &from, &cm, &trunc);
		ck_assert_int_eq(n, sizeof(req));
		ck_assert(!trunc);
		ck_assert_int_eq(rep[0], ICMP_ECHOREPLY);
		ck_assert_int_eq(rep[7], seq);
		ck_assert_mem_eq(rep + 8, "ipv4opt!", 8);
		ck_assert_str_eq(ct_ntoa(from.sin_addr), "10.201.1.2");
		ck_assert(cm.flags & IPV4OPT_CM_TTL);
		ck_assert_int_eq(cm.ttl, 64); /* the reply's TTL, from rcv's default */
		ck_assert_str_eq(ct_ntoa(cm.dst), "10.201.1.1");
		ck_assert_int_eq(cm.ifindex, l->snd_if[0]);
		/* Echo replies carry the request's TOS (net/ipv4/icmp.c, icmp_reply()). */
		ck_assert_int_eq(cm.tos, IPV4OPT_DSCP_CS1 << 2);
	}
	close(fd);
}
END_TEST

START_TEST(test_truncated)
{
	int rcv = ct_udp(LAB_RCV, "10.201.1.2", PORT, false);
	int snd = ct_udp(LAB_SND, NULL, 0, false);
	struct sockaddr_in to = ct_sin("10.201.1.2", PORT);
	char big[1000], buf[16];
	bool trunc = false;
	ssize_t n;

	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(ipv4opt_sendmsg(snd, big, sizeof(big), 0, &to, NULL), sizeof(big));
	n = ipv4opt_recvmsg(rcv, buf, sizeof(buf), 0, NULL, NULL, &trunc);
	ck_assert_int_eq(n, sizeof(buf));
	ck_assert(trunc);
	/* With MSG_TRUNC the kernel reports the real length; we still report what was stored. */
	ck_assert_int_eq(ipv4opt_sendmsg(snd, big, sizeof(big), 0, &to, NULL), sizeof(big));
	n = ipv4opt_recvmsg(rcv, buf, sizeof(buf), MSG_TRUNC, NULL, NULL, &trunc);
	ck_assert_int_eq(n, sizeof(buf));
	ck_assert(trunc);
	ck_assert_int_eq(ipv4opt_sendmsg(snd, big, sizeof(buf), 0, &to, NULL), sizeof(buf));
	n = ipv4opt_recvmsg(rcv, buf, sizeof(buf), 0, NULL, NULL, &trunc);
	ck_assert_int_eq(n, sizeof(buf));
	ck_assert(!trunc);
	/* Nothing waiting: the receive timeout comes back as -EAGAIN. */
	ck_assert_int_eq(ipv4opt_recvmsg(rcv, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL, NULL),
			 -EAGAIN);
	close(rcv);
	close(snd);
}
END_TEST

START_TEST(test_rxq_ovfl)
{
	/* Overflow a tiny receive buffer, drain it, then read the drop count stamped on the next
	 * datagram (the counter is copied into each skb when it is queued). */
	int rcv = ct_udp(LAB_RCV, "10.201.1.2", PORT, false);
	int snd = ct_udp(LAB_SND, NULL, 0, false);
	struct ipv4opt_cm cm;
	char payload[1000];
	int small = 1, queued, sent = 200;

	memset(payload, 'o', sizeof(payload));
	ck_assert_int_eq(setsockopt(rcv, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	ck_assert_int_eq(ipv4opt_set_rxq_ovfl(rcv, true), 0);
	for (int i = 0; i < sent; i++) {
		struct sockaddr_in to = ct_sin("10.201.1.2", PORT);

		ck_assert_int_eq(ipv4opt_sendmsg(snd, payload, sizeof(payload), 0, &to, NULL),
				 sizeof(payload));
	}
	/* Each datagram is either queued or dropped, maybe late (the veth pair hands them over
	 * in a softirq that a loaded machine may run late): read the queue until what was read
	 * and what the kernel dropped add up to what was sent, for at most several seconds. */
	queued = 0;
	for (int64_t end = ct_now_ms() + 10000; queued + (int)ct_drops(rcv) < sent;) {
		char buf[2048];
		struct pollfd p = { .fd = rcv, .events = POLLIN };

		ck_assert_msg(ct_now_ms() < end, "after 10 s, %d read and %u dropped of %d sent",
			      queued, ct_drops(rcv), sent);
		if (ipv4opt_recvmsg(rcv, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL, NULL) >= 0)
			queued++;
		else
			(void)poll(&p, 1, 10); /* drops wake no one: look again soon */
	}
	ck_assert_int_gt(queued, 0);
	ck_assert_int_lt(queued, sent);
	ck_assert_int_eq(queued + (int)ct_drops(rcv), sent);
	ct_send(snd, "after", "10.201.1.2", PORT, NULL);
	ct_expect(rcv, "after", NULL, &cm);
	ck_assert_uint_eq(cm.flags, IPV4OPT_CM_RXQ_OVFL);
	ck_assert_uint_eq(cm.rxq_ovfl, (uint32_t)(sent - queued));

	/* Off again: no counter. */
	ck_assert_int_eq(ipv4opt_set_rxq_ovfl(rcv, false), 0);
	ct_send(snd, "off", "10.201.1.2", PORT, NULL);
	ct_expect(rcv, "off", NULL, &cm);
	ck_assert_uint_eq(cm.flags, 0);
	close(rcv);
	close(snd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel_unicast");
	TCase *tc = tcase_create("unicast");

	/* ARRIVE_MS is seconds: room for a few waits of it on a loaded machine */
	tcase_set_timeout(tc, 60);

	tcase_add_test(tc, test_tos_ttl_sockets);
	tcase_add_test(tc, test_set_dscp_keeps_ecn);
	tcase_add_test(tc, test_udp_read_write_cm);
	tcase_add_test(tc, test_pktinfo_source_and_interface);
	tcase_add_test(tc, test_unicast_if);
	tcase_add_test(tc, test_recvtos);
	tcase_add_test(tc, test_ping_socket);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_rxq_ovfl);
	suite_add_tcase(s, tc);
	return lab_run_suite(s);
}
