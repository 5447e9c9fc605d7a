#!/usr/bin/env bash
# Data-plane benchmark (issue 11, item 7), run by hand or by `make bench-dataplane` (part of
# `make bench`); not part of `make check`.
#
#   bench/dataplane-bench.sh                      (as root, from a built tree: make bench/mclat
#                                                  bench/barerelay tests/lab/mcsend tests/lab/mcrecv)
#   SCENARIOS="latency policies" bench/dataplane-bench.sh      (a subset, in the order given)
#   OLD_IPV4OPTD=/path/to/old/ipv4optd bench/dataplane-bench.sh  (a second daemon, same run)
#   NEW_IPV4OPTD=/path/to/ipv4optd ...            (the daemon measured; default: the build's)
#   SECONDS_PER_RUN=3 LAT_SECONDS=2 ...           (length of each traffic run)
#
# The data-path lab of tests/lab/relay-lib.sh: src (the senders) -> d (the relay) -> rcv (the
# receivers), veth pairs, 1316-byte datagrams; the relay runs on CPU 1, sender and receiver on
# CPU 0 (taskset) when there are 2 CPUs or more. Each daemon runs alone, started for each
# scenario on that scenario's config and stopped after it (nothing else relays meanwhile).
# CPU is utime + stime of the relay process, all its threads (/proc/PID/stat, 10 ms ticks),
# over the run, divided by the datagrams delivered to the receiver; it includes the kernel's
# work on its sends (the veth transmit and the receiving namespace's softirq run in its
# context), for every relay alike. Scenarios (SCENARIOS, default all):
#   policies    1, 500 and 2,000 relay policies (one group each, round-robin, each relayed to a
#               group of its own) at 50,000 datagrams/s in total: loss, CPU per datagram,
#               ratio to the 1-policy figure of the same daemon.
#   fanout      one policy with 8 outputs (relay = ( {..}, ... )) against 8 policies of the same
#               group, 10,000/s in: CPU per datagram sent (delivered), ratio to 8 policies.
#   control     one relay policy at 50,000/s while 10,000 policies are held (9,999 join
#               policies on j0-j3): 200,000 datagrams per kind of control work: none, 4 reloads
#               of a config changing half its groups each time, 3 `ipv4ctl -j show`, 20
#               runtime join+leave; datagrams lost, and how long the work took.
#   latency     one-way p50/p99/max at 2,000 and 20,000/s (bench/mclat: CLOCK_MONOTONIC in the
#               payload) through each daemon, bench/barerelay -1 and socat, same run.
#   saturation  mcsend as fast as it goes through each daemon, socat, barerelay -m and -1:
#               delivered/s and CPU per datagram, ratios to socat and to barerelay -m.
#   cpu100k     CPU per datagram at 100,000/s of each daemon (ratio to the old daemon's).
#   status      `status` answer time, 20 times idle, then 20 times while mcsend saturates the
#               relay: max and median, of `ipv4ctl status` (wall clock around the command, its
#               exec included) and of the request alone on the control socket (one process,
#               a new connection each time: the daemon's part).
#   workers     8 policies at saturation, relay on every CPU: no `workers` key, then
#               workers = 2 (says how many CPUs the machine has).
# Then the issue's targets with this run's figures for ipv4optd (met / missed); a row whose
# sender fell more than 5 % short of its rate is noted under its table.
# A scenario whose config a daemon refuses (fan-out lists, workers: `--test-config` fails)
# is skipped for that daemon, with the reason. Figures are noisy on a shared machine: the
# load average is printed at the start and the end; compare ratios within one run.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
export top_builddir top_srcdir
. "$top_srcdir/tests/lab/lib.sh"
. "$top_srcdir/tests/lab/relay-lib.sh"
cd "$LAB_TMP" || exit 1 # nothing lands in the current directory

SCENARIOS=${SCENARIOS:-policies fanout control latency saturation cpu100k status workers}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
LAT_SECONDS=${LAT_SECONDS:-2}
NEW_IPV4OPTD=${NEW_IPV4OPTD:-$IPV4OPTD}
OLD_IPV4OPTD=${OLD_IPV4OPTD:-}
MCLAT=$top_builddir/bench/mclat
BARE=$top_builddir/bench/barerelay
SIZE=1316
for p in "$NEW_IPV4OPTD" ${OLD_IPV4OPTD:+"$OLD_IPV4OPTD"} "$IPV4CTL" "$MCSEND" "$MCRECV" \
	"$MCLAT" "$BARE"; do
	[ -x "$p" ] || { echo "missing $p: build first (make all tests/lab/mcsend tests/lab/mcrecv bench/mclat bench/barerelay)"; exit 1; }
done
command -v socat >/dev/null || { echo "socat is needed (tests/bootstrap installs it)"; exit 1; }
for s in $SCENARIOS; do
	case $s in
	policies | fanout | control | latency | saturation | cpu100k | status | workers) ;;
	*) echo "unknown scenario $s (policies fanout control latency saturation cpu100k status workers)"; exit 2 ;;
	esac
