#!/usr/bin/env bash
# Fault storm (issue 6): a crash and a broken config.
# 1. kill -9: the kernel drops the dead daemon's memberships itself (its sockets are closed);
#    a daemon started again on the same state dir brings back every membership of the config
#    and every runtime join made with ipv4ctl (any-source and source-specific, one waiting for
#    its interface), and not the one left before the crash. Read from /proc/net/igmp and
#    /proc/net/mcfilter, and from `ipv4ctl show`.
# 2. A config that is replaced by a directory, made invalid or removed is reported on reload
#    (ipv4ctl reload: exit 1 and file:line or file: reason; SIGHUP: the log) and nothing
#    running is lost: the kernel's tables do not change, nothing is left and joined again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storm-lib.sh"

CTL_SOCK=$LAB_TMP/ctl.sock
ctl() { "$IPV4CTL" -S "$CTL_SOCK" "$@"; }

lab_ns d
lab_ns peer
mcfilter_anchor d
for i in lab0 lab1 vl10; do
	lab_veth d "$i" peer "p$i"
	lab_ip d link set "$i" up
done
conf=$LAB_TMP/ipv4optd.conf
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.3.1.1"; interfaces = [ "lab0", "vl*" ]; action = "join"; },
  { name = "ssm"; group = "232.3.1.1"; sources = [ "10.1.1.1", "10.1.1.2" ];
    interfaces = [ "lab1" ]; action = "join"; },
  { name = "excl"; group = "239.3.1.2"; exclude = [ "10.1.1.9" ]; interfaces = [ "lab0" ];
    action = "join"; }
);
CONF
cp "$conf" "$LAB_TMP/good.conf"
lab_daemon_start d "$conf"

# Runtime joins: any-source on an interface of the config (same group as tv on lab0: a second
# socket, Users 2), any-source elsewhere, source-specific, one on an interface that does not
# exist yet, and one joined then left (it must stay gone).
check "runtime join 239.3.1.1 on lab0" ctl join 239.3.1.1 dev lab0
check "runtime join 239.3.2.1 on lab1" ctl join 239.3.2.1 dev lab1
check "runtime SSM join 232.3.2.2 from 10.1.1.5 on lab1" ctl join 232.3.2.2 source 10.1.1.5 dev lab1
check "runtime join 239.3.2.3 on late0 (absent)" ctl join 239.3.2.3 dev late0
check "runtime join 239.3.2.4 on lab0, then leave" \
	bash -c "'$IPV4CTL' -S '$CTL_SOCK' join 239.3.2.4 dev lab0 >/dev/null &&
		 '$IPV4CTL' -S '$CTL_SOCK' leave 239.3.2.4 dev lab0 >/dev/null"

cat >"$LAB_TMP/igmp.want" <<WANT
lab0 239.3.1.1 2
lab0 239.3.1.2 1
vl10 239.3.1.1 1
lab1 232.3.1.1 1
lab1 239.3.2.1 1
lab1 232.3.2.2 1
WANT
cat >"$LAB_TMP/mcf.want" <<WANT
lab0 239.3.1.2 10.1.1.9 0 1
lab1 232.3.1.1 10.1.1.1 1 0
lab1 232.3.1.1 10.1.1.2 1 0
lab1 232.3.2.2 10.1.1.5 1 0
WANT
cat >"$LAB_TMP/show.want" <<WANT
config excl 239.3.1.2 lab0 joined
config ssm 232.3.1.1 lab1 joined
config tv 239.3.1.1 lab0 joined
config tv 239.3.1.1 vl10 joined
runtime runtime 232.3.2.2 lab1 joined
runtime runtime 239.3.1.1 lab0 joined
runtime runtime 239.3.2.1 lab1 joined
runtime runtime 239.3.2.3 late0 waiting
WANT
show_states() {
	show_members "$CTL_SOCK" | awk '{ print $1, $2, $3, $6, $8 }' | sort
}
check "before the crash: /proc/net/igmp holds config and runtime memberships" \
	table_is "$LAB_TMP/igmp.want" igmp_table d
check "before the crash: /proc/net/mcfilter holds their source filters" \
	table_is "$LAB_TMP/mcf.want" mcfilter_table d
check "before the crash: ipv4ctl show" table_is "$LAB_TMP/show.want" show_states

# 1. kill -9.
kill -KILL "$DAEMON_PID"
lab_reap "$DAEMON_PID" 20
rc=$?
check "killed: the daemon died of SIGKILL (status $rc)" [ "$rc" -eq 137 ]
check "killed: the kernel dropped every membership, on every device (/proc/net/igmp)" \
	lab_wait 10 table_is /dev/null igmp_table d
check "killed: ... and every source filter (/proc/net/mcfilter)" table_is /dev/null mcfilter_table d
check "killed: the state file is still there" [ -s "$LAB_TMP/state/runtime-joins.json" ] ||
	ls -l "$LAB_TMP/state"

mv "$DAEMON_LOG" "$LAB_TMP/daemon-killed.log"
start=$(date +%s%N)
lab_daemon_start d "$conf"
echo "# restarted in $(( ($(date +%s%N) - start) / 1000000 )) ms (stale control socket in place)"
check "restarted: /proc/net/igmp holds every config and runtime membership again" \
	table_eventually 10 "$LAB_TMP/igmp.want" igmp_table d
check "restarted: /proc/net/mcfilter holds their source filters again" \
	table_eventually 10 "$LAB_TMP/mcf.want" mcfilter_table d
