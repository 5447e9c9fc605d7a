#!/usr/bin/env bash
# Stream analysis on streams no test of ours wrote: ffmpeg (Debian) sends MPEG-TS over RTP
# (-f rtp_mpegts, 7 TS packets per datagram) and over plain UDP (-f mpegts) to four groups.
# A bridge in the middle namespace carries them; nftables there drops every 50th datagram of
# two of the flows and counts what it dropped and what it passed. The daemon analyses each
# group (actions monitor and relay) and must report:
#   - the RTP flow with drops: rtp_lost equal to the rule's drop count, exactly;
#   - both flows with drops: continuity errors, on the PIDs of the stream (the video PID);
#   - the clean flows: no loss, no continuity error, every datagram analysed;
#   - a stopped sender: on_air false within the stall timeout, and the log says so.
#
#   src (s0 10.81.1.2) ==veth== (m0) mid: br0, nftables (m1) ==veth== (in0 10.81.1.1) d
#
# Facts, polled with a deadline; ffmpeg paces itself (-re) and the counts are compared only
# once it has exited, so a loaded machine makes the run slower, not different.
. "$(dirname "$0")/lib.sh"

command -v ffmpeg >/dev/null || { echo "ffmpeg is missing (tests/bootstrap installs it)"; exit 99; }
command -v nft >/dev/null || { echo "nft is missing (tests/bootstrap installs nftables)"; exit 99; }
SOCK=$LAB_TMP/ctl.sock

lab_ns src
lab_ns mid
lab_ns d
lab_veth src s0 mid m0
lab_veth mid m1 d in0
lab_ip mid link add br0 type bridge mcast_snooping 0
lab_ip mid link set m0 master br0
lab_ip mid link set m1 master br0
for l in m0 m1 br0; do lab_ip mid link set "$l" up; done
lab_ip src addr add 10.81.1.2/24 dev s0
lab_ip src link set s0 up
lab_ip src route add 224.0.0.0/4 dev s0
lab_ip d addr add 10.81.1.1/24 dev in0
lab_ip d link set in0 up
lab_ip d link add out0 type veth peer name out1
lab_ip d link set out1 up
lab_ip d addr add 10.81.2.1/24 dev out0
lab_ip d link set out0 up
lab_exec d sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.in0.rp_filter=0
lab_wait 10 bash -c "ip -n $LAB_ID-d link show in0 | grep -q LOWER_UP && \
	ip -n $LAB_ID-src link show s0 | grep -q LOWER_UP" || { echo "lab links not up"; exit 99; }

# nftables in the bridge: per dropped flow a counter of all its datagrams, then the drop of
# every 50th (numgen counts only what reaches it: that flow's datagrams). Number 49 of each
# 50, not 0: the first datagram of a stream is the one a receiver cannot know it missed. A
# fifth flow loses bursts: datagrams 380-399 of every 400.
lab_exec mid nft -f - <<'NFT' || { echo "nft failed"; exit 99; }
table bridge lab {
	chain flows {
		type filter hook forward priority 0; policy accept;
		ip daddr 239.31.0.1 udp dport 5001 counter comment "rtp-all"
		ip daddr 239.31.0.1 udp dport 5001 numgen inc mod 50 49 counter drop comment "rtp-drop"
		ip daddr 239.31.0.2 udp dport 5002 counter comment "ts-all"
		ip daddr 239.31.0.2 udp dport 5002 numgen inc mod 50 49 counter drop comment "ts-drop"
		ip daddr 239.31.0.3 udp dport 5003 counter comment "rtpc-all"
		ip daddr 239.31.0.4 udp dport 5004 counter comment "tsc-all"
		ip daddr 239.31.0.5 udp dport 5005 counter comment "burst-all"
		ip daddr 239.31.0.5 udp dport 5005 numgen inc mod 400 >= 380 counter drop comment "burst-drop"
	}
}
NFT
# nft_count COMMENT: packets the rule with that comment counted.
nft_count() {
	lab_exec mid nft list chain bridge lab flows |
		sed -n "s/.*counter packets \([0-9]*\) bytes.*comment \"$1\".*/\1/p"
}

cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "rtp-drop"; group = "239.31.0.1"; interfaces = [ "in0" ]; port = 5001;
    action = "monitor"; analyze = "rtp"; },
  { name = "ts-drop"; group = "239.31.0.2"; interfaces = [ "in0" ]; port = 5002;
    action = "monitor"; },
  { name = "rtp-clean"; group = "239.31.0.3"; interfaces = [ "in0" ]; port = 5003;
    action = "relay"; relay = { to = "239.41.0.3:6003"; interface = "out0"; };
    analyze = "auto"; },
  { name = "ts-clean"; group = "239.31.0.4"; interfaces = [ "in0" ]; port = 5004;
    action = "monitor"; analyze = "ts"; stall_timeout = 2; },
  { name = "burst"; group = "239.31.0.5"; interfaces = [ "in0" ]; port = 5005;
    action = "monitor"; analyze = "rtp"; }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
lab_wait 10 igmp_has d in0 239.31.0.5 || { echo "not joined"; cat "$DAEMON_LOG"; exit 99; }

# stream POLICY KEY: a value of the policy's "stream" object (ipv4ctl -j stats); a PID's CC
# errors as by_pid.PID.
stream() {
	"$IPV4CTL" -S "$SOCK" -j stats "$1" | python3 -c '
import json, sys
s = json.load(sys.stdin)["policies"][sys.argv[1]]["stream"]
k = sys.argv[2]
v = s["ts_cc_errors_by_pid"].get(k[7:], 0) if k.startswith("by_pid.") else s[k]
print(json.dumps(v))' "$1" "$2"
}
stream_is() {
	[ "$(stream "$1" "$2" 2>/dev/null)" = "$3" ]
}

# One MPEG-TS file (MPEG-2 video, 6 s at 25 frames/s, about 2.4 Mb/s: some 1,400 datagrams):
# encoded once, sent four times as it is (-c copy), paced at its own rate (-re).
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=640x360:rate=25 -t 6 \
	-c:v mpeg2video -q:v 4 -f mpegts "$LAB_TMP/tv.ts" || { echo "ffmpeg encode failed"; exit 99; }
send_ffmpeg() {
	ip netns exec "$LAB_ID-src" ffmpeg -nostdin -loglevel error -re -i "$LAB_TMP/tv.ts" -c copy \
		"$@" >"$LAB_TMP/ffmpeg.$RANDOM.log" 2>&1 &
	SENDERS+=("$!")
	LAB_PIDS+=("$!")
}
SENDERS=()
send_ffmpeg -f rtp_mpegts "rtp://239.31.0.1:5001?ttl=8&pkt_size=1328"
send_ffmpeg -f mpegts "udp://239.31.0.2:5002?ttl=8&pkt_size=1316"
send_ffmpeg -f rtp_mpegts "rtp://239.31.0.3:5003?ttl=8&pkt_size=1328"
send_ffmpeg -f mpegts "udp://239.31.0.4:5004?ttl=8&pkt_size=1316"
send_ffmpeg -f rtp_mpegts "rtp://239.31.0.5:5005?ttl=8&pkt_size=1328"
started=$SECONDS

check "on the air while ffmpeg sends (RTP)" lab_wait 10 stream_is rtp-drop on_air true
check "on the air while ffmpeg sends (TS)" lab_wait 10 stream_is ts-clean on_air true
check "journal: the RTP stream came on the air" \
	lab_wait 5 grep -q "Policy rtp-drop: stream on the air (rtp with MPEG-TS" "$DAEMON_LOG"
"$IPV4CTL" -S "$SOCK" stats >"$LAB_TMP/table"
check "ipv4ctl stats: the STREAM column" grep -qE "^rtp-drop .* on-air lost=[0-9]+ cc=[0-9]+ jitter=" "$LAB_TMP/table"

