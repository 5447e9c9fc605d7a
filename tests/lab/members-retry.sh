#!/usr/bin/env bash
# A failed join is tried again when its interface changes (ipv4ctl(8)): up, an address added,
# the interface deleted and created again. The failure built here is a port another program
# holds without SO_REUSEADDR: the daemon's bind() fails, and every message (the log, ipv4ctl
# show, ipv4ctl diagnose) names the bind, not a refusal of the join by the kernel.
. "$(dirname "$0")/lib.sh"

lab_ns d
lab_ns peer
lab_veth d d0 peer p0
lab_veth d d1 peer p1
lab_veth d d2 peer p2
for i in d0 d1 d2; do lab_ip d link set $i up; done

# holder NAME PORT: a UDP socket bound to 0.0.0.0:PORT in d, without SO_REUSEADDR, until its
# pid file is removed (then it exits).
holder() {
	: >"$LAB_TMP/holder.$1"
	lab_exec d python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while os.path.exists(sys.argv[2]):
    time.sleep(0.02)
' "$2" "$LAB_TMP/holder.$1" &
	LAB_PIDS+=("$!")
	eval "HOLDER_$1=$!"
	lab_wait 10 lab_udp_bound d "$2" || { echo "holder of port $2 did not start"; exit 99; }
}
holder up 5001
holder addr 5002
holder re 5003

cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "up"; group = "239.1.2.1"; interfaces = [ "d0" ]; action = "log"; port = 5001;
    log = { target = "journal"; }; },
  { name = "addr"; group = "239.1.2.2"; interfaces = [ "d1" ]; action = "log"; port = 5002;
    log = { target = "journal"; }; },
  { name = "re"; group = "239.1.2.3"; interfaces = [ "d2" ]; action = "log"; port = 5003;
    log = { target = "journal"; }; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
ctl() { "$IPV4CTL" -S "$LAB_TMP/ctl.sock" "$@"; }

# member_field POLICY KEY: KEY of the policy's membership in ipv4ctl -j show.
member_field() {
	ctl -j show | python3 -c '
import json, sys
for m in json.load(sys.stdin)["members"]:
    if m["policy"] == sys.argv[1]:
        print(m.get(sys.argv[2]))
' "$1" "$2"
}
state_is() { [ "$(member_field "$1" state)" = "$2" ]; }

for p in up addr re; do
	check "$p: failed while its port is held" state_is $p failed
	check "$p: the step is the bind" [ "$(member_field $p error_step)" = bind ]
done
check "show's reason names the bind" \
	[ "$(member_field up reason)" = "cannot bind port 5001: Address already in use" ]
check "the log names the bind" grep -q \
	"Failed to join 239.1.2.1 on d0 (index [0-9]*), policy up: cannot bind port 5001: Address already in use" \
	"$DAEMON_LOG"
check "the log does not blame the kernel" bash -c "! grep -q 'kernel refused' '$DAEMON_LOG'"
ctl diagnose >"$LAB_TMP/diag" 2>&1
check "diagnose names the bind" grep -q "cannot bind port 5001 for 239.1.2.1 on d0" "$LAB_TMP/diag"
check "diagnose does not blame the kernel" bash -c "! grep -q 'kernel refused' '$LAB_TMP/diag'"
check "the table shows the reason" bash -c "'$IPV4CTL' -S '$LAB_TMP/ctl.sock' show | grep -q 'cannot bind port 5001'"
check "status counts 3 failed" bash -c "'$IPV4CTL' -S '$LAB_TMP/ctl.sock' status | grep -q '3 failed'"

# 1. The holders go; nothing changed on the interfaces yet: still failed (the retry is the
#    interface's doing, shown next), and not in the kernel's table.
for h in up addr re; do rm -f "$LAB_TMP/holder.$h"; done
for port in 5001 5002 5003; do
	check "port $port released" lab_wait 10 bash -c "! ip netns exec $LAB_ID-d ss -Hunl 'sport = :$port' | grep -q ."
done
check "without an interface change: still failed" state_is up failed
check "without an interface change: not joined in the kernel" igmp_lacks d d0 239.1.2.1

# 2. Down and up: retried, joined; the others (on d1, d2) untouched.
lab_ip d link set d0 down
lab_ip d link set d0 up
check "d0 down and up: joined" lab_wait 10 state_is up joined
check "d0 down and up: in the kernel's table" lab_wait 10 igmp_has d d0 239.1.2.1
check "d1 untouched: addr still failed" state_is addr failed

# 3. An address added on d1.
lab_ip d addr add 10.9.1.1/24 dev d1
check "address added on d1: joined" lab_wait 10 state_is addr joined
check "address added on d1: in the kernel's table" lab_wait 10 igmp_has d d1 239.1.2.2
check "the reason is gone once joined" [ "$(member_field addr reason)" = None ]
check "d2 untouched: re still failed" state_is re failed

# 4. d2 deleted and created again.
lab_ip d link del d2
check "d2 deleted: waiting" lab_wait 10 state_is re waiting
lab_veth d d2 peer p2
check "d2 created again: joined" lab_wait 10 state_is re joined
check "d2 created again: in the kernel's table" lab_wait 10 igmp_has d d2 239.1.2.3

check "status: 0 failed" bash -c "'$IPV4CTL' -S '$LAB_TMP/ctl.sock' status | grep -q ' 0 failed'"
check "daemon still running" kill -0 "$DAEMON_PID"
lab_done
