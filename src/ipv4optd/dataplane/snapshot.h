/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snapshot: what the workers read, built by the control plane and published whole.
 *
 * A snapshot is immutable once published: the relay (control plane) builds a new one whenever
 * the policies, their memberships, the egress interfaces or the host's addresses change, and
 * publishes it with one atomic pointer exchange. A worker loads the pointer once per wake-up
 * and reads nothing else of the control plane's.
 *
 * Reclamation is a small quiescent-state scheme (QSBR, as liburcu's flavour of that name; done
 * here with C11 atomics so that ThreadSanitizer can check it): a worker announces the epoch it
 * has seen before it loads the snapshot and goes "offline" before it blocks; what was retired at
 * epoch E (the previous snapshot, and what only it referenced: sockets, counters) is
 * freed once every worker is offline or has seen an epoch >= E. No lock on either side.
 */
#ifndef IPV4OPTD_SNAPSHOT_H
#define IPV4OPTD_SNAPSHOT_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "counters.h"

/* Persistent, per socket, written by its worker only. */
struct snapshot_sock_state {
	uint32_t rxq_ovfl;              /* the kernel's cumulative count, as last seen */
	size_t last_hit;                /* route cache */
} __attribute__((aligned(COUNTERS_CACHELINE)));

struct snapshot_output {
	struct sockaddr_in to;
	int ifindex;                    /* 0: by route */
	bool up;                        /* false: its interface is missing (counted drops) */
	bool has_dscp;
	uint8_t dscp;
	int ttl;                        /* -1: the kernel's default (1 for a group) */
};

struct analyze;

struct redundancy_merge;
struct snapshot_input;

struct snapshot_policy {
	enum policy_action action;
	struct analyze *analyze;              /* [worker]; NULL: analyze "none" (analyze.h) */
	struct counters_policy *counters;     /* [worker] */
	struct counters_output *out_counters; /* [worker * n_outputs + output] */
	const struct in_addr *sources;        /* copies, owned by the snapshot */
	size_t n_sources;
	const struct in_addr *exclude;
	size_t n_exclude;
	const struct snapshot_output *outputs;
	size_t n_outputs;
	uint64_t id;                          /* the relay's id of the policy (recordq) */
	/* redundant inputs (redundancy.h): NONE, or n_inputs >= 2 */
	enum policy_redundancy redundancy;
	size_t n_inputs;
	const struct snapshot_input *inputs;  /* copies, owned by the snapshot */
	struct counters_input *in_counters;   /* [worker * n_inputs + input] */
	uint32_t active;                      /* failover: the input forwarded */
	struct redundancy_merge **merge;      /* merge: [worker], NULL where it has no socket */
};

/* An input's own source filter (checked again, as a policy's). */
struct snapshot_input {
	const struct in_addr *sources;
	size_t n_sources;
	const struct in_addr *exclude;
	size_t n_exclude;
};

/* (group, arrival interface) -> policy, for one socket. */
struct snapshot_route {
	in_addr_t group;
	int ifindex;
	uint32_t policy;                /* index into policies */
	uint32_t input;                 /* of a policy with inputs: which; else 0 */
};

struct snapshot_sock {
	int fd;                         /* the relay's duplicate of the membership socket */
	uint16_t port;
	unsigned worker;
	struct snapshot_sock_state *state;
	const struct snapshot_route *routes; /* sorted by group, ifindex, policy */
	size_t n_routes;
};

struct snapshot {
	uint64_t generation;
	struct snapshot_policy *policies;
	size_t n_policies;
	struct snapshot_sock *socks;
	size_t n_socks;
	int32_t *sock_by_fd;            /* fd -> index into socks, -1 */
	size_t n_fds;
	in_addr_t *local;               /* the host's addresses, sorted (host order) */
	size_t n_local;
	uint16_t *send_ports;           /* the workers' send sockets' ports (loop protection) */
	size_t n_send_ports;
	uint64_t coalesce_usec;         /* the longest a worker may wait for more (0: never) */
	uint32_t *merge_policies;       /* indexes of the policies with redundancy merge */
	size_t n_merge_policies;
};

/* Lookups a worker makes. */
const struct snapshot_sock *snapshot_sock_by_fd(const struct snapshot *s, int fd);
/* The first route of (group, ifindex) on k; the next ones of the same key follow it. */
const struct snapshot_route *snapshot_route_lookup(const struct snapshot_sock *k, in_addr_t group,
						   int ifindex);
bool snapshot_is_own_output(const struct snapshot *s, in_addr_t addr, uint16_t port);

/* Frees a snapshot and the copies it owns (not counters, states or fds: those are
 * retired on their own, see snapshot_domain_retire). */
void snapshot_free(struct snapshot *s);

/* ---- publication and reclamation ------------------------------------------------------- */

#define SNAPSHOT_OFFLINE UINT64_MAX

struct snapshot_reader {
	uint64_t seen;                  /* atomic: the epoch seen, or SNAPSHOT_OFFLINE */
} __attribute__((aligned(COUNTERS_CACHELINE)));

struct snapshot_domain;

int snapshot_domain_new(size_t n_readers, struct snapshot_domain **ret);
/* Frees everything retired, whatever the readers: call it only once they stopped. */
struct snapshot_domain *snapshot_domain_free(struct snapshot_domain *d);

/* Control plane: replaces the published snapshot (which is retired); NULL at shutdown. */
int snapshot_domain_publish(struct snapshot_domain *d, struct snapshot *s);
/* Control plane: frees fn(ptr) once no reader can hold what the current snapshot replaced. */
int snapshot_domain_retire(struct snapshot_domain *d, void (*fn)(void *), void *ptr);
/* Control plane: frees what no reader can still see. Returns how many retired items wait. */
size_t snapshot_domain_reclaim(struct snapshot_domain *d);

/* Reader (worker) i: before reading, after reading. */
const struct snapshot *snapshot_reader_enter(struct snapshot_domain *d, size_t i);
void snapshot_reader_leave(struct snapshot_domain *d, size_t i);

#endif
