/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/ipv4optd/members through its seams: a config parsed from text, links fed as
 * rtnetlink messages by hand. What a link event reconciles (that interface only) must leave the
 * same wanted set as a full reconcile would. Joins are real: on "lo" (the test's namespace's)
 * they succeed; on the made-up interfaces they wait (no such index). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "macro.h"
#include "ipv4optd/config.h"
#include "ipv4optd/links.h"
#include "ipv4optd/members.h"
#include "nlmsg.h"

static const char conf[] =
	"policies = (\n"
	"  { name = \"pat\"; group = \"239.7.0.1\"; interfaces = [ \"ve*\", \"l[o]\" ]; action = \"join\"; },\n"
	"  { name = \"two\"; group = \"239.7.0.2\"; interfaces = [ \"ve1\", \"w?\" ]; action = \"join\"; },\n"
	"  { name = \"lit\"; group = \"239.7.0.3\"; interfaces = [ \"zz1\" ]; action = \"join\"; }\n"
	");\n";

static void link_msg(struct links *l, uint16_t type, int index, const char *name)
{
	char buf[256] = { 0 };

	put_link(buf, type, index, name);
	ck_assert_int_eq(links_handle_message(l, (struct nlmsghdr *)buf), 0);
}

/* qsort passes pointers to the elements */
static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The members as sorted lines "policy ifname state". */
static char *listing(const struct members *m)
{
	char *text = NULL, *lines[64];
	size_t n = 0, size = 0;
	FILE *f;

	for (const struct member *mb = members_first(m); mb; mb = members_next(mb)) {
		ck_assert_uint_lt(n, 64);
		ck_assert_int_ge(asprintf(&lines[n++], "%s %s %s", mb->policy, mb->ifname,
					  member_state_to_string(mb->state)), 0);
	}
	qsort(lines, n, sizeof(*lines), cmp_line);
	f = open_memstream(&text, &size);
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s\n", lines[i]);
		free(lines[i]);
	}
	fclose(f);
	return text;
}

struct ctx {
	struct members *m;
	const struct config *c;
};

/* What the daemon does on each event (daemon.c's on_link_event). */
static void on_event(struct links *l, enum links_event ev, const struct link *k,
		     const char *old_name, void *userdata)
{
	struct ctx *x = userdata;
	(void)l;

	switch (ev) {
	case LINKS_EVENT_NEW:
	case LINKS_EVENT_DEL:
		ck_assert_int_eq(members_reconcile(x->m, x->c, k->name), 0);
		break;
	case LINKS_EVENT_RENAME:
		ck_assert_int_eq(members_reconcile(x->m, x->c, old_name), 0);
		ck_assert_int_eq(members_reconcile(x->m, x->c, k->name), 0);
		break;
	case LINKS_EVENT_CHANGE:
	case LINKS_EVENT_ADDRESS:
	case _LINKS_EVENT_MAX:
		break;
	}
}

/* After the events so far, the members are `want`, and a full reconcile finds them so too. */
static void expect(struct ctx *x, const char *want)
{
	_cleanup_free_ char *by_events = listing(x->m), *full = NULL;

	ck_assert_str_eq(by_events, want);
	ck_assert_int_eq(members_reconcile(x->m, x->c, NULL), 0);
	full = listing(x->m);
	ck_assert_str_eq(full, want);
}