done
NCPU=$(nproc)
CPU_SEND=0
CPU_RELAY=$((NCPU > 1 ? 1 : 0))
CLK_TCK=$(getconf CLK_TCK)
# The daemons measured: "ipv4optd" (NEW_IPV4OPTD), then "old" (OLD_IPV4OPTD) if given.
DAEMONS=(ipv4optd)
declare -A BIN=([ipv4optd]=$NEW_IPV4OPTD)
if [ -n "$OLD_IPV4OPTD" ]; then
	DAEMONS+=(old)
	BIN[old]=$OLD_IPV4OPTD
fi
declare -A R # results: R[scenario.row.key]

# ip_nth A.B.C.D N: the address N after A.B.C.D.
ip_nth() {
	local IFS=. n=$2 a
	# shellcheck disable=SC2086
	set -- $1
	a=$(( ($1 << 24 | $2 << 16 | $3 << 8 | $4) + n ))
	echo "$((a >> 24 & 255)).$((a >> 16 & 255)).$((a >> 8 & 255)).$((a & 255))"
}

ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# us_per DTICKS N: CPU µs per datagram.
us_per() {
	awk -v t="$1" -v h="$CLK_TCK" -v n="$2" 'BEGIN { printf "%.3f", (n > 0 ? t / h * 1e6 / n : 0) }'
}

# ratio A B: A / B, two decimals ("-" when either is missing or B is 0).
ratio() {
	awk -v a="${1:--}" -v b="${2:--}" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "x%.2f", a / b }'
}

# short_of PPS RATE: notes a sender that fell more than 5 % short of its rate (starved of CPU:
# the figures of that row were taken at a lower rate than asked).
short_of() {
	[ -n "$1" ] && [ "$1" -lt $(($2 * 95 / 100)) ] && SHORT="${SHORT:+$SHORT; }$1/s instead of $2/s"
	return 0
}
SHORT=""

# verdict VALUE OP LIMIT: "met" or "missed" (VALUE may start with x; "-": not measured).
verdict() {
	awk -v v="${1#x}" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "-" || v == "") { print "not measured"; exit }
		ok = op == "<=" ? v + 0 <= l + 0 : v + 0 >= l + 0
		print ok ? "met" : "missed" }'
}

pct() {
	awk -v s="$1" -v g="$2" 'BEGIN { printf "%.3f", (s > 0 ? 100 * (s - g) / s : 0) }'
}

# ---- the lab ---------------------------------------------------------------------------------
relay_lab
for i in 0 1 2 3; do
	# interfaces for the control scenario's join policies (their peers stay in d)
	lab_veth d "j$i" d "j${i}p"
	lab_ip d link set "j$i" up
	lab_ip d link set "j${i}p" up
done
# mclat joins up to 2,000 groups on one socket in rcv.
lab_exec rcv sysctl -qw net.ipv4.igmp_max_memberships=4096
# What a host relaying to thousands of groups is given (ipv4optd(8), TROUBLESHOOTING): a
# multicast route out of the egress, so that the kernel caches the output route (without one
# it allocates a route for each datagram sent to a group), and a neighbour table that holds an
# entry per destination group (gc_thresh3 is 1024 by default: past it the kernel creates and
# frees entries per datagram, under the table's write lock).
lab_ip d route add 224.0.0.0/4 dev out0
# The thresholds are the host's (a namespace has none of its own): raised for the run, put back
# on exit.
GC_SAVED=$(sysctl -n net.ipv4.neigh.default.gc_thresh1 net.ipv4.neigh.default.gc_thresh2 \
	net.ipv4.neigh.default.gc_thresh3 | tr '\n' ' ')
gc_restore() {
	# shellcheck disable=SC2086
	set -- $GC_SAVED
	sysctl -qw net.ipv4.neigh.default.gc_thresh1="$1" net.ipv4.neigh.default.gc_thresh2="$2" \
		net.ipv4.neigh.default.gc_thresh3="$3"
}
trap 'gc_restore; lab_cleanup' EXIT
sysctl -qw net.ipv4.neigh.default.gc_thresh1=8192 net.ipv4.neigh.default.gc_thresh2=16384 \
	net.ipv4.neigh.default.gc_thresh3=32768
# The receiving namespace's protocol work on the sender's CPU (RPS on r0), not in the relay's
# send calls: a veth transmit runs the peer's receive softirq on the sending CPU, so without
# this the receivers' costs (their sockets, their groups) were counted as the relay's.
lab_exec rcv sh -c "printf %x $((1 << CPU_SEND)) > /sys/class/net/r0/queues/rx-0/rps_cpus" ||
	echo "# note: RPS on r0 not set; the receivers' kernel work counts as the relay's"

