/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel tests of batch I/O (recvmmsg / sendmmsg) and of concurrent reads and writes with
 * control messages (the reference's readwrite_test.go), in the namespace lab.
 */
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "coretest.h"

#define PORT 5004
#define N 100 /* more than one of the library's chunks (32) */

struct batch_bufs {
	char data[N][64];
	struct ipv4opt_message m[N];
};

static void batch_init(struct batch_bufs *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	for (int i = 0; i < N; i++) {
		b->m[i].buf = b->data[i];
		b->m[i].len = cap;
	}
}

/* Collects n datagrams with as many recv_batch calls as it takes; returns the call count. */
static int recv_all(int fd, struct batch_bufs *b, int n)
{
	int got = 0, calls = 0;

	while (got < n) {
		int r = ipv4opt_recv_batch(fd, b->m + got, (size_t)(n - got), 0);

		ck_assert_msg(r > 0, "recv_batch after %d of %d: %s", got, n, ipv4opt_strerror(r));
		got += r;
		calls++;
	}
	return calls;
}

/*
 * Knowing that what was sent over loopback is queued at the receiver. Loopback hands each
 * datagram to the backlog of the CPU that sent it, and that CPU's softirq delivers its backlog
 * in order, but when it gets to it: on a loaded machine ksoftirqd may run it any time later.
 * So the test pins itself to one CPU, and after its datagrams sends a marker to a socket of its
 * own (the marker socket sends to itself): once the marker is read (a blocking receive with a
 * timeout of seconds), everything sent before it is queued where it was sent to.
 */
#define MARKER_PORT (PORT + 1)

static int marker_new(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	ck_assert_int_ge(cpu, 0);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(set), &set), 0);
	return ct_udp(LAB_RCV, "127.0.0.1", MARKER_PORT, false);
}

static void marker_wait(int marker)
{
	ct_send(marker, "marker", "127.0.0.1", MARKER_PORT, NULL);
	ct_expect(marker, "marker", NULL, NULL);
}

START_TEST(test_batch_read_write)
{
	/* send_batch of N datagrams from snd, each with its own TTL in its control data;
	 * recv_batch gets them all, each with its source address and control data. */
	struct lab *l = lab_get();
	int rcv = ct_udp(LAB_RCV, "10.201.1.2", PORT, false);
	int snd = ct_udp(LAB_SND, "10.201.1.1", 0, false);
	static struct batch_bufs out, in;

	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_TTL | IPV4OPT_CM_DST |
						     IPV4OPT_CM_IFINDEX, true), 0);
	batch_init(&out, 0);
	for (int i = 0; i < N; i++) {
		out.m[i].len = (size_t)snprintf(out.data[i], sizeof(out.data[i]), "batch %d", i);
		out.m[i].addr = ct_sin("10.201.1.2", PORT);
		out.m[i].cm = (struct ipv4opt_cm){ .flags = IPV4OPT_CM_TTL, .ttl = 1 + i };
	}
	ck_assert_int_eq(ipv4opt_send_batch(snd, out.m, N, 0), N);
	for (int i = 0; i < N; i++)
		ck_assert_uint_eq(out.m[i].n, out.m[i].len);

	batch_init(&in, sizeof(in.data[0]));
	recv_all(rcv, &in, N);
	for (int i = 0; i < N; i++) {
		char want[64];

		snprintf(want, sizeof(want), "batch %d", i);
		ck_assert_uint_eq(in.m[i].n, strlen(want));
		ck_assert_mem_eq(in.m[i].buf, want, in.m[i].n);
		ck_assert(!in.m[i].truncated);
		ck_assert_str_eq(ct_ntoa(in.m[i].addr.sin_addr), "10.201.1.1");
		ck_assert_int_eq(ntohs(in.m[i].addr.sin_port), ct_port(snd));
		ck_assert_uint_eq(in.m[i].cm.flags, IPV4OPT_CM_TTL | IPV4OPT_CM_SRC |
							    IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX);
		ck_assert_int_eq(in.m[i].cm.ttl, 1 + i);
		ck_assert_str_eq(ct_ntoa(in.m[i].cm.dst), "10.201.1.2");
		ck_assert_int_eq(in.m[i].cm.ifindex, l->rcv_if[0]);
	}
	close(rcv);
	close(snd);
}
END_TEST

