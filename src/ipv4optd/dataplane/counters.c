/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "counters.h"

static const char *const drop_names[_COUNTERS_DROP_MAX] = {
	[COUNTERS_DROP_TRUNCATED] = "truncated",
	[COUNTERS_DROP_RXQ_OVERFLOW] = "rxq_overflow",
	[COUNTERS_DROP_SEND_EAGAIN] = "send_eagain",
	[COUNTERS_DROP_SEND_ENOBUFS] = "send_enobufs",
	[COUNTERS_DROP_SEND_UNREACHABLE] = "send_unreachable",
	[COUNTERS_DROP_SEND_OTHER] = "send_other",
	[COUNTERS_DROP_NO_INTERFACE] = "no_interface",
	[COUNTERS_DROP_FILTERED] = "filtered",
	[COUNTERS_DROP_LOOP] = "loop",
	[COUNTERS_DROP_WRITE_ERROR] = "write_error",
};

const char *counters_drop_to_string(enum counters_drop d)
{
	return d >= 0 && d < _COUNTERS_DROP_MAX ? drop_names[d] : NULL;
}

enum counters_drop counters_drop_from_errno(int err)
{
	switch (-err) {
	case EAGAIN:
		return COUNTERS_DROP_SEND_EAGAIN;
	case ENOBUFS:
	case ENOMEM:
		return COUNTERS_DROP_SEND_ENOBUFS;
	case ECONNREFUSED:
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EADDRNOTAVAIL:
	case ENODEV:
	case ENXIO:
		return COUNTERS_DROP_SEND_UNREACHABLE;
	default:
		return COUNTERS_DROP_SEND_OTHER;
	}
}
