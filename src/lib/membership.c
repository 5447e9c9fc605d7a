/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multicast membership with the RFC 3678 protocol-independent options, by interface index:
 * joining by index works on an interface without an IPv4 address, where ip_mreq (by address)
 * fails with ENODEV.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "internal.h"

/* Sources converted on the stack for get/set_source_filter; above this a temporary heap
 * buffer is used (each source takes a whole struct sockaddr_storage, 128 bytes). */
#define FILTER_STACK_SOURCES 16

static bool is_multicast(struct in_addr a)
{
	return IN_MULTICAST(ntohl(a.s_addr));
}

static void sin_set(struct sockaddr_storage *ss, struct in_addr a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a };

	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
}

static int group_op(int fd, int op, int ifindex, struct in_addr group)
{
	struct group_req gr = { .gr_interface = (uint32_t)ifindex };

	if (ifindex < 0)
		return -EINVAL;
	if (!is_multicast(group))
		return -IPV4OPT_E_NOT_MULTICAST;
	sin_set(&gr.gr_group, group);
	if (setsockopt(fd, IPPROTO_IP, op, &gr, sizeof(gr)) < 0)
		return -errno;
	return 0;
}

static int source_op(int fd, int op, int ifindex, struct in_addr group, struct in_addr source)
{
	struct group_source_req gsr = { .gsr_interface = (uint32_t)ifindex };

	if (ifindex < 0)
		return -EINVAL;
	if (!is_multicast(group))
		return -IPV4OPT_E_NOT_MULTICAST;
	sin_set(&gsr.gsr_group, group);
	sin_set(&gsr.gsr_source, source);
	if (setsockopt(fd, IPPROTO_IP, op, &gsr, sizeof(gsr)) < 0)
		return -errno;
	return 0;
}

_public_ int ipv4opt_join_group(int fd, int ifindex, struct in_addr group)
{
	return group_op(fd, MCAST_JOIN_GROUP, ifindex, group);
}

_public_ int ipv4opt_leave_group(int fd, int ifindex, struct in_addr group)
{
	return group_op(fd, MCAST_LEAVE_GROUP, ifindex, group);
}

_public_ int ipv4opt_join_source_group(int fd, int ifindex, struct in_addr group,
				       struct in_addr source)
{
	return source_op(fd, MCAST_JOIN_SOURCE_GROUP, ifindex, group, source);
}

_public_ int ipv4opt_leave_source_group(int fd, int ifindex, struct in_addr group,
					struct in_addr source)
{
	return source_op(fd, MCAST_LEAVE_SOURCE_GROUP, ifindex, group, source);
}

_public_ int ipv4opt_block_source(int fd, int ifindex, struct in_addr group, struct in_addr source)
{
	return source_op(fd, MCAST_BLOCK_SOURCE, ifindex, group, source);
}

_public_ int ipv4opt_unblock_source(int fd, int ifindex, struct in_addr group,
				    struct in_addr source)
{
	return source_op(fd, MCAST_UNBLOCK_SOURCE, ifindex, group, source);
}

/* A struct group_filter followed by room for n sources, on the stack when n is small. */
struct filter_buf {
	struct group_filter *gf;
	size_t size;
	bool heap;
	union {
		struct group_filter gf;
		uint8_t b[GROUP_FILTER_SIZE(FILTER_STACK_SOURCES)];
	} stack;
};

static int filter_buf_init(struct filter_buf *fb, size_t n)
{
	/* The kernel bounds the source count by igmp_max_msf and optmem_max anyway; this keeps
	 * GROUP_FILTER_SIZE() from overflowing and gf_numsrc (uint32_t) exact. */
	if (n > UINT16_MAX)
		return -ENOBUFS;
	fb->size = GROUP_FILTER_SIZE(n);
	fb->heap = n > FILTER_STACK_SOURCES;
	if (fb->heap) {
		fb->gf = calloc(1, fb->size);
		if (!fb->gf)
			return -ENOMEM;
	} else {
		memset(&fb->stack, 0, sizeof(fb->stack));
		fb->gf = &fb->stack.gf;
	}
	return 0;
}

static void filter_buf_done(struct filter_buf *fb)
{
	if (fb->heap)
		free(fb->gf);
}

_public_ int ipv4opt_get_source_filter(int fd, int ifindex, struct in_addr group,
				       enum ipv4opt_filter_mode *ret_mode,
				       struct in_addr *sources, size_t *n_sources)
{
	struct filter_buf fb;
	socklen_t sl;
	size_t cap;
	int r;

	if (ifindex < 0 || !ret_mode || !n_sources || (*n_sources > 0 && !sources))
		return -EINVAL;
	if (!is_multicast(group))
		return -IPV4OPT_E_NOT_MULTICAST;
	cap = *n_sources;
	r = filter_buf_init(&fb, cap);
	if (r < 0)
		return r;
	fb.gf->gf_interface = (uint32_t)ifindex;
	sin_set(&fb.gf->gf_group, group);
	/* The kernel takes gf_numsrc as the capacity of the list, copies at most that many
	 * sources and writes back the number it has (net/ipv4/igmp.c, ip_mc_gsfget()). */
	fb.gf->gf_numsrc = (uint32_t)cap;
	sl = (socklen_t)fb.size;
	if (getsockopt(fd, IPPROTO_IP, MCAST_MSFILTER, fb.gf, &sl) < 0) {
		r = -errno;
		filter_buf_done(&fb);
		return r;
	}
	for (size_t i = 0; i < cap && i < fb.gf->gf_numsrc; i++) {
		struct sockaddr_in sin;

		memcpy(&sin, &fb.gf->gf_slist[i], sizeof(sin));
		sources[i] = sin.sin_addr;
	}
	*ret_mode = fb.gf->gf_fmode == MCAST_INCLUDE ? IPV4OPT_FILTER_INCLUDE :
						       IPV4OPT_FILTER_EXCLUDE;
	*n_sources = fb.gf->gf_numsrc;
	filter_buf_done(&fb);
	return 0;
}

_public_ int ipv4opt_set_source_filter(int fd, int ifindex, struct in_addr group,
				       enum ipv4opt_filter_mode mode,
				       const struct in_addr *sources, size_t n_sources)
{
	struct filter_buf fb;
	int r, fmode;

	if (ifindex < 0 || (n_sources > 0 && !sources))
		return -EINVAL;
	/* Not a switch: mode comes from the caller as an int and may be neither value. */
	if (mode == IPV4OPT_FILTER_INCLUDE)
		fmode = MCAST_INCLUDE;
	else if (mode == IPV4OPT_FILTER_EXCLUDE)
		fmode = MCAST_EXCLUDE;
	else
		return -EINVAL;
	if (!is_multicast(group))
		return -IPV4OPT_E_NOT_MULTICAST;
	r = filter_buf_init(&fb, n_sources);
	if (r < 0)
		return r;
	fb.gf->gf_interface = (uint32_t)ifindex;
	fb.gf->gf_fmode = (uint32_t)fmode;
	fb.gf->gf_numsrc = (uint32_t)n_sources;
	sin_set(&fb.gf->gf_group, group);
	for (size_t i = 0; i < n_sources; i++)
		sin_set(&fb.gf->gf_slist[i], sources[i]);
	r = 0;
	if (setsockopt(fd, IPPROTO_IP, MCAST_MSFILTER, fb.gf, (socklen_t)fb.size) < 0)
		r = -errno;
	filter_buf_done(&fb);
	return r;
}