# ---- relays ----------------------------------------------------------------------------------
# daemon_start NAME CONF [CPUS]: starts daemon NAME on CONF in d (pinned to CPUS, default the
# relay's CPU); sets RPID. Not through lab_daemon_start: $! must be the daemon for /proc/PID.
N_START=0
daemon_start() {
	local name=$1 conf=$2 cpus=${3:-$CPU_RELAY} log
	N_START=$((N_START + 1))
	log=$LAB_TMP/daemon.$N_START.log
	rm -rf "$LAB_TMP/state" && mkdir -p "$LAB_TMP/state"
	: >"$log"
	ip netns exec "$LAB_ID-d" taskset -c "$cpus" "${BIN[$name]}" -n -f "$conf" -S "$SOCK" \
		--state-dir "$LAB_TMP/state" >"$log" 2>&1 &
	RPID=$!
	LAB_PIDS+=("$RPID")
	lab_wait 120 started_or_gone "$log"
	grep -q "Started:" "$log" || { echo "$name did not start:"; tail -5 "$log"; exit 1; }
}

# relay_counts: the relay's own sums over its policies (received, sent, dropped by reason),
# from ipv4ctl -j stats, so that a loss can be placed: before, in or after the relay.
relay_counts() {
	"$IPV4CTL" -S "$SOCK" -j stats 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
rx = sum(p.get("packets_received", 0) for p in d["policies"].values())
tx = sum(p.get("packets_sent", 0) for p in d["policies"].values())
drops = {}
for p in d["policies"].values():
    for k, v in p.get("drops", {}).items():
        drops[k] = drops.get(k, 0) + v
dp = d.get("data_path", {})
print("relay in %d, out %d, drops %s, rxq_overflow %d" % (rx, tx,
      {k: v for k, v in drops.items() if v} or 0, dp.get("rxq_overflow_packets", 0)))' ||
		echo "relay counters not read"
}

started_or_gone() {
	grep -q "Started:" "$1" || ! kill -0 "$RPID" 2>/dev/null
}

# relay_stop: ends the relay started last (SIGTERM, then waits for it).
relay_stop() {
	kill -TERM "$RPID" 2>/dev/null
	lab_reap "$RPID" 30 >/dev/null
}

# refused NAME CONF: true (and prints why) if daemon NAME does not take CONF.
refused() {
	local err
	err=$("${BIN[$1]}" --test-config -f "$2" 2>&1) && return 1
	echo "  $1: skipped, its --test-config refuses the config: $(echo "$err" | head -1)"
	return 0
}

# socat_start IN_GROUP IN_PORT OUT_GROUP OUT_PORT: socat as relay-bench runs it (4 MiB rcvbuf).
socat_start() {
	ip netns exec "$LAB_ID-d" taskset -c "$CPU_RELAY" socat -u \
		"UDP4-RECV:$2,ip-add-membership=$1:in0,reuseaddr,rcvbuf=4194304" \
		"UDP4-SENDTO:$3:$4,ip-multicast-if=10.80.2.1,ip-multicast-loop=0" >/dev/null 2>&1 &
	RPID=$!
	LAB_PIDS+=("$RPID")
	lab_wait 10 joined "$1" || { echo "socat did not join $1"; exit 1; }
}

# bare_start -1|-m IN_GROUP IN_PORT OUT_GROUP OUT_PORT
bare_start() {
	ip netns exec "$LAB_ID-d" taskset -c "$CPU_RELAY" "$BARE" "$1" -g "$2" -p "$3" -i in0 \
		-t "$4:$5" -o out0 &
	RPID=$!
	LAB_PIDS+=("$RPID")
	lab_wait 10 joined "$2" || { echo "barerelay did not join $2"; exit 1; }
}

# ---- traffic ---------------------------------------------------------------------------------
# lat_recv_start MCLAT-RECV-ARGS...: mclat recv in rcv on the sender's CPU; sets LPID.
lat_recv_start() {
	: >"$LAB_TMP/lat.err"
	ip netns exec "$LAB_ID-rcv" taskset -c "$CPU_SEND" "$MCLAT" recv "$@" \
		>"$LAB_TMP/lat.out" 2>"$LAB_TMP/lat.err" &
	LPID=$!
	LAB_PIDS+=("$LPID")
	lab_wait 20 grep -q ready "$LAB_TMP/lat.err" || { echo "mclat recv did not start:"; cat "$LAB_TMP/lat.err"; exit 1; }
}

# lat_recv_end: waits for mclat recv to end by itself (its -q idle timeout), or, given
# "now", ends it (SIGTERM: it prints what it has).
lat_recv_end() {
	[ "${1:-}" = now ] && kill -TERM "$LPID" 2>/dev/null
	lab_reap "$LPID" 60 >/dev/null
}

lat_val() {
	sed -n "s/^$1=//p" "$LAB_TMP/lat.out"
}

