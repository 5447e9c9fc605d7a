/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libipv4opt: IP-level socket options for IPv4 on Linux.
 *
 * Every function works on a plain file descriptor that the caller owns. Actions return
 * 0 (or a non-negative count) on success and a negative errno value on failure; the
 * library's own error codes (IPV4OPT_E_*) are negative too and lie above the errno range.
 * ipv4opt_strerror() names both. The library never logs, never allocates behind the
 * caller's back (except where a function says so) and keeps no global state.
 */
#ifndef IPV4OPT_H
#define IPV4OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <netinet/in.h>
#include <linux/filter.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Errors                                                                                    */

/* Library-specific errors, returned negated like errno values. */
enum ipv4opt_error {
	IPV4OPT_E_BASE = 4096,
	IPV4OPT_E_HEADER_SHORT,        /* buffer shorter than 20 bytes or than the header length */
	IPV4OPT_E_HEADER_VERSION,      /* version field is not 4 */
	IPV4OPT_E_HEADER_LENGTH,       /* IHL below 5, options longer than 40 bytes or not 4-aligned */
	IPV4OPT_E_HEADER_TOTAL_LENGTH, /* total length field smaller than the header */
	IPV4OPT_E_CMSG_SHORT,          /* control message truncated or malformed */
	IPV4OPT_E_DSCP_UNKNOWN,        /* DSCP name or number not recognised */
	IPV4OPT_E_NOT_MULTICAST,       /* address is not in 224.0.0.0/4 */
	IPV4OPT_E_BUFFER_TOO_SMALL,    /* output buffer too small */
	_IPV4OPT_E_MAX,
};

/* Returns a static string describing err (a negative errno or -IPV4OPT_E_*; a positive value is
 * taken as its negation). Never NULL, thread-safe: unknown values give "Unknown error" or
 * "Unknown ipv4opt error", 0 gives "Success". */
const char *ipv4opt_strerror(int err);

/* ---------------------------------------------------------------------------------------- */
/* Unicast: TOS and TTL (IP_TOS, IP_TTL) on stream, datagram and raw sockets                 */

/* Reads / sets the TOS byte of outgoing packets. Returns 0 or -errno (-EINVAL: tos outside
 * 0-255). On stream sockets the kernel keeps the two ECN bits for TCP and ignores ours. */
int ipv4opt_get_tos(int fd, int *ret_tos);
int ipv4opt_set_tos(int fd, int tos);
/* Reads / sets the TTL of outgoing unicast packets. Returns 0 or -errno (-EINVAL from the
 * kernel: ttl outside 1-255; -1 restores the default, net.ipv4.ip_default_ttl). */
int ipv4opt_get_ttl(int fd, int *ret_ttl);
int ipv4opt_set_ttl(int fd, int ttl);

/* ---------------------------------------------------------------------------------------- */
/* DSCP code points (RFC 2474, 2597, 2598/3246, 5865, 8622). Values are the 6-bit DSCP.      */

enum {
	IPV4OPT_DSCP_CS0 = 0x00,
	IPV4OPT_DSCP_CS1 = 0x08,
	IPV4OPT_DSCP_CS2 = 0x10,
	IPV4OPT_DSCP_CS3 = 0x18,
	IPV4OPT_DSCP_CS4 = 0x20,
	IPV4OPT_DSCP_CS5 = 0x28,
	IPV4OPT_DSCP_CS6 = 0x30,
	IPV4OPT_DSCP_CS7 = 0x38,
	IPV4OPT_DSCP_AF11 = 0x0a,
	IPV4OPT_DSCP_AF12 = 0x0c,
	IPV4OPT_DSCP_AF13 = 0x0e,
	IPV4OPT_DSCP_AF21 = 0x12,
	IPV4OPT_DSCP_AF22 = 0x14,
	IPV4OPT_DSCP_AF23 = 0x16,
	IPV4OPT_DSCP_AF31 = 0x1a,
	IPV4OPT_DSCP_AF32 = 0x1c,
	IPV4OPT_DSCP_AF33 = 0x1e,
	IPV4OPT_DSCP_AF41 = 0x22,
	IPV4OPT_DSCP_AF42 = 0x24,
	IPV4OPT_DSCP_AF43 = 0x26,
	IPV4OPT_DSCP_EF = 0x2e,
	IPV4OPT_DSCP_VOICE_ADMIT = 0x2c,
	IPV4OPT_DSCP_LE = 0x01,
};

