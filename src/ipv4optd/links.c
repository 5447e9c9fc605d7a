/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "links.h"
#include "clock.h"
#include "log.h"
#include "macro.h"

#define LINKS_DEFAULT_RCVBUF (4 * 1024 * 1024)
/* A message larger than this is read into a buffer grown to fit (one RTM_NEWLINK can pass
 * 64 KiB: the alternative names alone may take up to 64 KiB), up to the most the kernel sends
 * in one datagram of a dump or an event. */
#define LINKS_BUF_MIN 32768
#define LINKS_BUF_MAX (1024 * 1024)
/* A read error within this time of the one before, or a dump that failed: retried after it */
#define LINKS_RETRY_USEC (1000 * 1000)

struct links {
	sd_event *event;
	sd_event_source *io, *retry;
	struct mnl_socket *nl;
	int fd;                 /* the event socket: nl's, or the test seam's */
	links_handler_t handler;
	void *userdata;
	struct link *v;
	size_t n, cap;
	bool resyncing;
	uint64_t resyncs;
	uint64_t last_error_usec; /* CLOCK_MONOTONIC of the last read error other than ENOBUFS */
	char *buf;              /* for event and dump messages */
	size_t buf_size;
};

static const char *const event_names[_LINKS_EVENT_MAX] = {
	[LINKS_EVENT_NEW] = "new",
	[LINKS_EVENT_RENAME] = "rename",
	[LINKS_EVENT_CHANGE] = "change",
	[LINKS_EVENT_ADDRESS] = "address",
	[LINKS_EVENT_DEL] = "del",
};

const char *links_event_to_string(enum links_event ev)
{
	if (ev < 0 || ev >= _LINKS_EVENT_MAX)
		return NULL;
	return event_names[ev];
}

static struct link *find_index(const struct links *l, int ifindex)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].ifindex == ifindex)
			return &l->v[i];
	return NULL;
}

const struct link *links_get_by_index(const struct links *l, int ifindex)
{
	return find_index(l, ifindex);
}

const struct link *links_get_by_name(const struct links *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

const struct link *links_all(const struct links *l, size_t *ret_n)
{
	*ret_n = l->n;
	return l->v;
}

uint64_t links_resyncs(const struct links *l)
{
	return l->resyncs;
}

static void emit(struct links *l, enum links_event ev, const struct link *k, const char *old)
{
	if (l->handler)
		l->handler(l, ev, k, old, l->userdata);
}

static int link_add(struct links *l, struct link **ret)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct link *v = reallocarray(l->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	*ret = &l->v[l->n++];
	memset(*ret, 0, sizeof(**ret));
	return 0;
}

static void link_remove(struct links *l, struct link *k)
{
	struct link copy = *k;
	size_t i = (size_t)(k - l->v);

	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*k));
	l->n--;
	emit(l, LINKS_EVENT_DEL, &copy, NULL);
	free(copy.addr4);
	free(copy.old_addr4);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_MAX) < 0)
		return MNL_CB_OK;
	if (type == IFLA_IFNAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK; /* ignore a malformed name rather than trusting it */
	tb[type] = a;
	return MNL_CB_OK;
}

