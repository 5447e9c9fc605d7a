/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "analyze.h"
#include "capture.h"
#include "clock.h"
#include "ctlproto.h"
#include "ipv4opt.h"
#include "log.h"
#include "macro.h"
#include "recordq.h"
#include "redundancy.h"
#include "relay.h"
#include "snapshot.h"
#include "worker.h"

#define RELAY_RATE_WINDOW_USEC (1000 * 1000ULL)
#define RELAY_MAX_LOCAL_ADDRS 4096
#define RELAY_RECLAIM_USEC (5 * 1000ULL) /* retry while retired items wait for a worker */
/* Stream analysis: the journal is told of a burst of loss (this many RTP packets lost or
 * continuity errors within one look, a second at most), at most once per
 * RELAY_STREAM_LOSS_LOG_USEC; on and off the air each time. */
#define RELAY_STREAM_BURST 10
#define RELAY_STREAM_TICK_USEC (1000 * 1000ULL)
#define RELAY_STREAM_LOSS_LOG_USEC (10 * 1000 * 1000ULL)

/* The control side of one output of a relay policy. */
struct routput {
	int ifindex;                   /* 0: by route */
	bool up;
	int error;                     /* the last state logged */
	/* sends that failed (ENETUNREACH, ...): the last error and when, for show and stats */
	int send_error;
	uint64_t send_error_usec;      /* CLOCK_MONOTONIC; 0: none */
	uint64_t dropped_seen;         /* the output's drops when the workers last woke us */
};

/* The runtime side of one policy: relay and log policies, and join policies with a rejoin
 * interval. */
struct rpolicy {
	struct relay *relay;
	char *name;
	const struct policy *conf;     /* into the current config */
	bool mark;
	struct rpolicy *next, *prev;   /* all */
	struct rpolicy *hnext;         /* name hash chain */
	uint32_t index;                /* in the snapshot being built */

	/* what the workers count: [worker], and [worker * n_outputs + output] */
	struct counters_policy *counters;
	struct counters_output *out_counters;
	struct routput *outputs;       /* [n_outputs of conf] */
	size_t n_outputs;

	/* log: recorded here, from the workers' queues */
	uint64_t id;                   /* never reused: what a queued record names */
	struct rpolicy *inext;         /* id hash chain */
	struct capture *capture;
	uint64_t log_written, log_bytes, log_write_errors;

	/* errors the workers recorded, as far as logged */
	uint64_t errors_logged;

	uint64_t stalls, rejoins;
	/* stall recovery and periodic rejoin */
	bool stalled;
	uint64_t stall_ref;            /* CLOCK_MONOTONIC: start, or the last stall rejoin */
	uint64_t stall_packets;        /* packets_in at the stall */
	sd_event_source *stall_timer;
	sd_event_source *rejoin_timer;

	/* redundant inputs (redundancy.h): the workers' counters [worker * n_inputs + input]
	 * and merge windows [worker]; failover: the active input, chosen by failover_timer */
	size_t n_inputs;
	enum policy_redundancy redundancy;
	uint64_t merge_window_usec;
	struct counters_input *in_counters;
	struct redundancy_merge **merge;
	uint32_t active;
	uint64_t switches, switch_realtime;
	uint64_t primary_since;        /* CLOCK_MONOTONIC: healthy since; 0: not healthy */
	uint64_t failover_period;
	sd_event_source *failover_timer;

	/* stream analysis: the workers' state (analyze.h, [worker]; NULL: none) and what the
	 * journal was told; the timer runs only while the stream is on the air */
	struct analyze *analyze;
	struct stream_config analyze_conf;
	sd_event_source *stream_timer;
	bool stream_on_air;
	uint64_t stream_events;        /* on_air_events as last looked at */
	uint64_t stream_lost, stream_cc;             /* at the last look */
	uint64_t stream_lost_logged, stream_cc_logged; /* at the last loss record */
	uint64_t stream_loss_usec;     /* when the last loss record was written */
};

/* A receive socket: one per (port, worker), bound to the port, IP_MULTICAST_ALL on, no
 * membership of its own (relay.h). */
struct rsock {
	int fd;
	uint16_t port;
	unsigned worker;
	bool watched;                  /* in the worker's epoll set */
	int rcvbuf;                    /* granted (doubled, socket(7)) */
	uint64_t coalesce_max_usec;    /* what its receive buffer holds of a 10 Gb/s burst */
	struct snapshot_sock_state *state;
	struct snapshot_route *routes; /* while building */
	size_t n_routes, cap_routes;
};

struct relay {
	sd_event *event;
	struct members *members;
	const struct links *links;
	const struct config *config;

	struct worker **workers;
	size_t n_workers;
	unsigned next_worker;
	struct snapshot_domain *domain;
	sd_event_source *post;         /* after any event: did the memberships move? */
	sd_event_source *defer;        /* publishes what changed, at the next iteration */
	sd_event_source *reclaim;      /* while retired items wait */
	int notify_fd;                 /* workers: errors recorded */
	sd_event_source *notify;

	struct rsock **by_fd;          /* receive sockets, by fd */
	size_t n_by_fd;
	size_t n_socks;
	struct rsock ***by_port;       /* [port][worker], NULL: not received on */
	int *port_error;               /* [port]: why its receive sockets could not be opened */
	int *port_single;              /* [port]: the one worker reading it (a merge policy's inputs
					* meet in one window), or -1: spread over the workers */
	bool ports_failed;             /* some port has an error: try again on link events */
	struct rsock **gone;           /* removed, to unwatch and retire after the next publish */
	size_t n_gone;

	/* what to retire after the next publish (counters and captures of removed policies) */
	struct { void (*fn)(void *); void *ptr; } *pending;
	size_t n_pending, cap_pending;

	struct rpolicy *head;
	struct rpolicy **buckets;      /* by name */
	struct rpolicy **id_buckets;   /* by id */
	size_t n_buckets, n_policies;
	uint64_t next_id;

	uint64_t generation;           /* members_generation() the routes were built for */
	bool dirty;                    /* publish a new snapshot */

	in_addr_t *local;              /* the host's addresses, sorted, host order */
	size_t n_local;
	bool local_dirty;
};

/* redundant inputs (below) */
static int snapshot_inputs_fill(struct snapshot_policy *sp, const struct rpolicy *rp);
static void merge_ensure(struct rpolicy *rp, unsigned w);

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

