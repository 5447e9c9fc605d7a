#!/usr/bin/env bash
# ipv4ctl's conventions (issue 16, item 3), against the real daemon in a namespace lab: help
# (ipv4ctl --help, help [COMMAND], COMMAND --help), -V/--version of both programs, the global
# options -S, -j, -p before or after the command, $IPV4CTL_SOCKET, -j compact and -p indented
# (parsed by python's json module, keys in the same order each time), errors as a JSON object
# on stdout with -j (the daemon's and the client's own), -S at something that is not a socket,
# leave taking what join takes, an interface pattern refused by join (exit 2), "did you mean"
# hints, the exit statuses 0/1/2/3. Item 6: plurals, and the severity on each foreground log
# line of the daemon.
. "$(dirname "$0")/lib.sh"

SOCK=$LAB_TMP/ctl.sock
ctl() { "$IPV4CTL" -S "$SOCK" "$@"; }
# exits STATUS CMD...: CMD exits with STATUS
exits() { local want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }
# err_has TEXT CMD...: CMD's stderr holds TEXT
err_has() { local t=$1; shift; "$@" 2>&1 >/dev/null | grep -qF -- "$t"; }
# out_has TEXT CMD...: CMD's stdout holds TEXT
out_has() { local t=$1; shift; "$@" 2>/dev/null | grep -qF -- "$t"; }
# out_empty CMD...: CMD prints nothing on stdout
out_empty() { [ -z "$("$@" 2>/dev/null)" ]; }
# json_lines N CMD...: CMD's stdout is one JSON document (python's json module) of N lines
# (N = "many": more than one)
json_lines() {
	local n=$1 out; shift
	out=$("$@" 2>/dev/null)
	python3 -c 'import json, sys; json.loads(sys.argv[1])' "$out" || return 1
	if [ "$n" = many ]; then [ "$(printf '%s\n' "$out" | wc -l)" -gt 1 ]
	else [ "$(printf '%s\n' "$out" | wc -l)" -eq "$n" ]; fi
}
# json_error CODE CMD...: CMD's stdout is the object {"code": CODE, "message": ...}
json_error() {
	local code=$1; shift
	"$@" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["code"] == sys.argv[1] and d["message"], d' "$code"
}
# key order of every object, depth first, of the JSON on stdin
KEYS='
import json, sys
out = []
def hook(pairs):
    out.append([k for k, _ in pairs])
    return dict(pairs)
json.load(sys.stdin, object_pairs_hook=hook)
print(out)'
same_keys() { # CMD...: two runs of CMD give objects with the same keys in the same order
	[ "$("$@" | python3 -c "$KEYS")" = "$("$@" | python3 -c "$KEYS")" ]
}

lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
lab_ip peer link set p0 up
lab_ip d addr add 10.9.0.1/24 dev lab0
conf=$LAB_TMP/ipv4optd.conf
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; },
  { name = "probe"; group = "239.8.8.8"; interfaces = [ "lab0" ]; port = 5001; action = "log"; }
);
CONF
lab_daemon_start d "$conf"

# --- help
for c in join leave show stats reload status log-level help; do
	check "--help lists $c" out_has "  $c" "$IPV4CTL" --help
	check "$c --help: exit 0, its usage" \
		out_has "Usage: ipv4ctl [OPTIONS] $c" "$IPV4CTL" "$c" --help
	check "help $c: the same as $c --help" \
		[ "$("$IPV4CTL" help "$c")" = "$("$IPV4CTL" "$c" --help)" ]
done
check "-h: exit 0" exits 0 "$IPV4CTL" -h
check "help: the same as --help" [ "$("$IPV4CTL" help)" = "$("$IPV4CTL" --help)" ]
check "-h before the command: that command's help" \
	[ "$("$IPV4CTL" -h join)" = "$("$IPV4CTL" help join)" ]
check "--help names \$IPV4CTL_SOCKET" out_has "IPV4CTL_SOCKET" "$IPV4CTL" --help
check "help of an unknown command: exit 2" exits 2 "$IPV4CTL" help frobnicate
check "help needs no daemon" exits 0 "$IPV4CTL" -S "$LAB_TMP/none.sock" status --help

