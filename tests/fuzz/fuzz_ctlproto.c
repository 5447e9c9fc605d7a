/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the control-protocol codec (src/common/ctlproto.c) on one arbitrary line,
 * as the daemon reads it from any local user (ctlproto_request_parse() and the argument
 * decoders its commands use) and as ipv4ctl reads it from the daemon
 * (ctlproto_response_parse()).
 * What decodes must encode back to a line that decodes to the same thing: the daemon echoes
 * what it was sent, and ipv4ctl has to read it.
 */
#include <string.h>

#include "ctlproto.h"
#include "fuzz.h"

/* A formatted line: one line, newline-terminated, no newline inside, within the limits. */
static void check_line(const char *line, size_t max)
{
	size_t n = strlen(line);

	fuzz_check(n >= 2 && n <= max && line[n - 1] == '\n');
	fuzz_check(!memchr(line, '\n', n - 1));
}

static void check_membership(struct json_object *args, bool with_port)
{
	struct ctl_membership m, again;
	struct json_object *o = NULL;
	char *error = NULL;
	int r;

	r = ctlproto_membership_from_json(args, with_port, &m, &error);
	if (r < 0) {
		fuzz_check(r == -EINVAL && error);
		free(error);
		return;
	}
	fuzz_check(!error);
	fuzz_check(m.ifname[0] && memchr(m.ifname, '\0', sizeof(m.ifname)));
	fuzz_check(with_port || m.port == 0);
	r = ctlproto_membership_to_json(&m, with_port, &o);
	fuzz_check(r == 0);
	r = ctlproto_membership_from_json(o, with_port, &again, &error);
	fuzz_check(r == 0);
	fuzz_check(memcmp(&m, &again, sizeof(m)) == 0);
	json_object_put(o);
}

/* The argument checks of the daemon's commands (src/ipv4optd/control.c). */
static void check_args(enum ctl_command c, struct json_object *args)
{
	static const char *const no_keys[] = { NULL };
	static const char *const stats_keys[] = { "policy", NULL };
	static const char *const log_level_keys[] = { "level", NULL };
	const char *s = NULL;
	char *error = NULL;
	int r = 0;

	switch (c) {
	case CTL_COMMAND_JOIN:
		check_membership(args, true);
		return;
	case CTL_COMMAND_LEAVE:
		check_membership(args, false);
		return;
	case CTL_COMMAND_SHOW:
	case CTL_COMMAND_RELOAD:
	case CTL_COMMAND_STATUS:
		r = ctlproto_args_check_keys(args, no_keys, &error);
		break;
	case CTL_COMMAND_STATS:
	case CTL_COMMAND_DIAGNOSE:
		r = ctlproto_args_check_keys(args, stats_keys, &error);
		if (r >= 0)
			r = ctlproto_args_get_string(args, "policy", false, 64, &s, &error);
		break;
	case CTL_COMMAND_LOG_LEVEL:
		r = ctlproto_args_check_keys(args, log_level_keys, &error);
		if (r >= 0)
			r = ctlproto_args_get_string(args, "level", true, 16, &s, &error);
		break;
	case _CTL_COMMAND_MAX:
	case _CTL_COMMAND_INVALID:
		fuzz_check(!"invalid command");
		return;
	}
	if (r < 0)
		fuzz_check(r == -EINVAL && error);
	else if (s)
		for (const char *p = s; *p; p++)
			fuzz_check((unsigned char)*p >= 0x20 && *p != 0x7f);
	free(error);
}

static void fuzz_request(const char *data, size_t size)
{
	struct ctl_request req = {}, again = {};
	char *error = NULL, *line = NULL;
	int r;

	r = ctlproto_request_parse(data, size, &req, &error);
	if (r < 0) {
		fuzz_check(r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP ||
			   r == -EMSGSIZE || r == -ENOMEM);
		fuzz_check(r == -ENOMEM || error);
		free(error);
		return;
	}
	fuzz_check(!error);
	fuzz_check(ctl_command_to_string(req.command));
	fuzz_check(json_object_is_type(req.args, json_type_object));
	check_args(req.command, req.args);

	/* ipv4ctl's encoding of what the daemon decoded decodes to the same request */
	r = ctlproto_request_format(req.command, req.args, &line);
	fuzz_check(r == 0);
	check_line(line, CTLPROTO_MAX_RESPONSE);
	r = ctlproto_request_parse(line, strlen(line) - 1, &again, &error);
	if (r == -EMSGSIZE)
		/* escapes can make the line longer than the limit that the input was within */
		fuzz_check(strlen(line) >= CTLPROTO_MAX_REQUEST);
	else {
		fuzz_check(r == 0);
		fuzz_check(again.command == req.command);
		fuzz_check(json_object_equal(again.args, req.args));
	}
	free(error);
	free(line);
	ctl_request_done(&again);
	ctl_request_done(&req);
}

static void fuzz_response(const char *data, size_t size)
{
	struct ctl_response resp = {}, again = {};
	char *error = NULL, *line = NULL;
	int r;

	r = ctlproto_response_parse(data, size, &resp, &error);
	if (r < 0) {
		fuzz_check(r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EMSGSIZE ||
			   r == -ENOMEM);
		fuzz_check(r == -ENOMEM || error);
		free(error);
		return;
	}
	fuzz_check(!error);
	fuzz_check(resp.root);
	if (resp.ok) {
		fuzz_check(json_object_is_type(resp.data, json_type_object));
		r = ctlproto_response_format_ok(resp.data, &line);
	} else {
		fuzz_check(resp.code && resp.message);
		fuzz_check(!resp.details || json_object_is_type(resp.details, json_type_array));
		/* an unknown code reads back as EUNKNOWN */
		r = ctlproto_errno_from_code(resp.code);
		r = ctlproto_response_format_error(r > 0 ? r : 0, resp.message, resp.details,
						   &line);
	}
	fuzz_check(r == 0);
	check_line(line, CTLPROTO_MAX_RESPONSE + 1);
	r = ctlproto_response_parse(line, strlen(line) - 1, &again, &error);
	fuzz_check(r == 0);
	fuzz_check(again.ok == resp.ok);
	if (resp.ok)
		fuzz_check(json_object_equal(again.data, resp.data));
	else {
		fuzz_check(strcmp(again.message, resp.message) == 0);
		fuzz_check(ctlproto_errno_from_code(again.code) ==
			   ctlproto_errno_from_code(resp.code));
		fuzz_check(!resp.details == !again.details);
		if (resp.details)
			fuzz_check(json_object_equal(again.details, resp.details));
	}
	free(line);
	ctl_response_done(&again);
	ctl_response_done(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_request((const char *)data, size);
	fuzz_response((const char *)data, size);
	return 0;
}
