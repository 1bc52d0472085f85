#!/bin/bash
# netify inline enforcement in a namespace lab (TAP).
#
#   client (10.77.1.2, fd77:1::2) -- router running `netify run` -- server (10.77.2.2.., fd77:2::2)
#
# The server runs a TLS server (labtool.py, any SNI), python's http.server,
# dnsmasq and small TCP actors (labtool.py). Everything lives in three
# namespaces named after this shell's pid and is torn down on exit, also on
# failure or interruption. Needs root; skips itself otherwise.
set -u

. "$(cd "$(dirname "$0")" && pwd)/lablib.sh"
lab_init

echo "1..27"

# 1-2: the lab and the daemon
lab_up && servers_up; ok $? "lab: client, router, server namespaces over veth, IPv4+IPv6, servers up"
write_config
daemon_start; ok $? "netify run installs table inet netify and binds queues 0-1"
RULES=$(rule_count)

# 3-6: TLS by SNI, conntrack mark; blocking without collateral damage
[ "$(tls example.org 10.77.2.2)" = 200 ]; ok $? "TLS example.org passes"
t0=$(date +%s%N); code=$(tls web.whatsapp.com 10.77.2.2); ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$code" = 000 ] && [ "$ms" -lt 2000 ]; ok $? "TLS web.whatsapp.com is cut fast (${ms} ms)"
inr conntrack -L -p tcp -d 10.77.2.2 --dport 443 2>/dev/null >"$LAB/ct.txt"
grep -q 'mark=131072' "$LAB/ct.txt"; ok $? "conntrack entry carries the blocked mark"
# Nothing ties 10.77.2.2 to WhatsApp alone (no net: range, no DNS answer):
# another site on that server, from the same device, must keep working.
# Before issue 13 the address went into block4 and this connection died.
code=$(tls example.org 10.77.2.2 3)
[ "$code" = 200 ] && ! in_set block4 "10.77.1.2 . 10.77.2.2 . tcp . 443"
ok $? "shared server: after WhatsApp was cut there, example.org on the same address still passes ($code), no block4 entry"

# 7-8: two applications behind one front end, named through the router's
# DNS: the blocked one is cut at its ClientHello (no payload reaches the
# server), the allowed one keeps working. Only blocked.example.net has been
# looked up when it is cut, so its address goes into block4 (the DNS hint
# ties it to that application alone); the lookup of allowed.example.net, an
# answer for the same address under another application's name, takes the
# entry back before the client gets the answer.
bg_in $S tcpdump -i s0 -U --immediate-mode -n -s 0 -w "$LAB/front.pcap" tcp port 443 and host 10.77.2.7; tdf=$!
for i in $(seq 50); do grep -q 'listening on s0' "$LAB/bg.log" && break; sleep 0.1; done
a1=$(inc $TOOL dnsq 10.77.2.2 blocked.example.net)
cut=$(tls_from 45001 blocked.example.net 10.77.2.7)
tied=no; in_set block4 "10.77.1.2 . 10.77.2.7 . tcp . 443" && tied=yes
a2=$(inc $TOOL dnsq 10.77.2.2 allowed.example.net)
gone=yes; in_set block4 "10.77.1.2 . 10.77.2.7 . tcp . 443" && gone=no
pass=$(tls_from 45002 allowed.example.net 10.77.2.7)
w=$(status_sum block_set_withdrawn)
[ "$a1" = 10.77.2.7 ] && [ "$a2" = 10.77.2.7 ] && [ "$cut" = 000 ] && [ $tied = yes ] && [ $gone = yes ] &&
	[ "$pass" = 200 ] && [ "${w:-0}" -ge 1 ]
ok $? "one front end, two apps: blocked.example.net cut ($cut), in block4 ($tied) until allowed.example.net resolved there (withdrawn: $gone, $w), which passes ($pass)"
sleep 0.5; kill -INT $tdf; wait $tdf 2>/dev/null
# payload: IP total length minus the IP and TCP headers
payload='(ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0'
blk=$(tcpdump -r "$LAB/front.pcap" -n "src port 45001 and $payload" 2>/dev/null | wc -l)
syn=$(tcpdump -r "$LAB/front.pcap" -n "src port 45001 and tcp[tcpflags] & tcp-syn != 0" 2>/dev/null | wc -l)
alw=$(tcpdump -r "$LAB/front.pcap" -n "src port 45002 and $payload" 2>/dev/null | wc -l)
[ "$blk" = 0 ] && [ "$syn" -ge 1 ] && [ "$alw" -ge 1 ]
ok $? "no first-packet race: the blocked connection reached the server (SYN $syn) but none of its payload did ($blk packets; the allowed one: $alw)"

