#!/usr/bin/env bash
# Stall recovery: a policy without traffic for stall_timeout warns once, leaves and rejoins its
# group (new reports on the wire, the membership held after), and says when
# traffic is back; a policy with traffic is left alone; rejoin_interval rejoins periodically.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "quiet"; group = "239.10.0.9"; interfaces = [ "in0" ]; port = 5009; action = "relay";
    relay = { to = "239.20.0.9:6009"; interface = "out0"; }; stall_timeout = 1; },
  { name = "busy"; group = "239.10.0.10"; interfaces = [ "in0" ]; port = 5010; action = "relay";
    relay = { to = "239.20.0.10:6010"; interface = "out0"; }; stall_timeout = 1; },
  { name = "periodic"; group = "239.10.0.11"; interfaces = [ "in0" ]; action = "join";
    rejoin_interval = 1; }
);
CONF
# IGMP as the sender's side of the link sees it.
lab_exec src tcpdump -i s0 -nn -l -v igmp >"$LAB_TMP/igmp.txt" 2>/dev/null &
LAB_PIDS+=("$!")
sleep 0.5
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 joined 239.10.0.9
send 10.80.1.2 239.10.0.10:5010 -d 3.5 -r 200 -l 64 &
busy_pid=$!

lab_wait 4 grep -q "Policy quiet: no traffic for" "$DAEMON_LOG"
check "stall: warned" grep -q "Policy quiet: no traffic for .* left and rejoined 1 membership" \
	"$DAEMON_LOG"
wait "$busy_pid"
check "stall: still held on in0 after the rejoins" joined 239.10.0.9
check "stall: rejoined about once a second (3 s: 2-5 rejoins)" \
	bash -c "r=\$(\"$IPV4CTL\" -S \"$SOCK\" -j stats quiet | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"policies\"][\"quiet\"][\"rejoins\"])'); [ \$r -ge 2 ] && [ \$r -le 5 ]"
check "stall: one stall, warned once" \
	[ "$(stat_of quiet stalls) $(grep -c 'quiet: no traffic' "$DAEMON_LOG")" = "1 1" ]
# The kernel folds a leave followed at once by a join into a fresh state-change report (and
# its retransmission): what a snooping switch that lost the entry needs to hear. A policy
# never rejoined shows only the reports of its first join.
reports() {
	grep -c "gaddr $1 to_ex" "$LAB_TMP/igmp.txt"
}
check "stall: fresh reports for 239.10.0.9 ($(reports 239.10.0.9)) beyond a first join's ($(reports 239.10.0.10))" \
	[ "$(reports 239.10.0.9)" -gt "$(reports 239.10.0.10)" ]
check "busy policy: no stall while traffic flows" \
	[ "$(stat_of busy rejoins)$(grep -c 'busy: no traffic' "$DAEMON_LOG")" = 00 ]
check "busy policy: its traffic was relayed" [ "$(stat_of busy packets_sent)" -gt 500 ]

send 10.80.1.2 239.10.0.9:5009 -n 5 -r 100
lab_wait 3 grep -q "Policy quiet: traffic is back" "$DAEMON_LOG"
check "stall: traffic back is logged" grep -q "Policy quiet: traffic is back" "$DAEMON_LOG"

check "rejoin_interval: fresh reports for 239.10.0.11 ($(reports 239.10.0.11))" \
	[ "$(reports 239.10.0.11)" -gt "$(reports 239.10.0.10)" ]
check "rejoin_interval: held" joined 239.10.0.11
lab_done
