#!/usr/bin/env bash
# SIGHUP reload applies only the difference (a membership in both configs is never left and
# rejoined); an invalid or unreadable config is reported with file:line and changes nothing;
# SIGTERM leaves every group and exits 0 promptly.
. "$(dirname "$0")/lib.sh"

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
check "reload: new joined" lab_wait 2 igmp_has d lab0 239.1.1.4
check "reload: old left" lab_wait 2 igmp_lacks d lab0 239.1.1.3
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
check "invalid reload: error names file:line" lab_wait 2 grep -q "$conf:3: " "$DAEMON_LOG"
check "invalid reload: typo of a key reported" grep -q "intefaces" "$DAEMON_LOG"
check "invalid reload: the running config is kept" grep -q "keeping the running configuration" "$DAEMON_LOG"
check "invalid reload: tv still held" igmp_has d lab0 239.1.1.1
check "invalid reload: new still held" igmp_has d lab0 239.1.1.4
check "invalid reload: daemon alive" kill -0 "$DAEMON_PID"

# An unreadable (missing) config: same.
rm -f "$conf"
kill -HUP "$DAEMON_PID"
sleep 0.3
check "missing file on reload: tv still held" igmp_has d lab0 239.1.1.1
check "missing file on reload: new still held" igmp_has d lab0 239.1.1.4
check "missing file on reload: daemon alive" kill -0 "$DAEMON_PID"
cp "$LAB_TMP/good.conf" "$conf"

# SIGTERM: every group left, exit 0, promptly.
start=$(date +%s%N)
lab_daemon_stop
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "SIGTERM: exit status 0" [ "$rc" -eq 0 ]
check "SIGTERM: exited within 2 s (${ms} ms)" [ "$ms" -lt 2000 ]
check "SIGTERM: every group left" [ "$(igmp_count d lab0)" -eq 0 ]
lab_done
