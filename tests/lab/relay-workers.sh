#!/usr/bin/env bash
# workers = 2: the data plane runs in two threads, the data sockets are shared out between
# them, and every datagram of several policies (on several ports, so on several sockets) is
# delivered; `workers` is reported in stats, and a reload asking for a different number says it
# needs a restart and changes nothing running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
conf() {
	{
		echo "workers = $1;"
		echo 'rcvbuf = 33554432;'
		echo 'policies = ('
		for i in 1 2 3 4; do
			[ "$i" -gt 1 ] && echo ','
			printf '  { name = "w%d"; group = "239.10.1.%d"; interfaces = [ "in0" ]; port = %d;\n' \
				"$i" "$i" $((5100 + i))
			printf '    action = "relay"; relay = { to = "239.20.1.%d:%d"; interface = "out0"; }; }\n' \
				"$i" $((6100 + i))
		done
		echo ');'
	} >"$LAB_TMP/conf"
}
relay_stat() { # relay_stat KEY: a daemon-wide counter of ipv4ctl -j stats
	"$IPV4CTL" -S "$SOCK" -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["data_path"][sys.argv[1]])' "$1"
}
threads() { # the daemon's data-plane threads, by name
	cat /proc/"$DAEMON_PID"/task/*/comm | grep -c '^ipv4optd-w'
}
conf 2
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 10 joined 239.10.1.4
check "the daemon runs two worker threads" lab_wait 5 eval '[ "$(threads)" = 2 ]'
check "stats: workers 2" [ "$(relay_stat workers)" = 2 ]
check "stats: eight receive sockets (one per port and worker)" [ "$(relay_stat data_sockets)" = 8 ]

pids=()
for i in 1 2 3 4; do
	recv_start w$i -p $((6100 + i)) -g 239.20.1.$i -I r0 -c 4000 -T 90 -R 33554432
	pids+=("$RECV_PID")
done
for i in 1 2 3 4; do
	lab_exec src "$MCSEND" -s 10.80.1.2 -I s0 -n 4000 -l 1000 -r 2000 -b 16 \
		239.10.1.$i:$((5100 + i)) >/dev/null &
	LAB_PIDS+=("$!")
	pids+=("$!")
done
wait "${pids[@]}"
for i in 1 2 3 4; do
	check "policy w$i: all 4000 delivered ($(recv_value w$i packets))" \
		[ "$(recv_value w$i packets)" = 4000 ]
	check "policy w$i: counted 4000 sent, none dropped" \
		eval "stat_wait w$i packets_sent 4000 && stat_is w$i dropped_packets 0"
done

# A reload cannot change the number of threads of a running daemon: it says so.
conf 1
"$IPV4CTL" -S "$SOCK" reload >/dev/null
check "reload to workers = 1: logged as needing a restart" \
	lab_wait 10 grep -q "workers = 1 takes effect at the next start; running 2" "$DAEMON_LOG"
check "reload to workers = 1: still two threads" [ "$(threads)" = 2 ]
recv_start again -p 6101 -g 239.20.1.1 -I r0 -c 100 -T 30
send 10.80.1.2 239.10.1.1:5101 -n 100 -l 100 -r 1000
wait "$RECV_PID"
check "after that reload: still relaying (100 of 100)" [ "$(recv_value again packets)" = 100 ]
lab_done
