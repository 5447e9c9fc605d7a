/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hostile: a misbehaving client of ipv4optd's control socket, for tests/lab/hostile.sh.
 * Usage: hostile SOCKET. Sends malformed JSON, a non-object, an unknown command, an oversized
 * message, requests cut in half (then closed, or left silent), pipelined requests it never
 * reads, a client that vanishes, and 100 concurrent clients; checks that each is answered
 * (with the right error code) or dropped, that other clients are served meanwhile, and that the
 * daemon still answers at the end. One "ok -" / "FAIL -" line per check; exits 1 on a failure.
 *
 * Usage: hostile hog SOCKET N INTERVAL_MS (tests/lab/control-abuse.sh). A local user holding
 * connections: opens N, sends "{" on each and then, every INTERVAL_MS (0: never), one more
 * byte of white space, so that no request ever ends. Reads what the daemon says: a refusal
 * (EUSERS), a timeout or a close. Prints "open=O refused=R closed=C" each time a count changes
 * (the last line is the state) and "# refused: MESSAGE" for the first refusal; exits when no
 * connection is left open.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctlproto.h"
#include "macro.h"

#define N_CONCURRENT 100
#define STATUS_REQ "{\"version\":1,\"command\":\"status\"}\n"

static const char *sock_path;
static int failed, checks;

_printf_(2, 3) static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	printf(ok ? "ok - " : "FAIL - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failed++;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int connect_nb(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Sends all of buf within timeout_ms; -errno if the peer is gone. */
static int send_all(int fd, const char *buf, size_t n, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	while (n > 0) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t k = send(fd, buf, n, MSG_NOSIGNAL);

		if (k < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			if (now_ms() >= end)
				return -ETIMEDOUT;
			(void)poll(&p, 1, 100);
			continue;
		}
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* What the daemon did with a connection. */
enum outcome {
	OUTCOME_ANSWER,  /* a response line; code holds its error code or "" for ok */
	OUTCOME_CLOSED,  /* EOF or reset before any line */
	OUTCOME_TIMEOUT, /* nothing within the time */
	OUTCOME_GARBAGE, /* something that is not a response */
};

/* Reads one response within timeout_ms. */
static enum outcome read_response(int fd, int timeout_ms, char *code, size_t code_size)
{
	static char buf[1 << 20];
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	size_t len = 0;

	code[0] = '\0';
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms();
		char *nl;
		ssize_t k;

		if (now >= end)
			return OUTCOME_TIMEOUT;
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		k = recv(fd, buf + len, sizeof(buf) - len - 1, 0);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0)
			return len ? OUTCOME_GARBAGE : OUTCOME_CLOSED;
		len += (size_t)k;
		nl = memchr(buf, '\n', len);
		if (nl) {
			struct ctl_response r = {};
			_cleanup_free_ char *err = NULL;

			if (ctlproto_response_parse(buf, (size_t)(nl - buf), &r, &err) < 0)
				return OUTCOME_GARBAGE;
			snprintf(code, code_size, "%s", r.ok ? "" : r.code);
			ctl_response_done(&r);
			return OUTCOME_ANSWER;
		}
		if (len >= sizeof(buf) - 1)
			return OUTCOME_GARBAGE;
	}
}

/* True if the peer closes the connection within timeout_ms (nothing more to read). */
static bool closed_within(int fd, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	char b[4096];

	while (now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, 100) <= 0)
			continue;
		k = recv(fd, b, sizeof(b), 0);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
	return false;
}

/* One request on a fresh connection; the error code of the answer ("" = ok). */
static enum outcome ask(const char *req, size_t len, char *code, size_t code_size, int *ret_fd)
{
	int fd = connect_nb();
	enum outcome o;

	if (fd < 0)
		return OUTCOME_CLOSED;
	if (send_all(fd, req, len, 2000) < 0) {
		close(fd);
		return OUTCOME_CLOSED;
	}
	o = read_response(fd, 5000, code, code_size);
	if (ret_fd)
		*ret_fd = fd;
	else
		close(fd);
	return o;
}

static bool answered(enum outcome o, const char *code, const char *want)
{
	return o == OUTCOME_ANSWER && streq(code, want);
}

#define HOG_MAX 1024

static void hog_report(int open, int refused, int closed)
{
	printf("open=%d refused=%d closed=%d\n", open, refused, closed);
	fflush(stdout);
}