#define IPV4OPT_ECN_MASK 0x03

/* Parses a DSCP by name (case-insensitive: "AF41", "ef", "voice-admit", "le", "cs0"..."cs7")
 * or by number (decimal 0-63, or 0x-prefixed hex). Returns 0 and stores the 6-bit value;
 * -IPV4OPT_E_DSCP_UNKNOWN for anything else (empty, trailing junk, out of range). */
int ipv4opt_dscp_from_string(const char *s, uint8_t *ret_dscp);

/* Returns the canonical upper-case name of a DSCP value ("AF41", "VOICE-ADMIT"), or NULL
 * when the value has no name. */
const char *ipv4opt_dscp_to_string(uint8_t dscp);

/* Returns the TOS byte carrying dscp in its top six bits and the ECN bits of old_tos. */
uint8_t ipv4opt_tos_compose(uint8_t dscp, uint8_t old_tos);

/* Sets the socket's DSCP, keeping the ECN bits currently set (IP_TOS read-modify-write).
 * -EINVAL for a value above 63. */
int ipv4opt_set_dscp(int fd, uint8_t dscp);

/* ---------------------------------------------------------------------------------------- */
/* Multicast membership (RFC 3678 protocol-independent options, by interface index)         */

/* Joins/leaves an any-source group on ifindex (0: the kernel picks by route).
 * -IPV4OPT_E_NOT_MULTICAST if group is not multicast; kernel errors as -errno
 * (-ENOBUFS: socket holds net.ipv4.igmp_max_memberships groups; -EADDRINUSE: already joined;
 * -EADDRNOTAVAIL: leaving a group not joined; -ENODEV: no such interface). */
int ipv4opt_join_group(int fd, int ifindex, struct in_addr group);
int ipv4opt_leave_group(int fd, int ifindex, struct in_addr group);

/* Joins/leaves a source-specific (S,G) channel on ifindex (MCAST_(JOIN|LEAVE)_SOURCE_GROUP).
 * -ENOBUFS past net.ipv4.igmp_max_msf sources per group. */
int ipv4opt_join_source_group(int fd, int ifindex, struct in_addr group, struct in_addr source);
int ipv4opt_leave_source_group(int fd, int ifindex, struct in_addr group, struct in_addr source);

/* Excludes / re-includes one source of an any-source group already joined on ifindex. */
int ipv4opt_block_source(int fd, int ifindex, struct in_addr group, struct in_addr source);
int ipv4opt_unblock_source(int fd, int ifindex, struct in_addr group, struct in_addr source);

/* Source filter of a group joined on this socket (MCAST_MSFILTER).  */
enum ipv4opt_filter_mode {
	IPV4OPT_FILTER_INCLUDE = 1, /* MCAST_INCLUDE */
	IPV4OPT_FILTER_EXCLUDE = 0, /* MCAST_EXCLUDE */
};

/* Reads the filter mode and up to *n_sources sources of a group this socket joined on ifindex.
 * On success *n_sources holds the number of sources the kernel has (which may exceed the
 * array; only the first entries are stored). -EADDRNOTAVAIL if the socket has not joined;
 * -IPV4OPT_E_NOT_MULTICAST; -EINVAL for NULL arguments. Allocates a temporary buffer when
 * *n_sources is above 16 (the kernel wants 128 bytes per source). */
int ipv4opt_get_source_filter(int fd, int ifindex, struct in_addr group,
			      enum ipv4opt_filter_mode *ret_mode, struct in_addr *sources,
			      size_t *n_sources);

/* Replaces the group's filter mode and source list in one call (INCLUDE with no sources
 * leaves the group). Returns 0 or -errno: -ENOBUFS above net.ipv4.igmp_max_msf sources,
 * -EINVAL if the socket has not joined the group (net/ipv4/igmp.c, ip_mc_msfilter()) or for a
 * bad mode;
 * -IPV4OPT_E_NOT_MULTICAST. Allocates a temporary buffer above 16 sources. */
int ipv4opt_set_source_filter(int fd, int ifindex, struct in_addr group,
			      enum ipv4opt_filter_mode mode, const struct in_addr *sources,
			      size_t n_sources);

/* ---------------------------------------------------------------------------------------- */
/* Multicast sending and receiving options                                                    */

