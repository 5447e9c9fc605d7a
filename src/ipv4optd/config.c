/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config: /etc/ipv4optd.conf to a validated struct config. Every problem in the file is
 * reported, one "file:line: message" per line, so a user fixes them all in one go; the
 * struct is handed out only when there is none. Nothing here touches the system beyond
 * reading the file: interfaces are matched later, groups and users are resolved later.
 */
#include <assert.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "ipv4opt.h"
#include "macro.h"
#include "suggest.h"

#define POLICY_NAME_MAX 64
#define CONFIG_FILE_MAX (16u * 1024 * 1024) /* far above 4096 policies; bounds the parser */
#define CONFIG_ERRORS_MAX 100               /* messages shown; the rest are counted */
#define CONFIG_SECONDS_MAX (366.0 * 24 * 3600) /* stall_timeout, rejoin_interval */
#define LOG_RATE_LIMIT_MAX 1000000
/* Below these, a value is a mistake that costs the host: a stall_timeout shorter than the
 * gap between two datagrams of a slow stream leaves and rejoins all the time, a
 * rejoin_interval of microseconds is a leave/join storm at 100% CPU, and a pcap file of a
 * few bytes is rotated (renamed, reopened) at every record. 0 still means off. */
#define CONFIG_STALL_TIMEOUT_MIN 1.0   /* seconds */
#define CONFIG_REJOIN_INTERVAL_MIN 1.0 /* seconds; RFC 3376's reports are a second apart */
#define LOG_MAX_SIZE_MIN 4096          /* bytes: one page */

static const char *const policy_action_table[_POLICY_ACTION_MAX] = {
	[POLICY_ACTION_JOIN] = "join",
	[POLICY_ACTION_RELAY] = "relay",
	[POLICY_ACTION_LOG] = "log",
	[POLICY_ACTION_MONITOR] = "monitor",
};

static const char *const policy_redundancy_table[_POLICY_REDUNDANCY_MAX] = {
	[POLICY_REDUNDANCY_NONE] = "none",
	[POLICY_REDUNDANCY_FAILOVER] = "failover",
	[POLICY_REDUNDANCY_MERGE] = "merge",
};

static const char *const log_target_table[_LOG_TARGET_MAX] = {
	[LOG_TARGET_JOURNAL] = "journal",
	[LOG_TARGET_PCAP] = "pcap",
};

static int table_lookup(const char *const *table, size_t n, const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (table[i] && streq(table[i], s))
			return (int)i;
	return -EINVAL;
}

const char *policy_action_to_string(enum policy_action a)
{
	if (a < 0 || a >= _POLICY_ACTION_MAX)
		return NULL;
	return policy_action_table[a];
}

enum policy_action policy_action_from_string(const char *s)
{
	return (enum policy_action)table_lookup(policy_action_table, _POLICY_ACTION_MAX, s);
}

const char *policy_redundancy_to_string(enum policy_redundancy r)
{
	if (r < 0 || r >= _POLICY_REDUNDANCY_MAX)
		return NULL;
	return policy_redundancy_table[r];
}

enum policy_redundancy policy_redundancy_from_string(const char *s)
{
	return (enum policy_redundancy)table_lookup(policy_redundancy_table,
						    _POLICY_REDUNDANCY_MAX, s);
}

const char *log_target_to_string(enum log_target t)
{
	if (t < 0 || t >= _LOG_TARGET_MAX)
		return NULL;
	return log_target_table[t];
}

enum log_target log_target_from_string(const char *s)
{
	return (enum log_target)table_lookup(log_target_table, _LOG_TARGET_MAX, s);
}

