#!/usr/bin/env bash
# libipv4opt as an outside program sees it: `make install` (into a staging root), then a
# program outside the tree (doc/examples/ssm-join.c) built with `pkg-config --cflags --libs
# libipv4opt` joins a source-specific group: the kernel's /proc/net/mcfilter shows it, and
# the listed source's datagrams reach it, the other source's do not. (The program gives up
# after 10 s without a datagram, so it cannot hang the test.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storm-lib.sh"

root=$LAB_TMP/root
if ! make -s -C "$top_builddir" install DESTDIR="$root" >"$LAB_TMP/install.log" 2>&1; then
	check "make install succeeds" false
	tail -20 "$LAB_TMP/install.log"
	lab_done
fi
pc=$(find "$root" -name libipv4opt.pc | head -1)
check "libipv4opt.pc installed" [ -n "$pc" ]
hdr=$(find "$root" -name ipv4opt.h | head -1)
check "ipv4opt.h installed" [ -n "$hdr" ]
export PKG_CONFIG_PATH=${pc%/*} PKG_CONFIG_SYSROOT_DIR=$root
cflags=$(pkg-config --cflags libipv4opt) && libs=$(pkg-config --libs libipv4opt)
check "pkg-config knows libipv4opt" [ -n "$libs" ]
# shellcheck disable=SC2086
# (a sanitizer build's library needs the program built with the same runtime)
cc -Wall -Werror ${SAN_CFLAGS:-} -o "$LAB_TMP/ssm-join" "$top_srcdir/doc/examples/ssm-join.c" \
	$cflags $libs ${SAN_LDFLAGS:-}
check "an outside program compiles and links against the installed library" [ -x "$LAB_TMP/ssm-join" ]
export LD_LIBRARY_PATH=${libs#-L}; LD_LIBRARY_PATH=${LD_LIBRARY_PATH%% *}
check "it resolves the installed shared library" \
	bash -c "ldd '$LAB_TMP/ssm-join' | grep -q '$root.*libipv4opt.so'"
check "only ipv4opt_ symbols are exported" bash -c \
	"! nm -D --defined-only '$(find "$root" -name 'libipv4opt.so.*.*' | head -1)' | awk '\$2 ~ /[TDB]/ {print \$3}' | grep -v '^ipv4opt_'"

lab_ns d
lab_ns src
lab_veth src s0 d lab0
lab_ip src addr add 10.77.1.5/24 dev s0; lab_ip src addr add 10.77.1.6/24 dev s0
lab_ip src link set s0 up
lab_ip d addr add 10.77.1.1/24 dev lab0; lab_ip d link set lab0 up
lab_wait 10 bash -c "ip -n $LAB_ID-d link show lab0 | grep -q LOWER_UP"

lab_exec d "$LAB_TMP/ssm-join" lab0 232.1.1.1 10.77.1.5 5000 2 >"$LAB_TMP/out" 2>&1 &
pid=$!
LAB_PIDS+=("$pid")
ssm_held() { [ "$(mcfilter_mode d lab0 232.1.1.1 10.77.1.5)" = include ]; }
check "(S,G) in /proc/net/mcfilter" lab_wait 10 ssm_held
# The other source first, then the listed one, one datagram at a time until the program has
# its 2 and exits: on one link they arrive in order, so the other source's were there first.
lab_send src 10.77.1.6 232.1.1.1 5000 3
sent_until_exit() {
	lab_send src 10.77.1.5 232.1.1.1 5000 1
	sleep 0.1
	! kill -0 "$pid" 2>/dev/null
}
check "the program exits once the listed source's datagrams arrive" lab_wait 10 sent_until_exit
lab_reap "$pid" 20
rc=$?
sed 's/^/  > /' "$LAB_TMP/out"
check "the program received the listed source's 2 datagrams and exited 0 (exit $rc)" [ $rc -eq 0 ]
check "... it printed them" [ "$(grep -c ' from 10.77.1.5:' "$LAB_TMP/out")" -eq 2 ]
check "nothing from the other source" bash -c "! grep -q 10.77.1.6 '$LAB_TMP/out'"
lab_done
