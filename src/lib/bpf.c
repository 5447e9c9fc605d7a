/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classic BPF socket filters (SO_ATTACH_FILTER / SO_DETACH_FILTER, see
 * Documentation/networking/filter.rst). The kernel copies and checks the program; the caller's
 * array may be freed once attach returns. Offsets are relative to what the socket receives:
 * the IPv4 header on a raw socket, the UDP header on a UDP socket.
 */
#include "internal.h"

_public_ int ipv4opt_attach_filter(int fd, const struct sock_filter *prog, size_t n)
{
	struct sock_fprog fprog;

	/* The kernel refuses these too (sk_attach_filter(): -EINVAL), but a size_t length would
	 * be truncated to the unsigned short of sock_fprog before it could see them. */
	if (!prog || n == 0 || n > BPF_MAXINSNS)
		return -EINVAL;
	fprog = (struct sock_fprog){
		.len = (unsigned short)n,
		.filter = (struct sock_filter *)prog,
	};
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0)
		return -errno;
	return 0;
}

_public_ int ipv4opt_detach_filter(int fd)
{
	int dummy = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy, sizeof(dummy)) < 0)
		return -errno;
	return 0;
}
