#!/bin/bash
# What conntrack accounting costs the forwarding path, in a namespace lab
# (root): bulk throughput (iperf3, one flow) and new connections per second
# through the router with net.netfilter.nf_conntrack_acct off, and on with
# netify's reader running (destroy events of every connection, a dump every
# second: 60 times what the accounting does). Runs alternate off/on; the
# medians and the ratio are printed. Goal: on >= 95% of off.
#   tests/bench/usage_lab_bench.sh [RUNS] [SECONDS] [BUILDDIR]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${1:-3}
SECS=${2:-3}
builddir=${3:-$top/build/bench}
HARNESS=$builddir/tests/usage/ct_harness
. "$top/tests/usage/nslib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
[ -x "$HARNESS" ] || { echo "build $HARNESS first (make tests/usage/ct_harness)"; exit 1; }
command -v iperf3 >/dev/null || { echo "needs iperf3"; exit 1; }
ip netns add "$C" || exit 1
trap ns_cleanup EXIT
ns_up || exit 1
# every connection is marked, as netify's verdict chain marks every decided one
inr nft -f - <<-EOF2
table inet bench {
	chain fw {
		type filter hook forward priority 0;
		ct state established,related accept
		ct mark set ct mark | 0x10000
	}
}
EOF2
bg_in "$S" iperf3 -s -p 5201
bg_in "$S" $TRAFFIC conn-server 5300
sleep 1
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
run() {	# off|on KIND: one measurement
	local r
	if [ "$1" = on ]; then
		inr sysctl -qw net.netfilter.nf_conntrack_acct=1
		ip netns exec "$R" "$HARNESS" watch --event-mask 0x00ff0000 --dump 0x10000/0x10000 \
			--interval 1000 --duration $(( (SECS + 5) * 1000 )) >"$UL/reader.out" 2>&1 &
		RP=$!
		sleep 0.3
	else
		inr sysctl -qw net.netfilter.nf_conntrack_acct=0
	fi
	inr conntrack -F >/dev/null 2>&1
	if [ "$2" = bulk ]; then
		r=$(inc iperf3 -c 10.78.2.2 -p 5201 -t "$SECS" -J 2>/dev/null |
			python3 -c 'import json,sys; print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))')
	else
		r=$(inc $TRAFFIC conn-rate 10.78.2.2 5300 "$SECS")
	fi
	if [ "$1" = on ]; then
		kill -TERM $RP 2>/dev/null
		wait $RP 2>/dev/null
	fi
	echo "$r"
}
for kind in bulk conns; do
	off="" on=""
	for i in $(seq "$RUNS"); do
		off="$off $(run off $kind)"
		on="$on $(run on $kind)"
	done
	mo=$(echo $off | tr ' ' '\n' | median)
	mn=$(echo $on | tr ' ' '\n' | median)
	unit=$([ $kind = bulk ] && echo "Mbit/s (iperf3, one flow)" || echo "connections/s (one client)")
	echo "$kind: accounting off $mo, on with the reader $mn $unit: on = $(awk -v a="$mn" -v b="$mo" 'BEGIN { printf "%.1f%%", 100 * a / b }') of off  (runs off:$off; on:$on)"
done
grep '^STATS' "$UL/reader.out" | tail -1 | sed 's/^/last reader run: /'
