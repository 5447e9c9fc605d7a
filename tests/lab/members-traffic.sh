#!/usr/bin/env bash
# Memberships the daemon holds pull traffic in, and keep doing so through a link flap and an
# IPv4 address removed and added; source-specific and excluded sources are in the kernel's
# filter (/proc/net/mcfilter) and decide what arrives.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storm-lib.sh"

lab_ns d
lab_ns src
lab_veth src s0 d lab0
lab_ip src addr add 10.77.1.5/24 dev s0
lab_ip src addr add 10.77.1.6/24 dev s0
lab_ip src link set s0 up
lab_ip d addr add 10.77.1.1/24 dev lab0
lab_ip d link set lab0 up
lab_exec d sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.lab0.rp_filter=0

cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; },
  { name = "ssm"; group = "232.1.1.1"; sources = [ "10.77.1.5" ]; interfaces = [ "lab0" ]; action = "join"; },
  { name = "ex"; group = "239.9.9.9"; exclude = [ "10.77.1.6" ]; interfaces = [ "lab0" ]; action = "join"; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
lab_recv_start d 5000
lab_recv_start d 5001
lab_recv_start d 5002
lower_up() {
	ip -n "$LAB_ID-d" link show lab0 | grep -q LOWER_UP
}
lab_wait 10 lower_up

check "239.1.1.1 held on lab0" igmp_has d lab0 239.1.1.1
check "traffic to 239.1.1.1 arrives" lab_traffic_flows src 10.77.1.5 239.1.1.1 5000

# The source filters, as the kernel's table shows them. (Read before the flap: after a link
# comes up, 224.0.0.1 heads the device's list again and /proc/net/mcfilter, which looks only
# at the head of each device's list to start, shows nothing for it although the filters are
# intact; after the flap they are checked by what arrives.)
check "SSM: 10.77.1.5 included in /proc/net/mcfilter" \
	[ "$(mcfilter_mode d lab0 232.1.1.1 10.77.1.5)" = include ]
check "SSM: 10.77.1.6 not in the filter" [ "$(mcfilter_mode d lab0 232.1.1.1 10.77.1.6)" = none ]
check "exclude: 10.77.1.6 excluded in /proc/net/mcfilter" \
	[ "$(mcfilter_mode d lab0 239.9.9.9 10.77.1.6)" = exclude ]

# Link down, then up: the kernel keeps the membership; traffic resumes after up.
# (Each "still held" is read after links_barrier: the daemon has handled the change by then.)
lab_ip d link set lab0 down
check "link down: the daemon has handled it" links_barrier d src
check "link down: membership still held" igmp_has d lab0 239.1.1.1
lab_ip d link set lab0 up
lab_wait 10 lower_up
check "link up: the daemon has handled it" links_barrier d src
check "link up: membership held" igmp_has d lab0 239.1.1.1
check "link up: traffic resumes" lab_traffic_flows src 10.77.1.5 239.1.1.1 5000

# IPv4 address removed and added: joins are by index, nothing is lost.
lab_ip d addr del 10.77.1.1/24 dev lab0
check "address removed: the daemon has handled it" links_barrier d src
check "address removed: membership still held" igmp_has d lab0 239.1.1.1
lab_ip d addr add 10.77.1.1/24 dev lab0
check "address added: the daemon has handled it" links_barrier d src
check "address added: membership held" igmp_has d lab0 239.1.1.1
check "address added: traffic flows" lab_traffic_flows src 10.77.1.5 239.1.1.1 5000

# Source-specific, after the flap: only the listed source arrives (the negative, then the
# positive on the same path).
check "SSM: the listed source arrives" lab_traffic_flows src 10.77.1.5 232.1.1.1 5001
check "SSM: another source does not" lab_traffic_stopped src 10.77.1.6 232.1.1.1 5001
check "SSM: ... while the listed one still does" lab_traffic_flows src 10.77.1.5 232.1.1.1 5001

# Excluded source of an any-source group, after the flap.
check "exclude: other sources arrive" lab_traffic_flows src 10.77.1.5 239.9.9.9 5002
check "exclude: the excluded source does not" lab_traffic_stopped src 10.77.1.6 239.9.9.9 5002
check "exclude: ... while others still do" lab_traffic_flows src 10.77.1.5 239.9.9.9 5002

# The sockets that hold `join` memberships are never bound to a port: the kernel has nowhere
# to queue a datagram for them (ss lists only bound UDP sockets). The one bound socket the
# daemon has is its data-plane worker's send socket (an ephemeral port, a drop-all filter).
n_sock=$(find "/proc/$DAEMON_PID/fd" -lname 'socket:*' | wc -l)
check "the daemon holds its groups on sockets ($n_sock open)" [ "$n_sock" -ge 2 ]
check "none of them is bound to a port, so none receives data (one bound: the worker's send socket)" \
	[ "$(ip netns exec "$LAB_ID-d" ss -uanp | grep -c "pid=$DAEMON_PID,")" = 1 ]
check "... and that one is on no port of a policy" \
	bash -c "! ip netns exec $LAB_ID-d ss -uanp | grep 'pid=$DAEMON_PID,' | grep -qE ':500[0-2] '"
check "... where ss does list the receivers' bound sockets" \
	bash -c "ip netns exec $LAB_ID-d ss -uanp | grep -q ':5000 .*socat'"
lab_daemon_stop
check "SIGTERM: exit status 0" [ $? -eq 0 ]
lab_done
