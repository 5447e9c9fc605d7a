/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "egress.h"
#include "ingress.h"
#include "recordq.h"
#include "macro.h"
#include "worker.h"

#define WORKER_EVENTS 64
#define WORKER_RATE_SHIFT 2      /* the rate estimate moves by 1/4 of each measurement */

struct worker {
	unsigned id;
	struct snapshot_domain *domain;
	int epfd, stop_fd, notify_fd;
	bool stop;                   /* atomic */
	pthread_t thread;
	bool started;
	struct egress *egress;
	struct ingress *ingress;
	struct recordq *recordq;
	struct counters_worker counters;
	/* adaptive coalescing (the thread's own) */
	double rate;                 /* datagrams per µs, estimated */
	uint64_t last_usec;
};

int worker_new(unsigned id, struct snapshot_domain *d, int notify_fd, struct worker **ret)
{
	struct worker *w = aligned_alloc(COUNTERS_CACHELINE,
					 (sizeof(struct worker) + COUNTERS_CACHELINE - 1) /
						 COUNTERS_CACHELINE * COUNTERS_CACHELINE);
	struct epoll_event ev = { .events = EPOLLIN };
	int k;

	if (!w)
		return -ENOMEM;
	*w = (struct worker){ .id = id, .domain = d, .epfd = -1, .stop_fd = -1,
			      .notify_fd = notify_fd };
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->epfd < 0 || w->stop_fd < 0) {
		k = -errno;
		goto fail;
	}
	ev.data.fd = w->stop_fd;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->stop_fd, &ev) < 0) {
		k = -errno;
		goto fail;
	}
	k = egress_new(id, &w->egress);
	if (k < 0)
		goto fail;
	k = recordq_new(&w->recordq);
	if (k < 0)
		goto fail;
	k = ingress_new(id, w->egress, w->recordq, &w->counters, &w->ingress);
	if (k < 0)
		goto fail;
	*ret = w;
	return 0;
fail:
	worker_free(w);
	return k;
}

/* The wait after a wake-up that read n datagrams (full: the last read filled a batch). */
static uint64_t coalesce_wait(struct worker *w, const struct snapshot *s, size_t n, bool full,
			      uint64_t now)
{
	uint64_t dt = now > w->last_usec ? now - w->last_usec : 1;
	double inst = (double)n / (double)dt, expect;

	w->last_usec = now;
	w->rate += (inst - w->rate) / (1 << WORKER_RATE_SHIFT);
	if (n == 0 || full || !s || s->coalesce_usec == 0)
		return 0; /* idle, or under load: read as fast as datagrams come */
	expect = w->rate * (double)s->coalesce_usec;
	if (expect < WORKER_COALESCE_MIN)
		return 0; /* a wait would not gather a batch: latency first */
	/* Long enough for a batch at this rate, at most the bound. */
	if ((double)INGRESS_BATCH / w->rate < (double)s->coalesce_usec)
		return (uint64_t)((double)INGRESS_BATCH / w->rate);
	return s->coalesce_usec;
}

static void *worker_main(void *userdata)
{
	struct worker *w = userdata;
	struct epoll_event evs[WORKER_EVENTS];
	uint64_t deadline = 0;       /* the merge windows' next (redundancy.h); 0: none */

	/* Waits of a few hundred µs: the default timer slack (50 µs) would stretch them. */
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	/* On a shared core the control plane's slow work (a 10,000-policy reload, a large JSON
	 * answer) would take the worker's time as an equal: the worker runs WORKER_NICE steps
	 * ahead of the daemon's own priority where it may (CAP_SYS_NICE; else it stays equal). */
	errno = 0;
	{
		int nice = getpriority(PRIO_PROCESS, 0);

		if (errno == 0)
			(void)setpriority(PRIO_PROCESS, (id_t)gettid(),
					  nice - WORKER_NICE < -20 ? -20 : nice - WORKER_NICE);
	}
	w->last_usec = clock_now_usec(CLOCK_MONOTONIC);
	for (;;) {
		const struct snapshot *s;
		size_t total = 0;
		bool full = false;
		uint64_t wait, woke;
		int n;

		int timeout = -1;

		if (deadline > 0) {
			uint64_t now = clock_now_usec(CLOCK_MONOTONIC);

			/* a missing number waits out its merge window: a timed wake-up, rounded up */
			timeout = now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
		}
		snapshot_reader_leave(w->domain, w->id);
		n = epoll_wait(w->epfd, evs, WORKER_EVENTS, timeout);
		woke = clock_now_usec(CLOCK_MONOTONIC);
		if (n < 0 && errno != EINTR)
			break;
		s = snapshot_reader_enter(w->domain, w->id);
		if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
			break;
		for (int i = 0; i < n; i++) {
			const struct snapshot_sock *k;
			bool f;

			if (evs[i].data.fd == w->stop_fd)
				continue;
			k = snapshot_sock_by_fd(s, evs[i].data.fd);
			if (!k || k->worker != w->id)
				continue; /* being removed: no longer in the snapshot */
			total += ingress_drain(w->ingress, s, k, &f);
			full |= f;
		}
		/* The merge windows are looked at as of the wake-up: what arrived before it has
		 * been read (every ready socket was drained, the others had nothing), what came
		 * since may hold a copy a window waits for, so later times are not judged yet.
		 * After a full read more is queued: looked at once it is read (the loop comes back
		 * at once). */
		deadline = s && s->n_merge_policies > 0 && !full ?
			   ingress_tick(w->ingress, s, woke) : 0;
		COUNTER_ADD(w->counters.wakeups, 1);
		COUNTER_ADD(w->counters.datagrams, total);
		if (egress_take_notify(w->egress) | ingress_take_records(w->ingress)) {
			uint64_t one = 1;

			(void)!write(w->notify_fd, &one, sizeof(one));
		}
		wait = coalesce_wait(w, s, total, full, clock_now_usec(CLOCK_MONOTONIC));
		if (wait > 0) {
			struct timespec ts = { .tv_sec = (time_t)(wait / 1000000),
					       .tv_nsec = (long)(wait % 1000000) * 1000 };

			snapshot_reader_leave(w->domain, w->id);
			COUNTER_ADD(w->counters.coalesced_waits, 1);
			(void)clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		}
	}
	snapshot_reader_leave(w->domain, w->id);
	return NULL;
}

int worker_start(struct worker *w)
{
	int k = pthread_create(&w->thread, NULL, worker_main, w);

	if (k != 0)
		return -k;
	w->started = true;
	{
		char name[16];

		snprintf(name, sizeof(name), "ipv4optd-w%u", w->id);
		(void)pthread_setname_np(w->thread, name);
	}
	return 0;
}

struct worker *worker_free(struct worker *w)
{
	if (!w)
		return NULL;
	if (w->started) {
		uint64_t one = 1;

		__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
		(void)!write(w->stop_fd, &one, sizeof(one));
		(void)pthread_join(w->thread, NULL);
	}
	ingress_free(w->ingress);
	recordq_free(w->recordq);
	egress_free(w->egress);
	safe_close(w->epfd);
	safe_close(w->stop_fd);
	free(w);
	return NULL;
}

int worker_watch(struct worker *w, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int worker_unwatch(struct worker *w, int fd)
{
	return epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

uint16_t worker_get_send_port(const struct worker *w)
{
	return egress_get_port(w->egress);
}

struct recordq *worker_get_recordq(const struct worker *w)
{
	return w->recordq;
}

const struct counters_worker *worker_get_counters(const struct worker *w)
{
	return &w->counters;
}
