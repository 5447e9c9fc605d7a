/* SPDX-License-Identifier: BSD-3-Clause */
/* ipv4ctl: the client of ipv4optd's control socket (doc/control-protocol.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../ipv4optd/config.h"
#include "addr.h"
#include "ctlproto.h"
#include "macro.h"
#include "output.h"
#include "suggest.h"

#define EXIT_REFUSED 1     /* the daemon refused or failed */
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3
/* How long to wait for an answer: a reload of a large config takes a while. */
#define TIMEOUT_MSEC (120 * 1000)
/* The control socket when -S is not given (and not empty). */
#define SOCKET_ENV "IPV4CTL_SOCKET"

static const char *arg_socket = CONFIG_DEFAULT_CONTROL_PATH;
static bool arg_json;
static bool arg_pretty;
static bool arg_prometheus;
/* The command being run, for "Try 'ipv4ctl COMMAND --help'". */
static const char *arg_verb;

static const char *plural(long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* JSON as `ip -j`: compact, one line; indented with -p (`ip -j -p`). Keys are in the order
 * the daemon sent them, which is fixed for each command (doc/control-protocol.md). */
static void print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE |
					    (arg_pretty ? JSON_C_TO_STRING_PRETTY :
							  JSON_C_TO_STRING_PLAIN)));
}

/* With -j, an error of the client's own (usage, unreachable daemon) is an object of the
 * shape the daemon's errors have, {"code":"EINVAL","message":"..."}, on stdout. */
static void print_json_error(const char *code, const char *message)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o || ctlproto_json_add(o, "code", json_object_new_string(code)) < 0 ||
	    ctlproto_json_add(o, "message", json_object_new_string(message)) < 0)
		return;
	print_json(o);
}

/* Prints "ipv4ctl: MESSAGE" on stderr (and the JSON error with -j); returns status. */
_printf_(3, 0) static int vfail(int status, const char *code, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "ipv4ctl: %s\n", msg);
	if (arg_json)
		print_json_error(code, msg);
	return status;
}

_printf_(3, 4) static int fail(int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(status, code, fmt, ap);
	va_end(ap);
	return r;
}

_printf_(1, 2) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(EXIT_USAGE, "EINVAL", fmt, ap);
	va_end(ap);
	if (arg_verb)
		fprintf(stderr, "Try 'ipv4ctl %s --help'.\n", arg_verb);
	else
		fputs("Try 'ipv4ctl --help'.\n", stderr);
	return EXIT_USAGE;
}

/* ------------------------------------------------------------------------------------------ */
/* Talking to the daemon                                                                       */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t k;

		if (poll(&pfd, 1, TIMEOUT_MSEC) == 0)
			return -ETIMEDOUT;
		k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Reads one line (without its newline) of at most max bytes. */
static int read_line(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t k;
		int p;

		if (cap - len < 65536) {
			char *b;

			if (cap >= max + 1)
				return -EMSGSIZE;
			cap = cap ? cap * 2 : 65536;
			b = realloc(buf, cap);
			if (!b)
				return -ENOMEM;
			buf = b;
		}
		p = poll(&pfd, 1, TIMEOUT_MSEC);
		if (p < 0 && errno == EINTR)
			continue;
		if (p == 0)
			return -ETIMEDOUT;
		k = recv(fd, buf + len, cap - len, 0);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (k == 0)
			return -ECONNRESET;
		nl = memchr(buf + len, '\n', (size_t)k);
		len += (size_t)k;
		if (nl) {
			*nl = '\0';
			*ret_len = (size_t)(nl - buf);
			*ret = TAKE_PTR(buf);
			return 0;
		}
	}
}

static const char *file_type(mode_t m)
{
	if (S_ISREG(m))
		return "regular file";
	if (S_ISDIR(m))
		return "directory";
	if (S_ISFIFO(m))
		return "FIFO";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "device";
	return "file that is not a socket";
}

/* Why connect() failed, in the user's terms. */
static int connect_error(int e)
{
	struct stat st;

	/* connect() to a path that is not a socket says ECONNREFUSED, as for a socket nobody
	 * listens on: tell them apart. */
	if (stat(arg_socket, &st) == 0 && !S_ISSOCK(st.st_mode))
		return fail(EXIT_UNREACHABLE, "ENOTSOCK",
			    "%s is a %s, not a socket: -S (or $" SOCKET_ENV ") names ipv4optd's "
			    "control socket (control.path in ipv4optd.conf(5))", arg_socket,
			    file_type(st.st_mode));
	fail(EXIT_UNREACHABLE, ctlproto_errno_to_code(e), "cannot reach ipv4optd at %s: %s",
	     arg_socket, strerror(e));
	if (e == ENOENT || e == ECONNREFUSED)
		fprintf(stderr, "Is the daemon running? Start it with: "
			"systemctl start ipv4optd\n");
	else if (e == EACCES)
		fprintf(stderr, "The socket or its directory does not let this user in.\n");
	return EXIT_UNREACHABLE;
}

/* Sends one request and reads its response. Returns an exit status on failure (after
 * printing why), 0 with the response on success. */
