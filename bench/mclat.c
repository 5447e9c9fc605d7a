/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mclat: one-way latency of multicast datagrams between two network namespaces of the same
 * host (bench/dataplane-bench.sh). Both ends read CLOCK_MONOTONIC, which namespaces share, so
 * the receiver's clock minus the time the sender wrote into the payload is the one-way delay.
 *
 *   mclat send [-s SRCADDR] [-I IFNAME] [-N GROUPS] [-n COUNT | -d SECONDS] [-r RATE]
 *              [-l SIZE] [-t TTL] GROUP:PORT
 *   mclat recv -p PORT [-g GROUP [-N GROUPS] -I IFNAME] [-k COPIES] [-c COUNT] [-T SECONDS]
 *              [-q IDLE_MS] [-R RCVBUF]
 *
 * Each datagram starts with its sequence number and its send time in nanoseconds (8 bytes
 * each, big-endian). send: COUNT datagrams (default 1000), or for SECONDS, at RATE per second
 * in total (0: as fast as the kernel takes them), round-robin over GROUPS consecutive groups
 * (GROUP, GROUP+1, ...: one sequence across them); prints "sent=N seconds=S". Paced, it sends
 * what is due now (one datagram at a time at low rates) and then sleeps until the next is due.
 * recv: joins GROUPS consecutive groups from GROUP on IFNAME (net.ipv4.igmp_max_memberships
 * must allow that many on one socket) and exits after COUNT datagrams, SECONDS in all
 * (default 10), IDLE_MS without a datagram once the first came, or SIGTERM/SIGINT; then prints
 * key=value lines:
 *   count=N lost=N span=N short=N p50_us=X p99_us=X max_us=X
 * lost: the datagrams missing from the sequence numbers seen (span = highest - lowest + 1),
 * times COPIES (a fan-out delivers each one COPIES times), minus what came; a loss after the
 * last datagram that came is not seen: compare count with what the sender sent. Latency is
 * taken when the datagram is read (after the relay's delay and the receiver's own wake-up).
 * Writes "ready" to stderr once it listens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ipv4opt.h"

#define BATCH 64
#define HEADER 16
#define MAX_GROUPS 65536

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int b = 0; b < 8; b++)
		p[b] = (uint8_t)(v >> (56 - 8 * b));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int b = 0; b < 8; b++)
		v = v << 8 | p[b];
	return v;
}

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

