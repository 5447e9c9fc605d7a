/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/ipv4optd/control: the socket server through its seam, a dispatcher of the
 * test's own instead of commands.c. A real socket in a temporary directory, real peers (child
 * processes, root and nobody) and the server's own loop: what each peer reads back, and which
 * requests reach the dispatcher. Root only (the peer nobody needs setuid); skips otherwise. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlproto.h"
#include "log.h"
#include "macro.h"
#include "ipv4optd/control.h"
#include "ipv4optd/view.h"

static char dir[] = "/tmp/check_control.XXXXXX";
static char sock_path[sizeof(dir) + 16];
static sd_event *event;
static struct control *ctl;
static unsigned runs;                    /* requests the dispatcher carried out */
static enum ctl_command last_command;

/* show, stats and status read, join, leave and reload change state, any other command is
 * unknown to this dispatcher; stats fails. */
static enum control_access fake_access(enum ctl_command command)
{
	if (command == CTL_COMMAND_SHOW || command == CTL_COMMAND_STATUS ||
	    command == CTL_COMMAND_STATS)
		return CONTROL_ACCESS_READ;
	if (command == CTL_COMMAND_JOIN || command == CTL_COMMAND_LEAVE ||
	    command == CTL_COMMAND_RELOAD)
		return CONTROL_ACCESS_CHANGE;
	return _CONTROL_ACCESS_INVALID;
}

static int fake_run(enum ctl_command command, struct json_object *args,
		    struct control_reply *rp, void *userdata)
{
	ck_assert_ptr_eq(userdata, &runs);
	runs++;
	last_command = command;
	if (command == CTL_COMMAND_STATS)
		return control_reply_error(rp, ENOENT, "no policy named \"%s\"", "x");
	rp->data = json_object_new_object();
	if (!rp->data || view_add_string(rp->data, "ran", ctl_command_to_string(command)) < 0 ||
	    view_add_int(rp->data, "args", json_object_object_length(args)) < 0)
		return -ENOMEM;
	return 0;
}

static const struct control_dispatcher fake = { .access = fake_access, .run = fake_run };

static void setup(void)
{
	struct control_settings s = { .mode = 0666 };

	log_set_max_level(LOG_ERR);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0); /* nobody must reach the socket */
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	s.path = sock_path;
	runs = 0;
	ck_assert_int_ge(sd_event_new(&event), 0);
	ck_assert_int_eq(control_new(event, &s, &fake, &runs, &ctl), 0);
}

static void teardown(void)
{
	ctl = control_free(ctl);
	event = sd_event_unref(event);
	ck_assert_int_eq(access(sock_path, F_OK), -1); /* the server removes what it bound */
	ck_assert_int_eq(rmdir(dir), 0);
	strcpy(dir, "/tmp/check_control.XXXXXX");
}

/* Sends line (its '\n' added) as uid and returns the line the server answers, '\n' cut. A
 * child is the peer; this process runs the server's loop until the child is done. */