START_TEST(test_batch_chunks)
{
	/* On loopback in rcv: N datagrams sent by a connected socket (port 0 in addr) are all
	 * read by one recv_batch call that walks several chunks; then -EAGAIN. */
	int rcv = ct_udp(LAB_RCV, "127.0.0.1", PORT, false);
	int snd = ct_udp(LAB_RCV, "127.0.0.1", 0, false);
	int marker = marker_new();
	struct sockaddr_in to = ct_sin("127.0.0.1", PORT);
	static struct batch_bufs out, in;

	ck_assert_int_eq(connect(snd, (struct sockaddr *)&to, sizeof(to)), 0);
	batch_init(&out, 0);
	for (int i = 0; i < N; i++)
		out.m[i].len = (size_t)snprintf(out.data[i], sizeof(out.data[i]), "%d", i);
	ck_assert_int_eq(ipv4opt_send_batch(snd, out.m, N, 0), N);
	marker_wait(marker);
	batch_init(&in, sizeof(in.data[0]));
	ck_assert_int_eq(ipv4opt_recv_batch(rcv, in.m, N, MSG_DONTWAIT), N);
	for (int i = 0; i < N; i++) {
		char want[16];

		snprintf(want, sizeof(want), "%d", i);
		ck_assert_uint_eq(in.m[i].n, strlen(want));
		ck_assert_mem_eq(in.m[i].buf, want, in.m[i].n);
		ck_assert_int_eq(ntohs(in.m[i].addr.sin_port), ct_port(snd));
		ck_assert_uint_eq(in.m[i].cm.flags, 0);
	}
	ck_assert_int_eq(ipv4opt_recv_batch(rcv, in.m, N, MSG_DONTWAIT), -EAGAIN);

	/* Fewer queued than asked: a blocking call returns what is there (MSG_WAITFORONE),
	 * it does not wait for the rest. */
	ck_assert_int_eq(ipv4opt_send_batch(snd, out.m, 3, 0), 3);
	marker_wait(marker);
	ck_assert_int_eq(ipv4opt_recv_batch(rcv, in.m, N, 0), 3);
	/* Nothing queued, blocking: the receive timeout ends it. Then one sent is read. */
	lab_rcvtimeo(rcv, ABSENT_MS);
	ck_assert_int_eq(ipv4opt_recv_batch(rcv, in.m, N, 0), -EAGAIN);
	lab_rcvtimeo(rcv, ARRIVE_MS);
	ck_assert_int_eq(ipv4opt_send_batch(snd, out.m + 7, 1, 0), 1);
	ck_assert_int_eq(ipv4opt_recv_batch(rcv, in.m, N, 0), 1);
	ck_assert_mem_eq(in.m[0].buf, "7", 1);

	/* Errors. */
	ck_assert_int_eq(ipv4opt_recv_batch(rcv, in.m, 0, 0), -EINVAL);
	ck_assert_int_eq(ipv4opt_send_batch(snd, out.m, 0, 0), -EINVAL);
	close(snd);
	snd = ct_udp(LAB_RCV, "127.0.0.1", 0, false);
	/* Not connected and no destination. */
	ck_assert_int_eq(ipv4opt_send_batch(snd, out.m, 2, 0), -EDESTADDRREQ);
	close(rcv);
	close(snd);
	close(marker);
}
END_TEST

START_TEST(test_batch_truncated)
{
	int rcv = ct_udp(LAB_RCV, "127.0.0.1", PORT, false);
	int snd = ct_udp(LAB_RCV, "127.0.0.1", 0, false);
	int marker = marker_new();
	static struct batch_bufs out, in;

	batch_init(&out, 0);
	for (int i = 0; i < 3; i++) {
		out.m[i].len = (size_t)snprintf(out.data[i], sizeof(out.data[i]), "%s",
						i == 1 ? "a rather long datagram" : "short");
		out.m[i].addr = ct_sin("127.0.0.1", PORT);
	}
	ck_assert_int_eq(ipv4opt_send_batch(snd, out.m, 3, 0), 3);
	marker_wait(marker);
	batch_init(&in, 8);
	ck_assert_int_eq(ipv4opt_recv_batch(rcv, in.m, 3, 0), 3);
	ck_assert(!in.m[0].truncated);
	ck_assert_uint_eq(in.m[0].n, 5);
	ck_assert(in.m[1].truncated);
	ck_assert_uint_eq(in.m[1].n, 8);
	ck_assert_mem_eq(in.m[1].buf, "a rather", 8);
	ck_assert(!in.m[2].truncated);
	close(rcv);
	close(snd);
	close(marker);
}
END_TEST

