/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * commands: what each command of the control socket does (doc/control-protocol.md): join,
 * leave, show, stats, reload, status, log-level. One table gives each command the access it
 * needs and its handler; control.c, the server, checks the access and frames the answers.
 * The handlers call the modules (daemon_reload(), members_runtime_add(), the modules' JSON
 * views); none of them reads another module's struct.
 */
#ifndef IPV4OPTD_COMMANDS_H
#define IPV4OPTD_COMMANDS_H

#include "control.h"

/* The dispatcher to give control_new(), with the daemon (struct daemon *) as userdata. */
extern const struct control_dispatcher commands_dispatcher;

/* The access command needs; _CONTROL_ACCESS_INVALID for a command the table lacks. */
enum control_access commands_access(enum ctl_command command);

#endif
