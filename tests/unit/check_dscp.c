/* SPDX-License-Identifier: BSD-3-Clause */
#include <check.h>
#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4opt.h"

static const struct {
	const char *name;
	uint8_t value;
} names[] = {
	{ "CS0", 0 },	  { "CS1", 8 },	    { "CS2", 16 },   { "CS3", 24 },	{ "CS4", 32 },
	{ "CS5", 40 },	  { "CS6", 48 },    { "CS7", 56 },   { "AF11", 10 },	{ "AF12", 12 },
	{ "AF13", 14 },	  { "AF21", 18 },   { "AF22", 20 },  { "AF23", 22 },	{ "AF31", 26 },
	{ "AF32", 28 },	  { "AF33", 30 },   { "AF41", 34 },  { "AF42", 36 },	{ "AF43", 38 },
	{ "EF", 46 },	  { "VOICE-ADMIT", 44 }, { "LE", 1 },
};

START_TEST(test_names_round_trip)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char lower[32], mixed[32];
		uint8_t v = 0xff;

		ck_assert_int_eq(ipv4opt_dscp_from_string(names[i].name, &v), 0);
		ck_assert_uint_eq(v, names[i].value);
		ck_assert_str_eq(ipv4opt_dscp_to_string(names[i].value), names[i].name);

		snprintf(lower, sizeof(lower), "%s", names[i].name);
		snprintf(mixed, sizeof(mixed), "%s", names[i].name);
		for (size_t j = 0; lower[j]; j++) {
			lower[j] = (char)tolower((unsigned char)lower[j]);
			if (j % 2)
				mixed[j] = lower[j];
		}
		v = 0xff;
		ck_assert_int_eq(ipv4opt_dscp_from_string(lower, &v), 0);
		ck_assert_uint_eq(v, names[i].value);
		v = 0xff;
		ck_assert_int_eq(ipv4opt_dscp_from_string(mixed, &v), 0);
		ck_assert_uint_eq(v, names[i].value);
	}
}
END_TEST

START_TEST(test_header_constants)
{
	/* The enum in the public header matches RFC values. */
	ck_assert_int_eq(IPV4OPT_DSCP_AF11, 10);
	ck_assert_int_eq(IPV4OPT_DSCP_AF43, 38);
	ck_assert_int_eq(IPV4OPT_DSCP_EF, 46);
	ck_assert_int_eq(IPV4OPT_DSCP_VOICE_ADMIT, 44);
	ck_assert_int_eq(IPV4OPT_DSCP_LE, 1);
	ck_assert_int_eq(IPV4OPT_DSCP_CS7, 56);
}
END_TEST

START_TEST(test_unnamed_values)
{
	int named = 0;

	for (int v = 0; v < 64; v++)
		if (ipv4opt_dscp_to_string((uint8_t)v))
			named++;
	ck_assert_int_eq(named, (int)(sizeof(names) / sizeof(names[0])));
	ck_assert_ptr_null(ipv4opt_dscp_to_string(2));
	ck_assert_ptr_null(ipv4opt_dscp_to_string(63));
	ck_assert_ptr_null(ipv4opt_dscp_to_string(64));
	ck_assert_ptr_null(ipv4opt_dscp_to_string(255));
}
END_TEST

START_TEST(test_numbers)
{
	static const struct {
		const char *s;
		uint8_t v;
	} ok[] = {
		{ "0", 0 },	{ "1", 1 },	{ "46", 46 },	 { "63", 63 },	 { "0x0", 0 },
		{ "0x2e", 46 }, { "0x2E", 46 }, { "0X3f", 63 }, { "0x3F", 63 }, { "010", 10 },
		{ "00", 0 },	{ "0x00000001", 1 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint8_t v = 0xff;

		ck_assert_msg(ipv4opt_dscp_from_string(ok[i].s, &v) == 0, "%s", ok[i].s);
		ck_assert_uint_eq(v, ok[i].v);
	}
}
END_TEST

START_TEST(test_rejects)
{
	static const char *const bad[] = {
		"", " ", "64", "0x40", "255", "-1", "+1", " 1", "1 ", "1x", "0x", "0xg", "0x-1",
		"AF", "AF14", "AF44", "CS8", "EFX", "EF ", " EF", "VOICE_ADMIT", "voiceadmit",
		"LE\n", "1e1", "99999999999999999999999", "0x100000000000000000", "4294967342",
		"0b1", "CS", "default",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t v = 0x77;

		ck_assert_msg(ipv4opt_dscp_from_string(bad[i], &v) == -IPV4OPT_E_DSCP_UNKNOWN,
			      "accepted \"%s\"", bad[i]);
		ck_assert_uint_eq(v, 0x77); /* not written on failure */
	}
	ck_assert_int_eq(ipv4opt_dscp_from_string(NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_compose_keeps_ecn)
{
	for (int d = 0; d < 64; d++)
		for (int old = 0; old < 256; old++) {
			uint8_t t = ipv4opt_tos_compose((uint8_t)d, (uint8_t)old);

			ck_assert_int_eq(t >> 2, d);
			ck_assert_int_eq(t & IPV4OPT_ECN_MASK, old & IPV4OPT_ECN_MASK);
		}
	ck_assert_uint_eq(ipv4opt_tos_compose(IPV4OPT_DSCP_EF, 0x03), 0xbb);
	ck_assert_uint_eq(ipv4opt_tos_compose(IPV4OPT_DSCP_AF11, 0xfd), 0x29);
}
END_TEST

START_TEST(test_set_dscp_rejects_big)
{
	/* Checked before touching the fd. */
	ck_assert_int_eq(ipv4opt_set_dscp(-1, 64), -EINVAL);
	ck_assert_int_eq(ipv4opt_set_dscp(-1, 1), -EBADF);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dscp");
	TCase *tc = tcase_create("dscp");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_names_round_trip);
	tcase_add_test(tc, test_header_constants);
	tcase_add_test(tc, test_unnamed_values);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_rejects);
	tcase_add_test(tc, test_compose_keeps_ecn);
	tcase_add_test(tc, test_set_dscp_rejects_big);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
