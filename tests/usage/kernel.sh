#!/bin/bash
# The conntrack accounting reader against the real kernel, in namespaces
# (client -- router -- server over veth). nft in the router marks some
# connections as netify would (0x10000: released, 0x20000: blocked); the
# reader, inside the router, must report exactly what the kernel counted
# (`conntrack -L`), and that must match the bytes sent (UDP exactly: IP
# length = payload + 28; TCP within 5% in the heavy direction: conntrack
# counts IP bytes, and when veth does not coalesce, a 1448-byte segment
# carries 52 bytes of headers, 3.6%):
#   - turning nf_conntrack_acct on (and a connection from before without counters)
#   - destroy events filtered in the kernel by mark; unmarked connections never seen
#   - dumps filtered by mark: released yes, blocked or unmarked no
#   - IPv4 UDP, IPv4 TCP up and down, IPv6 TCP
#   - a long-lived stream read while it runs, counters growing
#   - an overrun event socket: ENOBUFS counted, a resync dump follows
#   - reliable events: the kernel holds ended connections until read
# TAP; skips (with the reason) without root or the tools.
. "$(dirname "$0")/nslib.sh"
ns_init
ns_up || skip_all "cannot build the namespace topology"
echo "1..20"

inr nft -f - <<EOF || { echo "not ok 1 - nft rules"; exit 1; }
table inet usagetest {
	chain fw {
		type filter hook forward priority 0;
		tcp dport 5001 ct mark set ct mark | 0x10000
		udp dport 5002 ct mark set ct mark | 0x10000
		tcp dport 5005 ct mark set ct mark | 0x20000
		udp dport 20000-21999 ct mark set ct mark | 0x10000
	}
}
EOF
bg_in "$S" $TRAFFIC tcp-server 5001
bg_in "$S" $TRAFFIC tcp-server 5005
bg_in "$S" $TRAFFIC udp-server 5002
bg_in "$S" $TRAFFIC udp-server 5003
for i in $(seq 50); do
	ins ss -ltn | grep -q ':5005 ' && ins ss -lun | grep -q ':5003 ' && break
	sleep 0.1
done

# 1. a connection that exists before accounting is on has no counters
acct0=$(inr cat /proc/sys/net/netfilter/nf_conntrack_acct)
inc $TRAFFIC udp-client 10.78.2.2 5002 39999 3 100 0 >/dev/null
out=$UL/watch.out
# not through inr: a function in the background is a subshell, and the
# SIGTERM below must reach the harness itself
ip netns exec "$R" "$HARNESS" watch --event-mask 0x00ff0000 --dump 0x10000/0x10000 --interval 1000 --duration 60000 \
	>"$out" 2>&1 &
W=$!
PIDS="$PIDS $W"
for i in $(seq 50); do grep -qs '^ready' "$out" && break; sleep 0.1; done
[ "$acct0" = 0 ] && [ "$(inr cat /proc/sys/net/netfilter/nf_conntrack_acct)" = 1 ] &&
	grep -q 'nf_conntrack_acct was off: turned it on; connections that existed before have no counters' "$out"
ok $? "nf_conntrack_acct turned on and logged (was $acct0)"

# 2..4. UDP, known sizes: 200 datagrams of 1000 bytes, 500 back each
udp=$(inc $TRAFFIC udp-client 10.78.2.2 5002 40001 200 1000 500)
inc $TRAFFIC udp-client 10.78.2.2 5003 40002 50 1000 500 >/dev/null
sleep 1.5
read -r ko kr kpo kpr <<<"$(ct_bytes -p udp --sport 40001)"
inr conntrack -D -p udp --sport 40001 >/dev/null 2>&1
inr conntrack -D -p udp --sport 40002 >/dev/null 2>&1
sleep 0.5
d=$(grep "^DESTROY .* sport=40001 " "$out" | head -1)
echo "udp: sent '$udp' kernel $ko/$kr reader '$d'" >>"$UL/log"
[ -n "$d" ] && [ "$(field obytes "$d")" = "$ko" ] && [ "$(field rbytes "$d")" = "$kr" ] &&
	[ "$(field opkts "$d")" = "$kpo" ] && [ "$(field rpkts "$d")" = "$kpr" ]
