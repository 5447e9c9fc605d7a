#!/usr/bin/env bash
# Stream analysis in the data plane (issue 12, item 5), run by hand or by
# `make bench-stream-dataplane` (part of `make bench`); not part of `make check`.
#
#   bench/stream-dataplane.sh                 (as root, from a built tree: make all
#                                              tests/lab/mcrecv bench/rtpts-send)
#   RATE=50000 SECONDS_PER_RUN=5 ROUNDS=3 bench/stream-dataplane.sh
#
# The data-path lab of tests/lab/relay-lib.sh (src -> d -> rcv, veth pairs) and the measure of
# bench/dataplane-bench.sh: CPU is utime + stime of the daemon (all its threads, /proc/PID/stat)
# over a run, divided by the datagrams delivered to the receiver. One daemon, two relay
# policies that differ only in `analyze`: "none" and "rtp". bench/rtpts-send sends RTP (payload
# type 33) carrying 7 MPEG-TS packets per 1328-byte datagram at RATE/s to one policy, then to
# the other, ROUNDS times alternating, in one run: the ratio rtp/none is of the same daemon,
# lab and load. The daemon runs on CPU 1, sender and receiver on CPU 0 (2 CPUs or more).
# Afterwards the analysed policy's stream counters are shown: the stream arrived whole.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
export top_builddir top_srcdir
. "$top_srcdir/tests/lab/lib.sh"
. "$top_srcdir/tests/lab/relay-lib.sh"
cd "$LAB_TMP" || exit 1

RATE=${RATE:-50000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
ROUNDS=${ROUNDS:-3}
SENDER=$top_builddir/bench/rtpts-send
for p in "$IPV4OPTD" "$IPV4CTL" "$MCRECV" "$SENDER"; do
	[ -x "$p" ] || { echo "missing $p: build first (make all tests/lab/mcrecv bench/rtpts-send)"; exit 1; }
done
NCPU=$(nproc)
CPU_SEND=0
CPU_RELAY=$((NCPU > 1 ? 1 : 0))
CLK_TCK=$(getconf CLK_TCK)

ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
us_per() {
	awk -v t="$1" -v h="$CLK_TCK" -v n="$2" 'BEGIN { printf "%.3f", (n > 0 ? t / h * 1e6 / n : 0) }'
}

relay_lab
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "none"; group = "239.1.1.1"; interfaces = [ "in0" ]; port = 5000; action = "relay";
    relay = { to = "239.2.2.1:6000"; interface = "out0"; }; },
  { name = "rtp"; group = "239.1.1.2"; interfaces = [ "in0" ]; port = 5000; action = "relay";
    relay = { to = "239.2.2.2:6000"; interface = "out0"; }; analyze = "rtp"; }
);
CONF
: >"$LAB_TMP/daemon.log"
ip netns exec "$LAB_ID-d" taskset -c "$CPU_RELAY" "$IPV4OPTD" -n -f "$LAB_TMP/conf" -S "$SOCK" \
	--state-dir "$LAB_TMP" >"$LAB_TMP/daemon.log" 2>&1 &
RPID=$!
LAB_PIDS+=("$RPID")
lab_wait 20 grep -q "Started:" "$LAB_TMP/daemon.log" || { echo "daemon did not start"; exit 1; }
lab_wait 10 joined 239.1.1.2 || { echo "not joined"; exit 1; }

# run POLICY GROUP OUT_GROUP: one run; prints "sent sent/s delivered cpu_us_per_datagram".
run() {
	local out rpid t0 t sent secs got
	ip netns exec "$LAB_ID-rcv" taskset -c "$CPU_SEND" "$MCRECV" -p 6000 -g "$3" -I r0 \
		-R 33554432 -T $((SECONDS_PER_RUN + 20)) -q 1000 >"$LAB_TMP/recv.out" 2>"$LAB_TMP/recv.err" &
	rpid=$!
	LAB_PIDS+=("$rpid")
	lab_wait 10 grep -q ready "$LAB_TMP/recv.err" || { echo "mcrecv did not start"; exit 1; }
	t0=$(ticks "$RPID")
	out=$(ip netns exec "$LAB_ID-src" taskset -c "$CPU_SEND" "$SENDER" -s 10.80.1.2 -I s0 \
		-r "$RATE" -d "$SECONDS_PER_RUN" "$2:5000")
	lab_reap "$rpid" 60 >/dev/null
	t=$(($(ticks "$RPID") - t0))
	sent=$(echo "$out" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
	secs=$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
	got=$(sed -n 's/^packets=//p' "$LAB_TMP/recv.out")
	echo "$sent $(awk -v n="$sent" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }') ${got:-0} $(us_per "$t" "${got:-0}")"
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $NCPU CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# daemon on CPU $CPU_RELAY, sender and receiver on CPU $CPU_SEND; RTP + 7 x TS, 1328 bytes, $RATE/s, $SECONDS_PER_RUN s per run"
echo
echo "| round | analyze | sent | sent/s | delivered | CPU µs/datagram |"
echo "|---|---|---|---|---|---|"
declare -A SUM=([none]=0 [rtp]=0)
for ((i = 1; i <= ROUNDS; i++)); do
	for p in none rtp; do
		g=239.1.1.1 og=239.2.2.1
		[ "$p" = rtp ] && g=239.1.1.2 og=239.2.2.2
		read -r sent pps got us <<<"$(run "$p" "$g" "$og")"
		echo "| $i | $p | $sent | $pps | $got | $us |"
		SUM[$p]=$(awk -v a="${SUM[$p]}" -v b="$us" 'BEGIN { print a + b }')
	done
done
echo
awk -v n="${SUM[none]}" -v r="${SUM[rtp]}" -v k="$ROUNDS" 'BEGIN {
	printf "mean: none %.3f µs, rtp %.3f µs per datagram: rtp/none x%.3f (target <= x1.15: %s)\n",
		n / k, r / k, (n > 0 ? r / n : 0), (n > 0 && r / n <= 1.15 ? "met" : "missed") }'
echo
echo "analysed stream (ipv4ctl -j stats rtp):"
"$IPV4CTL" -S "$SOCK" -j stats rtp | python3 -c '
import json, sys
s = json.load(sys.stdin)["policies"]["rtp"]["stream"]
print("  " + ", ".join("%s=%s" % (k, s[k]) for k in ("format", "rtp_ts", "datagrams", "rtp_lost",
      "rtp_duplicates", "rtp_reordered", "ts_packets", "ts_cc_errors", "ts_sync_errors",
      "jitter_ms", "max_gap_ms")))'
kill -TERM "$RPID"
lab_reap "$RPID" 30 >/dev/null