/* Default outgoing interface for multicast (IP_MULTICAST_IF with ip_mreqn; 0 = unset).
 * Linux reads IP_MULTICAST_IF back as an address only, never as an index: set stores the
 * interface's primary IPv4 address with the index (the source address the kernel would pick on
 * that interface anyway; set again after renumbering the interface), and get maps the stored
 * address back to its interface (SIOCGIFCONF on fd, so in the socket's namespace). An interface
 * without an IPv4 address is set by index alone, and get then reports 0.
 * Returns 0 or -errno: -ENODEV no such interface; get: -EADDRNOTAVAIL when the stored address
 * is no longer on any interface. */
int ipv4opt_get_multicast_if(int fd, int *ret_ifindex);
int ipv4opt_set_multicast_if(int fd, int ifindex);
/* TTL of outgoing multicast (default 1). Returns 0 or -errno (-EINVAL outside 0-255; -1
 * restores the default). */
int ipv4opt_get_multicast_ttl(int fd, int *ret_ttl);
int ipv4opt_set_multicast_ttl(int fd, int ttl);
/* Whether this host's own sockets hear the multicast this socket sends (default on).
 * Returns 0 or -errno. */
int ipv4opt_get_multicast_loop(int fd, bool *ret_on);
int ipv4opt_set_multicast_loop(int fd, bool on);
/* IP_MULTICAST_ALL: when off, the socket receives only the groups it joined itself
 * (default on: a socket bound to the wildcard receives every group joined on the host for its
 * port). Returns 0 or -errno. */
int ipv4opt_get_multicast_all(int fd, bool *ret_on);
int ipv4opt_set_multicast_all(int fd, bool on);

/* Unicast egress interface without privilege (IP_UNICAST_IF; 0 clears). Returns 0 or -errno
 * (-EINVAL negative index; -EADDRNOTAVAIL from the kernel for an unknown index). */
int ipv4opt_set_unicast_if(int fd, int ifindex);

/* Address reuse for several listeners on one port (SO_REUSEADDR / SO_REUSEPORT).
 * Returns 0 or -errno. Set before bind(). */
int ipv4opt_set_reuse_addr(int fd, bool on);
int ipv4opt_set_reuse_port(int fd, bool on);

/* Kernel receive-queue drop counter in each datagram's control data (SO_RXQ_OVFL), read as
 * IPV4OPT_CM_RXQ_OVFL. The kernel stamps the count when a datagram is queued and sends it only
 * when it is above zero: no IPV4OPT_CM_RXQ_OVFL in cm.flags means no drop yet. Returns 0 or
 * -errno. */
int ipv4opt_set_rxq_ovfl(int fd, bool on);

/* The kernel's receive time of each datagram in its control data (SO_TIMESTAMPNS: a struct
 * timespec of CLOCK_REALTIME, taken when the packet arrived, not when it was read), read with
 * ipv4opt_cm_timestamp() or ipv4opt_recv_batch_stamped(). Returns 0 or -errno. */
int ipv4opt_set_timestamp_ns(int fd, bool on);

/* ---------------------------------------------------------------------------------------- */
/* Per-packet control messages                                                               */

enum ipv4opt_cm_flags {
	IPV4OPT_CM_TTL = 1 << 0,     /* IP_RECVTTL: hop limit of the received packet */
	IPV4OPT_CM_SRC = 1 << 1,     /* IP_PKTINFO: local (source on send) address */
	IPV4OPT_CM_DST = 1 << 2,     /* IP_PKTINFO: destination address of the received packet */
	IPV4OPT_CM_IFINDEX = 1 << 3, /* IP_PKTINFO: arrival / departure interface index */
	IPV4OPT_CM_TOS = 1 << 4,     /* IP_RECVTOS: TOS byte of the received packet */
	IPV4OPT_CM_RXQ_OVFL = 1 << 5, /* SO_RXQ_OVFL: cumulative receive-queue drops */
	IPV4OPT_CM_ALL = (1 << 6) - 1,
};

/* One packet's control data. `flags` says which fields are valid. */
struct ipv4opt_cm {
	unsigned flags;
	int ttl;
	int tos;
	struct in_addr src;
	struct in_addr dst;
	int ifindex;
	uint32_t rxq_ovfl;
};

/* Enables (on) or disables the delivery of the control data named by flags (any OR of
 * IPV4OPT_CM_*; SRC, DST and IFINDEX share IP_PKTINFO). Returns 0 or -errno (-EINVAL for
 * unknown flags); stops at the first option the kernel refuses. */