static int call(enum ctl_command c, struct json_object *args, struct ctl_response *ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_free_ char *req = NULL, *line = NULL, *err = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0;
	int r;

	if (strlen(arg_socket) >= sizeof(sa.sun_path))
		return usage_error("-S: socket path '%s' is longer than %zu bytes", arg_socket,
				   sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, arg_socket, strlen(arg_socket) + 1);
	r = ctlproto_request_format(c, args, &req);
	if (r < 0)
		return fail(EXIT_REFUSED, ctlproto_errno_to_code(-r),
			    "cannot build the request: %s", strerror(-r));
	if (strlen(req) > CTLPROTO_MAX_REQUEST)
		return usage_error("the request is longer than the protocol's %d bytes",
				   CTLPROTO_MAX_REQUEST);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(EXIT_UNREACHABLE, ctlproto_errno_to_code(errno),
			    "cannot create a socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return connect_error(errno);
	r = write_all(fd, req, strlen(req));
	/* A daemon that refuses the connection (EUSERS) answers and closes at once, maybe before
	 * the request is sent: its answer is still there to read. */
	if (r >= 0 || r == -EPIPE || r == -ECONNRESET)
		r = read_line(fd, CTLPROTO_MAX_RESPONSE, &line, &len);
	if (r == -ECONNRESET || r == -EPIPE)
		return fail(EXIT_REFUSED, ctlproto_errno_to_code(-r),
			    "ipv4optd at %s closed the connection without answering", arg_socket);
	if (r < 0)
		return fail(r == -ETIMEDOUT ? EXIT_UNREACHABLE : EXIT_REFUSED,
			    ctlproto_errno_to_code(-r), "no answer from ipv4optd at %s: %s",
			    arg_socket, strerror(-r));
	r = ctlproto_response_parse(line, len, ret, &err);
	if (r < 0)
		return fail(EXIT_REFUSED, "EBADMSG", "unexpected answer from ipv4optd: %s",
			    err ? err : strerror(-r));
	return 0;
}

/* Prints a refusal: the message and any details (file:line errors of a reload). */
static int print_error(const struct ctl_response *resp)
{
	if (arg_json) {
		struct json_object *e;

		if (json_object_object_get_ex(resp->root, "error", &e))
			print_json(e);
	}
	fprintf(stderr, "ipv4ctl: %s (%s)\n", resp->message, resp->code);
	for (size_t i = 0; resp->details && i < json_object_array_length(resp->details); i++)
		fprintf(stderr, "%s\n",
			json_object_get_string(json_object_array_get_idx(resp->details, i)));
	return EXIT_REFUSED;
}

/* Runs a command: on success hands the data to show() (or prints it as JSON). */
static int run(enum ctl_command c, struct json_object *args,
	       int (*show)(struct json_object *data))
{
	struct ctl_response resp = {};
	int r;

	r = call(c, args, &resp);
	if (r != 0)
		return r;
	if (!resp.ok)
		r = print_error(&resp);
	else if (arg_json && !arg_prometheus) {
		struct json_object *st;

		print_json(resp.data);
		/* a join the kernel refused is a failure for scripts too */
		if (c == CTL_COMMAND_JOIN && json_object_object_get_ex(resp.data, "state", &st) &&
		    streq(json_object_get_string(st), "failed"))
			r = EXIT_REFUSED;
	} else
		r = show ? show(resp.data) : 0;
	ctl_response_done(&resp);
	return r;
}

/* ------------------------------------------------------------------------------------------ */
/* Human output                                                                                */

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	return json_object_get_int64(v);
}

/* "10.0.0.1,10.0.0.2", "any" or "any but 10.0.0.9". */
static void format_sources(struct json_object *o, const char *key, bool include, char *buf,
			   size_t size)
{
	struct json_object *a;
	size_t n, off = 0;

	buf[0] = '\0';
	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		a = NULL;
	n = a ? json_object_array_length(a) : 0;
	if (!include)
		off = (size_t)snprintf(buf, size, n ? "any but " : "any");
	for (size_t i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? "," : "",
					json_object_get_string(json_object_array_get_idx(a, i)));
}

static int show_join(struct json_object *d)
{
	const char *state = jstr(d, "state");
	char src[1024];

	if (streq(jstr(d, "mode") ?: "", "include")) {
		size_t n = strlen(" from ");

		memcpy(src, " from ", n + 1);
		format_sources(d, "sources", true, src + n, sizeof(src) - n);
	} else
		src[0] = '\0';
	struct json_object *already = NULL;
	const char *again = json_object_object_get_ex(d, "already", &already) &&
				    json_object_get_boolean(already) ? "already " : "";

	if (state && streq(state, "joined")) {
		printf("%sjoined %s%s on %s (index %lld)\n", again, jstr(d, "group"), src,
		       jstr(d, "ifname"), (long long)jint(d, "ifindex"));
		return 0;
	}
	if (state && streq(state, "waiting")) {
		printf("%s%s: %s%s on %s: no such interface yet, joined when it appears\n",
		       again, *again ? "joined, waiting" : "waiting", jstr(d, "group"), src,
		       jstr(d, "ifname"));
		return 0;
	}
	fprintf(stderr, "ipv4ctl: the kernel refused %s%s on %s: %s\n"
		"The join is kept and retried when %s changes; 'ipv4ctl leave' drops it.\n",
		jstr(d, "group"), src, jstr(d, "ifname"), jstr(d, "error") ?: "unknown error",
		jstr(d, "ifname"));
	return EXIT_REFUSED;
}

static int show_leave(struct json_object *d)
{
	if (jstr(d, "source"))
		printf("left %s from %s on %s\n", jstr(d, "group"), jstr(d, "source"),
		       jstr(d, "ifname"));
	else
		printf("left %s on %s\n", jstr(d, "group"), jstr(d, "ifname"));
	return 0;
}

/* A policy with "inputs" (show): GROUP, INTERFACES and SOURCES cells of its inputs, the
 * action with the redundancy ("relay, failover, active 2"). False for a policy without. */
