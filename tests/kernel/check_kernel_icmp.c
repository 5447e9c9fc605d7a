/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP_FILTER on raw ICMP sockets, against the kernel in the namespace lab (the reference's
 * icmp_test.go TestSetICMPFilter, extended to what the filter does to traffic).
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rawtest.h"

#define IP_PROTO_ICMP 1

static struct lab *L;

/* Reads the next ICMP message carrying our identifier, whatever its type. For errors
 * (destination unreachable) the identifier is not ours to see: id < 0 takes any. */
static int icmp_next(int fd, int id, struct raw_pkt *p)
{
	return raw_read_until(fd, IP_PROTO_ICMP, -1, id, p);
}

/* Makes rcv answer a UDP datagram to a closed port with ICMP port unreachable. */
static void provoke_port_unreachable(void)
{
	int ufd = test_socket(LAB_SND, SOCK_DGRAM, 0);
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_addr = L->rcv_addr[0],
		.sin_port = htons(9), /* nobody listens */
	};

	ck_assert_int_eq(sendto(ufd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(ufd);
}

/* icmp_test.go TestSetICMPFilter: set a filter, read the same one back. */
START_TEST(test_icmp_filter_get_set)
{
	int fd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	struct ipv4opt_icmp_filter f, kf = { .data = 0x12345678 };

	/* a new socket filters nothing */
	ck_assert_int_eq(ipv4opt_get_icmp_filter(fd, &kf), 0);
	ck_assert_uint_eq(kf.data, 0);

	ipv4opt_icmp_filter_set_all(&f, true);
	ipv4opt_icmp_filter_accept(&f, ICMP_TYPE_ECHO);
	ipv4opt_icmp_filter_accept(&f, ICMP_TYPE_ECHO_REPLY);
	ck_assert_int_eq(ipv4opt_set_icmp_filter(fd, &f), 0);
	ck_assert_int_eq(ipv4opt_get_icmp_filter(fd, &kf), 0);
	ck_assert_uint_eq(kf.data, f.data);
	ck_assert(!ipv4opt_icmp_filter_will_block(&kf, ICMP_TYPE_ECHO));
	ck_assert(!ipv4opt_icmp_filter_will_block(&kf, ICMP_TYPE_ECHO_REPLY));
	ck_assert(ipv4opt_icmp_filter_will_block(&kf, ICMP_TYPE_DEST_UNREACH));

	ipv4opt_icmp_filter_set_all(&f, false);
	ck_assert_int_eq(ipv4opt_set_icmp_filter(fd, &f), 0);
	ck_assert_int_eq(ipv4opt_get_icmp_filter(fd, &kf), 0);
	ck_assert_uint_eq(kf.data, 0);
	close(fd);
}
END_TEST

/* A filter blocking echo reply: the reply never reaches the filtered socket while a
 * destination unreachable (accepted) does. An unfiltered socket beside it proves the reply
 * did arrive at the host, and in which order. */
START_TEST(test_icmp_filter_blocks_echo_reply)
{
	int ffd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	int ufd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	uint16_t id = (uint16_t)getpid();
	struct ipv4opt_icmp_filter f;
	struct raw_pkt p;

	ipv4opt_icmp_filter_set_all(&f, false);
	ipv4opt_icmp_filter_block(&f, ICMP_TYPE_ECHO_REPLY);
	ck_assert(ipv4opt_icmp_filter_will_block(&f, ICMP_TYPE_ECHO_REPLY));
	ck_assert(!ipv4opt_icmp_filter_will_block(&f, ICMP_TYPE_DEST_UNREACH));
	ck_assert_int_eq(ipv4opt_set_icmp_filter(ffd, &f), 0);

	/* echo first, then the port unreachable */
	icmp_send(ufd, L->rcv_addr[0], ICMP_TYPE_ECHO, id, 1);
	ck_assert_int_eq(raw_read_until(ufd, IP_PROTO_ICMP, ICMP_TYPE_ECHO_REPLY, id, &p), 0);
	provoke_port_unreachable();
	ck_assert_int_eq(raw_read_until(ufd, IP_PROTO_ICMP, ICMP_TYPE_DEST_UNREACH, -1, &p), 0);
	ck_assert_uint_eq(p.h.src.s_addr, L->rcv_addr[0].s_addr);

	/* the filtered socket: its first ICMP message is the unreachable, and no reply follows */
	ck_assert_int_eq(icmp_next(ffd, -1, &p), 0);
	ck_assert_uint_eq(raw_pkt_payload(&p)[0], ICMP_TYPE_DEST_UNREACH);
	lab_rcvtimeo(ffd, 300);
	ck_assert_int_eq(icmp_next(ffd, -1, &p), -EAGAIN);

	/* the filter lifted: replies come through again */
	ipv4opt_icmp_filter_accept(&f, ICMP_TYPE_ECHO_REPLY);
	ck_assert_int_eq(ipv4opt_set_icmp_filter(ffd, &f), 0);
	lab_rcvtimeo(ffd, RAW_ARRIVE_MS);
	icmp_send(ufd, L->rcv_addr[0], ICMP_TYPE_ECHO, id, 2);
	ck_assert_int_eq(raw_read_until(ffd, IP_PROTO_ICMP, ICMP_TYPE_ECHO_REPLY, id, &p), 0);
	ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), 2);
	close(ffd);
	close(ufd);
}
END_TEST

