/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config: /etc/ipv4optd.conf (libconfig syntax) to a fully validated struct config.
 * No side effects: nothing here opens sockets, resolves interfaces or logs. The daemon parses
 * a new config, and swaps it in whole only when it is valid.
 */
#ifndef IPV4OPTD_CONFIG_H
#define IPV4OPTD_CONFIG_H

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stream/stream.h"

#define CONFIG_DEFAULT_PATH SYSCONFDIR "/ipv4optd.conf"
#define CONFIG_DEFAULT_CONTROL_PATH "/run/ipv4optd/ipv4optd.sock"
#define CONFIG_DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/ipv4optd"
#define CONFIG_MAX_POLICIES 65536
#define CONFIG_MAX_INTERFACES 64   /* names/patterns per policy */
#define CONFIG_MAX_SOURCES 64      /* sources or excludes per policy */
#define CONFIG_MAX_OUTPUTS 64      /* relay outputs per policy (fan-out) */
#define CONFIG_MAX_WORKERS 256     /* data-plane threads */
#define CONFIG_DEFAULT_PCAP_FILES 5 /* log.max_files: rotated pcap generations kept */
#define CONFIG_MAX_PCAP_FILES 1000
#define CONFIG_MAX_INPUTS 8        /* redundant inputs per policy */
#define CONFIG_DEFAULT_FAILOVER_TIMEOUT_MS 200
#define CONFIG_DEFAULT_REVERT_AFTER_SEC 10
#define CONFIG_DEFAULT_MERGE_WINDOW_MS 50
#define CONFIG_MAX_MERGE_WINDOW_MS 1000
#define CONFIG_DEFAULT_RCVBUF (4 * 1024 * 1024)
#define CONFIG_DEFAULT_COALESCE_USEC 500
#define CONFIG_MAX_COALESCE_USEC 100000
/* What a burst at 10 Gb/s (1250 bytes per microsecond) costs the receive buffer per
 * microsecond, with the kernel's per-datagram overhead (sk_buff, truesize) counted at up to the
 * datagram's size again. The coalescing wait is at most what the buffer (the doubled SO_RCVBUF,
 * socket(7)) holds of such a burst. */
#define CONFIG_COALESCE_BURST_BYTES_PER_USEC 2500

enum policy_action {
	POLICY_ACTION_JOIN,  /* hold the membership only */
	POLICY_ACTION_RELAY, /* receive on port, send to each output's to */
	POLICY_ACTION_LOG,   /* receive on port, record each datagram */
	POLICY_ACTION_MONITOR, /* receive on port, analyse (key analyze), send nothing */
	_POLICY_ACTION_MAX,
	_POLICY_ACTION_INVALID = -EINVAL,
};

const char *policy_action_to_string(enum policy_action a);
enum policy_action policy_action_from_string(const char *s);

enum log_target {
	LOG_TARGET_JOURNAL, /* one record per datagram to the journal, rate-limited */
	LOG_TARGET_PCAP,    /* a pcap file, rotated at pcap_max_size */
	_LOG_TARGET_MAX,
	_LOG_TARGET_INVALID = -EINVAL,
};

const char *log_target_to_string(enum log_target t);
enum log_target log_target_from_string(const char *s);

/* syslog priority names for log.level: "emerg" ... "debug" (also "error", "warn").
 * from_string returns LOG_EMERG..LOG_DEBUG or -EINVAL; to_string returns NULL when unknown. */
int config_log_level_from_string(const char *s);
const char *config_log_level_to_string(int level);

/* How a policy with several inputs makes one stream of them. */
enum policy_redundancy {
	POLICY_REDUNDANCY_NONE,     /* one input: the policy's own group */
	POLICY_REDUNDANCY_FAILOVER, /* one input at a time: the primary, else the next healthy */
	POLICY_REDUNDANCY_MERGE,    /* RTP: each sequence number once, from whichever input */
	_POLICY_REDUNDANCY_MAX,
	_POLICY_REDUNDANCY_INVALID = -EINVAL,
};

const char *policy_redundancy_to_string(enum policy_redundancy r);
enum policy_redundancy policy_redundancy_from_string(const char *s);

/* One input of a policy with redundant inputs: a group held like a policy's own. */
struct policy_input {
	int line;
	struct in_addr group;
	struct in_addr *sources;        /* non-empty: source-specific (INCLUDE) */
	size_t n_sources;
	struct in_addr *exclude;
	size_t n_exclude;
	char **interfaces;              /* names and fnmatch(3) patterns; at least one */
	size_t n_interfaces;
	uint16_t port;                  /* the policy's unless given */
};