static int handle_link(struct links *l, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	const struct ifinfomsg *ifm;
	struct link *k;
	int r;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifm)))
		return -EBADMSG;
	ifm = mnl_nlmsg_get_payload(nlh);
	if (ifm->ifi_family != AF_UNSPEC && ifm->ifi_family != AF_INET)
		return 0;
	if (ifm->ifi_index <= 0)
		return -EBADMSG;
	k = find_index(l, ifm->ifi_index);

	if (nlh->nlmsg_type == RTM_DELLINK) {
		if (k)
			link_remove(l, k);
		return 0;
	}

	mnl_attr_parse(nlh, sizeof(*ifm), attr_cb, tb);
	const char *name = tb[IFLA_IFNAME] ? mnl_attr_get_str(tb[IFLA_IFNAME]) : NULL;
	if (!name || strlen(name) >= IF_NAMESIZE)
		return -EBADMSG;

	if (!k) {
		r = link_add(l, &k);
		if (r < 0)
			return r;
		k->ifindex = ifm->ifi_index;
		snprintf(k->name, sizeof(k->name), "%s", name);
		k->flags = ifm->ifi_flags;
		k->seen = true;
		emit(l, LINKS_EVENT_NEW, k, NULL);
		return 0;
	}
	k->seen = true;
	if (strcmp(k->name, name) != 0) {
		char old[IF_NAMESIZE];

		snprintf(old, sizeof(old), "%s", k->name);
		snprintf(k->name, sizeof(k->name), "%s", name);
		k->flags = ifm->ifi_flags;
		emit(l, LINKS_EVENT_RENAME, k, old);
		return 0;
	}
	if (k->flags != ifm->ifi_flags) {
		k->flags = ifm->ifi_flags;
		emit(l, LINKS_EVENT_CHANGE, k, NULL);
	}
	return 0;
}

static int addr_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFA_MAX) < 0)
		return MNL_CB_OK;
	if ((type == IFA_LOCAL || type == IFA_ADDRESS) &&
	    mnl_attr_validate2(a, MNL_TYPE_UNSPEC, sizeof(struct in_addr)) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct link_addr4));
}

static struct link_addr4 *addr_find(const struct link *k, const struct link_addr4 *a)
{
	for (unsigned i = 0; i < k->n_addr4; i++)
		if (addr_cmp(&k->addr4[i], a) == 0)
			return &k->addr4[i];
	return NULL;
}

/* Whether the address set of k differs from the one before the resync. */
static bool addrs_changed(struct link *k)
{
	if (k->n_addr4 != k->n_old_addr4)
		return true;
	if (k->n_addr4 == 0)
		return false;
	qsort(k->addr4, k->n_addr4, sizeof(*k->addr4), addr_cmp);
	qsort(k->old_addr4, k->n_old_addr4, sizeof(*k->old_addr4), addr_cmp);
	return memcmp(k->addr4, k->old_addr4, k->n_addr4 * sizeof(*k->addr4)) != 0;
}

static int handle_addr(struct links *l, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[IFA_MAX + 1] = {};
	const struct ifaddrmsg *ifa;
	struct link_addr4 a = {}, *have;
	struct link *k;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return -EBADMSG;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET)
		return 0;
	k = find_index(l, (int)ifa->ifa_index);
	if (!k)
		return 0;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb);
	if (!tb[IFA_LOCAL] && !tb[IFA_ADDRESS])
		return -EBADMSG;
	memcpy(&a.address, mnl_attr_get_payload(tb[IFA_ADDRESS] ? tb[IFA_ADDRESS] : tb[IFA_LOCAL]),
	       sizeof(a.address));
	memcpy(&a.local, mnl_attr_get_payload(tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS]),
	       sizeof(a.local));
	a.prefixlen = ifa->ifa_prefixlen;

	/* A set, not a count: RTM_NEWADDR also reports changes of an address already there. */
	have = addr_find(k, &a);
	if (nlh->nlmsg_type == RTM_NEWADDR) {
		if (have)
			return 0;
		if (k->n_addr4 == k->cap_addr4) {
			unsigned cap = k->cap_addr4 ? k->cap_addr4 * 2 : 4;
			struct link_addr4 *v = reallocarray(k->addr4, cap, sizeof(*v));

			if (!v)
				return -ENOMEM;
			k->addr4 = v;
			k->cap_addr4 = cap;
		}
		k->addr4[k->n_addr4++] = a;
	} else {
		if (!have)
			return 0;
		*have = k->addr4[--k->n_addr4];
	}
	/* During a resync, the differences are reported once it is done (resync_once). */
	if (!l->resyncing)
		emit(l, LINKS_EVENT_ADDRESS, k, NULL);
	return 0;
}