/* A number option: the whole argument, within [min, max]. */
static int parse_num(const char *opt, const char *s, double min, double max, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "mclat: bad %s: %s (%g to %g)\n", opt, s, min, max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static struct in_addr group_nth(struct in_addr first, unsigned long i)
{
	return (struct in_addr){ htonl(ntohl(first.s_addr) + (uint32_t)i) };
}

static int do_send(int argc, char **argv)
{
	struct sockaddr_in dst, src = { .sin_family = AF_INET };
	struct ipv4opt_message msgs[BATCH];
	static uint8_t bufs[BATCH][65536];
	unsigned long long count = 1000, sent = 0;
	double rate = 0, duration = 0, groups = 1, v;
	size_t size = 1316;
	int ttl = -1, ifindex = 0, c, fd, r;
	uint64_t start;

	while ((c = getopt(argc, argv, "s:I:N:n:d:r:l:t:")) >= 0) {
		switch (c) {
		case 's':
			if (inet_pton(AF_INET, optarg, &src.sin_addr) != 1) {
				fprintf(stderr, "mclat: bad source address %s\n", optarg);
				return 2;
			}
			break;
		case 'I':
			ifindex = (int)if_nametoindex(optarg);
			if (ifindex == 0) {
				fprintf(stderr, "mclat: no interface %s\n", optarg);
				return 2;
			}
			break;
		case 'N':
			if (parse_num("-N", optarg, 1, MAX_GROUPS, &groups) < 0)
				return 2;
			break;
		case 'n':
			if (parse_num("-n", optarg, 1, 1e15, &v) < 0)
				return 2;
			count = (unsigned long long)v;
			break;
		case 'd':
			if (parse_num("-d", optarg, 0.001, 86400, &duration) < 0)
				return 2;
			break;
		case 'r':
			if (parse_num("-r", optarg, 0, 1e8, &rate) < 0)
				return 2;
			break;
		case 'l':
			if (parse_num("-l", optarg, HEADER, 65507, &v) < 0)
				return 2;
			size = (size_t)v;
			break;
		case 't':
			if (parse_num("-t", optarg, 1, 255, &v) < 0)
				return 2;
			ttl = (int)v;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || parse_addr_port(argv[optind], &dst) < 0) {
		fprintf(stderr, "usage: mclat send [-s SRC] [-I IF] [-N GROUPS] [-n COUNT | -d S] "
				"[-r RATE] [-l SIZE] [-t TTL] GROUP:PORT\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		perror("mclat: socket");
		return 1;
	}
	if (ifindex > 0 && (r = ipv4opt_set_multicast_if(fd, ifindex)) < 0) {
		fprintf(stderr, "mclat: IP_MULTICAST_IF: %s\n", ipv4opt_strerror(r));
		return 1;
	}
	if (ttl > 0 && (r = ipv4opt_set_multicast_ttl(fd, ttl)) < 0) {
		fprintf(stderr, "mclat: IP_MULTICAST_TTL: %s\n", ipv4opt_strerror(r));
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].buf = bufs[i];
		msgs[i].len = size;
		msgs[i].addr = dst;
	}

	start = now_ns();
	for (;;) {
		uint64_t now = now_ns();
		unsigned long long want = BATCH;

		if (duration > 0 ? now - start >= (uint64_t)(duration * 1e9) : sent >= count)
			break;
		if (duration == 0 && count - sent < want)
			want = count - sent;
		if (rate > 0) {
			/* The datagrams due by now (the schedule is never moved: the offered rate
			 * holds on a loaded machine), at most a batch at a time. */
			unsigned long long due = (unsigned long long)((double)(now - start) * rate / 1e9) + 1;

			if (due <= sent) {
				uint64_t next = start + (uint64_t)((double)sent * 1e9 / rate);
				struct timespec ts = { (time_t)(next / 1000000000ULL),
						       (long)(next % 1000000000ULL) };

				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				continue;
			}
			if (due - sent < want)
				want = due - sent;
		}
		now = now_ns();
		for (size_t i = 0; i < want; i++) {
			unsigned long long seq = sent + i;

			msgs[i].addr.sin_addr = group_nth(dst.sin_addr, (unsigned long)(seq % (unsigned long long)groups));
			put_be64(bufs[i], seq);
			put_be64(bufs[i] + 8, now);
		}
		r = ipv4opt_send_batch(fd, msgs, (size_t)want, 0);
		if (r < 0) {
			if (r == -ENOBUFS || r == -EAGAIN)
				continue;
			fprintf(stderr, "mclat: send: %s\n", ipv4opt_strerror(r));
			return 1;
		}
		sent += (unsigned long long)r;
	}
	printf("sent=%llu seconds=%.3f\n", sent, (double)(now_ns() - start) / 1e9);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of the n sorted values, in µs (nearest rank). */
static double quantile_us(const uint32_t *v, size_t n, double q)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(q * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1] / 1000.0;
}

static int do_recv(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ipv4opt_message msgs[BATCH];
	static uint8_t bufs[BATCH][2048];
	struct in_addr group = { 0 };
	unsigned long long count = 0, got = 0, shorts = 0, copies = 1, span = 0, lost;
	uint64_t seq_min = UINT64_MAX, seq_max = 0, start, last = 0;
	double total = 10, groups = 1, v;
	int idle_ms = 0, ifindex = 0, rcvbuf = 8 << 20, port = 0, c, fd, r;
	uint32_t *lat = NULL;
	size_t n_lat = 0, cap_lat = 0;
	struct sigaction sa = { .sa_handler = on_signal };

	while ((c = getopt(argc, argv, "p:g:N:I:k:c:T:q:R:")) >= 0) {
		switch (c) {
		case 'p':
			if (parse_num("-p", optarg, 1, 65535, &v) < 0)
				return 2;
			port = (int)v;
			break;
		case 'g':
			if (inet_pton(AF_INET, optarg, &group) != 1 || !IN_MULTICAST(ntohl(group.s_addr))) {
				fprintf(stderr, "mclat: bad group %s\n", optarg);
				return 2;
			}
			break;
		case 'N':
			if (parse_num("-N", optarg, 1, MAX_GROUPS, &groups) < 0)
				return 2;
			break;
		case 'I':
			ifindex = (int)if_nametoindex(optarg);
			if (ifindex == 0) {
				fprintf(stderr, "mclat: no interface %s\n", optarg);
				return 2;
			}
			break;
		case 'k':
			if (parse_num("-k", optarg, 1, 64, &v) < 0)
				return 2;
			copies = (unsigned long long)v;
			break;
		case 'c':
			if (parse_num("-c", optarg, 1, 1e15, &v) < 0)
				return 2;
			count = (unsigned long long)v;
			break;
		case 'T':
			if (parse_num("-T", optarg, 0.001, 86400, &total) < 0)
				return 2;
			break;
		case 'q':
			if (parse_num("-q", optarg, 1, 3600000, &v) < 0)
				return 2;
			idle_ms = (int)v;
			break;
		case 'R':
			if (parse_num("-R", optarg, 4096, 1073741823, &v) < 0)
				return 2;
			rcvbuf = (int)v;
			break;
		default:
			return 2;
		}
	}
	if (port == 0 || optind != argc) {
		fprintf(stderr, "usage: mclat recv -p PORT [-g GROUP [-N GROUPS] -I IF] [-k COPIES] "
				"[-c N] [-T S] [-q MS] [-R RCVBUF]\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 1;
	(void)ipv4opt_set_reuse_addr(fd, true);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("mclat: bind");
		return 1;
	}
	if (group.s_addr) {
		/* The memberships on a socket bound to nothing: the kernel walks a receiving
		 * socket's membership list for each datagram (ip_mc_sf_allow), so 2,000 of them on
		 * the bound socket would make the receiver's cost grow with the groups. The bound
		 * socket takes what the host accepts for the port (IP_MULTICAST_ALL, the default). */
		int hold = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (hold < 0)
			return 1;
		for (unsigned long i = 0; i < (unsigned long)groups; i++) {
			r = ipv4opt_join_group(hold, ifindex, group_nth(group, i));
			if (r < 0) {
				fprintf(stderr, "mclat: join of group %lu of %.0f: %s%s\n", i + 1,
					groups, ipv4opt_strerror(r),
					r == -ENOBUFS ? " (net.ipv4.igmp_max_memberships)" : "");
				return 1;
			}
		}
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++)
		msgs[i].buf = bufs[i];
	fprintf(stderr, "ready\n");

	start = now_ns();
	while (!stop) {
		uint64_t now = now_ns(), end = start + (uint64_t)(total * 1e9);
		int64_t wait_ns = (int64_t)(end - now);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;

		if (now >= end || (count > 0 && got >= count))
			break;
		if (idle_ms > 0 && last > 0) {
			uint64_t idle_end = last + (uint64_t)idle_ms * 1000000ULL;

			if (now >= idle_end)
				break;
			if ((int64_t)(idle_end - now) < wait_ns)
				wait_ns = (int64_t)(idle_end - now);
		}
		if (poll(&p, 1, (int)(wait_ns / 1000000) + 1) <= 0)
			continue;
		for (int i = 0; i < BATCH; i++)
			msgs[i].len = sizeof(bufs[i]);
		n = ipv4opt_recv_batch(fd, msgs, BATCH, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		now = now_ns();
		last = now;
		if (cap_lat < n_lat + (size_t)n) {
			size_t nc = cap_lat ? cap_lat * 2 : 1 << 20;
			uint32_t *nl = realloc(lat, nc * sizeof(*lat));

			if (!nl) {
				fprintf(stderr, "mclat: out of memory\n");
				return 1;
			}
			lat = nl;
			cap_lat = nc;
		}
		for (int i = 0; i < n; i++) {
			uint64_t seq, sent_ns, d;

			if (msgs[i].n < HEADER) {
				shorts++;
				continue;
			}
			got++;
			seq = get_be64(bufs[i]);
			sent_ns = get_be64(bufs[i] + 8);
			if (seq < seq_min)
				seq_min = seq;
			if (seq > seq_max)
				seq_max = seq;
			d = now > sent_ns ? now - sent_ns : 0;
			lat[n_lat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
		}
	}
	if (got > 0)
		span = seq_max - seq_min + 1;
	lost = span * copies > got ? span * copies - got : 0;
	qsort(lat, n_lat, sizeof(*lat), cmp_u32);
	printf("count=%llu\nlost=%llu\nspan=%llu\nshort=%llu\n", got, lost, span, shorts);
	printf("p50_us=%.1f\np99_us=%.1f\nmax_us=%.1f\n", quantile_us(lat, n_lat, 0.50),
	       quantile_us(lat, n_lat, 0.99), n_lat ? lat[n_lat - 1] / 1000.0 : 0);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		return do_send(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "recv") == 0)
		return do_recv(argc - 1, argv + 1);
	fprintf(stderr, "usage: mclat send|recv ... (see bench/mclat.c)\n");
	return 2;
}
