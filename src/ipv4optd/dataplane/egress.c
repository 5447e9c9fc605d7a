/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "egress.h"
#include "ipv4opt.h"
#include "macro.h"

#define EGRESS_MAX_MSGS 256       /* messages per flush */
#define EGRESS_MAX_SEGS 64        /* datagrams per GSO message (UDP_MAX_SEGMENTS of older kernels) */
#define EGRESS_GSO_MAX_BYTES 65000 /* one IPv4 packet before segmentation */
#define EGRESS_GSO_LOOKBACK 8     /* queued messages a datagram may join */
#define EGRESS_SNDBUF (4 * 1024 * 1024)
#define EGRESS_NOTIFY_USEC (10 * 1000 * 1000ULL) /* errors: the control plane logs them */

/* IP_PKTINFO, IP_TOS, IP_TTL, UDP_SEGMENT */
#define EGRESS_CMSG_SPACE                                                                  \
	(CMSG_SPACE(sizeof(struct in_pktinfo)) + 2 * CMSG_SPACE(sizeof(int)) +             \
	 CMSG_SPACE(sizeof(uint16_t)))

struct pending {
	const struct snapshot_policy *policy;
	size_t output;
	size_t segs;             /* datagrams in this message */
	size_t seg_size;         /* each but the last (which may be shorter) */
	size_t bytes;
	uint8_t tos;
	bool closed;             /* a shorter datagram ended the run */
};

struct egress {
	unsigned worker;
	int fd;
	uint16_t port;
	bool gso;                /* UDP_SEGMENT works here */
	size_t gso_max_size;     /* datagrams up to this size go by GSO */
	bool notify;
	size_t n;
	struct pending pend[EGRESS_MAX_MSGS];
	struct mmsghdr msgs[EGRESS_MAX_MSGS];
	struct iovec iov[EGRESS_MAX_MSGS][EGRESS_MAX_SEGS];
	union {
		struct cmsghdr align;
		uint8_t b[EGRESS_CMSG_SPACE];
	} control[EGRESS_MAX_MSGS];
};

