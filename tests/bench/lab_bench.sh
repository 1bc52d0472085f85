#!/bin/bash
# Inline enforcement benchmark in the namespace lab (not a test; needs root).
#
#   tests/bench/lab_bench.sh [SECONDS]
#
# In one lab and one run, with and without `netify run` on the router:
#   - new TLS connections per second through the router (goal >= 80%)
#   - added latency on queued packets: the daemon's own histogram (p50/p99
#     from reading a packet to sending its verdict), and connection times
#   - iperf3 throughput of one established flow (goal >= 95%)
#   - daemon RSS idle, with 10,000 and with 100,000 concurrent flows
# and prints the ratios.
set -u
SECS=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
NETIFY=${NETIFY:-$top_srcdir/netify}
. "$top_srcdir/tests/lab/lablib.sh"
lab_init iperf3
exec 2>&1

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/$DPID/status; }
flows() { status | json 'd["flows"]'; }
iperf() { inc iperf3 -c 10.77.2.2 -t "$SECS" -J | json 'round(d["end"]["sum_received"]["bits_per_second"] / 1e6, 1)'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
daemon_stop() { kill -TERM $DPID; wait $DPID; DPID=""; }
connrate() { inc $TOOL connrate 10.77.2.2 443 example.org "$SECS" 4; }
wait_flows() {	# until the daemon holds at least $1 flows (or 30 s)
	for i in $(seq 300); do [ "$(flows)" -ge "$1" ] && return 0; sleep 0.1; done
	return 1
}

lab_up && servers_up || { echo "lab setup failed"; exit 1; }
bg_in $S iperf3 -s -B 10.77.2.2
LAB_MAIN_EXTRA="option flow_table_size '131072'" write_config
sleep 0.5

# The router as OpenWrt runs it: fw4 with conntrack. Without this the
# baseline router would not even track connections, and the comparison
# would charge netify for conntrack itself.
printf 'table inet fw4 {\n chain forward {\n  type filter hook forward priority filter; policy accept;\n  ct state established,related accept\n }\n}\n' >"$LAB/fw4.nft"
inr nft -f "$LAB/fw4.nft" || { echo "fw4 stand-in failed"; exit 1; }

echo "== without netify (fw4 stand-in: conntrack, established accept)"
base_conn=$(connrate); echo "connections: $base_conn"

echo "== with netify (queues 0-1, budget 32)"
daemon_start || { echo "netify did not start"; tail "$LAB/daemon.log"; exit 1; }
nf_conn=$(connrate); echo "connections: $nf_conn"
st=$(status)
echo "daemon latency (read -> verdict sent), per queue:"
echo "$st" | json '"\n".join("  queue %d: %d packets, p50 %.1f us, p99 %.1f us" % (q["queue"], q["packets"], q["latency_p50_ns"] / 1e3, q["latency_p99_ns"] / 1e3) for q in d["queues"])'

# throughput alternates with and without netify (three rounds, medians):
# on a small VM client, server and router share the cores and single runs
# are noisy
b_runs="" n_runs=""
for round in 1 2 3; do
	n_runs="$n_runs $(iperf)"
	daemon_stop
	b_runs="$b_runs $(iperf)"
	daemon_start || { echo "netify did not restart"; exit 1; }
done
base_tput=$(echo $b_runs | median); nf_tput=$(echo $n_runs | median)
echo "iperf3 Mbit/s without:$b_runs  with:$n_runs"

rss0=$(rss_kb)
inc $TOOL udpflood 10.77.2.2,10.77.2.3 10000 20000 >/dev/null
wait_flows 10000; f10=$(flows); rss10=$(rss_kb)
inc $TOOL udpflood 10.77.2.4,10.77.2.5 90000 20000 >/dev/null
wait_flows 100000; f100=$(flows); rss100=$(rss_kb)
echo "after the floods, per queue:"
status | json '"\n".join("  queue %d: %d packets, %d verdict messages (%d packets in batches), kernel fail-open %d, enobufs %d" % (q["queue"], q["packets"], q["verdict_msgs"], q["batched"], q["fail_open"], q["enobufs"]) for q in d["queues"])'

r() { python3 -c "print('%.1f%%' % (100.0 * $1 / $2))" 2>/dev/null || echo "?"; }
bc_rate=$(echo "$base_conn" | json 'd["rate"]'); nc_rate=$(echo "$nf_conn" | json 'd["rate"]')
echo
echo "== summary"
echo "TLS connections/s:   $bc_rate without, $nc_rate with -> $(r "$nc_rate" "$bc_rate") (goal >= 80%)"
echo "connection p50/p99:  $(echo "$base_conn" | json '"%s/%s ms" % (d["p50_ms"], d["p99_ms"])') without," \
	"$(echo "$nf_conn" | json '"%s/%s ms" % (d["p50_ms"], d["p99_ms"])') with"
echo "iperf3 throughput:   $base_tput without, $nf_tput with Mbit/s (medians) -> $(r "$nf_tput" "$base_tput") (goal >= 95%)"
echo "daemon RSS:          ${rss0} kB idle, ${rss10} kB at $f10 flows, ${rss100} kB at $f100 flows"
