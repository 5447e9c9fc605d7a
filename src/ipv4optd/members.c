/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "addr.h"
#include "clock.h"
#include "log.h"
#include "macro.h"
#include "members.h"

#define RUNTIME_POLICY "runtime"
#define MAX_RUNTIME 4096

/* A socket that holds memberships. */
struct msock {
	int fd;
	uint16_t port;
	unsigned n;        /* memberships held */
	unsigned cap;      /* how many the kernel lets it hold */
	struct msock_entry {
		struct in_addr group;
		int ifindex;
	} *entries;        /* cap entries; one (group, ifindex) at most once per socket */
	struct msock *next;
};

struct runtime_join {
	struct in_addr group;
	struct in_addr source;
	char ifname[IF_NAMESIZE];
	uint16_t port;
};

struct members {
	const struct links *links;
	struct member *head, *tail;
	size_t n;
	struct member **buckets;       /* on identity (hnext) */
	struct ifbucket {              /* on the interface name (inext), in creation order: */
		struct member *first, *last; /* what a link event is about */
	} *by_ifname;
	size_t n_buckets;              /* of both */
	struct msock *socks;           /* all pools; port tells which */
	size_t n_socks;
	unsigned max_memberships, max_msf;
	struct runtime_join *runtime;
	size_t n_runtime;
	int log_level;
	uint64_t generation;           /* bumped whenever a socket gains or loses a membership */
	enum member_step failed_step;  /* where the last msock_new() failed */
};

static const char *const state_names[_MEMBER_STATE_MAX] = {
	[MEMBER_STATE_WAITING] = "waiting",
	[MEMBER_STATE_JOINED] = "joined",
	[MEMBER_STATE_FAILED] = "failed",
};

static const char *const origin_names[_MEMBER_ORIGIN_MAX] = {
	[MEMBER_ORIGIN_CONFIG] = "config",
	[MEMBER_ORIGIN_RUNTIME] = "runtime",
};

static const char *const step_names[_MEMBER_STEP_MAX] = {
	[MEMBER_STEP_JOIN] = "join",
	[MEMBER_STEP_SOCKET] = "socket",
	[MEMBER_STEP_BIND] = "bind",
	[MEMBER_STEP_RECEIVE] = "receive",
};

const char *member_step_to_string(enum member_step s)
{
	return s >= 0 && s < _MEMBER_STEP_MAX ? step_names[s] : NULL;
}

const char *member_step_describe(const struct member *mb, char *buf, size_t size)
{
	switch (mb->error_step) {
	case MEMBER_STEP_JOIN:
		snprintf(buf, size, "the kernel refused the join");
		return buf;
	case MEMBER_STEP_SOCKET:
		snprintf(buf, size, "cannot set up a socket for port %u", (unsigned)mb->port);
		return buf;
	case MEMBER_STEP_BIND:
		snprintf(buf, size, "cannot bind port %u", (unsigned)mb->port);
		return buf;
	case MEMBER_STEP_RECEIVE:
		snprintf(buf, size, "cannot set up receiving on port %u", (unsigned)mb->port);
		return buf;
	case _MEMBER_STEP_MAX:
	case _MEMBER_STEP_INVALID:
		break;
	}
	snprintf(buf, size, "failed");
	return buf;
}

const char *member_state_to_string(enum member_state s)
{
	return s >= 0 && s < _MEMBER_STATE_MAX ? state_names[s] : NULL;
}

const char *member_origin_to_string(enum member_origin o)
{
	return o >= 0 && o < _MEMBER_ORIGIN_MAX ? origin_names[o] : NULL;
}

static unsigned read_sysctl(const char *path, unsigned fallback)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	unsigned v;

	if (!f || fscanf(f, "%u", &v) != 1 || v == 0)
		return fallback;
	return v;
}

/* ------------------------------------------------------------------------------------------ */
/* Sockets                                                                                     */

static int msock_new(struct members *m, uint16_t port, struct msock **ret)
{
	_cleanup_close_ int fd = -1;
	struct msock *s;

	m->failed_step = MEMBER_STEP_SOCKET;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Never bound: no datagram is ever queued to it. The data plane receives on sockets of
	 * its own (relay.h); the pools by port only keep each port's memberships apart. */

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->entries = calloc(m->max_memberships, sizeof(*s->entries));
	if (!s->entries) {
		free(s);
		return -ENOMEM;
	}
	s->cap = m->max_memberships;
	s->port = port;
	s->fd = TAKE_FD(fd);
	s->next = m->socks;
	m->socks = s;
	m->n_socks++;
	*ret = s;
	return 0;
}

