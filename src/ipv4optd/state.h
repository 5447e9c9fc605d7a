/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * state: the runtime joins (ipv4ctl join) kept across restarts, as one JSON file in the state
 * directory: {"version":1,"joins":[{"group":..,"source":..,"ifname":..,"port":..},...]}.
 * Written whole and atomically (temporary file, fsync, rename, fsync of the directory), so a
 * crash leaves the old file or the new one. A file that cannot be read as a whole is renamed
 * aside and ignored: a bad state file never keeps the daemon from starting.
 */
#ifndef IPV4OPTD_STATE_H
#define IPV4OPTD_STATE_H

#include <stddef.h>

#include "members.h"

#define STATE_FILE_NAME "runtime-joins.json"
#define STATE_MAX_FILE_SIZE (4 * 1024 * 1024)
/* rw for the daemon's user, r for its group, nothing for others (doc/security.md) */
#define STATE_FILE_MODE 0640

/* Writes the runtime joins of m to dir/STATE_FILE_NAME (dir is created if missing), mode
 * STATE_FILE_MODE. Returns a negative errno when the file was not replaced (the old one is
 * intact: the caller may undo the change in memory), 0 when it was and is on disk, and 1 when
 * it was replaced but the directory could not be fsynced after the rename: the new file is the
 * one every reader and the next start see, so memory keeps the change too (the caller reports
 * success); only its survival across a crash of the machine is not assured, and that is logged
 * here as a warning. Logs nothing else. */
int state_save(const char *dir, const struct members *m);

/* Adds the runtime joins of dir/STATE_FILE_NAME to m (the caller reconciles). A missing file
 * is no join; an unreadable or corrupt one is logged (and a corrupt one renamed to
 * STATE_FILE_NAME.corrupt). Returns how many joins were restored. */
size_t state_load(const char *dir, struct members *m);

#endif
