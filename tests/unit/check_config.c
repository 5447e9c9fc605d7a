/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/ipv4optd/config: what parses into what, and what a user is told when the
 * file is wrong (file, line, key and value in each message; every problem at once). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "ipv4optd/config.h"
#include "macro.h"

/* libconfig 1.5 (Debian 12) leaks the string token at which it reports a syntax error (see
 * tests/fuzz/fuzz_config.c, which explains it: fixed upstream in 1.7.3); test_operator_slips
 * makes such errors on purpose. Read by LeakSanitizer at startup. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig_yylex\nleak:strbuf_append\n";
}

#define NAME "t.conf"

static const char sample[] =
	"control = { path = \"/run/ipv4optd/ipv4optd.sock\"; group = \"ipv4opt\"; mode = \"0666\"; };\n"
	"log = { level = \"info\"; };\n"
	"state_dir = \"/var/lib/ipv4optd\";\n"
	"rcvbuf = 4194304;\n"
	"coalesce_usec = 2000;\n"
	"policies = (\n"
	"  { name = \"iptv\"; group = \"239.1.1.1\"; interfaces = [ \"eth0\", \"vlan1*\" ]; port = 5000; action = \"join\"; },\n"
	"  { name = \"feed-a\"; group = \"232.1.1.1\"; sources = [ \"10.1.1.5\" ]; interfaces = [ \"eth1\" ];\n"
	"    port = 5001; action = \"relay\";\n"
	"    relay = { to = \"239.2.2.2:6000\"; interface = \"eth2\"; dscp = \"AF41\"; ttl = 8; }; },\n"
	"  { name = \"probe\"; group = \"239.9.9.9\"; exclude = [ \"10.9.9.9\" ]; interfaces = [ \"eth*\" ];\n"
	"    port = 7000; action = \"log\"; log = { target = \"pcap\"; file = \"/var/lib/ipv4optd/probe.pcap\"; max_size = 10485760; }; stall_timeout = 30; rejoin_interval = 0; }\n"
	");\n";

/* A valid policy line to embed in test configs. */
#define JOIN(name) "{ name = \"" name "\"; group = \"239.1.1.1\"; interfaces = [ \"eth0\" ]; action = \"join\"; }"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Parses text that must be invalid; returns the messages. */
static char *parse_bad(const char *text)
{
	struct config *c = (struct config *)0x1;
	char *errors = NULL;
	int r;

	r = config_parse_string(text, NAME, &c, &errors);
	ck_assert_msg(r == -EINVAL, "r=%d for:\n%s", r, text);
	ck_assert_ptr_eq(c, (struct config *)0x1); /* ret_ untouched on failure */
	ck_assert_ptr_nonnull(errors);
	return errors;
}

static struct config *parse_good(const char *text)
{
	_cleanup_free_ char *errors = NULL;
	struct config *c = NULL;
	int r;