static void msock_close(struct members *m, struct msock *s)
{
	for (struct msock **p = &m->socks; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	safe_close(s->fd);
	free(s->entries);
	free(s);
	m->n_socks--;
}

static bool msock_holds(const struct msock *s, struct in_addr group, int ifindex)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->entries[i].group.s_addr == group.s_addr && s->entries[i].ifindex == ifindex)
			return true;
	return false;
}

static void msock_add_entry(struct msock *s, struct in_addr group, int ifindex)
{
	s->entries[s->n++] = (struct msock_entry){ group, ifindex };
}

static void msock_del_entry(struct members *m, struct msock *s, struct in_addr group, int ifindex)
{
	m->generation++;
	for (unsigned i = 0; i < s->n; i++)
		if (s->entries[i].group.s_addr == group.s_addr && s->entries[i].ifindex == ifindex) {
			s->entries[i] = s->entries[--s->n];
			break;
		}
	/* A socket that found itself full below its nominal cap has room again. */
	if (s->cap < m->max_memberships && s->n < s->cap)
		s->cap = m->max_memberships;
	if (s->n == 0)
		msock_close(m, s);
}

/* A socket of the pool `port` with room for (group, ifindex), opened if none has. */
static int msock_pick(struct members *m, uint16_t port, struct in_addr group, int ifindex,
		      struct msock **ret)
{
	for (struct msock *s = m->socks; s; s = s->next)
		if (s->port == port && s->n < s->cap && !msock_holds(s, group, ifindex)) {
			*ret = s;
			return 0;
		}
	return msock_new(m, port, ret);
}

/* ------------------------------------------------------------------------------------------ */
/* Joining and leaving one member                                                              */

/* One line per state change, with the structured fields of the journal. */
static void member_log(struct members *m, int level, int err, const struct member *mb,
		       const char *what)
{
	char g[INET_ADDRSTRLEN];
	struct log_ctx ctx = { .policy = mb->policy, .group = g, .ifname = mb->ifname };

	inet_ntop(AF_INET, &mb->group, g, sizeof(g));
	if (err && mb->state == MEMBER_STATE_FAILED)
		/* "Failed to join G on IF (index N), policy P: cannot bind port 5000: Address
		 * already in use": the step is named, so that an operator looks at the right
		 * thing (another program's socket, not the kernel's multicast limits). */
		log_full_errno(level, err, &ctx, "%s %s on %s (index %d), policy %s: %s: %m", what,
			       g, mb->ifname, mb->ifindex, mb->policy,
			       member_step_describe(mb, (char[96]){ 0 }, 96));
	else if (err)
		log_full_errno(level, err, &ctx, "%s %s on %s (index %d), policy %s: %m", what, g,
			       mb->ifname, mb->ifindex, mb->policy);
	else if (mb->ifindex > 0)
		log_full_errno(level, 0, &ctx, "%s %s on %s (index %d), policy %s", what, g,
			       mb->ifname, mb->ifindex, mb->policy);
	else
		log_full_errno(level, 0, &ctx, "%s %s on %s, policy %s", what, g, mb->ifname,
			       mb->policy);
	(void)m;
}

/* Joins one chunk of the member on socket s. */
static int chunk_join(const struct member *mb, int fd, int ifindex, size_t first, size_t count)
{
	int r;

	if (mb->mode == IPV4OPT_FILTER_INCLUDE) {
		for (size_t i = first; i < first + count; i++) {
			r = ipv4opt_join_source_group(fd, ifindex, mb->group, mb->sources[i]);
			if (r < 0) {
				if (i > first)
					(void)ipv4opt_leave_group(fd, ifindex, mb->group);
				return r;
			}
		}
		return 0;
	}
	r = ipv4opt_join_group(fd, ifindex, mb->group);
	if (r < 0)
		return r;
	for (size_t i = 0; i < mb->n_sources; i++) {
		r = ipv4opt_block_source(fd, ifindex, mb->group, mb->sources[i]);
		if (r < 0) {
			(void)ipv4opt_leave_group(fd, ifindex, mb->group);
			return r;
		}
	}
	return 0;
}