static bool format_inputs(struct json_object *p, char *groups, size_t gsize, char *ifnames,
			  size_t isize, char *src, size_t ssize, char *action, size_t asize)
{
	struct json_object *inputs, *a;
	size_t go = 0, io = 0, so = 0;

	if (!json_object_object_get_ex(p, "inputs", &inputs) ||
	    !json_object_is_type(inputs, json_type_array))
		return false;
	groups[0] = ifnames[0] = src[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(inputs); i++) {
		struct json_object *in = json_object_array_get_idx(inputs, i), *ifs, *s;
		bool include = json_object_object_get_ex(in, "sources", &s) &&
			       json_object_array_length(s) > 0;
		char one[512];

		if (go < gsize)
			go += (size_t)snprintf(groups + go, gsize - go, "%s%s", i ? "," : "",
					       jstr(in, "group") ?: "?");
		format_sources(in, include ? "sources" : "exclude", include, one, sizeof(one));
		if (so < ssize)
			so += (size_t)snprintf(src + so, ssize - so, "%s%s", i ? "|" : "", one);
		if (json_object_object_get_ex(in, "interfaces", &ifs))
			for (size_t k = 0; k < json_object_array_length(ifs) && io < isize; k++)
				io += (size_t)snprintf(ifnames + io, isize - io, "%s%s",
						       k ? "," : (i ? "|" : ""),
						       json_object_get_string(
							       json_object_array_get_idx(ifs, k)));
	}
	if (json_object_object_get_ex(p, "active_input", &a) && a)
		snprintf(action, asize, "%s, %s, active %lld", jstr(p, "action") ?: "?",
			 jstr(p, "redundancy") ?: "?", (long long)json_object_get_int64(a));
	else
		snprintf(action, asize, "%s, %s", jstr(p, "action") ?: "?",
			 jstr(p, "redundancy") ?: "?");
	return true;
}

static const char *jnum(struct json_object *o, const char *key, char *buf, size_t size)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	snprintf(buf, size, "%lld", (long long)json_object_get_int64(v));
	return buf;
}

/* What each policy does and whether it works: its state with the reason, its stream analysis
 * and its memberships by state; the outputs of relay policies (to, interface, DSCP, TTL, state); the log of log
 * policies (target, file, rotation, state). Tables only where there are rows. */
static int show_policy_states(struct json_object *policies)
{
	static const char *const sh[] = { "POLICY", "STATE", "ANALYZE", "JOINED", "WAITING",
					  "FAILED", "REASON" };
	static const char *const oh[] = { "POLICY", "OUTPUT", "INTERFACE", "DSCP", "TTL", "STATE",
					  "REASON" };
	static const char *const lh[] = { "POLICY", "LOG", "FILE", "MAX_SIZE", "MAX_FILES",
					  "RATE_LIMIT", "STATE", "REASON" };
	_cleanup_(output_table_freep) struct output_table *st = NULL, *ot = NULL, *lt = NULL;
	size_t n_out = 0, n_log = 0;

	if (output_table_new(ELEMENTSOF(sh), sh, &st) < 0 ||
	    output_table_new(ELEMENTSOF(oh), oh, &ot) < 0 ||
	    output_table_new(ELEMENTSOF(lh), lh, &lt) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(policies); i++) {
		struct json_object *p = json_object_array_get_idx(policies, i), *m = NULL, *outs,
				   *log;
		char j[24], w[24], f[24];

		json_object_object_get_ex(p, "memberships", &m);
		const char *row[] = { jstr(p, "name"), jstr(p, "state"), jstr(p, "analyze"),
				      jnum(m, "joined", j, 24),
				      jnum(m, "waiting", w, 24), jnum(m, "failed", f, 24),
				      jstr(p, "reason") ?: "" };
		if (output_table_add(st, row) < 0)
			return -ENOMEM;
		if (json_object_object_get_ex(p, "outputs", &outs) &&
		    json_object_is_type(outs, json_type_array))
			for (size_t k = 0; k < json_object_array_length(outs); k++) {
				struct json_object *x = json_object_array_get_idx(outs, k);
				char dscp[16], ttl[16];
				const char *orow[] = { jstr(p, "name"), jstr(x, "to"),
						       jstr(x, "interface") ?: "(route)",
						       jnum(x, "dscp", dscp, 16),
						       jnum(x, "ttl", ttl, 16), jstr(x, "state"),
						       jstr(x, "reason") ?: "" };

				if (output_table_add(ot, orow) < 0)
					return -ENOMEM;
				n_out++;
			}
		if (json_object_object_get_ex(p, "log", &log) &&
		    json_object_is_type(log, json_type_object)) {
			char size[24], files[24], rate[24];
			const char *lrow[] = { jstr(p, "name"), jstr(log, "target"), jstr(log, "file"),
					       jnum(log, "max_size", size, 24),
					       jnum(log, "max_files", files, 24),
					       jnum(log, "rate_limit", rate, 24), jstr(log, "state"),
					       jstr(log, "reason") ?: "" };

			if (output_table_add(lt, lrow) < 0)
				return -ENOMEM;
			n_log++;
		}
	}
	output_table_print(st, stdout);
	putchar('\n');
	if (n_out > 0) {
		output_table_print(ot, stdout);
		putchar('\n');
	}
	if (n_log > 0) {
		output_table_print(lt, stdout);
		putchar('\n');
	}
	return 0;
}

