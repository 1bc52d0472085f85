#!/bin/bash
# The usage accounting service against the real kernel, in namespaces:
# nft in the router marks connections as netify's verdict chain would
# (released on the first packet; blocked connections dropped, TCP reset),
# and tests/usage/usage_harness plays the daemon's part (flow notes, limits).
#   - usage per device and application equals the kernel's counters of the
#     connections (conntrack -L, read before they end), IPv4 and IPv6,
#     UDP and TCP; an unregistered marked connection under no device
#   - a volume limit cuts its stream once reached, another application
#     of the same device goes on, the budget reads spent
#   - a 1-minute time limit: reached once the first active minute ended
#     (not before), the stream cut, the other app unaffected
#   - the state file written at the end holds what was counted
# How long a cut took is printed as a TAP comment, never asserted (the
# figures are in doc/usage.md); the waits are hang guards.
# TAP; skips (with the reason) without root or the tools. Takes about two
# minutes (the time limit needs a real minute).
. "$(dirname "$0")/nslib.sh"
UHARNESS=${UHARNESS:-$builddir/tests/usage/usage_harness}
ns_init
[ -x "$UHARNESS" ] || skip_all "no harness at $UHARNESS"
ns_up || skip_all "cannot build the namespace topology"
echo "1..14"

inr nft -f - <<EOF || { echo "not ok 1 - nft rules"; exit 1; }
table inet usagetest {
	chain fw {
		type filter hook forward priority 0;
		ct mark & 0x20000 == 0x20000 meta l4proto tcp reject with tcp reset
		ct mark & 0x20000 == 0x20000 drop
		ct mark & 0x3f0000 == 0 ct mark set ct mark | 0x10000
	}
}
EOF
bg_in "$S" $TRAFFIC tcp-server 5001
bg_in "$S" $TRAFFIC udp-server 5002
for i in $(seq 50); do
	ins ss -ltn | grep -q ':5001 ' && ins ss -lun | grep -q ':5002 ' && break
	sleep 0.1
done

out=$UL/harness.out
mkfifo "$UL/cmd"
ip netns exec "$R" "$UHARNESS" --state "$UL/state" --refresh 1 <"$UL/cmd" >"$out" 2>&1 &
H=$!
PIDS="$PIDS $H"
exec 3>"$UL/cmd"
cmd() { echo "$*" >&3; }
for i in $(seq 50); do grep -qs '^ready' "$out" && break; sleep 0.1; done
grep -qs '^ready' "$out" || { echo "not ok 1 - harness started"; cat "$out"; exit 1; }

# ask KIND ARGS: sends the command, waits for its answer line, prints it
ask() {
	local tag=$1 before
	shift
	before=$(grep -c "^$tag" "$out")
	cmd "$@"
	for i in $(seq 50); do
		[ "$(grep -c "^$tag" "$out")" -gt "$before" ] && break
		sleep 0.1
	done
	grep "^$tag" "$out" | tail -1
}
MAC1=02:00:00:00:00:01 MAC2=02:00:00:00:00:02 NOMAC=00:00:00:00:00:00

# 1..5: what was counted equals what the kernel counted
cmd "flow udp 10.78.1.2 41001 10.78.2.2 5002 $MAC1 100 7"
cmd "flow tcp 10.78.1.2 41002 10.78.2.2 5001 $MAC1 100 7"
cmd "flow tcp fd78:1::2 41003 fd78:2::2 5001 $MAC2 200 8"
sleep 0.3
inc $TRAFFIC udp-client 10.78.2.2 5002 41001 300 1000 500 >/dev/null
inc $TRAFFIC tcp-client 10.78.2.2 5001 41002 0 2000000 >/dev/null
inc $TRAFFIC tcp-client fd78:2::2 5001 41003 1000000 0 >/dev/null
inc $TRAFFIC udp-client 10.78.2.2 5002 41004 10 200 0 >/dev/null	# nobody registered it
sleep 0.5
read -r u_o u_r _ <<<"$(ct_bytes -p udp --sport 41001)"
read -r t_o t_r _ <<<"$(ct_bytes -p tcp --sport 41002)"
read -r s_o s_r _ <<<"$(ct_bytes -p tcp --sport 41003)"
read -r n_o n_r _ <<<"$(ct_bytes -p udp --sport 41004)"
# end them: their destroy events carry the final counters
for p in "udp --sport 41001" "tcp --sport 41002" "tcp --sport 41003" "udp --sport 41004"; do
	inr conntrack -D -p $p >/dev/null 2>&1
done
sleep 0.5
r1=$(ask REPORT "report $MAC1 app 100")
r2=$(ask REPORT "report $MAC2 app 200")
r3=$(ask REPORT "report $NOMAC app -1")
echo "kernel: udp $u_o/$u_r tcp $t_o/$t_r v6 $s_o/$s_r unreg $n_o/$n_r; $r1 / $r2 / $r3" >>"$UL/log"
[ "$(field in "$r1")" = $((u_r + t_r)) ] && [ "$(field out "$r1")" = $((u_o + t_o)) ]
ok $? "device 1, app 100 (UDP + TCP over IPv4): bytes in/out equal the kernel's ($((u_r + t_r)) / $((u_o + t_o)))"
[ "$(field in "$r2")" = "$s_r" ] && [ "$(field out "$r2")" = "$s_o" ]
ok $? "device 2, app 200 (TCP over IPv6): bytes equal the kernel's ($s_r / $s_o)"
[ "$(field in "$r3")" = "$n_r" ] && [ "$(field out "$r3")" = "$n_o" ] && [ "$n_o" = 2280 ]
ok $? "a marked connection nobody registered: counted once, under no device ($n_o = 10 x 228 bytes)"
[ "$(field conns "$r1")" = 2 ] && [ "$(field conns "$r2")" = 1 ]
ok $? "connections counted at their decision (2 and 1)"
m=$(field minutes "$r1")
[ "$m" -ge 1 ] && [ "$m" -le 2 ]
ok $? "active minutes of two parallel connections: $m (once per minute, not per connection)"