static void member_release(struct members *m, struct member *mb)
{
	for (size_t i = 0; i < mb->n_holds; i++) {
		struct msock *s = mb->holds[i];

		/* Leaving by the old index works after the interface is gone, and frees the
		 * socket's slot (the membership would otherwise keep counting). One
		 * MCAST_LEAVE_GROUP drops a source-specific membership with all its sources. */
		int r = ipv4opt_leave_group(s->fd, mb->ifindex, mb->group);
		if (r < 0 && r != -EADDRNOTAVAIL && r != -ENODEV)
			member_log(m, LOG_WARNING, r, mb, "Failed to leave");
		msock_del_entry(m, s, mb->group, mb->ifindex);
	}
	free(mb->holds);
	mb->holds = NULL;
	mb->n_holds = 0;
}

static void member_set_state(struct members *m, struct member *mb, enum member_state st,
			     int err)
{
	if (mb->state == st && mb->error == err && mb->prev_step == mb->error_step)
		return;
	mb->state = st;
	mb->error = err;
	mb->prev_step = mb->error_step;
	mb->since_usec = clock_now_usec(CLOCK_REALTIME);
	switch (st) {
	case MEMBER_STATE_JOINED:
		member_log(m, m->log_level, 0, mb, "Joined");
		break;
	case MEMBER_STATE_WAITING:
		member_log(m, m->log_level, 0, mb, "Waiting for the interface:");
		break;
	case MEMBER_STATE_FAILED:
		member_log(m, LOG_WARNING, err, mb, "Failed to join");
		break;
	case _MEMBER_STATE_MAX:
	case _MEMBER_STATE_INVALID:
		break;
	}
}

static int member_join(struct members *m, struct member *mb, int ifindex)
{
	size_t per = mb->mode == IPV4OPT_FILTER_INCLUDE ? m->max_msf : SIZE_MAX;
	size_t n_chunks = mb->mode == IPV4OPT_FILTER_INCLUDE ?
		(mb->n_sources + per - 1) / per : 1;
	int r = 0;

	/* An excluded-source list cannot be split: the interface excludes a source only when
	 * every socket does (RFC 3376 merge). */
	mb->error_step = MEMBER_STEP_JOIN;
	if (mb->mode == IPV4OPT_FILTER_EXCLUDE && mb->n_sources > m->max_msf)
		return -ENOBUFS;
	mb->holds = calloc(n_chunks, sizeof(*mb->holds));
	if (!mb->holds)
		return -ENOMEM;
	mb->ifindex = ifindex;
	for (size_t c = 0; c < n_chunks; c++) {
		size_t first = c * (per == SIZE_MAX ? 0 : per);
		size_t count = mb->mode == IPV4OPT_FILTER_INCLUDE ?
			(mb->n_sources - first < per ? mb->n_sources - first : per) : 0;
		struct msock *s = NULL;

		for (int attempt = 0;; attempt++) {
			r = msock_pick(m, mb->port, mb->group, ifindex, &s);
			if (r < 0) {
				mb->error_step = m->failed_step;
				goto fail;
			}
			r = chunk_join(mb, s->fd, ifindex, first, count);
			if (r != -ENOBUFS || s->n == 0 || attempt > 2)
				break;
			/* The socket is full below what the sysctl said (changed since we read
			 * it): take it at its word, try another. */
			s->cap = s->n;
		}
		if (r < 0) {
			if (s->n == 0)
				msock_close(m, s);
			goto fail;
		}
		msock_add_entry(s, mb->group, ifindex);
		m->generation++;
		mb->holds[mb->n_holds++] = s;
	}
	mb->joins++;
	return 0;
fail:
	member_release(m, mb);
	return r;
}

static const struct link *link_of(const struct members *m, const char *ifname)
{
	return m->links ? links_get_by_name(m->links, ifname) : NULL;
}

