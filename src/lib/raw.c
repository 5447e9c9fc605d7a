/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Raw IPv4 sockets: IP_HDRINCL, and reading / writing whole packets (header + payload).
 *
 * Linux (raw(7), net/ipv4/raw.c): a raw socket always receives the IPv4 header, in wire order.
 * On an IP_HDRINCL write the kernel always fills in the header checksum and total length,
 * fills in the ID when it is 0 and the source address when it is 0.0.0.0; everything else
 * (TOS, TTL, flags, options) goes out as written. IPPROTO_RAW sockets imply IP_HDRINCL.
 */
#include <sys/uio.h>

#include "internal.h"

_public_ int ipv4opt_get_hdrincl(int fd, bool *ret_on)
{
	int v = 0;
	socklen_t sl = sizeof(v);

	if (!ret_on)
		return -EINVAL;
	if (getsockopt(fd, IPPROTO_IP, IP_HDRINCL, &v, &sl) < 0)
		return -errno;
	*ret_on = v != 0;
	return 0;
}

_public_ int ipv4opt_set_hdrincl(int fd, bool on)
{
	int v = on;

	if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &v, sizeof(v)) < 0)
		return -errno;
	return 0;
}

_public_ int ipv4opt_raw_recv(int fd, void *buf, size_t len, struct ipv4opt_header *ret_h,
			      size_t *ret_payload_off, size_t *ret_payload_len,
			      struct ipv4opt_cm *ret_cm)
{
	/* Aligned for the cmsghdr walk done by ipv4opt_cm_parse(). */
	union {
		struct cmsghdr align;
		uint8_t buf[IPV4OPT_CM_MAX_SPACE];
	} control;
	struct sockaddr_in from;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ret_cm ? control.buf : NULL,
		.msg_controllen = ret_cm ? sizeof(control.buf) : 0,
	};
	struct ipv4opt_header h;
	struct ipv4opt_cm cm = {};
	size_t n, payload_len;
	ssize_t r;
	int k;

	if (!buf || !ret_h)
		return -EINVAL;
	r = recvmsg(fd, &msg, 0);
	if (r < 0)
		return -errno;
	n = (size_t)r;
	if (n > INT32_MAX)
		return -EMSGSIZE;

	/* A packet longer than buf is cut to len bytes (MSG_TRUNC): the header still says how
	 * long it was, so a caller detects this as h.total_len > the returned count. */
	k = ipv4opt_header_parse(buf, n, &h);
	if (k < 0)
		return k;
	payload_len = n - (size_t)h.len;
	/* Never count bytes beyond the datagram the header describes. */
	if ((size_t)h.total_len < n)
		payload_len = (size_t)h.total_len - (size_t)h.len;

	if (ret_cm) {
		k = ipv4opt_cm_parse(control.buf, msg.msg_controllen, &cm);
		if (k < 0)
			return k;
	}

	*ret_h = h;
	if (ret_payload_off)
		*ret_payload_off = (size_t)h.len;
	if (ret_payload_len)
		*ret_payload_len = payload_len;
	if (ret_cm)
		*ret_cm = cm;
	return (int)n;
}

_public_ int ipv4opt_raw_send(int fd, const struct ipv4opt_header *h, const void *payload,
			      size_t n, const struct ipv4opt_cm *cm)
{
	union {
		struct cmsghdr align;
		uint8_t buf[IPV4OPT_CM_MAX_SPACE];
	} control;
	uint8_t hdr[IPV4OPT_HEADER_LEN + IPV4OPT_HEADER_MAX_OPTIONS];
	struct ipv4opt_header w;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct iovec iov[2];
	struct msghdr msg = {
		.msg_name = &to,
		.msg_namelen = sizeof(to),
		.msg_iov = iov,
	};
	size_t hlen, clen = 0;
	ssize_t r;
	int k;

	if (!h || (!payload && n > 0))
		return -EINVAL;
	if (h->options_len % 4 != 0 || h->options_len > IPV4OPT_HEADER_MAX_OPTIONS)
		return -IPV4OPT_E_HEADER_LENGTH;
	/* Total length is a 16-bit field (RFC 791). */
	if (n > 0xffff - IPV4OPT_HEADER_LEN - h->options_len)
		return -EMSGSIZE;

	w = *h;
	w.total_len = (int)(IPV4OPT_HEADER_LEN + h->options_len + n);
	k = ipv4opt_header_marshal(&w, hdr, sizeof(hdr), &hlen);
	if (k < 0)
		return k;

	if (cm) {
		k = ipv4opt_cm_marshal(cm, control.buf, sizeof(control.buf), &clen);
		if (k < 0)
			return k;
	}
	if (clen > 0) {
		msg.msg_control = control.buf;
		msg.msg_controllen = clen;
	}

	to.sin_addr = h->dst;
	iov[0] = (struct iovec){ .iov_base = hdr, .iov_len = hlen };
	msg.msg_iovlen = 1;
	if (n > 0) {
		iov[1] = (struct iovec){ .iov_base = (void *)payload, .iov_len = n };
		msg.msg_iovlen = 2;
	}

	r = sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (r < 0)
		return -errno;
	return (int)r;
}
