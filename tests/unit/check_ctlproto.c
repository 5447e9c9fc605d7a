/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/common/ctlproto: requests and responses round-trip; anything malformed,
 * oversized or unknown is refused with the error code and a message that says what. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "macro.h"

/* Parses a request given as text; returns the error (0 on success), message in *msg. */
static int parse_req(const char *text, struct ctl_request *req, char **msg)
{
	return ctlproto_request_parse(text, strlen(text), req, msg);
}

START_TEST(test_request_roundtrip)
{
	_cleanup_json_ struct json_object *args = NULL;
	_cleanup_free_ char *line = NULL, *msg = NULL;
	struct ctl_membership m = { .port = 5000 }, back;
	struct ctl_request req = {};

	inet_pton(AF_INET, "232.1.1.1", &m.group);
	inet_pton(AF_INET, "10.0.0.1", &m.source);
	strcpy(m.ifname, "eth0");
	ck_assert_int_eq(ctlproto_membership_to_json(&m, true, &args), 0);
	ck_assert_int_eq(ctlproto_request_format(CTL_COMMAND_JOIN, args, &line), 0);
	/* one line: the only newline is the last byte */
	ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);
	ck_assert_int_eq(ctlproto_request_parse(line, strlen(line) - 1, &req, &msg), 0);
	ck_assert_int_eq(req.command, CTL_COMMAND_JOIN);
	ck_assert_int_eq(ctlproto_membership_from_json(req.args, true, &back, &msg), 0);
	ck_assert_int_eq(memcmp(&m, &back, sizeof(m)), 0);
	ctl_request_done(&req);

	/* no args: an empty object */
	ck_assert_int_eq(parse_req("{\"version\":1,\"command\":\"show\"}", &req, &msg), 0);
	ck_assert_int_eq(req.command, CTL_COMMAND_SHOW);
	ck_assert_int_eq(json_object_object_length(req.args), 0);
	ctl_request_done(&req);
	/* white space around is fine */
	ck_assert_int_eq(parse_req(" {\"version\":1,\"command\":\"status\",\"args\":{}}\r",
				   &req, &msg), 0);
	ctl_request_done(&req);
}
END_TEST

START_TEST(test_request_malformed)
{
	static const struct {
		const char *text;
		int err;
		const char *says;
	} cases[] = {
		{ "", -EBADMSG, "malformed JSON" },
		{ "{\"version\":1,\"command\":", -EBADMSG, "malformed JSON" },
		{ "{\"version\":1,\"command\":\"show\"", -EBADMSG, "malformed JSON" },
		{ "{\"version\":1,\"command\":show}", -EBADMSG, "malformed JSON" },
		{ "{\"version\":1,\"command\":\"show\"} x", -EBADMSG, "malformed JSON" },
		{ "{\"version\":1,\"command\":\"show\"}{}", -EBADMSG, "malformed JSON" },
		{ "[1,2,3]", -EBADMSG, "must be a JSON object, not array" },
		{ "\"show\"", -EBADMSG, "must be a JSON object, not string" },
		{ "42", -EBADMSG, "must be a JSON object, not int" },
		{ "null", -EBADMSG, "must be a JSON object" },
		{ "{\"command\":\"show\"}", -EBADMSG, "missing key \"version\"" },
		{ "{\"version\":\"1\",\"command\":\"show\"}", -EBADMSG, "must be an integer" },
		{ "{\"version\":2,\"command\":\"show\"}", -EPROTONOSUPPORT, "version 2" },
		{ "{\"version\":1}", -EBADMSG, "missing key \"command\"" },
		{ "{\"version\":1,\"command\":7}", -EBADMSG, "\"command\" must be a string" },
		{ "{\"version\":1,\"command\":\"frobnicate\"}", -EOPNOTSUPP,
		  "unknown command \"frobnicate\"" },
		{ "{\"version\":1,\"command\":\"show\",\"args\":[]}", -EBADMSG,
		  "\"args\" must be an object" },
		{ "{\"version\":1,\"command\":\"show\",\"extra\":1}", -EBADMSG,
		  "unknown key \"extra\"" },
		{ "{\"version\":1,\"command\":\"show\",\"args\":{\"a\":[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}}",
		  -EBADMSG, "malformed JSON" },
		{ "{\"version\":1,\"command\":\"sh\xc3\"}", -EBADMSG, "malformed JSON" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *msg = NULL;
		struct ctl_request req = { .args = NULL };

		ck_assert_msg(parse_req(cases[i].text, &req, &msg) == cases[i].err,
			      "case %zu (%s)", i, cases[i].text);
		ck_assert_ptr_nonnull(msg);
		ck_assert_msg(strstr(msg, cases[i].says), "case %zu: message \"%s\" lacks \"%s\"",
			      i, msg, cases[i].says);
		ck_assert_ptr_null(req.args); /* untouched on failure */
	}

	/* a NUL inside the line */
	{
		static const char t[] = "{\"version\":1,\0\"command\":\"show\"}";
		_cleanup_free_ char *msg = NULL;
		struct ctl_request req = {};

		ck_assert_int_eq(ctlproto_request_parse(t, sizeof(t) - 1, &req, &msg), -EBADMSG);
		ck_assert_ptr_nonnull(strstr(msg, "NUL"));
	}
}
END_TEST

/* Found by tests/fuzz/fuzz_ctlproto (corpus/ctlproto/crash-nan): json-c takes NaN and
 * Infinity even in strict mode, and writes them back, which no JSON reader takes. */
START_TEST(test_request_nonfinite)
{
	static const char *const texts[] = {
		"{\"version\":1,\"command\":\"leave\",\"args\":{\"group\":NaN}}",
		"{\"version\":1,\"command\":\"show\",\"args\":{\"a\":[1,Infinity]}}",
		"{\"version\":1,\"command\":\"show\",\"args\":{\"a\":{\"b\":-Infinity}}}",
		"{\"version\":1,\"command\":\"show\",\"args\":{\"a\":1e400}}",
	};
	static const char nan_data[] = "{\"version\":1,\"ok\":true,\"data\":{\"x\":NaN}}";
	_cleanup_free_ char *msg = NULL;
	struct ctl_response resp = {};
	struct ctl_request req = {};

	for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
		ck_assert_msg(parse_req(texts[i], &req, &msg) == -EBADMSG, "%s", texts[i]);
		ck_assert_ptr_nonnull(strstr(msg, "NaN, Infinity or out of range"));
	}
	ck_assert_int_eq(ctlproto_response_parse(nan_data, strlen(nan_data), &resp, &msg),
			 -EBADMSG);
	/* finite doubles are numbers like any other */
	ck_assert_int_eq(parse_req("{\"version\":1,\"command\":\"show\",\"args\":{\"a\":-0.5e3}}",
				   &req, &msg), 0);
	ctl_request_done(&req);
}
END_TEST