	r = config_parse_string(text, NAME, &c, &errors);
	ck_assert_msg(r == 0, "r=%d errors:\n%s\nfor:\n%s", r, errors ?: "", text);
	ck_assert_ptr_nonnull(c);
	return c;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* True if some line of errors starts with "t.conf:LINE: " and contains every needle. */
static bool has_error(const char *errors, int line, const char *needle, const char *needle2)
{
	char prefix[64];
	const char *l = errors;

	snprintf(prefix, sizeof(prefix), NAME ":%d: ", line);
	while (*l) {
		const char *end = strchr(l, '\n') ?: l + strlen(l);
		_cleanup_free_ char *one = strndup(l, (size_t)(end - l));

		if (strncmp(one, prefix, strlen(prefix)) == 0 && strstr(one, needle) &&
		    (!needle2 || strstr(one, needle2)))
			return true;
		l = *end ? end + 1 : end;
	}
	return false;
}

/* Asserts text fails with exactly one message, on line, holding both needles. */
#define ck_bad(text, line, needle, needle2)                                                    \
	do {                                                                                   \
		_cleanup_free_ char *_e = parse_bad(text);                                     \
		ck_assert_msg(has_error(_e, (line), (needle), (needle2)),                      \
			      "expected line %d with \"%s\"/\"%s\", got:\n%s", (line), (needle),   \
			      (const char *)(needle2) ?: "", _e);                                \
		ck_assert_msg(count_lines(_e) == 1, "expected one message, got:\n%s", _e);   \
	} while (0)

/* A config of one policy whose body is given (name "p", on line 2). */
static char *policy(const char *body)
{
	char *s;

	ck_assert_int_ge(asprintf(&s, "policies = (\n{ name = \"p\"; %s }\n);\n", body), 0);
	return s;
}

#define ck_bad_policy(body, line, needle, needle2)                                             \
	do {                                                                                   \
		_cleanup_free_ char *_t = policy(body);                                        \
		ck_bad(_t, line, needle, needle2);                                             \
	} while (0)

#define BASE "group = \"239.1.1.1\"; interfaces = [ \"eth0\" ]; "

/* ------------------------------------------------------------------------------------------ */

START_TEST(test_sample)
{
	_cleanup_(config_freep) struct config *c = parse_good(sample);
	const struct policy *p;

	ck_assert_str_eq(c->path, NAME);
	ck_assert_str_eq(c->control.path, "/run/ipv4optd/ipv4optd.sock");
	ck_assert_str_eq(c->control.group, "ipv4opt");
	ck_assert_uint_eq(c->control.mode, 0666);
	ck_assert_int_eq(c->log.level, LOG_INFO);
	ck_assert_str_eq(c->state_dir, "/var/lib/ipv4optd");
	ck_assert_int_eq(c->rcvbuf, 4194304);
	ck_assert_uint_eq(c->coalesce_usec, 2000);
	ck_assert_uint_eq(c->n_policies, 3);

	p = &c->policies[0];
	ck_assert_str_eq(p->name, "iptv");
	ck_assert_int_eq(p->line, 7);
	ck_assert_uint_eq(p->group.s_addr, ip("239.1.1.1"));
	ck_assert_uint_eq(p->n_sources, 0);
	ck_assert_uint_eq(p->n_exclude, 0);
	ck_assert_uint_eq(p->n_interfaces, 2);
	ck_assert_str_eq(p->interfaces[0], "eth0");
	ck_assert_str_eq(p->interfaces[1], "vlan1*");
	ck_assert_uint_eq(p->port, 5000);
	ck_assert_int_eq(p->action, POLICY_ACTION_JOIN);
	ck_assert_uint_eq(p->n_outputs, 0);
	ck_assert_ptr_null(p->outputs);
	ck_assert_int_eq(p->log.target, LOG_TARGET_JOURNAL);
	ck_assert_uint_eq(p->stall_timeout_usec, 0);
	ck_assert_uint_eq(p->rejoin_interval_usec, 0);

	p = &c->policies[1];
	ck_assert_str_eq(p->name, "feed-a");
	ck_assert_int_eq(p->line, 8);
	ck_assert_uint_eq(p->group.s_addr, ip("232.1.1.1"));
	ck_assert_uint_eq(p->n_sources, 1);
	ck_assert_uint_eq(p->sources[0].s_addr, ip("10.1.1.5"));
	ck_assert_uint_eq(p->n_interfaces, 1);
	ck_assert_str_eq(p->interfaces[0], "eth1");
	ck_assert_uint_eq(p->port, 5001);
	ck_assert_int_eq(p->action, POLICY_ACTION_RELAY);
	ck_assert_uint_eq(p->n_outputs, 1);
	ck_assert_int_eq(p->outputs[0].to.sin_family, AF_INET);
	ck_assert_uint_eq(p->outputs[0].to.sin_addr.s_addr, ip("239.2.2.2"));
	ck_assert_uint_eq(ntohs(p->outputs[0].to.sin_port), 6000);
	ck_assert_str_eq(p->outputs[0].interface, "eth2");
	ck_assert(p->outputs[0].has_dscp);
	ck_assert_uint_eq(p->outputs[0].dscp, 34);
	ck_assert_int_eq(p->outputs[0].ttl, 8);
	ck_assert_uint_eq(c->policies[2].n_outputs, 0);

	p = &c->policies[2];
	ck_assert_str_eq(p->name, "probe");
	ck_assert_int_eq(p->line, 11);
	ck_assert_uint_eq(p->group.s_addr, ip("239.9.9.9"));
	ck_assert_uint_eq(p->n_sources, 0);
	ck_assert_uint_eq(p->n_exclude, 1);
	ck_assert_uint_eq(p->exclude[0].s_addr, ip("10.9.9.9"));
	ck_assert_str_eq(p->interfaces[0], "eth*");
	ck_assert_uint_eq(p->port, 7000);
	ck_assert_int_eq(p->action, POLICY_ACTION_LOG);
	ck_assert_int_eq(p->log.target, LOG_TARGET_PCAP);
	ck_assert_str_eq(p->log.pcap_path, "/var/lib/ipv4optd/probe.pcap");
	ck_assert_uint_eq(p->log.pcap_max_size, 10485760);
	ck_assert_uint_eq(p->log.pcap_max_files, 0); /* not given: capture's default */
	ck_assert_uint_eq(p->stall_timeout_usec, 30000000);
	ck_assert_uint_eq(p->rejoin_interval_usec, 0);

	ck_assert_ptr_eq(config_find_policy(c, "feed-a"), &c->policies[1]);
	ck_assert_ptr_null(config_find_policy(c, "feed"));
	ck_assert_ptr_null(config_find_policy(c, NULL));
}
END_TEST

START_TEST(test_defaults)
{
	_cleanup_(config_freep) struct config *c = parse_good("policies = ( " JOIN("a") " );");
	_cleanup_(config_freep) struct config *e = parse_good("");
	const struct policy *p = &c->policies[0];

	ck_assert_str_eq(c->control.path, CONFIG_DEFAULT_CONTROL_PATH);
	ck_assert_ptr_null(c->control.group);
	ck_assert_uint_eq(c->control.mode, 0666);
	ck_assert_int_eq(c->log.level, LOG_INFO);
	ck_assert_str_eq(c->state_dir, CONFIG_DEFAULT_STATE_DIR);
	ck_assert_str_eq(CONFIG_DEFAULT_STATE_DIR, LOCALSTATEDIR "/lib/ipv4optd");
	ck_assert_int_eq(c->rcvbuf, 0);
	ck_assert_uint_eq(c->coalesce_usec, CONFIG_DEFAULT_COALESCE_USEC);
	ck_assert_uint_eq(CONFIG_DEFAULT_COALESCE_USEC, 500);
	ck_assert_uint_eq(c->workers, 1);
	ck_assert_uint_eq(e->workers, 1);
	ck_assert_uint_eq(p->port, 0);
	ck_assert_uint_eq(p->n_outputs, 0);
	ck_assert_int_eq(p->log.target, LOG_TARGET_JOURNAL);
	ck_assert_ptr_null(p->log.pcap_path);
	ck_assert_uint_eq(p->log.rate_limit, 0);

	/* an empty file is a daemon with nothing to hold */
	ck_assert_uint_eq(e->n_policies, 0);
	ck_assert_str_eq(e->control.path, CONFIG_DEFAULT_CONTROL_PATH);
}
END_TEST

START_TEST(test_values)
{
	_cleanup_(config_freep) struct config *c = parse_good(
		"control = { mode = \"0660\"; };\n"
		"log = { level = \"debug\"; };\n"
		"policies = (\n"
		"{ name = \"A.b_c-9\"; group = \"224.0.0.0\"; interfaces = ( \"x\" ); action = \"relay\";\n"
		"  port = 65535; relay = { to = \"10.0.0.1:1\"; dscp = 46; }; stall_timeout = 1.5;\n"
		"  rejoin_interval = 125L; },\n"
		"{ name = \"j\"; group = \"239.255.255.255\"; interfaces = [ \"e\" ]; action = \"log\";\n"
		"  port = 1; log = { rate_limit = 50; }; },\n"
		"{ name = \"d\"; group = \"239.1.1.1\"; interfaces = [ \"e\" ]; action = \"relay\";\n"
		"  port = 9; relay = { to = \"239.1.1.1:10\"; dscp = \"0x2e\"; ttl = 255; }; }\n"
		");\n");

	ck_assert_uint_eq(c->control.mode, 0660);
	ck_assert_int_eq(c->log.level, LOG_DEBUG);
	ck_assert_str_eq(c->policies[0].interfaces[0], "x");
	ck_assert_uint_eq(c->policies[0].port, 65535);
	ck_assert_uint_eq(c->policies[0].n_outputs, 1);
	ck_assert_uint_eq(c->policies[0].outputs[0].to.sin_addr.s_addr, ip("10.0.0.1"));
	ck_assert_uint_eq(c->policies[0].outputs[0].dscp, 46);
	/* unset: the kernel's default TTL, the interface by route */
	ck_assert_int_eq(c->policies[0].outputs[0].ttl, -1);
	ck_assert_str_eq(c->policies[0].outputs[0].interface, "");
	ck_assert_uint_eq(c->policies[0].stall_timeout_usec, 1500000);
	ck_assert_uint_eq(c->policies[0].rejoin_interval_usec, 125000000);
	ck_assert_uint_eq(c->policies[1].log.rate_limit, 50);
	ck_assert_uint_eq(c->policies[2].outputs[0].dscp, 46);
	ck_assert_int_eq(c->policies[2].outputs[0].ttl, 255);
}
END_TEST

START_TEST(test_syntax_error)
{
	ck_bad("log = { level = \"info\"; };\npolicies = (\n { name = \"x\";\n group = ; }\n);\n",
	       4, "syntax error", NULL);
	ck_bad("policies = (\n { name = \"x\"; }\n", 3, "syntax error", NULL);
	/* libconfig refuses a key given twice */
	ck_bad("state_dir = \"/a\";\nstate_dir = \"/b\";\n", 2, "duplicate setting name", NULL);
}
END_TEST

START_TEST(test_group)
{
	ck_bad_policy("group = \"10.1.1.1\"; interfaces = [ \"eth0\" ]; action = \"join\";", 2,
		      "key 'group' in policy 'p'", "\"10.1.1.1\" is not a multicast address");
	ck_bad_policy("group = \"240.0.0.1\"; interfaces = [ \"eth0\" ]; action = \"join\";", 2,
		      "key 'group'", "240.0.0.1");
	ck_bad_policy("group = \"239.1.1\"; interfaces = [ \"eth0\" ]; action = \"join\";", 2,
		      "key 'group'", "\"239.1.1\" is not an IPv4 address");
	ck_bad_policy("group = \" 239.1.1.1\"; interfaces = [ \"eth0\" ]; action = \"join\";", 2,
		      "key 'group'", "not an IPv4 address");
}
END_TEST

START_TEST(test_sources)
{
	ck_bad_policy(BASE "action = \"join\"; sources = [ \"10.1.1.5\",\n \"239.1.1.2\" ];", 3,
		      "key 'sources' in policy 'p'", "\"239.1.1.2\" is a multicast address");
	ck_bad_policy(BASE "action = \"join\"; exclude = [ \"224.0.0.1\" ];", 2,
		      "key 'exclude'", "\"224.0.0.1\" is a multicast address");
	ck_bad_policy(BASE "action = \"join\"; sources = [ \"0.0.0.0\" ];", 2, "key 'sources'",
		      "\"0.0.0.0\" cannot be a source");
	ck_bad_policy(BASE "action = \"join\"; exclude = [ \"255.255.255.255\" ];", 2,
		      "key 'exclude'", "\"255.255.255.255\" cannot be a source");
	ck_bad_policy(BASE "action = \"join\"; sources = [ \"10.1.1\" ];", 2, "key 'sources'",
		      "\"10.1.1\" is not an IPv4 address");
	ck_bad_policy(BASE "action = \"join\"; sources = [ \"10.1.1.5\", \"10.1.1.5\" ];", 2,
		      "key 'sources'", "listed twice");
	ck_bad_policy(BASE "action = \"join\"; sources = [ ];", 2, "key 'sources'", "empty");
	ck_bad_policy(BASE "action = \"join\"; sources = \"10.1.1.5\";", 2, "key 'sources'",
		      "must be a list");
	ck_bad_policy(BASE "action = \"join\"; sources = ( \"10.1.1.5\", 7 );", 2,
		      "key 'sources'", "entry 2 must be a string");
	ck_bad_policy(BASE "action = \"join\"; sources = [ \"10.1.1.5\" ];\n"
			   "exclude = [ \"10.1.1.6\" ];", 3,
		      "keys 'sources' and 'exclude' in policy 'p'", "cannot both be set");
}
END_TEST

START_TEST(test_port)
{
	ck_bad_policy(BASE "action = \"join\"; port = 0;", 2, "key 'port' in policy 'p'",
		      "0 is out of range (1-65535)");
	ck_bad_policy(BASE "action = \"join\"; port = 65536;", 2, "key 'port'", "65536");
	ck_bad_policy(BASE "action = \"join\"; port = -5;", 2, "key 'port'", "-5");
	ck_bad_policy(BASE "action = \"join\"; port = \"5000\";", 2, "key 'port'",
		      "must be an integer, not a string");
	ck_bad_policy(BASE "action = \"log\";", 2, "missing key 'port' in policy 'p'",
		      "action \"log\"");
	ck_bad_policy(BASE "action = \"relay\"; relay = { to = \"10.0.0.1:5\"; };", 2,
		      "missing key 'port'", "action \"relay\"");
}
END_TEST

START_TEST(test_relay)
{
#define R(to) BASE "action = \"relay\"; port = 5000;\nrelay = { to = \"" to "\"; };"
	ck_bad_policy(R("239.2.2.2"), 3, "key 'to' in relay of policy 'p'",
		      "\"239.2.2.2\" is not ADDR:PORT");
	ck_bad_policy(R("239.2.2.2:"), 3, "key 'to'", "not ADDR:PORT");
	ck_bad_policy(R(":6000"), 3, "key 'to'", "not ADDR:PORT");
	ck_bad_policy(R("239.2.2:6000"), 3, "key 'to'", "not ADDR:PORT");
	ck_bad_policy(R("host:6000"), 3, "key 'to'", "not ADDR:PORT");
	ck_bad_policy(R("239.2.2.2:0"), 3, "key 'to'", "port must be 1-65535");
	ck_bad_policy(R("239.2.2.2:65536"), 3, "key 'to'", "port must be 1-65535");
	ck_bad_policy(R("0.0.0.0:6000"), 3, "key 'to'", "neither a unicast nor a multicast");
	ck_bad_policy(R("239.1.1.1:5000"), 3, "key 'to'", "own group and port");
#undef R
	ck_bad_policy(BASE "action = \"relay\"; port = 5000;", 2,
		      "missing key 'relay' in policy 'p'", "action \"relay\"");
	ck_bad_policy(BASE "action = \"relay\"; port = 5000;\nrelay = { ttl = 3; };", 3,
		      "missing key 'to' in relay of policy 'p'", NULL);
	ck_bad_policy(BASE "action = \"relay\"; port = 5000; relay = \"239.2.2.2:1\";", 2,
		      "key 'relay' in policy 'p'", "must be a group");
	ck_bad_policy(BASE "action = \"join\";\nrelay = { to = \"239.2.2.2:1\"; };", 3,
		      "key 'relay' in policy 'p'", "needs action \"relay\"");

#define RR(more) BASE "action = \"relay\"; port = 5000;\nrelay = { to = \"239.2.2.2:1\"; " more " };"
	ck_bad_policy(RR("dscp = \"AF99\";"), 3, "key 'dscp' in relay of policy 'p'",
		      "\"AF99\" is not a DSCP name");
	ck_bad_policy(RR("dscp = \"64\";"), 3, "key 'dscp'", "\"64\"");
	ck_bad_policy(RR("dscp = 64;"), 3, "key 'dscp'", "64 is out of range (0-63)");
	ck_bad_policy(RR("dscp = 1.5;"), 3, "key 'dscp'", "must be a string or an integer");
	ck_bad_policy(RR("ttl = 0;"), 3, "key 'ttl' in relay of policy 'p'",
		      "0 is out of range (1-255)");
	ck_bad_policy(RR("ttl = 256;"), 3, "key 'ttl'", "256 is out of range (1-255)");
	ck_bad_policy(RR("interface = \"averyveryverylongname\";"), 3, "key 'interface'",
		      "\"averyveryverylongname\" is not a valid interface name");
	ck_bad_policy(RR("interface = \"eth*\";"), 3, "key 'interface'", "pattern");
#undef RR
}
END_TEST

/* relay = ( { ... }, ... ): fan-out, each output with its own destination, egress, DSCP, TTL. */
START_TEST(test_relay_outputs)
{
	_cleanup_free_ char *t = policy(
		BASE "action = \"relay\"; port = 5000;\nrelay = (\n"
		"  { to = \"239.2.2.2:6000\"; interface = \"eth1\"; dscp = \"EF\"; ttl = 4; },\n"
		"  { to = \"10.0.0.9:7000\"; },\n"
		/* the same destination out another interface is another output */
		"  { to = \"239.2.2.2:6000\"; interface = \"eth2\"; dscp = 10; ttl = 64; }\n"
		");");
	_cleanup_(config_freep) struct config *c = parse_good(t);
	const struct policy *p = &c->policies[0];

	ck_assert_uint_eq(p->n_outputs, 3);
	ck_assert_uint_eq(p->outputs[0].to.sin_addr.s_addr, ip("239.2.2.2"));
	ck_assert_uint_eq(ntohs(p->outputs[0].to.sin_port), 6000);
	ck_assert_str_eq(p->outputs[0].interface, "eth1");
	ck_assert(p->outputs[0].has_dscp);
	ck_assert_uint_eq(p->outputs[0].dscp, 46);
	ck_assert_int_eq(p->outputs[0].ttl, 4);

	ck_assert_int_eq(p->outputs[1].to.sin_family, AF_INET);
	ck_assert_uint_eq(p->outputs[1].to.sin_addr.s_addr, ip("10.0.0.9"));
	ck_assert_uint_eq(ntohs(p->outputs[1].to.sin_port), 7000);
	ck_assert_str_eq(p->outputs[1].interface, "");
	ck_assert(!p->outputs[1].has_dscp);
	ck_assert_int_eq(p->outputs[1].ttl, -1);

	ck_assert_uint_eq(p->outputs[2].to.sin_addr.s_addr, ip("239.2.2.2"));
	ck_assert_uint_eq(ntohs(p->outputs[2].to.sin_port), 6000);
	ck_assert_str_eq(p->outputs[2].interface, "eth2");
	ck_assert(p->outputs[2].has_dscp);
	ck_assert_uint_eq(p->outputs[2].dscp, 10);
	ck_assert_int_eq(p->outputs[2].ttl, 64);
}
END_TEST

/* A relay policy of n outputs, one per line from line 4 on, to 239.3.X.Y:6000. */
static char *many_outputs(int n)
{
	char *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);

