#!/usr/bin/env bash
# Socket activation as systemd does it (ipv4optd.socket), with systemd-socket-activate: it
# listens on the control socket, starts the daemon at the first connection and passes the
# socket (LISTEN_FDS=1, fd 3). The daemon adopts it: that first client gets its answer,
# `ipv4ctl status` says "socket-activated", joins and reads work through it, and the socket
# file, which belongs to whoever passed it, is still there after the daemon exits. A passed
# socket that is not a listening UNIX stream socket is refused with a message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storm-lib.sh"

if ! command -v systemd-socket-activate >/dev/null; then
	echo "systemd-socket-activate (Debian package systemd) is missing"
	exit 99
fi

sock=$LAB_TMP/activated.sock
ctl() { "$IPV4CTL" -S "$sock" "$@"; }
lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
lab_ip peer link set p0 up
conf=$LAB_TMP/ipv4optd.conf
cat >"$conf" <<CONF
control = { path = "$LAB_TMP/unused.sock"; mode = "0666"; };
policies = ( { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; } );
CONF
mkdir -p "$LAB_TMP/state"
DAEMON_LOG=$LAB_TMP/daemon.log

# The activator execs the daemon in its own process at the first connection: DAEMON_PID is
# the daemon's pid from then on (ip netns exec execs too: no shell in between).
chmod 755 "$LAB_TMP" # nobody must reach the socket
ip netns exec "$LAB_ID-d" systemd-socket-activate -l "$sock" \
	"$IPV4OPTD" -n -f "$conf" --state-dir "$LAB_TMP/state" >"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
LAB_PIDS+=("$DAEMON_PID")
check "systemd-socket-activate listens on $sock" lab_wait 10 test -S "$sock"
chmod 666 "$sock" # as SocketMode=0666 in ipv4optd.socket
check "no daemon before the first connection" \
	bash -c "! grep -q 'Started:' '$DAEMON_LOG'"

out=$(ctl show 2>&1); rc=$?
check "the first connection starts the daemon and gets its answer (exit $rc)" [ "$rc" -eq 0 ]
check "ipv4ctl show through the passed socket lists policy tv" grep -q "tv" <<<"$out"
check "the daemon runs in the activator's process" grep -q "Started:" "$DAEMON_LOG"
out=$(ctl status 2>&1)
check "ipv4ctl status: socket-activated" grep -q "(socket-activated)" <<<"$out"
check "the daemon did not create its own socket (control.path)" \
	test ! -e "$LAB_TMP/unused.sock"
check "the config's group is held" igmp_has d lab0 239.1.1.1
check "ipv4ctl join through the passed socket" ctl join 239.3.3.3 dev lab0
check "239.3.3.3 in /proc/net/igmp" lab_wait 10 igmp_has d lab0 239.3.3.3
check "ipv4ctl show as nobody through it (read-only commands)" \
	bash -c "setpriv --reuid=nobody --regid=nogroup --clear-groups '$IPV4CTL' -S '$sock' show >/dev/null"

# Read while the process still exists (the kernel drops a dead process's memberships anyway).
both_left() {
	igmp_lacks d lab0 239.1.1.1 && igmp_lacks d lab0 239.3.3.3
}
check_held_at_exit \
	"SIGTERM: the config's group and the runtime join left, before the process ends" both_left
check "the daemon exits 0 on SIGTERM ($DAEMON_RC)" [ "$DAEMON_RC" -eq 0 ]
check "the passed socket's file stays (it belongs to the activator, like ipv4optd.socket)" \
	test -S "$sock"

# A passed socket the daemon cannot use: TCP (systemd-socket-activate -l PORT).
lab_ip d link set lo up
bad_log=$LAB_TMP/bad.log
ip netns exec "$LAB_ID-d" systemd-socket-activate -l 127.0.0.1:5999 \
	"$IPV4OPTD" -n -f "$conf" --state-dir "$LAB_TMP/state" >"$bad_log" 2>&1 &
bad_pid=$!
LAB_PIDS+=("$bad_pid")
lab_wait 10 bash -c "ip netns exec $LAB_ID-d bash -c 'exec 3<>/dev/tcp/127.0.0.1/5999' 2>/dev/null"
lab_reap "$bad_pid" 20
rc=$?
check "a passed TCP socket: the daemon exits non-zero, by itself (exit $rc)" \
	[ "$rc" -ne 0 -a "$rc" -ne 124 ]
check "and says why" grep -q "none of them a listening UNIX stream socket" "$bad_log"

DAEMON_PID=
lab_done
