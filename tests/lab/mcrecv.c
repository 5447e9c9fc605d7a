/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mcrecv: receives datagrams on PORT (joining GROUP on IFNAME when given), counts them and
 * reports what the kernel says of each (IP_RECVTOS, IP_RECVTTL) and who sent them.
 *
 *   mcrecv -p PORT [-g GROUP -I IFNAME] [-c COUNT] [-T SECONDS] [-q IDLE_MS] [-R RCVBUF]
 *
 * Exits after COUNT datagrams, after SECONDS in all (default 10), or IDLE_MS without a
 * datagram once the first came. Prints key=value lines:
 *   packets=N bytes=N tos=0xNN|mixed|none ttl=N|mixed|none sources=A,B
 *   first_usec=T last_usec=T (CLOCK_MONOTONIC of the first and last datagram) drops=N
 * Writes "ready" to stderr once it listens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ipv4opt.h"

#define BATCH 64
#define MAX_SOURCES 8

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ipv4opt_message msgs[BATCH];
	static uint8_t bufs[BATCH][2048];
	struct in_addr group = { 0 }, sources[MAX_SOURCES];
	size_t n_sources = 0;
	unsigned long long packets = 0, bytes = 0, count = 0;
	double total = 10;
	int idle_ms = 0, ifindex = 0, rcvbuf = 8 << 20, port = 0, c, fd, r;
	int tos = -2, ttl = -2; /* -2: none seen, -1: mixed */
	uint32_t drops = 0;
	uint64_t start, first = 0, last = 0;

	while ((c = getopt(argc, argv, "p:g:I:c:T:q:R:")) >= 0) {
		switch (c) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'g':
			if (inet_pton(AF_INET, optarg, &group) != 1)
				return 2;
			break;
		case 'I':
			ifindex = (int)if_nametoindex(optarg);
			if (ifindex == 0) {
				fprintf(stderr, "mcrecv: no interface %s\n", optarg);
				return 2;
			}
			break;
		case 'c':
			count = strtoull(optarg, NULL, 10);
			break;
		case 'T':
			total = atof(optarg);
			break;
		case 'q':
			idle_ms = atoi(optarg);
			break;
		case 'R':
			rcvbuf = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "usage: mcrecv -p PORT [-g GROUP -I IF] [-c N] [-T S] [-q MS]\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 1;
	sin.sin_port = htons((uint16_t)port);
	(void)ipv4opt_set_reuse_addr(fd, true);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("mcrecv: bind");
		return 1;
	}
	if (group.s_addr) {
		(void)ipv4opt_set_multicast_all(fd, false);
		r = ipv4opt_join_group(fd, ifindex, group);
		if (r < 0) {
			fprintf(stderr, "mcrecv: join: %s\n", ipv4opt_strerror(r));
			return 1;
		}
	}
	r = ipv4opt_set_control_message(fd, IPV4OPT_CM_TOS | IPV4OPT_CM_TTL, true);
	if (r >= 0)
		r = ipv4opt_set_rxq_ovfl(fd, true);
	if (r < 0) {
		fprintf(stderr, "mcrecv: control messages: %s\n", ipv4opt_strerror(r));
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++)
		msgs[i].buf = bufs[i];
	fprintf(stderr, "ready\n");

	start = now_us();
	for (;;) {
		uint64_t now = now_us();
		int timeout_ms = (int)((start + (uint64_t)(total * 1e6) - now) / 1000);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;

		if (now >= start + (uint64_t)(total * 1e6) || (count > 0 && packets >= count))
			break;
		if (idle_ms > 0 && first > 0) {
			if (now >= last + (uint64_t)idle_ms * 1000)
				break;
			if ((int)((last + (uint64_t)idle_ms * 1000 - now) / 1000) < timeout_ms)
				timeout_ms = (int)((last + (uint64_t)idle_ms * 1000 - now) / 1000) + 1;
		}
		if (poll(&p, 1, timeout_ms > 0 ? timeout_ms : 1) <= 0)
			continue;
		for (int i = 0; i < BATCH; i++)
			msgs[i].len = sizeof(bufs[i]);
		n = ipv4opt_recv_batch(fd, msgs, BATCH, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		now = now_us();
		if (first == 0)
			first = now;
		last = now;
		for (int i = 0; i < n; i++) {
			const struct ipv4opt_message *m = &msgs[i];
			size_t k;

			packets++;
			bytes += m->n;
			if (m->cm.flags & IPV4OPT_CM_TOS)
				tos = tos == -2 ? m->cm.tos : tos == m->cm.tos ? tos : -1;
			if (m->cm.flags & IPV4OPT_CM_TTL)
				ttl = ttl == -2 ? m->cm.ttl : ttl == m->cm.ttl ? ttl : -1;
			if (m->cm.flags & IPV4OPT_CM_RXQ_OVFL)
				drops = m->cm.rxq_ovfl;
			for (k = 0; k < n_sources; k++)
				if (sources[k].s_addr == m->addr.sin_addr.s_addr)
					break;
			if (k == n_sources && n_sources < MAX_SOURCES)
				sources[n_sources++] = m->addr.sin_addr;
		}
	}
	printf("packets=%llu\nbytes=%llu\n", packets, bytes);
	if (tos >= 0)
		printf("tos=0x%02x\n", tos);
	else
		printf("tos=%s\n", tos == -1 ? "mixed" : "none");
	if (ttl >= 0)
		printf("ttl=%d\n", ttl);
	else
		printf("ttl=%s\n", ttl == -1 ? "mixed" : "none");
	printf("sources=");
	for (size_t k = 0; k < n_sources; k++) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sources[k], a, sizeof(a));
		printf("%s%s", k ? "," : "", a);
	}
	printf("\nfirst_usec=%llu\nlast_usec=%llu\ndrops=%u\n", (unsigned long long)first,
	       (unsigned long long)last, drops);
	return 0;
}