/* Brings one wanted member to the state its interface l (link_of() its name) allows. */
static void member_apply(struct members *m, struct member *mb, const struct link *l)
{
	int r;

	if (mb->n_holds > 0) {
		if (l && l->ifindex == mb->ifindex)
			return; /* held where it should be */
		/* The name is gone or now belongs to another index. */
		member_release(m, mb);
	}
	if (!l) {
		mb->ifindex = 0;
		member_set_state(m, mb, MEMBER_STATE_WAITING, 0);
		return;
	}
	r = member_join(m, mb, l->ifindex);
	if (r == -ENODEV && !if_indextoname((unsigned)l->ifindex, (char[IF_NAMESIZE]){ 0 })) {
		/* Deleted after the event we act on (link churn): its RTM_DELLINK is queued
		 * behind it. Not a failure; ENODEV on an index that exists still is one. */
		mb->ifindex = 0;
		member_set_state(m, mb, MEMBER_STATE_WAITING, 0);
		return;
	}
	if (r < 0) {
		mb->ifindex = l->ifindex;
		member_set_state(m, mb, MEMBER_STATE_FAILED, r);
		return;
	}
	member_set_state(m, mb, MEMBER_STATE_JOINED, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* The set of members: a list plus a hash on identity                                         */

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static size_t member_hash(const struct members *m, enum member_origin origin, const char *policy,
			  const char *ifname, struct in_addr group)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)origin;

	h = hash_str(h, policy);
	h = hash_str(h, ifname);
	h = (h ^ group.s_addr) * 0x100000001b3ULL;
	return (size_t)(h % m->n_buckets);
}

static size_t ifname_hash(const struct members *m, const char *ifname)
{
	return (size_t)(hash_str(0xcbf29ce484222325ULL, ifname) % m->n_buckets);
}

static void ifname_append(struct members *m, struct member *mb)
{
	struct ifbucket *b = &m->by_ifname[ifname_hash(m, mb->ifname)];

	mb->inext = NULL;
	mb->iprev = b->last;
	if (b->last)
		b->last->inext = mb;
	else
		b->first = mb;
	b->last = mb;
}

static void ifname_remove(struct members *m, struct member *mb)
{
	struct ifbucket *b = &m->by_ifname[ifname_hash(m, mb->ifname)];

	if (mb->iprev)
		mb->iprev->inext = mb->inext;
	else
		b->first = mb->inext;
	if (mb->inext)
		mb->inext->iprev = mb->iprev;
	else
		b->last = mb->iprev;
}

static int rehash(struct members *m)
{
	size_t nb = m->n_buckets ? m->n_buckets * 4 : 256;
	struct member **b = calloc(nb, sizeof(*b));
	struct ifbucket *bi = calloc(nb, sizeof(*bi));

	if (!b || !bi) {
		free(b);
		free(bi);
		return -ENOMEM;
	}
	free(m->buckets);
	free(m->by_ifname);
	m->buckets = b;
	m->by_ifname = bi;
	m->n_buckets = nb;
	for (struct member *mb = m->head; mb; mb = mb->next) {
		size_t i = member_hash(m, mb->origin, mb->policy, mb->ifname, mb->group);

		mb->hnext = b[i];
		b[i] = mb;
		ifname_append(m, mb);
	}
	return 0;
}

/* The members on interface name ifname: the chain of its bucket, of which only those whose
 * name is ifname (a bucket is shared). */
static struct member *ifname_first(const struct members *m, const char *ifname)
{
	return m->n_buckets ? m->by_ifname[ifname_hash(m, ifname)].first : NULL;
}

struct want {
	enum member_origin origin;
	const char *policy;
	const char *ifname;
	struct in_addr group;
	enum ipv4opt_filter_mode mode;
	const struct in_addr *sources;
	size_t n_sources;
	uint16_t port;
	int input;
};

static bool member_is(const struct member *mb, const struct want *w)
{
	return mb->origin == w->origin && mb->group.s_addr == w->group.s_addr &&
	       mb->mode == w->mode && mb->port == w->port && mb->n_sources == w->n_sources &&
	       mb->input == w->input &&
	       streq(mb->policy, w->policy) && streq(mb->ifname, w->ifname) &&
	       (w->n_sources == 0 ||
		memcmp(mb->sources, w->sources, w->n_sources * sizeof(*w->sources)) == 0);
}

static void member_unlink(struct members *m, struct member *mb)
{
	size_t i = member_hash(m, mb->origin, mb->policy, mb->ifname, mb->group);

	for (struct member **p = &m->buckets[i]; *p; p = &(*p)->hnext)
		if (*p == mb) {
			*p = mb->hnext;
			break;
		}
	ifname_remove(m, mb);
	if (mb->prev)
		mb->prev->next = mb->next;
	else
		m->head = mb->next;
	if (mb->next)
		mb->next->prev = mb->prev;
	else
		m->tail = mb->prev;
	m->n--;
}