START_TEST(test_batch_multicast_egress)
{
	/* Per-message control data on send: the messages alternate their way out (IP_PKTINFO
	 * ifindex s0 / s1); the receiver, joined on r0 and r1, sees them alternate. */
	struct lab *l = lab_get();
	int rcv = ct_udp(LAB_RCV, NULL, PORT, false);
	int snd = ct_udp(LAB_SND, NULL, 0, false);
	static struct batch_bufs out, in;
	const int n = 40;

	for (int j = 0; j < 2; j++)
		ck_assert_int_eq(ipv4opt_join_group(rcv, l->rcv_if[j], lab_addr("239.20.0.1")), 0);
	ck_assert_int_eq(ipv4opt_set_control_message(rcv, IPV4OPT_CM_ALL, true), 0);
	batch_init(&out, 0);
	for (int i = 0; i < n; i++) {
		out.m[i].len = (size_t)snprintf(out.data[i], sizeof(out.data[i]), "m%d", i);
		out.m[i].addr = ct_sin("239.20.0.1", PORT);
		out.m[i].cm = (struct ipv4opt_cm){
			.flags = IPV4OPT_CM_IFINDEX | IPV4OPT_CM_TOS,
			.ifindex = l->snd_if[i % 2],
			.tos = i << 2,
		};
	}
	ck_assert_int_eq(ipv4opt_send_batch(snd, out.m, (size_t)n, 0), n);
	batch_init(&in, sizeof(in.data[0]));
	recv_all(rcv, &in, n);
	for (int i = 0; i < n; i++) {
		char want[16];

		snprintf(want, sizeof(want), "m%d", i);
		ck_assert_mem_eq(in.m[i].buf, want, in.m[i].n);
		ck_assert_str_eq(ct_ntoa(in.m[i].cm.dst), "239.20.0.1");
		ck_assert_int_eq(in.m[i].cm.ifindex, l->rcv_if[i % 2]);
		ck_assert_str_eq(ct_ntoa(in.m[i].addr.sin_addr),
				 i % 2 ? "10.201.2.1" : "10.201.1.1");
		ck_assert_int_eq(in.m[i].cm.ttl, 1);
		ck_assert_int_eq(in.m[i].cm.tos, i << 2);
	}
	close(rcv);
	close(snd);
}
END_TEST

/* readwrite_test.go: TestPacketConnConcurrentReadWriteUnicastUDP. One UDP socket on loopback
 * with control messages on; writers send to it concurrently with IP_PKTINFO, readers read it
 * concurrently, and a toggler switches IP_RECVTTL on and off meanwhile. */
#define RW_THREADS 4
#define RW_PER_WRITER 200

struct rw {
	int fd;
	int lo;
	struct sockaddr_in self;
	pthread_mutex_t lock;
	int64_t deadline_ms; /* the readers give up then */
	int n_read; /* datagrams read, good or bad */
	int received;
	int bad;
	bool seen[RW_THREADS][RW_PER_WRITER];
	volatile bool stop;
};

static void *rw_writer(void *arg)
{
	struct rw *rw = ((void **)arg)[0];
	int id = (int)(intptr_t)((void **)arg)[1];
	struct ipv4opt_cm cm = {
		.flags = IPV4OPT_CM_SRC | IPV4OPT_CM_IFINDEX,
		.src = lab_addr("127.0.0.1"),
		.ifindex = rw->lo,
	};

	for (int i = 0; i < RW_PER_WRITER; i++) {
		char buf[32];
		int len = snprintf(buf, sizeof(buf), "%d %d", id, i);

		if (ipv4opt_sendmsg(rw->fd, buf, (size_t)len, 0, &rw->self, &cm) != len) {
			pthread_mutex_lock(&rw->lock);
			rw->bad++;
			pthread_mutex_unlock(&rw->lock);
		}
	}
	return NULL;
}

