/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's membership tables, as printed by net/ipv4/igmp.c:
 *
 * /proc/net/igmp (igmp_mc_seq_show()):
 *   "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"
 *   "%d\t%-10s: %5d %7s\n"                       one line per device
 *   "\t\t\t\t%08X %5d %d:%08lX\t\t%d\n"          one line per group of that device
 * The group is the raw __be32 printed as an integer, so the parsed number is stored into
 * s_addr unchanged (239.1.1.1 is "010101EF" on little-endian machines).
 *
 * /proc/net/mcfilter (igmp_mcf_seq_show()):
 *   "Idx Device        MCA        SRC    INC    EXC\n"
 *   "%3d %6.6s 0x%08x 0x%08x %6lu %6lu\n"         one line per (group, source)
 * Here the addresses are converted to host order before printing, and the device name is cut
 * to six characters.
 *
 * With path NULL the files are read from /proc/thread-self/net, i.e. in the network namespace
 * of the calling thread (/proc/net follows the process's main thread instead).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define PROC_IGMP "/proc/thread-self/net/igmp"
#define PROC_MCFILTER "/proc/thread-self/net/mcfilter"

/* Lines of both files are far shorter; a longer one is malformed. */
#define LINE_MAX_LEN 256

/* Reads one line into buf without its newline. Returns 1 for a line, 0 at the end, or
 * -EBADMSG for a line too long (or with a NUL byte). */
static int read_line(FILE *f, char *buf, size_t size)
{
	size_t n;

	if (!fgets(buf, (int)size, f))
		return ferror(f) ? -EIO : 0;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n') {
		buf[n - 1] = '\0';
		return 1;
	}
	/* No newline: fine only for the file's last line, if it was not cut off. */
	if (n + 1 == size || !feof(f))
		return -EBADMSG;
	return 1;
}

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* Parses a decimal int at *p (after blanks) into ret and advances *p. */
static bool parse_int(const char **p, int *ret)
{
	const char *s = *p;
	char *end;
	long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || v > INT_MAX)
		return false;
	*ret = (int)v;
	*p = end;
	return true;
}

static bool parse_ulong(const char **p, int base, unsigned long max, unsigned long *ret)
{
	const char *s = *p;
	char *end;
	unsigned long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!isxdigit((unsigned char)*s) || (base == 10 && !isdigit((unsigned char)*s)))
		return false;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno != 0 || v > max)
		return false;
	*ret = v;
	*p = end;
	return true;
}

/* Parses an interface name (up to blanks or ':'), at most IFNAMSIZ - 1 characters. */
static bool parse_name(const char **p, char ret[static IFNAMSIZ])
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (s[n] && s[n] != ':' && !isspace((unsigned char)s[n]))
		n++;
	if (n == 0 || n >= IFNAMSIZ)
		return false;
	memcpy(ret, s, n);
	ret[n] = '\0';
	*p = s + n;
	return true;
}

_public_ int ipv4opt_igmp_foreach(const char *path,
				  int (*cb)(const struct ipv4opt_igmp_entry *e, void *userdata),
				  void *userdata)
{
	struct ipv4opt_igmp_entry e = {};
	bool have_dev = false;
	char line[LINE_MAX_LEN];
	FILE *f;
	int r;

	if (!cb)
		return -EINVAL;
	f = fopen(path ? path : PROC_IGMP, "re");
	if (!f)
		return -errno;
	for (unsigned lineno = 1;; lineno++) {
		const char *p = line;
		unsigned long v;

		r = read_line(f, line, sizeof(line));
		if (r <= 0)
			break;
		if (lineno == 1 && strncmp(line, "Idx", 3) == 0)
			continue;
		if (is_blank(line))
			continue;
		if (line[0] != ' ' && line[0] != '\t') {
			/* "2\tr0        :     1      V3" */
			if (!parse_int(&p, &e.ifindex) || !parse_name(&p, e.ifname)) {
				r = -EBADMSG;
				break;
			}
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ':') {
				r = -EBADMSG;
				break;
			}
			have_dev = true;
			continue;
		}
		/* "\t\t\t\t010101EF     1 0:00000000\t\t0" */
		if (!have_dev || !parse_ulong(&p, 16, UINT32_MAX, &v)) {
			r = -EBADMSG;
			break;
		}
		e.group.s_addr = (in_addr_t)v;
		if (!parse_ulong(&p, 10, UINT_MAX, &v)) {
			r = -EBADMSG;
			break;
		}
		e.users = (unsigned)v;
		r = cb(&e, userdata);
		if (r < 0)
			break;
	}
	fclose(f);
	return r < 0 ? r : 0;
}

_public_ int ipv4opt_mcfilter_foreach(const char *path,
				      int (*cb)(const struct ipv4opt_mcfilter_entry *e,
						void *userdata),
				      void *userdata)
{
	char line[LINE_MAX_LEN];
	FILE *f;
	int r;

	if (!cb)
		return -EINVAL;
	f = fopen(path ? path : PROC_MCFILTER, "re");
	if (!f)
		return -errno;
	for (unsigned lineno = 1;; lineno++) {
		struct ipv4opt_mcfilter_entry e = {};
		unsigned long group, source, inc, exc;
		const char *p = line;

		r = read_line(f, line, sizeof(line));
		if (r <= 0)
			break;
		if (lineno == 1 && strncmp(line, "Idx", 3) == 0)
			continue;
		if (is_blank(line))
			continue;
		/* "  2     r0 0xe80a0004 0x0ac90101      1      0" */
		if (!parse_int(&p, &e.ifindex) || !parse_name(&p, e.ifname) ||
		    !parse_ulong(&p, 16, UINT32_MAX, &group) ||
		    !parse_ulong(&p, 16, UINT32_MAX, &source) ||
		    !parse_ulong(&p, 10, ULONG_MAX, &inc) || !parse_ulong(&p, 10, ULONG_MAX, &exc) ||
		    !is_blank(p)) {
			r = -EBADMSG;
			break;
		}
		e.group.s_addr = htonl((uint32_t)group);
		e.source.s_addr = htonl((uint32_t)source);
		e.include = inc > 0;
		/* The kernel prints at most six characters of the name: in the live file, complete
		 * it from the index when the printed part is a prefix of the real name. */
		if (!path && strlen(e.ifname) == 6) {
			char full[IF_NAMESIZE];

			if (if_indextoname((unsigned)e.ifindex, full) &&
			    strncmp(full, e.ifname, 6) == 0)
				memcpy(e.ifname, full, sizeof(e.ifname));
		}
		r = cb(&e, userdata);
		if (r < 0)
			break;
	}
	fclose(f);
	return r < 0 ? r : 0;
}