static int show_show(struct json_object *d)
{
	static const char *const ph[] = { "POLICY", "GROUP", "SOURCES", "ACTION", "PORT",
					  "INTERFACES" };
	static const char *const mh[] = { "POLICY", "ORIGIN", "GROUP", "SOURCES", "DEV",
					  "INDEX", "PORT", "STATE", "SINCE", "FINDINGS", "ERROR" };
	_cleanup_(output_table_freep) struct output_table *pt = NULL, *mt = NULL;
	struct json_object *policies, *members;
	int r;

	if (!json_object_object_get_ex(d, "policies", &policies) ||
	    !json_object_object_get_ex(d, "members", &members)) {
		fprintf(stderr, "ipv4ctl: unexpected answer to show\n");
		return EXIT_REFUSED;
	}
	r = output_table_new(ELEMENTSOF(ph), ph, &pt);
	if (r >= 0)
		r = output_table_new(ELEMENTSOF(mh), mh, &mt);
	if (r < 0)
		return EXIT_REFUSED;
	for (size_t i = 0; i < json_object_array_length(policies); i++) {
		struct json_object *p = json_object_array_get_idx(policies, i), *ifs;
		char src[1024], ifnames[1024] = "", port[16];
		size_t off = 0;
		struct json_object *s;
		bool include = json_object_object_get_ex(p, "sources", &s) &&
			       json_object_array_length(s) > 0;

		format_sources(p, include ? "sources" : "exclude", include, src, sizeof(src));
		if (json_object_object_get_ex(p, "interfaces", &ifs))
			for (size_t k = 0; k < json_object_array_length(ifs) && off < sizeof(ifnames);
			     k++)
				off += (size_t)snprintf(ifnames + off, sizeof(ifnames) - off, "%s%s",
							k ? "," : "",
							json_object_get_string(
								json_object_array_get_idx(ifs, k)));
		snprintf(port, sizeof(port), "%lld", (long long)jint(p, "port"));
		char groups[1024], action[96];
		const char *group = jstr(p, "group"), *act = jstr(p, "action");

		/* redundant inputs: their groups, interfaces by input ("a|b"), and which input is
		 * forwarded (failover) in the action column */
		if (format_inputs(p, groups, sizeof(groups), ifnames, sizeof(ifnames), src,
				  sizeof(src), action, sizeof(action))) {
			group = groups;
			act = action;
		}
		const char *row[] = { jstr(p, "name"), group, src, act,
				      jint(p, "port") ? port : NULL, ifnames };
		if (output_table_add(pt, row) < 0)
			return EXIT_REFUSED;
	}
	for (size_t i = 0; i < json_object_array_length(members); i++) {
		struct json_object *m = json_object_array_get_idx(members, i);
		char src[1024], idx[16], port[16], codes[512];

		format_sources(m, "sources", streq(jstr(m, "mode") ?: "", "include"), src,
			       sizeof(src));
		/* the codes of ipv4ctl diagnose's findings on it, "-" for none */
		format_sources(m, "findings", true, codes, sizeof(codes));
		snprintf(idx, sizeof(idx), "%lld", (long long)jint(m, "ifindex"));
		snprintf(port, sizeof(port), "%lld", (long long)jint(m, "port"));
		const char *row[] = { jstr(m, "policy"), jstr(m, "origin"), jstr(m, "group"), src,
				      jstr(m, "ifname"), jint(m, "ifindex") ? idx : NULL,
				      jint(m, "port") ? port : NULL, jstr(m, "state"),
				      jstr(m, "since"), codes[0] ? codes : NULL,
				      jstr(m, "reason") ?: jstr(m, "error") ?: "" };
		if (output_table_add(mt, row) < 0)
			return EXIT_REFUSED;
	}
	if (json_object_array_length(policies) > 0) {
		output_table_print(pt, stdout);
		putchar('\n');
		if (show_policy_states(policies) < 0)
			return EXIT_REFUSED;
	} else
		printf("no policies in the configuration\n\n");
	if (json_object_array_length(members) > 0)
		output_table_print(mt, stdout);
	else
		printf("no memberships\n");
	return 0;
}

/* A counter of a stats policy object as text; "-" when absent. */
static const char *stat_num(struct json_object *pol, const char *key, char *buf, size_t len)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(pol, key, &v) || !v)
		return "-";
	if (json_object_is_type(v, json_type_double))
		snprintf(buf, len, "%.0f", json_object_get_double(v));
	else
		snprintf(buf, len, "%" PRIu64, json_object_get_uint64(v));
	return buf;
}

/* How long ago the last datagram came, like "3s ago"; "never" for none. */
static const char *stat_age(struct json_object *pol, char *buf, size_t len)
{
	struct json_object *v = NULL;
	double t, age;

	if (!json_object_object_get_ex(pol, "last_packet_timestamp_seconds", &v) || !v ||
	    (t = json_object_get_double(v)) <= 0)
		return "never";
	age = (double)time(NULL) - t;
	if (age < 0)
		age = 0;
	if (age < 120)
		snprintf(buf, len, "%.0fs ago", age);
	else if (age < 7200)
		snprintf(buf, len, "%.0fm ago", age / 60);
	else
		snprintf(buf, len, "%.0fh ago", age / 3600);
	return buf;
}

/* The stream analysis in a few words: "on-air lost=0 cc=0 jitter=0.42ms" ("off-air ..."); ""
 * for a policy that is not analysed. */
static const char *stat_stream(struct json_object *pol, char *buf, size_t len)
{
	struct json_object *st, *v;
	char lost[24], cc[24];

	if (!json_object_object_get_ex(pol, "stream", &st) || !json_object_is_type(st, json_type_object))
		return "";
	snprintf(buf, len, "%s lost=%s cc=%s jitter=%.2fms",
		 json_object_object_get_ex(st, "on_air", &v) && json_object_get_boolean(v) ?
			 "on-air" : "off-air",
		 stat_num(st, "rtp_lost", lost, sizeof(lost)),
		 stat_num(st, "ts_cc_errors", cc, sizeof(cc)),
		 json_object_object_get_ex(st, "jitter_ms", &v) ? json_object_get_double(v) : 0.0);
	return buf;
}