check "restarted: ipv4ctl show lists the same members, the left one not among them" \
	table_is "$LAB_TMP/show.want" show_states
lab_veth d late0 peer plate0
check "restarted: the waiting runtime join follows its interface when it appears" \
	lab_wait 10 igmp_has d late0 239.3.2.3
echo "late0 239.3.2.3 1" >>"$LAB_TMP/igmp.want"
sed -i 's/^runtime runtime 239.3.2.3 late0 waiting$/runtime runtime 239.3.2.3 late0 joined/' \
	"$LAB_TMP/show.want"
check "restarted: ipv4ctl leave of a restored join works" \
	bash -c "'$IPV4CTL' -S '$CTL_SOCK' leave 239.3.2.1 dev lab1 >/dev/null"
check "restarted: ... and the kernel left it" lab_wait 10 igmp_lacks d lab1 239.3.2.1
sed -i '/^lab1 239.3.2.1 1$/d' "$LAB_TMP/igmp.want"
sed -i '/^runtime runtime 239.3.2.1 lab1 joined$/d' "$LAB_TMP/show.want"
check "restarted: tables as expected" table_is "$LAB_TMP/igmp.want" igmp_table d

# 2. A broken config on reload; every step must leave the kernel's tables as they are.
unchanged() {
	table_is "$LAB_TMP/igmp.want" igmp_table d && table_is "$LAB_TMP/mcf.want" mcfilter_table d &&
		table_is "$LAB_TMP/show.want" show_states
}
joins_before=$(grep -c '^ipv4optd: [a-z]*: Joined' "$DAEMON_LOG")
leaves_before=$(grep -c '^ipv4optd: [a-z]*: Left' "$DAEMON_LOG")

#    The config replaced by a directory.
rm -f "$conf"
mkdir "$conf"
ctl reload >"$LAB_TMP/out" 2>&1
rc=$?
sed 's/^/  > /' "$LAB_TMP/out"
check "config is a directory: ipv4ctl reload exits 1" [ "$rc" -eq 1 ]
check "config is a directory: ipv4ctl names the file and why" \
	grep -q "$conf: cannot read: Is a directory" "$LAB_TMP/out"
check "config is a directory: nothing running is lost" unchanged
kill -HUP "$DAEMON_PID"
check "config is a directory, SIGHUP: the log names the file and why" \
	lab_wait 10 bash -c "[ \$(grep -c '$conf: cannot read: Is a directory' '$DAEMON_LOG') -ge 2 ]"
check "config is a directory, SIGHUP: nothing running is lost" unchanged
rmdir "$conf"

#    Invalid: a bad value on line 3.
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.3.1.1"; interfaces = [ "lab0", "vl*" ]; action = "join"; },
  { name = "bad"; group = "10.3.1.1"; interfaces = [ "lab0" ]; action = "join"; }
);
CONF
ctl reload >"$LAB_TMP/out" 2>&1
rc=$?
sed 's/^/  > /' "$LAB_TMP/out"
check "invalid config: ipv4ctl reload exits 1" [ "$rc" -eq 1 ]
check "invalid config: ipv4ctl prints file:line" grep -q "$conf:3: " "$LAB_TMP/out"
check "invalid config: nothing running is lost" unchanged

#    Not valid libconfig at all.
printf 'policies = ( { name = "tv"; \n' >"$conf"
ctl reload >"$LAB_TMP/out" 2>&1
rc=$?
check "syntax error: ipv4ctl reload exits 1 ($rc)" [ "$rc" -eq 1 ]
check "syntax error: ipv4ctl prints file:line" grep -q "$conf:[0-9]*: " "$LAB_TMP/out"
check "syntax error: nothing running is lost" unchanged

#    Removed.
rm -f "$conf"
ctl reload >"$LAB_TMP/out" 2>&1
rc=$?
check "config removed: ipv4ctl reload exits 1 ($rc)" [ "$rc" -eq 1 ]
check "config removed: ipv4ctl names the file and why" \
	grep -q "$conf: cannot open: No such file or directory" "$LAB_TMP/out"
check "config removed: nothing running is lost" unchanged

#    Back to the good file: a reload that changes nothing touches nothing.
cp "$LAB_TMP/good.conf" "$conf"
check "good config again: ipv4ctl reload exits 0" ctl reload
check "good config again: nothing changed" unchanged
check "no membership was left and joined again by the failed reloads" \
	[ "$(grep -c '^ipv4optd: [a-z]*: Joined' "$DAEMON_LOG")" -eq "$joins_before" ]
check "... and none was left" [ "$(grep -c '^ipv4optd: [a-z]*: Left' "$DAEMON_LOG")" -eq "$leaves_before" ]
check "the daemon counts 5 failed reloads" \
	bash -c "'$IPV4CTL' -S '$CTL_SOCK' status | grep -q '5 failed)'"

check "daemon still running" kill -0 "$DAEMON_PID"
# Read while the process still exists (the kernel drops a dead process's memberships anyway,
# as the kill -9 above showed).
nothing_held() {
	[ "$(igmp_table d | wc -l)" -eq 0 ] && [ "$(mcfilter_table d | wc -l)" -eq 0 ]
}
check_held_at_exit "SIGTERM: every group left, before the process ends" nothing_held
check "SIGTERM: exit status 0 ($DAEMON_RC)" [ "$DAEMON_RC" -eq 0 ]
check "SIGTERM: the runtime joins stay recorded for the next start" \
	grep -q 239.3.2.3 "$LAB_TMP/state/runtime-joins.json"
lab_done