/* syslog(3) priority names, as in syslog.conf(5) and journalctl -p. */
static const char *const log_level_table[] = {
	[LOG_EMERG] = "emerg",     [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
	[LOG_ERR] = "err",         [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",       [LOG_DEBUG] = "debug",
};

int config_log_level_from_string(const char *s)
{
	int r;

	r = table_lookup(log_level_table, ELEMENTSOF(log_level_table), s);
	if (r >= 0)
		return r;
	/* the spellings journalctl -p also takes */
	if (s && streq(s, "error"))
		return LOG_ERR;
	if (s && streq(s, "warn"))
		return LOG_WARNING;
	return -EINVAL;
}

const char *config_log_level_to_string(int level)
{
	if (level < 0 || (size_t)level >= ELEMENTSOF(log_level_table))
		return NULL;
	return log_level_table[level];
}

/* ------------------------------------------------------------------------------------------ */
/* Error collection */

struct parser {
	const char *name; /* file name for messages */
	FILE *out;        /* open_memstream() onto text */
	char *text;
	size_t size;
	unsigned n_errors;
	bool oom;
};

_printf_(3, 4) static void parser_error(struct parser *p, int line, const char *fmt, ...)
{
	_cleanup_free_ char *m = NULL;
	va_list ap;
	int r;

	p->n_errors++;
	if (!p->out || p->n_errors > CONFIG_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	r = vasprintf(&m, fmt, ap);
	va_end(ap);
	if (r < 0) {
		m = NULL;
		p->oom = true;
		return;
	}
	if (line > 0)
		fprintf(p->out, "%s:%d: ", p->name, line);
	else
		fprintf(p->out, "%s: ", p->name);
	/* A value quoted in the message may hold a line break or another control character
	 * (libconfig takes "\n" and raw line breaks inside strings). Escaped, so that each
	 * message stays one line: the daemon logs the text and the control socket reports it
	 * line by line, and a value must not pass for a message of its own. */
	for (const char *c = m; *c; c++) {
		unsigned char u = (unsigned char)*c;

		if (u == '\n')
			fputs("\\n", p->out);
		else if (u == '\t')
			fputs("\\t", p->out);
		else if (u < 0x20 || u == 0x7f)
			fprintf(p->out, "\\x%02x", u);
		else
			fputc(*c, p->out);
	}
	fputc('\n', p->out);
}

/* The line of a setting, or of its nearest ancestor that has one. */
static int setting_line(const config_setting_t *s)
{
	for (; s; s = config_setting_parent(s))
		if (config_setting_source_line(s) > 0)
			return (int)config_setting_source_line(s);
	return 0;
}

#define perr(p, s, ...) parser_error((p), setting_line(s), __VA_ARGS__)

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a fraction";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	}
	return "nothing";
}

/* "in policy 'iptv'", "in relay of policy 'iptv'", "in control": where a key sits. */
struct scope {
	const char *what;   /* "policy", "control", "log", "relay", "log" of a policy, or NULL */
	const char *policy; /* policy label, or NULL */
	char buf[POLICY_NAME_MAX + 48];
};

static const char *scope_str(struct scope *sc)
{
	if (!sc->what)
		snprintf(sc->buf, sizeof(sc->buf), "at top level");
	else if (!sc->policy)
		snprintf(sc->buf, sizeof(sc->buf), "in %s", sc->what);
	else if (streq(sc->what, "policy"))
		snprintf(sc->buf, sizeof(sc->buf), "in policy %s", sc->policy);
	else
		snprintf(sc->buf, sizeof(sc->buf), "in %s of policy %s", sc->what, sc->policy);
	return sc->buf;
}

/* Reports every member of group g whose name is not in known (NULL-terminated). */
static void check_keys(struct parser *p, const config_setting_t *g, const char *const *known,
		       struct scope *sc)
{
	int n = config_setting_length(g);

	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		const char *hint = NULL;
		size_t hint_distance = 3; /* suggest only close misspellings */
		bool found = false;

		if (!name)
			continue;
		for (const char *const *k = known; *k; k++) {
			size_t dist;

			if (streq(*k, name)) {
				found = true;
				break;
			}
			dist = suggest_distance(*k, name);
			if (dist < hint_distance) {
				hint = *k;
				hint_distance = dist;
			}
		}
		if (found)
			continue;
		if (hint)
			perr(p, m, "unknown key '%s' %s (did you mean '%s'?)", name, scope_str(sc),
			     hint);
		else
			perr(p, m, "unknown key '%s' %s", name, scope_str(sc));
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Typed getters: each reports its own error and returns false when the value is unusable. */

static bool want_type(struct parser *p, const config_setting_t *s, const char *key, int type,
		      struct scope *sc)
{
	if (config_setting_type(s) == type)
		return true;
	perr(p, s, "key '%s' %s must be %s, not %s", key, scope_str(sc), type_name(type),
	     type_name(config_setting_type(s)));
	return false;
}

static bool get_string(struct parser *p, const config_setting_t *s, const char *key,
		       struct scope *sc, const char **ret)
{
	if (!want_type(p, s, key, CONFIG_TYPE_STRING, sc))
		return false;
	*ret = config_setting_get_string(s);
	return true;
}

static bool get_integer(struct parser *p, const config_setting_t *s, const char *key,
			struct scope *sc, long long *ret)
{
	int t = config_setting_type(s);

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		perr(p, s, "key '%s' %s must be an integer, not %s", key, scope_str(sc),
		     type_name(t));
		return false;
	}
	*ret = config_setting_get_int64(s);
	return true;
}

static bool get_integer_range(struct parser *p, const config_setting_t *s, const char *key,
			      struct scope *sc, long long min, long long max, long long *ret)
{
	long long v;

	if (!get_integer(p, s, key, sc, &v))
		return false;
	if (v < min || v > max) {
		perr(p, s, "key '%s' %s: %lld is out of range (%lld-%lld)", key, scope_str(sc), v,
		     min, max);
		return false;
	}
	*ret = v;
	return true;
}

/* Seconds, integer or fractional, >= 0, to microseconds. */
static bool get_seconds(struct parser *p, const config_setting_t *s, const char *key,
			struct scope *sc, uint64_t *ret_usec)
{
	int t = config_setting_type(s);
	double v;

	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (t == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else {
		perr(p, s, "key '%s' %s must be a number of seconds, not %s", key, scope_str(sc),
		     type_name(t));
		return false;
	}
	if (!(v >= 0.0) || v > CONFIG_SECONDS_MAX) {
		perr(p, s, "key '%s' %s: %g is out of range (0-%.0f seconds)", key, scope_str(sc),
		     v, CONFIG_SECONDS_MAX);
		return false;
	}
	*ret_usec = (uint64_t)llround(v * 1e6);
	return true;
}

/* Seconds as get_seconds(), and either 0 (off) or at least min. */
static bool get_seconds_off_or_min(struct parser *p, const config_setting_t *s, const char *key,
				   struct scope *sc, double min, uint64_t *ret_usec)
{
	uint64_t v;

	if (!get_seconds(p, s, key, sc, &v))
		return false;
	if (v > 0 && v < (uint64_t)llround(min * 1e6)) {
		perr(p, s, "key '%s' %s: %g seconds is below the minimum of %g (0: off)", key,
		     scope_str(sc), (double)v / 1e6, min);
		return false;
	}
	*ret_usec = v;
	return true;
}

/* An absolute path, without control characters. */
static bool check_path(struct parser *p, const config_setting_t *s, const char *key,
		       struct scope *sc, const char *v, size_t max)
{
	if (v[0] != '/') {
		perr(p, s, "key '%s' %s: \"%s\" is not an absolute path", key, scope_str(sc), v);
		return false;
	}
	if (strlen(v) >= max) {
		perr(p, s, "key '%s' %s: path is longer than %zu characters", key, scope_str(sc),
		     max - 1);
		return false;
	}
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			perr(p, s, "key '%s' %s: path holds a control character", key,
			     scope_str(sc));
			return false;
		}
	return true;
}

/* A malloc'd copy; on failure counts an error so the parse fails with -ENOMEM. */
static char *dup_or_oom(struct parser *p, const char *s)
{
	char *d = strdup(s);

	if (!d)
		p->oom = true;
	return d;
}

/* sources/exclude: a non-empty array or list of unicast address strings. */
static void parse_sources(struct parser *p, const config_setting_t *s, const char *key,
			  struct scope *sc, struct in_addr **ret, size_t *ret_n)
{
	_cleanup_free_ struct in_addr *v = NULL;
	int t = config_setting_type(s);
	int n;
	size_t k = 0;

	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		perr(p, s, "key '%s' %s must be a list of address strings [ \"...\" ], not %s", key,
		     scope_str(sc), type_name(t));
		return;
	}
	n = config_setting_length(s);
	if (n == 0) {
		perr(p, s, "key '%s' %s is empty (leave it out instead)", key, scope_str(sc));
		return;
	}
	if (n > CONFIG_MAX_SOURCES) {
		perr(p, s, "key '%s' %s has %d entries, more than the limit of %d", key,
		     scope_str(sc), n, CONFIG_MAX_SOURCES);
		return;
	}
	v = calloc((size_t)n, sizeof(*v));
	if (!v) {
		p->oom = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *str;
		struct in_addr a;
		bool dup = false;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			perr(p, e, "key '%s' %s: entry %d must be a string, not %s", key,
			     scope_str(sc), i + 1, type_name(config_setting_type(e)));
			continue;
		}
		str = config_setting_get_string(e);
		if (addr_parse_in(str, &a) < 0) {
			perr(p, e, "key '%s' %s: \"%s\" is not an IPv4 address", key, scope_str(sc),
			     str);
			continue;
		}
		if (addr_is_multicast(a)) {
			perr(p, e, "key '%s' %s: \"%s\" is a multicast address; sources are unicast",
			     key, scope_str(sc), str);
			continue;
		}
		if (!addr_is_unicast(a)) {
			perr(p, e, "key '%s' %s: \"%s\" cannot be a source address", key,
			     scope_str(sc), str);
			continue;
		}
		for (size_t j = 0; j < k; j++)
			dup = dup || v[j].s_addr == a.s_addr;
		if (dup) {
			/* the kernel refuses a second join of the same source (EADDRNOTAVAIL) */
			perr(p, e, "key '%s' %s: \"%s\" is listed twice", key, scope_str(sc), str);
			continue;
		}
		v[k++] = a;
	}
	*ret = TAKE_PTR(v);
	*ret_n = k;
}

static void parse_interfaces(struct parser *p, const config_setting_t *s, struct scope *sc,
			     struct policy *pol)
{
	int t = config_setting_type(s);
	int n;

	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		perr(p, s, "key 'interfaces' %s must be a list of names [ \"...\" ], not %s",
		     scope_str(sc), type_name(t));
		return;
	}
	n = config_setting_length(s);
	if (n == 0) {
		perr(p, s, "key 'interfaces' %s is empty", scope_str(sc));
		return;
	}
	if (n > CONFIG_MAX_INTERFACES) {
		perr(p, s, "key 'interfaces' %s has %d entries, more than the limit of %d",
		     scope_str(sc), n, CONFIG_MAX_INTERFACES);
		return;
	}
	pol->interfaces = calloc((size_t)n, sizeof(char *));
	if (!pol->interfaces) {
		p->oom = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *str;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			perr(p, e, "key 'interfaces' %s: entry %d must be a string, not %s",
			     scope_str(sc), i + 1, type_name(config_setting_type(e)));
			continue;
		}
		str = config_setting_get_string(e);
		if (!ifname_pattern_is_valid(str)) {
			if (!ifname_is_pattern(str) && strlen(str) >= IFNAMSIZ)
				perr(p, e,
				     "key 'interfaces' %s: \"%s\" is longer than %d characters, "
				     "the kernel's limit for interface names",
				     scope_str(sc), str, IFNAMSIZ - 1);
			else if (ifname_is_pattern(str) && strlen(str) > IFNAME_PATTERN_MAX)
				perr(p, e,
				     "key 'interfaces' %s: pattern \"%s\" is longer than %d characters",
				     scope_str(sc), str, IFNAME_PATTERN_MAX);
			else
				perr(p, e,
				     "key 'interfaces' %s: \"%s\" is not a valid interface name "
				     "(empty, \".\", \"..\", or holds '/', ':' or a space)",
				     scope_str(sc), str);
			continue;
		}
		pol->interfaces[pol->n_interfaces] = dup_or_oom(p, str);
		if (!pol->interfaces[pol->n_interfaces])
			return;
		pol->n_interfaces++;
	}
}

