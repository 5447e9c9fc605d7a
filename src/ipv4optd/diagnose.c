/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include "clock.h"
#include "ctlproto.h"
#include "diagnose.h"
#include "log.h"
#include "macro.h"

/* IPv4 header (without options) and UDP header: what a payload costs on the wire. */
#define UDP_IPV4_OVERHEAD 28

static const char *const code_names[_DIAGNOSE_CODE_MAX] = {
	[DIAGNOSE_CODE_INTERFACE_MISSING] = "interface-missing",
	[DIAGNOSE_CODE_INTERFACE_DOWN] = "interface-down",
	[DIAGNOSE_CODE_NO_IPV4_ADDRESS] = "no-ipv4-address",
	[DIAGNOSE_CODE_RP_FILTER] = "rp-filter",
	[DIAGNOSE_CODE_MEMBERSHIP_LIMIT] = "membership-limit",
	[DIAGNOSE_CODE_SOURCE_LIMIT] = "source-limit",
	[DIAGNOSE_CODE_RCVBUF_CAPPED] = "rcvbuf-capped",
	[DIAGNOSE_CODE_RCVBUF_SHORT] = "rcvbuf-short",
	[DIAGNOSE_CODE_NO_ROUTE] = "no-route",
	[DIAGNOSE_CODE_MTU] = "mtu",
	[DIAGNOSE_CODE_NO_TRAFFIC] = "no-traffic",
	[DIAGNOSE_CODE_KERNEL_REFUSED] = "kernel-refused",
	[DIAGNOSE_CODE_IGMP_VERSION_FORCED] = "igmp-version-forced",
	[DIAGNOSE_CODE_IGMP_OLD_QUERIER] = "igmp-old-querier",
};

static const char *const severity_names[_DIAGNOSE_SEVERITY_MAX] = {
	[DIAGNOSE_SEVERITY_ERROR] = "error",
	[DIAGNOSE_SEVERITY_WARNING] = "warning",
	[DIAGNOSE_SEVERITY_INFO] = "info",
};

const char *diagnose_code_to_string(enum diagnose_code c)
{
	return c >= 0 && c < _DIAGNOSE_CODE_MAX ? code_names[c] : NULL;
}

enum diagnose_code diagnose_code_from_string(const char *s)
{
	for (size_t i = 0; s && i < _DIAGNOSE_CODE_MAX; i++)
		if (streq(s, code_names[i]))
			return (enum diagnose_code)i;
	return _DIAGNOSE_CODE_INVALID;
}

const char *diagnose_severity_to_string(enum diagnose_severity s)
{
	return s >= 0 && s < _DIAGNOSE_SEVERITY_MAX ? severity_names[s] : NULL;
}

enum diagnose_severity diagnose_severity_from_string(const char *s)
{
	for (size_t i = 0; s && i < _DIAGNOSE_SEVERITY_MAX; i++)
		if (streq(s, severity_names[i]))
			return (enum diagnose_severity)i;
	return _DIAGNOSE_SEVERITY_INVALID;
}

/* ------------------------------------------------------------------------------------------ */
/* The report                                                                                  */

struct diagnose_report *diagnose_report_free(struct diagnose_report *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_findings; i++) {
		free(r->findings[i].policy);
		free(r->findings[i].message);
		free(r->findings[i].hint);
	}
	free(r->findings);
	free(r);
	return NULL;
}

void diagnose_report_freep(struct diagnose_report **r)
{
	diagnose_report_free(*r);
}

size_t diagnose_report_errors(const struct diagnose_report *r)
{
	size_t n = 0;

	for (size_t i = 0; r && i < r->n_findings; i++)
		n += r->findings[i].severity == DIAGNOSE_SEVERITY_ERROR;
	return n;
}

bool diagnose_report_has(const struct diagnose_report *r, const char *policy, const char *ifname,
			 struct in_addr group)
{
	for (size_t i = 0; r && i < r->n_findings; i++) {
		const struct diagnose_finding *f = &r->findings[i];

		if (f->policy && policy && streq(f->policy, policy) && streq(f->ifname, ifname) &&
		    (f->group.s_addr == INADDR_ANY || f->group.s_addr == group.s_addr))
			return true;
	}
	return false;
}

/* One run's context: the input, the report being built, facts read once per run. */
struct run {
	struct diagnose *d;
	const struct diagnose_input *in;
	struct diagnose_report *report;
	const char *proc;
	uint64_t now;
	int nomem;                     /* a finding could not be stored */
	const char *scope;             /* the interface the check at work is about; NULL: none */
	struct mnl_socket *nl;         /* route lookups; opened on first use */
	unsigned seq;
	bool nl_failed;
	int rcvbuf_grant;              /* what a data socket is granted now (doubled); -1: unread */
	bool rcvbuf_probed;
	bool rpf_read;
	int64_t rpf_count, rpf_rise;   /* IPReversePathFilter; rise since the last run, -1: unknown */
	int64_t rcvbuf_errors, rcvbuf_errors_rise; /* Udp RcvbufErrors */
};

/* A finding as the log knows it: what makes it the same one at the next run (its message
 * may change: a counter, an age). */
struct logged {
	char scope[IF_NAMESIZE];       /* first in the order: one scope's findings are one range */
	enum diagnose_code code;
	char *policy;
	char ifname[IF_NAMESIZE];
	struct in_addr group;
	const struct diagnose_finding *finding; /* during diagnose_log_changes() only */
};

/* Policy name -> index in the config, (open addressing; the config's own lookup is linear,
 * and a run looks up every membership's policy). */
struct pindex {
	const struct config *config;
	size_t *slots;                 /* index + 1; 0: free */
	size_t mask;
};

struct diagnose {
	bool have;                     /* last_* were read */
	int64_t last_rpf, last_rcvbuf_errors;
	struct logged *logged;         /* what diagnose_log_changes() logged last, sorted */
	size_t n_logged;
	/* The index of the config of the last full run, which scoped runs (a link event each)
	 * use instead of hashing every policy name again: each reload is followed by a full run
	 * (daemon.c), so the same config pointer is the same config. */
	struct pindex index;
};

int diagnose_new(struct diagnose **ret)
{
	struct diagnose *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	*ret = d;
	return 0;
}

static void logged_free(struct logged *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].policy);
	free(v);
}

struct diagnose *diagnose_free(struct diagnose *d)
{
	if (!d)
		return NULL;
	logged_free(d->logged, d->n_logged);
	free(d->index.slots);
	free(d);
	return NULL;
}