int links_handle_message(struct links *l, const struct nlmsghdr *nlh)
{
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return handle_link(l, nlh);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return handle_addr(l, nlh);
	default:
		return 0;
	}
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct links *l = data;
	int r = links_handle_message(l, nlh);

	if (r < 0)
		log_debug_errno(r, "Ignoring malformed rtnetlink message (type %u): %m",
				nlh->nlmsg_type);
	return MNL_CB_OK;
}

/* Makes l->buf hold at least size bytes. */
static int buf_reserve(struct links *l, size_t size)
{
	char *b;

	if (size <= l->buf_size)
		return 0;
	if (size > LINKS_BUF_MAX)
		return -EMSGSIZE;
	b = realloc(l->buf, size);
	if (!b)
		return -ENOMEM;
	l->buf = b;
	l->buf_size = size;
	return 0;
}

/* Receives one datagram of fd whole into l->buf (grown to fit: the kernel truncates what does
 * not fit, and the rest of the message would be lost). Returns its length, 0 for a datagram
 * not from the kernel (dropped), or a negative errno. */
static ssize_t recv_whole(struct links *l, int fd, int flags)
{
	struct sockaddr_storage sa; /* room for any sender's name, not only a netlink one */
	struct iovec iov;
	struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
			      .msg_iovlen = 1 };
	const struct sockaddr_nl *nl = (const struct sockaddr_nl *)&sa;
	ssize_t n;
	int r;

	r = buf_reserve(l, LINKS_BUF_MIN);
	if (r < 0)
		return r;
	n = recv(fd, l->buf, l->buf_size, flags | MSG_PEEK | MSG_TRUNC);
	if (n < 0)
		return -errno;
	r = buf_reserve(l, (size_t)n);
	if (r < 0) {
		(void)recv(fd, l->buf, 0, flags | MSG_TRUNC); /* drop it */
		return r;
	}
	iov = (struct iovec){ l->buf, l->buf_size };
	n = recvmsg(fd, &msg, flags);
	if (n < 0)
		return -errno;
	if (msg.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	/* Only the kernel speaks rtnetlink to us (the seam's socketpair has no netlink name). */
	if (msg.msg_namelen >= sizeof(*nl) && nl->nl_family == AF_NETLINK && nl->nl_pid != 0)
		return 0;
	return n;
}

/* One blocking dump on a socket of its own, so that the event socket keeps its queue. */
static int dump(struct links *l, int type, int family)
{
	struct mnl_socket *nl;
	char buf[64];
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	unsigned seq = (unsigned)time(NULL), portid;
	int r = 0;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = family;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = recv_whole(l, mnl_socket_get_fd(nl), 0);

		if (n < 0) {
			r = (int)n;
			break;
		}
		if (n == 0)
			continue;
		r = mnl_cb_run(l->buf, (size_t)n, seq, portid, msg_cb, l);
		if (r <= MNL_CB_STOP) {
			r = r < 0 ? -errno : 0;
			break;
		}
	}
out:
	mnl_socket_close(nl);
	return r;
}

