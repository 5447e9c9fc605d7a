/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rtpts-send: an RTP stream carrying MPEG-TS (payload type 33, 7 TS packets per datagram, 1328
 * bytes) at a given rate, for bench/stream-dataplane.sh: what `analyze = "rtp"` reads, whole
 * (sequence numbers and continuity counters in order), at rates ffmpeg does not keep.
 *
 *   rtpts-send -s SRCADDR -I IFNAME -r RATE -d SECONDS GROUP:PORT
 *
 * Prints "sent=N seconds=S". PIDs: 0x100 (video), 0x101 (audio) every 8th packet; the RTP
 * timestamp follows the 90 kHz clock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ipv4opt.h"

#define BATCH 64
#define TS_PER_DATAGRAM 7
#define DATAGRAM (12 + TS_PER_DATAGRAM * 188)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Datagram k: sequence number k, its timestamp, TS packets 7k..7k+6. Everything follows from k
 * (no state), so datagrams the kernel did not take are built again the same. */
static void fill(uint8_t *b, uint64_t k, unsigned long long rate)
{
	uint16_t seq = (uint16_t)k;
	uint32_t timestamp = (uint32_t)(k * 90000 / rate);

	b[0] = 0x80;
	b[1] = 33;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(timestamp >> 24);
	b[5] = (uint8_t)(timestamp >> 16);
	b[6] = (uint8_t)(timestamp >> 8);
	b[7] = (uint8_t)timestamp;
	memcpy(b + 8, "\x12\x34\x56\x78", 4);
	for (uint64_t i = 0; i < TS_PER_DATAGRAM; i++) {
		uint8_t *p = b + 12 + i * 188;
		uint64_t n = k * TS_PER_DATAGRAM + i;
		/* audio (0x101) every 8th packet, video (0x100) the others: each one's continuity
		 * counter is how many of its packets came before */
		unsigned pid = n % 8 == 0 ? 0x101 : 0x100;
		uint64_t before = pid == 0x101 ? n / 8 : n - (n + 7) / 8;

		p[0] = 0x47;
		p[1] = (uint8_t)(pid >> 8);
		p[2] = (uint8_t)pid;
		p[3] = (uint8_t)(0x10 | (before & 0x0f)); /* payload only */
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET }, src = { .sin_family = AF_INET };
	struct ipv4opt_message msgs[BATCH];
	static uint8_t bufs[BATCH][DATAGRAM];
	unsigned long long sent = 0, rate = 0;
	uint64_t begin;
	double duration = 0;
	int ifindex = 0, c, fd, r;
	char *colon;

	while ((c = getopt(argc, argv, "s:I:r:d:")) >= 0) {
		switch (c) {
		case 's':
			if (inet_pton(AF_INET, optarg, &src.sin_addr) != 1)
				return 2;
			break;
		case 'I':
			ifindex = (int)if_nametoindex(optarg);
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || !(colon = strchr(argv[optind], ':')) || rate == 0 ||
	    duration <= 0) {
		fprintf(stderr, "usage: rtpts-send -s SRC -I IF -r RATE -d SECONDS GROUP:PORT\n");
		return 2;
	}
	*colon = '\0';
	if (inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1)
		return 2;
	dst.sin_port = htons((uint16_t)atoi(colon + 1));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    (ifindex > 0 && ipv4opt_set_multicast_if(fd, ifindex) < 0) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("rtpts-send");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].buf = bufs[i];
		msgs[i].len = DATAGRAM;
	}
	begin = now_ns();
	for (;;) {
		uint64_t now = now_ns();
		unsigned long long due, want;

		if (now - begin >= (uint64_t)(duration * 1e9))
			break;
		due = (now - begin) * rate / 1000000000ULL + 1;
		if (due <= sent) {
			uint64_t next = begin + sent * 1000000000ULL / rate;
			struct timespec ts = { .tv_sec = (time_t)(next / 1000000000ULL),
					       .tv_nsec = (long)(next % 1000000000ULL) };

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			continue;
		}
		want = due - sent < BATCH ? due - sent : BATCH;
		for (size_t i = 0; i < want; i++)
			fill(bufs[i], sent + i, rate);
		r = ipv4opt_send_batch(fd, msgs, (size_t)want, 0);
		if (r < 0) {
			if (r == -ENOBUFS || r == -EAGAIN)
				continue;
			fprintf(stderr, "rtpts-send: %s\n", ipv4opt_strerror(r));
			return 1;
		}
		sent += (unsigned long long)r;
	}
	printf("sent=%llu seconds=%.3f\n", sent, (double)(now_ns() - begin) / 1e9);
	return 0;
}