for p in "${SENDERS[@]}"; do
	lab_reap "$p" 40 >/dev/null || { echo "ffmpeg failed: $(cat "$LAB_TMP"/ffmpeg.*.log)"; exit 99; }
done
elapsed=$((SECONDS - started + 1))

# Every datagram nftables passed is analysed (the positive side of the zero checks below).
rtp_all=$(nft_count rtp-all); rtp_drop=$(nft_count rtp-drop)
ts_all=$(nft_count ts-all); ts_drop=$(nft_count ts-drop)
rtpc_all=$(nft_count rtpc-all); tsc_all=$(nft_count tsc-all)
echo "# nft: rtp $rtp_all sent, $rtp_drop dropped; ts $ts_all sent, $ts_drop dropped;" \
	"clean: $rtpc_all, $tsc_all"
check "nft dropped every 50th datagram (rtp: $rtp_drop of $rtp_all)" \
	[ "$rtp_drop" -eq $((rtp_all / 50)) -a "$rtp_drop" -gt 0 ]
check "nft dropped every 50th datagram (ts: $ts_drop of $ts_all)" \
	[ "$ts_drop" -eq $((ts_all / 50)) -a "$ts_drop" -gt 0 ]
check "rtp-drop: analysed every datagram that passed ($((rtp_all - rtp_drop)))" \
	lab_wait 10 stream_is rtp-drop datagrams $((rtp_all - rtp_drop))
check "ts-drop: analysed every datagram that passed ($((ts_all - ts_drop)))" \
	lab_wait 10 stream_is ts-drop datagrams $((ts_all - ts_drop))
check "rtp-clean: analysed every datagram ($rtpc_all)" lab_wait 10 stream_is rtp-clean datagrams "$rtpc_all"
check "ts-clean: analysed every datagram ($tsc_all)" lab_wait 10 stream_is ts-clean datagrams "$tsc_all"

# The last datagram's loss cannot be seen (nothing follows it): when the count ended on a
# multiple of 50, the rule's last drop was the stream's last datagram.
expect=$rtp_drop
[ $((rtp_all % 50)) -eq 0 ] && expect=$((rtp_drop - 1))
check "rtp-drop: rtp_lost = the rule's drops ($expect)" stream_is rtp-drop rtp_lost "$expect"
check "rtp-drop: no duplicates, none reordered" \
	[ "$(stream rtp-drop rtp_duplicates) $(stream rtp-drop rtp_reordered)" = "0 0" ]
check "rtp-drop: format rtp with MPEG-TS inside" \
	[ "$(stream rtp-drop format) $(stream rtp-drop rtp_ts)" = '"rtp" true' ]
cc=$(stream rtp-drop ts_cc_errors)
check "rtp-drop: CC errors, at least one per datagram lost, at most 7 ($cc for $expect)" \
	[ "$cc" -ge "$expect" -a "$cc" -le $((7 * rtp_drop)) ]
check "rtp-drop: CC errors on the video PID (256)" [ "$(stream rtp-drop by_pid.256)" -gt 0 ]
ts_expect=$ts_drop
[ $((ts_all % 50)) -eq 0 ] && ts_expect=$((ts_drop - 1))
cc=$(stream ts-drop ts_cc_errors)
check "ts-drop: CC errors, at least one per datagram lost, at most 7 ($cc for $ts_expect)" \
	[ "$cc" -ge "$ts_expect" -a "$cc" -le $((7 * ts_drop)) ]
check "ts-drop: CC errors on the video PID (256)" [ "$(stream ts-drop by_pid.256)" -gt 0 ]
check "ts-drop: monitor's default, auto, detected ts" \
	[ "$(stream ts-drop format) $(stream ts-drop detected)" = '"auto" "ts"' ]
check "ts-drop: no RTP counted" stream_is ts-drop rtp_packets 0
check "rtp-clean: auto detected rtp, nothing lost, no CC error" \
	[ "$(stream rtp-clean detected) $(stream rtp-clean rtp_lost) $(stream rtp-clean ts_cc_errors)" = '"rtp" 0 0' ]