void diagnose_freep(struct diagnose **d)
{
	diagnose_free(*d);
}

_printf_(8, 9) static void add(struct run *run, enum diagnose_code code,
			       enum diagnose_severity sev, const char *policy, const char *ifname,
			       struct in_addr group, const char *hint_or_null, const char *fmt, ...)
{
	struct diagnose_report *r = run->report;
	struct diagnose_finding f = { .code = code, .severity = sev, .group = group };
	va_list ap;
	int k;

	/* hint_or_null is formatted by the caller; fmt is the message */
	va_start(ap, fmt);
	k = vasprintf(&f.message, fmt, ap);
	va_end(ap);
	if (k < 0) {
		run->nomem = -ENOMEM;
		return;
	}
	f.policy = policy ? strdup(policy) : NULL;
	f.hint = strdup(hint_or_null ? hint_or_null : "");
	snprintf(f.ifname, sizeof(f.ifname), "%s", ifname ? ifname : "");
	snprintf(f.scope, sizeof(f.scope), "%s", run->scope ? run->scope : "");
	if ((policy && !f.policy) || !f.hint)
		goto fail;
	if (r->n_findings == r->cap_findings) {
		size_t nc = r->cap_findings ? r->cap_findings * 2 : 16;
		struct diagnose_finding *v = reallocarray(r->findings, nc, sizeof(*v));

		if (!v)
			goto fail;
		r->findings = v;
		r->cap_findings = nc;
	}
	r->findings[r->n_findings++] = f;
	return;
fail:
	free(f.message);
	free(f.policy);
	free(f.hint);
	run->nomem = -ENOMEM;
}

/* A hint built with printf: a static buffer per call site is enough (one at a time). */
_printf_(3, 4) static const char *hintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* Facts from procfs                                                                           */

/* An integer from a file under proc (e.g. "sys/net/ipv4/conf/all/rp_filter"). */
static int proc_read_int(const struct run *run, const char *rel, long *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[PATH_MAX];
	long v;

	snprintf(path, sizeof(path), "%s/%s", run->proc, rel);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &v) != 1)
		return -EBADMSG;
	*ret = v;
	return 0;
}

static int conf_read_int(const struct run *run, const char *ifname, const char *key, long *ret)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "sys/net/ipv4/conf/%s/%s", ifname, key);
	return proc_read_int(run, rel, ret);
}

/* A counter of /proc/net/netstat or /proc/net/snmp: pairs of lines "Prefix: names..." and
 * "Prefix: values...". */
static int proc_read_counter(const struct run *run, const char *file, const char *prefix,
			     const char *name, int64_t *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *names = NULL, *values = NULL;
	size_t nn = 0, nv = 0, plen = strlen(prefix);
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", run->proc, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&names, &nn, f) > 0) {
		char *sn, *sv, *tn, *tv;

		if (strncmp(names, prefix, plen) != 0 || names[plen] != ':')
			continue;
		if (getline(&values, &nv, f) <= 0 || strncmp(values, prefix, plen) != 0)
			return -EBADMSG;
		tn = strtok_r(names + plen + 1, " \n", &sn);
		tv = strtok_r(values + plen + 1, " \n", &sv);
		for (; tn && tv; tn = strtok_r(NULL, " \n", &sn), tv = strtok_r(NULL, " \n", &sv))
			if (streq(tn, name)) {
				*ret = strtoll(tv, NULL, 10);
				return 0;
			}
		return -ENOENT;
	}
	return -ENOENT;
}

/* rp_filter in force on ifname: the larger of conf/all and conf/IF (ip-sysctl.rst). */
static int rp_filter_mode(const struct run *run, const char *ifname)
{
	long all = 0, one = 0;

	if (conf_read_int(run, "all", "rp_filter", &all) < 0)
		all = 0;
	if (conf_read_int(run, ifname, "rp_filter", &one) < 0)
		one = 0;
	return (int)(all > one ? all : one);
}

/* The sysctl name as sysctl(8) takes it: an interface name with a dot needs slashes. */
static void sysctl_name(const char *ifname, const char *key, char *buf, size_t size)
{
	if (strchr(ifname, '.'))
		snprintf(buf, size, "net/ipv4/conf/%s/%s", ifname, key);
	else
		snprintf(buf, size, "net.ipv4.conf.%s.%s", ifname, key);
}

static void read_counters(struct run *run)
{
	struct diagnose *d = run->d;

	if (run->rpf_read)
		return;
	run->rpf_read = true;
	run->rpf_count = run->rcvbuf_errors = -1;
	run->rpf_rise = run->rcvbuf_errors_rise = -1;
	if (proc_read_counter(run, "net/netstat", "TcpExt", "IPReversePathFilter",
			      &run->rpf_count) < 0)
		run->rpf_count = -1;
	if (proc_read_counter(run, "net/snmp", "Udp", "RcvbufErrors", &run->rcvbuf_errors) < 0)
		run->rcvbuf_errors = -1;
	if (d && d->have) {
		if (run->rpf_count >= 0 && d->last_rpf >= 0)
			run->rpf_rise = run->rpf_count - d->last_rpf;
		if (run->rcvbuf_errors >= 0 && d->last_rcvbuf_errors >= 0)
			run->rcvbuf_errors_rise = run->rcvbuf_errors - d->last_rcvbuf_errors;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Routes (RTM_GETROUTE) and paths (a connected UDP socket)                                    */

struct route_answer {
	int oif;
	unsigned type;
};

static int route_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	if (type == RTA_OIF && mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = {};
	struct route_answer *ans = data;
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	ans->type = rtm->rtm_type;
	ans->oif = tb[RTA_OIF] ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	return MNL_CB_OK;
}

/* The route the kernel would use to send to dst (an output lookup, as `ip route get`).
 * Returns 0 with the answer, -ENETUNREACH (and the kernel's other refusals) when there is
 * none, -EIO (and others) when the lookup itself could not be made. */
static int route_get(struct run *run, struct in_addr dst, struct route_answer *ret)
{
	char buf[8192];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct route_answer ans = {};
	unsigned portid;
	ssize_t n;
	int r;

	if (run->nl_failed)
		return -EIO;
	if (!run->nl) {
		struct timeval tv = { .tv_sec = 1 };

		run->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
		if (!run->nl || mnl_socket_bind(run->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
		    setsockopt(mnl_socket_get_fd(run->nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
			       sizeof(tv)) < 0) {
			run->nl_failed = true;
			return -EIO;
		}
	}
	portid = mnl_socket_get_portid(run->nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++run->seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, dst.s_addr);
	if (mnl_socket_sendto(run->nl, nlh, nlh->nlmsg_len) < 0)
		return -EIO;
	/* The kernel answers in the send call: one message, or an error. */
	n = mnl_socket_recvfrom(run->nl, buf, sizeof(buf));
	if (n < 0) {
		run->nl_failed = true; /* out of step: no more lookups this run */
		return -EIO;
	}
	r = mnl_cb_run(buf, (size_t)n, run->seq, portid, route_cb, &ans);
	if (r < 0)
		return errno > 0 ? -errno : -EIO;
	if (ans.type != RTN_UNICAST && ans.type != RTN_LOCAL && ans.type != RTN_MULTICAST &&
	    ans.type != RTN_BROADCAST)
		return -ENETUNREACH;
	*ret = ans;
	return 0;
}

/* The MTU of the path to `to` out of ifindex (0: by route), as the relay's connected send
 * socket sees it (IP_MTU needs a connected socket, ip(7)). */
static int path_mtu(const struct sockaddr_in *to, int ifindex, int *ret)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t sl = sizeof(int);
	int mtu;

	if (fd < 0)
		return -errno;
	if (ifindex > 0) {
		if (IN_MULTICAST(ntohl(to->sin_addr.s_addr))) {
			struct ip_mreqn mr = { .imr_ifindex = ifindex };

			if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0)
				return -errno;
		} else {
			uint32_t idx = htonl((uint32_t)ifindex);

			if (setsockopt(fd, IPPROTO_IP, IP_UNICAST_IF, &idx, sizeof(idx)) < 0)
				return -errno;
		}
	}
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
		return -errno;
	if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &sl) < 0)
		return -errno;
	*ret = mtu;
	return 0;
}

