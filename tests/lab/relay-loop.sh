#!/usr/bin/env bash
# Loop protection: the daemon's relayed output, coming back to it unchanged through a bridge
# (its source one of our addresses, its source port one of our send sockets'), is dropped and
# counted, while the same group from another sender is accepted; TTL and DSCP play no part.
# Counters are polled until they reach their values; the negative (none relayed again) is
# followed by a positive on the same path (another sender's datagrams are relayed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_loop_lab

cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "out"; group = "239.10.0.1"; interfaces = [ "in0" ]; port = 5000; action = "relay";
    relay = { to = "239.20.0.1:6000"; interface = "out0"; ttl = 8; }; },
  { name = "back"; group = "239.20.0.1"; interfaces = [ "in1" ]; port = 6000; action = "relay";
    relay = { to = "239.10.0.1:5000"; interface = "out0"; ttl = 8; }; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 igmp_has d in1 239.20.0.1

send 10.80.1.2 239.10.0.1:5000 -n 100 -r 5000 -b 32
check "relayed: 100 sent out of out0" stat_wait out packets_sent 100
check "loop: all 100 came back on in1 and were dropped as our own output" \
	stat_wait back drops.loop 100
check "loop: the 100 came back on in1" stat_is back packets_received 100
check "loop: none relayed again" stat_is back packets_sent 0

# The same group from another host on that link is relayed.
lab_exec rcv "$MCSEND" -s 10.80.2.2 -n 20 -r 1000 -b 32 239.20.0.1:6000 >/dev/null
check "another sender of the group is relayed (20)" stat_wait back packets_sent 20
check "another sender: none counted as a loop" stat_is back drops.loop 100
lab_done
