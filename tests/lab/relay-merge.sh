#!/usr/bin/env bash
# redundancy "merge": one RTP stream on two paths into one relay policy with two inputs. Path A
# drops every 7th datagram, path B every 11th (nftables numgen in the sender's namespace), and
# B is 20 ms late (the sender's delay). The receiver gets every sequence number but the
# multiples of 77, once each and in order; the policy counts recovered (missing on one path)
# and lost_all (missing on both) exactly, and each input's losses.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redund-lib.sh"

N=2000 # 1..2000: 25 multiples of 77, 285 of 7, 181 of 11
redund_lab
lab_exec src nft -f - <<'NFT' || { echo "nft failed"; exit 99; }
table ip lab {
	chain out {
		type filter hook output priority 0;
		oifname "sA" udp dport 5000 numgen inc mod 7 == 6 drop
		oifname "sB" udp dport 5000 numgen inc mod 11 == 10 drop
	}
}
NFT
cat >"$LAB_TMP/conf" <<CONF
policies = (
  { name = "ch"; port = 5000; action = "relay";
    relay = { to = "239.31.0.1:6000"; interface = "out0"; };
    redundancy = "merge"; merge_window_ms = 50;
    inputs = ( { group = "239.1.1.1"; interfaces = [ "inA" ]; },
               { group = "239.1.1.1"; interfaces = [ "inB" ]; } ); }
);
CONF
lab_daemon_start d "$LAB_TMP/conf"
both_joined() {
	joined inA 239.1.1.1 && joined inB 239.1.1.1
}
check "both inputs held" lab_wait 10 both_joined
expect=$((N - N / 77))
recv_start -p 6000 -g 239.31.0.1 -I r0 -c "$expect" -T 60 -q 3000
lab_exec src "$RTPDUP" send -n "$N" -r 1000 -a 10.81.1.2,sA -b 10.81.2.2,sB -D 20 \
	239.1.1.1:5000 >"$LAB_TMP/send.out"
wait "$RECV_PID"

check "the receiver got every number but the multiples of 77, once each, in order" \
	python3 - "$LAB_TMP/recv.out" "$N" <<'PY'
import sys
got = [int(l.split()[0]) for l in open(sys.argv[1])]
want = [s for s in range(1, int(sys.argv[2]) + 1) if s % 77]
if got != want:
    extra = sorted(set(got) - set(want)); missing = sorted(set(want) - set(got))
    print("received %d, expected %d; missing %s; unexpected %s; in order: %s" %
          (len(got), len(want), missing[:20], extra[:20], got == sorted(got)))
    sys.exit(1)
PY
check "lost_all: the 25 multiples of 77" lab_wait 10 stat_is ch lost_all 25
check "recovered: 260 multiples of 7 and 156 of 11 not of 77 (416)" lab_wait 10 stat_is ch recovered 416
check "input 1 lost the 285 multiples of 7" lab_wait 10 stat_is ch inputs.1.lost_packets 285
check "input 2 lost the 181 multiples of 11" lab_wait 10 stat_is ch inputs.2.lost_packets 181
check "input 1 received 2000 - 285" stat_is ch inputs.1.packets_received $((N - 285))
check "input 2 received 2000 - 181" stat_is ch inputs.2.packets_received $((N - 181))
check "sent once per number: packets_sent = $expect" stat_is ch packets_sent "$expect"
"$IPV4CTL" -S "$SOCK" show >"$LAB_TMP/show.txt"
check "ipv4ctl show: the policy's inputs and its redundancy" \
	grep -qE "^ch +239.1.1.1,239.1.1.1 .*relay, merge .*inA\|inB" "$LAB_TMP/show.txt"
"$IPV4CTL" -S "$SOCK" stats >"$LAB_TMP/stats.txt"
check "ipv4ctl stats: recovered and lost_all, each input's losses" bash -c "
	grep -q '^ch: merge, switches 0, recovered 416, lost_all 25' '$LAB_TMP/stats.txt' &&
	grep -qE '^  input 1 239.1.1.1:5000( active)? +in 1715  lost 285' '$LAB_TMP/stats.txt' &&
	grep -qE '^  input 2 239.1.1.1:5000( active)? +in 1819  lost 181' '$LAB_TMP/stats.txt'"
"$IPV4CTL" -S "$SOCK" stats --prometheus >"$LAB_TMP/prom.txt"
check "--prometheus: recovered, lost_all and the inputs' series" bash -c "
	grep -q '^ipv4opt_recovered_total{policy=\"ch\",action=\"relay\"} 416$' '$LAB_TMP/prom.txt' &&
	grep -q '^ipv4opt_lost_all_total{policy=\"ch\",action=\"relay\"} 25$' '$LAB_TMP/prom.txt' &&
	grep -q '^ipv4opt_input_lost_packets_total{policy=\"ch\",input=\"2\",group=\"239.1.1.1\"} 181$' '$LAB_TMP/prom.txt'"
lab_done
