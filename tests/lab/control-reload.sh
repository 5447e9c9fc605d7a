#!/usr/bin/env bash
# Reload and the control socket (issue 10, items 1 and 9), with the daemon run as a throwaway
# local user (useradd, removed on exit), as the service runs as its own user:
# - the daemon's own uid may change state without any control block: `ipv4ctl reload` as that
#   user (what ExecReload= does) succeeds and applies the edit; another user is refused;
# - a reload that changes control.group and control.mode applies them to the socket (chown,
#   chmod) and says so in its answer and the log; a changed control.path is not applied and the
#   answer and the log say it needs a restart; after the restart the socket is at the new path.
. "$(dirname "$0")/lib.sh"

out_has() { local t=$1; shift; "$@" 2>&1 | grep -qF -- "$t"; }
exits() { local want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }

# --- a throwaway user for the daemon, in two throwaway groups; removed on exit
U=ipv4d$$ G1=ipv4a$$ G2=ipv4b$$ G3=ipv4c$$ U2=ipv4m$$ G4=ipv4g$$
reload_cleanup() {
	lab_cleanup
	userdel "$U" 2>/dev/null
	userdel "$U2" 2>/dev/null
	groupdel "$G4" 2>/dev/null
	groupdel "$G1" 2>/dev/null
	groupdel "$G2" 2>/dev/null
	groupdel "$G3" 2>/dev/null
}
trap reload_cleanup EXIT
for g in "$G1" "$G2" "$G3"; do
	lab_wait 10 groupadd --system "$g" || { echo "groupadd $g failed"; exit 99; }
done
# The daemon's user is in G1 and G2, not in G3.
lab_wait 10 useradd --system --no-create-home --shell /usr/sbin/nologin -G "$G1,$G2" "$U" ||
	{ echo "useradd failed"; exit 99; }
as_user() { setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups "$@"; }

lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
lab_ip peer link set p0 up
chmod 755 "$LAB_TMP"
RUN=$LAB_TMP/run
mkdir -p "$RUN" "$LAB_TMP/state"
chown "$U" "$RUN" "$LAB_TMP/state"
DAEMON_LOG=$LAB_TMP/daemon.log

# start_as_user CONF [ARGS...]: ipv4optd as $U in namespace d (lab_daemon_start runs it as root).
start_as_user() {
	local conf=$1; shift
	: >"$DAEMON_LOG"
	ip netns exec "$LAB_ID-d" setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups \
		"$IPV4OPTD" -n -f "$conf" --state-dir "$LAB_TMP/state" "$@" >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	LAB_PIDS+=("$DAEMON_PID")
	lab_wait 10 grep -q "Started:" "$DAEMON_LOG" || {
		echo "daemon did not start:"; cat "$DAEMON_LOG"; exit 99; }
}

# --- item 1: no control block; the daemon's own user may reload
conf=$LAB_TMP/ipv4optd.conf
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; }
);
CONF
SOCK=$RUN/ctl.sock
start_as_user "$conf" -S "$SOCK"
check "the daemon runs as $U" [ "$(stat -c %U "/proc/$DAEMON_PID")" = "$U" ]
check "config membership held" igmp_has d lab0 239.1.1.1
cat >"$conf" <<CONF
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; },
  { name = "added"; group = "239.5.5.5"; interfaces = [ "lab0" ]; action = "join"; }
);
CONF
check "another user (nobody): reload refused, exit 1" \
	exits 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$IPV4CTL" -S "$SOCK" reload
check "... the refusal names who may" \
	out_has "reserved to root and the daemon's user (uid $(id -u "$U"); no control.group is configured)" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$IPV4CTL" -S "$SOCK" reload
check "... and nothing was applied" igmp_lacks d lab0 239.5.5.5
check "the daemon's user, no control block: ipv4ctl reload exit 0" \
	as_user "$IPV4CTL" -S "$SOCK" reload
check "... the edit applied: 239.5.5.5 in /proc/net/igmp" lab_wait 5 igmp_has d lab0 239.5.5.5
check "the daemon's user: a runtime join too" as_user "$IPV4CTL" -S "$SOCK" join 239.6.6.6 dev lab0
check "... in /proc/net/igmp" igmp_has d lab0 239.6.6.6
check "clean stop: exit 0" lab_daemon_stop

# --- item 9: control.group, control.mode and control.path changed on reload
A=$RUN/a.sock B=$RUN/b.sock
cat >"$conf" <<CONF
control = { path = "$A"; group = "$G1"; mode = "0660"; };
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; }
);
CONF
start_as_user "$conf"
check "socket at $A, group $G1, mode 660" [ "$(stat -c '%G %a' "$A")" = "$G1 660" ]
cat >"$conf" <<CONF
control = { path = "$B"; group = "$G2"; mode = "0666"; };
policies = (
  { name = "tv"; group = "239.1.1.1"; interfaces = [ "lab0" ]; action = "join"; }
);
CONF
"$IPV4CTL" -S "$A" reload >"$LAB_TMP/reload.out" 2>&1
check "reload: exit 0" [ $? -eq 0 ]
sed 's/^/# /' "$LAB_TMP/reload.out"
check "reload: the socket now belongs to $G2 with mode 666" \
	[ "$(stat -c '%G %a' "$A")" = "$G2 666" ]
check "reload: the answer says the group was applied" \
	grep -qF "note: control.group changed from $G1 to $G2: $A now belongs to it" "$LAB_TMP/reload.out"
check "reload: the answer says the mode was applied" \
	grep -qF "note: control.mode changed from 0660 to 0666: applied to $A" "$LAB_TMP/reload.out"
check "reload: the answer says the path needs a restart" \
	grep -qF "note: control.path changed from $A to $B: needs a restart (systemctl restart ipv4optd); the socket stays at $A until then" \
	"$LAB_TMP/reload.out"
