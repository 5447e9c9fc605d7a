#!/usr/bin/env bash
# The units as built: `systemd-analyze security --offline=true` rates ipv4optd.service at 2.0
# or lower (doc/security.md), `systemd-analyze verify` finds nothing to say about the service
# and the socket, and systemd-sysusers creates the user and groups the service names.
#
# verify loads units by name from a root directory: a temporary root holds the generated
# units in /etc/systemd/system, the host's own units (for the targets they name), and the
# built programs at the paths of the Exec*= lines, which verify checks are executable.
set -u

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
service=$top_builddir/systemd/ipv4optd.service
socket=$top_srcdir/systemd/ipv4optd.socket
sysusers=$top_srcdir/systemd/ipv4optd.sysusers.conf

if ! command -v systemd-analyze >/dev/null || ! command -v systemd-sysusers >/dev/null; then
	# tests/bootstrap installs them (Debian package systemd); as root, never a skip.
	echo "systemd-analyze or systemd-sysusers is missing (Debian package systemd)"
	[ "$(id -u)" -ne 0 ] && exit 77
	exit 99
fi

tmp=$(mktemp -d /tmp/ipv4opt-unit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failed=0
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		failed=1
	fi
}

check "the service unit was generated" test -f "$service"

# --- exposure
out=$(systemd-analyze security --offline=true "$service" 2>&1)
level=$(sed -n 's/^.*Overall exposure level for ipv4optd\.service: \([0-9.]*\).*$/\1/p' <<<"$out")
echo "$out" | grep -E '^ *✗|Overall' | sed 's/^/# /'
check "systemd-analyze security prints an overall exposure level ('$level')" test -n "$level"
check "exposure level $level is 2.0 or lower" awk -v l="${level:-99}" 'BEGIN { exit !(l <= 2.0) }'

# --- verify, in a root with the units, the host's targets and the programs
root=$tmp/root
mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp "$service" "$socket" "$root/etc/systemd/system/"
for d in /usr/lib/systemd/system /lib/systemd/system; do
	if [ -d "$d" ]; then
		cp -a "$d" "$root/usr/lib/systemd/"
		break
	fi
done
# Exec*=[-@:+!]PATH ...: put the built program of that name at PATH.
for path in $(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "$service" | sort -u); do
	prog=$(find "$top_builddir/src" -maxdepth 2 -type f -perm -u+x -name "${path##*/}" | head -1)
	check "the program of $path is built" test -n "$prog"
	[ -n "$prog" ] || continue
	mkdir -p "$root${path%/*}"
	cp "$prog" "$root$path"
done
out=$(systemd-analyze verify --man=no --root="$root" ipv4optd.service ipv4optd.socket 2>&1)
rc=$?
[ -z "$out" ] || echo "$out" | sed 's/^/# /'
check "systemd-analyze verify passes (exit $rc)" test "$rc" -eq 0
check "systemd-analyze verify has no warnings" test -z "$out"
# verify --man=no above: the pages are not installed in that root. They are in the tree.
check "the units name their man pages (Documentation=man:...)" \
	grep -q '^Documentation=.*man:' "$service" "$socket"
for page in $(sed -n 's/^Documentation=//p' "$service" "$socket" | tr ' ' '\n' | sed -n 's/^man://p' |
	sort -u); do
	name=${page%(*}; section=${page#*(}; section=${section%)}
	check "Documentation= $page is doc/$name.$section" test -f "$top_srcdir/doc/$name.$section"
done

# --- capabilities: what the service gets is what it may have (doc/security.md)
ambient=$(sed -n 's/^AmbientCapabilities=//p' "$service")
bounding=$(sed -n 's/^CapabilityBoundingSet=//p' "$service")
check "AmbientCapabilities= ($ambient) equals CapabilityBoundingSet= ($bounding)" \
	test "$ambient" = "$bounding"
check "the capabilities are CAP_NET_BIND_SERVICE, as documented" \
	test "$bounding" = CAP_NET_BIND_SERVICE

# --- sysusers.d: the user and the groups the service runs with
users=$tmp/users
mkdir -p "$users/etc"
# (The loops below check each name the service runs with; that it names some is checked first.)
check "the service names its User= and Group= (it does not run as root)" \
	bash -c "grep -q '^User=.' '$service' && grep -q '^Group=.' '$service'"
if out=$(systemd-sysusers --root="$users" "$sysusers" 2>&1); then
	for u in $(sed -n 's/^User=//p' "$service"); do
		check "sysusers.d creates user $u" grep -q "^$u:" "$users/etc/passwd"
	done
	for g in $(sed -n 's/^\(Group\|SupplementaryGroups\)=//p' "$service"); do
		check "sysusers.d creates group $g" grep -q "^$g:" "$users/etc/group"
	done
else
	echo "$out" | sed 's/^/# /'
	check "systemd-sysusers --root accepts $sysusers" false
fi

exit $failed
