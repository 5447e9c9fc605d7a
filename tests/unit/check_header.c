/* SPDX-License-Identifier: BSD-3-Clause */
/* The IPv4 header codec (RFC 791) and the Internet checksum (RFC 1071). Scenarios ported from
 * the reference's header_test.go, plus every error and a random-input run. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4opt.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* header_test.go: the little-endian test header, as a Linux kernel hands it over (wire order). */
static const uint8_t go_wire[] = {
	0x45, 0x01, 0xbe, 0xef,
	0xca, 0xfe, 0x45, 0xdc,
	0xff, 0x01, 0xde, 0xad,
	172, 16, 254, 254,
	192, 168, 0, 1,
};

static const uint8_t go_wire_opts[] = {
	0x46, 0x01, 0xbe, 0xf3,
	0xca, 0xfe, 0x45, 0xdc,
	0xff, 0x01, 0xde, 0xad,
	172, 16, 254, 254,
	192, 168, 0, 1,
	0xff, 0xfe, 0xfe, 0xff,
};

/* A TCP/IPv4 header captured on Linux (golang.org/issue/43386): 77.111.247.60 ->
 * 195.201.32.90, DF, TTL 55, total length 60, valid checksum 0x91b0. */
static const uint8_t captured_tcp[] = {
	0x45, 0x00, 0x00, 0x3c,
	0x89, 0x3c, 0x40, 0x00,
	0x37, 0x06, 0x91, 0xb0,
	0x4d, 0x6f, 0xf7, 0x3c,
	0xc3, 0xc9, 0x20, 0x5a,
};

static struct ipv4opt_header go_header(void)
{
	struct ipv4opt_header h = {
		.version = 4,
		.len = IPV4OPT_HEADER_LEN,
		.tos = 1,
		.total_len = 0xbeef,
		.id = 0xcafe,
		.flags = IPV4OPT_FLAG_DF,
		.frag_off = 1500,
		.ttl = 255,
		.protocol = 1,
		.checksum = 0xdead,
	};

	inet_pton(AF_INET, "172.16.254.254", &h.src);
	inet_pton(AF_INET, "192.168.0.1", &h.dst);
	return h;
}

static void assert_header_eq(const struct ipv4opt_header *a, const struct ipv4opt_header *b)
{
	ck_assert_int_eq(a->version, b->version);
	ck_assert_int_eq(a->len, b->len);
	ck_assert_int_eq(a->tos, b->tos);
	ck_assert_int_eq(a->total_len, b->total_len);
	ck_assert_int_eq(a->id, b->id);
	ck_assert_int_eq(a->flags, b->flags);
	ck_assert_int_eq(a->frag_off, b->frag_off);
	ck_assert_int_eq(a->ttl, b->ttl);
	ck_assert_int_eq(a->protocol, b->protocol);
	ck_assert_uint_eq(a->src.s_addr, b->src.s_addr);
	ck_assert_uint_eq(a->dst.s_addr, b->dst.s_addr);
	ck_assert_uint_eq(a->options_len, b->options_len);
	ck_assert_mem_eq(a->options, b->options, a->options_len);
}

START_TEST(test_parse_reference)
{
	struct ipv4opt_header want = go_header(), h;

	ck_assert_int_eq(ipv4opt_header_parse(go_wire, sizeof(go_wire), &h), 0);
	assert_header_eq(&h, &want);
	ck_assert_int_eq(h.checksum, 0xdead);

	want.len = IPV4OPT_HEADER_LEN + 4;
	want.total_len = 0xbef3;
	memcpy(want.options, (uint8_t[]){ 0xff, 0xfe, 0xfe, 0xff }, 4);
	want.options_len = 4;
	ck_assert_int_eq(ipv4opt_header_parse(go_wire_opts, sizeof(go_wire_opts), &h), 0);
	assert_header_eq(&h, &want);
	ck_assert_int_eq(h.checksum, 0xdead);
}
END_TEST

