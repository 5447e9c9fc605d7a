/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze.h"
#include "clock.h"
#include "ingress.h"
#include "ipv4opt.h"
#include "macro.h"
#include "redundancy.h"

#define INGRESS_BUF_SIZE 65536        /* the largest UDP payload over IPv4 fits */
#define INGRESS_RATE_WINDOW_USEC (1000 * 1000ULL)

struct ingress {
	unsigned worker;
	struct egress *egress;
	struct counters_worker *counters;
	struct recordq *recordq;
	bool pushed;
	const struct snapshot *snapshot; /* the merge stage's deliveries look their policy up */
	bool notify;                  /* a stream came on the air: the control plane looks */
	struct ipv4opt_message rx[INGRESS_BATCH];
	struct timespec stamps[INGRESS_BATCH]; /* the kernel's receive time of each, or 0 */
	uint8_t *buf;
};

int ingress_new(unsigned worker, struct egress *e, struct recordq *q, struct counters_worker *c,
		struct ingress **ret)
{
	struct ingress *i = calloc(1, sizeof(*i));

	if (!i)
		return -ENOMEM;
	/* Allocated once; pages are touched only as far as datagrams reach. */
	i->buf = malloc((size_t)INGRESS_BATCH * INGRESS_BUF_SIZE);
	if (!i->buf) {
		free(i);
		return -ENOMEM;
	}
	for (size_t j = 0; j < INGRESS_BATCH; j++)
		i->rx[j].buf = i->buf + j * INGRESS_BUF_SIZE;
	i->worker = worker;
	i->egress = e;
	i->counters = c;
	i->recordq = q;
	*ret = i;
	return 0;
}

bool ingress_take_records(struct ingress *i)
{
	bool p = i->pushed || i->notify;

	i->pushed = false;
	i->notify = false;
	return p;
}

struct ingress *ingress_free(struct ingress *i)
{
	if (!i)
		return NULL;
	free(i->buf);
	free(i);
	return NULL;
}

/* The kernel filtered by source already (each socket has its own filter); checked again so a
 * datagram can only reach a policy that wants its source. */
static bool source_allowed(const struct snapshot_policy *p, struct in_addr src)
{
	if (p->n_sources > 0) {
		for (size_t i = 0; i < p->n_sources; i++)
			if (p->sources[i].s_addr == src.s_addr)
				return true;
		return false;
	}
	for (size_t i = 0; i < p->n_exclude; i++)
		if (p->exclude[i].s_addr == src.s_addr)
			return false;
	return true;
}

static bool source_allowed_list(const struct in_addr *inc, size_t n_inc,
				const struct in_addr *exc, size_t n_exc, struct in_addr src)
{
	if (n_inc > 0) {
		for (size_t i = 0; i < n_inc; i++)
			if (inc[i].s_addr == src.s_addr)
				return true;
		return false;
	}
	for (size_t i = 0; i < n_exc; i++)
		if (exc[i].s_addr == src.s_addr)
			return false;
	return true;
}

static void rate_window(struct counters_policy *c, uint64_t now)
{
	if (now < c->rate_usec[0] + INGRESS_RATE_WINDOW_USEC)
		return;
	COUNTER_SET(c->rate_usec[1], c->rate_usec[0]);
	COUNTER_SET(c->rate_packets[1], c->rate_packets[0]);
	COUNTER_SET(c->rate_bytes[1], c->rate_bytes[0]);
	COUNTER_SET(c->rate_usec[0], now);
	COUNTER_SET(c->rate_packets[0], c->packets_in);
	COUNTER_SET(c->rate_bytes[0], c->bytes_in);
}

/* Recorded on the control plane (recordq.h): copied into the worker's queue. */
static void handle_log(struct ingress *in, const struct snapshot_sock *k,
		       const struct snapshot_policy *p, struct counters_policy *c,
		       const struct ipv4opt_message *m, uint64_t now_rt)
{
	/* The kernel's receive time (SO_TIMESTAMPNS, set on every data socket: relay.c), so that
	 * the datagrams of one batch keep their own times; the batch's read time without it. */
	const struct timespec *ts = &in->stamps[m - in->rx];
	struct recordq_entry e = {
		.policy_id = p->id,
		.realtime_usec = ts->tv_sec > 0 ? (uint64_t)ts->tv_sec * 1000000ULL +
			(uint64_t)ts->tv_nsec / 1000 : now_rt,
		.src = m->addr.sin_addr,
		.sport = ntohs(m->addr.sin_port),
		.dst = m->cm.dst,
		.dport = k->port,
		.ifindex = m->cm.ifindex,
		.ttl = (int16_t)((m->cm.flags & IPV4OPT_CM_TTL) ? m->cm.ttl : -1),
		.tos = (int16_t)((m->cm.flags & IPV4OPT_CM_TOS) ? m->cm.tos : -1),
		.len = (uint32_t)m->n,
	};

	if (recordq_push(in->recordq, &e, m->buf))
		in->pushed = true;
	else
		COUNTER_ADD(c->drops[COUNTERS_DROP_WRITE_ERROR], 1);
}

