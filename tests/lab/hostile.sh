#!/usr/bin/env bash
# Hostile clients of the control socket (issue 4): malformed JSON, a non-object, an unknown
# command, oversized messages, requests cut in half (closed or left silent), a reader that
# never reads, vanishing clients and 100 concurrent clients (tests/lab/hostile.c). The daemon
# answers or drops each, serves others meanwhile, stays alive, and keeps every membership in
# the kernel's tables.
. "$(dirname "$0")/lib.sh"

HOSTILE=$top_builddir/tests/lab/hostile
CTL_SOCK=$LAB_TMP/ctl.sock

lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
lab_ip peer link set p0 up
conf=$LAB_TMP/ipv4optd.conf
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; },
  { name = "ssm"; group = "232.1.1.1"; sources = [ "10.9.0.7" ]; interfaces = [ "lab0" ];
    action = "join"; }
);
CONF
lab_daemon_start d "$conf"
# The runtime join is source-specific too: /proc/net/mcfilter skips a device whose most recent
# group has no source filter (seen on this kernel), and this one is joined last.
check "runtime join before the attack" "$IPV4CTL" -S "$CTL_SOCK" join 232.2.2.2 source 10.9.0.8 dev lab0
check "before: config ASM membership in /proc/net/igmp" igmp_has d lab0 239.1.1.1
check "before: config SSM membership in /proc/net/mcfilter" \
	[ "$(mcfilter_mode d lab0 232.1.1.1 10.9.0.7)" = include ]
check "before: runtime SSM membership in /proc/net/mcfilter" \
	[ "$(mcfilter_mode d lab0 232.2.2.2 10.9.0.8)" = include ]

check "hostile clients: every check of tests/lab/hostile.c" "$HOSTILE" "$CTL_SOCK"

check "daemon alive" kill -0 "$DAEMON_PID"
check "config ASM membership still in /proc/net/igmp" igmp_has d lab0 239.1.1.1
check "config SSM membership still in /proc/net/mcfilter" \
	[ "$(mcfilter_mode d lab0 232.1.1.1 10.9.0.7)" = include ]
check "runtime SSM membership still in /proc/net/mcfilter" \
	[ "$(mcfilter_mode d lab0 232.2.2.2 10.9.0.8)" = include ]
check "all three groups still in /proc/net/igmp" bash -c "[ $(igmp_count d lab0) -eq 3 ]"
check "ipv4ctl status still answered" "$IPV4CTL" -S "$CTL_SOCK" status
check "show lists three joined memberships" bash -c "'$IPV4CTL' -S '$CTL_SOCK' -j show | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert sum(m[\"state\"] == \"joined\" for m in d[\"members\"]) == 3'"
check "clean stop: exit 0" lab_daemon_stop
lab_done