/* What a data socket gets now when it asks for want bytes, the way the relay asks
 * (SO_RCVBUFFORCE, which passes net.core.rmem_max with CAP_NET_ADMIN, then SO_RCVBUF):
 * the doubled value the kernel reports (socket(7)). */
static int rcvbuf_grant(struct run *run, int want)
{
	_cleanup_close_ int fd = -1;
	socklen_t sl = sizeof(int);
	int v = want;

	if (run->rcvbuf_probed)
		return run->rcvbuf_grant;
	run->rcvbuf_probed = true;
	run->rcvbuf_grant = -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &sl) < 0)
		return -1;
	run->rcvbuf_grant = v;
	return v;
}

/* ------------------------------------------------------------------------------------------ */
/* Checks                                                                                      */

static const char *addr_str(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN) ? buf : "?";
}

static const char *link_name(const struct links *l, int ifindex)
{
	const struct link *k = l ? links_get_by_index(l, ifindex) : NULL;

	return k ? k->name : "";
}

/* The interface itself: there, up, with carrier, with an IPv4 address. Returns false when
 * nothing past it can work (missing or down). */
static bool check_interface(struct run *run, const char *policy, const char *ifname,
			    struct in_addr group, const char *role)
{
	const struct link *k = run->in->links ? links_get_by_name(run->in->links, ifname) : NULL;
	char hint[512];

	if (!k) {
		add(run, DIAGNOSE_CODE_INTERFACE_MISSING, DIAGNOSE_SEVERITY_ERROR, policy, ifname,
		    group, hintf(hint, sizeof(hint), "create %s, or name the right interface in "
				 "ipv4optd.conf and run 'ipv4ctl reload'", ifname),
		    "there is no interface named %s: %s waits for it", ifname, role);
		return false;
	}
	if (!(k->flags & IFF_UP)) {
		add(run, DIAGNOSE_CODE_INTERFACE_DOWN, DIAGNOSE_SEVERITY_ERROR, policy, ifname,
		    group, hintf(hint, sizeof(hint), "ip link set %s up", ifname),
		    "%s is down: %s neither sends nor receives", ifname, role);
		return false;
	}
	if (!(k->flags & IFF_RUNNING)) {
		add(run, DIAGNOSE_CODE_INTERFACE_DOWN, DIAGNOSE_SEVERITY_ERROR, policy, ifname,
		    group, hintf(hint, sizeof(hint), "check the cable, the peer or the switch port "
				 "of %s (ip link show %s says NO-CARRIER)", ifname, ifname),
		    "%s is up but has no carrier: %s neither sends nor receives", ifname, role);
		return false;
	}
	return true;
}

/* The address the kernel sends IGMP reports from (RFC 3376 section 4: the report's source is
 * an address of the interface; without one it is 0.0.0.0, which snooping switches and
 * queriers may ignore, RFC 4541 section 2.1.1). */
static void check_address(struct run *run, const struct member *mb)
{
	const struct link *k = links_get_by_name(run->in->links, mb->ifname);
	char g[INET_ADDRSTRLEN], hint[512];

	if (!k || k->n_addr4 > 0)
		return;
	add(run, DIAGNOSE_CODE_NO_IPV4_ADDRESS, DIAGNOSE_SEVERITY_WARNING, mb->policy,
	    mb->ifname, mb->group,
	    hintf(hint, sizeof(hint), "ip address add ADDRESS/PREFIX dev %s", mb->ifname),
	    "%s has no IPv4 address: the IGMP reports for %s leave with source 0.0.0.0, which "
	    "snooping switches and queriers may ignore",
	    mb->ifname, addr_str(mb->group, g));
}

