# shellcheck shell=bash
# Helpers of the fault-storm tests (tests/lab/storm-*.sh), sourced after lib.sh: the kernel's
# membership tables of a namespace as sorted text, to compare whole with what a config implies.
# Also used by the membership, notify and lifecycle tests: barriers that prove the daemon has
# handled a link event, a reap with a deadline, and a stop that is held at exit_group so that
# "every group left" is read while the process still exists.

# hex(S): the value of the hex digits S (mawk has no strtonum).
STORM_AWK_HEX='
	function hex(s,    v, i) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
		return v
	}'

# /proc/net/mcfilter starts each listing at the first device whose most recent membership
# (the head of its list) has sources, and from there walks every list whole: a device whose
# head is 224.0.0.1, as after each link up (the kernel joins it again, at the head), shows no
# filter unless a device before it started the walk, though its filters are intact. So the
# tests keep an anchor: a source-specific membership on lo, the first device, held by a small
# process and left out of the tables below.
STORM_ANCHOR_GROUP=232.255.255.255
STORM_ANCHOR_SOURCE=127.0.0.2

# mcfilter_anchor NS: starts the anchor in NS (lo up) and waits until the kernel lists it.
mcfilter_anchor() {
	ip netns exec "$LAB_ID-$1" python3 -c '
import signal, socket, struct, sys
def sa(a):
    return struct.pack("=H2s4s8s", socket.AF_INET, b"\0\0", socket.inet_aton(a), b"\0" * 8).ljust(128, b"\0")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 46, # MCAST_JOIN_SOURCE_GROUP, struct group_source_req
             struct.pack("=I4x", socket.if_nametoindex("lo")) + sa(sys.argv[1]) + sa(sys.argv[2]))
signal.pause()' "$STORM_ANCHOR_GROUP" "$STORM_ANCHOR_SOURCE" &
	LAB_PIDS+=("$!")
	lab_wait 3 bash -c "ip netns exec '$LAB_ID-$1' cat /proc/net/mcfilter | grep -q '^ *1 *lo '" ||
		{ echo "the mcfilter anchor did not start"; exit 99; }
}

# igmp_table NS: one line "DEV GROUP USERS" per group the kernel holds in NS, on every device
# (224.0.0.1, which the kernel joins itself on each device, excluded), sorted.
igmp_table() {
	lab_exec "$1" cat /proc/net/igmp | awk "$STORM_AWK_HEX"'
		NR == 1 { next }
		/^[0-9]/ { dev = $2; next }
		$1 != "010000E0" {
			g = $1
			if (dev == "lo" && g == "FFFFFFE8")
				next # the anchor
			printf "%s %d.%d.%d.%d %s\n", dev, hex(substr(g, 7, 2)), hex(substr(g, 5, 2)),
				hex(substr(g, 3, 2)), hex(substr(g, 1, 2)), $2
		}' | sort
}

# mcfilter_table NS: one line "DEV GROUP SOURCE INCLUDE EXCLUDE" per source filter entry in
# NS (the counts are how many sockets include or exclude that source), sorted.
mcfilter_table() {
	lab_exec "$1" cat /proc/net/mcfilter | awk "$STORM_AWK_HEX"'
		function dotted(h) {
			sub(/^0x/, "", h)
			return sprintf("%d.%d.%d.%d", hex(substr(h, 1, 2)), hex(substr(h, 3, 2)),
				       hex(substr(h, 5, 2)), hex(substr(h, 7, 2)))
		}
		NR > 1 && !($2 == "lo" && $3 == "0xe8ffffff") { print $2, dotted($3), dotted($4), $5, $6 }' |
		sort
}

# table_is FILE CMD...: true if CMD prints exactly the lines of FILE (sorted); otherwise shows
# the difference (expected -, actual +) on stderr.
table_is() {
	local want=$1; shift
	"$@" >"$LAB_TMP/table.actual"
	if sort "$want" | cmp -s - "$LAB_TMP/table.actual"; then
		return 0
	fi
	sort "$want" | diff - "$LAB_TMP/table.actual" | sed -n 's/^[<>]/  &/p' >&2
	return 1
}

# table_eventually SECONDS FILE CMD...: table_is, retried until it holds or time runs out
# (the difference of the last try is shown).
table_eventually() {
	local t=$1; shift
	lab_wait "$t" table_is "$@" 2>/dev/null || table_is "$@"
}

# daemon_fds PID: how many file descriptors PID has open.
daemon_fds() {
	ls "/proc/$1/fd" | wc -l
}

# daemon_rss_kib PID: resident set size of PID in KiB.
daemon_rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# show_members SOCK: one line "ORIGIN POLICY GROUP MODE SOURCES IFNAME IFINDEX STATE" per
# member of `ipv4ctl show -j` (SOURCES comma-separated, "-" for none), sorted.
show_members() {
	"$IPV4CTL" -S "$1" -j show | python3 -c '
import json, sys
for m in json.load(sys.stdin)["members"]:
    print(m["origin"], m["policy"], m["group"], m["mode"], ",".join(m["sources"]) or "-",
          m["ifname"], m["ifindex"], m["state"])' | sort
}

