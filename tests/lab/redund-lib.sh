# shellcheck shell=bash
# The redundancy lab, sourced by tests/lab/relay-merge.sh and relay-failover.sh after lib.sh:
#
#   src (sA 10.81.1.2) ==veth== (inA 10.81.1.1) d (out0 10.81.3.1) ==veth== (r0 10.81.3.2) rcv
#   src (sB 10.81.2.2) ==veth== (inB 10.81.2.1) d
#
# one stream reaches the daemon (in d) on two paths, A and B; rtpdup sends (src) and receives
# (rcv).
RTPDUP=$top_builddir/tests/lab/rtpdup
SOCK=$LAB_TMP/ctl.sock

redund_lab() {
	lab_ns src
	lab_ns d
	lab_ns rcv
	lab_veth src sA d inA
	lab_veth src sB d inB
	lab_veth d out0 rcv r0
	lab_ip src addr add 10.81.1.2/24 dev sA
	lab_ip src addr add 10.81.2.2/24 dev sB
	lab_ip d addr add 10.81.1.1/24 dev inA
	lab_ip d addr add 10.81.2.1/24 dev inB
	lab_ip d addr add 10.81.3.1/24 dev out0
	lab_ip rcv addr add 10.81.3.2/24 dev r0
	for l in "src sA" "src sB" "d inA" "d inB" "d out0" "rcv r0"; do
		# shellcheck disable=SC2086
		set -- $l
		lab_ip "$1" link set "$2" up
	done
	lab_exec d sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.inA.rp_filter=0 \
		net.ipv4.conf.inB.rp_filter=0
	lab_wait 10 bash -c "ip -n $LAB_ID-d link show inA | grep -q LOWER_UP && \
		ip -n $LAB_ID-d link show inB | grep -q LOWER_UP && \
		ip -n $LAB_ID-d link show out0 | grep -q LOWER_UP" || { echo "lab links not up"; exit 99; }
}

# stat_of POLICY KEY: a counter of ipv4ctl stats -j (inputs.N.KEY: of input N, from 1).
stat_of() {
	"$IPV4CTL" -S "$SOCK" -j stats "$1" |
		python3 -c 'import json,sys
p=json.load(sys.stdin)["policies"][sys.argv[1]]; k=sys.argv[2].split(".")
print(p["inputs"][int(k[1])-1][k[2]] if k[0] == "inputs" else p[k[0]])' "$1" "$2"
}

stat_is() {
	[ "$(stat_of "$1" "$2" 2>/dev/null)" = "$3" ]
}

stat_ge() {
	local v
	v=$(stat_of "$1" "$2" 2>/dev/null)
	[ -n "$v" ] && [ "$v" -ge "$3" ]
}

# joined IF GROUP: the daemon holds GROUP on IF.
joined() {
	igmp_has d "$1" "$2"
}

# recv_start RTPDUP-RECV-ARGS...: rtpdup recv in rcv, lines in $LAB_TMP/recv.out.
recv_start() {
	: >"$LAB_TMP/recv.err"
	ip netns exec "$LAB_ID-rcv" "$RTPDUP" recv "$@" >"$LAB_TMP/recv.out" 2>"$LAB_TMP/recv.err" &
	RECV_PID=$!
	LAB_PIDS+=("$RECV_PID")
	lab_wait 10 grep -q ready "$LAB_TMP/recv.err" || {
		echo "rtpdup recv did not start:"; cat "$LAB_TMP/recv.err"; exit 99; }
}
