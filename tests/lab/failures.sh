#!/usr/bin/env bash
# Failures on the data path are visible without the log: an egress interface that is missing,
# an unreachable relay destination, a pcap file that cannot be opened, a port that cannot be received on (a port
# another program holds), and a policy whose patterns match nothing yet. Each shows in
# ipv4ctl show (a state and a reason per policy, output and log), counts in ipv4ctl status, and
# has a Prometheus series; show -j and stats -j render outputs and logs alike. Then each is
# mended and its state follows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
mkdir -p "$LAB_TMP/later"
rmdir "$LAB_TMP/later"

# a UDP socket bound to 0.0.0.0:5004 in d, without SO_REUSEADDR, while its file exists
: >"$LAB_TMP/holder"
lab_exec d python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5004))
while os.path.exists(sys.argv[1]):
    time.sleep(0.02)
' "$LAB_TMP/holder" &
LAB_PIDS+=("$!")
lab_wait 10 lab_udp_bound d 5004 || { echo "holder did not start"; exit 99; }

cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "tv"; group = "239.10.0.1"; interfaces = [ "in0" ]; port = 5001; action = "relay";
    relay = ( { to = "239.2.2.2:6000"; interface = "gone0"; dscp = "EF"; ttl = 8; },
              { to = "10.99.9.9:6001"; } ); },
  { name = "cap"; group = "239.10.0.3"; interfaces = [ "in0" ]; port = 5003; action = "log";
    log = { target = "pcap"; file = "$LAB_TMP/later/cap.pcap"; max_size = 8192;
            max_files = 2; }; },
  { name = "held"; group = "239.10.0.4"; interfaces = [ "in0" ]; port = 5004; action = "log";
    log = { target = "journal"; }; },
  { name = "late"; group = "239.10.0.5"; interfaces = [ "late*" ]; action = "join"; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
ctl() { "$IPV4CTL" -S "$SOCK" "$@"; }

# q COMMAND PYTHON-EXPR: evaluates the expression on the JSON answer d of ipv4ctl -j COMMAND
# (P(name): that policy of show; S(name): of stats).
q() {
	local cmd=$1 expr=$2
	ctl -j $cmd | python3 -c '
import json, sys
d = json.load(sys.stdin)
def P(n): return [p for p in d["policies"] if p["name"] == n][0]
def S(n): return d["policies"][n]
print(eval(sys.argv[1]))
' "$expr"
}
is() { [ "$(q "$1" "$2")" = "$3" ]; }
prom() { ctl stats --prometheus >"$LAB_TMP/prom" && grep -qxF "$1" "$LAB_TMP/prom"; }

# traffic to tv, so that the unreachable output fails its sends
send 10.80.1.2 239.10.0.1:5001 -n 5 -l 100
check "tv: 5 received" stat_wait tv packets_received 5

# --- show -j: a state and a reason per policy, output and log
check "tv: failed" is show 'P("tv")["state"]' failed
check "tv: output 1 down: no interface gone0" \
	is show 'P("tv")["outputs"][0]["state"], P("tv")["outputs"][0]["reason"]' "('down', 'no interface gone0')"
check "tv: output 1 carries its config (dscp 46, ttl 8, interface)" \
	is show 'P("tv")["outputs"][0]["dscp"], P("tv")["outputs"][0]["ttl"], P("tv")["outputs"][0]["interface"]' "(46, 8, 'gone0')"
check "tv: output 2 failing: the send error (ENETUNREACH)" \
	lab_wait 10 is show '(lambda o: (o["state"], "ENETUNREACH" in o["reason"], o["dscp"], o["ttl"]))(P("tv")["outputs"][1])' "('failing', True, None, None)"
check "tv: the reason names the first output" \
	is show 'P("tv")["reason"]' "output 239.2.2.2:6000: no interface gone0"
check "cap: the log failed: cannot open the file" \
	is show 'P("cap")["log"]["state"], P("cap")["log"]["reason"]' "('failed', 'cannot open $LAB_TMP/later/cap.pcap: No such file or directory')"
check "cap: its settings (file, max_size, max_files)" \
	is show '(lambda l: (l["target"], l["file"], l["max_size"], l["max_files"]))(P("cap")["log"])' "('pcap', '$LAB_TMP/later/cap.pcap', 8192, 2)"
check "cap: failed, with the log's reason" is show 'P("cap")["state"], P("cap")["reason"][:17]' "('failed', 'log: cannot open ')"
check "held: failed, its port cannot be received on (the membership is held)" \
	is show 'P("held")["state"], P("held")["reason"], P("held")["memberships"]' "('failed', 'cannot receive on port 5004: Address already in use', {'joined': 1, 'waiting': 0, 'failed': 0})"
check "late: listed as waiting, with what it waits for" \
	is show 'P("late")["state"], P("late")["reason"]' "('waiting', 'no interface matches late*')"
check "every policy listed, in config order" is show '[p["name"] for p in d["policies"]]' "['tv', 'cap', 'held', 'late']"

# --- the same shape in show -j and stats -j
check "outputs: the same keys and states in show and stats" \
	bash -c "[ \"\$(ctl() { '$IPV4CTL' -S '$SOCK' \"\$@\"; }; $(declare -f q); q show '[(sorted(o), o[\"state\"]) for o in P(\"tv\")[\"outputs\"]]')\" = \
	           \"\$(ctl() { '$IPV4CTL' -S '$SOCK' \"\$@\"; }; $(declare -f q); q stats '[(sorted(o), o[\"state\"]) for o in S(\"tv\")[\"outputs\"]]')\" ]"
check "log: the same in show and stats" \
	bash -c "[ \"\$(ctl() { '$IPV4CTL' -S '$SOCK' \"\$@\"; }; $(declare -f q); q show 'P(\"cap\")[\"log\"]')\" = \
	           \"\$(ctl() { '$IPV4CTL' -S '$SOCK' \"\$@\"; }; $(declare -f q); q stats 'S(\"cap\")[\"log\"]')\" ]"
check "state and memberships: the same in show and stats" \
	bash -c "[ \"\$(ctl() { '$IPV4CTL' -S '$SOCK' \"\$@\"; }; $(declare -f q); q show '[(p[\"state\"], p[\"reason\"], p[\"memberships\"]) for p in d[\"policies\"]]')\" = \
	           \"\$(ctl() { '$IPV4CTL' -S '$SOCK' \"\$@\"; }; $(declare -f q); q stats '[(p[\"state\"], p[\"reason\"], p[\"memberships\"]) for p in d[\"policies\"].values()]')\" ]"

# --- the table, show POLICY (more traffic first: an output is "failing" while its sends failed
# within the last 10 s)
send 10.80.1.2 239.10.0.1:5001 -n 5 -l 100
check "tv: 10 received" stat_wait tv packets_received 10
ctl show >"$LAB_TMP/show"
check "table: tv failed, output down with its reason" \
	bash -c "grep -qE '^tv +239.2.2.2:6000 +gone0 +46 +8 +down +no interface gone0' '$LAB_TMP/show'"
check "table: the unreachable output failing" grep -qE '^tv +10.99.9.9:6001 +\(route\) +- +- +failing +send failed' "$LAB_TMP/show"
check "table: cap's log failed" grep -qE "^cap +pcap +$LAB_TMP/later/cap.pcap +8192 +2 +- +failed +cannot open" "$LAB_TMP/show"
check "table: late waiting" grep -qE '^late +waiting +none +0 +0 +0 +no interface matches late\*' "$LAB_TMP/show"
check "show -j: the analysis of each policy" is show '[(p["analyze"], p["rtp_clock_rate"]) for p in d["policies"]]' "[('none', 90000), ('none', 90000), ('none', 90000), ('none', 90000)]"
check "show tv: that policy alone" is "show tv" '[p["name"] for p in d["policies"]], sorted({m["policy"] for m in d["members"]})' "(['tv'], ['tv'])"
ctl show nosuch >/dev/null 2>"$LAB_TMP/err"
check "show nosuch: exit 1" [ $? -eq 1 ]
check "show nosuch: says so" grep -q 'no policy named "nosuch"' "$LAB_TMP/err"

# --- status counts them
send 10.80.1.2 239.10.0.1:5001 -n 5 -l 100
check "tv: 15 received" stat_wait tv packets_received 15
ctl status >"$LAB_TMP/status"
check "status: no membership failed (held's is joined; its port is what failed)" \
	grep -qE '^memberships: +[0-9]+ joined, 0 waiting, 0 failed' "$LAB_TMP/status"
check "status: 2 outputs, 2 failed; 2 captures (pcap, journal), 1 failed" \
	grep -qE '^data path: +2 outputs, 2 failed; 2 captures, 1 failed' "$LAB_TMP/status"

# --- Prometheus
send 10.80.1.2 239.10.0.1:5001 -n 5 -l 100
check "tv: 20 received" stat_wait tv packets_received 20
check "prometheus: held's membership joined, though its port failed" prom 'ipv4opt_memberships{policy="held",action="log",state="joined"} 1'
check "prometheus: tv's joined membership" prom 'ipv4opt_memberships{policy="tv",action="relay",state="joined"} 1'
check "prometheus: the missing egress" prom 'ipv4opt_output_up{policy="tv",to="239.2.2.2:6000",interface="gone0"} 0'
check "prometheus: the unreachable destination" prom 'ipv4opt_output_up{policy="tv",to="10.99.9.9:6001"} 0'
check "prometheus: the capture" prom 'ipv4opt_capture_up{policy="cap",target="pcap"} 0'
check "prometheus: HELP lines" bash -c "grep -c '^# HELP ipv4opt_\(memberships\|output_up\|capture_up\) ' '$LAB_TMP/prom' | grep -qx 3"
check "prometheus: the send errors counted" bash -c "grep -qE '^ipv4opt_drops_total\{policy=\"tv\",action=\"relay\",reason=\"send_unreachable\"\} [1-9]' '$LAB_TMP/prom'"

# --- mended, one by one
lab_ip d link add gone0 type veth peer name gone0p
lab_ip d link set gone0 up
check "gone0 created: output 1 up" lab_wait 10 is show 'P("tv")["outputs"][0]["state"]' up
check "prometheus: output 1 up" lab_wait 10 prom 'ipv4opt_output_up{policy="tv",to="239.2.2.2:6000",interface="gone0"} 1'
mkdir "$LAB_TMP/later"
check "cap: still failed before a datagram comes" is show 'P("cap")["log"]["state"]' failed
# A datagram per try: a failed open is tried again at a datagram, at most once a second.
cap_recording() {
	send 10.80.1.2 239.10.0.3:5003 -n 1 -l 100
	is show 'P("cap")["log"]["state"], P("cap")["log"]["reason"]' "('recording', None)"
}
check "the directory made and datagrams: recording" lab_wait 15 cap_recording
check "prometheus: the capture up" lab_wait 10 prom 'ipv4opt_capture_up{policy="cap",target="pcap"} 1'
check "cap: ok" is show 'P("cap")["state"], P("cap")["reason"]' "('ok', None)"
rm -f "$LAB_TMP/holder"
lab_wait 10 bash -c "! ip netns exec $LAB_ID-d ss -Hunl 'sport = :5004' | grep -q ."
lab_ip d addr add 10.80.5.1/24 dev in0
check "held: the port free and an address added (an interface change: the port tried again): ok" lab_wait 10 is show 'P("held")["state"]' ok
check "prometheus: held's membership joined" lab_wait 10 prom 'ipv4opt_memberships{policy="held",action="log",state="joined"} 1'
lab_ip d route add 10.99.9.0/24 via 10.80.2.2
send 10.80.1.2 239.10.0.1:5001 -n 5 -l 100
check "a route to 10.99.9.9: output 2 up again (10 s after its last failed send)" \
	lab_wait 15 is show 'P("tv")["outputs"][1]["state"]' up
check "tv: ok" is show 'P("tv")["state"]' ok
lab_ip d link add late0 type veth peer name late0p
check "late0 created (and its peer late0p): late ok" \
	lab_wait 10 is show 'P("late")["state"], P("late")["memberships"]["joined"]' "('ok', 2)"
check "status: nothing failed" bash -c "'$IPV4CTL' -S '$SOCK' status | grep -qE '^data path: +2 outputs, 0 failed; 2 captures, 0 failed'"
lab_done
