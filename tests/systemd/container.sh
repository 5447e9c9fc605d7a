#!/usr/bin/env bash
# ipv4optd under a real systemd: a Debian 12 container booted with systemd-nspawn, the project
# installed into it with --prefix=/usr, checked as an operator would with systemctl, ipv4ctl,
# journalctl and the kernel's tables (/proc/net/igmp of the container's network namespace).
#
#   tests/systemd/container.sh        (root; run by .ci/run, not by make check)
#
# The root (debootstrap minbase + systemd, dbus, iproute2 and the runtime libraries) is cached
# in $IPV4OPT_CI_CACHE (default /var/cache/ipv4opt-ci), keyed by a hash of the package list;
# each run boots a fresh copy of it. Everything else (build dir, copy, container) is removed
# on exit, failed or not. Exit status: 0 all checks passed, 1 some failed, 77 not root.
set -euo pipefail

# shellcheck source=tests/systemd/lib.sh
. "$(dirname "$0")/lib.sh"
systemd_lib_init "debootstrap, systemd-nspawn"

host_packages debootstrap systemd-container
find_mirror

# ------------------------------------------------------------------------------------------
# The cached root: debootstrap, then the packages by chroot + apt-get.
cache_lock
if [ ! -x "$base/usr/lib/systemd/systemd" ]; then
	say "building the $suite root from $mirror (cached as $base)"
	tmp=$base.tmp
	rm -rf --one-file-system "$tmp"
	debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
		tail -n 30 "$cache/debootstrap.log" >&2
		exit 1
	}
	finish_base_root "$tmp"
fi
cache_unlock

# ------------------------------------------------------------------------------------------
# Build for /usr, install into a fresh copy of the root.
work=$(mktemp -d /var/tmp/ipv4opt-container.XXXXXX)
root=$work/root
say "copying the cached root"
cp -a "$base" "$root"

say "building with --prefix=/usr --sysconfdir=/etc --localstatedir=/var"
if [ ! -x "$top/configure" ]; then
	(cd "$top" && autoreconf -fi >/dev/null)
fi
mkdir "$work/build"
(
	cd "$work/build"
	"$top/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var >configure.log 2>&1 ||
		{ tail -n 30 configure.log >&2; exit 1; }
	make -j"$(nproc)" >make.log 2>&1 && make install DESTDIR="$root" >install.log 2>&1 ||
		{ tail -n 30 make.log install.log >&2; exit 1; }
)
chroot "$root" ldconfig
# The shipped config, as an operator installs it: inert (no policy), checked first.
install -m 0644 "$top/conf/ipv4optd.conf" "$root/etc/ipv4optd.conf"
# The config of the other checks, written here (the shipped one joins nothing): the control
# block as shipped, policies of each action on the interfaces made below, and a log policy on a
# port below 1024 (PTP event messages, 319) that runtime joins may use.
lab_conf='control = { path = "/run/ipv4optd/ipv4optd.sock"; group = "ipv4opt"; mode = "0666"; };
policies = (
	{ name = "iptv"; group = "239.1.1.1"; interfaces = [ "lab0", "vlan1*" ]; port = 5000;
	  action = "join"; },
	{ name = "feed-a"; group = "232.1.1.1"; sources = [ "10.77.1.5" ]; interfaces = [ "lab1" ];
	  port = 5001; action = "relay";
	  relay = { to = "239.2.2.2:6000"; interface = "lab2"; dscp = "AF41"; ttl = 8; }; },
	{ name = "probe"; group = "239.9.9.9"; exclude = [ "10.77.9.9" ]; interfaces = [ "lab*" ];
	  port = 7000; action = "log"; log = { target = "journal"; }; },
	{ name = "ptp"; group = "224.0.1.130"; interfaces = [ "lab1" ]; port = 319; action = "log";
	  log = { target = "journal"; }; }
);'

# ------------------------------------------------------------------------------------------
# Boot
boot_container "$root"
[ "$state" = running ] || ct systemctl --failed --no-legend || true

# ------------------------------------------------------------------------------------------
# Checks
# Groups of the lab config (lab_conf above) on the interfaces made below.
lab_groups() {
	has_group lab0 010101EF && has_group vlan100 010101EF && has_group lab1 010101E8 &&
		has_group lab0 090909EF && has_group lab1 090909EF && has_group lab2 090909EF
}

