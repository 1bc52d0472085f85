#!/bin/bash
# IPFIX export inline, with the real daemon in the namespace lab (TAP):
#
#   client c0 -- router running `netify run` (NFQUEUE) -- server
#
# nfacctd (pmacct) listens on the router's loopback. The client makes a TCP
# connection (100,000 bytes down, 3,000 up) to an address the catalog names
# 'labstream' and a UDP exchange (40 datagrams each way, past netify's
# packet budget, so it is decided) to another; then the connections are
# deleted from the router's conntrack table (as a timeout would end them).
# A third connection, to an application a rule blocks, dies at its first
# packet: it never has a conntrack entry, so its record is netify's own. The records nfacctd stored must carry conntrack's own counters
# (read by `conntrack -E` from the same destroy events), the client's MAC,
# the application, and the 5-tuples. Run twice: with usage accounting off
# (the export's own conntrack reader) and on (its reader shared). Needs
# root and nfacctd; skips itself otherwise.
set -u

. "$(cd "$(dirname "$0")" && pwd)/lablib.sh"
lab_init nfacctd
TRAFFIC="python3 $top_srcdir/tests/usage/traffic.py"

echo "1..9"

lab_up; ok $? "lab: client, router, server namespaces over veth"
bg_in $S $TRAFFIC tcp-server 5001
bg_in $S $TRAFFIC udp-server 5002
for i in $(seq 50); do ins ss -ltn | grep -q ':5001 ' && break; sleep 0.1; done
MAC=$(ip -n $C -o link show c0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
# connections end within seconds of their last packet
inr sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=1 \
	net.netfilter.nf_conntrack_tcp_timeout_fin_wait=2 net.netfilter.nf_conntrack_tcp_timeout_close_wait=2 \
	net.netfilter.nf_conntrack_tcp_timeout_last_ack=2 net.netfilter.nf_conntrack_udp_timeout=2 \
	net.netfilter.nf_conntrack_udp_timeout_stream=2 >/dev/null 2>&1

mkdir -p "$LAB/apps.d"
cat >"$LAB/apps.d/90-lab.conf" <<-EOT
cat:labcat:Lab
app:900010:labstream:labcat:Lab Stream
net:900010:10.77.2.5
app:900011:labother:labcat:Lab Other
net:900011:10.77.2.2
app:900012:labblock:labcat:Lab Block
net:900012:10.77.2.4
EOT
. "$(cd "$(dirname "$0")" && pwd)/../export/collib.sh"

# one round: $1 usage on (1) or off (0), $2 client source ports base
round() {
	local usage=$1 sp=$2 tag="usage $([ "$1" = 1 ] && echo on || echo off)"
	local out=$LAB/r$1 PM=$((4740 + $1))	# a port per round: nfacctd's children may linger
	mkdir -p "$out"
	rm -f "$LAB/ctl.sock"
	nfacctd_conf "$LAB" "$PM" "$out/pmacct.json"
	ip netns exec $R nfacctd -f "$LAB/nfacctd.conf" >>"$LAB/nfacctd.log" 2>&1 &
	local PMP=$!
	PIDS="$PIDS $PMP"
	cat >"$LAB/netify.conf" <<-EOT
	config netify 'main'
		option queue '0-1'
		list lan_network '10.77.1.0/24'
		option apps_dir '$LAB/apps.d'
		option monitor_socket '$LAB/mon.sock'
		option control_socket '$LAB/ctl.sock'
		option monitor_group 'root'
		option usage '$usage'
		option usage_dir '$LAB/state'

	config rule
		option name 'no labblock'
		list app 'labblock'
		option action 'block'

	config export
		option enabled '1'
		list collector '127.0.0.1:$PM'
		option observation_domain '77'
		option flush '100'
	EOT
	daemon_start; local rc=$?
	ok $rc "netify run with export ($tag)"
	if [ $rc != 0 ]; then
		sed 's/^/# /' "$LAB/daemon.log" | tail -20
		kill -KILL $(pgrep -P $PMP) $PMP 2>/dev/null
		return
	fi
	# the kernel's own account of the same connections' ends
	inr timeout 20 conntrack -E -e DESTROY -o extended >"$out/ctev.txt" 2>/dev/null &
	local CTP=$!
	sleep 0.5
	inc $TRAFFIC tcp-client 10.77.2.5 5001 $sp 3000 100000 >"$out/tcp.out" 2>&1
	inc $TRAFFIC udp-client 10.77.2.2 5002 $((sp + 1)) 40 200 300 >"$out/udp.out" 2>&1
	inc $TRAFFIC tcp-client 10.77.2.4 5001 $((sp + 2)) 10 10 >"$out/block.out" 2>&1
	sleep 0.5
	inr conntrack -D -s 10.77.1.2 >/dev/null 2>&1
	for i in $(seq 150); do
		[ "$(grep -c "dport=500[12] " "$out/ctev.txt")" -ge 2 ] && break
		sleep 0.1
	done
	sleep 1
	NETIFY_CONTROL_SOCKET=$LAB/ctl.sock "$NETIFY" status --json >"$out/status.json" 2>>"$LAB/check.log"
	kill -TERM $DPID && wait $DPID
	DPID=""
	sleep 1.5	# nfacctd's print plugin writes every second
	kill $CTP 2>/dev/null
	# nfacctd's core does not always exit on TERM: its plugin, then it
	kill -TERM $PMP 2>/dev/null
	for i in $(seq 30); do kill -0 $PMP 2>/dev/null || break; sleep 0.1; done
	kill -KILL $(pgrep -P $PMP) $PMP 2>/dev/null
	wait $CTP $PMP 2>/dev/null
	python3 - "$out/pmacct.json" "$out/ctev.txt" "$MAC" $sp <<-'PY' >>"$LAB/check.log" 2>&1
	import json, re, sys
	pm, ct, mac, sp = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
	recs = {}
	for line in open(pm):
	    if line.startswith("{"):
	        r = json.loads(line)
	        k = (r["ip_src"], r["port_src"], r["ip_dst"], r["port_dst"])
	        g = recs.setdefault(k, dict(r, bytes=0, packets=0, rev_bytes=0, rev_pkts=0))
	        for f in ("bytes", "packets", "rev_bytes", "rev_pkts"):
	            g[f] += int(r[f])
	kern = {}
	for line in open(ct):
	    m = re.search(r"src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+) packets=(\d+) bytes=(\d+) "
	                  r"src=\S+ dst=\S+ sport=\d+ dport=\d+ packets=(\d+) bytes=(\d+)", line)
	    if m:
	        kern[(m[1], int(m[3]), m[2], int(m[4]))] = [int(x) for x in m.group(5, 6, 7, 8)]
	want = {("10.77.1.2", sp, "10.77.2.5", 5001): ("Lab Stream", 900010, 3),
	        ("10.77.1.2", sp + 1, "10.77.2.2", 5002): ("Lab Other", 900011, 1)}
	bad = 0
	for k, (name, app, end) in want.items():
	    r, c = recs.get(k), kern.get(k)
	    print("#", k, "record:", r and {f: r[f] for f in ("packets", "bytes", "rev_pkts", "rev_bytes", "mac_src", "class", "app_id", "end_reason")}, "conntrack:", c)
	    ok = (r is not None and c is not None and [r["packets"], r["bytes"], r["rev_pkts"], r["rev_bytes"]] == c
	          and r["mac_src"] == mac and r["class"] == name
	          and r["app_id"] == "06-%02X-%02X-%02X-%02X" % tuple(app.to_bytes(4, "big"))
	          and int(r["end_reason"]) == end)
	    ok = ok and int(r["fwd"]) == 64
	    bad += not ok
	# blocked at its first packet: no conntrack entry; netify's own count
	b = recs.get(("10.77.1.2", sp + 2, "10.77.2.4", 5001))
	print("# blocked:", b and {f: b[f] for f in ("packets", "bytes", "rev_pkts", "class", "app_id", "fwd")})
	bad += not (b and int(b["fwd"]) == 129 and b["class"] == "Lab Block" and b["packets"] >= 1 and b["rev_pkts"] == 0)
	sys.exit(1 if bad else 0)
	PY
	ok $? "$tag: nfacctd has the TCP and UDP connections with conntrack's counters both ways, the client's MAC, the application (id and name), the end reason, forwarded; and the blocked one (its attempts as netify counted them, forwardingStatus 129)"
	grep -q 'received 100000 ' "$out/tcp.out" && grep -q 'received 12000' "$out/udp.out"
	ok $? "$tag: the traffic went through ($(cat "$out/tcp.out"); $(cat "$out/udp.out"))"
	python3 -c '
import json, sys
x = json.load(open(sys.argv[1]))["export"]
print("# export:", json.dumps({k: v for k, v in x.items() if k != "collectors"}))
assert x["source"] == "conntrack" and x["ended"] >= 2 and x["dropped"] == 0 and x["notes_dropped"] == 0, x
assert x["collectors"][0]["up"] and x["collectors"][0]["errors"] == 0, x
' "$out/status.json" >>"$LAB/check.log" 2>&1
	ok $? "$tag: netify status: records from conntrack, nothing dropped"
	grep '^#' "$LAB/check.log" | tail -4
}

round 0 42001
round 1 42101
[ $fails = 0 ] || { echo "# logs:"; tail -n 20 "$LAB/daemon.log" "$LAB/check.log" | sed 's/^/# /'; }
exit 0
