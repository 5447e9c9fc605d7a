/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel tests of multicast listeners, in the namespace lab. Ports the scenarios of the
 * reference's multicastlistener_test.go: one socket with many groups on several interfaces,
 * many sockets on one port (address reuse) each with many groups, per-interface sockets, and
 * raw sockets as listeners; each checked in /proc/net/igmp and, where a datagram can show it,
 * on the wire.
 */
#include <net/if.h>

#include "coretest.h"

#define PORT 5003
#define N_GROUPS 5

static int sender(int ifindex)
{
	int fd = ct_udp(LAB_SND, NULL, 0, false);

	ck_assert_int_eq(ipv4opt_set_multicast_if(fd, ifindex), 0);
	return fd;
}

static void group_name(char *buf, size_t len, int set, int i)
{
	snprintf(buf, len, "239.10.%d.%d", set, i + 1);
}

struct users_ctx {
	const char *ifname;
	struct in_addr group;
	unsigned users;
};

static int users_cb(const struct ipv4opt_igmp_entry *e, void *userdata)
{
	struct users_ctx *c = userdata;

	if (strcmp(e->ifname, c->ifname) == 0 && e->group.s_addr == c->group.s_addr)
		c->users = e->users;
	return 0;
}

/* The Users column of /proc/net/igmp for group on ifname in rcv. */
static unsigned igmp_users(const char *ifname, const char *group)
{
	struct users_ctx c = { .ifname = ifname, .group = lab_addr(group) };

	lab_enter(LAB_RCV);
	ck_assert_int_eq(ipv4opt_igmp_foreach(NULL, users_cb, &c), 0);
	lab_leave();
	return c.users;
}

START_TEST(test_one_socket_many_groups)
{
	/* TestUDPSinglePacketConnWithMultipleGroupListeners: one socket, N groups on r0 and r1. */
	struct lab *l = lab_get();
	int rcv = ct_udp(LAB_RCV, NULL, PORT, false);
	char g[32];

	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX, true),
			 0);
	for (int i = 0; i < N_GROUPS; i++)
		for (int j = 0; j < 2; j++) {
			group_name(g, sizeof(g), 0, i);
			ck_assert_int_eq(ipv4opt_join_group(rcv, l->rcv_if[j], lab_addr(g)), 0);
		}
	for (int i = 0; i < N_GROUPS; i++) {
		group_name(g, sizeof(g), 0, i);
		ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", g), 1);
		ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", g), 1);
	}
	for (int j = 0; j < 2; j++) {
		int snd = sender(l->snd_if[j]);

		for (int i = 0; i < N_GROUPS; i++) {
			struct ipv4opt_cm cm;

			group_name(g, sizeof(g), 0, i);
			ct_send(snd, g, g, PORT, NULL);
			ct_expect(rcv, g, NULL, &cm);
			ck_assert_str_eq(ct_ntoa(cm.dst), g);
			ck_assert_int_eq(cm.ifindex, l->rcv_if[j]);
		}
		close(snd);
	}
	for (int i = 0; i < N_GROUPS; i++)
		for (int j = 0; j < 2; j++) {
			group_name(g, sizeof(g), 0, i);
			ck_assert_int_eq(ipv4opt_leave_group(rcv, l->rcv_if[j], lab_addr(g)), 0);
		}
	for (int i = 0; i < N_GROUPS; i++) {
		group_name(g, sizeof(g), 0, i);
		ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", g), 0);
		ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", g), 0);
	}
	close(rcv);
}
END_TEST

START_TEST(test_many_sockets_one_port)
{
	/* TestUDPMultiplePacketConnWithMultipleGroupListeners: three sockets on one port
	 * (SO_REUSEADDR), each joined to every group on r0 and r1. The kernel counts three
	 * users per group, and every socket receives every datagram. */
	struct lab *l = lab_get();
	int rcv[3];
	char g[32];

	for (int k = 0; k < 3; k++) {
		rcv[k] = ct_udp(LAB_RCV, NULL, PORT, true);
		for (int i = 0; i < N_GROUPS; i++)
			for (int j = 0; j < 2; j++) {
				group_name(g, sizeof(g), 1, i);
				ck_assert_int_eq(ipv4opt_join_group(rcv[k], l->rcv_if[j], lab_addr(g)),
						 0);
			}
	}
	for (int i = 0; i < N_GROUPS; i++) {
		group_name(g, sizeof(g), 1, i);
		ck_assert_uint_eq(igmp_users("r0", g), 3);
		ck_assert_uint_eq(igmp_users("r1", g), 3);
	}
	/* Without SO_REUSEADDR a fourth socket cannot have the port. */
	{
		int fd = ct_socket(LAB_RCV, SOCK_DGRAM, 0);
		struct sockaddr_in sin = ct_sin("0.0.0.0", PORT);

		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
		ck_assert_int_eq(errno, EADDRINUSE);
		close(fd);
	}
	for (int j = 0; j < 2; j++) {
		int snd = sender(l->snd_if[j]);

		for (int i = 0; i < N_GROUPS; i++) {
			group_name(g, sizeof(g), 1, i);
			ct_send(snd, g, g, PORT, NULL);
			for (int k = 0; k < 3; k++)
				ct_expect(rcv[k], g, NULL, NULL);
		}
		close(snd);
	}
	close(rcv[0]);
	group_name(g, sizeof(g), 1, 0);
	ck_assert_uint_eq(igmp_users("r0", g), 2);
	close(rcv[1]);
	close(rcv[2]);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", g), 0);
}
END_TEST