/* The kernel filters types 0-31 only: with every bit set, an echo (8) is blocked but a type
 * 40 message still arrives, which is why will_block() says false above 31. */
START_TEST(test_icmp_filter_high_types_pass)
{
	int sfd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	int rfd = test_socket(LAB_RCV, SOCK_RAW, IPPROTO_ICMP);
	uint16_t id = (uint16_t)getpid();
	struct ipv4opt_icmp_filter f;
	struct raw_pkt p;

	ipv4opt_icmp_filter_set_all(&f, true);
	ck_assert(ipv4opt_icmp_filter_will_block(&f, ICMP_TYPE_ECHO));
	ck_assert(!ipv4opt_icmp_filter_will_block(&f, 40));
	ck_assert_int_eq(ipv4opt_set_icmp_filter(rfd, &f), 0);

	icmp_send(sfd, L->rcv_addr[0], ICMP_TYPE_ECHO, id, 1);
	icmp_send(sfd, L->rcv_addr[0], 40, id, 2);
	ck_assert_int_eq(icmp_next(rfd, id, &p), 0);
	ck_assert_uint_eq(raw_pkt_payload(&p)[0], 40);
	ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), 2);
	ck_assert_str_eq(ipv4opt_icmp_type_to_string(raw_pkt_payload(&p)[0]), "photuris");
	lab_rcvtimeo(rfd, 300);
	ck_assert_int_eq(icmp_next(rfd, id, &p), -EAGAIN);
	/* the next message with our identifier is the type 40 sent now, not a late echo */
	lab_rcvtimeo(rfd, RAW_ARRIVE_MS);
	icmp_send(sfd, L->rcv_addr[0], 40, id, 3);
	ck_assert_int_eq(icmp_next(rfd, id, &p), 0);
	ck_assert_uint_eq(raw_pkt_payload(&p)[0], 40);
	ck_assert_uint_eq(icmp_seq(raw_pkt_payload(&p)), 3);
	close(sfd);
	close(rfd);
}
END_TEST

/* ICMP_FILTER exists on raw ICMP sockets only; the filter passed in is left as it was. */
START_TEST(test_icmp_filter_wrong_socket)
{
	int rudp = test_socket(LAB_SND, SOCK_RAW, IPPROTO_UDP);
	int dgram = test_socket(LAB_SND, SOCK_DGRAM, 0);
	struct ipv4opt_icmp_filter f = { .data = 1 };

	ck_assert_int_eq(ipv4opt_set_icmp_filter(rudp, &f), -EOPNOTSUPP);
	ck_assert_int_eq(ipv4opt_get_icmp_filter(rudp, &f), -EOPNOTSUPP);
	/* on a UDP socket SOL_RAW is unknown: setsockopt says ENOPROTOOPT, getsockopt
	 * EOPNOTSUPP (ip_setsockopt() / ip_getsockopt() differ) */
	ck_assert_int_eq(ipv4opt_set_icmp_filter(dgram, &f), -ENOPROTOOPT);
	ck_assert_int_eq(ipv4opt_get_icmp_filter(dgram, &f), -EOPNOTSUPP);
	ck_assert_uint_eq(f.data, 1);
	close(rudp);
	close(dgram);
}
END_TEST

static Suite *icmp_suite(void)
{
	Suite *s = suite_create("kernel_icmp");
	TCase *tc = tcase_create("icmp_filter");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_icmp_filter_get_set);
	tcase_add_test(tc, test_icmp_filter_blocks_echo_reply);
	tcase_add_test(tc, test_icmp_filter_high_types_pass);
	tcase_add_test(tc, test_icmp_filter_wrong_socket);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Built once, before Check forks a process per test, so every test shares it and only
	 * this process tears it down. */
	L = lab_get();
	return raw_run_suite(icmp_suite());
}