static int resync_once(struct links *l)
{
	int r;

	/* Each link's addresses start again empty; those it had are kept to compare. */
	for (size_t i = 0; i < l->n; i++) {
		struct link *k = &l->v[i];

		k->seen = false;
		free(k->old_addr4);
		k->old_addr4 = k->addr4;
		k->n_old_addr4 = k->n_addr4;
		k->addr4 = NULL;
		k->n_addr4 = k->cap_addr4 = 0;
	}
	l->resyncing = true;
	r = dump(l, RTM_GETLINK, AF_PACKET);
	if (r >= 0)
		r = dump(l, RTM_GETADDR, AF_INET);
	l->resyncing = false;
	if (r < 0) {
		/* Half a dump of addresses says nothing: back to what was known. Links created
		 * meanwhile had none then. */
		for (size_t i = 0; i < l->n; i++) {
			struct link *k = &l->v[i];

			free(k->addr4);
			k->addr4 = TAKE_PTR(k->old_addr4);
			k->n_addr4 = k->cap_addr4 = k->n_old_addr4;
			k->n_old_addr4 = 0;
		}
		return r;
	}
	l->resyncs++;
	/* Links the dump did not show are gone: their RTM_DELLINK was lost. */
	for (size_t i = l->n; i > 0; i--)
		if (!l->v[i - 1].seen)
			link_remove(l, &l->v[i - 1]);
	/* Address changes whose events were lost (the relay's egress source and its loop
	 * protection follow them): one event per link whose set is not what it was. */
	for (size_t i = 0; i < l->n; i++) {
		struct link *k = &l->v[i];
		bool changed = addrs_changed(k);

		free(k->old_addr4);
		k->old_addr4 = NULL;
		k->n_old_addr4 = 0;
		if (changed)
			emit(l, LINKS_EVENT_ADDRESS, k, NULL);
	}
	return 0;
}

int links_resync(struct links *l)
{
	int r;

	/* A dump that links changed under is flagged NLM_F_DUMP_INTR (libmnl: EINTR) and may
	 * miss some: dump again, so churn while (re)starting neither fails nor leaves links
	 * that are gone. */
	for (int attempt = 0;; attempt++) {
		r = resync_once(l);
		if (r != -EINTR || attempt >= 16)
			return r;
	}
}

/* Discards what the event socket holds. After an overrun the kernel reports no further loss
 * (NETLINK_S_CONGESTED stays set) until a read finds the queue empty, and what is queued is
 * older than the dump that follows: replayed after it, a creation whose deletion was lost
 * would bring back a link that is gone. */
static void drain(struct links *l)
{
	char buf[64];

	for (int budget = 1 << 16; budget > 0; budget--)
		if (recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) < 0 &&
		    errno != ENOBUFS && errno != EINTR)
			return; /* EAGAIN (empty), or the error that sent us here */
}

static int resync_now(struct links *l);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct links *l = userdata;
	(void)s;
	(void)usec;

	/* Reading resumes with the dump: what was queued while paused is older than it. */
	if (l->io)
		(void)sd_event_source_set_enabled(l->io, SD_EVENT_ON);
	drain(l);
	return resync_now(l);
}

/* Tries again in LINKS_RETRY_USEC, reading paused till then. */
static void retry_later(struct links *l)
{
	int r;

	if (!l->event)
		return;
	if (l->io)
		(void)sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
	if (l->retry) {
		r = sd_event_source_set_time_relative(l->retry, LINKS_RETRY_USEC);
		if (r >= 0)
			r = sd_event_source_set_enabled(l->retry, SD_EVENT_ONESHOT);
	} else
		r = sd_event_add_time_relative(l->event, &l->retry, CLOCK_MONOTONIC,
					       LINKS_RETRY_USEC, 0, on_retry, l);
	if (r < 0) {
		/* No timer: keep reading rather than stop tracking. */
		log_error_errno(r, "Failed to arm the links resync timer: %m");
		if (l->io)
			(void)sd_event_source_set_enabled(l->io, SD_EVENT_ON);
	}
}

static int resync_now(struct links *l)
{
	int r = links_resync(l);

	if (r < 0) {
		log_error_errno(r, "Failed to resynchronize links, trying again in %u s: %m",
				(unsigned)(LINKS_RETRY_USEC / 1000000));
		retry_later(l);
	}
	return 0;
}

