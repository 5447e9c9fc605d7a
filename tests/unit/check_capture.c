/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/ipv4optd/capture: the pcap file a reader sees (global header, one record
 * per datagram with an IPv4 and a UDP header built from the control data), rotation at
 * max_size, and the journal rate limit. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "ipv4opt.h"
#include "ipv4optd/capture.h"
#include "log.h"
#include "macro.h"

static char dir[] = "/tmp/check_capture.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	log_set_max_level(LOG_WARNING); /* keep the journal records off the test output */
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/check_capture.XXXXXX");
}

static struct capture_packet packet(const void *data, size_t len)
{
	struct capture_packet p = {
		.realtime_usec = 1700000000123456ULL,
		.sport = 40000,
		.dport = 5000,
		.ifindex = 2,
		.ifname = "eth0",
		.ttl = 7,
		.tos = 0x8a,
		.data = data,
		.len = len,
	};

	inet_pton(AF_INET, "10.1.2.3", &p.src);
	inet_pton(AF_INET, "239.1.1.1", &p.dst);
	return p;
}

static size_t read_file(const char *path, uint8_t *buf, size_t size)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	ck_assert_ptr_nonnull(f);
	return fread(buf, 1, size, f);
}

START_TEST(test_pcap_records)
{
	_cleanup_(capture_freep) struct capture *c = NULL;
	sd_event *e = NULL;
	char path[256];
	uint8_t payload[100] = { 0 }, buf[4096];
	struct log_conf conf = { .target = LOG_TARGET_PCAP, .pcap_path = path };
	struct capture_packet p = packet(payload, sizeof(payload));
	struct ipv4opt_header h;
	uint32_t u32;
	size_t n;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	ck_assert_int_eq(sd_event_new(&e), 0);
	ck_assert_int_eq(capture_new(e, "probe", &conf, &c), 0);
	/* The header is there before the first record. */
	ck_assert_int_eq((int)read_file(path, buf, sizeof(buf)), 24);
	ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_flush(c), 0);

	n = read_file(path, buf, sizeof(buf));
	ck_assert_int_eq((int)n, 24 + 2 * (16 + 28 + 100));
	memcpy(&u32, buf, 4);
	ck_assert_uint_eq(u32, 0xa1b2c3d4);
	memcpy(&u32, buf + 20, 4);
	ck_assert_uint_eq(u32, CAPTURE_PCAP_LINKTYPE_RAW);
	/* record header: time, captured and original length */
	memcpy(&u32, buf + 24, 4);
	ck_assert_uint_eq(u32, 1700000000);
	memcpy(&u32, buf + 28, 4);
	ck_assert_uint_eq(u32, 123456);
	memcpy(&u32, buf + 32, 4);
	ck_assert_uint_eq(u32, 128);
	/* the IPv4 header parses, with a right checksum */
	ck_assert_int_eq(ipv4opt_header_parse(buf + 40, 128, &h), 0);
	ck_assert_int_eq(h.tos, 0x8a);
	ck_assert_int_eq(h.ttl, 7);
	ck_assert_int_eq(h.protocol, IPPROTO_UDP);
	ck_assert_int_eq(h.total_len, 128);
	ck_assert_str_eq(inet_ntoa(h.src), "10.1.2.3");
	ck_assert_str_eq(inet_ntoa(h.dst), "239.1.1.1");
	ck_assert_uint_eq(ipv4opt_checksum(buf + 40, 20), 0);
	/* UDP header, then the payload unchanged */
	ck_assert_uint_eq((unsigned)(buf[60] << 8 | buf[61]), 40000);
	ck_assert_uint_eq((unsigned)(buf[62] << 8 | buf[63]), 5000);
	ck_assert_uint_eq((unsigned)(buf[64] << 8 | buf[65]), 108);
	ck_assert_mem_eq(buf + 68, payload, sizeof(payload));
	c = capture_free(c);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_pcap_rotation)
{
	_cleanup_(capture_freep) struct capture *c = NULL;
	sd_event *e = NULL;
	char path[256], old[300];
	uint8_t payload[100] = { 0 };
	struct log_conf conf = { .target = LOG_TARGET_PCAP, .pcap_path = path,
				 .pcap_max_size = 1000 };
	struct capture_packet p = packet(payload, sizeof(payload));
	struct stat st;

	snprintf(path, sizeof(path), "%s/r.pcap", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	ck_assert_int_eq(sd_event_new(&e), 0);
	ck_assert_int_eq(capture_new(e, "rot", &conf, &c), 0);
	/* 24 + 6 * 144 = 888 fits, the 7th record does not: rotated. */
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_flush(c), 0);
	ck_assert_uint_eq(capture_rotations(c), 1);
	ck_assert_int_eq(stat(old, &st), 0);
	ck_assert_int_eq((int)st.st_size, 24 + 6 * 144);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq((int)st.st_size, 24 + 144);
	c = capture_free(c);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_journal_rate_limit)
{
	_cleanup_(capture_freep) struct capture *c = NULL;
	sd_event *e = NULL;
	uint8_t payload[10] = { 0 };
	struct log_conf conf = { .target = LOG_TARGET_JOURNAL, .rate_limit = 3 };
	struct capture_packet p = packet(payload, sizeof(payload));
	int logged = 0;

	ck_assert_int_eq(sd_event_new(&e), 0);
	ck_assert_int_eq(capture_new(e, "j", &conf, &c), 0);
	for (int i = 0; i < 10; i++)
		logged += capture_record(c, &p);
	ck_assert_int_eq(logged, 3);
	ck_assert_uint_eq(capture_suppressed(c), 7);
	c = capture_free(c);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_conf_equal)
{
	struct log_conf a = { .target = LOG_TARGET_PCAP, .pcap_path = (char *)"/x" };
	struct log_conf b = a;

	ck_assert(capture_conf_equal(&a, &b));
	b.pcap_max_size = 5;
	ck_assert(!capture_conf_equal(&a, &b));
	b = (struct log_conf){ .target = LOG_TARGET_JOURNAL };
	ck_assert(!capture_conf_equal(&a, &b));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("capture");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pcap_records);
	tcase_add_test(tc, test_pcap_rotation);
	tcase_add_test(tc, test_journal_rate_limit);
	tcase_add_test(tc, test_conf_equal);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