START_TEST(test_marshal_reference)
{
	struct ipv4opt_header h = go_header();
	uint8_t buf[64], want[sizeof(go_wire_opts)];
	size_t n = 0;

	/* Same bytes as the reference except the checksum, which marshal computes. */
	ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, sizeof(go_wire));
	memcpy(want, go_wire, sizeof(go_wire));
	want[10] = buf[10];
	want[11] = buf[11];
	ck_assert_mem_eq(buf, want, sizeof(go_wire));
	ck_assert_uint_eq(ipv4opt_checksum(buf, n), 0);

	h.total_len = 0xbef3;
	memcpy(h.options, (uint8_t[]){ 0xff, 0xfe, 0xfe, 0xff }, 4);
	h.options_len = 4;
	ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, sizeof(go_wire_opts));
	memcpy(want, go_wire_opts, sizeof(go_wire_opts));
	want[10] = buf[10];
	want[11] = buf[11];
	ck_assert_mem_eq(buf, want, sizeof(go_wire_opts));
	ck_assert_uint_eq(ipv4opt_checksum(buf, n), 0);
}
END_TEST

START_TEST(test_marshal_ignores_len_and_version)
{
	struct ipv4opt_header h = go_header(), p;
	uint8_t buf[60];
	size_t n;

	/* version and len are derived from options_len, whatever the caller left in them */
	h.version = 6;
	h.len = 99;
	h.options_len = 8;
	memset(h.options, 0x01, 8);
	ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, 28);
	ck_assert_uint_eq(buf[0], 0x47);
	ck_assert_int_eq(ipv4opt_header_parse(buf, n, &p), 0);
	ck_assert_int_eq(p.version, 4);
	ck_assert_int_eq(p.len, 28);
	/* ret_len is optional */
	ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, sizeof(buf), NULL), 0);
}
END_TEST

START_TEST(test_captured_round_trip)
{
	struct ipv4opt_header h;
	uint8_t buf[60];
	size_t n;

	ck_assert_int_eq(ipv4opt_header_parse(captured_tcp, sizeof(captured_tcp), &h), 0);
	ck_assert_int_eq(h.version, 4);
	ck_assert_int_eq(h.len, 20);
	ck_assert_int_eq(h.tos, 0);
	ck_assert_int_eq(h.total_len, 60);
	ck_assert_int_eq(h.id, 0x893c);
	ck_assert_int_eq(h.flags, IPV4OPT_FLAG_DF);
	ck_assert_int_eq(h.frag_off, 0);
	ck_assert_int_eq(h.ttl, 55);
	ck_assert_int_eq(h.protocol, 6);
	ck_assert_int_eq(h.checksum, 0x91b0);
	ck_assert_str_eq(inet_ntoa(h.src), "77.111.247.60");
	ck_assert_str_eq(inet_ntoa(h.dst), "195.201.32.90");
	ck_assert_uint_eq(h.options_len, 0);
	/* the captured checksum is valid: marshal recomputes the same bytes */
	ck_assert_uint_eq(ipv4opt_checksum(captured_tcp, sizeof(captured_tcp)), 0);
	ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, sizeof(captured_tcp));
	ck_assert_mem_eq(buf, captured_tcp, n);
}
END_TEST

START_TEST(test_round_trip_options)
{
	/* every legal options length: 0, 4, ..., 40 bytes (IHL 5 to 15) */
	for (size_t olen = 0; olen <= IPV4OPT_HEADER_MAX_OPTIONS; olen += 4) {
		struct ipv4opt_header h = go_header(), p;
		uint8_t buf[64];
		size_t n;

		h.total_len = (int)(20 + olen + 100);
		for (size_t i = 0; i < olen; i++)
			h.options[i] = (uint8_t)(i * 7 + 1);
		h.options_len = olen;
		h.len = (int)(20 + olen);
		ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, sizeof(buf), &n), 0);
		ck_assert_uint_eq(n, 20 + olen);
		ck_assert_uint_eq(buf[0] & 0x0f, (20 + olen) / 4);
		ck_assert_uint_eq(ipv4opt_checksum(buf, n), 0);
		ck_assert_int_eq(ipv4opt_header_parse(buf, n, &p), 0);
		assert_header_eq(&p, &h);
		ck_assert_int_eq(p.checksum, buf[10] << 8 | buf[11]);
	}
}
END_TEST