static void member_free(struct member *mb)
{
	free(mb->policy);
	free(mb->sources);
	free(mb->holds);
	free(mb);
}

/* Marks the member w, creating it if new. */
static int want(struct members *m, const struct want *w)
{
	struct member *mb;
	size_t i;
	int r;

	if (m->n_buckets == 0 || m->n >= m->n_buckets) {
		r = rehash(m);
		if (r < 0)
			return r;
	}
	i = member_hash(m, w->origin, w->policy, w->ifname, w->group);
	for (mb = m->buckets[i]; mb; mb = mb->hnext)
		if (member_is(mb, w)) {
			mb->mark = true;
			return 0;
		}

	mb = calloc(1, sizeof(*mb));
	if (!mb)
		return -ENOMEM;
	mb->origin = w->origin;
	mb->policy = strdup(w->policy);
	snprintf(mb->ifname, sizeof(mb->ifname), "%s", w->ifname);
	mb->group = w->group;
	mb->input = w->input;
	mb->mode = w->mode;
	mb->port = w->port;
	mb->n_sources = w->n_sources;
	if (w->n_sources > 0) {
		mb->sources = calloc(w->n_sources, sizeof(*mb->sources));
		if (mb->sources)
			memcpy(mb->sources, w->sources, w->n_sources * sizeof(*w->sources));
	}
	if (!mb->policy || (w->n_sources > 0 && !mb->sources)) {
		member_free(mb);
		return -ENOMEM;
	}
	mb->state = _MEMBER_STATE_INVALID; /* so the first state is logged */
	mb->mark = true;
	mb->prev = m->tail;
	if (m->tail)
		m->tail->next = mb;
	else
		m->head = mb;
	m->tail = mb;
	mb->hnext = m->buckets[i];
	m->buckets[i] = mb;
	ifname_append(m, mb);
	m->n++;
	return 0;
}

/* Marks the members of w (its ifname aside) on every interface of names that is named or whose
 * name matches a pattern; with only, on that name alone (only_link: the link of that name). */
