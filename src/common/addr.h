/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * addr: strict parsing of the addresses, ports and interface names that users type, shared by
 * the daemon's config, the client and the tests. Junk is rejected, never half-parsed: no
 * leading or trailing spaces, no shorthand forms ("10.1", "0x0a.0.0.1"), no octal.
 */
#ifndef IPV4OPT_ADDR_H
#define IPV4OPT_ADDR_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Longest shell pattern accepted where interface names may be patterns ("vlan1*"). */
#define IFNAME_PATTERN_MAX 63

/* Parses a dotted-quad IPv4 address ("192.0.2.1"; four decimal parts, no leading zeros).
 * Returns 0 and stores it in *ret, or -EINVAL. */
int addr_parse_in(const char *s, struct in_addr *ret);

/* Parses a port: decimal digits only, 1-65535. Returns 0 and stores it in *ret (host order);
 * -EINVAL for anything that is not a plain number, -ERANGE for 0 or above 65535. */
int addr_parse_port(const char *s, uint16_t *ret);

/* Parses "ADDR:PORT" (dotted quad, a colon, a port as addr_parse_port() takes it) into an
 * AF_INET socket address in network order. Returns 0, -EINVAL for a malformed text,
 * -ERANGE for a port outside 1-65535. */
int addr_parse_endpoint(const char *s, struct sockaddr_in *ret);

/* True for 224.0.0.0/4 (RFC 5771). */
bool addr_is_multicast(struct in_addr a);

/* True for 232.0.0.0/8, the source-specific multicast range (RFC 4607). */
bool addr_is_ssm(struct in_addr a);

/* True for an address a host can send from: not multicast, not 0.0.0.0, not the limited
 * broadcast 255.255.255.255 (what IGMPv3 source lists may hold, RFC 3376 4.2.12). */
bool addr_is_unicast(struct in_addr a);

/* True if s is a name the kernel accepts for a network interface (dev_valid_name() in
 * net/core/dev.c): 1 to IFNAMSIZ-1 characters, not "." or "..", no '/', ':' or whitespace. */
bool ifname_is_valid(const char *s);

/* True if s contains shell pattern characters (* ? [) for fnmatch(3). */
bool ifname_is_pattern(const char *s);

/* True if s is a valid interface name, or a pattern of at most IFNAME_PATTERN_MAX characters
 * made of what an interface name may contain. */
bool ifname_pattern_is_valid(const char *s);

#endif