static uint64_t now_usec(struct relay *r, clockid_t clock)
{
	uint64_t t = 0;

	if (sd_event_now(r->event, clock, &t) < 0)
		t = clock_now_usec(clock);
	return t;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The host's IPv4 addresses (loop protection), read again on address events. */
static void local_addresses_refresh(struct relay *r)
{
	struct ifaddrs *ifa = NULL;
	in_addr_t *v;
	size_t n = 0;

	r->local_dirty = false;
	if (getifaddrs(&ifa) < 0) {
		log_warning_errno(errno, "Failed to read the host's addresses: %m");
		return;
	}
	v = calloc(RELAY_MAX_LOCAL_ADDRS, sizeof(*v));
	if (!v) {
		freeifaddrs(ifa);
		return;
	}
	for (struct ifaddrs *i = ifa; i && n < RELAY_MAX_LOCAL_ADDRS; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
			v[n++] = ntohl(((const struct sockaddr_in *)(const void *)i->ifa_addr)
					       ->sin_addr.s_addr);
	freeifaddrs(ifa);
	qsort(v, n, sizeof(*v), cmp_u32);
	free(r->local);
	r->local = v;
	r->n_local = n;
}

static const char *addr_port_str(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	return buf;
}

static size_t name_hash(const struct relay *r, const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % r->n_buckets;
}

static struct rpolicy *rpolicy_find(const struct relay *r, const char *name)
{
	if (r->n_buckets == 0)
		return NULL;
	for (struct rpolicy *rp = r->buckets[name_hash(r, name)]; rp; rp = rp->hnext)
		if (streq(rp->name, name))
			return rp;
	return NULL;
}

static struct rpolicy *rpolicy_find_id(const struct relay *r, uint64_t id)
{
	if (r->n_buckets == 0)
		return NULL;
	for (struct rpolicy *rp = r->id_buckets[id % r->n_buckets]; rp; rp = rp->inext)
		if (rp->id == id)
			return rp;
	return NULL;
}

static int rehash(struct relay *r)
{
	size_t nb = r->n_buckets ? r->n_buckets * 2 : 64;
	struct rpolicy **b = calloc(nb, sizeof(*b)), **ib = calloc(nb, sizeof(*ib));

	if (!b || !ib) {
		free(b);
		free(ib);
		return -ENOMEM;
	}
	free(r->buckets);
	free(r->id_buckets);
	r->buckets = b;
	r->id_buckets = ib;
	r->n_buckets = nb;
	for (struct rpolicy *rp = r->head; rp; rp = rp->next) {
		size_t i = name_hash(r, rp->name);

		rp->hnext = b[i];
		b[i] = rp;
		rp->inext = ib[rp->id % nb];
		ib[rp->id % nb] = rp;
	}
	return 0;
}

/* Publishes at the next iteration of the control loop, whatever else happens (a change made
 * outside any event, such as the first reconcile, has no post source to run after it). */
static void mark_dirty(struct relay *r)
{
	r->dirty = true;
	if (r->defer)
		(void)sd_event_source_set_enabled(r->defer, SD_EVENT_ONESHOT);
}

/* Freed by the snapshot domain once no worker can see it: after the next publish. */
static int retire_later(struct relay *r, void (*fn)(void *), void *ptr)
{
	if (!ptr)
		return 0;
	if (r->n_pending == r->cap_pending) {
		size_t nc = r->cap_pending ? r->cap_pending * 2 : 16;
		void *v = reallocarray(r->pending, nc, sizeof(*r->pending));

		if (!v)
			return -ENOMEM;
		r->pending = v;
		r->cap_pending = nc;
	}
	r->pending[r->n_pending].fn = fn;
	r->pending[r->n_pending++].ptr = ptr;
	mark_dirty(r);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Counters                                                                                    */

static void *counters_alloc(size_t n, size_t size)
{
	size_t bytes = n * size;
	void *p;

	if (bytes == 0)
		bytes = COUNTERS_CACHELINE;
	p = aligned_alloc(COUNTERS_CACHELINE, (bytes + COUNTERS_CACHELINE - 1) /
						     COUNTERS_CACHELINE * COUNTERS_CACHELINE);
	if (p)
		memset(p, 0, bytes);
	return p;
}

/* The sum over the workers of one field of a policy's counters. */
#define SUM(rp, field)                                                                         \
	({                                                                                     \
		uint64_t _s = 0;                                                               \
		for (size_t _w = 0; (rp)->counters && _w < (rp)->relay->n_workers; _w++)      \
			_s += COUNTER_GET((rp)->counters[_w].field);                          \
		_s;                                                                            \
	})
#define CTR_MAX(rp, field)                                                                         \
	({                                                                                     \
		uint64_t _m = 0;                                                               \
		for (size_t _w = 0; (rp)->counters && _w < (rp)->relay->n_workers; _w++) {    \
			uint64_t _v = COUNTER_GET((rp)->counters[_w].field);                  \
			if (_v > _m)                                                           \
				_m = _v;                                                       \
		}                                                                              \
		_m;                                                                            \
	})

/* ------------------------------------------------------------------------------------------ */
/* Egress interfaces                                                                           */

/* Resolves output o's egress interface as it is now. gone_ifindex: an interface being deleted
 * (still listed during its DEL event). Logs changes only. */
static void output_resolve(struct relay *r, struct rpolicy *rp, size_t o, int gone_ifindex)
{
	const struct relay_output *rc = &rp->conf->outputs[o];
	struct routput *ro = &rp->outputs[o];
	struct log_ctx ctx = { .policy = rp->name, .ifname = rc->interface };
	const struct link *l;
	char to[32];
	int ifindex = 0;

	addr_port_str(&rc->to, to, sizeof(to));
	if (rc->interface[0]) {
		l = r->links ? links_get_by_name(r->links, rc->interface) : NULL;
		if (!l || l->ifindex == gone_ifindex) {
			if (ro->up || ro->error != -ENODEV)
				log_full_errno(LOG_WARNING, 0, &ctx,
					       "Policy %s: egress interface %s is not there: "
					       "dropping until it is", rp->name, rc->interface);
			if (ro->up || ro->ifindex)
				mark_dirty(r);
			ro->up = false;
			ro->error = -ENODEV;
			ro->ifindex = 0;
			return;
		}
		ifindex = l->ifindex;
	}
	if (!ro->up || ro->ifindex != ifindex) {
		log_full_errno(LOG_INFO, 0, &ctx, "Policy %s: relaying to %s out %s (index %d)",
			       rp->name, to, ifindex ? rc->interface : "the route's interface",
			       ifindex);
		mark_dirty(r);
	}
	ro->up = true;
	ro->error = 0;
	ro->ifindex = ifindex;
}

static void outputs_resolve(struct relay *r, struct rpolicy *rp, int gone_ifindex)
{
	for (size_t o = 0; o < rp->n_outputs; o++)
		output_resolve(r, rp, o, gone_ifindex);
}

static bool output_equal(const struct relay_output *a, const struct relay_output *b)
{
	return a->to.sin_addr.s_addr == b->to.sin_addr.s_addr && a->to.sin_port == b->to.sin_port &&
	       streq(a->interface, b->interface) && a->has_dscp == b->has_dscp &&
	       a->dscp == b->dscp && a->ttl == b->ttl;
}

static bool outputs_equal(const struct policy *a, const struct policy *b)
{
	if (a->n_outputs != b->n_outputs)
		return false;
	for (size_t i = 0; i < a->n_outputs; i++)
		if (!output_equal(&a->outputs[i], &b->outputs[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------------------------------------ */
/* The snapshot                                                                                */

static int route_add(struct rsock *rs, in_addr_t group, int ifindex, uint32_t policy,
		     uint32_t input)
{
	if (rs->n_routes == rs->cap_routes) {
		size_t nc = rs->cap_routes ? rs->cap_routes * 2 : 32;
		struct snapshot_route *v = reallocarray(rs->routes, nc, sizeof(*v));

		if (!v)
			return -ENOMEM;
		rs->routes = v;
		rs->cap_routes = nc;
	}
	rs->routes[rs->n_routes++] = (struct snapshot_route){ group, ifindex, policy, input };
	return 0;
}

static int cmp_route(const void *a, const void *b)
{
	const struct snapshot_route *x = a, *y = b;
	uint32_t gx = ntohl(x->group), gy = ntohl(y->group);

	if (gx != gy)
		return gx < gy ? -1 : 1;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return x->policy < y->policy ? -1 : x->policy > y->policy;
}

static bool policy_has_data_path(const struct policy *p)
{
	return p->action == POLICY_ACTION_RELAY || p->action == POLICY_ACTION_LOG ||
	       p->action == POLICY_ACTION_MONITOR;
}

static int snapshot_policy_fill(struct snapshot_policy *sp, const struct rpolicy *rp)
{
	const struct policy *p = rp->conf;
	struct in_addr *src = NULL, *exc = NULL;
	struct snapshot_output *out = NULL;

	if (p->n_sources > 0 && !(src = malloc(p->n_sources * sizeof(*src))))
		return -ENOMEM;
	if (p->n_exclude > 0 && !(exc = malloc(p->n_exclude * sizeof(*exc)))) {
		free(src);
		return -ENOMEM;
	}
	if (p->action == POLICY_ACTION_RELAY && rp->n_outputs > 0 &&
	    !(out = calloc(rp->n_outputs, sizeof(*out)))) {
		free(src);
		free(exc);
		return -ENOMEM;
	}
	if (src)
		memcpy(src, p->sources, p->n_sources * sizeof(*src));
	if (exc)
		memcpy(exc, p->exclude, p->n_exclude * sizeof(*exc));
	for (size_t o = 0; out && o < rp->n_outputs; o++) {
		const struct relay_output *rc = &p->outputs[o];

		out[o] = (struct snapshot_output){
			.to = rc->to,
			.ifindex = rp->outputs[o].ifindex,
			.up = rp->outputs[o].up,
			.has_dscp = rc->has_dscp,
			.dscp = rc->dscp,
			.ttl = rc->ttl,
		};
	}
	*sp = (struct snapshot_policy){
		.action = p->action,
		.analyze = rp->analyze,
		.counters = rp->counters,
		.out_counters = rp->out_counters,
		.sources = src,
		.n_sources = p->n_sources,
		.exclude = exc,
		.n_exclude = p->n_exclude,
		.outputs = out,
		.n_outputs = out ? rp->n_outputs : 0,
		.id = rp->id,
	};
	if (snapshot_inputs_fill(sp, rp) < 0) {
		free(src);
		free(exc);
		free(out);
		return -ENOMEM;
	}
	return 0;
}

/* The worker of a group: its receive socket of each port takes only the groups of that worker
 * (a socket filter on the destination address, rsock_open), so a policy's groups spread over
 * the workers and one group's datagrams are always read by one thread. */
static unsigned group_worker(const struct relay *r, in_addr_t group)
{
	return (unsigned)(ntohl(group) % (uint32_t)r->n_workers);
}

/* The receive socket of port that reads group: its worker's, or the port's one socket when a
 * merge policy receives on the port (ports_sync). */
static struct rsock *port_sock(const struct relay *r, uint16_t port, in_addr_t group)
{
	struct rsock **v = r->by_port ? r->by_port[port] : NULL;
	int single = r->port_single ? r->port_single[port] : -1;

	if (!v)
		return NULL;
	return single >= 0 ? v[single] : v[group_worker(r, group)];
}

/* Which policies each receive socket's datagrams belong to: every membership of a relay or log
 * policy that the membership engine holds, on the socket of its port and its group's worker.
 * Several policies may hold one (group, interface) on one port: each of them gets the datagram
 * (its sources permitting). */
static void routes_collect(struct relay *r)
{
	for (size_t i = 0; i < r->n_by_fd; i++)
		if (r->by_fd[i])
			r->by_fd[i]->n_routes = 0;
	for (const struct member *mb = r->members ? members_first(r->members) : NULL; mb;
	     mb = members_next(mb)) {
		struct rpolicy *rp;
		struct rsock *rs;

		if (mb->port == 0 || mb->state != MEMBER_STATE_JOINED ||
		    mb->origin != MEMBER_ORIGIN_CONFIG)
			continue; /* runtime joins with a port have no consumer: unmatched */
		if (!r->by_port || !r->by_port[mb->port])
			continue;
		rp = rpolicy_find(r, mb->policy);
		if (!rp || !policy_has_data_path(rp->conf))
			continue;
		rs = port_sock(r, mb->port, mb->group.s_addr);
		if (!rs)
			continue;
		if (route_add(rs, mb->group.s_addr, mb->ifindex, rp->index, (uint32_t)mb->input) < 0)
			log_error_errno(ENOMEM, "Failed to map %s's socket: %m", mb->policy);
		merge_ensure(rp, rs->worker);
	}
}

static int snapshot_build(struct relay *r, struct snapshot **ret)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	size_t np = 0, ns = 0, max_fd = 0;
	uint64_t bound = r->config ? r->config->coalesce_usec : 0;
	int err = -ENOMEM;

	if (!s)
		return -ENOMEM;
	for (struct rpolicy *rp = r->head; rp; rp = rp->next)
		if (policy_has_data_path(rp->conf))
			rp->index = (uint32_t)np++;
	s->policies = calloc(np ? np : 1, sizeof(*s->policies));
	if (!s->policies)
		goto fail;
	for (struct rpolicy *rp = r->head; rp; rp = rp->next)
		if (policy_has_data_path(rp->conf)) {
			if (snapshot_policy_fill(&s->policies[rp->index], rp) < 0)
				goto fail;
			s->n_policies = rp->index + 1 > s->n_policies ? rp->index + 1 :
									 s->n_policies;
		}
	s->n_policies = np;

	routes_collect(r);
	for (size_t i = 0; i < r->n_by_fd; i++)
		if (r->by_fd[i]) {
			ns++;
			if ((size_t)r->by_fd[i]->fd + 1 > max_fd)
				max_fd = (size_t)r->by_fd[i]->fd + 1;
		}
	s->socks = calloc(ns ? ns : 1, sizeof(*s->socks));
	s->sock_by_fd = malloc((max_fd ? max_fd : 1) * sizeof(*s->sock_by_fd));
	if (!s->socks || !s->sock_by_fd)
		goto fail;
	for (size_t i = 0; i < max_fd; i++)
		s->sock_by_fd[i] = -1;
	s->n_fds = max_fd;
	for (size_t i = 0; i < r->n_by_fd; i++) {
		struct rsock *rs = r->by_fd[i];
		struct snapshot_route *routes = NULL;

		if (!rs)
			continue;
		if (rs->n_routes > 0) {
			routes = malloc(rs->n_routes * sizeof(*routes));
			if (!routes)
				goto fail;
			memcpy(routes, rs->routes, rs->n_routes * sizeof(*routes));
			qsort(routes, rs->n_routes, sizeof(*routes), cmp_route);
		}
		s->sock_by_fd[rs->fd] = (int32_t)s->n_socks;
		s->socks[s->n_socks++] = (struct snapshot_sock){
			.fd = rs->fd, .port = rs->port, .worker = rs->worker, .state = rs->state,
			.routes = routes, .n_routes = rs->n_routes };
		if (rs->coalesce_max_usec < bound)
			bound = rs->coalesce_max_usec;
	}
	s->coalesce_usec = bound;
	s->merge_policies = calloc(np ? np : 1, sizeof(*s->merge_policies));
	if (!s->merge_policies)
		goto fail;
	for (struct rpolicy *rp = r->head; rp; rp = rp->next)
		if (policy_has_data_path(rp->conf) && rp->merge)
			s->merge_policies[s->n_merge_policies++] = rp->index;

	if (r->local_dirty)
		local_addresses_refresh(r);
	s->local = malloc((r->n_local ? r->n_local : 1) * sizeof(*s->local));
	s->send_ports = malloc(r->n_workers * sizeof(*s->send_ports));
	if (!s->local || !s->send_ports)
		goto fail;
	if (r->n_local > 0)
		memcpy(s->local, r->local, r->n_local * sizeof(*s->local));
	s->n_local = r->n_local;
	for (size_t w = 0; w < r->n_workers; w++)
		s->send_ports[w] = worker_get_send_port(r->workers[w]);
	s->n_send_ports = r->n_workers;

	*ret = s;
	return 0;
fail:
	snapshot_free(s);
	return err;
}

static void rsock_free(struct rsock *rs)
{
	if (!rs)
		return;
	safe_close(rs->fd);
	free(rs->state);
	free(rs->routes);
	free(rs);
}

static void free_rsock(void *p)
{
	rsock_free(p);
}

static int on_reclaim(sd_event_source *s, uint64_t usec, void *userdata);

static void reclaim(struct relay *r)
{
	size_t waiting = snapshot_domain_reclaim(r->domain);
	int k = 0;

	if (waiting == 0) {
		if (r->reclaim)
			(void)sd_event_source_set_enabled(r->reclaim, SD_EVENT_OFF);
		return;
	}
	/* A worker is still in an older snapshot (it leaves at its next wake-up's end): try
	 * again shortly, only while something waits. */
	if (r->reclaim) {
		k = sd_event_source_set_time_relative(r->reclaim, RELAY_RECLAIM_USEC);
		if (k >= 0)
			k = sd_event_source_set_enabled(r->reclaim, SD_EVENT_ONESHOT);
	} else
		k = sd_event_add_time_relative(r->event, &r->reclaim, CLOCK_MONOTONIC,
					       RELAY_RECLAIM_USEC, 1000, on_reclaim, r);
	if (k < 0)
		log_warning_errno(k, "Failed to arm the snapshot reclaim timer: %m");
}

static int on_reclaim(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	reclaim(userdata);
	return 0;
}

/* Builds and publishes a snapshot of what is now, then gives the workers their new sockets
 * and takes the removed ones away (retired: closed once no worker can see them). */
static int relay_publish(struct relay *r)
{
	struct snapshot *s = NULL;
	int k;

	k = snapshot_build(r, &s);
	if (k < 0)
		return log_error_errno(k, "Failed to build the data plane's snapshot: %m");
	k = snapshot_domain_publish(r->domain, s);
	if (k < 0) {
		snapshot_free(s);
		return log_error_errno(k, "Failed to publish the data plane's snapshot: %m");
	}
	r->generation = r->members ? members_generation(r->members) : 0;
	r->dirty = false;
	for (size_t i = 0; i < r->n_by_fd; i++) {
		struct rsock *rs = r->by_fd[i];

		if (rs && !rs->watched) {
			k = worker_watch(r->workers[rs->worker], rs->fd);
			if (k < 0)
				log_error_errno(k, "Failed to give a data socket (port %u) to "
						"worker %u: %m", rs->port, rs->worker);
			else
				rs->watched = true;
		}
	}
	for (size_t i = 0; i < r->n_gone; i++) {
		struct rsock *rs = r->gone[i];

		if (rs->watched)
			(void)worker_unwatch(r->workers[rs->worker], rs->fd);
		if (snapshot_domain_retire(r->domain, free_rsock, rs) < 0)
			log_error_errno(ENOMEM, "Failed to retire a data socket: %m"); /* leaked */
	}
	r->n_gone = 0;
	for (size_t i = 0; i < r->n_pending; i++)
		if (snapshot_domain_retire(r->domain, r->pending[i].fn, r->pending[i].ptr) < 0)
			log_error_errno(ENOMEM, "Failed to retire policy state: %m"); /* leaked */
	r->n_pending = 0;
	reclaim(r);
	return 0;
}

/* After every event the control loop dispatched: publish if anything the workers see moved. */
static int on_post(sd_event_source *s, void *userdata)
{
	struct relay *r = userdata;

	(void)s;
	if (r->dirty || (r->members && members_generation(r->members) != r->generation))
		(void)relay_publish(r);
	return 0;
}

static int on_defer(sd_event_source *s, void *userdata)
{
	struct relay *r = userdata;

	(void)s;
	if (r->dirty || (r->members && members_generation(r->members) != r->generation))
		(void)relay_publish(r);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Receive sockets                                                                             */

static void rsock_set_rcvbuf(struct relay *r, struct rsock *rs)
{
	int v = r->config && r->config->rcvbuf > 0 ? r->config->rcvbuf : CONFIG_DEFAULT_RCVBUF;
	socklen_t sl = sizeof(v);

	/* SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN; without it the kernel
	 * caps SO_RCVBUF there. */
	if (setsockopt(rs->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(rs->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	/* What the kernel granted (doubled, socket(7)) bounds the coalescing wait. */
	if (getsockopt(rs->fd, SOL_SOCKET, SO_RCVBUF, &v, &sl) < 0 || v < 0)
		v = 0;
	rs->rcvbuf = v;
	rs->coalesce_max_usec = (uint64_t)v / CONFIG_COALESCE_BURST_BYTES_PER_USEC;
}

/* Opens the receive socket of port for worker w. Bound to the port (SO_REUSEADDR: several
 * workers, and the host's other listeners that allow it, share it) with IP_MULTICAST_ALL on and
 * no membership: it gets whatever the host accepts for the port, on any interface, and the
 * routes sort it out (what no policy claims counts as unmatched). One socket per port and
 * worker, however many memberships: the kernel walks every socket bound to a port for each
 * datagram (__udp4_lib_mcast_deliver), so sockets that each held their own 20 memberships
 * (igmp_max_memberships) made delivery cost grow with the number of groups (doc/performance.md:
 * 2,000 groups on one port capped the whole host near 11,000 datagrams/s). The memberships are
 * held by the membership engine on sockets bound to nothing. */
static int rsock_open(struct relay *r, uint16_t port, unsigned w, bool spread,
		      struct rsock **ret)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	_cleanup_close_ int fd = -1;
	struct rsock *rs;
	int k;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	k = ipv4opt_set_reuse_addr(fd, true);
	if (k < 0)
		return k;
	k = ipv4opt_set_multicast_all(fd, true);
	if (k < 0)
		return k;
	k = ipv4opt_set_control_message(fd, IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX | IPV4OPT_CM_TTL |
					IPV4OPT_CM_TOS, true);
	if (k < 0)
		return k;
	k = ipv4opt_set_rxq_ovfl(fd, true);
	if (k < 0)
		return k;
	/* Each datagram's receive time from the kernel: a log policy's records keep their own
	 * times, not their batch's (ingress.c). */
	k = ipv4opt_set_timestamp_ns(fd, true);
	if (k < 0)
		return k;
	if (spread && r->n_workers > 1) {
		/* This worker's groups only: destination address (the IPv4 header, before the UDP
		 * one the filter starts at) modulo the number of workers. */
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 16),
			BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)r->n_workers),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, w, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
			BPF_STMT(BPF_RET | BPF_K, 0),
		};

		k = ipv4opt_attach_filter(fd, f, ELEMENTSOF(f));
		if (k < 0)
			return k;
	}
	if (bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;

	if ((size_t)fd >= r->n_by_fd) {
		size_t nn = (size_t)fd + 64;
		struct rsock **v = reallocarray(r->by_fd, nn, sizeof(*v));

		if (!v)
			return -ENOMEM;
		memset(v + r->n_by_fd, 0, (nn - r->n_by_fd) * sizeof(*v));
		r->by_fd = v;
		r->n_by_fd = nn;
	}
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->state = counters_alloc(1, sizeof(*rs->state));
	if (!rs->state) {
		free(rs);
		return -ENOMEM;
	}
	rs->fd = TAKE_FD(fd);
	rs->port = port;
	rs->worker = w;
	rsock_set_rcvbuf(r, rs);
	r->by_fd[rs->fd] = rs;
	r->n_socks++;
	mark_dirty(r);
	*ret = rs;
	return 0;
}

/* Taken from the workers at the next publish, closed once no snapshot lists it. */
static void rsock_remove(struct relay *r, struct rsock *rs)
{
	struct rsock **v = reallocarray(r->gone, r->n_gone + 1, sizeof(*v));

	if (!v) {
		/* Cannot wait for the workers: stop them reading it, and leak it. */
		log_error_errno(ENOMEM, "Failed to retire a data socket: %m");
		if (rs->watched)
			(void)worker_unwatch(r->workers[rs->worker], rs->fd);
	} else {
		r->gone = v;
		r->gone[r->n_gone++] = rs;
	}
	r->by_fd[rs->fd] = NULL;
	r->n_socks--;
	mark_dirty(r);
}

/* Receive sockets for the ports of c's relay and log policies, and only those. A port that
 * cannot be bound (another service holds it without SO_REUSEADDR) is logged, and tried again
 * at the next reload. */
static void want_port(uint8_t *want, int *single, uint16_t port, int merge_worker)
{
	if (port == 0)
		return;
	want[port / 8] |= (uint8_t)(1u << (port % 8));
	if (merge_worker >= 0)
		single[port] = merge_worker;
}

static void ports_sync(struct relay *r, const struct config *c)
{
	uint8_t want[65536 / 8] = { 0 };
	_cleanup_free_ int *single = NULL;
	bool failed = false;

	if (!r->by_port) {
		r->by_port = calloc(65536, sizeof(*r->by_port));
		r->port_error = calloc(65536, sizeof(*r->port_error));
		r->port_single = malloc(65536 * sizeof(*r->port_single));
		if (!r->by_port || !r->port_error || !r->port_single) {
			log_error_errno(ENOMEM, "Failed to set up the receive sockets: %m");
			return;
		}
		for (size_t p = 0; p < 65536; p++)
			r->port_single[p] = -1;
	}
	single = malloc(65536 * sizeof(*single));
	if (!single) {
		log_error_errno(ENOMEM, "Failed to set up the receive sockets: %m");
		return;
	}
	for (size_t p = 0; p < 65536; p++)
		single[p] = -1;
	/* The ports of the relay, log and monitor policies and of their inputs. A merge
	 * policy's ports are read by one worker, so that its inputs meet in one window. */
	for (size_t i = 0; c && i < c->n_policies; i++) {
		const struct policy *p = &c->policies[i];
		int mw = p->redundancy == POLICY_REDUNDANCY_MERGE ? (int)(i % r->n_workers) : -1;

		if (!policy_has_data_path(p))
			continue;
		want_port(want, single, p->port, mw);
		for (size_t k = 0; k < p->n_inputs; k++)
			want_port(want, single, p->inputs[k].port, mw);
	}
	for (unsigned port = 1; port < 65536; port++) {
		bool wanted = want[port / 8] & (1u << (port % 8));
		struct rsock **v = r->by_port[port];
		int k = 0;

		/* Gone, or read another way (spread over the workers, or by one): closed, and
		 * opened again below as now wanted. */
		if (v && (!wanted || single[port] != r->port_single[port])) {
			for (size_t w = 0; w < r->n_workers; w++)
				if (v[w])
					rsock_remove(r, v[w]);
			free(v);
			v = r->by_port[port] = NULL;
			r->port_error[port] = 0;
		}
		r->port_single[port] = single[port];
		if (!wanted)
			continue;
		if (!v) {
			v = calloc(r->n_workers, sizeof(*v));
			if (!v) {
				log_error_errno(ENOMEM, "Failed to receive on port %u: %m", port);
				continue;
			}
			r->by_port[port] = v;
		}
		for (size_t w = 0; w < r->n_workers && k >= 0; w++)
			if (!v[w] && (single[port] < 0 || (int)w == single[port]))
				k = rsock_open(r, (uint16_t)port, (unsigned)w, single[port] < 0, &v[w]);
		if (k < 0 && r->port_error[port] != k)
			log_error_errno(k, "Failed to receive on port %u: %m; the policies on it get "
					"nothing until it can be bound (tried again at each reload "
					"and interface change)", port);
		else if (k == 0 && r->port_error[port] < 0)
			log_info_errno(0, "Receiving on port %u now", port);
		r->port_error[port] = k;
		failed |= k < 0;
	}
	r->ports_failed = failed;
}

int relay_get_port_rcvbuf(struct relay *r, uint16_t port)
{
	struct rsock **v = r->by_port ? r->by_port[port] : NULL;

	for (size_t w = 0; v && w < r->n_workers; w++)
		if (v[w])
			return v[w]->rcvbuf;
	return -ENOENT;
}

/* ------------------------------------------------------------------------------------------ */
/* Stream analysis: on and off the air, bursts of loss, in the journal                         */

static int on_stream_timer(sd_event_source *s, uint64_t now, void *userdata);

/* Looks at what the workers counted of rp's stream and tells the journal what changed. Runs
 * from the timer while the stream is on the air, and when a worker says a source came on the
 * air (timer: false); an idle policy has no timer. */
static void stream_look(struct rpolicy *rp, bool timer)
{
	struct relay *r = rp->relay;
	uint64_t now = now_usec(r, CLOCK_MONOTONIC);
	char group[INET_ADDRSTRLEN] = "";
	struct log_ctx ctx = { .policy = rp->name, .group = group };
	struct analyze_summary s;
	const struct stream_counters *t = &s.total;
	uint64_t next;

	analyze_summarize(rp->analyze, r->n_workers, now * 1000, &s);
	if (!timer && s.on_air_events == rp->stream_events)
		return; /* nothing new: the timer (if any) looks in time */
	rp->stream_events = s.on_air_events;
	(void)inet_ntop(AF_INET, &rp->conf->group, group, sizeof(group));
	if (t->on_air && !rp->stream_on_air) {
		log_full_errno(LOG_INFO, 0, &ctx, "Policy %s: stream on the air (%s%s, %zu source%s)",
			       rp->name, stream_format_to_string(t->detected) ?: "?",
			       t->rtp_ts ? " with MPEG-TS" : "", s.sources,
			       s.sources == 1 ? "" : "s");
		rp->stream_on_air = true;
	} else if (!t->on_air && rp->stream_on_air) {
		log_full_errno(LOG_WARNING, 0, &ctx, "Policy %s: stream off the air: no datagram "
			       "for %.1f s", rp->name, (double)t->max_gap_ns / 1e9);
		rp->stream_on_air = false;
	}
	/* rtp_lost may go down (a late packet takes its loss back): only rises count */
	if ((t->rtp_lost > rp->stream_lost && t->rtp_lost - rp->stream_lost >= RELAY_STREAM_BURST) ||
	    t->ts_cc_errors - rp->stream_cc >= RELAY_STREAM_BURST) {
		if (rp->stream_loss_usec == 0 || now >= rp->stream_loss_usec + RELAY_STREAM_LOSS_LOG_USEC) {
			uint64_t lost = t->rtp_lost > rp->stream_lost_logged ?
						t->rtp_lost - rp->stream_lost_logged : 0;

			log_full_errno(LOG_WARNING, 0, &ctx, "Policy %s: stream loss: %" PRIu64 " RTP "
				       "packets lost and %" PRIu64 " continuity errors since the last "
				       "such message", rp->name, lost,
				       t->ts_cc_errors - rp->stream_cc_logged);
			rp->stream_loss_usec = now;
			rp->stream_lost_logged = t->rtp_lost;
			rp->stream_cc_logged = t->ts_cc_errors;
		}
	}
	rp->stream_lost = t->rtp_lost;
	rp->stream_cc = t->ts_cc_errors;

	if (!t->on_air) {
		if (rp->stream_timer)
			(void)sd_event_source_set_enabled(rp->stream_timer, SD_EVENT_OFF);
		return;
	}
	/* At the latest a second from now, or just after the stall timeout would pass */
	next = now + RELAY_STREAM_TICK_USEC;
	if (s.last_ns / 1000 + rp->analyze_conf.stall_timeout_ns / 1000 + 1000 < next)
		next = s.last_ns / 1000 + rp->analyze_conf.stall_timeout_ns / 1000 + 1000;
	if (next <= now)
		next = now + 1000;
	if (!rp->stream_timer) {
		if (sd_event_add_time(r->event, &rp->stream_timer, CLOCK_MONOTONIC, next, 0,
				      on_stream_timer, rp) < 0)
			return; /* the next worker wake-up tries again */
	} else
		(void)sd_event_source_set_time(rp->stream_timer, next);
	(void)sd_event_source_set_enabled(rp->stream_timer, SD_EVENT_ONESHOT);
}

static int on_stream_timer(sd_event_source *s, uint64_t now, void *userdata)
{
	(void)s;
	(void)now;
	stream_look(userdata, true);
	return 0;
}

/* The analysis state follows the policy's analyze, rtp_clock_rate and stall_timeout: kept
 * while they stay, else started again (the old one retired: a worker may still feed it). */
static int rpolicy_analyze(struct relay *r, struct rpolicy *rp)
{
	const struct policy *p = rp->conf;
	struct stream_config c = {
		.format = p->analyze,
		.clock_rate = p->rtp_clock_rate,
		.stall_timeout_ns = p->stall_timeout_usec * 1000,
	};
	struct analyze *a = NULL;
	int k;

	if (p->analyze == STREAM_FORMAT_NONE && !rp->analyze)
		return 0;
	if (p->analyze != STREAM_FORMAT_NONE && rp->analyze &&
	    rp->analyze_conf.format == c.format && rp->analyze_conf.clock_rate == c.clock_rate &&
	    rp->analyze_conf.stall_timeout_ns == c.stall_timeout_ns)
		return 0;
	if (p->analyze != STREAM_FORMAT_NONE) {
		k = analyze_new(r->n_workers, &c, &a);
		if (k < 0)
			return k;
	}
	(void)retire_later(r, free, rp->analyze);
	rp->analyze = a;
	rp->analyze_conf = c;
	if (a)
		rp->analyze_conf.stall_timeout_ns = a->config.stall_timeout_ns;
	rp->stream_on_air = false;
	rp->stream_events = 0;
	rp->stream_lost = rp->stream_cc = rp->stream_lost_logged = rp->stream_cc_logged = 0;
	rp->stream_loss_usec = 0;
	rp->stream_timer = sd_event_source_disable_unref(rp->stream_timer);
	mark_dirty(r);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Redundant inputs (redundancy.h): failover decided here, merge in the workers                */

static void merge_free(void *p)
{
	redundancy_merge_free(p);
}

/* Retires the workers' state of rp's inputs (a worker may still use it). */
static void inputs_retire(struct relay *r, struct rpolicy *rp, bool now)
{
	for (size_t w = 0; rp->merge && w < r->n_workers; w++) {
		if (now)
			redundancy_merge_free(rp->merge[w]);
		else
			(void)retire_later(r, merge_free, rp->merge[w]);
	}
	if (now) {
		free(rp->merge);
		free(rp->in_counters);
	} else {
		(void)retire_later(r, free, rp->merge);
		(void)retire_later(r, free, rp->in_counters);
	}
	rp->merge = NULL;
	rp->in_counters = NULL;
	rp->n_inputs = 0;
}

static uint64_t input_last(const struct relay *r, const struct rpolicy *rp, size_t i)
{
	uint64_t last = 0;

	for (size_t w = 0; w < r->n_workers; w++) {
		uint64_t t = COUNTER_GET(rp->in_counters[w * rp->n_inputs + i].last_mono);

		if (t > last)
			last = t;
	}
	return last;
}

static bool input_healthy(const struct relay *r, const struct rpolicy *rp, size_t i, uint64_t now)
{
	uint64_t last = input_last(r, rp, i);

	return last > 0 && now < last + rp->conf->failover_timeout_usec;
}

static void failover_switch(struct relay *r, struct rpolicy *rp, uint32_t to, const char *why)
{
	char group[INET_ADDRSTRLEN] = "";
	struct log_ctx ctx = { .policy = rp->name, .group = group };
	uint32_t from = rp->active;

	(void)inet_ntop(AF_INET, &rp->conf->inputs[to].group, group, sizeof(group));
	rp->active = to;
	rp->switches++;
	rp->switch_realtime = now_usec(r, CLOCK_REALTIME);
	log_full_errno(LOG_WARNING, 0, &ctx, "Policy %s: input %u (%s) is active, was input %u: %s",
		       rp->name, to + 1, group, from + 1, why);
	mark_dirty(r);
}

/* Runs every failover_timeout / 10 while the policy exists: the switch comes at most that
 * late after the active input fell silent for failover_timeout. */
static int on_failover(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct rpolicy *rp = userdata;
	struct relay *r = rp->relay;
	const struct policy *p = rp->conf;
	uint64_t now = now_usec(r, CLOCK_MONOTONIC);

	if (rp->n_inputs > 0 && p->redundancy == POLICY_REDUNDANCY_FAILOVER) {
		bool primary = input_healthy(r, rp, 0, now);

		if (!primary)
			rp->primary_since = 0;
		else if (rp->primary_since == 0)
			rp->primary_since = now;
		if (!input_healthy(r, rp, rp->active, now)) {
			/* the next healthy input after the active one, in the file's order */
			for (size_t k = 1; k < rp->n_inputs; k++) {
				uint32_t i = (uint32_t)((rp->active + k) % rp->n_inputs);

				if (input_healthy(r, rp, i, now)) {
					failover_switch(r, rp, i, "the active input is silent");
					break;
				}
			}
		} else if (rp->active != 0 && primary && p->revert_after_usec > 0 &&
			   now >= rp->primary_since + p->revert_after_usec)
			failover_switch(r, rp, 0, "the primary is healthy again");
	}
	(void)sd_event_source_set_time(s, usec + rp->failover_period);
	return 0;
}

/* The state of rp's inputs follows its inputs and redundancy: kept while they stay, else
 * started again. */
static int rpolicy_inputs(struct relay *r, struct rpolicy *rp)
{
	const struct policy *p = rp->conf;
	bool same = rp->n_inputs == p->n_inputs && rp->redundancy == p->redundancy &&
		    rp->merge_window_usec == p->merge_window_usec;
	int k;

	if (!same) {
		inputs_retire(r, rp, false);
		rp->active = 0;
		rp->primary_since = 0;
		rp->redundancy = p->redundancy;
		rp->merge_window_usec = p->merge_window_usec;
		if (p->n_inputs > 0) {
			rp->in_counters = counters_alloc(r->n_workers * p->n_inputs,
							 sizeof(*rp->in_counters));
			rp->merge = p->redundancy == POLICY_REDUNDANCY_MERGE ?
				    calloc(r->n_workers, sizeof(*rp->merge)) : NULL;
			if (!rp->in_counters ||
			    (p->redundancy == POLICY_REDUNDANCY_MERGE && !rp->merge)) {
				free(rp->in_counters);
				free(rp->merge);
				rp->in_counters = NULL;
				rp->merge = NULL;
				rp->redundancy = POLICY_REDUNDANCY_NONE;
				return -ENOMEM;
			}
			rp->n_inputs = p->n_inputs;
		}
		mark_dirty(r);
	}
	if (p->redundancy != POLICY_REDUNDANCY_FAILOVER) {
		rp->failover_timer = sd_event_source_disable_unref(rp->failover_timer);
		return 0;
	}
	rp->failover_period = p->failover_timeout_usec / 10 > 1000 ? p->failover_timeout_usec / 10 :
								      1000;
	if (rp->failover_timer)
		return 0;
	k = sd_event_add_time_relative(r->event, &rp->failover_timer, CLOCK_MONOTONIC,
				       rp->failover_period, 1000, on_failover, rp);
	if (k < 0)
		return k;
	return sd_event_source_set_enabled(rp->failover_timer, SD_EVENT_ON);
}

/* A merge policy's window on worker w, made when a socket of that worker first routes to it. */
static void merge_ensure(struct rpolicy *rp, unsigned w)
{
	if (!rp->merge || rp->merge[w])
		return;
	if (redundancy_merge_new(rp->n_inputs, rp->merge_window_usec, &rp->merge[w]) < 0)
		log_full_errno(LOG_ERR, ENOMEM, &(struct log_ctx){ .policy = rp->name },
			       "Policy %s: failed to allocate the merge window: %m", rp->name);
}

/* The inputs' copies for the snapshot: one block, the addresses after the array. */
static int snapshot_inputs_fill(struct snapshot_policy *sp, const struct rpolicy *rp)
{
	const struct policy *p = rp->conf;
	size_t n_addr = 0, off;
	struct snapshot_input *v;
	struct in_addr *a;

	if (rp->n_inputs == 0 || rp->n_inputs != p->n_inputs)
		return 0;
	for (size_t i = 0; i < p->n_inputs; i++)
		n_addr += p->inputs[i].n_sources + p->inputs[i].n_exclude;
	v = malloc(p->n_inputs * sizeof(*v) + n_addr * sizeof(*a));
	if (!v)
		return -ENOMEM;
	a = (struct in_addr *)(void *)(v + p->n_inputs);
	off = 0;
	for (size_t i = 0; i < p->n_inputs; i++) {
		const struct policy_input *in = &p->inputs[i];

		/* (memcpy's pointers must not be NULL, even for 0 bytes: UBSan) */
		if (in->n_sources > 0)
			memcpy(a + off, in->sources, in->n_sources * sizeof(*a));
		if (in->n_exclude > 0)
			memcpy(a + off + in->n_sources, in->exclude, in->n_exclude * sizeof(*a));
		v[i] = (struct snapshot_input){ .sources = a + off, .n_sources = in->n_sources,
						.exclude = a + off + in->n_sources,
						.n_exclude = in->n_exclude };
		off += in->n_sources + in->n_exclude;
	}
	sp->redundancy = rp->redundancy;
	sp->n_inputs = rp->n_inputs;
	sp->inputs = v;
	sp->in_counters = rp->in_counters;
	sp->active = rp->active;
	sp->merge = rp->merge;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Errors the workers recorded (a worker never logs: it counts and wakes us)                   */

static void on_record(const struct recordq_entry *e, const void *data, void *userdata)
{
	struct relay *r = userdata;
	struct rpolicy *rp = rpolicy_find_id(r, e->policy_id);
	const struct link *l;
	struct capture_packet p;
	int k;

	if (!rp)
		return; /* removed by a reload since */
	if (!rp->capture) {
		rp->log_write_errors++;
		return;
	}
	l = r->links ? links_get_by_index(r->links, e->ifindex) : NULL;
	p = (struct capture_packet){
		.realtime_usec = e->realtime_usec,
		.src = e->src,
		.sport = e->sport,
		.dst = e->dst,
		.dport = e->dport,
		.ifindex = e->ifindex,
		.ifname = l ? l->name : NULL,
		.ttl = e->ttl,
		.tos = e->tos,
		.data = data,
		.len = e->len,
	};
	k = capture_record(rp->capture, &p);
	if (k > 0) {
		rp->log_written++;
		rp->log_bytes += e->len;
	} else if (k < 0)
		rp->log_write_errors++; /* capture logs its own write errors */
}

static uint64_t output_dropped(const struct rpolicy *rp, size_t o)
{
	uint64_t dr = 0;

	for (size_t w = 0; w < rp->relay->n_workers; w++)
		dr += COUNTER_GET(rp->out_counters[w * rp->n_outputs + o].dropped);
	return dr;
}

/* A send error the workers reported for rp: the outputs whose drops grew since they last woke
 * us get it (the error is counted per policy; the drops per output), for show and stats. */
static void outputs_note_send_error(struct rpolicy *rp, int err)
{
	uint64_t now = now_usec(rp->relay, CLOCK_MONOTONIC);

	for (size_t o = 0; o < rp->n_outputs; o++) {
		struct routput *ro = &rp->outputs[o];
		uint64_t dr = output_dropped(rp, o);

		if (dr > ro->dropped_seen && ro->up) {
			ro->send_error = err;
			ro->send_error_usec = now;
		}
		ro->dropped_seen = dr;
	}
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct relay *r = userdata;
	uint64_t v;

	(void)s;
	(void)revents;
	(void)!read(fd, &v, sizeof(v));
	for (size_t w = 0; w < r->n_workers; w++)
		(void)recordq_drain(worker_get_recordq(r->workers[w]), SIZE_MAX, on_record, r);
	for (struct rpolicy *rp = r->head; rp; rp = rp->next) {
		struct log_ctx ctx = { .policy = rp->name };
		uint64_t errors = SUM(rp, errors), last = 0;
		int err = 0;

		if (rp->analyze)
			stream_look(rp, false);
		if (errors <= rp->errors_logged)
			continue;
		for (size_t w = 0; w < r->n_workers; w++) {
			uint64_t t = COUNTER_GET(rp->counters[w].notify_usec);

			if (t >= last) {
				last = t;
				err = (int)COUNTER_GET(rp->counters[w].last_error);
			}
		}
		outputs_note_send_error(rp, err);
		if (errors - rp->errors_logged > 1)
			log_full_errno(LOG_WARNING, err, &ctx,
				       "Policy %s: failed to send: %m (%" PRIu64 " datagrams in all "
				       "since the last message)", rp->name, errors - rp->errors_logged);
		else
			log_full_errno(LOG_WARNING, err, &ctx, "Policy %s: failed to send: %m",
				       rp->name);
		rp->errors_logged = errors;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Stall recovery and periodic rejoin                                                          */

static int on_stall(sd_event_source *s, uint64_t now, void *userdata)
{
	struct rpolicy *rp = userdata;
	struct relay *r = rp->relay;
	uint64_t timeout = rp->conf->stall_timeout_usec;
	uint64_t last_mono = CTR_MAX(rp, last_mono);
	uint64_t last = last_mono > rp->stall_ref ? last_mono : rp->stall_ref;
	struct log_ctx ctx = { .policy = rp->name };
	int n;

	if (rp->stalled && SUM(rp, packets_in) != rp->stall_packets) {
		rp->stalled = false;
		log_full_errno(LOG_INFO, 0, &ctx, "Policy %s: traffic is back", rp->name);
	}
	if (now < last + timeout) {
		/* Traffic came since the timer was set: wait for the rest of the timeout. */
		(void)sd_event_source_set_time(s, last + timeout);
		return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	n = r->members ? members_rejoin_policy(r->members, rp->name) : 0;
	log_full_errno(rp->stalled ? LOG_DEBUG : LOG_WARNING, 0, &ctx,
		       "Policy %s: no traffic for %.1f s: left and rejoined %d membership%s",
		       rp->name, (double)(now - (last_mono ? last_mono : rp->stall_ref)) / 1e6,
		       n, n == 1 ? "" : "s");
	if (!rp->stalled)
		rp->stalls++;
	rp->stalled = true;
	rp->stall_packets = SUM(rp, packets_in);
	rp->rejoins++;
	rp->stall_ref = now;
	/* While stalled, look again sooner: "traffic is back" is said within a second. */
	(void)sd_event_source_set_time(s, now + (timeout < 1000000 ? timeout : 1000000));
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_rejoin(sd_event_source *s, uint64_t now, void *userdata)
{
	struct rpolicy *rp = userdata;
	struct relay *r = rp->relay;
	struct log_ctx ctx = { .policy = rp->name };
	int n;

	n = r->members ? members_rejoin_policy(r->members, rp->name) : 0;
	rp->rejoins++;
	log_full_errno(LOG_DEBUG, 0, &ctx, "Policy %s: periodic rejoin of %d membership%s",
		       rp->name, n, n == 1 ? "" : "s");
	(void)sd_event_source_set_time(s, now + rp->conf->rejoin_interval_usec);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int rpolicy_timers(struct relay *r, struct rpolicy *rp)
{
	uint64_t now = now_usec(r, CLOCK_MONOTONIC);
	const struct policy *p = rp->conf;
	int k;

	rp->stall_timer = sd_event_source_disable_unref(rp->stall_timer);
	rp->rejoin_timer = sd_event_source_disable_unref(rp->rejoin_timer);
	rp->stall_ref = now;
	rp->stalled = false;
	if (p->stall_timeout_usec > 0 && p->action != POLICY_ACTION_JOIN) {
		k = sd_event_add_time(r->event, &rp->stall_timer, CLOCK_MONOTONIC,
				      now + p->stall_timeout_usec, 0, on_stall, rp);
		if (k < 0)
			return k;
	}
	if (p->rejoin_interval_usec > 0) {
		k = sd_event_add_time(r->event, &rp->rejoin_timer, CLOCK_MONOTONIC,
				      now + p->rejoin_interval_usec, 0, on_rejoin, rp);
		if (k < 0)
			return k;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Policies                                                                                    */

static bool policy_wanted(const struct policy *p)
{
	return policy_has_data_path(p) || p->rejoin_interval_usec > 0;
}

/* What a policy's action needs: per-output state and counters, a capture. The counters are
 * retired (a worker may still be counting into them); the capture is ours alone. */
static void rpolicy_tear_down(struct relay *r, struct rpolicy *rp)
{
	(void)retire_later(r, free, rp->out_counters);
	rp->out_counters = NULL;
	rp->capture = capture_free(rp->capture);
	free(rp->outputs);
	rp->outputs = NULL;
	rp->n_outputs = 0;
}

/* Opens what the policy's action needs. Logs failures; the policy then counts drops. */
static int rpolicy_set_up(struct relay *r, struct rpolicy *rp)
{
	struct log_ctx ctx = { .policy = rp->name };
	int k;

	switch (rp->conf->action) {
	case POLICY_ACTION_RELAY:
		rp->outputs = calloc(rp->conf->n_outputs ? rp->conf->n_outputs : 1,
				     sizeof(*rp->outputs));
		rp->out_counters = counters_alloc(r->n_workers * rp->conf->n_outputs,
						  sizeof(*rp->out_counters));
		if (!rp->outputs || !rp->out_counters) {
			free(rp->outputs);
			free(rp->out_counters);
			rp->outputs = NULL;
			rp->out_counters = NULL;
			return log_error_errno(ENOMEM, "Out of memory");
		}
		rp->n_outputs = rp->conf->n_outputs;
		for (size_t o = 0; o < rp->n_outputs; o++)
			rp->outputs[o].error = 1; /* log the first outcome whatever it is */
		outputs_resolve(r, rp, 0);
		return 0;
	case POLICY_ACTION_LOG:
		k = capture_new(r->event, rp->name, &rp->conf->log, &rp->capture);
		if (k < 0)
			return log_full_errno(LOG_ERR, k, &ctx,
					      "Policy %s: failed to set up logging: %m", rp->name);
		return 0;
	case POLICY_ACTION_MONITOR:
		return 0; /* the analysis only: rpolicy_analyze() */
	case POLICY_ACTION_JOIN:
	case _POLICY_ACTION_MAX:
	case _POLICY_ACTION_INVALID:
		return 0;
	}
	return 0;
}

static void rpolicy_unlink(struct relay *r, struct rpolicy *rp)
{
	size_t i = name_hash(r, rp->name);

	for (struct rpolicy **p = &r->buckets[i]; *p; p = &(*p)->hnext)
		if (*p == rp) {
			*p = rp->hnext;
			break;
		}
	for (struct rpolicy **p = &r->id_buckets[rp->id % r->n_buckets]; *p; p = &(*p)->inext)
		if (*p == rp) {
			*p = rp->inext;
			break;
		}
	if (rp->prev)
		rp->prev->next = rp->next;
	else
		r->head = rp->next;
	if (rp->next)
		rp->next->prev = rp->prev;
	r->n_policies--;
}

/* Removed: what the workers may still touch is retired, the rest freed now. */
static struct rpolicy *rpolicy_free(struct relay *r, struct rpolicy *rp, bool now)
{
	if (!rp)
		return NULL;
	if (now) {
		free(rp->out_counters);
		free(rp->counters);
		free(rp->analyze);
	} else {
		rpolicy_tear_down(r, rp);
		(void)retire_later(r, free, rp->counters);
		(void)retire_later(r, free, rp->analyze);
	}
	sd_event_source_disable_unref(rp->stream_timer);
	inputs_retire(r, rp, now);
	sd_event_source_disable_unref(rp->failover_timer);
	capture_free(rp->capture);
	free(rp->outputs);
	sd_event_source_disable_unref(rp->stall_timer);
	sd_event_source_disable_unref(rp->rejoin_timer);
	free(rp->name);
	free(rp);
	return NULL;
}

static int rpolicy_new(struct relay *r, const struct policy *p)
{
	uint64_t now = now_usec(r, CLOCK_MONOTONIC);
	struct rpolicy *rp;
	size_t i;
	int k;

	if (r->n_buckets == 0 || r->n_policies >= r->n_buckets) {
		k = rehash(r);
		if (k < 0)
			return k;
	}
	rp = calloc(1, sizeof(*rp));
	if (!rp)
		return -ENOMEM;
	rp->name = strdup(p->name);
	rp->counters = counters_alloc(r->n_workers, sizeof(*rp->counters));
	if (!rp->name || !rp->counters) {
		free(rp->name);
		free(rp->counters);
		free(rp);
		return -ENOMEM;
	}
	for (size_t w = 0; w < r->n_workers; w++)
		rp->counters[w].rate_usec[0] = now;
	rp->relay = r;
	rp->conf = p;
	rp->mark = true;
	rp->next = r->head;
	if (r->head)
		r->head->prev = rp;
	r->head = rp;
	i = name_hash(r, rp->name);
	rp->hnext = r->buckets[i];
	r->buckets[i] = rp;
	rp->id = ++r->next_id;
	rp->inext = r->id_buckets[rp->id % r->n_buckets];
	r->id_buckets[rp->id % r->n_buckets] = rp;
	r->n_policies++;
	(void)rpolicy_set_up(r, rp);
	k = rpolicy_analyze(r, rp);
	if (k < 0)
		log_full_errno(LOG_ERR, k, &(struct log_ctx){ .policy = rp->name },
			       "Policy %s: failed to set up stream analysis: %m", rp->name);
	k = rpolicy_inputs(r, rp);
	if (k < 0)
		log_full_errno(LOG_ERR, k, &(struct log_ctx){ .policy = rp->name },
			       "Policy %s: failed to set up its inputs: %m", rp->name);
	mark_dirty(r);
	return rpolicy_timers(r, rp);
}

/* A policy kept across a reload: counters stay, what changed is opened again. */
static int rpolicy_update(struct relay *r, struct rpolicy *rp, const struct policy *p)
{
	const struct policy *old = rp->conf;
	bool same = old->action == p->action;

	if (same && p->action == POLICY_ACTION_RELAY)
		same = outputs_equal(old, p);
	if (same && p->action == POLICY_ACTION_LOG)
		same = capture_conf_equal(&old->log, &p->log);
	rp->conf = p;
	rp->mark = true;
	if (!same) {
		rpolicy_tear_down(r, rp);
		(void)rpolicy_set_up(r, rp);
	}
	if (rpolicy_analyze(r, rp) < 0)
		log_full_errno(LOG_ERR, -ENOMEM, &(struct log_ctx){ .policy = rp->name },
			       "Policy %s: failed to set up stream analysis: %m", rp->name);
	if (rpolicy_inputs(r, rp) < 0)
		log_full_errno(LOG_ERR, ENOMEM, &(struct log_ctx){ .policy = rp->name },
			       "Policy %s: failed to set up its inputs: %m", rp->name);
	/* The snapshot holds copies of the policy: a new one for every reload. */
	mark_dirty(r);
	if (old->stall_timeout_usec != p->stall_timeout_usec ||
	    old->rejoin_interval_usec != p->rejoin_interval_usec || old->action != p->action)
		return rpolicy_timers(r, rp);
	return 0;
}

int relay_set_config(struct relay *r, const struct config *c)
{
	int rcvbuf_old = r->config ? r->config->rcvbuf : -1;
	struct rpolicy *rp, *next;
	int ret = 0, k;

	if (c && c->workers > 0 && c->workers != r->n_workers)
		log_warning_errno(0, "workers = %u takes effect at the next start; running %zu",
				  c->workers, r->n_workers);
	for (rp = r->head; rp; rp = rp->next)
		rp->mark = false;
	for (size_t i = 0; c && i < c->n_policies; i++) {
		const struct policy *p = &c->policies[i];

		if (!policy_wanted(p))
			continue;
		rp = rpolicy_find(r, p->name);
		k = rp ? rpolicy_update(r, rp, p) : rpolicy_new(r, p);
		if (k < 0 && ret == 0)
			ret = log_error_errno(k, "Policy %s: failed to set up: %m", p->name);
	}
	for (rp = r->head; rp; rp = next) {
		next = rp->next;
		if (rp->mark)
			continue;
		rpolicy_unlink(r, rp);
		rpolicy_free(r, rp, false);
	}
	r->config = c;
	if (c && c->rcvbuf != rcvbuf_old)
		for (size_t i = 0; i < r->n_by_fd; i++)
			if (r->by_fd[i])
				rsock_set_rcvbuf(r, r->by_fd[i]);
	ports_sync(r, c);
	/* The workers still read the snapshot of the old config (copies): the new one is
	 * published now, before the old config is freed and before the next datagram counts. */
	mark_dirty(r);
	(void)relay_publish(r);
	return ret;
}

void relay_link_event(struct relay *r, enum links_event ev, const struct link *k,
		      const char *old_name)
{
	int gone = ev == LINKS_EVENT_DEL ? k->ifindex : 0;

	if (r->ports_failed)
		ports_sync(r, r->config);

	switch (ev) {
	case LINKS_EVENT_NEW:
	case LINKS_EVENT_DEL:
	case LINKS_EVENT_ADDRESS:
		r->local_dirty = true;
		mark_dirty(r);
		break;
	case LINKS_EVENT_RENAME:
		mark_dirty(r); /* log records name the interface */
		break;
	case LINKS_EVENT_CHANGE:
		break;
	case _LINKS_EVENT_MAX:
		return;
	}
	for (struct rpolicy *rp = r->head; rp; rp = rp->next) {
		if (rp->conf->action != POLICY_ACTION_RELAY)
			continue;
		for (size_t o = 0; o < rp->n_outputs; o++) {
			const char *ifname = rp->conf->outputs[o].interface;

			/* Named egress: the events of that name. By route: the kernel routes each
			 * datagram of the unconnected socket by itself. */
			if (ifname[0] && (streq(ifname, k->name) || (old_name && streq(ifname, old_name))))
				output_resolve(r, rp, o, gone);
		}
	}
	if (gone)
		/* The interface is still listed during its DEL event: the snapshot must not be
		 * built from it later in this iteration either. */
		(void)relay_publish(r);
}

/* ------------------------------------------------------------------------------------------ */
/* Stats                                                                                       */

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return ctlproto_json_add(o, key, json_object_new_uint64(v));
}

static int add_double(struct json_object *o, const char *key, double v)
{
	return ctlproto_json_add(o, key, json_object_new_double(v));
}

static int add_null(struct json_object *o, const char *key)
{
	return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
}

/* How long a send error keeps an output "failing" after the last one. */
#define RELAY_SEND_FAILING_USEC (10 * 1000 * 1000ULL)

/* What output o of rp is: "up"; "down" (its egress interface is missing); "failing" (sends
 * failed within the last RELAY_SEND_FAILING_USEC: an unreachable destination, say). */
static const char *output_state(const struct rpolicy *rp, size_t o, char *reason, size_t size)
{
	const struct routput *ro = &rp->outputs[o];
	uint64_t now = now_usec(rp->relay, CLOCK_MONOTONIC);

	reason[0] = '\0';
	if (!ro->up) {
		snprintf(reason, size, "no interface %s", rp->conf->outputs[o].interface);
		return "down";
	}
	if (ro->send_error_usec > 0 && now < ro->send_error_usec + RELAY_SEND_FAILING_USEC) {
		snprintf(reason, size, "send failed: %s (%s)", strerror(abs(ro->send_error)),
			 ctlproto_errno_to_code(ro->send_error));
		return "failing";
	}
	return "up";
}

/* The output's config (dscp, ttl: null when not set) and its state with a reason (null when
 * up): show and stats render outputs the same way. */
static int output_state_json(const struct rpolicy *rp, size_t o, struct json_object *x)
{
	const struct relay_output *rc = &rp->conf->outputs[o];
	char reason[160];
	const char *st = output_state(rp, o, reason, sizeof(reason));
	int k = 0;

	k |= rc->has_dscp ? ctlproto_json_add(x, "dscp", json_object_new_int(rc->dscp)) :
			    add_null(x, "dscp");
	k |= rc->ttl >= 0 ? ctlproto_json_add(x, "ttl", json_object_new_int(rc->ttl)) :
			    add_null(x, "ttl");
	k |= ctlproto_json_add(x, "state", json_object_new_string(st));
	k |= reason[0] ? ctlproto_json_add(x, "reason", json_object_new_string(reason)) :
			 add_null(x, "reason");
	return k;
}

/* A log policy's "log": its target with its settings as in force (defaults filled in), and
 * the state of its recording: "recording", or "failed" with the reason (the pcap file cannot
 * be opened or written). */
static int log_json(const struct rpolicy *rp, struct json_object *obj)
{
	const struct log_conf *lc = &rp->conf->log;
	struct json_object *x = json_object_new_object();
	char reason[PATH_MAX + 96];
	int k = x ? 0 : -ENOMEM;

	capture_describe_error(rp->capture, reason, sizeof(reason));
	k |= ctlproto_json_add(x, "target", json_object_new_string(log_target_to_string(lc->target)));
	if (lc->target == LOG_TARGET_PCAP) {
		k |= ctlproto_json_add(x, "file", json_object_new_string(lc->pcap_path));
		k |= add_u64(x, "max_size", lc->pcap_max_size);
		k |= add_u64(x, "max_files", lc->pcap_max_files > 0 ? lc->pcap_max_files :
			     CONFIG_DEFAULT_PCAP_FILES);
	} else
		k |= add_u64(x, "rate_limit", lc->rate_limit > 0 ? lc->rate_limit :
			     CAPTURE_DEFAULT_RATE_LIMIT);
	k |= ctlproto_json_add(x, "state", json_object_new_string(reason[0] ? "failed" :
								   "recording"));
	k |= reason[0] ? ctlproto_json_add(x, "reason", json_object_new_string(reason)) :
			 add_null(x, "reason");
	k |= ctlproto_json_add(obj, "log", x);
	return k;
}

static int outputs_json(const struct rpolicy *rp, struct json_object *obj)
{
	struct json_object *arr = json_object_new_array();
	int k = arr ? 0 : -ENOMEM;
	char buf[64];

	for (size_t o = 0; arr && o < rp->n_outputs; o++) {
		const struct relay_output *rc = &rp->conf->outputs[o];
		struct json_object *x = json_object_new_object();
		uint64_t pk = 0, by = 0, dr = 0;

		for (size_t w = 0; w < rp->relay->n_workers; w++) {
			const struct counters_output *c = &rp->out_counters[w * rp->n_outputs + o];

			pk += COUNTER_GET(c->packets);
			by += COUNTER_GET(c->bytes);
			dr += COUNTER_GET(c->dropped);
		}
		k |= ctlproto_json_add(x, "to", json_object_new_string(
				      addr_port_str(&rc->to, buf, sizeof(buf))));
		if (rc->interface[0])
			k |= ctlproto_json_add(x, "interface", json_object_new_string(rc->interface));
		else
			k |= json_object_object_add(x, "interface", NULL) < 0 ? -ENOMEM : 0;
		k |= ctlproto_json_add(x, "egress",
				       json_object_new_string(rp->outputs[o].up ? "up" : "down"));
		k |= output_state_json(rp, o, x);
		k |= add_u64(x, "packets_sent", pk);
		k |= add_u64(x, "bytes_sent", by);
		k |= add_u64(x, "dropped_packets", dr);
		k |= x && json_object_array_add(arr, x) == 0 ? 0 : -ENOMEM;
	}
	k |= ctlproto_json_add(obj, "outputs", arr);
	return k;
}

/* stats: "redundancy", "active_input", "switches", "recovered", "lost_all", and "inputs":
 * [{group, datagrams, bytes, lost, active, ...}]. */
static int inputs_json(struct relay *r, const struct rpolicy *rp, uint64_t now,
		       struct json_object *obj)
{
	const struct policy *p = rp->conf;
	struct redundancy_counters t = { 0 };
	struct json_object *arr;
	int k = 0;

	if (rp->n_inputs == 0 || rp->n_inputs != p->n_inputs)
		return 0;
	for (size_t w = 0; rp->merge && w < r->n_workers; w++) {
		const struct redundancy_counters *c = rp->merge[w] ? &rp->merge[w]->pub : NULL;

		if (!c)
			continue;
		t.forwarded += COUNTER_GET(c->forwarded);
		t.recovered += COUNTER_GET(c->recovered);
		t.lost_all += COUNTER_GET(c->lost_all);
		t.duplicates += COUNTER_GET(c->duplicates);
		t.late += COUNTER_GET(c->late);
		t.not_rtp += COUNTER_GET(c->not_rtp);
		t.too_big += COUNTER_GET(c->too_big);
		t.resyncs += COUNTER_GET(c->resyncs);
	}
	k |= json_object_object_add(obj, "redundancy",
				    json_object_new_string(policy_redundancy_to_string(rp->redundancy)));
	if (rp->redundancy == POLICY_REDUNDANCY_FAILOVER)
		k |= add_u64(obj, "active_input", rp->active + 1);
	else
		k |= json_object_object_add(obj, "active_input", NULL);
	k |= add_u64(obj, "switches", rp->switches);
	k |= add_u64(obj, "recovered", t.recovered);
	k |= add_u64(obj, "lost_all", t.lost_all);
	k |= add_u64(obj, "merge_duplicates", t.duplicates);
	k |= add_u64(obj, "merge_late", t.late);
	k |= add_u64(obj, "merge_not_rtp", t.not_rtp);
	k |= add_u64(obj, "merge_too_big", t.too_big);
	k |= add_u64(obj, "merge_resyncs", t.resyncs);
	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < rp->n_inputs; i++) {
		struct json_object *o = json_object_new_object();
		uint64_t pk = 0, by = 0, inact = 0, lost = 0, first = 0, last;
		char g[INET_ADDRSTRLEN];
		bool active;

		if (!o || json_object_array_add(arr, o) < 0) {
			json_object_put(o);
			json_object_put(arr);
			return -ENOMEM;
		}
		for (size_t w = 0; w < r->n_workers; w++) {
			const struct counters_input *c = &rp->in_counters[w * rp->n_inputs + i];

			pk += COUNTER_GET(c->packets);
			by += COUNTER_GET(c->bytes);
			inact += COUNTER_GET(c->inactive);
			lost += COUNTER_GET(c->lost);
			first += COUNTER_GET(c->first);
		}
		last = input_last(r, rp, i);
		active = rp->redundancy == POLICY_REDUNDANCY_MERGE ?
			 last > 0 && now < last + p->merge_window_usec + 1000000 :
			 i == rp->active;
		(void)inet_ntop(AF_INET, &p->inputs[i].group, g, sizeof(g));
		k |= json_object_object_add(o, "input", json_object_new_int64((int64_t)i + 1));
		k |= json_object_object_add(o, "group", json_object_new_string(g));
		k |= add_u64(o, "port", p->inputs[i].port);
		k |= json_object_object_add(o, "active", json_object_new_boolean(active));
		k |= add_u64(o, "packets_received", pk);
		k |= add_u64(o, "bytes_received", by);
		k |= add_u64(o, "inactive_packets", inact);
		k |= add_u64(o, "lost_packets", lost);
		k |= add_u64(o, "forwarded_first", first);
		k |= add_double(o, "last_packet_age_seconds",
				last > 0 && now >= last ? (double)(now - last) / 1e6 : -1.0);
	}
	k |= json_object_object_add(obj, "inputs", arr);
	return k ? -ENOMEM : 0;
}

int relay_stats_policy_json(struct relay *r, const char *policy, struct json_object *obj)
{
	static const struct rpolicy zero;
	const struct rpolicy *rp = rpolicy_find(r, policy);
	uint64_t now = now_usec(r, CLOCK_MONOTONIC), total = 0, last_rt = 0, last_src = 0;
	uint64_t in = 0, bin = 0;
	double pps = 0, bps = 0;
	struct json_object *drops;
	bool up = true;
	char buf[64];
	int k;

	if (!rp)
		rp = &zero; /* a join policy: the same shape, all zeros */
	for (size_t w = 0; rp->counters && w < r->n_workers; w++) {
		const struct counters_policy *c = &rp->counters[w];
		uint64_t t = COUNTER_GET(c->last_realtime);
		uint64_t u0 = COUNTER_GET(c->rate_usec[0]), u1 = COUNTER_GET(c->rate_usec[1]);
		uint64_t pin = COUNTER_GET(c->packets_in), byin = COUNTER_GET(c->bytes_in);
		uint64_t ref_u, ref_p, ref_b;
		double dt;

		in += pin;
		bin += byin;
		if (t > last_rt) {
			last_rt = t;
			last_src = COUNTER_GET(c->last_source);
		}
		/* The rate over the last one to two seconds: from the start of the previous window
		 * when that is recent, else from the start of the current one (idle: towards 0). */
		if (u1 > 0 && now - u1 <= 2 * RELAY_RATE_WINDOW_USEC) {
			ref_u = u1;
			ref_p = COUNTER_GET(c->rate_packets[1]);
			ref_b = COUNTER_GET(c->rate_bytes[1]);
		} else {
			ref_u = u0;
			ref_p = COUNTER_GET(c->rate_packets[0]);
			ref_b = COUNTER_GET(c->rate_bytes[0]);
		}
		dt = ref_u > 0 && now > ref_u ? (double)(now - ref_u) / 1e6 : 0;
		if (dt > 0.001 && pin >= ref_p) {
			pps += (double)(pin - ref_p) / dt;
			bps += (double)(byin - ref_b) / dt;
		}
	}
	k = add_u64(obj, "packets_received", in);
	k |= add_u64(obj, "bytes_received", bin);
	/* relay: datagrams the kernel took to send (over all outputs); log: records written */
	k |= add_u64(obj, "packets_sent", SUM(rp, packets_out) + rp->log_written);
	k |= add_u64(obj, "bytes_sent", SUM(rp, bytes_out) + rp->log_bytes);
	drops = json_object_new_object();
	for (size_t i = 0; drops && i < _COUNTERS_DROP_MAX; i++) {
		uint64_t d = SUM(rp, drops[i]);

		if (i == COUNTERS_DROP_WRITE_ERROR)
			d += rp->log_write_errors;

		k |= add_u64(drops, counters_drop_to_string(i), d);
		total += d;
	}
	k |= add_u64(obj, "dropped_packets", total);
	k |= ctlproto_json_add(obj, "drops", drops);
	k |= add_u64(obj, "stalls", rp->stalls);
	k |= add_u64(obj, "rejoins", rp->rejoins);
	k |= add_double(obj, "receive_packets_per_second", pps);
	k |= add_double(obj, "receive_bytes_per_second", bps);
	k |= add_double(obj, "last_packet_timestamp_seconds", (double)last_rt / 1e6);
	if (last_rt > 0) {
		struct sockaddr_in sin = {
			.sin_family = AF_INET,
			.sin_addr.s_addr = (in_addr_t)(last_src >> 16),
			.sin_port = htons((uint16_t)(last_src & 0xffff)),
		};

		k |= ctlproto_json_add(obj, "last_source", json_object_new_string(
				      addr_port_str(&sin, buf, sizeof(buf))));
	} else
		k |= json_object_object_add(obj, "last_source", NULL) < 0 ? -ENOMEM : 0;
	k |= add_u64(obj, "max_datagram_bytes", CTR_MAX(rp, max_datagram));
	if (rp->conf && rp->conf->action == POLICY_ACTION_RELAY) {
		for (size_t o = 0; o < rp->n_outputs; o++)
			up &= rp->outputs[o].up;
		k |= ctlproto_json_add(obj, "egress",
				       json_object_new_string(up && rp->n_outputs ? "up" : "down"));
		k |= outputs_json(rp, obj);
	}
	/* A record the journal's rate limit suppressed is no lost datagram: the datagram was
	 * received and counted; only its record was not written (capture.c sums them up in the
	 * log). So it is not among the drops. */
	k |= add_u64(obj, "suppressed_records", rp->capture ? capture_suppressed(rp->capture) : 0);
	if (rp->capture)
		k |= add_u64(obj, "rotations", capture_rotations(rp->capture));
	if (rp->conf && rp->conf->action == POLICY_ACTION_LOG)
		k |= log_json(rp, obj);
	if (rp->analyze)
		k |= analyze_json(rp->analyze, r->n_workers, now * 1000, obj);
	k |= inputs_json(r, rp, now, obj);
	return k ? -ENOMEM : 0;
}

int relay_policy_active_input(struct relay *r, const char *policy)
{
	const struct rpolicy *rp = rpolicy_find(r, policy);

	if (!rp || rp->n_inputs == 0 || rp->redundancy != POLICY_REDUNDANCY_FAILOVER)
		return -1;
	return (int)rp->active;
}

int relay_stats_json(struct relay *r, struct json_object *obj)
{
	uint64_t unmatched = 0, loops = 0, ovfl = 0, errs = 0;
	int k;

	for (size_t w = 0; w < r->n_workers; w++) {
		const struct counters_worker *c = worker_get_counters(r->workers[w]);

		unmatched += COUNTER_GET(c->unmatched);
		loops += COUNTER_GET(c->loops);
		ovfl += COUNTER_GET(c->rxq_overflow);
		errs += COUNTER_GET(c->receive_errors);
	}
	k = add_u64(obj, "unmatched_packets", unmatched);
	k |= add_u64(obj, "loop_packets", loops);
	k |= add_u64(obj, "rxq_overflow_packets", ovfl);
	k |= add_u64(obj, "receive_errors", errs);
	k |= add_u64(obj, "data_sockets", r->n_socks);
	k |= add_u64(obj, "workers", r->n_workers);
	return k ? -ENOMEM : 0;
}

/* ------------------------------------------------------------------------------------------ */

void relay_flush(struct relay *r)
{
	for (struct rpolicy *rp = r->head; rp; rp = rp->next)
		if (rp->capture)
			(void)capture_flush(rp->capture);
}

void relay_set_members(struct relay *r, struct members *m)
{
	r->members = m;
	mark_dirty(r);
}

void relay_set_links(struct relay *r, const struct links *l)
{
	r->links = l;
	local_addresses_refresh(r);
	for (struct rpolicy *rp = r->head; rp; rp = rp->next)
		if (rp->conf->action == POLICY_ACTION_RELAY)
			outputs_resolve(r, rp, 0);
	mark_dirty(r);
}

int relay_new(sd_event *e, unsigned workers, struct relay **ret)
{
	_cleanup_(relay_freep) struct relay *r = NULL;
	int k;

	if (workers < 1 || workers > CONFIG_MAX_WORKERS)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->event = sd_event_ref(e);
	r->notify_fd = -1;
	r->workers = calloc(workers, sizeof(*r->workers));
	if (!r->workers)
		return -ENOMEM;
	k = snapshot_domain_new(workers, &r->domain);
	if (k < 0)
		return k;
	r->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->notify_fd < 0)
		return -errno;
	k = sd_event_add_io(e, &r->notify, r->notify_fd, EPOLLIN, on_notify, r);
	if (k < 0)
		return k;
	for (unsigned w = 0; w < workers; w++) {
		k = worker_new(w, r->domain, r->notify_fd, &r->workers[w]);
		if (k < 0)
			return k;
		r->n_workers++;
	}
	k = sd_event_add_post(e, &r->post, on_post, r);
	if (k < 0)
		return k;
	k = sd_event_add_defer(e, &r->defer, on_defer, r);
	if (k >= 0)
		k = sd_event_source_set_enabled(r->defer, SD_EVENT_OFF);
	if (k < 0)
		return k;
	k = relay_publish(r); /* an empty snapshot: the workers have one to read from the start */
	if (k < 0)
		return k;
	for (size_t w = 0; w < r->n_workers; w++) {
		k = worker_start(r->workers[w]);
		if (k < 0)
			return k;
	}
	*ret = TAKE_PTR(r);
	return 0;
}

struct relay *relay_free(struct relay *r)
{
	struct rpolicy *rp;

	if (!r)
		return NULL;
	/* The workers first: then nothing reads what is freed below. */
	for (size_t w = 0; w < r->n_workers; w++)
		r->workers[w] = worker_free(r->workers[w]);
	snapshot_domain_free(r->domain); /* the published snapshot, and everything retired */
	for (size_t i = 0; i < r->n_pending; i++)
		r->pending[i].fn(r->pending[i].ptr);
	free(r->pending);
	while ((rp = r->head)) {
		rpolicy_unlink(r, rp);
		rpolicy_free(r, rp, true);
	}
	for (size_t i = 0; i < r->n_by_fd; i++)
		rsock_free(r->by_fd[i]);
	for (size_t i = 0; i < r->n_gone; i++)
		rsock_free(r->gone[i]);
	free(r->gone);
	free(r->by_fd);
	for (size_t p = 0; r->by_port && p < 65536; p++)
		free(r->by_port[p]);
	free(r->by_port);
	free(r->port_error);
	free(r->port_single);
	free(r->buckets);
	free(r->id_buckets);
	free(r->local);
	free(r->workers);
	sd_event_source_disable_unref(r->post);
	sd_event_source_disable_unref(r->defer);
	sd_event_source_disable_unref(r->reclaim);
	sd_event_source_disable_unref(r->notify);
	safe_close(r->notify_fd);
	sd_event_unref(r->event);
	free(r);
	return NULL;
}

void relay_freep(struct relay **r)
{
	relay_free(*r);
}

/* ------------------------------------------------------------------------------------------ */
/* What show and status say of the data path                                                  */

int relay_show_policy_json(struct relay *r, const char *policy, struct json_object *obj)
{
	const struct rpolicy *rp = rpolicy_find(r, policy);
	int k = 0;

	if (!rp || !rp->conf)
		return 0;
	if (rp->conf->action == POLICY_ACTION_RELAY)
		k |= outputs_json(rp, obj);
	if (rp->conf->action == POLICY_ACTION_LOG)
		k |= log_json(rp, obj);
	return k ? -ENOMEM : 0;
}

bool relay_policy_failure(struct relay *r, const char *policy, char *buf, size_t size)
{
	const struct rpolicy *rp = rpolicy_find(r, policy);
	char reason[PATH_MAX + 96], to[64];

	if (!rp || !rp->conf)
		return false;
	if (policy_has_data_path(rp->conf) && r->port_error && r->port_error[rp->conf->port] < 0) {
		snprintf(buf, size, "cannot receive on port %u: %s", rp->conf->port,
			 strerror(-r->port_error[rp->conf->port]));
		return true;
	}
	for (size_t o = 0; o < rp->n_outputs; o++)
		if (!streq(output_state(rp, o, reason, sizeof(reason)), "up")) {
			snprintf(buf, size, "output %s: %s",
				 addr_port_str(&rp->conf->outputs[o].to, to, sizeof(to)), reason);
			return true;
		}
	if (rp->conf->action == POLICY_ACTION_LOG) {
		capture_describe_error(rp->capture, reason, sizeof(reason));
		if (reason[0]) {
			snprintf(buf, size, "log: %s", reason);
			return true;
		}
	}
	return false;
}

void relay_get_failures(struct relay *r, struct relay_failures *ret)
{
	struct relay_failures f = { 0 };
	char reason[PATH_MAX + 96];

	for (const struct rpolicy *rp = r ? r->head : NULL; rp; rp = rp->next) {
		if (!rp->conf)
			continue;
		for (size_t o = 0; o < rp->n_outputs; o++) {
			f.outputs++;
			if (!streq(output_state(rp, o, reason, sizeof(reason)), "up"))
				f.outputs_failed++;
		}
		if (rp->conf->action == POLICY_ACTION_LOG) {
			f.captures++;
			capture_describe_error(rp->capture, reason, sizeof(reason));
			if (reason[0])
				f.captures_failed++;
		}
	}
	*ret = f;
}