static char *ask(uid_t uid, const char *line)
{
	static char answer[4096];
	int p[2];
	pid_t pid;
	ssize_t n;
	size_t len = 0;
	bool done = false;
	int status;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		char buf[4096];
		size_t got = 0;
		int fd;

		close(p[0]);
		if (uid != 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(uid) < 0))
			_exit(2);
		strcpy(sa.sun_path, sock_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(3);
		if (dprintf(fd, "%s\n", line) < 0)
			_exit(4);
		while (got < sizeof(buf) && (got == 0 || buf[got - 1] != '\n')) {
			ssize_t k = recv(fd, buf + got, sizeof(buf) - got, 0);

			if (k <= 0)
				_exit(5);
			got += (size_t)k;
		}
		if (write(p[1], buf, got) != (ssize_t)got)
			_exit(6);
		_exit(0);
	}
	close(p[1]);
	/* The deadline of the test, not a speed: a server that never answers fails here. */
	for (int i = 0; i < 100 && !done; i++) {
		ck_assert_int_ge(sd_event_run(event, 100000), 0);
		done = waitpid(pid, &status, WNOHANG) == pid;
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ck_abort_msg("the peer got no answer within 10 s");
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the peer failed (%d)",
		      WEXITSTATUS(status));
	while ((n = read(p[0], answer + len, sizeof(answer) - 1 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	answer[len] = '\0';
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(answer[len - 1], '\n');
	answer[len - 1] = '\0';
	return answer;
}

#define NOBODY 65534

START_TEST(test_read_command_reaches_the_dispatcher)
{
	ck_assert_str_eq(ask(0, "{\"version\":1,\"command\":\"status\"}"),
			 "{\"version\":1,\"ok\":true,\"data\":{\"ran\":\"status\",\"args\":0}}");
	ck_assert_uint_eq(runs, 1);
	ck_assert_int_eq(last_command, CTL_COMMAND_STATUS);
	ck_assert_str_eq(ask(NOBODY, "{\"version\":1,\"command\":\"show\",\"args\":{\"a\":1}}"),
			 "{\"version\":1,\"ok\":true,\"data\":{\"ran\":\"show\",\"args\":1}}");
	ck_assert_uint_eq(runs, 2);
}
END_TEST

START_TEST(test_change_refused_to_others_before_the_dispatcher)
{
	ck_assert_str_eq(ask(NOBODY, "{\"version\":1,\"command\":\"join\"}"),
			 "{\"version\":1,\"ok\":false,\"error\":{\"code\":\"EACCES\",\"message\":"
			 "\"permission denied: 'join' changes the daemon's state and is reserved "
			 "to root and the daemon's user (uid 0; no control.group is configured); "
			 "uid 65534 is neither\"}}");
	ck_assert_uint_eq(runs, 0);
	/* then root may */
	ck_assert_str_eq(ask(0, "{\"version\":1,\"command\":\"join\"}"),
			 "{\"version\":1,\"ok\":true,\"data\":{\"ran\":\"join\",\"args\":0}}");
	ck_assert_uint_eq(runs, 1);
}
END_TEST

START_TEST(test_dispatcher_failure_is_framed)
{
	ck_assert_str_eq(ask(0, "{\"version\":1,\"command\":\"stats\"}"),
			 "{\"version\":1,\"ok\":false,\"error\":{\"code\":\"ENOENT\",\"message\":"
			 "\"no policy named \\\"x\\\"\"}}");
	ck_assert_uint_eq(runs, 1);
}
END_TEST

START_TEST(test_command_unknown_to_the_dispatcher)
{
	ck_assert_str_eq(ask(0, "{\"version\":1,\"command\":\"log-level\"}"),
			 "{\"version\":1,\"ok\":false,\"error\":{\"code\":\"EOPNOTSUPP\","
			 "\"message\":\"unknown command\"}}");
	ck_assert_uint_eq(runs, 0);
}
END_TEST

START_TEST(test_malformed_never_reaches_the_dispatcher)
{
	ck_assert_str_eq(ask(0, "{\"version\":1}"),
			 "{\"version\":1,\"ok\":false,\"error\":{\"code\":\"EBADMSG\",\"message\":"
			 "\"missing key \\\"command\\\"\"}}");
	ck_assert_uint_eq(runs, 0);
	/* then a good request on a new connection is answered */
	ck_assert_str_eq(ask(0, "{\"version\":1,\"command\":\"status\"}"),
			 "{\"version\":1,\"ok\":true,\"data\":{\"ran\":\"status\",\"args\":0}}");
}
END_TEST

START_TEST(test_settings_changed_notes)
{
	struct control_settings s = { .path = sock_path, .mode = 0600 };
	struct json_object *notes;
	struct stat st;

	control_settings_changed(ctl, &s);
	notes = control_get_reload_notes(ctl);
	ck_assert_ptr_nonnull(notes);
	ck_assert_int_eq(json_object_array_length(notes), 1);
	ck_assert_int_eq(stat(sock_path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* a path that changed needs a restart: said, and the socket stays */
	s.path = "/run/elsewhere.sock";
	control_settings_changed(ctl, &s);
	notes = control_get_reload_notes(ctl);
	ck_assert_int_eq(json_object_array_length(notes), 1);
	ck_assert_ptr_nonnull(strstr(json_object_get_string(json_object_array_get_idx(notes, 0)),
				     "needs a restart"));
	ck_assert_str_eq(control_get_path(ctl), sock_path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("server");
	SRunner *sr;
	int failed;

	if (geteuid() != 0)
		return 77;
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_command_reaches_the_dispatcher);
	tcase_add_test(tc, test_change_refused_to_others_before_the_dispatcher);
	tcase_add_test(tc, test_dispatcher_failure_is_framed);
	tcase_add_test(tc, test_command_unknown_to_the_dispatcher);
	tcase_add_test(tc, test_malformed_never_reaches_the_dispatcher);
	tcase_add_test(tc, test_settings_changed_notes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
