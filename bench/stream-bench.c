/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of the stream analysers (src/ipv4optd/stream/, issue 12): the cost of
 * analysis alone, in ns per datagram, for a realistic RTP + 7 x MPEG-TS stream (1328-byte
 * datagrams, payload type 33, a 90 kHz clock, 50,000 datagrams/s of arrival times with a
 * little jitter). Not a test: run it by hand or with `make bench-stream`.
 *
 *   bench/stream-bench [DATAGRAMS]     (default 5,000,000 per run, best of 5 runs)
 *
 * The stream cycles through 64 prepared datagrams (85 KiB: in cache, as a datagram just
 * copied in by recvmmsg is); each one gets its RTP sequence number and timestamp written
 * before it is fed, so the analyser sees one continuous stream. The PIDs follow a program's
 * mix (video 0x100 with a PCR in an adaptation field every 28 packets, audio 0x101, PAT,
 * PMT 0x1000, PCR-only adaptation-field packets on 0x1ff, null packets), each PID's count
 * per cycle a multiple of 16 so that continuity counters run on across cycles. The loop that
 * only writes those 6 bytes is measured too ("baseline") and subtracted. Times are the
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipv4optd/stream/stream.h"

#define CYCLE 64
#define TS_PER_DATAGRAM 7
#define DATAGRAM_LEN (RTP_HEADER_LEN + TS_PER_DATAGRAM * MPEGTS_PACKET_LEN)
#define RATE 50000 /* datagrams per second */
#define RUNS 5

static uint8_t datagrams[CYCLE][DATAGRAM_LEN];
static struct stream st;

static unsigned int pid_of(unsigned int g, unsigned int *afc)
{
	*afc = 1;
	switch (g % 28) {
	case 0:
		return 0x0000; /* PAT */
	case 14:
		return 0x1000; /* PMT */
	case 7:
	case 21:
		return 0x101; /* audio */
	case 3:
		*afc = 2;
		return 0x1ff; /* PCR only */
	case 17:
		return MPEGTS_PID_NULL;
	case 1:
		*afc = 3; /* video with a PCR in its adaptation field */
		return 0x100;
	}
	return 0x100;
}

static void prepare(void)
{
	static uint8_t cc[MPEGTS_PID_COUNT];

	for (unsigned int k = 0; k < CYCLE; k++) {
		uint8_t *d = datagrams[k];

		memset(d, 0xff, DATAGRAM_LEN);
		d[0] = 0x80;
		d[1] = RTP_PT_MP2T;
		d[8] = 0x12, d[9] = 0x34, d[10] = 0x56, d[11] = 0x78;
		for (unsigned int j = 0; j < TS_PER_DATAGRAM; j++) {
			uint8_t *p = d + RTP_HEADER_LEN + j * MPEGTS_PACKET_LEN;
			unsigned int afc, pid = pid_of(k * TS_PER_DATAGRAM + j, &afc);

			p[0] = MPEGTS_SYNC_BYTE;
			p[1] = (uint8_t)(0x40 | pid >> 8);
			p[2] = (uint8_t)pid;
			p[3] = (uint8_t)(afc << 4 | (cc[pid] & 0x0f));
			if (afc & 1)
				cc[pid]++;
			if (afc & 2) {
				p[4] = afc == 2 ? 183 : 7;
				p[5] = 0x10; /* PCR_flag */
				memset(p + 6, 0, 6);
			}
		}
	}
}

/* CPU time of this thread: what analysis costs a worker, not what a loaded machine's other
 * jobs take from it while it runs */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * STREAM_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* The datagram i of the stream: its sequence number and timestamp written in place. */
static uint8_t *datagram(uint64_t i)
{
	uint8_t *d = datagrams[i % CYCLE];
	uint32_t ts = (uint32_t)(i * 90000 / RATE);

	d[2] = (uint8_t)(i >> 8);
	d[3] = (uint8_t)i;
	d[4] = (uint8_t)(ts >> 24);
	d[5] = (uint8_t)(ts >> 16);
	d[6] = (uint8_t)(ts >> 8);
	d[7] = (uint8_t)ts;
	return d;
}

/* arrival times 20 us apart, up to 2 us late */
static uint64_t arrival(uint64_t i)
{
	return STREAM_NSEC_PER_SEC + i * (STREAM_NSEC_PER_SEC / RATE) + (i * 7919) % 2000;
}

/* ns per datagram of one run; format _STREAM_FORMAT_MAX: the baseline (no feed) */
static double run(int format, size_t offset, uint64_t n)
{
	struct stream_config cfg = { .format = format };
	uint64_t t0, t1;

	if (format != _STREAM_FORMAT_MAX && stream_init(&st, &cfg) < 0)
		abort();
	t0 = cpu_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *d = datagram(i);

		if (format == _STREAM_FORMAT_MAX)
			__asm__ volatile("" : : "r"(d) : "memory");
		else
			stream_feed(&st, d + offset, DATAGRAM_LEN - offset, arrival(i));
	}
	t1 = cpu_ns();
	return (double)(t1 - t0) / (double)n;
}

static double best(int format, size_t offset, uint64_t n)
{
	double b = 1e30;

	for (int r = 0; r < RUNS; r++) {
		double x = run(format, offset, n);

		if (x < b)
			b = x;
	}
	return b;
}

static int check_clean(const char *what, uint64_t n)
{
	struct stream_counters c;

	stream_snapshot(&st, arrival(n - 1), &c);
	if (c.datagrams != n || c.rtp_lost || c.rtp_duplicates || c.rtp_reordered ||
	    c.ts_cc_errors || c.ts_sync_errors || c.ts_length_errors) {
		fprintf(stderr,
			"%s: the stream is not clean (datagrams %llu, lost %llu, dup %llu, "
			"reordered %llu, cc %llu, sync %llu): the benchmark is wrong\n",
			what, (unsigned long long)c.datagrams, (unsigned long long)c.rtp_lost,
			(unsigned long long)c.rtp_duplicates, (unsigned long long)c.rtp_reordered,
			(unsigned long long)c.ts_cc_errors, (unsigned long long)c.ts_sync_errors);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000;
	static const struct {
		const char *name;
		int format;
		size_t offset;
	} modes[] = {
		{ "none (gaps, on air only)", STREAM_FORMAT_NONE, 0 },
		{ "rtp (RTP + 7 TS)", STREAM_FORMAT_RTP, 0 },
		{ "auto (decides rtp)", STREAM_FORMAT_AUTO, 0 },
		{ "ts (the 7 TS packets alone)", STREAM_FORMAT_TS, RTP_HEADER_LEN },
	};
	double base;

	if (n < CYCLE) {
		fprintf(stderr, "usage: %s [DATAGRAMS >= %d]\n", argv[0], CYCLE);
		return 2;
	}
	prepare();
	base = best(_STREAM_FORMAT_MAX, 0, n);
	printf("stream-bench: %llu datagrams of %d bytes per run, best of %d runs\n",
	       (unsigned long long)n, DATAGRAM_LEN, RUNS);
	printf("%-30s %10s %10s %14s\n", "analyze", "ns/dgram", "net ns", "CPU at 50k/s");
	printf("%-30s %10.1f\n", "baseline (no analysis)", base);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		double x = best(modes[m].format, modes[m].offset, n), net = x - base;

		if (modes[m].format != STREAM_FORMAT_NONE && check_clean(modes[m].name, n) < 0)
			return 1;
		printf("%-30s %10.1f %10.1f %13.3f%%\n", modes[m].name, x, net,
		       net * RATE / 1e9 * 100);
	}
	return 0;
}
