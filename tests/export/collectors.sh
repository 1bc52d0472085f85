#!/bin/sh
# IPFIX export against the real collectors, on loopback (TAP):
#   nfcapd (nfdump) and nfacctd (pmacct) over UDP, and a TCP collector
#   whose stream tshark's IPFIX dissector reads from a capture.
# export_tool exports known records (tests/export/export_tool.c), among
# them hostile strings; check.py compares what each collector stored,
# field by field. Mid-stream nfcapd and the TCP collector stop and start
# again: records sent while they are down are only counted, and after
# they are back they get templates again and decode what follows; nfacctd
# never stops and must have everything.
set -u
build=$(pwd)
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
tool=$build/tests/export/export_tool
check="python3 $top/tests/export/check.py"
pen=32473	# RFC 5612's enterprise number for documentation: tests only

skip_all() { echo "1..0 # SKIP $1"; exit 0; }
for cmd in nfcapd nfdump nfacctd python3; do
	command -v $cmd >/dev/null 2>&1 || skip_all "$cmd not installed (scripts/deps test)"
done
[ -x "$tool" ] || skip_all "$tool not built"
have_tcp=1
if ! command -v tshark >/dev/null 2>&1 || ! command -v nc >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
	have_tcp=0	# capturing on lo needs root
fi

