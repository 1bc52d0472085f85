#!/bin/sh
# Benchmark (not a test): netify classify vs Debian's ndpiReader 4.2 on the
# same large capture built from the corpus, in the same run. Prints packets/s
# of each, the ratio, peak RSS of each, and netify's memory per flow.
# Usage: tests/bench/classify_bench.sh [REPEATS]   (default 20)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
reps=${1:-20}
corpus=${NETIFY_CORPUS:-$top/../shared/corpus/ndpi}/pcap
# In memory where there is a tmpfs: a capture read back from disk puts the
# block layer's readahead in both tools' times.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then work=$(mktemp -d -p /dev/shm); else work=$(mktemp -d); fi
trap 'rm -rf "$work"' EXIT INT TERM
"$top/scripts/deps" build test >/dev/null || exit 1
netify=${NETIFY:-$("$top/scripts/build" release)} || exit 1
command -v ndpiReader >/dev/null || { echo "ndpiReader missing (apt install libndpi-bin)"; exit 1; }

cc -O2 -o "$work/mkbench" "$top/tests/bench/mkbench.c" -lpcap || exit 1
cc -O2 $(for d in "$top"/src/*/; do printf -- "-iquote %s " "$d"; done) $(pkg-config --cflags libndpi) -o "$work/sizes" "$top/tests/bench/sizes.c" \
	$(pkg-config --libs libndpi) || exit 1
# The 12 largest untagged Ethernet captures of the corpus.
inputs=$(for f in "$corpus"/*.pcap; do
	[ "$(tcpdump -r "$f" -c 1 -e 2>/dev/null | grep -c 'ethertype IPv\|ethertype 802.1Q')" = 1 ] || continue
	tcpdump -r "$f" -c 1 -e 2>/dev/null | grep -q 802.1Q && continue
	echo "$(stat -c %s "$f") $f"
done | sort -rn | head -12 | cut -d' ' -f2)
"$work/mkbench" "$work/bench.pcap" "$reps" $inputs || exit 1
pkts=$(tcpdump -r "$work/bench.pcap" -q 2>/dev/null | wc -l)
echo "input: $(echo "$inputs" | wc -l) captures x $reps VLAN repetitions = $pkts packets, $(du -h "$work/bench.pcap" | cut -f1)"

measure() {	# name cmd...: prints "seconds rss_kb" (time to the millisecond)
	name=$1; shift
	t0=$(date +%s%N)
	/usr/bin/time -f "%M" -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err"
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 ))" "$(tail -1 "$work/$name.time")" | awk '{ printf "%.3f %d\n", $1 / 1000, $2 }'
}
# Warm the page cache, then run each tool RUNS times (default 5), taking
# turns so a noisy moment of a shared machine hits all of them, and keep
# each one's fastest run.
cat "$work/bench.pcap" >/dev/null
runs=${RUNS:-5}
best_of() {	# name: the fastest of $work/name.runs
	sort -n "$work/$1.runs" | head -1
}
: >"$work/netify.runs"; : >"$work/netify0.runs"; : >"$work/ndpi.runs"
: >"$work/netify_i.runs"; : >"$work/ndpi_i.runs"
# Start-up cost (nDPI's automata and IP lists) on a one-capture input, to
# report steady-state rates beside the end-to-end ones.
"$work/mkbench" "$work/tiny.pcap" 1 "$corpus/bfd.pcap"
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	measure netify "$netify" classify --flows 1048576 "$work/bench.pcap" >>"$work/netify.runs"
	measure netify0 "$netify" classify --flows 1048576 --budget 0 "$work/bench.pcap" >>"$work/netify0.runs"
	measure ndpi ndpiReader -i "$work/bench.pcap" -q -v 0 >>"$work/ndpi.runs"
	measure netify_i "$netify" classify "$work/tiny.pcap" >>"$work/netify_i.runs"
	measure ndpi_i ndpiReader -i "$work/tiny.pcap" -q -v 0 >>"$work/ndpi_i.runs"
done
n=$(best_of netify); n0=$(best_of netify0); r=$(best_of ndpi)
ni=$(best_of netify_i); ri=$(best_of ndpi_i)
echo "runs per tool: $runs (fastest kept); all end-to-end times in seconds:"
for t in netify netify0 ndpi; do
	printf '  %-8s %s\n' "$t" "$(cut -d' ' -f1 "$work/$t.runs" | tr '\n' ' ')"
done
flows=$(grep -c '"type":"flow"' "$work/netify.out")
awk -v p="$pkts" -v n="$n" -v n0="$n0" -v r="$r" -v ni="$ni" -v ri="$ri" -v flows="$flows" 'BEGIN {
	split(n, a, " "); split(n0, b, " "); split(r, c, " "); split(ni, x, " "); split(ri, y, " ");
	printf "netify (budget 32) : %8.0f packets/s  %6.3f s  peak RSS %7d KiB\n", p / a[1], a[1], a[2];
	printf "netify (no budget) : %8.0f packets/s  %6.3f s  peak RSS %7d KiB\n", p / b[1], b[1], b[2];
	printf "ndpiReader 4.2     : %8.0f packets/s  %6.3f s  peak RSS %7d KiB\n", p / c[1], c[1], c[2];
	printf "ratio netify/ndpiReader packets/s: %.2fx (budget 32), %.2fx (no budget)\n", c[1] / a[1], c[1] / b[1];
	printf "goal (issue #2): netify at least 2x ndpiReader packets/s with the default budget: %s\n", (c[1] / a[1] >= 2) ? "met" : "NOT met";
	printf "start-up: netify %.3f s, ndpiReader %.3f s\n", x[1], y[1];
	if (a[1] > x[1] && c[1] > y[1])
		printf "steady state: netify %.0f packets/s, ndpiReader %.0f packets/s, ratio %.2fx\n",
			p / (a[1] - x[1]), p / (c[1] - y[1]), (c[1] - y[1]) / (a[1] - x[1]);
	printf "ratio peak RSS netify/ndpiReader: %.2f\n", a[2] / c[2];
	printf "flows: %d\n", flows;
}'
"$work/sizes" | awk '
	/flow_record/ { rec = $2 } /meta_extra/ { extra = $2 } /ndpi_flow/ { nd = $2 }
	END {
		printf "netify memory per flow after inspection: %d bytes (table entry)\n", rec;
		printf "netify memory per flow while inspected: %d bytes (entry + own metadata + pool link) on top of nDPI flow state %d bytes\n", rec + extra + 8, nd;
	}'
# Marginal RSS per flow: the same input at two sizes, all flows kept.
half=$((reps / 2))
"$work/mkbench" "$work/half.pcap" "$half" $inputs
measure half "$netify" classify --flows 1048576 "$work/half.pcap" >"$work/half.runs"
h=$(best_of half)
hflows=$(grep -c '"type":"flow"' "$work/half.out")
awk -v n="$n" -v h="$h" -v f="$flows" -v hf="$hflows" 'BEGIN {
	split(n, a, " "); split(h, b, " ");
	if (f > hf) printf "marginal peak RSS per flow (incl. nDPI allocations): %.0f bytes\n", (a[2] - b[2]) * 1024 / (f - hf);
}'
# Instruction counts (callgrind): repeatable whatever else the machine is
# doing, unlike the timings above. Start-up is measured apart and removed.
if command -v valgrind >/dev/null && [ "${BENCH_CALLGRIND:-1}" = 1 ]; then
	"$work/mkbench" "$work/small.pcap" 3 $inputs
	spkts=$(tcpdump -r "$work/small.pcap" -q 2>/dev/null | wc -l)
	ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
		sed -n 's/.*I *refs: *//p' | tr -d ,; }
	a=$(ir "$netify" classify --flows 1048576 "$work/small.pcap")
	ai=$(ir "$netify" classify "$work/tiny.pcap")
	b=$(ir ndpiReader -i "$work/small.pcap" -q -v 0)
	bi=$(ir ndpiReader -i "$work/tiny.pcap" -q -v 0)
	awk -v p="$spkts" -v a="$a" -v ai="$ai" -v b="$b" -v bi="$bi" 'BEGIN {
		printf "instructions per packet (%d packets, start-up removed): netify %.0f, ndpiReader %.0f, ratio %.2fx\n",
			p, (a - ai) / p, (b - bi) / p, (b - bi) / (a - ai);
		printf "instructions end to end: netify %.0f M, ndpiReader %.0f M, ratio %.2fx\n", a / 1e6, b / 1e6, b / a;
	}'
fi