ok $? "UDP destroy event: counters equal conntrack -L ($ko / $kr bytes)"
[ "$ko" = $((200 * 1028)) ] && [ "$kr" = $((200 * 528)) ] && [ "$kpo" = 200 ] && [ "$kpr" = 200 ]
ok $? "UDP: kernel bytes are the IP lengths of what was sent ($ko = 200 x 1028, $kr = 200 x 528)"
[ "$(grep -c ' sport=40002 ' "$out")" = 0 ]
ok $? "an unmarked connection reaches the reader neither by event nor by dump"
pre=$(grep "^DUMP .* sport=39999 " "$out" | head -1)
[ -n "$pre" ] && [ "$(field acct "$pre")" = 0 ]
ok $? "the connection from before accounting is read without counters (acct=0)"

# 5..7. TCP over IPv4, 3 MB each way in turn, and IPv6
up=$(inc $TRAFFIC tcp-client 10.78.2.2 5001 40003 3000000 0)
down=$(inc $TRAFFIC tcp-client 10.78.2.2 5001 40004 0 3000000)
v6=$(inc $TRAFFIC tcp-client fd78:2::2 5001 40005 200000 1000000)
echo "tcp: $up / $down / $v6" >>"$UL/log"
sleep 2.2	# two dumps after the connections closed (TIME_WAIT entries stay)
tcp_ok() {	# SPORT: the last dump equals conntrack -L; prints "ko kr"
	local sport=$1 k last
	k=$(ct_bytes -p tcp --sport "$sport")
	last=$(grep "^DUMP .* sport=$sport " "$out" | tail -1)
	echo "$sport kernel '$k' reader '$last'" >>"$UL/log"
	set -- $k
	[ -n "$last" ] && [ "$(field obytes "$last")" = "$1" ] && [ "$(field rbytes "$last")" = "$2" ] &&
		[ "$(field opkts "$last")" = "$3" ] && [ "$(field rpkts "$last")" = "$4" ] && echo "$1 $2"
}
# BYTES PAYLOAD: payload <= bytes <= payload * 1.10. The exact check is
# the one above (the reader equals conntrack -L); this one only says the
# counters are the transfer's: the kernel counts IP packets, headers and
# retransmissions included: 0.3% over the payload measured on a quiet
# machine, 2.4% to 6.7% under load (the 1% bound this had failed then).
within10() {
	[ "$1" -ge "$2" ] && [ $(( ($1 - $2) * 10 )) -le "$2" ]
}
r=$(tcp_ok 40003) && within10 "${r% *}" 3000000
ok $? "TCP upload: dump equals conntrack -L, original bytes 3000000 sent plus at most 10% (headers, retransmissions) (${r:-none})"
r=$(tcp_ok 40004) && within10 "${r#* }" 3000000
ok $? "TCP download: dump equals conntrack -L, reply bytes 3000000 received plus at most 10% (${r:-none})"
r=$(tcp_ok 40005) && within10 "${r#* }" 1000000
ok $? "TCP over IPv6: dump equals conntrack -L, reply bytes 1000000 plus at most 10% (${r:-none})"
# the same connections' destroy events carry the same final counters
inr conntrack -D -p tcp --sport 40003 >/dev/null 2>&1
sleep 0.3
d=$(grep "^DESTROY .* sport=40003 " "$out" | head -1)
last=$(grep "^DUMP .* sport=40003 " "$out" | tail -1)
[ -n "$d" ] && [ "$(field obytes "$d")" = "$(field obytes "$last")" ] && [ "$(field id "$d")" = "$(field id "$last")" ]
ok $? "TCP destroy event: same conntrack id and final counters as the last dump"

# 8. blocked connections: their events pass the filter, dumps skip them
inc $TRAFFIC tcp-client 10.78.2.2 5005 40006 1000 1000 >/dev/null
sleep 1.2
inr conntrack -D -p tcp --sport 40006 >/dev/null 2>&1
sleep 0.3
[ "$(grep -c "^DUMP .* sport=40006 " "$out")" = 0 ] && grep -q "^DESTROY .* sport=40006 .* mark=0x20000" "$out"
ok $? "a blocked-marked connection: destroy event yes, released-only dump no"

