/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * links: the host's interfaces as rtnetlink tells them (libmnl). A dump at start, then each
 * RTM_NEWLINK / RTM_DELLINK / RTM_NEWADDR / RTM_DELADDR message is parsed and turned into
 * one event for the owner; a netlink overrun (ENOBUFS: events were lost), or any other error
 * reading the event socket, triggers a new dump whose differences are reported as the same
 * events, address changes included. A dump that fails is tried again a second later, and so
 * is a read error that comes back within a second: the event socket is never given up.
 */
#ifndef IPV4OPTD_LINKS_H
#define IPV4OPTD_LINKS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <systemd/sd-event.h>

struct link_addr4 {
	struct in_addr local, address; /* IFA_LOCAL, IFA_ADDRESS (the peer on point-to-point) */
	unsigned prefixlen;
};

struct link {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned flags;   /* IFF_UP, IFF_RUNNING, IFF_LOWER_UP ... */
	unsigned n_addr4; /* IPv4 addresses on the link */
	/* links.c's own: */
	struct link_addr4 *addr4, *old_addr4; /* the addresses; during a resync, those before */
	unsigned cap_addr4, n_old_addr4;
	bool seen;        /* resync mark */
};

enum links_event {
	LINKS_EVENT_NEW,     /* a link appeared (created, or first seen) */
	LINKS_EVENT_RENAME,  /* same index, new name; old_name says what it was */
	LINKS_EVENT_CHANGE,  /* flags changed (up/down, carrier) */
	LINKS_EVENT_ADDRESS, /* an IPv4 address was added or removed */
	LINKS_EVENT_DEL,     /* the link is gone (the struct is freed after the callback) */
	_LINKS_EVENT_MAX,
};

struct links;

typedef void (*links_handler_t)(struct links *l, enum links_event ev, const struct link *link,
				const char *old_name, void *userdata);

/* Opens the event socket (rcvbuf bytes of receive buffer; 0 = 4 MiB), dumps links and
 * addresses, and attaches to e (e may be NULL for tests that feed messages by hand). */
int links_new(sd_event *e, int rcvbuf, links_handler_t handler, void *userdata,
	      struct links **ret);
/* The seam unit tests use: fd (taken; a socketpair end the test writes rtnetlink messages
 * into) stands in for the event socket. No dump at start; a resync dumps the real links. */
int links_new_from_fd(sd_event *e, int fd, links_handler_t handler, void *userdata,
		      struct links **ret);
struct links *links_free(struct links *l);
void links_freep(struct links **l);

const struct link *links_get_by_index(const struct links *l, int ifindex);
const struct link *links_get_by_name(const struct links *l, const char *name);
/* The links as an array, valid until the next event. */
const struct link *links_all(const struct links *l, size_t *ret_n);

/* Dumps links and addresses again and reports every difference. */
int links_resync(struct links *l);

/* Feeds one rtnetlink message (the seam that unit tests use). */
int links_handle_message(struct links *l, const struct nlmsghdr *nlh);

/* Counters, for status. */
uint64_t links_resyncs(const struct links *l);

const char *links_event_to_string(enum links_event ev);

#endif