# lat_send MCLAT-SEND-ARGS...: mclat send from src; prints what it sent and how many per
# second it managed (a sender starved of CPU falls short of the rate asked).
lat_send() {
	ip netns exec "$LAB_ID-src" taskset -c "$CPU_SEND" "$MCLAT" send -s 10.80.1.2 -I s0 \
		-l "$SIZE" "$@" | sed -n 's/^sent=\([0-9]*\) seconds=\([0-9.]*\).*/\1 \2/p' |
		awk '{ printf "%d %.0f", $1, ($2 > 0 ? $1 / $2 : 0) }'
}

# mc_run PID GROUP:PORT OUT_GROUP OUT_PORT RATE: mcsend -> relay PID -> mcrecv for
# SECONDS_PER_RUN, as relay-bench measures; sets SENT GOT SECS TICKS.
mc_run() {
	local pid=$1 dst=$2 og=$3 op=$4 rate=$5 out rpid t0
	ip netns exec "$LAB_ID-rcv" taskset -c "$CPU_SEND" "$MCRECV" -p "$op" -g "$og" -I r0 \
		-R 33554432 -T $((SECONDS_PER_RUN + 20)) -q 1000 >"$LAB_TMP/recv.out" 2>"$LAB_TMP/recv.err" &
	rpid=$!
	LAB_PIDS+=("$rpid")
	lab_wait 10 grep -q ready "$LAB_TMP/recv.err" || { echo "mcrecv did not start"; exit 1; }
	t0=$(ticks "$pid")
	out=$(ip netns exec "$LAB_ID-src" taskset -c "$CPU_SEND" "$MCSEND" -s 10.80.1.2 -I s0 \
		-l "$SIZE" -r "$rate" -d "$SECONDS_PER_RUN" "$dst")
	lab_reap "$rpid" 60 >/dev/null
	TICKS=$(($(ticks "$pid") - t0))
	SENT=$(echo "$out" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
	SECS=$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
	GOT=$(sed -n 's/^packets=//p' "$LAB_TMP/recv.out")
	GOT=${GOT:-0}
}

# ---- configs ---------------------------------------------------------------------------------
# conf_many N [EXTRA]: N relay policies, 239.1.0.1+i:5000 on in0 to 239.2.0.1+i:6000 out0.
conf_many() {
	local n=$1 i
	{
		[ -n "${2:-}" ] && echo "$2"
		echo "policies = ("
		for ((i = 0; i < n; i++)); do
			echo "{ name = \"p$i\"; group = \"$(ip_nth 239.1.0.1 $i)\"; interfaces = [ \"in0\" ]; port = 5000; action = \"relay\"; relay = { to = \"$(ip_nth 239.2.0.1 $i):6000\"; interface = \"out0\"; }; }$([ $i -lt $((n - 1)) ] && echo ,)"
		done
		echo ");"
	}
}

ONE_POLICY='{ name = "bench"; group = "239.1.1.1"; interfaces = [ "in0" ]; port = 5000; action = "relay"; relay = { to = "239.2.2.1:6000"; interface = "out0"; }; }'

# ---- scenarios -------------------------------------------------------------------------------
# in0_holds N: the relay's namespace holds at least N groups on in0.
in0_holds() {
	[ "$(igmp_count d in0)" -ge "$1" ]
}

scenario_policies() {
	local name n
	echo "## policies: 1, 500, 2,000 relay policies, 50,000 datagrams/s in total, $SECONDS_PER_RUN s"
	echo
	echo "| daemon | policies | sent | sent/s | delivered | loss % | CPU µs/datagram | ratio to 1 policy | the relay's counters |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for name in "${DAEMONS[@]}"; do
		for n in 1 500 2000; do
			conf_many "$n" >"$LAB_TMP/many.conf"
			daemon_start "$name" "$LAB_TMP/many.conf"
			lab_wait 60 in0_holds "$n" ||
				echo "  ($name: not all $n groups joined on in0)"
			lat_recv_start -p 6000 -g 239.2.0.1 -N "$n" -I r0 -q 1000 -T $((SECONDS_PER_RUN + 30))
			t0=$(ticks "$RPID")
			read -r sent pps <<<"$(lat_send -N "$n" -r 50000 -d "$SECONDS_PER_RUN" 239.1.0.1:5000)"
			lat_recv_end
			t=$(($(ticks "$RPID") - t0))
			counts=$(relay_counts)
			relay_stop
			got=$(lat_val count)
			R[policies.$name.$n]=$(us_per "$t" "$got")
			R[policies.$name.$n.loss]=$(pct "$sent" "$got")
			short_of "$pps" 50000
			echo "| $name | $n | $sent | $pps | $got | $(pct "$sent" "$got") | ${R[policies.$name.$n]} | $(ratio "${R[policies.$name.$n]}" "${R[policies.$name.1]}") | $counts |"
		done
	done
	echo
}

scenario_fanout() {
	local name kind k
	echo "## fanout: 8 outputs of one policy vs 8 policies of the same group, 10,000/s in, $SECONDS_PER_RUN s"
	echo
	{
		echo "policies = ( { name = \"fan\"; group = \"239.1.1.1\"; interfaces = [ \"in0\" ]; port = 5000; action = \"relay\"; relay = ("
		for k in 1 2 3 4 5 6 7 8; do
			echo "{ to = \"239.2.3.$k:6000\"; interface = \"out0\"; }$([ $k -lt 8 ] && echo ,)"
		done
		echo "); } );"
	} >"$LAB_TMP/fan.conf"
	{
		echo "policies = ("
		for k in 1 2 3 4 5 6 7 8; do
			echo "{ name = \"p$k\"; group = \"239.1.1.1\"; interfaces = [ \"in0\" ]; port = 5000; action = \"relay\"; relay = { to = \"239.2.3.$k:6000\"; interface = \"out0\"; }; }$([ $k -lt 8 ] && echo ,)"
		done
		echo ");"
	} >"$LAB_TMP/eight.conf"
	echo "| daemon | config | sent | delivered (of 8 x sent) | loss % | CPU µs/datagram sent | ratio to 8 policies |"
	echo "|---|---|---|---|---|---|---|"
	for name in "${DAEMONS[@]}"; do
		for kind in eight fan; do
			refused "$name" "$LAB_TMP/$kind.conf" && continue
			daemon_start "$name" "$LAB_TMP/$kind.conf"
			lab_wait 10 joined 239.1.1.1
			lat_recv_start -p 6000 -g 239.2.3.1 -N 8 -k 8 -I r0 -q 1000 -T $((SECONDS_PER_RUN + 30))
			t0=$(ticks "$RPID")
			read -r sent pps <<<"$(lat_send -r 10000 -d "$SECONDS_PER_RUN" 239.1.1.1:5000)"
			lat_recv_end
			t=$(($(ticks "$RPID") - t0))
			relay_stop
			got=$(lat_val count)
			R[fanout.$name.$kind]=$(us_per "$t" "$got")
			echo "| $name | $([ $kind = fan ] && echo "1 policy, 8 outputs" || echo "8 policies") | $sent | $got | $(pct $((sent * 8)) "$got") | ${R[fanout.$name.$kind]} | $(ratio "${R[fanout.$name.$kind]}" "${R[fanout.$name.eight]:-}") |"
		done
	done
	echo
}

# conf_control VARIANT: the relay policy and 9,999 join policies on j0-j3; variant b moves
# every other join policy to another group (so a reload between a and b changes half of them).
conf_control() {
	local i g
	{
		echo "policies = ( $ONE_POLICY"
		for ((i = 0; i < 9999; i++)); do
			if [ "$1" = b ] && [ $((i % 2)) = 1 ]; then
				g=$(ip_nth 239.60.0.0 $i)
			else
				g=$(ip_nth 239.50.0.0 $i)
			fi
			echo ", { name = \"j$i\"; group = \"$g\"; interfaces = [ \"j$((i % 4))\" ]; action = \"join\"; }"
		done
		echo ");"
	}
}

# control_work KIND: one kind of control work against the running daemon.
control_work() {
	local k
	case $1 in
	none) ;;
	reload)
		for k in b a b a; do
			cp "$LAB_TMP/control-$k.conf" "$LAB_TMP/control.conf"
			"$IPV4CTL" -S "$SOCK" reload >/dev/null || echo "  (reload to $k failed)"
		done ;;
	show)
		for k in 1 2 3; do
			"$IPV4CTL" -S "$SOCK" -j show >/dev/null || echo "  (show failed)"
		done ;;
	joinleave)
		for k in $(seq 1 20); do
			"$IPV4CTL" -S "$SOCK" join "239.70.0.$k" dev j0 >/dev/null || echo "  (join failed)"
			"$IPV4CTL" -S "$SOCK" leave "239.70.0.$k" dev j0 >/dev/null || echo "  (leave failed)"
		done ;;
	esac
}