/* A relay policy's datagram to each of its outputs. */
static void relay_outputs(struct ingress *in, const struct snapshot_policy *p,
			  struct counters_policy *c, const void *buf, size_t len,
			  const struct ipv4opt_cm *cm)
{
	uint8_t rx_tos = (cm->flags & IPV4OPT_CM_TOS) ? (uint8_t)cm->tos : 0;

	for (size_t o = 0; o < p->n_outputs; o++) {
		const struct snapshot_output *out = &p->outputs[o];

		if (!out->up) {
			COUNTER_ADD(c->drops[COUNTERS_DROP_NO_INTERFACE], 1);
			COUNTER_ADD(p->out_counters[in->worker * p->n_outputs + o].dropped, 1);
			continue;
		}
		/* DSCP from the output, ECN bits as received (RFC 3168: the relay must not erase
		 * congestion marks); without a DSCP the TOS byte passes unchanged. */
		egress_queue(in->egress, p, o, buf, len,
			     out->has_dscp ? ipv4opt_tos_compose(out->dscp, rx_tos) : rx_tos);
	}
}

/* A datagram the merge stage forwards (redundancy.h): as handle() hands one on. */
static void deliver_merged(void *userdata, uint32_t policy, const struct redundancy_datagram *d)
{
	struct ingress *in = userdata;
	const struct snapshot_policy *p = &in->snapshot->policies[policy];
	struct counters_policy *c = &p->counters[in->worker];

	switch (p->action) {
	case POLICY_ACTION_RELAY:
		relay_outputs(in, p, c, d->buf, d->len, &d->cm);
		return;
	case POLICY_ACTION_LOG: {
		struct recordq_entry e = {
			.policy_id = p->id,
			.realtime_usec = clock_now_usec(CLOCK_REALTIME),
			.src = d->src.sin_addr,
			.sport = ntohs(d->src.sin_port),
			.dst = d->cm.dst,
			.dport = d->dport,
			.ifindex = d->cm.ifindex,
			.ttl = (int16_t)((d->cm.flags & IPV4OPT_CM_TTL) ? d->cm.ttl : -1),
			.tos = (int16_t)((d->cm.flags & IPV4OPT_CM_TOS) ? d->cm.tos : -1),
			.len = (uint32_t)d->len,
		};

		if (recordq_push(in->recordq, &e, d->buf))
			in->pushed = true;
		else
			COUNTER_ADD(c->drops[COUNTERS_DROP_WRITE_ERROR], 1);
		return;
	}
	case POLICY_ACTION_MONITOR:
	case POLICY_ACTION_JOIN:
	case _POLICY_ACTION_MAX:
	case _POLICY_ACTION_INVALID:
		return;
	}
}

/* Policies with inputs: counted per input; failover passes the active input's datagrams on
 * (true), merge takes each into its window and forwards from there (false). */
