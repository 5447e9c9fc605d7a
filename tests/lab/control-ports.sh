#!/usr/bin/env bash
# Runtime joins bind only the ports of relay or log policies (issue 10, item 6), also when the
# join did not come through `ipv4ctl join`:
# - a reload that removes the policy of a runtime join's port leaves that join (warning in the
#   log, the group gone from /proc/net/igmp, the port no longer bound, the state file
#   rewritten), while a runtime join on a port still received on stays;
# - a state file naming a port no policy receives on (written by an older version, or by hand)
#   is not restored onto that port, not even for a moment (a service holding the port without
#   SO_REUSEADDR would make such a bind fail); its other joins are.
. "$(dirname "$0")/lib.sh"

lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
lab_ip peer link set p0 up
SOCK=$LAB_TMP/ctl.sock
STATE=$LAB_TMP/state/runtime-joins.json
ctl() { lab_exec d "$IPV4CTL" -S "$SOCK" "$@"; }
bound() { lab_udp_bound d "$1"; }
unbound() { ! lab_udp_bound d "$1"; }
logged() { grep -qF -- "$1" "$DAEMON_LOG"; }
state_has() { grep -qF -- "\"$1\"" "$STATE"; }

conf=$LAB_TMP/ipv4optd.conf
write_conf() { # PORTS...: one log policy per port
	local p
	{
		echo "policies = ("
		for p in "$@"; do
			echo "  { name = \"log$p\"; group = \"239.9.0.$((p - 5000))\"; interfaces = [ \"lab0\" ];"
			echo "    action = \"log\"; port = $p; log = { target = \"journal\"; }; },"
		done
		echo "  { name = \"tv\"; group = \"239.1.1.1\"; interfaces = [ \"lab0\" ]; action = \"join\"; }"
		echo ");"
	} >"$conf"
}

# --- a reload that removes a runtime join's port
write_conf 5001 5002
lab_daemon_start d "$conf"
check "join on port 5001 (a log policy's port)" ctl join 239.3.3.1 dev lab0 port 5001
check "join on port 5002 (a log policy's port)" ctl join 239.3.3.2 dev lab0 port 5002
check "239.3.3.1 joined" lab_wait 10 igmp_has d lab0 239.3.3.1
check "239.3.3.2 joined" lab_wait 10 igmp_has d lab0 239.3.3.2
check "state file lists both" lab_wait 10 bash -c "grep -qF 239.3.3.1 '$STATE' && grep -qF 239.3.3.2 '$STATE'"

write_conf 5002
check "reload without the policy of port 5001 succeeds" ctl reload
check "the join on port 5001 is left, with a warning naming it" lab_wait 10 \
	logged "Runtime join of 239.3.3.1 on lab0 left: port 5001 is not the port of a relay or log policy"
check "239.3.3.1 no longer held" lab_wait 10 igmp_lacks d lab0 239.3.3.1
check "port 5001 no longer bound" lab_wait 10 unbound 5001
check "state file no longer lists 239.3.3.1" lab_wait 10 bash -c "! grep -qF 239.3.3.1 '$STATE'"
check "show no longer lists 239.3.3.1" bash -c "! '$IPV4CTL' -S '$SOCK' show | grep -qF 239.3.3.1"
check "the join on port 5002 stays held" igmp_has d lab0 239.3.3.2
check "port 5002 still bound" bound 5002
check "state file still lists 239.3.3.2" state_has 239.3.3.2
check "stop: exit 0" lab_daemon_stop

# --- a state file with a port no policy receives on
python3 - "$STATE" <<'PY'
import json, sys
path = sys.argv[1]
d = json.load(open(path))
joins = d["joins"]
foreign = dict(joins[0]); foreign["group"] = "239.3.3.53"; foreign["port"] = 53
held = dict(joins[0]); held["group"] = "239.3.3.9"; held.pop("port", None)
joins += [foreign, held]
json.dump(d, open(path, "w"))
PY
check "state file now names port 53" grep -q '"port": *53' "$STATE"
# Another service holds UDP port 53 (no SO_REUSEADDR): a daemon that bound the port even for a
# moment before leaving the join would fail that bind ("Address already in use") in its log.
: >"$LAB_TMP/recv.53"
lab_exec d socat -u UDP4-RECV:53 "OPEN:$LAB_TMP/recv.53,append" 2>/dev/null &
LAB_PIDS+=("$!")
lab_wait 10 lab_udp_bound d 53 || { echo "the service on port 53 did not start"; exit 99; }
lab_daemon_start d "$conf"
check "start: the join on port 53 is left, with a warning" lab_wait 10 \
	logged "Runtime join of 239.3.3.53 on lab0 left: port 53 is not the port of a relay or log policy"
check "239.3.3.53 not held" lab_wait 10 igmp_lacks d lab0 239.3.3.53
check "port 53 never bound by the daemon (no failed bind in its log)" \
	bash -c "! grep -qi 'address already in use' '$DAEMON_LOG'"
check "the other service on port 53 still receives" lab_traffic_flows d 127.0.0.1 127.0.0.1 53
check "state file no longer names 239.3.3.53" lab_wait 10 bash -c "! grep -qF 239.3.3.53 '$STATE'"
check "the join on port 5002 is restored" lab_wait 10 igmp_has d lab0 239.3.3.2
check "port 5002 bound" lab_wait 10 bound 5002
check "the join without a port is restored" lab_wait 10 igmp_has d lab0 239.3.3.9
lab_done