	ck_assert_ptr_nonnull(f);
	fprintf(f, "policies = (\n{ name = \"p\"; " BASE "action = \"relay\"; port = 5000;\n"
		"relay = (\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "{ to = \"239.3.%d.%d:6000\"; }%s\n", i / 250, i % 250 + 1,
			i + 1 < n ? "," : "");
	fprintf(f, "); }\n);\n");
	fclose(f);
	return s;
}

START_TEST(test_relay_outputs_bad)
{
	_cleanup_free_ char *ok = many_outputs(CONFIG_MAX_OUTPUTS);
	_cleanup_free_ char *bad = many_outputs(CONFIG_MAX_OUTPUTS + 1);
	_cleanup_(config_freep) struct config *c = parse_good(ok);

	ck_assert_uint_eq(c->policies[0].n_outputs, CONFIG_MAX_OUTPUTS);
	ck_assert_uint_eq(c->policies[0].outputs[CONFIG_MAX_OUTPUTS - 1].to.sin_addr.s_addr,
			  ip("239.3.0.64"));
	ck_bad(bad, 3, "key 'relay' in policy 'p'", "has 65 outputs, more than the limit of 64");

#define L(list) BASE "action = \"relay\"; port = 5000;\nrelay = " list ";"
	ck_bad_policy(L("( )"), 3, "key 'relay' in policy 'p'", "is an empty list");
	ck_bad_policy(L("[ ]"), 3, "key 'relay' in policy 'p'", "is an empty list");
	/* libconfig 1.5 dates a list element by the token after it: keep ")" on its line */
	ck_bad_policy(L("(\n { to = \"239.2.2.2:1\"; },\n \"239.2.2.3:1\" )"), 5,
		      "key 'relay' in policy 'p': entry 2", "must be a group { ... }, not a string");
	ck_bad_policy(L("[ \"239.2.2.3:1\" ]"), 3, "key 'relay' in policy 'p': entry 1",
		      "must be a group { ... }, not a string");
	/* the same destination out the same interface (or both by route) twice */
	ck_bad_policy(L("(\n { to = \"239.2.2.2:1\"; interface = \"eth1\"; },\n"
			" { to = \"239.2.2.3:1\"; },\n"
			" { to = \"239.2.2.2:1\"; interface = \"eth1\"; ttl = 9; }\n)"), 6,
		      "key 'to' in relay #3 of policy 'p'",
		      "\"239.2.2.2:1\" out eth1 is already relay #1 (line 4)");
	ck_bad_policy(L("(\n { to = \"10.1.1.1:1\"; },\n { to = \"10.1.1.1:1\"; dscp = 8; }\n)"), 5,
		      "key 'to' in relay #2 of policy 'p'",
		      "\"10.1.1.1:1\" out the route's interface is already relay #1 (line 4)");
	/* an output to the policy's own group and port: it would receive its own output */
	ck_bad_policy(L("(\n { to = \"239.2.2.2:1\"; },\n { to = \"239.1.1.1:5000\"; }\n)"), 5,
		      "key 'to' in relay #2 of policy 'p'", "own group and port");
	/* each output is checked as the single one is, with its own line */
	ck_bad_policy(L("(\n { to = \"239.2.2.2:1\"; },\n { to = \"239.2.2.3:1\"; ttl = 0; }\n)"), 5,
		      "key 'ttl' in relay #2 of policy 'p'", "0 is out of range (1-255)");
	ck_bad_policy(L("(\n { to = \"239.2.2.2:1\"; },\n { to = \"239.2.2.3\"; }\n)"), 5,
		      "key 'to' in relay #2 of policy 'p'", "\"239.2.2.3\" is not ADDR:PORT");
	ck_bad_policy(L("(\n { to = \"239.2.2.2:1\"; },\n { to = \"239.2.2.3:1\"; dscp = \"AF99\"; }\n)"),
		      5, "key 'dscp' in relay #2 of policy 'p'", "\"AF99\" is not a DSCP name");
	ck_bad_policy(L("(\n { to = \"239.2.2.2:1\"; interface = \"eth*\"; }\n)"), 4,
		      "key 'interface' in relay #1 of policy 'p'", "pattern");
	ck_bad_policy(L("(\n { to = \"239.2.2.2:1\"; },\n { to = \"239.2.2.3:1\"; tll = 3; }\n)"), 5,
		      "unknown key 'tll' in relay #2 of policy 'p'", "(did you mean 'ttl'?)");
	ck_bad_policy(L("(\n { to = \"239.2.2.2:1\"; },\n { ttl = 3; }\n)"), 5,
		      "missing key 'to' in relay #2 of policy 'p'", NULL);
	ck_bad_policy(BASE "action = \"relay\"; port = 5000; relay = 5;", 2,
		      "key 'relay' in policy 'p'",
		      "must be a group { ... } or a list ( { ... }, ... ) of them, not an integer");
#undef L
}
END_TEST

START_TEST(test_log)
{
#define L(more) BASE "action = \"log\"; port = 7000;\nlog = { " more " };"
	ck_bad_policy(L("target = \"syslog\";"), 3, "key 'target' in log of policy 'p'",
		      "unknown target \"syslog\"");
	ck_bad_policy(L("target = \"pcap\";"), 3, "missing key 'file' in log of policy 'p'",
		      "pcap");
	ck_bad_policy(L("target = \"pcap\"; file = \"x.pcap\";"), 3, "key 'file'",
		      "\"x.pcap\" is not an absolute path");
	ck_bad_policy(L("target = \"pcap\"; file = \"/x.pcap\"; max_size = -1;"), 3,
		      "key 'max_size'", "-1 is out of range");
	ck_bad_policy(L("target = \"pcap\"; file = \"/x.pcap\"; rate_limit = 5;"), 3,
		      "key 'rate_limit'", "only to target \"journal\"");
	ck_bad_policy(L("file = \"/x.pcap\";"), 3, "key 'file'", "only to target \"pcap\"");
	ck_bad_policy(L("rate_limit = -1;"), 3, "key 'rate_limit'", "out of range");
	ck_bad_policy(L("target = \"pcap\"; file = \"/x.pcap\"; max_files = 0;"), 3,
		      "key 'max_files' in log of policy 'p'", "out of range");
	ck_bad_policy(L("target = \"pcap\"; file = \"/x.pcap\"; max_files = 1001;"), 3,
		      "key 'max_files'", "out of range");
	ck_bad_policy(L("max_files = 3;"), 3, "key 'max_files'", "only to target \"pcap\"");
#undef L
	ck_bad_policy(BASE "action = \"join\";\nlog = { target = \"journal\"; };", 3,
		      "key 'log' in policy 'p'", "needs action \"log\"");
	ck_bad_policy(BASE "action = \"relay\"; port = 1; relay = { to = \"239.2.2.2:1\"; };\n"
			   "log = { };", 3, "key 'log'", "needs action \"log\"");
}
END_TEST

START_TEST(test_timers)
{
#define T(more) BASE "action = \"log\"; port = 7000;\n" more
	ck_bad_policy(T("stall_timeout = -1;"), 3, "key 'stall_timeout' in policy 'p'",
		      "-1 is out of range");
	ck_bad_policy(T("rejoin_interval = -0.5;"), 3, "key 'rejoin_interval'",
		      "-0.5 is out of range");
	ck_bad_policy(T("stall_timeout = \"30s\";"), 3, "key 'stall_timeout'",
		      "must be a number of seconds");
	ck_bad_policy(T("rejoin_interval = 1e12;"), 3, "key 'rejoin_interval'", "out of range");
#undef T
	ck_bad_policy(BASE "action = \"join\";\nstall_timeout = 30;", 3, "key 'stall_timeout'",
		      "needs action \"relay\" or \"log\"");
}
END_TEST

/* Stream analysis: analyze and rtp_clock_rate, the monitor action (receives, sends nothing). */
START_TEST(test_analyze)
{
	struct config *c;
	const struct policy *p;

	c = parse_good("policies = (\n"
		       "{ name = \"m\"; " BASE "port = 5000; action = \"monitor\"; },\n"
		       "{ name = \"r\"; " BASE "port = 5001; action = \"relay\";\n"
		       "  relay = { to = \"239.2.2.2:1\"; }; analyze = \"rtp\"; rtp_clock_rate = 48000; },\n"
		       "{ name = \"l\"; " BASE "port = 5002; action = \"log\"; analyze = \"ts\"; },\n"
		       "{ name = \"n\"; " BASE "port = 5003; action = \"log\"; },\n"
		       "{ name = \"mn\"; " BASE "port = 5004; action = \"monitor\"; analyze = \"none\"; }\n"
		       ");\n");
	p = config_find_policy(c, "m");
	ck_assert_int_eq(p->action, POLICY_ACTION_MONITOR);
	ck_assert_int_eq(p->analyze, STREAM_FORMAT_AUTO); /* monitor's default */
	ck_assert_uint_eq(p->rtp_clock_rate, 0);
	ck_assert_uint_eq(p->n_outputs, 0);
	p = config_find_policy(c, "r");
	ck_assert_int_eq(p->analyze, STREAM_FORMAT_RTP);
	ck_assert_uint_eq(p->rtp_clock_rate, 48000);
	ck_assert_int_eq(config_find_policy(c, "l")->analyze, STREAM_FORMAT_TS);
	ck_assert_int_eq(config_find_policy(c, "n")->analyze, STREAM_FORMAT_NONE);
	ck_assert_int_eq(config_find_policy(c, "mn")->analyze, STREAM_FORMAT_NONE);
	ck_assert(config_port_receives(c, 5000));
	ck_assert_str_eq(policy_action_to_string(POLICY_ACTION_MONITOR), "monitor");
	config_free(c);

#define M(more) BASE "action = \"monitor\"; port = 7000;\n" more
	ck_bad_policy(M("analyze = \"mp4\";"), 3, "key 'analyze' in policy 'p'",
		      "unknown format \"mp4\" (none, rtp, ts or auto)");
	ck_bad_policy(M("analyze = 1;"), 3, "key 'analyze'", "string");
	ck_bad_policy(M("rtp_clock_rate = 999;"), 3, "key 'rtp_clock_rate'", "out of range");
	ck_bad_policy(M("rtp_clock_rate = 10000001;"), 3, "key 'rtp_clock_rate'", "out of range");
	ck_bad_policy(M("analyze = \"ts\"; rtp_clock_rate = 90000;"), 3, "key 'rtp_clock_rate'",
		      "needs analyze \"rtp\" or \"auto\"");
	ck_bad_policy(M("relay = { to = \"239.2.2.2:1\"; };"), 3, "key 'relay'",
		      "needs action \"relay\"");
	ck_bad_policy(M("log = { };"), 3, "key 'log'", "needs action \"log\"");
#undef M
	ck_bad_policy(BASE "action = \"monitor\";", 2, "missing key 'port'", "\"monitor\"");
	ck_bad_policy(BASE "action = \"join\";\nanalyze = \"rtp\";", 3, "key 'analyze'",
		      "a join policy receives no datagrams");
	ck_bad_policy(BASE "action = \"join\";\nrtp_clock_rate = 8000;", 3,
		      "key 'rtp_clock_rate'", "needs action");
	ck_bad_policy(BASE "action = \"watch\";", 2, "unknown action \"watch\"",
		      "join, relay, log or monitor");
}
END_TEST

/* Redundant inputs: inputs, redundancy and their keys; the refusals name file:line. */
START_TEST(test_inputs)
{
	struct config *c;
	const struct policy *p;

	c = parse_good("policies = (\n"
		       "{ name = \"m\"; port = 5000; action = \"relay\";\n"
		       "  relay = { to = \"239.9.9.9:6000\"; };\n"
		       "  redundancy = \"merge\"; merge_window_ms = 30;\n"
		       "  inputs = ( { group = \"239.1.1.1\"; interfaces = [ \"a*\" ]; },\n"
		       "             { group = \"239.1.1.2\"; sources = [ \"10.0.0.1\" ];\n"
		       "               interfaces = [ \"b0\" ]; port = 5002; } ); },\n"
		       "{ name = \"f\"; port = 5010; action = \"log\"; redundancy = \"failover\";\n"
		       "  failover_timeout_ms = 300; revert_after = 0;\n"
		       "  inputs = ( { group = \"239.1.1.3\"; interfaces = [ \"a0\" ]; },\n"
		       "             { group = \"239.1.1.3\"; exclude = [ \"10.0.0.9\" ];\n"
		       "               interfaces = [ \"b0\" ]; } ); }\n"
		       ");\n");
	p = config_find_policy(c, "m");
	ck_assert_int_eq(p->redundancy, POLICY_REDUNDANCY_MERGE);
	ck_assert_uint_eq(p->n_inputs, 2);
	ck_assert_uint_eq(p->merge_window_usec, 30000);
	ck_assert_int_eq(p->analyze, STREAM_FORMAT_RTP); /* implied by merge */
	ck_assert_uint_eq(p->inputs[0].group.s_addr, ip("239.1.1.1"));
	ck_assert_uint_eq(p->inputs[0].port, 5000); /* the policy's */
	ck_assert_uint_eq(p->inputs[1].port, 5002);
	ck_assert_uint_eq(p->inputs[1].n_sources, 1);
	ck_assert_int_eq(p->inputs[1].line, 6);
	ck_assert_uint_eq(p->n_interfaces, 0);
	ck_assert(policy_matches_interface(p, "a7"));
	ck_assert(policy_matches_interface(p, "b0"));
	ck_assert(!policy_matches_interface(p, "c0"));
	ck_assert(config_port_receives(c, 5002));
	p = config_find_policy(c, "f");
	ck_assert_int_eq(p->redundancy, POLICY_REDUNDANCY_FAILOVER);
	ck_assert_uint_eq(p->failover_timeout_usec, 300000);
	ck_assert_uint_eq(p->revert_after_usec, 0);
	ck_assert_uint_eq(p->inputs[1].n_exclude, 1);
	config_free(c);

	/* defaults */
	c = parse_good("policies = ( { name = \"f\"; port = 5010; action = \"log\";\n"
		       "  redundancy = \"failover\";\n"
		       "  inputs = ( { group = \"239.1.1.3\"; interfaces = [ \"a0\" ]; },\n"
		       "             { group = \"239.1.1.3\"; interfaces = [ \"b0\" ]; } ); } );\n");
	p = config_find_policy(c, "f");
	ck_assert_uint_eq(p->failover_timeout_usec, 200000);
	ck_assert_uint_eq(p->revert_after_usec, 10000000);
	ck_assert_int_eq(p->analyze, STREAM_FORMAT_NONE);
	config_free(c);

#define IN2 "inputs = ( { group = \"239.1.1.1\"; interfaces = [ \"a0\" ]; },\n" \
	    "{ group = \"239.1.1.1\"; interfaces = [ \"b0\" ]; } );"
#define R "action = \"relay\"; port = 5000; relay = { to = \"239.9.9.9:1\"; };\n"
	/* an input without interfaces */
	ck_bad_policy(R "redundancy = \"merge\";\ninputs = ( { group = \"239.1.1.1\"; },\n"
		      "{ group = \"239.1.1.1\"; interfaces = [ \"b0\" ]; } );", 4,
		      "missing key 'interfaces' in input 1 of policy 'p'", NULL);
	/* merge with another analysis than RTP */
	ck_bad_policy(R "redundancy = \"merge\"; analyze = \"ts\";\n" IN2, 3, "key 'analyze'",
		      "must be \"rtp\" for redundancy \"merge\"");
	/* inputs together with group */
	ck_bad_policy(R "redundancy = \"merge\";\ngroup = \"239.1.1.1\";\n" IN2, 4,
		      "key 'group' in policy 'p' cannot be set together with 'inputs'", NULL);
	ck_bad_policy(R "redundancy = \"merge\";\ninterfaces = [ \"a0\" ];\n" IN2, 4,
		      "key 'interfaces'", "cannot be set together with 'inputs'");
	ck_bad_policy(R "redundancy = \"failover\";\ninputs = ( { group = \"239.1.1.1\"; "
		      "interfaces = [ \"a0\" ]; } );", 4, "key 'inputs'", "2 to 8 inputs");
	ck_bad_policy(R IN2, 2, "missing key 'redundancy'", "\"failover\" or \"merge\"");
	ck_bad_policy(BASE R "redundancy = \"merge\";", 3, "key 'redundancy'", "needs 'inputs'");
	ck_bad_policy(R "redundancy = \"mirror\";\n" IN2, 3, "unknown mode \"mirror\"", NULL);
	ck_bad_policy(R "redundancy = \"merge\"; failover_timeout_ms = 100;\n" IN2, 3,
		      "key 'failover_timeout_ms'", "needs redundancy \"failover\"");
	ck_bad_policy(R "redundancy = \"failover\"; merge_window_ms = 10;\n" IN2, 3,
		      "key 'merge_window_ms'", "needs redundancy \"merge\"");
	ck_bad_policy(R "redundancy = \"failover\"; failover_timeout_ms = 5;\n" IN2, 3,
		      "key 'failover_timeout_ms'", "out of range");
	ck_bad_policy(R "redundancy = \"merge\"; merge_window_ms = 1001;\n" IN2, 3,
		      "key 'merge_window_ms'", "out of range");
	ck_bad_policy(R "redundancy = \"failover\"; failover_loss = 1.5;\n" IN2, 3,
		      "key 'failover_loss'", "a fraction");
	ck_bad_policy(R "redundancy = \"failover\";\ninputs = ( { group = \"239.1.1.1\"; "
		      "interfaces = [ \"a0\" ]; tos = 1; },\n"
		      "{ group = \"239.1.1.1\"; interfaces = [ \"b0\" ]; } );", 4, "'tos'",
		      "input 1");
	ck_bad_policy("action = \"join\"; redundancy = \"failover\";\n" IN2, 2, "key 'inputs'",
		      "needs action");
#undef R
#undef IN2
}
END_TEST

/* Values that would cost the host (a leave/join storm, a rotation per record) are refused
 * with the minimum in the message; 0 still means off, and the minimum itself is taken. */
START_TEST(test_minimums)
{
#define T(more) BASE "action = \"log\"; port = 7000;\n" more
#define L(more) BASE "action = \"log\"; port = 7000;\nlog = { " more " };"
	struct config *c;
	char *t;

	ck_bad_policy(T("rejoin_interval = 0.000001;"), 3, "key 'rejoin_interval' in policy 'p'",
		      "1e-06 seconds is below the minimum of 1 (0: off)");
	ck_bad_policy(T("rejoin_interval = 0.5;"), 3, "key 'rejoin_interval'",
		      "below the minimum of 1");
	ck_bad_policy(T("stall_timeout = 0.01;"), 3, "key 'stall_timeout' in policy 'p'",
		      "0.01 seconds is below the minimum of 1 (0: off)");
	ck_bad_policy(L("target = \"pcap\"; file = \"/x.pcap\"; max_size = 1;"), 3,
		      "key 'max_size' in log of policy 'p'",
		      "1 bytes is below the minimum of 4096 (0: never rotate)");
	ck_bad_policy(L("target = \"pcap\"; file = \"/x.pcap\"; max_size = 4095;"), 3,
		      "key 'max_size'", "below the minimum of 4096");

	t = policy(BASE "action = \"log\"; port = 7000; stall_timeout = 1; rejoin_interval = 1.0;\n"
		   "log = { target = \"pcap\"; file = \"/x.pcap\"; max_size = 4096; max_files = 3; };");
	c = parse_good(t);
	ck_assert_uint_eq(c->policies[0].stall_timeout_usec, 1000000);
	ck_assert_uint_eq(c->policies[0].rejoin_interval_usec, 1000000);
	ck_assert_uint_eq(c->policies[0].log.pcap_max_size, 4096);
	ck_assert_uint_eq(c->policies[0].log.pcap_max_files, 3);
	config_free(c);
	free(t);
	t = policy(BASE "action = \"log\"; port = 7000; stall_timeout = 0; rejoin_interval = 0;\n"
		   "log = { target = \"pcap\"; file = \"/x.pcap\"; max_size = 0; };");
	c = parse_good(t);
	ck_assert_uint_eq(c->policies[0].stall_timeout_usec, 0);
	ck_assert_uint_eq(c->policies[0].rejoin_interval_usec, 0);
	ck_assert_uint_eq(c->policies[0].log.pcap_max_size, 0);
	config_free(c);
	free(t);
#undef L
#undef T
}
END_TEST

START_TEST(test_names)
{
	ck_bad("policies = (\n" JOIN("iptv") ",\n" JOIN("x") ",\n" JOIN("iptv") "\n);\n", 4,
	       "duplicate policy name 'iptv'", "first defined at line 2");
#define PCAP(name, port, file) "{ name = \"" name "\"; group = \"239.1.1.1\"; interfaces = [ \"eth0\" ]; " \
	"port = " port "; action = \"log\"; log = { target = \"pcap\"; file = \"" file "\"; }; }"
	/* two writers of one pcap file would interleave (and cut) each other's records */
	ck_bad("policies = (\n" PCAP("a", "5000", "/tmp/x.pcap") ",\n" JOIN("j") ",\n"
	       PCAP("b", "5001", "/tmp/x.pcap") "\n);\n", 4,
	       "log file already written by another policy: '/tmp/x.pcap'", "first used at line 2");
	config_free(parse_good("policies = (\n" PCAP("a", "5000", "/tmp/x.pcap") ",\n"
			       PCAP("b", "5001", "/tmp/y.pcap") "\n);\n"));
#undef PCAP
	ck_bad("policies = (\n" JOIN("") "\n);\n", 2, "key 'name' in policy #1",
	       "\"\" is not a valid name");
	ck_bad("policies = (\n" JOIN("x") ",\n" JOIN("has space") "\n);\n", 3,
	       "key 'name' in policy #2", "\"has space\"");
	ck_bad("policies = (\n" JOIN("a/b") "\n);\n", 2, "key 'name'", "\"a/b\"");
	ck_bad("policies = (\n" JOIN("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm")
	       "\n);\n", 2, "key 'name'", "1-64 characters");
	{
		_cleanup_(config_freep) struct config *c = parse_good("policies = (\n" JOIN(
			"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl") "\n);\n");
		ck_assert_uint_eq(strlen(c->policies[0].name), 64);
	}
	ck_bad("policies = (\n{ name = 5; group = \"239.1.1.1\"; interfaces = [ \"e\" ]; "
	       "action = \"join\"; }\n);\n", 2, "key 'name' in policy #1",
	       "must be a string, not an integer");
}
END_TEST

START_TEST(test_unknown_keys)
{
	ck_bad("policies = (\n{ name = \"iptv\"; group = \"239.1.1.1\"; interfaces = [ \"eth0\" ]; "
	       "action = \"join\";\n intefaces = [ \"eth1\" ]; }\n);\n", 3,
	       "unknown key 'intefaces' in policy 'iptv'", "did you mean 'interfaces'?");
	ck_bad("polices = ( );\n", 1, "unknown key 'polices' at top level", "'policies'");
	ck_bad("control = {\n pth = \"/run/x\"; };\n", 2, "unknown key 'pth' in control", NULL);
	ck_bad("log = { level = \"info\";\n target = \"pcap\"; };\n", 2,
	       "unknown key 'target' in log", NULL);
	ck_bad_policy(BASE "action = \"relay\"; port = 1;\n"
			   "relay = { to = \"239.2.2.2:1\"; tll = 3; };", 3,
		      "unknown key 'tll' in relay of policy 'p'", "'ttl'");
	ck_bad_policy(BASE "action = \"log\"; port = 1;\nlog = { size = 3; };", 3,
		      "unknown key 'size' in log of policy 'p'", NULL);
	ck_bad_policy(BASE "action = \"join\"; frobnicate = true;", 2,
		      "unknown key 'frobnicate' in policy 'p'", NULL);
}
END_TEST

START_TEST(test_missing_keys)
{
	ck_bad("policies = (\n{ group = \"239.1.1.1\"; interfaces = [ \"e\" ]; action = \"join\"; }\n);\n",
	       2, "missing key 'name' in policy #1", NULL);
	ck_bad_policy("interfaces = [ \"e\" ]; action = \"join\";", 2,
		      "missing key 'group' in policy 'p'", NULL);
	ck_bad_policy("group = \"239.1.1.1\"; action = \"join\";", 2,
		      "missing key 'interfaces' in policy 'p'", NULL);
	ck_bad_policy(BASE, 2, "missing key 'action' in policy 'p'", NULL);
	ck_bad_policy(BASE "action = \"forward\";", 2, "key 'action' in policy 'p'",
		      "unknown action \"forward\"");
}
END_TEST

START_TEST(test_types)
{
	ck_bad_policy("group = \"239.1.1.1\"; interfaces = \"eth0\"; action = \"join\";", 2,
		      "key 'interfaces' in policy 'p'", "must be a list of names [ \"...\" ], not a string");
	ck_bad_policy("group = \"239.1.1.1\"; interfaces = ( \"eth0\", 1 ); action = \"join\";", 2,
		      "key 'interfaces'", "entry 2 must be a string, not an integer");
	ck_bad_policy("group = 239; interfaces = [ \"eth0\" ]; action = \"join\";", 2,
		      "key 'group' in policy 'p'", "must be a string, not an integer");
	ck_bad_policy(BASE "action = [ \"join\" ];", 2, "key 'action'",
		      "must be a string, not an array");
	ck_bad("policies = { a = 1; };\n", 1, "key 'policies' at top level",
	       "must be a list ( ... ), not a group");
	/* libconfig 1.5 dates a list element by the token after it: keep ")" on its line */
	ck_bad("policies = (\n\"iptv\" );\n", 2, "key 'policies': entry 1",
	       "must be a group { ... }, not a string");
	ck_bad("control = \"/run/x\";\n", 1, "key 'control'", "must be a group");
	ck_bad("log = \"info\";\n", 1, "key 'log'", "must be a group");
	ck_bad("state_dir = 5;\n", 1, "key 'state_dir'", "must be a string");
	ck_bad("rcvbuf = \"4M\";\n", 1, "key 'rcvbuf'", "must be an integer");
	ck_bad("coalesce_usec = 0.5;\n", 1, "key 'coalesce_usec' at top level",
	       "must be an integer, not a number with a fraction");
}
END_TEST

START_TEST(test_interfaces)
{
	ck_bad_policy("group = \"239.1.1.1\"; interfaces = [ \"eth0\",\n \"abcdefghijklmnop\" ]; "
		      "action = \"join\";", 3, "key 'interfaces' in policy 'p'",
		      "\"abcdefghijklmnop\" is longer than 15 characters");
	ck_bad_policy("group = \"239.1.1.1\"; interfaces = [ \"eth0:1\" ]; action = \"join\";", 2,
		      "key 'interfaces'", "\"eth0:1\" is not a valid interface name");
	ck_bad_policy("group = \"239.1.1.1\"; interfaces = [ \"\" ]; action = \"join\";", 2,
		      "key 'interfaces'", "not a valid interface name");
	ck_bad_policy("group = \"239.1.1.1\"; interfaces = [ ]; action = \"join\";", 2,
		      "key 'interfaces'", "empty");
	{
		_cleanup_(config_freep) struct config *c = parse_good(
			"policies = ( { name = \"p\"; group = \"239.1.1.1\"; action = \"join\"; "
			"interfaces = [ \"abcdefghijklmno\", \"[a-z][a-z][a-z][a-z][0-9]*\" ]; } );");
		ck_assert_uint_eq(c->policies[0].n_interfaces, 2);
	}
}
END_TEST

/* Builds a config of one policy with n entries in key. */
static char *many(const char *key, int n, bool addresses)
{
	char *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);

