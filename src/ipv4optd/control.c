/* SPDX-License-Identifier: BSD-3-Clause */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "control.h"
#include "ctlproto.h"
#include "log.h"
#include "macro.h"
#include "mkdir.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13 */
#endif

/* Peers write requests of up to CTLPROTO_MAX_REQUEST bytes; read in chunks of this. */
#define READ_CHUNK 4096

struct client {
	struct control *control;
	int fd;
	sd_event_source *io, *timer;
	struct ucred cred;
	char *in;            /* CTLPROTO_MAX_REQUEST bytes */
	size_t in_len;
	char *out;           /* the one pending response: requests wait until it is sent */
	size_t out_len, out_off;
	bool eof;            /* the peer will send nothing more */
	bool closing;        /* close once out is sent */
	bool privileged;     /* root, the daemon's uid or control.group: may take reserved slots */
	struct client *next, *prev;
};

struct control {
	sd_event *event;
	const struct control_dispatcher *dispatcher;
	void *userdata;      /* the dispatcher's */
	int fd;
	sd_event_source *listen;
	char *path;
	char *path_override; /* -S, or NULL: then path is control.path */
	char *config_path;   /* control.path of the config in force (may differ from path) */
	char *group;         /* control.group of the config in force, or NULL */
	mode_t mode;         /* control.mode of the config in force */
	bool activated;      /* passed by systemd: the unit owns the file */
	bool created;        /* we bound path: we remove it */
	uid_t uid;           /* the daemon's own: trusted like root (ExecReload= runs as it) */
	/* control.group, looked up at start and at each reload only: never per connection, as
	 * the group database may be LDAP or sssd and block the loop. */
	gid_t group_gid;
	bool group_resolved; /* control.group is set and exists: group_gid is valid */
	/* The socket file we bound (lstat right after bind): chown and chmod touch this inode
	 * only, never what a symbolic link or another file put in its place points to. */
	dev_t sock_dev;
	ino_t sock_ino;
	struct client *clients;
	size_t n_clients;
	size_t n_unprivileged; /* clients that are not privileged */
	sd_event_source *resume; /* ends a pause of accepting (out of file descriptors) */
	bool accept_paused;
	bool ever_paused;
	uint64_t last_pause_usec; /* a pause within CONTROL_ACCEPT_WARN_USEC of it: debug only */
	struct json_object *reload_notes; /* what the last reload said about the control block */
};

int control_reply_error(struct control_reply *rp, int err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	errno = abs(err); /* %m names err */
	va_start(ap, fmt);
	vsnprintf(rp->message, sizeof(rp->message), fmt, ap);
	va_end(ap);
	errno = saved;
	return -abs(err);
}

/* ------------------------------------------------------------------------------------------ */
/* Access                                                                                      */

static bool gid_in(gid_t gid, const gid_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == gid)
			return true;
	return false;
}

/* The peer's supplementary groups as the kernel recorded them at connect(): exact for the
 * process, unlike a lookup by user name. Falls back to the group database on old kernels. */
static bool peer_in_group(int fd, const struct ucred *cred, gid_t gid)
{
	gid_t groups[NGROUPS_MAX];
	socklen_t len = sizeof(groups);
	int n;

	if (cred->gid == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		return gid_in(gid, groups, len / sizeof(gid_t));
	if (errno == ENOPROTOOPT) {
		struct passwd *pw = getpwuid(cred->uid);

		n = NGROUPS_MAX;
		if (pw && getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) >= 0)
			return gid_in(gid, groups, (size_t)n);
	}
	return false;
}

/* Root and the daemon's own uid: as systemd's own daemons trust their own uid (ExecReload=
 * runs `ipv4ctl reload` as the service's user, with or without a control.group). */
static bool peer_is_trusted(const struct control *ctl, const struct ucred *cred)
{
	return cred->uid == 0 || cred->uid == ctl->uid;
}

/* Trusted, or a member of control.group: may change state and take reserved slots. */
static bool peer_is_privileged(const struct control *ctl, int fd, const struct ucred *cred)
{
	if (peer_is_trusted(ctl, cred))
		return true;
	return ctl->group_resolved && peer_in_group(fd, cred, ctl->group_gid);
}

