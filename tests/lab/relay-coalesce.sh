#!/usr/bin/env bash
# Wake-up coalescing (coalesce_usec): at 5,000 datagrams/s for 2 s a relay policy delivers
# every datagram, and the daemon wakes up far less often than once per datagram (one
# wake-up drains what arrived during the wait); with coalesce_usec = 0 it wakes about once
# per datagram. Wake-ups are counted as the daemon's voluntary context switches
# (/proc/PID/status): each one is a sleep in epoll_wait. When the traffic stops, nothing
# stays armed: the idle daemon does not wake.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

N=10000 # 5,000/s for 2 s

# conf [COALESCE_USEC]: the relay policy, with coalesce_usec when given (else the default).
conf() {
	{
		[ -n "${1:-}" ] && echo "coalesce_usec = $1;"
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

# burst NAME: N datagrams of 1316 bytes at 5,000/s; sets GOT (delivered) and WAKE (the
# daemon's wake-ups while they went through).
burst() {
	local w0
	recv_start "$1" -p 6000 -g 239.20.0.5 -I r0 -c "$N" -T 20 -q 2000
	w0=$(wakeups)
	send 10.80.1.2 239.10.0.5:5000 -n "$N" -l 1316 -r 5000
	wait "$RECV_PID"
	WAKE=$(($(wakeups) - w0))
	GOT=$(recv_value "$1" packets)
	echo "# $1: $GOT of $N delivered, $WAKE wake-ups"
}

relay_lab
conf 2000
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 joined 239.10.0.5
check "239.10.0.5 held on in0" joined 239.10.0.5

burst wait2000
check "coalesce_usec 2000: all $N datagrams delivered" [ "$GOT" = "$N" ]
# 2 ms at 5,000/s: about 10 datagrams per wake-up, so about 1,000 of them
check "coalesce_usec 2000: fewer than N/4 wake-ups ($WAKE)" [ "$WAKE" -lt $((N / 4)) ]
check "stats: no drops" [ "$(stat_of tv dropped_packets)" = 0 ]

# Idle: the last drain found nothing and turned the timer off.
sleep 0.5
w0=$(wakeups)
sleep 2
idle=$(($(wakeups) - w0))
check "idle for 2 s after the traffic: no wake-up ($idle)" [ "$idle" -eq 0 ]

conf
check "reload with the default" "$IPV4CTL" -S "$SOCK" reload
burst default
check "default (500 us): all $N datagrams delivered" [ "$GOT" = "$N" ]
# about 2.5 datagrams per wake-up
check "default (500 us): fewer than 0.6 N wake-ups ($WAKE)" [ "$WAKE" -lt $((N * 6 / 10)) ]
default_wake=$WAKE

conf 0
check "reload with coalesce_usec = 0" "$IPV4CTL" -S "$SOCK" reload
burst off
check "coalesce_usec 0: all $N datagrams delivered" [ "$GOT" = "$N" ]
# paced at 200 us apart, each datagram finds the daemon asleep: a wake-up each
check "coalesce_usec 0: about one wake-up per datagram ($WAKE >= 0.8 N)" \
	[ "$WAKE" -ge $((N * 8 / 10)) ]
check "coalesce_usec 0 wakes more than the default ($WAKE > $default_wake)" \
	[ "$WAKE" -gt "$default_wake" ]
check "stats: $((3 * N)) relayed" [ "$(stat_of tv packets_sent)" = $((3 * N)) ]
check "stats: still no drops" [ "$(stat_of tv dropped_packets)" = 0 ]

check "daemon exits 0 on SIGTERM" lab_daemon_stop
lab_done
