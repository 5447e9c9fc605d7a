#!/usr/bin/env bash
# Source filters on the data path: a source-specific relay forwards only its listed source,
# an exclude list keeps its source out, and two policies of one group on one port (one
# source-specific, one any-source) each get their own datagrams exactly once.
#
# Each negative comes first on its path and a positive follows on the same path: the
# datagrams of the source that must be kept out are sent, then those of the allowed one; the
# receiver stops at the count it expects (or its -T deadline). The relay sends everything
# from its own address, so the two sources are told apart by size: 10.80.1.3 sends 64-byte
# datagrams, 10.80.1.2 100-byte ones; one that got through the filter shows in the byte count
# (it arrived first).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "ssm"; group = "232.10.0.1"; sources = [ "10.80.1.2" ]; interfaces = [ "in0" ];
    port = 5002; action = "relay"; relay = { to = "239.20.0.2:6002"; interface = "out0"; }; },
  { name = "ex"; group = "239.10.0.3"; exclude = [ "10.80.1.3" ]; interfaces = [ "in0" ];
    port = 5003; action = "relay"; relay = { to = "239.20.0.3:6003"; interface = "out0"; }; },
  { name = "inc"; group = "239.10.0.4"; sources = [ "10.80.1.2" ]; interfaces = [ "in0" ];
    port = 5004; action = "relay"; relay = { to = "239.20.0.4:6004"; interface = "out0"; }; },
  { name = "all"; group = "239.10.0.4"; interfaces = [ "in0" ];
    port = 5004; action = "relay"; relay = { to = "239.20.0.5:6005"; interface = "out0"; }; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 joined 239.10.0.4

recv_start ssm -p 6002 -g 239.20.0.2 -I r0 -c 100 -T 60
send 10.80.1.3 232.10.0.1:5002 -n 100 -l 64 -r 5000 -b 32
send 10.80.1.2 232.10.0.1:5002 -n 100 -l 100 -r 5000 -b 32
wait "$RECV_PID"
check "SSM: 100 datagrams relayed" [ "$(recv_value ssm packets)" = 100 ]
check "SSM: all of them 10.80.1.2's (the one source listed; 10.80.1.3's sent first)" \
	[ "$(recv_value ssm bytes)" = 10000 ]
check "SSM: stats relayed 100" stat_wait ssm packets_sent 100
check "SSM: stats received 100 (10.80.1.3's never reached the daemon)" \
	stat_is ssm packets_received 100
check "SSM: last source 10.80.1.2" [ "$(stat_of ssm last_source | cut -d: -f1)" = 10.80.1.2 ]

recv_start ex -p 6003 -g 239.20.0.3 -I r0 -c 100 -T 60
send 10.80.1.3 239.10.0.3:5003 -n 100 -l 64 -r 5000 -b 32
send 10.80.1.2 239.10.0.3:5003 -n 100 -l 100 -r 5000 -b 32
wait "$RECV_PID"
check "exclude: 100 datagrams relayed" [ "$(recv_value ex packets)" = 100 ]
check "exclude: all of them 10.80.1.2's (10.80.1.3, excluded, sent first)" \
	[ "$(recv_value ex bytes)" = 10000 ]
check "exclude: stats received 100" stat_wait ex packets_received 100

recv_start inc -p 6004 -g 239.20.0.4 -I r0 -c 100 -T 60
inc_pid=$RECV_PID
recv_start all -p 6005 -g 239.20.0.5 -I r0 -c 200 -T 60
send 10.80.1.3 239.10.0.4:5004 -n 100 -l 64 -r 5000 -b 32
send 10.80.1.2 239.10.0.4:5004 -n 100 -l 100 -r 5000 -b 32
wait "$inc_pid" "$RECV_PID"
check "shared group and port: source-specific policy relayed 100, all 10.80.1.2's" \
	[ "$(recv_value inc packets) $(recv_value inc bytes)" = "100 10000" ]
check "shared group and port: any-source policy relayed 200, both sources' (once each)" \
	[ "$(recv_value all packets) $(recv_value all bytes)" = "200 16400" ]
inc_all_sent() {
	[ "$(stat_of inc packets_sent) $(stat_of all packets_sent)" = "100 200" ]
}
check "shared group and port: stats 100 and 200" lab_wait 10 inc_all_sent
check "no datagram filtered in user space (the kernel did it)" \
	[ "$(stat_of all drops.filtered)$(stat_of inc drops.filtered)" = 00 ]

lab_done