static bool redundancy_stage(struct ingress *in, const struct snapshot *s,
			     const struct snapshot_sock *k, const struct snapshot_route *rt,
			     const struct snapshot_policy *p, const struct ipv4opt_message *m,
			     uint64_t now_mono, uint64_t now_rt)
{
	struct counters_input *ci = &p->in_counters[in->worker * p->n_inputs];
	const struct snapshot_input *ip;
	uint32_t i = rt->input;

	if (i >= p->n_inputs)
		return false;
	ip = &p->inputs[i];
	COUNTER_ADD(ci[i].packets, 1);
	COUNTER_ADD(ci[i].bytes, m->n);
	COUNTER_SET(ci[i].last_mono, now_mono);
	if (!source_allowed_list(ip->sources, ip->n_sources, ip->exclude, ip->n_exclude,
				 m->addr.sin_addr)) {
		COUNTER_ADD(p->counters[in->worker].drops[COUNTERS_DROP_FILTERED], 1);
		return false;
	}
	switch (p->redundancy) {
	case POLICY_REDUNDANCY_FAILOVER:
		if (i == p->active)
			return true;
		COUNTER_ADD(ci[i].inactive, 1);
		return false;
	case POLICY_REDUNDANCY_MERGE: {
		struct redundancy_datagram d = { .buf = m->buf, .len = m->n, .src = m->addr,
						 .cm = m->cm, .dport = k->port };
		const struct timespec *ts = &in->stamps[m - in->rx];
		uint64_t arrival = now_mono;

		if (!p->merge || !p->merge[in->worker])
			return false; /* no window on this worker (being set up) */
		/* The window is timed by arrival (the kernel's receive time, SO_TIMESTAMPNS), not
		 * by when the worker got to the datagram: a worker that was not scheduled for a
		 * while must not give up on a number whose copy has been waiting in the queue. */
		if (ts->tv_sec > 0) {
			uint64_t st = (uint64_t)ts->tv_sec * 1000000ULL + (uint64_t)ts->tv_nsec / 1000;

			if (now_rt > st && now_rt - st < now_mono)
				arrival = now_mono - (now_rt - st);
		}
		in->snapshot = s;
		redundancy_merge_push(p->merge[in->worker], i, &d, arrival, ci, deliver_merged, in,
				      (uint32_t)(p - s->policies));
		return false;
	}
	case POLICY_REDUNDANCY_NONE:
	case _POLICY_REDUNDANCY_MAX:
	case _POLICY_REDUNDANCY_INVALID:
		break;
	}
	return true;
}

uint64_t ingress_tick(struct ingress *in, const struct snapshot *s, uint64_t now)
{
	uint64_t next = 0;

	if (!s)
		return 0;
	in->snapshot = s;
	for (size_t j = 0; j < s->n_merge_policies; j++) {
		const struct snapshot_policy *p = &s->policies[s->merge_policies[j]];
		uint64_t t;

		if (!p->merge || !p->merge[in->worker])
			continue;
		t = redundancy_merge_tick(p->merge[in->worker], now,
					  &p->in_counters[in->worker * p->n_inputs], deliver_merged,
					  in, s->merge_policies[j]);
		if (t && (!next || t < next))
			next = t;
	}
	egress_flush(in->egress);
	return next;
}

/* When datagram m arrived, on CLOCK_MONOTONIC in ns: the kernel's receive time (SO_TIMESTAMPNS,
 * CLOCK_REALTIME) moved onto the monotonic clock by the batch's read time on both clocks, so
 * that the datagrams of one batch keep their own times (the jitter and gaps of the stream
 * analysis); the read time itself without a stamp. */
