/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rtpdup: one RTP stream sent on up to two paths, and a receiver that writes down what came.
 * For the redundancy lab tests (relay-merge.sh, relay-failover.sh) and the benchmark.
 *
 *   rtpdup send [-n COUNT | -d SECONDS] [-r RATE] [-S SSRC] [-q FIRSTSEQ] [-l SIZE]
 *               [-t START_NS] -a SRCADDR,IFNAME [-b SRCADDR,IFNAME [-D DELAY_MS]] GROUP:PORT
 *
 * sends RTP packets (version 2, payload type 33, sequence numbers from FIRSTSEQ, default 1,
 * wrapping at 65536) at RATE per second out of path A, and the same packets out of path B
 * DELAY_MS later (-t: the schedule starts at that CLOCK_MONOTONIC time: two senders, one
 * per path, can share one schedule) (the delay is the sender's: netem is not everywhere). Prints "sent=N" (path
 * A's), "lag_max_ms=L" (how far behind its schedule it fell at worst) and "seconds=S".
 *
 *   rtpdup recv -p PORT -g GROUP -I IFNAME [-c COUNT] [-T SECONDS] [-q IDLE_MS]
 *
 * joins GROUP on IFNAME, prints "ready" on stderr, then one line per RTP packet to stdout:
 * "SEQ SSRC USEC" (CLOCK_MONOTONIC microseconds of its arrival); ends after COUNT packets, at
 * SECONDS, or IDLE_MS after the last packet. Traffic only where it is run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "ipv4opt.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ULL),
			       .tv_nsec = (long)(t % 1000000000ULL) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int parse_addr_port(const char *s, struct sockaddr_in *ret)
{
	char buf[64];
	char *colon;
	long port;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->sin_family = AF_INET;
	ret->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, buf, &ret->sin_addr) == 1 ? 0 : -EINVAL;
}