START_TEST(test_request_oversized)
{
	_cleanup_free_ char *big = malloc(CTLPROTO_MAX_REQUEST + 64), *msg = NULL;
	struct ctl_request req = {};
	int n;

	ck_assert_ptr_nonnull(big);
	n = snprintf(big, 64, "{\"version\":1,\"command\":\"show\",\"args\":{\"x\":\"");
	/* valid JSON, one byte over the limit once the newline is counted */
	memset(big + n, 'a', CTLPROTO_MAX_REQUEST - 3 - (size_t)n);
	strcpy(big + CTLPROTO_MAX_REQUEST - 3, "\"}}");
	ck_assert_uint_eq(strlen(big), CTLPROTO_MAX_REQUEST);
	ck_assert_int_eq(ctlproto_request_parse(big, strlen(big), &req, &msg), -EMSGSIZE);
	ck_assert_ptr_nonnull(strstr(msg, "too large"));
}
END_TEST

START_TEST(test_membership_args)
{
	static const struct {
		const char *json;
		const char *says; /* NULL: valid */
	} cases[] = {
		{ "{\"group\":\"239.1.1.1\",\"ifname\":\"eth0\"}", NULL },
		{ "{\"group\":\"239.1.1.1\",\"ifname\":\"eth0\",\"port\":65535}", NULL },
		{ "{\"ifname\":\"eth0\"}", "missing argument \"group\"" },
		{ "{\"group\":\"239.1.1.1\"}", "missing argument \"ifname\"" },
		{ "{\"group\":\"10.1.1.1\",\"ifname\":\"eth0\"}", "not a multicast address" },
		{ "{\"group\":\"239.1.1\",\"ifname\":\"eth0\"}", "not an IPv4 address" },
		{ "{\"group\":239,\"ifname\":\"eth0\"}", "must be a string" },
		{ "{\"group\":\"232.1.1.1\",\"source\":\"239.1.1.1\",\"ifname\":\"eth0\"}",
		  "not a unicast address" },
		{ "{\"group\":\"239.1.1.1\",\"ifname\":\"a/b\"}", "not a valid interface name" },
		{ "{\"group\":\"239.1.1.1\",\"ifname\":\"abcdefghijklmnop\"}", "not a valid" },
		{ "{\"group\":\"239.1.1.1\",\"ifname\":\"eth0\",\"port\":0}", "out of range" },
		{ "{\"group\":\"239.1.1.1\",\"ifname\":\"eth0\",\"port\":65536}", "out of range" },
		{ "{\"group\":\"239.1.1.1\",\"ifname\":\"eth0\",\"port\":\"80\"}", "must be an integer" },
		{ "{\"group\":\"239.1.1.1\",\"ifname\":\"eth0\",\"dev\":\"x\"}", "unknown argument \"dev\"" },
		{ "{\"group\":\"239.1.1.1\",\"ifname\":\"et\\nh0\"}", "control character" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_json_ struct json_object *o = json_tokener_parse(cases[i].json);
		_cleanup_free_ char *msg = NULL;
		struct ctl_membership m;
		int r;

		ck_assert_ptr_nonnull(o);
		r = ctlproto_membership_from_json(o, true, &m, &msg);
		if (!cases[i].says) {
			ck_assert_msg(r == 0, "case %zu: %s", i, msg);
			continue;
		}
		ck_assert_msg(r == -EINVAL, "case %zu accepted", i);
		ck_assert_msg(strstr(msg, cases[i].says), "case %zu: \"%s\" lacks \"%s\"", i, msg,
			      cases[i].says);
	}
	/* leave takes no port */
	{
		_cleanup_json_ struct json_object *o = json_tokener_parse(
			"{\"group\":\"239.1.1.1\",\"ifname\":\"eth0\",\"port\":5}");
		_cleanup_free_ char *msg = NULL;
		struct ctl_membership m;

		ck_assert_int_eq(ctlproto_membership_from_json(o, false, &m, &msg), -EINVAL);
	}
}
END_TEST

START_TEST(test_response)
{
	_cleanup_json_ struct json_object *data = json_object_new_object(),
					  *details = json_object_new_array();
	_cleanup_free_ char *ok = NULL, *err = NULL, *msg = NULL;
	struct ctl_response resp = {};

	json_object_object_add(data, "level", json_object_new_string("debug"));
	ck_assert_int_eq(ctlproto_response_format_ok(data, &ok), 0);
	ck_assert_int_eq(ctlproto_response_parse(ok, strlen(ok) - 1, &resp, &msg), 0);
	ck_assert(resp.ok);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(resp.data, "level")),
			 "debug");
	ctl_response_done(&resp);

	json_object_array_add(details, json_object_new_string("a.conf:3: bad\nline"));
	ck_assert_int_eq(ctlproto_response_format_error(-EACCES, "no", details, &err), 0);
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1); /* newline escaped */
	ck_assert_int_eq(ctlproto_response_parse(err, strlen(err) - 1, &resp, &msg), 0);
	ck_assert(!resp.ok);
	ck_assert_str_eq(resp.code, "EACCES");
	ck_assert_str_eq(resp.message, "no");
	ck_assert_int_eq(json_object_array_length(resp.details), 1);
	ctl_response_done(&resp);

	ck_assert_int_eq(ctlproto_response_parse("{\"version\":1,\"ok\":1}", 20, &resp, &msg),
			 -EBADMSG);
	ck_assert_int_eq(ctlproto_response_parse("{\"version\":1,\"ok\":false}", 24, &resp,
						 &msg), -EBADMSG);
}
END_TEST