/* One output { to; interface; dscp; ttl; } of a relay policy, in scope sc ("relay", or
 * "relay #2" in a list). Returns true if its 'to' is valid: only then is it compared with the
 * other outputs. */
static bool parse_relay_output(struct parser *p, const config_setting_t *g, struct scope *sc,
			       const struct policy *pol, struct relay_output *out)
{
	static const char *const keys[] = { "to", "interface", "dscp", "ttl", NULL };
	const config_setting_t *s;
	const char *str;
	bool to_ok = false;
	long long v;

	check_keys(p, g, keys, sc);

	s = config_setting_get_member(g, "to");
	if (!s)
		perr(p, g, "missing key 'to' %s", scope_str(sc));
	else if (get_string(p, s, "to", sc, &str)) {
		int r = addr_parse_endpoint(str, &out->to);

		if (r == -ERANGE)
			perr(p, s, "key 'to' %s: \"%s\": port must be 1-65535", scope_str(sc),
			     str);
		else if (r < 0)
			perr(p, s, "key 'to' %s: \"%s\" is not ADDR:PORT (e.g. \"239.2.2.2:6000\")",
			     scope_str(sc), str);
		else if (!addr_is_multicast(out->to.sin_addr) && !addr_is_unicast(out->to.sin_addr))
			perr(p, s, "key 'to' %s: \"%s\" is neither a unicast nor a multicast "
			     "destination", scope_str(sc), str);
		else if (out->to.sin_addr.s_addr == pol->group.s_addr &&
			 ntohs(out->to.sin_port) == pol->port)
			/* the relay would receive its own output: a loop */
			perr(p, s, "key 'to' %s: \"%s\" is the policy's own group and port",
			     scope_str(sc), str);
		else
			to_ok = true;
	}

	s = config_setting_get_member(g, "interface");
	if (s && get_string(p, s, "interface", sc, &str)) {
		if (!ifname_is_valid(str))
			perr(p, s, "key 'interface' %s: \"%s\" is not a valid interface name "
			     "(1-%d characters, no '/', ':', space or pattern)",
			     scope_str(sc), str, IFNAMSIZ - 1);
		else if (ifname_is_pattern(str))
			perr(p, s, "key 'interface' %s: \"%s\": a pattern cannot name the one "
			     "egress interface", scope_str(sc), str);
		else
			memcpy(out->interface, str, strlen(str) + 1);
	}

	s = config_setting_get_member(g, "dscp");
	if (s) {
		int t = config_setting_type(s);

		if (t == CONFIG_TYPE_STRING) {
			str = config_setting_get_string(s);
			if (ipv4opt_dscp_from_string(str, &out->dscp) < 0)
				perr(p, s, "key 'dscp' %s: \"%s\" is not a DSCP name (\"AF41\", "
				     "\"EF\", \"CS1\", ...) or number (0-63)", scope_str(sc), str);
			else
				out->has_dscp = true;
		} else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
			if (get_integer_range(p, s, "dscp", sc, 0, 63, &v)) {
				out->dscp = (uint8_t)v;
				out->has_dscp = true;
			}
		} else
			perr(p, s, "key 'dscp' %s must be a string or an integer, not %s",
			     scope_str(sc), type_name(t));
	}

	s = config_setting_get_member(g, "ttl");
	if (s && get_integer_range(p, s, "ttl", sc, 1, 255, &v))
		out->ttl = (int)v;
	return to_ok;
}

/* relay = { ... }; one output, or relay = ( { ... }, { ... } ); up to CONFIG_MAX_OUTPUTS of
 * them, each datagram received once and sent to each, in file order. */
static void parse_relay(struct parser *p, const config_setting_t *g, struct scope *psc,
			struct policy *pol)
{
	char what[32];
	struct scope sc = { .what = what, .policy = psc->policy };
	bool to_ok[CONFIG_MAX_OUTPUTS] = {};
	int t = config_setting_type(g);
	int n;

	if (t == CONFIG_TYPE_GROUP)
		n = 1;
	else if (t == CONFIG_TYPE_LIST || t == CONFIG_TYPE_ARRAY) {
		n = config_setting_length(g);
		if (n == 0) {
			perr(p, g, "key 'relay' %s is an empty list: at least one output "
			     "{ to = \"ADDR:PORT\"; }", scope_str(psc));
			return;
		}
		if (n > CONFIG_MAX_OUTPUTS) {
			perr(p, g, "key 'relay' %s has %d outputs, more than the limit of %d",
			     scope_str(psc), n, CONFIG_MAX_OUTPUTS);
			return;
		}
	} else {
		perr(p, g, "key 'relay' %s must be a group { ... } or a list ( { ... }, ... ) of "
		     "them, not %s", scope_str(psc), type_name(t));
		return;
	}

	pol->outputs = calloc((size_t)n, sizeof(struct relay_output));
	if (!pol->outputs) {
		p->oom = true;
		return;
	}
	pol->n_outputs = (size_t)n;
	for (int i = 0; i < n; i++)
		pol->outputs[i].ttl = -1;

	if (t == CONFIG_TYPE_GROUP) {
		snprintf(what, sizeof(what), "relay");
		(void)parse_relay_output(p, g, &sc, pol, &pol->outputs[0]);
		return;
	}

	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			perr(p, e, "key 'relay' %s: entry %d must be a group { ... }, not %s",
			     scope_str(psc), i + 1, type_name(config_setting_type(e)));
			continue;
		}
		snprintf(what, sizeof(what), "relay #%d", i + 1);
		to_ok[i] = parse_relay_output(p, e, &sc, pol, &pol->outputs[i]);
	}

	/* The same destination out the same interface twice would send each datagram twice
	 * to it. At most 64 outputs: compared pairwise. */
	for (int i = 1; i < n; i++) {
		const struct relay_output *o = &pol->outputs[i];

		if (!to_ok[i])
			continue;
		for (int j = 0; j < i; j++) {
			const struct relay_output *q = &pol->outputs[j];
			const config_setting_t *to;

			if (!to_ok[j] || o->to.sin_addr.s_addr != q->to.sin_addr.s_addr ||
			    o->to.sin_port != q->to.sin_port || !streq(o->interface, q->interface))
				continue;
			to = config_setting_get_member(config_setting_get_elem(g, (unsigned)i), "to");
			snprintf(what, sizeof(what), "relay #%d", i + 1);
			perr(p, to, "key 'to' %s: \"%s\" out %s is already relay #%d (line %d): "
			     "each datagram would be sent there twice", scope_str(&sc),
			     config_setting_get_string(to),
			     o->interface[0] ? o->interface : "the route's interface", j + 1,
			     setting_line(config_setting_get_elem(g, (unsigned)j)));
			break;
		}
	}
}

static void parse_log(struct parser *p, const config_setting_t *g, struct scope *psc,
		      struct policy *pol)
{
	static const char *const keys[] = { "target", "file", "max_size", "max_files",
					    "rate_limit", NULL };
	struct scope sc = { .what = "log", .policy = psc->policy };
	const config_setting_t *s, *file, *max_size, *max_files, *rate;
	const char *str;
	bool target_ok = true;
	long long v;

	if (!want_type(p, g, "log", CONFIG_TYPE_GROUP, psc))
		return;
	check_keys(p, g, keys, &sc);

	s = config_setting_get_member(g, "target");
	if (s) {
		target_ok = false;
		if (get_string(p, s, "target", &sc, &str)) {
			enum log_target t = log_target_from_string(str);

			if (t < 0)
				perr(p, s, "key 'target' %s: unknown target \"%s\" (journal or "
				     "pcap)", scope_str(&sc), str);
			else {
				pol->log.target = t;
				target_ok = true;
			}
		}
	}
	if (!target_ok)
		return; /* which keys belong depends on the target */

	file = config_setting_get_member(g, "file");
	max_size = config_setting_get_member(g, "max_size");
	max_files = config_setting_get_member(g, "max_files");
	rate = config_setting_get_member(g, "rate_limit");

