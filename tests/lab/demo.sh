#!/usr/bin/env bash
# The main job: ipv4optd at work in a lab of network namespaces, on the lab's own config
# (tests/lab/demo.conf; the installed default, conf/ipv4optd.conf, holds no policy), step by
# step. Every table shown is read from the kernel, and every step is checked: "ok - ..." or
# "FAIL - ..." after what it shows, "N passed, M failed" at the end, exit status 1 on any
# failure. Facts are polled with deadlines of seconds, so a loaded machine is slow, not failing.
#
#   src (sender)  s0 10.77.0.5 ---- lab0 ┐
#                 s1 10.77.1.5 ---- lab1 ├ host: ipv4optd (+ vlan100, created later)
#   rcv           r2 10.77.2.9 ---- lab2 ┘ relays 232.1.1.1 from lab1 to 239.2.2.2 on lab2
#
# Usage: tests/lab/demo.sh [CONFIG]   (as root; `make lab` runs it on tests/lab/demo.conf,
# whose policies the checks expect)
conf=${1:-$(cd "$(dirname "$0")" && pwd)/demo.conf}
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

# ipv4ctl -j show: the state of POLICY's membership of GROUP on DEV ("none" if not listed),
# and its interface index.
member_field() { # POLICY GROUP DEV FIELD
	lab_exec host "$IPV4CTL" -S "$LAB_TMP/ctl.sock" -j show 2>/dev/null | python3 -c '
import json, sys
p, g, dev, field = sys.argv[1:]
for m in json.load(sys.stdin).get("members", []):
	if m["policy"] == p and m["group"] == g and m["ifname"] == dev:
		print(m[field]); break
else:
	print("none")' "$@"
}
member_field_is() { # POLICY GROUP DEV FIELD VALUE
	[ "$(member_field "$1" "$2" "$3" "$4")" = "$5" ]
}
member_state_is() { # POLICY GROUP DEV STATE
	member_field_is "$1" "$2" "$3" state "$4"
}
mcfilter_is() { # NS IF GROUP SOURCE include|exclude|none
	[ "$(mcfilter_mode "$1" "$2" "$3" "$4")" = "$5" ]
}
link_has_carrier() { # NS IF
	lab_ip "$1" link show "$2" 2>/dev/null | grep -q LOWER_UP
}
logged() { # a fixed string in the daemon's log
	grep -qF -- "$1" "$DAEMON_LOG"
}
relay_got() { # KEY: what the receiver of the relay step reported
	sed -n "s/^$1=//p" "$LAB_TMP/relay.out"
}
stat_of() { # POLICY KEY: a counter of ipv4ctl -j stats
	lab_exec host "$IPV4CTL" -S "$LAB_TMP/ctl.sock" -j stats 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["policies"][sys.argv[1]][sys.argv[2]])' "$@"
}

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
for dev in lab0 lab1 lab2; do
	check "$dev is up with carrier" lab_wait 10 link_has_carrier host $dev
done
say "config: $conf"
out=$("$IPV4OPTD" --test-config -f "$conf" 2>&1); rc=$?
say "\$ ipv4optd --test-config -f $conf"
say "  $out"
check "ipv4optd --test-config accepts it" [ $rc -eq 0 ]

step "Starting ipv4optd on the lab's config"
lab_daemon_start host "$conf"
daemon_says
check "the kernel holds 239.1.1.1 on lab0 (policy iptv)" lab_wait 10 igmp_has host lab0 239.1.1.1
check "and 232.1.1.1 on lab1 (feed-a)" lab_wait 10 igmp_has host lab1 232.1.1.1
check "only from 10.77.1.5: source filter INCLUDE 10.77.1.5" \
	mcfilter_is host lab1 232.1.1.1 10.77.1.5 include
for dev in lab0 lab1 lab2; do
	check "and 239.9.9.9 on $dev (probe: lab*)" lab_wait 10 igmp_has host $dev 239.9.9.9
done
check "probe blocks 10.77.9.9: source filter EXCLUDE 10.77.9.9 on lab2" \
	mcfilter_is host lab2 239.9.9.9 10.77.9.9 exclude
kernel_groups
kernel_filters
ctl show
check "ipv4ctl show: iptv joined on lab0" member_state_is iptv 239.1.1.1 lab0 joined

step "A plain receiver on port 5000 in the host: the daemon's membership pulls 239.1.1.1 in"
lab_recv_start host 5000
check "datagrams sent to 239.1.1.1:5000 from src arrive" lab_traffic_flows src 10.77.0.5 239.1.1.1 5000
say "received: $(tail -1 "$LAB_TMP/recv.5000")"

step "Relay: feed-a takes 232.1.1.1 from 10.77.1.5 and sends it to 239.2.2.2:6000 on lab2 (AF41, TTL 8)"
MCSEND=$top_builddir/tests/lab/mcsend
MCRECV=$top_builddir/tests/lab/mcrecv
# The receiver stops after 10,000 datagrams, or 3 s after the last one, or 60 s in all.
lab_exec rcv "$MCRECV" -p 6000 -g 239.2.2.2 -I r2 -c 10000 -T 60 -q 3000 \
	>"$LAB_TMP/relay.out" 2>"$LAB_TMP/relay.err" &
