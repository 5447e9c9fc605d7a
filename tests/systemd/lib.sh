# shellcheck shell=bash disable=SC2034 # (top, base, state...: for the scripts that source this)
# Shared by tests/systemd/container.sh and tests/systemd/packages.sh (sourced, not run): the
# cached Debian root, the container booted from a copy of it with systemd-nspawn, the cleanup
# on exit, and the check helpers. Each script keeps its own build and checks.
#
#   . "$(dirname "$0")/lib.sh"; systemd_lib_init "why root is needed"
#
# Cached in $IPV4OPT_CI_CACHE (default /var/cache/ipv4opt-ci): the container's root (root-KEY,
# keyed by a hash of $suite and $pkgs, so both scripts share it), its logs, and the lock both
# scripts take while they build a cached root.

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${IPV4OPT_CI_CACHE:-/var/cache/ipv4opt-ci}
suite=bookworm
# Inside the container: the init, the bus, ip(8), and the libraries the binaries link (the
# runtime libraries the packages depend on included, since the container has no network).
pkgs=(systemd systemd-sysv dbus iproute2 libconfig9 libsystemd0 libmnl0 libjson-c5)
key=$(printf '%s\n' "$suite" "${pkgs[@]}" | sha256sum | cut -c1-16)
base=$cache/root-$key

t_start=$SECONDS
say() { printf '[%3ds] %s\n' $((SECONDS - t_start)) "$*"; }

# ------------------------------------------------------------------------------------------
# Cleanup: the container stopped, every process left in a root of ours killed, every path
# under $work removed, the cache's half-built roots ($cache_tmp_globs) removed, on any exit.
work=
nspawn_pid=
cpid=
chroot_proc=
fails=0
cache_tmp_globs=('root-*.tmp')

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
	# Killing the init of the PID namespace kills everything in it.
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
	local rc=$? g
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
	for g in "${cache_tmp_globs[@]}"; do
		# shellcheck disable=SC2086 # $g is a glob
		rm -rf --one-file-system "${cache:?}"/$g 2>/dev/null
	done
	exit $rc
}

# WHY: what root is needed for (the SKIP message). Exits 77 when not root, else sets the traps.
systemd_lib_init() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root ($1)"
		exit 77
	fi
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
}

# ------------------------------------------------------------------------------------------
# Host packages: PACKAGE... installed with apt-get unless they are.
host_packages() {
	local need=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
	done
	if [ ${#need[@]} -gt 0 ]; then
		say "installing ${need[*]} on the host"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	fi
}

# The Debian mirror this machine uses for $suite, from its apt sources (one-line .list and
# deb822 .sources files alike).
mirror_from_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI SUITE COMPONENTS...
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# Stanzas separated by blank lines; Types, URIs, Suites, Enabled fields.
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

# Sets $mirror, or fails naming what is missing.
find_mirror() {
	mirror=$(mirror_from_sources | head -n 1)
	if [ -z "$mirror" ]; then
		echo "FAIL: no '$suite' mirror in /etc/apt/sources.list or sources.list.d" >&2
		exit 1
	fi
}

# ------------------------------------------------------------------------------------------
# The cached root. cache_lock / cache_unlock: one build of a cached root at a time (both
# scripts take the same lock).
cache_lock() {
	mkdir -p "$cache"
	exec 9>"$cache/lock"
	flock 9
}
cache_unlock() {
	flock -u 9
	exec 9>&-
}

# TMP (a debootstrapped minbase root): $pkgs installed by chroot + apt-get, then moved to $base.
finish_base_root() {
	local tmp=$1
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
	# machine-id is made at first boot.
	rm -f "$tmp/etc/machine-id"
	: >"$tmp/etc/machine-id"
	rm -rf --one-file-system "$base"
	mv "$tmp" "$base"
}

# ------------------------------------------------------------------------------------------
# Boot ROOT (a copy of $base, under $work) with systemd-nspawn, no network; sets $nspawn_pid,
# $cpid (the container's systemd) and $state (running or degraded), or fails with the console.
boot_container() {
	local root=$1 c
	# No login prompt on the container's console.
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
}

ct() { nsenter -t "$cpid" -a "$@"; }
# apt-get in the container; "$@" is expanded there (globs of the container's paths).
apt_ct() { ct env DEBIAN_FRONTEND=noninteractive sh -c "apt-get $*" </dev/null; }

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
# No group of ours anywhere: none but the kernel's 224.0.0.1 on any interface (lab0 listed:
# the table was read).
no_groups() {
	local t
	t=$(igmp) && grep -q lab0 <<<"$t" && ! awk '/^[ \t]/ { print $1 }' <<<"$t" | grep -qv '0000E0$'
}
main_pid() { ct systemctl show -P MainPID ipv4optd; }
is_active() { [ "$(ct systemctl is-active "$1")" = active ]; }

# The end of a run: MESSAGE printed as PASS when no check failed, else the daemon's journal
# and the count; the exit status says which.
finish() {
	say "done"
	if [ "$fails" -ne 0 ]; then
		echo "=== journal of ipv4optd"
		ct journalctl -u ipv4optd -u ipv4optd.socket --no-pager | tail -n 60
		echo "FAIL: $fails check(s) failed"
		exit 1
	fi
	echo "PASS: $1 ($((SECONDS - t_start)) s)"
}
