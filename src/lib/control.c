/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet control messages (ip(7), cmsg(3)).
 *
 * What the kernel delivers (net/ipv4/ip_sockglue.c, ip_cmsg_recv_*()): IP_TTL as an int,
 * IP_TOS as a single byte, IP_PKTINFO as a struct in_pktinfo, and SO_RXQ_OVFL (at SOL_SOCKET)
 * as a uint32_t. On send it takes IP_PKTINFO, and IP_TTL / IP_TOS as an int.
 *
 * Control buffers are walked by hand rather than with CMSG_NXTHDR(): every length is checked
 * against the bytes that are really there, and headers are copied out with memcpy() so the
 * buffer need not be aligned.
 */
#include <sys/uio.h>

#include "internal.h"

/* Room for every message we parse plus a few the caller may have enabled elsewhere. */
#define RECV_CONTROL_SPACE 256

static int set_int(int fd, int level, int name, int v)
{
	if (setsockopt(fd, level, name, &v, sizeof(v)) < 0)
		return -errno;
	return 0;
}

_public_ int ipv4opt_set_control_message(int fd, unsigned flags, bool on)
{
	int r;

	if (flags & ~(unsigned)IPV4OPT_CM_ALL)
		return -EINVAL;
	if (flags & IPV4OPT_CM_TTL) {
		r = set_int(fd, IPPROTO_IP, IP_RECVTTL, on);
		if (r < 0)
			return r;
	}
	if (flags & (IPV4OPT_CM_SRC | IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX)) {
		r = set_int(fd, IPPROTO_IP, IP_PKTINFO, on);
		if (r < 0)
			return r;
	}
	if (flags & IPV4OPT_CM_TOS) {
		r = set_int(fd, IPPROTO_IP, IP_RECVTOS, on);
		if (r < 0)
			return r;
	}
	if (flags & IPV4OPT_CM_RXQ_OVFL) {
		r = set_int(fd, SOL_SOCKET, SO_RXQ_OVFL, on);
		if (r < 0)
			return r;
	}
	return 0;
}

_public_ size_t ipv4opt_cm_space(unsigned flags)
{
	size_t n = 0;

	if (flags & IPV4OPT_CM_TTL)
		n += CMSG_SPACE(sizeof(int));
	if (flags & (IPV4OPT_CM_SRC | IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX))
		n += CMSG_SPACE(sizeof(struct in_pktinfo));
	/* Received as one byte, sent as an int: size for the larger. */
	if (flags & IPV4OPT_CM_TOS)
		n += CMSG_SPACE(sizeof(int));
	if (flags & IPV4OPT_CM_RXQ_OVFL)
		n += CMSG_SPACE(sizeof(uint32_t));
	return n;
}

_Static_assert(CMSG_SPACE(sizeof(int)) * 3 + CMSG_SPACE(sizeof(struct in_pktinfo)) <=
		       IPV4OPT_CM_MAX_SPACE,
	       "IPV4OPT_CM_MAX_SPACE too small");

_public_ int ipv4opt_cm_parse(const void *control, size_t len, struct ipv4opt_cm *ret_cm)
{
	const uint8_t *p = control;
	struct ipv4opt_cm cm = {};
	size_t off = 0;

	if (!ret_cm || (len > 0 && !control))
		return -EINVAL;
	while (off < len) {
		struct cmsghdr h;
		const uint8_t *data;
		size_t dlen;

		if (len - off < sizeof(h))
			return -IPV4OPT_E_CMSG_SHORT;
		memcpy(&h, p + off, sizeof(h));
		if (h.cmsg_len < CMSG_LEN(0) || h.cmsg_len > len - off)
			return -IPV4OPT_E_CMSG_SHORT;
		data = p + off + CMSG_LEN(0);
		dlen = h.cmsg_len - CMSG_LEN(0);

		if (h.cmsg_level == IPPROTO_IP && h.cmsg_type == IP_TTL) {
			if (dlen != sizeof(int))
				return -IPV4OPT_E_CMSG_SHORT;
			memcpy(&cm.ttl, data, sizeof(int));
			cm.flags |= IPV4OPT_CM_TTL;
		} else if (h.cmsg_level == IPPROTO_IP && h.cmsg_type == IP_TOS) {
			/* The kernel sends one byte; an int (as sent by us) is accepted too. */
			if (dlen == 1) {
				cm.tos = data[0];
			} else if (dlen == sizeof(int)) {
				memcpy(&cm.tos, data, sizeof(int));
			} else
				return -IPV4OPT_E_CMSG_SHORT;
			cm.flags |= IPV4OPT_CM_TOS;
		} else if (h.cmsg_level == IPPROTO_IP && h.cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			if (dlen != sizeof(pi))
				return -IPV4OPT_E_CMSG_SHORT;
			memcpy(&pi, data, sizeof(pi));
			cm.dst = pi.ipi_addr;
			cm.src = pi.ipi_spec_dst;
			cm.ifindex = pi.ipi_ifindex;
			cm.flags |= IPV4OPT_CM_DST | IPV4OPT_CM_SRC | IPV4OPT_CM_IFINDEX;
		} else if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SO_RXQ_OVFL) {
			if (dlen != sizeof(uint32_t))
				return -IPV4OPT_E_CMSG_SHORT;
			memcpy(&cm.rxq_ovfl, data, sizeof(uint32_t));
			cm.flags |= IPV4OPT_CM_RXQ_OVFL;
		}
		/* Anything else is someone else's message: skipped. The last message may lack
		 * its trailing padding. */
		if (CMSG_ALIGN(h.cmsg_len) >= len - off)
			break;
		off += CMSG_ALIGN(h.cmsg_len);
	}
	*ret_cm = cm;
	return 0;
}

