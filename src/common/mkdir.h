/* SPDX-License-Identifier: BSD-3-Clause */
/* mkdir: directories the daemon needs (the control socket's, the state directory). */
#ifndef IPV4OPT_MKDIR_H
#define IPV4OPT_MKDIR_H

#include <sys/types.h>

/* Creates path and every missing parent with mode (like mkdir -p). An existing directory is
 * fine; an existing non-directory is -ENOTDIR. Returns 0 or a negative errno. */
int mkdir_p(const char *path, mode_t mode);

/* Creates the directories above path (its last component excluded), like mkdir_p(). */
int mkdir_parents(const char *path, mode_t mode);

#endif
