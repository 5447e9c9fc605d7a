/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipv4opt.h"

/* Appends one control message at *off of buf, as the kernel would lay it out. */
static void put(uint8_t *buf, size_t *off, int level, int type, const void *data, size_t dlen)
{
	struct cmsghdr h = { .cmsg_len = CMSG_LEN(dlen), .cmsg_level = level, .cmsg_type = type };

	memset(buf + *off, 0, CMSG_SPACE(dlen));
	memcpy(buf + *off, &h, sizeof(h));
	memcpy(buf + *off + CMSG_LEN(0), data, dlen);
	*off += CMSG_SPACE(dlen);
}

/* A buffer as recvmsg() fills it with every option on. */
static size_t kernel_buffer(uint8_t *buf)
{
	struct in_pktinfo pi = {
		.ipi_ifindex = 7,
		.ipi_spec_dst = { htonl(0x0ac90102) },
		.ipi_addr = { htonl(0xef010101) },
	};
	int ttl = 63;
	uint8_t tos = 0xb9;
	uint32_t drops = 12345;
	size_t off = 0;

	put(buf, &off, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	put(buf, &off, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	put(buf, &off, IPPROTO_IP, IP_TOS, &tos, 1);
	put(buf, &off, SOL_SOCKET, SO_RXQ_OVFL, &drops, sizeof(drops));
	return off;
}

START_TEST(test_parse_kernel_layout)
{
	uint8_t buf[256];
	size_t n = kernel_buffer(buf);
	struct ipv4opt_cm cm;

	ck_assert_uint_eq(n, ipv4opt_cm_space(IPV4OPT_CM_ALL));
	ck_assert_int_eq(ipv4opt_cm_parse(buf, n, &cm), 0);
	ck_assert_uint_eq(cm.flags, IPV4OPT_CM_ALL);
	ck_assert_int_eq(cm.ttl, 63);
	ck_assert_int_eq(cm.tos, 0xb9);
	ck_assert_int_eq(cm.ifindex, 7);
	ck_assert_uint_eq(ntohl(cm.dst.s_addr), 0xef010101);
	ck_assert_uint_eq(ntohl(cm.src.s_addr), 0x0ac90102);
	ck_assert_uint_eq(cm.rxq_ovfl, 12345);
}
END_TEST

START_TEST(test_parse_unaligned)
{
	uint8_t raw[300];
	uint8_t buf[256];
	size_t n = kernel_buffer(buf);
	struct ipv4opt_cm cm;

	/* The parser copies headers out, so an odd address works (and sanitizers agree). */
	memcpy(raw + 1, buf, n);
	ck_assert_int_eq(ipv4opt_cm_parse(raw + 1, n, &cm), 0);
	ck_assert_int_eq(cm.ttl, 63);
	ck_assert_int_eq(cm.ifindex, 7);
}
END_TEST

START_TEST(test_parse_empty)
{
	struct ipv4opt_cm cm = { .flags = 0xdead };

	ck_assert_int_eq(ipv4opt_cm_parse(NULL, 0, &cm), 0);
	ck_assert_uint_eq(cm.flags, 0);
	ck_assert_int_eq(ipv4opt_cm_parse(NULL, 10, &cm), -EINVAL);
	ck_assert_int_eq(ipv4opt_cm_parse("", 0, NULL), -EINVAL);
}
END_TEST

START_TEST(test_parse_unknown_skipped)
{
	uint8_t buf[256];
	size_t off = 0;
	int ttl = 5;
	uint8_t junk[13] = { 1, 2, 3 };
	struct ipv4opt_cm cm;

	put(buf, &off, IPPROTO_IP, IP_RECVERR, junk, sizeof(junk));
	put(buf, &off, SOL_SOCKET, SO_TIMESTAMP, junk, 0);
	put(buf, &off, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	put(buf, &off, 12345, IP_PKTINFO, junk, 3); /* wrong level: not ours, size irrelevant */
	put(buf, &off, IPPROTO_IPV6, IP_TTL, junk, 1);
	ck_assert_int_eq(ipv4opt_cm_parse(buf, off, &cm), 0);
	ck_assert_uint_eq(cm.flags, IPV4OPT_CM_TTL);
	ck_assert_int_eq(cm.ttl, 5);
}
END_TEST

/* The kernel's receive time among the other messages; cm_parse skips it, cm_timestamp finds
 * it; none, or one of the wrong size, is said so. */
START_TEST(test_timestamp)
{
	uint8_t buf[256];
	size_t n = kernel_buffer(buf), off = n;
	struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 123456789 }, got;
	struct ipv4opt_cm cm;

	ck_assert_int_eq(ipv4opt_cm_timestamp(buf, n, &got), -ENOENT);
	put(buf, &off, SOL_SOCKET, SCM_TIMESTAMPNS, &ts, sizeof(ts));
	ck_assert_int_eq(ipv4opt_cm_parse(buf, off, &cm), 0);
	ck_assert_uint_eq(cm.flags, IPV4OPT_CM_ALL);
	ck_assert_int_eq(ipv4opt_cm_timestamp(buf, off, &got), 0);
	ck_assert_int_eq(got.tv_sec, ts.tv_sec);
	ck_assert_int_eq(got.tv_nsec, ts.tv_nsec);
	ck_assert_int_eq(ipv4opt_cm_timestamp(NULL, 0, &got), -ENOENT);
	ck_assert_int_eq(ipv4opt_cm_timestamp(buf, off, NULL), -EINVAL);
	off = 0;
	put(buf, &off, SOL_SOCKET, SCM_TIMESTAMPNS, &ts, 8);
	ck_assert_int_eq(ipv4opt_cm_timestamp(buf, off, &got), -IPV4OPT_E_CMSG_SHORT);
}
END_TEST

START_TEST(test_parse_tos_int)
{
	uint8_t buf[64];
	size_t off = 0;
	int tos = 0x2e << 2;
	struct ipv4opt_cm cm;

	put(buf, &off, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	ck_assert_int_eq(ipv4opt_cm_parse(buf, off, &cm), 0);
	ck_assert_int_eq(cm.tos, 0xb8);
}
END_TEST

START_TEST(test_parse_malformed)
{
	uint8_t buf[256], good[256];
	size_t n = kernel_buffer(good);
	struct ipv4opt_cm cm = { .flags = 0x77 };
	struct cmsghdr h;
	int v = 1;
	size_t off;

	/* Every cut of a good buffer that ends inside a message is refused, never read past;
	 * a cut after a message's last payload byte (its padding may be missing) is fine.
	 * Layout: PKTINFO len 28 space 32, TTL len 20 space 24, TOS len 17 space 24,
	 * RXQ_OVFL len 20 space 24. */
	ck_assert_uint_eq(n, 104);
	for (size_t cut = 1; cut < n; cut++) {
		uint8_t *copy = malloc(cut);
		bool ok = (cut >= 28 && cut <= 32) || (cut >= 52 && cut <= 56) ||
			  (cut >= 73 && cut <= 80) || cut >= 100;
		int r;

		memcpy(copy, good, cut);
		r = ipv4opt_cm_parse(copy, cut, &cm);
		ck_assert_msg(r == (ok ? 0 : -IPV4OPT_E_CMSG_SHORT), "cut %zu: %d", cut, r);
		free(copy);
	}

	/* cmsg_len larger than the buffer. */
	memcpy(buf, good, n);
	memcpy(&h, buf, sizeof(h));
	h.cmsg_len = n + 1;
	memcpy(buf, &h, sizeof(h));
	cm.flags = 0x77;
	ck_assert_int_eq(ipv4opt_cm_parse(buf, n, &cm), -IPV4OPT_E_CMSG_SHORT);
	ck_assert_uint_eq(cm.flags, 0x77); /* untouched on failure */

	/* cmsg_len lying far past the buffer (would wrap a naive pointer sum). */
	h.cmsg_len = (size_t)-8;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(ipv4opt_cm_parse(buf, n, &cm), -IPV4OPT_E_CMSG_SHORT);

	/* cmsg_len smaller than the header itself. */
	for (size_t l = 0; l < sizeof(h); l++) {
		h.cmsg_len = l;
		memcpy(buf, &h, sizeof(h));
		ck_assert_int_eq(ipv4opt_cm_parse(buf, n, &cm), -IPV4OPT_E_CMSG_SHORT);
	}

	/* Known messages with payloads of the wrong size. */
	off = 0;
	put(buf, &off, IPPROTO_IP, IP_TTL, &v, 2);
	ck_assert_int_eq(ipv4opt_cm_parse(buf, off, &cm), -IPV4OPT_E_CMSG_SHORT);
	off = 0;
	put(buf, &off, IPPROTO_IP, IP_TOS, &v, 0);
	ck_assert_int_eq(ipv4opt_cm_parse(buf, off, &cm), -IPV4OPT_E_CMSG_SHORT);
	off = 0;
	put(buf, &off, IPPROTO_IP, IP_PKTINFO, good, sizeof(struct in_pktinfo) - 1);
	ck_assert_int_eq(ipv4opt_cm_parse(buf, off, &cm), -IPV4OPT_E_CMSG_SHORT);
	off = 0;
	put(buf, &off, IPPROTO_IP, IP_PKTINFO, good, sizeof(struct in_pktinfo) + 4);
	ck_assert_int_eq(ipv4opt_cm_parse(buf, off, &cm), -IPV4OPT_E_CMSG_SHORT);
	off = 0;
	put(buf, &off, SOL_SOCKET, SO_RXQ_OVFL, &v, 8 > sizeof(v) ? sizeof(v) - 1 : 1);
	ck_assert_int_eq(ipv4opt_cm_parse(buf, off, &cm), -IPV4OPT_E_CMSG_SHORT);

	/* A valid message followed by a few stray bytes (less than a header). */
	off = 0;
	put(buf, &off, IPPROTO_IP, IP_TTL, &v, sizeof(v));
	memset(buf + off, 0, 4);
	ck_assert_int_eq(ipv4opt_cm_parse(buf, off + 4, &cm), -IPV4OPT_E_CMSG_SHORT);
	/* Buffer shorter than one header. */
	ck_assert_int_eq(ipv4opt_cm_parse(buf, 3, &cm), -IPV4OPT_E_CMSG_SHORT);
}
END_TEST

START_TEST(test_parse_last_without_padding)
{
	uint8_t buf[64];
	size_t off = 0;
	uint8_t tos = 4;
	struct ipv4opt_cm cm;

	put(buf, &off, IPPROTO_IP, IP_TOS, &tos, 1);
	/* CMSG_LEN(1) = 17 bytes, no padding after the last message. */
	ck_assert_int_eq(ipv4opt_cm_parse(buf, CMSG_LEN(1), &cm), 0);
	ck_assert_int_eq(cm.tos, 4);
}
END_TEST

START_TEST(test_space)
{
	ck_assert_uint_eq(ipv4opt_cm_space(0), 0);
	ck_assert_uint_eq(ipv4opt_cm_space(IPV4OPT_CM_TTL), CMSG_SPACE(sizeof(int)));
	ck_assert_uint_eq(ipv4opt_cm_space(IPV4OPT_CM_DST),
			  CMSG_SPACE(sizeof(struct in_pktinfo)));
	/* SRC, DST and IFINDEX share one IP_PKTINFO. */
	ck_assert_uint_eq(ipv4opt_cm_space(IPV4OPT_CM_SRC | IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX),
			  CMSG_SPACE(sizeof(struct in_pktinfo)));
	ck_assert_uint_eq(ipv4opt_cm_space(IPV4OPT_CM_TOS), CMSG_SPACE(sizeof(int)));
	ck_assert_uint_eq(ipv4opt_cm_space(IPV4OPT_CM_RXQ_OVFL), CMSG_SPACE(sizeof(uint32_t)));
	for (unsigned f = 0; f <= IPV4OPT_CM_ALL; f++)
		ck_assert_uint_le(ipv4opt_cm_space(f), IPV4OPT_CM_MAX_SPACE);
	ck_assert_uint_le(ipv4opt_cm_space(IPV4OPT_CM_ALL), IPV4OPT_CM_MAX_SPACE);
}
END_TEST

START_TEST(test_marshal_round_trip)
{
	struct ipv4opt_cm in = {
		.flags = IPV4OPT_CM_SRC | IPV4OPT_CM_IFINDEX | IPV4OPT_CM_TTL | IPV4OPT_CM_TOS,
		.src = { htonl(0x0ac90101) },
		.ifindex = 3,
		.ttl = 200,
		.tos = 0xb8,
	};
	struct ipv4opt_cm out;
	uint8_t buf[IPV4OPT_CM_MAX_SPACE];
	size_t n = 0;

	ck_assert_int_eq(ipv4opt_cm_marshal(&in, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, ipv4opt_cm_space(in.flags));
	ck_assert_int_eq(ipv4opt_cm_parse(buf, n, &out), 0);
	ck_assert_uint_eq(out.flags, in.flags | IPV4OPT_CM_DST);
	ck_assert_uint_eq(out.src.s_addr, in.src.s_addr);
	ck_assert_uint_eq(out.dst.s_addr, 0);
	ck_assert_int_eq(out.ifindex, 3);
	ck_assert_int_eq(out.ttl, 200);
	ck_assert_int_eq(out.tos, 0xb8);

	/* Every subset marshals into exactly cm_space bytes and parses back. */
	for (unsigned f = 0; f <= IPV4OPT_CM_ALL; f++) {
		struct ipv4opt_cm c = in;

		c.flags = f;
		ck_assert_int_eq(ipv4opt_cm_marshal(&c, buf, sizeof(buf), &n), 0);
		ck_assert_uint_le(n, ipv4opt_cm_space(f));
		ck_assert_int_eq(ipv4opt_cm_parse(buf, n, &out), 0);
		if (f & IPV4OPT_CM_TTL)
			ck_assert_int_eq(out.ttl, 200);
		if (f & IPV4OPT_CM_IFINDEX)
			ck_assert_int_eq(out.ifindex, 3);
		else if (f & IPV4OPT_CM_SRC)
			ck_assert_int_eq(out.ifindex, 0);
	}

	/* Only PKTINFO: a layout check against the kernel's struct. */
	in.flags = IPV4OPT_CM_SRC | IPV4OPT_CM_IFINDEX;
	ck_assert_int_eq(ipv4opt_cm_marshal(&in, buf, sizeof(buf), &n), 0);
	{
		struct cmsghdr h;
		struct in_pktinfo pi;

		memcpy(&h, buf, sizeof(h));
		ck_assert_int_eq(h.cmsg_level, IPPROTO_IP);
		ck_assert_int_eq(h.cmsg_type, IP_PKTINFO);
		ck_assert_uint_eq(h.cmsg_len, CMSG_LEN(sizeof(pi)));
		memcpy(&pi, CMSG_DATA((struct cmsghdr *)buf), sizeof(pi));
		ck_assert_int_eq(pi.ipi_ifindex, 3);
		ck_assert_uint_eq(pi.ipi_spec_dst.s_addr, in.src.s_addr);
		ck_assert_uint_eq(pi.ipi_addr.s_addr, 0);
	}
}
END_TEST

START_TEST(test_marshal_too_small)
{
	struct ipv4opt_cm in = {
		.flags = IPV4OPT_CM_SRC | IPV4OPT_CM_TTL | IPV4OPT_CM_TOS,
		.ttl = 1,
	};
	uint8_t buf[IPV4OPT_CM_MAX_SPACE];
	size_t need = ipv4opt_cm_space(in.flags), n;

	for (size_t len = 0; len < need; len++) {
		n = 999;
		ck_assert_int_eq(ipv4opt_cm_marshal(&in, buf, len, &n),
				 -IPV4OPT_E_BUFFER_TOO_SMALL);
		ck_assert_uint_eq(n, 999);
	}
	ck_assert_int_eq(ipv4opt_cm_marshal(&in, buf, need, &n), 0);
	ck_assert_uint_eq(n, need);

	/* Nothing to marshal: 0 bytes, any buffer. */
	in.flags = IPV4OPT_CM_DST | IPV4OPT_CM_RXQ_OVFL;
	ck_assert_int_eq(ipv4opt_cm_marshal(&in, NULL, 0, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ipv4opt_cm_marshal(NULL, buf, sizeof(buf), &n), -EINVAL);
}
END_TEST

/* control_test.go: TestControlMessageParseWithFuzz. Random bytes, and random sequences of
 * plausible headers with lying lengths, each in a heap block of exactly its size (so a read
 * past the end is caught under the sanitizers): parse returns 0 or -IPV4OPT_E_CMSG_SHORT. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	/* xorshift64*: a fixed seed, the same sequence on every run and machine */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (uint32_t)((rnd_state * 0x2545f4914f6cdd1dull) >> 32);
}

START_TEST(test_parse_random)
{
	static const int types[] = { IP_TTL, IP_TOS, IP_PKTINFO, SO_RXQ_OVFL, IP_RECVERR, 0 };
	int ok = 0, bad = 0;

	for (int iter = 0; iter < 200000; iter++) {
		size_t len = rnd() % 200;
		uint8_t *b = malloc(len ? len : 1);
		struct ipv4opt_cm cm;
		int r;

		if (iter % 2 == 0) {
			for (size_t i = 0; i < len; i++)
				b[i] = (uint8_t)rnd();
		} else {
			/* Headers at the right places with lengths near the right ones. */
			size_t off = 0;

			memset(b, 0, len);
			while (off + sizeof(struct cmsghdr) <= len) {
				struct cmsghdr h = {
					.cmsg_level = rnd() % 3 == 0 ? SOL_SOCKET : IPPROTO_IP,
					.cmsg_type = types[rnd() % 6],
				};
				size_t dlen = rnd() % 24;

				h.cmsg_len = rnd() % 16 == 0 ? rnd() : CMSG_LEN(dlen);
				memcpy(b + off, &h, sizeof(h));
				for (size_t i = off + sizeof(h); i < len && i < off + CMSG_LEN(dlen); i++)
					b[i] = (uint8_t)rnd();
				off += CMSG_SPACE(dlen);
			}
		}
		r = ipv4opt_cm_parse(b, len, &cm);
		ck_assert_msg(r == 0 || r == -IPV4OPT_E_CMSG_SHORT, "iteration %d: %d", iter, r);
		if (r == 0)
			ok++;
		else
			bad++;
		free(b);
	}
	/* Both outcomes were exercised. */
	ck_assert_int_gt(ok, 1000);
	ck_assert_int_gt(bad, 1000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cm");
	TCase *tc = tcase_create("cm");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parse_kernel_layout);
	tcase_add_test(tc, test_parse_unaligned);
	tcase_add_test(tc, test_parse_empty);
	tcase_add_test(tc, test_parse_unknown_skipped);
	tcase_add_test(tc, test_parse_tos_int);
	tcase_add_test(tc, test_timestamp);
	tcase_add_test(tc, test_parse_malformed);
	tcase_add_test(tc, test_parse_last_without_padding);
	tcase_add_test(tc, test_space);
	tcase_add_test(tc, test_marshal_round_trip);
	tcase_add_test(tc, test_marshal_too_small);
	tcase_add_test(tc, test_parse_random);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