static void check_rp_filter(struct run *run, const struct member *mb)
{
	char g[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN], list[512] = "", hint[768], sys[96];
	char counter[160] = "";
	size_t off = 0, bad = 0;
	int mode;

	if (mb->mode != IPV4OPT_FILTER_INCLUDE || mb->n_sources == 0)
		return;
	mode = rp_filter_mode(run, mb->ifname);
	if (mode <= 0)
		return;
	for (size_t i = 0; i < mb->n_sources; i++) {
		struct route_answer ra;
		int r = route_get(run, mb->sources[i], &ra);

		if (r == -EIO)
			return; /* the lookup could not be made: say nothing */
		if (r >= 0 && (mode == 2 || ra.oif == mb->ifindex))
			continue;
		bad++;
		if (off < sizeof(list))
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", bad > 1 ?
						", " : "", addr_str(mb->sources[i], s));
	}
	if (bad == 0)
		return;
	read_counters(run);
	if (run->rpf_count >= 0)
		snprintf(counter, sizeof(counter), "; the kernel's IPReversePathFilter counter is "
			 "%lld%s", (long long)run->rpf_count, run->rpf_rise > 0 ? ", rising" :
			 run->rpf_rise == 0 ? ", not rising since the last check" : "");
	sysctl_name(mb->ifname, "rp_filter", sys, sizeof(sys));
	add(run, DIAGNOSE_CODE_RP_FILTER, DIAGNOSE_SEVERITY_ERROR, mb->policy, mb->ifname,
	    mb->group,
	    hintf(hint, sizeof(hint), "add a route back to the source through %s (ip route add "
		  "SOURCE/PREFIX via GATEWAY dev %s), or loosen the filter: sysctl -w "
		  "net.ipv4.conf.all.rp_filter=0 %s=%d", mb->ifname, mb->ifname, sys,
		  mode == 1 ? 2 : 0),
	    "rp_filter is %d (%s) on %s and the kernel has no route back to %s %s%s: it drops "
	    "%s datagrams to %s%s", mode, mode == 1 ? "strict" : "loose", mb->ifname, bad > 1 ?
	    "sources" : "source", list, mode == 1 ? " through it" : "", bad > 1 ? "their" : "its",
	    addr_str(mb->group, g), counter);
}

/* The version the kernel runs IGMP in on ifindex, as /proc/net/igmp's Querier column says
 * ("V3", or "V1"/"V2" while a querier of that version was heard recently, RFC 3376 section
 * 7.2.1): 1, 2, 3, or -1 when unknown. */
static int igmp_version(const struct run *run, int ifindex)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t n = 0;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/net/igmp", run->proc);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (getline(&line, &n, f) > 0) {
		int idx, v;
		char dev[IF_NAMESIZE + 1];
		unsigned count;

		/* "Idx\tDevice    : Count Querier\t..." then per device "1\tlo        :     1      V3" */
		if (sscanf(line, "%d %16s : %u V%d", &idx, dev, &count, &v) == 4 && idx == ifindex)
			return v;
	}
	return -1;
}

/* A source-specific membership on an interface where an IGMPv1/v2 querier was heard: the
 * kernel answers in that version, which cannot carry sources (RFC 3376 section 7.2.1). */
static void check_querier(struct run *run, const struct member *mb)
{
	char g[INET_ADDRSTRLEN];
	int v;

	if (mb->mode != IPV4OPT_FILTER_INCLUDE || mb->n_sources == 0)
		return;
	v = igmp_version(run, mb->ifindex);
	if (v != 1 && v != 2)
		return;
	add(run, DIAGNOSE_CODE_IGMP_OLD_QUERIER, DIAGNOSE_SEVERITY_WARNING, mb->policy,
	    mb->ifname, mb->group,
	    "have the querier (router or switch) of that link run IGMPv3",
	    "an IGMPv%d querier was heard on %s, so the kernel answers in IGMPv%d, which cannot "
	    "carry sources: the source-specific join of %s reaches the network as any-source",
	    v, mb->ifname, v, addr_str(mb->group, g));
}

/* IGMPv1/v2 hosts cannot ask for sources (RFC 3376 section 7.2.1): with the version forced
 * below 3, a source-specific join is sent as any-source, or not at all. */
static void check_igmp_version(struct run *run, const struct member *mb)
{
	long all = 0, one = 0, v;
	char g[INET_ADDRSTRLEN], hint[256], sys[96];

	if (conf_read_int(run, "all", "force_igmp_version", &all) < 0)
		all = 0;
	if (conf_read_int(run, mb->ifname, "force_igmp_version", &one) < 0)
		one = 0;
	v = all > one ? all : one;
	if (v <= 0) {
		check_querier(run, mb);
		return;
	}
	sysctl_name(mb->ifname, "force_igmp_version", sys, sizeof(sys));
	if (mb->mode == IPV4OPT_FILTER_INCLUDE && v < 3)
		add(run, DIAGNOSE_CODE_IGMP_VERSION_FORCED, DIAGNOSE_SEVERITY_WARNING, mb->policy,
		    mb->ifname, mb->group,
		    hintf(hint, sizeof(hint), "sysctl -w net.ipv4.conf.all.force_igmp_version=0 "
			  "%s=0", sys),
		    "%s is forced to IGMPv%ld, which cannot carry sources: the source-specific "
		    "join of %s reaches the network as any-source, if at all", mb->ifname, v,
		    addr_str(mb->group, g));
	else
		add(run, DIAGNOSE_CODE_IGMP_VERSION_FORCED, DIAGNOSE_SEVERITY_INFO, mb->policy,
		    mb->ifname, mb->group,
		    hintf(hint, sizeof(hint), "sysctl -w %s=0 lets the kernel follow the querier",
			  sys),
		    "%s is forced to IGMPv%ld", mb->ifname, v);
}

/* A join the kernel refused. ENOBUFS is one of its limits (kernel-facts.md): a socket's
 * igmp_max_memberships groups, a group's igmp_max_msf sources, or the socket's option
 * memory (net.core.optmem_max) for the lists. */