START_TEST(test_reuse_port)
{
	/* SO_REUSEPORT: two sockets may bind one port, and a multicast datagram goes to both. */
	struct lab *l = lab_get();
	int a = ct_socket(LAB_RCV, SOCK_DGRAM, 0), b = ct_socket(LAB_RCV, SOCK_DGRAM, 0);
	struct sockaddr_in sin = ct_sin("0.0.0.0", PORT);
	int snd = sender(l->snd_if[0]);

	ck_assert_int_eq(ipv4opt_set_reuse_port(a, true), 0);
	ck_assert_int_eq(ipv4opt_set_reuse_port(b, true), 0);
	ck_assert_int_eq(bind(a, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(bind(b, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(ipv4opt_join_group(a, l->rcv_if[0], lab_addr("239.10.3.1")), 0);
	ck_assert_int_eq(ipv4opt_join_group(b, l->rcv_if[0], lab_addr("239.10.3.1")), 0);
	ct_send(snd, "both", "239.10.3.1", PORT, NULL);
	ct_expect(a, "both", NULL, NULL);
	ct_expect(b, "both", NULL, NULL);
	close(a);
	close(b);
	close(snd);
}
END_TEST

START_TEST(test_per_interface_sockets)
{
	/* TestUDPPerInterfaceSinglePacketConnWithSingleGroupListener: one socket per interface,
	 * bound to that interface's address, joined to 224.0.0.254 (RFC 4727) there. */
	struct lab *l = lab_get();
	int fd[2];

	fd[0] = ct_udp(LAB_RCV, "10.201.1.2", PORT, false);
	fd[1] = ct_udp(LAB_RCV, "10.201.2.2", PORT, false);
	for (int j = 0; j < 2; j++)
		ck_assert_int_eq(ipv4opt_join_group(fd[j], l->rcv_if[j], lab_addr("224.0.0.254")), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "224.0.0.254"), 1);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "224.0.0.254"), 1);
	ck_assert_uint_eq(igmp_users("r0", "224.0.0.254"), 1);
	for (int j = 0; j < 2; j++)
		ck_assert_int_eq(ipv4opt_leave_group(fd[j], l->rcv_if[j], lab_addr("224.0.0.254")),
				 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "224.0.0.254"), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "224.0.0.254"), 0);
	close(fd[0]);
	close(fd[1]);

	/* Delivery: per-interface sockets bound to the group's address and to their device
	 * each receive only what arrives on their interface. */
	for (int j = 0; j < 2; j++) {
		const char *dev = j == 0 ? "r0" : "r1";

		fd[j] = ct_socket(LAB_RCV, SOCK_DGRAM, 0);
		ck_assert_int_eq(ipv4opt_set_reuse_addr(fd[j], true), 0);
		ck_assert_int_eq(setsockopt(fd[j], SOL_SOCKET, SO_BINDTODEVICE, dev,
					    (socklen_t)strlen(dev)), 0);
		{
			struct sockaddr_in sin = ct_sin("239.10.4.1", PORT);

			ck_assert_int_eq(bind(fd[j], (struct sockaddr *)&sin, sizeof(sin)), 0);
		}
		ck_assert_int_eq(ipv4opt_join_group(fd[j], l->rcv_if[j], lab_addr("239.10.4.1")), 0);
	}
	/* Each datagram says its way in, so that one read by the wrong socket, even late, shows:
	 * after s1's, s0 sends once more and socket 0 must read that one next. */
	for (int j = 0; j < 3; j++) {
		int snd = sender(l->snd_if[j % 2]);
		char what[32];

		snprintf(what, sizeof(what), "by s%d, %d", j % 2, j);
		ct_send(snd, what, "239.10.4.1", PORT, NULL);
		ct_expect(fd[j % 2], what, NULL, NULL);
		if (j < 2)
			ct_expect_none(fd[1 - j % 2]);
		close(snd);
	}
	close(fd[0]);
	close(fd[1]);
}
END_TEST

START_TEST(test_raw_listeners)
{
	/* TestIPSingleRawConnWithSingleGroupListener and
	 * TestIPPerInterfaceSingleRawConnWithSingleGroupListener: raw ICMP sockets as listeners. */
	struct lab *l = lab_get();
	int one = ct_socket(LAB_RCV, SOCK_RAW, IPPROTO_ICMP);
	int per[2];

	for (int j = 0; j < 2; j++)
		ck_assert_int_eq(ipv4opt_join_group(one, l->rcv_if[j], lab_addr("224.0.0.254")), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "224.0.0.254"), 1);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "224.0.0.254"), 1);
	for (int j = 0; j < 2; j++)
		ck_assert_int_eq(ipv4opt_leave_group(one, l->rcv_if[j], lab_addr("224.0.0.254")), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "224.0.0.254"), 0);
	close(one);

	for (int j = 0; j < 2; j++) {
		per[j] = ct_socket(LAB_RCV, SOCK_RAW, IPPROTO_ICMP);
		ck_assert_int_eq(ipv4opt_join_group(per[j], l->rcv_if[j], lab_addr("224.0.0.254")),
				 0);
	}
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "224.0.0.254"), 1);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "224.0.0.254"), 1);
	close(per[0]);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r0", "224.0.0.254"), 0);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "224.0.0.254"), 1);
	close(per[1]);
	ck_assert_int_eq(lab_igmp_has(LAB_RCV, "r1", "224.0.0.254"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel_listener");
	TCase *tc = tcase_create("listener");

	/* ARRIVE_MS is seconds: room for a few waits of it on a loaded machine */
	tcase_set_timeout(tc, 60);

	tcase_add_test(tc, test_one_socket_many_groups);
	tcase_add_test(tc, test_many_sockets_one_port);
	tcase_add_test(tc, test_reuse_port);
	tcase_add_test(tc, test_per_interface_sockets);
	tcase_add_test(tc, test_raw_listeners);
	suite_add_tcase(s, tc);
	return lab_run_suite(s);
}
