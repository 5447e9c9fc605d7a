#!/usr/bin/env bash
# Control work never costs a datagram: while a paced stream of 20,000 datagrams is relayed,
# the daemon is reloaded with configs that add and remove 300 policies and change the groups
# of others, answers `show -j` and `stats -j`, and takes runtime joins and leaves. The receiver
# gets every datagram, and the daemon counts no drop.
# (The data plane's workers read a snapshot the control plane publishes whole; kernel-facts.md.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
# conf N BASE: the relay policy, and N join policies on 239.(50+BASE).x.y (spread over sockets).
conf() {
	{
		echo 'rcvbuf = 33554432;'
		echo 'policies = ('
		echo '  { name = "live"; group = "239.10.0.7"; interfaces = [ "in0" ]; port = 5007;'
		echo '    action = "relay"; relay = { to = "239.20.0.7:6007"; interface = "out0"; }; }'
		for i in $(seq 1 "$1"); do
			printf '  ,{ name = "bulk%d"; group = "239.%d.%d.%d"; interfaces = [ "in0" ];
	    action = "join"; }\n' "$i" $((50 + $2)) $((i / 200)) $((i % 200 + 1))
		done
		echo ');'
	} >"$LAB_TMP/conf"
}
conf 300 1
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 10 joined 239.10.0.7
check "the relay policy's group is held" joined 239.10.0.7
check "the bulk groups are held" lab_wait 10 joined 239.51.1.101

recv_start live -p 6007 -g 239.20.0.7 -I r0 -c 20000 -T 120 -R 33554432
lab_exec src "$MCSEND" -s 10.80.1.2 -I s0 -n 20000 -l 1316 -r 4000 -b 16 239.10.0.7:5007 \
	>/dev/null &
SEND_PID=$!
LAB_PIDS+=("$SEND_PID")
check "traffic flows before the control work" lab_wait 10 stat_ge live packets_sent 100

# The control work, while the sender runs (5 s of traffic): each kind at least once.
for round in 2 3 4; do
	conf $((300 - round * 50)) "$round"      # every bulk group changes, some removed
	"$IPV4CTL" -S "$SOCK" reload >/dev/null || echo "reload $round failed"
	"$IPV4CTL" -S "$SOCK" -j show >/dev/null
	"$IPV4CTL" -S "$SOCK" -j stats >/dev/null
	"$IPV4CTL" -S "$SOCK" join 239.60.0.$round dev in0 >/dev/null
	"$IPV4CTL" -S "$SOCK" leave 239.60.0.$round dev in0 >/dev/null
done
check "the control work was done while the sender still ran" kill -0 "$SEND_PID"
check "the last reload is in force (239.54.0.101 held)" lab_wait 10 joined 239.54.0.101
check "a group of the first config is gone (239.51.0.2)" lab_wait 10 eval '! joined 239.51.0.2'
wait "$SEND_PID"
wait "$RECV_PID"
check "every datagram arrived (20000): $(recv_value live packets)" \
	[ "$(recv_value live packets)" = 20000 ]
check "the daemon counted 20000 sent" stat_wait live packets_sent 20000
check "the daemon dropped none" stat_is live dropped_packets 0
lab_done
