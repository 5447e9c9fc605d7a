/* SPDX-License-Identifier: BSD-3-Clause */
/* io: plain file I/O shared by the daemon's writers (state file, pcap files). */
#ifndef IPV4OPT_IO_H
#define IPV4OPT_IO_H

#include <stddef.h>

/* Writes all n bytes of b to fd (a blocking file), retrying short writes and EINTR.
 * Returns 0 or a negative errno. */
int io_write_all(int fd, const void *b, size_t n);

#endif
