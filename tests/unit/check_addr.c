/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/common/addr: what users type is parsed exactly or refused. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static struct in_addr in(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

START_TEST(test_parse_in)
{
	static const char *const good[] = { "0.0.0.0", "10.1.1.5", "239.255.255.250",
					    "255.255.255.255" };
	static const char *const bad[] = { "",	       "10.1",	     "10.1.1",	  "1.2.3.4.5",
					   "256.1.1.1", "10.1.1.5 ", " 10.1.1.5", "10.1.1.5x",
					   "0x0a.0.0.1", "010.1.1.1", "a.b.c.d",   "10..1.1",
					   "-1.1.1.1",	"1.2.3.4/24", "::1" };
	struct in_addr a = { .s_addr = htonl(0x01020304) };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(addr_parse_in(good[i], &a), 0);
		ck_assert_uint_eq(a.s_addr, in(good[i]).s_addr);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a.s_addr = htonl(0x01020304);
		ck_assert_msg(addr_parse_in(bad[i], &a) == -EINVAL, "accepted \"%s\"", bad[i]);
		/* ret_ is written only on success */
		ck_assert_uint_eq(a.s_addr, htonl(0x01020304));
	}
	ck_assert_int_eq(addr_parse_in(NULL, &a), -EINVAL);
}
END_TEST

START_TEST(test_parse_port)
{
	uint16_t p = 7;

	ck_assert_int_eq(addr_parse_port("1", &p), 0);
	ck_assert_uint_eq(p, 1);
	ck_assert_int_eq(addr_parse_port("65535", &p), 0);
	ck_assert_uint_eq(p, 65535);
	ck_assert_int_eq(addr_parse_port("5000", &p), 0);
	ck_assert_uint_eq(p, 5000);

	p = 7;
	ck_assert_int_eq(addr_parse_port("0", &p), -ERANGE);
	ck_assert_int_eq(addr_parse_port("65536", &p), -ERANGE);
	ck_assert_int_eq(addr_parse_port("99999999999999999999", &p), -ERANGE);
	ck_assert_int_eq(addr_parse_port("", &p), -EINVAL);
	ck_assert_int_eq(addr_parse_port("-1", &p), -EINVAL);
	ck_assert_int_eq(addr_parse_port("+80", &p), -EINVAL);
	ck_assert_int_eq(addr_parse_port(" 80", &p), -EINVAL);
	ck_assert_int_eq(addr_parse_port("80 ", &p), -EINVAL);
	ck_assert_int_eq(addr_parse_port("0x50", &p), -EINVAL);
	ck_assert_int_eq(addr_parse_port("http", &p), -EINVAL);
	ck_assert_int_eq(addr_parse_port(NULL, &p), -EINVAL);
	ck_assert_uint_eq(p, 7);
}
END_TEST

START_TEST(test_parse_endpoint)
{
	struct sockaddr_in sin = { .sin_port = htons(1) };

	ck_assert_int_eq(addr_parse_endpoint("239.2.2.2:6000", &sin), 0);
	ck_assert_int_eq(sin.sin_family, AF_INET);
	ck_assert_uint_eq(sin.sin_addr.s_addr, in("239.2.2.2").s_addr);
	ck_assert_uint_eq(ntohs(sin.sin_port), 6000);

	ck_assert_int_eq(addr_parse_endpoint("10.0.0.1:1", &sin), 0);
	ck_assert_uint_eq(ntohs(sin.sin_port), 1);

	sin.sin_port = htons(1234);
	ck_assert_int_eq(addr_parse_endpoint("239.2.2.2:0", &sin), -ERANGE);
	ck_assert_int_eq(addr_parse_endpoint("239.2.2.2:70000", &sin), -ERANGE);
	ck_assert_int_eq(addr_parse_endpoint("239.2.2.2", &sin), -EINVAL);
	ck_assert_int_eq(addr_parse_endpoint("239.2.2.2:", &sin), -EINVAL);
	ck_assert_int_eq(addr_parse_endpoint(":6000", &sin), -EINVAL);
	ck_assert_int_eq(addr_parse_endpoint("239.2.2:6000", &sin), -EINVAL);
	ck_assert_int_eq(addr_parse_endpoint("239.2.2.2:6000:1", &sin), -EINVAL);
	ck_assert_int_eq(addr_parse_endpoint("239.2.2.2 :6000", &sin), -EINVAL);
	ck_assert_int_eq(addr_parse_endpoint("239.2.2.2: 6000", &sin), -EINVAL);
	ck_assert_int_eq(addr_parse_endpoint("host.example:6000", &sin), -EINVAL);
	ck_assert_int_eq(addr_parse_endpoint("255.255.255.255255.255.255.255:1", &sin), -EINVAL);
	ck_assert_int_eq(addr_parse_endpoint(NULL, &sin), -EINVAL);
	ck_assert_uint_eq(ntohs(sin.sin_port), 1234);
}
END_TEST

