/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Error strings. Thread-safe: every string returned is static. strerror() may write into a
 * shared buffer for unknown values, so errno values are named with strerrordesc_np() (glibc
 * 2.32+), which only ever returns static text or NULL.
 */
#include <string.h>

#include "internal.h"

static const char *const lib_errors[_IPV4OPT_E_MAX - IPV4OPT_E_BASE] = {
	[IPV4OPT_E_HEADER_SHORT - IPV4OPT_E_BASE] = "IPv4 header truncated",
	[IPV4OPT_E_HEADER_VERSION - IPV4OPT_E_BASE] = "IPv4 header version is not 4",
	[IPV4OPT_E_HEADER_LENGTH - IPV4OPT_E_BASE] = "IPv4 header length invalid",
	[IPV4OPT_E_HEADER_TOTAL_LENGTH - IPV4OPT_E_BASE] =
		"IPv4 total length smaller than the header",
	[IPV4OPT_E_CMSG_SHORT - IPV4OPT_E_BASE] = "Control message truncated or malformed",
	[IPV4OPT_E_DSCP_UNKNOWN - IPV4OPT_E_BASE] = "DSCP name or number not recognised",
	[IPV4OPT_E_NOT_MULTICAST - IPV4OPT_E_BASE] = "Address is not a multicast address",
	[IPV4OPT_E_BUFFER_TOO_SMALL - IPV4OPT_E_BASE] = "Output buffer too small",
};

_public_ const char *ipv4opt_strerror(int err)
{
	/* Accept both signs; -INT_MIN would overflow, so widen first. */
	long e = err < 0 ? -(long)err : (long)err;
	const char *s;

	if (e == 0)
		return "Success";
	if (e > IPV4OPT_E_BASE && e < _IPV4OPT_E_MAX) {
		s = lib_errors[e - IPV4OPT_E_BASE];
		return s ? s : "Unknown ipv4opt error";
	}
	if (e >= IPV4OPT_E_BASE)
		return "Unknown ipv4opt error";
	s = strerrordesc_np((int)e);
	return s ? s : "Unknown error";
}
