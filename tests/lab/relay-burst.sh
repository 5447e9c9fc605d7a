#!/usr/bin/env bash
# A relay policy delivers every datagram of a paced stream of 10,000 to the receiver
# namespace, with the policy's DSCP (ECN bits as sent) and TTL on the received packets, to a
# group and to a unicast receiver sharing one port; `ipv4ctl stats` counts what was sent; an
# egress interface that disappears and comes back is used again.
#
# Facts, not speeds: the streams are paced (mcsend -r, and -b so that a sender starved on a
# loaded machine does not make up for lost time in one unpaced burst), receivers stop at their
# count (or their -T deadline), and counters are polled until they reach their values.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
cat >"$LAB_TMP/conf" <<CONF
rcvbuf = 33554432;
policies = (
  { name = "burst"; group = "239.10.0.1"; interfaces = [ "in0" ]; port = 5000; action = "relay";
    relay = { to = "239.20.0.1:6000"; interface = "out0"; dscp = "AF41"; ttl = 8; }; },
  { name = "uni"; group = "239.10.0.2"; interfaces = [ "in0" ]; port = 5000; action = "relay";
    relay = { to = "10.80.2.2:6001"; interface = "out0"; dscp = "EF"; ttl = 5; }; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 joined 239.10.0.1
check "239.10.0.1 and 239.10.0.2 held on in0" eval "joined 239.10.0.1 && joined 239.10.0.2"

# 10,000 datagrams at 10,000/s, at most 32 back to back, ECN bits ECT(0) set (TOS 0x02).
recv_start burst -p 6000 -g 239.20.0.1 -I r0 -c 10000 -T 60 -R 33554432
send 10.80.1.2 239.10.0.1:5000 -n 10000 -l 200 -o 0x02 -t 16 -r 10000 -b 32
wait "$RECV_PID"
check "burst: all 10000 datagrams delivered" [ "$(recv_value burst packets)" = 10000 ]
check "burst: TOS 0x8a (AF41, ECN ECT(0) kept): $(recv_value burst tos)" [ "$(recv_value burst tos)" = 0x8a ]
check "burst: TTL 8" [ "$(recv_value burst ttl)" = 8 ]
check "burst: from the daemon's out0 address" [ "$(recv_value burst sources)" = 10.80.2.1 ]

check "stats: packets_sent 10000" stat_wait burst packets_sent 10000
check "stats: packets_received 10000" stat_is burst packets_received 10000
check "stats: bytes_sent 2000000" stat_is burst bytes_sent 2000000
check "stats: no drops" stat_is burst dropped_packets 0
check "stats: last source 10.80.1.2" \
	[ "$(stat_of burst last_source | cut -d: -f1)" = 10.80.1.2 ]

"$IPV4CTL" -S "$SOCK" stats burst >"$LAB_TMP/stats.txt"
check "stats table: burst relay, 10000 in, 2000000 bytes in, 10000 out, 0 dropped, from 10.80.1.2" \
	awk '$1 == "burst" && $2 == "relay" && $3 == 10000 && $4 == 2000000 && $5 == 10000 &&
	     $7 == 0 && $NF ~ /^10\.80\.1\.2:/ { ok = 1 } END { exit !ok }' "$LAB_TMP/stats.txt"
check "stats table: one header and one row" [ "$(wc -l <"$LAB_TMP/stats.txt")" -eq 2 ]
"$IPV4CTL" -S "$SOCK" stats --prometheus >"$LAB_TMP/prom.txt"
check "prometheus: ipv4opt_packets_received_total of burst is 10000" \
	grep -qx 'ipv4opt_packets_received_total{policy="burst",action="relay"} 10000' "$LAB_TMP/prom.txt"
check "prometheus: ipv4opt_packets_sent_total of burst is 10000" \
	grep -qx 'ipv4opt_packets_sent_total{policy="burst",action="relay"} 10000' "$LAB_TMP/prom.txt"
check "prometheus: drops by reason" \
	grep -qx 'ipv4opt_drops_total{policy="burst",action="relay",reason="send_eagain"} 0' "$LAB_TMP/prom.txt"
check "prometheus: rates are gauges" \
	grep -qx '# TYPE ipv4opt_receive_packets_per_second gauge' "$LAB_TMP/prom.txt"
check "prometheus: no label that changes per packet" bash -c "! grep -q last_source '$LAB_TMP/prom.txt'"

# Unicast destination on the same port: its own DSCP and TTL; the group policy sees nothing.
recv_start uni -p 6001 -c 1000 -T 30
send 10.80.1.2 239.10.0.2:5000 -n 1000 -l 100 -r 10000 -b 32
wait "$RECV_PID"
check "unicast: 1000 datagrams delivered" [ "$(recv_value uni packets)" = 1000 ]
check "unicast: TOS 0xb8 (EF): $(recv_value uni tos)" [ "$(recv_value uni tos)" = 0xb8 ]
check "unicast: TTL 5" [ "$(recv_value uni ttl)" = 5 ]
check "unicast: stats count 1000" stat_wait uni packets_sent 1000
# A negative after the positive above: the daemon has relayed all 1000 (so it read them all).
check "port shared: the group policy got none of them" stat_is burst packets_received 10000

# The egress interface goes away (both veth ends) and comes back with a new index.
lab_ip d link del out0
check "egress gone: the policy reports its egress down" lab_wait 10 stat_is burst egress down
send 10.80.1.2 239.10.0.1:5000 -n 10 -l 100 -r 1000
check "egress gone: the 10 datagrams counted as no_interface drops" \
	stat_wait burst drops.no_interface 10
check "egress gone: none of them sent" stat_is burst packets_sent 10000
lab_veth d out0 rcv r0
lab_ip d addr add 10.80.2.1/24 dev out0
lab_ip rcv addr add 10.80.2.2/24 dev r0
lab_ip d link set out0 up
lab_ip rcv link set r0 up
lab_wait 10 bash -c "ip -n $LAB_ID-d link show out0 | grep -q LOWER_UP"
check "egress back: the policy reports its egress up" lab_wait 10 stat_is burst egress up
recv_start back -p 6000 -g 239.20.0.1 -I r0 -c 500 -T 30
send 10.80.1.2 239.10.0.1:5000 -n 500 -l 100 -r 10000 -b 32
wait "$RECV_PID"
check "egress back: 500 datagrams delivered on the new interface" \
	[ "$(recv_value back packets)" = 500 ]
check "egress back: TTL still 8" [ "$(recv_value back ttl)" = 8 ]
check "egress back: stats count them" stat_wait burst packets_sent 10500

check "daemon exits 0 on SIGTERM" lab_daemon_stop
lab_done