START_TEST(test_flags_and_fragment_offset)
{
	static const struct {
		int flags, frag_off;
		uint8_t b6, b7;
	} cases[] = {
		{ 0, 0, 0x00, 0x00 },
		{ IPV4OPT_FLAG_DF, 0, 0x40, 0x00 },
		{ IPV4OPT_FLAG_MF, 0, 0x20, 0x00 },
		{ IPV4OPT_FLAG_MF, 0x1fff, 0x3f, 0xff },
		{ IPV4OPT_FLAG_MF, 185, 0x20, 0xb9 }, /* second fragment of a 1500-byte MTU */
		{ 0x4, 1, 0x80, 0x01 },               /* the reserved bit travels as 0x4 */
		{ 0x7, 0x1fff, 0xff, 0xff },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct ipv4opt_header h = go_header(), p;
		uint8_t buf[20];

		h.flags = cases[i].flags;
		h.frag_off = cases[i].frag_off;
		ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, sizeof(buf), NULL), 0);
		ck_assert_uint_eq(buf[6], cases[i].b6);
		ck_assert_uint_eq(buf[7], cases[i].b7);
		ck_assert_int_eq(ipv4opt_header_parse(buf, sizeof(buf), &p), 0);
		ck_assert_int_eq(p.flags, cases[i].flags);
		ck_assert_int_eq(p.frag_off, cases[i].frag_off);
	}
}
END_TEST

START_TEST(test_parse_short)
{
	uint8_t b[60] = { 0x45 };
	struct ipv4opt_header h;

	b[3] = 60; /* total length 60 */
	for (size_t n = 0; n < 20; n++)
		ck_assert_int_eq(ipv4opt_header_parse(b, n, &h), -IPV4OPT_E_HEADER_SHORT);
	ck_assert_int_eq(ipv4opt_header_parse(NULL, 0, &h), -IPV4OPT_E_HEADER_SHORT);

	/* header_test.go errExtHeaderTooShort: IHL says 24 bytes, only 20 to 23 given */
	b[0] = 0x46;
	for (size_t n = 20; n < 24; n++)
		ck_assert_int_eq(ipv4opt_header_parse(b, n, &h), -IPV4OPT_E_HEADER_SHORT);
	ck_assert_int_eq(ipv4opt_header_parse(b, 24, &h), 0);
	/* IHL 15: 60 bytes */
	b[0] = 0x4f;
	ck_assert_int_eq(ipv4opt_header_parse(b, 59, &h), -IPV4OPT_E_HEADER_SHORT);
	ck_assert_int_eq(ipv4opt_header_parse(b, 60, &h), 0);
	ck_assert_uint_eq(h.options_len, 40);
}
END_TEST

START_TEST(test_parse_version)
{
	uint8_t b[20];
	struct ipv4opt_header h;

	memcpy(b, go_wire, sizeof(b));
	for (int v = 0; v < 16; v++) {
		b[0] = (uint8_t)(v << 4 | 5);
		ck_assert_int_eq(ipv4opt_header_parse(b, sizeof(b), &h),
				 v == 4 ? 0 : -IPV4OPT_E_HEADER_VERSION);
	}
	/* an IPv6 header */
	b[0] = 0x60;
	ck_assert_int_eq(ipv4opt_header_parse(b, sizeof(b), &h), -IPV4OPT_E_HEADER_VERSION);
}
END_TEST

START_TEST(test_parse_ihl)
{
	uint8_t b[20];
	struct ipv4opt_header h;

	memcpy(b, go_wire, sizeof(b));
	for (int ihl = 0; ihl < 5; ihl++) {
		b[0] = (uint8_t)(0x40 | ihl);
		ck_assert_int_eq(ipv4opt_header_parse(b, sizeof(b), &h), -IPV4OPT_E_HEADER_LENGTH);
	}
}
END_TEST

START_TEST(test_parse_total_length)
{
	uint8_t b[24];
	struct ipv4opt_header h;

	memcpy(b, go_wire_opts, sizeof(b));
	/* IHL 6 (24 bytes): total length 0..23 is impossible, 24 is a packet without payload */
	for (int tl = 0; tl < 24; tl++) {
		b[2] = 0;
		b[3] = (uint8_t)tl;
		ck_assert_int_eq(ipv4opt_header_parse(b, sizeof(b), &h),
				 -IPV4OPT_E_HEADER_TOTAL_LENGTH);
	}
	b[3] = 24;
	ck_assert_int_eq(ipv4opt_header_parse(b, sizeof(b), &h), 0);
	ck_assert_int_eq(h.total_len, 24);
	/* a total length beyond the buffer is fine: a raw read may be cut short */
	b[2] = 0xff;
	b[3] = 0xff;
	ck_assert_int_eq(ipv4opt_header_parse(b, sizeof(b), &h), 0);
	ck_assert_int_eq(h.total_len, 0xffff);
}
END_TEST

