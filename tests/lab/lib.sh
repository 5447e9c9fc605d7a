# shellcheck shell=bash
# The namespace lab for integration tests: sourced by tests/lab/*.sh.
#
# Each test builds its own network namespaces (named ipv4opt-l<pid>-<name>) joined by veth
# pairs, runs the real daemon inside one of them and reads the kernel's own tables there.
# Everything is removed on exit, whatever the outcome. Traffic stays inside these namespaces.
set -u

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: $0 needs root (network namespaces)"
	exit 77
fi

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
IPV4OPTD=$top_builddir/src/ipv4optd/ipv4optd
IPV4CTL=$top_builddir/src/ipv4ctl/ipv4ctl
LAB_ID=ipv4opt-l$$
LAB_TMP=$(mktemp -d /tmp/ipv4opt-lab.XXXXXX)
LAB_NS=()
LAB_PIDS=()
LAB_FAILED=0
LAB_CHECKS=0

lab_cleanup() {
	local p n
	for p in "${LAB_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${LAB_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
	done
	# Whatever still runs inside a lab namespace (a helper started through a function, whose
	# recorded pid was only the subshell) is ended with it.
	for n in "${LAB_NS[@]}"; do
		p=$(ip netns pids "$n" 2>/dev/null)
		[ -n "$p" ] && kill -KILL $p 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$LAB_TMP"
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

# Remove labs whose test died without cleaning up.
for n in $(ip netns list 2>/dev/null | awk '/^ipv4opt-l[0-9]+-/{print $1}'); do
	p=${n#ipv4opt-l}; p=${p%%-*}
	[ -d "/proc/$p" ] || ip netns del "$n" 2>/dev/null
done

# lab_ns NAME: creates namespace NAME (lo up). Commands address it by NAME.
lab_ns() {
	ip netns add "$LAB_ID-$1" || exit 99
	LAB_NS+=("$LAB_ID-$1")
	ip -n "$LAB_ID-$1" link set lo up
}

# lab_exec NAME CMD...: runs CMD inside namespace NAME.
lab_exec() {
	local ns=$1; shift
	ip netns exec "$LAB_ID-$ns" "$@"
}

# lab_ip NAME ARGS...: `ip` inside namespace NAME.
lab_ip() {
	local ns=$1; shift
	ip -n "$LAB_ID-$ns" "$@"
}

# lab_veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends down.
lab_veth() {
	ip -n "$LAB_ID-$1" link add "$2" type veth peer name "$4" netns "$LAB_ID-$3"
}

# lab_daemon_start NS CONF [ARGS...]: starts ipv4optd in NS on CONF and waits until it has
# done its first reconcile (READY=1 on a notify socket we listen on). Sets DAEMON_PID and
# DAEMON_LOG; the control socket is $LAB_TMP/ctl.sock, the state dir $LAB_TMP/state.
lab_daemon_start() {
	local ns=$1 conf=$2; shift 2
	DAEMON_LOG=$LAB_TMP/daemon.log
	touch "$DAEMON_LOG"
	mkdir -p "$LAB_TMP/state"
	ip netns exec "$LAB_ID-$ns" "$IPV4OPTD" -n -f "$conf" -S "$LAB_TMP/ctl.sock" \
		--state-dir "$LAB_TMP/state" "$@" >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	LAB_PIDS+=("$DAEMON_PID")
	lab_wait 10 grep -q "Started:" "$DAEMON_LOG" || {
		echo "daemon did not start:"; cat "$DAEMON_LOG"; exit 99; }
}

# lab_reap PID SECONDS: waits for the child PID to exit and returns its exit status; if it has
# not exited within SECONDS it is killed (SIGKILL) and the status is 124, with a message, so a
# daemon that hangs on exit fails its test instead of hanging the suite. (No watchdog subshell:
# one would inherit this file's EXIT trap and could run the lab's cleanup when killed. Bash
# reaps a finished child by itself, so kill -0 fails once it is gone; wait then gives its status.)
lab_reap() {
	local pid=$1 t=$2 end
	end=$(( $(date +%s%N) + t * 1000000000 ))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s%N)" -ge "$end" ]; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			echo "process $pid did not exit within ${t} s: killed"
			return 124
		fi
		sleep 0.05
	done
	wait "$pid"
}

# lab_daemon_stop: SIGTERM, wait (at most 20 s) for exit, return the daemon's exit status.
lab_daemon_stop() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	lab_reap "$DAEMON_PID" 20
}

# lab_wait SECONDS CMD...: retries CMD every 10 ms until it succeeds or time runs out.
lab_wait() {
	local t=$1; shift
	local end=$((SECONDS + t + 1)) start
	start=$(date +%s%N)
	while :; do
		"$@" && return 0
		[ $(( ($(date +%s%N) - start) / 1000000 )) -ge $((t * 1000)) ] && return 1
		[ $SECONDS -ge $end ] && return 1
		sleep 0.01
	done
}

# igmp_hex GROUP: the group as /proc/net/igmp prints it (network-order word, e.g.
# 239.1.1.1 -> 010101EF).
igmp_hex() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	printf '%02X%02X%02X%02X' "$4" "$3" "$2" "$1"
}

# mcf_hex ADDR: as /proc/net/mcfilter prints addresses (host-order, 0x-prefixed).
mcf_hex() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	printf '0x%02x%02x%02x%02x' "$1" "$2" "$3" "$4"
}

# igmp_users NS IF GROUP: prints the Users count of GROUP on IF in NS (0 if absent).
igmp_users() {
	lab_exec "$1" cat /proc/net/igmp | awk -v dev="$2" -v g="$(igmp_hex "$3")" '
		/^[0-9]/ { cur = $2; next }
		cur == dev && $1 == g { print $2; found = 1 }
		END { if (!found) print 0 }'
}