/* Looks control.group up: at start and at each reload (control_settings_changed). */
static void resolve_group(struct control *ctl)
{
	const char *name = ctl->group;
	struct group *gr;

	ctl->group_resolved = false;
	if (!name)
		return;
	errno = 0;
	gr = getgrnam(name);
	if (!gr) {
		if (errno && errno != ENOENT && errno != ESRCH)
			log_warning_errno(errno, "control.group '%s': the group database failed: %m; "
					  "only root and the daemon's user may change state "
					  "until a reload finds it", name);
		return;
	}
	ctl->group_gid = gr->gr_gid;
	ctl->group_resolved = true;
}

/* 0 if the peer may run a command that needs access need; else a refusal in rp. */
static int check_access(struct control *ctl, const struct client *c, enum ctl_command cmd,
			enum control_access need, struct control_reply *rp)
{
	const char *name = ctl->group;
	const char *verb = ctl_command_to_string(cmd);

	switch (need) {
	case CONTROL_ACCESS_READ:
		return 0;
	case CONTROL_ACCESS_CHANGE:
		break;
	case _CONTROL_ACCESS_MAX:
	case _CONTROL_ACCESS_INVALID:
		/* Unknown to the dispatcher: refused as a state change would be, to anyone not
		 * privileged; the privileged learn that it is unknown. */
		break;
	}
	if (peer_is_privileged(ctl, c->fd, &c->cred))
		return 0;
	if (!name)
		return control_reply_error(rp, EACCES, "permission denied: '%s' changes the "
					   "daemon's state and is reserved to root and the "
					   "daemon's user (uid %u; no control.group is "
					   "configured); uid %u is neither", verb,
					   (unsigned)ctl->uid, (unsigned)c->cred.uid);
	if (!ctl->group_resolved)
		return control_reply_error(rp, EACCES, "permission denied: '%s' is reserved to "
					   "root, the daemon's user (uid %u) and group '%s', which "
					   "does not exist", verb, (unsigned)ctl->uid, name);
	return control_reply_error(rp, EACCES, "permission denied: '%s' changes the daemon's "
				   "state and is reserved to root, the daemon's user (uid %u) and "
				   "members of group '%s'; uid %u is none of them", verb,
				   (unsigned)ctl->uid, name, (unsigned)c->cred.uid);
}

/* ------------------------------------------------------------------------------------------ */
/* Clients                                                                                     */

static void accept_resume(struct control *ctl);

static void client_free(struct client *c)
{
	struct control *ctl;

	if (!c)
		return;
	ctl = c->control;
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->n_clients--;
	if (!c->privileged)
		ctl->n_unprivileged--;
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	safe_close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	accept_resume(ctl); /* a descriptor is free again */
}

/* The deadline of what the client must do next: send a whole request, or read an answer.
 * Set when a connection starts, an answer is queued and an answer is sent; never by a byte. */
static void client_set_deadline(struct client *c)
{
	uint64_t now;

	if (sd_event_now(sd_event_source_get_event(c->timer), CLOCK_MONOTONIC, &now) < 0)
		now = clock_now_usec(CLOCK_MONOTONIC);
	(void)sd_event_source_set_time(c->timer, now + CONTROL_REQUEST_TIMEOUT_USEC);
}

/* Queues a response line (only one is pending at a time). */
static void client_queue(struct client *c, char *line)
{
	size_t n = strlen(line);

	if (n > CTLPROTO_MAX_RESPONSE) {
		free(line);
		if (ctlproto_response_format_error(EMSGSIZE, "response too large for the "
						   "protocol's limit", NULL, &line) < 0) {
			c->closing = true;
			return;
		}
		n = strlen(line);
	}
	free(c->out);
	c->out = line;
	c->out_len = n;
	c->out_off = 0;
	client_set_deadline(c); /* the peer has that long to read it */
}

static void client_queue_error(struct client *c, int err, const char *message,
			       struct json_object *details)
{
	char *line = NULL;

	if (ctlproto_response_format_error(err, message, details, &line) < 0) {
		c->closing = true; /* out of memory: nothing sensible to say */
		return;
	}
	client_queue(c, line);
}

