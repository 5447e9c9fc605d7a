/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * barerelay: the least a user-space multicast relay can do, to compare ipv4optd against
 * (bench/dataplane-bench.sh): joins GROUP on IFNAME, receives on PORT and sends each payload
 * to DST:DPORT out OUTIF. Nothing else: no policies, no counters, no event loop.
 *
 *   barerelay -1|-m -g GROUP -p PORT -i IFNAME -t DST:DPORT -o OUTIF [-R RCVBUF]
 *
 * -1: one datagram per system call (recv, then send): the classic blocking relay.
 * -m: batches of 64 (recvmmsg with MSG_WAITFORONE, then sendmmsg of what came).
 * Runs until SIGTERM or SIGINT. The receive buffer is RCVBUF (default 4 MiB, as ipv4optd's).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ipv4opt.h"

#define BATCH 64

static int parse_addr_port(const char *s, struct sockaddr_in *ret)
{
	char buf[64];
	char *colon, *end;
	long port;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	colon = strrchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || port <= 0 || port > 65535)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->sin_family = AF_INET;
	ret->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, buf, &ret->sin_addr) == 1 ? 0 : -EINVAL;
}

static int fail(const char *what, int r)
{
	fprintf(stderr, "barerelay: %s: %s\n", what, ipv4opt_strerror(r));
	return 1;
}

static void relay_one(int in, int out)
{
	static uint8_t buf[65536];

	for (;;) {
		ssize_t n = recv(in, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				return;
			continue;
		}
		(void)send(out, buf, (size_t)n, 0); /* a full queue loses the datagram, as a relay would */
	}
}

static void relay_batch(int in, int out)
{
	static uint8_t bufs[BATCH][2048];
	struct ipv4opt_message msgs[BATCH];

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++)
		msgs[i].buf = bufs[i];
	for (;;) {
		int n, done = 0;

		for (int i = 0; i < BATCH; i++)
			msgs[i].len = sizeof(bufs[i]);
		n = ipv4opt_recv_batch(in, msgs, BATCH, 0);
		if (n == -EINTR)
			return;
		if (n <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			msgs[i].len = msgs[i].n;
			msgs[i].cm.flags = 0;
			msgs[i].addr.sin_port = 0; /* connected */
		}
		while (done < n) {
			int r = ipv4opt_send_batch(out, msgs + done, (size_t)(n - done), 0);

			if (r == -EINTR)
				return;
			done += r > 0 ? r : 1; /* a datagram the kernel refused is lost */
		}
	}
}

static void on_signal(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, dst = { 0 };
	struct in_addr group = { 0 };
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: EINTR ends the loop */
	int mode = 0, port = 0, in_if = 0, out_if = 0, rcvbuf = 4 << 20, c, in, out, r;

	while ((c = getopt(argc, argv, "1mg:p:i:t:o:R:")) >= 0) {
		switch (c) {
		case '1':
		case 'm':
			mode = c;
			break;
		case 'g':
			if (inet_pton(AF_INET, optarg, &group) != 1 || !IN_MULTICAST(ntohl(group.s_addr))) {
				fprintf(stderr, "barerelay: bad group %s\n", optarg);
				return 2;
			}
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'i':
		case 'o':
			r = (int)if_nametoindex(optarg);
			if (r == 0) {
				fprintf(stderr, "barerelay: no interface %s\n", optarg);
				return 2;
			}
			*(c == 'i' ? &in_if : &out_if) = r;
			break;
		case 't':
			if (parse_addr_port(optarg, &dst) < 0) {
				fprintf(stderr, "barerelay: bad destination %s\n", optarg);
				return 2;
			}
			break;
		case 'R':
			rcvbuf = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!mode || !group.s_addr || port <= 0 || port > 65535 || !in_if || !out_if ||
	    !dst.sin_port || optind != argc || rcvbuf < 4096) {
		fprintf(stderr, "usage: barerelay -1|-m -g GROUP -p PORT -i IFNAME -t DST:DPORT "
				"-o OUTIF [-R RCVBUF]\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	in = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	out = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (in < 0 || out < 0)
		return fail("socket", -errno);
	(void)ipv4opt_set_reuse_addr(in, true);
	if (setsockopt(in, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(in, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sin.sin_port = htons((uint16_t)port);
	if (bind(in, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return fail("bind", -errno);
	if ((r = ipv4opt_set_multicast_all(in, false)) < 0)
		return fail("IP_MULTICAST_ALL", r);
	if ((r = ipv4opt_join_group(in, in_if, group)) < 0)
		return fail("join", r);
	if ((r = ipv4opt_set_multicast_if(out, out_if)) < 0)
		return fail("IP_MULTICAST_IF", r);
	if ((r = ipv4opt_set_multicast_loop(out, false)) < 0)
		return fail("IP_MULTICAST_LOOP", r);
	if (connect(out, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return fail("connect", -errno);

	if (mode == '1')
		relay_one(in, out);
	else
		relay_batch(in, out);
	return 0;
}
