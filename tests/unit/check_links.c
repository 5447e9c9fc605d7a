/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/ipv4optd/links through its seams: rtnetlink messages fed by hand
 * (links_handle_message), and an event socket that is a socketpair end (links_new_from_fd),
 * on which the test makes a read fail with an error other than ENOBUFS. Resyncs dump the
 * real links of the test's network namespace (no privilege needed); "lo" is always there. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "macro.h"
#include "ipv4optd/links.h"
#include "nlmsg.h"

struct seen {
	unsigned n[_LINKS_EVENT_MAX];
	char last_name[_LINKS_EVENT_MAX][IF_NAMESIZE];
};

static void on_event(struct links *l, enum links_event ev, const struct link *k,
		     const char *old_name, void *userdata)
{
	struct seen *s = userdata;
	(void)l;
	(void)old_name;

	s->n[ev]++;
	snprintf(s->last_name[ev], IF_NAMESIZE, "%s", k->name);
}

static unsigned seen_on(const struct seen *s, enum links_event ev, const char *name)
{
	return s->n[ev] > 0 && streq(s->last_name[ev], name) ? s->n[ev] : 0;
}

/* An RTM_NEWADDR / RTM_DELADDR of addr/prefixlen on index. */
static size_t put_addr(char *buf, uint16_t type, int index, const char *addr, unsigned plen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, addr, &a), 1);
	nlh->nlmsg_type = type;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_index = (unsigned)index;
	ifa->ifa_prefixlen = (unsigned char)plen;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a), &a);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(a), &a);
	return nlh->nlmsg_len;
}

static int lo_index(const struct links *l)
{
	const struct link *k = links_get_by_name(l, "lo");

	ck_assert_ptr_nonnull(k);
	return k->ifindex;
}

/* An address change whose event was lost is reported by the resync that follows. */
START_TEST(test_resync_replays_address_changes)
{
	_cleanup_(links_freep) struct links *l = NULL;
	struct seen s = {};
	char buf[512] = {};
	unsigned n_real;
	int lo;

	ck_assert_int_eq(links_new(NULL, 0, on_event, &s, &l), 0);
	ck_assert_int_eq(links_resync(l), 0);
	lo = lo_index(l);
	n_real = links_get_by_name(l, "lo")->n_addr4;
	memset(&s, 0, sizeof(s));

	/* A resync that finds the addresses as they were reports nothing. */
	ck_assert_int_eq(links_resync(l), 0);
	ck_assert_uint_eq(s.n[LINKS_EVENT_ADDRESS], 0);

	/* lo is told to have 10.99.99.99 (it has not): an event, once (a repeat is a change
	 * of an address already there, not a new one). */
	put_addr(buf, RTM_NEWADDR, lo, "10.99.99.99", 32);
	ck_assert_int_eq(links_handle_message(l, (struct nlmsghdr *)buf), 0);
	ck_assert_int_eq(links_handle_message(l, (struct nlmsghdr *)buf), 0);
	ck_assert_uint_eq(seen_on(&s, LINKS_EVENT_ADDRESS, "lo"), 1);

	/* The dump says otherwise: the resync reports lo's addresses as changed. */
	ck_assert_int_eq(links_resync(l), 0);
	ck_assert_uint_eq(seen_on(&s, LINKS_EVENT_ADDRESS, "lo"), 2);
	ck_assert_uint_eq(s.n[LINKS_EVENT_DEL], 0);

	/* An address removed without an event: the same (lo has 127.0.0.1/8 when it is up). */
	if (links_get_by_name(l, "lo")->n_addr4 == 0)
		return;
	put_addr(buf, RTM_DELADDR, lo, "127.0.0.1", 8);
	ck_assert_int_eq(links_handle_message(l, (struct nlmsghdr *)buf), 0);
	ck_assert_uint_eq(seen_on(&s, LINKS_EVENT_ADDRESS, "lo"), 3);
	ck_assert_int_eq(links_resync(l), 0);
	ck_assert_uint_eq(seen_on(&s, LINKS_EVENT_ADDRESS, "lo"), 4);
	ck_assert_uint_eq(links_get_by_name(l, "lo")->n_addr4, n_real);
}
END_TEST

/* Two AF_UNIX datagram sockets with abstract names, connected to each other: ours (the
 * test's) and the one given to links as its event socket. */
static void socket_pair(int *ours, int *theirs, struct sockaddr_un *theirs_addr)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX }, b = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 32;

	snprintf(a.sun_path + 1, 31, "check_links-a-%d", getpid());
	snprintf(b.sun_path + 1, 31, "check_links-b-%d", getpid());
	*ours = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	*theirs = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(*ours, 0);
	ck_assert_int_ge(*theirs, 0);
	ck_assert_int_eq(bind(*ours, (struct sockaddr *)&a, len), 0);
	ck_assert_int_eq(bind(*theirs, (struct sockaddr *)&b, len), 0);
	ck_assert_int_eq(connect(*ours, (struct sockaddr *)&b, len), 0);
	ck_assert_int_eq(connect(*theirs, (struct sockaddr *)&a, len), 0);
	*theirs_addr = b;
}

