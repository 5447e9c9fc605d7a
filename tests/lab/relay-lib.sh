# shellcheck shell=bash
# The data-path lab, sourced by tests/lab/relay-*.sh after lib.sh: three namespaces,
#
#   src (s0 10.80.1.2, .3) ==veth== (in0 10.80.1.1) d (out0 10.80.2.1) ==veth== (r0 10.80.2.2) rcv
#
# the daemon runs in d, mcsend in src, mcrecv in rcv.
MCSEND=$top_builddir/tests/lab/mcsend
MCRECV=$top_builddir/tests/lab/mcrecv
SOCK=$LAB_TMP/ctl.sock

relay_lab() {
	lab_ns src
	lab_ns d
	lab_ns rcv
	lab_veth src s0 d in0
	lab_veth d out0 rcv r0
	lab_ip src addr add 10.80.1.2/24 dev s0
	lab_ip src addr add 10.80.1.3/24 dev s0
	lab_ip d addr add 10.80.1.1/24 dev in0
	lab_ip d addr add 10.80.2.1/24 dev out0
	lab_ip rcv addr add 10.80.2.2/24 dev r0
	lab_ip src link set s0 up
	lab_ip d link set in0 up
	lab_ip d link set out0 up
	lab_ip rcv link set r0 up
	lab_exec d sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.in0.rp_filter=0
	lab_wait 10 bash -c "ip -n $LAB_ID-d link show in0 | grep -q LOWER_UP && \
		ip -n $LAB_ID-d link show out0 | grep -q LOWER_UP" || { echo "lab links not up"; exit 99; }
}

# relay_loop_lab: relay_lab, and rcv bridges r0 with r1, whose peer is in1 (10.80.3.1) in the
# daemon's namespace: what the daemon sends out of out0 comes back on in1. The kernel drops
# packets whose source is one of the host's addresses unless accept_local is set: with it set
# (as some setups need), the daemon's own check is what stops the loop.
relay_loop_lab() {
	relay_lab
	lab_veth d in1 rcv r1
	lab_ip rcv link add br0 type bridge
	lab_ip rcv link set r0 master br0
	lab_ip rcv link set r1 master br0
	lab_ip rcv addr del 10.80.2.2/24 dev r0
	lab_ip rcv addr add 10.80.2.2/24 dev br0
	lab_ip rcv link set br0 type bridge mcast_snooping 0
	lab_ip rcv link set r1 up
	lab_ip rcv link set br0 up
	lab_ip d link set in1 up
	lab_ip d addr add 10.80.3.1/24 dev in1
	lab_exec d sysctl -qw net.ipv4.conf.in1.rp_filter=0 net.ipv4.conf.in1.accept_local=1 \
		net.ipv4.conf.all.accept_local=1
	lab_wait 5 bash -c "ip -n $LAB_ID-d link show in1 | grep -q LOWER_UP && \
		ip -n $LAB_ID-rcv link show br0 | grep -q LOWER_UP" ||
		{ echo "the loop lab's links did not come up"; exit 99; }
}

# recv_start NAME MCRECV-ARGS...: mcrecv in rcv, output in $LAB_TMP/NAME.out; waits until it
# listens. Sets RECV_PID. Give it a count (-c) and a total deadline (-T) rather than an idle
# timeout (-q): it ends as soon as all came, and a starved sender cannot end it early.
recv_start() {
	local name=$1; shift
	: >"$LAB_TMP/$name.err"
	lab_exec rcv "$MCRECV" "$@" >"$LAB_TMP/$name.out" 2>"$LAB_TMP/$name.err" &
	RECV_PID=$!
	LAB_PIDS+=("$RECV_PID")
	lab_wait 10 grep -q ready "$LAB_TMP/$name.err" || {
		echo "mcrecv $name did not start:"; cat "$LAB_TMP/$name.err"; exit 99; }
}

# recv_value NAME KEY: a value mcrecv reported.
recv_value() {
	sed -n "s/^$2=//p" "$LAB_TMP/$1.out"
}

# send SRCADDR ADDR:PORT MCSEND-ARGS...: mcsend in src from SRCADDR out s0.
send() {
	local src=$1 dst=$2; shift 2
	lab_exec src "$MCSEND" -s "$src" -I s0 "$@" "$dst" >/dev/null
}

# stat_of POLICY KEY: a counter of ipv4ctl stats -j.
stat_of() {
	"$IPV4CTL" -S "$SOCK" -j stats "$1" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); p=d["policies"][sys.argv[1]]; k=sys.argv[2]; print(p["drops"][k[6:]] if k.startswith("drops.") else p[k])' "$1" "$2"
}

# stat_is POLICY KEY VALUE: the counter equals VALUE now.
stat_is() {
	[ "$(stat_of "$1" "$2" 2>/dev/null)" = "$3" ]
}

# stat_ge POLICY KEY VALUE: the counter is at least VALUE now.
stat_ge() {
	local v
	v=$(stat_of "$1" "$2" 2>/dev/null)
	[ -n "$v" ] && [ "$v" -ge "$3" ]
}

# stat_wait POLICY KEY VALUE: polls (10 s) until the counter equals VALUE. The daemon counts a
# datagram after the kernel took it, so a receiver can hold it before the count moves.
stat_wait() {
	lab_wait 10 stat_is "$@"
}

# joined GROUP: the daemon holds GROUP on in0.
joined() {
	igmp_has d in0 "$1"
}
