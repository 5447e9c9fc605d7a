/* SPDX-License-Identifier: BSD-3-Clause */
/* Small helpers shared by the daemon, the client and the tests: cleanup attributes,
 * ownership transfer, array sizes. Modelled on systemd's conventions. */
#ifndef IPV4OPT_MACRO_H
#define IPV4OPT_MACRO_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

/* Takes ownership of a pointer or fd: the variable is reset so its cleanup does nothing. */
#define TAKE_PTR(p)                                                                            \
	({                                                                                     \
		__typeof__(p) _p_ = (p);                                                       \
		(p) = NULL;                                                                    \
		_p_;                                                                           \
	})
#define TAKE_FD(fd)                                                                            \
	({                                                                                     \
		int _fd_ = (fd);                                                               \
		(fd) = -1;                                                                     \
		_fd_;                                                                          \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

static inline void closep(int *fd)
{
	safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Defines foo_freep() for a foo_free() that accepts NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                \
	static inline void func##p(type *p)                                                    \
	{                                                                                      \
		if (*p)                                                                        \
			func(*p);                                                              \
	}

#define streq(a, b) (strcmp((a), (b)) == 0)

#endif
