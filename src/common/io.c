/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "io.h"

int io_write_counted(int fd, const void *b, size_t n, size_t *ret_done)
{
	const uint8_t *p = b;
	size_t done = 0;
	int r = 0;

	while (done < n) {
		ssize_t k = write(fd, p + done, n - done);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		done += (size_t)k;
	}
	*ret_done = done;
	return r;
}

int io_write_all(int fd, const void *b, size_t n)
{
	size_t done;

	return io_write_counted(fd, b, n, &done);
}
