/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctlproto.h"
#include "macro.h"

static const char *const command_names[_CTL_COMMAND_MAX] = {
	[CTL_COMMAND_JOIN] = "join",
	[CTL_COMMAND_LEAVE] = "leave",
	[CTL_COMMAND_SHOW] = "show",
	[CTL_COMMAND_STATS] = "stats",
	[CTL_COMMAND_RELOAD] = "reload",
	[CTL_COMMAND_STATUS] = "status",
	[CTL_COMMAND_LOG_LEVEL] = "log-level",
	[CTL_COMMAND_DIAGNOSE] = "diagnose",
};

const char *ctl_command_to_string(enum ctl_command c)
{
	return c >= 0 && c < _CTL_COMMAND_MAX ? command_names[c] : NULL;
}

enum ctl_command ctl_command_from_string(const char *s)
{
	if (!s)
		return _CTL_COMMAND_INVALID;
	for (int i = 0; i < _CTL_COMMAND_MAX; i++)
		if (streq(s, command_names[i]))
			return (enum ctl_command)i;
	return _CTL_COMMAND_INVALID;
}

bool ctl_command_changes_state(enum ctl_command c)
{
	switch (c) {
	case CTL_COMMAND_JOIN:
	case CTL_COMMAND_LEAVE:
	case CTL_COMMAND_RELOAD:
	case CTL_COMMAND_LOG_LEVEL:
		return true;
	case CTL_COMMAND_SHOW:
	case CTL_COMMAND_STATS:
	case CTL_COMMAND_STATUS:
	case CTL_COMMAND_DIAGNOSE:
		return false;
	case _CTL_COMMAND_MAX:
	case _CTL_COMMAND_INVALID:
		break;
	}
	return true; /* unknown: treat as privileged */
}

#define E(x) { x, #x }
static const struct {
	int err;
	const char *code;
} error_codes[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(EBADF),
	E(EAGAIN), E(ENOMEM), E(EACCES), E(EBUSY), E(EEXIST), E(ENODEV), E(ENOTDIR),
	E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOSPC), E(EROFS), E(ERANGE),
	E(ENAMETOOLONG), E(ELOOP), E(EPROTO), E(EBADMSG), E(EOVERFLOW), E(EUSERS),
	E(EMSGSIZE), E(EPROTONOSUPPORT), E(EOPNOTSUPP), E(EADDRINUSE), E(EADDRNOTAVAIL),
	E(ENETDOWN), E(ENETUNREACH), E(ENOBUFS), E(ENOTCONN), E(ETIMEDOUT),
	E(ECONNREFUSED), E(EHOSTUNREACH), E(EALREADY), E(ENOTSUP),
};
#undef E

const char *ctlproto_errno_to_code(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < ELEMENTSOF(error_codes); i++)
		if (error_codes[i].err == err)
			return error_codes[i].code;
	return "EUNKNOWN";
}

int ctlproto_errno_from_code(const char *code)
{
	for (size_t i = 0; code && i < ELEMENTSOF(error_codes); i++)
		if (streq(error_codes[i].code, code))
			return error_codes[i].err;
	return -EINVAL;
}

/* Stores a formatted message in *ret_error (if wanted) and returns err. */
_printf_(3, 4) static int fail(char **ret_error, int err, const char *fmt, ...)
{
	va_list ap;

	if (ret_error) {
		char *m = NULL;

		va_start(ap, fmt);
		if (vasprintf(&m, fmt, ap) < 0)
			m = NULL;
		va_end(ap);
		free(*ret_error);
		*ret_error = m;
	}
	return err;
}

static void tokener_freep(struct json_tokener **t)
{
	if (*t)
		json_tokener_free(*t);
}

/* True if o holds a number that is not finite. json-c, strict mode included, takes the
 * literals NaN, Infinity and -Infinity, which are not JSON (RFC 8259, section 6), and writes
 * them back as such; 1e400 reads as infinity. The depth is bounded by the tokener. */
static bool json_has_nonfinite(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_double:
		return !isfinite(json_object_get_double(o));
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (json_has_nonfinite(json_object_array_get_idx(o, i)))
				return true;
		return false;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (json_has_nonfinite(val))
				return true;
		}
		return false;
	}
	case json_type_null:
	case json_type_boolean:
	case json_type_int:
	case json_type_string:
		return false;
	}
	return false;
}

