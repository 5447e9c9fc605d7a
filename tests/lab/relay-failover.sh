#!/usr/bin/env bash
# redundancy "failover": a primary and a backup sender of one group on two paths into a relay
# policy with two inputs. The primary is forwarded, the backup counted inactive; the primary
# stops: the backup is forwarded after a gap of at most failover_timeout_ms + 50 ms; the
# primary resumes: the output goes back to it after revert_after, not before. switches counts
# both, the log has both.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redund-lib.sh"

redund_lab
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "ch"; port = 5000; action = "relay";
    relay = { to = "239.31.0.1:6000"; interface = "out0"; };
    redundancy = "failover"; failover_timeout_ms = 200; revert_after = 2;
    inputs = ( { group = "239.1.1.1"; interfaces = [ "inA" ]; },
               { group = "239.1.1.1"; interfaces = [ "inB" ]; } ); }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
both_joined() {
	joined inA 239.1.1.1 && joined inB 239.1.1.1
}
check "both inputs held" lab_wait 10 both_joined
recv_start -p 6000 -g 239.31.0.1 -I r0 -T 120

# primary (SSRC 1) and backup (SSRC 2), 1000/s each; started directly so that $! is rtpdup
start_sender() { # SSRC SRC,IF
	ip netns exec "$LAB_ID-src" "$RTPDUP" send -d 100 -r 1000 -S "$1" -a "$2" \
		239.1.1.1:5000 >/dev/null &
	SENDER_PID=$!
	LAB_PIDS+=("$SENDER_PID")
}
start_sender 1 10.81.1.2,sA
primary=$SENDER_PID

# active_is INPUT SWITCHES
active_is() {
	stat_is ch active_input "$1" && stat_is ch switches "$2"
}
# ssrc_seen SSRC [AFTER_LINE]: a packet of SSRC arrived (after line AFTER_LINE of the output)
ssrc_seen() {
	tail -n +"$((${2:-0} + 1))" "$LAB_TMP/recv.out" | awk -v s="$1" '$2 == s { f = 1 } END { exit !f }'
}
check "the primary is forwarded" lab_wait 10 ssrc_seen 1
# The backup only once the primary is heard: a backup heard first while the primary is still
# silent would (rightly) be switched to.
start_sender 2 10.81.2.2,sB
backup=$SENDER_PID
check "the backup is counted inactive" lab_wait 10 stat_ge ch inputs.2.inactive_packets 100
check "the backup is not forwarded while the primary is healthy" bash -c "! awk '\$2 == 2' '$LAB_TMP/recv.out' | grep -q ."
check "active_input 1, no switch yet" active_is 1 0

kill "$primary"
wait "$primary" 2>/dev/null
check "the primary stopped: the backup is forwarded" lab_wait 10 ssrc_seen 2
check "the longest gap at the switch is at most 250 ms (failover_timeout_ms + 50)" \
	python3 - "$LAB_TMP/recv.out" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
i = next(k for k, r in enumerate(rows) if r[1] == 2)
gap = (rows[i][2] - rows[i - 1][2]) / 1000.0
print("gap at the switch: %.1f ms" % gap)
sys.exit(0 if gap <= 250 else 1)
PY
check "switches 1, active_input 2" lab_wait 5 active_is 2 1
check "ipv4ctl show: input 2 is active" bash -c \
	"'$IPV4CTL' -S '$SOCK' show | grep -qE '^ch +239.1.1.1,239.1.1.1 .*relay, failover, active 2'"
check "the switch is logged" grep -q "Policy ch: input 2 (239.1.1.1) is active, was input 1" "$DAEMON_LOG"

lines=$(wc -l <"$LAB_TMP/recv.out")
resumed=$(python3 -c 'import time; print(int(time.monotonic() * 1e6))')
start_sender 1 10.81.1.2,sA
check "the primary resumed: it is forwarded again" lab_wait 20 ssrc_seen 1 "$lines"
check "not before revert_after (2 s) of health" python3 - "$LAB_TMP/recv.out" "$lines" "$resumed" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1])][int(sys.argv[2]):]
t = next(r[2] for r in rows if r[1] == 1)
print("back after %.2f s" % ((t - int(sys.argv[3])) / 1e6))
sys.exit(0 if t - int(sys.argv[3]) >= 2000000 else 1)
PY
check "switches 2, active_input 1" lab_wait 5 active_is 1 2
check "the switch back is logged" grep -q "Policy ch: input 1 (239.1.1.1) is active, was input 2: the primary is healthy again" "$DAEMON_LOG"
check "the longest gap of the whole run is at most 250 ms (both switches)" \
	python3 - "$LAB_TMP/recv.out" <<'PY'
import sys
t = [int(l.split()[2]) for l in open(sys.argv[1])]
gap = max(b - a for a, b in zip(t, t[1:])) / 1000.0
print("longest gap: %.1f ms over %d datagrams" % (gap, len(t)))
sys.exit(0 if gap <= 250 else 1)
PY
kill "$backup" 2>/dev/null
lab_done
