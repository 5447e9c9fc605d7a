/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "ipv4opt";
static bool log_to_journal;
static int log_max_level = LOG_INFO;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

/* systemd sets JOURNAL_STREAM=dev:ino when stderr is connected to the journal. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

void log_setup(const char *ident, enum log_sink sink)
{
	log_ident = ident;
	switch (sink) {
	case LOG_SINK_AUTO:
		log_to_journal = stderr_is_journal();
		break;
	case LOG_SINK_STDERR:
		log_to_journal = false;
		break;
	case LOG_SINK_JOURNAL:
		log_to_journal = true;
		break;
	}
}

void log_set_max_level(int level)
{
	if (level >= LOG_EMERG && level <= LOG_DEBUG)
		log_max_level = level;
}

int log_get_max_level(void)
{
	return log_max_level;
}

int log_level_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "error") == 0)
		return LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return LOG_WARNING;
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	return -EINVAL;
}

const char *log_level_to_string(int level)
{
	if (level < 0 || level >= (int)ELEMENTSOF(level_names))
		return NULL;
	return level_names[level];
}

int log_internal(int level, int err, const struct log_ctx *ctx, const char *file, int line,
		 const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (err < 0)
		err = -err;
	if (level > log_max_level)
		return -err;

	int saved = errno;
	errno = err; /* so that %m names err */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errno = saved;

	if (log_to_journal) {
		char f[10][2200];
		struct iovec iov[10];
		int n = 0;

#define FIELD(...) (snprintf(f[n], sizeof(f[n]), __VA_ARGS__), \
		    iov[n] = (struct iovec){ f[n], strlen(f[n]) }, n++)
		FIELD("MESSAGE=%s", msg);
		FIELD("PRIORITY=%d", level);
		FIELD("SYSLOG_IDENTIFIER=%s", log_ident);
		FIELD("CODE_FILE=%s", file);
		FIELD("CODE_LINE=%d", line);
		if (err)
			FIELD("ERRNO=%d", err);
		if (ctx && ctx->policy)
			FIELD("POLICY=%s", ctx->policy);
		if (ctx && ctx->group)
			FIELD("GROUP=%s", ctx->group);
		if (ctx && ctx->ifname)
			FIELD("IFNAME=%s", ctx->ifname);
#undef FIELD
		sd_journal_sendv(iov, n);
	} else {
		/* for people in the foreground: the severity in words, as syslog names it */
		fprintf(stderr, "%s: %s: %s\n", log_ident, log_level_to_string(level) ?: "log", msg);
	}
	errno = saved;
	return -err;
}