START_TEST(test_parse_error_leaves_output)
{
	struct ipv4opt_header h, untouched;
	uint8_t b[20] = { 0x44 };

	memset(&h, 0xa5, sizeof(h));
	untouched = h;
	ck_assert_int_eq(ipv4opt_header_parse(b, sizeof(b), &h), -IPV4OPT_E_HEADER_LENGTH);
	ck_assert_mem_eq(&h, &untouched, sizeof(h));
	ck_assert_int_eq(ipv4opt_header_parse(b, 3, &h), -IPV4OPT_E_HEADER_SHORT);
	ck_assert_mem_eq(&h, &untouched, sizeof(h));
}
END_TEST

START_TEST(test_marshal_odd_options)
{
	struct ipv4opt_header h = go_header();
	uint8_t buf[128];

	for (size_t olen = 0; olen <= 64; olen++) {
		h.options_len = olen;
		int want = (olen % 4 == 0 && olen <= 40) ? 0 : -IPV4OPT_E_HEADER_LENGTH;
		ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, sizeof(buf), NULL), want);
	}
}
END_TEST

START_TEST(test_marshal_buffer_too_small)
{
	struct ipv4opt_header h = go_header();
	uint8_t buf[60];
	size_t n = 12345;

	for (size_t len = 0; len < 20; len++)
		ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, len, &n),
				 -IPV4OPT_E_BUFFER_TOO_SMALL);
	ck_assert_int_eq(ipv4opt_header_marshal(&h, NULL, 0, &n), -IPV4OPT_E_BUFFER_TOO_SMALL);
	h.options_len = 40;
	ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, 59, &n), -IPV4OPT_E_BUFFER_TOO_SMALL);
	/* ret_len untouched on error */
	ck_assert_uint_eq(n, 12345);
	ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, 60, &n), 0);
	ck_assert_uint_eq(n, 60);
}
END_TEST

START_TEST(test_marshal_field_range)
{
	static const struct {
		size_t off;
		int bad;
	} cases[] = {
		{ offsetof(struct ipv4opt_header, tos), 256 },
		{ offsetof(struct ipv4opt_header, tos), -1 },
		{ offsetof(struct ipv4opt_header, total_len), 0x10000 },
		{ offsetof(struct ipv4opt_header, id), 0x10000 },
		{ offsetof(struct ipv4opt_header, flags), 8 },
		{ offsetof(struct ipv4opt_header, frag_off), 0x2000 },
		{ offsetof(struct ipv4opt_header, ttl), 256 },
		{ offsetof(struct ipv4opt_header, protocol), -1 },
	};
	uint8_t buf[60];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct ipv4opt_header h = go_header();

		memcpy((uint8_t *)&h + cases[i].off, &cases[i].bad, sizeof(int));
		ck_assert_int_eq(ipv4opt_header_marshal(&h, buf, sizeof(buf), NULL), -EINVAL);
	}
	ck_assert_int_eq(ipv4opt_header_marshal(NULL, buf, sizeof(buf), NULL), -EINVAL);
}
END_TEST