	switch (pol->log.target) {
	case LOG_TARGET_PCAP:
		if (!file)
			perr(p, g, "missing key 'file' %s (required for target \"pcap\")",
			     scope_str(&sc));
		if (rate)
			perr(p, rate, "key 'rate_limit' %s applies only to target \"journal\"",
			     scope_str(&sc));
		break;
	case LOG_TARGET_JOURNAL:
		if (file)
			perr(p, file, "key 'file' %s applies only to target \"pcap\"",
			     scope_str(&sc));
		if (max_size)
			perr(p, max_size, "key 'max_size' %s applies only to target \"pcap\"",
			     scope_str(&sc));
		if (max_files)
			perr(p, max_files, "key 'max_files' %s applies only to target \"pcap\"",
			     scope_str(&sc));
		file = max_size = max_files = NULL;
		break;
	case _LOG_TARGET_MAX:
	case _LOG_TARGET_INVALID:
		assert(!"invalid log target");
		break;
	}

	if (file && get_string(p, file, "file", &sc, &str) &&
	    check_path(p, file, "file", &sc, str, PATH_MAX))
		pol->log.pcap_path = dup_or_oom(p, str);
	if (max_size && get_integer_range(p, max_size, "max_size", &sc, 0, INT64_MAX, &v)) {
		if (v > 0 && v < LOG_MAX_SIZE_MIN)
			perr(p, max_size, "key 'max_size' %s: %lld bytes is below the minimum of %d "
			     "(0: never rotate)", scope_str(&sc), v, LOG_MAX_SIZE_MIN);
		else
			pol->log.pcap_max_size = (uint64_t)v;
	}
	if (max_files && get_integer_range(p, max_files, "max_files", &sc, 1, CONFIG_MAX_PCAP_FILES,
					   &v))
		pol->log.pcap_max_files = (unsigned)v;
	if (rate && get_integer_range(p, rate, "rate_limit", &sc, 0, LOG_RATE_LIMIT_MAX, &v))
		pol->log.rate_limit = (unsigned)v;
}

static bool policy_name_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > POLICY_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* "runtime": the policy of the joins made with ipv4ctl join (members.c), in show and stats. A
 * policy of that name could not be told from them. */
static bool policy_name_is_reserved(const char *s)
{
	return strcasecmp(s, "runtime") == 0;
}

/* An interface listed twice in one policy: refused as a source listed twice is (the second
 * would be a second join of the same group on the same interface). Patterns too, by their
 * text: "eth*" twice is a slip; "eth*" and "eth0" are not refused (different texts). */
static void check_interfaces_unique(struct parser *p, const config_setting_t *s,
				    struct scope *sc)
{
	int n = config_setting_length(s);

	for (int i = 1; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *str = config_setting_get_string(e);

		if (!str)
			continue;
		for (int j = 0; j < i; j++) {
			const char *prev = config_setting_get_string(
				config_setting_get_elem(s, (unsigned)j));

			if (prev && streq(prev, str)) {
				perr(p, e, "key 'interfaces' %s: \"%s\" is listed twice",
				     scope_str(sc), str);
				break;
			}
		}
	}
}

/* Stream analysis (doc/stream-analysis.md): what is analysed and the RTP clock. A policy that
 * receives nothing (join) has nothing to analyse; monitor analyses "auto" unless told. */
static void parse_analyze(struct parser *p, const config_setting_t *g, struct scope *sc,
			  struct policy *pol, bool have_action)
{
	const config_setting_t *a = config_setting_get_member(g, "analyze");
	const config_setting_t *r = config_setting_get_member(g, "rtp_clock_rate");
	const char *str;
	long long v;

	pol->analyze = have_action && pol->action == POLICY_ACTION_MONITOR ? STREAM_FORMAT_AUTO
									    : STREAM_FORMAT_NONE;
	if (have_action && pol->action == POLICY_ACTION_JOIN) {
		if (a)
			perr(p, a, "key 'analyze' %s needs action \"relay\", \"log\" or "
			     "\"monitor\" (a join policy receives no datagrams)", scope_str(sc));
		if (r)
			perr(p, r, "key 'rtp_clock_rate' %s needs action \"relay\", \"log\" or "
			     "\"monitor\"", scope_str(sc));
		return;
	}
	if (a && get_string(p, a, "analyze", sc, &str)) {
		enum stream_format f = stream_format_from_string(str);

		if (f < 0)
			perr(p, a, "key 'analyze' %s: unknown format \"%s\" (none, rtp, ts or auto)",
			     scope_str(sc), str);
		else
			pol->analyze = f;
	}
	if (r && get_integer_range(p, r, "rtp_clock_rate", sc, RTP_CLOCK_RATE_MIN,
				   RTP_CLOCK_RATE_MAX, &v)) {
		pol->rtp_clock_rate = (uint32_t)v;
		if (pol->analyze != STREAM_FORMAT_RTP && pol->analyze != STREAM_FORMAT_AUTO)
			perr(p, r, "key 'rtp_clock_rate' %s needs analyze \"rtp\" or \"auto\"",
			     scope_str(sc));
	}
}

/* group (required), sources or exclude, interfaces (required) of a policy or of one of its
 * inputs: the setting g holds them. */
static void parse_source_spec(struct parser *p, const config_setting_t *g, struct scope *sc,
			      struct in_addr *group, struct in_addr **sources, size_t *n_sources,
			      struct in_addr **exclude, size_t *n_exclude, char ***interfaces,
			      size_t *n_interfaces)
{
	const config_setting_t *s, *src, *exc;
	struct policy tmp = { 0 };
	const char *str;

	s = config_setting_get_member(g, "group");
	if (!s)
		perr(p, g, "missing key 'group' %s", scope_str(sc));
	else if (get_string(p, s, "group", sc, &str)) {
		if (addr_parse_in(str, group) < 0)
			perr(p, s, "key 'group' %s: \"%s\" is not an IPv4 address", scope_str(sc),
			     str);
		else if (!addr_is_multicast(*group))
			perr(p, s, "key 'group' %s: \"%s\" is not a multicast address "
			     "(224.0.0.0/4)", scope_str(sc), str);
	}

	src = config_setting_get_member(g, "sources");
	exc = config_setting_get_member(g, "exclude");
	if (src)
		parse_sources(p, src, "sources", sc, sources, n_sources);
	if (exc)
		parse_sources(p, exc, "exclude", sc, exclude, n_exclude);
	if (src && exc)
		/* one socket filter per group and interface is INCLUDE or EXCLUDE (RFC 3376) */
		perr(p, exc, "keys 'sources' and 'exclude' %s cannot both be set", scope_str(sc));

	s = config_setting_get_member(g, "interfaces");
	if (!s)
		perr(p, g, "missing key 'interfaces' %s", scope_str(sc));
	else {
		parse_interfaces(p, s, sc, &tmp);
		check_interfaces_unique(p, s, sc);
	}
	*interfaces = tmp.interfaces;
	*n_interfaces = tmp.n_interfaces;
}

static void input_done(struct policy_input *in)
{
	free(in->sources);
	free(in->exclude);
	for (size_t i = 0; i < in->n_interfaces; i++)
		free(in->interfaces[i]);
	free(in->interfaces);
}

/* inputs: a list ( { group, sources|exclude, interfaces, port }, ... ), 2..CONFIG_MAX_INPUTS. */
static void parse_inputs(struct parser *p, const config_setting_t *s, struct scope *psc,
			 struct policy *pol)
{
	static const char *const keys[] = { "group", "sources", "exclude", "interfaces", "port",
					     NULL };
	int t = config_setting_type(s), n;