int ipv4opt_set_control_message(int fd, unsigned flags, bool on);

/* Returns the control buffer size that receives every message named by flags (and holds
 * what ipv4opt_cm_marshal() writes for them). Never above IPV4OPT_CM_MAX_SPACE. */
size_t ipv4opt_cm_space(unsigned flags);

/* Largest value ipv4opt_cm_space() returns; a buffer this big holds any set of flags. */
#define IPV4OPT_CM_MAX_SPACE 128

/* Parses a received control buffer (msg_control / msg_controllen). Unknown messages are
 * skipped; a truncated or malformed one (cmsg_len below the header or past len, a known
 * message with a payload of the wrong size, trailing bytes shorter than a header) is
 * -IPV4OPT_E_CMSG_SHORT. IP_PKTINFO sets DST (ipi_addr), SRC (ipi_spec_dst) and IFINDEX.
 * The buffer need not be aligned. *ret_cm is written only on success. */
int ipv4opt_cm_parse(const void *control, size_t len, struct ipv4opt_cm *ret_cm);

/* Finds the receive time (SO_TIMESTAMPNS, see ipv4opt_set_timestamp_ns()) in a received
 * control buffer. Returns 0 and stores it in *ret_ts, -ENOENT when the buffer has none, -EINVAL
 * for NULL arguments, -IPV4OPT_E_CMSG_SHORT for a malformed buffer (as ipv4opt_cm_parse()). */
int ipv4opt_cm_timestamp(const void *control, size_t len, struct timespec *ret_ts);

/* Marshals the outgoing control data of cm: IP_PKTINFO (SRC as ipi_spec_dst, IFINDEX), IP_TTL
 * and IP_TOS (each an int) as enabled by cm->flags; DST and RXQ_OVFL are receive-only and
 * ignored. Stores the used length in *ret_len (0 when nothing is enabled). Returns 0,
 * -IPV4OPT_E_BUFFER_TOO_SMALL if buf is too small, -EINVAL for NULL arguments. */
int ipv4opt_cm_marshal(const struct ipv4opt_cm *cm, void *buf, size_t len, size_t *ret_len);

/* Reads one datagram. ret_from, ret_cm and ret_truncated may be NULL. Returns the number of
 * bytes stored in buf. *ret_truncated is set when the datagram was longer than len (MSG_TRUNC).
 * Errors: -errno of recvmsg() (-EAGAIN on timeout or MSG_DONTWAIT), -IPV4OPT_E_CMSG_SHORT if
 * the control data does not parse (the datagram is consumed). */
ssize_t ipv4opt_recvmsg(int fd, void *buf, size_t len, int flags, struct sockaddr_in *ret_from,
			struct ipv4opt_cm *ret_cm, bool *ret_truncated);

/* Writes one datagram to `to` (NULL on a connected socket) with control data cm (may be NULL).
 * Returns the number of bytes sent, or -errno of sendmsg(). */
ssize_t ipv4opt_sendmsg(int fd, const void *buf, size_t len, int flags,
			const struct sockaddr_in *to, const struct ipv4opt_cm *cm);

/* ---------------------------------------------------------------------------------------- */
/* Batch I/O (recvmmsg / sendmmsg)                                                           */

struct ipv4opt_message {
	void *buf;                 /* payload buffer */
	size_t len;                /* capacity on receive, payload length on send */
	size_t n;                  /* bytes received / sent */
	struct sockaddr_in addr;   /* source on receive, destination on send (port 0: connected) */
	struct ipv4opt_cm cm;      /* control data parsed on receive / marshalled on send */
	bool truncated;            /* receive: datagram was longer than len */
};

/* Receives up to count datagrams in as few system calls as the kernel allows (one with
 * MSG_DONTWAIT on a ready socket). Returns the number of messages filled (>= 1) or a negative
 * errno (-EAGAIN when nothing was waiting). Control data is parsed into each message's cm.
 * Works in chunks of 32 on the stack: only the first may block (until one datagram is there,
 * MSG_WAITFORONE), later ones take what is queued. -EINVAL for count 0. */
int ipv4opt_recv_batch(int fd, struct ipv4opt_message *msgs, size_t count, int flags);