static int want_interfaces(struct members *m, struct want *w, char *const *names, size_t n,
			   const char *only, const struct link *only_link)
{
	size_t n_links = 0;
	const struct link *links = NULL;
	int r;

	/* After a link event, the one name it is about is matched, not every link: the cost of
	 * an event is the config's size, not the config times the host's interfaces. */
	if (only)
		links = only_link, n_links = only_link ? 1 : 0;
	else if (m->links)
		links = links_all(m->links, &n_links);

	for (size_t i = 0; i < n; i++) {
		const char *e = names[i];

		if (!ifname_is_pattern(e)) {
			if (only && !streq(only, e))
				continue;
			w->ifname = e;
			r = want(m, w);
			if (r < 0)
				return r;
			continue;
		}
		for (size_t k = 0; k < n_links; k++) {
			if (fnmatch(e, links[k].name, 0) != 0)
				continue;
			w->ifname = links[k].name;
			r = want(m, w);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Marks the members of policy p: its group, or each of its inputs (held like a policy's own
 * group: patterns, interfaces that come and go, the same limits). */
static int want_policy(struct members *m, const struct policy *p, const char *only,
		       const struct link *only_link)
{
	struct want w = {
		.origin = MEMBER_ORIGIN_CONFIG,
		.policy = p->name,
		.group = p->group,
		.mode = p->n_sources > 0 ? IPV4OPT_FILTER_INCLUDE : IPV4OPT_FILTER_EXCLUDE,
		.sources = p->n_sources > 0 ? p->sources : p->exclude,
		.n_sources = p->n_sources > 0 ? p->n_sources : p->n_exclude,
		.port = p->action == POLICY_ACTION_JOIN ? 0 : p->port,
	};
	int r;

	if (p->n_inputs == 0)
		return want_interfaces(m, &w, p->interfaces, p->n_interfaces, only, only_link);
	for (size_t i = 0; i < p->n_inputs; i++) {
		const struct policy_input *in = &p->inputs[i];

		w.input = (int)i;
		w.group = in->group;
		w.mode = in->n_sources > 0 ? IPV4OPT_FILTER_INCLUDE : IPV4OPT_FILTER_EXCLUDE;
		w.sources = in->n_sources > 0 ? in->sources : in->exclude;
		w.n_sources = in->n_sources > 0 ? in->n_sources : in->n_exclude;
		w.port = in->port;
		r = want_interfaces(m, &w, in->interfaces, in->n_interfaces, only, only_link);
		if (r < 0)
			return r;
	}
	return 0;
}

/* With only: the members on that name (their bucket's chain, filtered), else all of them.
 * (The filter ends in "else", so that an else after the loop's body cannot bind to it.) */
#define FOREACH_MEMBER_ON(mb, m, only)                                                     \
	for (mb = (only) ? ifname_first(m, only) : (m)->head; mb;                           \
	     mb = (only) ? mb->inext : mb->next)                                            \
		if ((only) && !streq(mb->ifname, only)) {                                  \
		} else

int members_reconcile(struct members *m, const struct config *c, const char *only)
{
	const struct link *only_link = only ? link_of(m, only) : NULL;
	struct member *mb, *next;
	int r = 0, k;

	FOREACH_MEMBER_ON(mb, m, only)
		mb->mark = false;

	for (size_t i = 0; c && i < c->n_policies; i++) {
		k = want_policy(m, &c->policies[i], only, only_link);
		if (k < 0 && r == 0)
			r = k;
	}
	for (size_t i = 0; i < m->n_runtime; i++) {
		const struct runtime_join *j = &m->runtime[i];
		struct want w = {
			.origin = MEMBER_ORIGIN_RUNTIME,
			.policy = RUNTIME_POLICY,
			.ifname = j->ifname,
			.group = j->group,
			.mode = j->source.s_addr ? IPV4OPT_FILTER_INCLUDE : IPV4OPT_FILTER_EXCLUDE,
			.sources = j->source.s_addr ? &j->source : NULL,
			.n_sources = j->source.s_addr ? 1 : 0,
			.port = j->port,
		};

		if (only && !streq(only, j->ifname))
			continue;
		k = want(m, &w);
		if (k < 0 && r == 0)
			r = k;
	}

	/* Sweep first, so that slots are free before new joins need them. */
	for (mb = only ? ifname_first(m, only) : m->head; mb; mb = next) {
		next = only ? mb->inext : mb->next;
		if (mb->mark || (only && !streq(mb->ifname, only)))
			continue;
		if (mb->n_holds > 0) {
			member_release(m, mb);
			member_log(m, m->log_level, 0, mb, "Left");
		}
		member_unlink(m, mb);
		member_free(mb);
	}
	FOREACH_MEMBER_ON(mb, m, only)
		member_apply(m, mb, only ? only_link : link_of(m, mb->ifname));
	return r;
}

int members_rejoin_policy(struct members *m, const char *policy)
{
	int n = 0;

	for (struct member *mb = m->head; mb; mb = mb->next) {
		if (mb->origin != MEMBER_ORIGIN_CONFIG || !streq(mb->policy, policy))
			continue;
		if (mb->n_holds == 0 && mb->state != MEMBER_STATE_FAILED)
			continue; /* waiting for its interface: nothing to rejoin */
		/* Left and joined at once, the kernel sends a fresh state-change report (the
		 * leave folds into it): what a snooping switch that lost the entry needs. */
		member_release(m, mb);
		member_apply(m, mb, link_of(m, mb->ifname));
		n++;
	}
	return n;
}

int members_retry_failed(struct members *m, const char *ifname)
{
	const struct link *l = link_of(m, ifname);
	struct member *mb;
	int n = 0;

	FOREACH_MEMBER_ON(mb, m, ifname) {
		if (mb->state != MEMBER_STATE_FAILED)
			continue;
		member_apply(m, mb, l);
		n++;
	}
	return n;
}

uint64_t members_generation(const struct members *m)
{
	return m->generation;
}

void members_leave_all(struct members *m)
{
	struct member *mb;

	while ((mb = m->head)) {
		member_release(m, mb);
		member_unlink(m, mb);
		member_free(mb);
	}
	while (m->socks)
		msock_close(m, m->socks);
}

/* ------------------------------------------------------------------------------------------ */
/* Runtime joins                                                                               */

static struct runtime_join *runtime_find(struct members *m, struct in_addr group,
					 struct in_addr source, const char *ifname)
{
	for (size_t i = 0; i < m->n_runtime; i++)
		if (m->runtime[i].group.s_addr == group.s_addr &&
		    m->runtime[i].source.s_addr == source.s_addr && streq(m->runtime[i].ifname, ifname))
			return &m->runtime[i];
	return NULL;
}

int members_runtime_add(struct members *m, struct in_addr group, struct in_addr source,
			const char *ifname, uint16_t port)
{
	struct runtime_join *v;

	if (runtime_find(m, group, source, ifname))
		return -EEXIST;
	if (m->n_runtime >= MAX_RUNTIME)
		return -E2BIG;
	if (strlen(ifname) >= IF_NAMESIZE)
		return -EINVAL;
	v = reallocarray(m->runtime, m->n_runtime + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->runtime = v;
	v[m->n_runtime] = (struct runtime_join){ .group = group, .source = source, .port = port };
	snprintf(v[m->n_runtime].ifname, IF_NAMESIZE, "%s", ifname);
	m->n_runtime++;
	return 0;
}

const struct member *members_runtime_find(const struct members *m, struct in_addr group,
					  struct in_addr source, const char *ifname)
{
	for (const struct member *mb = m->head; mb; mb = mb->next) {
		if (mb->origin != MEMBER_ORIGIN_RUNTIME || mb->group.s_addr != group.s_addr ||
		    !streq(mb->ifname, ifname))
			continue;
		if (source.s_addr == INADDR_ANY ? mb->n_sources == 0 :
		    (mb->n_sources == 1 && mb->sources[0].s_addr == source.s_addr))
			return mb;
	}
	return NULL;
}

size_t members_runtime_drop_foreign_ports(struct members *m, const struct config *c)
{
	size_t dropped = 0;

	for (size_t i = 0; i < m->n_runtime;) {
		const struct runtime_join *j = &m->runtime[i];
		char g[INET_ADDRSTRLEN];
		struct log_ctx ctx = { .policy = "runtime", .group = g, .ifname = j->ifname };

		if (config_port_receives(c, j->port)) {
			i++;
			continue;
		}
		inet_ntop(AF_INET, &j->group, g, sizeof(g));
		log_full_errno(LOG_WARNING, 0, &ctx, "Runtime join of %s on %s left: port %u is not "
			       "the port of a relay or log policy of the configuration", g, j->ifname,
			       (unsigned)j->port);
		m->runtime[i] = m->runtime[--m->n_runtime];
		dropped++;
	}
	return dropped;
}

int members_runtime_remove(struct members *m, struct in_addr group, struct in_addr source,
			   const char *ifname)
{
	struct runtime_join *j = runtime_find(m, group, source, ifname);

	if (!j)
		return -ENOENT;
	*j = m->runtime[--m->n_runtime];
	return 0;
}

/* ------------------------------------------------------------------------------------------ */

const struct member *members_first(const struct members *m)
{
	return m->head;
}

const struct member *members_next(const struct member *mb)
{
	return mb->next;
}

void members_get_counts(const struct members *m, struct members_counts *ret)
{
	struct members_counts c = {
		.sockets = m->n_socks,
		.max_memberships = m->max_memberships,
		.max_msf = m->max_msf,
	};

	for (const struct member *mb = m->head; mb; mb = mb->next) {
		c.runtime += mb->origin == MEMBER_ORIGIN_RUNTIME;
		switch (mb->state) {
		case MEMBER_STATE_JOINED:
			c.joined++;
			break;
		case MEMBER_STATE_WAITING:
			c.waiting++;
			break;
		case MEMBER_STATE_FAILED:
			c.failed++;
			break;
		case _MEMBER_STATE_MAX:
		case _MEMBER_STATE_INVALID:
			break;
		}
	}
	*ret = c;
}

void members_set_links(struct members *m, const struct links *l)
{
	m->links = l;
}

void members_set_log_level(struct members *m, int level)
{
	m->log_level = level;
}

int members_new(struct members **ret)
{
	struct members *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->log_level = LOG_INFO;
	/* Per network namespace; read where the daemon runs. */
	m->max_memberships = read_sysctl("/proc/sys/net/ipv4/igmp_max_memberships", 20);
	m->max_msf = read_sysctl("/proc/sys/net/ipv4/igmp_max_msf", 10);
	*ret = m;
	return 0;
}

struct members *members_free(struct members *m)
{
	if (!m)
		return NULL;
	members_leave_all(m);
	free(m->buckets);
	free(m->by_ifname);
	free(m->runtime);
	free(m);
	return NULL;
}

void members_freep(struct members **m)
{
	members_free(*m);
}