# 9..11. a stream of 3 MB over 6 s is read while it runs
inc $TRAFFIC tcp-client 10.78.2.2 5001 40007 0 -1 500000 6 >"$UL/stream.out" &
SP=$!
wait $SP
sleep 1.2
mapfile -t reads < <(grep "^DUMP .* sport=40007 " "$out" | while read -r l; do field rbytes "$l"; done)
echo "stream reads: ${reads[*]}" >>"$UL/log"
grow=0 mid=0 final=${reads[-1]:-0}
for ((i = 1; i < ${#reads[@]}; i++)); do
	[ "${reads[i]}" -gt "${reads[i-1]}" ] && grow=$((grow + 1))
	[ "${reads[i]}" -gt $((final / 5)) ] && [ "${reads[i]}" -lt $((final * 4 / 5)) ] && mid=1
done
[ "$grow" -ge 4 ]
ok $? "long-lived stream: counters read growing at $grow dumps while it ran"
[ "$mid" = 1 ]
ok $? "long-lived stream: a reading in the middle (between 20% and 80% of the total)"
r=$(tcp_ok 40007) && within10 "${r#* }" 3000000
ok $? "long-lived stream: final reading equals conntrack -L, the 3000000 bytes sent plus at most 10% (${r:-none})"

kill -TERM $W
wait $W
st=$(grep '^STATS' "$out")
echo "$st" >>"$UL/log"
[ "$(field parse_errors "$st")" = 0 ] && [ "$(field dump_errors "$st")" = 0 ] && [ "$(field enobufs "$st")" = 0 ]
ok $? "no parse or dump errors, no overrun ($st)"

# 13..15. a small event socket that does not read for 3 s while 2000
# marked connections end: the overrun is counted and a dump resyncs
flood() {	# OUTFILE HARNESS-OPTIONS...
	local f=$1
	shift
	inr "$HARNESS" watch --event-mask 0x00ff0000 --dump 0x10000/0x10000 --interval 60000 --duration 7000 \
		--rcvbuf 4096 --stall 3000 "$@" >"$f" 2>&1 &
	local w=$!
	for i in $(seq 50); do grep -qs '^ready' "$f" && break; sleep 0.1; done
	inc $TRAFFIC udp-many 10.78.2.2 20000 2000
	sleep 0.3
	inr conntrack -D -p udp >/dev/null 2>&1
	wait $w
}
flood "$UL/flood.out"
st=$(grep '^STATS' "$UL/flood.out")
echo "flood: $st" >>"$UL/log"
[ "${st:+x}" = x ] && [ "$(field enobufs "$st")" -ge 1 ]
ok $? "overrun: ENOBUFS counted ($(field enobufs "$st") times, $(field events "$st") of 2000 events read)"
[ "$(field dumps "$st")" -ge 1 ] && [ "$(field resync "$st")" = 0 ]
ok $? "overrun: a resync dump ran and cleared the flag"
grep -q 'overran a .*-byte socket buffer' "$UL/flood.out"
ok $? "overrun: logged"

flood "$UL/reliable.out" --reliable
st=$(grep '^STATS' "$UL/reliable.out")
echo "reliable: $st" >>"$UL/log"
[ "$(field events "$st")" = 2000 ] && [ "$(field enobufs "$st")" = 0 ]
ok $? "reliable events: all 2000 ended connections delivered through a full socket ($(field events "$st"))"

# 17..18. gets by tuple, batched
inc $TRAFFIC udp-many 10.78.2.2 20000 300
g=$(inr "$HARNESS" get 0x10000/0x10000 300 2>&1)
echo "get: $g" >>"$UL/log"
echo "$g" | grep -q '^GETRUN records=300 '
ok $? "300 connections read by tuple in batches: all found"
CT_GET_PAUSE_MS=1500 inr "$HARNESS" get 0x10000/0x10000 100 >"$UL/get.out" 2>&1 &
w=$!
for i in $(seq 50); do grep -qs '^kept' "$UL/get.out" && break; sleep 0.1; done
inr conntrack -F >/dev/null 2>&1
wait $w
g=$(cat "$UL/get.out")
echo "get after flush: $g" >>"$UL/log"
echo "$g" | grep -q '^kept 100' && echo "$g" | grep -q '^GETRUN records=0 ' &&
	[ "$(field get_missing "$(echo "$g" | grep '^STATS')")" = 100 ]
ok $? "connections gone before the get: 100 counted missing, none found, no error"

[ "$fails" = 0 ] || { echo "# log:"; sed 's/^/# /' "$UL/log"; }
exit 0