/* Sends what it can of the pending response. -errno: the peer is gone. */
static int client_flush(struct client *c)
{
	if (!c->out)
		return 0;
	while (c->out_off < c->out_len) {
		ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		c->out_off += (size_t)k;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	client_set_deadline(c); /* the next request has its own time */
	return 0;
}

static void client_handle_line(struct client *c, const char *line, size_t len)
{
	struct control *ctl = c->control;
	_cleanup_free_ char *e = NULL;
	struct control_reply rp = {};
	struct ctl_request req = {};
	enum control_access need;
	char *out = NULL;
	int r;

	r = ctlproto_request_parse(line, len, &req, &e);
	if (r < 0) {
		client_queue_error(c, r, e ? e : "malformed request", NULL);
		return;
	}
	need = ctl->dispatcher->access(req.command);
	r = check_access(ctl, c, req.command, need, &rp);
	if (r >= 0) {
		if (need != CONTROL_ACCESS_READ)
			log_debug("Control: uid %u pid %d: %s", (unsigned)c->cred.uid,
				  (int)c->cred.pid, ctl_command_to_string(req.command));
		if (need < 0)
			r = control_reply_error(&rp, EOPNOTSUPP, "unknown command");
		else
			r = ctl->dispatcher->run(req.command, req.args, &rp, ctl->userdata);
	}
	if (r >= 0)
		r = ctlproto_response_format_ok(rp.data, &out);
	if (r >= 0)
		client_queue(c, out);
	else
		client_queue_error(c, r, rp.message[0] ? rp.message : NULL, rp.details);
	if (rp.data)
		json_object_put(rp.data);
	if (rp.details)
		json_object_put(rp.details);
	ctl_request_done(&req);
}

/* Answers the complete requests read so far, one at a time: the next waits until the answer
 * to the previous one is sent, so a peer that does not read cannot make us buffer more. */
static int client_process(struct client *c)
{
	int r;

	while (!c->closing && !c->out) {
		char *nl = memchr(c->in, '\n', c->in_len);

		if (!nl) {
			if (c->in_len >= CTLPROTO_MAX_REQUEST) {
				char msg[128];

				snprintf(msg, sizeof(msg), "message too large: a request is limited "
					 "to %d bytes", CTLPROTO_MAX_REQUEST);
				client_queue_error(c, EMSGSIZE, msg, NULL);
				c->closing = true; /* the framing is lost */
			} else if (c->eof && c->in_len > 0) {
				client_queue_error(c, EBADMSG, "request cut short: the connection "
						   "was closed before the end of the line", NULL);
				c->closing = true;
			} else if (c->eof) {
				c->closing = true;
			}
			break;
		}
		*nl = '\0';
		client_handle_line(c, c->in, (size_t)(nl - c->in));
		c->in_len -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->in_len);
		r = client_flush(c);
		if (r < 0)
			return r;
	}
	return client_flush(c);
}

/* Reads what is there, up to the space left for one request. -errno: drop the client. */
static int client_read(struct client *c)
{
	size_t room = CTLPROTO_MAX_REQUEST - c->in_len;
	ssize_t k;

	if (room == 0)
		return 0;
	k = recv(c->fd, c->in + c->in_len, room < READ_CHUNK ? room : READ_CHUNK, MSG_DONTWAIT);
	if (k < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return -errno;
	}
	if (k == 0)
		c->eof = true;
	else
		c->in_len += (size_t)k;
	return 0;
}

/* After each event: done, or wait for what comes next. */
static void client_update(struct client *c)
{
	uint32_t events;

	if (!c->out && (c->closing || c->eof)) {
		client_free(c);
		return;
	}
	events = c->out ? EPOLLOUT : EPOLLIN;
	if (sd_event_source_set_io_events(c->io, events) < 0)
		client_free(c);
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct client *c = userdata;
	int r = 0;

	(void)s;
	(void)fd;
	if (c->out) {
		r = client_flush(c);
	} else if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		r = client_read(c);
	}
	if (r >= 0)
		r = client_process(c);
	if (r < 0) {
		log_debug_errno(r, "Control: dropping client pid %d: %m", (int)c->cred.pid);
		client_free(c);
		return 0;
	}
	client_update(c);
	return 0;
}

