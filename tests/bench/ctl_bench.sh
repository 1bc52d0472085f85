#!/bin/bash
# Control socket benchmark (not a test): this tree's netify against a
# baseline binary, in the same run, with the same load.
#
#   NETIFY_BASE=/path/to/old/netify tests/bench/ctl_bench.sh [SECONDS]
#
# NETIFY defaults to ./netify; without NETIFY_BASE only NETIFY is measured.
#
# 1. Hostile local clients (no root): the daemon (`netify run -r`, 3000
#    flows) under 8 hostile control clients for SECONDS (default 12): 3 that
#    pipeline requests and never read, 3 that send a 64 KiB burst and
#    close, 2 idle (tests/monitor/hostile_test.py --bench). RSS growth, and
#    `netify status` every 250 ms: how many answered, in how long.
# 2. `flows` at 65,536 flows (root: the namespace lab of tests/lab): the
#    inline daemon (queues 0-1) holding 65,536 UDP flows; the round trip of
#    new UDP flows through the router (queued to netify both ways: queue to
#    verdict, including the wait for a worker's lock) at 100 a second, p50,
#    p99 and max, without and then during back-to-back `flows` requests,
#    and those replies' time to the first byte and to the last. The daemon's
#    own read-to-verdict histogram cannot show the lock: a worker takes it
#    before it reads its queue, so the wait is spent in the kernel's queue.
set -u
SECS=${1:-12}
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
NETIFY=${NETIFY:-$top_srcdir/netify}
BINS="$NETIFY${NETIFY_BASE:+ $NETIFY_BASE}"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "== 1. 8 hostile control clients for $SECS s"
for bin in $BINS; do
	r=$(NETIFY=$bin python3 "$top_srcdir/tests/monitor/hostile_test.py" --bench --seconds "$SECS")
	echo "$bin:"
	echo "$r" | json '"  RSS +%.1f MiB (%d -> %d kB); netify status: %d of %d answered, p50 %.3f s, max %.3f s; after: exit %d in %.3f s" % ((d["rss_max"] - d["rss0"]) / 1024.0, d["rss0"], d["rss_max"], d["asked"] - d["failed"], d["asked"], d["p50"], d["max"], d["after_rc"], d["after_s"])'
done

if [ "$(id -u)" != 0 ]; then
	echo "== 2. skipped: the namespace lab needs root"
	exit 0
fi
echo "== 2. flows at 65,536 flows, namespace lab"
. "$top_srcdir/tests/lab/lablib.sh"
lab_init
exec 2>&1
PROBE="python3 $here/ctlprobe.py"
flows() { status | json 'd["flows"]'; }
wait_flows() { for i in $(seq 30); do [ "$(flows)" -ge "$1" ] && return 0; sleep 0.2; done; return 1; }
lab_up && servers_up || { echo "lab setup failed"; exit 1; }
bg_in $S $PROBE udp-echo 10.77.2.6 7001
LAB_MAIN_EXTRA="option flow_table_size '131072'" write_config
sleep 0.5
for bin in $BINS; do
	NETIFY=$bin
	daemon_start || { echo "$bin: netify did not start"; tail "$LAB/daemon.log"; exit 1; }
	# a loaded machine may lose some of a flood: top it up from other addresses
	inc python3 "$top_srcdir/tests/lab/labtool.py" udpflood 10.77.2.2,10.77.2.3 65536 20000 >/dev/null
	sleep 2
	have=$(flows)
	[ "$have" -lt 65536 ] && inc python3 "$top_srcdir/tests/lab/labtool.py" udpflood \
		10.77.2.4,10.77.2.5 $((65536 - have)) 10000 >/dev/null
	wait_flows 65536 || echo "  (only $(flows) flows)"
	sleep 2
	idle=$(inc $PROBE probe 10.77.2.6 7001 100 10)
	$PROBE flows "$LAB/ctl.sock" 12 >"$LAB/flows.json" &
	fpid=$!
	sleep 1
	busy=$(inc $PROBE probe 10.77.2.6 7001 100 10)
	wait $fpid
	echo "$bin: $(flows) flows"
	echo "  new UDP flows' round trip, no flows request: $(echo "$idle" | json '"p50 %s ms, p99 %s ms, max %s ms, %d lost of %d" % (d["p50_ms"], d["p99_ms"], d["max_ms"], d["lost"], d["sent"])')"
	echo "  during back-to-back flows requests:          $(echo "$busy" | json '"p50 %s ms, p99 %s ms, max %s ms, %d lost of %d" % (d["p50_ms"], d["p99_ms"], d["max_ms"], d["lost"], d["sent"])')"
	echo "  flows replies: $(json '"%d of %.1f MB, first byte p50 %s ms (max %s), whole p50 %s ms (max %s)" % (d["replies"], d["bytes"] / 1e6, d["first_byte_ms_p50"], d["first_byte_ms_max"], d["whole_ms_p50"], d["whole_ms_max"])' <"$LAB/flows.json")"
	echo "  p99 during / without: $(python3 -c "print('%.1fx' % ($(echo "$busy" | json 'd["p99_ms"]') / $(echo "$idle" | json 'd["p99_ms"]')))")"
	kill -TERM $DPID; wait $DPID; DPID=""
	inr conntrack -F >/dev/null 2>&1
	sleep 1
done