check "reload: the log says the path needs a restart" \
	grep -q "control.path changed from $A to $B: needs a restart" "$DAEMON_LOG"
check "reload -j again: \"notes\" still says the path needs a restart" bash -c "'$IPV4CTL' -S '$A' -j reload | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d[\"notes\"]) == 1 and \"needs a restart\" in d[\"notes\"][0], d'"
check "the socket stays at $A and answers" "$IPV4CTL" -S "$A" status
check "nothing at $B yet" [ ! -e "$B" ]
# a group that does not exist, then one the daemon's user is not in: said, the socket kept
sed -i "s/group = \"$G2\"/group = \"nosuch$$\"/" "$conf"
check "reload, a group that does not exist: exit 0 and said" \
	out_has "control.group 'nosuch$$' does not exist" "$IPV4CTL" -S "$A" reload
check "... the socket keeps group $G2" [ "$(stat -c %G "$A")" = "$G2" ]
sed -i "s/group = \"nosuch$$\"/group = \"$G3\"/" "$conf"
check "reload, a group the daemon is not in: exit 0 and said" \
	out_has "control.group '$G3': cannot give $A to it: Operation not permitted" \
	"$IPV4CTL" -S "$A" reload
check "... the socket keeps group $G2" [ "$(stat -c %G "$A")" = "$G2" ]
check "clean stop: exit 0" lab_daemon_stop
start_as_user "$conf"
check "after a restart: the socket is at $B" "$IPV4CTL" -S "$B" status
check "after a restart: nothing left at $A" [ ! -e "$A" ]
check "after a restart: a reload without changes has no note" \
	bash -c "'$IPV4CTL' -S '$B' reload | grep -c note: | grep -qx 0"
check "... and it was answered" "$IPV4CTL" -S "$B" reload

# --- the socket path swapped for a symbolic link (its directory is writable by others): a
# reload changing control.mode and control.group changes neither the link's target nor the link
M=$RUN/moved.sock T=$RUN/target
: >"$T"; chown "$U:$(id -g "$U")" "$T"; chmod 0600 "$T"   # the daemon's user could chmod it
mv "$B" "$M" && ln -s "$T" "$B"
sed -i -e 's/mode = "0666"/mode = "0640"/' -e "s/group = \"$G3\"/group = \"$G1\"/" "$conf"
"$IPV4CTL" -S "$M" reload >"$LAB_TMP/reload.out" 2>&1
check "symlink swapped in: reload exit 0" [ $? -eq 0 ]
sed 's/^/# /' "$LAB_TMP/reload.out"
check "... the answer says the mode was not applied: a symbolic link" \
	grep -qF "control.mode changed to 0640: cannot apply it to $B: it is now a symbolic link, left unchanged" \
	"$LAB_TMP/reload.out"
check "... the answer says the group was not applied: a symbolic link" \
	grep -qF "control.group '$G1': cannot give $B to it: it is now a symbolic link, left unchanged" \
	"$LAB_TMP/reload.out"
check "... the link's target keeps mode 600 and its group" \
	[ "$(stat -c '%a %g' "$T")" = "600 $(id -g "$U")" ]
check "... the link is still a link to it" [ "$(readlink "$B")" = "$T" ]
# another file in its place (not a link, not the socket bound): untouched too
rm "$B" && cp -p "$T" "$B"
sed -i 's/mode = "0640"/mode = "0660"/' "$conf"
check "a regular file swapped in: the reload says it is not the socket bound" \
	out_has "cannot apply it to $B: it is no longer the socket the daemon bound, left unchanged" \
	"$IPV4CTL" -S "$M" reload
check "... the file keeps mode 600" [ "$(stat -c %a "$B")" = 600 ]
# the socket back in place: the next reload applies the mode
rm "$B" && mv "$M" "$B"
sed -i 's/mode = "0660"/mode = "0666"/' "$conf"
check "the socket back: a reload applies the mode" \
	out_has "control.mode changed from 0660 to 0666: applied to $B" "$IPV4CTL" -S "$B" reload
check "... the socket has mode 666" [ "$(stat -c %a "$B")" = 666 ]

# --- control.group is looked up at start and at each reload, not at each connection (the group
# database may be LDAP or sssd): a group created meanwhile counts from the next reload on
sed -i "s/group = \"$G1\"/group = \"$G4\"/" "$conf"
check "reload, control.group $G4 that does not exist yet: said" \
	out_has "control.group '$G4' does not exist" "$IPV4CTL" -S "$B" reload
lab_wait 10 groupadd --system "$G4" || { echo "groupadd $G4 failed"; exit 99; }
lab_wait 10 useradd --system --no-create-home --shell /usr/sbin/nologin -G "$G4" "$U2" ||
	{ echo "useradd $U2 failed"; exit 99; }
as_u2() { setpriv --reuid="$U2" --regid="$(id -g "$U2")" --init-groups "$@"; }
check "$G4 created, no reload yet: its member $U2 may not join (exit 1)" \
	exits 1 as_u2 "$IPV4CTL" -S "$B" join 239.6.6.7 dev lab0
check "... told the group did not exist at the last lookup" \
	out_has "group '$G4', which does not exist" as_u2 "$IPV4CTL" -S "$B" join 239.6.6.7 dev lab0
check "a reload finds $G4" "$IPV4CTL" -S "$B" reload
check "... then its member $U2 may join" as_u2 "$IPV4CTL" -S "$B" join 239.6.6.7 dev lab0
check "... in /proc/net/igmp" lab_wait 5 igmp_has d lab0 239.6.6.7
check "clean stop: exit 0" lab_daemon_stop

lab_done