int egress_new(unsigned worker, struct egress **ret)
{
	static const struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	_cleanup_close_ int fd = -1;
	struct egress *e;
	int v = EGRESS_SNDBUF, k;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A port of our own, known before the first datagram: what comes back from one of our
	 * addresses and this port is our output (loop protection). */
	if (bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;
	if (getsockname(fd, (struct sockaddr *)&sin, &sl) < 0)
		return -errno;
	/* The socket only sends: whatever reaches its port is dropped before it is queued. */
	k = ipv4opt_attach_filter(fd, drop_all, ELEMENTSOF(drop_all));
	if (k < 0)
		return k;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	/* The host never hears its own output (kernel-facts.md). */
	k = ipv4opt_set_multicast_loop(fd, false);
	if (k < 0)
		return k;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->worker = worker;
	e->port = ntohs(sin.sin_port);
	e->gso = true;
	e->gso_max_size = UINT16_MAX;
	e->fd = TAKE_FD(fd);
	*ret = e;
	return 0;
}

struct egress *egress_free(struct egress *e)
{
	if (!e)
		return NULL;
	safe_close(e->fd);
	free(e);
	return NULL;
}

uint16_t egress_get_port(const struct egress *e)
{
	return e->port;
}

bool egress_take_notify(struct egress *e)
{
	bool n = e->notify;

	e->notify = false;
	return n;
}

static struct counters_policy *pcounters(const struct egress *e, const struct pending *q)
{
	return &q->policy->counters[e->worker];
}

static struct counters_output *ocounters(const struct egress *e, const struct pending *q)
{
	return &q->policy->out_counters[e->worker * q->policy->n_outputs + q->output];
}

static void count_drop(struct egress *e, const struct pending *q, size_t segs, int err)
{
	struct counters_policy *c = pcounters(e, q);
	uint64_t now;

	COUNTER_ADD(c->drops[counters_drop_from_errno(err)], segs);
	COUNTER_ADD(ocounters(e, q)->dropped, segs);
	COUNTER_SET(c->last_error, err);
	COUNTER_ADD(c->errors, 1);
	now = clock_now_usec(CLOCK_MONOTONIC);
	if (now >= c->notify_usec + EGRESS_NOTIFY_USEC) {
		COUNTER_SET(c->notify_usec, now);
		e->notify = true;
	}
}

static void count_sent(struct egress *e, const struct pending *q, size_t segs, size_t bytes)
{
	struct counters_policy *c = pcounters(e, q);
	struct counters_output *o = ocounters(e, q);

	COUNTER_ADD(c->packets_out, segs);
	COUNTER_ADD(c->bytes_out, bytes);
	COUNTER_ADD(o->packets, segs);
	COUNTER_ADD(o->bytes, bytes);
}

static bool same_output(const struct pending *q, const struct snapshot_policy *p, size_t o,
			uint8_t tos)
{
	return q->policy == p && q->output == o && q->tos == tos;
}

/* Writes message i's control data: egress index, TOS, TTL, and the segment size when it holds
 * more than one datagram. */
static void marshal(struct egress *e, size_t i)
{
	const struct pending *q = &e->pend[i];
	const struct snapshot_output *out = &q->policy->outputs[q->output];
	struct msghdr *mh = &e->msgs[i].msg_hdr;
	struct cmsghdr *cm;
	size_t len = 0;
	int v;

	/* Laid out by hand: CMSG_NXTHDR reads the next header's (stale) length. */
	mh->msg_control = e->control[i].b;
	cm = (struct cmsghdr *)(void *)e->control[i].b;
	if (out->ifindex > 0) {
		struct in_pktinfo pi = { .ipi_ifindex = out->ifindex };

		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		len += CMSG_SPACE(sizeof(pi));
		cm = (struct cmsghdr *)(void *)(e->control[i].b + len);
	}
	v = q->tos;
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_TOS;
	cm->cmsg_len = CMSG_LEN(sizeof(v));
	memcpy(CMSG_DATA(cm), &v, sizeof(v));
	len += CMSG_SPACE(sizeof(v));
	cm = (struct cmsghdr *)(void *)(e->control[i].b + len);
	if (out->ttl >= 0) {
		v = out->ttl;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_TTL;
		cm->cmsg_len = CMSG_LEN(sizeof(v));
		memcpy(CMSG_DATA(cm), &v, sizeof(v));
		len += CMSG_SPACE(sizeof(v));
		cm = (struct cmsghdr *)(void *)(e->control[i].b + len);
	}
	if (q->segs > 1) {
		uint16_t seg = (uint16_t)q->seg_size;

		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
		len += CMSG_SPACE(sizeof(seg));
	}
	mh->msg_controllen = len;
	mh->msg_name = (void *)&out->to;
	mh->msg_namelen = sizeof(out->to);
	mh->msg_iov = e->iov[i];
	mh->msg_iovlen = q->segs;
	mh->msg_flags = 0;
}

void egress_queue(struct egress *e, const struct snapshot_policy *p, size_t o, const void *buf,
		  size_t len, uint8_t tos)
{
	struct pending *q;

	/* Joins a queued message of the same output: equal sizes, the last may be shorter. */
	if (e->gso && len > 0 && len <= e->gso_max_size) {
		size_t from = e->n > EGRESS_GSO_LOOKBACK ? e->n - EGRESS_GSO_LOOKBACK : 0;

		for (size_t i = e->n; i-- > from;) {
			q = &e->pend[i];
			if (!same_output(q, p, o, tos))
				continue;
			if (q->closed || q->segs >= EGRESS_MAX_SEGS || len > q->seg_size ||
			    q->bytes + len > EGRESS_GSO_MAX_BYTES)
				break;
			e->iov[i][q->segs++] = (struct iovec){ .iov_base = (void *)buf, .iov_len = len };
			q->bytes += len;
			q->closed = len < q->seg_size;
			return;
		}
	}
	if (e->n == EGRESS_MAX_MSGS)
		egress_flush(e);
	q = &e->pend[e->n];
	*q = (struct pending){ .policy = p, .output = o, .segs = 1, .seg_size = len, .bytes = len,
			       .tos = tos };
	e->iov[e->n][0] = (struct iovec){ .iov_base = (void *)buf, .iov_len = len };
	e->n++;
}

/* Message i, a GSO one the kernel refused for its size or path: each datagram on its own, and
 * GSO off for what failed (EIO: no checksum offload below; EINVAL: larger than the MTU). */
static void send_unsegmented(struct egress *e, size_t i, int err)
{
	struct pending *q = &e->pend[i];
	struct iovec iov[EGRESS_MAX_SEGS];
	size_t segs = q->segs;

	if (err == -EIO || q->seg_size <= 1)
		e->gso = false;
	else if (q->seg_size - 1 < e->gso_max_size)
		e->gso_max_size = q->seg_size - 1;
	memcpy(iov, e->iov[i], segs * sizeof(*iov));
	for (size_t s = 0; s < segs; s++) {
		q->segs = 1;
		q->seg_size = iov[s].iov_len;
		e->iov[i][0] = iov[s];
		marshal(e, i);
		if (sendmsg(e->fd, &e->msgs[i].msg_hdr, MSG_DONTWAIT) < 0)
			count_drop(e, q, 1, -errno);
		else
			count_sent(e, q, 1, iov[s].iov_len);
	}
}

void egress_flush(struct egress *e)
{
	size_t i = 0, n = e->n;

	for (size_t j = 0; j < n; j++)
		marshal(e, j);
	e->n = 0;
	while (i < n) {
		int k = sendmmsg(e->fd, e->msgs + i, (unsigned)(n - i), MSG_DONTWAIT);
		int err;

		if (k > 0) {
			for (size_t j = i; j < i + (size_t)k; j++)
				count_sent(e, &e->pend[j], e->pend[j].segs, e->pend[j].bytes);
			i += (size_t)k;
			continue;
		}
		err = k < 0 ? -errno : -EIO;
		if (err == -EAGAIN || err == -ENOBUFS || err == -ENOMEM) {
			/* The queue below is full: the rest would fail too. */
			for (; i < n; i++)
				count_drop(e, &e->pend[i], e->pend[i].segs, err);
			return;
		}
		if (e->pend[i].segs > 1 &&
		    (err == -EINVAL || err == -EIO || err == -EOPNOTSUPP || err == -EMSGSIZE)) {
			send_unsegmented(e, i, err);
			i++;
			continue;
		}
		count_drop(e, &e->pend[i], e->pend[i].segs, err);
		i++;
	}
}
