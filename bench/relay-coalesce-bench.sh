#!/usr/bin/env bash
# Wake-up coalescing benchmark (coalesce_usec), run by hand or by `make bench-coalesce`; not
# part of `make check` (tests/lab/relay-coalesce.sh checks the facts: every datagram delivered,
# the key's range).
#
#   bench/relay-coalesce-bench.sh [N] [RATE]      (as root, from a built tree; 10000, 5000)
#   VALUES="2000 0" bench/relay-coalesce-bench.sh (coalesce_usec values; "default": unset)
#
# The data-path lab of tests/lab/relay-lib.sh; for each value, N datagrams of 1316 bytes at
# RATE per second through one relay policy. Reported: datagrams delivered, the daemon's
# wake-ups while they went through (its voluntary context switches from /proc/PID/status:
# each is a sleep in epoll_wait), wake-ups per datagram, and its wake-ups during 2 s idle
# after the traffic (0 expected: nothing stays armed). Figures depend on the machine's load:
# the script prints the load average; compare runs on a quiet machine.
set -u
N=${1:-10000}
RATE=${2:-5000}
VALUES=${VALUES:-2000 default 0}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
export top_builddir top_srcdir
. "$top_srcdir/tests/lab/lib.sh"
. "$top_srcdir/tests/lab/relay-lib.sh"
for p in "$IPV4OPTD" "$MCSEND" "$MCRECV"; do
	[ -x "$p" ] || { echo "missing $p: build first (make all tests/lab/mcsend tests/lab/mcrecv)"; exit 1; }
done

conf() {
	{
		[ "$1" != default ] && echo "coalesce_usec = $1;"
		cat <<CONF
policies = (
  { name = "tv"; group = "239.10.0.5"; interfaces = [ "in0" ]; port = 5000; action = "relay";
    relay = { to = "239.20.0.5:6000"; interface = "out0"; }; }
);
CONF
	} >"$LAB_TMP/conf"
}

wakeups() {
	sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "/proc/$DAEMON_PID/status"
}

relay_lab
echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $N datagrams of 1316 bytes at $RATE/s per value"
printf '%-14s %10s %10s %12s %12s\n' coalesce_usec delivered wake-ups per-datagram idle-2s
first=1
for v in $VALUES; do
	conf "$v"
	if [ $first = 1 ]; then
		# Not through lab_daemon_start's function: $! must be the daemon for /proc/PID.
		DAEMON_LOG=$LAB_TMP/daemon.log
		ip netns exec "$LAB_ID-d" "$IPV4OPTD" -n -f "$LAB_TMP/conf" -S "$SOCK" \
			--state-dir "$LAB_TMP/state" >"$DAEMON_LOG" 2>&1 &
		DAEMON_PID=$!
		LAB_PIDS+=("$DAEMON_PID")
		lab_wait 10 grep -q "Started:" "$DAEMON_LOG" || { cat "$DAEMON_LOG"; exit 1; }
		lab_wait 5 joined 239.10.0.5 || { echo "group not joined"; exit 1; }
		first=0
	else
		"$IPV4CTL" -S "$SOCK" reload >/dev/null || { echo "reload to $v failed"; exit 1; }
	fi
	recv_start "run$v" -p 6000 -g 239.20.0.5 -I r0 -c "$N" -T $((N / RATE + 30))
	w0=$(wakeups)
	send 10.80.1.2 239.10.0.5:5000 -n "$N" -l 1316 -r "$RATE"
	wait "$RECV_PID"
	wake=$(($(wakeups) - w0))
	got=$(recv_value "run$v" packets)
	sleep 0.5
	w0=$(wakeups)
	sleep 2
	idle=$(($(wakeups) - w0))
	printf '%-14s %10s %10s %12s %12s\n' "$v" "$got" "$wake" \
		"$(awk -v w="$wake" -v n="$got" 'BEGIN { printf "%.3f", n ? w / n : 0 }')" "$idle"
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
lab_daemon_stop >/dev/null