	ck_assert_ptr_nonnull(f);
	fprintf(f, "policies = (\n{ name = \"p\"; group = \"239.1.1.1\"; action = \"join\"; %s%s = [ ",
		streq(key, "interfaces") ? "" : "interfaces = [ \"e\" ]; ", key);
	for (int i = 0; i < n; i++) {
		fprintf(f, i ? ", \"" : "\"");
		if (addresses)
			fprintf(f, "10.0.%d.%d", i / 250, i % 250 + 1);
		else
			fprintf(f, "e%d.%d", i / 250, i % 250 + 1);
		fprintf(f, "\"");
	}
	fprintf(f, " ]; }\n);\n");
	fclose(f);
	return s;
}

START_TEST(test_limits)
{
	_cleanup_free_ char *ok_if = many("interfaces", CONFIG_MAX_INTERFACES, false);
	_cleanup_free_ char *bad_if = many("interfaces", CONFIG_MAX_INTERFACES + 1, false);
	_cleanup_free_ char *ok_src = many("sources", CONFIG_MAX_SOURCES, true);
	_cleanup_free_ char *bad_src = many("exclude", CONFIG_MAX_SOURCES + 1, true);
	_cleanup_(config_freep) struct config *c1 = parse_good(ok_if);
	_cleanup_(config_freep) struct config *c2 = parse_good(ok_src);

	ck_assert_uint_eq(c1->policies[0].n_interfaces, CONFIG_MAX_INTERFACES);
	ck_assert_uint_eq(c2->policies[0].n_sources, CONFIG_MAX_SOURCES);
	ck_bad(bad_if, 2, "key 'interfaces' in policy 'p'", "more than the limit of 64");
	ck_bad(bad_src, 2, "key 'exclude' in policy 'p'", "more than the limit of 64");
}
END_TEST

