#!/usr/bin/env bash
# A daemon lifecycle under valgrind (issue 6, point 2): start; 1,000 runtime joins and leaves
# over the control socket (any-source and source-specific, on present and absent interfaces);
# reloads, valid and invalid (bad value, syntax error, directory, missing file; by ipv4ctl and
# by SIGHUP); interface churn including a forced rtnetlink overrun (resync); SIGTERM. The
# daemon must exit 0 with no definite or indirect leak and no invalid read or write in
# valgrind's report, and hold exactly what it should in the kernel's tables along the way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storm-lib.sh"

PAIRS=1000
command -v valgrind >/dev/null || { echo "valgrind is missing (tests/bootstrap installs it)"; exit 99; }

CTL_SOCK=$LAB_TMP/ctl.sock
ctl() { "$IPV4CTL" -S "$CTL_SOCK" "$@"; }
# ctl_pipe FILE: sends every request line of FILE on one connection, prints the answers.
ctl_pipe() {
	socat -t 120 -T 120 STDIO "UNIX-CONNECT:$CTL_SOCK" <"$1"
}

lab_ns d
lab_ns peer
mcfilter_anchor d
PEER_NS=$LAB_ID-peer
for i in lab0 lab1 vl10 vl11; do
	lab_veth d "$i" peer "p$i"
	lab_ip d link set "$i" up
done
conf=$LAB_TMP/ipv4optd.conf
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.4.1.1"; interfaces = [ "lab0", "vl*" ]; action = "join"; },
  { name = "ssm"; group = "232.4.1.1"; sources = [ "10.4.1.1", "10.4.1.2" ];
    interfaces = [ "lab1", "vl*" ]; action = "join"; },
  { name = "excl"; group = "239.4.1.2"; exclude = [ "10.4.1.9" ]; interfaces = [ "lab0" ];
    action = "join"; }
);
CONF
cp "$conf" "$LAB_TMP/good.conf"

# lab_daemon_start, under valgrind (through libtool: the build's ipv4optd is a wrapper).
DAEMON_LOG=$LAB_TMP/daemon.log
VG_LOG=$LAB_TMP/valgrind.log
mkdir -p "$LAB_TMP/state"
start=$(date +%s%N)
# A sanitizer build (ASan + LeakSanitizer) cannot run under valgrind: there the sanitizers are
# the checker, and lab_done fails on any report they make and on a non-zero exit.
if [ -n "${SAN_CFLAGS:-}" ]; then
	runner=()
	checker=sanitizers
	echo "# sanitizer build: LeakSanitizer and ASan check this lifecycle instead of valgrind"
else
	checker=valgrind
	runner=("$top_builddir/libtool" --mode=execute
		valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99
		--track-origins=yes --log-file="$VG_LOG")
fi
ip netns exec "$LAB_ID-d" "${runner[@]}" \
	"$IPV4OPTD" -n -f "$conf" -S "$CTL_SOCK" --state-dir "$LAB_TMP/state" \
	--netlink-rcvbuf 1024 >"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
LAB_PIDS+=("$DAEMON_PID")
lab_wait 60 grep -q "Started:" "$DAEMON_LOG" || { echo "daemon did not start:"; cat "$DAEMON_LOG" "$VG_LOG"; exit 99; }
echo "# started under $checker in $(( ($(date +%s%N) - start) / 1000000 )) ms"

cat >"$LAB_TMP/igmp.want" <<WANT
lab0 239.4.1.1 1
lab0 239.4.1.2 1
lab1 232.4.1.1 1
vl10 239.4.1.1 1
vl10 232.4.1.1 1
vl11 239.4.1.1 1
vl11 232.4.1.1 1
WANT
check "started: /proc/net/igmp holds the config's memberships" \
	table_is "$LAB_TMP/igmp.want" igmp_table d

