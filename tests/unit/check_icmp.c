/* SPDX-License-Identifier: BSD-3-Clause */
/* ICMP type names and the ICMP_FILTER bit logic (the reference's icmp_test.go, TestICMPString
 * and TestICMPFilter). The socket side is in tests/kernel/check_kernel_icmp.c. */
#include <check.h>
#include <errno.h>
#include <linux/icmp.h>
#include <stdlib.h>

#include "ipv4opt.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

START_TEST(test_type_names)
{
	static const struct {
		int type;
		const char *name;
	} names[] = {
		{ 0, "echo reply" },
		{ 3, "destination unreachable" },
		{ 5, "redirect" },
		{ 8, "echo" },
		{ 9, "router advertisement" },
		{ 10, "router solicitation" },
		{ 11, "time exceeded" },
		{ 12, "parameter problem" },
		{ 13, "timestamp" },
		{ 14, "timestamp reply" },
		{ 40, "photuris" },
		{ 42, "extended echo request" },
		{ 43, "extended echo reply" },
	};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		ck_assert_str_eq(ipv4opt_icmp_type_to_string(names[i].type), names[i].name);
	/* the same numbers as the kernel's own constants */
	ck_assert_str_eq(ipv4opt_icmp_type_to_string(ICMP_ECHOREPLY), "echo reply");
	ck_assert_str_eq(ipv4opt_icmp_type_to_string(ICMP_DEST_UNREACH), "destination unreachable");
	ck_assert_str_eq(ipv4opt_icmp_type_to_string(ICMP_ECHO), "echo");
	ck_assert_str_eq(ipv4opt_icmp_type_to_string(ICMP_TIME_EXCEEDED), "time exceeded");
	ck_assert_str_eq(ipv4opt_icmp_type_to_string(ICMP_EXT_ECHO), "extended echo request");
	ck_assert_str_eq(ipv4opt_icmp_type_to_string(ICMP_EXT_ECHOREPLY), "extended echo reply");
}
END_TEST

START_TEST(test_type_names_unassigned)
{
	/* deprecated or unassigned types and anything out of the 8-bit range have no name
	 * (the reference prints "<nil>" for 256) */
	static const int none[] = { -1, 1, 2, 4, 6, 7, 15, 16, 17, 18, 19, 31, 39, 41, 44, 253,
				    255, 256, 1 << 20 };

	for (size_t i = 0; i < ELEMENTSOF(none); i++)
		ck_assert_ptr_null(ipv4opt_icmp_type_to_string(none[i]));
	/* every type 0-255 is either NULL or a non-empty name */
	for (int t = 0; t < 256; t++) {
		const char *s = ipv4opt_icmp_type_to_string(t);
		ck_assert(s == NULL || s[0] != '\0');
	}
}
END_TEST

START_TEST(test_filter_toggle)
{
	/* icmp_test.go TestICMPFilter: from both all-accept and all-block, accepting a type
	 * makes will_block false and blocking it makes it true */
	static const int types[] = { ICMP_DEST_UNREACH, ICMP_ECHOREPLY, ICMP_TIME_EXCEEDED,
				     ICMP_PARAMETERPROB };
	struct ipv4opt_icmp_filter f = { 0 };

	for (int toggle = 0; toggle < 2; toggle++) {
		ipv4opt_icmp_filter_set_all(&f, toggle);
		for (size_t i = 0; i < ELEMENTSOF(types); i++) {
			ipv4opt_icmp_filter_accept(&f, types[i]);
			ck_assert(!ipv4opt_icmp_filter_will_block(&f, types[i]));
			ipv4opt_icmp_filter_block(&f, types[i]);
			ck_assert(ipv4opt_icmp_filter_will_block(&f, types[i]));
		}
	}
}
END_TEST

