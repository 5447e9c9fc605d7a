#!/usr/bin/env bash
# The data path's own counters, of no policy, made to count for real and read where an
# operator reads them: `ipv4ctl stats` (its last line), `stats -j` ("data_path") and
# `stats --prometheus` (ipv4opt_*_total without labels, next to ipv4opt_build_info):
#   unmatched_packets     a unicast datagram to a data socket's port (bound to 0.0.0.0:PORT,
#                         so IP_MULTICAST_ALL plays no part): no policy claims it
#   loop_packets          the daemon's relayed output, coming back through a bridge
#   rxq_overflow_packets  datagrams the kernel dropped while the daemon was stopped (SIGSTOP)
#                         and its small receive buffer full: SO_RXQ_OVFL
#   receive_errors        a failing read of a data socket: the socket aborted from outside
#                         with `ss -K` (SOCK_DESTROY: ECONNABORTED on the next read)
# The man page's Prometheus example is checked against what --prometheus prints.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

# what the daemon sends out of out0 comes back on in1 (relay-lib.sh)
relay_loop_lab

# A small receive buffer (4096, the minimum; the kernel doubles it) holds a few datagrams:
# enough for paced traffic, and full at once while the daemon is stopped.
cat >"$LAB_TMP/conf" <<CONF
rcvbuf = 4096;
coalesce_usec = 0;
policies = (
  { name = "out"; group = "239.10.0.1"; interfaces = [ "in0" ]; port = 5000; action = "relay";
    relay = { to = "239.20.0.1:6000"; interface = "out0"; ttl = 8; }; },
  { name = "back"; group = "239.20.0.1"; interfaces = [ "in1" ]; port = 6000; action = "relay";
    relay = { to = "239.10.0.1:5000"; interface = "out0"; ttl = 8; }; },
  { name = "ovfl"; group = "239.10.0.3"; interfaces = [ "in0" ]; port = 5003; action = "log";
    log = { target = "journal"; rate_limit = 1; }; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 igmp_has d in1 239.20.0.1
lab_wait 5 joined 239.10.0.3

# dp KEY: a counter of "data_path" in stats -j.
dp() {
	"$IPV4CTL" -S "$SOCK" -j stats |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["data_path"][sys.argv[1]])' "$1"
}
# prom NAME: the value of the unlabelled series NAME in stats --prometheus.
prom() {
	"$IPV4CTL" -S "$SOCK" stats --prometheus | awk -v n="$1" '$1 == n { print $2 }'
}
dp_is() { [ "$(dp "$1")" = "$2" ]; }

check "before any traffic: 0 unmatched, 0 loop, 0 rxq overflow" \
	[ "$(dp unmatched_packets) $(dp loop_packets) $(dp rxq_overflow_packets)" = "0 0 0" ]
check "data_sockets: one per port (3)" dp_is data_sockets 3

# unmatched: 7 unicast datagrams to the daemon's address on the relay's port.
lab_exec src "$MCSEND" -s 10.80.1.2 -n 7 -r 1000 10.80.1.1:5000 >/dev/null
lab_wait 5 dp_is unmatched_packets 7
check "unmatched: 7 unicast datagrams on port 5000 ($(dp unmatched_packets))" \
	dp_is unmatched_packets 7
check "unmatched: no policy counted them" [ "$(stat_of out packets_received)" = 0 ]

# loop: 20 datagrams relayed out of out0 come back on in1, from our address and send port.
send 10.80.1.2 239.10.0.1:5000 -n 20 -r 200
# all 20 relayed, and each came back (received, or dropped by the kernel and counted)
loop_settled() {
	"$IPV4CTL" -S "$SOCK" -j stats | python3 -c '
import json, sys
p = json.load(sys.stdin)["policies"]
back = p["back"]["packets_received"] + p["back"]["drops"]["rxq_overflow"]
sys.exit(0 if p["out"]["packets_sent"] == 20 and back == 20 else 1)'
}
lab_wait 5 loop_settled
loops=$(dp loop_packets)
check "loop: our own output heard again and counted ($loops of 20)" \
	[ "$loops" -ge 1 -a "$loops" -le 20 ]
check "loop: every datagram that came back on in1 was one ($(stat_of back packets_received))" \
	[ "$(stat_of back packets_received)" = "$loops" ]
check "loop: the policy's drops.loop says the same" [ "$(stat_of back drops.loop)" = "$loops" ]

# rxq_overflow: the daemon stopped, 300 datagrams of 1000 bytes against a buffer of a few; then
# probe datagrams until the kernel's count reaches the daemon (it comes with the next datagram
# queued): every datagram is then either received or counted as dropped by the kernel.
kill -STOP "$DAEMON_PID"
lab_exec src "$MCSEND" -s 10.80.1.2 -I s0 -n 300 -l 1000 -r 20000 239.10.0.3:5003 >/dev/null
kill -CONT "$DAEMON_PID"
echo 300 >"$LAB_TMP/sent"
# ovfl_total: packets_received + drops.rxq_overflow of policy ovfl
ovfl_total() {
	"$IPV4CTL" -S "$SOCK" -j stats ovfl | python3 -c '
import json, sys
p = json.load(sys.stdin)["policies"]["ovfl"]
print(p["packets_received"] + p["drops"]["rxq_overflow"])'
}
ovfl_total_is() { [ "$(ovfl_total)" = "$1" ]; }
accounted() {
	local n
	n=$(($(cat "$LAB_TMP/sent") + 1))
	echo "$n" >"$LAB_TMP/sent"
	lab_exec src "$MCSEND" -s 10.80.1.2 -I s0 -n 1 -l 1000 239.10.0.3:5003 >/dev/null
	lab_wait 1 ovfl_total_is "$n"
}
lab_wait 10 accounted
sent=$(cat "$LAB_TMP/sent")
rx=$(stat_of ovfl packets_received)
ov=$(stat_of ovfl drops.rxq_overflow)
check "rxq_overflow: received ($rx) + dropped by the kernel ($ov) = sent ($sent)" \
	[ $((rx + ov)) -eq "$sent" ]
check "rxq_overflow: the kernel dropped some ($ov)" [ "$ov" -ge 1 ]
check "rxq_overflow: in data_path too ($(dp rxq_overflow_packets) >= $ov)" \
	[ "$(dp rxq_overflow_packets)" -ge "$ov" ]
check "receive_errors: none yet" dp_is receive_errors 0

# receive_errors: `ss -K` aborts ovfl's data socket (SOCK_DESTROY sets sk_err to
# ECONNABORTED): the daemon's next read fails, once; the socket, bound to its port, goes on
# receiving.
lab_exec d ss -uaK 'sport = :5003' >"$LAB_TMP/ss.out"
check "receive_errors: ss -K aborted the socket of port 5003" grep -q ':5003 ' "$LAB_TMP/ss.out"
lab_wait 5 dp_is receive_errors 1
check "receive_errors: the failed read is counted ($(dp receive_errors))" dp_is receive_errors 1
before=$(ovfl_total)
send 10.80.1.2 239.10.0.3:5003 -n 5 -l 1000 -r 1000
lab_wait 5 ovfl_total_is $((before + 5))
check "receive_errors: the socket still receives (5 more)" ovfl_total_is $((before + 5))

# The same figures in the Prometheus text and in the table.
"$IPV4CTL" -S "$SOCK" stats --prometheus >"$LAB_TMP/prom" 2>&1
check "prometheus: exit 0" [ $? -eq 0 ]
check "prometheus: ipv4opt_unmatched_packets_total 7" [ "$(prom ipv4opt_unmatched_packets_total)" = 7 ]
check "prometheus: ipv4opt_loop_packets_total $(dp loop_packets)" \
	[ "$(prom ipv4opt_loop_packets_total)" = "$(dp loop_packets)" ]
check "prometheus: ipv4opt_rxq_overflow_packets_total $(dp rxq_overflow_packets)" \
	[ "$(prom ipv4opt_rxq_overflow_packets_total)" = "$(dp rxq_overflow_packets)" ]
check "prometheus: ipv4opt_receive_errors_total 1" [ "$(prom ipv4opt_receive_errors_total)" = 1 ]
check "prometheus: counters typed counter" \
	grep -qx "# TYPE ipv4opt_unmatched_packets_total counter" "$LAB_TMP/prom"
check "prometheus: ipv4opt_data_sockets is a gauge, 3" \
	bash -c "grep -qx '# TYPE ipv4opt_data_sockets gauge' '$LAB_TMP/prom' && grep -qx 'ipv4opt_data_sockets 3' '$LAB_TMP/prom'"
version=$("$IPV4CTL" -S "$SOCK" -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
check "prometheus: ipv4opt_build_info{version=\"$version\"} 1, a gauge" \
	bash -c "grep -qx 'ipv4opt_build_info{version=\"$version\"} 1' '$LAB_TMP/prom' && grep -qx '# TYPE ipv4opt_build_info gauge' '$LAB_TMP/prom'"
# The exposition format: each sample NAME[{LABELS}] VALUE, its family TYPEd once, before it.
check "prometheus: the text parses (one TYPE per family, before its samples)" python3 - "$LAB_TMP/prom" <<'PY'
import re, sys
typed, seen = {}, set()
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? [-+0-9.eE]+$')
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    if line.startswith('# TYPE '):
        name = line.split()[2]
        assert name not in typed and name not in seen, line
        typed[name] = line.split()[3]
        continue
    if line.startswith('# HELP '):
        continue
    m = sample.match(line)
    assert m, 'bad sample: ' + line
    assert m.group(1) in typed, 'untyped: ' + line
    seen.add(m.group(1))
    assert typed[m.group(1)] != 'counter' or m.group(1).endswith('_total'), line
PY
"$IPV4CTL" -S "$SOCK" stats >"$LAB_TMP/table"
check "table: the data path's line" grep -qx "data path: 3 sockets, 7 unmatched, $(dp loop_packets) loop, $(dp rxq_overflow_packets) rxq overflow, 1 receive error" "$LAB_TMP/table"

# ipv4ctl(8) shows the labels as they are printed (quotes closed, build_info documented).
MANWIDTH=300 man -l "$top_srcdir/doc/ipv4ctl.8" 2>/dev/null >"$LAB_TMP/man"
check "ipv4ctl(8): counters as ipv4opt_C_total{policy=\"NAME\",action=\"ACTION\"}" \
	grep -qF 'ipv4opt_C_total{policy="NAME",action="ACTION"}' "$LAB_TMP/man"
check "ipv4ctl(8): drops as ipv4opt_drops_total{policy=\"NAME\",action=\"ACTION\",reason=\"R\"}" \
	grep -qF 'ipv4opt_drops_total{policy="NAME",action="ACTION",reason="R"}' "$LAB_TMP/man"
check "ipv4ctl(8): ipv4opt_build_info{version=\"VERSION\"} 1" \
	grep -qF 'ipv4opt_build_info{version="VERSION"} 1' "$LAB_TMP/man"
check "ipv4ctl(8): the data path's counters" \
	grep -qF 'ipv4opt_unmatched_packets_total' "$LAB_TMP/man"
# and what the page shows is what --prometheus prints, label for label
check "the printed series have the documented labels" \
	grep -qE '^ipv4opt_packets_received_total\{policy="out",action="relay"\} [0-9]+$' "$LAB_TMP/prom"
lab_done
