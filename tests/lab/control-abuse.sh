#!/usr/bin/env bash
# The control socket under abuse by local users (issue 10, items 3 and 5), against the real
# daemon in a namespace lab, with throwaway local users (useradd, removed on exit) running the
# hog of tests/lab/hostile.c (connections that send a byte every second and never end a
# request):
# - one user cannot hold more than 8 connections; the refused ones read why (EUSERS), and
#   ipv4ctl prints it; other users and root are served meanwhile;
# - the hog's connections are closed by the deadline of their request although they send a
#   byte every second (the deadline is per request, not per byte);
# - when other users hold every slot they may take, root and control.group still get theirs;
# - out of file descriptors (RLIMIT_NOFILE lowered with prlimit), the daemon stops accepting
#   instead of spinning, and serves again once clients close.
. "$(dirname "$0")/lib.sh"

HOSTILE=$top_builddir/tests/lab/hostile
CTL_SOCK=$LAB_TMP/ctl.sock
ctl() { "$IPV4CTL" -S "$CTL_SOCK" "$@"; }
out_has() { local t=$1; shift; "$@" 2>&1 | grep -qF -- "$t"; }
exits() { local want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }

# --- throwaway users and a group, removed on exit (after lab_cleanup ended their processes)
ABUSE_USERS=()
ABUSE_GROUP=ipv4g$$
abuse_cleanup() {
	local u
	lab_cleanup
	for u in "${ABUSE_USERS[@]}"; do
		userdel "$u" 2>/dev/null
	done
	groupdel "$ABUSE_GROUP" 2>/dev/null
}
trap abuse_cleanup EXIT
# retried: another test may hold the lock of /etc/passwd for a moment
add_user() {
	lab_wait 10 useradd --system --no-create-home --shell /usr/sbin/nologin "$@" ||
		{ echo "useradd $* failed"; exit 99; }
	ABUSE_USERS+=("${*: -1}")
}
lab_wait 10 groupadd --system "$ABUSE_GROUP" || { echo "groupadd failed"; exit 99; }
for i in 1 2 3 4 5 6 7; do
	add_user "ipv4h$$-$i"
done
add_user -G "$ABUSE_GROUP" "ipv4m$$"
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
ctl_as() { local u=$1; shift; as "$u" "$IPV4CTL" -S "$CTL_SOCK" "$@"; }

# hog_start USER N [INTERVAL_MS]: USER holds N connections (log: $LAB_TMP/hog.USER), inside the lab's
# namespace so that the lab's cleanup ends it.
hog_start() {
	: >"$LAB_TMP/hog.$1"
	ip netns exec "$LAB_ID-d" setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups \
		"$HOSTILE" hog "$CTL_SOCK" "$2" "${3:-1000}" >"$LAB_TMP/hog.$1" 2>&1 &
	LAB_PIDS+=("$!")
}
# hog_is USER STATE: the last state line of USER's hog is STATE ("open=8 refused=12 closed=0")
hog_is() { [ "$(grep '^open=' "$LAB_TMP/hog.$1" | tail -n 1)" = "$2" ]; }

lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
lab_ip peer link set p0 up
chmod 755 "$LAB_TMP" # the users must reach the socket
conf=$LAB_TMP/ipv4optd.conf
cat >"$conf" <<CONF
control = { group = "$ABUSE_GROUP"; mode = "0666"; };
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; }
);
CONF
lab_daemon_start d "$conf" -d
H1=ipv4h$$-1 H2=ipv4h$$-2 H7=ipv4h$$-7 M=ipv4m$$

# --- one user, 20 connections: 8 held, 12 refused with EUSERS that the hog reads
hog_start "$H1" 20
check "hog: 8 connections held, 12 refused (per-uid cap)" \
	lab_wait 10 hog_is "$H1" "open=8 refused=12 closed=0"
check "hog: the refusal it read names the cap" \
	grep -q "refused:.*EUSERS.*too many connections from uid $(id -u "$H1"): 8 at a time" \
	"$LAB_TMP/hog.$H1"
check "hog's user: ipv4ctl status refused, exit 1" exits 1 ctl_as "$H1" status
check "hog's user: ipv4ctl prints the refusal (EUSERS), not a dropped connection" \
	out_has "too many connections from uid $(id -u "$H1"): 8 at a time, close some first (EUSERS)" \
	ctl_as "$H1" status
check "meanwhile root: ipv4ctl status answered" ctl status
check "meanwhile another user: ipv4ctl status answered" ctl_as "$H2" status
check "meanwhile the daemon counts 8 clients of the hog (and this one)" \
	out_has "9 of 64 clients" ctl status