# igmp_has NS IF GROUP: true if the kernel holds GROUP on IF in NS.
igmp_has() {
	[ "$(igmp_users "$@")" -gt 0 ]
}

igmp_lacks() {
	[ "$(igmp_users "$@")" -eq 0 ]
}

# igmp_count NS IF: how many groups the kernel holds on IF (224.0.0.1 excluded).
igmp_count() {
	lab_exec "$1" cat /proc/net/igmp | awk -v dev="$2" '
		/^[0-9]/ { cur = $2; next }
		cur == dev && $1 != "010000E0" { n++ }
		END { print n + 0 }'
}

# mcfilter_mode NS IF GROUP SOURCE: prints "include", "exclude" or "none".
mcfilter_mode() {
	lab_exec "$1" cat /proc/net/mcfilter | awk -v dev="$2" -v g="$(mcf_hex "$3")" \
		-v s="$(mcf_hex "$4")" '
		NR > 1 && $2 == dev && $3 == g && $4 == s {
			print ($5 > 0 ? "include" : "exclude"); found = 1 }
		END { if (!found) print "none" }'
}

# ifindex NS IF: the interface's index in NS.
ifindex() {
	lab_ip "$1" -o link show dev "$2" 2>/dev/null | cut -d: -f1
}

# lab_recv_start NS PORT: a plain receiver on PORT in NS (wildcard bind, IP_MULTICAST_ALL on:
# it gets every group some socket of the host joined, so it sees what the daemon's
# memberships pull in). Lines land in $LAB_TMP/recv.PORT.
lab_recv_start() {
	: >"$LAB_TMP/recv.$2"
	ip netns exec "$LAB_ID-$1" socat -u "UDP4-RECV:$2,reuseaddr" \
		"OPEN:$LAB_TMP/recv.$2,append" 2>/dev/null &
	LAB_PIDS+=("$!")
	lab_wait 10 lab_udp_bound "$1" "$2" || { echo "receiver on port $2 did not start"; exit 99; }
}

# lab_udp_bound NS PORT: true once a UDP socket in NS is bound to PORT.
lab_udp_bound() {
	[ -n "$(ip netns exec "$LAB_ID-$1" ss -Hunl "sport = :$2" 2>/dev/null)" ]
}

# lab_recv_count PORT: datagrams received so far on PORT.
lab_recv_count() {
	wc -l <"$LAB_TMP/recv.$1"
}

# lab_send NS SRCADDR GROUP PORT COUNT: COUNT datagrams from SRCADDR (an address of NS) to
# GROUP:PORT, one line each.
lab_send() {
	local i
	for i in $(seq "$5"); do
		echo "datagram $i from $2"
	done | ip netns exec "$LAB_ID-$1" socat -u -b 64 - \
		"UDP4-DATAGRAM:$3:$4,bind=$2,ip-multicast-if=$2,ip-multicast-ttl=4" 2>/dev/null
}

# lab_traffic_flows NS SRCADDR GROUP PORT: true if datagrams sent now arrive at the receiver
# (one datagram every 0.1 s until one arrives, for at most 10 s).
lab_traffic_flows() {
	local before
	before=$(lab_recv_count "$4")
	lab_wait 10 _lab_send_arrived "$@" "$before"
}
_lab_send_arrived() {
	lab_send "$1" "$2" "$3" "$4" 1
	sleep 0.1
	[ "$(lab_recv_count "$4")" -gt "$5" ]
}

# lab_traffic_stopped NS SRCADDR GROUP PORT: true if, after the receiver's count has been still
# for 0.5 s, 5 datagrams sent now add nothing within 1 s. A negative: a test that uses it
# must prove afterwards (lab_traffic_flows) that the same path delivers again.
lab_traffic_stopped() {
	local before
	before=$(lab_recv_count "$4")
	sleep 0.5
	[ "$(lab_recv_count "$4")" -eq "$before" ] || return 1
	lab_send "$1" "$2" "$3" "$4" 5
	sleep 1
	[ "$(lab_recv_count "$4")" -eq "$before" ]
}

# check DESCRIPTION CMD...: one assertion; failures are counted and reported at the end.
check() {
	local what=$1; shift
	LAB_CHECKS=$((LAB_CHECKS + 1))
	if "$@"; then
		echo "ok - $what"
	else
		echo "FAIL - $what"
		LAB_FAILED=$((LAB_FAILED + 1))
	fi
}

# lab_done: stops a daemon still running (SIGTERM: it must exit 0), fails on any sanitizer
# report in its log, prints the summary line and exits with the status.
lab_done() {
	local rc
	if [ -n "${DAEMON_PID:-}" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID"
		lab_reap "$DAEMON_PID" 20
		rc=$?
		check "daemon exits 0 on SIGTERM (status $rc)" [ $rc -eq 0 ]
	fi
	if [ -n "${DAEMON_LOG:-}" ] && [ -f "$DAEMON_LOG" ]; then
		check "no sanitizer report in the daemon's log" \
			bash -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:' '$DAEMON_LOG'"
	fi
	if [ "$LAB_FAILED" -gt 0 ]; then
		echo "$((LAB_CHECKS - LAB_FAILED)) passed, $LAB_FAILED failed"
		[ -n "${DAEMON_LOG:-}" ] && [ -f "$DAEMON_LOG" ] && { echo "--- daemon log"; tail -50 "$DAEMON_LOG"; }
		exit 1
	fi
	echo "$LAB_CHECKS passed, 0 failed"
	exit 0
}
