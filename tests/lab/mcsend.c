/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mcsend: sends COUNT datagrams of SIZE bytes to ADDR:PORT at RATE per second (0: as fast as
 * the kernel takes them), from a given source address, in batches (sendmmsg). Each datagram
 * starts with its sequence number (8 bytes, big-endian). For the namespace lab and the
 * benchmark: traffic only where it is run.
 *
 *   mcsend [-s SRCADDR] [-I IFNAME] [-n COUNT] [-l SIZE] [-r RATE] [-b BURST] [-t TTL]
 *          [-o TOS] [-d SECONDS] ADDR:PORT
 *
 * -d: send for that long instead of COUNT datagrams. Prints "sent=N seconds=S" at the end.
 * -b: with -r, never more than BURST datagrams back to back: a sender that fell behind its
 *     schedule (descheduled on a loaded machine) lets the schedule slip instead of catching
 *     up at full speed, so the stream stays paced (a lab test's "every datagram of a paced
 *     stream arrives" then holds under load; the benchmark wants the offered rate instead).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ipv4opt.h"

#define BATCH 32

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
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

int main(int argc, char **argv)
{
	struct sockaddr_in dst, src = { .sin_family = AF_INET };
	struct ipv4opt_message msgs[BATCH];
	static uint8_t bufs[BATCH][65536];
	unsigned long long count = 1000, sent = 0, rate = 0, burst = 0;
	double duration = 0;
	size_t size = 64;
	int ttl = -1, tos = -1, ifindex = 0, c, fd, r;
	uint64_t begin, start, next; /* start: of the schedule, moved on by -b */

	while ((c = getopt(argc, argv, "s:I:n:l:r:b:t:o:d:")) >= 0) {
		switch (c) {
		case 's':
			if (inet_pton(AF_INET, optarg, &src.sin_addr) != 1) {
				fprintf(stderr, "mcsend: bad source %s\n", optarg);
				return 2;
			}
			break;
		case 'I':
			ifindex = (int)if_nametoindex(optarg);
			if (ifindex == 0) {
				fprintf(stderr, "mcsend: no interface %s\n", optarg);
				return 2;
			}
			break;
		case 'n':
			count = strtoull(optarg, NULL, 10);
			break;
		case 'l':
			size = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			burst = strtoull(optarg, NULL, 10);
			break;
		case 't':
			ttl = atoi(optarg);
			break;
		case 'o':
			tos = (int)strtol(optarg, NULL, 0);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || parse_addr_port(argv[optind], &dst) < 0 || size < 8 ||
	    size > 65507) {
		fprintf(stderr, "usage: mcsend [-s SRC] [-I IF] [-n N] [-l SIZE] [-r PPS] [-b BURST] "
				"[-t TTL] [-o TOS] [-d SECONDS] ADDR:PORT\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("mcsend: socket");
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		perror("mcsend: bind");
		return 1;
	}
	if (ifindex > 0 && (r = ipv4opt_set_multicast_if(fd, ifindex)) < 0) {
		fprintf(stderr, "mcsend: IP_MULTICAST_IF: %s\n", ipv4opt_strerror(r));
		return 1;
	}
	if (ttl >= 0) {
		(void)ipv4opt_set_multicast_ttl(fd, ttl);
		(void)ipv4opt_set_ttl(fd, ttl);
	}
	if (tos >= 0 && (r = ipv4opt_set_tos(fd, tos)) < 0) {
		fprintf(stderr, "mcsend: IP_TOS: %s\n", ipv4opt_strerror(r));
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("mcsend: connect");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].buf = bufs[i];
		msgs[i].len = size;
	}

	begin = start = next = now_ns();
	for (;;) {
		uint64_t now = now_ns();
		unsigned long long want;
		size_t n;

		if (duration > 0) {
			if (now - begin >= (uint64_t)(duration * 1e9))
				break;
			want = BATCH;
		} else {
			if (sent >= count)
				break;
			want = count - sent < BATCH ? count - sent : BATCH;
		}
		if (rate > 0) {
			/* Paced: datagrams due by now, at most a batch at a time. */
			unsigned long long due = (now - start) * rate / 1000000000ULL + 1;

			if (burst > 0 && due > sent + burst) {
				/* Behind by more than a burst: start the schedule again from
				 * here (the lost time is not made up). */
				start = now - (sent + burst - 1) * 1000000000ULL / rate;
				due = sent + burst;
			}
			if (due <= sent) {
				struct timespec ts;

				next = start + (sent * 1000000000ULL) / rate;
				ts.tv_sec = (time_t)(next / 1000000000ULL);
				ts.tv_nsec = (long)(next % 1000000000ULL);
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				continue;
			}
			if (due - sent < want)
				want = due - sent;
		}
		n = (size_t)want;
		for (size_t i = 0; i < n; i++) {
			uint64_t seq = sent + i;

			for (int b = 0; b < 8; b++)
				bufs[i][b] = (uint8_t)(seq >> (56 - 8 * b));
		}
		r = ipv4opt_send_batch(fd, msgs, n, 0);
		if (r < 0) {
			if (r == -ENOBUFS || r == -EAGAIN)
				continue;
			fprintf(stderr, "mcsend: send: %s\n", ipv4opt_strerror(r));
			return 1;
		}
		sent += (unsigned long long)r;
	}
	printf("sent=%llu seconds=%.3f\n", sent, (double)(now_ns() - begin) / 1e9);
	return 0;
}