scenario_control() {
	local name kind spid t0 ms sent got
	echo "## control: 200,000 datagrams at 50,000/s through one relay policy, 10,000 policies held"
	echo
	conf_control a >"$LAB_TMP/control-a.conf"
	conf_control b >"$LAB_TMP/control-b.conf"
	echo "| daemon | control work | sent | delivered | lost | work took (ms) |"
	echo "|---|---|---|---|---|---|"
	for name in "${DAEMONS[@]}"; do
		cp "$LAB_TMP/control-a.conf" "$LAB_TMP/control.conf"
		daemon_start "$name" "$LAB_TMP/control.conf"
		lab_wait 10 joined 239.1.1.1
		# The kernel's unsolicited IGMP reports of 10,000 new memberships (two each, RFC
		# 3376 robustness, a second apart) are over before the first run.
		sleep 3
		for kind in none reload show joinleave; do
			lat_recv_start -p 6000 -g 239.2.2.1 -I r0 -T 120
			ip netns exec "$LAB_ID-src" taskset -c "$CPU_SEND" "$MCLAT" send -s 10.80.1.2 \
				-I s0 -l "$SIZE" -n 200000 -r 50000 239.1.1.1:5000 >"$LAB_TMP/send.out" &
			spid=$!
			sleep 0.5
			t0=$(date +%s%N)
			control_work "$kind"
			ms=$(( ($(date +%s%N) - t0) / 1000000 ))
			lab_reap "$spid" 60 >/dev/null
			sleep 1 # what the relay still holds in its queue goes out
			lat_recv_end now
			sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$LAB_TMP/send.out")
			got=$(lat_val count)
			R[ctl.$name.$kind]=$((sent - got))
			echo "| $name | $kind | $sent | $got | $((sent - got)) | $([ "$kind" = none ] && echo - || echo "$ms") |"
		done
		relay_stop
	done
	echo
}

