/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log: one logging path for the daemon and the client. Under systemd (stderr connected to the
 * journal, JOURNAL_STREAM) records go to the journal with structured fields (POLICY=, GROUP=,
 * IFNAME=); otherwise to stderr. Every log_*_errno() returns -abs(err) so a caller can
 * `return log_error_errno(r, "...: %m")` (%m prints err).
 */
#ifndef IPV4OPT_LOG_H
#define IPV4OPT_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

enum log_sink {
	LOG_SINK_AUTO,    /* journal when stderr is the journal, else stderr */
	LOG_SINK_STDERR,
	LOG_SINK_JOURNAL,
};

void log_setup(const char *ident, enum log_sink sink);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Parses "emerg".."debug" (or 0-7). Returns the level or -EINVAL. */
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);

/* Structured context of one record; any member may be NULL. */
struct log_ctx {
	const char *policy;
	const char *group;
	const char *ifname;
};

int log_internal(int level, int err, const struct log_ctx *ctx, const char *file, int line,
		 const char *fmt, ...) _printf_(6, 7);

#define log_full_errno(level, err, ctx, ...)                                                   \
	log_internal((level), (err), (ctx), __FILE__, __LINE__, __VA_ARGS__)

#define log_debug(...) log_full_errno(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_debug_errno(err, ...) log_full_errno(LOG_DEBUG, (err), NULL, __VA_ARGS__)
#define log_info_errno(err, ...) log_full_errno(LOG_INFO, (err), NULL, __VA_ARGS__)
#define log_warning_errno(err, ...) log_full_errno(LOG_WARNING, (err), NULL, __VA_ARGS__)
#define log_error_errno(err, ...) log_full_errno(LOG_ERR, (err), NULL, __VA_ARGS__)

#endif