START_TEST(test_filter_bits)
{
	struct ipv4opt_icmp_filter f;

	/* the kernel's layout: bit t of data is type t */
	ipv4opt_icmp_filter_set_all(&f, false);
	ck_assert_uint_eq(f.data, 0);
	ipv4opt_icmp_filter_set_all(&f, true);
	ck_assert_uint_eq(f.data, 0xffffffffu);
	for (int t = 0; t < 32; t++)
		ck_assert(ipv4opt_icmp_filter_will_block(&f, t));

	ipv4opt_icmp_filter_accept(&f, ICMP_ECHO);
	ipv4opt_icmp_filter_accept(&f, ICMP_ECHOREPLY);
	ck_assert_uint_eq(f.data, ~((1u << ICMP_ECHO) | (1u << ICMP_ECHOREPLY)));

	ipv4opt_icmp_filter_set_all(&f, false);
	ipv4opt_icmp_filter_block(&f, 31);
	ck_assert_uint_eq(f.data, 0x80000000u);
	ipv4opt_icmp_filter_block(&f, 0);
	ck_assert_uint_eq(f.data, 0x80000001u);
	/* blocking twice, accepting twice: idempotent */
	ipv4opt_icmp_filter_block(&f, 0);
	ck_assert_uint_eq(f.data, 0x80000001u);
	ipv4opt_icmp_filter_accept(&f, 31);
	ipv4opt_icmp_filter_accept(&f, 31);
	ck_assert_uint_eq(f.data, 0x00000001u);
	for (int t = 1; t < 32; t++)
		ck_assert(!ipv4opt_icmp_filter_will_block(&f, t));
}
END_TEST

START_TEST(test_filter_out_of_range)
{
	/* The kernel filters types 0-31 only and always delivers the others (raw_icmp_filter()):
	 * accept/block leave the mask alone for them and will_block says false. In particular
	 * type 32 + t must not alias type t (the reference masks the type with 31). */
	static const int out[] = { -1, 32, 33, 40, 42, 43, 255, 256, -32 };
	struct ipv4opt_icmp_filter f;

	for (size_t i = 0; i < ELEMENTSOF(out); i++) {
		ipv4opt_icmp_filter_set_all(&f, true);
		ipv4opt_icmp_filter_accept(&f, out[i]);
		ck_assert_uint_eq(f.data, 0xffffffffu);
		ck_assert(!ipv4opt_icmp_filter_will_block(&f, out[i]));

		ipv4opt_icmp_filter_set_all(&f, false);
		ipv4opt_icmp_filter_block(&f, out[i]);
		ck_assert_uint_eq(f.data, 0);
		ck_assert(!ipv4opt_icmp_filter_will_block(&f, out[i]));
	}
}
END_TEST

START_TEST(test_filter_null)
{
	/* NULL filters are ignored rather than crashing */
	ipv4opt_icmp_filter_accept(NULL, 0);
	ipv4opt_icmp_filter_block(NULL, 0);
	ipv4opt_icmp_filter_set_all(NULL, true);
	ck_assert(!ipv4opt_icmp_filter_will_block(NULL, 0));
	ck_assert_int_eq(ipv4opt_get_icmp_filter(-1, NULL), -EINVAL);
	ck_assert_int_eq(ipv4opt_set_icmp_filter(-1, NULL), -EINVAL);
	/* a bad descriptor is the kernel's EBADF */
	struct ipv4opt_icmp_filter f = { 0 };
	ck_assert_int_eq(ipv4opt_get_icmp_filter(-1, &f), -EBADF);
	ck_assert_int_eq(ipv4opt_set_icmp_filter(-1, &f), -EBADF);
}
END_TEST

static Suite *icmp_suite(void)
{
	Suite *s = suite_create("icmp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_type_names);
	tcase_add_test(tc, test_type_names_unassigned);
	tcase_add_test(tc, test_filter_toggle);
	tcase_add_test(tc, test_filter_bits);
	tcase_add_test(tc, test_filter_out_of_range);
	tcase_add_test(tc, test_filter_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(icmp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