# 9: an address of the blocked application's own (net:) goes into block4,
# and the device's next connection there dies at its SYN
code=$(tls example.org 10.77.2.8)
before=$(set_counter block4)
code2=$(tls example.org 10.77.2.8 2)
after=$(set_counter block4)
[ "$code" = 000 ] && in_set block4 "10.77.1.2 . 10.77.2.8 . tcp . 443" && [ "$code2" = 000 ] &&
	[ "${after:-0}" -gt "${before:-0}" ]
ok $? "the app's own address (net:) goes into block4: its next connection dies at its SYN (block4 hits ${before:-?} -> ${after:-?})"

# 10: IPv6
[ "$(tls6 example.org fd77:2::2)" = 200 ] && [ "$(tls6 web.whatsapp.com fd77:2::2)" = 000 ] &&
	! in_set block6 "fd77:1::2 . fd77:2::2 . tcp . 443" && [ "$(tls6 example.org fd77:2::8)" = 000 ] &&
	in_set block6 "fd77:1::2 . fd77:2::8 . tcp . 443" && [ "$(tls6 example.org fd77:2::2)" = 200 ]
ok $? "IPv6: example.org passes, web.whatsapp.com blocked (shared address: no block6 entry), the app's own address in block6"

# 11: plain HTTP by Host header
[ "$(http example.org 10.77.2.3)" = 200 ] && [ "$(http web.whatsapp.com 10.77.2.3)" = 000 ]
ok $? "HTTP by Host: example.org passes, web.whatsapp.com blocked"

# 12: DNS hint cache; the one name seen for 10.77.2.4 is WhatsApp's, so the
# address is WhatsApp's alone: into block4, the next connection dies at its SYN
ans=$(inc $TOOL dnsq 10.77.2.2 chat.whatsapp.com)
[ "$ans" = 10.77.2.4 ] && [ "$(http 10.77.2.5 10.77.2.5)" = 200 ] && [ "$(http 10.77.2.4 10.77.2.4)" = 000 ] &&
	in_set block4 "10.77.1.2 . 10.77.2.4 . tcp . 80" && before=$(set_counter block4) &&
	[ "$(http 10.77.2.4 10.77.2.4 2)" = 000 ] && [ "$(set_counter block4)" -gt "$before" ]
ok $? "DNS via dnsmasq: an address learned for chat.whatsapp.com alone is blocked, into block4 (next SYN dropped); another is not"

# 13: BitTorrent handshake
inc $TOOL bt-client 10.77.2.2 6881; rc=$?
for i in $(seq 50); do [ -s "$LAB/bt.out" ] && break; sleep 0.1; done
[ "$rc" = 1 ] && [ "$(cat "$LAB/bt.out" 2>/dev/null)" = 0 ]
ok $? "BitTorrent handshake blocked before reaching the peer"

# 14: QoS class -> HTB class on the router's LAN egress
inr tc qdisc add dev r0 root handle 1: htb default 10 &&
inr tc class add dev r0 parent 1: classid 1:10 htb rate 1gbit &&
inr tc class add dev r0 parent 1: classid 1:30 htb rate 1gbit
code=$(http bulk.example.net 10.77.2.2 10 big)
bulk=$(inr tc -s class show dev r0 | awk '/class htb 1:30/ { getline; print $2 }')
[ "$code" = 200 ] && [ "${bulk:-0}" -gt 3500000 ]; ok $? "QoS: bulk.example.net download lands in HTB class 1:30 (${bulk:-0} bytes)"

# 15-16: fast path
q0=$(queued_total); d0=$(status_sum packets)
[ "$(http example.org 10.77.2.5 10 big)" = 200 ]
q1=$(queued_total); d1=$(status_sum packets)
[ $((q1 - q0)) -lt 200 ] && [ $((d1 - d0)) -lt 200 ]
ok $? "fast path: 4 MB download queued $((q1 - q0)) packets (kernel) / $((d1 - d0)) (daemon)"
inr conntrack -L -p tcp -d 10.77.2.5 --dport 80 2>/dev/null | grep -q 'mark=65536'
ok $? "released flow carries the released conntrack mark"