START_TEST(test_checksum_vectors)
{
	/* RFC 1071 section 3 example: one's complement sum 0xddf2 */
	static const uint8_t rfc1071[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* A UDP/IPv4 header (192.168.0.1 -> 192.168.0.199) whose checksum is 0xb861 */
	uint8_t udp_hdr[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	uint8_t ones[1001];

	ck_assert_uint_eq(ipv4opt_checksum(rfc1071, sizeof(rfc1071)), 0x220d);
	ck_assert_uint_eq(ipv4opt_checksum(udp_hdr, sizeof(udp_hdr)), 0xb861);
	udp_hdr[10] = 0xb8;
	udp_hdr[11] = 0x61;
	ck_assert_uint_eq(ipv4opt_checksum(udp_hdr, sizeof(udp_hdr)), 0);
	/* empty: the complement of zero */
	ck_assert_uint_eq(ipv4opt_checksum(NULL, 0), 0xffff);
	/* odd length: the last byte is the high half of a zero-padded word */
	ck_assert_uint_eq(ipv4opt_checksum((uint8_t[]){ 0x01 }, 1), 0xfeff);
	ck_assert_uint_eq(ipv4opt_checksum(rfc1071, 7), (uint16_t)~(0xddf2 - 0xf7));
	/* carries: 500 words of 0xffff fold to 0xffff, plus 0xff00 */
	memset(ones, 0xff, sizeof(ones));
	ck_assert_uint_eq(ipv4opt_checksum(ones, 1000), 0);
	ck_assert_uint_eq(ipv4opt_checksum(ones, 1001), 0x00ff);
	/* byte order independence of RFC 1071 (section 2B): swapping bytes swaps the sum */
	ck_assert_uint_eq(ipv4opt_checksum((uint8_t[]){ 0x12, 0x34 }, 2), 0xedcb);
	ck_assert_uint_eq(ipv4opt_checksum((uint8_t[]){ 0x34, 0x12 }, 2), 0xcbed);
}
END_TEST

START_TEST(test_random_input)
{
	/* Any bytes at all: parse either fails with one of its errors or returns a header that
	 * marshals back to the same bytes. Run under the sanitizers, this is the fuzz test. */
	uint8_t b[80], out[64];
	unsigned seed = 0x1b4;

	srand(seed);
	for (int iter = 0; iter < 200000; iter++) {
		size_t n = (size_t)rand() % sizeof(b);
		struct ipv4opt_header h;
		size_t m;
		int r;

		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)rand();
		if (n > 0 && iter % 2 == 0)
			b[0] = (uint8_t)(0x40 | (b[0] & 0x0f)); /* reach past the version check */
		if (n > 3 && iter % 4 == 0)
			b[2] = 0;
		/* the buffer may sit at the end of the heap: let ASan see any overread */
		uint8_t *heap = malloc(n ? n : 1);
		ck_assert_ptr_nonnull(heap);
		memcpy(heap, b, n);
		r = ipv4opt_header_parse(heap, n, &h);
		free(heap);
		if (r < 0) {
			ck_assert(r == -IPV4OPT_E_HEADER_SHORT || r == -IPV4OPT_E_HEADER_VERSION ||
				  r == -IPV4OPT_E_HEADER_LENGTH ||
				  r == -IPV4OPT_E_HEADER_TOTAL_LENGTH);
			continue;
		}
		ck_assert_int_ge(h.len, 20);
		ck_assert_int_le(h.len, 60);
		ck_assert_uint_le((size_t)h.len, n);
		ck_assert_int_ge(h.total_len, h.len);
		ck_assert_uint_eq(h.options_len, (size_t)h.len - 20);
		ck_assert_int_eq(ipv4opt_header_marshal(&h, out, sizeof(out), &m), 0);
		ck_assert_uint_eq(m, (size_t)h.len);
		/* identical except the checksum, which marshal recomputes */
		ck_assert_mem_eq(out, b, 10);
		ck_assert_mem_eq(out + 12, b + 12, m - 12);
		ck_assert_uint_eq(ipv4opt_checksum(out, m), 0);
	}
}
END_TEST

static Suite *header_suite(void)
{
	Suite *s = suite_create("header");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_parse_reference);
	tcase_add_test(tc, test_marshal_reference);
	tcase_add_test(tc, test_marshal_ignores_len_and_version);
	tcase_add_test(tc, test_captured_round_trip);
	tcase_add_test(tc, test_round_trip_options);
	tcase_add_test(tc, test_flags_and_fragment_offset);
	tcase_add_test(tc, test_parse_short);
	tcase_add_test(tc, test_parse_version);
	tcase_add_test(tc, test_parse_ihl);
	tcase_add_test(tc, test_parse_total_length);
	tcase_add_test(tc, test_parse_error_leaves_output);
	tcase_add_test(tc, test_marshal_odd_options);
	tcase_add_test(tc, test_marshal_buffer_too_small);
	tcase_add_test(tc, test_marshal_field_range);
	tcase_add_test(tc, test_checksum_vectors);
	suite_add_tcase(s, tc);

	TCase *tr = tcase_create("random");
	tcase_set_timeout(tr, 60);
	tcase_add_test(tr, test_random_input);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(header_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