START_TEST(test_too_many_policies)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *ok = NULL;
	size_t size = 0, ok_len;
	FILE *f = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(f);
	fprintf(f, "policies = (\n");
	for (int i = 0; i < CONFIG_MAX_POLICIES + 1; i++) {
		if (i == CONFIG_MAX_POLICIES) {
			fflush(f);
			ok_len = size;
		}
		fprintf(f, "%s{name=\"p%d\";group=\"239.1.1.1\";interfaces=[\"e\"];action=\"join\";}",
			i ? "," : "", i);
	}
	fprintf(f, ");\n");
	fclose(f);
	ck_bad(text, 1, "key 'policies'", "more than the limit");

	/* exactly the limit parses */
	ck_assert_int_ge(asprintf(&ok, "%.*s);\n", (int)ok_len, text), 0);
	{
		_cleanup_(config_freep) struct config *c = parse_good(ok);
		ck_assert_uint_eq(c->n_policies, CONFIG_MAX_POLICIES);
	}
}
END_TEST

START_TEST(test_control)
{
	ck_bad("control = {\n mode = \"rw\"; };\n", 2, "key 'mode' in control",
	       "\"rw\" is not an octal mode");
	ck_bad("control = {\n mode = \"0999\"; };\n", 2, "key 'mode'", "\"0999\"");
	ck_bad("control = {\n mode = \"\"; };\n", 2, "key 'mode'", "not an octal mode");
	ck_bad("control = {\n mode = \"04777\"; };\n", 2, "key 'mode'", "only permission bits");
	ck_bad("control = {\n mode = 0666; };\n", 2, "key 'mode'",
	       "must be an octal string such as \"0660\"");
	ck_bad("control = {\n path = \"run/x.sock\"; };\n", 2, "key 'path' in control",
	       "\"run/x.sock\" is not an absolute path");
	ck_bad("control = {\n path = \"/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"; };\n",
	       2, "key 'path'", "longer than 107");
	ck_bad("control = {\n group = \"\"; };\n", 2, "key 'group' in control",
	       "not a valid group name");
	{
		_cleanup_(config_freep) struct config *c =
			parse_good("control = { mode = \"600\"; path = \"/tmp/x.sock\"; };");
		ck_assert_uint_eq(c->control.mode, 0600);
		ck_assert_str_eq(c->control.path, "/tmp/x.sock");
	}
}
END_TEST

