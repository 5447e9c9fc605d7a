#!/usr/bin/env bash
# Log policies: a pcap file that tcpdump reads, holding each datagram with its addresses,
# ports, TTL, TOS and length; rotation at max_size; journal records at most rate_limit per
# second, with a summary of what was suppressed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
PCAP=$LAB_TMP/probe.pcap
ROT=$LAB_TMP/rot.pcap
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "probe"; group = "239.10.0.6"; interfaces = [ "in0" ]; port = 5006; action = "log";
    log = { target = "pcap"; file = "$PCAP"; }; },
  { name = "rot"; group = "239.10.0.7"; interfaces = [ "in0" ]; port = 5007; action = "log";
    log = { target = "pcap"; file = "$ROT"; max_size = 4096; }; },
  { name = "jrnl"; group = "239.10.0.8"; interfaces = [ "in0" ]; port = 5008; action = "log";
    log = { target = "journal"; rate_limit = 5; }; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 joined 239.10.0.8

send 10.80.1.2 239.10.0.6:5006 -n 50 -l 100 -r 2000 -t 7 -o 0x20
# Records reach the file within a second (buffered writes, flushed by a timer).
lab_wait 5 bash -c "[ \$(tcpdump -nn -r '$PCAP' 2>/dev/null | wc -l) -ge 50 ]"
tcpdump -nn -v -r "$PCAP" >"$LAB_TMP/probe.txt" 2>"$LAB_TMP/probe.err"
check "pcap: tcpdump reads the file" [ $? -eq 0 ]
check "pcap: raw IPv4 link type" grep -q "LINKTYPE_RAW\|RAW" "$LAB_TMP/probe.err"
check "pcap: 50 records" [ "$(tcpdump -nn -r "$PCAP" 2>/dev/null | wc -l)" -eq 50 ]
check "pcap: 50 datagrams 10.80.1.2 > 239.10.0.6.5006, UDP length 100" \
	[ "$(tcpdump -nn -r "$PCAP" 2>/dev/null |
	     grep -c '10\.80\.1\.2\.[0-9]* > 239\.10\.0\.6\.5006: UDP, length 100')" -eq 50 ]
check "pcap: TTL 7 and TOS 0x20 of the received packets" \
	[ "$(grep -c 'tos 0x20, ttl 7,.*proto UDP (17), length 128' "$LAB_TMP/probe.txt")" -eq 50 ]
check "pcap: IPv4 header checksums are right" bash -c "! grep -q 'bad cksum' '$LAB_TMP/probe.txt'"
check "stats: 50 received, 50 recorded" \
	[ "$(stat_of probe packets_received) $(stat_of probe packets_sent)" = "50 50" ]

# 100 records of 144 bytes against a 4096-byte limit: rotated, both files readable.
send 10.80.1.2 239.10.0.7:5007 -n 100 -l 100 -r 2000
lab_wait 5 test -f "$ROT.1"
sleep 1.2
n0=$(tcpdump -nn -r "$ROT" 2>/dev/null | wc -l)
n1=$(tcpdump -nn -r "$ROT.1" 2>/dev/null | wc -l)
check "rotation: $ROT.1 exists and is readable ($n1 records)" [ "$n1" -gt 0 ]
check "rotation: files stay under max_size" \
	[ "$(stat -c %s "$ROT")" -le 4096 -a "$(stat -c %s "$ROT.1")" -le 4096 ]
check "rotation: the current file holds the last records ($n0)" [ "$n0" -gt 0 ]
check "rotation: counted" [ "$(stat_of rot rotations)" -ge 3 ]

# Journal target (stderr with -n): 50 datagrams in well under a second, rate_limit 5.
send 10.80.1.2 239.10.0.8:5008 -n 50 -l 64 -r 1000 -t 3
sleep 0.5
check "journal: 5 records within the second" \
	[ "$(grep -c 'Policy jrnl: .* 10\.80\.1\.2:[0-9]* > 239\.10\.0\.8:5008 on in0 ttl 3 tos 0x00 len 64' "$DAEMON_LOG")" -eq 5 ]
check "journal: 45 counted as rate_limited" [ "$(stat_of jrnl drops.rate_limited)" = 45 ]
lab_wait 8 grep -q "Policy jrnl: 45 records suppressed" "$DAEMON_LOG"
check "journal: summary of the suppressed records" \
	grep -q "Policy jrnl: 45 records suppressed" "$DAEMON_LOG"

lab_done
