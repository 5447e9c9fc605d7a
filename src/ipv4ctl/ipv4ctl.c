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
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../ipv4optd/config.h"
#include "addr.h"
#include "ctlproto.h"
#include "macro.h"
#include "output.h"

#define EXIT_REFUSED 1     /* the daemon refused or failed */
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3
/* How long to wait for an answer: a reload of a large config takes a while. */
#define TIMEOUT_MSEC (120 * 1000)

static const char *arg_socket = CONFIG_DEFAULT_CONTROL_PATH;
static bool arg_json;
static bool arg_prometheus;

static void help(void)
{
	printf("Usage: ipv4ctl [OPTIONS] COMMAND [ARGS]\n"
	       "Controls ipv4optd, the IPv4 multicast membership daemon.\n\n"
	       "Commands:\n"
	       "  join GROUP [source ADDR] dev IFNAME [port N]   join at run time (kept across\n"
	       "                                                 reloads and restarts)\n"
	       "  leave GROUP [source ADDR] dev IFNAME           leave a runtime join\n"
	       "  show                                           policies and memberships\n"
	       "  stats [POLICY] [--prometheus]                  per-policy counters\n"
	       "  reload                                         re-read the configuration\n"
	       "  status                                         version, uptime, counts, limits\n"
	       "  log-level LEVEL                                emerg ... info, debug\n\n"
	       "Options:\n"
	       "  -S, --socket PATH   control socket (default " CONFIG_DEFAULT_CONTROL_PATH ")\n"
	       "  -j, --json          print the daemon's JSON\n"
	       "  -h, --help          show this help\n"
	       "      --version       show the version\n\n"
	       "Exit status: 0 done, 1 the daemon refused or failed, 2 usage error,\n"
	       "3 the daemon is not reachable.\n");
}

_printf_(1, 2) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ipv4ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'ipv4ctl --help'.\n", stderr);
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
	if (r < 0) {
		fprintf(stderr, "ipv4ctl: cannot build the request: %s\n", strerror(-r));
		return EXIT_REFUSED;
	}
	if (strlen(req) > CTLPROTO_MAX_REQUEST)
		return usage_error("the request is longer than the protocol's %d bytes",
				   CTLPROTO_MAX_REQUEST);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "ipv4ctl: cannot create a socket: %s\n", strerror(errno));
		return EXIT_UNREACHABLE;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		fprintf(stderr, "ipv4ctl: cannot reach ipv4optd at %s: %s\n", arg_socket,
			strerror(e));
		if (e == ENOENT || e == ECONNREFUSED)
			fprintf(stderr, "Is the daemon running? Start it with: "
				"systemctl start ipv4optd\n");
		else if (e == EACCES)
			fprintf(stderr, "The socket or its directory does not let this user in.\n");
		return EXIT_UNREACHABLE;
	}
	r = write_all(fd, req, strlen(req));
	/* A daemon that refuses the connection (EUSERS) answers and closes at once, maybe before
	 * the request is sent: its answer is still there to read. */
	if (r >= 0 || r == -EPIPE || r == -ECONNRESET)
		r = read_line(fd, CTLPROTO_MAX_RESPONSE, &line, &len);
	if (r == -ECONNRESET || r == -EPIPE) {
		fprintf(stderr, "ipv4ctl: ipv4optd at %s closed the connection without "
			"answering\n", arg_socket);
		return EXIT_REFUSED;
	}
	if (r < 0) {
		fprintf(stderr, "ipv4ctl: no answer from ipv4optd at %s: %s\n", arg_socket,
			strerror(-r));
		return r == -ETIMEDOUT ? EXIT_UNREACHABLE : EXIT_REFUSED;
	}
	r = ctlproto_response_parse(line, len, ret, &err);
	if (r < 0) {
		fprintf(stderr, "ipv4ctl: unexpected answer from ipv4optd: %s\n",
			err ? err : strerror(-r));
		return EXIT_REFUSED;
	}
	return 0;
}

static void print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
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