# 17: a FIFO named *.conf in apps_dir: the reload reports it with its path
# and keeps the running configuration, the daemon keeps answering (the
# reload used to block the main thread on it for good, SIGTERM included)
mkfifo "$LAB/apps.d/55-fifo.conf"
kill -HUP $DPID
for i in $(seq 50); do grep -q '55-fifo.conf.*not a regular file (a FIFO)' "$LAB/daemon.log" && break; sleep 0.1; done
grep -qF "$LAB/apps.d/55-fifo.conf:0: cannot open: not a regular file (a FIFO)" "$LAB/daemon.log" &&
	[ "$(status_sum packets)" -gt 0 ] && [ "$(tls web.whatsapp.com 10.77.2.3)" = 000 ]
ok $? "reload with a FIFO in apps_dir: reported with its path at once, old configuration kept, daemon answers"
rm -f "$LAB/apps.d/55-fifo.conf"

# 18: reload cuts a live connection
bg_in $C $TOOL live-client 10.77.2.6 7000 reload.example.net "$LAB/live.out"
for i in $(seq 100); do grep -q '^ok [4-9][0-9]' "$LAB/live.out" 2>/dev/null && break; sleep 0.1; done
live_ok=$(cat "$LAB/live.out" 2>/dev/null)
cat >>"$LAB/netify.conf" <<-EOT

config rule 'rl'
	option name 'block reload app'
	list app 'labreload'
	option action 'block'
EOT
kill -HUP $DPID
for i in $(seq 50); do grep -q '^cut' "$LAB/live.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^cut' "$LAB/live.out" && [ "$(status_sum ct_updates)" -ge 1 ]
ok $? "reload blocking the app cuts its live connection (was '$live_ok', now '$(cat "$LAB/live.out")')"

# 19: a schedule that starts later cuts a connection already open
start=$(date -u -d '+8 sec' +%H:%M:%S); stop=$(date -u -d '+1 hour' +%H:%M:%S)
cat >>"$LAB/netify.conf" <<-EOT

config rule 'sched'
	option name 'labsched from now on'
	list app 'labsched'
	option action 'block'
	option start_time '$start'
	option stop_time '$stop'
	option utc_time '1'
EOT
kill -HUP $DPID; sleep 0.5
bg_in $C $TOOL live-client 10.77.2.3 7000 sched.example.net "$LAB/sched.out"
sleep 5; before=$(cat "$LAB/sched.out" 2>/dev/null)
for i in $(seq 100); do grep -q '^cut' "$LAB/sched.out" 2>/dev/null && break; sleep 0.1; done
case "$before" in ok*) grep -q '^cut' "$LAB/sched.out" ;; *) false ;; esac
ok $? "schedule start ($start UTC) cuts a live connection (before: '$before', after: '$(cat "$LAB/sched.out")')"

# 20: a burst of new flows is answered packet by packet: each datagram's
# verdicts go out before the next datagram is read (one packet each here,
# so as many verdict messages as verdicts)
v0=$(status_sum verdicts); m0=$(status_sum verdict_msgs)
inc $TOOL udpflood 10.77.2.2,10.77.2.3 3000 50000 >/dev/null; sleep 1
v1=$(status_sum verdicts); m1=$(status_sum verdict_msgs)
[ $((v1 - v0)) -ge 2900 ] && [ $((m1 - m0)) -ge $(( (v1 - v0) * 99 / 100 )) ]
ok $? "3000 new UDP flows: $((v1 - v0)) verdicts in $((m1 - m0)) messages (one per datagram)"