check "rtp-clean: RTP packets counted ($rtpc_all)" stream_is rtp-clean rtp_packets "$rtpc_all"
check "ts-clean: no CC error, no sync error" \
	[ "$(stream ts-clean ts_cc_errors) $(stream ts-clean ts_sync_errors)" = "0 0" ]
# whole TS packets in every datagram: 1 to 7 (ffmpeg sends a short one when it flushes)
tsp=$(stream ts-clean ts_packets)
check "ts-clean: TS packets counted ($tsp in $tsc_all datagrams), no length error" \
	[ "$tsp" -ge "$tsc_all" -a "$tsp" -le $((7 * tsc_all)) -a "$(stream ts-clean ts_length_errors)" = 0 ]

# Bursts of 20 lost: the journal says so, rate-limited (one record per 10 s at most, however
# many bursts), with POLICY= in the journal (here: the foreground log names the policy).
burst_all=$(nft_count burst-all); burst_drop=$(nft_count burst-drop)
burst_expect=$burst_drop
[ $((burst_all % 400)) -ge 380 ] && burst_expect=$((burst_drop - burst_all % 400 + 379))
check "burst: rtp_lost = the rule's drops ($burst_expect of $burst_all)" \
	lab_wait 10 stream_is burst rtp_lost "$burst_expect"
check "journal: a burst of loss reported" \
	lab_wait 5 grep -q "Policy burst: stream loss: [0-9]* RTP packets lost" "$DAEMON_LOG"
records=$(grep -c "Policy burst: stream loss:" "$DAEMON_LOG")
check "journal: loss records rate-limited ($records for $((burst_drop / 20)) bursts in ${elapsed} s)" \
	[ "$records" -ge 1 -a "$records" -le $((1 + elapsed / 10)) ]
check "journal: no loss record for the clean streams" \
	bash -c "! grep -qE 'Policy (rtp|ts)-clean: stream loss' '$DAEMON_LOG'"

# The senders stopped: off the air within the stall timeout (1 s; ts-clean 2 s), in the log.
check "rtp-drop: off the air" lab_wait 5 stream_is rtp-drop on_air false
check "ts-clean: off the air (stall_timeout 2)" lab_wait 6 stream_is ts-clean on_air false
check "journal: rtp-drop went off the air" \
	lab_wait 5 grep -q "Policy rtp-drop: stream off the air: no datagram for" "$DAEMON_LOG"
check "journal: ts-clean went off the air" \
	lab_wait 5 grep -q "Policy ts-clean: stream off the air: no datagram for" "$DAEMON_LOG"
check "max_gap_ms shows the silence (> 1000)" \
	python3 -c "import sys; sys.exit(not float(sys.argv[1]) > 1000)" "$(stream rtp-drop max_gap_ms)"

# Prometheus: the stream's series, every one named in ipv4ctl(8).
"$IPV4CTL" -S "$SOCK" stats --prometheus >"$LAB_TMP/prom"
check "prometheus: rtp_lost of rtp-drop" \
	grep -qx "ipv4opt_stream_rtp_lost_packets{policy=\"rtp-drop\",format=\"rtp\"} $expect" "$LAB_TMP/prom"
check "prometheus: on_air 0 after the stop" \
	grep -qx 'ipv4opt_stream_on_air{policy="rtp-drop",format="rtp"} 0' "$LAB_TMP/prom"
check "prometheus: CC errors of PID 256" \
	grep -q '^ipv4opt_stream_ts_pid_cc_errors_total{policy="ts-drop",format="auto",pid="256"} [1-9]' "$LAB_TMP/prom"
MANROFFOPT=-rHY=0 MANWIDTH=200 man -l "$top_srcdir/doc/ipv4ctl.8" 2>/dev/null >"$LAB_TMP/man"
for name in $(awk '/^# TYPE ipv4opt_stream/ { print $3 }' "$LAB_TMP/prom"); do
	check "ipv4ctl(8) names $name" grep -q "$name" "$LAB_TMP/man"
done

check "daemon exits 0" lab_daemon_stop
lab_done
