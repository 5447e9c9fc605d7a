#!/usr/bin/env bash
# The control socket and ipv4ctl against the real daemon in a namespace lab (issue 4):
# runtime joins land in the kernel's tables (/proc/net/igmp, /proc/net/mcfilter) and leaves
# remove them; show follows an interface deleted and recreated; runtime joins survive reload
# and restart (state file), a corrupt state file is set aside; -j prints JSON for every
# command; state changes are refused to a user neither root nor in control.group (who can
# still read); exit codes 0/1/2/3 and their messages. Issue 10: a join of what is already
# joined is done (exit 0, "already joined"); a runtime join may only use the port of a relay
# or log policy (or none): any other is refused, naming the allowed ones, and nothing binds it.
. "$(dirname "$0")/lib.sh"

CTL_SOCK=$LAB_TMP/ctl.sock
ctl() { "$IPV4CTL" -S "$CTL_SOCK" "$@"; }
# as nobody, no supplementary group; extra setpriv options first
ctl_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$IPV4CTL" -S "$CTL_SOCK" "$@"; }
is_json() { python3 -c 'import json, sys; json.load(sys.stdin)'; }
# member_field GROUP IFNAME FIELD: FIELD of the runtime membership, from `ipv4ctl -j show`
member_field() {
	ctl -j show | python3 -c '
import json, sys
d = json.load(sys.stdin)
for m in d["members"]:
    if m["origin"] == "runtime" and m["group"] == sys.argv[1] and m["ifname"] == sys.argv[2]:
        print(m[sys.argv[3]]); break
else:
    print("absent")' "$1" "$2" "$3"
}
field_is() { [ "$(member_field "$1" "$2" "$3")" = "$4" ]; }
# out_has TEXT CMD...: CMD's stdout+stderr contains TEXT
out_has() { local t=$1; shift; "$@" 2>&1 | grep -qF -- "$t"; }
exits() { local want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }
not() { ! "$@"; }

# A group for control.group that nobody is not in.
CTL_GROUP=$(getent group daemon >/dev/null && echo daemon || echo "")

lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
lab_ip peer link set p0 up
lab_ip d addr add 10.9.0.1/24 dev lab0
chmod 755 "$LAB_TMP" # nobody must reach the socket
conf=$LAB_TMP/ipv4optd.conf
group_line=""
[ -n "$CTL_GROUP" ] && group_line="group = \"$CTL_GROUP\";"
cat >"$conf" <<CONF
control = { $group_line mode = "0666"; };
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; },
  { name = "probe"; group = "239.8.8.8"; interfaces = [ "lab0" ]; port = 5001; action = "log"; }
);
CONF
cp "$conf" "$LAB_TMP/good.conf"
lab_daemon_start d "$conf"
check "config membership held" igmp_has d lab0 239.1.1.1
check "socket created with mode 0666" [ "$(stat -c %a "$CTL_SOCK")" = 666 ]

# --- join and leave, checked in the kernel's tables
check "join ASM: exit 0" ctl join 239.2.2.2 dev lab0
check "join ASM: in /proc/net/igmp on lab0" igmp_has d lab0 239.2.2.2
check "join ASM: says joined with the index" out_has "index $(ifindex d lab0)" \
	bash -c "'$IPV4CTL' -S '$CTL_SOCK' join 239.2.2.3 dev lab0"
check "join SSM: exit 0" ctl join 232.1.1.1 source 10.9.0.99 dev lab0 port 5001
check "join SSM: INCLUDE (10.9.0.99, 232.1.1.1) in /proc/net/mcfilter" \
	[ "$(mcfilter_mode d lab0 232.1.1.1 10.9.0.99)" = include ]
check "join SSM: in /proc/net/igmp" igmp_has d lab0 232.1.1.1
check "join again: done, exit 0" exits 0 ctl join 239.2.2.2 dev lab0
check "join again: says already joined" out_has "already joined 239.2.2.2 on lab0" \
	ctl join 239.2.2.2 dev lab0
check "join again -j: \"already\": true" bash -c "'$IPV4CTL' -S '$CTL_SOCK' -j join 239.2.2.2 dev lab0 | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"already\"] is True'"
check "join again: still held once in /proc/net/igmp" igmp_has d lab0 239.2.2.2
check "join again with a port: refused, exit 1" exits 1 ctl join 239.2.2.2 dev lab0 port 5001
check "join again with a port: says it has no port" \
	out_has "already joined at run time with no port" ctl join 239.2.2.2 dev lab0 port 5001
check "join SSM again, same port: exit 0, already joined" out_has "already joined" \
	ctl join 232.1.1.1 source 10.9.0.99 dev lab0 port 5001
# a port no relay or log policy receives on: refused, the allowed one named, nothing bound
check "join with port 53: refused, exit 1" exits 1 ctl join 239.2.2.4 dev lab0 port 53
check "join with port 53: names the allowed port" \
	out_has "port 53 is not allowed: a runtime join may only use the port of a relay or log policy of the configuration (5001), or none (EPERM)" \
	ctl join 239.2.2.4 dev lab0 port 53