rpid=$!
LAB_PIDS+=("$rpid")
check "a receiver in rcv listens on 239.2.2.2:6000" lab_wait 10 grep -q ready "$LAB_TMP/relay.err"
say "sending 10,000 datagrams of 1316 bytes at 20,000/s from 10.77.1.5 to 232.1.1.1:5001"
lab_exec src "$MCSEND" -s 10.77.1.5 -I s1 -n 10000 -l 1316 -r 20000 232.1.1.1:5001 >/dev/null
lab_reap "$rpid" 90
got=$(relay_got packets)
say "the receiver in rcv got: $(tr '\n' ' ' <"$LAB_TMP/relay.out" | grep -oE 'packets=[0-9]+ bytes=[0-9]+ tos=[^ ]+ ttl=[^ ]+ sources=[^ ]*')"
check "the receiver got relayed datagrams ($got of 10000)" [ "${got:-0}" -gt 0 ]
check "every one with TOS 0x88: DSCP AF41, as the policy says" [ "$(relay_got tos)" = 0x88 ]
check "every one with TTL 8, as the policy says" [ "$(relay_got ttl)" = 8 ]
check "every one from the host's lab2 address 10.77.2.1" [ "$(relay_got sources)" = 10.77.2.1 ]
ctl stats
sent=$(stat_of feed-a packets_sent)
check "ipv4ctl stats: feed-a counts as sent at least what arrived ($sent >= $got)" \
	[ "${sent:-0}" -ge "${got:-0}" ]

step "A runtime join: ipv4ctl join 239.5.5.5 dev lab1 (kept across reloads and restarts)"
ctl join 239.5.5.5 dev lab1; rc=$?
check "ipv4ctl join exits 0" [ $rc -eq 0 ]
check "the kernel holds 239.5.5.5 on lab1" lab_wait 10 igmp_has host lab1 239.5.5.5
check "ipv4ctl show: the runtime join is joined" member_state_is runtime 239.5.5.5 lab1 joined
check "it is in the state file (for restarts)" grep -rqF 239.5.5.5 "$LAB_TMP/state"
daemon_says
kernel_groups

step "An interface matching the pattern vlan1* appears: vlan100"
lab_veth host vlan100 src sv100
check "the kernel holds 239.1.1.1 on vlan100" lab_wait 10 igmp_has host vlan100 239.1.1.1
daemon_says
kernel_groups

step "Link flap: lab0 down, then up (the kernel keeps memberships across down/up)"
lab_ip host link set lab0 down
# A marker: a new interface after the down event. Once the daemon logs it, it has read every
# event before it (rtnetlink keeps order), lab0's down included.
say "(then an interface mark0 is created: once the daemon logs it, it has read lab0's down)"
lab_veth host mark0 src mk0
check "the daemon has seen lab0 go down (it has logged the later mark0)" \
	lab_wait 10 logged "Interface mark0 appeared"
daemon_says
check "lab0 is down: 239.1.1.1 still held there" igmp_has host lab0 239.1.1.1
lab_ip host link set lab0 up
check "lab0 is up again, with carrier" lab_wait 10 link_has_carrier host lab0
check "lab0 is up: 239.1.1.1 held" igmp_has host lab0 239.1.1.1
check "traffic resumes" lab_traffic_flows src 10.77.0.5 239.1.1.1 5000
say "received: $(tail -1 "$LAB_TMP/recv.5000")"

step "lab0 deleted (as a VLAN, PPP or container veth is): its memberships wait for the name"
old=$(ifindex host lab0)
lab_ip host link del lab0
check "the daemon logs that lab0 is gone" lab_wait 10 logged "Interface lab0 (index $old) is gone"
check "ipv4ctl show: iptv on lab0 is waiting for the interface" \
	lab_wait 10 member_state_is iptv 239.1.1.1 lab0 waiting
daemon_says
kernel_groups
ctl show

step "lab0 created again: a new index, rejoined by name, no reload"
lab_veth src s0 host lab0
lab_ip src addr add 10.77.0.5/24 dev s0; lab_ip src link set s0 up
lab_ip host addr add 10.77.0.1/24 dev lab0; lab_ip host link set lab0 up
new=$(ifindex host lab0)
say "lab0 was index $old, is now index $new"
check "lab0 has a new index ($old -> $new)" [ "$new" != "$old" ]
check "the kernel holds 239.1.1.1 on the new lab0" lab_wait 10 igmp_has host lab0 239.1.1.1
check "ipv4ctl show: iptv joined on lab0, index $new" \
	lab_wait 10 member_field_is iptv 239.1.1.1 lab0 ifindex "$new"
daemon_says
kernel_groups
ctl show
check "lab0 has carrier" lab_wait 10 link_has_carrier host lab0
check "traffic flows again" lab_traffic_flows src 10.77.0.5 239.1.1.1 5000
say "received: $(tail -1 "$LAB_TMP/recv.5000")"

step "Stopping ipv4optd (SIGTERM): it leaves every group and exits"
kill -TERM "$DAEMON_PID"
lab_reap "$DAEMON_PID" 20; rc=$?
daemon_says
check "it said it leaves every group" logged "leaving every group"
check "it exited with status 0 ($rc)" [ $rc -eq 0 ]
echo
echo "${bold}Demo complete.${norm}"
lab_done
