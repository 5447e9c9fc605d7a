/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the kernel tests of unicast/multicast options, control messages, listeners
 * and batch I/O: UDP sockets in the lab with receive timeouts, addresses, draining. */
#ifndef IPV4OPT_CORETEST_H
#define IPV4OPT_CORETEST_H

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ipv4opt.h"
#include "lab.h"

/* Time a datagram that should arrive may take (seconds: a loaded machine may run the softirq
 * that delivers it late), and time waited to show one does not. A wait of ABSENT_MS proves
 * nothing on its own: every ct_expect_none() is followed by a datagram that must arrive next,
 * on the same path, so that one that should not have arrived but came late is seen then. */
#define ARRIVE_MS 5000
#define ABSENT_MS 150

static inline struct sockaddr_in ct_sin(const char *addr, uint16_t port)
{
	return (struct sockaddr_in){
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr = lab_addr(addr),
	};
}

static inline const char *ct_ntoa(struct in_addr a)
{
	static __thread char buf[4][INET_ADDRSTRLEN];
	static __thread unsigned i;
	char *b = buf[i++ % 4];

	return inet_ntop(AF_INET, &a, b, INET_ADDRSTRLEN);
}

/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
static inline int64_t ct_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A socket of type/protocol in ns that waits ARRIVE_MS for a datagram. */
static inline int ct_socket(enum lab_ns ns, int type, int protocol)
{
	return lab_test_socket(ns, type, protocol, ARRIVE_MS);
}

/* A UDP socket in ns bound to addr:port (addr NULL: wildcard), optionally with SO_REUSEADDR. */
static inline int ct_udp(enum lab_ns ns, const char *addr, uint16_t port, bool reuse)
{
	int fd = ct_socket(ns, SOCK_DGRAM, 0);
	struct sockaddr_in sin = ct_sin(addr ? addr : "0.0.0.0", port);

	if (reuse)
		ck_assert_int_eq(ipv4opt_set_reuse_addr(fd, true), 0);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0, "bind %s:%u: %m",
		      addr ? addr : "0.0.0.0", port);
	return fd;
}

static inline uint16_t ct_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	return ntohs(sin.sin_port);
}

/* Sends the text s to addr:port from fd (with cm, may be NULL), checking it all went. */
static inline void ct_send(int fd, const char *s, const char *addr, uint16_t port,
			   const struct ipv4opt_cm *cm)
{
	struct sockaddr_in to = ct_sin(addr, port);
	ssize_t n = ipv4opt_sendmsg(fd, s, strlen(s), 0, &to, cm);

	ck_assert_msg(n == (ssize_t)strlen(s), "sendmsg to %s:%u: %s", addr, port,
		      n < 0 ? ipv4opt_strerror((int)n) : "short");
}

/* Receives one datagram as a NUL-terminated string; returns its length or -errno. */
static inline ssize_t ct_recv(int fd, char *buf, size_t len, struct sockaddr_in *from,
			      struct ipv4opt_cm *cm)
{
	ssize_t n = ipv4opt_recvmsg(fd, buf, len - 1, 0, from, cm, NULL);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Receives one datagram that must arrive and must equal want. */
static inline void ct_expect(int fd, const char *want, struct sockaddr_in *from,
			     struct ipv4opt_cm *cm)
{
	char buf[256];
	ssize_t n = ct_recv(fd, buf, sizeof(buf), from, cm);

	ck_assert_msg(n >= 0, "expected \"%s\": %s", want, ipv4opt_strerror((int)n));
	ck_assert_str_eq(buf, want);
}

/* Asserts that nothing arrives within ABSENT_MS (the socket's timeout is restored). */
static inline void ct_expect_none(int fd)
{
	char buf[256];
	ssize_t n;

	lab_rcvtimeo(fd, ABSENT_MS);
	n = ct_recv(fd, buf, sizeof(buf), NULL, NULL);
	lab_rcvtimeo(fd, ARRIVE_MS);
	ck_assert_msg(n == -EAGAIN, "unexpected datagram \"%s\" (%zd)", n >= 0 ? buf : "", n);
}

/* The socket's count of datagrams dropped for want of room (SO_MEMINFO's SK_MEMINFO_DROPS:
 * the counter SO_RXQ_OVFL reports). */
static inline uint32_t ct_drops(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len), 0);
	ck_assert_uint_ge(len, (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t));
	return mem[SK_MEMINFO_DROPS];
}

/* Reads an integer sysctl file inside ns (net.* sysctls are per network namespace). */
static inline int ct_sysctl_get(enum lab_ns ns, const char *path)
{
	char buf[64] = "";
	int fd, v = -1;
	ssize_t n;

	lab_enter(ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	lab_leave();
	ck_assert_msg(fd >= 0, "open %s: %m", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sscanf(buf, "%d", &v), 1);
	return v;
}

static inline void ct_sysctl_set(enum lab_ns ns, const char *path, int v)
{
	char buf[32];
	int fd, len;

	lab_enter(ns);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	lab_leave();
	ck_assert_msg(fd >= 0, "open %s: %m", path);
	len = snprintf(buf, sizeof(buf), "%d\n", v);
	ck_assert_int_eq(write(fd, buf, (size_t)len), len);
	close(fd);
	ck_assert_int_eq(ct_sysctl_get(ns, path), v);
}

#endif