START_TEST(test_classes)
{
	ck_assert(addr_is_multicast(in("224.0.0.0")));
	ck_assert(addr_is_multicast(in("239.255.255.255")));
	ck_assert(addr_is_multicast(in("232.1.1.1")));
	ck_assert(!addr_is_multicast(in("223.255.255.255")));
	ck_assert(!addr_is_multicast(in("240.0.0.0")));
	ck_assert(!addr_is_multicast(in("10.1.1.1")));

	ck_assert(addr_is_ssm(in("232.0.0.1")));
	ck_assert(addr_is_ssm(in("232.255.255.255")));
	ck_assert(!addr_is_ssm(in("233.0.0.1")));
	ck_assert(!addr_is_ssm(in("239.1.1.1")));

	ck_assert(addr_is_unicast(in("10.77.1.5")));
	ck_assert(addr_is_unicast(in("192.0.2.255")));
	ck_assert(!addr_is_unicast(in("0.0.0.0")));
	ck_assert(!addr_is_unicast(in("255.255.255.255")));
	ck_assert(!addr_is_unicast(in("239.1.1.1")));
}
END_TEST

START_TEST(test_ifname)
{
	ck_assert(ifname_is_valid("eth0"));
	ck_assert(ifname_is_valid("lab0"));
	ck_assert(ifname_is_valid("vlan1.100"));
	ck_assert(ifname_is_valid("abcdefghijklmno")); /* 15 = IFNAMSIZ - 1 */
	ck_assert(!ifname_is_valid("abcdefghijklmnop"));
	ck_assert(!ifname_is_valid(""));
	ck_assert(!ifname_is_valid("."));
	ck_assert(!ifname_is_valid(".."));
	ck_assert(!ifname_is_valid("a/b"));
	ck_assert(!ifname_is_valid("eth0:1"));
	ck_assert(!ifname_is_valid("eth 0"));
	ck_assert(!ifname_is_valid("eth0\n"));
	ck_assert(!ifname_is_valid(NULL));

	ck_assert(ifname_is_pattern("vlan1*"));
	ck_assert(ifname_is_pattern("eth?"));
	ck_assert(ifname_is_pattern("eth[01]"));
	ck_assert(!ifname_is_pattern("eth0"));
	ck_assert(!ifname_is_pattern(NULL));

	ck_assert(ifname_pattern_is_valid("eth0"));
	ck_assert(ifname_pattern_is_valid("lab*"));
	ck_assert(ifname_pattern_is_valid("[a-z][a-z][a-z][a-z][0-9]*")); /* > 15, a pattern */
	ck_assert(!ifname_pattern_is_valid("abcdefghijklmnop"));            /* > 15, a name */
	ck_assert(!ifname_pattern_is_valid("eth*/x"));
	ck_assert(!ifname_pattern_is_valid("eth *"));
	ck_assert(!ifname_pattern_is_valid(""));
	{
		char long_pattern[IFNAME_PATTERN_MAX + 2];

		memset(long_pattern, '*', sizeof(long_pattern) - 1);
		long_pattern[sizeof(long_pattern) - 1] = '\0';
		ck_assert(!ifname_pattern_is_valid(long_pattern));
		long_pattern[IFNAME_PATTERN_MAX] = '\0';
		ck_assert(ifname_pattern_is_valid(long_pattern));
	}
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_in);
	tcase_add_test(tc, test_parse_port);
	tcase_add_test(tc, test_parse_endpoint);
	tcase_add_test(tc, test_classes);
	tcase_add_test(tc, test_ifname);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