tmp=$(mktemp -d /tmp/netify-ipfix.XXXXXX) || exit 1
pids=""
cleanup() {
	exec 9>&- 2>/dev/null
	for p in $pids; do stop "$p"; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { desc=$1; shift; if "$@" >"$tmp/out" 2>&1; then ok "$desc"; else notok "$desc"; fi; sed 's/^/# /; s/^# #/#/' "$tmp/out"; }

# three free ports (bound and released; collectors take them right after)
set -- $(python3 -c '
import socket
for t in (socket.SOCK_DGRAM, socket.SOCK_DGRAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, t); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
p_nf=$1 p_pm=$2 p_tcp=$3

start_nfcapd() {	# $1: directory
	mkdir -p "$1"
	nfcapd -w "$1" -b 127.0.0.1 -p "$p_nf" -t 3600 >"$1.log" 2>&1 &
	nf_pid=$!
	pids="$pids $nf_pid"
}
stop() {	# $1: pid; waits (5 s at most) until it has written its files
	kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	j=0
	while kill -0 "$1" 2>/dev/null && [ $j -lt 50 ]; do
		# nfacctd's core stays as a zombie's parent after TERM
		[ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ] && break
		sleep 0.1
		j=$((j + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
start_sink() {	# a TCP collector that takes the stream (tshark reads it)
	nc -lk 127.0.0.1 "$p_tcp" >/dev/null 2>&1 &
	nc_pid=$!
	pids="$pids $nc_pid"
}
. "$(cd "$(dirname "$0")" && pwd)/collib.sh"

nfacctd_conf "$tmp" "$p_pm" "$tmp/pmacct.json"

echo "1..9"
start_nfcapd "$tmp/nf1"
nfacctd -f "$tmp/nfacctd.conf" >"$tmp/nfacctd.log" 2>&1 &
pm_pid=$!
pids="$pids $pm_pid"
collectors="-c 127.0.0.1:$p_nf -c udp://127.0.0.1:$p_pm"
if [ $have_tcp = 1 ]; then
	tshark -i lo -f "tcp port $p_tcp" -w "$tmp/tcp.pcapng" >"$tmp/tshark.log" 2>&1 &
	ts_pid=$!
	pids="$pids $ts_pid"
	start_sink
	collectors="$collectors -c tcp://127.0.0.1:$p_tcp"
	i=0
	while [ $i -lt 100 ] && ! grep -q "Capturing on" "$tmp/tshark.log"; do sleep 0.1; i=$((i + 1)); done
	wait_port tcp "$p_tcp"
fi
wait_port udp "$p_nf" && wait_port udp "$p_pm" || echo "# collectors slow to start"

# the exporter, driven through a fifo; -r 600: templates come back after a
# restart because the collector refused messages, not by the clock
mkfifo "$tmp/cmd"
# shellcheck disable=SC2086
"$tool" $collectors -d 4242 -p $pen -r 600 -e "$tmp/expect.json" <"$tmp/cmd" >"$tmp/tool.out" 2>"$tmp/tool.err" &
tool_pid=$!
pids="$pids $tool_pid"
exec 9>"$tmp/cmd"
dones() { d=$(grep -c '^done' "$tmp/tool.out" 2>/dev/null); echo "${d:-0}"; }
say() {	# a command, then wait for its "done"
	want=$(($(dones) + 1))
	echo "$1" >&9
	i=0
	while [ "$(dones)" -lt $want ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
tcp_connects() {
	say stats
	grep '^{' "$tmp/tool.out" | tail -1 | python3 -c '
import json, sys
print(json.load(sys.stdin)["collectors"][2]["connects"])' 2>/dev/null || echo 0
}

say "batch 1 16"
# nfcapd and the TCP collector stop; batch 2 finds them down
stop "$nf_pid"
[ $have_tcp = 1 ] && stop "$nc_pid"
sleep 0.3
say "batch 2 8"
start_nfcapd "$tmp/nf2"
wait_port udp "$p_nf"
if [ $have_tcp = 1 ]; then
	start_sink
	wait_port tcp "$p_tcp"
	i=0
	while [ "$(tcp_connects)" -lt 2 ] && [ $i -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
fi
say "batch 3 16"
say quit
exec 9>&-
i=0
while kill -0 "$tool_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
wait "$tool_pid"
tool_rc=$?
sleep 1.5	# nfacctd's print plugin writes every second
stop "$nf_pid"
stop "$pm_pid"
[ $have_tcp = 1 ] && { stop "$nc_pid"; sleep 0.5; stop "$ts_pid"; }
grep '^{' "$tmp/tool.out" | tail -1 >"$tmp/stats.json"

if [ $tool_rc = 0 ] && [ -s "$tmp/stats.json" ]; then ok "export_tool ran"; else notok "export_tool ran (rc $tool_rc)"; cat "$tmp/tool.err" | sed 's/^/# /'; fi

export TZ=UTC
nfdump -R "$tmp/nf1" -o json >"$tmp/nf1.json" 2>"$tmp/nfdump.err"
check "nfcapd: batch 1 field by field (addresses v4/v6, ports, times, counters both ways, MACs)" \
	$check nfdump "$tmp/expect.json" "$tmp/nf1.json" 1
nfdump -R "$tmp/nf1" -o 'fmt:%sp|%dp|%pr|%nbid' -N >"$tmp/nf1.app" 2>>"$tmp/nfdump.err"
# nfdump prints the protocol by name: back to numbers
sed -i 's/|TCP *|/|6|/; s/|UDP *|/|17|/' "$tmp/nf1.app"
check "nfcapd: batch 1 applicationId (its 5 bytes as nfdump 1.7.1 prints them)" $check nfdump-app "$tmp/expect.json" "$tmp/nf1.app" 1
nfdump -R "$tmp/nf2" -o json >"$tmp/nf2.json" 2>>"$tmp/nfdump.err"
check "nfcapd restarted: templates again, batch 3 decoded, nothing of batch 2 while it was down" \
	$check nfdump "$tmp/expect.json" "$tmp/nf2.json" 3
check "nfacctd (never down): batches 1-3 field by field (addresses, ports, times, counters both ways, MACs, flowId, end reason, forwarding status, applicationId, its name from the options records, host)" \
	$check pmacct "$tmp/expect.json" "$tmp/pmacct.json" 1,2,3

check "counters: nothing refused by the queue; nfacctd lost nothing; nfcapd down counted" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
c = s["collectors"]
assert s["dropped"] == 0, s
assert s["records"] == 40 and s["encoded"] == 40, s
assert c[1]["dropped"] == 0 and c[1]["errors"] == 0, c[1]
assert c[0]["errors"] >= 1 and c[0]["dropped"] >= 1, c[0]
assert c[0]["templates"] >= 2, c[0]
print("# nfcapd:", c[0], "nfacctd:", c[1])
' "$tmp/stats.json"

if [ $have_tcp = 1 ]; then
	tshark -r "$tmp/tcp.pcapng" -d "tcp.port==$p_tcp,cflow" -Y cflow -T fields -E separator='|' \
		-E aggregator=';' -E occurrence=a -e tcp.stream -e cflow.sequence -e cflow.flowset_id \
		-e cflow.flow_id -e cflow.appl_name -e cflow.application_category_name \
		-e cflow.http_request_host >"$tmp/tshark.txt" 2>"$tmp/tshark.err"
	check "TCP collector (tshark): templates and sequence 0 on each connection, batches 1 and 3 with their strings" \
		$check tshark "$tmp/expect.json" "$tmp/tshark.txt" 1,3
	check "TCP collector down: batch 2 dropped and counted, connected twice" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["collectors"][2]
assert c["connects"] == 2 and c["dropped"] == 8 and c["templates"] == 2, c
print("# tcp:", c)
' "$tmp/stats.json"
else
	ok "# SKIP TCP collector: needs tshark, nc and root to capture on lo"
	ok "# SKIP TCP collector counters: as above"
fi
check "hostile strings reached nfacctd as valid UTF-8" python3 -c '
import sys
data = open(sys.argv[1], "rb").read()
data.decode("utf-8")
assert b"\xef\xbf\xbd" in data
' "$tmp/pmacct.json"
[ $fails = 0 ] || { echo "# logs:"; tail -n 5 "$tmp"/*.log | sed 's/^/# /'; }
exit 0
