#!/usr/bin/env bash
# Memberships follow interfaces: absent at start then created, a new interface matching a
# pattern, deleted (waiting) and recreated with a new index (rejoined by name) more times than
# a socket has membership slots, and renamed. Read from the kernel's /proc/net/igmp.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storm-lib.sh"

lab_ns d
lab_ns peer
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "late0", "vlan1*" ]; action = "join"; },
  { name = "feed"; group = "239.1.1.2"; interfaces = [ "late0" ]; action = "join"; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"

# 1. Absent at start, created later.
check "nothing joined while late0 is absent" igmp_lacks d late0 239.1.1.1
lab_veth d late0 peer p0
check "late0 created: 239.1.1.1 joined" lab_wait 10 igmp_has d late0 239.1.1.1
check "late0 created: 239.1.1.2 joined" lab_wait 10 igmp_has d late0 239.1.1.2

# 2. A new interface matching a pattern.
lab_veth d vlan100 peer p1
check "vlan100 matches vlan1*: joined" lab_wait 10 igmp_has d vlan100 239.1.1.1
check "vlan100: the daemon has handled it" seen vlan100
check "vlan100: only the pattern's policy" igmp_lacks d vlan100 239.1.1.2
lab_veth d vlan200 peer p2
check "vlan200: the daemon has handled it" seen vlan200
check "vlan200 does not match vlan1*" igmp_lacks d vlan200 239.1.1.1
#    ... and the same interface, renamed into the pattern, is joined: the negative above was
#    the pattern's doing, not a daemon that missed the interface.
lab_ip d link set vlan200 name vlan199
check "vlan200 renamed vlan199: joined" lab_wait 10 igmp_has d vlan199 239.1.1.1

# 3. Deleted, then recreated with a new index: 25 times, beyond the 20 memberships a socket
#    holds, so a membership left behind on a dead index would show as ENOBUFS.
ok=1
for i in $(seq 25); do
	old=$(ifindex d late0)
	lab_ip d link del late0
	lab_wait 10 igmp_lacks d late0 239.1.1.1 || { ok=0; echo "round $i: not left"; break; }
	lab_veth d late0 peer p0
	new=$(ifindex d late0)
	[ "$new" != "$old" ] || { ok=0; echo "round $i: same index"; break; }
	lab_wait 10 igmp_has d late0 239.1.1.1 || { ok=0; echo "round $i: not rejoined on $new"; break; }
	lab_wait 10 igmp_has d late0 239.1.1.2 || { ok=0; echo "round $i: 2nd group not rejoined"; break; }
done
check "deleted and recreated 25 times: rejoined each time on the new index" [ $ok = 1 ]
check "no join failed" bash -c "! grep -q 'Failed to join' '$DAEMON_LOG'"
check "the log shows the wait" grep -q "Waiting for the interface: 239.1.1.1 on late0" "$DAEMON_LOG"

# 4. Renamed: vlan100 -> other0 leaves the pattern; other0 -> vlan150 enters it again.
lab_ip d link set vlan100 name other0
check "renamed out of the pattern: left" lab_wait 10 igmp_lacks d other0 239.1.1.1
lab_ip d link set other0 name vlan150
check "renamed into the pattern: joined" lab_wait 10 igmp_has d vlan150 239.1.1.1
#    late0 -> gone0: the literal name now waits; a new late0 gets it back.
lab_ip d link set late0 name gone0
check "literal name renamed away: left" lab_wait 10 igmp_lacks d gone0 239.1.1.1
lab_veth d late0 peer p9
check "new interface under the literal name: joined" lab_wait 10 igmp_has d late0 239.1.1.1

check "daemon still running" kill -0 "$DAEMON_PID"
lab_daemon_stop
check "SIGTERM: exit status 0" [ $? -eq 0 ]
lab_done