# 6..9: a volume limit of 3 MB on a 1 MB/s stream; another app alongside
cmd "limit video 0 3000000 80 1"
cmd "limit tiktok 1 0 0 1"
ask CONFIGURED configure >/dev/null
cmd "flow tcp 10.78.1.2 41005 10.78.2.2 5001 $MAC1 300 9 video"
cmd "flow tcp 10.78.1.2 41006 10.78.2.2 5001 $MAC1 400 9"
sleep 0.3
inc $TRAFFIC tcp-client 10.78.2.2 5001 41006 0 -1 200000 8 >"$UL/other.out" &
O=$!
inc $TRAFFIC tcp-client 10.78.2.2 5001 41005 0 -1 1000000 20 >"$UL/video.out"
wait $O
ev=$(grep '^EVENT reached name=video' "$out" | head -1)
echo "video: $(cat "$UL/video.out") / other: $(cat "$UL/other.out") / $ev" >>"$UL/log"
[ -n "$ev" ] && [ "$(field used_bytes "$ev")" -ge 3000000 ]
ok $? "volume limit reached at $(field used_bytes "$ev") bytes"
got=$(awk '{print $4}' "$UL/video.out")
secs=$(awk '{print $6}' "$UL/video.out")
[ -n "$got" ] && [ "$got" -lt $((20 * 1000000)) ] && [ "$(awk '{print $8}' "$UL/video.out")" = 1 ]
ok $? "the stream was cut: $got of 20000000 bytes received in ${secs}s, then reset"
# 1 MB/s: what arrived past the limit is how long the cut took
[ -n "$got" ] && echo "# the stream received $((got - 3000000)) bytes past the 3 MB limit (about $(( (got - 3000000) / 1000 )) ms at 1 MB/s)"
[ "$(awk '{print $4}' "$UL/other.out")" = 1600000 ] && [ "$(awk '{print $8}' "$UL/other.out")" = 0 ]
ok $? "the same device's other application was not touched ($(awk '{print $4}' "$UL/other.out") of 1600000 bytes)"
[ "$(ask BLOCKED "blocked video $MAC1")" = "BLOCKED 1" ] && [ "$(ask BLOCKED "blocked video $MAC2")" = "BLOCKED 0" ]
ok $? "the budget reads spent for that device only (new connections are refused by the daemon)"

# 10..12: a 1-minute time limit. Start just after a minute boundary, so the
# first active minute is nearly whole; the limit is reached when it ends.
while [ "$(date +%S)" != 02 ]; do sleep 0.2; done
cmd "flow tcp 10.78.1.2 41007 10.78.2.2 5001 $MAC1 500 10 tiktok"
cmd "flow tcp 10.78.1.2 41008 10.78.2.2 5001 $MAC1 600 10"
sleep 0.3
start=$(date +%s)
inc $TRAFFIC tcp-client 10.78.2.2 5001 41008 0 -1 50000 75 >"$UL/other2.out" &
O=$!
inc $TRAFFIC tcp-client 10.78.2.2 5001 41007 0 -1 50000 150 >"$UL/tiktok.out"
# when its last byte arrived (the client itself waits 5 s more to give up)
end=$(awk '{ print $12 }' "$UL/tiktok.out")
ev=$(grep '^EVENT reached name=tiktok' "$out" | head -1)
boundary=$(( (start / 60 + 1) * 60 * 1000 ))
evms=$(field ms "$ev")
echo "tiktok: $(cat "$UL/tiktok.out") start $start boundary $boundary event $evms end $end / $ev" >>"$UL/log"
[ -n "$ev" ] && [ "$(field used_min "$ev")" = 1 ] && [ "$evms" -ge "$boundary" ]
ok $? "1-minute limit reached once the first active minute ended, with 1 minute used"
[ -n "$evms" ] && echo "# reached $((evms - boundary)) ms after the minute ended"
[ "$(awk '{print $8}' "$UL/tiktok.out")" = 1 ] && [ "$(awk '{print $4}' "$UL/tiktok.out")" -lt $((50000 * 150)) ]
ok $? "its stream was cut ($(awk '{print $4}' "$UL/tiktok.out") of $((50000 * 150)) bytes, then reset)"
[ -n "$evms" ] && [ -n "$end" ] && echo "# its last byte came $((end - evms)) ms after the limit event"
wait $O
[ "$(awk '{print $4}' "$UL/other2.out")" = $((50000 * 75)) ] && [ "$(awk '{print $8}' "$UL/other2.out")" = 0 ]
ok $? "the other application of the device ran its 75 s to the end"

# 13..14: counters and the state file
st=$(ask STATS stats)
echo "$st" >>"$UL/log"
[ "$(field dump_errors "$st")" = 0 ] && [ "$(field cuts "$st")" -ge 2 ] && [ "$(field cut_errors "$st")" = 0 ] &&
	[ "$(field dropped "$st")" = 0 ]
ok $? "no dump error, no dropped note, $(field cuts "$st") connections cut"
cmd quit
wait $H
[ -s "$UL/state/usage.state" ] && grep -q '^STATS' "$out"
ok $? "state file written at the end ($(stat -c %s "$UL/state/usage.state" 2>/dev/null) bytes)"

[ "$fails" = 0 ] || { echo "# log:"; sed 's/^/# /' "$UL/log"; grep -v '^REPORT\|^BLOCKED' "$out" | sed 's/^/# /'; }
exit 0
