#!/usr/bin/env bash
# The main job: ipv4optd at work on the shipped config (conf/ipv4optd.conf), in a lab of
# network namespaces, step by step. Every table shown is read from the kernel.
#
#   src (sender)  s0 10.77.0.5 ---- lab0 ┐
#                 s1 10.77.1.5 ---- lab1 ├ host: ipv4optd (+ vlan100, created later)
#   rcv           r2 10.77.2.9 ---- lab2 ┘ relays 232.1.1.1 from lab1 to 239.2.2.2 on lab2
#
# Usage: tests/lab/demo.sh [CONFIG]   (as root; `make lab` runs it)
conf=${1:-$(cd "$(dirname "$0")/../.." && pwd)/conf/ipv4optd.conf}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it builds network namespaces)" >&2
	exit 1
fi
. "$(dirname "$0")/lib.sh"

bold=; norm=
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null || true); norm=$(tput sgr0 2>/dev/null || true); fi
step() { echo; echo "${bold}== $*${norm}"; }
say() { echo "   $*"; }

dotted() { # a 32-bit number to a dotted quad
	printf '%d.%d.%d.%d' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255))
}

# The groups the kernel holds on each interface of the daemon's namespace, and the source
# filters, decoded from /proc/net/igmp (network-order hex) and /proc/net/mcfilter (host order).
kernel_groups() {
	local dev idx n=0 h line a b
	while IFS= read -r line; do
		read -r a b _ <<<"$line"
		case "$line" in
		Idx*) ;;
		[0-9]*) idx=$a; dev=${b%:} ;;
		*)
			[ "$a" = 010000E0 ] && continue # 224.0.0.1, every host holds it
			h=0x$a
			printf '   kernel: %-8s (index %-3s) holds %s\n' "$dev" "$idx" \
				"$(dotted $(( (h & 255) << 24 | (h >> 8 & 255) << 16 | (h >> 16 & 255) << 8 | (h >> 24 & 255) )))"
			n=$((n + 1)) ;;
		esac
	done < <(lab_exec host cat /proc/net/igmp)
	[ $n -gt 0 ] || echo "   kernel: no group held"
}

# The interfaces' source filters, from /proc/net/mcfilter. (That file starts each device at the
# head of its group list and skips the device when that group has no sources, so it can hide
# filters that are in force; it is complete here, right after start.)
kernel_filters() {
	local dev g src inc
	while read -r _ dev g src inc _; do
		[ "$dev" = Device ] && continue
		printf '   kernel: %-8s source filter: %s %s %s\n' "$dev" "$(dotted "$g")" \
			"$([ "$inc" -gt 0 ] && echo INCLUDE || echo EXCLUDE)" "$(dotted "$src")"
	done < <(lab_exec host cat /proc/net/mcfilter)
}

ctl() { # ipv4ctl against the lab daemon's control socket, output indented
	echo "   \$ ipv4ctl $*"
	lab_exec host "$IPV4CTL" -S "$LAB_TMP/ctl.sock" "$@" 2>&1 | sed 's/^/     /'
}

daemon_says() {
	tail -n +"$((log_mark + 1))" "$DAEMON_LOG" | sed 's/^/   daemon: /'
	log_mark=$(wc -l <"$DAEMON_LOG")
}
log_mark=0

step "Building the lab: namespaces host, src, rcv; veth pairs lab0, lab1, lab2"
lab_ns host; lab_ns src; lab_ns rcv
lab_veth src s0 host lab0
lab_veth src s1 host lab1
lab_veth rcv r2 host lab2
lab_ip src addr add 10.77.0.5/24 dev s0; lab_ip src link set s0 up
lab_ip src addr add 10.77.1.5/24 dev s1; lab_ip src link set s1 up
lab_ip host addr add 10.77.0.1/24 dev lab0; lab_ip host link set lab0 up
lab_ip host addr add 10.77.1.1/24 dev lab1; lab_ip host link set lab1 up
lab_ip host addr add 10.77.2.1/24 dev lab2; lab_ip host link set lab2 up
lab_ip rcv addr add 10.77.2.9/24 dev r2; lab_ip rcv link set r2 up
lab_exec host sysctl -qw net.ipv4.conf.all.rp_filter=0
say "config: $conf"
"$IPV4OPTD" --test-config -f "$conf" | sed 's/^/   /'

