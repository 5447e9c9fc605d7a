#!/usr/bin/env bash
# Fault storm (issue 6): a forced rtnetlink overrun. The daemon runs with the smallest
# receive buffer the kernel allows (--netlink-rcvbuf 1024), and a burst of interface creations
# and deletions overflows it: events are lost (ENOBUFS). The daemon must say so, dump links
# again (resynchronize), and end with wanted == held: interfaces deleted during the burst are
# left, interfaces created during it are joined, interfaces created and deleted within it leave
# no trace, in the kernel's tables and in `ipv4ctl show`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storm-lib.sh"

lab_ns d
lab_ns peer
mcfilter_anchor d
PEER_NS=$LAB_ID-peer
for i in $(seq 1 10); do
	lab_veth d "v$i" peer "pv$i"
done
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "pat"; group = "239.2.1.1"; interfaces = [ "v*" ]; action = "join"; },
  { name = "ssm"; group = "232.2.1.1"; sources = [ "10.0.0.1" ]; interfaces = [ "v*" ];
    action = "join"; },
  { name = "lit"; group = "239.2.1.2"; interfaces = [ "v1", "v2" ]; action = "join"; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf" --netlink-rcvbuf 1024
check "before: 2 x 10 pattern memberships + 2 literal ones" [ "$(igmp_table d | wc -l)" -eq 22 ]

# The kernel raises a tiny SO_RCVBUF to its minimum (SOCK_MIN_RCVBUF, about 2 KiB): one
# message fills it. `ss` shows what the daemon's rtnetlink socket took.
rb=$(lab_exec d ss -f netlink -m -p 2>/dev/null | grep "rtnl:ipv4optd/$DAEMON_PID " |
	grep -o 'rb[0-9]*' | tr -d rb | head -1)
echo "# rtnetlink receive buffer of the daemon: ${rb:-unknown} bytes"
check "the daemon's rtnetlink socket has a tiny receive buffer (${rb:-?} bytes)" \
	[ "${rb:-99999}" -le 8192 ]

# Burst A, while the daemon is stopped, so that it certainly overruns: v11 created (its event
# is the one still queued when the daemon reads again) and deleted later in the burst; v1..v6
# deleted; v12..v60 created and v12..v20 deleted again; v2 created again (a new index under a
# literal name).
# Burst B, right after, while the daemon reads the overrun and dumps: v61..v100 created,
# v61..v70 deleted. Events lost while it dumps must be reported again, not lost in silence.
{
	echo "link add v11 type veth peer name pv11 netns $PEER_NS"
	for i in $(seq 1 6); do echo "link del v$i"; done
	for i in $(seq 12 60); do echo "link add v$i type veth peer name pv$i netns $PEER_NS"; done
	for i in $(seq 11 20); do echo "link del v$i"; done
	echo "link add v2 type veth peer name pv2 netns $PEER_NS"
} >"$LAB_TMP/burst-a"
{
	for i in $(seq 61 100); do echo "link add v$i type veth peer name pv$i netns $PEER_NS"; done
	for i in $(seq 61 70); do echo "link del v$i"; done
} >"$LAB_TMP/burst-b"
start=$(date +%s%N)
kill -STOP "$DAEMON_PID"
lab_ip d -batch "$LAB_TMP/burst-a"
rc_a=$?
kill -CONT "$DAEMON_PID"
lab_ip d -batch "$LAB_TMP/burst-b"
rc_b=$?
echo "# bursts of $(cat "$LAB_TMP/burst-a" "$LAB_TMP/burst-b" | wc -l) link changes in" \
	"$(( ($(date +%s%N) - start) / 1000000 )) ms"
check "the bursts ran" [ "$rc_a" -eq 0 -a "$rc_b" -eq 0 ]

check "the daemon logged the overrun" \
	lab_wait 10 grep -q "rtnetlink receive queue overrun: events lost" "$DAEMON_LOG"
check "... and resynchronized" lab_wait 10 grep -q "resynchronizing" "$DAEMON_LOG"
check "... without failing to" log_lacks 'Failed to resynchronize'

# wanted == held. Interfaces now: v2 (new), v7..v10, v21..v60, v71..v100.
final=(v2 v7 v8 v9 v10)
for i in $(seq 21 60) $(seq 71 100); do final+=("v$i"); done
: >"$LAB_TMP/igmp.want"
: >"$LAB_TMP/mcf.want"
for i in "${final[@]}"; do
	printf '%s 239.2.1.1 1\n%s 232.2.1.1 1\n' "$i" "$i" >>"$LAB_TMP/igmp.want"
	printf '%s 232.2.1.1 10.0.0.1 1 0\n' "$i" >>"$LAB_TMP/mcf.want"
done
echo "v2 239.2.1.2 1" >>"$LAB_TMP/igmp.want"
settle=$(date +%s%N)
check "after: the daemon has handled every event since (a marker interface after them)" \
	links_barrier d peer
check "after: /proc/net/igmp holds exactly the memberships of the ${#final[@]} interfaces" \
	table_eventually 10 "$LAB_TMP/igmp.want" igmp_table d
echo "# settled $(( ($(date +%s%N) - settle) / 1000000 )) ms after the bursts;" \
	"overruns reported: $(grep -c 'receive queue overrun' "$DAEMON_LOG")"
check "after: /proc/net/mcfilter holds exactly their source filters" \
	table_eventually 10 "$LAB_TMP/mcf.want" mcfilter_table d

# ipv4ctl show: one member per (policy, interface) that exists, joined on its current index;
# the literal v1 waits; nothing for the deleted ones; no interface that does not exist.
{
	for i in "${final[@]}"; do
		echo "pat $i joined"
		echo "ssm $i joined"
	done
	echo "lit v1 waiting"
	echo "lit v2 joined"
} >"$LAB_TMP/show.want"
show_states() {
	show_members "$LAB_TMP/ctl.sock" | awk '{ print $2, $6, $8 }' | sort
}
joined_on_current_index() {
	local ok=0 ifn idx st
	while read -r _ _ _ _ _ ifn idx st; do
		[ "$st" = joined ] || continue
		[ "$idx" = "$(ifindex d "$ifn")" ] && continue
		echo "  $ifn: held on index $idx" >&2
		ok=1
	done < <(show_members "$LAB_TMP/ctl.sock")
	return $ok
}
show_interfaces() {
	"$IPV4CTL" -S "$LAB_TMP/ctl.sock" -j show |
		python3 -c 'import json, sys; [print(i["ifname"]) for i in json.load(sys.stdin)["interfaces"]]' |
		sort
}
lab_ip d -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort >"$LAB_TMP/ifs.want"
check "after: ipv4ctl show lists exactly the existing interfaces' members" \
	table_is "$LAB_TMP/show.want" show_states
check "after: each joined member is held on its interface's current index" \
	joined_on_current_index
check "after: ipv4ctl show lists exactly the interfaces that exist" \
	table_is "$LAB_TMP/ifs.want" show_interfaces

check "daemon still running" kill -0 "$DAEMON_PID"
# Read while the process still exists (the kernel drops a dead process's memberships anyway).
nothing_held() {
	[ "$(igmp_table d | wc -l)" -eq 0 ] && [ "$(mcfilter_table d | wc -l)" -eq 0 ]
}
check_held_at_exit "SIGTERM: every group left, before the process ends" nothing_held
check "SIGTERM: exit status 0 ($DAEMON_RC)" [ "$DAEMON_RC" -eq 0 ]
lab_done
