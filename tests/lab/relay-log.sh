#!/usr/bin/env bash
# Log policies: a pcap file that tcpdump reads, holding each datagram with its addresses,
# ports, TTL, TOS and length; rotation at max_size; journal records at most rate_limit per
# second, with a summary of what was suppressed.
#
# Records are buffered and flushed by a timer: every count is polled until it is reached.
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

# pcap_records FILE: how many records tcpdump reads from FILE.
pcap_records() {
	tcpdump -nn -r "$1" 2>/dev/null | wc -l
}
pcap_has() {
	[ "$(pcap_records "$1")" -ge "$2" ]
}
# pcap_seqs FILE: "FIRST LAST" sequence numbers (mcsend's, the first 8 bytes of the UDP
# payload) of the records in FILE, a raw-IPv4 pcap; "none" without records.
pcap_seqs() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
off, seqs = 24, []
while off + 16 <= len(d):
    incl = struct.unpack_from('<I', d, off + 8)[0]
    pkt = d[off + 16:off + 16 + incl]
    ihl = (pkt[0] & 15) * 4
    seqs.append(struct.unpack_from('>Q', pkt, ihl + 8)[0])
    off += 16 + incl
print(f'{seqs[0]} {seqs[-1]}' if seqs else 'none')
PY
}
rot_last_is_99() {
	[ "$(pcap_seqs "$ROT" | cut -d' ' -f2)" = 99 ]
}

send 10.80.1.2 239.10.0.6:5006 -n 50 -l 100 -r 2000 -b 32 -t 7 -o 0x20
check "stats: 50 recorded" stat_wait probe packets_sent 50
check "stats: 50 received" stat_is probe packets_received 50
# Records reach the file within a second (buffered writes, flushed by a timer).
check "pcap: the 50 records reach the file" lab_wait 10 pcap_has "$PCAP" 50
tcpdump -nn -v -r "$PCAP" >"$LAB_TMP/probe.txt" 2>"$LAB_TMP/probe.err"
check "pcap: tcpdump reads the file" [ $? -eq 0 ]
check "pcap: raw IPv4 link type" grep -q "LINKTYPE_RAW\|RAW" "$LAB_TMP/probe.err"
check "pcap: 50 records" [ "$(pcap_records "$PCAP")" -eq 50 ]
check "pcap: 50 datagrams 10.80.1.2 > 239.10.0.6.5006, UDP length 100" \
	[ "$(tcpdump -nn -r "$PCAP" 2>/dev/null |
	     grep -c '10\.80\.1\.2\.[0-9]* > 239\.10\.0\.6\.5006: UDP, length 100')" -eq 50 ]
check "pcap: TTL 7 and TOS 0x20 of the received packets" \
	[ "$(grep -c 'tos 0x20, ttl 7,.*proto UDP (17), length 128' "$LAB_TMP/probe.txt")" -eq 50 ]
check "pcap: IPv4 header checksums are right" bash -c "! grep -q 'bad cksum' '$LAB_TMP/probe.txt'"

# 100 records of 144 bytes against a 4096-byte limit: rotated, both files readable.
# (4096 - 24) / 144: 28 records a file, so 3 rotations and 16 records in the current file.
send 10.80.1.2 239.10.0.7:5007 -n 100 -l 100 -r 2000 -b 32
check "rotation: 100 recorded" stat_wait rot packets_sent 100
check "rotation: counted (at least 3)" stat_ge rot rotations 3
check "rotation: the current file ends with the last datagram (99)" lab_wait 10 rot_last_is_99
n1=$(pcap_records "$ROT.1")
check "rotation: rot.pcap.1 is readable ($n1 records)" [ "$n1" -gt 0 ]
read -r f0 _ <<<"$(pcap_seqs "$ROT")"
read -r _ l1 <<<"$(pcap_seqs "$ROT.1")"
check "rotation: rot.pcap.1 ends just before the current file starts ($l1, $f0)" \
	[ "$((l1 + 1))" = "$f0" ]
check "rotation: files stay under max_size" \
	[ "$(stat -c %s "$ROT")" -le 4096 -a "$(stat -c %s "$ROT.1")" -le 4096 ]

# Journal target (stderr with -n): 50 datagrams at once, rate_limit 5.
# The window opens at the first record; the 50 go unpaced, in two sendmmsg calls, so they
# all come within that second however loaded the machine (50 datagrams fill no queue).
send 10.80.1.2 239.10.0.8:5008 -n 50 -l 64 -t 3
check "journal: 50 received" stat_wait jrnl packets_received 50
# The summary comes 5 s after the first suppressed record: it also says nothing more is due.
check "journal: summary of the suppressed records" \
	lab_wait 15 grep -q "Policy jrnl: 45 records suppressed" "$DAEMON_LOG"
check "journal: 5 records within the second" \
	[ "$(grep -c 'Policy jrnl: .* 10\.80\.1\.2:[0-9]* > 239\.10\.0\.8:5008 on in0 ttl 3 tos 0x00 len 64' "$DAEMON_LOG")" -eq 5 ]
check "journal: 45 counted as suppressed records" stat_is jrnl suppressed_records 45
check "... and not as dropped datagrams" stat_is jrnl dropped_packets 0

lab_done