# 1,000 join + leave pairs, on 4 connections of 250 pairs: any-source and source-specific,
# on interfaces that exist (a real join and leave in the kernel) and on one that does not.
req() {
	local cmd=$1 g=$2 ifn=$3 src=${4:-}
	printf '{"version":1,"command":"%s","args":{"group":"%s",%s"ifname":"%s"}}\n' \
		"$cmd" "$g" "${src:+\"source\":\"$src\",}" "$ifn"
}
for c in 0 1 2 3; do
	for k in $(seq 0 249); do
		n=$((c * 250 + k))
		g=239.5.$((n / 200)).$((n % 200 + 1))
		case $((n % 4)) in
		0) req join "$g" lab0; req leave "$g" lab0 ;;
		1) req join "$g" vl10 10.5.0.1; req leave "$g" vl10 10.5.0.1 ;;
		2) req join "$g" absent0; req leave "$g" absent0 ;;
		3) req join "$g" lab1; req leave "$g" lab1 ;;
		esac
	done >"$LAB_TMP/pairs.$c"
done
start=$(date +%s%N)
for c in 0 1 2 3; do
	ctl_pipe "$LAB_TMP/pairs.$c"
done >"$LAB_TMP/answers"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# $PAIRS join+leave pairs under $checker in $ms ms"
check "$PAIRS joins and $PAIRS leaves answered" [ "$(wc -l <"$LAB_TMP/answers")" -eq $((2 * PAIRS)) ]
check "... every one ok" [ "$(grep -c '"ok":true' "$LAB_TMP/answers")" -eq $((2 * PAIRS)) ]
check "after the pairs: /proc/net/igmp holds the config's memberships only" \
	table_is "$LAB_TMP/igmp.want" igmp_table d

# Runtime joins that stay until the end (freed at exit, saved in the state file).
check "runtime join kept: 239.4.9.1 on lab1" ctl join 239.4.9.1 dev lab1
check "runtime join kept: 232.4.9.2 from 10.4.9.9 on vl11" ctl join 232.4.9.2 source 10.4.9.9 dev vl11
check "runtime join kept: 239.4.9.3 on late0 (absent)" ctl join 239.4.9.3 dev late0
printf 'lab1 239.4.9.1 1\nvl11 232.4.9.2 1\n' >>"$LAB_TMP/igmp.want"

# Reloads: valid (a policy added, one changed), then invalid four ways, then valid again.
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.4.1.1"; interfaces = [ "lab0", "vl*" ]; action = "join"; },
  { name = "ssm"; group = "232.4.1.1"; sources = [ "10.4.1.1", "10.4.1.3" ];
    interfaces = [ "lab1", "vl*" ]; action = "join"; },
  { name = "new"; group = "239.4.1.3"; interfaces = [ "lab1" ]; action = "join"; }
);
CONF
check "valid reload (ipv4ctl)" ctl reload
sed -i '/^lab0 239.4.1.2 1$/d' "$LAB_TMP/igmp.want"
echo "lab1 239.4.1.3 1" >>"$LAB_TMP/igmp.want"
check "valid reload: /proc/net/igmp follows" table_is "$LAB_TMP/igmp.want" igmp_table d
printf 'policies = ( { name = "x"; group = "10.0.0.1"; interfaces = [ "lab0" ]; action = "join"; } );\n' \
	>"$conf"
check "invalid value: ipv4ctl reload exits 1" bash -c "'$IPV4CTL' -S '$CTL_SOCK' reload >/dev/null 2>&1; [ \$? -eq 1 ]"
printf 'policies = ( {\n' >"$conf"
check "syntax error: ipv4ctl reload exits 1" bash -c "'$IPV4CTL' -S '$CTL_SOCK' reload >/dev/null 2>&1; [ \$? -eq 1 ]"
kill -HUP "$DAEMON_PID"
rm -f "$conf"
mkdir "$conf"
check "directory: ipv4ctl reload exits 1" bash -c "'$IPV4CTL' -S '$CTL_SOCK' reload >/dev/null 2>&1; [ \$? -eq 1 ]"
rmdir "$conf"
check "missing: ipv4ctl reload exits 1" bash -c "'$IPV4CTL' -S '$CTL_SOCK' reload >/dev/null 2>&1; [ \$? -eq 1 ]"
cp "$LAB_TMP/good.conf" "$conf"
kill -HUP "$DAEMON_PID"
check "valid reload again (SIGHUP)" lab_wait 20 bash -c "[ \$(grep -c '^ipv4optd: info: Reloaded' '$DAEMON_LOG') -ge 2 ]"
sed -i '/^lab1 239.4.1.3 1$/d' "$LAB_TMP/igmp.want"
echo "lab0 239.4.1.2 1" >>"$LAB_TMP/igmp.want"
check "after the reloads: /proc/net/igmp as the config and runtime joins say" \
	table_eventually 10 "$LAB_TMP/igmp.want" igmp_table d

