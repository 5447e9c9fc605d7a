/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "capture.h"
#include "ctlproto.h"
#include "ipv4opt.h"
#include "log.h"
#include "macro.h"
#include "relay.h"


#define RELAY_BATCH 64                     /* datagrams per recvmmsg / per policy sendmmsg */
#define RELAY_BUDGET 1024                  /* datagrams per socket before yielding */
#define RELAY_BUF_SIZE 65536               /* the largest UDP payload over IPv4 fits */
#define RELAY_COALESCE_BELOW RELAY_BATCH   /* a drain smaller than this waits before the next */
#define RELAY_SNDBUF (4 * 1024 * 1024)
#define RELAY_RATE_WINDOW_USEC (1000 * 1000ULL)
#define RELAY_LOG_INTERVAL_USEC (10 * 1000 * 1000ULL) /* per-packet problems, per policy */
#define RELAY_MAX_LOCAL_ADDRS 4096
#define RELAY_GSO_MAX_SEGS 64              /* UDP_MAX_SEGMENTS of older kernels */
#define RELAY_GSO_MAX_BYTES 65000          /* one IPv4 packet before segmentation */

enum relay_drop {
	RELAY_DROP_TRUNCATED,        /* longer than the buffer (MSG_TRUNC) */
	RELAY_DROP_RXQ_OVERFLOW,     /* the kernel's receive queue was full (SO_RXQ_OVFL) */
	RELAY_DROP_SEND_EAGAIN,      /* send buffer full */
	RELAY_DROP_SEND_ENOBUFS,     /* no memory or queue full below the socket */
	RELAY_DROP_SEND_UNREACHABLE, /* no route, ICMP unreachable reported */
	RELAY_DROP_SEND_OTHER,
	RELAY_DROP_NO_INTERFACE,     /* the egress interface does not exist now */
	RELAY_DROP_FILTERED,         /* source not allowed by the policy */
	RELAY_DROP_LOOP,             /* our own output coming back */
	RELAY_DROP_WRITE_ERROR,      /* log to a pcap file: the file cannot be written */
	_RELAY_DROP_MAX,
};

static const char *const drop_names[_RELAY_DROP_MAX] = {
	[RELAY_DROP_TRUNCATED] = "truncated",
	[RELAY_DROP_RXQ_OVERFLOW] = "rxq_overflow",
	[RELAY_DROP_SEND_EAGAIN] = "send_eagain",
	[RELAY_DROP_SEND_ENOBUFS] = "send_enobufs",
	[RELAY_DROP_SEND_UNREACHABLE] = "send_unreachable",
	[RELAY_DROP_SEND_OTHER] = "send_other",
	[RELAY_DROP_NO_INTERFACE] = "no_interface",
	[RELAY_DROP_FILTERED] = "filtered",
	[RELAY_DROP_LOOP] = "loop",
	[RELAY_DROP_WRITE_ERROR] = "write_error",
};

struct snapshot {
	uint64_t usec; /* CLOCK_MONOTONIC */
	uint64_t packets, bytes;
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

	/* relay */
	int send_fd;
	uint16_t send_port;            /* local port of send_fd (loop protection) */
	int egress_ifindex;            /* 0: by route */
	bool egress_ok;
	int egress_error;              /* last one logged */
	int sock_tos;                  /* IP_TOS set on send_fd */
	bool gso;                      /* UDP_SEGMENT works on this path */
	size_t gso_max_size;           /* datagrams up to this size go by GSO */
	struct ipv4opt_message *outq;  /* this batch's datagrams for send_fd */
	size_t n_out;
	struct rpolicy *pnext;         /* policies with datagrams queued in this batch */
	bool pending;

	/* log */
	struct capture *capture;

	/* counters */
	uint64_t packets_in, bytes_in, packets_out, bytes_out;
	uint64_t max_datagram;         /* the largest payload received, bytes */
	uint64_t drops[_RELAY_DROP_MAX];
	struct sockaddr_in last_source;
	uint64_t last_realtime;        /* CLOCK_REALTIME usec of the last datagram; 0: none */
	uint64_t last_mono;            /* CLOCK_MONOTONIC, for stall detection */
	struct snapshot snap[2];       /* [0]: start of the current rate window, [1]: previous */
	uint64_t stalls, rejoins;

	/* stall recovery and periodic rejoin */
	bool stalled;
	uint64_t stall_ref;            /* CLOCK_MONOTONIC: start, or the last stall rejoin */
	sd_event_source *stall_timer;
	sd_event_source *rejoin_timer;

	/* per-packet problems are logged at most every RELAY_LOG_INTERVAL_USEC */
	uint64_t log_next;
	uint64_t log_suppressed;
};

/* (group, arrival interface) -> policy, for one socket. */
struct route {
	in_addr_t group;
	int ifindex;
	struct rpolicy *rp;
};

struct rsock {
	struct relay *relay;
	int fd;
	uint16_t port;
	sd_event_source *io;           /* off while coalesce is armed */
	sd_event_source *coalesce;     /* one-shot: the next drain after a small one */
	uint64_t coalesce_max_usec;    /* what the receive buffer holds of a 10 Gb/s burst */
	uint32_t rxq_ovfl;             /* the kernel's cumulative count, as last seen */
	struct route *routes;          /* sorted by group, ifindex */
	size_t n_routes, cap_routes;
	size_t last_hit;
};

struct relay {
	sd_event *event;
	struct members *members;
	const struct links *links;
	const struct config *config;

	struct rsock **by_fd;          /* data sockets, indexed by fd */
	size_t n_by_fd;
	size_t n_socks;

	struct rpolicy *head;
	struct rpolicy **buckets;
	size_t n_buckets, n_policies;

	uint64_t generation;           /* members_generation() the routes were built for */
	bool dirty;                    /* rebuild the routes before the next datagram */

	struct ipv4opt_message *rx;
	uint8_t *rxbuf;
	struct rpolicy *pending;