static int show_stats(struct json_object *d)
{
	static const char *const cols[] = { "POLICY", "ACTION", "IN", "IN_BYTES", "OUT",
					    "OUT_BYTES", "DROPPED", "IN/S", "LAST", "FROM",
					    "STREAM" };
	_cleanup_(output_table_freep) struct output_table *t = NULL;
	struct json_object *policies;

	if (!json_object_object_get_ex(d, "policies", &policies) ||
	    !json_object_is_type(policies, json_type_object)) {
		fprintf(stderr, "ipv4ctl: unexpected answer to stats\n");
		return EXIT_REFUSED;
	}
	if (arg_prometheus)
		return output_prometheus(d, stdout) < 0 ? EXIT_REFUSED : 0;
	if (json_object_object_length(policies) == 0) {
		printf("no policies in the configuration\n");
		return 0;
	}
	/* For people: the counters that say whether traffic flows. Drops by reason, byte rates
	 * and the rest are in -j and --prometheus. */
	if (output_table_new(ELEMENTSOF(cols), cols, &t) < 0)
		return EXIT_REFUSED;
	json_object_object_foreach(policies, name, pol) {
		char in[24], inb[24], out[24], outb[24], drop[24], rate[24], age[24], stream[96];
		const char *from = jstr(pol, "last_source");
		const char *row[] = {
			name,
			jstr(pol, "action"),
			stat_num(pol, "packets_received", in, sizeof(in)),
			stat_num(pol, "bytes_received", inb, sizeof(inb)),
			stat_num(pol, "packets_sent", out, sizeof(out)),
			stat_num(pol, "bytes_sent", outb, sizeof(outb)),
			stat_num(pol, "dropped_packets", drop, sizeof(drop)),
			stat_num(pol, "receive_packets_per_second", rate, sizeof(rate)),
			stat_age(pol, age, sizeof(age)),
			from ? from : "-",
			stat_stream(pol, stream, sizeof(stream)),
		};

		if (output_table_add(t, row) < 0)
			return EXIT_REFUSED;
	}
	output_table_print(t, stdout);
	output_stats_inputs(d, stdout);
	output_stats_data_path(d, stdout);
	return 0;
}

static int show_reload(struct json_object *d)
{
	struct json_object *notes;

	long long n = jint(d, "policies");

	printf("reloaded %s: %lld %s, %lld joined, %lld waiting, %lld failed\n",
	       jstr(d, "config"), n, plural(n, "policy", "policies"), (long long)jint(d, "joined"),
	       (long long)jint(d, "waiting"), (long long)jint(d, "failed"));
	/* what the reload did to the control socket, and what needs a restart */
	if (json_object_object_get_ex(d, "notes", &notes) &&
	    json_object_is_type(notes, json_type_array))
		for (size_t i = 0; i < json_object_array_length(notes); i++)
			printf("note: %s\n",
			       json_object_get_string(json_object_array_get_idx(notes, i)));
	return 0;
}

