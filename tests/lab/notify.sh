#!/usr/bin/env bash
# The systemd notify protocol as systemd v252 reads it (Type=notify): READY=1 after the first
# reconcile, STATUS= with counts, RELOADING=1 + MONOTONIC_USEC= then READY=1 around a reload,
# WATCHDOG=1 pings from the event loop when WATCHDOG_USEC is set, STOPPING=1 on SIGTERM.
# Each message is polled for in what the socket received (a datagram may be written out after
# the event it reports). Also `ipv4optd --test-config`: exit status and file:line messages.
# (How much CPU the idle daemon uses is a figure: bench/daemon-resources.sh.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storm-lib.sh"

lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
conf=$LAB_TMP/ipv4optd.conf
cat >"$conf" <<CONF
policies = ( { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0", "absent0" ]; action = "join"; } );
CONF

# --test-config
out=$("$IPV4OPTD" --test-config -f "$conf" 2>&1); rc=$?
check "--test-config on a valid file: exit 0" [ "$rc" -eq 0 ]
check "--test-config on a valid file: says OK" grep -q "OK" <<<"$out"
printf 'policies = (\n  { name = "x"; group = "239.1.1.300"; interfaces = [ "lab0" ]; action = "join"; }\n);\n' >"$LAB_TMP/bad.conf"
out=$("$IPV4OPTD" --test-config -f "$LAB_TMP/bad.conf" 2>&1); rc=$?
check "--test-config on an invalid file: exit non-zero" [ "$rc" -ne 0 ]
check "--test-config: the message names file:line" grep -q "$LAB_TMP/bad.conf:2: " <<<"$out"
out=$("$IPV4OPTD" --test-config -f "$LAB_TMP/nonexistent.conf" 2>&1); rc=$?
check "--test-config on a missing file: exit non-zero" [ "$rc" -ne 0 ]
out=$("$IPV4OPTD" --bogus 2>&1); rc=$?
check "unknown option: exit 2" [ "$rc" -eq 2 ]

# The notify socket, as systemd would listen on it.
notify=$LAB_TMP/notify.sock
socat -u "UNIX-RECV:$notify" "OPEN:$LAB_TMP/notify.log,creat,append" 2>/dev/null &
LAB_PIDS+=("$!")
lab_wait 10 test -S "$notify" || { echo "the notify socket did not appear"; exit 99; }
NOTIFY_SOCKET=$notify WATCHDOG_USEC=200000 lab_daemon_start d "$conf"
check "READY=1 after the first reconcile" lab_wait 10 grep -q "READY=1" "$LAB_TMP/notify.log"
check "STATUS= with counts" \
	lab_wait 10 grep -q "STATUS=1 joined, 1 waiting, 0 failed" "$LAB_TMP/notify.log"
check "WATCHDOG=1 pings" lab_wait 10 grep -q "WATCHDOG=1" "$LAB_TMP/notify.log"

# line_of PATTERN: the number of the first line of the notify log matching PATTERN (0: none).
line_of() {
	grep -n -m1 -- "$1" "$LAB_TMP/notify.log" | cut -d: -f1 | grep . || echo 0
}
# ready_after_reloading: a READY=1 line below the first RELOADING=1 line.
ready_after_reloading() {
	local r
	r=$(line_of "RELOADING=1")
	[ "$r" -gt 0 ] && tail -n +"$r" "$LAB_TMP/notify.log" | grep -q "READY=1"
}
: >"$LAB_TMP/notify.log"
kill -HUP "$DAEMON_PID"
check "RELOADING=1 on SIGHUP" lab_wait 10 grep -q "RELOADING=1" "$LAB_TMP/notify.log"
check "MONOTONIC_USEC= with it" lab_wait 10 grep -q "MONOTONIC_USEC=[0-9]" "$LAB_TMP/notify.log"
check "READY=1 after the reload, below RELOADING=1" lab_wait 10 ready_after_reloading
check "the daemon logged the reload" lab_wait 10 grep -q "Reloaded $conf: 1 policy" "$DAEMON_LOG"

: >"$LAB_TMP/notify.log"
lab_daemon_stop
rc=$?
check "SIGTERM: exit status 0 ($rc)" [ "$rc" -eq 0 ]
check "STOPPING=1 on SIGTERM" lab_wait 10 grep -q "STOPPING=1" "$LAB_TMP/notify.log"
lab_done
