/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "mkdir.h"

static int mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	int r;

	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		r = mkdir_one(buf, mode);
		*p = '/';
		if (r < 0)
			return r;
	}
	return mkdir_one(buf, mode);
}

int mkdir_parents(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	char *slash;

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0; /* relative name in the cwd, or directly under / */
	*slash = '\0';
	return mkdir_p(buf, mode);
}