static void format_duration(uint64_t s, char *buf, size_t size)
{
	if (s >= 86400)
		snprintf(buf, size, "%llud %lluh %llumin", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else if (s >= 3600)
		snprintf(buf, size, "%lluh %llumin", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, size, "%llumin %llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, size, "%llus", (unsigned long long)s);
}

static int show_status(struct json_object *d)
{
	struct json_object *m = NULL, *k = NULL, *c = NULL, *s = NULL, *dp = NULL;
	char up[64];

	json_object_object_get_ex(d, "memberships", &m);
	json_object_object_get_ex(d, "kernel", &k);
	json_object_object_get_ex(d, "control", &c);
	json_object_object_get_ex(d, "state", &s);
	format_duration((uint64_t)jint(d, "uptime_seconds"), up, sizeof(up));
	printf("ipv4optd %s, pid %lld, up %s\n", jstr(d, "version"), (long long)jint(d, "pid"),
	       up);
	long long n_pol = jint(d, "policies"), n_rel = jint(d, "reloads"),
		  n_sock = jint(m, "sockets");

	printf("config:       %s (%lld %s; %lld %s, %lld failed)\n", jstr(d, "config"), n_pol,
	       plural(n_pol, "policy", "policies"), n_rel, plural(n_rel, "reload", "reloads"),
	       (long long)jint(d, "reload_failures"));
	printf("memberships:  %lld joined, %lld waiting, %lld failed (%lld at run time), on %lld "
	       "%s\n", (long long)jint(m, "joined"), (long long)jint(m, "waiting"),
	       (long long)jint(m, "failed"), (long long)jint(m, "runtime"), n_sock,
	       plural(n_sock, "socket", "sockets"));
	json_object_object_get_ex(d, "data_path", &dp);
	if (dp) {
		long long n_out = jint(dp, "outputs"), n_cap = jint(dp, "captures");

		printf("data path:    %lld %s, %lld failed; %lld %s, %lld failed\n", n_out,
		       plural(n_out, "output", "outputs"), (long long)jint(dp, "outputs_failed"),
		       n_cap, plural(n_cap, "capture", "captures"),
		       (long long)jint(dp, "captures_failed"));
	}
	printf("kernel:       igmp_max_memberships=%lld igmp_max_msf=%lld\n",
	       (long long)jint(k, "igmp_max_memberships"), (long long)jint(k, "igmp_max_msf"));
	printf("control:      %s%s, %lld of %lld clients, group %s\n", jstr(c, "path"),
	       jint(c, "socket_activated") ? " (socket-activated)" : "",
	       (long long)jint(c, "clients"), (long long)jint(c, "max_clients"),
	       jstr(c, "group") ?: "none (root and the daemon's user only)");
	printf("state:        %s\n", jstr(s, "dir"));
	printf("log level:    %s\n", jstr(d, "log_level"));
	return 0;
}

static int show_log_level(struct json_object *d)
{
	printf("log level: %s (was %s)\n", jstr(d, "level"), jstr(d, "previous"));
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Commands                                                                                    */

/* A word where a keyword of GROUP [source ADDR] dev IFNAME [port N] was expected: what the
 * user probably meant, for the message; "" when nothing fits. */
static void membership_hint(const char *w, char *buf, size_t size)
{
	static const char *const keywords[] = { "source", "dev", "port" };
	static const char *const dev_words[] = { "device", "iface", "interface", "ifname", "if",
						 "on", "via" };
	static const char *const source_words[] = { "sources", "from", "ssm" };
	struct in_addr a;
	uint16_t port;
	const char *k;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(dev_words); i++)
		if (streq(w, dev_words[i])) {
			snprintf(buf, size, "; did you mean 'dev'?");
			return;
		}
	for (size_t i = 0; i < ELEMENTSOF(source_words); i++)
		if (streq(w, source_words[i])) {
			snprintf(buf, size, "; did you mean 'source'?");
			return;
		}
	k = suggest_closest(w, keywords, ELEMENTSOF(keywords));
	if (k)
		snprintf(buf, size, "; did you mean '%s'?", k);
	else if (addr_parse_in(w, &a) >= 0 && addr_is_multicast(a))
		snprintf(buf, size, " (a second group: one group per command)");
	else if (addr_parse_in(w, &a) >= 0)
		snprintf(buf, size, "; did you mean 'source %s'?", w);
	else if (addr_parse_port(w, &port) >= 0)
		snprintf(buf, size, "; did you mean 'port %s'?", w);
	else if (ifname_pattern_is_valid(w))
		snprintf(buf, size, "; did you mean 'dev %s'?", w);
}

/* GROUP [source ADDR] dev IFNAME [port N], keywords in any order after GROUP. leave takes
 * the same (its port is checked, not sent: a runtime join is named by group, source and
 * interface), so that a join's command line undoes it with one word changed. */
static int parse_membership(const char *verb, int argc, char **argv,
			    struct ctl_membership *ret)
{
	struct ctl_membership m = {};
	bool have_dev = false, have_src = false, have_port = false;
	char hint[128];
	int r;

	if (argc < 1)
		return usage_error("%s: missing GROUP", verb);
	if (addr_parse_in(argv[0], &m.group) < 0) {
		bool keyword = streq(argv[0], "dev") || streq(argv[0], "source") ||
			       streq(argv[0], "src") || streq(argv[0], "port");

		return usage_error("%s: '%s' is not an IPv4 address%s", verb, argv[0],
				   keyword ? "; the GROUP comes first: GROUP [source ADDR] "
					     "dev IFNAME [port N]" : "");
	}
	if (!addr_is_multicast(m.group))
		return usage_error("%s: '%s' is not a multicast group (224.0.0.0/4)", verb,
				   argv[0]);
	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (streq(k, "source") || streq(k, "src")) {
			if (have_src)
				return usage_error("%s: 'source' given twice", verb);
			if (!v)
				return usage_error("%s: 'source' needs an address", verb);
			if (addr_parse_in(v, &m.source) < 0)
				return usage_error("%s: source '%s' is not an IPv4 address", verb,
						   v);
			if (!addr_is_unicast(m.source))
				return usage_error("%s: source '%s' is not a unicast address", verb,
						   v);
			have_src = true;
		} else if (streq(k, "dev")) {
			if (have_dev)
				return usage_error("%s: 'dev' given twice", verb);
			if (!v)
				return usage_error("%s: 'dev' needs an interface name", verb);
			/* The config matches patterns against the interfaces as they come; a
			 * runtime join is one membership on one interface. */
			if (ifname_is_pattern(v))
				return usage_error("%s: '%s' is a pattern; a runtime join names one "
						   "interface (patterns go in a policy's "
						   "'interfaces' in ipv4optd.conf(5))", verb, v);
			if (!ifname_is_valid(v))
				return usage_error("%s: '%s' is not a valid interface name (1-%d "
						   "characters, no '/', ':' or white space)", verb,
						   v, IF_NAMESIZE - 1);
			snprintf(m.ifname, sizeof(m.ifname), "%s", v);
			have_dev = true;
		} else if (streq(k, "port")) {
			if (have_port)
				return usage_error("%s: 'port' given twice", verb);
			if (!v)
				return usage_error("%s: 'port' needs a number", verb);
			r = addr_parse_port(v, &m.port);
			if (r < 0)
				return usage_error("%s: port '%s' is not a number in 1-65535", verb,
						   v);
			have_port = true;
		} else {
			membership_hint(k, hint, sizeof(hint));
			return usage_error("%s: unexpected argument '%s'%s", verb, k, hint);
		}
	}
	if (!have_dev)
		return usage_error("%s: missing 'dev IFNAME'", verb);
	*ret = m;
	return 0;
}

static int cmd_membership(enum ctl_command c, int argc, char **argv)
{
	_cleanup_json_ struct json_object *args = NULL;
	struct ctl_membership m;
	bool join = c == CTL_COMMAND_JOIN;
	int r;

	r = parse_membership(ctl_command_to_string(c), argc, argv, &m);
	if (r != 0)
		return r;
	if (ctlproto_membership_to_json(&m, join, &args) < 0)
		return EXIT_REFUSED;
	return run(c, args, join ? show_join : show_leave);
}

static int cmd_join(int argc, char **argv)
{
	return cmd_membership(CTL_COMMAND_JOIN, argc, argv);
}

static int cmd_leave(int argc, char **argv)
{
	return cmd_membership(CTL_COMMAND_LEAVE, argc, argv);
}

static int cmd_no_args(enum ctl_command c, int argc, char **argv,
		       int (*show)(struct json_object *data))
{
	if (argc > 0)
		return usage_error("%s: unexpected argument '%s'", ctl_command_to_string(c),
				   argv[0]);
	return run(c, NULL, show);
}

static int cmd_show(int argc, char **argv)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();

	if (!args)
		return EXIT_REFUSED;
	if (argc > 1)
		return usage_error("show: unexpected argument '%s' (one POLICY at most)", argv[1]);
	if (argc == 1) {
		if (argv[0][0] == '-')
			return usage_error("show: unknown option '%s'", argv[0]);
		if (strlen(argv[0]) > 64)
			return usage_error("show: policy name '%s' is longer than 64 characters",
					   argv[0]);
		json_object_object_add(args, "policy", json_object_new_string(argv[0]));
	}
	return run(CTL_COMMAND_SHOW, args, show_show);
}

static int cmd_reload(int argc, char **argv)
{
	return cmd_no_args(CTL_COMMAND_RELOAD, argc, argv, show_reload);
}

static int cmd_status(int argc, char **argv)
{
	return cmd_no_args(CTL_COMMAND_STATUS, argc, argv, show_status);
}