START_TEST(test_log_level)
{
	static const char *const names[] = { "emerg",  "alert", "crit", "err",
					     "warning", "notice", "info", "debug" };

	for (int i = 0; i < 8; i++) {
		_cleanup_free_ char *t = NULL;

		ck_assert_int_ge(asprintf(&t, "log = { level = \"%s\"; };", names[i]), 0);
		{
			_cleanup_(config_freep) struct config *c = parse_good(t);
			ck_assert_int_eq(c->log.level, i);
		}
		ck_assert_int_eq(config_log_level_from_string(names[i]), i);
		ck_assert_str_eq(config_log_level_to_string(i), names[i]);
	}
	ck_assert_int_eq(config_log_level_from_string("error"), LOG_ERR);
	ck_assert_int_eq(config_log_level_from_string("warn"), LOG_WARNING);
	ck_assert_int_eq(config_log_level_from_string("INFO"), -EINVAL);
	ck_assert_int_eq(config_log_level_from_string(NULL), -EINVAL);
	ck_assert_ptr_null(config_log_level_to_string(8));
	ck_assert_ptr_null(config_log_level_to_string(-1));
	ck_bad("log = {\n level = \"verbose\"; };\n", 2, "key 'level' in log",
	       "unknown level \"verbose\"");
}
END_TEST

START_TEST(test_top_level)
{
	ck_bad("state_dir = \"var/lib/x\";\n", 1, "key 'state_dir' at top level",
	       "\"var/lib/x\" is not an absolute path");
	ck_bad("rcvbuf = 100;\n", 1, "key 'rcvbuf'", "100 is out of range");
	ck_bad("rcvbuf = 4294967296L;\n", 1, "key 'rcvbuf'", "out of range");
}
END_TEST

