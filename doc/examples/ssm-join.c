/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ssm-join: join a source-specific multicast channel (S,G) on one interface with libipv4opt,
 * print the datagrams that arrive on a UDP port with their control data, then leave. It gives
 * up (exit 1) when nothing arrives for RECEIVE_TIMEOUT_SEC seconds, so it never hangs.
 *
 *   cc -o ssm-join ssm-join.c $(pkg-config --cflags --libs libipv4opt)
 *   ./ssm-join eth0 232.1.1.1 10.0.0.1 5000 [count]
 *
 * No privilege is needed: joining takes no capability, and the port is above 1024.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <ipv4opt.h>

#define RECEIVE_TIMEOUT_SEC 10

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s IFNAME GROUP SOURCE PORT [COUNT]\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	struct in_addr group, source;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval timeout = { .tv_sec = RECEIVE_TIMEOUT_SEC };
	unsigned ifindex;
	long port, count = 5, received = 0;
	char *end;
	int fd, r;

	if (argc < 5 || argc > 6)
		return usage(argv[0]);
	ifindex = if_nametoindex(argv[1]);
	if (ifindex == 0) {
		fprintf(stderr, "no interface %s\n", argv[1]);
		return 1;
	}
	if (inet_pton(AF_INET, argv[2], &group) != 1 || inet_pton(AF_INET, argv[3], &source) != 1)
		return usage(argv[0]);
	port = strtol(argv[4], &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return usage(argv[0]);
	if (argc == 6) {
		count = strtol(argv[5], &end, 10);
		if (*end != '\0' || count < 1)
			return usage(argv[0]);
	}

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	/* Bind the group and port, so only this channel's datagrams are read... */
	sa.sin_addr = group;
	sa.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bind");
		return 1;
	}
	/* A receive that waits longer fails with EAGAIN (socket(7), SO_RCVTIMEO). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0) {
		perror("SO_RCVTIMEO");
		return 1;
	}
	/* ...and of the groups this socket joined only (Linux's default is every group any
	 * socket on the host joined, for this port). */
	r = ipv4opt_set_multicast_all(fd, false);
	if (r >= 0)
		r = ipv4opt_set_control_message(fd, IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX |
							    IPV4OPT_CM_TTL,
						true);
	if (r < 0) {
		fprintf(stderr, "socket options: %s\n", ipv4opt_strerror(r));
		return 1;
	}

	/* The (S,G) join: IGMPv3 INCLUDE {S} for G on the interface (RFC 4607). */
	r = ipv4opt_join_source_group(fd, (int)ifindex, group, source);
	if (r < 0) {
		fprintf(stderr, "join (%s, %s) on %s: %s\n", argv[3], argv[2], argv[1],
			ipv4opt_strerror(r));
		return 1;
	}
	printf("joined (%s, %s) on %s, waiting for %ld datagrams on port %ld\n", argv[3],
	       argv[2], argv[1], count, port);

	for (long i = 0; i < count; i++) {
		char buf[2048], from[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
		struct sockaddr_in peer;
		struct ipv4opt_cm cm;
		bool truncated;
		ssize_t n;

		n = ipv4opt_recvmsg(fd, buf, sizeof(buf), 0, &peer, &cm, &truncated);
		if (n == -EAGAIN) { /* EWOULDBLOCK is EAGAIN on Linux */
			fprintf(stderr, "receive: nothing for %d s, giving up\n", RECEIVE_TIMEOUT_SEC);
			break;
		}
		if (n < 0) {
			fprintf(stderr, "receive: %s\n", ipv4opt_strerror((int)n));
			break;
		}
		received++;
		inet_ntop(AF_INET, &peer.sin_addr, from, sizeof(from));
		inet_ntop(AF_INET, &cm.dst, dst, sizeof(dst));
		printf("%zd bytes%s from %s:%u to %s, ifindex %d, ttl %d\n", n,
		       truncated ? " (truncated)" : "", from, ntohs(peer.sin_port), dst,
		       cm.ifindex, cm.ttl);
	}

	r = ipv4opt_leave_source_group(fd, (int)ifindex, group, source);
	if (r < 0)
		fprintf(stderr, "leave: %s\n", ipv4opt_strerror(r));
	close(fd);
	return r < 0 || received < count ? 1 : 0;
}