# 21: both workers at once. The kernel spreads flows over the queues by
# address pair, so 8 client addresses x 4 servers make 32 pairs, run in
# parallel: each pair fetches example.org over HTTP (passes) and opens TLS
# to web.whatsapp.com (cut). Port 80 stays clear of the 443 block-set
# entries, and 10.77.2.4 is left out (the DNS test made it WhatsApp's).
for i in $(seq 3 10); do ip -n $C addr add 10.77.1.$i/24 dev c0; done
queues() { status | python3 -c "import json,sys; print(' '.join('%d:%d' % (q['packets'], q['flows_blocked']) for q in json.load(sys.stdin)['queues']))"; }
qa=$(queues); mqp=""
for s in $(seq 3 10); do
	for d in 2 3 5 6; do
		inc curl -s --interface 10.77.1.$s --max-time 5 -H 'Host: example.org' -o /dev/null \
			-w '%{http_code}\n' "http://10.77.2.$d/" >"$LAB/mq-http-$s-$d" 2>/dev/null &
		mqp="$mqp $!"
		inc curl -sk --interface 10.77.1.$s --max-time 5 --resolve "web.whatsapp.com:443:10.77.2.$d" \
			-o /dev/null -w '%{http_code}\n' https://web.whatsapp.com/ >"$LAB/mq-tls-$s-$d" 2>/dev/null &
		mqp="$mqp $!"
	done
done
wait $mqp	# not the servers'
qb=$(queues)
mq_ok() {
	[ "$(cat "$LAB"/mq-http-* | grep -c '^200$')" = 32 ] && [ "$(cat "$LAB"/mq-tls-* | grep -c '^000$')" = 32 ] &&
	python3 - "$qa" "$qb" <<-'PY'
	import sys
	a = [tuple(map(int, q.split(":"))) for q in sys.argv[1].split()]
	b = [tuple(map(int, q.split(":"))) for q in sys.argv[2].split()]
	assert len(a) == len(b) == 2, (a, b)
	assert all(y[0] > x[0] and y[1] > x[1] for x, y in zip(a, b)), (a, b)
	PY
}
mq_ok; ok $? "2 queues at once: 32 address pairs in parallel, 32/32 HTTP pass, 32/32 WhatsApp TLS cut, each queue blocked some (packets:blocked $qa -> $qb)"

# 22-24: faults
kill -9 $DPID; wait $DPID 2>/dev/null; DPID=""
[ "$(tls example.org 10.77.2.3)" = 200 ] && inr nft list table inet netify >/dev/null
ok $? "kill -9: new connections still pass (queue bypass)"
# ... restarted with a FIFO as its firewall config (read for the offload
# warning): not waited on
mkfifo "$LAB/firewall.fifo"
runs=$(grep -c 'running: ' "$LAB/daemon.log")
LAB_FIREWALL="$LAB/firewall.fifo" daemon_start
for i in $(seq 50); do [ "$(grep -c 'running: ' "$LAB/daemon.log")" -gt "$runs" ] && break; sleep 0.1; done
[ "$(grep -c 'running: ' "$LAB/daemon.log")" -gt "$runs" ] && [ "$(rule_count)" = "$RULES" ] &&
	[ "$(tls example.org 10.77.2.5)" = 200 ] && [ "$(tls web.whatsapp.com 10.77.2.5)" = 000 ]
ok $? "restart (firewall config a FIFO, not waited on): enforcement back, no duplicate rules ($RULES rules)"
kill -TERM $DPID; wait $DPID; rc=$?; DPID=""
[ "$rc" = 0 ] && ! inr nft list table inet netify >/dev/null 2>&1
ok $? "SIGTERM: clean exit, table removed"

# 25: keep_blocking leaves the table (and the blocking) behind
sed -i "s/option status_interval '1'/&\n\toption keep_blocking '1'/" "$LAB/netify.conf"
daemon_start && [ "$(tls example.org 10.77.2.8)" = 000 ] && kill -TERM $DPID && wait $DPID; rc=$?; DPID=""
[ "$rc" = 0 ] && inr nft list chain inet netify forward >/dev/null 2>&1 &&
	[ "$(tls example.org 10.77.2.8 2)" = 000 ] && [ "$(tls example.org 10.77.2.6)" = 200 ]
ok $? "keep_blocking: after SIGTERM the block set still drops, everything else passes (bypass)"
inr nft delete table inet netify 2>/dev/null