static int hog(int n, int interval_ms)
{
	static struct pollfd p[HOG_MAX];
	static char line[HOG_MAX][512];
	static size_t len[HOG_MAX];
	int open = 0, refused = 0, closed = 0;
	bool told = false;
	uint64_t next = now_ms() + (uint64_t)interval_ms;

	for (int i = 0; i < n; i++) {
		p[i].fd = connect_nb();
		p[i].events = POLLIN;
		if (p[i].fd < 0) {
			fprintf(stderr, "hog: connect: %s\n", strerror(-p[i].fd));
			closed++;
			continue;
		}
		(void)send(p[i].fd, "{", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		open++;
	}
	hog_report(open, refused, closed);
	while (open > 0) {
		bool changed = false;

		if (poll(p, (nfds_t)n, 100) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			char *nl;
			ssize_t k;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = recv(p[i].fd, line[i] + len[i], sizeof(line[i]) - 1 - len[i],
				 MSG_DONTWAIT);
			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (k > 0) {
				len[i] += (size_t)k;
				line[i][len[i]] = '\0';
				nl = strchr(line[i], '\n');
				if (!nl && len[i] < sizeof(line[i]) - 1)
					continue;
			}
			/* A line, the end or an error: this connection is over. */
			if (len[i] > 0 && strstr(line[i], "\"EUSERS\"")) {
				refused++;
				if (!told) {
					printf("# refused: %s", line[i]);
					told = true;
				}
			} else
				closed++;
			close(p[i].fd);
			p[i].fd = -1;
			open--;
			changed = true;
		}
		if (interval_ms > 0 && now_ms() >= next) {
			for (int i = 0; i < n; i++)
				if (p[i].fd >= 0)
					(void)send(p[i].fd, " ", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			next = now_ms() + (uint64_t)interval_ms;
		}
		if (changed)
			hog_report(open, refused, closed);
	}
	return 0;
}

int main(int argc, char **argv)
{
	char code[64];
	enum outcome o;
	int fd;

	if (argc == 5 && streq(argv[1], "hog")) {
		char *end;
		long n = strtol(argv[3], &end, 10), iv;

		if (*end || n < 1 || n > HOG_MAX)
			return 2;
		iv = strtol(argv[4], &end, 10);
		if (*end || iv < 0 || iv > INT_MAX)
			return 2;
		sock_path = argv[2];
		return hog((int)n, (int)iv);
	}
	if (argc != 2) {
		fprintf(stderr, "usage: hostile SOCKET | hostile hog SOCKET N INTERVAL_MS\n");
		return 2;
	}
	sock_path = argv[1];

	/* A client that writes half a request and then says nothing: answered ETIMEDOUT and
	 * closed after the idle timeout. Checked at the end; everything else runs meanwhile. */
	uint64_t silent_start = now_ms();
	int silent = connect_nb();
	check(silent >= 0 && send_all(silent, "{\"version\":1,\"comm", 18, 1000) == 0,
	      "silent client: connected, sent half a request");

	/* A client that pipelines requests and never reads: it must not stall anyone. */
	int slow = connect_nb();
	size_t queued = 0;
	check(slow >= 0, "slow reader: connected");
	for (int i = 0; i < 5000; i++) {
		static const char req[] = "{\"version\":1,\"command\":\"show\"}\n";

		if (send(slow, req, sizeof(req) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) !=
		    (ssize_t)(sizeof(req) - 1))
			break;
		queued++;
	}
	check(queued > 0, "slow reader: %zu requests queued, none read", queued);

	/* Malformed JSON: answered EBADMSG; the line framing holds, so the connection serves
	 * the next request. */
	static const char bad[] = "{\"version\":1,\"command\":\n";
	o = ask(bad, sizeof(bad) - 1, code, sizeof(code), &fd);
	check(answered(o, code, "EBADMSG"), "malformed JSON answered EBADMSG (got %d %s)", o,
	      code);
	if (fd >= 0) {
		check(send_all(fd, STATUS_REQ, strlen(STATUS_REQ), 1000) == 0 &&
		      answered(read_response(fd, 3000, code, sizeof(code)), code, ""),
		      "same connection serves a valid request after the malformed one");
		close(fd);
	}

	static const char nonobj[] = "[1,2,3]\n";
	o = ask(nonobj, sizeof(nonobj) - 1, code, sizeof(code), NULL);
	check(answered(o, code, "EBADMSG"), "non-object answered EBADMSG (got %d %s)", o, code);

	static const char binary[] = "\x01\x02\xff\xfe\x00garbage\n";
	o = ask(binary, sizeof(binary) - 1, code, sizeof(code), NULL);
	check(answered(o, code, "EBADMSG"), "binary junk answered EBADMSG (got %d %s)", o, code);

	static const char unknown[] = "{\"version\":1,\"command\":\"frobnicate\"}\n";
	o = ask(unknown, sizeof(unknown) - 1, code, sizeof(code), NULL);
	check(answered(o, code, "EOPNOTSUPP"), "unknown command answered EOPNOTSUPP (got %d %s)",
	      o, code);

	static const char badargs[] = "{\"version\":1,\"command\":\"join\",\"args\":"
				      "{\"group\":\"10.0.0.1\",\"ifname\":\"x\"}}\n";
	o = ask(badargs, sizeof(badargs) - 1, code, sizeof(code), NULL);
	check(answered(o, code, "EINVAL"), "join of a unicast group answered EINVAL (got %d %s)",
	      o, code);

	static const char v2[] = "{\"version\":2,\"command\":\"status\"}\n";
	o = ask(v2, sizeof(v2) - 1, code, sizeof(code), NULL);
	check(answered(o, code, "EPROTONOSUPPORT"), "version 2 answered EPROTONOSUPPORT (got %d "
	      "%s)", o, code);

	/* Oversized: 100 KiB without a newline. Answered EMSGSIZE, then closed. */
	{
		size_t n = 100 * 1024;
		_cleanup_free_ char *big = malloc(n);

		memset(big, 'a', n);
		fd = connect_nb();
		(void)send_all(fd, big, n, 2000); /* the daemon may close before taking it all */
		o = read_response(fd, 3000, code, sizeof(code));
		check(answered(o, code, "EMSGSIZE") || o == OUTCOME_CLOSED,
		      "oversized message answered EMSGSIZE or dropped (got %d %s)", o, code);
		check(o == OUTCOME_ANSWER && streq(code, "EMSGSIZE"),
		      "oversized message: the answer says EMSGSIZE");
		check(closed_within(fd, 3000), "oversized message: connection closed");
		close(fd);
	}
	/* Oversized with a newline after 70 KiB: same. */
	{
		size_t n = 70 * 1024;
		_cleanup_free_ char *big = malloc(n + 1);

		memset(big, ' ', n);
		big[n] = '\n';
		fd = connect_nb();
		(void)send_all(fd, big, n + 1, 2000);
		o = read_response(fd, 3000, code, sizeof(code));
		check(answered(o, code, "EMSGSIZE"), "70 KiB line answered EMSGSIZE (got %d %s)", o,
		      code);
		close(fd);
	}

	/* Cut in half, then the write side shut: answered EBADMSG, closed. */
	fd = connect_nb();
	(void)send_all(fd, "{\"version\":1,\"command\":\"sh", 26, 1000);
	shutdown(fd, SHUT_WR);
	o = read_response(fd, 3000, code, sizeof(code));
	check(answered(o, code, "EBADMSG"), "request cut short by a shutdown answered EBADMSG "
	      "(got %d %s)", o, code);
	check(closed_within(fd, 3000), "request cut short: connection closed");
	close(fd);

	/* Cut in half, then gone; a request sent and the answer never read. */
	for (int i = 0; i < 20; i++) {
		fd = connect_nb();
		(void)send_all(fd, i % 2 ? STATUS_REQ : "{\"version\":1,\"com", i % 2 ?
			       strlen(STATUS_REQ) : 17, 1000);
		close(fd);
	}
	check(true, "20 clients vanished mid-request or before reading");

	/* While the slow reader and the silent client hold their connections, others are
	 * served: answered within ask()'s deadline of several seconds (a fact, not a speed: a
	 * stalled loop would not answer before the silent client's 10 s are up). */
	o = ask(STATUS_REQ, strlen(STATUS_REQ), code, sizeof(code), NULL);
	check(answered(o, code, ""), "status answered while the slow reader does not read");

	/* 100 concurrent clients: each is answered or refused (EUSERS), none hangs. */
	{
		int fds[N_CONCURRENT];
		int ok = 0, busy = 0, closed = 0, other = 0;

		for (int i = 0; i < N_CONCURRENT; i++)
			fds[i] = connect_nb();
		for (int i = 0; i < N_CONCURRENT; i++)
			if (fds[i] >= 0)
				(void)send_all(fds[i], STATUS_REQ, strlen(STATUS_REQ), 1000);
		for (int i = 0; i < N_CONCURRENT; i++) {
			if (fds[i] < 0) {
				closed++;
				continue;
			}
			o = read_response(fds[i], 5000, code, sizeof(code));
			if (answered(o, code, ""))
				ok++;
			else if (answered(o, code, "EUSERS"))
				busy++;
			else if (o == OUTCOME_CLOSED)
				closed++;
			else
				other++;
		}
		for (int i = 0; i < N_CONCURRENT; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		printf("# 100 concurrent clients: %d answered, %d refused EUSERS, %d dropped, %d "
		       "other\n", ok, busy, closed, other);
		check(other == 0, "100 concurrent clients: each answered, refused or dropped");
		check(ok >= 1 && ok <= 64, "100 concurrent clients: at most 64 served at once "
		      "(%d)", ok);
		check(busy >= 1, "100 concurrent clients: the ones over the limit told EUSERS (%d)",
		      busy);
	}

	/* The silent client: timed out by the daemon, told so, closed. */
	{
		uint64_t left = now_ms() - silent_start;
		int wait = left < 14000 ? (int)(14000 - left) : 1000;

		o = read_response(silent, wait, code, sizeof(code));
		check(answered(o, code, "ETIMEDOUT"), "silent client answered ETIMEDOUT after %llu "
		      "ms (got %d %s)", (unsigned long long)(now_ms() - silent_start), o, code);
		check(closed_within(silent, 2000), "silent client: connection closed");
		check(now_ms() - silent_start >= 9000, "silent client kept at least ~10 s");
		close(silent);
	}
	/* The slow reader is dropped too: reading now finds the end after some answers. */
	{
		check(closed_within(slow, 5000), "slow reader: dropped by the daemon");
		close(slow);
	}

	o = ask(STATUS_REQ, strlen(STATUS_REQ), code, sizeof(code), NULL);
	check(answered(o, code, ""), "the daemon still answers status");

	printf("%d checks, %d failed\n", checks, failed);
	return failed ? 1 : 0;
}