static void check_refused(struct run *run, const struct member *mb)
{
	char g[INET_ADDRSTRLEN], hint[512];
	long maxm = -1, msf = -1, optmem = -1;

	if (mb->error == -ENOBUFS) {
		(void)proc_read_int(run, "sys/net/ipv4/igmp_max_memberships", &maxm);
		(void)proc_read_int(run, "sys/net/ipv4/igmp_max_msf", &msf);
		(void)proc_read_int(run, "sys/net/core/optmem_max", &optmem);
		/* the kernel says ENOBUFS for both: a source-specific join is the sources' */
		if (mb->mode == IPV4OPT_FILTER_INCLUDE && mb->n_sources > 0)
			add(run, DIAGNOSE_CODE_SOURCE_LIMIT, DIAGNOSE_SEVERITY_ERROR, mb->policy,
			    mb->ifname, mb->group,
			    hintf(hint, sizeof(hint), "raise the limits: sysctl -w "
				  "net.ipv4.igmp_max_msf=%zu net.core.optmem_max=%ld", mb->n_sources
				  > 64 ? mb->n_sources * 2 : 128, optmem > 0 ? optmem * 2 : 131072),
			    "the kernel refused %s with %zu sources (ENOBUFS): igmp_max_msf is %ld "
			    "sources per group, net.core.optmem_max %ld bytes per socket",
			    addr_str(mb->group, g), mb->n_sources, msf, optmem);
		else
			add(run, DIAGNOSE_CODE_MEMBERSHIP_LIMIT, DIAGNOSE_SEVERITY_ERROR, mb->policy,
			    mb->ifname, mb->group,
			    hintf(hint, sizeof(hint), "raise the limits: sysctl -w "
				  "net.ipv4.igmp_max_memberships=%ld net.core.optmem_max=%ld",
				  maxm > 0 ? maxm * 2 : 40, optmem > 0 ? optmem * 2 : 131072),
			    "the kernel refused %s (ENOBUFS): igmp_max_memberships is %ld groups "
			    "per socket, net.core.optmem_max %ld bytes per socket",
			    addr_str(mb->group, g), maxm, optmem);
		return;
	}
	/* named by the step that failed: a port another program holds is no kernel refusal */
	add(run, DIAGNOSE_CODE_KERNEL_REFUSED, DIAGNOSE_SEVERITY_ERROR, mb->policy, mb->ifname,
	    mb->group, mb->error_step == MEMBER_STEP_BIND ?
	    "another program holds the port (ss -lunp); the join is retried when the interface "
	    "changes; 'ipv4ctl reload' retries it now" :
	    "the join is retried when the interface changes; 'ipv4ctl show' has the "
	    "error; 'ipv4ctl reload' retries it now",
	    "%s for %s on %s: %s (%s)", member_step_describe(mb, (char[96]){ 0 }, 96),
	    addr_str(mb->group, g), mb->ifname, strerror(abs(mb->error)),
	    ctlproto_errno_to_code(mb->error));
}

static void check_member(struct run *run, const struct member *mb)
{
	char g[INET_ADDRSTRLEN], role[64];

	snprintf(role, sizeof(role), "the membership of %s", addr_str(mb->group, g));
	switch (mb->state) {
	case MEMBER_STATE_WAITING:
		(void)check_interface(run, mb->policy, mb->ifname, mb->group, role);
		return;
	case MEMBER_STATE_FAILED:
		check_refused(run, mb);
		return;
	case MEMBER_STATE_JOINED:
		break;
	case _MEMBER_STATE_MAX:
	case _MEMBER_STATE_INVALID:
		return;
	}
	if (!check_interface(run, mb->policy, mb->ifname, mb->group, role))
		return;
	check_address(run, mb);
	check_rp_filter(run, mb);
	check_igmp_version(run, mb);
}

static double jdouble(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	return json_object_get_double(v);
}

static uint64_t juint(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	return json_object_get_uint64(v);
}

/* What the policy-wide checks need of a policy's memberships, gathered in one pass over them. */
struct pagg {
	const struct member *first;    /* the first joined one */
	size_t joined;
	uint64_t newest;               /* the latest since_usec of a joined one */
};

static void pagg_add(struct pagg *a, const struct member *mb)
{
	if (mb->state != MEMBER_STATE_JOINED)
		return;
	if (!a->first)
		a->first = mb;
	a->joined++;
	if (mb->since_usec > a->newest)
		a->newest = mb->since_usec;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int pindex_build(struct pindex *x, const struct config *c)
{
	size_t cap = 16;

	while (cap < 2 * c->n_policies)
		cap *= 2;
	x->config = c;
	x->mask = cap - 1;
	x->slots = calloc(cap, sizeof(*x->slots));
	if (!x->slots)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_policies; i++) {
		size_t k = name_hash(c->policies[i].name) & x->mask;

		while (x->slots[k])
			k = (k + 1) & x->mask;
		x->slots[k] = i + 1;
	}
	return 0;
}

/* The index of the policy named name, or -1. */
static ssize_t pindex_find(const struct pindex *x, const char *name)
{
	for (size_t k = name_hash(name) & x->mask; x->slots[k]; k = (k + 1) & x->mask)
		if (streq(x->config->policies[x->slots[k] - 1].name, name))
			return (ssize_t)(x->slots[k] - 1);
	return -1;
}

static void check_rcvbuf(struct run *run, const struct policy *p, const struct member *mb)
{
	int want = run->in->config->rcvbuf > 0 ? run->in->config->rcvbuf : CONFIG_DEFAULT_RCVBUF;
	/* What the data plane's receive sockets of the policy's port were granted. */
	int held = run->in->relay ? relay_get_port_rcvbuf(run->in->relay, mb->port) : -1, grant;
	long rmem_max = -1;
	char errs[160] = "", hint[512];

	if (held < 0)
		held = -1;
	grant = rcvbuf_grant(run, want);
	(void)proc_read_int(run, "sys/net/core/rmem_max", &rmem_max);
	read_counters(run);
	if (run->rcvbuf_errors >= 0)
		snprintf(errs, sizeof(errs), "; the kernel's Udp RcvbufErrors counter is %lld%s",
			 (long long)run->rcvbuf_errors, run->rcvbuf_errors_rise > 0 ? ", rising" :
			 "");
	/* The kernel doubles what it grants (socket(7)): compare doubled values. */
	if (grant >= 0 && grant < 2 * want) {
		add(run, DIAGNOSE_CODE_RCVBUF_CAPPED, DIAGNOSE_SEVERITY_WARNING, p->name, mb->ifname,
		    (struct in_addr){ INADDR_ANY },
		    hintf(hint, sizeof(hint), "sysctl -w net.core.rmem_max=%d (or give the daemon "
			  "CAP_NET_ADMIN, which passes the cap with SO_RCVBUFFORCE), or lower "
			  "rcvbuf in ipv4optd.conf", want),
		    "rcvbuf asks for %d bytes of receive buffer, net.core.rmem_max (%ld) lets a "
		    "socket of the daemon have %d: a burst larger than that is dropped%s", want,
		    rmem_max, grant / 2, errs);
		return;
	}
	if (held >= 0 && held < 2 * want)
		add(run, DIAGNOSE_CODE_RCVBUF_SHORT, DIAGNOSE_SEVERITY_WARNING, p->name, mb->ifname,
		    (struct in_addr){ INADDR_ANY },
		    "restart the daemon (or change rcvbuf and run 'ipv4ctl reload'): the socket "
		    "then asks again",
		    "the receive socket holds %d bytes, not the %d rcvbuf asks for: it was opened "
		    "under a lower net.core.rmem_max, which is no longer in force%s", held / 2,
		    want, errs);
}