int ctlproto_json_parse(const char *text, size_t len, struct json_object **ret,
			char **ret_error)
{
	_cleanup_(tokener_freep) struct json_tokener *tok = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	_cleanup_free_ char *buf = NULL;
	enum json_tokener_error jerr;
	size_t end;

	if (len > CTLPROTO_MAX_RESPONSE)
		return fail(ret_error, -EMSGSIZE, "message of %zu bytes is too large", len);
	/* json-c reads up to a NUL: a NUL inside would hide what follows it. */
	if (memchr(text, '\0', len))
		return fail(ret_error, -EBADMSG, "malformed JSON: NUL byte in message");
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';

	tok = json_tokener_new_ex(CTLPROTO_MAX_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* The NUL is passed too: the input ends there (a bare number is complete). */
	o = json_tokener_parse_ex(tok, buf, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue)
		return fail(ret_error, -EBADMSG, "malformed JSON: message ends early");
	if (jerr != json_tokener_success)
		return fail(ret_error, -EBADMSG, "malformed JSON at offset %zu: %s",
			    json_tokener_get_parse_end(tok), json_tokener_error_desc(jerr));
	end = json_tokener_get_parse_end(tok);
	for (size_t i = end; i < len; i++)
		if (!strchr(" \t\r\n", buf[i]))
			return fail(ret_error, -EBADMSG,
				    "malformed JSON: unexpected text after the object at offset %zu",
				    i);
	if (json_has_nonfinite(o))
		return fail(ret_error, -EBADMSG, "malformed JSON: a number is NaN, Infinity or "
			    "out of range");
	*ret = TAKE_PTR(o);
	return 0;
}

static const char *type_name(struct json_object *o)
{
	return o ? json_type_to_name(json_object_get_type(o)) : "null";
}

/* Checks "version": present, an integer, ours. */
static int check_version(struct json_object *root, char **ret_error)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(root, "version", &v))
		return fail(ret_error, -EBADMSG, "missing key \"version\" (this side speaks "
			    "version %d)", CTLPROTO_VERSION);
	if (!json_object_is_type(v, json_type_int))
		return fail(ret_error, -EBADMSG, "key \"version\" must be an integer, not %s",
			    type_name(v));
	n = json_object_get_int64(v);
	if (n != CTLPROTO_VERSION)
		return fail(ret_error, -EPROTONOSUPPORT, "protocol version %lld is not supported "
			    "(this side speaks version %d)", (long long)n, CTLPROTO_VERSION);
	return 0;
}

static int check_object_keys(struct json_object *o, const char *const *keys, const char *what,
			     char **ret_error)
{
	json_object_object_foreach(o, key, val) {
		bool known = false;

		(void)val;
		for (size_t i = 0; keys[i]; i++)
			if (streq(key, keys[i]))
				known = true;
		if (!known)
			return fail(ret_error, -EBADMSG, "unknown key \"%.64s\" in %s", key, what);
	}
	return 0;
}

void ctl_request_done(struct ctl_request *r)
{
	if (r->args)
		json_object_put(r->args);
	r->args = NULL;
}

/* What requests and responses share: one JSON object of protocol version 1 with no key
 * outside keys. what ("request", "response") names it in messages. */
static int parse_envelope(const char *line, size_t len, const char *const *keys,
			  const char *what, struct json_object **ret, char **ret_error)
{
	_cleanup_json_ struct json_object *root = NULL;
	char label[32];
	int r;

	r = ctlproto_json_parse(line, len, &root, ret_error);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object))
		return fail(ret_error, -EBADMSG, "a %s must be a JSON object, not %s", what,
			    type_name(root));
	r = check_version(root, ret_error);
	if (r < 0)
		return r;
	snprintf(label, sizeof(label), "the %s", what);
	r = check_object_keys(root, keys, label, ret_error);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(root);
	return 0;
}

int ctlproto_request_parse(const char *line, size_t len, struct ctl_request *ret,
			   char **ret_error)
{
	static const char *const keys[] = { "version", "command", "args", NULL };
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *cmd, *args = NULL;
	enum ctl_command c;
	const char *name;
	int r;

	if (len >= CTLPROTO_MAX_REQUEST)
		return fail(ret_error, -EMSGSIZE, "message too large: a request is limited to %d "
			    "bytes", CTLPROTO_MAX_REQUEST);
	r = parse_envelope(line, len, keys, "request", &root, ret_error);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(root, "command", &cmd))
		return fail(ret_error, -EBADMSG, "missing key \"command\"");
	if (!json_object_is_type(cmd, json_type_string))
		return fail(ret_error, -EBADMSG, "key \"command\" must be a string, not %s",
			    type_name(cmd));
	name = json_object_get_string(cmd);
	c = ctl_command_from_string(name);
	if (c < 0)
		return fail(ret_error, -EOPNOTSUPP, "unknown command \"%.64s\" (known: join, "
			    "leave, show, stats, reload, status, log-level, diagnose)", name);
	if (json_object_object_get_ex(root, "args", &args) && args &&
	    !json_object_is_type(args, json_type_object))
		return fail(ret_error, -EBADMSG, "key \"args\" must be an object, not %s",
			    type_name(args));
	if (args)
		json_object_get(args);
	else {
		args = json_object_new_object();
		if (!args)
			return -ENOMEM;
	}
	*ret = (struct ctl_request){ .command = c, .args = args };
	return 0;
}

