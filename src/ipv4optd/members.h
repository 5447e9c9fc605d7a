/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * members: the memberships the daemon wants (config policies x matching interfaces, plus
 * runtime joins) against the ones it holds in the kernel, reconciled by mark and sweep.
 *
 * The kernel limits each socket to net.ipv4.igmp_max_memberships groups and each group to
 * net.ipv4.igmp_max_msf sources (kernel-facts.md), so memberships are spread over pools of
 * sockets: pool 0 holds `join` policies on sockets that are never bound (they copy nothing to
 * user space); a pool per port holds the memberships of policies that consume traffic, on
 * sockets bound to that port with IP_MULTICAST_ALL=0 so each gets only its own groups.
 * Joins are by interface index; a membership whose interface is deleted is left by its old
 * index (it would otherwise keep counting against the socket) and waits for the name.
 */
#ifndef IPV4OPTD_MEMBERS_H
#define IPV4OPTD_MEMBERS_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ipv4opt.h"
#include "links.h"

enum member_state {
	MEMBER_STATE_WAITING, /* no interface of that name */
	MEMBER_STATE_JOINED,
	MEMBER_STATE_FAILED,  /* a step failed: error_step says which, error why */
	_MEMBER_STATE_MAX,
	_MEMBER_STATE_INVALID = -EINVAL,
};

/* The step a failed membership stopped at: a port another program holds is no refusal of the
 * join by the kernel, and its message says so. */
enum member_step {
	MEMBER_STEP_JOIN,    /* the kernel refused the join (MCAST_JOIN_GROUP, ..._SOURCE_GROUP) */
	MEMBER_STEP_SOCKET,  /* a socket of the pool could not be opened or set up */
	MEMBER_STEP_BIND,    /* ... bound to the policy's port (EADDRINUSE: another program's) */
	MEMBER_STEP_RECEIVE, /* the data path could not take the socket (its receive options) */
	_MEMBER_STEP_MAX,
	_MEMBER_STEP_INVALID = -EINVAL,
};

enum member_origin {
	MEMBER_ORIGIN_CONFIG,
	MEMBER_ORIGIN_RUNTIME,
	_MEMBER_ORIGIN_MAX,
	_MEMBER_ORIGIN_INVALID = -EINVAL,
};

const char *member_state_to_string(enum member_state s);
const char *member_origin_to_string(enum member_origin o);
/* "join", "socket", "bind", "receive". */
const char *member_step_to_string(enum member_step s);

struct msock;

/* One wanted membership: a group (with its source filter) on one interface name. */
struct member {
	/* identity */
	enum member_origin origin;
	char *policy;                  /* policy name; runtime joins: "runtime" */
	char ifname[IF_NAMESIZE];
	struct in_addr group;
	enum ipv4opt_filter_mode mode; /* INCLUDE: source-specific; EXCLUDE: any-source */
	struct in_addr *sources;       /* INCLUDE: the sources; EXCLUDE: the blocked ones */
	size_t n_sources;
	uint16_t port;                 /* 0: held only; else the data pool of that port */
	int input;                     /* of a policy with 'inputs': which (0-based); else 0 */

	/* state */
	enum member_state state;
	int ifindex;                   /* joined: the index it is held on */
	int error;                     /* failed: negative errno */
	enum member_step error_step;   /* failed: where */
	enum member_step prev_step;    /* the step of the state last set (logged) */
	uint64_t since_usec;           /* CLOCK_REALTIME of the last state change */
	uint64_t joins;                /* how often it was joined */
	struct msock **holds;          /* the socket of each chunk of sources */
	size_t n_holds;

	/* bookkeeping */
	bool mark;
	struct member *next, *prev;    /* all members */
	struct member *hnext;          /* hash chain on identity */
	struct member *inext, *iprev;  /* hash chain on ifname */
};

/* What failed, as a phrase for messages: "the kernel refused the join", "cannot bind port
 * 5000", ...; the errno's text is not included. */
const char *member_step_describe(const struct member *mb, char *buf, size_t size);

struct members;

int members_new(struct members **ret);
struct members *members_free(struct members *m);
void members_freep(struct members **m);

/* Where interface names are looked up. */
void members_set_links(struct members *m, const struct links *l);

/* Makes held match wanted. Wanted: every policy of c (NULL: none) on every interface it names
 * or whose name matches its patterns, and every runtime join. With only_ifname, only that
 * name is looked at (after a link event). Unchanged memberships are never touched. */
int members_reconcile(struct members *m, const struct config *c, const char *only_ifname);

/* Leaves and joins again the memberships of config policy `policy` (stall recovery, periodic
 * rejoin; failed ones are retried). Returns how many were rejoined. */
int members_rejoin_policy(struct members *m, const char *policy);

/* Joins again the failed memberships on interface ifname: a link event there (up, an address
 * added or removed) may have mended what made them fail; ipv4ctl(8) promises the retry. A new
 * interface of the name is reconciled instead. Returns how many were retried. */
int members_retry_failed(struct members *m, const char *ifname);

/* A counter that changes whenever a membership is gained or lost (the data plane maps
 * datagrams to policies by the memberships held, and maps again when it moves). */
uint64_t members_generation(const struct members *m);

/* Leaves everything and closes every socket (shutdown). */
void members_leave_all(struct members *m);

/* Runtime joins (ipv4ctl join/leave). source INADDR_ANY: any-source. -EEXIST / -ENOENT. */
int members_runtime_add(struct members *m, struct in_addr group, struct in_addr source,
			const char *ifname, uint16_t port);
int members_runtime_remove(struct members *m, struct in_addr group, struct in_addr source,
			   const char *ifname);
/* The membership of the runtime join of group (source INADDR_ANY: any-source) on ifname, or
 * NULL (none, or not reconciled yet). */
const struct member *members_runtime_find(const struct members *m, struct in_addr group,
					  struct in_addr source, const char *ifname);
/* Removes, with a warning each, the runtime joins whose port no relay or log policy of c
 * receives on (config_port_receives): a runtime join never holds another service's port, also
 * when it was restored from the state file or a reload removed its policy. Call it before
 * reconciling against c, so that such a join is never bound. Returns how many it removed. */
size_t members_runtime_drop_foreign_ports(struct members *m, const struct config *c);

/* Iteration over all members, in creation order. */
const struct member *members_first(const struct members *m);
const struct member *members_next(const struct member *mb);

struct members_counts {
	size_t joined, waiting, failed;
	size_t runtime;                    /* of those, runtime joins */
	size_t sockets;
	unsigned max_memberships, max_msf; /* kernel limits in force */
};
void members_get_counts(const struct members *m, struct members_counts *ret);

/* State changes are logged at this level (debug during the first reconcile, info after). */
void members_set_log_level(struct members *m, int level);

#endif
