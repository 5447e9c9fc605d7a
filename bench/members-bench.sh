#!/usr/bin/env bash
# Membership benchmark (issue 3), run by hand or by `make bench`; not part of `make check`.
#
#   bench/members-bench.sh [ROUNDS] [IDLE_SECONDS]      (as root, from a built tree)
#
# 1. Rejoin latency: an interface is created ROUNDS times (default 200); the time from the
#    kernel's acknowledgement of its creation to the group in /proc/net/igmp on it (median,
#    p99). The same for smcroute (Debian's, a peer that joins from its config) in the same run.
# 2. Start with 10,000 groups on one interface (default sysctls): time from exec to READY=1
#    (config parsed, every group joined), and the kernel's count.
# 3. RSS with those 10,000 groups held.
# 4. CPU used while idle for IDLE_SECONDS (default 60).
set -u
ROUNDS=${1:-200}
IDLE=${2:-60}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
export top_builddir top_srcdir
. "$top_srcdir/tests/lab/lib.sh"

command -v smcroute >/dev/null || {
	echo "installing smcroute (the peer measured alongside)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq smcroute >/dev/null 2>&1
}
cc -O2 -o "$LAB_TMP/ifchurn" "$top_srcdir/bench/ifchurn.c" -lmnl || exit 1

echo "== 1. rejoin latency, $ROUNDS interface creations"
lab_ns b
cat >"$LAB_TMP/one.conf" <<CONF
policies = ( { name = "tv"; group = "239.1.1.1"; interfaces = [ "bench0" ]; action = "join"; } );
CONF
lab_daemon_start b "$LAB_TMP/one.conf"
ours=$(lab_exec b "$LAB_TMP/ifchurn" bench0 239.1.1.1 "$ROUNDS" 1000 | tail -1)
echo "ipv4optd: $ours"
lab_daemon_stop

peer="not measured (smcroute missing)"
if command -v smcroute >/dev/null; then
	lab_ns p
	printf 'mgroup from bench0 group 239.1.1.1\n' >"$LAB_TMP/smcroute.conf"
	lab_ip p link add bench0 type veth peer name bench0-p
	ip netns exec "$LAB_ID-p" smcrouted -n -N -f "$LAB_TMP/smcroute.conf" \
		-u "$LAB_TMP/smcroute.sock" -l notice >"$LAB_TMP/smcroute.log" 2>&1 &
	LAB_PIDS+=("$!")
	lab_wait 5 igmp_has p bench0 239.1.1.1 || echo "smcroute did not join at start"
	lab_ip p link del bench0
	peer_rounds=$(( ROUNDS < 20 ? ROUNDS : 20 ))
	peer=$(lab_exec p "$LAB_TMP/ifchurn" bench0 239.1.1.1 "$peer_rounds" 1000 | tail -1)
	echo "smcroute $(smcroute -v 2>&1 | head -1 | awk '{print $2}'): $peer  (1 s timeout per round)"
fi

echo "== 2. start with 10,000 groups on one interface"
lab_ns big
lab_ip big link add lab0 type veth peer name lab0-p
lab_ip big link set lab0 up
{
	echo "policies = ("
	for i in $(seq 0 9999); do
		sep=","; [ "$i" -eq 9999 ] && sep=""
		echo "{ name = \"g$i\"; group = \"239.10.$((i / 256)).$((i % 256))\"; interfaces = [ \"lab0\" ]; action = \"join\"; }$sep"
	done
	echo ");"
} >"$LAB_TMP/big.conf"
notify=$LAB_TMP/notify.sock
socat -u "UNIX-RECV:$notify" "OPEN:$LAB_TMP/notify.log,creat,append" 2>/dev/null &
LAB_PIDS+=("$!")
lab_wait 2 test -S "$notify"
t0=$(date +%s%N)
NOTIFY_SOCKET=$notify ip netns exec "$LAB_ID-big" "$IPV4OPTD" -n -f "$LAB_TMP/big.conf" \
	-S "$LAB_TMP/big.sock" --state-dir "$LAB_TMP/state" >"$LAB_TMP/big.log" 2>&1 &
pid=$!
LAB_PIDS+=("$pid")
while ! grep -q READY=1 "$LAB_TMP/notify.log" 2>/dev/null; do sleep 0.001; done
t1=$(date +%s%N)
n=$(igmp_count big lab0)
echo "ipv4optd: 10,000 policies parsed and $n groups joined, READY=1 after $(( (t1 - t0) / 1000000 )) ms"
grep -o "on [0-9]* sockets" "$LAB_TMP/big.log" | sed 's/^/ipv4optd: held /'

echo "== 3. memory with 10,000 groups"
echo "ipv4optd: $(grep VmRSS "/proc/$pid/status" | tr -s ' \t' ' ')"

echo "== 4. CPU while idle for $IDLE s (10,000 groups held)"
c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep "$IDLE"
c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
echo "ipv4optd: $((c1 - c0)) clock ticks of CPU in $IDLE s (tick = 1/$(getconf CLK_TCK) s)"