# --- the docs name every command --help lists; the IPTV walk-through is a valid config
MANROFFOPT=-rHY=0 MANWIDTH=200 man -l "$top_srcdir/doc/ipv4ctl.8" 2>/dev/null >"$LAB_TMP/man"
for c in $("$IPV4CTL" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
	check "README lists $c" grep -qE "^      $c( |\$)" "$top_srcdir/README"
	check "ipv4ctl(8) describes $c" grep -qE "^       $c( |\$)" "$LAB_TMP/man"
done
check "ipv4ctl(8) documents \$IPV4CTL_SOCKET" grep -q "IPV4CTL_SOCKET" "$LAB_TMP/man"
check "the man pages carry one date" \
	[ "$(sed -n 's/^\.TH [^ ]* [0-9] "\([^"]*\)".*/\1/p' "$top_srcdir"/doc/*.[358] | sort -u | wc -l)" -eq 1 ]
check "no doc names an issue number" \
	bash -c "! grep -niE 'issue [0-9]' '$top_srcdir'/doc/*.md '$top_srcdir'/doc/*.[358] '$top_srcdir/README'"
check "doc/examples/iptv-relay.conf is valid" \
	"$IPV4OPTD" --test-config -f "$top_srcdir/doc/examples/iptv-relay.conf"

# --- versions: both programs, -V and --version, the same as the daemon reports
version=$(ctl -j status | python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
check "ipv4ctl -V: ipv4ctl VERSION" [ "$("$IPV4CTL" -V)" = "ipv4ctl $version" ]
check "ipv4ctl --version: the same" [ "$("$IPV4CTL" --version)" = "ipv4ctl $version" ]
check "ipv4optd -V: ipv4optd VERSION" [ "$("$IPV4OPTD" -V)" = "ipv4optd $version" ]
check "ipv4optd --version: the same" [ "$("$IPV4OPTD" --version)" = "ipv4optd $version" ]

# --- global options before or after the command; the socket from the environment
check "-S before the command" exits 0 "$IPV4CTL" -S "$SOCK" status
check "-S after the command" exits 0 "$IPV4CTL" status -S "$SOCK"
check "--socket=PATH after the command" exits 0 "$IPV4CTL" status --socket="$SOCK"
check "-j after the command" json_lines 1 "$IPV4CTL" status -S "$SOCK" -j
check "-j after the command's arguments" json_lines 1 ctl stats tv -j
check "\$IPV4CTL_SOCKET names the socket" exits 0 env IPV4CTL_SOCKET="$SOCK" "$IPV4CTL" status
check "-S wins over \$IPV4CTL_SOCKET" \
	exits 0 env IPV4CTL_SOCKET="$LAB_TMP/none.sock" "$IPV4CTL" -S "$SOCK" status
check "\$IPV4CTL_SOCKET at nothing: exit 3" \
	exits 3 env IPV4CTL_SOCKET="$LAB_TMP/none.sock" "$IPV4CTL" status

# --- JSON: compact with -j, indented with -p, the same document; keys in a fixed order
for cmd in show status stats "stats tv"; do
	# shellcheck disable=SC2086
	check "-j $cmd: one line of JSON" json_lines 1 ctl -j $cmd
	# shellcheck disable=SC2086
	check "-p $cmd: indented JSON" json_lines many ctl -p $cmd
	# shellcheck disable=SC2086
	check "-j -p $cmd: indented JSON" json_lines many ctl $cmd -j --pretty
	# shellcheck disable=SC2086
	check "-j $cmd and -p $cmd: the same keys in the same order" \
		[ "$(ctl -j $cmd | python3 -c "$KEYS")" = "$(ctl -p $cmd | python3 -c "$KEYS")" ]
	# shellcheck disable=SC2086
	check "-j $cmd: keys in the same order each time" same_keys ctl -j $cmd
done
check "-j stats: the keys two policies share are in the same order" bash -c "
	'$IPV4CTL' -S '$SOCK' -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin, object_pairs_hook=lambda p: p)
a, b = [[k for k, _ in p] for _, p in dict(d)[\"policies\"]]
assert [k for k in a if k in b] == [k for k in b if k in a], (a, b)'"

# --- errors with -j: an object on stdout (the message on stderr too); without -j, stdout empty
check "daemon's error with -j: {code: ENOENT} on stdout" json_error ENOENT ctl -j leave 239.5.5.5 dev lab0
check "... exit 1" exits 1 ctl -j leave 239.5.5.5 dev lab0
check "... and the message on stderr" err_has "ipv4ctl: " ctl -j leave 239.5.5.5 dev lab0
check "usage error with -j: {code: EINVAL} on stdout" json_error EINVAL ctl -j join 10.1.1.1 dev lab0
check "usage error with -j after the command: the same" json_error EINVAL ctl frobnicate -j
check "... exit 2" exits 2 ctl frobnicate -j
check "unreachable with -j: {code: ENOENT} on stdout" \
	json_error ENOENT "$IPV4CTL" -j -S "$LAB_TMP/none.sock" status
check "... exit 3" exits 3 "$IPV4CTL" -j -S "$LAB_TMP/none.sock" status
check "usage error without -j: nothing on stdout" out_empty ctl join 10.1.1.1 dev lab0
check "daemon's error without -j: nothing on stdout" out_empty ctl leave 239.5.5.5 dev lab0

# --- -S at something that is not a socket
touch "$LAB_TMP/plain"
check "-S at a regular file: exit 3" exits 3 "$IPV4CTL" -S "$LAB_TMP/plain" status
check "... says it is not a socket" \
	err_has "$LAB_TMP/plain is a regular file, not a socket" "$IPV4CTL" -S "$LAB_TMP/plain" status
check "-S at a directory: says so" \
	err_has "$LAB_TMP is a directory, not a socket" "$IPV4CTL" -S "$LAB_TMP" status
check "-S at a regular file with -j: {code: ENOTSOCK}" \
	json_error ENOTSOCK "$IPV4CTL" -j -S "$LAB_TMP/plain" status

# --- join and leave take the same arguments; a pattern is not an interface
check "join with a port: exit 0" ctl join 239.3.3.3 dev lab0 port 5001
check "... in /proc/net/igmp" lab_wait 5 igmp_has d lab0 239.3.3.3
check "leave with the join's own arguments (port too): exit 0" ctl leave 239.3.3.3 dev lab0 port 5001
check "... gone from /proc/net/igmp" lab_wait 5 igmp_lacks d lab0 239.3.3.3
check "leave with a port outside 1-65535: exit 2" exits 2 ctl leave 239.3.3.3 dev lab0 port 0
check "join dev 'lab*': exit 2" exits 2 ctl join 239.3.3.4 dev 'lab*'
check "... says a runtime join names one interface" \
	err_has "'lab*' is a pattern; a runtime join names one interface" ctl join 239.3.3.4 dev 'lab*'
check "leave dev 'lab?': exit 2" exits 2 ctl leave 239.3.3.4 dev 'lab?'
check "... nothing was joined" igmp_lacks d lab0 239.3.3.4
check "... and a join by name still works: exit 0" ctl join 239.3.3.4 dev lab0
check "... in /proc/net/igmp" lab_wait 5 igmp_has d lab0 239.3.3.4
check "... left" ctl leave 239.3.3.4 dev lab0

# --- did you mean
check "join GROUP IFNAME: did you mean 'dev IFNAME'?" \
	err_has "did you mean 'dev lab0'?" ctl join 239.3.3.5 lab0
check "... exit 2" exits 2 ctl join 239.3.3.5 lab0
check "join GROUP ADDR dev IF: did you mean 'source ADDR'?" \
	err_has "did you mean 'source 10.9.0.2'?" ctl join 232.3.3.5 10.9.0.2 dev lab0
check "join ... N: did you mean 'port N'?" \
	err_has "did you mean 'port 5001'?" ctl join 239.3.3.5 dev lab0 5001
check "join ... device IF: did you mean 'dev'?" \
	err_has "did you mean 'dev'?" ctl join 239.3.3.5 device lab0
check "join dev IF GROUP: the GROUP comes first" \
	err_has "the GROUP comes first" ctl join dev lab0 239.3.3.5
check "stat: did you mean 'stats'?" err_has "did you mean 'stats'?" ctl stat
check "ls: did you mean 'show'?" err_has "did you mean 'show'?" ctl ls
check "... exit 2" exits 2 ctl ls
check "--prometheus with show: exit 2" exits 2 ctl show --prometheus
check "--prometheus before stats: accepted" out_has "ipv4opt_build_info" ctl --prometheus stats
check "unknown option: exit 2" exits 2 ctl status --frobnicate
check "no command: exit 2" exits 2 ctl

# --- Prometheus (item 6): every series has a HELP line that says what it means, and is named
# in ipv4ctl(8) (by its name, or as ipv4opt_C_total by its counter C)
ctl stats --prometheus >"$LAB_TMP/prom"
check "--prometheus: HELP lines say what each series means" \
	bash -c "! grep '^# HELP' '$LAB_TMP/prom' | grep -E 'ipv4optd (counter|gauge) \"'"
for name in $(awk '/^# TYPE/ { print $3 }' "$LAB_TMP/prom"); do
	key=${name#ipv4opt_}; key=${key%_total}
	check "ipv4ctl(8) documents $name" grep -qE "$name|(^|[ (,])$key([ ),;:]|\$)" "$LAB_TMP/man"
done

# --- plurals (item 6), on a one-policy config
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; }
);
CONF
check "reload: '1 policy'" out_has ": 1 policy, " ctl reload
check "status: '(1 policy; 1 reload, 0 failed)'" out_has "(1 policy; 1 reload, 0 failed)" ctl status
check "status: 'on 1 socket'" out_has "on 1 socket" ctl status

# --- the daemon's foreground log: each line carries its severity (item 6)
check "the daemon's log has lines" grep -q '^ipv4optd: ' "$DAEMON_LOG"
check "each of its lines names its severity" bash -c "! grep '^ipv4optd: ' '$DAEMON_LOG' |
	grep -vE '^ipv4optd: (emerg|alert|crit|err|warning|notice|info|debug): '"

lab_done