# The interfaces of the lab config: lab0, lab1, lab2, vlan1* (peers named out of lab*), each
# with an IPv4 address as on a real host (without one, the IGMP reports leave from 0.0.0.0 and
# the daemon warns: diagnose's no-ipv4-address).
n=0
for pair in lab0:peer0 lab1:peer1 lab2:peer2 vlan100:peerv; do
	n=$((n + 1))
	ct ip link add "${pair%%:*}" type veth peer name "${pair##*:}"
	ct ip addr add "10.95.$n.1/24" dev "${pair%%:*}"
	ct ip link set "${pair%%:*}" up
	ct ip link set "${pair##*:}" up
done
# A limit other than the default, to see that the sandbox lets the daemon read /proc/sys.
ct sh -c "echo 40 >/proc/sys/net/ipv4/igmp_max_memberships"

# As a package's postinst would: the user and group, the unit files.
ct systemd-sysusers
ct systemctl daemon-reload
uid=$(ct id -u ipv4optd)
gid_ctl=$(ct getent group ipv4opt | cut -d: -f3)
check "systemd-sysusers created user ipv4optd (uid $uid) and group ipv4opt (gid $gid_ctl)" \
	eval '[ -n "$uid" ] && [ "$uid" -ne 0 ] && [ -n "$gid_ctl" ]'

say "the shipped config: inert"
check "systemctl start ipv4optd on the shipped config: succeeds" ct systemctl start ipv4optd
check "ipv4optd.service is active" is_active ipv4optd
check "the daemon answers (ipv4ctl status)" ct ipv4ctl status
check "the shipped config joins no group on any interface" no_groups
check "the shipped config: ipv4ctl show has no policy" \
	eval 'ct ipv4ctl show | grep -q "no policies in the configuration"'
check "systemctl stop ipv4optd: succeeds" ct systemctl stop ipv4optd
# Then the config of these checks.
printf '%s\n' "$lab_conf" >"$root/etc/ipv4optd.conf"

say "start without the socket unit: the daemon makes its own socket"
check "systemctl start ipv4optd (no ipv4optd.socket): succeeds" ct systemctl start ipv4optd
check "ipv4optd.service is active" is_active ipv4optd
check "the lab config's groups are in /proc/net/igmp" wait_for 50 lab_groups
check "its socket: mode 0666, group ipv4opt (control.group; chown as a member, no capability)" \
	test "$(ct stat -c '%a %G' /run/ipv4optd/ipv4optd.sock)" = "666 ipv4opt"
out=$(ct journalctl -u ipv4optd -p warning -q --no-pager -o cat)
[ -z "$out" ] || sed 's/^/# /' <<<"$out"
check "no warning or error from the daemon in the journal" test -z "$out"
check "systemctl stop ipv4optd: succeeds" ct systemctl stop ipv4optd
check "no group of ours is left in /proc/net/igmp" no_groups
check "the daemon removed its socket" ct test ! -e /run/ipv4optd/ipv4optd.sock

say "start with the socket unit"
ct systemctl enable --now ipv4optd.socket
check "ipv4optd.socket is active" is_active ipv4optd.socket
check "systemctl start ipv4optd: succeeds" ct systemctl start ipv4optd
check "ipv4optd.service is active" is_active ipv4optd
check "the lab config's groups are in /proc/net/igmp" wait_for 50 lab_groups
pid=$(main_pid)

out=$(ct ipv4ctl show 2>&1) || true
check "ipv4ctl show (as root) lists policy iptv on lab0" grep -q "iptv" <<<"$out"
out=$(ct ipv4ctl status 2>&1) || true
check "ipv4ctl status: the daemon uses systemd's socket" grep -q "(socket-activated)" <<<"$out"
check "ipv4ctl status: igmp_max_memberships read from /proc/sys (40)" \
	grep -q "igmp_max_memberships=40" <<<"$out"
out=$(ct setpriv --reuid=65534 --regid=65534 --clear-groups ipv4ctl show 2>&1) || true
check "ipv4ctl show as nobody: allowed (the socket is 0666)" grep -q "iptv" <<<"$out"
out=$(ct setpriv --reuid=65534 --regid=65534 --clear-groups ipv4ctl reload 2>&1) && rc=0 || rc=$?
check "ipv4ctl reload as nobody: refused (exit 1, 'permission denied')" \
	eval '[ "$rc" -eq 1 ] && grep -q "permission denied" <<<"$out"'

# Least privilege: /proc/PID/status of the main process.
st=$(ct cat "/proc/$pid/status")
field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' <<<"$st"; }
check "runs as uid ipv4optd ($(field Uid))" [ "$(field Uid)" = "$uid $uid $uid $uid" ]
check "primary group ipv4optd, supplementary group ipv4opt ($(field Groups))" \
	grep -qw "$gid_ctl" <<<"$(field Groups)"