check "join with port 53: not in /proc/net/igmp" igmp_lacks d lab0 239.2.2.4
check "join with port 53: nothing bound to UDP port 53" not lab_udp_bound d 53
check "join with port 53: not listed" field_is 239.2.2.4 lab0 state absent
check "... the same group without a port: joined" ctl join 239.2.2.4 dev lab0
check "... in /proc/net/igmp" igmp_has d lab0 239.2.2.4
check "... listed with no port (0)" field_is 239.2.2.4 lab0 port 0
check "the SSM join listed with its port 5001" field_is 232.1.1.1 lab0 port 5001
check "leave it: exit 0" ctl leave 239.2.2.4 dev lab0
check "leave ASM: exit 0" ctl leave 239.2.2.3 dev lab0
check "leave ASM: gone from /proc/net/igmp" igmp_lacks d lab0 239.2.2.3
check "leave SSM: exit 0" ctl leave 232.1.1.1 source 10.9.0.99 dev lab0
check "leave SSM: gone from /proc/net/mcfilter" \
	[ "$(mcfilter_mode d lab0 232.1.1.1 10.9.0.99)" = none ]
check "leave SSM: gone from /proc/net/igmp" igmp_lacks d lab0 232.1.1.1
check "leave of what is not joined: exit 1, ENOENT" out_has "ENOENT" ctl leave 239.7.7.7 dev lab0
check "leave of a config membership: refused" exits 1 ctl leave 239.1.1.1 dev lab0
check "config membership still held" igmp_has d lab0 239.1.1.1
check "join on a missing interface: waiting, exit 0" out_has "waiting" ctl join 239.4.4.4 dev lab1
check "show: the waiting join" field_is 239.4.4.4 lab1 state waiting

# --- show follows the interface: deleted -> waiting, recreated -> joined on the new index
old_index=$(ifindex d lab0)
check "show: joined on lab0 index $old_index" field_is 239.2.2.2 lab0 ifindex "$old_index"
check "show: state joined" field_is 239.2.2.2 lab0 state joined
check "show (table): lists the runtime join" out_has "239.2.2.2" ctl show
lab_ip d link del lab0
check "interface deleted: show says waiting" lab_wait 3 field_is 239.2.2.2 lab0 state waiting
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
new_index=$(ifindex d lab0)
check "interface recreated with a new index ($old_index -> $new_index)" [ "$new_index" != "$old_index" ]
check "interface recreated: show says joined" lab_wait 3 field_is 239.2.2.2 lab0 state joined
check "interface recreated: show has the new index" field_is 239.2.2.2 lab0 ifindex "$new_index"
check "interface recreated: in /proc/net/igmp again" igmp_has d lab0 239.2.2.2

# --- runtime joins survive reload (ipv4ctl and SIGHUP)
check "ipv4ctl reload: exit 0" ctl reload
check "after ipv4ctl reload: runtime join held" igmp_has d lab0 239.2.2.2
reloads_before=$(grep -c "Reloaded " "$DAEMON_LOG")
kill -HUP "$DAEMON_PID"
check "SIGHUP: reloaded" lab_wait 5 bash -c "[ \$(grep -c 'Reloaded ' '$DAEMON_LOG') -gt $reloads_before ]"
check "after SIGHUP: runtime join held" igmp_has d lab0 239.2.2.2
check "after SIGHUP: runtime join was never left" bash -c "! grep -q 'Left 239.2.2.2' '$DAEMON_LOG'"
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; intefaces = [ "lab0" ]; action = "join"; }
);
CONF
check "invalid reload: exit 1" exits 1 ctl reload
check "invalid reload: prints the daemon's file:line" out_has "$conf:2:" ctl reload
check "invalid reload: runtime join held" igmp_has d lab0 239.2.2.2
cp "$LAB_TMP/good.conf" "$conf"

# --- -j prints JSON for every command
check "-j status is JSON" bash -c "'$IPV4CTL' -S '$CTL_SOCK' -j status | python3 -c 'import json,sys; json.load(sys.stdin)'"
for cmd in "show" "status" "stats" "stats tv" "reload" "log-level info" \
	"join 239.5.5.5 dev lab0" "leave 239.5.5.5 dev lab0"; do
	# shellcheck disable=SC2086
	check "-j $cmd: valid JSON, exit 0" bash -c "'$IPV4CTL' -S '$CTL_SOCK' -j $cmd | python3 -c 'import json,sys; json.load(sys.stdin)'"
done
check "-j error: valid JSON on stdout, exit 1" bash -c "'$IPV4CTL' -S '$CTL_SOCK' -j leave 239.5.5.5 dev lab0 2>/dev/null | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"code\"] == \"ENOENT\"'"
check "status -j: kernel limits" bash -c "'$IPV4CTL' -S '$CTL_SOCK' -j status | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"kernel\"][\"igmp_max_memberships\"] > 0 and d[\"memberships\"][\"runtime\"] == 2'"
check "stats --prometheus: counters per policy" out_has '_total{policy="tv"' ctl stats --prometheus
check "stats of an unknown policy: exit 1" exits 1 ctl stats nosuch

