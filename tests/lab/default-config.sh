#!/usr/bin/env bash
# The installed default config (conf/ipv4optd.conf, `make install` puts it in /etc) is inert
# (issue 10): on a host whose interfaces carry the names the lab's patterns match (lab0, lab*,
# vlan1*) and the names its commented examples use (eth0, eth1, eth2), the daemon starts,
# becomes READY, answers `ipv4ctl status`, and joins nothing: /proc/net/igmp lists 224.0.0.1
# only (every host's all-systems group, held by the kernel). Its commented examples, once
# uncommented, are a valid config (so they stay accurate), and joining at run time works.
. "$(dirname "$0")/lib.sh"

conf=$top_srcdir/conf/ipv4optd.conf
names=(lab0 lab1 lab2 lab9 vlan1 vlan100 vlan101 eth0 eth1 eth2 br0)

out=$("$IPV4OPTD" --test-config -f "$conf" 2>&1); rc=$?
check "ipv4optd --test-config -f conf/ipv4optd.conf: exit 0 ($out)" [ "$rc" -eq 0 ]
check "it has no policy" grep -q ", 0 policies" <<<"$out"

# The examples: "#" removed from the lines of the commented-out { ... } entries of policies.
sed -E '/^policies = \(/,/^\);/ s/^\t# ?(\t|\{|\}|$)/\1/' "$conf" >"$LAB_TMP/examples.conf"
out=$("$IPV4OPTD" --test-config -f "$LAB_TMP/examples.conf" 2>&1); rc=$?
check "its examples, uncommented, are valid: $out" [ "$rc" -eq 0 ]
check "and are 3 policies" grep -q ", 3 policies" <<<"$out"

# A host with those interfaces, up, with addresses and carrier.
lab_ns host
lab_ns peer
i=0
for dev in "${names[@]}"; do
	lab_veth host "$dev" peer "p$i"
	lab_ip host addr add "10.99.$i.1/24" dev "$dev"
	lab_ip host link set "$dev" up
	lab_ip peer link set "p$i" up
	i=$((i + 1))
done
carrier_everywhere() {
	local dev
	for dev in "${names[@]}"; do
		lab_ip host link show "$dev" | grep -q LOWER_UP || return 1
	done
}
check "the host's interfaces are up with carrier" lab_wait 10 carrier_everywhere

# only_all_systems NS: true if every group in NS's /proc/net/igmp is 224.0.0.1.
only_all_systems() {
	lab_exec "$1" cat /proc/net/igmp | awk '
		/^[0-9]/ { next }
		/^Idx/ { next }
		$1 != "010000E0" { bad = 1 }
		END { exit bad }'
}
check "before the daemon: the host holds 224.0.0.1 only" only_all_systems host

# The notify socket, as systemd listens on it: READY=1 comes after the first reconcile.
notify=$LAB_TMP/notify.sock
socat -u "UNIX-RECV:$notify" "OPEN:$LAB_TMP/notify.log,creat,append" 2>/dev/null &
LAB_PIDS+=("$!")
lab_wait 10 test -S "$notify" || { echo "the notify socket did not appear"; exit 99; }
NOTIFY_SOCKET=$notify lab_daemon_start host "$conf"
check "the daemon says READY=1" lab_wait 10 grep -q "READY=1" "$LAB_TMP/notify.log"
check "with nothing joined: STATUS=0 joined, 0 waiting, 0 failed" \
	lab_wait 10 grep -q "STATUS=0 joined, 0 waiting, 0 failed" "$LAB_TMP/notify.log"
ctl() {
	lab_exec host "$IPV4CTL" -S "$LAB_TMP/ctl.sock" "$@"
}
out=$(ctl status 2>&1); rc=$?
check "ipv4ctl status answers (exit 0)" [ "$rc" -eq 0 ]
check "ipv4ctl status: 0 policies" grep -q "(0 policies;" <<<"$out"
check "ipv4ctl status: 0 joined, 0 waiting, 0 failed" grep -q "0 joined, 0 waiting, 0 failed" <<<"$out"
no_members() {
	ctl -j show | python3 -c 'import json, sys; sys.exit(len(json.load(sys.stdin)["members"]) != 0)'
}
check "ipv4ctl -j show: no membership" no_members

# The daemon has read every interface (READY follows the first reconcile over the full link
# dump), so the table is final: 224.0.0.1 only, on every interface.
check "the daemon's namespace holds 224.0.0.1 only" only_all_systems host
for dev in "${names[@]}"; do
	check "no group on $dev" [ "$(igmp_count host "$dev")" -eq 0 ]
done

# An interface created later, with a name the old patterns matched: still nothing. Once the
# daemon has logged it, it has reconciled it.
lab_veth host vlan102 peer pv102
lab_ip host link set vlan102 up
check "the daemon sees vlan102 appear" lab_wait 10 grep -qF "Interface vlan102 appeared" "$DAEMON_LOG"
check "and joins nothing there" [ "$(igmp_count host vlan102)" -eq 0 ]
check "the host still holds 224.0.0.1 only" only_all_systems host

# The positive: the same daemon does join when asked (runtime join), so the empty table above
# is the config's doing, not a daemon unable to join.
out=$(ctl join 239.1.1.1 dev vlan100 2>&1); rc=$?
check "ipv4ctl join 239.1.1.1 dev vlan100: exit 0 ($out)" [ "$rc" -eq 0 ]
check "the kernel then holds 239.1.1.1 on vlan100" lab_wait 10 igmp_has host vlan100 239.1.1.1
out=$(ctl leave 239.1.1.1 dev vlan100 2>&1); rc=$?
check "ipv4ctl leave: exit 0 ($out)" [ "$rc" -eq 0 ]
check "and it is gone again" lab_wait 10 igmp_lacks host vlan100 239.1.1.1

lab_done