static int on_client_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct client *c = userdata;

	(void)s;
	(void)usec;
	if (!c->out && c->in_len > 0) {
		/* Best effort: a peer that stopped mid-request may still read why it is closed. */
		client_queue_error(c, ETIMEDOUT, "timed out: a request must arrive whole within "
				   "10 s", NULL);
		(void)client_flush(c);
	}
	log_debug("Control: closing client pid %d uid %u: past its deadline", (int)c->cred.pid,
		  (unsigned)c->cred.uid);
	client_free(c);
	return 0;
}

/* Tells a peer over the limit why, without waiting on it. The line stays readable after the
 * close (a UNIX socket's queue outlives its peer); ipv4ctl reads it even when its request
 * could not be sent any more. */
static void refuse(int fd, int err, const char *message)
{
	_cleanup_free_ char *line = NULL;

	if (ctlproto_response_format_error(err, message, NULL, &line) >= 0)
		(void)send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static size_t clients_of_uid(const struct control *ctl, uid_t uid)
{
	size_t n = 0;

	for (const struct client *c = ctl->clients; c; c = c->next)
		n += c->cred.uid == uid;
	return n;
}

/* 0 if a new peer may have a slot; else -EUSERS with the reason in msg. Root, the daemon's uid
 * and control.group have the last CONTROL_RESERVED_CLIENTS slots to themselves and no cap per
 * uid; any other uid has at most CONTROL_MAX_CLIENTS_PER_UID. */
static int check_slot(const struct control *ctl, const struct ucred *cred, bool privileged,
		      char *msg, size_t size)
{
	if (ctl->n_clients >= CONTROL_MAX_CLIENTS) {
		snprintf(msg, size, "too many clients: the daemon serves %d at a time, try again",
			 CONTROL_MAX_CLIENTS);
		return -EUSERS;
	}
	if (privileged)
		return 0;
	if (ctl->n_unprivileged >= CONTROL_MAX_CLIENTS - CONTROL_RESERVED_CLIENTS) {
		snprintf(msg, size, "too many clients: the last %d of %d connections are reserved "
			 "to root, the daemon's user and control.group, try again",
			 CONTROL_RESERVED_CLIENTS, CONTROL_MAX_CLIENTS);
		return -EUSERS;
	}
	if (clients_of_uid(ctl, cred->uid) >= CONTROL_MAX_CLIENTS_PER_UID) {
		snprintf(msg, size, "too many connections from uid %u: %d at a time, close some "
			 "first", (unsigned)cred->uid, CONTROL_MAX_CLIENTS_PER_UID);
		return -EUSERS;
	}
	return 0;
}

static int client_new(struct control *ctl, int fd, const struct ucred *cred, bool privileged)
{
	sd_event *e = ctl->event;
	struct client *c;
	uint64_t now;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->control = ctl;
	c->cred = *cred;
	c->privileged = privileged;
	c->next = ctl->clients;
	if (ctl->clients)
		ctl->clients->prev = c;
	ctl->clients = c;
	ctl->n_clients++;
	if (!privileged)
		ctl->n_unprivileged++;
	c->in = malloc(CTLPROTO_MAX_REQUEST);
	if (!c->in) {
		r = -ENOMEM;
		goto fail;
	}
	r = sd_event_add_io(e, &c->io, fd, EPOLLIN, on_client_io, c);
	if (r < 0)
		goto fail;
	r = sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (r < 0)
		goto fail;
	r = sd_event_add_time(e, &c->timer, CLOCK_MONOTONIC, now + CONTROL_REQUEST_TIMEOUT_USEC,
			      100000, on_client_timeout, c);
	if (r < 0)
		goto fail;
	return 0;
fail:
	c->fd = -1; /* the caller closes it */
	client_free(c);
	return r;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static int on_accept_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	accept_resume(userdata);
	return 0;
}

/* (Re)arms the timer that ends a pause after CONTROL_ACCEPT_PAUSE_USEC. */
static int arm_resume(struct control *ctl, uint64_t now)
{
	int r;

	if (!ctl->resume)
		return sd_event_add_time(ctl->event, &ctl->resume, CLOCK_MONOTONIC,
					 now + CONTROL_ACCEPT_PAUSE_USEC, 100000, on_accept_resume,
					 ctl);
	r = sd_event_source_set_time(ctl->resume, now + CONTROL_ACCEPT_PAUSE_USEC);
	if (r >= 0)
		r = sd_event_source_set_enabled(ctl->resume, SD_EVENT_ONESHOT);
	return r;
}

/* Out of file descriptors (EMFILE, ENFILE) or kernel memory: the connection stays in the
 * backlog and the socket stays readable, so the loop would call on_listen again at once, for
 * ever, at 100% CPU. Stop watching the socket until a client closes (client_free) or, for
 * descriptors held elsewhere (data sockets, pcap files), CONTROL_ACCEPT_PAUSE_USEC passes: as
 * OpenBSD's daemons do (accept_pause()). If the source cannot be disabled it is dropped (that
 * cannot fail) and made again at the resume: never back to a readable socket watched. One
 * WARNING per episode: pauses within CONTROL_ACCEPT_WARN_USEC of the previous one log at debug
 * level, so a sustained shortage says it once, not at every resume. */
static void accept_pause(struct control *ctl, int err)
{
	uint64_t now;
	bool warn;
	int r;

	if (ctl->accept_paused)
		return;
	r = sd_event_source_set_enabled(ctl->listen, SD_EVENT_OFF);
	if (r < 0) {
		log_error_errno(r, "Control: cannot disable the listening source, dropping it "
				"until the pause ends: %m");
		ctl->listen = sd_event_source_disable_unref(ctl->listen);
	}
	ctl->accept_paused = true;
	if (sd_event_now(ctl->event, CLOCK_MONOTONIC, &now) < 0)
		now = clock_now_usec(CLOCK_MONOTONIC);
	r = arm_resume(ctl, now);
	if (r < 0)
		log_warning_errno(r, "Control: no timer to resume accepting, waiting for a client "
				  "to close: %m");
	warn = !ctl->ever_paused || now - ctl->last_pause_usec >= CONTROL_ACCEPT_WARN_USEC;
	ctl->ever_paused = true;
	ctl->last_pause_usec = now;
	if (warn)
		log_warning_errno(err, "Control: cannot accept a connection: %m; accepting paused "
				  "until a client closes or for a second");
	else
		log_debug_errno(err, "Control: still cannot accept a connection: %m; paused again "
				"(warned less than a minute ago)");
}

static void accept_resume(struct control *ctl)
{
	int r;

	if (!ctl->accept_paused)
		return;
	if (ctl->listen)
		r = sd_event_source_set_enabled(ctl->listen, SD_EVENT_ON);
	else
		r = sd_event_add_io(ctl->event, &ctl->listen, ctl->fd, EPOLLIN, on_listen,
				    ctl);
	if (r < 0) {
		uint64_t now;

		/* Still paused: the timer tries again. */
		log_error_errno(r, "Control: cannot resume accepting, trying again in a second: %m");
		if (sd_event_now(ctl->event, CLOCK_MONOTONIC, &now) < 0)
			now = clock_now_usec(CLOCK_MONOTONIC);
		(void)arm_resume(ctl, now);
		return;
	}
	ctl->accept_paused = false;
	if (ctl->resume)
		(void)sd_event_source_set_enabled(ctl->resume, SD_EVENT_OFF);
	log_debug("Control: accepting resumed");
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct control *ctl = userdata;

	(void)s;
	(void)revents;
	for (int i = 0; i < CONTROL_ACCEPT_BUDGET; i++) {
		_cleanup_close_ int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		socklen_t len = sizeof(struct ucred);
		struct ucred cred;
		bool privileged;
		char msg[256];
		int r;

		if (cfd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return 0;
			accept_pause(ctl, errno);
			return 0;
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			log_debug_errno(errno, "Control: no credentials of a peer, closing it: %m");
			continue;
		}
		privileged = peer_is_privileged(ctl, cfd, &cred);
		r = check_slot(ctl, &cred, privileged, msg, sizeof(msg));
		if (r < 0) {
			log_debug("Control: refusing pid %d uid %u: %s", (int)cred.pid,
				  (unsigned)cred.uid, msg);
			refuse(cfd, -r, msg);
			continue;
		}
		r = client_new(ctl, cfd, &cred, privileged);
		if (r < 0) {
			log_debug_errno(r, "Control: cannot take a client: %m");
			continue;
		}
		TAKE_FD(cfd);
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The listening socket                                                                        */

/* The socket systemd passed, if any: a listening UNIX stream socket. */
static int adopt_activated(int *ret_fd)
{
	int n = sd_listen_fds(true);

	if (n < 0)
		return log_error_errno(n, "Failed to get the sockets passed by systemd: %m");
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0) {
			if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
			    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
				return log_error_errno(errno, "Failed to set up the passed socket: %m");
			*ret_fd = fd;
			return 1;
		}
	}
	if (n > 0)
		return log_error_errno(EINVAL, "systemd passed %d socket(s), none of them a "
				       "listening UNIX stream socket", n);
	return 0;
}

/* Removes a socket file left by a daemon that is gone; refuses to touch anything else. */
static int remove_stale(const char *path, const struct sockaddr_un *sa)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return log_error_errno(errno, "Failed to check %s: %m", path);
	}
	if (!S_ISSOCK(st.st_mode))
		return log_error_errno(EEXIST, "%s exists and is not a socket: refusing to "
				       "replace it", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error_errno(errno, "Failed to create a socket: %m");
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return log_error_errno(EADDRINUSE, "Another daemon answers at %s: not starting a "
				       "second one", path);
	if (errno != ECONNREFUSED)
		return log_error_errno(errno, "Cannot tell whether the socket %s is in use, "
				       "leaving it: %m", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return log_error_errno(errno, "Failed to remove the stale socket %s: %m", path);
	log_info("Removed the stale socket %s", path);
	return 0;
}

/* The socket file we bound, opened without following a symbolic link: whoever can write its
 * directory may have put a link or another file there, whose owner or mode must not change.
 * -ELOOP: path is now a symbolic link; -ESTALE: it is not the socket we bound. */
static int socket_file_open(const struct control *ctl)
{
	_cleanup_close_ int fd = open(ctl->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISSOCK(st.st_mode) || st.st_dev != ctl->sock_dev || st.st_ino != ctl->sock_ino)
		return -ESTALE;
	return TAKE_FD(fd);
}

/* Why socket_file_open() or a change through it failed, for a log line or a reload note. */
static const char *socket_file_error(int r)
{
	if (r == -ELOOP)
		return "it is now a symbolic link, left unchanged (nothing it points to was touched)";
	if (r == -ESTALE)
		return "it is no longer the socket the daemon bound, left unchanged";
	return strerror(-r);
}

/* Gives the socket file to control.group (none: the daemon's own group). -ENOENT: no such
 * group. Without CAP_CHOWN only a group the daemon is a member of (chown(2)). */
static int socket_set_group(struct control *ctl)
{
	_cleanup_close_ int fd = -1;
	gid_t gid = getegid();

	if (ctl->group) {
		if (!ctl->group_resolved)
			return -ENOENT;
		gid = ctl->group_gid;
	}
	fd = socket_file_open(ctl);
	if (fd < 0)
		return fd;
	if (fchownat(fd, "", (uid_t)-1, gid, AT_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* chmod of the inode socket_file_open() checked, through /proc/self/fd (an O_PATH descriptor
 * has no fchmod; this is what glibc's fchmodat(AT_SYMLINK_NOFOLLOW) does too). */
static int socket_set_mode(struct control *ctl, mode_t mode)
{
	_cleanup_close_ int fd = socket_file_open(ctl);
	char p[64];

	if (fd < 0)
		return fd;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (chmod(p, mode) < 0)
		return -errno;
	return 0;
}

static int create_socket(struct control *ctl, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct stat st;
	mode_t old;
	int r;

	if (strlen(ctl->path) >= sizeof(sa.sun_path))
		return log_error_errno(ENAMETOOLONG, "Control socket path %s is longer than %zu "
				       "bytes", ctl->path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, ctl->path, strlen(ctl->path) + 1);
	r = mkdir_parents(ctl->path, 0755);
	if (r < 0)
		return log_error_errno(r, "Failed to create the directory of %s: %m", ctl->path);
	r = remove_stale(ctl->path, &sa);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_error_errno(errno, "Failed to create the control socket: %m");
	/* Created with its final mode: no moment where it is wider open. Single-threaded. */
	old = umask(~ctl->mode & 0777);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return log_error_errno(errno, "Failed to bind the control socket to %s: %m",
				       ctl->path);
	ctl->created = true;
	if (lstat(ctl->path, &st) < 0)
		return log_error_errno(errno, "Failed to check the control socket %s: %m",
				       ctl->path);
	if (!S_ISSOCK(st.st_mode))
		return log_error_errno(ESTALE, "%s is not the socket just bound (replaced at "
				       "once): refusing to change its owner or mode", ctl->path);
	ctl->sock_dev = st.st_dev;
	ctl->sock_ino = st.st_ino;
	if (ctl->group) {
		r = socket_set_group(ctl);
		if (r == -ENOENT)
			log_warning("control.group '%s' does not exist: only root and the daemon's "
				    "user may change state", ctl->group);
		else if (r < 0)
			log_warning("Failed to give %s to group %s: %s", ctl->path, ctl->group,
				    socket_file_error(r));
	}
	r = socket_set_mode(ctl, ctl->mode);
	if (r < 0)
		return log_error_errno(r, "Failed to set the mode of %s: %s", ctl->path,
				       socket_file_error(r));
	if (listen(fd, SOMAXCONN) < 0)
		return log_error_errno(errno, "Failed to listen on %s: %m", ctl->path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Takes the control block s of the config in force (not path_override: fixed at the start). */
static int settings_take(struct control *ctl, const struct control_settings *s)
{
	_cleanup_free_ char *path = strdup(s->path), *group = NULL;

	if (!path)
		return -ENOMEM;
	if (s->group) {
		group = strdup(s->group);
		if (!group)
			return -ENOMEM;
	}
	free(ctl->config_path);
	ctl->config_path = TAKE_PTR(path);
	free(ctl->group);
	ctl->group = TAKE_PTR(group);
	ctl->mode = s->mode;
	return 0;
}

int control_new(sd_event *e, const struct control_settings *s,
		const struct control_dispatcher *dispatcher, void *userdata, struct control **ret)
{
	_cleanup_(control_freep) struct control *ctl = NULL;
	int r, fd = -1;

	assert(dispatcher && dispatcher->access && dispatcher->run);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return log_error_errno(ENOMEM, "Out of memory");
	ctl->fd = -1;
	ctl->event = e;
	ctl->dispatcher = dispatcher;
	ctl->userdata = userdata;
	ctl->uid = geteuid();
	if (settings_take(ctl, s) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	if (s->path_override) {
		ctl->path_override = strdup(s->path_override);
		if (!ctl->path_override)
			return log_error_errno(ENOMEM, "Out of memory");
	}
	ctl->path = strdup(s->path_override ? s->path_override : s->path);
	if (!ctl->path)
		return log_error_errno(ENOMEM, "Out of memory");
	resolve_group(ctl);

	r = adopt_activated(&fd);
	if (r < 0)
		return r;
	if (r > 0) {
		ctl->activated = true;
		ctl->fd = fd;
		log_debug("Control: using the socket passed by systemd");
	} else {
		r = create_socket(ctl, &ctl->fd);
		if (r < 0)
			return r;
	}
	r = sd_event_add_io(e, &ctl->listen, ctl->fd, EPOLLIN, on_listen, ctl);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the control socket: %m");
	*ret = TAKE_PTR(ctl);
	return 0;
}

struct control *control_free(struct control *ctl)
{
	if (!ctl)
		return NULL;
	ctl->accept_paused = false; /* client_free() must not resume what goes */
	ctl->listen = sd_event_source_disable_unref(ctl->listen);
	while (ctl->clients)
		client_free(ctl->clients);
	sd_event_source_disable_unref(ctl->resume);
	json_object_put(ctl->reload_notes);
	/* A socket passed by systemd stays with systemd; ours goes, so the next start does not
	 * find a stale one. */
	if (ctl->created)
		(void)unlink(ctl->path);
	safe_close(ctl->fd);
	free(ctl->path);
	free(ctl->path_override);
	free(ctl->config_path);
	free(ctl->group);
	free(ctl);
	return NULL;
}

void control_freep(struct control **c)
{
	control_free(*c);
}

_printf_(2, 3) static void note(struct json_object *notes, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_notice("%s", buf);
	(void)json_object_array_add(notes, json_object_new_string(buf));
}

static bool str_eq_null(const char *a, const char *b)
{
	return a == b || (a && b && streq(a, b));
}

void control_settings_changed(struct control *ctl, const struct control_settings *s)
{
	/* The previous control block: the notes say what changed from it. */
	_cleanup_free_ char *old_path = TAKE_PTR(ctl->config_path);
	_cleanup_free_ char *old_group = TAKE_PTR(ctl->group);
	mode_t old_mode = ctl->mode;
	struct json_object *notes = json_object_new_array();
	const char *sock = ctl->activated ? "the socket passed by systemd (ipv4optd.socket)" :
					    "the socket";
	int r;

	json_object_put(ctl->reload_notes);
	ctl->reload_notes = notes;
	if (settings_take(ctl, s) < 0) {
		/* Out of memory: access goes on with the previous control block. */
		log_error_errno(ENOMEM, "Control: cannot take the new control block, keeping the "
				"previous one: %m");
		ctl->config_path = TAKE_PTR(old_path);
		ctl->group = TAKE_PTR(old_group);
		ctl->mode = old_mode;
		return;
	}
	resolve_group(ctl); /* access checks use it from now on, even if notes fail */
	if (!notes)
		return;
	/* The socket's file follows control.group here. A socket systemd passed is the unit's
	 * (SocketGroup=, SocketMode=). */
	if (!str_eq_null(old_group, s->group)) {
		if (ctl->activated)
			note(notes, "control.group is now %s for access; %s keeps the group and mode "
			     "of its unit (SocketGroup=, SocketMode=)",
			     s->group ? s->group : "none", sock);
		else {
			r = socket_set_group(ctl);
			if (r == -ENOENT)
				note(notes, "control.group '%s' does not exist: %s keeps its group; "
				     "only root and the daemon's user may change state",
				     s->group, ctl->path);
			else if (r == -ELOOP || r == -ESTALE)
				note(notes, "control.group '%s': cannot give %s to it: %s",
				     s->group ? s->group : "none", ctl->path,
				     socket_file_error(r));
			else if (r < 0)
				note(notes, "control.group '%s': cannot give %s to it: %s (the "
				     "service must be a member: SupplementaryGroups=)",
				     s->group ? s->group : "none", ctl->path,
				     strerror(-r));
			else
				note(notes, "control.group changed from %s to %s: %s now belongs to it",
				     old_group ? old_group : "none",
				     s->group ? s->group : "none", ctl->path);
		}
	}
	if (old_mode != s->mode) {
		if (ctl->activated)
			note(notes, "control.mode %04o is not applied to %s: its unit's SocketMode= "
			     "decides", (unsigned)s->mode, sock);
		else if ((r = socket_set_mode(ctl, s->mode)) < 0)
			note(notes, "control.mode changed to %04o: cannot apply it to %s: %s",
			     (unsigned)s->mode, ctl->path, socket_file_error(r));
		else
			note(notes, "control.mode changed from %04o to %04o: applied to %s",
			     (unsigned)old_mode, (unsigned)s->mode, ctl->path);
	}
	/* A socket we made cannot move while clients use it: said at every reload until the
	 * restart that applies it. */
	if (!ctl->activated && !ctl->path_override && !streq(s->path, ctl->path))
		note(notes, "control.path changed from %s to %s: needs a restart (systemctl "
		     "restart ipv4optd); the socket stays at %s until then", ctl->path,
		     s->path, ctl->path);
	else if (!streq(old_path, s->path) && ctl->activated)
		note(notes, "control.path changed to %s: not applied; %s stays at %s (ListenStream= "
		     "of ipv4optd.socket decides)", s->path, sock, ctl->path);
	else if (!streq(old_path, s->path) && ctl->path_override)
		note(notes, "control.path changed to %s: not applied; -S %s decides",
		     s->path, ctl->path);
}

struct json_object *control_get_reload_notes(const struct control *c)
{
	return c->reload_notes;
}

const char *control_get_path(const struct control *c)
{
	return c->path;
}

bool control_is_activated(const struct control *c)
{
	return c->activated;
}

size_t control_get_n_clients(const struct control *c)
{
	return c->n_clients;
}