# 26: input chain: traffic to the router itself
sed -i "s/option keep_blocking '1'/option input_chain '1'/" "$LAB/netify.conf"
mkdir -p "$LAB/rwww" && echo router >"$LAB/rwww/index.html"
bg_in $R python3 -m http.server 8080 --bind 10.77.1.1 --directory "$LAB/rwww"
for i in $(seq 50); do inr ss -ltn | grep -q ':8080 ' && break; sleep 0.1; done
# ... with a firewall config that offloads flows: netify must say so
printf "config defaults\n\toption flow_offloading '1'\n" >"$LAB/firewall"
LAB_FIREWALL="$LAB/firewall" daemon_start && [ "$(http example.org 10.77.1.1:8080)" = 200 ] &&
	[ "$(http web.whatsapp.com 10.77.1.1:8080 3)" = 000 ] && inr nft list chain inet netify input >/dev/null 2>&1 &&
	grep -q 'flow offloading is on' "$LAB/daemon.log"
ok $? "input_chain: an app blocked on its way to the router itself, others pass; offload warning"
kill -TERM $DPID; wait $DPID; DPID=""

# 27: NFQUEUE and a replay run the same packet path: what the router's
# interfaces received while the daemon ran, replayed by an unprivileged
# user with the same policy, gives the same flow records (classification,
# metadata, rule, action, mark, device) for every flow the daemon saw.
write_config
# The capture starts before the daemon: late packets of connections cut
# earlier (a server closing after its 10 s timeout) may reach the daemon as
# it starts, and the replay must have them too.
bg_in $R tcpdump -i r0 -Q in -U --immediate-mode -n -s 0 -w "$LAB/in0.pcap"; tp0=$!
bg_in $R tcpdump -i r1 -Q in -U --immediate-mode -n -s 0 -w "$LAB/in1.pcap"; tp1=$!
for i in $(seq 50); do [ "$(grep -c 'listening on r' "$LAB/bg.log")" -ge 2 ] && break; sleep 0.1; done
daemon_start
timeout 60 nc -U "$LAB/mon.sock" >"$LAB/events" 2>/dev/null & ncp=$!
for i in $(seq 50); do grep -q agent_hello "$LAB/events" && break; sleep 0.1; done
tls example.org 10.77.2.2 >/dev/null; tls web.whatsapp.com 10.77.2.5 >/dev/null
tls6 example.org fd77:2::2 >/dev/null; http example.org 10.77.2.3 >/dev/null
inc $TOOL dnsq 10.77.2.2 chat.whatsapp.com >/dev/null; http 10.77.2.4 10.77.2.4 2 >/dev/null
http bulk.example.net 10.77.2.6 >/dev/null
sleep 1
# ... and stops after it: a late packet of an earlier connection that
# reached the daemon after the capture stopped was a flow of the daemon's
# the replay could not have (seen 1 run in 4)
kill -TERM $DPID; wait $DPID; DPID=""
sleep 0.5
kill -INT $tp0 $tp1; wait $tp0 $tp1 2>/dev/null
kill $ncp 2>/dev/null; wait $ncp 2>/dev/null
mkdir -p "$LAB/rp" && chmod 711 "$LAB" && cp -r "$LAB/apps.d" "$LAB/rp/" &&
	sed -e "/_socket /d" -e "s#'$LAB/apps.d'#'$LAB/rp/apps.d'#" "$LAB/netify.conf" >"$LAB/rp/netify.conf" &&
	$TOOL pcap-merge "$LAB/rp/in.pcap" "$LAB/in0.pcap" "$LAB/in1.pcap" && chmod -R a+rX "$LAB/rp" &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$NETIFY" run -c "$LAB/rp/netify.conf" \
		-r "$LAB/rp/in.pcap" >"$LAB/rp/events" 2>>"$LAB/check.log" &&
	$TOOL same-flows "$LAB/events" "$LAB/rp/events" >"$LAB/same.txt"
rc=$?; cat "$LAB/same.txt" >>"$LAB/check.log"
ok $rc "replay of the lab's packets as nobody: the same flow records as NFQUEUE ($(tail -1 "$LAB/same.txt" 2>/dev/null))"

if [ -n "${LAB_HOLD:-}" ]; then
	echo "# holding $LAB_HOLD s: namespaces $C $R $S, files in $LAB"
	daemon_start
	sleep "$LAB_HOLD"
fi
if [ $fails -ne 0 ]; then
	echo "# daemon log:"; sed 's/^/#   /' "$LAB/daemon.log" | tail -40
	echo "# check log:"; sed 's/^/#   /' "$LAB/check.log" | tail -20
fi
exit 0
