/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <stdint.h>
#include <time.h>

/* The time of clock (CLOCK_MONOTONIC, CLOCK_REALTIME...) in microseconds. On a loop, prefer
 * sd_event_now(): the time of the current iteration, without a system call. */
static inline uint64_t clock_now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}