	if (t != CONFIG_TYPE_LIST) {
		perr(p, s, "key 'inputs' %s must be a list ( { ... }, { ... } ), not %s",
		     scope_str(psc), type_name(t));
		return;
	}
	n = config_setting_length(s);
	if (n < 2 || n > CONFIG_MAX_INPUTS) {
		perr(p, s, "key 'inputs' %s has %d entries: 2 to %d inputs (one input: use 'group')",
		     scope_str(psc), n, CONFIG_MAX_INPUTS);
		return;
	}
	pol->inputs = calloc((size_t)n, sizeof(*pol->inputs));
	if (!pol->inputs) {
		p->oom = true;
		return;
	}
	pol->n_inputs = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i), *k;
		struct policy_input *in = &pol->inputs[i];
		char what[32];
		struct scope sc = { .what = what, .policy = psc->policy };
		long long v;

		snprintf(what, sizeof(what), "input %d", i + 1);
		in->line = setting_line(e);
		in->port = pol->port;
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			perr(p, e, "key 'inputs' %s: entry %d must be a group { ... }, not %s",
			     scope_str(psc), i + 1, type_name(config_setting_type(e)));
			continue;
		}
		check_keys(p, e, keys, &sc);
		parse_source_spec(p, e, &sc, &in->group, &in->sources, &in->n_sources,
				  &in->exclude, &in->n_exclude, &in->interfaces, &in->n_interfaces);
		k = config_setting_get_member(e, "port");
		if (k && get_integer_range(p, k, "port", &sc, 1, 65535, &v))
			in->port = (uint16_t)v;
	}
}

/* An integer of milliseconds in [min, max] to microseconds. */
static void get_ms(struct parser *p, const config_setting_t *s, const char *key, struct scope *sc,
		   long long min, long long max, uint64_t *ret_usec)
{
	long long v;

	if (get_integer_range(p, s, key, sc, min, max, &v))
		*ret_usec = (uint64_t)v * 1000;
}

/* redundancy and its keys (after parse_analyze); has_inputs: the policy has 'inputs'. */
static void parse_redundancy(struct parser *p, const config_setting_t *g, struct scope *sc,
			     struct policy *pol, bool has_inputs, bool have_action)
{
	const config_setting_t *s = config_setting_get_member(g, "redundancy");
	const config_setting_t *ft = config_setting_get_member(g, "failover_timeout_ms");
	const config_setting_t *fl = config_setting_get_member(g, "failover_loss");
	const config_setting_t *ra = config_setting_get_member(g, "revert_after");
	const config_setting_t *mw = config_setting_get_member(g, "merge_window_ms");
	const config_setting_t *an = config_setting_get_member(g, "analyze");
	const char *str;

	pol->failover_timeout_usec = CONFIG_DEFAULT_FAILOVER_TIMEOUT_MS * 1000ULL;
	pol->revert_after_usec = CONFIG_DEFAULT_REVERT_AFTER_SEC * 1000000ULL;
	pol->merge_window_usec = CONFIG_DEFAULT_MERGE_WINDOW_MS * 1000ULL;
	if (s && get_string(p, s, "redundancy", sc, &str)) {
		enum policy_redundancy r = policy_redundancy_from_string(str);

		if (r < 0 || r == POLICY_REDUNDANCY_NONE)
			perr(p, s, "key 'redundancy' %s: unknown mode \"%s\" (failover or merge)",
			     scope_str(sc), str);
		else
			pol->redundancy = r;
	}
	if (has_inputs && !s)
		perr(p, g, "missing key 'redundancy' %s (required with 'inputs': \"failover\" or "
		     "\"merge\")", scope_str(sc));
	else if (s && !has_inputs)
		perr(p, s, "key 'redundancy' %s needs 'inputs' (a list of 2 or more groups)",
		     scope_str(sc));
	if (!has_inputs)
		pol->redundancy = POLICY_REDUNDANCY_NONE;
	if (have_action && has_inputs && pol->action == POLICY_ACTION_JOIN)
		/* a join policy receives nothing: there is nothing to choose from */
		perr(p, g, "key 'inputs' %s needs action \"relay\", \"log\" or \"monitor\"",
		     scope_str(sc));

	if (pol->redundancy != POLICY_REDUNDANCY_FAILOVER) {
		const config_setting_t *only[] = { ft, fl, ra };
		const char *const names[] = { "failover_timeout_ms", "failover_loss",
					      "revert_after" };

		for (size_t i = 0; i < ELEMENTSOF(only); i++)
			if (only[i])
				perr(p, only[i], "key '%s' %s needs redundancy \"failover\"",
				     names[i], scope_str(sc));
	}
	if (pol->redundancy != POLICY_REDUNDANCY_MERGE && mw)
		perr(p, mw, "key 'merge_window_ms' %s needs redundancy \"merge\"", scope_str(sc));

	switch (pol->redundancy) {
	case POLICY_REDUNDANCY_FAILOVER:
		if (ft)
			get_ms(p, ft, "failover_timeout_ms", sc, 10, 60000,
			       &pol->failover_timeout_usec);
		if (fl) {
			int t = config_setting_type(fl);
			double v = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(fl) :
				   (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) ?
				   (double)config_setting_get_int64(fl) : -1.0;

			if (!(v > 0.0 && v < 1.0))
				perr(p, fl, "key 'failover_loss' %s must be a fraction above 0 and "
				     "below 1 (0.01: one datagram in a hundred)", scope_str(sc));
			else if (pol->analyze != STREAM_FORMAT_RTP)
				perr(p, fl, "key 'failover_loss' %s needs analyze = \"rtp\" (the loss "
				     "is read from RTP sequence numbers)", scope_str(sc));
			else
				pol->failover_loss = v;
		}
		if (ra) {
			long long v;

			if (get_integer_range(p, ra, "revert_after", sc, 0, 86400, &v))
				pol->revert_after_usec = (uint64_t)v * 1000000ULL;
		}
		break;
	case POLICY_REDUNDANCY_MERGE:
		if (mw)
			get_ms(p, mw, "merge_window_ms", sc, 1, CONFIG_MAX_MERGE_WINDOW_MS,
			       &pol->merge_window_usec);
		/* Merging orders the inputs by RTP sequence number: the stream is analysed as
		 * RTP. Without 'analyze', merge implies it; another analysis is refused. */
		if (!an)
			pol->analyze = STREAM_FORMAT_RTP;
		else if (pol->analyze != STREAM_FORMAT_RTP &&
			 config_setting_type(an) == CONFIG_TYPE_STRING)
			perr(p, an, "key 'analyze' %s must be \"rtp\" for redundancy \"merge\" (the "
			     "inputs are merged by RTP sequence number)", scope_str(sc));
		break;
	case POLICY_REDUNDANCY_NONE:
	case _POLICY_REDUNDANCY_MAX:
	case _POLICY_REDUNDANCY_INVALID:
		break;
	}
}

static void parse_policy(struct parser *p, const config_setting_t *g, int index,
			 struct policy *pol)
{
	static const char *const keys[] = { "name",   "group",	       "sources",
					     "exclude", "interfaces",   "port",
					     "action",	"relay",	"log",
					     "stall_timeout", "rejoin_interval",
					     "analyze", "rtp_clock_rate", "inputs",
					     "redundancy", "failover_timeout_ms", "failover_loss",
					     "revert_after", "merge_window_ms", NULL };
	const config_setting_t *s, *relay, *log, *stall, *inputs;
	char label[POLICY_NAME_MAX + 8];
	struct scope sc = { .what = "policy", .policy = label };
	const char *str;
	bool have_action = false;
	long long v;

	pol->line = setting_line(g);
	pol->log.target = LOG_TARGET_JOURNAL;