START_TEST(test_names)
{
	for (int c = 0; c < _CTL_COMMAND_MAX; c++)
		ck_assert_int_eq(ctl_command_from_string(ctl_command_to_string(c)), c);
	ck_assert_int_eq(ctl_command_from_string("JOIN"), -EINVAL);
	ck_assert(ctl_command_changes_state(CTL_COMMAND_JOIN));
	ck_assert(ctl_command_changes_state(CTL_COMMAND_LOG_LEVEL));
	ck_assert(ctl_command_changes_state(CTL_COMMAND_RELOAD));
	ck_assert(!ctl_command_changes_state(CTL_COMMAND_SHOW));
	ck_assert(!ctl_command_changes_state(CTL_COMMAND_STATUS));
	ck_assert_str_eq(ctlproto_errno_to_code(-EACCES), "EACCES");
	ck_assert_str_eq(ctlproto_errno_to_code(EMSGSIZE), "EMSGSIZE");
	ck_assert_str_eq(ctlproto_errno_to_code(4095), "EUNKNOWN");
	ck_assert_int_eq(ctlproto_errno_from_code("EUSERS"), EUSERS);
	ck_assert_int_eq(ctlproto_errno_from_code("EFOO"), -EINVAL);
}
END_TEST

static Suite *ctlproto_suite(void)
{
	Suite *s = suite_create("ctlproto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_request_roundtrip);
	tcase_add_test(tc, test_request_malformed);
	tcase_add_test(tc, test_request_oversized);
	tcase_add_test(tc, test_request_nonfinite);
	tcase_add_test(tc, test_membership_args);
	tcase_add_test(tc, test_response);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctlproto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
