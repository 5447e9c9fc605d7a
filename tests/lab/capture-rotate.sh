#!/usr/bin/env bash
# pcap rotation keeps log.max_files generations (FILE.1 ... FILE.N, the oldest dropped), every
# datagram in one of them, each record timestamped by the kernel when its datagram arrived
# (SO_TIMESTAMPNS): distinct times, in order, also inside one batch read by recvmmsg.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

relay_lab
CAP=$LAB_TMP/cap.pcap
BURST=$LAB_TMP/burst.pcap
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "cap"; group = "239.10.0.7"; interfaces = [ "in0" ]; port = 5007; action = "log";
    log = { target = "pcap"; file = "$CAP"; max_size = 4096; max_files = 3; }; },
  { name = "burst"; group = "239.10.0.9"; interfaces = [ "in0" ]; port = 5009; action = "log";
    log = { target = "pcap"; file = "$BURST"; }; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 5 joined 239.10.0.7

# pcap_dump FILE...: one line per record of the raw-IPv4 pcap files, in the order given:
# "SEQ TS_USEC" (SEQ: mcsend's sequence number, the first 8 bytes of the UDP payload).
pcap_dump() {
	python3 - "$@" <<'PY'
import struct, sys
for f in sys.argv[1:]:
    d = open(f, 'rb').read()
    assert struct.unpack_from('<I', d, 0)[0] == 0xa1b2c3d4, f
    off = 24
    while off + 16 <= len(d):
        sec, usec, incl = struct.unpack_from('<III', d, off)
        pkt = d[off + 16:off + 16 + incl]
        ihl = (pkt[0] & 15) * 4
        print(struct.unpack_from('>Q', pkt, ihl + 8)[0], sec * 1000000 + usec)
        off += 16 + incl
PY
}
# seqs_are FIRST LAST FILE...: the records of the files, in that order, are FIRST..LAST, each
# once.
seqs_are() {
	local first=$1 last=$2; shift 2
	[ "$(pcap_dump "$@" | cut -d' ' -f1 | tr '\n' ' ')" = "$(seq -s' ' "$first" "$last") " ]
}
# stamps_increase FILE...: every record's time is above the one before it.
stamps_increase() {
	pcap_dump "$@" | awk 'NR > 1 && $2 <= prev { bad = 1 } { prev = $2 } END { exit bad }'
}

# 100 records of 144 bytes (16 + 28 + 100) against 4096 bytes: (4096 - 24) / 144 = 28 a file,
# so 3 rotations: cap.pcap.3 (0-27), .2 (28-55), .1 (56-83), cap.pcap (84-99). Paced at
# 1000/s: the kernel's times are distinct at the pcap's microseconds.
send 10.80.1.2 239.10.0.7:5007 -n 100 -l 100 -r 1000 -b 1
check "100 recorded" stat_wait cap packets_sent 100
check "3 rotations" stat_is cap rotations 3
check "every datagram in one of the 4 files, once, in order" \
	lab_wait 10 seqs_are 0 99 "$CAP.3" "$CAP.2" "$CAP.1" "$CAP"
check "the generations are 28 records each" \
	[ "$(pcap_dump "$CAP.3" | wc -l) $(pcap_dump "$CAP.2" | wc -l) $(pcap_dump "$CAP.1" | wc -l)" = "28 28 28" ]
check "timestamps distinct and in order across the generations" \
	stamps_increase "$CAP.3" "$CAP.2" "$CAP.1" "$CAP"
check "tcpdump reads each generation" bash -c \
	"for f in '$CAP.3' '$CAP.2' '$CAP.1' '$CAP'; do tcpdump -nn -r \"\$f\" >/dev/null 2>&1 || exit 1; done"

# A 4th rotation: the oldest (0-27) is dropped, no 4th generation.
send 10.80.1.2 239.10.0.7:5007 -n 28 -l 100 -r 1000 -b 1
check "128 recorded" stat_wait cap packets_sent 128
check "4 rotations" stat_is cap rotations 4
# (mcsend numbers each run from 0: the new ones are 0-27 again.)
gens_hold_28_to_127() {
	[ "$(pcap_dump "$CAP.3" "$CAP.2" "$CAP.1" "$CAP" | cut -d' ' -f1 | tr '\n' ' ')" = \
	  "$(seq -s' ' 28 99) $(seq -s' ' 0 27) " ]
}
check "the 3 generations and the file hold the last 100 (28-99, then 0-27)" \
	lab_wait 10 gens_hold_28_to_127
check "... in time order" stamps_increase "$CAP.3" "$CAP.2" "$CAP.1" "$CAP"
check "no 4th generation" [ ! -e "$CAP.4" ]

# Kernel times, not read times: with the daemon stopped (SIGSTOP), 32 datagrams paced at
# 1000/s wait in the socket's queue; once it runs again it reads them in one recvmmsg. Each
# record keeps its datagram's arrival time: distinct, in order, and all before the daemon was
# let go (a time taken at the read would be after it, and the same for the whole batch).
lab_wait 5 joined 239.10.0.9
t0=$(date +%s%6N)
kill -STOP "$DAEMON_PID"
send 10.80.1.2 239.10.0.9:5009 -n 32 -l 100 -r 1000 -b 1
t1=$(date +%s%6N)
kill -CONT "$DAEMON_PID"
check "burst: 32 recorded" stat_wait burst packets_sent 32
check "burst: 32 records in the file" lab_wait 10 bash -c "[ \$(tcpdump -nn -r '$BURST' 2>/dev/null | wc -l) -eq 32 ]"
check "burst: times distinct and in order" stamps_increase "$BURST"
check "burst: every time between the first send and the daemon's wake-up ($t0 .. $t1)" \
	bash -c "$(declare -f pcap_dump); pcap_dump '$BURST' | awk -v a=$t0 -v b=$t1 '\$2 < a || \$2 > b { bad = 1 } END { exit bad }'"
lab_done
