/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to libipv4opt: only symbols marked _public_ are exported (see libipv4opt.sym). */
#ifndef IPV4OPT_INTERNAL_H
#define IPV4OPT_INTERNAL_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ipv4opt.h"

#define _public_ __attribute__((visibility("default")))

#endif
