#!/usr/bin/env bash
# A failed join is tried again when its interface changes (ipv4ctl(8)): up, an address added,
# the interface deleted and created again. The failure built here is the kernel's own: joins
# made while net.ipv4.igmp_max_memberships is 0 are refused (ENOBUFS), and the message says so
# with the kernel's reason. And a port another program holds without SO_REUSEADDR: the data
# plane's receive socket cannot be bound (the memberships are held apart from it, on sockets
# bound to nothing): show and status name that as the policy's failure, and it is tried again.
. "$(dirname "$0")/lib.sh"

lab_ns d
lab_ns peer
lab_veth d d0 peer p0
lab_veth d d1 peer p1
lab_veth d d2 peer p2
for i in d0 d1 d2; do lab_ip d link set $i up; done

# holder PORT FILE: a UDP socket bound to 0.0.0.0:PORT in d, without SO_REUSEADDR, until FILE
# is removed (then it exits).
holder() {
	: >"$2"
	lab_exec d python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while os.path.exists(sys.argv[2]):
    time.sleep(0.02)
' "$1" "$2" &
	LAB_PIDS+=("$!")
	lab_wait 10 lab_udp_bound d "$1" || { echo "holder of port $1 did not start"; exit 99; }
}
holder 5004 "$LAB_TMP/holder"

echo 'policies = ( );' >"$LAB_TMP/conf"
lab_daemon_start d "$LAB_TMP/conf"
ctl() { "$IPV4CTL" -S "$LAB_TMP/ctl.sock" "$@"; }

# The kernel now refuses every new membership; a reload brings the policies.
max_saved=$(lab_exec d sysctl -n net.ipv4.igmp_max_memberships)
lab_exec d sysctl -qw net.ipv4.igmp_max_memberships=0
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "up"; group = "239.1.2.1"; interfaces = [ "d0" ]; action = "join"; },
  { name = "addr"; group = "239.1.2.2"; interfaces = [ "d1" ]; action = "join"; },
  { name = "re"; group = "239.1.2.3"; interfaces = [ "d2" ]; action = "join"; },
  { name = "held"; group = "239.1.2.4"; interfaces = [ "p0x" ]; action = "log"; port = 5004;
    log = { target = "journal"; }; }
);
CONF
ctl reload >/dev/null

# member_field POLICY KEY: KEY of the policy's membership in ipv4ctl -j show.
member_field() {
	ctl -j show | python3 -c '
import json, sys
for m in json.load(sys.stdin)["members"]:
    if m["policy"] == sys.argv[1]:
        print(m.get(sys.argv[2]))
' "$1" "$2"
}
# policy_field POLICY KEY: KEY of the policy in ipv4ctl -j show.
policy_field() {
	ctl -j show | python3 -c '
import json, sys
d = json.load(sys.stdin)["policies"]
p = d[sys.argv[1]] if isinstance(d, dict) else next(x for x in d if x["name"] == sys.argv[1])
print(p.get(sys.argv[2]))
' "$1" "$2"
}
state_is() { [ "$(member_field "$1" state)" = "$2" ]; }

for p in up addr re; do
	check "$p: failed while the kernel refuses memberships" lab_wait 10 state_is $p failed
done
check "show's reason is the kernel's (ENOBUFS)" \
	bash -c "ctl() { '$IPV4CTL' -S '$LAB_TMP/ctl.sock' \"\$@\"; }; ctl -j show | grep -q 'No buffer space available'"
check "the log names the kernel's refusal" grep -q \
	"Failed to join 239.1.2.1 on d0 (index [0-9]*), policy up: .*No buffer space available" \
	"$DAEMON_LOG"
ctl -j diagnose up >"$LAB_TMP/diag" 2>&1
check "diagnose: membership-limit" grep -q membership-limit "$LAB_TMP/diag"
check "status counts the failures" bash -c "'$IPV4CTL' -S '$LAB_TMP/ctl.sock' status | grep -qE '[3-9] failed'"
check "held: its port cannot be received on, and the log says so" \
	lab_wait 10 grep -q "Failed to receive on port 5004: Address already in use" "$DAEMON_LOG"
check "held: show names it as the policy's failure" \
	lab_wait 10 bash -c "'$IPV4CTL' -S '$LAB_TMP/ctl.sock' -j show | grep -q 'cannot receive on port 5004: Address already in use'"

# 1. The kernel allows memberships again; nothing changed on the interfaces yet: still failed
#    (the retry is the interface's doing, shown next), and not in the kernel's table.
lab_exec d sysctl -qw net.ipv4.igmp_max_memberships="$max_saved"
rm -f "$LAB_TMP/holder"
check "port 5004 released by its holder" \
	lab_wait 10 bash -c "! ip netns exec $LAB_ID-d ss -Hunlp 'sport = :5004' | grep -q python3"
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
check "held: the interface changes retried its port: received on now" \
	lab_wait 10 grep -q "Receiving on port 5004 now" "$DAEMON_LOG"
check "held: bound by the daemon" lab_wait 10 lab_udp_bound d 5004

check "status: 0 failed" bash -c "'$IPV4CTL' -S '$LAB_TMP/ctl.sock' status | grep -q ' 0 failed'"
check "daemon still running" kill -0 "$DAEMON_PID"
lab_done
