/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/ipv4optd/state: the runtime joins file as an operator finds it on disk (its
 * mode, its contents after a restart), and what a failing fsync leaves in memory and on disk.
 *
 * fsync() is wrapped at link time (-Wl,--wrap=fsync, see Makefile.am): the test seam that makes
 * the directory's fsync, or the file's, fail with EIO as a disk that errs would. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "log.h"
#include "macro.h"
#include "ipv4optd/members.h"
#include "ipv4optd/state.h"

int __real_fsync(int fd);
int __wrap_fsync(int fd);

static bool fail_dir_fsync, fail_file_fsync;

int __wrap_fsync(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && ((S_ISDIR(st.st_mode) && fail_dir_fsync) ||
				    (S_ISREG(st.st_mode) && fail_file_fsync))) {
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

static char dir[] = "/tmp/check_state.XXXXXX";
static char path[sizeof(dir) + sizeof(STATE_FILE_NAME) + 1];

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE_NAME);
	fail_dir_fsync = fail_file_fsync = false;
	log_set_max_level(LOG_ERR); /* the expected warnings stay off the test output */
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/check_state.XXXXXX");
}

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* A members object holding the runtime join 239.5.5.N on eth0 for N in 1..n. */
static struct members *with_joins(unsigned n)
{
	struct members *m;
	char g[32];

	ck_assert_int_eq(members_new(&m), 0);
	for (unsigned i = 1; i <= n; i++) {
		snprintf(g, sizeof(g), "239.5.5.%u", i);
		ck_assert_int_eq(members_runtime_add(m, ip(g), ip("0.0.0.0"), "eth0", 0), 0);
	}
	ck_assert_int_eq(members_reconcile(m, NULL, NULL), 0); /* no links: they wait */
	return m;
}

/* How many joins a fresh start would restore from the file. */
static size_t restored(void)
{
	_cleanup_(members_freep) struct members *m = NULL;

	ck_assert_int_eq(members_new(&m), 0);
	return state_load(dir, m);
}

START_TEST(test_mode_not_world_readable)
{
	_cleanup_(members_freep) struct members *m = with_joins(1);
	struct stat st;

	ck_assert_int_eq(state_save(dir, m), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(restored(), 1);
}
END_TEST

START_TEST(test_load_tightens_old_mode)
{
	_cleanup_(members_freep) struct members *m = with_joins(2);
	struct stat st;

	ck_assert_int_eq(state_save(dir, m), 0);
	ck_assert_int_eq(chmod(path, 0644), 0); /* as earlier versions wrote it */
	ck_assert_uint_eq(restored(), 2);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
}
END_TEST

/* The directory's fsync fails after the rename: the new file is in place, so the save must
 * count as done (memory keeps the change) and a restart must find what memory holds. */
START_TEST(test_dir_fsync_fails_after_rename)
{
	_cleanup_(members_freep) struct members *one = with_joins(1);
	_cleanup_(members_freep) struct members *two = with_joins(2);
	int r;

	ck_assert_int_eq(state_save(dir, one), 0);
	fail_dir_fsync = true;
	r = state_save(dir, two);
	fail_dir_fsync = false;
	ck_assert_msg(r >= 0, "state_save returned %d (%s) although the new file is in place", r,
		      strerror(-r));
	ck_assert_int_eq(r, 1); /* done, with a warning */
	ck_assert_uint_eq(restored(), 2);
}
END_TEST

/* The file's own fsync fails before the rename: nothing changed on disk, an error is returned
 * (the caller undoes the change in memory), and no temporary file is left behind. */
START_TEST(test_file_fsync_fails_before_rename)
{
	_cleanup_(members_freep) struct members *one = with_joins(1);
	_cleanup_(members_freep) struct members *two = with_joins(2);
	char cmd[128];

	ck_assert_int_eq(state_save(dir, one), 0);
	fail_file_fsync = true;
	ck_assert_int_eq(state_save(dir, two), -EIO);
	fail_file_fsync = false;
	ck_assert_uint_eq(restored(), 1);
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("file");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mode_not_world_readable);
	tcase_add_test(tc, test_load_tightens_old_mode);
	tcase_add_test(tc, test_dir_fsync_fails_after_rename);
	tcase_add_test(tc, test_file_fsync_fails_before_rename);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
