/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ifchurn: how long after an interface is created does a daemon hold its membership?
 *
 *   ifchurn IFNAME GROUP ROUNDS TIMEOUT_MS
 *
 * Each round creates a veth pair IFNAME/IFNAME-p through rtnetlink (libmnl), takes the time
 * the kernel acknowledged it (the interface exists from then on), then reads /proc/net/igmp
 * until GROUP is listed on IFNAME, and deletes the pair. Prints one line per round in
 * microseconds ("timeout" if never), then the median and p99. Runs inside the namespace of
 * the daemon under test (ip netns exec).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>

static struct mnl_socket *nl;
static unsigned portid, seq;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int talk(struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	nlh->nlmsg_seq = ++seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

static int veth_add(const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], peer[IF_NAMESIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	struct nlattr *linkinfo, *data, *p;

	snprintf(peer, sizeof(peer), "%s-p", name);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg)); /* the peer's, zeroed */
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return talk(nlh);
}

static int link_del(const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_DELLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return talk(nlh);
}

/* Is hex (as /proc/net/igmp prints the group) listed under device name? */
static int igmp_has(const char *name, const char *hex)
{
	char line[256], dev[64] = "";
	FILE *f = fopen("/proc/net/igmp", "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char a[64], b[64];

		if (line[0] >= '0' && line[0] <= '9') {
			if (sscanf(line, "%63s %63s", a, b) == 2)
				snprintf(dev, sizeof(dev), "%s", b);
		} else if (line[0] == '\t' && strcmp(dev, name) == 0) {
			if (sscanf(line, "%63s", a) == 1 && strcmp(a, hex) == 0)
				found = 1;
		}
	}
	fclose(f);
	return found;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct in_addr g;
	char hex[16];
	int rounds, timeout_ms, n_ok = 0;
	double *v;

	if (argc != 5 || inet_pton(AF_INET, argv[2], &g) != 1) {
		fprintf(stderr, "usage: ifchurn IFNAME GROUP ROUNDS TIMEOUT_MS\n");
		return 2;
	}
	rounds = atoi(argv[3]);
	timeout_ms = atoi(argv[4]);
	snprintf(hex, sizeof(hex), "%08X", g.s_addr);
	v = calloc((size_t)rounds, sizeof(*v));
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!v || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("setup");
		return 1;
	}
	portid = mnl_socket_get_portid(nl);
	link_del(argv[1]);
	for (int i = 0; i < rounds; i++) {
		double t0, t;
		int r = veth_add(argv[1]);

		if (r < 0) {
			fprintf(stderr, "create %s: %s\n", argv[1], strerror(-r));
			return 1;
		}
		t0 = now_us();
		for (;;) {
			if (igmp_has(argv[1], hex)) {
				t = now_us() - t0;
				v[n_ok++] = t;
				printf("round %d: %.0f us\n", i + 1, t);
				break;
			}
			if (now_us() - t0 > timeout_ms * 1000.0) {
				printf("round %d: timeout\n", i + 1);
				break;
			}
			usleep(50);
		}
		link_del(argv[1]);
		usleep(2000); /* let the daemon see the deletion before the next creation */
	}
	qsort(v, (size_t)n_ok, sizeof(*v), cmp);
	if (n_ok > 0)
		printf("rejoined %d/%d median_us %.0f p99_us %.0f max_us %.0f\n", n_ok, rounds,
		       v[n_ok / 2], v[(int)((n_ok - 1) * 0.99)], v[n_ok - 1]);
	else
		printf("rejoined 0/%d median_us - p99_us - max_us -\n", rounds);
	return 0;
}
