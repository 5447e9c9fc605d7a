/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * diagnose: why a group is silent. For every policy and membership, the quiet ways Linux
 * multicast fails (reverse-path filtering, an interface without an IPv4 address, the
 * kernel's socket limits, a capped receive buffer, an output without a route or with a
 * smaller MTU than the datagrams, a stream that does not arrive), each as a finding with a
 * stable code, a severity, the policy, the interface, what is wrong and what to do.
 *
 * Control plane, read-only: the facts come from the other modules' functions (links,
 * members, relay_stats_policy_json()), from /proc/sys (sysctls), /proc/net/netstat and
 * /proc/net/snmp (the kernel's counters), and from route lookups (RTM_GETROUTE over
 * rtnetlink with libmnl; the MTU of a path from a UDP socket connected to the output, as
 * the relay's own send socket is). Nothing here changes state but the diagnose object's own
 * memory of the last counters (a counter "rising" is a difference between two runs).
 */
#ifndef IPV4OPTD_DIAGNOSE_H
#define IPV4OPTD_DIAGNOSE_H

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "config.h"
#include "links.h"
#include "members.h"
#include "relay.h"

enum diagnose_code {
	DIAGNOSE_CODE_INTERFACE_MISSING,
	DIAGNOSE_CODE_INTERFACE_DOWN,
	DIAGNOSE_CODE_NO_IPV4_ADDRESS,
	DIAGNOSE_CODE_RP_FILTER,
	DIAGNOSE_CODE_MEMBERSHIP_LIMIT,
	DIAGNOSE_CODE_SOURCE_LIMIT,
	DIAGNOSE_CODE_RCVBUF_CAPPED,
	DIAGNOSE_CODE_RCVBUF_SHORT,
	DIAGNOSE_CODE_NO_ROUTE,
	DIAGNOSE_CODE_MTU,
	DIAGNOSE_CODE_NO_TRAFFIC,
	DIAGNOSE_CODE_KERNEL_REFUSED,
	DIAGNOSE_CODE_IGMP_VERSION_FORCED,
	DIAGNOSE_CODE_IGMP_OLD_QUERIER,
	_DIAGNOSE_CODE_MAX,
	_DIAGNOSE_CODE_INVALID = -EINVAL,
};

enum diagnose_severity {
	DIAGNOSE_SEVERITY_ERROR,   /* nothing (or not all) can arrive */
	DIAGNOSE_SEVERITY_WARNING, /* it may not arrive, or not whole */
	DIAGNOSE_SEVERITY_INFO,
	_DIAGNOSE_SEVERITY_MAX,
	_DIAGNOSE_SEVERITY_INVALID = -EINVAL,
};

const char *diagnose_code_to_string(enum diagnose_code c);
enum diagnose_code diagnose_code_from_string(const char *s);
const char *diagnose_severity_to_string(enum diagnose_severity s);
enum diagnose_severity diagnose_severity_from_string(const char *s);

struct diagnose_finding {
	enum diagnose_code code;
	enum diagnose_severity severity;
	char *policy;                  /* NULL: of no policy */
	char ifname[IF_NAMESIZE];      /* "": of no interface */
	struct in_addr group;          /* INADDR_ANY: of no group */
	char *message;                 /* what is wrong, one sentence */
	char *hint;                    /* what to do: the sysctl or the command */
	/* diagnose.c's own: the interface the check was about ("": none: policy-wide, an output
	 * by route), the policy's place in the config (runtime joins last), the order found */
	char scope[IF_NAMESIZE];
	size_t order, seq;
};

struct diagnose_report {
	struct diagnose_finding *findings;
	size_t n_findings, cap_findings;
};

struct diagnose_report *diagnose_report_free(struct diagnose_report *r);
void diagnose_report_freep(struct diagnose_report **r);
/* Errors among the findings (ipv4ctl diagnose exits 1 when there is one). */
size_t diagnose_report_errors(const struct diagnose_report *r);

/* The facts a run reads. relay may be NULL (no data path: no traffic checks). */
struct diagnose_input {
	const struct config *config;
	const struct links *links;
	const struct members *members;
	struct relay *relay;
	const char *proc;              /* where procfs is; NULL: "/proc" (tests give a copy) */
	uint64_t now_usec;             /* CLOCK_REALTIME; 0: now */
	/* Leave out what depends on time rather than on a state (no-traffic: right after a join
	 * every group has received nothing yet): the checks the daemon runs by itself. */
	bool skip_traffic;
	/* Only what is about this interface (after a link event): its memberships' checks and
	 * the outputs named out of it; not the policy-wide ones, not outputs by route. */
	const char *only_ifname;
};

/* What runs remember between them: the kernel counters last read. */
struct diagnose;

int diagnose_new(struct diagnose **ret);
struct diagnose *diagnose_free(struct diagnose *d);
void diagnose_freep(struct diagnose **d);

/* Runs every check on every policy of in->config (only_policy: that one; -ENOENT when the
 * config has none of that name) and stores the findings in *ret, in policy order. d may be
 * NULL (no memory: a counter is not said to rise). Returns 0, -ENOENT or -ENOMEM; a fact it
 * cannot read (a sysctl missing) only skips the checks that need it. */
int diagnose_run(struct diagnose *d, const struct diagnose_input *in, const char *only_policy,
		 struct diagnose_report **ret);

/* The control socket's answer: {"findings":[{"code","severity","policy","interface",
 * "group","message","hint"}...],"errors":N,"warnings":N}. */
int diagnose_report_to_json(const struct diagnose_report *r, struct json_object **ret);

/* Logs what changed since the last call on d: each finding that is new, once, at its severity
 * (error: LOG_ERR, warning: LOG_WARNING, info: LOG_INFO) with the journal fields POLICY=,
 * IFNAME= and GROUP=, its code, message and fix; each one logged before that is gone, as
 * cleared (LOG_INFO). A finding is the same one while its code, policy, interface and group
 * are (its message may change). no-traffic is never logged (it depends on time, not on a
 * state). r must be a run over every policy; scope: its only_ifname (NULL: a full run), so
 * that only what it looked at is compared. Returns 0 or -ENOMEM (then nothing is remembered
 * anew). */
int diagnose_log_changes(struct diagnose *d, const struct diagnose_report *r, const char *scope);

/* ipv4ctl show's marks: adds "findings": [CODE...] to each object of arr, the array of
 * memberships in members order (members_json_append_all()'s): the codes of the findings of
 * that membership's policy and interface, and of its group or of none. Returns 0, -ENOMEM, or
 * -EINVAL when arr has fewer objects than m has memberships. */
int diagnose_report_mark_members(const struct diagnose_report *r, const struct members *m,
				 struct json_object *arr);

/* True if a finding names this policy, interface and group (ipv4ctl show's mark). */
bool diagnose_report_has(const struct diagnose_report *r, const char *policy, const char *ifname,
			 struct in_addr group);

#endif