# CAP_NET_BIND_SERVICE is bit 10: 0x400. Nothing else, in any set.
for set in CapEff CapPrm CapAmb CapBnd; do
	check "$set = CAP_NET_BIND_SERVICE only ($(field "$set"))" \
		[ "$(field "$set")" = 0000000000000400 ]
done
check "CapInh: nothing beyond CAP_NET_BIND_SERVICE ($(field CapInh))" \
	[ "$(( 0x$(field CapInh) & ~0x400 ))" -eq 0 ]
check "NoNewPrivs: 1" [ "$(field NoNewPrivs)" = 1 ]
check "seccomp filter in force (Seccomp: 2)" [ "$(field Seccomp)" = 2 ]

# A runtime join: the state directory is writable under ProtectSystem=strict.
check "ipv4ctl join 239.7.7.7 dev lab2 (runtime, saved in the StateDirectory)" \
	ct ipv4ctl join 239.7.7.7 dev lab2
check "239.7.7.7 on lab2 in /proc/net/igmp" wait_for 20 has_group lab2 070707EF
out=$(ct ipv4ctl join 239.7.7.7 dev lab2 2>&1) && rc=0 || rc=$?
check "ipv4ctl join of the same again: exit 0, 'already joined' ($rc: $out)" \
	eval '[ "$rc" -eq 0 ] && grep -q "already joined 239.7.7.7 on lab2" <<<"$out"'
out=$(ct ipv4ctl join 239.7.7.8 dev lab2 port 53 2>&1) && rc=0 || rc=$?
check "ipv4ctl join ... port 53 (no policy's port): refused, exit 1, the allowed ports named" \
	eval '[ "$rc" -eq 1 ] && grep -q "port 53 is not allowed.*(5001, 7000, 319)" <<<"$out"'
check "... and nothing holds UDP port 53" eval '! ct cat /proc/net/udp | grep -q ":0035 "'
# A port below 1024 (PTP event messages, 224.0.1.129:319; the port of policy ptp):
# CAP_NET_BIND_SERVICE at work.
check "ipv4ctl join 224.0.1.129 dev lab2 port 319 (binds a port below 1024)" \
	ct ipv4ctl join 224.0.1.129 dev lab2 port 319
check "the daemon holds UDP port 319" eval 'ct cat /proc/net/udp | grep -q ":013F "'
check "224.0.1.129 on lab2 in /proc/net/igmp" wait_for 20 has_group lab2 810100E0
check "ipv4ctl leave 224.0.1.129 dev lab2" ct ipv4ctl leave 224.0.1.129 dev lab2
check "/var/lib/ipv4optd is owned by ipv4optd" \
	[ "$(ct stat -c %U /var/lib/ipv4optd)" = ipv4optd ]

say "reload"
ct sed -i 's|^policies = (|policies = (\n\t{ name = "added"; group = "239.5.5.5"; interfaces = [ "lab0" ]; action = "join"; },|' \
	/etc/ipv4optd.conf
check "systemctl reload ipv4optd with an edited config: succeeds" ct systemctl reload ipv4optd
check "the new group 239.5.5.5 is on lab0" wait_for 20 has_group lab0 050505EF
check "same main process after the reload" [ "$(main_pid)" = "$pid" ]

ct cp /etc/ipv4optd.conf /etc/ipv4optd.conf.good
ct sed -i 's|"239.5.5.5"|"239.5.5.300"|' /etc/ipv4optd.conf
out=$(ct systemctl reload ipv4optd 2>&1) && rc=0 || rc=$?
check "systemctl reload with a broken config: fails (exit $rc)" [ "$rc" -ne 0 ]
check "the service is still active" is_active ipv4optd
check "same main process" [ "$(main_pid)" = "$pid" ]
check "its memberships are all there" lab_groups
check "and the reloaded group" has_group lab0 050505EF
check "and the runtime join" has_group lab2 070707EF
jr=$(ct journalctl -u ipv4optd --no-pager -o cat 2>&1)
check "the journal has the file:line error (/etc/ipv4optd.conf:N:)" \
	grep -q "/etc/ipv4optd.conf:[0-9]*:.*239.5.5.300" <<<"$jr"
ct mv /etc/ipv4optd.conf.good /etc/ipv4optd.conf
# A config the user ipv4optd cannot read (doc/security.md): the same.
ct chmod 0600 /etc/ipv4optd.conf
out=$(ct systemctl reload ipv4optd 2>&1) && rc=0 || rc=$?
check "systemctl reload with a config ipv4optd cannot read: fails (exit $rc)" [ "$rc" -ne 0 ]
check "the service is still active, same process" \
	eval 'is_active ipv4optd && [ "$(main_pid)" = "$pid" ]'