/* Serializes root (consumed) into a line with its '\n'. */
static int format_line(struct json_object *root, char **ret)
{
	_cleanup_json_ struct json_object *o = root;
	const char *s;
	size_t n;
	char *line;

	if (!o)
		return -ENOMEM;
	/* PLAIN: no newline inside, so one line is one message. */
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	line = malloc(n + 2);
	if (!line)
		return -ENOMEM;
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	*ret = line;
	return 0;
}

int ctlproto_json_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int ctlproto_request_format(enum ctl_command c, struct json_object *args, char **ret)
{
	_cleanup_json_ struct json_object *root = json_object_new_object();
	const char *name = ctl_command_to_string(c);

	if (!name)
		return -EINVAL;
	if (!root || ctlproto_json_add(root, "version", json_object_new_int(CTLPROTO_VERSION)) < 0 ||
	    ctlproto_json_add(root, "command", json_object_new_string(name)) < 0)
		return -ENOMEM;
	if (args && ctlproto_json_add(root, "args", json_object_get(args)) < 0)
		return -ENOMEM;
	return format_line(TAKE_PTR(root), ret);
}

int ctlproto_response_format_ok(struct json_object *data, char **ret)
{
	_cleanup_json_ struct json_object *root = json_object_new_object();

	if (!root || ctlproto_json_add(root, "version", json_object_new_int(CTLPROTO_VERSION)) < 0 ||
	    ctlproto_json_add(root, "ok", json_object_new_boolean(1)) < 0 ||
	    ctlproto_json_add(root, "data", data ? json_object_get(data) : json_object_new_object()) < 0)
		return -ENOMEM;
	return format_line(TAKE_PTR(root), ret);
}

int ctlproto_response_format_error(int err, const char *message, struct json_object *details,
				   char **ret)
{
	_cleanup_json_ struct json_object *root = json_object_new_object();
	struct json_object *e = json_object_new_object();

	if (!root || ctlproto_json_add(root, "version", json_object_new_int(CTLPROTO_VERSION)) < 0 ||
	    ctlproto_json_add(root, "ok", json_object_new_boolean(0)) < 0 ||
	    ctlproto_json_add(root, "error", e) < 0)
		return -ENOMEM;
	if (ctlproto_json_add(e, "code", json_object_new_string(ctlproto_errno_to_code(err))) < 0 ||
	    ctlproto_json_add(e, "message",
			      json_object_new_string(message ? message : strerror(abs(err)))) < 0)
		return -ENOMEM;
	if (details && ctlproto_json_add(e, "details", json_object_get(details)) < 0)
		return -ENOMEM;
	return format_line(TAKE_PTR(root), ret);
}

void ctl_response_done(struct ctl_response *r)
{
	if (r->root)
		json_object_put(r->root);
	*r = (struct ctl_response){};
}

int ctlproto_response_parse(const char *line, size_t len, struct ctl_response *ret,
			    char **ret_error)
{
	static const char *const keys[] = { "version", "ok", "data", "error", NULL };
	static const char *const error_keys[] = { "code", "message", "details", NULL };
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *ok, *v, *e;
	struct ctl_response resp = {};
	int r;

	r = parse_envelope(line, len, keys, "response", &root, ret_error);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(root, "ok", &ok) || !json_object_is_type(ok,
										 json_type_boolean))
		return fail(ret_error, -EBADMSG, "key \"ok\" must be a boolean");
	resp.ok = json_object_get_boolean(ok);
	if (resp.ok) {
		if (!json_object_object_get_ex(root, "data", &v) ||
		    !json_object_is_type(v, json_type_object))
			return fail(ret_error, -EBADMSG, "key \"data\" must be an object");
		resp.data = v;
	} else {
		if (!json_object_object_get_ex(root, "error", &e) ||
		    !json_object_is_type(e, json_type_object))
			return fail(ret_error, -EBADMSG, "key \"error\" must be an object");
		r = check_object_keys(e, error_keys, "the error", ret_error);
		if (r < 0)
			return r;
		if (!json_object_object_get_ex(e, "code", &v) ||
		    !json_object_is_type(v, json_type_string))
			return fail(ret_error, -EBADMSG, "key \"code\" must be a string");
		resp.code = json_object_get_string(v);
		if (!json_object_object_get_ex(e, "message", &v) ||
		    !json_object_is_type(v, json_type_string))
			return fail(ret_error, -EBADMSG, "key \"message\" must be a string");
		resp.message = json_object_get_string(v);
		if (json_object_object_get_ex(e, "details", &v)) {
			if (!json_object_is_type(v, json_type_array))
				return fail(ret_error, -EBADMSG, "key \"details\" must be an array");
			resp.details = v;
		}
	}
	resp.root = TAKE_PTR(root);
	*ret = resp;
	return 0;
}