static void *rw_reader(void *arg)
{
	struct rw *rw = arg;

	/* Until every datagram is read, whatever the pace of the writers (a loaded machine may
	 * starve them for a while), or the deadline. The socket's receive timeout only wakes a
	 * reader to look at both. */
	for (;;) {
		struct ipv4opt_cm cm;
		struct sockaddr_in from;
		char buf[64];
		int id, i;
		ssize_t n;
		bool done;

		pthread_mutex_lock(&rw->lock);
		done = rw->n_read >= RW_THREADS * RW_PER_WRITER || ct_now_ms() >= rw->deadline_ms;
		pthread_mutex_unlock(&rw->lock);
		if (done)
			return NULL;
		n = ipv4opt_recvmsg(rw->fd, buf, sizeof(buf) - 1, 0, &from, &cm, NULL);
		if (n == -EAGAIN)
			continue;
		pthread_mutex_lock(&rw->lock);
		rw->n_read++;
		if (n < 0 || !(cm.flags & IPV4OPT_CM_DST) ||
		    cm.dst.s_addr != rw->self.sin_addr.s_addr || cm.ifindex != rw->lo ||
		    from.sin_port != rw->self.sin_port) {
			rw->bad++;
		} else {
			buf[n] = '\0';
			if (sscanf(buf, "%d %d", &id, &i) != 2 || id < 0 || id >= RW_THREADS ||
			    i < 0 || i >= RW_PER_WRITER || rw->seen[id][i] ||
			    ((cm.flags & IPV4OPT_CM_TTL) && cm.ttl != 64))
				rw->bad++;
			else
				rw->seen[id][i] = true;
			rw->received++;
		}
		pthread_mutex_unlock(&rw->lock);
	}
}

static void *rw_toggler(void *arg)
{
	struct rw *rw = arg;
	bool on = false;

	while (!rw->stop) {
		if (ipv4opt_set_control_message(rw->fd, IPV4OPT_CM_TTL, on) < 0) {
			pthread_mutex_lock(&rw->lock);
			rw->bad++;
			pthread_mutex_unlock(&rw->lock);
		}
		on = !on;
		sched_yield();
	}
	return NULL;
}

START_TEST(test_concurrent_read_write)
{
	static struct rw rw;
	pthread_t readers[RW_THREADS], writers[RW_THREADS], toggler;
	void *args[RW_THREADS][2];
	int big = 4 << 20;

	memset(&rw, 0, sizeof(rw));
	pthread_mutex_init(&rw.lock, NULL);
	rw.fd = ct_udp(LAB_RCV, "127.0.0.1", PORT, false);
	rw.self = ct_sin("127.0.0.1", PORT);
	/* Room for everything even if the readers fall behind (needs CAP_NET_ADMIN). */
	ck_assert_int_eq(setsockopt(rw.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)), 0);
	lab_enter(LAB_RCV);
	rw.lo = (int)if_nametoindex("lo");
	lab_leave();
	ck_assert_int_gt(rw.lo, 0);
	rw.deadline_ms = ct_now_ms() + 20000;
	lab_rcvtimeo(rw.fd, 100);
	ck_assert_int_eq(ipv4opt_set_control_message(rw.fd, IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX |
						     IPV4OPT_CM_TTL, true), 0);

	ck_assert_int_eq(pthread_create(&toggler, NULL, rw_toggler, &rw), 0);
	for (int t = 0; t < RW_THREADS; t++)
		ck_assert_int_eq(pthread_create(&readers[t], NULL, rw_reader, &rw), 0);
	for (int t = 0; t < RW_THREADS; t++) {
		args[t][0] = &rw;
		args[t][1] = (void *)(intptr_t)t;
		ck_assert_int_eq(pthread_create(&writers[t], NULL, rw_writer, args[t]), 0);
	}
	for (int t = 0; t < RW_THREADS; t++)
		pthread_join(writers[t], NULL);
	for (int t = 0; t < RW_THREADS; t++)
		pthread_join(readers[t], NULL);
	rw.stop = true;
	pthread_join(toggler, NULL);

	ck_assert_int_eq(rw.bad, 0);
	ck_assert_int_eq(rw.received, RW_THREADS * RW_PER_WRITER);
	ck_assert_int_eq(rw.n_read, RW_THREADS * RW_PER_WRITER);
	for (int t = 0; t < RW_THREADS; t++)
		for (int i = 0; i < RW_PER_WRITER; i++)
			ck_assert(rw.seen[t][i]);
	close(rw.fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel_batch");
	TCase *tc = tcase_create("batch");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_batch_read_write);
	tcase_add_test(tc, test_batch_chunks);
	tcase_add_test(tc, test_batch_truncated);
	tcase_add_test(tc, test_batch_multicast_egress);
	tcase_add_test(tc, test_concurrent_read_write);
	suite_add_tcase(s, tc);
	return lab_run_suite(s);
}
