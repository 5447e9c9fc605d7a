/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP type names (RFC 792 and the later IANA assignments) and the Linux ICMP_FILTER option of
 * raw IPPROTO_ICMP sockets.
 *
 * ICMP_FILTER (raw(7), net/ipv4/raw.c raw_icmp_filter()) is a 32-bit mask: bit t set means
 * ICMP type t is not delivered to the socket. Only types 0-31 can be filtered; the kernel
 * always delivers a type of 32 or more. The helpers below follow that: accept() and block()
 * leave the mask alone for such a type, and will_block() says false for it, as the kernel
 * would.
 */
#include <linux/icmp.h>

#include "internal.h"

#define ICMP_FILTER_TYPES 32

static const char *const icmp_type_names[] = {
	[0] = "echo reply",               /* RFC 792 */
	[3] = "destination unreachable",  /* RFC 792 */
	[5] = "redirect",                 /* RFC 792 */
	[8] = "echo",                     /* RFC 792 */
	[9] = "router advertisement",     /* RFC 1256 */
	[10] = "router solicitation",     /* RFC 1256 */
	[11] = "time exceeded",           /* RFC 792 */
	[12] = "parameter problem",       /* RFC 792 */
	[13] = "timestamp",               /* RFC 792 */
	[14] = "timestamp reply",         /* RFC 792 */
	[40] = "photuris",                /* RFC 2521 */
	[42] = "extended echo request",   /* RFC 8335 */
	[43] = "extended echo reply",     /* RFC 8335 */
};

_public_ const char *ipv4opt_icmp_type_to_string(int type)
{
	if (type < 0 || (size_t)type >= sizeof(icmp_type_names) / sizeof(icmp_type_names[0]))
		return NULL;
	return icmp_type_names[type];
}

static bool icmp_type_filterable(int type)
{
	return type >= 0 && type < ICMP_FILTER_TYPES;
}

_public_ void ipv4opt_icmp_filter_accept(struct ipv4opt_icmp_filter *f, int type)
{
	if (!f || !icmp_type_filterable(type))
		return;
	f->data &= ~(UINT32_C(1) << type);
}

_public_ void ipv4opt_icmp_filter_block(struct ipv4opt_icmp_filter *f, int type)
{
	if (!f || !icmp_type_filterable(type))
		return;
	f->data |= UINT32_C(1) << type;
}

_public_ void ipv4opt_icmp_filter_set_all(struct ipv4opt_icmp_filter *f, bool block)
{
	if (!f)
		return;
	f->data = block ? UINT32_MAX : 0;
}

_public_ bool ipv4opt_icmp_filter_will_block(const struct ipv4opt_icmp_filter *f, int type)
{
	if (!f || !icmp_type_filterable(type))
		return false;
	return (f->data & (UINT32_C(1) << type)) != 0;
}

_public_ int ipv4opt_get_icmp_filter(int fd, struct ipv4opt_icmp_filter *ret_f)
{
	struct icmp_filter kf = {};
	socklen_t sl = sizeof(kf);

	if (!ret_f)
		return -EINVAL;
	if (getsockopt(fd, SOL_RAW, ICMP_FILTER, &kf, &sl) < 0)
		return -errno;
	ret_f->data = kf.data;
	return 0;
}

_public_ int ipv4opt_set_icmp_filter(int fd, const struct ipv4opt_icmp_filter *f)
{
	struct icmp_filter kf;

	if (!f)
		return -EINVAL;
	kf.data = f->data;
	if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &kf, sizeof(kf)) < 0)
		return -errno;
	return 0;
}
