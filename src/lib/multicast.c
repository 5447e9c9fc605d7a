/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multicast sending and receiving options: IP_MULTICAST_IF, _TTL, _LOOP and _ALL.
 *
 * IP_MULTICAST_IF is set with a struct ip_mreqn, but Linux reads it back as a bare struct
 * in_addr (inet->mc_addr, net/ipv4/ip_sockglue.c: do_ip_getsockopt()); the index is never
 * reported. So ipv4opt_set_multicast_if() stores the interface's primary address along with
 * the index (the address the kernel would pick as multicast source on that interface anyway,
 * net/ipv4/route.c: inet_select_addr()), and ipv4opt_get_multicast_if() maps the address back to
 * an index. Both lookups use ioctls on the socket itself, so they run in the socket's network
 * namespace whatever namespace the calling thread is in.
 */
#include <net/if.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "internal.h"

#define IFCONF_STACK_ENTRIES 32

/* The primary IPv4 address of ifindex, or INADDR_ANY when it has none. */
static int if_primary_addr(int fd, int ifindex, struct in_addr *ret)
{
	struct ifreq ifr = { .ifr_ifindex = ifindex };
	struct sockaddr_in sin;

	if (ioctl(fd, SIOCGIFNAME, &ifr) < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFADDR, &ifr) < 0) {
		if (errno == EADDRNOTAVAIL) {
			ret->s_addr = htonl(INADDR_ANY);
			return 0;
		}
		return -errno;
	}
	memcpy(&sin, &ifr.ifr_addr, sizeof(sin));
	*ret = sin.sin_addr;
	return 0;
}

/* The index of the interface holding the local address a, by SIOCGIFCONF. */
static int if_index_of_addr(int fd, struct in_addr a, int *ret)
{
	union {
		struct ifreq r[IFCONF_STACK_ENTRIES];
		char b[1];
	} stack;
	struct ifconf ifc = { .ifc_len = 0, .ifc_buf = NULL };
	struct ifreq *reqs;
	int r = -EADDRNOTAVAIL;

	/* With a NULL buffer the kernel reports the length it needs (netdevice(7)). */
	if (ioctl(fd, SIOCGIFCONF, &ifc) < 0)
		return -errno;
	if ((size_t)ifc.ifc_len <= sizeof(stack.r)) {
		reqs = stack.r;
		ifc.ifc_len = sizeof(stack.r);
	} else {
		/* Room for addresses added since the first call. */
		ifc.ifc_len += IFCONF_STACK_ENTRIES * (int)sizeof(struct ifreq);
		reqs = malloc((size_t)ifc.ifc_len);
		if (!reqs)
			return -ENOMEM;
	}
	ifc.ifc_req = reqs;
	if (ioctl(fd, SIOCGIFCONF, &ifc) < 0) {
		r = -errno;
		goto out;
	}
	for (size_t i = 0; i < (size_t)ifc.ifc_len / sizeof(struct ifreq); i++) {
		struct sockaddr_in sin;

		memcpy(&sin, &reqs[i].ifr_addr, sizeof(sin));
		if (sin.sin_family != AF_INET || sin.sin_addr.s_addr != a.s_addr)
			continue;
		/* The name may carry an address label ("eth0:1"); SIOCGIFINDEX strips it. */
		if (ioctl(fd, SIOCGIFINDEX, &reqs[i]) < 0) {
			r = -errno;
			goto out;
		}
		*ret = reqs[i].ifr_ifindex;
		r = 0;
		break;
	}
out:
	if (reqs != stack.r)
		free(reqs);
	return r;
}

_public_ int ipv4opt_get_multicast_if(int fd, int *ret_ifindex)
{
	struct in_addr a = {};
	socklen_t sl = sizeof(a);
	int idx = 0, r;

	if (!ret_ifindex)
		return -EINVAL;
	if (getsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, &sl) < 0)
		return -errno;
	if (a.s_addr != htonl(INADDR_ANY)) {
		r = if_index_of_addr(fd, a, &idx);
		if (r < 0)
			return r;
	}
	*ret_ifindex = idx;
	return 0;
}

_public_ int ipv4opt_set_multicast_if(int fd, int ifindex)
{
	struct ip_mreqn mreqn = { .imr_ifindex = ifindex };
	int r;

	if (ifindex < 0)
		return -EINVAL;
	if (ifindex > 0) {
		r = if_primary_addr(fd, ifindex, &mreqn.imr_address);
		if (r == -ENODEV || r == -ENXIO)
			return -ENODEV;
		if (r < 0)
			return r;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreqn, sizeof(mreqn)) < 0)
		return -errno;
	return 0;
}

static int get_int(int fd, int name, int *ret)
{
	int v = 0;
	socklen_t sl = sizeof(v);

	if (getsockopt(fd, IPPROTO_IP, name, &v, &sl) < 0)
		return -errno;
	/* Asked with an int, the kernel answers an int (a byte only for a shorter buffer). */
	*ret = v;
	return 0;
}

static int set_int(int fd, int name, int v)
{
	if (setsockopt(fd, IPPROTO_IP, name, &v, sizeof(v)) < 0)
		return -errno;
	return 0;
}

_public_ int ipv4opt_get_multicast_ttl(int fd, int *ret_ttl)
{
	if (!ret_ttl)
		return -EINVAL;
	return get_int(fd, IP_MULTICAST_TTL, ret_ttl);
}

_public_ int ipv4opt_set_multicast_ttl(int fd, int ttl)
{
	return set_int(fd, IP_MULTICAST_TTL, ttl);
}

static int get_bool(int fd, int name, bool *ret)
{
	int v = 0, r;

	if (!ret)
		return -EINVAL;
	r = get_int(fd, name, &v);
	if (r < 0)
		return r;
	*ret = v != 0;
	return 0;
}

_public_ int ipv4opt_get_multicast_loop(int fd, bool *ret_on)
{
	return get_bool(fd, IP_MULTICAST_LOOP, ret_on);
}

_public_ int ipv4opt_set_multicast_loop(int fd, bool on)
{
	return set_int(fd, IP_MULTICAST_LOOP, on);
}

_public_ int ipv4opt_get_multicast_all(int fd, bool *ret_on)
{
	return get_bool(fd, IP_MULTICAST_ALL, ret_on);
}

_public_ int ipv4opt_set_multicast_all(int fd, bool on)
{
	return set_int(fd, IP_MULTICAST_ALL, on);
}