	uint8_t send_ports[65536 / 8]; /* local ports of send sockets */
	in_addr_t *local;              /* the host's addresses, sorted */
	size_t n_local;
	bool local_dirty;              /* addresses changed: read again when next needed */

	uint64_t unmatched;            /* datagrams on data sockets that no policy claimed */
	uint64_t loops;
	uint64_t rxq_overflow;
	uint64_t receive_errors;
};

static int rpolicy_set_up(struct relay *r, struct rpolicy *rp);

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

static uint64_t now_usec(struct relay *r, clockid_t clock)
{
	uint64_t t = 0;

	(void)sd_event_now(r->event, clock, &t);
	return t;
}

static bool is_multicast(in_addr_t a)
{
	return IN_MULTICAST(ntohl(a));
}

static void port_mark(struct relay *r, uint16_t port, bool on)
{
	if (on)
		r->send_ports[port / 8] |= (uint8_t)(1u << (port % 8));
	else
		r->send_ports[port / 8] &= (uint8_t)~(1u << (port % 8));
}

static bool port_is_ours(const struct relay *r, uint16_t port)
{
	return r->send_ports[port / 8] & (1u << (port % 8));
}

static int cmp_addr(const void *a, const void *b)
{
	uint32_t x = ntohl(*(const in_addr_t *)a), y = ntohl(*(const in_addr_t *)b);

	return x < y ? -1 : x > y;
}

static void local_addresses_refresh(struct relay *r);

static bool addr_is_local(struct relay *r, in_addr_t a)
{
	/* Read lazily: only a datagram from one of our send ports asks, and an interface
	 * storm does not cost an address dump per event. */
	if (r->local_dirty)
		local_addresses_refresh(r);
	return bsearch(&a, r->local, r->n_local, sizeof(*r->local), cmp_addr) != NULL;
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
			v[n++] = ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(ifa);
	qsort(v, n, sizeof(*v), cmp_addr);
	free(r->local);
	r->local = v;
	r->n_local = n;
}

