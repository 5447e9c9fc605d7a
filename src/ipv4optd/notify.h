/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * notify: the systemd notify protocol (Type=notify, v252: no notify-reload yet, so RELOADING=1
 * with MONOTONIC_USEC= then READY=1 around a reload). Without NOTIFY_SOCKET these do nothing.
 */
#ifndef IPV4OPTD_NOTIFY_H
#define IPV4OPTD_NOTIFY_H

#include "macro.h"

void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *fmt, ...) _printf_(1, 2);

#endif
