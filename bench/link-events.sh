#!/usr/bin/env bash
# Cost of one link event with a large config on a host with many interfaces (issue 10, item 11);
# run by hand, not part of `make check`.
#
#   bench/link-events.sh [ROUNDS] [POLICIES] [LINKS]   (as root, from a built tree;
#                                                      default 100 10000 1000)
#
# The daemon runs in a namespace with LINKS interfaces (veth pairs lk0x..) and POLICIES policies,
# each with one pattern (policy i: [ "lk<i % LINKS>[x]" ], a group of its own), so that every
# interface holds POLICIES / LINKS groups. Then bench/ifchurn creates and deletes the pair
# ev0x/ev0x-p ROUNDS times (4 link events a round; ev0x matches one more policy) and reports
# the time from creation to the group on ev0x. The daemon's CPU time over those rounds, divided
# by the events, is the cost of one event. top_builddir= selects the daemon measured, so that
# two builds (before and after a change) are compared on the same machine.
#
# Measured (2 cores, shared and loaded: load average 14-18; `make bench-link-events`, or
# top_builddir=BUILD bench/link-events.sh 100 10000 1000), 400 link events:
#   before (members matched every pattern against every link):   39.05 ms of CPU per event,
#                                         rejoin latency median 1102 ms, p99 1479 ms
#   after (only the interface of the event, index on the name):   0.55 ms of CPU per event,
#                                         rejoin latency median 95 ms, p99 156 ms
set -u
ROUNDS=${1:-100}
POLICIES=${2:-10000}
LINKS=${3:-1000}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
export top_builddir top_srcdir
. "$top_srcdir/tests/lab/lib.sh"

cc -O2 -o "$LAB_TMP/ifchurn" "$top_srcdir/bench/ifchurn.c" -lmnl || exit 1
lab_ns b
for ((j = 0; j < LINKS; j += 2)); do
	echo "link add lk${j}x type veth peer name lk$((j + 1))x"
done >"$LAB_TMP/links"
lab_ip b -batch "$LAB_TMP/links" || exit 1
{
	echo "policies = ("
	for ((i = 0; i < POLICIES; i++)); do
		echo "{ name = \"p$i\"; group = \"239.$((20 + i / 65536)).$((i / 256 % 256)).$((i % 256))\";" \
			"interfaces = [ \"lk$((i % LINKS))[x]\" ]; action = \"join\"; },"
	done
	echo "{ name = \"ev\"; group = \"239.30.0.1\"; interfaces = [ \"ev[0-9]x\" ]; action = \"join\"; }"
	echo ");"
} >"$LAB_TMP/conf"
t0=$(date +%s%N)
DAEMON_LOG=$LAB_TMP/daemon.log
ip netns exec "$LAB_ID-b" "$IPV4OPTD" -n -f "$LAB_TMP/conf" -S "$LAB_TMP/ctl.sock" \
	--state-dir "$LAB_TMP/state" >"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
LAB_PIDS+=("$DAEMON_PID")
lab_wait 600 grep -q "Started:" "$DAEMON_LOG" || { echo "daemon did not start"; exit 1; }
echo "ipv4optd ($IPV4OPTD): $POLICIES pattern policies, $(lab_ip b -o link | wc -l) links," \
	"started in $(( ($(date +%s%N) - t0) / 1000000 )) ms;" \
	"$(grep -o '[0-9]* memberships joined' "$DAEMON_LOG" | tail -1)"
hz=$(getconf CLK_TCK)
c0=$(awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat")
w0=$(date +%s%N)
lat=$(lab_exec b "$LAB_TMP/ifchurn" ev0x 239.30.0.1 "$ROUNDS" 5000 | tail -1)
w1=$(date +%s%N)
c1=$(awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat")
events=$((ROUNDS * 4))
echo "rejoin latency over $ROUNDS rounds: $lat"
awk -v c=$((c1 - c0)) -v hz="$hz" -v n=$events -v w=$(( (w1 - w0) / 1000 )) 'BEGIN {
	printf "daemon CPU: %d ticks (1/%d s) for %d link events: %.3f ms per event (%.0f s wall)\n",
		c, hz, n, c * 1000 / hz / n, w / 1e6 }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
lab_daemon_stop >/dev/null
