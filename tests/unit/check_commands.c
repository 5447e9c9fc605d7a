/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/ipv4optd/commands: the command table. Every command of the protocol
 * (ctlproto.h) has a handler and the access the protocol says it needs (a state change is
 * reserved to root, the daemon's uid and control.group: ctl_command_changes_state()), so a
 * command added to the protocol without its entry here fails this test, not a user. */
#include <check.h>

#include "ctlproto.h"
#include "ipv4optd/commands.h"

START_TEST(test_every_command_has_an_entry)
{
	for (int i = 0; i < _CTL_COMMAND_MAX; i++) {
		enum control_access a = commands_access((enum ctl_command)i);

		ck_assert_msg(a == CONTROL_ACCESS_READ || a == CONTROL_ACCESS_CHANGE,
			      "command %s has no entry in commands.c's table",
			      ctl_command_to_string((enum ctl_command)i));
		ck_assert_msg((a == CONTROL_ACCESS_CHANGE) ==
			      ctl_command_changes_state((enum ctl_command)i),
			      "command %s: the table's access differs from the protocol's",
			      ctl_command_to_string((enum ctl_command)i));
	}
}
END_TEST

START_TEST(test_out_of_range_is_unknown)
{
	ck_assert_int_eq(commands_access(_CTL_COMMAND_MAX), _CONTROL_ACCESS_INVALID);
	ck_assert_int_eq(commands_access(_CTL_COMMAND_INVALID), _CONTROL_ACCESS_INVALID);
}
END_TEST

START_TEST(test_dispatcher_is_the_table)
{
	ck_assert_ptr_eq(commands_dispatcher.access, commands_access);
	ck_assert_ptr_nonnull(commands_dispatcher.run);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("commands");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_every_command_has_an_entry);
	tcase_add_test(tc, test_out_of_range_is_unknown);
	tcase_add_test(tc, test_dispatcher_is_the_table);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
