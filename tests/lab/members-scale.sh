#!/usr/bin/env bash
# 10,000 groups on one interface with the kernel's default per-socket limits
# (igmp_max_memberships=20, igmp_max_msf=10): the daemon spreads them over sockets, none fails,
# the kernel's table holds all of them, and they are all left on shutdown (read while the
# process still exists: the kernel would drop a dead process's memberships anyway).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storm-lib.sh"

lab_ns d
lab_ns peer
lab_veth d lab0 peer p0
lab_ip d link set lab0 up
check "default igmp_max_memberships (20)" \
	[ "$(lab_exec d cat /proc/sys/net/ipv4/igmp_max_memberships)" -eq 20 ]
check "default igmp_max_msf (10)" [ "$(lab_exec d cat /proc/sys/net/ipv4/igmp_max_msf)" -eq 10 ]

N=10000
{
	echo "policies = ("
	for i in $(seq 0 $((N - 1))); do
		sep=","; [ "$i" -eq $((N - 1)) ] && sep=""
		echo "  { name = \"g$i\"; group = \"239.10.$((i / 256)).$((i % 256))\"; interfaces = [ \"lab0\" ]; action = \"join\"; }$sep"
	done
	# one source-specific policy with more sources than igmp_max_msf allows per socket
	echo ");"
} >"$LAB_TMP/conf"
sed -i 's/^);$/, { name = "many-sources"; group = "232.10.0.4"; interfaces = [ "lab0" ]; action = "join";\n    sources = [ "10.201.1.1", "10.201.1.2", "10.201.1.3", "10.201.1.4", "10.201.1.5", "10.201.1.6", "10.201.1.7", "10.201.1.8", "10.201.1.9", "10.201.1.10", "10.201.1.11", "10.201.1.12", "10.201.1.13", "10.201.1.14", "10.201.1.15", "10.201.1.16", "10.201.1.17", "10.201.1.18", "10.201.1.19", "10.201.1.20", "10.201.1.21", "10.201.1.22", "10.201.1.23", "10.201.1.24", "10.201.1.25" ]; }\n);/' "$LAB_TMP/conf"

lab_daemon_start d "$LAB_TMP/conf"
check "$N + 1 groups in /proc/net/igmp on lab0" [ "$(igmp_count d lab0)" -eq $((N + 1)) ]
check "daemon reports none failed" grep -q "$((N + 1)) memberships joined, 0 waiting for an interface, 0 failed" "$DAEMON_LOG"
check "239.10.0.0 held" igmp_has d lab0 239.10.0.0
check "239.10.39.15 held" igmp_has d lab0 239.10.39.15
n_src=$(lab_exec d cat /proc/net/mcfilter | awk -v g="$(mcf_hex 232.10.0.4)" '$3 == g && $5 > 0' | wc -l)
check "25 sources of one group held (igmp_max_msf is 10): $n_src" [ "$n_src" -eq 25 ]
check "no ENOBUFS surfaced" bash -c "! grep -q 'No buffer space' '$DAEMON_LOG'"

none_held() {
	[ "$(igmp_count d lab0)" -eq 0 ]
}
check_held_at_exit "all left on shutdown, before the process ends" none_held
check "SIGTERM: exit status 0 ($DAEMON_RC)" [ "$DAEMON_RC" -eq 0 ]
lab_done
