#!/bin/sh
# The daemon's IPFIX export end to end (TAP): corpus captures replayed
# through `netify run -r` with a `config export` section, to nfcapd
# (nfdump) and nfacctd (pmacct) on loopback, and to a collector that is
# never up. What the collectors stored is read back and compared field by
# field (addresses, ports, times, counters both ways, MACs, end reason,
# application ID and name, host) with netify's own flow records (its
# monitor JSON on stdout). The third capture is replayed in real time;
# nfcapd stops during it and starts again: it must decode what comes after
# (templates sent again), and the collector that is down costs counters.
set -u
build=$(pwd)
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
netify=${NETIFY:-$build/netify}
corpus=${NETIFY_CORPUS:-$top/../shared/corpus/ndpi/pcap}
check="python3 $top/tests/export/replay_check.py"

skip_all() { echo "1..0 # SKIP $1"; exit 0; }
for cmd in nfcapd nfdump nfacctd python3; do
	command -v $cmd >/dev/null 2>&1 || skip_all "$cmd not installed (scripts/deps test)"
done
[ -x "$netify" ] || skip_all "$netify not built"
for cap in 1kxun.pcap youtube_quic.pcap weibo.pcap; do
	[ -f "$corpus/$cap" ] || skip_all "no $corpus/$cap"
done

