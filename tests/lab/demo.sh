#!/bin/bash
# The inline part of ./scripts/demo: the namespace lab of tests/lab (client
# -- router running `netify run` -- server), narrated. netify blocks
# WhatsApp, puts bulk downloads in a QoS class, releases the rest to the
# fast path, and streams JSON on its monitor socket. Namespaces are removed
# on exit, also on failure.
set -u
. "$(cd "$(dirname "$0")" && pwd)/lablib.sh"

say() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
skip_all() { echo "lab demo skipped: $*"; rm -rf "$LAB"; exit 0; }
lab_init
exec 2>&1

say "Lab: client 10.77.1.2 -- router (netify) -- server 10.77.2.2; policy from a UCI file:"
lab_up && servers_up || { echo "lab setup failed"; exit 1; }
write_config
grep -A3 "^config rule\|^config class" "$LAB/netify.conf" | grep -v '^--$' | sed 's/^/    /'
daemon_start || { echo "netify run did not start:"; cat "$LAB/daemon.log"; exit 1; }
echo "netify run is up; its nftables table:"
inr nft list chain inet netify forward 2>/dev/null | sed -n 's/^\t\t/    /p' | head -8
# The monitor stream, as a third-party tool would read it.
( ip netns exec $R timeout 60 nc -U "$LAB/mon.sock" >"$LAB/stream.json" 2>/dev/null & )

say "TLS to example.org (allowed):       HTTP $(tls example.org 10.77.2.2)"
t0=$(date +%s%N); code=$(tls web.whatsapp.com 10.77.2.2); ms=$(( ($(date +%s%N) - t0) / 1000000 ))
say "TLS to web.whatsapp.com (blocked):  HTTP $code, cut after $ms ms"
echo "conntrack on the router:"
inr conntrack -L -p tcp --dport 443 2>/dev/null | grep -o 'src=10.77.1.2 dst=10.77.2.2 .*dport=443 .*mark=[0-9]*' |
	sed 's/ src=10.77.2.2.*mark=/ ... mark=/; s/^/    /' | head -3
say "That server address is shared (nothing ties it to WhatsApp alone): the next connection is judged on its own name"
echo "    example.org on the same address now: HTTP $(tls example.org 10.77.2.2 3)"
say "An address of the blocked app's own (a net: range) goes into the block set: the next connection dies at its SYN"
echo "    a lab app's own address, 10.77.2.8: HTTP $(tls example.org 10.77.2.8), then HTTP $(tls example.org 10.77.2.8 2)"
inr nft list set inet netify block4 | tr -d '\n\t' | grep -o 'elements = {[^}]*}' | head -1 | sed 's/^/    /'

say "QoS: a download from bulk.example.net goes in class 'bulk' (HTB 1:30 on the LAN side)"
inr tc qdisc add dev r0 root handle 1: htb default 10
inr tc class add dev r0 parent 1: classid 1:10 htb rate 1gbit quantum 1514
inr tc class add dev r0 parent 1: classid 1:30 htb rate 1gbit quantum 1514
code=$(http bulk.example.net 10.77.2.2 10 big)
inr tc -s class show dev r0 | awk '/class htb/ { c = $3 } /Sent/ { printf "    HTB %s: %s bytes\n", c, $2 }'

say "Fast path: classified flows are released; the kernel stops queueing them"
inr cat /proc/net/netfilter/nfnetlink_queue | awk '{ printf "    queue %s: %s packets queued in all\n", $1, $8 }'

say "netify flows (control socket):"
"$NETIFY" flows --socket "$LAB/ctl.sock" 2>/dev/null | head -12 | sed 's/^/    /'

say "The JSON stream (nc -U $LAB/mon.sock | jq), flow events:"
sleep 1
jq -c 'select(.type=="flow") | .flow | {app: .detected_application_name, proto: .detected_protocol_name,
	host: .host_server_name, by: .detection_source, netify}' "$LAB/stream.json" 2>/dev/null | head -8
echo
echo "lab demo done; namespaces are removed."
