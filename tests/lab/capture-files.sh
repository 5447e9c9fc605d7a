#!/usr/bin/env bash
# pcap files of log policies, as an operator's disk sees them, asserted on the bytes of the
# file: a restart of the daemon and a reload that changes the log block append (the records of
# every run readable by tcpdump, one global header); a symbolic link at the capture path is
# refused and what it points to left alone; a full disk (a small tmpfs) leaves no partial
# record: once space is freed the file still parses, every record whole, none lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/relay-lib.sh"

SMALL=$(mktemp -d /tmp/ipv4opt-cap-full.XXXXXX)
cap_cleanup() {
	lab_cleanup
	umount -l "$SMALL" 2>/dev/null
	rmdir "$SMALL" 2>/dev/null
}
trap cap_cleanup EXIT
mount -t tmpfs -o size=64k,mode=0755 ipv4opt-cap-full "$SMALL" || {
	echo "cannot mount a tmpfs at $SMALL"; exit 99; }

relay_lab
PCAP=$LAB_TMP/run.pcap
LINK=$LAB_TMP/link.pcap
VICTIM=$LAB_TMP/victim
FULL=$SMALL/full.pcap
printf 'an operator'"'"'s file, not a capture\n' >"$VICTIM"
cp "$VICTIM" "$LAB_TMP/victim.orig"
ln -s "$VICTIM" "$LINK"

conf() { # conf MAX_SIZE
	cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "run"; group = "239.10.0.6"; interfaces = [ "in0" ]; port = 5006; action = "log";
    log = { target = "pcap"; file = "$PCAP"; max_size = $1; }; },
  { name = "link"; group = "239.10.0.7"; interfaces = [ "in0" ]; port = 5007; action = "log";
    log = { target = "pcap"; file = "$LINK"; }; },
  { name = "full"; group = "239.10.0.8"; interfaces = [ "in0" ]; port = 5008; action = "log";
    log = { target = "pcap"; file = "$FULL"; }; }
);
CONF
}

# pcap_walk FILE: the number of records, walking every record header to the exact end of the
# file (each one of ours: 16 + 28 + 100 bytes, an IPv4 header with a right checksum); fails
# with the offset where the framing breaks.
pcap_walk() {
	python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
magic, major, minor, zone, sig, snap, link = struct.unpack('=IHHiIII', b[:24])
assert (magic, major, minor, link) == (0xa1b2c3d4, 2, 4, 101), 'bad header'
off, n = 24, 0
while off < len(b):
    if off + 16 > len(b):
        sys.exit('misframed: a partial record header at %d of %d' % (off, len(b)))
    sec, usec, incl, orig = struct.unpack('=IIII', b[off:off + 16])
    ip = b[off + 16:off + 16 + 20]
    s = sum(struct.unpack('!10H', ip)) if len(ip) == 20 else 1
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    if incl != 128 or orig != 128 or off + 16 + incl > len(b) or ip[0] != 0x45 or s != 0xffff:
        sys.exit('misframed at %d of %d (incl_len %d)' % (off, len(b), incl))
    off += 16 + incl
    n += 1
print(n)
PY
}
records_are() { [ "$(pcap_walk "$1" 2>/dev/null)" = "$2" ]; }
tcpdump_reads() { # tcpdump_reads FILE N: tcpdump reads N records of 100 bytes, no warning
	local out
	out=$(tcpdump -nn -r "$1" 2>&1 >/dev/null | grep -v '^reading from file')
	[ -z "$out" ] && [ "$(tcpdump -nn -r "$1" 2>/dev/null | grep -c 'UDP, length 100')" = "$2" ]
}
# headers FILE: how many pcap global headers (magic, version 2.4) the file holds
headers() {
	python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(bytes.fromhex("d4c3b2a102000400")))' "$1"
}
start() {
	[ -f "$LAB_TMP/daemon.log" ] && mv "$LAB_TMP/daemon.log" "$LAB_TMP/daemon.log.$SECONDS"
	lab_daemon_start d "$LAB_TMP/conf"
	lab_wait 5 joined 239.10.0.8
}

conf 0
start

# 1. A restart appends.
send 10.80.1.2 239.10.0.6:5006 -n 5 -l 100 -r 1000
lab_wait 5 records_are "$PCAP" 5
lab_daemon_stop
rc=$?
check "restart: the daemon stopped (status $rc)" [ $rc -eq 0 ]
start
send 10.80.1.2 239.10.0.6:5006 -n 7 -l 100 -r 1000
lab_wait 5 records_are "$PCAP" 12
check "restart: the records of both runs are in the file ($(pcap_walk "$PCAP"))" \
	records_are "$PCAP" 12