static void check_traffic(struct run *run, const struct policy *p, struct json_object *st,
			  const struct member *first, size_t joined, uint64_t newest)
{
	double last = jdouble(st, "last_packet_timestamp_seconds");
	uint64_t age;
	char g[INET_ADDRSTRLEN], hint[512];

	if (joined == 0 || (last > 0 && (uint64_t)(last * 1e6) >= newest))
		return;
	age = run->now > newest ? (run->now - newest) / 1000000ULL : 0;
	add(run, DIAGNOSE_CODE_NO_TRAFFIC, DIAGNOSE_SEVERITY_WARNING, p->name,
	    joined == 1 ? first->ifname : "", p->group,
	    hintf(hint, sizeof(hint), "check that a sender sends %s:%u and that a router or "
		  "querier forwards it here (tcpdump -ni %s igmp or udp port %u)",
		  addr_str(p->group, g), p->port, first->ifname, p->port),
	    "nothing received on %s:%u since the join %llu s ago%s", addr_str(p->group, g),
	    p->port, (unsigned long long)age, last > 0 ? " (traffic came before it)" : "");
}

static void check_output(struct run *run, const struct policy *p, const struct relay_output *o,
			 uint64_t max_datagram)
{
	char to[INET_ADDRSTRLEN + 8], a[INET_ADDRSTRLEN], hint[512], role[96];
	bool mcast = IN_MULTICAST(ntohl(o->to.sin_addr.s_addr));
	const struct link *k = NULL;
	struct route_answer ra = {};
	int ifindex = 0, mtu = 0, r;

	snprintf(to, sizeof(to), "%s:%u", addr_str(o->to.sin_addr, a), ntohs(o->to.sin_port));
	if (o->interface[0]) {
		snprintf(role, sizeof(role), "the output to %s", to);
		if (!check_interface(run, p->name, o->interface, (struct in_addr){ INADDR_ANY },
				     role))
			return;
		k = links_get_by_name(run->in->links, o->interface);
		ifindex = k->ifindex;
	}
	/* Multicast out of a named interface needs no route (IP_MULTICAST_IF); anything else
	 * is looked up as the kernel does for the relay's connected socket. */
	if (!mcast || !ifindex) {
		r = route_get(run, o->to.sin_addr, &ra);
		if (r < 0 && r != -EIO) {
			add(run, DIAGNOSE_CODE_NO_ROUTE, DIAGNOSE_SEVERITY_ERROR, p->name,
			    o->interface, (struct in_addr){ INADDR_ANY },
			    hintf(hint, sizeof(hint), "ip route add %s/32 via GATEWAY%s%s (or a "
				  "default route)", a, ifindex ? " dev " : "", o->interface),
			    "no route to the output %s (%s): every datagram relayed there is "
			    "dropped", to, strerror(-r));
			return;
		}
		if (r >= 0 && ifindex && !mcast && ra.oif != ifindex) {
			add(run, DIAGNOSE_CODE_NO_ROUTE, DIAGNOSE_SEVERITY_ERROR, p->name,
			    o->interface, (struct in_addr){ INADDR_ANY },
			    hintf(hint, sizeof(hint), "ip route add %s/32 via GATEWAY dev %s, or "
				  "name %s as the output's interface", a, o->interface,
				  link_name(run->in->links, ra.oif)),
			    "the route to the output %s goes out of %s, not %s: the kernel sends it "
			    "out of %s as if %s were on that link", to,
			    link_name(run->in->links, ra.oif), o->interface, o->interface, a);
			return;
		}
	}
	if (max_datagram == 0 || path_mtu(&o->to, ifindex, &mtu) < 0)
		return;
	if (max_datagram + UDP_IPV4_OVERHEAD <= (uint64_t)mtu)
		return;
	{
		const char *dev = ifindex ? o->interface : link_name(run->in->links, ra.oif);

		add(run, DIAGNOSE_CODE_MTU, DIAGNOSE_SEVERITY_WARNING, p->name, dev,
		    (struct in_addr){ INADDR_ANY },
		    hintf(hint, sizeof(hint), "ip link set %s mtu %llu (if the link allows it), "
			  "or have the sender send datagrams of at most %d bytes", *dev ? dev :
			  "DEV", (unsigned long long)(max_datagram + UDP_IPV4_OVERHEAD),
			  mtu - UDP_IPV4_OVERHEAD),
		    "datagrams of up to %llu bytes were received, the path to the output %s has "
		    "an MTU of %d (%d bytes of payload): they leave in fragments, or not at all",
		    (unsigned long long)max_datagram, to, mtu, mtu - UDP_IPV4_OVERHEAD);
	}
}

/* The checks of a receiving policy as a whole: its buffer, its traffic, its outputs. */
static void check_policy(struct run *run, const struct policy *p, const struct pagg *a)
{
	_cleanup_json_ struct json_object *st = NULL;

	if (p->action == POLICY_ACTION_JOIN || !run->in->relay)
		return;
	if (run->in->only_ifname) {
		bool any = false;

		for (size_t i = 0; i < p->n_outputs && !any; i++)
			any = streq(p->outputs[i].interface, run->in->only_ifname);
		if (!any)
			return; /* nothing of this policy is about that interface */
	}
	st = json_object_new_object();
	if (!st || relay_stats_policy_json(run->in->relay, p->name, st) < 0) {
		run->nomem = -ENOMEM;
		return;
	}
	if (!run->in->only_ifname) {
		/* policy-wide: of no one interface */
		if (a->first)
			check_rcvbuf(run, p, a->first);
		if (!run->in->skip_traffic)
			check_traffic(run, p, st, a->first, a->joined, a->newest);
	}
	for (size_t i = 0; i < p->n_outputs; i++) {
		const struct relay_output *o = &p->outputs[i];

		/* an output by route is of no one interface (a route may change with any) */
		if (run->in->only_ifname && !streq(o->interface, run->in->only_ifname))
			continue;
		run->scope = o->interface[0] ? o->interface : NULL;
		check_output(run, p, o, juint(st, "max_datagram_bytes"));
		run->scope = NULL;
	}
}

