#!/bin/bash
# Benchmark (not a test; needs root): the cost of sharing nDPI detection
# modules between queues (option dpi_share), in the namespace lab.
#
#   tests/bench/dpi_share_bench.sh [SECONDS] [ROUNDS]
#
# Both queues busy at once, the worst case for a shared module: TLS
# clients in a loop to 10.77.2.2 (queue 1) and to 10.77.2.6 (queue 0;
# xt NFQUEUE balances by address pair), 2 threads each. Alternates
# dpi_share '1' (a module per queue) and '2' (one module, under a lock)
# for ROUNDS rounds and prints, per setting, TLS connections/s, the
# connection time p50/p99 and the daemon's read-to-verdict p50/p99 per
# queue, plus the idle RSS of each setting; ratios shared / own.
set -u
SECS=${1:-8}
ROUNDS=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
NETIFY=${NETIFY:-$top_srcdir/netify}
. "$top_srcdir/tests/lab/lablib.sh"
lab_init
exec 2>>"$LAB/check.log"

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
daemon_stop() { kill -TERM $DPID; wait $DPID; DPID=""; }

lab_up && servers_up || { echo "lab setup failed"; exit 1; }
printf 'table inet fw4 {\n chain forward {\n  type filter hook forward priority filter; policy accept;\n  ct state established,related accept\n }\n}\n' >"$LAB/fw4.nft"
inr nft -f "$LAB/fw4.nft" || { echo "fw4 stand-in failed"; exit 1; }
echo "dpi_share_bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $NETIFY"

res=$LAB/res
: >"$res"
for round in $(seq "$ROUNDS"); do
	for share in 1 2; do
		LAB_MAIN_EXTRA="option dpi_share '$share'" write_config
		daemon_start || { echo "netify did not start"; tail "$LAB/daemon.log"; exit 1; }
		sleep 1
		rss=$(awk '/^VmRSS/ { print $2 }' /proc/$DPID/status)
		inc $TOOL connrate 10.77.2.2 443 example.org "$SECS" 2 >"$LAB/c1.json" & p1=$!
		inc $TOOL connrate 10.77.2.6 443 example.org "$SECS" 2 >"$LAB/c0.json" & p0=$!
		wait $p1 $p0
		status >"$LAB/st.json"
		python3 - "$share" "$rss" "$LAB/c0.json" "$LAB/c1.json" "$LAB/st.json" >>"$res" <<-'PY'
		import json, sys
		share, rss = sys.argv[1], int(sys.argv[2])
		c = [json.load(open(f)) for f in sys.argv[3:5]]
		st = json.load(open(sys.argv[5]))
		q = sorted(st["queues"], key=lambda q: q["queue"])
		print(json.dumps({"share": share, "rss_kb": rss,
		                  "rate": sum(x["rate"] for x in c), "errors": sum(x["errors"] for x in c),
		                  "conn_p50_ms": max(x["p50_ms"] for x in c), "conn_p99_ms": max(x["p99_ms"] for x in c),
		                  "q_packets": [x["packets"] for x in q],
		                  "q_p50_us": [round(x["latency_p50_ns"] / 1e3) for x in q],
		                  "q_p99_us": [round(x["latency_p99_ns"] / 1e3) for x in q]}))
		PY
		tail -1 "$res" | sed "s/^/  round $round: /"
		daemon_stop
	done
done
python3 - "$res" <<-'PY'
import json, sys, statistics as s
rows = [json.loads(l) for l in open(sys.argv[1])]
med = lambda share, k: s.median(r[k] for r in rows if r["share"] == share)
medq = lambda share, k: [s.median(r[k][i] for r in rows if r["share"] == share) for i in (0, 1)]
print("medians over %d rounds          own module per queue   one shared module   ratio" % (len(rows) // 2))
for k, label in (("rate", "TLS connections/s (both queues)"), ("conn_p50_ms", "connection time p50 ms"),
                 ("conn_p99_ms", "connection time p99 ms"), ("rss_kb", "idle RSS KiB (queue '0-1')")):
    a, b = med("1", k), med("2", k)
    print("%-33s %12.1f %20.1f %11.2f" % (label, a, b, b / a if a else 0))
for k, label in (("q_p50_us", "daemon read-to-verdict p50 us"), ("q_p99_us", "daemon read-to-verdict p99 us")):
    a, b = medq("1", k), medq("2", k)
    print("%-33s %12s %20s" % (label, "/".join("%.0f" % x for x in a), "/".join("%.0f" % x for x in b)))
PY
