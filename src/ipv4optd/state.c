/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctlproto.h"
#include "io.h"
#include "log.h"
#include "macro.h"
#include "mkdir.h"
#include "state.h"

#define STATE_VERSION 1

static int build(const struct members *m, struct json_object **ret)
{
	_cleanup_json_ struct json_object *root = json_object_new_object();
	struct json_object *joins = json_object_new_array();

	if (!root || !joins || json_object_object_add(root, "version",
						      json_object_new_int(STATE_VERSION)) < 0 ||
	    json_object_object_add(root, "joins", joins) < 0) {
		json_object_put(joins);
		return -ENOMEM;
	}
	for (const struct member *mb = members_first(m); mb; mb = members_next(mb)) {
		struct ctl_membership j = { .group = mb->group, .port = mb->port };
		struct json_object *o;
		int r;

		if (mb->origin != MEMBER_ORIGIN_RUNTIME)
			continue;
		/* a runtime join is any-source or has exactly one source */
		if (mb->mode == IPV4OPT_FILTER_INCLUDE && mb->n_sources == 1)
			j.source = mb->sources[0];
		snprintf(j.ifname, sizeof(j.ifname), "%s", mb->ifname);
		r = ctlproto_membership_to_json(&j, true, &o);
		if (r < 0)
			return r;
		if (json_object_array_add(joins, o) < 0) {
			json_object_put(o);
			return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(root);
	return 0;
}

int state_save(const char *dir, const struct members *m)
{
	_cleanup_json_ struct json_object *root = NULL;
	_cleanup_close_ int fd = -1, dfd = -1;
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *text;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE_NAME) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, STATE_FILE_NAME) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	r = build(m, &root);
	if (r < 0)
		return r;
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;

	r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = io_write_all(fd, text, strlen(text));
	if (r >= 0)
		r = io_write_all(fd, "\n", 1);
	/* Who joined what is the operators' business (doc/security.md): the daemon's user and
	 * group read it, others do not. mkostemp() made it 0600; UMask= may be anything. */
	if (r >= 0 && fchmod(fd, STATE_FILE_MODE) < 0)
		r = -errno;
	/* The data must be on disk before the name points at it. */
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	/* ... and the rename itself. From here on the new file is the one every reader and the
	 * next start see, whatever the fsync says: reporting a failure would have the caller undo
	 * the change in memory while the disk keeps it (a join refused to the client, then
	 * restored at the next start). So the change stands, and the one thing not guaranteed (that
	 * it survives a crash of the machine before the directory reaches the disk) is a warning. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		log_warning_errno(errno, "Saved %s, but failed to sync its directory (it may not "
				  "survive a crash of the machine): %m", path);
		return 1;
	}
	return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t n = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	/* Written 0644 by earlier versions: not world-readable from now on, not only after the
	 * next save. Best effort (the file may belong to someone else). */
	if ((st.st_mode & 07777 & ~STATE_FILE_MODE) != 0)
		(void)fchmod(fd, st.st_mode & STATE_FILE_MODE);
	if (st.st_size > STATE_MAX_FILE_SIZE)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = n;
	return 0;
}

/* Parses the whole file into joins; fails on the first thing that is wrong. */
static int parse(const char *text, size_t len, struct ctl_membership **ret, size_t *ret_n,
		 char **ret_error)
{
	_cleanup_json_ struct json_object *root = NULL;
	_cleanup_free_ struct ctl_membership *v = NULL;
	struct json_object *o;
	size_t n;
	int r;

	r = ctlproto_json_parse(text, len, &root, ret_error);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "version", &o) ||
	    !json_object_is_type(o, json_type_int) || json_object_get_int(o) != STATE_VERSION) {
		*ret_error = strdup("not an object with \"version\": 1");
		return -EBADMSG;
	}
	if (!json_object_object_get_ex(root, "joins", &o) ||
	    !json_object_is_type(o, json_type_array)) {
		*ret_error = strdup("no array \"joins\"");
		return -EBADMSG;
	}
	n = json_object_array_length(o);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *e = NULL;

		r = ctlproto_membership_from_json(json_object_array_get_idx(o, i), true, &v[i], &e);
		if (r < 0) {
			if (asprintf(ret_error, "join %zu: %s", i + 1, e ? e : "invalid") < 0)
				*ret_error = NULL;
			return -EBADMSG;
		}
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

size_t state_load(const char *dir, struct members *m)
{
	_cleanup_free_ struct ctl_membership *joins = NULL;
	_cleanup_free_ char *text = NULL, *error = NULL;
	char path[PATH_MAX], aside[PATH_MAX];
	size_t len = 0, n = 0, restored = 0;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE_NAME) >= (int)sizeof(path) ||
	    snprintf(aside, sizeof(aside), "%s.corrupt", path) >= (int)sizeof(aside)) {
		log_error_errno(ENAMETOOLONG, "State directory %s: %m", dir);
		return 0;
	}
	r = read_file(path, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0 && r != -EBADMSG && r != -EFBIG) {
		log_error_errno(r, "Failed to read %s, runtime joins not restored: %m", path);
		return 0;
	}
	if (r >= 0)
		r = parse(text, len, &joins, &n, &error);
	if (r == -ENOMEM) {
		log_error_errno(r, "Failed to restore runtime joins: %m");
		return 0;
	}
	if (r < 0) {
		if (rename(path, aside) < 0)
			log_error_errno(errno, "%s is corrupt (%s) and could not be renamed: %m",
					path, error ? error : strerror(-r));
		else
			log_error("%s is corrupt (%s): moved to %s, runtime joins not restored",
				  path, error ? error : strerror(-r), aside);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		r = members_runtime_add(m, joins[i].group, joins[i].source, joins[i].ifname,
					joins[i].port);
		if (r == -EEXIST)
			continue;
		if (r < 0) {
			log_warning_errno(r, "Runtime join %zu of %s not restored: %m", i + 1, path);
			continue;
		}
		restored++;
	}
	return restored;
}
