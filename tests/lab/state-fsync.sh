#!/usr/bin/env bash
# The runtime joins file when the disk errs (issue 10, item 7). The daemon runs with a small
# LD_PRELOAD shim that makes fsync() of a directory fail with EIO while a flag file exists:
# the fsync that follows the rename of the new state file. The rename has happened, so the
# new file is what the next start reads: the join (or leave) must stand, reported as done
# (exit 0, a warning in the daemon's log), in the kernel's tables now and after a restart.
# It used to be refused to the client and undone in memory, then restored at the next start.
# The file is not world-readable (0640, doc/security.md).
. "$(dirname "$0")/lib.sh"

cat >"$LAB_TMP/shim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

int fsync(int fd)
{
	static int (*real)(int);
	const char *flag = getenv("FSYNC_FAIL_FLAG");
	struct stat st;

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (flag && access(flag, F_OK) == 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}
C
cc -shared -fPIC -o "$LAB_TMP/shim.so" "$LAB_TMP/shim.c" -ldl || exit 99
FLAG=$LAB_TMP/fail-dir-fsync
STATE=$LAB_TMP/state/runtime-joins.json
export FSYNC_FAIL_FLAG=$FLAG
# an ASan build wants its runtime first; the shim only wraps fsync
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

lab_ns d
lab_ip d link add lab0 type veth peer name lab0-p
cat >"$LAB_TMP/conf" <<CONF
policies = ( { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; } );
CONF
start() {
	LD_PRELOAD=$LAB_TMP/shim.so lab_daemon_start d "$LAB_TMP/conf"
}
restart() {
	lab_daemon_stop >/dev/null
	: >"$DAEMON_LOG"
	start
}
ctl() {
	"$IPV4CTL" -S "$LAB_TMP/ctl.sock" "$@" >"$LAB_TMP/ctl.out" 2>&1
}
in_file() {
	grep -q "\"$1\"" "$STATE"
}
start

# A join that succeeds on a good disk: the file's mode.
check "join 239.3.3.1: exit 0" ctl join 239.3.3.1 dev lab0
check "state file is 0640 (not world-readable): $(stat -c %a "$STATE" 2>/dev/null)" \
	[ "$(stat -c %a "$STATE" 2>/dev/null)" = 640 ]

# The directory's fsync fails.
touch "$FLAG"
check "join 239.3.3.2 while the directory fsync fails: exit 0" ctl join 239.3.3.2 dev lab0
cat "$LAB_TMP/ctl.out"
check "... held in the kernel" igmp_has d lab0 239.3.3.2
check "... in the state file" in_file 239.3.3.2
check "... the daemon warned about the directory" \
	lab_wait 5 grep -q "failed to sync its directory" "$DAEMON_LOG"
check "leave 239.3.3.1 while the directory fsync fails: exit 0" ctl leave 239.3.3.1 dev lab0
check "... gone from the kernel" igmp_lacks d lab0 239.3.3.1
check "... gone from the state file" bash -c "! grep -q '\"239.3.3.1\"' '$STATE'"
check "state file still 0640" [ "$(stat -c %a "$STATE")" = 640 ]
rm -f "$FLAG"

# What a restart finds is what the client was told.
restart
check "after a restart: 239.3.3.2 (joined while the fsync failed) is held" \
	lab_wait 5 igmp_has d lab0 239.3.3.2
check "after a restart: 239.3.3.1 (left while the fsync failed) is not" \
	igmp_lacks d lab0 239.3.3.1
check "after a restart: the config's group is held" igmp_has d lab0 239.1.1.1
lab_done