check "with its memberships" lab_groups
ct chmod 0644 /etc/ipv4optd.conf

say "journal"
js=$(ct journalctl -u ipv4optd --no-pager -o json 2>&1)
check "journal entries with POLICY=, GROUP=, IFNAME= (the join of 239.5.5.5 on lab0)" \
	grep -q '"POLICY":"added"' <<<"$(grep '"GROUP":"239.5.5.5"' <<<"$js" | grep '"IFNAME":"lab0"')"

say "watchdog"
# WatchdogSec=30s as shipped; 3 s here so the test is quick.
ct mkdir -p /etc/systemd/system/ipv4optd.service.d
ct sh -c 'printf "[Service]\nWatchdogSec=3s\n" >/etc/systemd/system/ipv4optd.service.d/watchdog.conf'
ct systemctl daemon-reload
ct systemctl restart ipv4optd
check "restarted with WatchdogSec=3s" is_active ipv4optd
check "its memberships are back after the restart" wait_for 50 lab_groups
pid=$(main_pid)
restarts=$(ct systemctl show -P NRestarts ipv4optd)
ct sh -c "kill -STOP $pid"
new=
for _ in $(seq 1 200); do
	new=$(main_pid)
	eval '[ "$new" != "$pid" ] && [ "$new" != 0 ]' && is_active ipv4optd && break
	sleep 0.1
done
check "the hung daemon (SIGSTOP) is replaced: MainPID $pid -> $new" \
	eval '[ "$new" != "$pid" ] && [ "$new" != 0 ]'
check "NRestarts grew" [ "$(ct systemctl show -P NRestarts ipv4optd)" -gt "$restarts" ]
check "the journal says why (watchdog timeout)" \
	grep -qi "watchdog timeout" <<<"$(ct journalctl -u ipv4optd --no-pager -o cat)"
check "memberships are back" wait_for 50 lab_groups
check "the runtime join is back (from the state directory)" wait_for 20 has_group lab2 070707EF
ct rm -rf /etc/systemd/system/ipv4optd.service.d
ct systemctl daemon-reload

say "stop"
check "systemctl stop ipv4optd: succeeds" ct systemctl stop ipv4optd
check "no group of ours is left in /proc/net/igmp" no_groups
check "the socket unit still listens" is_active ipv4optd.socket
out=$(ct ipv4ctl status 2>&1) || true
check "a connection to the socket starts the daemon again (socket activation)" \
	grep -q "socket-activated" <<<"$out"
check "ipv4optd.service is active again" is_active ipv4optd
check "with its memberships" wait_for 50 lab_groups
ct systemctl stop ipv4optd.socket ipv4optd
check "stopped with the socket: no group left" no_groups

say "a minimal config of one's own: no control block"
# ExecReload= runs `ipv4ctl reload` as the service's user: with no control.group that user
# may still reload (the daemon trusts its own uid).
ct rm -f /var/lib/ipv4optd/runtime-joins.json
printf '%s\n' 'policies = (' \
	'	{ name = "mine"; group = "239.3.3.3"; interfaces = [ "lab0" ]; action = "join"; }' \
	');' >"$root/etc/ipv4optd.conf"
check "systemctl start ipv4optd with no control block: succeeds" ct systemctl start ipv4optd
check "its group 239.3.3.3 is on lab0" wait_for 50 has_group lab0 030303EF
pid=$(main_pid)
ct sed -i 's|^policies = (|policies = (\n\t{ name = "more"; group = "239.4.4.4"; interfaces = [ "lab0" ]; action = "join"; },|' \
	/etc/ipv4optd.conf
out=$(ct systemctl reload ipv4optd 2>&1) && rc=0 || rc=$?
check "systemctl reload ipv4optd with no control block: succeeds (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || sed 's/^/# /' <<<"$out"
check "the edit is applied: 239.4.4.4 on lab0" wait_for 50 has_group lab0 040404EF
check "same main process after the reload" [ "$(main_pid)" = "$pid" ]
out=$(ct setpriv --reuid=65534 --regid=65534 --clear-groups ipv4ctl reload 2>&1) && rc=0 || rc=$?
check "ipv4ctl reload as nobody: still refused (exit 1, 'permission denied')" \
	eval '[ "$rc" -eq 1 ] && grep -q "permission denied" <<<"$out"'
check "systemctl stop ipv4optd: succeeds" ct systemctl stop ipv4optd
check "no group of ours is left" no_groups

finish "ipv4optd under systemd"