/* ipv4opt_recv_batch(), and the kernel's receive time of each message filled in ret_stamps[i]
 * (count entries; {0, 0} for a message without one: SO_TIMESTAMPNS off, see
 * ipv4opt_set_timestamp_ns()). -EINVAL for a NULL ret_stamps. */
int ipv4opt_recv_batch_stamped(int fd, struct ipv4opt_message *msgs, size_t count, int flags,
			       struct timespec *ret_stamps);

/* Sends count datagrams. Returns the number the kernel accepted (which may be fewer: the
 * caller retries the rest) or a negative errno if the first one failed (-EINVAL for count 0).
 * A message whose addr has port 0 goes to the connected peer; cm as in ipv4opt_cm_marshal().
 * The n of each message sent is set. */
int ipv4opt_send_batch(int fd, struct ipv4opt_message *msgs, size_t count, int flags);

/* ---------------------------------------------------------------------------------------- */
/* Raw IPv4: headers (RFC 791) and IP_HDRINCL sockets                                         */

#define IPV4OPT_HEADER_LEN 20
#define IPV4OPT_HEADER_MAX_OPTIONS 40

enum {
	IPV4OPT_FLAG_MF = 0x1, /* more fragments */
	IPV4OPT_FLAG_DF = 0x2, /* don't fragment */
};

struct ipv4opt_header {
	int version;        /* 4 */
	int len;            /* header length in bytes (20 + options) */
	int tos;
	int total_len;      /* header + payload, host order */
	int id;
	int flags;          /* IPV4OPT_FLAG_*; the reserved bit, if set, reads as 0x4 */
	int frag_off;       /* in 8-byte units */
	int ttl;
	int protocol;
	int checksum;       /* as parsed; computed by marshal */
	struct in_addr src;
	struct in_addr dst;
	uint8_t options[IPV4OPT_HEADER_MAX_OPTIONS];
	size_t options_len; /* multiple of 4, at most 40 */
};

/* Parses the IPv4 header at the start of the n bytes at b (wire order, as Linux raw sockets
 * deliver it) into host-order fields; options are copied. Checked in this order:
 * -IPV4OPT_E_HEADER_SHORT (n < 20), -IPV4OPT_E_HEADER_VERSION (not 4),
 * -IPV4OPT_E_HEADER_LENGTH (IHL < 5), -IPV4OPT_E_HEADER_SHORT (n < IHL * 4),
 * -IPV4OPT_E_HEADER_TOTAL_LENGTH (total length < IHL * 4). A total length beyond n is
 * accepted (a read may be cut short). The checksum is reported, not verified:
 * ipv4opt_checksum(b, h.len) == 0 verifies it. */
int ipv4opt_header_parse(const void *b, size_t n, struct ipv4opt_header *ret_h);

/* Writes h to buf in wire order, computing the header checksum (len and version are derived
 * from options_len; h->checksum is ignored). Stores the length written in *ret_len (may be
 * NULL). -IPV4OPT_E_HEADER_LENGTH (options_len not a multiple of 4 or above 40), -EINVAL (a
 * field wider than its wire slot, e.g. ttl > 255, flags > 7, frag_off > 0x1fff),
 * -IPV4OPT_E_BUFFER_TOO_SMALL (len < 20 + options_len). */
int ipv4opt_header_marshal(const struct ipv4opt_header *h, void *buf, size_t len,
			   size_t *ret_len);

/* RFC 1071 Internet checksum of n bytes (an odd last byte is zero-padded), as the value to
 * store big-endian: the checksum field of a marshalled header is b[10] << 8 | b[11]. */
uint16_t ipv4opt_checksum(const void *b, size_t n);

/* IP_HDRINCL: writes on the raw socket carry their own IPv4 header (always on for IPPROTO_RAW
 * sockets). Setting it on a non-raw socket is -ENOPROTOOPT. */
int ipv4opt_get_hdrincl(int fd, bool *ret_on);
int ipv4opt_set_hdrincl(int fd, bool on);

/* Reads one packet from a raw socket: the IPv4 header is parsed into ret_h, the payload is
 * left in buf at *ret_payload_off with *ret_payload_len bytes. ret_cm may be NULL; the output
 * pointers other than ret_h may be NULL. Returns the number of bytes stored in buf. A packet
 * longer than len is cut to len bytes: ret_h->total_len above the return value tells.
 * -errno from recvmsg (-EAGAIN on a timeout), the parse errors of ipv4opt_header_parse()
 * (the packet is consumed), -IPV4OPT_E_CMSG_SHORT. */
