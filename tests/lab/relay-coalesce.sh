#!/usr/bin/env bash
# Wake-up coalescing (coalesce_usec): the key is accepted within its range and refused outside
# it (and beyond what the receive buffer holds of a 10 Gb/s burst) with a message naming it,
# at start and on reload, a refused reload keeping the running config; with coalescing long
# (2000 us), by default (500 us) and off (0), a relay policy delivers every datagram of a
# paced stream.
#
# How often the daemon wakes up with each value is a figure, not a fact this test can assert
# on a loaded machine: bench/relay-coalesce-bench.sh measures it (`make bench-coalesce`).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

N=10000 # 5,000/s for 2 s

# conf [COALESCE_USEC [RCVBUF]]: the relay policy, with coalesce_usec (and rcvbuf) when given.
conf() {
	{
		[ -n "${2:-}" ] && echo "rcvbuf = $2;"
		[ -n "${1:-}" ] && echo "coalesce_usec = $1;"
		cat <<CONF
policies = (
  { name = "tv"; group = "239.10.0.5"; interfaces = [ "in0" ]; port = 5000; action = "relay";
    relay = { to = "239.20.0.5:6000"; interface = "out0"; }; }
);
CONF
	} >"$LAB_TMP/conf"
}

# stream NAME: N datagrams of 1316 bytes at 5,000/s; sets GOT (delivered).
stream() {
	recv_start "$1" -p 6000 -g 239.20.0.5 -I r0 -c "$N" -T 60 -R 33554432
	send 10.80.1.2 239.10.0.5:5000 -n "$N" -l 1316 -r 5000 -b 32
	wait "$RECV_PID"
	GOT=$(recv_value "$1" packets)
}

# accepted VALUE [RCVBUF]: `ipv4optd -t` accepts the config.
accepted() {
	conf "$@"
	"$IPV4OPTD" -t -f "$LAB_TMP/conf" >/dev/null 2>&1
}

# refused VALUE [RCVBUF] PATTERN: `ipv4optd -t` refuses the config, naming what is wrong.
refused() {
	local out
	conf "$1" "${3:+$2}"
	out=$("$IPV4OPTD" -t -f "$LAB_TMP/conf" 2>&1) && return 1
	grep -q -- "${3:-$2}" <<<"$out"
}

relay_lab

# The key's range, checked by the config test (nothing started).
check "ipv4optd -t: coalesce_usec 0 accepted" accepted 0
check "ipv4optd -t: coalesce_usec 3355 accepted (the bound of the default 4 MiB rcvbuf)" \
	accepted 3355
check "ipv4optd -t: coalesce_usec -1 refused: out of range (0-100000)" \
	refused -1 "key 'coalesce_usec'.*-1 is out of range (0-100000)"
check "ipv4optd -t: coalesce_usec 100001 refused: out of range (0-100000)" \
	refused 100001 "key 'coalesce_usec'.*100001 is out of range (0-100000)"
check "ipv4optd -t: coalesce_usec 3356 refused with the default rcvbuf: at most 3355" \
	refused 3356 "key 'coalesce_usec'.*3356 is more than the receive buffer.*at most 3355"
check "ipv4optd -t: coalesce_usec 5000 accepted with rcvbuf 32 MiB" accepted 5000 33554432
check "ipv4optd -t: coalesce_usec \"fast\" refused (not an integer)" \
	refused '"fast"' "coalesce_usec"

conf 2000
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 joined 239.10.0.5
check "239.10.0.5 held on in0" joined 239.10.0.5

stream wait2000
check "coalesce_usec 2000: all $N datagrams delivered ($GOT)" [ "$GOT" = "$N" ]
check "stats: $N relayed" stat_wait tv packets_sent "$N"
check "stats: no drops" stat_is tv dropped_packets 0

# A reload to a value out of range is refused, naming the key, and changes nothing.
conf 100001
"$IPV4CTL" -S "$SOCK" reload >"$LAB_TMP/reload.out" 2>&1
check "reload with coalesce_usec 100001 refused" [ $? -ne 0 ]
check "reload refusal names the key and its range" \
	grep -q "coalesce_usec.*out of range (0-100000)" "$LAB_TMP/reload.out"
check "refused reload: the daemon runs on" kill -0 "$DAEMON_PID"
check "refused reload: the group still held" joined 239.10.0.5
stream refused
check "refused reload: all $N datagrams still delivered ($GOT)" [ "$GOT" = "$N" ]

conf
check "reload with the default" "$IPV4CTL" -S "$SOCK" reload
stream default
check "default (500 us): all $N datagrams delivered ($GOT)" [ "$GOT" = "$N" ]

conf 0
check "reload with coalesce_usec = 0" "$IPV4CTL" -S "$SOCK" reload
stream off
check "coalesce_usec 0: all $N datagrams delivered ($GOT)" [ "$GOT" = "$N" ]
check "stats: $((4 * N)) relayed" stat_wait tv packets_sent $((4 * N))
check "stats: still no drops" stat_is tv dropped_packets 0

check "daemon exits 0 on SIGTERM" lab_daemon_stop
lab_done
