#!/usr/bin/env bash
# SIGHUP reload applies only the difference (a membership in both configs is never left and
# rejoined); an invalid or unreadable config is reported with file:line and changes nothing;
# SIGTERM leaves every group (read while the process still exists) and exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storm-lib.sh"

# logged_times PATTERN N: the daemon's log has at least N lines matching PATTERN.
logged_times() {
	[ "$(grep -c -- "$1" "$DAEMON_LOG")" -ge "$2" ]
}
none_held() {
	[ "$(igmp_count d lab0)" -eq 0 ]
}

lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
conf=$LAB_TMP/ipv4optd.conf
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; },
  { name = "old"; group = "239.1.1.3"; interfaces = [ "lab0" ]; action = "join"; }
);
CONF
lab_daemon_start d "$conf" --debug
check "tv joined" igmp_has d lab0 239.1.1.1
check "old joined" igmp_has d lab0 239.1.1.3

# A valid change: "old" goes, "new" comes, "tv" stays untouched.
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; },
  { name = "new"; group = "239.1.1.4"; interfaces = [ "lab0" ]; action = "join"; }
);
CONF
kill -HUP "$DAEMON_PID"
check "reload: the daemon says it reloaded" lab_wait 10 logged_times "Reloaded $conf: 2 policies" 1
check "reload: new joined" lab_wait 10 igmp_has d lab0 239.1.1.4
check "reload: old left" lab_wait 10 igmp_lacks d lab0 239.1.1.3
check "reload: tv still held" igmp_has d lab0 239.1.1.1
check "reload: tv was never left" bash -c "! grep -q 'Left 239.1.1.1' '$DAEMON_LOG'"
check "reload: tv was joined once, at start" \
	[ "$(grep -c 'Joined 239.1.1.1 on lab0' "$DAEMON_LOG")" -eq 1 ]

# An invalid config: errors with file:line, nothing changes.
cp "$conf" "$LAB_TMP/good.conf"
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; },
  { name = "bad"; group = "10.1.1.1"; intefaces = [ "lab0" ]; action = "join"; }
);
CONF
kill -HUP "$DAEMON_PID"
check "invalid reload: error names file:line" lab_wait 10 grep -q "$conf:3: " "$DAEMON_LOG"
check "invalid reload: typo of a key reported" lab_wait 10 grep -q "intefaces" "$DAEMON_LOG"
check "invalid reload: the running config is kept" \
	lab_wait 10 logged_times "keeping the running configuration" 1
check "invalid reload: tv still held" igmp_has d lab0 239.1.1.1
check "invalid reload: new still held" igmp_has d lab0 239.1.1.4
check "invalid reload: daemon alive" kill -0 "$DAEMON_PID"

# An unreadable (missing) config: same.
rm -f "$conf"
kill -HUP "$DAEMON_PID"
check "missing file on reload: the log names the file and why" \
	lab_wait 10 grep -q "$conf: cannot open: No such file or directory" "$DAEMON_LOG"
check "missing file on reload: the running config is kept" \
	lab_wait 10 logged_times "keeping the running configuration" 2
check "missing file on reload: tv still held" igmp_has d lab0 239.1.1.1
check "missing file on reload: new still held" igmp_has d lab0 239.1.1.4
check "missing file on reload: daemon alive" kill -0 "$DAEMON_PID"

# The good file back: the reload after the failed ones works, and touches nothing held.
cp "$LAB_TMP/good.conf" "$conf"
kill -HUP "$DAEMON_PID"
check "good file again: reloaded" lab_wait 10 logged_times "Reloaded $conf: 2 policies" 2
check "good file again: tv held" igmp_has d lab0 239.1.1.1
check "good file again: new held" igmp_has d lab0 239.1.1.4
check "good file again: tv still never left" bash -c "! grep -q 'Left 239.1.1.1' '$DAEMON_LOG'"
check "good file again: tv still joined once" \
	[ "$(grep -c 'Joined 239.1.1.1 on lab0' "$DAEMON_LOG")" -eq 1 ]

# SIGTERM: every group left while the process still exists, then exit 0.
start=$(date +%s%N)
check_held_at_exit "SIGTERM: every group left before the process ends" none_held
echo "# stopped in $(( ($(date +%s%N) - start) / 1000000 )) ms"
check "SIGTERM: the log says it left every group" grep -q "leaving every group" "$DAEMON_LOG"
check "SIGTERM: exit status 0 ($DAEMON_RC)" [ "$DAEMON_RC" -eq 0 ]
lab_done