static const char *addr_port_str(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* Policies by name                                                                            */

static size_t name_hash(const struct relay *r, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (size_t)(h % r->n_buckets);
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

static int rehash(struct relay *r)
{
	size_t nb = r->n_buckets ? r->n_buckets * 4 : 64;
	struct rpolicy **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	free(r->buckets);
	r->buckets = b;
	r->n_buckets = nb;
	for (struct rpolicy *rp = r->head; rp; rp = rp->next) {
		size_t i = name_hash(r, rp->name);

		rp->hnext = b[i];
		b[i] = rp;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Per-packet problems: counted always, logged at most every RELAY_LOG_INTERVAL_USEC           */

static void rpolicy_log_drop(struct relay *r, struct rpolicy *rp, int err, const char *what)
{
	uint64_t now = now_usec(r, CLOCK_MONOTONIC);
	struct log_ctx ctx = { .policy = rp->name };

	if (now < rp->log_next) {
		rp->log_suppressed++;
		return;
	}
	if (rp->log_suppressed > 0)
		log_full_errno(LOG_WARNING, err, &ctx,
			       "Policy %s: %s: %m (%" PRIu64 " more since the last message)",
			       rp->name, what, rp->log_suppressed);
	else
		log_full_errno(LOG_WARNING, err, &ctx, "Policy %s: %s: %m", rp->name, what);
	rp->log_next = now + RELAY_LOG_INTERVAL_USEC;
	rp->log_suppressed = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Sending                                                                                     */

static bool relay_conf_equal(const struct relay_output *a, const struct relay_output *b)
{
	return a->to.sin_addr.s_addr == b->to.sin_addr.s_addr && a->to.sin_port == b->to.sin_port &&
	       streq(a->interface, b->interface) && a->has_dscp == b->has_dscp &&
	       a->dscp == b->dscp && a->ttl == b->ttl;
}

static void send_close(struct relay *r, struct rpolicy *rp)
{
	if (rp->send_fd < 0)
		return;
	port_mark(r, rp->send_port, false);
	rp->send_fd = safe_close(rp->send_fd);
	rp->send_port = 0;
	rp->egress_ok = false;
}

/* Points the send socket at relay.to out the egress interface as it is now. gone_ifindex: an
 * interface being deleted (still listed during its DEL event). Logs changes only. */
static void send_egress(struct relay *r, struct rpolicy *rp, int gone_ifindex)
{
	const struct relay_output *rc = &rp->conf->outputs[0];
	bool mcast = is_multicast(rc->to.sin_addr.s_addr);
	struct log_ctx ctx = { .policy = rp->name, .ifname = rc->interface };
	char to[32];
	int ifindex = 0, k = 0;

	if (rp->send_fd < 0)
		return;
	addr_port_str(&rc->to, to, sizeof(to));
	if (rc->interface[0]) {
		const struct link *l = r->links ? links_get_by_name(r->links, rc->interface) : NULL;

		if (!l || l->ifindex == gone_ifindex) {
			if (rp->egress_ok || rp->egress_error != -ENODEV)
				log_full_errno(LOG_WARNING, 0, &ctx,
					       "Policy %s: egress interface %s is not there: "
					       "dropping until it is", rp->name, rc->interface);
			rp->egress_ok = false;
			rp->egress_error = -ENODEV;
			rp->egress_ifindex = 0;
			return;
		}
		ifindex = l->ifindex;
		/* By index: IP_MULTICAST_IF for a group, IP_UNICAST_IF (no privilege needed,
		 * unlike SO_BINDTODEVICE) for a unicast destination. */
		k = mcast ? ipv4opt_set_multicast_if(rp->send_fd, ifindex) :
			    ipv4opt_set_unicast_if(rp->send_fd, ifindex);
	}
	/* Connected: the route is looked up once, not per datagram, and an ICMP unreachable
	 * comes back as an error of the next send. Disconnected first: connect() keeps the
	 * source address it chose the first time, which may be gone. */
	if (k >= 0) {
		struct sockaddr unspec = { .sa_family = AF_UNSPEC };
		struct sockaddr_in sin;
		socklen_t sl = sizeof(sin);

		(void)connect(rp->send_fd, &unspec, sizeof(unspec));
		if (connect(rp->send_fd, (const struct sockaddr *)&rc->to, sizeof(rc->to)) < 0)
			k = -errno;
		/* A disconnect may release the port (bound to 0): keep loop protection on the
		 * port in use now. */
		if (getsockname(rp->send_fd, (struct sockaddr *)&sin, &sl) == 0 &&
		    ntohs(sin.sin_port) != rp->send_port) {
			port_mark(r, rp->send_port, false);
			rp->send_port = ntohs(sin.sin_port);
			port_mark(r, rp->send_port, true);
		}
	}
	if (k < 0) {
		if (rp->egress_ok || rp->egress_error != k)
			log_full_errno(LOG_WARNING, k, &ctx,
				       "Policy %s: cannot send to %s%s%s: %m; dropping until a "
				       "link or address change", rp->name, to,
				       ifindex ? " out " : "", ifindex ? rc->interface : "");
		rp->egress_ok = false;
		rp->egress_error = k;
		return;
	}
	if (!rp->egress_ok || rp->egress_ifindex != ifindex)
		log_full_errno(LOG_INFO, 0, &ctx, "Policy %s: relaying to %s out %s (index %d)",
			       rp->name, to, ifindex ? rc->interface : "the route's interface",
			       ifindex);
	rp->egress_ok = true;
	rp->egress_error = 0;
	rp->egress_ifindex = ifindex;
}

static int send_open(struct relay *r, struct rpolicy *rp)
{
	static const struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	const struct relay_output *rc = &rp->conf->outputs[0];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	_cleanup_close_ int fd = -1;
	int v = RELAY_SNDBUF, k;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A port of our own, known before the first datagram: what comes back from one of our
	 * addresses and one of these ports is our output (loop protection, no TTL or DSCP
	 * games). */
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
	if (rc->ttl >= 0) {
		k = is_multicast(rc->to.sin_addr.s_addr) ? ipv4opt_set_multicast_ttl(fd, rc->ttl) :
							   ipv4opt_set_ttl(fd, rc->ttl);
		if (k < 0)
			return k;
	}
	rp->sock_tos = 0;
	if (rc->has_dscp) {
		k = ipv4opt_set_tos(fd, ipv4opt_tos_compose(rc->dscp, 0));
		if (k < 0)
			return k;
		rp->sock_tos = ipv4opt_tos_compose(rc->dscp, 0);
	}
	rp->gso = true;
	rp->gso_max_size = RELAY_BUF_SIZE;
	rp->send_fd = TAKE_FD(fd);
	rp->send_port = ntohs(sin.sin_port);
	port_mark(r, rp->send_port, true);
	rp->egress_ok = false;
	rp->egress_error = 1; /* log the first outcome whatever it is */
	send_egress(r, rp, 0);
	return 0;
}

static enum relay_drop send_error_reason(int err)
{
	switch (-err) {
	case EAGAIN:
		return RELAY_DROP_SEND_EAGAIN;
	case ENOBUFS:
	case ENOMEM:
		return RELAY_DROP_SEND_ENOBUFS;
	case ECONNREFUSED:
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EADDRNOTAVAIL:
	case ENODEV:
	case ENXIO:
		return RELAY_DROP_SEND_UNREACHABLE;
	default:
		return RELAY_DROP_SEND_OTHER;
	}
}

/* How many datagrams from i on can go out as one UDP GSO send: equal sizes (the last may be
 * shorter), within the kernel's segment and packet limits. */
static size_t gso_run(const struct rpolicy *rp, size_t i, size_t j)
{
	size_t seg = rp->outq[i].len, total = seg, k = i + 1;

	if (!rp->gso || seg == 0 || seg > rp->gso_max_size)
		return 1;
	while (k < j && k - i < RELAY_GSO_MAX_SEGS && total + rp->outq[k].len <= RELAY_GSO_MAX_BYTES &&
	       rp->outq[k].len <= seg && rp->outq[k].len > 0) {
		total += rp->outq[k].len;
		if (rp->outq[k++].len < seg)
			break; /* a shorter one ends the run */
	}
	return k - i;
}

/* One sendmsg of n datagrams with UDP_SEGMENT (Linux 4.18): the stack is traversed once for
 * all of them and the packet is cut into the original datagrams below, on the wire as if
 * sent one by one. Returns 0 or -errno. */
static int send_gso(struct rpolicy *rp, size_t i, size_t n)
{
	struct iovec iov[RELAY_GSO_MAX_SEGS];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(uint16_t))];
	} control = {};
	struct msghdr mh = {
		.msg_iov = iov,
		.msg_iovlen = n,
		.msg_control = control.b,
		.msg_controllen = sizeof(control.b),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	uint16_t seg = (uint16_t)rp->outq[i].len;

	for (size_t k = 0; k < n; k++)
		iov[k] = (struct iovec){ .iov_base = rp->outq[i + k].buf,
					 .iov_len = rp->outq[i + k].len };
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	if (sendmsg(rp->send_fd, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

/* Sends datagrams [i, j) with sendmmsg. Returns the index reached; a full queue below
 * (EAGAIN, ENOBUFS) returns SIZE_MAX after counting the rest of the batch (n) as dropped. */
static size_t send_mmsg(struct relay *r, struct rpolicy *rp, size_t i, size_t j, size_t n)
{
	while (i < j) {
		int k = ipv4opt_send_batch(rp->send_fd, rp->outq + i, j - i, MSG_DONTWAIT);
		enum relay_drop reason;

		if (k > 0) {
			for (size_t s = i; s < i + (size_t)k; s++)
				rp->bytes_out += rp->outq[s].n;
			rp->packets_out += (uint64_t)k;
			i += (size_t)k;
			continue;
		}
		reason = send_error_reason(k);
		if (reason == RELAY_DROP_SEND_EAGAIN || reason == RELAY_DROP_SEND_ENOBUFS) {
			/* The queue below is full: the rest of the batch would fail too. */
			rp->drops[reason] += n - i;
			rpolicy_log_drop(r, rp, k, "send queue full, datagrams dropped");
			return SIZE_MAX;
		}
		rp->drops[reason]++;
		rpolicy_log_drop(r, rp, k, "failed to send");
		i++;
	}
	return i;
}

/* Sends this batch's datagrams of one policy on its connected socket. Runs of equal TOS share
 * the socket's IP_TOS: a per-packet IP_TOS control message would make the kernel look the
 * route up for every datagram. Within a run, datagrams of equal size go out by UDP GSO, the
 * others by sendmmsg. What the kernel refuses is dropped and counted: nothing waits for a
 * slow destination. */
static void rpolicy_send(struct relay *r, struct rpolicy *rp)
{
	size_t i = 0, n = rp->n_out;

	rp->n_out = 0;
	while (i < n) {
		int tos = rp->outq[i].cm.tos;
		size_t j = i + 1;

		while (j < n && rp->outq[j].cm.tos == tos)
			j++;
		if (tos != rp->sock_tos) {
			int k = ipv4opt_set_tos(rp->send_fd, tos);

			if (k < 0) {
				rp->drops[RELAY_DROP_SEND_OTHER] += j - i;
				rpolicy_log_drop(r, rp, k, "failed to set the TOS byte");
				i = j;
				continue;
			}
			rp->sock_tos = tos;
		}
		while (i < j) {
			size_t g = gso_run(rp, i, j), m;
			int k;

			if (g < 2) {
				/* Up to where a GSO run starts. */
				for (m = i + 1; m < j && gso_run(rp, m, j) < 2; m++)
					;
				i = send_mmsg(r, rp, i, m, n);
				if (i == SIZE_MAX)
					return;
				continue;
			}
			k = send_gso(rp, i, g);
			if (k == 0) {
				for (size_t s = i; s < i + g; s++) {
					rp->outq[s].n = rp->outq[s].len;
					rp->bytes_out += rp->outq[s].len;
				}
				rp->packets_out += g;
				i += g;
				continue;
			}
			if (k == -EINVAL || k == -EIO || k == -EOPNOTSUPP || k == -EMSGSIZE) {
				/* Larger than the path MTU (EINVAL), or no checksum offload below
				 * (EIO): this size, or this path, goes by sendmmsg from now on. */
				if (k == -EIO || rp->outq[i].len <= 1)
					rp->gso = false;
				else
					rp->gso_max_size = rp->outq[i].len - 1;
				continue;
			}
			switch (send_error_reason(k)) {
			case RELAY_DROP_SEND_EAGAIN:
			case RELAY_DROP_SEND_ENOBUFS:
				rp->drops[send_error_reason(k)] += n - i;
				rpolicy_log_drop(r, rp, k, "send queue full, datagrams dropped");
				return;
			case RELAY_DROP_SEND_UNREACHABLE:
			case RELAY_DROP_SEND_OTHER:
			case RELAY_DROP_TRUNCATED:
			case RELAY_DROP_RXQ_OVERFLOW:
			case RELAY_DROP_NO_INTERFACE:
			case RELAY_DROP_FILTERED:
			case RELAY_DROP_LOOP:
			case RELAY_DROP_WRITE_ERROR:
			case _RELAY_DROP_MAX:
				break;
			}
			rp->drops[send_error_reason(k)] += g;
			rpolicy_log_drop(r, rp, k, "failed to send");
			i += g;
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Receiving                                                                                   */

static int cmp_route(const void *a, const void *b)
{
	const struct route *x = a, *y = b;
	uint32_t gx = ntohl(x->group), gy = ntohl(y->group);

	if (gx != gy)
		return gx < gy ? -1 : 1;
	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

static int route_add(struct rsock *rs, in_addr_t group, int ifindex, struct rpolicy *rp)
{
	if (rs->n_routes == rs->cap_routes) {
		size_t nc = rs->cap_routes ? rs->cap_routes * 2 : 32;
		struct route *v = reallocarray(rs->routes, nc, sizeof(*v));

		if (!v)
			return -ENOMEM;
		rs->routes = v;
		rs->cap_routes = nc;
	}
	rs->routes[rs->n_routes++] = (struct route){ group, ifindex, rp };
	return 0;
}

/* Which policy each socket's memberships belong to, from the membership engine. */
static void routes_rebuild(struct relay *r)
{
	for (size_t i = 0; i < r->n_by_fd; i++)
		if (r->by_fd[i])
			r->by_fd[i]->n_routes = 0;
	for (const struct member *mb = r->members ? members_first(r->members) : NULL; mb;
	     mb = members_next(mb)) {
		struct rpolicy *rp;

		if (mb->port == 0 || mb->state != MEMBER_STATE_JOINED ||
		    mb->origin != MEMBER_ORIGIN_CONFIG)
			continue; /* runtime joins with a port have no consumer: unmatched */
		rp = rpolicy_find(r, mb->policy);
		if (!rp || rp->conf->action == POLICY_ACTION_JOIN)
			continue;
		for (size_t i = 0; i < mb->n_holds; i++) {
			int fd = member_hold_fd(mb, i);
			struct rsock *rs = fd >= 0 && (size_t)fd < r->n_by_fd ? r->by_fd[fd] : NULL;

			if (rs && route_add(rs, mb->group.s_addr, mb->ifindex, rp) < 0)
				log_error_errno(ENOMEM, "Failed to map %s's socket: %m", mb->policy);
		}
	}
	for (size_t i = 0; i < r->n_by_fd; i++)
		if (r->by_fd[i]) {
			struct rsock *rs = r->by_fd[i];

			qsort(rs->routes, rs->n_routes, sizeof(*rs->routes), cmp_route);
			rs->last_hit = 0;
		}
	r->generation = r->members ? members_generation(r->members) : 0;
	r->dirty = false;
}

static struct rpolicy *route_lookup(struct rsock *rs, in_addr_t group, int ifindex)
{
	struct route key = { .group = group, .ifindex = ifindex };
	struct route *hit;

	if (rs->last_hit < rs->n_routes && rs->routes[rs->last_hit].group == group &&
	    rs->routes[rs->last_hit].ifindex == ifindex)
		return rs->routes[rs->last_hit].rp;
	hit = bsearch(&key, rs->routes, rs->n_routes, sizeof(*rs->routes), cmp_route);
	if (!hit)
		return NULL;
	rs->last_hit = (size_t)(hit - rs->routes);
	return hit->rp;
}

/* The kernel filtered by source already (each socket has its own filter); checked again so
 * a datagram can only reach a policy that wants its source. */
static bool source_allowed(const struct policy *p, struct in_addr src)
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

static void rpolicy_snapshot(struct rpolicy *rp, uint64_t now)
{
	if (now < rp->snap[0].usec + RELAY_RATE_WINDOW_USEC)
		return;
	rp->snap[1] = rp->snap[0];
	rp->snap[0] = (struct snapshot){ now, rp->packets_in, rp->bytes_in };
}

static void handle_log(struct relay *r, struct rsock *rs, struct rpolicy *rp,
		       const struct ipv4opt_message *m, uint64_t now_rt)
{
	const struct link *l = r->links && (m->cm.flags & IPV4OPT_CM_IFINDEX) ?
		links_get_by_index(r->links, m->cm.ifindex) : NULL;
	struct capture_packet p = {
		.realtime_usec = now_rt,
		.src = m->addr.sin_addr,
		.sport = ntohs(m->addr.sin_port),
		.dst = m->cm.dst,
		.dport = rs->port,
		.ifindex = m->cm.ifindex,
		.ifname = l ? l->name : NULL,
		.ttl = (m->cm.flags & IPV4OPT_CM_TTL) ? m->cm.ttl : -1,
		.tos = (m->cm.flags & IPV4OPT_CM_TOS) ? m->cm.tos : -1,
		.data = m->buf,
		.len = m->n,
	};
	int k;

	if (!rp->capture) {
		rp->drops[RELAY_DROP_WRITE_ERROR]++;
		return;
	}
	k = capture_record(rp->capture, &p);
	if (k > 0) {
		rp->packets_out++;
		rp->bytes_out += m->n;
	} else if (k < 0)
		rp->drops[RELAY_DROP_WRITE_ERROR]++; /* capture logs its own write errors */
}

static void handle(struct relay *r, struct rsock *rs, struct ipv4opt_message *m,
		   uint64_t now_mono, uint64_t now_rt)
{
	struct rpolicy *rp = NULL;
	uint32_t ovfl = 0;

	if ((m->cm.flags & (IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX)) ==
	    (IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX))
		rp = route_lookup(rs, m->cm.dst.s_addr, m->cm.ifindex);
	if ((m->cm.flags & IPV4OPT_CM_RXQ_OVFL) && m->cm.rxq_ovfl != rs->rxq_ovfl) {
		/* Cumulative per socket; the datagrams lost are not known, so the loss goes to
		 * the policy of the datagram that reports it. */
		ovfl = m->cm.rxq_ovfl - rs->rxq_ovfl;
		rs->rxq_ovfl = m->cm.rxq_ovfl;
		r->rxq_overflow += ovfl;
	}
	if (!rp) {
		r->unmatched++;
		return;
	}
	rp->drops[RELAY_DROP_RXQ_OVERFLOW] += ovfl;
	rp->packets_in++;
	rp->bytes_in += m->n;
	if (m->n > rp->max_datagram)
		rp->max_datagram = m->n;
	rp->last_source = m->addr;
	rp->last_realtime = now_rt;
	rp->last_mono = now_mono;
	rpolicy_snapshot(rp, now_mono);
	if (_unlikely_(rp->stalled)) {
		struct log_ctx ctx = { .policy = rp->name };

		rp->stalled = false;
		log_full_errno(LOG_INFO, 0, &ctx, "Policy %s: traffic is back", rp->name);
	}

	if (m->truncated) {
		rp->drops[RELAY_DROP_TRUNCATED]++;
		return;
	}
	if (!source_allowed(rp->conf, m->addr.sin_addr)) {
		rp->drops[RELAY_DROP_FILTERED]++;
		return;
	}
	if (port_is_ours(r, ntohs(m->addr.sin_port)) && addr_is_local(r, m->addr.sin_addr.s_addr)) {
		rp->drops[RELAY_DROP_LOOP]++;
		r->loops++;
		return;
	}

	switch (rp->conf->action) {
	case POLICY_ACTION_RELAY: {
		const struct relay_output *rc = &rp->conf->outputs[0];
		int rx_tos = (m->cm.flags & IPV4OPT_CM_TOS) ? m->cm.tos : 0;
		struct ipv4opt_message *o;

		if (!rp->egress_ok) {
			rp->drops[RELAY_DROP_NO_INTERFACE]++;
			return;
		}
		o = &rp->outq[rp->n_out++];
		o->buf = m->buf;
		o->len = m->n;
		o->addr.sin_port = 0; /* connected */
		o->cm.flags = 0;      /* no control message: IP_TOS is set per socket */
		/* DSCP from the policy, ECN bits as received (RFC 3168: the relay must not
		 * erase congestion marks); without a DSCP the TOS byte passes unchanged. */
		o->cm.tos = rc->has_dscp ? ipv4opt_tos_compose(rc->dscp, (uint8_t)rx_tos) : rx_tos;
		if (!rp->pending) {
			rp->pending = true;
			rp->pnext = r->pending;
			r->pending = rp;
		}
		return;
	}
	case POLICY_ACTION_LOG:
		handle_log(r, rs, rp, m, now_rt);
		return;
	case POLICY_ACTION_JOIN:
	case _POLICY_ACTION_MAX:
	case _POLICY_ACTION_INVALID:
		return;
	}
}

/* Reads and relays what the socket holds, up to RELAY_BUDGET datagrams. Returns how many. */
static size_t rsock_drain(struct rsock *rs)
{
	struct relay *r = rs->relay;
	size_t total = 0;

	while (total < RELAY_BUDGET) {
		uint64_t now_mono, now_rt;
		int n;

		if (r->dirty || (r->members && members_generation(r->members) != r->generation))
			routes_rebuild(r);
		for (size_t i = 0; i < RELAY_BATCH; i++)
			r->rx[i].len = RELAY_BUF_SIZE;
		n = ipv4opt_recv_batch(rs->fd, r->rx, RELAY_BATCH, MSG_DONTWAIT);
		if (n < 0) {
			if (n != -EAGAIN && n != -EINTR)
				r->receive_errors++;
			break;
		}
		now_mono = now_usec(r, CLOCK_MONOTONIC);
		now_rt = now_usec(r, CLOCK_REALTIME);
		for (int i = 0; i < n; i++)
			handle(r, rs, &r->rx[i], now_mono, now_rt);
		while (r->pending) {
			struct rpolicy *rp = r->pending;

			r->pending = rp->pnext;
			rp->pending = false;
			rpolicy_send(r, rp);
		}
		total += (size_t)n;
		if (n < RELAY_BATCH)
			break; /* drained */
	}
	return total;
}

static int on_coalesce(sd_event_source *s, uint64_t usec, void *userdata);

/* After a drain of n datagrams: wait or listen. A wake-up costs more than the datagrams it
 * finds at low rates (a context switch each; doc/performance.md, section Relay), so after a
 * drain that did not fill one batch the socket's IO source goes off and a timer drains it
 * coalesce_usec later, while the kernel queues what arrives. The queue was empty when the
 * wait starts (the drain reached EAGAIN) and the wait is at most what the receive buffer
 * holds of a 10 Gb/s burst, so the wait cannot overflow it. A drain that finds nothing (the
 * traffic stopped) or a full batch (load) turns the IO source back on: an idle daemon has no
 * timer armed, and under load the loop reads as fast as datagrams come. */
static void rsock_coalesce(struct rsock *rs, size_t n)
{
	struct relay *r = rs->relay;
	uint64_t usec = r->config ? r->config->coalesce_usec : 0;
	int k;

	if (usec > rs->coalesce_max_usec)
		usec = rs->coalesce_max_usec;

	if (n > 0 && n < RELAY_COALESCE_BELOW && usec > 0) {
		uint64_t when = now_usec(r, CLOCK_MONOTONIC) + usec;

		/* Accuracy 1 µs: sd-event would otherwise move the expiry later to coalesce it
		 * with other timers (by up to 250 ms by default). */
		if (rs->coalesce) {
			k = sd_event_source_set_time(rs->coalesce, when);
			if (k >= 0)
				k = sd_event_source_set_enabled(rs->coalesce, SD_EVENT_ONESHOT);
		} else
			k = sd_event_add_time(r->event, &rs->coalesce, CLOCK_MONOTONIC, when, 1,
					      on_coalesce, rs);
		if (k >= 0) {
			(void)sd_event_source_set_enabled(rs->io, SD_EVENT_OFF);
			return;
		}
		/* No timer: no wait. */
	}
	if (rs->coalesce)
		(void)sd_event_source_set_enabled(rs->coalesce, SD_EVENT_OFF);
	(void)sd_event_source_set_enabled(rs->io, SD_EVENT_ON);
}

static int on_coalesce(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct rsock *rs = userdata;

	(void)s;
	(void)usec;
	rsock_coalesce(rs, rsock_drain(rs));
	return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct rsock *rs = userdata;

	(void)s;
	(void)fd;
	(void)revents;
	/* Past the budget the socket stays readable (and the IO source on): the loop comes back
	 * to it after the other sources had their turn. */
	rsock_coalesce(rs, rsock_drain(rs));
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Data sockets (the membership engine's hooks)                                                */

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
	rs->coalesce_max_usec = (uint64_t)v / CONFIG_COALESCE_BURST_BYTES_PER_USEC;
}

static int hook_socket_added(struct members *m, int fd, uint16_t port, void *userdata)
{
	struct relay *r = userdata;
	struct rsock *rs;
	int k;

	(void)m;
	k = ipv4opt_set_control_message(fd, IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX | IPV4OPT_CM_TTL |
					IPV4OPT_CM_TOS, true);
	if (k < 0)
		return k;
	k = ipv4opt_set_rxq_ovfl(fd, true);
	if (k < 0)
		return k;

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
	rs->relay = r;
	rs->fd = fd;
	rs->port = port;
	rsock_set_rcvbuf(r, rs);
	k = sd_event_add_io(r->event, &rs->io, fd, EPOLLIN, on_io, rs);
	if (k < 0) {
		free(rs);
		return k;
	}
	r->by_fd[fd] = rs;
	r->n_socks++;
	r->dirty = true;
	return 0;
}

static void rsock_free(struct rsock *rs)
{
	sd_event_source_disable_unref(rs->io);
	sd_event_source_disable_unref(rs->coalesce);
	free(rs->routes);
	free(rs);
}

static void hook_socket_removed(struct members *m, int fd, uint16_t port, void *userdata)
{
	struct relay *r = userdata;

	(void)m;
	(void)port;
	if (fd < 0 || (size_t)fd >= r->n_by_fd || !r->by_fd[fd])
		return;
	rsock_free(r->by_fd[fd]);
	r->by_fd[fd] = NULL;
	r->n_socks--;
	r->dirty = true;
}

static const struct members_hooks hooks = {
	.socket_added = hook_socket_added,
	.socket_removed = hook_socket_removed,
};

const struct members_hooks *relay_members_hooks(void)
{
	return &hooks;
}

/* ------------------------------------------------------------------------------------------ */
/* Stall recovery and periodic rejoin                                                          */

static int on_stall(sd_event_source *s, uint64_t now, void *userdata)
{
	struct rpolicy *rp = userdata;
	struct relay *r = rp->relay;
	uint64_t timeout = rp->conf->stall_timeout_usec;
	uint64_t last = rp->last_mono > rp->stall_ref ? rp->last_mono : rp->stall_ref;
	struct log_ctx ctx = { .policy = rp->name };
	int n;

	if (now < last + timeout) {
		/* Traffic came since the timer was set: wait for the rest of the timeout. */
		(void)sd_event_source_set_time(s, last + timeout);
		return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	n = r->members ? members_rejoin_policy(r->members, rp->name) : 0;
	log_full_errno(rp->stalled ? LOG_DEBUG : LOG_WARNING, 0, &ctx,
		       "Policy %s: no traffic for %.1f s: left and rejoined %d membership%s",
		       rp->name, (double)(now - (rp->last_mono ? rp->last_mono : rp->stall_ref)) / 1e6,
		       n, n == 1 ? "" : "s");
	if (!rp->stalled)
		rp->stalls++;
	rp->stalled = true;
	rp->rejoins++;
	rp->stall_ref = now;
	(void)sd_event_source_set_time(s, now + timeout);
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
	return p->action != POLICY_ACTION_JOIN || p->rejoin_interval_usec > 0;
}

static void rpolicy_tear_down(struct relay *r, struct rpolicy *rp)
{
	send_close(r, rp);
	free(rp->outq);
	rp->outq = NULL;
	rp->n_out = 0;
	rp->capture = capture_free(rp->capture);
}

/* Opens what the policy's action needs. Logs failures; the policy then counts drops. */
static int rpolicy_set_up(struct relay *r, struct rpolicy *rp)
{
	struct log_ctx ctx = { .policy = rp->name };
	int k;

	switch (rp->conf->action) {
	case POLICY_ACTION_RELAY:
		rp->outq = calloc(RELAY_BATCH, sizeof(*rp->outq));
		if (!rp->outq)
			return log_error_errno(ENOMEM, "Out of memory");
		k = send_open(r, rp);
		if (k < 0)
			return log_full_errno(LOG_ERR, k, &ctx,
					      "Policy %s: failed to open the send socket: %m",
					      rp->name);
		return 0;
	case POLICY_ACTION_LOG:
		k = capture_new(r->event, rp->name, &rp->conf->log, &rp->capture);
		if (k < 0)
			return log_full_errno(LOG_ERR, k, &ctx,
					      "Policy %s: failed to set up logging: %m", rp->name);
		return 0;
	case POLICY_ACTION_JOIN:
	case _POLICY_ACTION_MAX:
	case _POLICY_ACTION_INVALID:
		return 0;
	}
	return 0;
}

static struct rpolicy *rpolicy_free(struct relay *r, struct rpolicy *rp)
{
	if (!rp)
		return NULL;
	rpolicy_tear_down(r, rp);
	sd_event_source_disable_unref(rp->stall_timer);
	sd_event_source_disable_unref(rp->rejoin_timer);
	free(rp->name);
	free(rp);
	return NULL;
}

static void rpolicy_unlink(struct relay *r, struct rpolicy *rp)
{
	size_t i = name_hash(r, rp->name);

	for (struct rpolicy **p = &r->buckets[i]; *p; p = &(*p)->hnext)
		if (*p == rp) {
			*p = rp->hnext;
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

static int rpolicy_new(struct relay *r, const struct policy *p)
{
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
	if (!rp->name) {
		free(rp);
		return -ENOMEM;
	}
	rp->relay = r;
	rp->conf = p;
	rp->send_fd = -1;
	rp->mark = true;
	rp->snap[0].usec = now_usec(r, CLOCK_MONOTONIC);
	rp->next = r->head;
	if (r->head)
		r->head->prev = rp;
	r->head = rp;
	i = name_hash(r, rp->name);
	rp->hnext = r->buckets[i];
	r->buckets[i] = rp;
	r->n_policies++;
	(void)rpolicy_set_up(r, rp);
	return rpolicy_timers(r, rp);
}

/* A policy kept across a reload: counters stay, what changed is opened again. */
static int rpolicy_update(struct relay *r, struct rpolicy *rp, const struct policy *p)
{
	const struct policy *old = rp->conf;
	bool same = old->action == p->action;

	if (same && p->action == POLICY_ACTION_RELAY)
		same = relay_conf_equal(&old->outputs[0], &p->outputs[0]);
	if (same && p->action == POLICY_ACTION_LOG)
		same = capture_conf_equal(&old->log, &p->log);
	rp->conf = p;
	rp->mark = true;
	if (!same) {
		rpolicy_tear_down(r, rp);
		(void)rpolicy_set_up(r, rp);
	}
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
		rpolicy_free(r, rp);
	}
	r->config = c;
	if (c && c->rcvbuf != rcvbuf_old)
		for (size_t i = 0; i < r->n_by_fd; i++)
			if (r->by_fd[i])
				rsock_set_rcvbuf(r, r->by_fd[i]);
	/* Routes may point at policies just freed: rebuilt before the next datagram. */
	r->dirty = true;
	return ret;
}

void relay_link_event(struct relay *r, enum links_event ev, const struct link *k,
		      const char *old_name)
{
	int gone = ev == LINKS_EVENT_DEL ? k->ifindex : 0;

	switch (ev) {
	case LINKS_EVENT_NEW:
	case LINKS_EVENT_DEL:
	case LINKS_EVENT_ADDRESS:
		r->local_dirty = true;
		break;
	case LINKS_EVENT_RENAME:
	case LINKS_EVENT_CHANGE:
		break;
	case _LINKS_EVENT_MAX:
		return;
	}
	for (struct rpolicy *rp = r->head; rp; rp = rp->next) {
		const char *ifname;

		if (rp->conf->action != POLICY_ACTION_RELAY || rp->send_fd < 0)
			continue;
		ifname = rp->conf->outputs[0].interface;
		/* Named egress: the events of that name. By route: address changes (the source
		 * address), and anything while it cannot send (a route may have come). The
		 * kernel re-routes a connected socket by itself when routes change. */
		if (ifname[0] ? streq(ifname, k->name) || (old_name && streq(ifname, old_name)) :
				ev == LINKS_EVENT_ADDRESS || (!rp->egress_ok && ev != LINKS_EVENT_CHANGE))
			send_egress(r, rp, gone);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Counters                                                                                    */

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return ctlproto_json_add(o, key, json_object_new_uint64(v));
}

static int add_double(struct json_object *o, const char *key, double v)
{
	return ctlproto_json_add(o, key, json_object_new_double(v));
}

int relay_stats_policy_json(struct relay *r, const char *policy, struct json_object *obj)
{
	static const struct rpolicy zero = { .send_fd = -1 };
	const struct rpolicy *rp = rpolicy_find(r, policy);
	uint64_t now = now_usec(r, CLOCK_MONOTONIC), total = 0;
	struct json_object *drops;
	const struct snapshot *ref;
	double dt, pps = 0, bps = 0;
	char buf[64];
	int k;

	if (!rp)
		rp = &zero; /* a join policy: the same shape, all zeros */
	/* The rate over the last one to two seconds: from the start of the previous window
	 * when that is recent, else from the start of the current one (idle: towards 0). */
	ref = rp->snap[1].usec > 0 && now - rp->snap[1].usec <= 2 * RELAY_RATE_WINDOW_USEC ?
		&rp->snap[1] : &rp->snap[0];
	dt = ref->usec > 0 ? (double)(now - ref->usec) / 1e6 : 0;
	if (dt > 0.001) {
		pps = (double)(rp->packets_in - ref->packets) / dt;
		bps = (double)(rp->bytes_in - ref->bytes) / dt;
	}
	k = add_u64(obj, "packets_received", rp->packets_in);
	k |= add_u64(obj, "bytes_received", rp->bytes_in);
	k |= add_u64(obj, "max_datagram_bytes", rp->max_datagram);
	/* relay: datagrams the kernel took to send; log: records written */
	k |= add_u64(obj, "packets_sent", rp->packets_out);
	k |= add_u64(obj, "bytes_sent", rp->bytes_out);
	drops = json_object_new_object();
	for (size_t i = 0; drops && i < _RELAY_DROP_MAX; i++) {
		k |= add_u64(drops, drop_names[i], rp->drops[i]);
		total += rp->drops[i];
	}
	k |= add_u64(obj, "dropped_packets", total);
	k |= ctlproto_json_add(obj, "drops", drops);
	k |= add_u64(obj, "stalls", rp->stalls);
	k |= add_u64(obj, "rejoins", rp->rejoins);
	k |= add_double(obj, "receive_packets_per_second", pps);
	k |= add_double(obj, "receive_bytes_per_second", bps);
	k |= add_double(obj, "last_packet_timestamp_seconds", (double)rp->last_realtime / 1e6);
	if (rp->last_realtime > 0)
		k |= ctlproto_json_add(obj, "last_source", json_object_new_string(
				      addr_port_str(&rp->last_source, buf, sizeof(buf))));
	else
		k |= json_object_object_add(obj, "last_source", NULL) < 0 ? -ENOMEM : 0;
	if (rp->conf && rp->conf->action == POLICY_ACTION_RELAY)
		k |= ctlproto_json_add(obj, "egress", json_object_new_string(rp->egress_ok ? "up" : "down"));
	/* A record the journal's rate limit suppressed is no lost datagram: the datagram was
	 * received and counted; only its record was not written (capture.c sums them up in the
	 * log). So it is not among the drops. */
	k |= add_u64(obj, "suppressed_records", rp->capture ? capture_suppressed(rp->capture) : 0);
	if (rp->capture)
		k |= add_u64(obj, "rotations", capture_rotations(rp->capture));
	return k ? -ENOMEM : 0;
}

int relay_stats_json(struct relay *r, struct json_object *obj)
{
	int k;

	k = add_u64(obj, "unmatched_packets", r->unmatched);
	k |= add_u64(obj, "loop_packets", r->loops);
	k |= add_u64(obj, "rxq_overflow_packets", r->rxq_overflow);
	k |= add_u64(obj, "receive_errors", r->receive_errors);
	k |= add_u64(obj, "data_sockets", r->n_socks);
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
	r->dirty = true;
}

void relay_set_links(struct relay *r, const struct links *l)
{
	r->links = l;
	local_addresses_refresh(r);
	for (struct rpolicy *rp = r->head; rp; rp = rp->next)
		if (rp->conf->action == POLICY_ACTION_RELAY)
			send_egress(r, rp, 0);
}

int relay_new(sd_event *e, struct relay **ret)
{
	_cleanup_(relay_freep) struct relay *r = NULL;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->event = sd_event_ref(e);
	r->rx = calloc(RELAY_BATCH, sizeof(*r->rx));
	/* Allocated once; pages are touched only as far as datagrams reach. */
	r->rxbuf = malloc((size_t)RELAY_BATCH * RELAY_BUF_SIZE);
	if (!r->rx || !r->rxbuf)
		return -ENOMEM;
	for (size_t i = 0; i < RELAY_BATCH; i++) {
		r->rx[i].buf = r->rxbuf + i * RELAY_BUF_SIZE;
		r->rx[i].len = RELAY_BUF_SIZE;
	}
	r->dirty = true;
	*ret = TAKE_PTR(r);
	return 0;
}

struct relay *relay_free(struct relay *r)
{
	struct rpolicy *rp;

	if (!r)
		return NULL;
	while ((rp = r->head)) {
		rpolicy_unlink(r, rp);
		rpolicy_free(r, rp);
	}
	for (size_t i = 0; i < r->n_by_fd; i++)
		if (r->by_fd[i])
			rsock_free(r->by_fd[i]);
	free(r->by_fd);
	free(r->buckets);
	free(r->local);
	free(r->rx);
	free(r->rxbuf);
	sd_event_unref(r->event);
	free(r);
	return NULL;
}

void relay_freep(struct relay **r)
{
	relay_free(*r);
}