/* Disconnecting our end of a connected datagram pair while it holds a datagram of theirs
 * unread gives theirs a pending ECONNRESET (the kernel's unix_dgram_disconnected(): "messages
 * are lost"): their next read fails with it, once. Then we connect again. */
static void inject_read_error(int ours, int theirs_fd, const struct sockaddr_un *theirs)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };

	ck_assert_int_eq(send(theirs_fd, "x", 1, 0), 1);
	ck_assert_int_eq(connect(ours, &unspec, sizeof(unspec)), 0);
	ck_assert_int_eq(connect(ours, (const struct sockaddr *)theirs,
				 offsetof(struct sockaddr_un, sun_path) + 32), 0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop until cond holds, for at most 10 s. */
#define RUN_UNTIL(e, cond)                                                                 \
	do {                                                                               \
		uint64_t end_ = now_ms() + 10000;                                          \
		while (!(cond) && now_ms() < end_)                                         \
			ck_assert_int_ge(sd_event_run(e, 100 * 1000), 0);                   \
		ck_assert_msg(cond, "not within 10 s: %s", #cond);                         \
	} while (0)

/* A read error other than ENOBUFS leads to a resync and reading goes on; an error that comes
 * back at once is resynchronized a second later, not in a busy loop, and reading still goes
 * on after it. */
START_TEST(test_read_error_resyncs)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_(links_freep) struct links *l = NULL;
	_cleanup_close_ int ours = -1;
	struct sockaddr_un theirs_addr;
	struct seen s = {};
	int theirs;
	char buf[512] = {};
	size_t n;

	ck_assert_int_eq(sd_event_new(&e), 0);
	socket_pair(&ours, &theirs, &theirs_addr);
	ck_assert_int_eq(links_new_from_fd(e, theirs, on_event, &s, &l), 0);

	n = put_link(buf, RTM_NEWLINK, 100001, "fake1");
	ck_assert_int_eq(send(ours, buf, n, 0), (ssize_t)n);
	RUN_UNTIL(e, seen_on(&s, LINKS_EVENT_NEW, "fake1"));
	ck_assert_uint_eq(links_resyncs(l), 0);

	inject_read_error(ours, theirs, &theirs_addr);
	RUN_UNTIL(e, links_resyncs(l) == 1);
	/* The dump has no fake1: the resync took it for a link whose deletion was lost. */
	ck_assert_uint_ne(seen_on(&s, LINKS_EVENT_DEL, "fake1"), 0);

	n = put_link(buf, RTM_NEWLINK, 100002, "fake2");
	ck_assert_int_eq(send(ours, buf, n, 0), (ssize_t)n);
	RUN_UNTIL(e, seen_on(&s, LINKS_EVENT_NEW, "fake2"));

	/* Again at once: resynchronized, later. */
	inject_read_error(ours, theirs, &theirs_addr);
	RUN_UNTIL(e, links_resyncs(l) == 2);
	ck_assert_uint_ne(seen_on(&s, LINKS_EVENT_DEL, "fake2"), 0);
	n = put_link(buf, RTM_NEWLINK, 100003, "fake3");
	ck_assert_int_eq(send(ours, buf, n, 0), (ssize_t)n);
	RUN_UNTIL(e, seen_on(&s, LINKS_EVENT_NEW, "fake3"));
}
END_TEST

/* A message larger than the usual buffer (an interface with many alternative names) is read
 * whole, not cut (and lost). */
START_TEST(test_large_message)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_(links_freep) struct links *l = NULL;
	_cleanup_close_ int ours = -1;
	_cleanup_free_ char *buf = calloc(1, 70000);
	struct sockaddr_un theirs_addr;
	struct nlmsghdr *nlh;
	struct seen s = {};
	char pad[128];
	int theirs;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(sd_event_new(&e), 0);
	socket_pair(&ours, &theirs, &theirs_addr);
	ck_assert_int_eq(links_new_from_fd(e, theirs, on_event, &s, &l), 0);
	put_link(buf, RTM_NEWLINK, 100004, "big1");
	nlh = (struct nlmsghdr *)buf;
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	while (nlh->nlmsg_len < 60000)
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, pad); /* any attribute: it is skipped */
	ck_assert_int_eq(send(ours, buf, nlh->nlmsg_len, 0), (ssize_t)nlh->nlmsg_len);
	RUN_UNTIL(e, seen_on(&s, LINKS_EVENT_NEW, "big1"));
	ck_assert_uint_eq(links_resyncs(l), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("links");
	TCase *tc = tcase_create("events");
	SRunner *sr;
	int failed;

	log_set_max_level(LOG_ERR); /* the expected warnings stay off the test output */
	tcase_add_test(tc, test_resync_replays_address_changes);
	tcase_add_test(tc, test_read_error_resyncs);
	tcase_add_test(tc, test_large_message);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