static int show_show(struct json_object *d)
{
	static const char *const ph[] = { "POLICY", "GROUP", "SOURCES", "ACTION", "PORT",
					  "INTERFACES" };
	static const char *const mh[] = { "POLICY", "ORIGIN", "GROUP", "SOURCES", "DEV",
					  "INDEX", "PORT", "STATE", "SINCE", "ERROR" };
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
		const char *row[] = { jstr(p, "name"), jstr(p, "group"), src, jstr(p, "action"),
				      jint(p, "port") ? port : NULL, ifnames };
		if (output_table_add(pt, row) < 0)
			return EXIT_REFUSED;
	}
	for (size_t i = 0; i < json_object_array_length(members); i++) {
		struct json_object *m = json_object_array_get_idx(members, i);
		char src[1024], idx[16], port[16];

		format_sources(m, "sources", streq(jstr(m, "mode") ?: "", "include"), src,
			       sizeof(src));
		snprintf(idx, sizeof(idx), "%lld", (long long)jint(m, "ifindex"));
		snprintf(port, sizeof(port), "%lld", (long long)jint(m, "port"));
		const char *row[] = { jstr(m, "policy"), jstr(m, "origin"), jstr(m, "group"), src,
				      jstr(m, "ifname"), jint(m, "ifindex") ? idx : NULL,
				      jint(m, "port") ? port : NULL, jstr(m, "state"),
				      jstr(m, "since"), jstr(m, "error") ?: "" };
		if (output_table_add(mt, row) < 0)
			return EXIT_REFUSED;
	}
	if (json_object_array_length(policies) > 0) {
		output_table_print(pt, stdout);
		putchar('\n');
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

static int show_stats(struct json_object *d)
{
	static const char *const cols[] = { "POLICY", "ACTION", "IN", "IN_BYTES", "OUT",
					    "OUT_BYTES", "DROPPED", "IN/S", "LAST", "FROM" };
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
		char in[24], inb[24], out[24], outb[24], drop[24], rate[24], age[24];
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
		};

		if (output_table_add(t, row) < 0)
			return EXIT_REFUSED;
	}
	output_table_print(t, stdout);
	output_stats_data_path(d, stdout);
	return 0;
}