scenario_latency() {
	local rate relay name
	echo "## latency: one-way, through each relay, $LAT_SECONDS s per run"
	echo
	echo "| rate/s | relay | sent | delivered | p50 µs | p99 µs | max µs | CPU µs/datagram | p50 ratio to barerelay -1 |"
	echo "|---|---|---|---|---|---|---|---|---|"
	echo "$ONE_POLICY" | sed 's/^/policies = ( /; s/$/ );/' >"$LAB_TMP/one.conf"
	for rate in 2000 20000; do
		for relay in bare1 socat "${DAEMONS[@]}"; do
			case $relay in
			bare1) bare_start -1 239.1.1.1 5000 239.2.2.1 6000 ;;
			socat) socat_start 239.1.1.1 5000 239.2.2.1 6000 ;;
			*) daemon_start "$relay" "$LAB_TMP/one.conf"; lab_wait 10 joined 239.1.1.1 ;;
			esac
			lat_recv_start -p 6000 -g 239.2.2.1 -I r0 -q 1000 -T $((LAT_SECONDS + 30))
			t0=$(ticks "$RPID")
			read -r sent pps <<<"$(lat_send -r "$rate" -d "$LAT_SECONDS" 239.1.1.1:5000)"
			lat_recv_end
			t=$(($(ticks "$RPID") - t0))
			relay_stop
			got=$(lat_val count)
			R[lat.$rate.$relay]=$(lat_val p50_us)
			name=$relay; [ "$relay" = bare1 ] && name="barerelay -1"
			echo "| $rate | $name | $sent | $got | $(lat_val p50_us) | $(lat_val p99_us) | $(lat_val max_us) | $(us_per "$t" "$got") | $(ratio "${R[lat.$rate.$relay]}" "${R[lat.$rate.bare1]}") |"
		done
	done
	echo
}

scenario_saturation() {
	local relay name
	echo "## saturation: mcsend as fast as it goes, $SECONDS_PER_RUN s"
	echo
	echo "$ONE_POLICY" | sed 's/^/policies = ( /; s/$/ );/' >"$LAB_TMP/one.conf"
	echo "| relay | sent | delivered | delivered/s | loss % | CPU µs/datagram |"
	echo "|---|---|---|---|---|---|"
	for relay in socat barem bare1 "${DAEMONS[@]}"; do
		case $relay in
		bare1) bare_start -1 239.1.1.1 5000 239.2.2.1 6000; name="barerelay -1" ;;
		barem) bare_start -m 239.1.1.1 5000 239.2.2.1 6000; name="barerelay -m" ;;
		socat) socat_start 239.1.1.1 5000 239.2.2.1 6000; name=socat ;;
		*) daemon_start "$relay" "$LAB_TMP/one.conf"; lab_wait 10 joined 239.1.1.1; name=$relay ;;
		esac
		mc_run "$RPID" 239.1.1.1:5000 239.2.2.1 6000 0
		relay_stop
		R[sat.$relay.pps]=$(awk -v g="$GOT" -v s="$SECS" 'BEGIN { printf "%.0f", (s > 0 ? g / s : 0) }')
		R[sat.$relay.cpu]=$(us_per "$TICKS" "$GOT")
		echo "| $name | $SENT | $GOT | ${R[sat.$relay.pps]} | $(pct "$SENT" "$GOT") | ${R[sat.$relay.cpu]} |"
	done
	echo
	echo "| daemon | delivered/s vs socat | vs barerelay -m | CPU/datagram vs socat | vs barerelay -m |"
	echo "|---|---|---|---|---|"
	for relay in "${DAEMONS[@]}"; do
		echo "| $relay | $(ratio "${R[sat.$relay.pps]}" "${R[sat.socat.pps]}") | $(ratio "${R[sat.$relay.pps]}" "${R[sat.barem.pps]}") | $(ratio "${R[sat.$relay.cpu]}" "${R[sat.socat.cpu]}") | $(ratio "${R[sat.$relay.cpu]}" "${R[sat.barem.cpu]}") |"
	done
	echo
}

