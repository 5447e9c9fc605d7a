/* SPDX-License-Identifier: BSD-3-Clause */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4opt.h"

START_TEST(test_errno_names)
{
	ck_assert_str_eq(ipv4opt_strerror(-ENOBUFS), "No buffer space available");
	ck_assert_str_eq(ipv4opt_strerror(-EADDRINUSE), "Address already in use");
	ck_assert_str_eq(ipv4opt_strerror(-EINVAL), "Invalid argument");
	ck_assert_str_eq(ipv4opt_strerror(EINVAL), "Invalid argument");
	ck_assert_str_eq(ipv4opt_strerror(0), "Success");
}
END_TEST

START_TEST(test_library_errors)
{
	for (int e = IPV4OPT_E_BASE + 1; e < _IPV4OPT_E_MAX; e++) {
		const char *s = ipv4opt_strerror(-e);

		ck_assert_ptr_nonnull(s);
		ck_assert_msg(strncmp(s, "Unknown", 7) != 0, "no string for %d", e);
		/* Each one distinct. */
		for (int f = IPV4OPT_E_BASE + 1; f < e; f++)
			ck_assert_str_ne(s, ipv4opt_strerror(-f));
	}
	ck_assert_str_eq(ipv4opt_strerror(-IPV4OPT_E_NOT_MULTICAST),
			 "Address is not a multicast address");
	ck_assert_str_eq(ipv4opt_strerror(-IPV4OPT_E_CMSG_SHORT),
			 "Control message truncated or malformed");
}
END_TEST

START_TEST(test_unknown)
{
	ck_assert_str_eq(ipv4opt_strerror(-IPV4OPT_E_BASE), "Unknown ipv4opt error");
	ck_assert_str_eq(ipv4opt_strerror(-_IPV4OPT_E_MAX), "Unknown ipv4opt error");
	ck_assert_str_eq(ipv4opt_strerror(-100000), "Unknown ipv4opt error");
	ck_assert_str_eq(ipv4opt_strerror(-3000), "Unknown error");
	ck_assert_ptr_nonnull(ipv4opt_strerror(INT_MIN));
	ck_assert_ptr_nonnull(ipv4opt_strerror(INT_MAX));
}
END_TEST

/* The returned strings are static: two threads asking for different errors each keep theirs. */
static void *spin(void *arg)
{
	int err = *(int *)arg;
	const char *want = ipv4opt_strerror(err);

	for (int i = 0; i < 100000; i++)
		if (ipv4opt_strerror(err) != want || ipv4opt_strerror(-4000 - i % 90) == NULL)
			return (void *)1;
	return NULL;
}

START_TEST(test_thread_safe)
{
	int errs[4] = { -ENOBUFS, -IPV4OPT_E_HEADER_SHORT, -EINVAL, -3333 };
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, spin, &errs[i]), 0);
	for (int i = 0; i < 4; i++) {
		void *r;

		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_ptr_null(r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("error");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_errno_names);
	tcase_add_test(tc, test_library_errors);
	tcase_add_test(tc, test_unknown);
	tcase_add_test(tc, test_thread_safe);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
