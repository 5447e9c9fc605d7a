/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classic BPF socket filters against the kernel, in the namespace lab (the reference's
 * bpf_test.go: a filter that keeps the UDP datagrams whose first payload byte is even), and
 * detaching restores delivery. Every count is made exact by a sentinel datagram sent last:
 * the link keeps order, so when the sentinel is read everything before it has been filtered.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rawtest.h"

#define IP_PROTO_ICMP 1
#define SENTINEL 100

static struct lab *L;

/* Accepts UDP datagrams whose first payload byte is even. On a UDP socket offset 0 is the
 * UDP header, so the payload starts at 8. */
static const struct sock_filter even_first_byte[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 8),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 1),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 4096),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* Accepts ICMP echo replies only. On a raw socket offset 0 is the IPv4 header, whose length
 * varies: X = 4 * IHL, then the ICMP type at X. */
static const struct sock_filter icmp_echo_reply_only[] = {
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP_TYPE_ECHO_REPLY, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static void send_bytes(int fd, uint8_t from, uint8_t to)
{
	for (unsigned b = from; b <= to; b++) {
		uint8_t v = (uint8_t)b;

		ck_assert_int_eq(send(fd, &v, 1, 0), 1);
	}
	uint8_t s = SENTINEL;
	ck_assert_int_eq(send(fd, &s, 1, 0), 1);
}

/* Reads 1-byte datagrams until the sentinel; stores them in got, returns how many. */
static size_t read_until_sentinel(int fd, uint8_t *got, size_t max)
{
	size_t n = 0;

	for (;;) {
		uint8_t b[16];
		ssize_t r = recv(fd, b, sizeof(b), 0);

		ck_assert_msg(r >= 0, "recv: %s", strerror(errno));
		ck_assert_int_eq(r, 1);
		if (b[0] == SENTINEL)
			return n;
		ck_assert_uint_lt(n, max);
		got[n++] = b[0];
	}
}

/* Connected UDP pair: snd 10.201.1.1 -> rcv 10.201.1.2:port. */
static void udp_pair(uint16_t port, int *ret_snd, int *ret_rcv)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr = L->rcv_addr[0],
		.sin_port = htons(port),
	};
	int r = test_socket(LAB_RCV, SOCK_DGRAM, 0);
	int s = test_socket(LAB_SND, SOCK_DGRAM, 0);

	ck_assert_int_eq(bind(r, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	*ret_snd = s;
	*ret_rcv = r;
}

START_TEST(test_bpf_even_bytes)
{
	uint8_t got[32];
	size_t n;
	int s, r;

	udp_pair(5000, &s, &r);
	ck_assert_int_eq(ipv4opt_attach_filter(r, even_first_byte, ELEMENTSOF(even_first_byte)), 0);

	send_bytes(s, 0, 9);
	n = read_until_sentinel(r, got, sizeof(got));
	ck_assert_uint_eq(n, 5);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(got[i], 2 * i);

	/* detached: all ten come through again */
	ck_assert_int_eq(ipv4opt_detach_filter(r), 0);
	send_bytes(s, 0, 9);
	n = read_until_sentinel(r, got, sizeof(got));
	ck_assert_uint_eq(n, 10);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(got[i], i);

	/* a second detach has nothing to remove */
	ck_assert_int_eq(ipv4opt_detach_filter(r), -ENOENT);
	close(s);
	close(r);
}
END_TEST

/* A filter on a raw ICMP socket, relative to the IPv4 header: it keeps the echo reply and
 * drops the port unreachable that an unfiltered socket beside it sees first. */
START_TEST(test_bpf_raw_icmp)
{
	int ffd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	int ufd = test_socket(LAB_SND, SOCK_RAW, IPPROTO_ICMP);
	int dfd = test_socket(LAB_SND, SOCK_DGRAM, 0);
	struct sockaddr_in closed = {
		.sin_family = AF_INET,
		.sin_addr = L->rcv_addr[0],
		.sin_port = htons(9),
	};
	uint16_t id = (uint16_t)getpid();
	struct raw_pkt p;

	ck_assert_int_eq(ipv4opt_attach_filter(ffd, icmp_echo_reply_only,
					       ELEMENTSOF(icmp_echo_reply_only)),
			 0);

	/* port unreachable first, echo reply second */
	ck_assert_int_eq(sendto(dfd, "x", 1, 0, (struct sockaddr *)&closed, sizeof(closed)), 1);
	ck_assert_int_eq(raw_read_until(ufd, IP_PROTO_ICMP, ICMP_TYPE_DEST_UNREACH, -1, &p), 0);
	icmp_send(ufd, L->rcv_addr[0], ICMP_TYPE_ECHO, id, 1);
	ck_assert_int_eq(raw_read_until(ufd, IP_PROTO_ICMP, ICMP_TYPE_ECHO_REPLY, id, &p), 0);

	/* the filtered socket's first packet is the reply; nothing follows */
	ck_assert_int_eq(raw_read_until(ffd, IP_PROTO_ICMP, -1, -1, &p), 0);
	ck_assert_uint_eq(raw_pkt_payload(&p)[0], ICMP_TYPE_ECHO_REPLY);
	ck_assert_uint_eq(icmp_id(raw_pkt_payload(&p)), id);
	lab_rcvtimeo(ffd, 300);
	ck_assert_int_eq(raw_read_until(ffd, IP_PROTO_ICMP, -1, -1, &p), -EAGAIN);

	/* detached: the unreachable reaches it again, and is the next packet it reads */
	ck_assert_int_eq(ipv4opt_detach_filter(ffd), 0);
	lab_rcvtimeo(ffd, RAW_ARRIVE_MS);
	ck_assert_int_eq(sendto(dfd, "y", 1, 0, (struct sockaddr *)&closed, sizeof(closed)), 1);
	ck_assert_int_eq(raw_read_until(ffd, IP_PROTO_ICMP, -1, -1, &p), 0);
	ck_assert_uint_eq(raw_pkt_payload(&p)[0], ICMP_TYPE_DEST_UNREACH);
	close(ffd);
	close(ufd);
	close(dfd);
}
END_TEST

START_TEST(test_bpf_errors)
{
	static struct sock_filter big[BPF_MAXINSNS + 1];
	/* no return instruction: the kernel's checker refuses it */
	static const struct sock_filter no_ret[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	};
	/* a jump past the end */
	static const struct sock_filter bad_jump[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 5),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	int fd = test_socket(LAB_RCV, SOCK_DGRAM, 0);

	ck_assert_int_eq(ipv4opt_attach_filter(fd, even_first_byte, 0), -EINVAL);
	ck_assert_int_eq(ipv4opt_attach_filter(fd, NULL, 1), -EINVAL);
	ck_assert_int_eq(ipv4opt_attach_filter(fd, big, BPF_MAXINSNS + 1), -EINVAL);
	/* 65536 + 5 would wrap to 5 in sock_fprog.len if it were not checked first */
	ck_assert_int_eq(ipv4opt_attach_filter(fd, even_first_byte, 65536 + 5), -EINVAL);
	ck_assert_int_eq(ipv4opt_attach_filter(fd, no_ret, ELEMENTSOF(no_ret)), -EINVAL);
	ck_assert_int_eq(ipv4opt_attach_filter(fd, bad_jump, ELEMENTSOF(bad_jump)), -EINVAL);
	ck_assert_int_eq(ipv4opt_detach_filter(fd), -ENOENT);
	ck_assert_int_eq(ipv4opt_attach_filter(-1, even_first_byte, ELEMENTSOF(even_first_byte)),
			 -EBADF);

	/* exactly BPF_MAXINSNS is fine: 4095 loads and a return */
	for (size_t i = 0; i < BPF_MAXINSNS - 1; i++)
		big[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, (uint32_t)i);
	big[BPF_MAXINSNS - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	ck_assert_int_eq(ipv4opt_attach_filter(fd, big, BPF_MAXINSNS), 0);
	/* replacing a filter needs no detach */
	ck_assert_int_eq(ipv4opt_attach_filter(fd, even_first_byte, ELEMENTSOF(even_first_byte)), 0);
	ck_assert_int_eq(ipv4opt_detach_filter(fd), 0);
	close(fd);
}
END_TEST

static Suite *bpf_suite(void)
{
	Suite *s = suite_create("kernel_bpf");
	TCase *tc = tcase_create("bpf");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bpf_even_bytes);
	tcase_add_test(tc, test_bpf_raw_icmp);
	tcase_add_test(tc, test_bpf_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Built once, before Check forks a process per test, so every test shares it and only
	 * this process tears it down. */
	L = lab_get();
	return raw_run_suite(bpf_suite());
}
