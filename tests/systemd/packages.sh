#!/usr/bin/env bash
# The Debian packages (debian/) as an operator gets them: built from a clean clone of HEAD
# (committed work only) in a fresh Debian 12 minbase root by `apt-get build-dep ./` and
# `dpkg-buildpackage -us -uc -b`, checked by lintian, then installed with apt in a Debian 12
# container booted with systemd-nspawn (as in container.sh) and checked there: the service
# runs on the inert default config, `ipv4ctl status` answers, a policy added to the conffile
# and `systemctl reload` is joined in the container's /proc/net/igmp, an upgrade to a higher
# version (the same tree, built again with a changelog entry on top) keeps the edited config and
# the runtime joins, and purge removes the state directory.
#
#   tests/systemd/packages.sh        (root; run by .ci/run, not by make check)
#
# Cached in $IPV4OPT_CI_CACHE (default /var/cache/ipv4opt-ci): the minbase root the packages
# are built in (minbase-bookworm), the downloaded .debs of the build dependencies (apt-archives),
# and the container's root, the same one container.sh uses (root-KEY). Each run works on fresh
# copies; everything else (copies, clones, container) is removed on exit, failed or not.
# Exit status: 0 all checks passed, 1 some failed, 77 not root.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${IPV4OPT_CI_CACHE:-/var/cache/ipv4opt-ci}
suite=bookworm
# The container's root: container.sh's list (the same cached root), the runtime libraries the
# packages depend on included, since the container has no network to fetch them.
pkgs=(systemd systemd-sysv dbus iproute2 libconfig9 libsystemd0 libmnl0 libjson-c5)

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (debootstrap, chroot, systemd-nspawn)"
	exit 77
fi

t_start=$SECONDS
say() { printf '[%3ds] %s\n' $((SECONDS - t_start)) "$*"; }

# ------------------------------------------------------------------------------------------
# Cleanup: the container stopped, every process left in a root of ours killed, every path
# below removed, on any exit.
work=
nspawn_pid=
cpid=
chroot_proc=
fails=0

stop_container() {
	[ -n "$nspawn_pid" ] || return 0
	if kill -0 "$nspawn_pid" 2>/dev/null; then
		# SIGTERM asks nspawn for an orderly shutdown of a booted container.
		kill -TERM "$nspawn_pid" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$nspawn_pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	[ -n "$cpid" ] && kill -KILL "$cpid" 2>/dev/null || true
	kill -KILL "$nspawn_pid" 2>/dev/null || true
	wait "$nspawn_pid" 2>/dev/null || true
	nspawn_pid=
}

# Processes whose root directory is under $1 (a build left running by an interrupted run).
kill_rooted_in() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		case "$r" in "$1"/*) kill -KILL "${p#/proc/}" 2>/dev/null || true ;; esac
	done
}

cleanup() {
	local rc=$?
	set +e
	stop_container
	[ -n "$chroot_proc" ] && umount -l "$chroot_proc" 2>/dev/null
	if [ -n "$work" ] && [ -d "$work" ]; then
		kill_rooted_in "$work"
		# Nothing may stay mounted under what we delete.
		grep -F " $work/" /proc/self/mounts | awk '{print $2}' | sort -r |
			while read -r m; do umount -l "$m"; done
		rm -rf --one-file-system "$work"
	fi
	rm -rf --one-file-system "$cache"/root-*.tmp "$cache"/minbase-*.tmp 2>/dev/null
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR

# ------------------------------------------------------------------------------------------
# Host packages
need=()
for p in debootstrap systemd-container git; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]} on the host"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The Debian mirror this machine uses for $suite, from its apt sources (one-line .list and
# deb822 .sources files alike).
mirror_from_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v s="$suite" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " s " ") && uri != "")
					{ print uri; found = 1; exit }
				types = suites = uri = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
			/^URIs:/ { sub(/^URIs:[ \t]*/, ""); split($0, u, /[ \t]+/); uri = u[1] }
			/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
			/^Enabled:/ { sub(/^Enabled:[ \t]*/, ""); enabled = tolower($0) }
			END { if (!found) flush() }' "$f"
	done
}
mirror=$(mirror_from_sources | head -n 1)
if [ -z "$mirror" ]; then
	echo "FAIL: no '$suite' mirror in /etc/apt/sources.list or sources.list.d" >&2
	exit 1
fi

