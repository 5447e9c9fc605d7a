/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipv4opt.h"

/* Texts as this machine's kernel (6.x) prints them: igmp group lines start with four tabs
 * (older kernels: two), devices are %-10s, mcfilter names are cut to six characters. */
static const char igmp_text[] =
	"Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"
	"1\tlo        :     1      V3\n"
	"\t\t\t\t010000E0     1 0:00000000\t\t0\n"
	"2\tr0        :     3      V3\n"
	"\t\t\t\t04000AE8     1 0:00000000\t\t0\n"
	"\t\t\t\t010101EF     2 0:00000000\t\t0\n"
	"\t\t\t\t010000E0     1 0:00000000\t\t0\n"
	"12\tverylongname15c:     1      V2\n"
	"\t\t0A0B0CEF     7 1:0000001A\t\t1\n";

static const char mcfilter_text[] =
	"Idx Device        MCA        SRC    INC    EXC\n"
	"  2     r0 0xe80a0004 0x0ac90101      1      0\n"
	"  2     r0 0xef010101 0x0ac9010b      0      1\n"
	" 12 verylo 0xef0a0b0c 0x01020304      2      1\n";

static char *write_temp(const char *text, size_t len)
{
	char *path = strdup("/tmp/check_proc.XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

struct collect {
	struct ipv4opt_igmp_entry igmp[16];
	struct ipv4opt_mcfilter_entry mcf[16];
	int n;
	int stop_at;
};

static int igmp_cb(const struct ipv4opt_igmp_entry *e, void *userdata)
{
	struct collect *c = userdata;

	if (c->n == c->stop_at)
		return -ECANCELED;
	ck_assert_int_lt(c->n, 16);
	c->igmp[c->n++] = *e;
	return 0;
}

static int mcf_cb(const struct ipv4opt_mcfilter_entry *e, void *userdata)
{
	struct collect *c = userdata;

	if (c->n == c->stop_at)
		return -ECANCELED;
	ck_assert_int_lt(c->n, 16);
	c->mcf[c->n++] = *e;
	return 0;
}

static int parse_igmp(const char *text, size_t len, struct collect *c)
{
	char *path = write_temp(text, len);
	int r = ipv4opt_igmp_foreach(path, igmp_cb, c);

	unlink(path);
	free(path);
	return r;
}

static int parse_mcf(const char *text, size_t len, struct collect *c)
{
	char *path = write_temp(text, len);
	int r = ipv4opt_mcfilter_foreach(path, mcf_cb, c);

	unlink(path);
	free(path);
	return r;
}

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

START_TEST(test_igmp)
{
	struct collect c = { .stop_at = -1 };
	char b[INET_ADDRSTRLEN];

	ck_assert_int_eq(parse_igmp(igmp_text, sizeof(igmp_text) - 1, &c), 0);
	ck_assert_int_eq(c.n, 5);
	ck_assert_int_eq(c.igmp[0].ifindex, 1);
	ck_assert_str_eq(c.igmp[0].ifname, "lo");
	ck_assert_str_eq(ntoa(c.igmp[0].group, b), "224.0.0.1");
	ck_assert_int_eq(c.igmp[1].ifindex, 2);
	ck_assert_str_eq(c.igmp[1].ifname, "r0");
	ck_assert_str_eq(ntoa(c.igmp[1].group, b), "232.10.0.4");
	ck_assert_str_eq(ntoa(c.igmp[2].group, b), "239.1.1.1");
	ck_assert_uint_eq(c.igmp[2].users, 2);
	ck_assert_str_eq(ntoa(c.igmp[3].group, b), "224.0.0.1");
	ck_assert_int_eq(c.igmp[4].ifindex, 12);
	ck_assert_str_eq(c.igmp[4].ifname, "verylongname15c");
	ck_assert_str_eq(ntoa(c.igmp[4].group, b), "239.12.11.10");
	ck_assert_uint_eq(c.igmp[4].users, 7);
}
END_TEST

START_TEST(test_igmp_stop)
{
	struct collect c = { .stop_at = 2 };

	ck_assert_int_eq(parse_igmp(igmp_text, sizeof(igmp_text) - 1, &c), -ECANCELED);
	ck_assert_int_eq(c.n, 2);
}
END_TEST

START_TEST(test_igmp_odd)
{
	struct collect c = { .stop_at = -1 };
	static const char no_newline[] = "Idx\tDevice    : Count Querier\n"
					 "3\teth0      :     1      V3\n"
					 "\t\t\t\t010101EF     1 0:00000000\t\t0";
	static const char blank_lines[] = "Idx\tDevice    : Count Querier\n\n"
					  "3\teth0      :     1      V3\n   \n"
					  "\t\t010101EF     1 0:00000000\t\t0\n\n";
	static const char header_only[] = "Idx\tDevice    : Count Querier\tGroup    Users Timer\n";
	static const char *const bad[] = {
		/* group line before any device */
		"Idx\tDevice\n\t\t\t\t010101EF     1 0:00000000\t\t0\n",
		/* device without colon */
		"Idx\n3\teth0\n",
		/* junk instead of a device line */
		"Idx\nhello world\n",
		/* junk group */
		"Idx\n3\teth0      :     1      V3\n\t\t\t\tzzzz     1 0:0\n",
		/* group too large for 32 bits */
		"Idx\n3\teth0      :     1      V3\n\t\t1FFFFFFFF     1 0:0\n",
		/* no users field */
		"Idx\n3\teth0      :     1      V3\n\t\t010101EF\n",
		/* negative index */
		"Idx\n-3\teth0      :     1      V3\n",
		/* interface name longer than IFNAMSIZ - 1 */
		"Idx\n3\tabcdefghijklmnopqrstuvwxyz:     1      V3\n",
	};
	char longline[600];

	ck_assert_int_eq(parse_igmp(no_newline, sizeof(no_newline) - 1, &c), 0);
	ck_assert_int_eq(c.n, 1);
	ck_assert_str_eq(c.igmp[0].ifname, "eth0");
	ck_assert_uint_eq(c.igmp[0].group.s_addr, inet_addr("239.1.1.1"));

	c.n = 0;
	ck_assert_int_eq(parse_igmp(blank_lines, sizeof(blank_lines) - 1, &c), 0);
	ck_assert_int_eq(c.n, 1);

	c.n = 0;
	ck_assert_int_eq(parse_igmp(header_only, sizeof(header_only) - 1, &c), 0);
	ck_assert_int_eq(parse_igmp("", 0, &c), 0);
	ck_assert_int_eq(c.n, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse_igmp(bad[i], strlen(bad[i]), &c) == -EBADMSG, "accepted %zu",
			      i);

	/* A line longer than any the kernel prints. */
	memset(longline, 'A', sizeof(longline));
	memcpy(longline, "Idx\n", 4);
	longline[sizeof(longline) - 1] = '\n';
	ck_assert_int_eq(parse_igmp(longline, sizeof(longline), &c), -EBADMSG);
	/* NUL bytes inside. */
	ck_assert_int_eq(parse_igmp("Idx\n3\teth0\0     :\n", 19, &c), -EBADMSG);

	ck_assert_int_eq(ipv4opt_igmp_foreach("/nonexistent/igmp", igmp_cb, &c), -ENOENT);
	ck_assert_int_eq(ipv4opt_igmp_foreach("/tmp", igmp_cb, &c) < 0, 1);
	ck_assert_int_eq(ipv4opt_igmp_foreach(NULL, NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_mcfilter)
{
	struct collect c = { .stop_at = -1 };
	char b[INET_ADDRSTRLEN];

	ck_assert_int_eq(parse_mcf(mcfilter_text, sizeof(mcfilter_text) - 1, &c), 0);
	ck_assert_int_eq(c.n, 3);
	ck_assert_int_eq(c.mcf[0].ifindex, 2);
	ck_assert_str_eq(c.mcf[0].ifname, "r0");
	ck_assert_str_eq(ntoa(c.mcf[0].group, b), "232.10.0.4");
	ck_assert_str_eq(ntoa(c.mcf[0].source, b), "10.201.1.1");
	ck_assert(c.mcf[0].include);
	ck_assert_str_eq(ntoa(c.mcf[1].group, b), "239.1.1.1");
	ck_assert_str_eq(ntoa(c.mcf[1].source, b), "10.201.1.11");
	ck_assert(!c.mcf[1].include);
	ck_assert_int_eq(c.mcf[2].ifindex, 12);
	/* From a file (not the live table) a cut name stays as printed. */
	ck_assert_str_eq(c.mcf[2].ifname, "verylo");
	ck_assert_str_eq(ntoa(c.mcf[2].source, b), "1.2.3.4");
	ck_assert(c.mcf[2].include);

	c.n = 0;
	c.stop_at = 1;
	ck_assert_int_eq(parse_mcf(mcfilter_text, sizeof(mcfilter_text) - 1, &c), -ECANCELED);
	ck_assert_int_eq(c.n, 1);
}
END_TEST

START_TEST(test_mcfilter_odd)
{
	struct collect c = { .stop_at = -1 };
	static const char *const bad[] = {
		"Idx Device        MCA        SRC    INC    EXC\n  2     r0 0xe80a0004\n",
		"Idx\n  2     r0 0xe80a0004 0x0ac90101      1\n",
		"Idx\n  2     r0 0xe80a0004 0x0ac90101      1      0 extra\n",
		"Idx\n  2     r0 0xe80a000g 0x0ac90101      1      0\n",
		"Idx\n  2     r0 0x1e80a0004 0x0ac90101      1      0\n",
		"Idx\n  x     r0 0xe80a0004 0x0ac90101      1      0\n",
		"Idx\n  2     r0 0xe80a0004 0x0ac90101     -1      0\n",
		"Idx\n  2\n",
	};
	static const char ok[] = "Idx Device        MCA        SRC    INC    EXC\n\n"
				 "  2     r0 0xE80A0004 0x0AC90101      0      0   \n";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse_mcf(bad[i], strlen(bad[i]), &c) == -EBADMSG, "accepted %zu", i);
	ck_assert_int_eq(c.n, 0);
	ck_assert_int_eq(parse_mcf(ok, sizeof(ok) - 1, &c), 0);
	ck_assert_int_eq(c.n, 1);
	ck_assert(!c.mcf[0].include);
	ck_assert_uint_eq(c.mcf[0].group.s_addr, inet_addr("232.10.0.4"));
	ck_assert_int_eq(ipv4opt_mcfilter_foreach("/nonexistent/mcfilter", mcf_cb, &c), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("proc");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_igmp);
	tcase_add_test(tc, test_igmp_stop);
	tcase_add_test(tc, test_igmp_odd);
	tcase_add_test(tc, test_mcfilter);
	tcase_add_test(tc, test_mcfilter_odd);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