	snprintf(label, sizeof(label), "#%d", index + 1);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		perr(p, g, "key 'policies': entry %d must be a group { ... }, not %s", index + 1,
		     type_name(config_setting_type(g)));
		return;
	}

	/* The name first: every later message names the policy. */
	s = config_setting_get_member(g, "name");
	if (!s)
		perr(p, g, "missing key 'name' in policy #%d", index + 1);
	else if (get_string(p, s, "name", &sc, &str)) {
		if (!policy_name_is_valid(str))
			perr(p, s, "key 'name' in policy #%d: \"%s\" is not a valid name (1-%d "
			     "characters of A-Z a-z 0-9 . _ -)", index + 1, str, POLICY_NAME_MAX);
		else if (policy_name_is_reserved(str))
			perr(p, s, "key 'name' in policy #%d: \"%s\" is reserved: ipv4ctl show and "
			     "stats name the runtime joins so", index + 1, str);
		else {
			snprintf(label, sizeof(label), "'%s'", str);
			pol->name = dup_or_oom(p, str);
		}
	}

	check_keys(p, g, keys, &sc);

	s = config_setting_get_member(g, "port");
	if (s && get_integer_range(p, s, "port", &sc, 1, 65535, &v))
		pol->port = (uint16_t)v;

	inputs = config_setting_get_member(g, "inputs");
	if (inputs) {
		/* the inputs name their groups and interfaces; the policy's own would be one
		 * more input, undeclared */
		static const char *const own[] = { "group", "sources", "exclude", "interfaces" };

		for (size_t i = 0; i < ELEMENTSOF(own); i++) {
			s = config_setting_get_member(g, own[i]);
			if (s)
				perr(p, s, "key '%s' %s cannot be set together with 'inputs' (each "
				     "input has its own)", own[i], scope_str(&sc));
		}
		parse_inputs(p, inputs, &sc, pol);
	} else
		parse_source_spec(p, g, &sc, &pol->group, &pol->sources, &pol->n_sources,
				  &pol->exclude, &pol->n_exclude, &pol->interfaces,
				  &pol->n_interfaces);

	s = config_setting_get_member(g, "action");
	if (!s)
		perr(p, g, "missing key 'action' %s", scope_str(&sc));
	else if (get_string(p, s, "action", &sc, &str)) {
		enum policy_action a = policy_action_from_string(str);

		if (a < 0)
			perr(p, s, "key 'action' %s: unknown action \"%s\" (join, relay, log "
			     "or monitor)",
			     scope_str(&sc), str);
		else {
			pol->action = a;
			have_action = true;
		}
	}

	relay = config_setting_get_member(g, "relay");
	log = config_setting_get_member(g, "log");
	stall = config_setting_get_member(g, "stall_timeout");

	if (have_action) {
		switch (pol->action) {
		case POLICY_ACTION_JOIN:
			if (relay)
				perr(p, relay, "key 'relay' %s needs action \"relay\"", scope_str(&sc));
			if (log)
				perr(p, log, "key 'log' %s needs action \"log\"", scope_str(&sc));
			if (stall)
				/* a join policy receives no data, so it cannot see a stall */
				perr(p, stall, "key 'stall_timeout' %s needs action \"relay\" or "
				     "\"log\" (or \"monitor\")", scope_str(&sc));
			relay = log = stall = NULL;
			break;
		case POLICY_ACTION_RELAY:
			if (!relay)
				perr(p, g, "missing key 'relay' %s (required for action \"relay\")",
				     scope_str(&sc));
			if (log)
				perr(p, log, "key 'log' %s needs action \"log\"", scope_str(&sc));
			log = NULL;
			break;
		case POLICY_ACTION_LOG:
			if (relay)
				perr(p, relay, "key 'relay' %s needs action \"relay\"", scope_str(&sc));
			relay = NULL;
			break;
		case POLICY_ACTION_MONITOR:
			/* receives and analyses: like log without a target */
			if (relay)
				perr(p, relay, "key 'relay' %s needs action \"relay\"", scope_str(&sc));
			if (log)
				perr(p, log, "key 'log' %s needs action \"log\"", scope_str(&sc));
			relay = log = NULL;
			break;
		case _POLICY_ACTION_MAX:
		case _POLICY_ACTION_INVALID:
			assert(!"invalid policy action");
			break;
		}
		if (pol->action != POLICY_ACTION_JOIN && !config_setting_get_member(g, "port"))
			perr(p, g, "missing key 'port' %s (required for action \"%s\")",
			     scope_str(&sc), policy_action_to_string(pol->action));
	}

	if (relay)
		parse_relay(p, relay, &sc, pol);
	if (log)
		parse_log(p, log, &sc, pol);
	if (stall)
		get_seconds_off_or_min(p, stall, "stall_timeout", &sc, CONFIG_STALL_TIMEOUT_MIN,
				       &pol->stall_timeout_usec);
	s = config_setting_get_member(g, "rejoin_interval");
	if (s)
		get_seconds_off_or_min(p, s, "rejoin_interval", &sc, CONFIG_REJOIN_INTERVAL_MIN,
				       &pol->rejoin_interval_usec);
	parse_analyze(p, g, &sc, pol, have_action);
	parse_redundancy(p, g, &sc, pol, inputs != NULL, have_action);
}

static void parse_control(struct parser *p, const config_setting_t *g, struct config *c)
{
	static const char *const keys[] = { "path", "group", "mode", NULL };
	struct scope top = {}, sc = { .what = "control" };
	const config_setting_t *s;
	const char *str;

	if (!want_type(p, g, "control", CONFIG_TYPE_GROUP, &top))
		return;
	check_keys(p, g, keys, &sc);

	s = config_setting_get_member(g, "path");
	if (s && get_string(p, s, "path", &sc, &str) &&
	    check_path(p, s, "path", &sc, str, sizeof(((struct sockaddr_un *)NULL)->sun_path))) {
		char *d = dup_or_oom(p, str);

		if (d) {
			free(c->control.path);
			c->control.path = d;
		}
	}

	s = config_setting_get_member(g, "group");
	if (s && get_string(p, s, "group", &sc, &str)) {
		/* resolved by the daemon at startup; here only what no group name can be */
		if (!*str || strlen(str) > 32 || strpbrk(str, ":/ \t\n"))
			perr(p, s, "key 'group' %s: \"%s\" is not a valid group name",
			     scope_str(&sc), str);
		else
			c->control.group = dup_or_oom(p, str);
	}

	s = config_setting_get_member(g, "mode");
	if (s) {
		if (config_setting_type(s) == CONFIG_TYPE_INT ||
		    config_setting_type(s) == CONFIG_TYPE_INT64)
			/* libconfig reads 0666 as decimal 666: insist on a string */
			perr(p, s, "key 'mode' %s must be an octal string such as \"0660\", "
			     "not an integer", scope_str(&sc));
		else if (get_string(p, s, "mode", &sc, &str)) {
			size_t n = strlen(str);
			unsigned long m;

			if (n < 1 || n > 5 || strspn(str, "01234567") != n)
				perr(p, s, "key 'mode' %s: \"%s\" is not an octal mode such as "
				     "\"0660\"", scope_str(&sc), str);
			else {
				m = strtoul(str, NULL, 8);
				if (m & ~0777ul)
					perr(p, s, "key 'mode' %s: \"%s\": only permission bits "
					     "(0777) apply to a socket", scope_str(&sc), str);
				else
					c->control.mode = (mode_t)m;
			}
		}
	}
}

/* What two policies may not share: their name, and the pcap file they write (two writers of
 * one file would interleave their records, and one's cut-back after a short write or its
 * rotation would take the other's records with it). */
static const char *policy_name_key(const struct policy *p)
{
	return p->name;
}

static const char *policy_pcap_key(const struct policy *p)
{
	return p->action == POLICY_ACTION_LOG && p->log.target == LOG_TARGET_PCAP ?
		p->log.pcap_path : NULL;
}

static int policy_ptr_compare(const void *a, const void *b, void *userdata)
{
	const char *(*key)(const struct policy *) = userdata;
	const struct policy *x = *(const struct policy *const *)a;
	const struct policy *y = *(const struct policy *const *)b;
	int r = strcmp(key(x), key(y));

	if (r != 0)
		return r;
	return (x > y) - (x < y); /* stable: file order within one key */
}

/* Sorted rather than compared pairwise: thousands of policies are a supported case. Each
 * policy whose key an earlier one has is reported, in file order, with that one's line. */
static void check_duplicates(struct parser *p, const struct config *c,
			     const char *(*key)(const struct policy *), const char *what,
			     const char *verb)
{
	_cleanup_free_ const struct policy **v = NULL;
	_cleanup_free_ const struct policy **first = NULL;
	size_t n = 0;

	v = calloc(c->n_policies, sizeof(*v));
	first = calloc(c->n_policies, sizeof(*first));
	if (!v || !first) {
		p->oom = true;
		return;
	}
	for (size_t i = 0; i < c->n_policies; i++)
		if (key(&c->policies[i]))
			v[n++] = &c->policies[i];
	qsort_r(v, n, sizeof(*v), policy_ptr_compare, (void *)key);
	for (size_t i = 1, run = 0; i < n; i++) {
		if (!streq(key(v[i]), key(v[run]))) {
			run = i;
			continue;
		}
		first[v[i] - c->policies] = v[run];
	}
	for (size_t i = 0; i < c->n_policies; i++)
		if (first[i])
			parser_error(p, c->policies[i].line, "%s '%s' (first %s at line %d)", what,
				     key(&c->policies[i]), verb, first[i]->line);
}