/* The coalescing wait: 0 turns it off; its bound is what the receive buffer holds of a
 * 10 Gb/s burst (2 x rcvbuf / 2500 bytes per microsecond). */
/* The CPUs this process may run on, found here as config.c must find them. */
static unsigned test_cpus(void)
{
	cpu_set_t set;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	return (unsigned)CPU_COUNT(&set);
}

START_TEST(test_workers)
{
	unsigned cpus = test_cpus(), max = cpus < CONFIG_MAX_WORKERS ? cpus : CONFIG_MAX_WORKERS;
	_cleanup_free_ char *at_max = NULL, *over = NULL, *msg = NULL;
	_cleanup_(config_freep) struct config *one = parse_good("workers = 1;");
	_cleanup_(config_freep) struct config *all = NULL;
	cpu_set_t saved, single;

	ck_assert_uint_eq(one->workers, 1);
	ck_assert_int_ge(asprintf(&at_max, "workers = %u;", max), 0);
	all = parse_good(at_max);
	ck_assert_uint_eq(all->workers, max);

	ck_assert_int_ge(asprintf(&over, "\nworkers = %u;\n", max + 1), 0);
	ck_assert_int_ge(asprintf(&msg, "%u is out of range (1-%u: this process may run on %u CPU%s",
				  max + 1, max, cpus, cpus == 1 ? "" : "s"), 0);
	ck_bad(over, 2, "key 'workers' at top level", msg);
	ck_bad("workers = 0;\n", 1, "key 'workers' at top level", "0 is out of range (1-");
	ck_bad("workers = -1;\n", 1, "key 'workers'", "-1 is out of range");
	ck_bad("workers = 257;\n", 1, "key 'workers'", "257 is out of range");
	ck_bad("workers = 4294967297L;\n", 1, "key 'workers'", "4294967297 is out of range");
	ck_bad("workers = \"2\";\n", 1, "key 'workers' at top level",
	       "must be an integer, not a string");
	ck_bad("worker = 2;\n", 1, "unknown key 'worker'", "(did you mean 'workers'?)");

	/* The affinity mask counts, not the CPUs the machine has (taskset, CPUAffinity=). */
	ck_assert_int_eq(sched_getaffinity(0, sizeof(saved), &saved), 0);
	CPU_ZERO(&single);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &saved)) {
			CPU_SET(i, &single);
			break;
		}
	ck_assert_int_eq(sched_setaffinity(0, sizeof(single), &single), 0);
	{
		_cleanup_free_ char *e = parse_bad("workers = 2;\n");
		_cleanup_(config_freep) struct config *c = parse_good("workers = 1;\n");

		ck_assert_int_eq(sched_setaffinity(0, sizeof(saved), &saved), 0);
		ck_assert_msg(has_error(e, 1, "2 is out of range (1-1: this process may run on 1 CPU)",
					NULL), "%s", e);
		ck_assert_uint_eq(c->workers, 1);
	}
}
END_TEST

START_TEST(test_coalesce)
{
	_cleanup_(config_freep) struct config *off = parse_good("coalesce_usec = 0;");
	_cleanup_(config_freep) struct config *dflt = parse_good("coalesce_usec = 3355;");
	_cleanup_(config_freep) struct config *big =
		parse_good("rcvbuf = 125000000;\ncoalesce_usec = 100000;");

	ck_assert_uint_eq(off->coalesce_usec, 0);
	ck_assert_uint_eq(dflt->coalesce_usec, 3355);
	ck_assert_uint_eq(big->coalesce_usec, CONFIG_MAX_COALESCE_USEC);
	ck_bad("coalesce_usec = -1;\n", 1, "key 'coalesce_usec' at top level",
	       "-1 is out of range (0-100000)");
	ck_bad("coalesce_usec = 100001;\n", 1, "key 'coalesce_usec'", "out of range");
	ck_bad("\ncoalesce_usec = 3356;\n", 2, "key 'coalesce_usec' at top level",
	       "3356 is more than the receive buffer (rcvbuf 4194304) holds of a 10 Gb/s burst: "
	       "at most 3355 microseconds");
	/* rcvbuf's place in the file does not matter */
	ck_bad("coalesce_usec = 1000;\nrcvbuf = 1048576;\n", 1, "key 'coalesce_usec'",
	       "(rcvbuf 1048576)");
	ck_bad("coalesce_uses = 500;\n", 1, "unknown key 'coalesce_uses'", NULL);
}
END_TEST

START_TEST(test_multiple_errors)
{
	_cleanup_free_ char *e = parse_bad(
		"log = { level = \"loud\"; };\n"                                         /* 1 */
		"policies = (\n"                                                        /* 2 */
		"{ name = \"iptv\"; group = \"10.1.1.1\"; interfaces = [ \"eth0\" ];\n"  /* 3 */
		"  port = 0; action = \"join\"; intefaces = [ \"x\" ]; },\n"             /* 4 */
		"{ name = \"iptv\"; group = \"239.1.1.1\"; interfaces = [ \"eth0\" ];\n" /* 5 */
		"  action = \"relay\"; port = 5; relay = { to = \"x\"; dscp = \"AF99\"; }; }\n" /* 6 */
		");\n");

	ck_assert_msg(has_error(e, 1, "key 'level'", "loud"), "%s", e);
	ck_assert_msg(has_error(e, 3, "key 'group'", "10.1.1.1"), "%s", e);
	ck_assert_msg(has_error(e, 4, "key 'port'", "0 is out of range"), "%s", e);
	ck_assert_msg(has_error(e, 4, "unknown key 'intefaces' in policy 'iptv'", NULL), "%s", e);
	ck_assert_msg(has_error(e, 5, "duplicate policy name 'iptv'", "line 3"), "%s", e);
	ck_assert_msg(has_error(e, 6, "key 'to'", "\"x\""), "%s", e);
	ck_assert_msg(has_error(e, 6, "key 'dscp'", "AF99"), "%s", e);
	ck_assert_uint_eq(count_lines(e), 7);
}
END_TEST

START_TEST(test_error_cap)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *e = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(f);
	fprintf(f, "policies = (\n");
	for (int i = 0; i < 150; i++)
		fprintf(f, "%s{name=\"p%d\";group=\"1.1.1.1\";interfaces=[\"e\"];action=\"join\";}\n",
			i ? "," : "", i);
	fprintf(f, ");\n");
	fclose(f);
	e = parse_bad(text);
	ck_assert_uint_eq(count_lines(e), 101);
	ck_assert_ptr_nonnull(strstr(e, NAME ": 50 more errors not shown\n"));
	ck_assert(has_error(e, 101, "key 'group' in policy 'p99'", NULL));
}
END_TEST

START_TEST(test_no_error_text)
{
	struct config *c = NULL;

	/* ret_errors is optional */
	ck_assert_int_eq(config_parse_string("rcvbuf = 1;", NAME, &c, NULL), -EINVAL);
	ck_assert_int_eq(config_parse_string("x = ", NAME, &c, NULL), -EINVAL);
	ck_assert_int_eq(config_parse_file("/nonexistent/ipv4optd.conf", &c, NULL), -ENOENT);
	ck_assert_ptr_null(c);
}
END_TEST

/* Found by tests/fuzz/fuzz_config (corpus/config/crash-value-with-newline.conf): a value
 * quoted in a message broke it into two lines, the second not naming the file. The daemon
 * logs the text and `ipv4ctl reload` reports it line by line. */
START_TEST(test_error_value_with_newline)
{
	ck_bad("policies = (\n{ name = \"p\"; group = \"239.1\n);\n\"; interfaces = [ \"eth0\" ]; "
	       "action = \"join\"; }\n);\n", 2, "key 'group' in policy 'p'",
	       "\"239.1\\n);\\n\" is not an IPv4 address");
	ck_bad_policy(BASE "action = \"log\"; port = 7000;\nlog = { target = \"a\\tb\\x01\"; };",
		      3, "key 'target'", "\"a\\tb\\x01\"");
}
END_TEST

/* What an operator gets wrong (issue 16, item 7): a policy named as ipv4ctl names the runtime
 * joins, an interface listed twice, and the slips behind libconfig's bare "syntax error". */
