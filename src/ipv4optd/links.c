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
#include "log.h"
#include "macro.h"

#define LINKS_DEFAULT_RCVBUF (4 * 1024 * 1024)

struct links {
	sd_event_source *io;
	struct mnl_socket *nl;
	links_handler_t handler;
	void *userdata;
	struct link *v;
	size_t n, cap;
	bool resyncing;
	uint64_t resyncs;
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

static int handle_addr(struct links *l, const struct nlmsghdr *nlh)
{
	const struct ifaddrmsg *ifa;
	struct link *k;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return -EBADMSG;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET)
		return 0;
	k = find_index(l, (int)ifa->ifa_index);
	if (!k)
		return 0;
	if (nlh->nlmsg_type == RTM_NEWADDR)
		k->n_addr4++;
	else if (k->n_addr4 > 0)
		k->n_addr4--;
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

/* One blocking dump on a socket of its own, so that the event socket keeps its queue. */
static int dump(struct links *l, int type, int family)
{
	struct mnl_socket *nl;
	char buf[32768];
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
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0) {
			r = -errno;
			break;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, portid, msg_cb, l);
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

	for (size_t i = 0; i < l->n; i++) {
		l->v[i].seen = false;
		l->v[i].n_addr4 = 0;
	}
	l->resyncing = true;
	r = dump(l, RTM_GETLINK, AF_PACKET);
	if (r >= 0)
		r = dump(l, RTM_GETADDR, AF_INET);
	l->resyncing = false;
	if (r < 0)
		return r;
	l->resyncs++;
	/* Links the dump did not show are gone: their RTM_DELLINK was lost. */
	for (size_t i = l->n; i > 0; i--)
		if (!l->v[i - 1].seen)
			link_remove(l, &l->v[i - 1]);
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
		if (recv(mnl_socket_get_fd(l->nl), buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) < 0 &&
		    errno != ENOBUFS && errno != EINTR)
			return; /* EAGAIN: empty */
}

static int on_netlink(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct links *l = userdata;
	char buf[32768];
	(void)s;
	(void)fd;
	(void)revents;

	/* A budget, then back to the loop; level-triggered IO brings us back. */
	for (int budget = 64; budget > 0; budget--) {
		ssize_t n = mnl_socket_recvfrom(l->nl, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == ENOBUFS) {
				log_warning("rtnetlink receive queue overrun: events lost, resynchronizing");
				drain(l);
				int r = links_resync(l);
				if (r < 0)
					log_error_errno(r, "Failed to resynchronize links: %m");
				continue;
			}
			return log_error_errno(errno, "Failed to read rtnetlink events: %m");
		}
		mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, l);
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
	l->handler = handler;
	l->userdata = userdata;
	if (!e) {
		*ret = l;
		return 0;
	}

	l->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!l->nl) {
		r = -errno;
		goto fail;
	}
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
	r = sd_event_add_io(e, &l->io, mnl_socket_get_fd(l->nl), EPOLLIN, on_netlink, l);
	if (r < 0)
		goto fail;
	(void)sd_event_source_set_description(l->io, "rtnetlink");
	*ret = l;
	return 0;
fail:
	links_free(l);
	return r;
}

struct links *links_free(struct links *l)
{
	if (!l)
		return NULL;
	sd_event_source_disable_unref(l->io);
	if (l->nl)
		mnl_socket_close(l->nl);
	free(l->v);
	free(l);
	return NULL;
}

void links_freep(struct links **l)
{
	links_free(*l);
}