_public_ int ipv4opt_cm_timestamp(const void *control, size_t len, struct timespec *ret_ts)
{
	const uint8_t *p = control;
	size_t off = 0;

	if (!ret_ts || (len > 0 && !control))
		return -EINVAL;
	while (off < len) {
		struct cmsghdr h;

		if (len - off < sizeof(h))
			return -IPV4OPT_E_CMSG_SHORT;
		memcpy(&h, p + off, sizeof(h));
		if (h.cmsg_len < CMSG_LEN(0) || h.cmsg_len > len - off)
			return -IPV4OPT_E_CMSG_SHORT;
		if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_TIMESTAMPNS) {
			if (h.cmsg_len - CMSG_LEN(0) != sizeof(*ret_ts))
				return -IPV4OPT_E_CMSG_SHORT;
			memcpy(ret_ts, p + off + CMSG_LEN(0), sizeof(*ret_ts));
			return 0;
		}
		if (CMSG_ALIGN(h.cmsg_len) >= len - off)
			break;
		off += CMSG_ALIGN(h.cmsg_len);
	}
	return -ENOENT;
}

static int put_cmsg(uint8_t *buf, size_t len, size_t *off, int level, int type, const void *data,
		    size_t dlen)
{
	struct cmsghdr h = {
		.cmsg_len = CMSG_LEN(dlen),
		.cmsg_level = level,
		.cmsg_type = type,
	};
	size_t space = CMSG_SPACE(dlen);

	if (len - *off < space)
		return -IPV4OPT_E_BUFFER_TOO_SMALL;
	memset(buf + *off, 0, space);
	memcpy(buf + *off, &h, sizeof(h));
	memcpy(buf + *off + CMSG_LEN(0), data, dlen);
	*off += space;
	return 0;
}

_public_ int ipv4opt_cm_marshal(const struct ipv4opt_cm *cm, void *buf, size_t len,
				size_t *ret_len)
{
	size_t off = 0;
	int r;

	if (!cm || !ret_len || (len > 0 && !buf))
		return -EINVAL;
	if (cm->flags & (IPV4OPT_CM_SRC | IPV4OPT_CM_IFINDEX)) {
		struct in_pktinfo pi = {};

		if (cm->flags & IPV4OPT_CM_SRC)
			pi.ipi_spec_dst = cm->src;
		if (cm->flags & IPV4OPT_CM_IFINDEX)
			pi.ipi_ifindex = cm->ifindex;
		r = put_cmsg(buf, len, &off, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
		if (r < 0)
			return r;
	}
	if (cm->flags & IPV4OPT_CM_TTL) {
		r = put_cmsg(buf, len, &off, IPPROTO_IP, IP_TTL, &cm->ttl, sizeof(int));
		if (r < 0)
			return r;
	}
	if (cm->flags & IPV4OPT_CM_TOS) {
		r = put_cmsg(buf, len, &off, IPPROTO_IP, IP_TOS, &cm->tos, sizeof(int));
		if (r < 0)
			return r;
	}
	*ret_len = off;
	return 0;
}

_public_ ssize_t ipv4opt_recvmsg(int fd, void *buf, size_t len, int flags,
				 struct sockaddr_in *ret_from, struct ipv4opt_cm *ret_cm,
				 bool *ret_truncated)
{
	union {
		struct cmsghdr align;
		uint8_t b[RECV_CONTROL_SPACE];
	} control;
	struct sockaddr_in from = {};
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.b,
		.msg_controllen = sizeof(control.b),
	};
	struct ipv4opt_cm cm = {};
	ssize_t n;

	if (len > 0 && !buf)
		return -EINVAL;
	n = recvmsg(fd, &msg, flags);
	if (n < 0)
		return -errno;
	if (ret_cm) {
		int r = ipv4opt_cm_parse(control.b, msg.msg_controllen, &cm);

		if (r < 0)
			return r;
	}
	if (ret_from) {
		if (msg.msg_namelen < sizeof(from) || from.sin_family != AF_INET)
			memset(&from, 0, sizeof(from));
		*ret_from = from;
	}
	if (ret_cm)
		*ret_cm = cm;
	if (ret_truncated)
		*ret_truncated = (msg.msg_flags & MSG_TRUNC) != 0;
	/* With MSG_TRUNC in flags recvmsg() returns the real datagram length; report what
	 * was stored. */
	return (size_t)n > len ? (ssize_t)len : n;
}

_public_ ssize_t ipv4opt_sendmsg(int fd, const void *buf, size_t len, int flags,
				 const struct sockaddr_in *to, const struct ipv4opt_cm *cm)
{
	union {
		struct cmsghdr align;
		uint8_t b[IPV4OPT_CM_MAX_SPACE];
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = (void *)to,
		.msg_namelen = to ? sizeof(*to) : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	if (len > 0 && !buf)
		return -EINVAL;
	if (cm) {
		size_t clen;
		int r = ipv4opt_cm_marshal(cm, control.b, sizeof(control.b), &clen);

		if (r < 0)
			return r;
		if (clen > 0) {
			msg.msg_control = control.b;
			msg.msg_controllen = clen;
		}
	}
	n = sendmsg(fd, &msg, flags);
	if (n < 0)
		return -errno;
	return n;
}
