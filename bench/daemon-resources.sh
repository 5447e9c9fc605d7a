#!/usr/bin/env bash
# Resource figures of the daemon (moved here from tests/lab/notify.sh and storm-flaps.sh, where
# they were asserted: CPU ticks, exact fd counts and RSS depend on the machine's load and, in a
# sanitizer build, on ASan's quarantine; the tests now check facts only). Run by hand or by
# `make bench`; not part of `make check`.
#
#   bench/daemon-resources.sh [IDLE_SECONDS]      (as root, from a built tree)
#
# 1. Idle CPU: utime + stime (ticks) over IDLE_SECONDS (default 10) with nothing happening,
#    without a watchdog and with WATCHDOG_USEC=200000 (a ping every 100 ms).
# 2. A storm of 1,000 link flaps and 100 delete/recreate cycles (tests/lab/storm-flaps.sh's):
#    how long `ip -batch` took, how long until /proc/net/igmp held exactly the config's
#    memberships again, and the daemon's open files and VmRSS before and after.
set -u
IDLE=${1:-10}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
export top_builddir top_srcdir
. "$top_srcdir/tests/lab/lib.sh"
. "$top_srcdir/tests/lab/storm-lib.sh"

ticks() {
	awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat"
}
ms_since() {
	echo $(( ($(date +%s%N) - $1) / 1000000 ))
}

lab_ns d
lab_ns peer
for i in s0 s1 w1 w2; do
	lab_veth d "$i" peer "p$i"
	lab_ip d link set "$i" up
done
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "s0", "s1" ]; action = "join"; },
  { name = "pat"; group = "239.1.1.2"; interfaces = [ "w*" ]; action = "join"; },
  { name = "ssm"; group = "232.1.1.1"; sources = [ "10.0.0.1", "10.0.0.2" ];
    interfaces = [ "s0", "w*" ]; action = "join"; }
);
CONF
printf '%s\n' "s0 239.1.1.1 1" "s1 239.1.1.1 1" "s0 232.1.1.1 1" \
	"w1 239.1.1.2 1" "w1 232.1.1.1 1" "w2 239.1.1.2 1" "w2 232.1.1.1 1" >"$LAB_TMP/igmp.want"

echo "== 1. idle CPU over $IDLE s"
lab_daemon_start d "$LAB_TMP/conf"
t0=$(ticks); sleep "$IDLE"; t1=$(ticks)
echo "no watchdog: $((t1 - t0)) ticks (tick = $((1000 / $(getconf CLK_TCK))) ms)"
daemon_stop >/dev/null
mv "$DAEMON_LOG" "$LAB_TMP/idle.log"

notify=$LAB_TMP/notify.sock
socat -u "UNIX-RECV:$notify" OPEN:/dev/null 2>/dev/null &
LAB_PIDS+=("$!")
lab_wait 10 test -S "$notify"
NOTIFY_SOCKET=$notify WATCHDOG_USEC=200000 lab_daemon_start d "$LAB_TMP/conf"
t0=$(ticks); sleep "$IDLE"; t1=$(ticks)
echo "WATCHDOG_USEC=200000: $((t1 - t0)) ticks"
daemon_stop >/dev/null
mv "$DAEMON_LOG" "$LAB_TMP/idle-watchdog.log"

echo "== 2. 1,000 flaps and 100 delete/recreate cycles"
lab_daemon_start d "$LAB_TMP/conf"
table_eventually 10 "$LAB_TMP/igmp.want" igmp_table d || echo "not settled before the storm"
"$IPV4CTL" -S "$LAB_TMP/ctl.sock" status >/dev/null # sd-event's timerfd opens with the first timer
fds_before=$(daemon_fds "$DAEMON_PID")
rss_before=$(daemon_rss_kib "$DAEMON_PID")
batch=$LAB_TMP/storm.batch
: >"$batch"
recreate=(s1 w2)
for r in $(seq 0 99); do
	for i in s0 s1 w1 w2 s0 s1 w1 w2 s0 w1; do
		printf 'link set %s down\nlink set %s up\n' "$i" "$i"
	done >>"$batch"
	i=${recreate[$((r % 2))]}
	printf 'link del %s\nlink add %s type veth peer name p%s netns %s\nlink set %s up\n' \
		"$i" "$i" "$i" "$LAB_ID-peer" "$i" >>"$batch"
done
start=$(date +%s%N)
lab_ip d -force -batch "$batch"
echo "storm: $(ms_since "$start") ms"
start=$(date +%s%N)
if table_eventually 30 "$LAB_TMP/igmp.want" igmp_table d; then
	echo "settled: $(ms_since "$start") ms after the storm"
else
	echo "not settled within 30 s"
fi
sleep 1
echo "open files: $fds_before before, $(daemon_fds "$DAEMON_PID") after"
echo "VmRSS: $rss_before KiB before, $(daemon_rss_kib "$DAEMON_PID") KiB after"
daemon_stop >/dev/null