tmp=$(mktemp -d /tmp/netify-xreplay.XXXXXX) || exit 1
pids=""
stop() {	# $1: pid; waits (5 s at most) until it has written its files
	kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	j=0
	while kill -0 "$1" 2>/dev/null && [ $j -lt 50 ]; do
		[ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ] && break
		sleep 0.1
		j=$((j + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	for p in $pids; do stop "$p"; done
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { desc=$1; shift; if "$@" >"$tmp/out" 2>&1; then ok "$desc"; else notok "$desc"; fi; sed 's/^/# /; s/^# #/#/' "$tmp/out"; }

set -- $(python3 -c '
import socket
for _ in range(3):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
p_nf=$1 p_pm=$2 p_dead=$3

. "$(cd "$(dirname "$0")" && pwd)/collib.sh"
start_nfcapd() {	# $1: directory
	mkdir -p "$1"
	nfcapd -w "$1" -b 127.0.0.1 -p "$p_nf" -t 3600 >"$1.log" 2>&1 &
	nf_pid=$!
	pids="$pids $nf_pid"
	wait_port udp "$p_nf"
}

nfacctd_conf "$tmp" "$p_pm" "$tmp/pmacct.json"
mkdir "$tmp/run"
cat >"$tmp/netify.conf" <<EOF
config netify 'main'
	option monitor_socket '$tmp/run/m.sock'
	option control_socket '$tmp/run/c.sock'
	option apps_dir '$top/policy/apps.d'
	option usage '0'

config export 'export'
	option enabled '1'
	list collector '127.0.0.1:$p_nf'
	list collector 'udp://127.0.0.1:$p_pm'
	list collector '127.0.0.1:$p_dead'
	option observation_domain '7'
	option active_timeout 'ACTIVE'
	option template_refresh '600'
EOF
# 1kxun.pcap jumps years ahead at its end: every live flow is due an
# active-timeout record at once. With 60 s that is one burst of about 200
# records (a burst of thousands overruns the collectors' socket buffers on
# loopback: they lose messages, nfcapd counts them as sequence errors);
# the real-time replay uses 2 s so that records flow while it runs.
sed 's/ACTIVE/60/' "$tmp/netify.conf" >"$tmp/netify60.conf"
sed -i 's/ACTIVE/2/' "$tmp/netify.conf"

echo "1..8"
start_nfcapd "$tmp/nf1"
nfacctd -f "$tmp/nfacctd.conf" >"$tmp/nfacctd.log" 2>&1 &
pm_pid=$!
pids="$pids $pm_pid"
wait_port udp "$p_pm" || echo "# nfacctd slow to start"

"$netify" apps list --json --dir "$top/policy/apps.d" >"$tmp/apps.json"
rc=0
: >"$tmp/mon.json"
for cap in 1kxun.pcap youtube_quic.pcap; do
	echo "#run $cap" >>"$tmp/mon.json"
	"$netify" run -c "$tmp/netify60.conf" -r "$corpus/$cap" >>"$tmp/mon.json" 2>"$tmp/err.1" || rc=1
	cat "$tmp/err.1" >>"$tmp/err"
	# whatever a collector misses, netify sent it all: nothing dropped here
	grep -q "records (.*), 0 dropped by the queue" "$tmp/err.1" &&
		[ "$(grep -c "export: collector [12] .* 0 errors, 0 dropped" "$tmp/err.1")" = 2 ] || rc=1
done

# in real time (6 s): nfcapd goes away for 1.5 s in the middle
echo "#run weibo.pcap" >>"$tmp/mon.json"
"$netify" run -c "$tmp/netify.conf" -r "$corpus/weibo.pcap" --pace >>"$tmp/mon.json" 2>"$tmp/err3" &
nfy=$!
pids="$pids $nfy"
sleep 1
stop "$nf_pid"
sleep 2.5
NETIFY_CONTROL_SOCKET=$tmp/run/c.sock "$netify" status --json >"$tmp/status.json" 2>"$tmp/status.err"
NETIFY_CONTROL_SOCKET=$tmp/run/c.sock "$netify" status >"$tmp/status.txt" 2>>"$tmp/status.err"
start_nfcapd "$tmp/nf2"
wait "$nfy" || rc=1
cat "$tmp/err3" >>"$tmp/err"
sleep 1.5	# nfacctd's print plugin writes every second
stop "$nf_pid"
stop "$pm_pid"

d="three replays with export ran; netify dropped nothing for nfcapd and nfacctd in the first two"
if [ $rc = 0 ]; then ok "$d"; else notok "$d"; sed 's/^/# /' "$tmp/err"; fi

check "nfacctd: every flow of the three replays, field by field (addresses, ports, times, counters both ways, MACs, flowId, end reason, forwarding status, applicationId, applicationName as class, host)" \
	$check pmacct "$tmp/apps.json" "$tmp/mon.json" "$tmp/pmacct.json" --pcaps="$corpus/1kxun.pcap,$corpus/youtube_quic.pcap,$corpus/weibo.pcap"

export TZ=UTC
nfdump -R "$tmp/nf1" -o json >"$tmp/nf1.json" 2>"$tmp/nfdump.err"
check "nfcapd: every flow of the first two replays, field by field (addresses, ports, times, counters both ways, MACs)" \
	$check nfdump "$tmp/apps.json" "$tmp/mon.json" "$tmp/nf1.json" --need=1,2 --pcaps="$corpus/1kxun.pcap,$corpus/youtube_quic.pcap,$corpus/weibo.pcap"
nfdump -R "$tmp/nf2" -o json >"$tmp/nf2.json" 2>>"$tmp/nfdump.err"
check "nfcapd restarted mid-replay: templates again, what came after decoded right" \
	$check nfdump "$tmp/apps.json" "$tmp/mon.json" "$tmp/nf2.json" --some

check "the collector that was never up and nfcapd's outage cost counters only (the replay's last log)" python3 -c '
import re, sys
log = open(sys.argv[1]).read()
lines = [l for l in log.splitlines() if "export: collector" in l][-3:]
print("\n".join("# " + l for l in lines))
assert len(lines) == 3, log
nf, pm, dead = lines
num = lambda l, w: int(re.search(r"(\d+) " + w, l).group(1))
assert num(pm, "errors") == 0 and num(pm, "dropped") == 0 and num(pm, "records") > 0, pm
assert num(dead, "errors") > 0 and num(dead, "dropped") > 0 and num(dead, "records") == 0, dead
assert num(nf, "errors") > 0 and num(nf, "templates") >= 2, nf
assert re.search(r"records .* 0 dropped by the queue", log), log
' "$tmp/err3"

check "netify status --json during a replay: the export counters (records, dropped, collectors up/down, templates)" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
x = s["export"]
print("# export:", json.dumps(x)[:600])
assert x["source"] == "replay" and x["observation_domain"] == 7
assert x["records"] > 0 and x["dropped"] == 0
c = x["collectors"]
assert len(c) == 3 and c[1]["up"] is True and c[1]["templates"] >= 1, c
assert c[2]["up"] is False and c[2]["errors"] > 0, c
' "$tmp/status.json"

if python3 -c 'import jsonschema' 2>/dev/null; then
	check "netify status --json: its export object matches schema/agent_status.json" python3 -c '
import json, sys, jsonschema
s = json.load(open(sys.argv[2]))
schema = json.load(open(sys.argv[1]))
sub = dict(schema["properties"]["export"], **{"$defs": schema["$defs"]})
jsonschema.Draft202012Validator(sub).validate(s["export"])
' "$top/schema/agent_status.json" "$tmp/status.json"
else
	ok "# SKIP status schema: python3-jsonschema not installed"
fi
check "netify status (text) shows the export and its collectors" sh -c "cat '$tmp/status.txt' | sed -n '/^export:/,\$p'; grep -q '^export:' '$tmp/status.txt' && grep -q 'udp://127.0.0.1:$p_dead' '$tmp/status.txt'"
[ $fails = 0 ] || { echo "# logs:"; tail -n 5 "$tmp"/*.log "$tmp/err" | sed 's/^/# /'; }
exit 0
