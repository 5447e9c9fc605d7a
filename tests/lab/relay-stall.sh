#!/usr/bin/env bash
# Stall recovery: a policy without traffic for stall_timeout warns once, leaves and rejoins its
# group (new reports on the wire, the membership held after), keeps rejoining while the
# stall lasts, and says when traffic is back; a policy with traffic is left alone while its
# traffic flows and stalls once it stops; rejoin_interval rejoins periodically.
#
# Facts, polled with a deadline: how many rejoins fit in a stretch of wall time is a timing
# figure and is not asserted; the busy policy is read while its sender still runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "quiet"; group = "239.10.0.9"; interfaces = [ "in0" ]; port = 5009; action = "relay";
    relay = { to = "239.20.0.9:6009"; interface = "out0"; }; stall_timeout = 1; },
  { name = "busy"; group = "239.10.0.10"; interfaces = [ "in0" ]; port = 5010; action = "relay";
    relay = { to = "239.20.0.10:6010"; interface = "out0"; }; stall_timeout = 5; },
  { name = "periodic"; group = "239.10.0.11"; interfaces = [ "in0" ]; action = "join";
    rejoin_interval = 1; }
);
CONF
# IGMP as the sender's side of the link sees it, from before the daemon's first joins.
lab_exec src tcpdump -i s0 -nn -l -v igmp >"$LAB_TMP/igmp.txt" 2>"$LAB_TMP/igmp.err" &
LAB_PIDS+=("$!")
lab_wait 10 grep -q "listening on" "$LAB_TMP/igmp.err" || { echo "tcpdump did not start"; exit 99; }
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 joined 239.10.0.9
# busy: 200 datagrams/s (5 ms apart against a 5 s stall_timeout: a sender starved for seconds on
# a loaded machine is still no stall) until it is stopped below.
# Not through lab_exec (a shell function): $! must be mcsend itself, to stop it.
ip netns exec "$LAB_ID-src" "$MCSEND" -s 10.80.1.2 -I s0 -d 120 -r 200 -b 32 -l 64 \
	239.10.0.10:5010 >/dev/null &
busy_pid=$!
LAB_PIDS+=("$busy_pid")

# reports GROUP: IGMP reports for GROUP seen so far. The kernel folds a leave followed at once
# by a join into a fresh state-change report (and its retransmission): what a snooping switch
# that lost the entry needs to hear. A policy never rejoined shows only its first join's.
reports() {
	grep -c "gaddr $1 to_ex" "$LAB_TMP/igmp.txt"
}
more_reports() {
	[ "$(reports "$1")" -gt "$(reports "$2")" ]
}
busy_flows() {
	stat_ge busy packets_sent "$1"
}

check "stall: warned" lab_wait 10 grep -q \
	"Policy quiet: no traffic for .* left and rejoined 1 membership" "$DAEMON_LOG"
check "stall: counted" stat_wait quiet stalls 1
check "stall: rejoined again while the stall lasts (rejoins >= 2)" \
	lab_wait 10 stat_ge quiet rejoins 2
check "stall: still one stall, warned once" \
	[ "$(stat_of quiet stalls) $(grep -c 'quiet: no traffic' "$DAEMON_LOG")" = "1 1" ]
check "stall: held on in0 after the rejoins" lab_wait 5 joined 239.10.0.9
check "stall: fresh reports for 239.10.0.9 beyond a first join's (239.10.0.10's)" \
	lab_wait 10 more_reports 239.10.0.9 239.10.0.10
check "rejoin_interval: rejoins counted (>= 2)" lab_wait 10 stat_ge periodic rejoins 2
check "rejoin_interval: fresh reports for 239.10.0.11 beyond a first join's" \
	lab_wait 10 more_reports 239.10.0.11 239.10.0.10
check "rejoin_interval: held" lab_wait 5 joined 239.10.0.11

# busy, read while its sender runs (quiet stalled twice meanwhile: more than 2 s of traffic).
busy_now=$(stat_of busy packets_sent)
check "busy policy: its traffic is relayed ($busy_now so far)" [ "$busy_now" -gt 0 ]
check "busy policy: no stall, no rejoin while traffic flows" \
	[ "$(stat_of busy stalls) $(stat_of busy rejoins) $(grep -c 'busy: no traffic' "$DAEMON_LOG")" = "0 0 0" ]
check "busy policy: its traffic still flows after that reading" \
	lab_wait 10 busy_flows $((busy_now + 20))
check "busy policy: its sender was still running" kill -0 "$busy_pid"

# The busy sender stops: now that policy stalls too, and recovers when traffic comes back.
kill "$busy_pid"
wait "$busy_pid" 2>/dev/null
check "busy stopped: stall detected and warned" lab_wait 20 grep -q \
	"Policy busy: no traffic for .* left and rejoined 1 membership" "$DAEMON_LOG"
check "busy stopped: stall counted" stat_wait busy stalls 1
busy_now=$(stat_of busy packets_sent)
send 10.80.1.2 239.10.0.10:5010 -n 20 -r 200 -b 32
check "busy again: its traffic is relayed" stat_wait busy packets_sent $((busy_now + 20))
check "busy again: traffic back is logged" \
	lab_wait 10 grep -q "Policy busy: traffic is back" "$DAEMON_LOG"

recv_start quiet -p 6009 -g 239.20.0.9 -I r0 -c 5 -T 30
send 10.80.1.2 239.10.0.9:5009 -n 5 -r 100 -b 32
wait "$RECV_PID"
check "quiet: traffic after the stall is relayed (5 at the receiver)" \
	[ "$(recv_value quiet packets)" = 5 ]
check "stall: traffic back is logged" \
	lab_wait 10 grep -q "Policy quiet: traffic is back" "$DAEMON_LOG"
lab_done