/* The CPUs this process may run on: its affinity mask (taskset, systemd's CPUAffinity=, a
 * cgroup's cpuset), else the CPUs online. A worker more than that only takes turns with
 * another on one CPU. */
static unsigned cpus_usable(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static void parse_workers(struct parser *p, const config_setting_t *s, struct scope *sc,
			  struct config *c)
{
	unsigned cpus, max;
	long long v;

	if (!get_integer(p, s, "workers", sc, &v))
		return;
	cpus = cpus_usable();
	max = cpus < CONFIG_MAX_WORKERS ? cpus : CONFIG_MAX_WORKERS;
	if ((v < 1 || v > max) && cpus > CONFIG_MAX_WORKERS)
		perr(p, s, "key 'workers' %s: %lld is out of range (1-%u: this process may run on "
		     "%u CPUs, and the limit is %d workers)", scope_str(sc), v, max, cpus,
		     CONFIG_MAX_WORKERS);
	else if (v < 1 || v > max)
		perr(p, s, "key 'workers' %s: %lld is out of range (1-%u: this process may run on "
		     "%u CPU%s)", scope_str(sc), v, max, cpus, cpus == 1 ? "" : "s");
	else
		c->workers = (unsigned)v;
}

static void parse_root(struct parser *p, const config_setting_t *root, struct config *c)
{
	static const char *const keys[] = { "control",       "log",      "state_dir", "rcvbuf",
					    "coalesce_usec", "workers",  "policies",  NULL };
	struct scope top = {}, logsc = { .what = "log" };
	const config_setting_t *s;
	const char *str;
	long long v;
	int n;

	check_keys(p, root, keys, &top);

	s = config_setting_get_member(root, "control");
	if (s)
		parse_control(p, s, c);

	s = config_setting_get_member(root, "log");
	if (s && want_type(p, s, "log", CONFIG_TYPE_GROUP, &top)) {
		static const char *const log_keys[] = { "level", NULL };
		const config_setting_t *l;

		check_keys(p, s, log_keys, &logsc);
		l = config_setting_get_member(s, "level");
		if (l && get_string(p, l, "level", &logsc, &str)) {
			int level = config_log_level_from_string(str);

			if (level < 0)
				perr(p, l, "key 'level' %s: unknown level \"%s\" (emerg, alert, "
				     "crit, err, warning, notice, info, debug)", scope_str(&logsc),
				     str);
			else
				c->log.level = level;
		}
	}

	s = config_setting_get_member(root, "state_dir");
	if (s && get_string(p, s, "state_dir", &top, &str) &&
	    check_path(p, s, "state_dir", &top, str, PATH_MAX)) {
		char *d = dup_or_oom(p, str);

		if (d) {
			free(c->state_dir);
			c->state_dir = d;
		}
	}

	s = config_setting_get_member(root, "rcvbuf");
	/* the kernel doubles the value and caps it at net.core.rmem_max (socket(7)) */
	if (s && get_integer_range(p, s, "rcvbuf", &top, 4096, INT_MAX / 2, &v))
		c->rcvbuf = (int)v;

	s = config_setting_get_member(root, "coalesce_usec");
	if (s && get_integer_range(p, s, "coalesce_usec", &top, 0, CONFIG_MAX_COALESCE_USEC, &v)) {
		/* The queue is empty when the wait starts (the drain reached EAGAIN); what a
		 * 10 Gb/s burst brings during it must fit in the receive buffer. */
		uint64_t buf = 2 * (uint64_t)(c->rcvbuf > 0 ? c->rcvbuf : CONFIG_DEFAULT_RCVBUF);
		uint64_t max = buf / CONFIG_COALESCE_BURST_BYTES_PER_USEC;

		if ((uint64_t)v > max)
			perr(p, s, "key 'coalesce_usec' %s: %lld is more than the receive buffer "
			     "(rcvbuf %" PRIu64 ") holds of a 10 Gb/s burst: at most %" PRIu64
			     " microseconds, or a larger rcvbuf", scope_str(&top), v, buf / 2, max);
		else
			c->coalesce_usec = (uint64_t)v;
	}

	s = config_setting_get_member(root, "workers");
	if (s)
		parse_workers(p, s, &top, c);

	s = config_setting_get_member(root, "policies");
	if (!s || !want_type(p, s, "policies", CONFIG_TYPE_LIST, &top))
		return;
	n = config_setting_length(s);
	if (n > CONFIG_MAX_POLICIES) {
		perr(p, s, "key 'policies' has %d entries, more than the limit of %d", n,
		     CONFIG_MAX_POLICIES);
		return;
	}
	if (n == 0)
		return;
	c->policies = calloc((size_t)n, sizeof(struct policy));
	if (!c->policies) {
		p->oom = true;
		return;
	}
	c->n_policies = (size_t)n;
	for (int i = 0; i < n; i++)
		parse_policy(p, config_setting_get_elem(s, (unsigned)i), i, &c->policies[i]);
	check_duplicates(p, c, policy_name_key, "duplicate policy name", "defined");
	check_duplicates(p, c, policy_pcap_key, "log file already written by another policy:",
			 "used");
}

/* ------------------------------------------------------------------------------------------ */

static void policy_done(struct policy *p)
{
	free(p->name);
	free(p->sources);
	free(p->exclude);
	for (size_t i = 0; i < p->n_interfaces; i++)
		free(p->interfaces[i]);
	free(p->interfaces);
	free(p->outputs);
	free(p->log.pcap_path);
	for (size_t i = 0; i < p->n_inputs; i++)
		input_done(&p->inputs[i]);
	free(p->inputs);
}

struct config *config_free(struct config *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_policies; i++)
		policy_done(&c->policies[i]);
	free(c->policies);
	free(c->path);
	free(c->control.path);
	free(c->control.group);
	free(c->state_dir);
	free(c);
	return NULL;
}

void config_freep(struct config **c)
{
	config_free(*c);
}

static void config_destroyp(config_t **cfg)
{
	if (*cfg)
		config_destroy(*cfg);
}

static void parser_done(struct parser *p)
{
	if (p->out)
		fclose(p->out);
	free(p->text);
}

static int config_new(const char *name, struct config **ret)
{
	_cleanup_(config_freep) struct config *c = NULL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->path = strdup(name);
	c->control.path = strdup(CONFIG_DEFAULT_CONTROL_PATH);
	c->state_dir = strdup(CONFIG_DEFAULT_STATE_DIR);
	if (!c->path || !c->control.path || !c->state_dir)
		return -ENOMEM;
	c->control.mode = 0666;
	c->log.level = LOG_INFO;
	c->coalesce_usec = CONFIG_DEFAULT_COALESCE_USEC;
	c->workers = 1;
	*ret = TAKE_PTR(c);
	return 0;
}

/* Hands the collected messages to the caller: one "file:line: message" per line. */
static int parser_finish(struct parser *p, char **ret_errors)
{
	if (p->n_errors > CONFIG_ERRORS_MAX)
		fprintf(p->out, "%s: %u more errors not shown\n", p->name,
			p->n_errors - CONFIG_ERRORS_MAX);
	if (fclose(TAKE_PTR(p->out)) != 0)
		return -ENOMEM;
	if (ret_errors)
		*ret_errors = TAKE_PTR(p->text);
	return 0;
}

/* Line n (from 1) of text or stream, without its newline, in buf; false when there is none. */
static bool syntax_line(const char *text, FILE *stream, int n, char *buf, size_t size)
{
	_cleanup_fclose_ FILE *mem = NULL;
	FILE *f = stream;

	if (text) {
		mem = fmemopen((void *)text, strlen(text), "r");
		f = mem;
	} else if (f)
		rewind(f);
	if (!f || n < 1)
		return false;
	for (int i = 1; fgets(buf, (int)size, f); i++) {
		bool whole = strchr(buf, '\n');

		if (i == n) {
			buf[strcspn(buf, "\n")] = '\0';
			return true;
		}
		/* the rest of a line longer than buf */
		while (!whole && fgets(buf, (int)size, f))
			whole = strchr(buf, '\n');
	}
	return false;
}