# members_joined_on_current_index NS SOCK: every member of `show -j` is joined, on the index
# its interface has now in NS.
members_joined_on_current_index() {
	local ok=0 origin policy group mode sources ifname idx state
	while read -r origin policy group mode sources ifname idx state; do
		if [ "$state" != joined ] || [ "$idx" != "$(ifindex "$1" "$ifname")" ]; then
			echo "  not joined on the current index: $policy $group $ifname $idx $state" >&2
			ok=1
		fi
	done < <(show_members "$2")
	return $ok
}

# seen NAME [SECONDS]: the daemon has handled the creation of interface NAME, within SECONDS
# (10) (it logs it, then reconciles in the same event; a control request answered after that
# is answered after the reconcile: one thread runs both). Uses lab_daemon_start's socket.
seen() {
	lab_wait "${2:-10}" grep -q "Interface $1 appeared" "$DAEMON_LOG" &&
		"$IPV4CTL" -S "$LAB_TMP/ctl.sock" status >/dev/null
}

# links_barrier NS PEER_NS: the daemon (in NS) has handled every rtnetlink message sent before
# now: a marker interface is created, and the daemon reads its socket in order (an overrun
# aside, which it logs). For a check that something did NOT change after a link event.
LINKS_BARRIERS=0
links_barrier() {
	LINKS_BARRIERS=$((LINKS_BARRIERS + 1))
	lab_veth "$1" "mark$LINKS_BARRIERS" "$2" "pmark$LINKS_BARRIERS" &&
		seen "mark$LINKS_BARRIERS" 30
}

# check_held_at_exit DESCRIPTION CMD...: stops the daemon (SIGTERM) and checks CMD at the last
# moment its process still exists: strace holds it at the entry of exit_group(2), after it has
# released its memberships and before the kernel closes whatever sockets it still has. (The
# kernel drops a closed socket's memberships itself, so a table read after the exit cannot
# fail.) DAEMON_RC is then the daemon's exit status (124: killed after 20 s). A sanitizer
# build cannot be held (LeakSanitizer ptraces the daemon at exit, and a process has one
# tracer): there the daemon is only stopped, and the check is not made, which it says.
check_held_at_exit() {
	local what=$1; shift
	if [ -n "${SAN_CFLAGS:-}" ]; then
		echo "# not checked in a sanitizer build (LeakSanitizer traces the daemon at exit): $what"
		lab_daemon_stop
		DAEMON_RC=$?
		return 0
	fi
	check "$what" daemon_stop_holding "$@"
}

# daemon_stop_holding CMD...: the stop of check_held_at_exit; returns CMD's status, 1 if the
# daemon never reached exit_group.
daemon_stop_holding() {
	local tracer rc=0
	command -v strace >/dev/null || { echo "strace is missing (tests/bootstrap installs it)"; exit 99; }
	strace -qq -p "$DAEMON_PID" -e trace=exit_group -e inject=exit_group:delay_enter=60000000 \
		-o /dev/null &
	tracer=$!
	LAB_PIDS+=("$tracer")
	lab_wait 10 _traced "$DAEMON_PID" || { echo "strace did not attach to $DAEMON_PID"; exit 99; }
	kill -TERM "$DAEMON_PID"
	if lab_wait 20 _in_exit_group "$DAEMON_PID"; then
		"$@"
		rc=$?
	else
		echo "the daemon did not reach exit_group within 20 s of SIGTERM"
		rc=1
	fi
	kill -TERM "$tracer" 2>/dev/null # detaches; the delayed exit_group goes on at once
	lab_reap "$tracer" 10 >/dev/null
	lab_reap "$DAEMON_PID" 20
	DAEMON_RC=$?
	return $rc
}
_traced() {
	awk '/^TracerPid:/ { exit !($2 != 0) }' "/proc/$1/status" 2>/dev/null
}
# /proc/PID/syscall: the number of the system call a stopped task is in (exit_group: 231 on
# x86_64, 94 on arm64 and riscv64).
case $(uname -m) in
aarch64 | riscv64) NR_EXIT_GROUP=94 ;;
*) NR_EXIT_GROUP=231 ;;
esac
_in_exit_group() {
	local nr
	read -r nr _ <"/proc/$1/syscall" 2>/dev/null && [ "$nr" = "$NR_EXIT_GROUP" ]
}

# log_lacks PATTERN: the daemon's log has no line matching PATTERN (those it has are shown).
log_lacks() {
	! grep -E "$1" "$DAEMON_LOG" | head -5 | sed 's/^/  log: /' | grep . >&2
}