/* A socket bound to SRCADDR sending out of IFNAME ("SRCADDR,IFNAME"). */
static int path_socket(const char *spec)
{
	char buf[64], *comma;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned idx;
	int fd;

	snprintf(buf, sizeof(buf), "%s", spec);
	comma = strchr(buf, ',');
	if (!comma)
		return -EINVAL;
	*comma = '\0';
	idx = if_nametoindex(comma + 1);
	if (idx == 0 || inet_pton(AF_INET, buf, &sin.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    ipv4opt_set_multicast_if(fd, (int)idx) < 0 || ipv4opt_set_multicast_ttl(fd, 8) < 0) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static void rtp_fill(uint8_t *b, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	b[0] = 0x80;
	b[1] = 33;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
}

static int do_send(int argc, char **argv)
{
	const char *a = NULL, *b = NULL;
	unsigned long count = 0, rate = 1000, size = 1328;
	double seconds = 0;
	uint32_t ssrc = 0x12345678;
	uint16_t first = 1;
	uint64_t delay = 0, period, t0, sent = 0, lag_max = 0, start = 0;
	struct sockaddr_in dst;
	uint8_t buf[2048];
	int fa, fb = -1, c;

	while ((c = getopt(argc, argv, "n:d:r:S:q:l:a:b:D:t:")) >= 0) {
		switch (c) {
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'd': seconds = strtod(optarg, NULL); break;
		case 'r': rate = strtoul(optarg, NULL, 10); break;
		case 'S': ssrc = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': first = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'l': size = strtoul(optarg, NULL, 10); break;
		case 'a': a = optarg; break;
		case 'b': b = optarg; break;
		case 'D': delay = strtoull(optarg, NULL, 10) * 1000000ULL; break;
		case 't': start = strtoull(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!a || optind != argc - 1 || parse_addr_port(argv[optind], &dst) < 0 || rate == 0 ||
	    size < 12 || size > sizeof(buf) || (count == 0 && seconds <= 0)) {
		fprintf(stderr, "usage: rtpdup send [-n N | -d S] [-r RATE] [-S SSRC] [-q SEQ] "
			"[-l SIZE] -a SRC,IF [-b SRC,IF [-D MS]] GROUP:PORT\n");
		return 2;
	}
	if (seconds > 0)
		count = (unsigned long)(seconds * (double)rate);
	fa = path_socket(a);
	if (fa < 0 || (b && (fb = path_socket(b)) < 0)) {
		fprintf(stderr, "rtpdup: cannot set up a path\n");
		return 1;
	}
	memset(buf, 0xa5, sizeof(buf));
	/* sleeps of tens of µs: the default timer slack (50 µs) would stretch each of them */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	period = 1000000000ULL / rate;
	t0 = start ? start : now_ns();
	/* Path A's packet i at t0 + i * period, path B's at that + delay: the two schedules
	 * merged in time order. */
	for (unsigned long ia = 0, ib = 0; ia < count || (fb >= 0 && ib < count);) {
		uint64_t ta = t0 + ia * period, tb = t0 + ib * period + delay;
		bool on_a = ia < count && (fb < 0 || ib >= count || ta <= tb);
		unsigned long i = on_a ? ia++ : ib++;

		sleep_until(on_a ? ta : tb);
		if (now_ns() - (on_a ? ta : tb) > lag_max)
			lag_max = now_ns() - (on_a ? ta : tb);
		rtp_fill(buf, (uint16_t)(first + i), (uint32_t)(i * 90000 / rate), ssrc);
		if (sendto(on_a ? fa : fb, buf, size, 0, (struct sockaddr *)&dst, sizeof(dst)) > 0 &&
		    on_a)
			sent++;
	}
	/* how far behind its schedule the sender fell at worst (a loaded machine): path B's copy
	 * of a number may have left up to that much more than the delay after path A's */
	printf("sent=%llu\nlag_max_ms=%.1f\nseconds=%.3f\n", (unsigned long long)sent,
	       (double)lag_max / 1e6, (double)(now_ns() - t0) / 1e9);
	return 0;
}

static int do_recv(int argc, char **argv)
{
	unsigned long count = 0, port = 0;
	double seconds = 30;
	long idle_ms = -1;
	const char *ifname = NULL;
	struct in_addr group = { 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t buf[65536];
	uint64_t end, got = 0;
	int fd, c, one = 1;
	unsigned idx;

	while ((c = getopt(argc, argv, "p:g:I:c:T:q:")) >= 0) {
		switch (c) {
		case 'p': port = strtoul(optarg, NULL, 10); break;
		case 'g': inet_pton(AF_INET, optarg, &group); break;
		case 'I': ifname = optarg; break;
		case 'c': count = strtoul(optarg, NULL, 10); break;
		case 'T': seconds = strtod(optarg, NULL); break;
		case 'q': idle_ms = strtol(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!port || port > 65535 || !ifname || !group.s_addr || !(idx = if_nametoindex(ifname))) {
		fprintf(stderr, "usage: rtpdup recv -p PORT -g GROUP -I IF [-c N] [-T S] [-q MS]\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr = group;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    ipv4opt_join_group(fd, (int)idx, group) < 0) {
		perror("rtpdup: receive socket");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fprintf(stderr, "ready\n");
	end = now_ns() + (uint64_t)(seconds * 1e9);
	while (count == 0 || got < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ns();
		long wait_ms;
		ssize_t n;

		if (now >= end)
			break;
		wait_ms = (long)((end - now) / 1000000) + 1;
		if (idle_ms >= 0 && got > 0 && idle_ms < wait_ms)
			wait_ms = idle_ms;
		if (poll(&p, 1, (int)wait_ms) <= 0) {
			if (idle_ms >= 0 && got > 0)
				break;
			continue;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 12 || (buf[0] >> 6) != 2)
			continue;
		got++;
		printf("%u %u %llu\n", (unsigned)(buf[2] << 8 | buf[3]),
		       (unsigned)((uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
				  (uint32_t)buf[10] << 8 | buf[11]),
		       (unsigned long long)(now_ns() / 1000));
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		return do_send(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "recv") == 0)
		return do_recv(argc - 1, argv + 1);
	fprintf(stderr, "usage: rtpdup send|recv ...\n");
	return 2;
}
