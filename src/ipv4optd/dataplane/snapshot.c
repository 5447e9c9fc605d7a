/* SPDX-License-Identifier: BSD-3-Clause */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "macro.h"
#include "snapshot.h"

#define RETIRE_CHUNK 64

const struct snapshot_sock *snapshot_sock_by_fd(const struct snapshot *s, int fd)
{
	int32_t i;

	if (!s || fd < 0 || (size_t)fd >= s->n_fds)
		return NULL;
	i = s->sock_by_fd[fd];
	return i < 0 ? NULL : &s->socks[i];
}

static int cmp_route(const struct snapshot_route *x, in_addr_t group, int ifindex)
{
	uint32_t gx = ntohl(x->group), gy = ntohl(group);

	if (gx != gy)
		return gx < gy ? -1 : 1;
	return x->ifindex < ifindex ? -1 : x->ifindex > ifindex;
}

const struct snapshot_route *snapshot_route_lookup(const struct snapshot_sock *k, in_addr_t group,
						   int ifindex)
{
	size_t lo = 0, hi = k->n_routes, h = k->state->last_hit;

	/* Consecutive datagrams mostly belong to one flow. */
	if (h < k->n_routes && k->routes[h].group == group && k->routes[h].ifindex == ifindex)
		return &k->routes[h];
	/* The first of the routes of (group, ifindex): several policies may share it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_route(&k->routes[mid], group, ifindex) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == k->n_routes || cmp_route(&k->routes[lo], group, ifindex) != 0)
		return NULL;
	k->state->last_hit = lo;
	return &k->routes[lo];
}

bool snapshot_is_own_output(const struct snapshot *s, in_addr_t addr, uint16_t port)
{
	bool ours = false;
	uint32_t a = ntohl(addr);
	size_t lo = 0, hi = s->n_local;

	for (size_t i = 0; i < s->n_send_ports; i++)
		if (s->send_ports[i] == port)
			ours = true;
	if (!ours)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->local[mid] == a)
			return true;
		if (s->local[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_policies; i++) {
		free((void *)s->policies[i].sources);
		free((void *)s->policies[i].exclude);
		free((void *)s->policies[i].outputs);
		free((void *)s->policies[i].inputs); /* one block with the inputs' addresses */
	}
	free(s->merge_policies);
	for (size_t i = 0; i < s->n_socks; i++)
		free((void *)s->socks[i].routes);
	free(s->policies);
	free(s->socks);
	free(s->sock_by_fd);
	free(s->local);
	free(s->send_ports);
	free(s);
}

/* ---- publication and reclamation ------------------------------------------------------- */

struct retired {
	uint64_t epoch;
	void (*fn)(void *);
	void *ptr;
};

struct snapshot_domain {
	struct snapshot *current;       /* atomic */
	uint64_t epoch;                 /* atomic; written by the control plane only */
	struct snapshot_reader *readers;
	size_t n_readers;
	struct retired *retired;
	size_t n_retired, cap_retired;
};

int snapshot_domain_new(size_t n_readers, struct snapshot_domain **ret)
{
	struct snapshot_domain *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->readers = aligned_alloc(COUNTERS_CACHELINE,
				   (n_readers + 1) * sizeof(*d->readers));
	if (!d->readers && n_readers > 0) {
		free(d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_readers; i++)
		d->readers[i].seen = SNAPSHOT_OFFLINE;
	d->n_readers = n_readers;
	d->epoch = 1;
	*ret = d;
	return 0;
}

static void free_snapshot(void *p)
{
	snapshot_free(p);
}

struct snapshot_domain *snapshot_domain_free(struct snapshot_domain *d)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->n_retired; i++)
		d->retired[i].fn(d->retired[i].ptr);
	snapshot_free(d->current);
	free(d->retired);
	free(d->readers);
	free(d);
	return NULL;
}

int snapshot_domain_retire(struct snapshot_domain *d, void (*fn)(void *), void *ptr)
{
	if (!ptr)
		return 0;
	if (d->n_retired == d->cap_retired) {
		size_t nc = d->cap_retired + RETIRE_CHUNK;
		struct retired *v = reallocarray(d->retired, nc, sizeof(*v));

		if (!v)
			return -ENOMEM; /* the caller keeps ptr: a leak, never a use after free */
		d->retired = v;
		d->cap_retired = nc;
	}
	d->retired[d->n_retired++] = (struct retired){
		.epoch = __atomic_load_n(&d->epoch, __ATOMIC_RELAXED), .fn = fn, .ptr = ptr };
	return 0;
}

int snapshot_domain_publish(struct snapshot_domain *d, struct snapshot *s)
{
	struct snapshot *old;
	int k;

	/* Reserve the retire slot first: past the exchange nothing may fail. */
	if (d->n_retired == d->cap_retired) {
		size_t nc = d->cap_retired + RETIRE_CHUNK;
		struct retired *v = reallocarray(d->retired, nc, sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->retired = v;
		d->cap_retired = nc;
	}
	/* Sequentially consistent, with the readers' announcement and load: a reader that
	 * announced an epoch before this increment may hold the old snapshot; one that announced
	 * it after loads the new one (snapshot.h). */
	old = __atomic_exchange_n(&d->current, s, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&d->epoch, 1, __ATOMIC_SEQ_CST);
	k = snapshot_domain_retire(d, free_snapshot, old);
	assert(k == 0);
	(void)snapshot_domain_reclaim(d);
	return 0;
}

size_t snapshot_domain_reclaim(struct snapshot_domain *d)
{
	uint64_t safe = UINT64_MAX;
	size_t j = 0;

	/* The oldest epoch a reader may still be in. */
	for (size_t i = 0; i < d->n_readers; i++) {
		uint64_t seen = __atomic_load_n(&d->readers[i].seen, __ATOMIC_SEQ_CST);

		if (seen < safe)
			safe = seen;
	}
	/* Retired at epoch e: freed when every reader has seen e (or is offline). */
	for (size_t i = 0; i < d->n_retired; i++) {
		if (d->retired[i].epoch <= safe)
			d->retired[i].fn(d->retired[i].ptr);
		else
			d->retired[j++] = d->retired[i];
	}
	d->n_retired = j;
	return j;
}

const struct snapshot *snapshot_reader_enter(struct snapshot_domain *d, size_t i)
{
	uint64_t e = __atomic_load_n(&d->epoch, __ATOMIC_SEQ_CST);

	__atomic_store_n(&d->readers[i].seen, e, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&d->current, __ATOMIC_SEQ_CST);
}

void snapshot_reader_leave(struct snapshot_domain *d, size_t i)
{
	__atomic_store_n(&d->readers[i].seen, SNAPSHOT_OFFLINE, __ATOMIC_SEQ_CST);
}
