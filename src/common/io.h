/* SPDX-License-Identifier: BSD-3-Clause */
/* io: plain file I/O shared by the daemon's writers (state file, pcap files). */
#ifndef IPV4OPT_IO_H
#define IPV4OPT_IO_H

#include <stddef.h>

/* Writes all n bytes of b to fd (a blocking file), retrying short writes and EINTR.
 * Returns 0 or a negative errno. */
int io_write_all(int fd, const void *b, size_t n);

/* io_write_all(), and *ret_done says how many bytes reached the file, also on failure (a
 * writer that must cut back a partial record needs it). */
int io_write_counted(int fd, const void *b, size_t n, size_t *ret_done);

#endif