int ctlproto_args_check_keys(struct json_object *args, const char *const *keys,
			     char **ret_error)
{
	json_object_object_foreach(args, key, val) {
		bool known = false;

		(void)val;
		for (size_t i = 0; keys[i]; i++)
			if (streq(key, keys[i]))
				known = true;
		if (!known)
			return fail(ret_error, -EINVAL, "unknown argument \"%.64s\"", key);
	}
	return 0;
}

int ctlproto_args_get_string(struct json_object *args, const char *key, bool required,
			     size_t max_len, const char **ret, char **ret_error)
{
	struct json_object *v;
	const char *s;
	size_t n;

	if (!json_object_object_get_ex(args, key, &v) || !v) {
		if (required)
			return fail(ret_error, -EINVAL, "missing argument \"%s\"", key);
		*ret = NULL;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return fail(ret_error, -EINVAL, "argument \"%s\" must be a string, not %s", key,
			    type_name(v));
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n > max_len)
		return fail(ret_error, -EINVAL, "argument \"%s\" is longer than %zu bytes", key,
			    max_len);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(ret_error, -EINVAL, "argument \"%s\" holds a control character",
				    key);
	*ret = s;
	return 0;
}

int ctlproto_membership_from_json(struct json_object *o, bool with_port,
				  struct ctl_membership *ret, char **ret_error)
{
	static const char *const keys[] = { "group", "source", "ifname", "port", NULL };
	static const char *const keys_no_port[] = { "group", "source", "ifname", NULL };
	struct ctl_membership m = {};
	const char *group, *source, *ifname;
	struct json_object *port;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return fail(ret_error, -EINVAL, "a membership must be an object, not %s",
			    type_name(o));
	r = ctlproto_args_check_keys(o, with_port ? keys : keys_no_port, ret_error);
	if (r < 0)
		return r;
	r = ctlproto_args_get_string(o, "group", true, INET_ADDRSTRLEN, &group, ret_error);
	if (r < 0)
		return r;
	if (addr_parse_in(group, &m.group) < 0)
		return fail(ret_error, -EINVAL, "group \"%s\" is not an IPv4 address", group);
	if (!addr_is_multicast(m.group))
		return fail(ret_error, -EINVAL, "group %s is not a multicast address "
			    "(224.0.0.0/4)", group);
	r = ctlproto_args_get_string(o, "source", false, INET_ADDRSTRLEN, &source, ret_error);
	if (r < 0)
		return r;
	if (source) {
		if (addr_parse_in(source, &m.source) < 0)
			return fail(ret_error, -EINVAL, "source \"%s\" is not an IPv4 address",
				    source);
		if (!addr_is_unicast(m.source))
			return fail(ret_error, -EINVAL, "source %s is not a unicast address",
				    source);
	}
	r = ctlproto_args_get_string(o, "ifname", true, IF_NAMESIZE, &ifname, ret_error);
	if (r < 0)
		return r;
	if (!ifname_is_valid(ifname))
		return fail(ret_error, -EINVAL, "\"%s\" is not a valid interface name (1-%d "
			    "characters, no '/', ':' or white space)", ifname, IF_NAMESIZE - 1);
	snprintf(m.ifname, sizeof(m.ifname), "%s", ifname);
	if (with_port && json_object_object_get_ex(o, "port", &port) && port) {
		int64_t p;

		if (!json_object_is_type(port, json_type_int))
			return fail(ret_error, -EINVAL, "argument \"port\" must be an integer, "
				    "not %s", type_name(port));
		p = json_object_get_int64(port);
		if (p < 1 || p > 65535)
			return fail(ret_error, -EINVAL, "port %lld is out of range 1-65535",
				    (long long)p);
		m.port = (uint16_t)p;
	}
	*ret = m;
	return 0;
}

int ctlproto_membership_to_json(const struct ctl_membership *m, bool with_port,
				struct json_object **ret)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	char a[INET_ADDRSTRLEN];

	if (!o)
		return -ENOMEM;
	inet_ntop(AF_INET, &m->group, a, sizeof(a));
	if (ctlproto_json_add(o, "group", json_object_new_string(a)) < 0)
		return -ENOMEM;
	if (m->source.s_addr != INADDR_ANY) {
		inet_ntop(AF_INET, &m->source, a, sizeof(a));
		if (ctlproto_json_add(o, "source", json_object_new_string(a)) < 0)
			return -ENOMEM;
	}
	if (ctlproto_json_add(o, "ifname", json_object_new_string(m->ifname)) < 0)
		return -ENOMEM;
	if (with_port && m->port > 0 && ctlproto_json_add(o, "port", json_object_new_int(m->port)) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}