static int cmd_stats(int argc, char **argv)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();
	const char *policy = NULL;

	if (!args)
		return EXIT_REFUSED;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-')
			return usage_error("stats: unknown option '%s'", argv[i]);
		else if (policy)
			return usage_error("stats: unexpected argument '%s' (one POLICY at most)",
					   argv[i]);
		else {
			policy = argv[i];
			if (strlen(policy) > 64)
				return usage_error("stats: policy name '%s' is longer than 64 "
						   "characters", policy);
		}
	}
	if (policy)
		json_object_object_add(args, "policy", json_object_new_string(policy));
	return run(CTL_COMMAND_STATS, args, show_stats);
}

static int cmd_log_level(int argc, char **argv)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();

	if (!args)
		return EXIT_REFUSED;
	if (argc < 1)
		return usage_error("log-level: missing LEVEL (emerg, alert, crit, err, warning, "
				   "notice, info, debug)");
	if (argc > 1)
		return usage_error("log-level: unexpected argument '%s'", argv[1]);
	if (strlen(argv[0]) > 16)
		return usage_error("log-level: unknown level '%s'", argv[0]);
	json_object_object_add(args, "level", json_object_new_string(argv[0]));
	return run(CTL_COMMAND_LOG_LEVEL, args, show_log_level);
}

/* diagnose [POLICY]: exit 1 when a finding is an error, with -j too (scripts, monitoring). */
static int cmd_diagnose(int argc, char **argv)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();
	struct ctl_response resp = {};
	const char *policy = NULL;
	int r;

	if (!args)
		return EXIT_REFUSED;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-')
			return usage_error("diagnose: unknown option '%s'", argv[i]);
		if (policy)
			return usage_error("diagnose: unexpected argument '%s' (one POLICY at most)",
					   argv[i]);
		policy = argv[i];
		if (strlen(policy) > 64)
			return usage_error("diagnose: policy name '%s' is longer than 64 characters",
					   policy);
	}
	if (policy)
		json_object_object_add(args, "policy", json_object_new_string(policy));
	r = call(CTL_COMMAND_DIAGNOSE, args, &resp);
	if (r != 0)
		return r;
	if (!resp.ok)
		r = print_error(&resp);
	else {
		if (arg_json)
			print_json(resp.data);
		r = output_diagnose(resp.data, arg_json ? NULL : stdout);
		r = r < 0 ? EXIT_REFUSED : r > 0 ? EXIT_REFUSED : 0;
	}
	ctl_response_done(&resp);
	return r;
}

static int cmd_help(int argc, char **argv);

/* The commands, in the order help lists them. */
static const struct verb {
	const char *name;
	const char *args;    /* its arguments, for the usage line */
	const char *summary; /* one line of the list of commands */
	const char *help;    /* what `ipv4ctl help NAME` says besides */
	int (*run)(int argc, char **argv);
} verbs[] = {
	{ "join", "GROUP [source ADDR] dev IFNAME [port N]",
	  "join at run time, kept until left",
	  "Joins GROUP on the interface IFNAME (one interface: not a pattern), any-source or,\n"
	  "with source, source-specific. With port, the membership is held on a socket bound to\n"
	  "that UDP port, which must be the port of a relay or log policy: its traffic goes to\n"
	  "that policy. The join is kept in the state directory until it is left. An interface\n"
	  "that does not exist yet is waited for (exit 0); a join the kernel refuses is kept,\n"
	  "retried when the interface changes, and the exit status is 1.\n",
	  cmd_join },
	{ "leave", "GROUP [source ADDR] dev IFNAME [port N]", "leave a runtime join",
	  "Leaves a runtime join: the arguments of its join (a port is checked, not needed:\n"
	  "group, source and interface name the join). Memberships of the configuration are\n"
	  "changed by editing it and reloading.\n",
	  cmd_leave },
	{ "show", "[POLICY]", "policies and memberships",
	  "Lists the policies of the configuration (or POLICY alone; 'runtime': the runtime\n"
	  "joins), each with its state (ok, waiting, failed) and why, the outputs of relay\n"
	  "policies (to, interface, DSCP, TTL, state) and the log of log policies (target,\n"
	  "file, rotation, state), then every membership: policy, origin (config or runtime),\n"
	  "group, sources, interface, index, port, state (joined, waiting for the interface,\n"
	  "failed with the step and reason), since when (UTC) and the codes of what diagnose\n"
	  "finds on it (FINDINGS). Rows are in config order, then by interface and group.\n",
	  cmd_show },
	{ "stats", "[POLICY] [--prometheus]", "per-policy counters",
	  "Counters of every policy, or of POLICY: datagrams and bytes in and out, drops,\n"
	  "the receive rate, the last datagram and its source; then the data path's own\n"
	  "counters. --prometheus prints them in the Prometheus text format.\n",
	  cmd_stats },
	{ "reload", "", "re-read the configuration",
	  "Re-reads the configuration file (as systemctl reload ipv4optd). An invalid file\n"
	  "changes nothing: its errors are printed as file:line: message, exit status 1.\n",
	  cmd_reload },
	{ "status", "", "version, uptime, counts, limits",
	  "The daemon's version, pid and uptime, its configuration file, counts of policies\n"
	  "and memberships, the kernel's membership limits, the control socket and the state\n"
	  "directory.\n",
	  cmd_status },
	{ "diagnose", "[POLICY]", "why a group is silent: findings and fixes",
	  "Checks every policy and membership, or POLICY's, for the ways multicast fails\n"
	  "quietly: a missing, down or unaddressed interface, reverse-path filtering that drops\n"
	  "a source, the kernel's membership limits, a capped receive buffer, an output without\n"
	  "a route or with a smaller MTU than the datagrams, a group that receives nothing.\n"
	  "Each finding has a code (ipv4ctl(8) lists them with their causes and fixes), a\n"
	  "severity, the policy and interface, what is wrong and what to do. Exit status 1 when\n"
	  "a finding is an error.\n",
	  cmd_diagnose },
	{ "log-level", "LEVEL", "emerg ... info, debug",
	  "Sets the daemon's log level: emerg, alert, crit, err, warning, notice, info or\n"
	  "debug, until the next reload applies log.level of the configuration again.\n",
	  cmd_log_level },
	{ "help", "[COMMAND]", "this help, or a command's",
	  "Shows the list of commands and options, or what COMMAND takes and does\n"
	  "(as ipv4ctl COMMAND --help).\n",
	  cmd_help },
};

