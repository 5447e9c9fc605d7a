#!/usr/bin/env bash
# An interface whose rtnetlink messages are larger than 32 KiB (here: 300 alternative names of
# 127 characters, about 41 KB per RTM_NEWLINK) must not end interface tracking. Such a message
# used to be cut by the daemon's 32 KiB read buffer (libmnl: ENOSPC), and that read error (not
# an overrun) disabled the event source for good: interfaces created afterwards were never
# joined. Now messages are read whole, and a read error of any kind leads to a resync.
# Asserted from the kernel's tables: an interface created after the large messages is joined,
# and the large one itself too.
. "$(dirname "$0")/lib.sh"

lab_ns d
lab_ip d link add big0 type veth peer name big0-p
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "pat"; group = "239.4.0.1"; interfaces = [ "v*" ]; action = "join"; },
  { name = "big"; group = "239.4.0.2"; interfaces = [ "big0" ]; action = "join"; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
check "before: big0 is joined" lab_wait 5 igmp_has d big0 239.4.0.2

long=$(printf 'x%.0s' $(seq 1 120))
for i in $(seq 1 300); do
	printf 'link property add dev big0 altname a%03d%s\n' "$i" "$long"
done >"$LAB_TMP/altnames"
check "300 alternative names added to big0" lab_ip d -batch "$LAB_TMP/altnames"
lab_ip d link set big0 up
size=$(lab_exec d python3 -c '
import socket, subprocess
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.bind((0, 1))  # RTMGRP_LINK
s.settimeout(10)
subprocess.run(["ip", "link", "set", "big0", "down"], check=True)
print(len(s.recv(1 << 20, socket.MSG_PEEK | socket.MSG_TRUNC)))')
echo "# one RTM_NEWLINK of big0: ${size:-?} bytes"
check "an RTM_NEWLINK of big0 is larger than 32 KiB (${size:-?} bytes)" [ "${size:-0}" -gt 32768 ]
lab_ip d link set big0 up

# The daemon has read those messages (or failed to): an interface created now must be joined.
lab_ip d link add v1 type veth peer name pv1
check "after: v1, created after the large messages, is joined" lab_wait 10 igmp_has d v1 239.4.0.1
check "after: big0 is still joined" igmp_has d big0 239.4.0.2
lab_ip d link del v1
check "after: v1 deleted: its membership is gone" lab_wait 10 igmp_lacks d v1 239.4.0.1
lab_ip d link add v2 type veth peer name pv2
check "after: v2 is joined" lab_wait 10 igmp_has d v2 239.4.0.1
check "daemon still running" kill -0 "$DAEMON_PID"
lab_done