/* Findings in policy order (config order, runtime joins last), in the order found within. */
static int cmp_finding(const void *x, const void *y)
{
	const struct diagnose_finding *a = x, *b = y;

	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void set_order(struct run *run, size_t from, size_t order)
{
	for (size_t i = from; i < run->report->n_findings; i++)
		run->report->findings[i].order = order;
}

int diagnose_run(struct diagnose *d, const struct diagnose_input *in, const char *only_policy,
		 struct diagnose_report **ret)
{
	_cleanup_(diagnose_report_freep) struct diagnose_report *report = NULL;
	_cleanup_free_ struct pagg *aggs = NULL;
	struct pindex local = {}, *index = &local;
	struct run run = { .d = d, .in = in };
	const struct config *c;
	ssize_t only = -1;
	int r;

	assert(in && in->config && in->members && ret);
	c = in->config;
	if (only_policy) {
		const struct policy *p = config_find_policy(c, only_policy);

		if (!p)
			return -ENOENT;
		only = p - c->policies;
	}
	report = calloc(1, sizeof(*report));
	aggs = calloc(c->n_policies ? c->n_policies : 1, sizeof(*aggs));
	if (!report || !aggs)
		return -ENOMEM;
	if (d && in->only_ifname && d->index.slots && d->index.config == c)
		index = &d->index;
	else {
		r = pindex_build(&local, c);
		if (r < 0)
			return r;
		if (d && !in->only_ifname && !only_policy) {
			free(d->index.slots);
			d->index = local;
			local = (struct pindex){};
			index = &d->index;
		}
	}
	run.report = report;
	run.proc = in->proc ? in->proc : "/proc";
	run.now = in->now_usec ? in->now_usec : clock_now_usec(CLOCK_REALTIME);

	/* One pass over the memberships: each one's own checks, and what its policy's need. */
	for (const struct member *mb = members_first(in->members); mb; mb = members_next(mb)) {
		size_t from = report->n_findings;
		ssize_t i;

		bool in_scope = !in->only_ifname || streq(mb->ifname, in->only_ifname);

		run.scope = mb->ifname;
		if (mb->origin == MEMBER_ORIGIN_RUNTIME) {
			if (only >= 0 || !in_scope)
				continue;
			check_member(&run, mb);
			set_order(&run, from, c->n_policies);
			continue;
		}
		i = pindex_find(index, mb->policy);
		if (i < 0 || (only >= 0 && i != only))
			continue;
		pagg_add(&aggs[i], mb);
		if (!in_scope)
			continue;
		check_member(&run, mb);
		set_order(&run, from, (size_t)i);
	}
	for (size_t i = 0; i < c->n_policies; i++) {
		size_t from = report->n_findings;

		if (only >= 0 && (size_t)only != i)
			continue;
		run.scope = NULL;
		check_policy(&run, &c->policies[i], &aggs[i]);
		set_order(&run, from, i);
	}
	free(local.slots);
	if (run.nl)
		mnl_socket_close(run.nl);
	if (d) {
		read_counters(&run);
		d->have = true;
		d->last_rpf = run.rpf_count;
		d->last_rcvbuf_errors = run.rcvbuf_errors;
	}
	if (run.nomem < 0)
		return run.nomem;
	for (size_t i = 0; i < report->n_findings; i++)
		report->findings[i].seq = i;
	if (report->n_findings > 1)
		qsort(report->findings, report->n_findings, sizeof(*report->findings),
		      cmp_finding);
	*ret = TAKE_PTR(report);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON                                                                                        */

static int finding_to_json(const struct diagnose_finding *f, struct json_object **ret)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	char g[INET_ADDRSTRLEN];
	int k = 0;

	if (!o)
		return -ENOMEM;
	k |= ctlproto_json_add(o, "code", json_object_new_string(diagnose_code_to_string(f->code)));
	k |= ctlproto_json_add(o, "severity",
			       json_object_new_string(diagnose_severity_to_string(f->severity)));
	if (f->policy)
		k |= ctlproto_json_add(o, "policy", json_object_new_string(f->policy));
	else
		k |= json_object_object_add(o, "policy", NULL) < 0 ? -ENOMEM : 0;
	if (f->ifname[0])
		k |= ctlproto_json_add(o, "interface", json_object_new_string(f->ifname));
	else
		k |= json_object_object_add(o, "interface", NULL) < 0 ? -ENOMEM : 0;
	if (f->group.s_addr != INADDR_ANY)
		k |= ctlproto_json_add(o, "group", json_object_new_string(addr_str(f->group, g)));
	else
		k |= json_object_object_add(o, "group", NULL) < 0 ? -ENOMEM : 0;
	k |= ctlproto_json_add(o, "message", json_object_new_string(f->message));
	k |= ctlproto_json_add(o, "hint", json_object_new_string(f->hint));
	if (k)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}

int diagnose_report_to_json(const struct diagnose_report *r, struct json_object **ret)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	size_t counts[_DIAGNOSE_SEVERITY_MAX] = {};
	int k;

	if (!o || ctlproto_json_add(o, "findings", a) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_findings; i++) {
		struct json_object *f;

		if (finding_to_json(&r->findings[i], &f) < 0)
			return -ENOMEM;
		if (json_object_array_add(a, f) < 0) {
			json_object_put(f);
			return -ENOMEM;
		}
		counts[r->findings[i].severity]++;
	}
	k = ctlproto_json_add(o, "errors",
			      json_object_new_uint64(counts[DIAGNOSE_SEVERITY_ERROR]));
	k |= ctlproto_json_add(o, "warnings",
			       json_object_new_uint64(counts[DIAGNOSE_SEVERITY_WARNING]));
	if (k)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The log                                                                                     */

static int cmp_logged(const void *x, const void *y)
{
	const struct logged *a = x, *b = y;
	int k = strcmp(a->scope, b->scope);

	if (k)
		return k;
	if (a->code != b->code)
		return a->code < b->code ? -1 : 1;
	k = strcmp(a->policy ? a->policy : "", b->policy ? b->policy : "");
	if (k)
		return k;
	k = strcmp(a->ifname, b->ifname);
	if (k)
		return k;
	return a->group.s_addr < b->group.s_addr ? -1 : a->group.s_addr > b->group.s_addr;
}

static void log_logged(const struct logged *l, int level, const char *what, const char *message,
		       const char *hint)
{
	char g[INET_ADDRSTRLEN];
	struct log_ctx ctx = {
		.policy = l->policy,
		.ifname = l->ifname[0] ? l->ifname : NULL,
		.group = l->group.s_addr != INADDR_ANY ? addr_str(l->group, g) : NULL,
	};

	if (message)
		log_full_errno(level, 0, &ctx, "Diagnose: %s%s%s%s: %s%s%s",
			       diagnose_code_to_string(l->code), l->policy ? ", policy " : "",
			       l->policy ? l->policy : "", what, message, hint && *hint ? "; fix: " :
			       "", hint ? hint : "");
	else
		log_full_errno(level, 0, &ctx, "Diagnose: %s%s%s%s%s%s", diagnose_code_to_string(l->code),
			       l->policy ? ", policy " : "", l->policy ? l->policy : "",
			       l->ifname[0] ? ", " : "", l->ifname, what);
}

static int severity_level(enum diagnose_severity s)
{
	switch (s) {
	case DIAGNOSE_SEVERITY_ERROR:
		return LOG_ERR;
	case DIAGNOSE_SEVERITY_WARNING:
		return LOG_WARNING;
	case DIAGNOSE_SEVERITY_INFO:
	case _DIAGNOSE_SEVERITY_MAX:
	case _DIAGNOSE_SEVERITY_INVALID:
		break;
	}
	return LOG_INFO;
}

/* The range [*ret_from, *ret_to) of d->logged whose scope is scope (all: NULL). */
static void logged_range(const struct diagnose *d, const char *scope, size_t *ret_from,
			 size_t *ret_to)
{
	size_t lo = 0, hi = d->n_logged;

	if (!scope) {
		*ret_from = 0;
		*ret_to = d->n_logged;
		return;
	}
	while (lo < hi) { /* the first with scope >= scope */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(d->logged[mid].scope, scope) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret_from = lo;
	while (lo < d->n_logged && streq(d->logged[lo].scope, scope))
		lo++;
	*ret_to = lo;
}

int diagnose_log_changes(struct diagnose *d, const struct diagnose_report *r, const char *scope)
{
	struct logged *now = calloc(r->n_findings ? r->n_findings : 1, sizeof(*now)), *v;
	size_t n = 0, i, k = 0, from, to, total;

	if (!now)
		return -ENOMEM;
	for (size_t j = 0; j < r->n_findings; j++) {
		const struct diagnose_finding *f = &r->findings[j];

		/* a matter of time, not of a state: the daemon's own runs never look for it, so
		 * a command's run would make it come and go in the log */
		if (f->code == DIAGNOSE_CODE_NO_TRAFFIC)
			continue;
		assert(!scope || streq(f->scope, scope));
		now[n] = (struct logged){ .code = f->code, .group = f->group, .finding = f };
		memcpy(now[n].scope, f->scope, sizeof(now[n].scope));
		memcpy(now[n].ifname, f->ifname, sizeof(now[n].ifname));
		if (f->policy && !(now[n].policy = strdup(f->policy))) {
			logged_free(now, n);
			return -ENOMEM;
		}
		n++;
	}
	if (n > 1)
		qsort(now, n, sizeof(*now), cmp_logged);
	logged_range(d, scope, &from, &to);
	/* Both sorted: one walk over the scope's range tells what is new and what is gone. */
	i = from;
	while (i < to || k < n) {
		int c = i >= to ? 1 : k >= n ? -1 : cmp_logged(&d->logged[i], &now[k]);

		if (c < 0)
			log_logged(&d->logged[i++], LOG_INFO, " cleared", NULL, NULL);
		else if (c > 0) {
			if (k == 0 || cmp_logged(&now[k - 1], &now[k]) != 0)
				log_logged(&now[k], severity_level(now[k].finding->severity), "",
					   now[k].finding->message, now[k].finding->hint);
			k++;
		} else {
			/* equal keys in now (one finding per key is logged) stay with it */
			i++;
			for (k++; k < n && cmp_logged(&now[k - 1], &now[k]) == 0; k++)
				;
		}
	}
	for (size_t j = 0; j < n; j++)
		now[j].finding = NULL;
	/* the scope's range replaced by now: the order holds (now has that scope only) */
	total = d->n_logged - (to - from) + n;
	v = malloc((total ? total : 1) * sizeof(*v));
	if (!v) {
		logged_free(now, n);
		return -ENOMEM;
	}
	/* (d->logged is NULL before the first run: no copy from it then) */
	if (from > 0)
		memcpy(v, d->logged, from * sizeof(*v));
	if (n > 0)
		memcpy(v + from, now, n * sizeof(*v));
	if (d->n_logged > to)
		memcpy(v + from + n, d->logged + to, (d->n_logged - to) * sizeof(*v));
	for (size_t j = from; j < to; j++)
		free(d->logged[j].policy);
	free(d->logged);
	free(now);
	d->logged = v;
	d->n_logged = total;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* ipv4ctl show's marks                                                                        */

static uint64_t mark_hash(const char *policy, const char *ifname)
{
	return name_hash(policy) * 31 + name_hash(ifname);
}

int diagnose_report_mark_members(const struct diagnose_report *r, const struct members *m,
				 struct json_object *arr)
{
	_cleanup_free_ size_t *slots = NULL, *next = NULL;
	size_t cap = 16, i = 0;

	/* findings by (policy, interface): a chain per slot, so each membership looks only at
	 * the findings of its own policy and interface */
	while (cap < 2 * r->n_findings)
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	next = calloc(r->n_findings ? r->n_findings : 1, sizeof(*next));
	if (!slots || !next)
		return -ENOMEM;
	for (size_t f = 0; f < r->n_findings; f++) {
		size_t k;

		if (!r->findings[f].policy)
			continue;
		k = mark_hash(r->findings[f].policy, r->findings[f].ifname) & (cap - 1);
		next[f] = slots[k];
		slots[k] = f + 1;
	}
	for (const struct member *mb = members_first(m); mb; mb = members_next(mb), i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *codes;
		size_t k = mark_hash(mb->policy, mb->ifname) & (cap - 1);

		if (!o)
			return -EINVAL; /* arr is not the members' array */
		codes = json_object_new_array();
		if (ctlproto_json_add(o, "findings", codes) < 0)
			return -ENOMEM;
		for (size_t f = slots[k]; f; f = next[f - 1]) {
			const struct diagnose_finding *x = &r->findings[f - 1];

			if (!streq(x->policy, mb->policy) || !streq(x->ifname, mb->ifname) ||
			    (x->group.s_addr != INADDR_ANY && x->group.s_addr != mb->group.s_addr))
				continue;
			if (json_object_array_add(codes, json_object_new_string(
							  diagnose_code_to_string(x->code))) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}