START_TEST(test_operator_slips)
{
	ck_bad("policies = (\n" JOIN("x") ",\n" JOIN("runtime") "\n);\n", 3,
	       "key 'name' in policy #2", "\"runtime\" is reserved");
	ck_bad("policies = (\n" JOIN("Runtime") "\n);\n", 2, "key 'name'", "is reserved");
	config_free(parse_good("policies = (\n" JOIN("runtime-tv") "\n);\n"));

	ck_bad_policy("group = \"239.1.1.1\"; action = \"join\";\ninterfaces = [ \"eth0\", \"eth1\",\n"
		      "\"eth0\" ];", 4, "key 'interfaces' in policy 'p'", "\"eth0\" is listed twice");
	ck_bad_policy("group = \"239.1.1.1\"; action = \"join\"; interfaces = [ \"e*\", \"e*\" ];", 2,
		      "key 'interfaces'", "\"e*\" is listed twice");
	{
		/* a pattern and a name it matches are two texts: not refused */
		_cleanup_(config_freep) struct config *c = parse_good(
			"policies = ( { name = \"p\"; group = \"239.1.1.1\"; action = \"join\"; "
			"interfaces = [ \"eth*\", \"eth0\" ]; } );");
		ck_assert_uint_eq(c->policies[0].n_interfaces, 2);
	}

	ck_bad_policy("group = 239.1.1.1; interfaces = [ \"eth0\" ]; action = \"join\";", 2,
		      "syntax error", "addresses are strings: \"239.1.1.1\"");
	ck_bad_policy(BASE "action = \"relay\";\nrelay = { to = 239.2.2.2:5000; };", 3,
		      "syntax error", "addresses are strings: \"239.2.2.2:5000\"");
	ck_bad_policy(BASE "action = \"join\"; sources = [ 10.1.1.1 ];", 2, "syntax error",
		      "addresses are strings: \"10.1.1.1\"");
	ck_bad_policy("group = \"239.1.1.1\"; interfaces = [ eth0 ]; action = \"join\";", 2,
		      "syntax error", "names are strings: \"eth0\"");
	ck_bad_policy(BASE "action = join;", 2, "syntax error", "names are strings: \"join\"");
	ck_bad_policy(BASE "action = \"join\"; stall_timeout = 5s;", 2, "syntax error",
		      "a value with a unit is a string: \"5s\"");
	ck_bad("policies = (\n" JOIN("a") ",\n);\n", 3, "syntax error",
	       "no comma after the last entry of a list");
	ck_bad_policy("group = \"239.1.1.1; interfaces = [ \"eth0\" ]; action = \"join\";", 2,
		      "syntax error", "a string is not closed");
	/* keys after a ',' (libconfig takes it for ';') are not values */
	ck_bad_policy("group = \"239.1.1.1\", interfaces = [ \"eth0\" ], action = \"join\";\n"
		      "port = ;", 3, "syntax error", NULL);
}
END_TEST

START_TEST(test_enum_tables)
{
	for (int i = 0; i < _POLICY_ACTION_MAX; i++) {
		const char *s = policy_action_to_string(i);

		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(policy_action_from_string(s), i);
	}
	ck_assert_str_eq(policy_action_to_string(POLICY_ACTION_JOIN), "join");
	ck_assert_str_eq(policy_action_to_string(POLICY_ACTION_RELAY), "relay");
	ck_assert_str_eq(policy_action_to_string(POLICY_ACTION_LOG), "log");
	ck_assert_ptr_null(policy_action_to_string(_POLICY_ACTION_MAX));
	ck_assert_ptr_null(policy_action_to_string(_POLICY_ACTION_INVALID));
	ck_assert_int_eq(policy_action_from_string("JOIN"), _POLICY_ACTION_INVALID);
	ck_assert_int_eq(policy_action_from_string(""), _POLICY_ACTION_INVALID);
	ck_assert_int_eq(policy_action_from_string(NULL), _POLICY_ACTION_INVALID);

	for (int i = 0; i < _LOG_TARGET_MAX; i++) {
		const char *s = log_target_to_string(i);

		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(log_target_from_string(s), i);
	}
	ck_assert_str_eq(log_target_to_string(LOG_TARGET_JOURNAL), "journal");
	ck_assert_str_eq(log_target_to_string(LOG_TARGET_PCAP), "pcap");
	ck_assert_ptr_null(log_target_to_string(_LOG_TARGET_MAX));
	ck_assert_ptr_null(log_target_to_string(_LOG_TARGET_INVALID));
	ck_assert_int_eq(log_target_from_string("file"), _LOG_TARGET_INVALID);
	ck_assert_int_eq(log_target_from_string(NULL), _LOG_TARGET_INVALID);
}
END_TEST

START_TEST(test_matches_interface)
{
	_cleanup_(config_freep) struct config *c = parse_good(
		"policies = ( { name = \"p\"; group = \"239.1.1.1\"; action = \"join\";\n"
		"interfaces = [ \"eth0\", \"vlan1*\", \"lab?\", \"br[0-2]\" ]; } );");
	const struct policy *p = &c->policies[0];

	ck_assert(policy_matches_interface(p, "eth0"));
	ck_assert(!policy_matches_interface(p, "eth01"));
	ck_assert(!policy_matches_interface(p, "eth"));
	ck_assert(policy_matches_interface(p, "vlan1"));
	ck_assert(policy_matches_interface(p, "vlan100"));
	ck_assert(policy_matches_interface(p, "vlan1.5"));
	ck_assert(!policy_matches_interface(p, "vlan2"));
	ck_assert(policy_matches_interface(p, "lab0"));
	ck_assert(!policy_matches_interface(p, "lab10"));
	ck_assert(policy_matches_interface(p, "br2"));
	ck_assert(!policy_matches_interface(p, "br3"));
	ck_assert(!policy_matches_interface(p, ""));
	ck_assert(!policy_matches_interface(p, NULL));
}
END_TEST

static char *tmp_file(const char *content)
{
	char *path = strdup("/tmp/check_config.XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

START_TEST(test_file)
{
	_cleanup_free_ char *errors = NULL;
	_cleanup_free_ char *good = tmp_file(sample);
	_cleanup_free_ char *bad = tmp_file("\n\npolicies = ( { name = \"p\"; group = \"1.2.3.4\"; "
					    "interfaces = [ \"e\" ]; action = \"join\"; } );\n");
	_cleanup_free_ char *expect = NULL;
	struct config *c = NULL;

	ck_assert_int_eq(config_parse_file("/nonexistent/ipv4optd.conf", &c, &errors), -ENOENT);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(errors,
			 "/nonexistent/ipv4optd.conf: cannot open: No such file or directory\n");
	free(errors);
	errors = NULL;

	ck_assert_int_eq(config_parse_file("/tmp", &c, &errors), -EISDIR);
	ck_assert_ptr_nonnull(strstr(errors, "/tmp: "));
	free(errors);
	errors = NULL;

	ck_assert_int_eq(config_parse_file(good, &c, &errors), 0);
	ck_assert_ptr_null(errors);
	ck_assert_str_eq(c->path, good);
	ck_assert_uint_eq(c->n_policies, 3);
	c = config_free(c);
	ck_assert_ptr_null(c);

	ck_assert_int_eq(config_parse_file(bad, &c, &errors), -EINVAL);
	ck_assert_int_ge(asprintf(&expect, "%s:3: key 'group' in policy 'p': \"1.2.3.4\" is not a "
				  "multicast address (224.0.0.0/4)\n", bad), 0);
	ck_assert_str_eq(errors, expect);

	unlink(good);
	unlink(bad);
}
END_TEST

/* The lab's config (tests/lab/demo.conf, the main job's) must stay valid. The installed
 * default, conf/ipv4optd.conf, holds no policy: tests/lab/default-config.sh checks it. */
START_TEST(test_shipped_config)
{
	_cleanup_free_ char *errors = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_(config_freep) struct config *c = NULL;
	const char *srcdir = getenv("top_srcdir") ?: ".";
	const struct policy *p;

	ck_assert_int_ge(asprintf(&path, "%s/tests/lab/demo.conf", srcdir), 0);
	ck_assert_msg(config_parse_file(path, &c, &errors) == 0, "%s", errors ?: "");
	ck_assert_str_eq(c->control.group, "ipv4opt");

	p = config_find_policy(c, "iptv");
	ck_assert_ptr_nonnull(p);
	ck_assert(policy_matches_interface(p, "lab0"));
	ck_assert_int_eq(p->action, POLICY_ACTION_JOIN);
	p = config_find_policy(c, "feed-a");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->action, POLICY_ACTION_RELAY);
	ck_assert_uint_eq(p->n_outputs, 1);
	ck_assert_str_eq(p->outputs[0].interface, "lab2");
	p = config_find_policy(c, "probe");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->action, POLICY_ACTION_LOG);
	ck_assert_int_eq(p->log.target, LOG_TARGET_JOURNAL);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");
	TCase *errs = tcase_create("errors");
	TCase *misc = tcase_create("misc");

	tcase_add_test(tc, test_sample);
	tcase_add_test(tc, test_inputs);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_relay_outputs);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_shipped_config);
	suite_add_tcase(s, tc);

	tcase_add_test(errs, test_syntax_error);
	tcase_add_test(errs, test_group);
	tcase_add_test(errs, test_sources);
	tcase_add_test(errs, test_port);
	tcase_add_test(errs, test_relay);
	tcase_add_test(errs, test_relay_outputs_bad);
	tcase_add_test(errs, test_log);
	tcase_add_test(errs, test_timers);
	tcase_add_test(errs, test_analyze);
	tcase_add_test(errs, test_minimums);
	tcase_add_test(errs, test_names);
	tcase_add_test(errs, test_unknown_keys);
	tcase_add_test(errs, test_missing_keys);
	tcase_add_test(errs, test_types);
	tcase_add_test(errs, test_interfaces);
	tcase_add_test(errs, test_limits);
	tcase_add_test(errs, test_too_many_policies);
	tcase_add_test(errs, test_control);
	tcase_add_test(errs, test_log_level);
	tcase_add_test(errs, test_top_level);
	tcase_add_test(errs, test_coalesce);
	tcase_add_test(errs, test_workers);
	tcase_add_test(errs, test_multiple_errors);
	tcase_add_test(errs, test_error_cap);
	tcase_add_test(errs, test_no_error_text);
	tcase_add_test(errs, test_error_value_with_newline);
	tcase_set_timeout(errs, 60);
	suite_add_tcase(s, errs);

	tcase_add_test(misc, test_enum_tables);
	tcase_add_test(misc, test_matches_interface);
	tcase_add_test(misc, test_operator_slips);
	suite_add_tcase(s, misc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
