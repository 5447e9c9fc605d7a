/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The namespace lab for kernel tests: two network namespaces joined by two veth pairs.
 *
 *   snd (sender)                       rcv (receiver)
 *   s0 10.201.1.1/24  <----veth---->   r0 10.201.1.2/24
 *   s1 10.201.2.1/24  <----veth---->   r1 10.201.2.2/24
 *
 * Multicast from snd leaves by s0 (224.0.0.0/4 route); lo is up in both. Namespace names carry
 * the test's pid so parallel tests do not collide. The lab removes itself at exit, even when a
 * test fails; lab_sweep() removes labs whose creator is gone.
 */
#ifndef IPV4OPT_LAB_H
#define IPV4OPT_LAB_H

#include <netinet/in.h>
#include <stdbool.h>

enum lab_ns {
	LAB_SND,
	LAB_RCV,
	_LAB_NS_MAX,
};

struct lab {
	char ns[_LAB_NS_MAX][48];
	int ns_fd[_LAB_NS_MAX];
	int snd_if[2]; /* s0, s1 ifindex in snd */
	int rcv_if[2]; /* r0, r1 ifindex in rcv */
	struct in_addr snd_addr[2];
	struct in_addr rcv_addr[2];
};

/* Exits 77 (skip) when not root; aborts the test program when the lab cannot be built. */
void lab_require_root(void);

/* Builds the lab (idempotent per process). Returns the shared instance. */
struct lab *lab_get(void);

/* Removes the lab (also registered with atexit). */
void lab_destroy(void);

/* Creates a socket inside namespace ns; the socket stays there. Returns fd or -errno. */
int lab_socket(enum lab_ns ns, int domain, int type, int protocol);

/* Runs a shell command inside namespace ns (via `ip netns exec`). Returns its exit status. */
int lab_run(enum lab_ns ns, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Counts the lines of /proc/net/igmp (or /proc/net/mcfilter when mcfilter) inside ns that
 * name the group (and, for mcfilter, the source) on interface ifname. */
int lab_igmp_has(enum lab_ns ns, const char *ifname, const char *group);
int lab_mcfilter_has(enum lab_ns ns, const char *ifname, const char *group, const char *source);

/* Enters ns in the calling thread (for code that must run inside, e.g. reading /proc/net);
 * lab_leave() returns to the namespace the program started in. */
void lab_enter(enum lab_ns ns);
void lab_leave(void);

struct in_addr lab_addr(const char *s);

/* Every receiving socket of a test gets a timeout, so a missing packet fails the test instead
 * of hanging it. Fails the test if the option cannot be set. */
void lab_rcvtimeo(int fd, int ms);

/* A socket of type/protocol in ns with a receive timeout of timeout_ms; fails the test if it
 * cannot be made. */
int lab_test_socket(enum lab_ns ns, int type, int protocol, int timeout_ms);

/* Builds the lab once in this process (exit 77 when not root), then runs the suite with each
 * test in a child of its own (Check's fork mode): the children share the lab, only this
 * process tears it down, and a failing test cannot take the others with it. Returns the exit
 * status for main(). */
struct Suite;
int lab_run_suite(struct Suite *s);

#endif