# ------------------------------------------------------------------------------------------
# The cached roots (under one lock with container.sh): debootstrap minbase for the build; the
# same plus $pkgs for the container.
mkdir -p "$cache" "$cache/apt-archives/partial"
minbase=$cache/minbase-$suite
key=$(printf '%s\n' "$suite" "${pkgs[@]}" | sha256sum | cut -c1-16)
base=$cache/root-$key
exec 9>"$cache/lock"
flock 9
if [ ! -f "$minbase/.ready" ]; then
	say "debootstrap $suite minbase from $mirror (cached as $minbase)"
	rm -rf --one-file-system "$minbase.tmp"
	debootstrap --variant=minbase "$suite" "$minbase.tmp" "$mirror" \
		>"$cache/debootstrap-minbase.log" 2>&1 ||
		{ tail -n 30 "$cache/debootstrap-minbase.log" >&2; exit 1; }
	touch "$minbase.tmp/.ready"
	rm -rf --one-file-system "$minbase"
	mv "$minbase.tmp" "$minbase"
fi
if [ ! -x "$base/usr/lib/systemd/systemd" ]; then
	say "building the $suite container root (cached as $base)"
	tmp=$base.tmp
	rm -rf --one-file-system "$tmp"
	cp -a "$minbase" "$tmp"
	rm -f "$tmp/.ready"
	mount -t proc proc "$tmp/proc"
	chroot_proc=$tmp/proc
	# No service starts from maintainer scripts in a chroot.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	{
		chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		chroot "$tmp" env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
	} >"$cache/apt.log" 2>&1 || { tail -n 30 "$cache/apt.log" >&2; exit 1; }
	chroot "$tmp" apt-get clean
	rm -f "$tmp/usr/sbin/policy-rc.d"
	umount "$tmp/proc"
	chroot_proc=
	rm -f "$tmp/etc/machine-id"
	: >"$tmp/etc/machine-id"
	rm -rf --one-file-system "$base"
	mv "$tmp" "$base"
fi
flock -u 9
exec 9>&-

# ------------------------------------------------------------------------------------------
# Build, in a fresh copy of the minbase root: version V1 from HEAD as it is, V2 the same tree
# with a changelog entry on top (the upgrade).
work=$(mktemp -d /var/tmp/ipv4opt-packages.XXXXXX)
debs() { # DIR: the binary packages (not the dbgsym ones)
	ls "$1"/ipv4optd_*.deb "$1"/libipv4opt0_*.deb "$1"/libipv4opt-dev_*.deb 2>/dev/null
}
have_debs() { # DIR: DIR/v1 and DIR/v2 hold the 3 packages each
	[ "$(debs "$1/v1" | wc -l)" -eq 3 ] && [ "$(debs "$1/v2" | wc -l)" -eq 3 ]
}
build_packages() {
	broot=$work/build-root
	say "copying the minbase root"
	cp -a "$minbase" "$broot"
	cp /etc/resolv.conf "$broot/etc/resolv.conf"
	git -C "$top" clone -q "$top" "$broot/srv/v1/ipv4opt"
	git -C "$top" clone -q "$top" "$broot/srv/v2/ipv4opt"
	v1=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$broot/srv/v1/ipv4opt/debian/changelog")
	v2=$v1+upgradetest1
	{
		printf 'ipv4opt (%s) unstable; urgency=medium\n\n' "$v2"
		printf '  * Upgrade test of tests/systemd/packages.sh: the same tree, a higher version.\n\n'
		printf ' -- %s  %s\n\n' "$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$broot/srv/v1/ipv4opt/debian/changelog" |
			head -n 1)" "$(date -R)"
		cat "$broot/srv/v1/ipv4opt/debian/changelog"
	} >"$broot/srv/v2/ipv4opt/debian/changelog"
	say "HEAD $(git -C "$top" rev-parse --short HEAD): building $v1 and $v2 in a fresh $suite root"

	# The build script, run by chroot in a private mount namespace (its mounts vanish with it).
	# The first build runs the package's tests (the unit tests, debian/rules); the second, the
	# same tree, skips them (nocheck).
	cat >"$broot/srv/build.sh" <<'EOF'
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
cd /srv/v1/ipv4opt
echo "=== apt-get build-dep ./"
apt-get build-dep -y -qq ./ >/srv/build-dep.log 2>&1 || { tail -n 30 /srv/build-dep.log; exit 1; }
echo "=== dpkg-buildpackage -us -uc -b ($(dpkg-parsechangelog -SVersion))"
dpkg-buildpackage -us -uc -b >/srv/build-v1.log 2>&1 || { tail -n 60 /srv/build-v1.log; exit 1; }
grep -E '^# (TOTAL|PASS|FAIL|SKIP|ERROR):' /srv/build-v1.log || true
cd /srv/v2/ipv4opt
echo "=== DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b ($(dpkg-parsechangelog -SVersion))"
DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >/srv/build-v2.log 2>&1 ||
	{ tail -n 60 /srv/build-v2.log; exit 1; }
