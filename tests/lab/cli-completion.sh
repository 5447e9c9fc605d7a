#!/usr/bin/env bash
# ipv4ctl's bash completion (doc/bash-completion/ipv4ctl; issue 16, item 9) as a person meets
# it: a plain bash (no bash-completion package, no rc file) in tmux, keys sent with send-keys,
# the screen read with capture-pane. Commands; policy names of the running daemon after stats,
# show and diagnose; join's keywords each offered until given, interface names after dev;
# options after the command (-j), --prometheus after stats; log levels.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || { echo "SKIP: tmux is not installed (tests/bootstrap installs it)"; exit 77; }

SOCK=$LAB_TMP/ctl.sock
TMUX_SOCK=$LAB_TMP/tmux.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }

lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
lab_ip peer link set p0 up
conf=$LAB_TMP/ipv4optd.conf
cat >"$conf" <<CONF
policies = (
  { name = "tv-news"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; },
  { name = "tv-sport"; group = "239.1.1.2"; interfaces = [ "lab0" ]; action = "join"; },
  { name = "probe"; group = "239.8.8.8"; interfaces = [ "lab0" ]; port = 5001; action = "log"; }
);
CONF
lab_daemon_start d "$conf"

# ipv4ctl on PATH as people run it, the socket from the environment
mkdir -p "$LAB_TMP/bin"
ln -s "$IPV4CTL" "$LAB_TMP/bin/ipv4ctl"
cat >"$LAB_TMP/rc" <<RC
PS1='\$ '
PATH=$LAB_TMP/bin:\$PATH
export IPV4CTL_SOCKET=$SOCK
# every candidate listed at the first Tab, one per line, so that the screen reads plainly
bind 'set show-all-if-ambiguous on'
bind 'set completion-display-width 0'
bind 'set bell-style none'
. '$top_srcdir/doc/bash-completion/ipv4ctl'
RC
# The shell in the daemon's namespace: dev completes the lab's interfaces (lo, lab0).
lab_exec d tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -s t -x 200 -y 50 \
	"env -i HOME=$LAB_TMP TERM=screen PATH=$PATH bash --noprofile --rcfile $LAB_TMP/rc -i"
screen_text() { tm capture-pane -p -N -t t; }
ready() { screen_text | grep -q '^\$ '; }
lab_wait 10 ready || { echo "the shell in tmux did not start"; screen_text; exit 99; }

# complete TEXT: types TEXT and Tab on a cleared screen (the line is then dropped with C-u).
complete() {
	tm send-keys -t t C-u C-l
	lab_wait 5 bash -c "[ \"\$(tmux -S '$TMUX_SOCK' capture-pane -p -N -t t | grep -c .)\" -le 1 ]"
	tm send-keys -t t -l "$1"
	tm send-keys -t t Tab
}
# shows WORD...: the candidates listed are exactly these words (in the order bash sorts them)
shows() {
	local want="$*"
	lab_wait 5 bash -c "tmux -S '$TMUX_SOCK' capture-pane -p -N -t t |
		awk '!/^\\$ / { for (i = 1; i <= NF; i++) printf \"%s \", \$i } END { print \"\" }' |
		grep -qx -- '$want '"
}
# line_is TEXT: the command line (the last prompt) now reads TEXT (a single candidate
# completed in place)
line_is() {
	lab_wait 5 bash -c "tmux -S '$TMUX_SOCK' capture-pane -p -N -t t | grep '^\\$ ' | tail -n 1 |
		grep -qxF -- '\$ $1'"
}
what() { echo "# screen:"; screen_text | sed 's/^/#   /'; }

complete "ipv4ctl st"
check "st<Tab>: stats, status" shows stats status || what
complete "ipv4ctl rel"
check "rel<Tab>: reload, in place" line_is "ipv4ctl reload " || what
complete "ipv4ctl stats "
check "stats <Tab>: the daemon's policies" shows probe tv-news tv-sport || what
complete "ipv4ctl show tv-"
check "show tv-<Tab>: the policies of that prefix" shows tv-news tv-sport || what
complete "ipv4ctl stats pr"
check "stats pr<Tab>: probe, in place" line_is "ipv4ctl stats probe " || what
complete "ipv4ctl stats probe "
check "stats POLICY <Tab>: nothing more (one policy)" line_is "ipv4ctl stats probe " || what
complete "ipv4ctl stats -"
check "stats -<Tab>: the options, -j and --prometheus among them" \
	shows --help --json --pretty --prometheus --socket --version -S -V -h -j -p || what
complete "ipv4ctl status --j"
check "status --j<Tab>: --json after the command" line_is "ipv4ctl status --json " || what
complete "ipv4ctl join 239.1.1.9 "
check "join GROUP <Tab>: dev, port, source" shows dev port source || what
complete "ipv4ctl join 239.1.1.9 dev "
check "join GROUP dev <Tab>: the interfaces" shows lab0 lo || what
complete "ipv4ctl join 239.1.1.9 dev lab0 "
check "join GROUP dev IF <Tab>: dev not offered again" shows port source || what
complete "ipv4ctl join 239.1.1.9 dev lab0 source 10.0.0.1 "
check "... with source given: port alone, in place" \
	line_is "ipv4ctl join 239.1.1.9 dev lab0 source 10.0.0.1 port " || what
complete "ipv4ctl leave 239.1.1.9 port 5001 dev lab0 s"
check "leave ... s<Tab>: source" line_is "ipv4ctl leave 239.1.1.9 port 5001 dev lab0 source " || what
complete "ipv4ctl log-level w"
check "log-level w<Tab>: warning" line_is "ipv4ctl log-level warning " || what
complete "ipv4ctl -j help jo"
check "-j help jo<Tab>: join" line_is "ipv4ctl -j help join " || what
complete "ipv4ctl -S $SOCK stats tv-s"
check "-S SOCKET stats tv-s<Tab>: the policies from that socket" \
	line_is "ipv4ctl -S $SOCK stats tv-sport " || what
complete "ipv4ctl -S $LAB_TMP/none.sock stats "
check "a daemon not reachable: no policy offered, no error on the screen" \
	bash -c "! tmux -S '$TMUX_SOCK' capture-pane -p -N -t t | grep -q 'ipv4ctl:'" || what
check "... and the line unchanged" line_is "ipv4ctl -S $LAB_TMP/none.sock stats " || what

tm kill-server 2>/dev/null
lab_done
