/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: config_parse_string() on arbitrary text (src/ipv4optd/config.c).
 * A config that parses must hold every promise of config.h (the daemon relies on them without
 * checking again); one that does not must come with messages, each line "fuzz.conf:...".
 * Either way everything is freed: libFuzzer's leak checker sees the rest.
 */
#include <string.h>
#include <sys/un.h>
#include <syslog.h>

#include "addr.h"
#include "fuzz.h"
#include "ipv4optd/config.h"

#define NAME "fuzz.conf"

/* libconfig 1.5 (Debian 12) leaks the string token at which it reports a syntax error
 * (`x = 5 "abc";`): its grammar has no %destructor for TOK_STRING. Fixed upstream in 1.7.3
 * (hyperrealm/libconfig#142, pull request #155); not ours to fix, and bounded by the size of
 * the file, once per failed reload. Read by LeakSanitizer at startup. The scanner allocates
 * such a token in libconfig_yylex() or, for a string literal, in strbuf_append(); libconfig is
 * built without frame pointers, so the stack of a report ends there. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig_yylex\nleak:strbuf_append\n";
}

const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static bool is_absolute_path(const char *s)
{
	return s && s[0] == '/';
}

static void check_policy(const struct config *c, const struct policy *p)
{
	fuzz_check(p->name && strlen(p->name) >= 1 && strlen(p->name) <= 64);
	/* names are unique: the lookup finds this very policy */
	fuzz_check(config_find_policy(c, p->name) == p);
	fuzz_check(addr_is_multicast(p->group));
	fuzz_check(!(p->n_sources > 0 && p->n_exclude > 0));
	fuzz_check(p->n_sources <= CONFIG_MAX_SOURCES && p->n_exclude <= CONFIG_MAX_SOURCES);
	for (size_t i = 0; i < p->n_sources; i++)
		fuzz_check(addr_is_unicast(p->sources[i]));
	for (size_t i = 0; i < p->n_exclude; i++)
		fuzz_check(addr_is_unicast(p->exclude[i]));
	fuzz_check(p->n_interfaces >= 1 && p->n_interfaces <= CONFIG_MAX_INTERFACES);
	for (size_t i = 0; i < p->n_interfaces; i++) {
		fuzz_check(p->interfaces[i] && p->interfaces[i][0]);
		/* a plain name matches itself */
		if (ifname_is_valid(p->interfaces[i]) && !ifname_is_pattern(p->interfaces[i]))
			fuzz_check(policy_matches_interface(p, p->interfaces[i]));
	}
	fuzz_check(p->action >= 0 && p->action < _POLICY_ACTION_MAX);
	fuzz_check(policy_action_to_string(p->action));
	fuzz_check(stream_format_to_string(p->analyze));
	fuzz_check(p->rtp_clock_rate == 0 || (p->rtp_clock_rate >= RTP_CLOCK_RATE_MIN &&
					      p->rtp_clock_rate <= RTP_CLOCK_RATE_MAX));
	switch (p->action) {
	case POLICY_ACTION_JOIN:
		fuzz_check(p->stall_timeout_usec == 0);
		fuzz_check(p->analyze == STREAM_FORMAT_NONE && p->rtp_clock_rate == 0);
		fuzz_check(p->n_outputs == 0 && !p->outputs);
		break;
	case POLICY_ACTION_RELAY:
		fuzz_check(p->port > 0);
		fuzz_check(p->n_outputs >= 1 && p->n_outputs <= CONFIG_MAX_OUTPUTS && p->outputs);
		for (size_t i = 0; i < p->n_outputs; i++) {
			const struct relay_output *o = &p->outputs[i];

			fuzz_check(o->to.sin_family == AF_INET && o->to.sin_port != 0);
			fuzz_check(o->ttl == -1 || (o->ttl >= 1 && o->ttl <= 255));
			fuzz_check(o->dscp < 64);
			fuzz_check(memchr(o->interface, '\0', sizeof(o->interface)));
			/* never its own input (a loop), never twice the same destination */
			fuzz_check(!(o->to.sin_addr.s_addr == p->group.s_addr &&
				     ntohs(o->to.sin_port) == p->port));
			for (size_t j = 0; j < i; j++)
				fuzz_check(!(p->outputs[j].to.sin_addr.s_addr == o->to.sin_addr.s_addr &&
					     p->outputs[j].to.sin_port == o->to.sin_port &&
					     strcmp(p->outputs[j].interface, o->interface) == 0));
		}
		break;
	case POLICY_ACTION_LOG:
		fuzz_check(p->port > 0);
		fuzz_check(p->n_outputs == 0 && !p->outputs);
		fuzz_check(p->log.target >= 0 && p->log.target < _LOG_TARGET_MAX);
		if (p->log.target == LOG_TARGET_PCAP)
			fuzz_check(is_absolute_path(p->log.pcap_path));
		else
			fuzz_check(!p->log.pcap_path && p->log.pcap_max_size == 0);
		break;
	case POLICY_ACTION_MONITOR:
		fuzz_check(p->port > 0);
		fuzz_check(p->n_outputs == 0 && !p->outputs);
		break;
	case _POLICY_ACTION_MAX:
	case _POLICY_ACTION_INVALID:
		fuzz_check(!"invalid action");
		break;
	}
}

static void check_config(const struct config *c)
{
	fuzz_check(c->path && strcmp(c->path, NAME) == 0);
	fuzz_check(is_absolute_path(c->control.path));
	fuzz_check(strlen(c->control.path) < sizeof(((struct sockaddr_un *)NULL)->sun_path));
	fuzz_check((c->control.mode & ~0777u) == 0);
	fuzz_check(!c->control.group || c->control.group[0]);
	fuzz_check(c->log.level >= LOG_EMERG && c->log.level <= LOG_DEBUG);
	fuzz_check(config_log_level_to_string(c->log.level));
	fuzz_check(is_absolute_path(c->state_dir));
	fuzz_check(c->rcvbuf == 0 || c->rcvbuf >= 4096);
	fuzz_check(c->workers >= 1 && c->workers <= CONFIG_MAX_WORKERS);
	fuzz_check(c->n_policies <= CONFIG_MAX_POLICIES);
	fuzz_check(c->n_policies == 0 || c->policies);
	for (size_t i = 0; i < c->n_policies; i++)
		check_policy(c, &c->policies[i]);
	fuzz_check(!config_find_policy(c, NULL));
}

/* Every message line names the file: "fuzz.conf:LINE: ..." or "fuzz.conf: ...". */
static void check_errors(const char *errors)
{
	fuzz_check(errors && errors[0]);
	for (const char *l = errors; *l;) {
		const char *nl = strchr(l, '\n');

		fuzz_check(nl); /* the text ends with a newline */
		fuzz_check(strncmp(l, NAME ":", strlen(NAME ":")) == 0);
		l = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char *errors = NULL;
	char *text;
	int r;

	/* libconfig's @include opens the named file: keep the target hermetic. */
	if (memmem(data, size, "@include", strlen("@include")))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	r = config_parse_string(text, NAME, &c, &errors);
	if (r == 0) {
		fuzz_check(c);
		check_config(c);
	} else {
		fuzz_check(r == -EINVAL || r == -ENOMEM);
		fuzz_check(!c);
		if (r == -EINVAL)
			check_errors(errors);
	}
	config_free(c);
	free(errors);
	free(text);
	return 0;
}