static int show_reload(struct json_object *d)
{
	struct json_object *notes;

	printf("reloaded %s: %lld policies, %lld joined, %lld waiting, %lld failed\n",
	       jstr(d, "config"), (long long)jint(d, "policies"), (long long)jint(d, "joined"),
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
	struct json_object *m = NULL, *k = NULL, *c = NULL, *s = NULL;
	char up[64];

	json_object_object_get_ex(d, "memberships", &m);
	json_object_object_get_ex(d, "kernel", &k);
	json_object_object_get_ex(d, "control", &c);
	json_object_object_get_ex(d, "state", &s);
	format_duration((uint64_t)jint(d, "uptime_seconds"), up, sizeof(up));
	printf("ipv4optd %s, pid %lld, up %s\n", jstr(d, "version"), (long long)jint(d, "pid"),
	       up);
	printf("config:       %s (%lld policies; %lld reloads, %lld failed)\n", jstr(d, "config"),
	       (long long)jint(d, "policies"), (long long)jint(d, "reloads"),
	       (long long)jint(d, "reload_failures"));
	printf("memberships:  %lld joined, %lld waiting, %lld failed (%lld at run time), on %lld "
	       "sockets\n", (long long)jint(m, "joined"), (long long)jint(m, "waiting"),
	       (long long)jint(m, "failed"), (long long)jint(m, "runtime"),
	       (long long)jint(m, "sockets"));
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

/* GROUP [source ADDR] dev IFNAME [port N], keywords in any order after GROUP. */
static int parse_membership(const char *verb, int argc, char **argv, bool with_port,
			    struct ctl_membership *ret)
{
	struct ctl_membership m = {};
	bool have_dev = false, have_src = false, have_port = false;
	int r;

	if (argc < 1)
		return usage_error("%s: missing GROUP", verb);
	if (addr_parse_in(argv[0], &m.group) < 0)
		return usage_error("%s: '%s' is not an IPv4 address", verb, argv[0]);
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
			if (!ifname_is_valid(v))
				return usage_error("%s: '%s' is not a valid interface name (1-%d "
						   "characters, no '/', ':' or white space)", verb,
						   v, IF_NAMESIZE - 1);
			snprintf(m.ifname, sizeof(m.ifname), "%s", v);
			have_dev = true;
		} else if (with_port && streq(k, "port")) {
			if (have_port)
				return usage_error("%s: 'port' given twice", verb);
			if (!v)
				return usage_error("%s: 'port' needs a number", verb);
			r = addr_parse_port(v, &m.port);
			if (r < 0)
				return usage_error("%s: port '%s' is not a number in 1-65535", verb,
						   v);
			have_port = true;
		} else
			return usage_error("%s: unexpected argument '%s'", verb, k);
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

	r = parse_membership(ctl_command_to_string(c), argc, argv, join, &m);
	if (r != 0)
		return r;
	if (ctlproto_membership_to_json(&m, join, &args) < 0)
		return EXIT_REFUSED;
	return run(c, args, join ? show_join : show_leave);
}

static int cmd_no_args(enum ctl_command c, int argc, char **argv,
		       int (*show)(struct json_object *data))
{
	if (argc > 0)
		return usage_error("%s: unexpected argument '%s'", ctl_command_to_string(c),
				   argv[0]);
	return run(c, NULL, show);
}

static int cmd_stats(int argc, char **argv)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();
	const char *policy = NULL;

	if (!args)
		return EXIT_REFUSED;
	for (int i = 0; i < argc; i++) {
		if (streq(argv[i], "--prometheus"))
			arg_prometheus = true;
		else if (argv[i][0] == '-')
			return usage_error("stats: unknown option '%s'", argv[i]);
		else if (policy)
			return usage_error("stats: unexpected argument '%s'", argv[i]);
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

int main(int argc, char **argv)
{
	enum { ARG_VERSION = 0x100 };
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	enum ctl_command cmd;
	int c, n;
	char **args;

	/* '+': options end at the command; its own arguments follow. */
	while ((c = getopt_long(argc, argv, "+S:jh", options, NULL)) >= 0) {
		switch (c) {
		case 'S':
			if (!*optarg)
				return usage_error("-S: empty socket path");
			arg_socket = optarg;
			break;
		case 'j':
			arg_json = true;
			break;
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("ipv4ctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fputs("Try 'ipv4ctl --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("missing COMMAND (join, leave, show, stats, reload, status, "
				   "log-level)");
	cmd = ctl_command_from_string(argv[optind]);
	if (cmd < 0)
		return usage_error("unknown command '%s' (join, leave, show, stats, reload, "
				   "status, log-level)", argv[optind]);

	/* -j / --json may also follow the command, as people type it. */
	args = argv + optind + 1;
	n = 0;
	for (int i = optind + 1; i < argc; i++) {
		if (streq(argv[i], "-j") || streq(argv[i], "--json"))
			arg_json = true;
		else
			args[n++] = argv[i];
	}

	switch (cmd) {
	case CTL_COMMAND_JOIN:
	case CTL_COMMAND_LEAVE:
		return cmd_membership(cmd, n, args);
	case CTL_COMMAND_SHOW:
		return cmd_no_args(cmd, n, args, show_show);
	case CTL_COMMAND_STATS:
		return cmd_stats(n, args);
	case CTL_COMMAND_RELOAD:
		return cmd_no_args(cmd, n, args, show_reload);
	case CTL_COMMAND_STATUS:
		return cmd_no_args(cmd, n, args, show_status);
	case CTL_COMMAND_LOG_LEVEL:
		return cmd_log_level(n, args);
	case _CTL_COMMAND_MAX:
	case _CTL_COMMAND_INVALID:
		break;
	}
	return EXIT_USAGE;
}