/* Events may have been lost: err is why. Never gives up the event socket. */
static void read_failed(struct links *l, int err)
{
	uint64_t now = clock_now_usec(CLOCK_MONOTONIC), last = l->last_error_usec;

	if (err == -ENOBUFS) {
		log_warning("rtnetlink receive queue overrun: events lost, resynchronizing");
		drain(l);
		(void)resync_now(l);
		return;
	}
	/* Any other error may have cost a message too (a truncated one, say). It is not known
	 * to be one-shot like ENOBUFS: if it comes back within a second, wait that second, so
	 * that an error that persists costs one dump a second, not a busy loop. */
	l->last_error_usec = now;
	if (last > 0 && now - last < LINKS_RETRY_USEC) {
		log_warning_errno(err, "Failed to read rtnetlink events again: %m; resynchronizing "
				  "in %u s", (unsigned)(LINKS_RETRY_USEC / 1000000));
		retry_later(l);
		return;
	}
	log_warning_errno(err, "Failed to read rtnetlink events: %m; events may be lost, "
			  "resynchronizing");
	drain(l);
	(void)resync_now(l);
}

static int on_netlink(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct links *l = userdata;
	(void)s;
	(void)fd;
	(void)revents;

	/* A budget, then back to the loop; level-triggered IO brings us back. The return value is
	 * 0 whatever happens: sd-event disables a source whose handler fails, and interface
	 * tracking would end for good. */
	for (int budget = 64; budget > 0; budget--) {
		ssize_t n = recv_whole(l, l->fd, MSG_DONTWAIT);

		if (n == -EAGAIN || n == -EINTR)
			return 0;
		if (n < 0) {
			read_failed(l, (int)n);
			/* After an overrun, what follows the dump is read at once; after
			 * anything else, or while a retry is pending, back to the loop. */
			if (n != -ENOBUFS || sd_event_source_get_enabled(l->io, NULL) <= 0)
				return 0;
			continue;
		}
		if (n > 0)
			mnl_cb_run(l->buf, (size_t)n, 0, 0, msg_cb, l);
	}
	return 0;
}

int links_new(sd_event *e, int rcvbuf, links_handler_t handler, void *userdata,
	      struct links **ret)
{
	struct links *l;
	int r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = -1;
	l->handler = handler;
	l->userdata = userdata;
	if (!e) {
		*ret = l;
		return 0;
	}
	l->event = sd_event_ref(e);

	l->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!l->nl) {
		r = -errno;
		goto fail;
	}
	l->fd = mnl_socket_get_fd(l->nl);
	if (rcvbuf <= 0)
		rcvbuf = LINKS_DEFAULT_RCVBUF;
	/* FORCE passes net.core.rmem_max with CAP_NET_ADMIN; without it, take what we get. */
	if (setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		(void)setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
	if (mnl_socket_bind(l->nl, RTMGRP_LINK | RTMGRP_IPV4_IFADDR, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto fail;
	}
	/* Subscribed first, dumped second: nothing falls between the two. */
	r = links_resync(l);
	if (r < 0)
		goto fail;
	r = sd_event_add_io(e, &l->io, l->fd, EPOLLIN, on_netlink, l);
	if (r < 0)
		goto fail;
	(void)sd_event_source_set_description(l->io, "rtnetlink");
	*ret = l;
	return 0;
fail:
	links_free(l);
	return r;
}

int links_new_from_fd(sd_event *e, int fd, links_handler_t handler, void *userdata,
		      struct links **ret)
{
	struct links *l;
	int r;

	r = links_new(NULL, 0, handler, userdata, &l);
	if (r < 0)
		return r;
	l->event = sd_event_ref(e);
	l->fd = fd;
	r = sd_event_add_io(e, &l->io, fd, EPOLLIN, on_netlink, l);
	if (r < 0) {
		l->fd = -1; /* not taken */
		links_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

struct links *links_free(struct links *l)
{
	if (!l)
		return NULL;
	sd_event_source_disable_unref(l->io);
	sd_event_source_disable_unref(l->retry);
	if (l->nl)
		mnl_socket_close(l->nl);
	else if (l->fd >= 0)
		close(l->fd);
	sd_event_unref(l->event);
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].addr4);
		free(l->v[i].old_addr4);
	}
	free(l->v);
	free(l->buf);
	free(l);
	return NULL;
}

void links_freep(struct links **l)
{
	links_free(*l);
}