# Interface churn: vl12..vl31 created and deleted 3 times (pattern members come and go), a
# rename out of and into the pattern, late0 created; then a burst while the daemon is
# stopped, which overruns its tiny rtnetlink buffer (resync).
{
	for round in 1 2 3; do
		for i in $(seq 12 31); do echo "link add vl$i type veth peer name pvl$i netns $PEER_NS"; done
		for i in $(seq 12 31); do echo "link del vl$i"; done
	done
	echo "link set vl11 name other0"
	echo "link set other0 name vl11"
	echo "link add late0 type veth peer name plate0 netns $PEER_NS"
} >"$LAB_TMP/churn"
lab_ip d -batch "$LAB_TMP/churn"
check "churn ran" [ $? -eq 0 ]
{
	for i in $(seq 40 59); do echo "link add vl$i type veth peer name pvl$i netns $PEER_NS"; done
	for i in $(seq 40 49); do echo "link del vl$i"; done
} >"$LAB_TMP/burst"
kill -STOP "$DAEMON_PID"
lab_ip d -batch "$LAB_TMP/burst"
kill -CONT "$DAEMON_PID"
check "the burst overran the daemon's rtnetlink buffer and it resynchronized" \
	lab_wait 20 grep -q "resynchronizing" "$DAEMON_LOG"
echo "late0 239.4.9.3 1" >>"$LAB_TMP/igmp.want"
for i in $(seq 50 59); do
	printf 'vl%s 239.4.1.1 1\nvl%s 232.4.1.1 1\n' "$i" "$i" >>"$LAB_TMP/igmp.want"
done
check "after the churn: /proc/net/igmp as wanted" \
	table_eventually 20 "$LAB_TMP/igmp.want" igmp_table d
check "no join failed" log_lacks 'Failed to join'

# SIGTERM: every group left (read while the process still exists: the kernel drops a dead
# process's memberships anyway), exit 0 (valgrind's --error-exitcode turns any error into 99).
start=$(date +%s%N)
check_held_at_exit "SIGTERM: every group left, before the process ends" \
	table_is /dev/null igmp_table d
rc=$DAEMON_RC
echo "# stopped in $(( ($(date +%s%N) - start) / 1000000 )) ms"
check "SIGTERM: exit status 0 (any leak or memory error makes it non-zero): $rc" [ "$rc" -eq 0 ]
if [ -n "${SAN_CFLAGS:-}" ]; then
	check "no sanitizer report" bash -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$DAEMON_LOG'"
	lab_done
fi
echo "# valgrind summary:"
sed -n '/HEAP SUMMARY/,$p' "$VG_LOG" | sed 's/^==[0-9]*== /  /'
check "valgrind ran the daemon itself" grep -q 'Command: .*ipv4optd -n' "$VG_LOG"
check "valgrind: no definite leak" \
	grep -qE 'definitely lost: 0 bytes|All heap blocks were freed' "$VG_LOG"
check "valgrind: no indirect leak" \
	grep -qE 'indirectly lost: 0 bytes|All heap blocks were freed' "$VG_LOG"
check "valgrind: no invalid read or write, no use of uninitialised values" \
	bash -c "! grep -qE 'Invalid (read|write|free)|uninitialised|Mismatched free' '$VG_LOG'"
check "valgrind: ERROR SUMMARY: 0 errors" grep -q 'ERROR SUMMARY: 0 errors' "$VG_LOG"
[ "$LAB_FAILED" -gt 0 ] && { echo "--- valgrind log"; head -100 "$VG_LOG"; }
lab_done