/* One destination of a relay policy: a datagram received once is sent to each. */
struct relay_output {
	struct sockaddr_in to;          /* unicast or multicast ADDR:PORT */
	char interface[IF_NAMESIZE];    /* egress interface name ("" = by route) */
	bool has_dscp;
	uint8_t dscp;                   /* 6-bit DSCP */
	int ttl;                        /* -1 = kernel default; else 1-255 */
};

struct log_conf {
	enum log_target target;
	char *pcap_path;                /* target pcap */
	uint64_t pcap_max_size;         /* bytes, rotation threshold; 0 = never */
	unsigned pcap_max_files;        /* rotated generations kept (FILE.1 ... FILE.N),
					 * 1..CONFIG_MAX_PCAP_FILES; 0 = the default */
	unsigned rate_limit;            /* journal records per second, 0 = default (10) */
};

struct policy {
	char *name;
	int line;                       /* line of the policy in the file, for messages */
	struct in_addr group;
	struct in_addr *sources;        /* non-empty: source-specific (INCLUDE) */
	size_t n_sources;
	struct in_addr *exclude;        /* any-source with these sources blocked */
	size_t n_exclude;
	char **interfaces;              /* names and fnmatch(3) patterns */
	size_t n_interfaces;
	uint16_t port;                  /* 0: none (only for action join) */
	enum policy_action action;
	struct relay_output *outputs;   /* action relay: 1..CONFIG_MAX_OUTPUTS, in file order */
	size_t n_outputs;               /* 0 for the other actions */
	struct log_conf log;            /* action log */
	uint64_t stall_timeout_usec;    /* 0: off */
	uint64_t rejoin_interval_usec;  /* 0: off */
	enum stream_format analyze;     /* stream analysis (relay, log, monitor); default none,
					 * monitor: auto */
	uint32_t rtp_clock_rate;        /* Hz; 0: RTP_CLOCK_RATE_DEFAULT (90 kHz) */
	/* Redundant inputs (key 'inputs'): 2..CONFIG_MAX_INPUTS, the first the primary. Then
	 * group, sources, exclude and interfaces above are empty; port is the inputs' default. */
	struct policy_input *inputs;
	size_t n_inputs;
	enum policy_redundancy redundancy; /* NONE exactly when n_inputs is 0 */
	uint64_t failover_timeout_usec; /* failover: silence that makes an input unhealthy */
	double failover_loss;           /* failover: loss fraction over a second; 0: off */
	uint64_t revert_after_usec;     /* failover: back to the primary after; 0: never */
	uint64_t merge_window_usec;     /* merge: how long a missing number is waited for */
};

struct config {
	char *path;
	struct {
		char *path;
		char *group;                /* may be NULL: only root may change state */
		mode_t mode;                /* default 0666: access is decided per command */
	} control;
	struct {
		int level;                  /* syslog priority, LOG_ERR..LOG_DEBUG; default LOG_INFO */
	} log;
	char *state_dir;
	int rcvbuf;                     /* data sockets' SO_RCVBUF, bytes; 0 = default (4 MiB) */
	uint64_t coalesce_usec;         /* wait after a small drain of a data socket; 0: off */
	unsigned workers;               /* data-plane threads, 1..the CPUs this process may run
					 * on (at most CONFIG_MAX_WORKERS); default 1 */
	struct policy *policies;
	size_t n_policies;
};

/* Parses and validates a file. On success stores a new config in *ret. On failure returns a
 * negative errno (-EINVAL for invalid content, -ENOENT/-EACCES... for an unreadable file) and
 * stores in *ret_errors (if not NULL) a malloc'd text of one "file:line: message" per line. */
int config_parse_file(const char *path, struct config **ret, char **ret_errors);

/* Same, from text in memory; name stands for the file name in messages. */
int config_parse_string(const char *text, const char *name, struct config **ret,
			char **ret_errors);

struct config *config_free(struct config *c);
void config_freep(struct config **c);

/* Returns the policy named name, or NULL. */
const struct policy *config_find_policy(const struct config *c, const char *name);

/* True if port is 0 or the port a relay or log policy receives on: the only ports a runtime
 * join may bind (any other would take a UDP port some other service uses). */
bool config_port_receives(const struct config *c, uint16_t port);

/* True if ifname matches one of the policy's interface names or patterns (any input's). */
bool policy_matches_interface(const struct policy *p, const char *ifname);

#endif
