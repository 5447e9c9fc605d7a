/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/ipv4optd/diagnose through its seams: a link table fed by hand (a
 * made-up link beside lo), real memberships on lo, and a procfs of the test's own
 * (diagnose_input.proc) holding the sysctls and counters the checks read. */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctlproto.h"
#include "macro.h"
#include "nlmsg.h"
#include "ipv4optd/config.h"
#include "ipv4optd/diagnose.h"
#include "ipv4optd/links.h"
#include "ipv4optd/members.h"

static void on_event(struct links *l, enum links_event ev, const struct link *k,
		     const char *old_name, void *userdata)
{
	(void)l, (void)ev, (void)k, (void)old_name, (void)userdata;
}

/* An RTM_NEWLINK for (index, name) with these flags, fed to l. */
static void link_msg(struct links *l, int index, const char *name, unsigned flags)
{
	char buf[256] = {};
	struct ifinfomsg *ifm;

	put_link(buf, RTM_NEWLINK, index, name);
	ifm = mnl_nlmsg_get_payload((struct nlmsghdr *)buf);
	ifm->ifi_flags = flags;
	ck_assert_int_ge(links_handle_message(l, (struct nlmsghdr *)buf), 0);
}

static void put_file(const char *dir, const char *rel, const char *text)
{
	char path[512], sub[512];
	FILE *f;

	/* the parent directories, one at a time */
	for (const char *p = strchr(rel, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(sub, sizeof(sub), "%s/%.*s", dir, (int)(p - rel), rel);
		(void)mkdir(sub, 0755);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static void netstat(const char *dir, int rpf)
{
	char text[256];

	snprintf(text, sizeof(text), "TcpExt: SyncookiesSent IPReversePathFilter TW\n"
		 "TcpExt: 0 %d 7\nIpExt: InNoRoutes\nIpExt: 0\n", rpf);
	put_file(dir, "net/netstat", text);
}

static const struct diagnose_finding *find(const struct diagnose_report *r, const char *code,
					   const char *policy)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (streq(diagnose_code_to_string(r->findings[i].code), code) &&
		    r->findings[i].policy && streq(r->findings[i].policy, policy))
			return &r->findings[i];
	return NULL;
}

START_TEST(test_names)
{
	for (int c = 0; c < _DIAGNOSE_CODE_MAX; c++) {
		ck_assert_ptr_nonnull(diagnose_code_to_string(c));
		ck_assert_int_eq(diagnose_code_from_string(diagnose_code_to_string(c)), c);
	}
	for (int s = 0; s < _DIAGNOSE_SEVERITY_MAX; s++)
		ck_assert_int_eq(diagnose_severity_from_string(diagnose_severity_to_string(s)), s);
	ck_assert_int_eq(diagnose_code_from_string("rp_filter"), _DIAGNOSE_CODE_INVALID);
	ck_assert_int_eq(diagnose_code_from_string(NULL), _DIAGNOSE_CODE_INVALID);
	ck_assert_ptr_null(diagnose_code_to_string(_DIAGNOSE_CODE_MAX));
	ck_assert_str_eq(diagnose_code_to_string(DIAGNOSE_CODE_RP_FILTER), "rp-filter");
	ck_assert_str_eq(diagnose_code_to_string(DIAGNOSE_CODE_NO_IPV4_ADDRESS),
			 "no-ipv4-address");
}
END_TEST

static const char conf[] =
	"policies = (\n"
	"  { name = \"gone\"; group = \"239.9.9.1\"; interfaces = [ \"zz9\" ]; action = \"join\"; },\n"
	"  { name = \"down\"; group = \"239.9.9.2\"; interfaces = [ \"dn0\" ]; action = \"join\"; },\n"
	"  { name = \"ssm\"; group = \"232.9.9.3\"; sources = [ \"10.255.77.2\" ];\n"
	"    interfaces = [ \"lo\" ]; action = \"join\"; }\n"
	");\n";

START_TEST(test_findings)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_(members_freep) struct members *m = NULL;
	_cleanup_(links_freep) struct links *l = NULL;
	_cleanup_(diagnose_freep) struct diagnose *d = NULL;
	_cleanup_(diagnose_report_freep) struct diagnose_report *r = NULL, *r2 = NULL;
	_cleanup_free_ char *errors = NULL;
	char dir[] = "/tmp/check_diagnose.XXXXXX";
	const struct diagnose_finding *f;
	struct diagnose_input in;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	put_file(dir, "sys/net/ipv4/conf/all/rp_filter", "1\n");
	put_file(dir, "sys/net/ipv4/conf/lo/rp_filter", "0\n");
	netstat(dir, 42);
	ck_assert_int_eq(config_parse_string(conf, "test.conf", &c, &errors), 0);
	/* lo (the kernel's index, no address in this table), and a made-up link, down */
	ck_assert_int_eq(links_new(NULL, 0, on_event, NULL, &l), 0);
	link_msg(l, 1, "lo", IFF_UP | IFF_RUNNING | IFF_LOOPBACK);
	link_msg(l, 100077, "dn0", 0);
	ck_assert_int_eq(members_new(&m), 0);
	members_set_links(m, l);
	ck_assert_int_eq(members_reconcile(m, c, NULL), 0);
	ck_assert_int_eq(diagnose_new(&d), 0);
	in = (struct diagnose_input){ .config = c, .links = l, .members = m, .proc = dir };

	ck_assert_int_eq(diagnose_run(d, &in, NULL, &r), 0);
	/* no interface of that name */
	f = find(r, "interface-missing", "gone");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, DIAGNOSE_SEVERITY_ERROR);
	ck_assert_str_eq(f->ifname, "zz9");
	ck_assert_ptr_nonnull(strstr(f->hint, "zz9"));
	/* in the table, down */
	f = find(r, "interface-down", "down");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->ifname, "dn0");
	ck_assert_ptr_nonnull(strstr(f->hint, "ip link set dn0 up"));
	/* lo as the table says: no IPv4 address */
	f = find(r, "no-ipv4-address", "ssm");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, DIAGNOSE_SEVERITY_WARNING);
	ck_assert_str_eq(f->ifname, "lo");
	/* all.rp_filter=1 wins over lo's 0; no route back to 10.255.77.2 leaves by lo */
	f = find(r, "rp-filter", "ssm");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, DIAGNOSE_SEVERITY_ERROR);
	ck_assert_ptr_nonnull(strstr(f->message, "10.255.77.2"));
	ck_assert_ptr_nonnull(strstr(f->message, "strict"));
	ck_assert_ptr_nonnull(strstr(f->message, "IPReversePathFilter counter is 42"));
	ck_assert_ptr_null(strstr(f->message, "rising"));
	ck_assert_ptr_nonnull(strstr(f->hint, "rp_filter"));
	ck_assert_uint_eq(diagnose_report_errors(r), 3);
	ck_assert(diagnose_report_has(r, "ssm", "lo", (struct in_addr){ htonl(0xe8090903) }));
	ck_assert(!diagnose_report_has(r, "ssm", "eth9", (struct in_addr){ htonl(0xe8090903) }));

	/* the counter moved: rising; rp_filter off everywhere: the finding goes */
	netstat(dir, 50);
	ck_assert_int_eq(diagnose_run(d, &in, "ssm", &r2), 0);
	f = find(r2, "rp-filter", "ssm");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(strstr(f->message, "50, rising"));
	ck_assert_ptr_null(find(r2, "interface-missing", "gone")); /* only ssm's */
	r2 = diagnose_report_free(r2);
	put_file(dir, "sys/net/ipv4/conf/all/rp_filter", "0\n");
	ck_assert_int_eq(diagnose_run(d, &in, "ssm", &r2), 0);
	ck_assert_ptr_null(find(r2, "rp-filter", "ssm"));
	ck_assert_ptr_nonnull(find(r2, "no-ipv4-address", "ssm"));
	ck_assert_uint_eq(r2->n_findings, 1);
	r2 = diagnose_report_free(r2);
	/* an IGMPv2 querier heard on lo (the kernel's Querier column): the same, from outside */
	put_file(dir, "net/igmp", "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"
		 "1\tlo        :     2      V2\n\t\t\t\t010000E0     1 0:00000000\t\t0\n");
	ck_assert_int_eq(diagnose_run(d, &in, "ssm", &r2), 0);
	f = find(r2, "igmp-old-querier", "ssm");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, DIAGNOSE_SEVERITY_WARNING);
	ck_assert_ptr_nonnull(strstr(f->message, "IGMPv2 querier"));
	r2 = diagnose_report_free(r2);
	put_file(dir, "net/igmp", "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"
		 "1\tlo        :     2      V3\n");
	ck_assert_int_eq(diagnose_run(d, &in, "ssm", &r2), 0);
	ck_assert_ptr_null(find(r2, "igmp-old-querier", "ssm"));
	r2 = diagnose_report_free(r2);
	/* forced to IGMPv2: a source-specific join cannot say its source */
	put_file(dir, "sys/net/ipv4/conf/lo/force_igmp_version", "2\n");
	ck_assert_int_eq(diagnose_run(d, &in, "ssm", &r2), 0);
	f = find(r2, "igmp-version-forced", "ssm");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, DIAGNOSE_SEVERITY_WARNING);

	ck_assert_int_eq(diagnose_run(d, &in, "nosuch", &r2), -ENOENT);
	members_leave_all(m);
	ck_assert_int_eq(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}
