#!/usr/bin/env bash
# Address changes lost in an rtnetlink overrun are replayed after the resync. The relay's egress
# interface out0 changes its address (10.80.2.1 -> 10.80.2.5) while the daemon cannot read
# (stopped, with the smallest receive buffer the kernel allows, --netlink-rcvbuf 1024): the
# queue is already full of other address events, so both changes are lost (ENOBUFS). The
# resync's dump finds out0 with another address; the relay must then send from 10.80.2.5.
# It used to keep its socket on the old source (the resync reported no address change), and
# nothing reached the receiver. Asserted at the receiver: the source address of the relayed
# datagrams, before and after.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
lab_ip d link add spare0 type veth peer name spare0-p
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "out"; group = "239.10.0.1"; interfaces = [ "in0" ]; port = 5000; action = "relay";
    relay = { to = "239.20.0.1:6000"; interface = "out0"; ttl = 8; }; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf" --netlink-rcvbuf 1024
lab_wait 5 igmp_has d in0 239.10.0.1

# relayed_from ADDR: 10 datagrams sent now reach the receiver, all from ADDR.
relayed_from() {
	recv_start r -p 6000 -g 239.20.0.1 -I r0 -c 10 -T 2
	send 10.80.1.2 239.10.0.1:5000 -n 10 -r 1000
	wait "$RECV_PID"
	[ "$(recv_value r packets)" -gt 0 ] && [ "$(recv_value r sources)" = "$1" ]
}
check "before: the relay's output comes from out0's address 10.80.2.1" \
	lab_wait 10 relayed_from 10.80.2.1

# First enough address events of spare0 to fill the queue (added and removed again: no
# change to replay), then out0's change: lost.
{
	for i in $(seq 1 40); do echo "addr add 10.81.0.$i/32 dev spare0"; done
	for i in $(seq 1 40); do echo "addr del 10.81.0.$i/32 dev spare0"; done
	echo "addr del 10.80.2.1/24 dev out0"
	echo "addr add 10.80.2.5/24 dev out0"
} >"$LAB_TMP/burst"
kill -STOP "$DAEMON_PID"
lab_ip d -batch "$LAB_TMP/burst"
rc=$?
kill -CONT "$DAEMON_PID"
check "the address changes ran" [ "$rc" -eq 0 ]
check "the daemon logged the overrun" \
	lab_wait 5 grep -q "rtnetlink receive queue overrun: events lost" "$DAEMON_LOG"
check "after: the relay's output comes from out0's new address 10.80.2.5" \
	lab_wait 10 relayed_from 10.80.2.5
check "daemon still running" kill -0 "$DAEMON_PID"
lab_done