# The hog sends a byte every second, which restarted the old idle timer for ever: the request
# deadline (10 s, doc/control-protocol.md) ends them all the same. 30 s: a deadline.
check "hog: its 8 connections closed by the request deadline despite a byte every second" \
	lab_wait 30 hog_is "$H1" "open=0 refused=12 closed=8"
check "hog's user: served again" ctl_as "$H1" status
check "the daemon logged the deadline" grep -q "past its deadline" "$DAEMON_LOG"

# --- six users hold the 48 slots other users may have: root and control.group still get in
for i in 1 2 3 4 5 6; do
	hog_start "ipv4h$$-$i" 8
done
all_held() {
	local i
	for i in 1 2 3 4 5 6; do
		hog_is "ipv4h$$-$i" "open=8 refused=0 closed=0" || return 1
	done
}
check "six users hold 8 connections each (48)" lab_wait 10 all_held
# These three run at once after the hogs hold, well within the hogs' 10 s.
check "a seventh user: refused, the rest is reserved (EUSERS)" \
	out_has "the last 16 of 64 connections are reserved to root, the daemon's user and control.group, try again (EUSERS)" \
	ctl_as "$H7" status
check "root: answered in a reserved slot" ctl status
check "a member of control.group: answered in a reserved slot" ctl_as "$M" status
check "... and may change state" ctl_as "$M" log-level info
check "the hogs were still holding all 48 meanwhile (the checks above were valid)" all_held
all_closed() {
	local i
	for i in 1 2 3 4 5 6; do
		hog_is "ipv4h$$-$i" "open=0 refused=0 closed=8" || return 1
	done
}
check "the six hogs' connections closed by the request deadline" lab_wait 30 all_closed
check "the seventh user: served again" ctl_as "$H7" status
check "clean stop: exit 0" lab_daemon_stop

# --- out of file descriptors: accepting pauses, it does not spin
: >"$DAEMON_LOG"
lab_daemon_start d "$conf" -d
nfd=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
# Room for 3 clients; the rest of the hog's connections wait in the backlog.
prlimit --pid "$DAEMON_PID" --nofile=$((nfd + 3)):$((nfd + 3))
hog_start root 30 0
check "hog of 30 silent connections: all connected (most in the backlog)" \
	lab_wait 10 hog_is root "open=30 refused=0 closed=0"
check "EMFILE: the daemon says it paused accepting" \
	lab_wait 10 grep -q "Too many open files; accepting paused" "$DAEMON_LOG"
# cpu_ticks PID: user + system time of PID, in clock ticks (/proc/PID/stat fields 14 and 15)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# A busy loop on a readable socket uses a whole core: its CPU time is close to the wall time
# (half of it when a second busy process shares the core, the worst this 2-core machine sees).
# A paused daemon uses next to none. 30% of the wall time tells the two apart on any load: it
# is the fact "does not spin", not a speed. The window is a measurement, not a wait.
t0=$(date +%s%N); c0=$(cpu_ticks "$DAEMON_PID")
sleep 3
t1=$(date +%s%N); c1=$(cpu_ticks "$DAEMON_PID")
hz=$(getconf CLK_TCK)
cpu_ms=$(( (c1 - c0) * 1000 / hz )); wall_ms=$(( (t1 - t0) / 1000000 ))
echo "# daemon CPU time while out of file descriptors: $cpu_ms ms over $wall_ms ms"
check "EMFILE: the daemon does not spin (CPU time $cpu_ms ms < 30% of $wall_ms ms)" \
	[ $((cpu_ms * 100)) -lt $((wall_ms * 30)) ]
check "EMFILE: the daemon is alive" kill -0 "$DAEMON_PID"
# A sustained shortage: resumes by the timer fail again, and so do those after the 3 clients
# were closed by their deadline and 3 from the backlog accepted; warned once, not each time.
paused_after_accepts() {
	awk '/past its deadline/ { closed = 1 } closed && /Too many open files; paused again/ { n++ }
	     END { exit !(n >= 1) }' "$DAEMON_LOG"
}
check "EMFILE for long: paused again after clients closed and others were accepted (debug)" \
	lab_wait 40 paused_after_accepts
check "EMFILE for long: the WARNING was logged once" \
	[ "$(grep -c "Too many open files; accepting paused" "$DAEMON_LOG")" -eq 1 ]
# Then the clients go: the daemon accepts again and a new client is answered.
kill -TERM "${LAB_PIDS[-1]}"
check "after the clients closed: a new client is answered" lab_wait 30 ctl status
check "after the clients closed: the daemon says it resumed" \
	grep -q "accepting resumed" "$DAEMON_LOG"
check "config membership held throughout" igmp_has d lab0 239.1.1.1

lab_done
