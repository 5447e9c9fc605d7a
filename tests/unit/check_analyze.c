/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's stream-analysis stage (dataplane/analyze.c) through its seams: blocks per
 * worker as the control plane allocates them, datagrams fed as a worker feeds them, and what
 * the control plane reads: per source (at most ANALYZE_SOURCES, the rest counted), on the air,
 * summed over workers, the JSON view.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

#define MS (1000 * 1000ULL)

static in_addr_t addr(const char *s)
{
	return inet_addr(s);
}

/* RTP (PT 33) of one TS packet of PID 0x100 with counter cc */
static size_t datagram(uint8_t *b, uint16_t seq, unsigned int cc)
{
	memset(b, 0, 12 + 188);
	b[0] = 0x80;
	b[1] = 33;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[7] = (uint8_t)seq;
	b[11] = 1;
	b[12] = 0x47;
	b[13] = 0x01;
	b[14] = 0x00;
	b[15] = (uint8_t)(0x10 | (cc & 0x0f));
	return 12 + 188;
}

static bool feed(struct analyze *a, const char *src, uint16_t seq, uint64_t now)
{
	uint8_t b[256];
	size_t n = datagram(b, seq, seq);

	return analyze_feed(a, addr(src), b, n, now);
}

START_TEST(test_sources_and_loss)
{
	struct stream_config c = { .format = STREAM_FORMAT_RTP };
	struct analyze_summary s;
	struct analyze *a = NULL;

	ck_assert_int_eq(analyze_new(2, &c, &a), 0);
	ck_assert_uint_eq(a[0].config.stall_timeout_ns, STREAM_STALL_TIMEOUT_DEFAULT);
	/* nothing yet: no source, not on the air */
	analyze_summarize(a, 2, 5 * MS, &s);
	ck_assert_uint_eq(s.sources, 0);
	ck_assert(!s.total.on_air);

	/* a source begins: on the air (feed says so once) */
	ck_assert(feed(a, "10.0.0.1", 100, 1 * MS));
	for (uint16_t q = 101; q < 110; q++)
		ck_assert(!feed(a, "10.0.0.1", q, q * MS));
	/* 110..112 lost */
	ck_assert(!feed(a, "10.0.0.1", 113, 113 * MS));
	/* another source on worker 1 */
	ck_assert(feed(&a[1], "10.0.0.2", 7, 113 * MS));
	ck_assert(!feed(&a[1], "10.0.0.2", 8, 114 * MS));
	analyze_summarize(a, 2, 114 * MS, &s);
	ck_assert_uint_eq(s.sources, 2);
	ck_assert_uint_eq(s.on_air_events, 2);
	ck_assert(s.total.on_air);
	ck_assert_uint_eq(s.total.datagrams, 13);
	ck_assert_uint_eq(s.total.rtp_lost, 3);
	ck_assert(s.total.rtp_ts);
	/* the TS counter jumped with the loss: one CC error on PID 0x100 */
	ck_assert_uint_eq(s.total.ts_cc_errors, 1);
	ck_assert_uint_eq(s.total.ts_n_error_pids, 1);
	ck_assert_uint_eq(s.total.ts_error_pids[0].pid, 0x100);

	/* more sources than slots on worker 0: the rest counted only */
	ck_assert(feed(a, "10.0.0.3", 1, 120 * MS));
	ck_assert(feed(a, "10.0.0.4", 1, 120 * MS));
	ck_assert(feed(a, "10.0.0.5", 1, 120 * MS));
	ck_assert(!feed(a, "10.0.0.6", 1, 120 * MS));
	ck_assert(!feed(a, "10.0.0.6", 2, 121 * MS));
	analyze_summarize(a, 2, 121 * MS, &s);
	ck_assert_uint_eq(s.sources, ANALYZE_SOURCES + 1);
	ck_assert_uint_eq(s.other_datagrams, 2);

	/* silence beyond the stall timeout: off the air, the gap shows it; back: an event */
	analyze_summarize(a, 2, 1500 * MS, &s);
	ck_assert(!s.total.on_air);
	ck_assert_uint_ge(s.total.max_gap_ns, 1379 * MS);
	ck_assert(feed(a, "10.0.0.1", 114, 1500 * MS));
	analyze_summarize(a, 2, 1500 * MS, &s);
	ck_assert(s.total.on_air);
	ck_assert_uint_eq(s.on_air_events, 2 + 3 + 1);
	free(a);
}
END_TEST

START_TEST(test_json)
{
	struct stream_config c = { .format = STREAM_FORMAT_AUTO };
	struct json_object *o = json_object_new_object(), *st, *v, *arr;
	struct analyze *a = NULL;

	ck_assert_int_eq(analyze_new(1, &c, &a), 0);
	ck_assert_int_eq(analyze_json(a, 1, 0, o), 0);
	ck_assert(json_object_object_get_ex(o, "stream", &st));
	ck_assert(json_object_object_get_ex(st, "detected", &v));
	ck_assert_ptr_null(v); /* auto, undecided */
	ck_assert(json_object_object_get_ex(st, "on_air", &v));
	ck_assert(!json_object_get_boolean(v));
	json_object_put(o);

	for (uint16_t q = 1; q <= 3; q++)
		feed(a, "192.0.2.9", q, q * MS);
	o = json_object_new_object();
	ck_assert_int_eq(analyze_json(a, 1, 3 * MS, o), 0);
	ck_assert(json_object_object_get_ex(o, "stream", &st));
	ck_assert(json_object_object_get_ex(st, "format", &v));
	ck_assert_str_eq(json_object_get_string(v), "auto");
	ck_assert(json_object_object_get_ex(st, "detected", &v));
	ck_assert_str_eq(json_object_get_string(v), "rtp");
	ck_assert(json_object_object_get_ex(st, "datagrams", &v));
	ck_assert_int_eq(json_object_get_int(v), 3);
	ck_assert(json_object_object_get_ex(st, "rtp_lost", &v));
	ck_assert_int_eq(json_object_get_int(v), 0);
	ck_assert(json_object_object_get_ex(st, "jitter_ms", &v));
	ck_assert(json_object_object_get_ex(st, "ts_cc_errors_by_pid", &v));
	ck_assert_int_eq(json_object_object_length(v), 0);
	ck_assert(json_object_object_get_ex(st, "sources", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(arr, 0), "source", &v));
	ck_assert_str_eq(json_object_get_string(v), "192.0.2.9");
	json_object_put(o);
	free(a);
}
END_TEST

START_TEST(test_bad_config)
{
	struct stream_config c = { .format = STREAM_FORMAT_RTP, .clock_rate = 5 };
	struct analyze *a = NULL;

	ck_assert_int_eq(analyze_new(1, &c, &a), -EINVAL);
	ck_assert_ptr_null(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("analyze");
	TCase *tc = tcase_create("analyze");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sources_and_loss);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_bad_config);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