scenario_cpu100k() {
	local name
	echo "## cpu100k: one policy at 100,000/s, $SECONDS_PER_RUN s"
	echo
	echo "$ONE_POLICY" | sed 's/^/policies = ( /; s/$/ );/' >"$LAB_TMP/one.conf"
	echo "| daemon | sent | sent/s | delivered | loss % | CPU µs/datagram |"
	echo "|---|---|---|---|---|---|"
	for name in "${DAEMONS[@]}"; do
		daemon_start "$name" "$LAB_TMP/one.conf"
		lab_wait 10 joined 239.1.1.1
		mc_run "$RPID" 239.1.1.1:5000 239.2.2.1 6000 100000
		relay_stop
		R[c100k.$name]=$(us_per "$TICKS" "$GOT")
		short_of "$(awk -v s="$SENT" -v t="$SECS" 'BEGIN { printf "%.0f", (t > 0 ? s / t : 0) }')" 100000
		echo "| $name | $SENT | $(awk -v s="$SENT" -v t="$SECS" 'BEGIN { printf "%.0f", (t > 0 ? s / t : 0) }') | $GOT | $(pct "$SENT" "$GOT") | ${R[c100k.$name]} |"
	done
	echo
	[ -n "$OLD_IPV4OPTD" ] && echo "CPU per datagram, ipv4optd / old: $(ratio "${R[c100k.ipv4optd]}" "${R[c100k.old]}")" && echo
}

# status_times N: N `ipv4ctl status` answer times in ms, one a line.
status_times() {
	local i t0
	for i in $(seq "$1"); do
		t0=$(date +%s%N)
		"$IPV4CTL" -S "$SOCK" status >/dev/null || echo "  (status failed)" >&2
		echo $(( ($(date +%s%N) - t0) / 1000 ))
	done | sort -n | awk '{ v[NR] = $1 / 1000 } END { printf "%.1f %.1f", v[NR], v[int((NR + 1) / 2)] }'
}

# socket_times N: N status requests on the control socket from one process, each on a new
# connection (connect, request, answer line): the daemon's answer time without ipv4ctl's exec.
socket_times() {
	python3 - "$SOCK" "$1" <<'PY'
import socket, sys, time
t = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b'{"version":1,"command":"status"}\n')
    b = b""
    while not b.endswith(b"\n"):
        c = s.recv(65536)
        if not c:
            break
        b += c
    s.close()
    t.append((time.perf_counter() - t0) * 1000)
    if b'"ok":true' not in b:
        print("status failed:", b[:200], file=sys.stderr)