check "restart: $((24 + 12 * 144)) bytes, one global header" \
	[ "$(stat -c %s "$PCAP") $(headers "$PCAP")" = "$((24 + 12 * 144)) 1" ]
check "restart: tcpdump -r reads the 12 records" tcpdump_reads "$PCAP" 12

# 2. A reload that changes the log block (a new max_size: the file is opened again) appends.
conf 1048576
"$IPV4CTL" -S "$SOCK" reload >/dev/null
check "reload: accepted" [ $? -eq 0 ]
send 10.80.1.2 239.10.0.6:5006 -n 3 -l 100 -r 1000
lab_wait 5 records_are "$PCAP" 15
check "reload: the earlier records stay, the new ones follow ($(pcap_walk "$PCAP"))" \
	records_are "$PCAP" 15
check "reload: tcpdump -r reads the 15 records" tcpdump_reads "$PCAP" 15

# 3. A symbolic link at the capture path is refused; what it points to is left alone.
send 10.80.1.2 239.10.0.7:5007 -n 5 -l 100 -r 1000
lab_wait 5 grep -q "refusing $LINK: it is a symbolic link" "$DAEMON_LOG"
check "symlink: refused, and said so" grep -q "refusing $LINK: it is a symbolic link" "$DAEMON_LOG"
check "symlink: the file it points to is unchanged" cmp -s "$VICTIM" "$LAB_TMP/victim.orig"
check "symlink: the link is still a link" [ -L "$LINK" ]
check "symlink: the lost records are counted as write errors" \
	[ "$(stat_of link drops.write_error)" -ge 1 ]
# then, the link removed, the path is opened again (at most once a second, when datagrams come)
rm "$LINK"
link_records() {
	send 10.80.1.2 239.10.0.7:5007 -n 1 -l 100
	[ -f "$LINK" ] && [ ! -L "$LINK" ] && [ "$(pcap_walk "$LINK" 2>/dev/null || echo 0)" -ge 1 ]
}
lab_wait 10 link_records
check "symlink removed: a regular file with records" link_records
check "symlink removed: the old target still unchanged" cmp -s "$VICTIM" "$LAB_TMP/victim.orig"

# 4. A full disk. 10 records first (the file then ends inside a page), then the tmpfs is filled
# up, and 20 more records are written: the write stops at the end of the page, in a record.
send 10.80.1.2 239.10.0.8:5008 -n 10 -l 100 -r 1000
lab_wait 5 records_are "$FULL" 10
dd if=/dev/zero of="$SMALL/fill" bs=1k 2>/dev/null
check "full disk: no space left ($(df --output=avail -k "$SMALL" | tail -1) KiB free)" \
	[ "$(df --output=avail -k "$SMALL" | tail -1 | tr -d ' ')" -eq 0 ]
send 10.80.1.2 239.10.0.8:5008 -n 20 -l 100 -r 1000
lab_wait 5 grep -q "failed to write $FULL: No space left on device" "$DAEMON_LOG"
check "full disk: the write failed, and said so" \
	grep -q "failed to write $FULL: No space left on device" "$DAEMON_LOG"
check "full disk: the file still ends at a whole record ($(pcap_walk "$FULL" 2>&1))" \
	records_are "$FULL" 10
# space freed: the records kept are written (within a second), then new ones follow
rm "$SMALL/fill"
lab_wait 5 records_are "$FULL" 30
check "space freed: the 20 kept records are written ($(pcap_walk "$FULL" 2>&1))" \
	records_are "$FULL" 30
send 10.80.1.2 239.10.0.8:5008 -n 10 -l 100 -r 1000
lab_wait 5 records_are "$FULL" 40
check "space freed: every record whole, 40 in all ($(pcap_walk "$FULL" 2>&1))" \
	records_are "$FULL" 40
check "space freed: tcpdump -r reads the 40 records" tcpdump_reads "$FULL" 40
check "space freed: the daemon says so" grep -q "writing $FULL again" "$DAEMON_LOG"
check "space freed: $((24 + 40 * 144)) bytes, one global header" \
	[ "$(stat -c %s "$FULL") $(headers "$FULL")" = "$((24 + 40 * 144)) 1" ]
lab_done
