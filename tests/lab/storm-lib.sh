# shellcheck shell=bash
# Helpers of the fault-storm tests (tests/lab/storm-*.sh), sourced after lib.sh: the kernel's
# membership tables of a namespace as sorted text, to compare whole with what a config implies.

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

# log_lacks PATTERN: the daemon's log has no line matching PATTERN (those it has are shown).
log_lacks() {
	! grep -E "$1" "$DAEMON_LOG" | head -5 | sed 's/^/  log: /' | grep . >&2
}