t.sort()
print("%.1f %.1f" % (t[-1], t[(len(t) - 1) // 2]))
PY
}

scenario_status() {
	local name idle busy spid
	echo "## status: \`ipv4ctl status\` answer time, 20 times idle, 20 times with the relay saturated"
	echo
	echo "$ONE_POLICY" | sed 's/^/policies = ( /; s/$/ );/' >"$LAB_TMP/one.conf"
	echo "| daemon | idle: ipv4ctl max / median ms | idle: socket max / median ms | saturated: ipv4ctl max / median ms | saturated: socket max / median ms |"
	echo "|---|---|---|---|---|"
	for name in "${DAEMONS[@]}"; do
		daemon_start "$name" "$LAB_TMP/one.conf"
		lab_wait 10 joined 239.1.1.1
		idle="$(status_times 20) $(socket_times 20)"
		ip netns exec "$LAB_ID-src" taskset -c "$CPU_SEND" "$MCSEND" -s 10.80.1.2 -I s0 \
			-l "$SIZE" -r 0 -d 6 239.1.1.1:5000 >/dev/null &
		spid=$!
		sleep 1
		busy="$(status_times 20) $(socket_times 20)"
		lab_reap "$spid" 30 >/dev/null
		relay_stop
		# shellcheck disable=SC2086
		set -- $idle $busy
		R[status.$name]=$7
		R[status.ipv4ctl.$name]=$5
		echo "| $name | $1 / $2 | $3 / $4 | $5 / $6 | $7 / $8 |"
	done
	echo
}

scenario_workers() {
	local name w extra got t0 t sent secs
	echo "## workers: 8 policies, mclat round-robin as fast as it goes, $SECONDS_PER_RUN s, relay on every CPU (this machine: $NCPU)"
	echo
	echo "| daemon | workers | sent | delivered | delivered/s | loss % | CPU µs/datagram |"
	echo "|---|---|---|---|---|---|---|"
	for name in "${DAEMONS[@]}"; do
		for w in default 2; do
			extra=""; [ "$w" != default ] && extra="workers = $w;"
			conf_many 8 "$extra" >"$LAB_TMP/w.conf"
			refused "$name" "$LAB_TMP/w.conf" && continue
			daemon_start "$name" "$LAB_TMP/w.conf" "0-$((NCPU - 1))"
			lab_wait 10 joined 239.1.0.8
			lat_recv_start -p 6000 -g 239.2.0.1 -N 8 -I r0 -q 1000 -T $((SECONDS_PER_RUN + 30))
			t0=$(ticks "$RPID")
			secs=$(date +%s%N)
			read -r sent pps <<<"$(lat_send -N 8 -r 0 -d "$SECONDS_PER_RUN" 239.1.0.1:5000)"
			secs=$(( ($(date +%s%N) - secs) / 1000000 ))
			lat_recv_end
			t=$(($(ticks "$RPID") - t0))
			relay_stop
			got=$(lat_val count)
			echo "| $name | $w | $sent | $got | $(awk -v g="$got" -v ms="$secs" 'BEGIN { printf "%.0f", g * 1000 / ms }') | $(pct "$sent" "$got") | $(us_per "$t" "$got") |"
		done
	done
	echo
}

echo "# dataplane-bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $NCPU CPUs ($(lscpu | sed -n 's/^Model name: *//p'))"
echo "# ipv4optd: $NEW_IPV4OPTD${OLD_IPV4OPTD:+; old: $OLD_IPV4OPTD}"
echo "# relay on CPU $CPU_RELAY, senders and receivers on CPU $CPU_SEND; $SIZE-byte datagrams; CPU: utime+stime, $CLK_TCK ticks/s"
echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
echo
for s in $SCENARIOS; do
	SHORT=""
	"scenario_$s"
	[ -n "$SHORT" ] && echo "Note: the sender fell short of its rate ($SHORT): the machine's other work starved it; those rows were measured at the lower rate." && echo
done

# The issue's targets, for the daemon measured (ipv4optd), from this run's figures.
echo "## targets (ipv4optd${OLD_IPV4OPTD:+; \"today\" is the old daemon})"
echo
echo "| target | measured | |"
echo "|---|---|---|"
for k in reload show joinleave; do
	v=${R[ctl.ipv4optd.$k]:--}
	echo "| 0 lost of 200,000 during $k | $v | $(verdict "$v" "<=" 0) |"
done
for n in 500 2000; do
	v=${R[policies.ipv4optd.$n.loss]:--}
	echo "| $n policies: 0 loss | $v % | $(verdict "$v" "<=" 0) |"
	v=$(ratio "${R[policies.ipv4optd.$n]:-}" "${R[policies.ipv4optd.1]:-}")
	echo "| $n policies: CPU/datagram <= 1.25x 1 policy | $v | $(verdict "$v" "<=" 1.25) |"
done
v=$(ratio "${R[fanout.ipv4optd.fan]:-}" "${R[fanout.ipv4optd.eight]:-}")
echo "| fan-out 8: CPU/datagram sent <= 0.5x 8 policies | $v | $(verdict "$v" "<=" 0.5) |"
v=$(ratio "${R[sat.ipv4optd.pps]:-}" "${R[sat.socat.pps]:-}")
echo "| saturation >= 3.3x socat | $v | $(verdict "$v" ">=" 3.3) |"
v=$(ratio "${R[sat.ipv4optd.pps]:-}" "${R[sat.barem.pps]:-}")
echo "| saturation >= 1.2x barerelay -m | $v | $(verdict "$v" ">=" 1.2) |"
if [ -n "$OLD_IPV4OPTD" ]; then
	v=$(ratio "${R[sat.ipv4optd.pps]:-}" "${R[sat.old.pps]:-}")
	echo "| saturation no worse than today | $v | $(verdict "$v" ">=" 1) |"
	v=$(ratio "${R[sat.ipv4optd.cpu]:-}" "${R[sat.old.cpu]:-}")
	echo "| saturation: CPU/datagram no worse than today | $v | $(verdict "$v" "<=" 1) |"
	v=$(ratio "${R[c100k.ipv4optd]:-}" "${R[c100k.old]:-}")
	echo "| CPU/datagram at 100,000/s within 10 % of today | $v | $(verdict "$v" "<=" 1.10) |"
fi
v=$(ratio "${R[lat.2000.ipv4optd]:-}" "${R[lat.2000.bare1]:-}")
echo "| latency p50 at 2,000/s <= 1.5x barerelay -1 | $v | $(verdict "$v" "<=" 1.5) |"
v=${R[status.ipv4optd]:--}
echo "| status answered within 50 ms, relay saturated (max of 20, on the socket; ipv4ctl with its exec: ${R[status.ipv4ctl.ipv4optd]:--} ms) | $v ms | $(verdict "$v" "<=" 50) |"
echo
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