END_TEST

START_TEST(test_json)
{
	struct diagnose_finding v[2] = {
		{ .code = DIAGNOSE_CODE_NO_ROUTE, .severity = DIAGNOSE_SEVERITY_ERROR,
		  .policy = (char *)"out", .message = (char *)"no route", .hint = (char *)"ip route" },
		{ .code = DIAGNOSE_CODE_MTU, .severity = DIAGNOSE_SEVERITY_WARNING,
		  .policy = (char *)"out", .ifname = "eth1", .group = { htonl(0xef010101) },
		  .message = (char *)"too big", .hint = (char *)"mtu" },
	};
	struct diagnose_report r = { .findings = v, .n_findings = 2 };
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *a, *x, *k;

	ck_assert_int_eq(diagnose_report_to_json(&r, &o), 0);
	ck_assert(json_object_object_get_ex(o, "findings", &a));
	ck_assert_uint_eq(json_object_array_length(a), 2);
	x = json_object_array_get_idx(a, 0);
	ck_assert(json_object_object_get_ex(x, "code", &k));
	ck_assert_str_eq(json_object_get_string(k), "no-route");
	ck_assert(json_object_object_get_ex(x, "interface", &k));
	ck_assert_ptr_null(k); /* none: null */
	ck_assert(json_object_object_get_ex(x, "group", &k));
	ck_assert_ptr_null(k);
	x = json_object_array_get_idx(a, 1);
	ck_assert(json_object_object_get_ex(x, "interface", &k));
	ck_assert_str_eq(json_object_get_string(k), "eth1");
	ck_assert(json_object_object_get_ex(x, "group", &k));
	ck_assert_str_eq(json_object_get_string(k), "239.1.1.1");
	ck_assert(json_object_object_get_ex(x, "severity", &k));
	ck_assert_str_eq(json_object_get_string(k), "warning");
	ck_assert(json_object_object_get_ex(o, "errors", &k));
	ck_assert_int_eq(json_object_get_int(k), 1);
	ck_assert(json_object_object_get_ex(o, "warnings", &k));
	ck_assert_int_eq(json_object_get_int(k), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diagnose");
	TCase *tc = tcase_create("checks");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_findings);
	tcase_add_test(tc, test_json);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
