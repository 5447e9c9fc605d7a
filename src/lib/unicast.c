/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unicast socket options: IP_TOS, IP_TTL, IP_UNICAST_IF, address reuse and SO_RXQ_OVFL.
 */
#include <arpa/inet.h>

#include "internal.h"

static int get_int(int fd, int level, int name, int *ret)
{
	int v = 0;
	socklen_t sl = sizeof(v);

	if (!ret)
		return -EINVAL;
	if (getsockopt(fd, level, name, &v, &sl) < 0)
		return -errno;
	*ret = v;
	return 0;
}

static int set_int(int fd, int level, int name, int v)
{
	if (setsockopt(fd, level, name, &v, sizeof(v)) < 0)
		return -errno;
	return 0;
}

_public_ int ipv4opt_get_tos(int fd, int *ret_tos)
{
	return get_int(fd, IPPROTO_IP, IP_TOS, ret_tos);
}

_public_ int ipv4opt_set_tos(int fd, int tos)
{
	/* The kernel stores the TOS in a byte and would silently truncate larger values. */
	if (tos < 0 || tos > 255)
		return -EINVAL;
	return set_int(fd, IPPROTO_IP, IP_TOS, tos);
}

_public_ int ipv4opt_get_ttl(int fd, int *ret_ttl)
{
	return get_int(fd, IPPROTO_IP, IP_TTL, ret_ttl);
}

_public_ int ipv4opt_set_ttl(int fd, int ttl)
{
	return set_int(fd, IPPROTO_IP, IP_TTL, ttl);
}

_public_ int ipv4opt_set_unicast_if(int fd, int ifindex)
{
	if (ifindex < 0)
		return -EINVAL;
	/* ip(7): IPv4's IP_UNICAST_IF takes the index in network byte order (IPv6's does not). */
	return set_int(fd, IPPROTO_IP, IP_UNICAST_IF, (int)htonl((uint32_t)ifindex));
}

_public_ int ipv4opt_set_reuse_addr(int fd, bool on)
{
	return set_int(fd, SOL_SOCKET, SO_REUSEADDR, on);
}

_public_ int ipv4opt_set_reuse_port(int fd, bool on)
{
	return set_int(fd, SOL_SOCKET, SO_REUSEPORT, on);
}

_public_ int ipv4opt_set_rxq_ovfl(int fd, bool on)
{
	return set_int(fd, SOL_SOCKET, SO_RXQ_OVFL, on);
}

_public_ int ipv4opt_set_timestamp_ns(int fd, bool on)
{
	return set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, on);
}
