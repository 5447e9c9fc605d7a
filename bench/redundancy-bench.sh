#!/usr/bin/env bash
# Redundant inputs benchmark, run by hand (as root, from a built tree: make tests/lab/rtpdup);
# not part of `make check`.
#
#   bench/redundancy-bench.sh [SECONDS [RATE]]      (default 10 s at 20,000 datagrams/s)
#
# One daemon, two policies, in the lab of tests/lab/redund-lib.sh (src -> two paths -> d ->
# out0): "plain", a relay policy of one input; "plainrtp", the same with analyze = "rtp" (what
# merge implies); "merged", a relay policy with redundancy "merge" of two inputs carrying the
# same RTP stream on paths A and B (B 20 ms late in the sender's schedule, no loss). Same run,
# one after the other: RATE RTP datagrams/s (1328 bytes) into "plain", then "plainrtp", then
# RATE per input (2 x RATE in) into "merged". MERGE_WINDOW_MS=N: the merge window (50). CPU is utime + stime of the daemon
# (all threads, /proc/PID/stat, 10 ms ticks) over each phase, divided by the datagrams the
# policy sent (packets_sent); the relay runs on CPU 1, the sender on CPU 0 when there are two.
set -u
top_builddir=${top_builddir:-$(pwd)}
. "$(dirname "$0")/../tests/lab/lib.sh"
. "$(dirname "$0")/../tests/lab/redund-lib.sh"
SECS=${1:-10}
RATE=${2:-20000}
CPUS=$(nproc)
pin_d=(); pin_s=()
if [ "$CPUS" -ge 2 ]; then pin_d=(taskset -c 1); pin_s=(taskset -c 0); fi

redund_lab
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "plain"; group = "239.1.1.9"; interfaces = [ "inA" ]; port = 5009; action = "relay";
    relay = { to = "239.31.0.9:6009"; interface = "out0"; }; },
  { name = "plainrtp"; group = "239.1.1.8"; interfaces = [ "inA" ]; port = 5008;
    action = "relay"; relay = { to = "239.31.0.8:6008"; interface = "out0"; };
    analyze = "rtp"; },
  { name = "merged"; port = 5000; action = "relay";
    relay = { to = "239.31.0.1:6000"; interface = "out0"; };
    redundancy = "merge"; merge_window_ms = ${MERGE_WINDOW_MS:-50};
    inputs = ( { group = "239.1.1.1"; interfaces = [ "inA" ]; },
               { group = "239.1.1.1"; interfaces = [ "inB" ]; } ); }
);
CONF
IPV4OPTD_REAL=$IPV4OPTD
# started here rather than by lab_daemon_start, to pin it (ip netns exec and taskset exec:
# DAEMON_PID is the daemon)
DAEMON_LOG=$LAB_TMP/daemon.log; mkdir -p "$LAB_TMP/state"
ip netns exec "$LAB_ID-d" "${pin_d[@]}" "$IPV4OPTD_REAL" -n -f "$LAB_TMP/conf" -S "$SOCK" \
	--state-dir "$LAB_TMP/state" >>"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
LAB_PIDS+=("$DAEMON_PID")
lab_wait 10 grep -q "Started:" "$DAEMON_LOG" || { cat "$DAEMON_LOG"; exit 99; }
lab_wait 10 joined inB 239.1.1.1 || { echo "not joined"; exit 99; }
pid=$DAEMON_PID

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# phase NAME RTPDUP-SEND-ARGS...: prints NAME sent/s ticks cpu_us_per_datagram
phase() {
	local name=$1; shift
	local out0 c0 c1 out1 n us
	out0=$(stat_of "$name" packets_sent)
	c0=$(cpu_ticks "$pid")
	ip netns exec "$LAB_ID-src" "${pin_s[@]}" "$RTPDUP" send -d "$SECS" -r "$RATE" "$@" \
		>"$LAB_TMP/send-$name.out"
	sleep 0.5 # the window's last numbers (50 ms), then the counters settle
	c1=$(cpu_ticks "$pid")
	out1=$(stat_of "$name" packets_sent)
	n=$((out1 - out0))
	us=$(python3 -c "print('%.2f' % (($c1 - $c0) * 1e6 / $(getconf CLK_TCK) / max($n, 1)))")
	printf "%-8s in/s %-7s out %-8s cpu_ticks %-5s cpu_us_per_output %-6s sender_lag_max_ms %s\n" \
		"$name" "$(python3 -c "print(int($(sed -n 's/^sent=//p' "$LAB_TMP/send-$name.out") / \
			$(sed -n 's/^seconds=//p' "$LAB_TMP/send-$name.out")))")" "$n" "$((c1 - c0))" \
		"$us" "$(sed -n 's/^lag_max_ms=//p' "$LAB_TMP/send-$name.out")"
	echo "$us" >"$LAB_TMP/us-$name"
}
echo "# $(date -u +%FT%TZ) $(uname -r), $CPUS CPUs, $SECS s at $RATE/s per input, daemon $IPV4OPTD_REAL"
phase plain -a 10.81.1.2,sA 239.1.1.9:5009
phase plainrtp -a 10.81.1.2,sA 239.1.1.8:5008
phase merged -a 10.81.1.2,sA -b 10.81.2.2,sB -D 20 239.1.1.1:5000
python3 -c "print('merged/plain CPU per output datagram: %.2f, merged/plainrtp: %.2f' % ($(cat "$LAB_TMP/us-merged") / $(cat "$LAB_TMP/us-plain"), $(cat "$LAB_TMP/us-merged") / $(cat "$LAB_TMP/us-plainrtp")))"
echo "# merged: recovered $(stat_of merged recovered), lost_all $(stat_of merged lost_all), duplicates $(stat_of merged merge_duplicates), late $(stat_of merged merge_late), resyncs $(stat_of merged merge_resyncs), drops $(stat_of merged dropped_packets)"
