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

# shellcheck source=tests/systemd/lib.sh
. "$(dirname "$0")/lib.sh"
systemd_lib_init "debootstrap, chroot, systemd-nspawn"
# The minbase root is half-built as minbase-SUITE.tmp too.
cache_tmp_globs+=('minbase-*.tmp')

host_packages debootstrap systemd-container git
find_mirror

# ------------------------------------------------------------------------------------------
# The cached roots (under one lock with container.sh): debootstrap minbase for the build; the
# same plus $pkgs for the container.
cache_lock
mkdir -p "$cache/apt-archives/partial"
minbase=$cache/minbase-$suite
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
	finish_base_root "$tmp"
fi
cache_unlock

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
boot_container "$root"

# ------------------------------------------------------------------------------------------
# Checks
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

finish "the Debian packages build, install, reload, upgrade and purge"