static const struct verb *verb_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (streq(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

/* "; did you mean 'stats'?" for a mistyped or borrowed command; "" when nothing fits. */
static void verb_hint(const char *name, char *buf, size_t size)
{
	/* what other tools call these */
	static const char *const aliases[][2] = {
		{ "list", "show" },	     { "ls", "show" },	       { "members", "show" },
		{ "add", "join" },	     { "subscribe", "join" },  { "del", "leave" },
		{ "delete", "leave" },	     { "remove", "leave" },    { "part", "leave" },
		{ "unsubscribe", "leave" },  { "counters", "stats" },  { "statistics", "stats" },
		{ "info", "status" },	     { "loglevel", "log-level" },
		{ "version", "--version" },
	};
	const char *names[ELEMENTSOF(verbs)];
	const char *s;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(aliases); i++)
		if (streq(name, aliases[i][0])) {
			snprintf(buf, size, "; did you mean '%s'?", aliases[i][1]);
			return;
		}
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		names[i] = verbs[i].name;
	s = suggest_closest(name, names, ELEMENTSOF(names));
	if (s)
		snprintf(buf, size, "; did you mean '%s'?", s);
}

static void help(void)
{
	printf("Usage: ipv4ctl [OPTIONS] COMMAND [ARGS] [OPTIONS]\n"
	       "Controls ipv4optd, the IPv4 multicast membership daemon.\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
		char usage[128];

		snprintf(usage, sizeof(usage), "%s%s%s", verbs[i].name, verbs[i].args[0] ? " " : "",
			 verbs[i].args);
		printf("  %-45s  %s\n", usage, verbs[i].summary);
	}
	printf("\nOptions (before or after the command):\n"
	       "  -S, --socket PATH   the control socket (default: $" SOCKET_ENV ", else\n"
	       "                      " CONFIG_DEFAULT_CONTROL_PATH ")\n"
	       "  -j, --json          print JSON, compact; errors as an object on stdout\n"
	       "  -p, --pretty        print JSON indented (implies -j)\n"
	       "  -h, --help          show this help, or after a command that command's\n"
	       "  -V, --version       show the version\n\n"
	       "Exit status: 0 done, 1 the daemon refused or failed, 2 usage error,\n"
	       "3 the daemon is not reachable. See ipv4ctl(8).\n");
}

static void verb_help(const struct verb *v)
{
	printf("Usage: ipv4ctl [OPTIONS] %s%s%s\n\n%s\n"
	       "Options: -S PATH, -j, -p (see 'ipv4ctl --help' and ipv4ctl(8)).\n",
	       v->name, v->args[0] ? " " : "", v->args, v->help);
}

static int cmd_help(int argc, char **argv)
{
	const struct verb *v;
	char hint[64];

	if (argc == 0) {
		help();
		return 0;
	}
	if (argc > 1)
		return usage_error("help: unexpected argument '%s'", argv[1]);
	v = verb_find(argv[0]);
	if (!v) {
		verb_hint(argv[0], hint, sizeof(hint));
		return usage_error("help: unknown command '%s'%s", argv[0], hint);
	}
	verb_help(v);
	return 0;
}

/* -j and -p before the arguments are parsed, so that a usage error in them is JSON too. */
static void scan_json_options(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (streq(a, "--"))
			return;
		if (streq(a, "-S") || streq(a, "--socket")) {
			i++;
			continue;
		}
		if (streq(a, "--json"))
			arg_json = true;
		else if (streq(a, "--pretty"))
			arg_json = arg_pretty = true;
		else if (a[0] == '-' && a[1] != '-')
			/* a cluster such as -jp; what follows an S is its argument */
			for (const char *p = a + 1; *p && *p != 'S'; p++) {
				if (*p == 'j')
					arg_json = true;
				else if (*p == 'p')
					arg_json = arg_pretty = true;
			}
	}
}

int main(int argc, char **argv)
{
	enum { ARG_PROMETHEUS = 0x100 };
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "prometheus", no_argument, NULL, ARG_PROMETHEUS },
		{}
	};
	const char *env = getenv(SOCKET_ENV);
	const struct verb *v;
	bool want_help = false, want_version = false;
	char hint[64];
	int c;

	scan_json_options(argc, argv);
	if (env && *env)
		arg_socket = env;

	/* Options anywhere (getopt permutes), as `ip` and `systemctl` take them: the commands'
	 * own arguments never begin with '-'. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":S:jphV", options, NULL)) >= 0) {
		switch (c) {
		case 'S':
			if (!*optarg)
				return usage_error("-S: empty socket path");
			arg_socket = optarg;
			break;
		case 'j':
			arg_json = true;
			break;
		case 'p':
			arg_json = arg_pretty = true;
			break;
		case 'h':
			want_help = true;
			break;
		case 'V':
			want_version = true;
			break;
		case ARG_PROMETHEUS:
			arg_prometheus = true;
			break;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (want_version) {
		printf("ipv4ctl %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (optind >= argc) {
		if (want_help) {
			help();
			return 0;
		}
		return usage_error("missing COMMAND (join, leave, show, stats, reload, status, "
				   "log-level, help)");
	}
	v = verb_find(argv[optind]);
	if (!v) {
		verb_hint(argv[optind], hint, sizeof(hint));
		return usage_error("unknown command '%s'%s (join, leave, show, stats, reload, "
				   "status, log-level, help)", argv[optind], hint);
	}
	arg_verb = v->name;
	if (want_help) {
		verb_help(v);
		return 0;
	}
	if (arg_prometheus && v->run != cmd_stats)
		return usage_error("--prometheus is an option of 'stats'");
	return v->run(argc - optind - 1, argv + optind + 1);
}