step "Starting ipv4optd on the shipped config"
lab_daemon_start host "$conf"
daemon_says
kernel_groups
kernel_filters
ctl show

step "A plain receiver on port 5000 in the host: the daemon's membership pulls 239.1.1.1 in"
lab_recv_start host 5000
lab_wait 3 bash -c "ip -n $LAB_ID-host link show lab0 | grep -q LOWER_UP"
if lab_traffic_flows src 10.77.0.5 239.1.1.1 5000; then
	say "received: $(tail -1 "$LAB_TMP/recv.5000")"
else
	say "NOT received"; exit 1
fi

step "Relay: feed-a takes 232.1.1.1 from 10.77.1.5 and sends it to 239.2.2.2:6000 on lab2 (AF41, TTL 8)"
MCSEND=$top_builddir/tests/lab/mcsend
MCRECV=$top_builddir/tests/lab/mcrecv
lab_exec rcv "$MCRECV" -p 6000 -g 239.2.2.2 -I r2 -c 10000 -T 10 -q 1000 \
	>"$LAB_TMP/relay.out" 2>"$LAB_TMP/relay.err" &
rpid=$!
LAB_PIDS+=("$rpid")
lab_wait 3 grep -q ready "$LAB_TMP/relay.err"
say "sending 10,000 datagrams of 1316 bytes at 20,000/s from 10.77.1.5 to 232.1.1.1:5001"
lab_exec src "$MCSEND" -s 10.77.1.5 -I s1 -n 10000 -l 1316 -r 20000 232.1.1.1:5001 >/dev/null
wait "$rpid"
say "the receiver in rcv got: $(tr '\n' ' ' <"$LAB_TMP/relay.out" | grep -oE 'packets=[0-9]+ bytes=[0-9]+ tos=[^ ]+ ttl=[^ ]+ sources=[^ ]*')"
say "(TOS 0x88 is DSCP AF41; TTL 8 as the policy says; the source is the host's lab2 address)"
ctl stats

step "A runtime join: ipv4ctl join 239.5.5.5 dev lab1 (kept across reloads and restarts)"
ctl join 239.5.5.5 dev lab1
daemon_says
kernel_groups

step "An interface matching the pattern vlan1* appears: vlan100"
lab_veth host vlan100 src sv100
lab_wait 2 igmp_has host vlan100 239.1.1.1
daemon_says
kernel_groups

step "Link flap: lab0 down, then up"
lab_ip host link set lab0 down
say "lab0 is down: $(igmp_has host lab0 239.1.1.1 && echo "239.1.1.1 still held" || echo "239.1.1.1 lost")"
lab_ip host link set lab0 up
lab_wait 3 bash -c "ip -n $LAB_ID-host link show lab0 | grep -q LOWER_UP"
say "lab0 is up: $(igmp_has host lab0 239.1.1.1 && echo "239.1.1.1 held" || echo "239.1.1.1 lost")"
lab_traffic_flows src 10.77.0.5 239.1.1.1 5000 && say "traffic resumes: $(tail -1 "$LAB_TMP/recv.5000")"

step "lab0 deleted (as a VLAN, PPP or container veth is): its memberships wait for the name"
old=$(ifindex host lab0)
lab_ip host link del lab0
lab_wait 2 igmp_lacks host lab0 239.1.1.1
daemon_says
kernel_groups
ctl show

step "lab0 created again: a new index, rejoined by name, no reload"
lab_veth src s0 host lab0
lab_ip src addr add 10.77.0.5/24 dev s0; lab_ip src link set s0 up
lab_ip host addr add 10.77.0.1/24 dev lab0; lab_ip host link set lab0 up
lab_wait 2 igmp_has host lab0 239.1.1.1
say "lab0 was index $old, is now index $(ifindex host lab0)"
daemon_says
kernel_groups
ctl show
lab_wait 3 bash -c "ip -n $LAB_ID-host link show lab0 | grep -q LOWER_UP"
lab_traffic_flows src 10.77.0.5 239.1.1.1 5000 && say "traffic flows again: $(tail -1 "$LAB_TMP/recv.5000")"

step "Stopping ipv4optd (SIGTERM): every group is left"
lab_daemon_stop; rc=$?
daemon_says
say "exit status $rc"
kernel_groups
echo
echo "${bold}Demo complete.${norm}"