static uint64_t arrival_mono_ns(const struct ingress *in, const struct ipv4opt_message *m,
				uint64_t now_mono, uint64_t now_rt)
{
	const struct timespec *ts = &in->stamps[m - in->rx];
	uint64_t mono = now_mono * 1000, rt = now_rt * 1000, st;

	if (ts->tv_sec <= 0)
		return mono;
	st = (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
	if (st >= rt || rt - st >= mono)
		return mono;
	return mono - (rt - st);
}

/* One policy's part of a datagram whose source it takes. */
static void handle_policy(struct ingress *in, const struct snapshot *s,
			  const struct snapshot_sock *k, const struct snapshot_route *rt,
			  const struct snapshot_policy *p, const struct ipv4opt_message *m,
			  uint32_t ovfl, uint64_t now_mono, uint64_t now_rt)
{
	struct counters_policy *c = &p->counters[in->worker];

	if (ovfl)
		COUNTER_ADD(c->drops[COUNTERS_DROP_RXQ_OVERFLOW], ovfl);
	COUNTER_ADD(c->packets_in, 1);
	COUNTER_ADD(c->bytes_in, m->n);
	COUNTER_SET(c->last_source,
		    (uint64_t)m->addr.sin_addr.s_addr << 16 | ntohs(m->addr.sin_port));
	COUNTER_SET(c->last_realtime, now_rt);
	COUNTER_SET(c->last_mono, now_mono);
	if (m->n > c->max_datagram)
		COUNTER_SET(c->max_datagram, m->n);
	rate_window(c, now_mono);

	if (m->truncated) {
		COUNTER_ADD(c->drops[COUNTERS_DROP_TRUNCATED], 1);
		return;
	}
	if (snapshot_is_own_output(s, m->addr.sin_addr.s_addr, ntohs(m->addr.sin_port))) {
		COUNTER_ADD(c->drops[COUNTERS_DROP_LOOP], 1);
		COUNTER_ADD(in->counters->loops, 1);
		return;
	}
	if (p->redundancy != POLICY_REDUNDANCY_NONE &&
	    !redundancy_stage(in, s, k, rt, p, m, now_mono, now_rt))
		return;
	/* The stream-analysis stage (analyze.h), before the datagram is handed on. */
	if (p->analyze && analyze_feed(&p->analyze[in->worker], m->addr.sin_addr.s_addr, m->buf,
				       m->n, arrival_mono_ns(in, m, now_mono, now_rt)))
		in->notify = true;

	switch (p->action) {
	case POLICY_ACTION_RELAY:
		relay_outputs(in, p, c, m->buf, m->n, &m->cm);
		return;
	case POLICY_ACTION_LOG:
		handle_log(in, k, p, c, m, now_rt);
		return;
	case POLICY_ACTION_MONITOR:
		return; /* analysed above; nothing is sent */
	case POLICY_ACTION_JOIN:
	case _POLICY_ACTION_MAX:
	case _POLICY_ACTION_INVALID:
		return;
	}
}

static void handle(struct ingress *in, const struct snapshot *s, const struct snapshot_sock *k,
		   const struct ipv4opt_message *m, uint64_t now_mono, uint64_t now_rt)
{
	const struct snapshot_route *rt = NULL, *end = k->routes + k->n_routes;
	bool taken = false;
	uint32_t ovfl = 0;

	if ((m->cm.flags & (IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX)) ==
	    (IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX))
		rt = snapshot_route_lookup(k, m->cm.dst.s_addr, m->cm.ifindex);
	if ((m->cm.flags & IPV4OPT_CM_RXQ_OVFL) && m->cm.rxq_ovfl != k->state->rxq_ovfl) {
		/* Cumulative per socket; the datagrams lost are not known, so the loss goes to
		 * the policy of the datagram that reports it. */
		ovfl = m->cm.rxq_ovfl - k->state->rxq_ovfl;
		k->state->rxq_ovfl = m->cm.rxq_ovfl;
		COUNTER_ADD(in->counters->rxq_overflow, ovfl);
	}
	/* Each policy holding (destination, arrival interface) whose sources take it: the
	 * receive socket has no filter of its own (relay.h), the host's memberships let in the
	 * union of every policy's sources on the group. */
	for (; rt && rt < end && rt->group == m->cm.dst.s_addr && rt->ifindex == m->cm.ifindex;
	     rt++) {
		const struct snapshot_policy *p = &s->policies[rt->policy];

		if (!source_allowed(p, m->addr.sin_addr))
			continue;
		handle_policy(in, s, k, rt, p, m, taken ? 0 : ovfl, now_mono, now_rt);
		taken = true;
	}
	if (!taken)
		COUNTER_ADD(in->counters->unmatched, 1);
}

size_t ingress_drain(struct ingress *in, const struct snapshot *s, const struct snapshot_sock *k,
		     bool *ret_full)
{
	size_t total = 0;

	*ret_full = false;
	while (total < INGRESS_BUDGET) {
		uint64_t now_mono, now_rt;
		int n;

		for (size_t i = 0; i < INGRESS_BATCH; i++)
			in->rx[i].len = INGRESS_BUF_SIZE;
		n = ipv4opt_recv_batch_stamped(k->fd, in->rx, INGRESS_BATCH, MSG_DONTWAIT,
					       in->stamps);
		if (n < 0) {
			if (n != -EAGAIN && n != -EINTR)
				COUNTER_ADD(in->counters->receive_errors, 1);
			break;
		}
		now_mono = clock_now_usec(CLOCK_MONOTONIC);
		now_rt = clock_now_usec(CLOCK_REALTIME);
		for (int i = 0; i < n; i++)
			handle(in, s, k, &in->rx[i], now_mono, now_rt);
		/* The batch's buffers are reused by the next read: sent first. */
		egress_flush(in->egress);
		total += (size_t)n;
		*ret_full = n == INGRESS_BATCH;
		if (n < INGRESS_BATCH)
			break; /* drained */
	}
	return total;
}