echo "=== lintian"
apt-get install -y -qq --no-install-recommends lintian >/srv/lintian-install.log 2>&1 ||
	{ tail -n 30 /srv/lintian-install.log; exit 1; }
cd /srv/v1
# As an unprivileged user, as lintian asks; errors fail the run, other tags are shown.
chmod 0755 /srv /srv/v1
runuser -u nobody -- env HOME=/tmp lintian --fail-on error --info ./*.changes
EOF
	build_rc=0
	unshare -m --propagation private bash -c '
		set -e; r=$1
		mount -t proc proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/run"
		mount --bind "$2" "$r/var/cache/apt/archives"
		exec chroot "$r" /bin/bash /srv/build.sh' packages-build "$broot" "$cache/apt-archives" 2>&1 |
		sed -u 's/^/  | /' || build_rc=$?
	[ "$build_rc" -eq 0 ] || { echo "FAIL: the package build failed" >&2; exit 1; }
	have_debs "$broot/srv" || { echo "FAIL: the build made no 3 packages of each version" >&2; exit 1; }
	say "built: $(debs "$broot/srv/v1" | xargs -n1 basename | tr '\n' ' ')"
}

# IPV4OPT_PKG_DEBS=DIR (to debug the checks below, not for CI): the packages of a previous run
# are kept in DIR/v1 and DIR/v2 and used instead of a build (and lintian).
keep=${IPV4OPT_PKG_DEBS:-}
if [ -n "$keep" ] && have_debs "$keep"; then
	say "IPV4OPT_PKG_DEBS: the packages in $keep, not built (not a CI run)"
	pkgdir=$keep
	v1=$(dpkg-deb -f "$(debs "$keep/v1" | head -n 1)" Version)
	v2=$(dpkg-deb -f "$(debs "$keep/v2" | head -n 1)" Version)
else
	build_packages
	pkgdir=$broot/srv
	if [ -n "$keep" ]; then
		mkdir -p "$keep/v1" "$keep/v2"
		for d in v1 v2; do debs "$pkgdir/$d" | xargs cp -t "$keep/$d"; done
	fi
fi

# ------------------------------------------------------------------------------------------
# The container: a fresh copy of the cached root, the packages copied in, booted.
root=$work/root
say "copying the container root"
cp -a "$base" "$root"
for d in v1 v2; do
	mkdir -p "$root/srv/$d"
	debs "$pkgdir/$d" | xargs cp -t "$root/srv/$d"
done
rm -rf --one-file-system "$work/build-root"
ln -sf /dev/null "$root/etc/systemd/system/console-getty.service"

say "booting the container"
systemd-nspawn --register=no --keep-unit --private-network -D "$root" -b \
	</dev/null >"$work/console.log" 2>&1 &
nspawn_pid=$!
for _ in $(seq 1 200); do
	for c in $(ps -o pid= --ppid "$nspawn_pid" 2>/dev/null); do
		if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ]; then
			cpid=$c
		fi
	done
	[ -n "$cpid" ] && break
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$cpid" ]; then
	echo "FAIL: the container's systemd did not start" >&2
	tail -n 30 "$work/console.log" >&2
	exit 1
fi

ct() { nsenter -t "$cpid" -a "$@"; }
# apt-get in the container; "$@" is expanded there (globs of the container's paths).
apt_ct() { ct env DEBIAN_FRONTEND=noninteractive sh -c "apt-get $*" </dev/null; }

state=
for _ in $(seq 1 600); do
	state=$(ct systemctl is-system-running 2>/dev/null) || true
	case "$state" in running|degraded) break ;; esac
	sleep 0.1
done
say "system state: $state"
case "$state" in
running|degraded) ;;
*)
	echo "FAIL: the container did not finish booting (state '$state')" >&2
	tail -n 30 "$work/console.log" >&2
	exit 1
	;;
esac

# ------------------------------------------------------------------------------------------
# Checks
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		fails=$((fails + 1))
	fi
}

# Waits up to $1 tenths of a second for a command to succeed.
wait_for() {
	local n=$1
	shift
	for _ in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

igmp() { ct cat /proc/net/igmp; }
# /proc/net/igmp: "IDX DEV ..." lines, then one line per group (hex, network byte order).
has_group() { # DEV HEX
	igmp | awk -v d="$1" -v g="$2" '/^[0-9]/ { dev = $2 } $1 == g && dev == d { f = 1 } END { exit !f }'
}
# No group but the kernel's 224.0.0.1 on any interface (lab0 listed: the table was read).
no_groups() {
	local t
	t=$(igmp) && grep -q lab0 <<<"$t" && ! awk '/^[ \t]/ { print $1 }' <<<"$t" | grep -qv '0000E0$'
}
main_pid() { ct systemctl show -P MainPID ipv4optd; }
is_active() { [ "$(ct systemctl is-active "$1")" = active ]; }
installed() { # PACKAGE VERSION
	[ "$(ct dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>/dev/null)" = "ii $2" ]
}
not_installed() { [[ "$(ct dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" != [ir]* ]]; }

# An interface for the policy added below; the inert default config must leave it alone.
ct ip link add lab0 type veth peer name peer0
ct ip link set lab0 up
ct ip link set peer0 up

say "install $v1: apt-get install ./ipv4optd_*.deb ./libipv4opt0_*.deb ./libipv4opt-dev_*.deb"
out=$(apt_ct install -y --no-install-recommends '/srv/v1/*.deb' 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 0 ] || sed 's/^/# /' <<<"$out"
check "apt-get install of the three packages: succeeds" [ "$rc" -eq 0 ]
for p in ipv4optd libipv4opt0 libipv4opt-dev; do
	check "$p $v1 is installed" installed "$p" "$v1"
done
check "the postinst created the system user ipv4optd and the group ipv4opt (sysusers.d)" \
	eval 'ct getent passwd ipv4optd >/dev/null && ct getent group ipv4opt >/dev/null'
check "ipv4optd.service is active (started by the postinst)" wait_for 100 is_active ipv4optd
check "ipv4optd.service is enabled" eval '[ "$(ct systemctl is-enabled ipv4optd)" = enabled ]'
check "ipv4optd.socket is active (listening before the service started)" \
	wait_for 100 is_active ipv4optd.socket
check "/etc/ipv4optd.conf is a conffile of ipv4optd" \
	eval 'grep -q "^ /etc/ipv4optd.conf " <<<"$(ct dpkg-query -W -f="\${Conffiles}" ipv4optd)"'
check "/etc/ipv4optd.conf is the tree's conf/ipv4optd.conf" \
	eval 'git -C "$top" show HEAD:conf/ipv4optd.conf | cmp -s - "$root/etc/ipv4optd.conf"'
out=$(ct ipv4ctl status 2>&1) && rc=0 || rc=$?
check "ipv4ctl status answers (exit $rc)" [ "$rc" -eq 0 ]
check "ipv4ctl status: the daemon uses systemd's socket" grep -q "socket-activated" <<<"$out"
check "the inert default config joins nothing (only 224.0.0.1 in /proc/net/igmp)" no_groups
pc=$(ct dpkg -L libipv4opt-dev 2>/dev/null | grep '/pkgconfig/libipv4opt\.pc$') || true
check "libipv4opt-dev has the pkg-config file ($pc)" eval '[ -n "$pc" ] && ct test -f "$pc"'
so=$(ct dpkg -L libipv4opt0 2>/dev/null | grep '/libipv4opt\.so\.0$') || true
ldc=$(ct ldconfig -p)
check "libipv4opt0 has the shared library ($so), known to the dynamic linker" \
	eval '[ -n "$so" ] && grep -q "libipv4opt\.so\.0 " <<<"$ldc"'
out=$(ct journalctl -u ipv4optd -p warning -q --no-pager -o cat)
[ -z "$out" ] || sed 's/^/# /' <<<"$out"
check "no warning or error from the daemon in the journal" test -z "$out"

say "edit /etc/ipv4optd.conf, systemctl reload ipv4optd"
# An operator's edit: a policy first in the list (with a comma when entries follow).
entry='{ name = "pkgtest"; group = "239.5.5.5"; interfaces = [ "lab0" ]; action = "join"; }'
ct cp /etc/ipv4optd.conf /root/ipv4optd.conf.orig
for sep in "" ","; do
	ct sed "s|^policies = (|policies = (\n\t$entry$sep|" /root/ipv4optd.conf.orig \
		>"$root/etc/ipv4optd.conf"
	ct ipv4optd --test-config -f /etc/ipv4optd.conf >/dev/null 2>&1 && break
done
if ! grep -q '^policies = (' "$root/etc/ipv4optd.conf"; then
	# No policies setting at all: add one.
	printf '\npolicies = (\n\t%s\n);\n' "$entry" >>"$root/etc/ipv4optd.conf"
fi
check "the edited config is valid (ipv4optd --test-config)" \
	eval 'ct ipv4optd --test-config -f /etc/ipv4optd.conf >/dev/null'
pid=$(main_pid)
check "systemctl reload ipv4optd: succeeds" ct systemctl reload ipv4optd
check "the added policy's group 239.5.5.5 is joined on lab0 (/proc/net/igmp)" \
	wait_for 100 has_group lab0 050505EF
check "same main process after the reload" [ "$(main_pid)" = "$pid" ]
cp "$root/etc/ipv4optd.conf" "$work/edited.conf"

check "ipv4ctl join 239.7.7.7 dev lab0 (a runtime join, kept in /var/lib/ipv4optd)" \
	eval 'ct ipv4ctl join 239.7.7.7 dev lab0 >/dev/null'
check "239.7.7.7 is joined on lab0" wait_for 100 has_group lab0 070707EF
check "/var/lib/ipv4optd holds the runtime join's state" \
	eval '[ -n "$(ct find /var/lib/ipv4optd -type f -size +0)" ]'

say "upgrade to $v2: apt-get install ./ipv4optd_*.deb ..."
out=$(apt_ct install -y --no-install-recommends '/srv/v2/*.deb' 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 0 ] || sed 's/^/# /' <<<"$out"
check "apt-get install of $v2: succeeds" [ "$rc" -eq 0 ]
for p in ipv4optd libipv4opt0 libipv4opt-dev; do
	check "$p $v2 is installed" installed "$p" "$v2"
done
check "the edited /etc/ipv4optd.conf is kept as it was" cmp -s "$work/edited.conf" "$root/etc/ipv4optd.conf"
check "no .dpkg-new/.dpkg-dist/.dpkg-old config left beside it" \
	eval '[ -z "$(ls "$root"/etc/ipv4optd.conf.dpkg-* 2>/dev/null)" ]'
check "ipv4optd.service is active after the upgrade" wait_for 100 is_active ipv4optd
check "ipv4optd.socket is still active after the upgrade" is_active ipv4optd.socket
out=$(ct ipv4ctl status 2>&1) || true
check "ipv4ctl status after the upgrade: the daemon uses systemd's socket" \
	grep -q "socket-activated" <<<"$out"
check "restarted by the upgrade: a new main process" \
	wait_for 100 eval '[ "$(main_pid)" != "$pid" ] && [ "$(main_pid)" != 0 ]'
check "the edited config's group 239.5.5.5 is joined on lab0" wait_for 100 has_group lab0 050505EF
check "the runtime join 239.7.7.7 is back on lab0 (from the state directory)" \
	wait_for 100 has_group lab0 070707EF
out=$(ct ipv4ctl show 2>&1) || true
check "ipv4ctl show lists the runtime join 239.7.7.7" grep -q "239.7.7.7" <<<"$out"
check "ipv4ctl show lists the policy pkgtest" grep -q "pkgtest" <<<"$out"

say "apt-get purge ipv4optd libipv4opt-dev libipv4opt0"
out=$(apt_ct purge -y ipv4optd libipv4opt-dev libipv4opt0 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 0 ] || sed 's/^/# /' <<<"$out"
check "apt-get purge: succeeds" [ "$rc" -eq 0 ]
for p in ipv4optd libipv4opt0 libipv4opt-dev; do
	check "$p is not installed" not_installed "$p"
done
check "ipv4optd.service is stopped" eval '! is_active ipv4optd'
check "ipv4optd.socket is stopped" eval '! is_active ipv4optd.socket'
check "no group of ours is left in /proc/net/igmp" wait_for 100 no_groups
check "the state directory /var/lib/ipv4optd is removed" ct test ! -e /var/lib/ipv4optd
check "/etc/ipv4optd.conf is removed" ct test ! -e /etc/ipv4optd.conf
check "the unit files are removed" ct test ! -e /lib/systemd/system/ipv4optd.service
# Debian practice: a system user is not removed (files it owns elsewhere would get its uid).
check "the system user ipv4optd stays (Debian practice)" eval 'ct getent passwd ipv4optd >/dev/null'

say "done"
if [ "$fails" -ne 0 ]; then
	echo "=== journal of ipv4optd"
	ct journalctl -u ipv4optd -u ipv4optd.socket --no-pager | tail -n 60
	echo "FAIL: $fails check(s) failed"
	exit 1
fi
echo "PASS: the Debian packages build, install, reload, upgrade and purge ($((SECONDS - t_start)) s)"
