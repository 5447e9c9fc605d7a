/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctlproto: the control protocol between ipv4optd and ipv4ctl (doc/control-protocol.md).
 * One JSON object per line over a SOCK_STREAM UNIX socket:
 *   request:  {"version":1,"command":"join","args":{...}}\n
 *   response: {"version":1,"ok":true,"data":{...}}\n
 *             {"version":1,"ok":false,"error":{"code":"EACCES","message":"...","details":[...]}}\n
 * The codec is strict: anything but exactly one JSON object with the known keys is refused,
 * with a message that says what is wrong. Nothing here logs or touches a socket.
 */
#ifndef IPV4OPT_CTLPROTO_H
#define IPV4OPT_CTLPROTO_H

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define CTLPROTO_VERSION 1
/* The longest request line, its newline included. A longer one is answered EMSGSIZE and the
 * connection is closed: the framing is lost. */
#define CTLPROTO_MAX_REQUEST (64 * 1024)
/* The longest response line (show of a large config); the daemon answers EMSGSIZE instead. */
#define CTLPROTO_MAX_RESPONSE (32 * 1024 * 1024)
/* Nesting depth accepted by the parser (requests need 3). */
#define CTLPROTO_MAX_DEPTH 16

/* _cleanup_json_: drops a reference at the end of scope. */
static inline void json_putp(struct json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

enum ctl_command {
	CTL_COMMAND_JOIN,
	CTL_COMMAND_LEAVE,
	CTL_COMMAND_SHOW,
	CTL_COMMAND_STATS,
	CTL_COMMAND_RELOAD,
	CTL_COMMAND_STATUS,
	CTL_COMMAND_LOG_LEVEL,
	CTL_COMMAND_DIAGNOSE,
	_CTL_COMMAND_MAX,
	_CTL_COMMAND_INVALID = -EINVAL,
};

const char *ctl_command_to_string(enum ctl_command c);
enum ctl_command ctl_command_from_string(const char *s);
/* True for commands reserved to root and members of control.group. */
bool ctl_command_changes_state(enum ctl_command c);

/* The protocol's name of an errno ("EACCES"), "EUNKNOWN" for one it does not list. */
const char *ctlproto_errno_to_code(int err);
/* The errno (positive) of a code, or -EINVAL. */
int ctlproto_errno_from_code(const char *code);

/* Parses text (len bytes, not NUL-terminated) as exactly one JSON value: strict syntax,
 * UTF-8, at most CTLPROTO_MAX_DEPTH levels, nothing but white space after it. Returns 0 and
 * the value in *ret, or -EBADMSG and a message in *ret_error (if not NULL). */
int ctlproto_json_parse(const char *text, size_t len, struct json_object **ret,
			char **ret_error);

/* Adds v to object o under key, taking ownership of v (freed when it cannot be added).
 * -ENOMEM when v is NULL (its constructor failed) or the add fails. Daemon and client build
 * every JSON document with it. */
int ctlproto_json_add(struct json_object *o, const char *key, struct json_object *v);

struct ctl_request {
	enum ctl_command command;
	struct json_object *args; /* owned; an object, empty when the request has none */
};

void ctl_request_done(struct ctl_request *r);

/* Decodes one request line (len bytes, the newline excluded). On failure returns
 * -EBADMSG (not JSON, not an object, a key of the wrong type or unknown),
 * -EPROTONOSUPPORT (another version), -EOPNOTSUPP (unknown command), and a message in
 * *ret_error (if not NULL). */
int ctlproto_request_parse(const char *line, size_t len, struct ctl_request *ret,
			   char **ret_error);

/* The line of a request, '\n' included. args (borrowed) may be NULL. */
int ctlproto_request_format(enum ctl_command c, struct json_object *args, char **ret);

/* The line of a success response; data (borrowed) may be NULL for {}. */
int ctlproto_response_format_ok(struct json_object *data, char **ret);
/* The line of an error response; details (borrowed, an array of strings) may be NULL. */
int ctlproto_response_format_error(int err, const char *message, struct json_object *details,
				   char **ret);

struct ctl_response {
	struct json_object *root;    /* owns what follows */
	bool ok;
	struct json_object *data;    /* ok: an object */
	const char *code;            /* !ok: "EACCES" ... */
	const char *message;         /* !ok */
	struct json_object *details; /* !ok: an array of strings, or NULL */
};

void ctl_response_done(struct ctl_response *r);

/* Decodes one response line (newline excluded). -EBADMSG / -EPROTONOSUPPORT as above. */
int ctlproto_response_parse(const char *line, size_t len, struct ctl_response *ret,
			    char **ret_error);

/* The arguments of join and leave, and the entries of the state file. */
struct ctl_membership {
	struct in_addr group;  /* multicast */
	struct in_addr source; /* unicast; INADDR_ANY: any-source */
	char ifname[IF_NAMESIZE];
	uint16_t port;         /* 0: none */
};

/* Reads {"group":..., "source":..., "ifname":..., "port":...} ("source" and "port"
 * optional; "port" only if with_port). Returns 0, or -EINVAL and a message in *ret_error. */
int ctlproto_membership_from_json(struct json_object *o, bool with_port,
				  struct ctl_membership *ret, char **ret_error);
int ctlproto_membership_to_json(const struct ctl_membership *m, bool with_port,
				struct json_object **ret);

/* Argument helpers. Each returns 0, or -EINVAL and a message in *ret_error. */
/* Every key of args is in keys (NULL-terminated). */
int ctlproto_args_check_keys(struct json_object *args, const char *const *keys,
			     char **ret_error);
/* args[key] as a string of at most max_len bytes without control characters; *ret NULL
 * when absent and not required. */
int ctlproto_args_get_string(struct json_object *args, const char *key, bool required,
			     size_t max_len, const char **ret, char **ret_error);

#endif