START_TEST(test_events_reconcile_their_interface)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_(members_freep) struct members *m = NULL;
	_cleanup_(links_freep) struct links *l = NULL;
	_cleanup_free_ char *errors = NULL;
	struct ctx x;

	ck_assert_int_eq(config_parse_string(conf, "test.conf", &c, &errors), 0);
	ck_assert_int_eq(members_new(&m), 0);
	x = (struct ctx){ m, c };
	ck_assert_int_eq(links_new(NULL, 0, on_event, &x, &l), 0);
	members_set_links(m, l);
	ck_assert_int_eq(members_reconcile(m, c, NULL), 0);
	expect(&x, "lit zz1 waiting\n"
		   "two ve1 waiting\n");

	link_msg(l, RTM_NEWLINK, 1, "lo");
	expect(&x, "lit zz1 waiting\n"
		   "pat lo joined\n"
		   "two ve1 waiting\n");
	link_msg(l, RTM_NEWLINK, 100001, "ve1");
	link_msg(l, RTM_NEWLINK, 100002, "ve2");
	link_msg(l, RTM_NEWLINK, 100003, "w1");
	link_msg(l, RTM_NEWLINK, 100004, "x1");
	expect(&x, "lit zz1 waiting\n"
		   "pat lo joined\n"
		   "pat ve1 waiting\n"
		   "pat ve2 waiting\n"
		   "two ve1 waiting\n"
		   "two w1 waiting\n");
	/* ve2 becomes zz1: its pattern member goes, the literal one stays (waiting: the made-up
	 * index is not the kernel's). */
	link_msg(l, RTM_NEWLINK, 100002, "zz1");
	expect(&x, "lit zz1 waiting\n"
		   "pat lo joined\n"
		   "pat ve1 waiting\n"
		   "two ve1 waiting\n"
		   "two w1 waiting\n");
	link_msg(l, RTM_DELLINK, 100003, "w1");
	link_msg(l, RTM_DELLINK, 1, "lo");
	expect(&x, "lit zz1 waiting\n"
		   "pat ve1 waiting\n"
		   "two ve1 waiting\n");
	link_msg(l, RTM_NEWLINK, 1, "lo");
	expect(&x, "lit zz1 waiting\n"
		   "pat lo joined\n"
		   "pat ve1 waiting\n"
		   "two ve1 waiting\n");
}
END_TEST

/* Many members on one name and on others: an event on one name leaves the others' as they
 * were (same members, same state), and removes all of its own when the interface goes. */
START_TEST(test_many_members_one_name)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_(members_freep) struct members *m = NULL;
	_cleanup_(links_freep) struct links *l = NULL;
	_cleanup_free_ char *errors = NULL, *text = NULL;
	size_t size = 0, n;
	struct ctx x;
	FILE *f = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(f);
	fprintf(f, "policies = (\n");
	for (int i = 0; i < 600; i++)
		fprintf(f, "{ name = \"p%d\"; group = \"239.8.%d.%d\"; interfaces = [ \"%s\" ]; "
			   "action = \"join\"; }%s\n", i, i / 256, i % 256,
			i % 3 == 0 ? "l[o]" : i % 3 == 1 ? "ve[0-9]" : "ve1", i < 599 ? "," : "");
	fprintf(f, ");\n");
	fclose(f);
	ck_assert_int_eq(config_parse_string(text, "many.conf", &c, &errors), 0);
	ck_assert_int_eq(members_new(&m), 0);
	x = (struct ctx){ m, c };
	ck_assert_int_eq(links_new(NULL, 0, on_event, &x, &l), 0);
	members_set_links(m, l);
	ck_assert_int_eq(members_reconcile(m, c, NULL), 0);
	link_msg(l, RTM_NEWLINK, 1, "lo");
	link_msg(l, RTM_NEWLINK, 100001, "ve1");
	link_msg(l, RTM_NEWLINK, 100002, "ve2");

	struct members_counts k;
	members_get_counts(m, &k);
	ck_assert_uint_eq(k.joined, 200);  /* lo */
	ck_assert_uint_eq(k.waiting, 600); /* ve1: 400, ve2: 200 */
	link_msg(l, RTM_DELLINK, 100001, "ve1");
	members_get_counts(m, &k);
	ck_assert_uint_eq(k.joined, 200);
	ck_assert_uint_eq(k.waiting, 200 + 200); /* ve2's, and the literal ve1 ones wait */
	link_msg(l, RTM_DELLINK, 1, "lo");
	members_get_counts(m, &k);
	ck_assert_uint_eq(k.joined, 0);
	ck_assert_uint_eq(k.sockets, 0);
	n = 0;
	for (const struct member *mb = members_first(m); mb; mb = members_next(mb))
		n++;
	ck_assert_uint_eq(n, 400);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("members");
	TCase *tc = tcase_create("events");
	SRunner *sr;
	int failed;

	log_set_max_level(LOG_ERR);
	tcase_add_test(tc, test_events_reconcile_their_interface);
	tcase_add_test(tc, test_many_members_one_name);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