# --- access: neither root nor in the group: cannot change state, can read
check "nobody: join refused, exit 1" exits 1 ctl_nobody join 239.6.6.6 dev lab0
check "nobody: refusal names the reason" out_has "permission denied" ctl_nobody join 239.6.6.6 dev lab0
check "nobody: nothing joined" igmp_lacks d lab0 239.6.6.6
check "nobody: leave refused" exits 1 ctl_nobody leave 239.2.2.2 dev lab0
check "nobody: reload refused" exits 1 ctl_nobody reload
check "nobody: log-level refused" exits 1 ctl_nobody log-level debug
check "nobody: show allowed" ctl_nobody show
check "nobody: status allowed" ctl_nobody status
check "nobody: stats allowed" ctl_nobody stats
if [ -n "$CTL_GROUP" ]; then
	gid=$(getent group "$CTL_GROUP" | cut -d: -f3)
	check "nobody with supplementary group $CTL_GROUP: join allowed" \
		setpriv --reuid=nobody --regid=nogroup --groups="$gid" "$IPV4CTL" -S "$CTL_SOCK" join 239.6.6.6 dev lab0
	check "... and in /proc/net/igmp" igmp_has d lab0 239.6.6.6
	check "nobody with primary group $CTL_GROUP: leave allowed" \
		setpriv --reuid=nobody --regid="$gid" --clear-groups "$IPV4CTL" -S "$CTL_SOCK" leave 239.6.6.6 dev lab0
	check "... and gone from /proc/net/igmp" igmp_lacks d lab0 239.6.6.6
fi

# --- usage errors (2) and an unreachable daemon (3), checked before sending
check "unicast group: exit 2" exits 2 ctl join 10.1.1.1 dev lab0
check "unicast group: message names it" out_has "'10.1.1.1' is not a multicast group" ctl join 10.1.1.1 dev lab0
check "multicast source: exit 2" exits 2 ctl join 232.1.1.1 source 239.1.1.1 dev lab0
check "port 0: exit 2" exits 2 ctl join 239.1.1.9 dev lab0 port 0
check "port 70000: exit 2" exits 2 ctl join 239.1.1.9 dev lab0 port 70000
check "interface name too long: exit 2" exits 2 ctl join 239.1.1.9 dev abcdefghijklmnopq
check "missing dev: exit 2" exits 2 ctl join 239.1.1.9
check "unknown command: exit 2" exits 2 ctl frobnicate
check "no daemon: exit 3" exits 3 "$IPV4CTL" -S "$LAB_TMP/none.sock" status
check "no daemon: says how to start it" out_has "systemctl start ipv4optd" "$IPV4CTL" -S "$LAB_TMP/none.sock" status

# --- restart: a killed daemon leaves a stale socket; the next one removes it and restores
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
check "killed: memberships gone with the process" lab_wait 2 igmp_lacks d lab0 239.2.2.2
check "killed: stale socket left behind" [ -S "$CTL_SOCK" ]
: >"$DAEMON_LOG"
lab_daemon_start d "$conf"
check "restart: stale socket removed and replaced" grep -q "Removed the stale socket" "$DAEMON_LOG"
check "restart: runtime join restored in /proc/net/igmp" igmp_has d lab0 239.2.2.2
check "restart: waiting runtime join restored" field_is 239.4.4.4 lab1 state waiting
check "restart: config membership held" igmp_has d lab0 239.1.1.1
check "second daemon on the same socket: refused" exits 1 \
	ip netns exec "$LAB_ID-d" "$IPV4OPTD" -n -f "$conf" -S "$CTL_SOCK" --state-dir "$LAB_TMP/state2"
check "second daemon: says another daemon answers" out_has "Another daemon answers" \
	ip netns exec "$LAB_ID-d" "$IPV4OPTD" -n -f "$conf" -S "$CTL_SOCK" --state-dir "$LAB_TMP/state2"
check "first daemon still serves" ctl status
check "leave after restart: exit 0" ctl leave 239.4.4.4 dev lab1

# --- a corrupt state file is set aside, never fatal; SIGTERM removes the socket
check "clean stop: exit 0" lab_daemon_stop
check "clean stop: socket removed" [ ! -e "$CTL_SOCK" ]
echo '{"version":1,"joins":[{"group":"239.2.2.2","ifname":' >"$LAB_TMP/state/runtime-joins.json"
: >"$DAEMON_LOG"
lab_daemon_start d "$conf"
check "corrupt state: daemon started" ctl status
check "corrupt state: logged" grep -q "is corrupt" "$DAEMON_LOG"
check "corrupt state: renamed aside" [ -f "$LAB_TMP/state/runtime-joins.json.corrupt" ]
check "corrupt state: config membership held" igmp_has d lab0 239.1.1.1
check "corrupt state: no runtime join" igmp_lacks d lab0 239.2.2.2

lab_done
