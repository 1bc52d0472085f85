#!/bin/bash
# Cost of reading conntrack counters at 50,000 concurrent connections, in a
# namespace lab (root): netify's reader (tests/usage/ct_harness, libmnl,
# kernel-side mark filter) against conntrack-tools' `conntrack -L` on the
# same table in the same run, and the batched gets by tuple that keep
# volume-limited connections fresh.
#   tests/bench/ct_dump_bench.sh [CONNECTIONS] [BUILDDIR]
# BUILDDIR holds tests/usage/ct_harness (default build/bench: configure
# without sanitizers there for figures worth quoting).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-50000}
builddir=${2:-$top/build/bench}
HARNESS=$builddir/tests/usage/ct_harness
. "$top/tests/usage/nslib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
[ -x "$HARNESS" ] || { echo "build $HARNESS first (make tests/usage/ct_harness)"; exit 1; }
ip netns add "$C" || exit 1
trap ns_cleanup EXIT
ns_up || exit 1
inr sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600 net.netfilter.nf_conntrack_acct=1 2>/dev/null ||
	inr sysctl -qw net.netfilter.nf_conntrack_acct=1

mark_rule() {	# LASTPORT: ports 10000..LASTPORT get the released mark
	inr nft -f - <<-EOF
	table inet bench {
		chain fw {
			type filter hook forward priority 0;
			udp dport 10000-$1 ct mark set ct mark | 0x10000
		}
	}
	EOF
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ours() {	# MARK/MASK: median wall and cpu ms of 5 dumps, and the records
	local o
	o=$(inr "$HARNESS" dump "$1" 5)
	echo "$(echo "$o" | awk '/^DUMPRUN/ { sub("wall_ms=", "", $3); print $3 }' | median)" \
	     "$(echo "$o" | awk '/^DUMPRUN/ { sub("cpu_ms=", "", $4); print $4 }' | median)" \
	     "$(echo "$o" | awk '/^DUMPRUN/ { sub("records=", "", $2); print $2; exit }')"
}
theirs() {	# conntrack -L ARGS: median wall ms of 5 runs
	for i in 1 2 3 4 5; do
		local t0 t1
		t0=$(date +%s%N)
		inr conntrack -L "$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 ))
	done | median | awk '{ printf "%.1f", $1 / 1000 }'
}

mark_rule $((10000 + N - 1))
inc $TRAFFIC udp-many 10.78.2.2 10000 "$N"
sleep 1
total=$(inr conntrack -C)
echo "conntrack table: $total entries ($N marked UDP flows)"

read -r w c r <<<"$(ours 0x10000/0x10000)"
t=$(theirs -m 0x10000/0x10000)
a=$(theirs)
echo "dump of $r marked connections: netify reader $w ms wall ($c ms CPU); conntrack -L -m $t ms; conntrack -L (all) $a ms"
awk -v w="$w" -v t="$t" -v r="$r" 'BEGIN { printf "  ratio: reader takes %.2fx the time of conntrack -L -m; %.2f us per connection\n", w / t, w * 1000 / r }'
# a reading every minute: the share of one core it costs
awk -v w="$w" -v c="$c" 'BEGIN { printf "  once a minute: %.3f%% of one core (CPU), %.3f%% of wall time\n", c / 600, w / 600 }'

# the kernel filter: only 10% marked
inr nft delete table inet bench
mark_rule $((10000 + N / 10 - 1))
inr conntrack -F >/dev/null 2>&1
inc $TRAFFIC udp-many 10.78.2.2 10000 "$N"
sleep 1
read -r w2 c2 r2 <<<"$(ours 0x10000/0x10000)"
t2=$(theirs -m 0x10000/0x10000)
echo "dump with 10% marked ($r2 of $(inr conntrack -C)): netify reader $w2 ms ($c2 ms CPU), conntrack -L -m $t2 ms"
awk -v w="$w" -v w2="$w2" 'BEGIN { printf "  the kernel-side filter: %.2fx the time of the all-marked dump for a tenth of the records\n", w2 / w }'

# batched gets by tuple: the volume refresh
for k in 100 1000; do
	o=$(inr "$HARNESS" get 0x10000/0x10000 "$k" 5)
	gw=$(echo "$o" | awk '/^GETRUN/ { sub("wall_ms=", "", $3); print $3 }' | median)
	gc=$(echo "$o" | awk '/^GETRUN/ { sub("cpu_ms=", "", $4); print $4 }' | median)
	echo "get $k connections by tuple in batches of 128: $gw ms wall ($gc ms CPU), $(awk -v g="$gw" -v k="$k" 'BEGIN { printf "%.1f", g * 1000 / k }') us each"
	[ "$k" = 1000 ] && awk -v g="$gw" -v w2="$w2" -v r2="$r2" -v gc="$gc" 'BEGIN {
		printf "  per connection a get costs %.1fx a dumped one; refreshing 1000 volume-limited connections every 2 s: %.2f%% of a core\n",
		       (g / 1000) / (w2 / r2), gc / 20 }'
done
