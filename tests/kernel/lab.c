/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <check.h>
#include <unistd.h>

#include "ipv4opt.h"
#include "lab.h"

static struct lab the_lab;
static bool lab_built;
static pid_t lab_owner;
static int orig_ns_fd = -1;

static const char *const ns_role[_LAB_NS_MAX] = {
	[LAB_SND] = "snd",
	[LAB_RCV] = "rcv",
};

void lab_require_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: kernel tests need root (network namespaces)\n");
		exit(77);
	}
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	if (r == -1)
		return -1;
	return WIFEXITED(r) ? WEXITSTATUS(r) : 128;
}

static void must(int r, const char *what)
{
	if (r != 0) {
		fprintf(stderr, "lab: failed to %s (status %d)\n", what, r);
		lab_destroy();
		abort();
	}
}

void lab_destroy(void)
{
	if (!lab_built || getpid() != lab_owner)
		return;
	for (int i = 0; i < _LAB_NS_MAX; i++) {
		if (the_lab.ns_fd[i] >= 0)
			close(the_lab.ns_fd[i]);
		sh("ip netns del %s 2>/dev/null", the_lab.ns[i]);
	}
	lab_built = false;
}

static void lab_signal(int sig)
{
	lab_destroy();
	signal(sig, SIG_DFL);
	raise(sig);
}

struct in_addr lab_addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a;
}

/* Removes labs left by test programs that died without cleaning up (their pid is gone). */
static void lab_sweep(void)
{
	sh("for n in $(ip netns list | awk '/^ipv4opt-t[0-9]+-/{print $1}'); do "
	   "p=${n#ipv4opt-t}; p=${p%%%%-*}; [ -d /proc/$p ] || ip netns del $n; done 2>/dev/null");
}

static int ifindex_in(enum lab_ns ns, const char *name)
{
	lab_enter(ns);
	int idx = (int)if_nametoindex(name);
	lab_leave();
	return idx;
}

struct lab *lab_get(void)
{
	struct lab *l = &the_lab;

	if (lab_built)
		return l;
	lab_require_root();
	lab_sweep();
	orig_ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	must(orig_ns_fd < 0, "open own namespace");
	for (int i = 0; i < _LAB_NS_MAX; i++) {
		snprintf(l->ns[i], sizeof(l->ns[i]), "ipv4opt-t%d-%s", (int)getpid(), ns_role[i]);
		l->ns_fd[i] = -1;
	}
	lab_owner = getpid();
	lab_built = true;
	atexit(lab_destroy);
	signal(SIGINT, lab_signal);
	signal(SIGTERM, lab_signal);

	const char *S = l->ns[LAB_SND], *R = l->ns[LAB_RCV];
	must(sh("ip netns add %s && ip netns add %s", S, R), "create namespaces");
	for (int i = 0; i < 2; i++) {
		must(sh("ip -n %s link add s%d type veth peer name r%d netns %s", S, i, i, R),
		     "create veth pair");
		must(sh("ip -n %s addr add 10.201.%d.1/24 dev s%d && ip -n %s link set s%d up",
			S, i + 1, i, S, i), "configure s side");
		must(sh("ip -n %s addr add 10.201.%d.2/24 dev r%d && ip -n %s link set r%d up",
			R, i + 1, i, R, i), "configure r side");
	}
	must(sh("ip -n %s link set lo up && ip -n %s link set lo up", S, R), "bring lo up");
	must(sh("ip -n %s route add 224.0.0.0/4 dev s0 && ip -n %s route add 224.0.0.0/4 dev r0",
		S, R), "add multicast routes");
	/* Accept packets whose source is not reachable back through the arrival interface
	 * (raw and relay scenarios send with arbitrary sources). */
	sh("ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 "
	   "net.ipv4.conf.r0.rp_filter=0 net.ipv4.conf.r1.rp_filter=0", R);