/* What libconfig's "syntax error" most often means, from the line it names: a value that
 * should have been a string (an address, an interface name, a duration with its unit), a
 * comma after the last entry of a list, a string not closed. "" when none of these fits. */
static char syntax_hint(const char *line, char prev, char *buf, size_t size)
{
	/* prev: the last character seen outside strings and white space, from the line before
	 * at first (a list's last comma is often there, its ')' here) */
	bool in_string = false;

	buf[0] = '\0';
	for (const char *c = line; *c; c++) {
		if (in_string) {
			if (*c == '\\' && c[1])
				c++;
			else if (*c == '"')
				in_string = false;
			continue;
		}
		if (*c == '"') {
			in_string = true;
			prev = '"';
			continue;
		}
		if (*c == '#' || (c[0] == '/' && c[1] == '/'))
			break;
		if (*c == ' ' || *c == '\t' || *c == '\r')
			continue;
		if (strchr("=:[(,", prev) && prev &&
		    ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) {
			size_t n = strspn(c, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789_.:*?-");
			const char *after = c + n + strspn(c + n, " \t");
			char word[64], head[64];
			struct in_addr a;
			bool digit = *c >= '0' && *c <= '9', letters = false;

			/* a key (name = ...) after a ',' that ended the setting before it */
			if (*after == '=' || (*after == ':' && prev == ','))
				goto next;
			snprintf(word, sizeof(word), "%.*s", (int)(n < 63 ? n : 63), c);
			snprintf(head, sizeof(head), "%.*s", (int)strcspn(word, ":"), word);
			for (const char *w = word; *w; w++)
				letters = letters || (*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z');
			if (addr_parse_in(head, &a) >= 0) {
				snprintf(buf, size, "addresses are strings: \"%s\"", word);
				return prev;
			}
			if (digit && letters) {
				snprintf(buf, size, "a value with a unit is a string: \"%s\"", word);
				return prev;
			}
			if (!digit && strcasecmp(word, "true") != 0 &&
			    strcasecmp(word, "false") != 0) {
				snprintf(buf, size, "names are strings: \"%s\"", word);
				return prev;
			}
		next:
			c += n - 1;
			prev = c[0];
			continue;
		}
		if ((*c == ')' || *c == ']') && prev == ',') {
			snprintf(buf, size, "no comma after the last entry of a list");
			return prev;
		}
		prev = *c;
	}
	if (in_string)
		snprintf(buf, size, "a string is not closed: a '\"' is missing on this line");
	return prev;
}

/* libconfig's own words for a syntax error, with a hint when the line shows the slip. */
static void syntax_error(struct parser *p, config_t *cfg, const char *text, FILE *stream)
{
	const char *file = config_error_file(cfg);
	_cleanup_fclose_ FILE *inc = NULL;
	char line[1024], hint[160] = "", withhint[256];
	int n = config_error_line(cfg);
	char prev = '\0';

	/* an @include names its own file */
	if (file) {
		inc = fopen(file, "re");
		text = NULL;
		stream = inc;
	}
	if (n > 1 && syntax_line(text, stream, n - 1, line, sizeof(line)))
		prev = syntax_hint(line, '\0', hint, sizeof(hint));
	hint[0] = '\0'; /* the line before only gives its last character */
	if (syntax_line(text, stream, n, line, sizeof(line)))
		syntax_hint(line, prev, hint, sizeof(hint));
	snprintf(withhint, sizeof(withhint), hint[0] ? "%s (%s)" : "%s", config_error_text(cfg),
		 hint);
	if (file)
		fprintf(p->out, "%s:%d: %s\n", file, n, withhint);
	else
		parser_error(p, n, "%s", withhint);
}

/* Reads text or stream (exactly one is non-NULL) under the name shown in messages. */
static int config_parse(const char *text, FILE *stream, const char *name, struct config **ret,
			char **ret_errors)
{
	config_t storage;
	_cleanup_(config_destroyp) config_t *cfg = NULL;
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_(parser_done) struct parser p = { .name = name };
	int ok, r;

	assert(name);
	assert(ret);

	p.out = open_memstream(&p.text, &p.size);
	if (!p.out)
		return -ENOMEM;

	r = config_new(name, &c);
	if (r < 0)
		return r;

	config_init(&storage);
	cfg = &storage;
	ok = text ? config_read_string(cfg, text) : config_read(cfg, stream);
	if (!ok) {
		syntax_error(&p, cfg, text, stream);
		r = parser_finish(&p, ret_errors);
		return r < 0 ? r : -EINVAL;
	}

	parse_root(&p, config_root_setting(cfg), c);
	if (p.oom)
		return -ENOMEM;
	if (p.n_errors > 0) {
		r = parser_finish(&p, ret_errors);
		return r < 0 ? r : -EINVAL;
	}

	*ret = TAKE_PTR(c);
	return 0;
}

int config_parse_string(const char *text, const char *name, struct config **ret,
			char **ret_errors)
{
	assert(text);
	return config_parse(text, NULL, name ?: "<string>", ret, ret_errors);
}

/* Stores "path: message" for an error without a line: the file itself is the problem. */
static int file_error(const char *path, int r, const char *what, char **ret_errors)
{
	if (ret_errors && asprintf(ret_errors, "%s: %s: %s\n", path, what, strerror(-r)) < 0)
		*ret_errors = NULL;
	return r;
}

int config_parse_file(const char *path, struct config **ret, char **ret_errors)
{
	_cleanup_fclose_ FILE *f = NULL;
	struct stat st;

	assert(path);
	assert(ret);

	f = fopen(path, "re");
	if (!f)
		return file_error(path, -errno, "cannot open", ret_errors);
	if (fstat(fileno(f), &st) < 0)
		return file_error(path, -errno, "cannot stat", ret_errors);
	if (S_ISDIR(st.st_mode))
		return file_error(path, -EISDIR, "cannot read", ret_errors);
	if (!S_ISREG(st.st_mode))
		return file_error(path, -EINVAL, "not a regular file", ret_errors);
	if ((uint64_t)st.st_size > CONFIG_FILE_MAX)
		return file_error(path, -EFBIG, "larger than 16 MiB", ret_errors);

	return config_parse(NULL, f, path, ret, ret_errors);
}

const struct policy *config_find_policy(const struct config *c, const char *name)
{
	assert(c);

	if (!name)
		return NULL;
	for (size_t i = 0; i < c->n_policies; i++)
		if (c->policies[i].name && streq(c->policies[i].name, name))
			return &c->policies[i];
	return NULL;
}

bool config_port_receives(const struct config *c, uint16_t port)
{
	assert(c);

	if (port == 0)
		return true;
	for (size_t i = 0; i < c->n_policies; i++)
		if (c->policies[i].action != POLICY_ACTION_JOIN) {
			if (c->policies[i].port == port)
				return true;
			for (size_t k = 0; k < c->policies[i].n_inputs; k++)
				if (c->policies[i].inputs[k].port == port)
					return true;
		}
	return false;
}

static bool names_match(char *const *names, size_t n, const char *ifname)
{
	for (size_t i = 0; i < n; i++) {
		const char *e = names[i];

		/* A name without * ? [ is taken literally, as members.c takes it: fnmatch(3)
		 * would read a backslash in it (legal in an interface name) as an escape. */
		if (ifname_is_pattern(e) ? fnmatch(e, ifname, 0) == 0 : streq(e, ifname))
			return true;
	}
	return false;
}

bool policy_matches_interface(const struct policy *p, const char *ifname)
{
	assert(p);

	if (!ifname)
		return false;
	if (names_match(p->interfaces, p->n_interfaces, ifname))
		return true;
	for (size_t i = 0; i < p->n_inputs; i++)
		if (names_match(p->inputs[i].interfaces, p->inputs[i].n_interfaces, ifname))
			return true;
	return false;
}
