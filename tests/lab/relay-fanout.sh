#!/usr/bin/env bash
# Fan-out: one relay policy with a list of outputs receives each datagram once and sends it to
# every output, each with its own DSCP (ECN bits as received) and TTL, to groups and to a
# unicast receiver; the stats count per output. A reload that changes one output's TTL applies
# to the next datagram; an output whose interface is missing drops (counted) while the others
# still deliver every datagram.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
conf() { # conf TTL2 [EXTRA-OUTPUT]
	cat >"$LAB_TMP/conf" <<CONF
rcvbuf = 33554432;
policies = (
  { name = "fan"; group = "239.10.0.5"; interfaces = [ "in0" ]; port = 5005; action = "relay";
    relay = (
      { to = "239.20.0.5:6005"; interface = "out0"; dscp = "AF41"; ttl = 8; },
      { to = "239.20.0.6:6006"; interface = "out0"; dscp = "EF"; ttl = $1; },
      { to = "10.80.2.2:6007"; interface = "out0"; dscp = "CS1"; ttl = 12; }${2:+,
      $2}
    ); }
);
CONF
}
# output_of POLICY INDEX KEY: a counter of one output in ipv4ctl -j stats.
output_of() {
	"$IPV4CTL" -S "$SOCK" -j stats "$1" | python3 -c 'import json,sys
d = json.load(sys.stdin)["policies"][sys.argv[1]]
print(d["outputs"][int(sys.argv[2])][sys.argv[3]])' "$1" "$2" "$3"
}
output_is() { [ "$(output_of "$1" "$2" "$3" 2>/dev/null)" = "$4" ]; }
# receivers N: one receiver per output, each expecting N datagrams.
receivers() {
	recv_start a -p 6005 -g 239.20.0.5 -I r0 -c "$1" -T 60 -R 33554432; A=$RECV_PID
	recv_start b -p 6006 -g 239.20.0.6 -I r0 -c "$1" -T 60 -R 33554432; B=$RECV_PID
	recv_start c -p 6007 -c "$1" -T 60 -R 33554432; C=$RECV_PID
}

conf 3
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 joined 239.10.0.5
check "239.10.0.5 held on in0" joined 239.10.0.5

# 3,000 datagrams at 5,000/s with ECN ECT(1) (TOS 0x01): each output gets all of them.
receivers 3000
send 10.80.1.2 239.10.0.5:5005 -n 3000 -l 300 -o 0x01 -t 20 -r 5000 -b 16
wait "$A" "$B" "$C"
check "output 1: all 3000 delivered" [ "$(recv_value a packets)" = 3000 ]
check "output 1: TOS 0x89 (AF41, ECT(1) kept): $(recv_value a tos)" [ "$(recv_value a tos)" = 0x89 ]
check "output 1: TTL 8" [ "$(recv_value a ttl)" = 8 ]
check "output 2: all 3000 delivered" [ "$(recv_value b packets)" = 3000 ]
check "output 2: TOS 0xb9 (EF, ECT(1) kept): $(recv_value b tos)" [ "$(recv_value b tos)" = 0xb9 ]
check "output 2: TTL 3" [ "$(recv_value b ttl)" = 3 ]
check "output 3 (unicast): all 3000 delivered" [ "$(recv_value c packets)" = 3000 ]
check "output 3: TOS 0x21 (CS1, ECT(1) kept): $(recv_value c tos)" [ "$(recv_value c tos)" = 0x21 ]
check "output 3: TTL 12" [ "$(recv_value c ttl)" = 12 ]
check "output 3: from the daemon's out0 address" [ "$(recv_value c sources)" = 10.80.2.1 ]
check "stats: received once (3000)" stat_wait fan packets_received 3000
check "stats: sent three times (9000)" stat_wait fan packets_sent 9000
for i in 0 1 2; do
	check "stats: output $i sent 3000" lab_wait 10 output_is fan $i packets_sent 3000
done
check "stats: output 1 is 239.20.0.6:6006" output_is fan 1 to 239.20.0.6:6006
check "stats: no drops" stat_is fan dropped_packets 0

# Reload: output 2's TTL becomes 4, and a fourth output names an interface that is not there.
conf 4 '{ to = "239.20.0.9:6009"; interface = "nope0"; }'
"$IPV4CTL" -S "$SOCK" reload >/dev/null
check "reload: four outputs" lab_wait 10 output_is fan 3 to 239.20.0.9:6009
check "reload: the missing interface's output is down" output_is fan 3 egress down
check "reload: the others are up" eval 'output_is fan 0 egress up && output_is fan 2 egress up'
receivers 500
send 10.80.1.2 239.10.0.5:5005 -n 500 -l 300 -o 0x01 -t 20 -r 5000 -b 16
wait "$A" "$B" "$C"
check "after reload: output 1 still gets all 500" [ "$(recv_value a packets)" = 500 ]
check "after reload: output 2 gets all 500" [ "$(recv_value b packets)" = 500 ]
check "after reload: output 2's TTL is now 4" [ "$(recv_value b ttl)" = 4 ]
check "after reload: output 3 gets all 500" [ "$(recv_value c packets)" = 500 ]
check "after reload: the counters were kept (3500 received)" stat_wait fan packets_received 3500
check "after reload: the missing output's 500 counted as no_interface drops" \
	stat_wait fan drops.no_interface 500
check "after reload: and as that output's drops" output_is fan 3 dropped_packets 500
lab_done