	for (int i = 0; i < _LAB_NS_MAX; i++) {
		char path[128];

		snprintf(path, sizeof(path), "/run/netns/%s", l->ns[i]);
		l->ns_fd[i] = open(path, O_RDONLY | O_CLOEXEC);
		must(l->ns_fd[i] < 0, "open namespace");
	}
	for (int i = 0; i < 2; i++) {
		char n[8];

		snprintf(n, sizeof(n), "s%d", i);
		l->snd_if[i] = ifindex_in(LAB_SND, n);
		snprintf(n, sizeof(n), "r%d", i);
		l->rcv_if[i] = ifindex_in(LAB_RCV, n);
		char a[32];
		snprintf(a, sizeof(a), "10.201.%d.1", i + 1);
		l->snd_addr[i] = lab_addr(a);
		snprintf(a, sizeof(a), "10.201.%d.2", i + 1);
		l->rcv_addr[i] = lab_addr(a);
	}
	/* Wait until the veth pairs have carrier (IPv4 multicast is dropped before): polled, for
	 * up to 20 s on a loaded machine, and a lab that never gets there is an error. */
	for (int t = 0;; t++) {
		if (sh("ip -n %s link show r0 | grep -q LOWER_UP && ip -n %s link show r1 | grep -q LOWER_UP",
		       R, R) == 0)
			break;
		must(t >= 1000, "see carrier on the veth pairs within 20 s");
		usleep(20000);
	}
	return l;
}

void lab_enter(enum lab_ns ns)
{
	if (setns(the_lab.ns_fd[ns], CLONE_NEWNET) < 0) {
		perror("setns");
		abort();
	}
}

void lab_leave(void)
{
	if (setns(orig_ns_fd, CLONE_NEWNET) < 0) {
		perror("setns back");
		abort();
	}
}

int lab_socket(enum lab_ns ns, int domain, int type, int protocol)
{
	lab_get();
	lab_enter(ns);
	int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	int r = fd < 0 ? -errno : fd;
	lab_leave();
	return r;
}

int lab_run(enum lab_ns ns, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	lab_get();
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return sh("ip netns exec %s sh -c '%s'", the_lab.ns[ns], cmd);
}

struct has_ctx {
	const char *ifname;
	struct in_addr group, source;
	int count;
};

static int igmp_cb(const struct ipv4opt_igmp_entry *e, void *userdata)
{
	struct has_ctx *c = userdata;

	if (strcmp(e->ifname, c->ifname) == 0 && e->group.s_addr == c->group.s_addr)
		c->count++;
	return 0;
}

static int mcfilter_cb(const struct ipv4opt_mcfilter_entry *e, void *userdata)
{
	struct has_ctx *c = userdata;

	if (strcmp(e->ifname, c->ifname) == 0 && e->group.s_addr == c->group.s_addr &&
	    e->source.s_addr == c->source.s_addr)
		c->count++;
	return 0;
}

int lab_igmp_has(enum lab_ns ns, const char *ifname, const char *group)
{
	struct has_ctx c = { .ifname = ifname, .group = lab_addr(group) };

	lab_get();
	lab_enter(ns);
	int r = ipv4opt_igmp_foreach(NULL, igmp_cb, &c);
	lab_leave();
	return r < 0 ? r : c.count;
}

int lab_mcfilter_has(enum lab_ns ns, const char *ifname, const char *group, const char *source)
{
	struct has_ctx c = { .ifname = ifname, .group = lab_addr(group), .source = lab_addr(source) };

	lab_get();
	lab_enter(ns);
	int r = ipv4opt_mcfilter_foreach(NULL, mcfilter_cb, &c);
	lab_leave();
	return r < 0 ? r : c.count;
}

void lab_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

int lab_test_socket(enum lab_ns ns, int type, int protocol, int timeout_ms)
{
	int fd = lab_socket(ns, AF_INET, type, protocol);

	ck_assert_msg(fd >= 0, "socket(%d, %d) in lab: %s", type, protocol, strerror(-fd));
	lab_rcvtimeo(fd, timeout_ms);
	return fd;
}

int lab_run_suite(Suite *s)
{
	SRunner *sr;
	int failed;

	lab_get();
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