int ipv4opt_raw_recv(int fd, void *buf, size_t len, struct ipv4opt_header *ret_h,
		     size_t *ret_payload_off, size_t *ret_payload_len, struct ipv4opt_cm *ret_cm);

/* Writes header + payload on an IP_HDRINCL socket (destination taken from h->dst) with
 * control data cm (may be NULL; e.g. IPV4OPT_CM_IFINDEX picks the egress of a multicast
 * packet). total_len and checksum are filled in. Returns the number of bytes sent (header +
 * payload). -EMSGSIZE past 65535 bytes, the errors of ipv4opt_header_marshal() and
 * ipv4opt_cm_marshal(), -errno from sendmsg. Linux fills in an ID of 0 and a source of
 * 0.0.0.0, and always recomputes total length and checksum (raw(7)). */
int ipv4opt_raw_send(int fd, const struct ipv4opt_header *h, const void *payload, size_t n,
		     const struct ipv4opt_cm *cm);

/* ---------------------------------------------------------------------------------------- */
/* ICMP                                                                                      */

/* Returns the RFC 792 (and later IANA) name of an ICMP type ("echo reply", "destination
 * unreachable", ..., "photuris", "extended echo request"), or NULL for an unassigned or
 * deprecated type. */
const char *ipv4opt_icmp_type_to_string(int type);

/* ICMP_FILTER on raw ICMP sockets: a set bit blocks that type (types 0-31). The kernel always
 * delivers types 32 and above: accept() and block() ignore them and will_block() returns
 * false for them. get/set: -EOPNOTSUPP on a raw socket of another protocol. */
struct ipv4opt_icmp_filter {
	uint32_t data;
};

void ipv4opt_icmp_filter_accept(struct ipv4opt_icmp_filter *f, int type);
void ipv4opt_icmp_filter_block(struct ipv4opt_icmp_filter *f, int type);
void ipv4opt_icmp_filter_set_all(struct ipv4opt_icmp_filter *f, bool block);
bool ipv4opt_icmp_filter_will_block(const struct ipv4opt_icmp_filter *f, int type);
int ipv4opt_get_icmp_filter(int fd, struct ipv4opt_icmp_filter *ret_f);
int ipv4opt_set_icmp_filter(int fd, const struct ipv4opt_icmp_filter *f);

/* ---------------------------------------------------------------------------------------- */
/* Classic BPF                                                                               */

/* Attaches a classic BPF program of n instructions (SO_ATTACH_FILTER), replacing any previous
 * one; offset 0 is the IPv4 header on a raw socket, the UDP header on a UDP socket. -EINVAL for
 * n == 0, n > BPF_MAXINSNS or a program the kernel refuses. */
int ipv4opt_attach_filter(int fd, const struct sock_filter *prog, size_t n);
/* Removes the socket's filter (SO_DETACH_FILTER). -ENOENT when none is attached. */
int ipv4opt_detach_filter(int fd);

/* ---------------------------------------------------------------------------------------- */
/* Reading the kernel's membership tables (/proc/net/igmp, /proc/net/mcfilter)               */

struct ipv4opt_igmp_entry {
	int ifindex;
	char ifname[16];
	struct in_addr group;
	unsigned users;
};

struct ipv4opt_mcfilter_entry {
	int ifindex;
	char ifname[16];
	struct in_addr group;
	struct in_addr source;
	bool include; /* INCLUDE (1) or EXCLUDE (0) count > 0 */
};

/* Calls cb for every group of /proc/net/igmp (path NULL) or of the given file; stops at the
 * first negative return of cb and returns it. With path NULL the table is that of the calling
 * thread's network namespace (/proc/thread-self/net). Returns 0, -errno of fopen(), -EBADMSG
 * on a line that does not parse, -EINVAL for a NULL cb. mcfilter: the kernel prints six
 * characters of a device name; with path NULL a cut name is completed from the index. */
int ipv4opt_igmp_foreach(const char *path,
			 int (*cb)(const struct ipv4opt_igmp_entry *e, void *userdata),
			 void *userdata);
int ipv4opt_mcfilter_foreach(const char *path,
			     int (*cb)(const struct ipv4opt_mcfilter_entry *e, void *userdata),
			     void *userdata);

#ifdef __cplusplus
}
#endif

#endif
