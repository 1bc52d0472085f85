#!/bin/bash
# Daily limits and usage with the real daemon in the namespace lab (TAP):
#
#   client c0 (device 'kid') -- router running `netify run` -- server
#
# The server streams at 50 kB/s from two addresses the catalog names
# 'labstream' (10.77.2.5, a TikTok stand-in) and 'labother' (10.77.2.6).
# A rule gives 'kid' one minute of labstream a day (and another 100 MB of
# labother, with a warning at 2%, which it never reaches); the usage day starts
# 2 minutes after the streams do (reset_time), so the test sees the limit
# reached at the end of the first active minute, the stream cut, labother
# untouched, new labstream connections refused (also across a restart:
# the state file), and allowed again at the reset. The usage figures of
# labother are compared with the kernel's conntrack counters; a truncated
# state file is set aside. How long the cut took is printed (TAP comments),
# never asserted. Takes about 2.5 minutes (it needs real minutes). Needs
# root; skips itself otherwise.
set -u

. "$(cd "$(dirname "$0")" && pwd)/lablib.sh"
lab_init
TRAFFIC="python3 $top_srcdir/tests/usage/traffic.py"
VALIDATE="python3 $top_srcdir/tests/monitor/validate.py"
python3 -c 'import jsonschema' 2>/dev/null || skip_all "needs python3-jsonschema"

echo "1..18"

usage() { NETIFY_CONTROL_SOCKET=$LAB/ctl.sock "$NETIFY" usage "$@"; }
# jq-like: python3 expression over the JSON on stdin as d
js() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# first event of TYPE for the rule as one JSON line
event() { grep "\"type\":\"$1\"" "$LAB/events" | grep '"rule":"tiktok 1m"' | head -1; }
wait_until() { while [ "$(date +%s)" -lt "$1" ]; do sleep 0.2; done; }
# "obytes rbytes" of the one conntrack entry the router's conntrack -L finds
ct_bytes() {
	inr conntrack -L "$@" 2>/dev/null | head -1 |
		awk '{ n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^bytes=/) b[n++] = substr($i, 7); print b[0] + 0, b[1] + 0 }'
}
monitor() { timeout 300 nc -U "$LAB/mon.sock" >>"$LAB/events" 2>/dev/null & NCP=$!; PIDS="$PIDS $NCP"; }
# one short connection: prints the traffic.py line, or nothing when refused
fetch() { inc $TRAFFIC tcp-client "$1" 5001 "$2" 0 100000 2>/dev/null; }

lab_up; ok $? "lab: client, router, server namespaces over veth"
bg_in $S $TRAFFIC tcp-server 5001
for i in $(seq 50); do ins ss -ltn | grep -q ':5001 ' && break; sleep 0.1; done
MAC=$(ip -n $C -o link show c0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

# the streams start at M0 + 2 s; the usage day ends at RS = M0 + 120 s
now=$(date +%s)
M0=$(( (now + 20 + 59) / 60 * 60 ))
RS=$((M0 + 120))
RESET=$(date -d "@$RS" +%H:%M)
mkdir -p "$LAB/apps.d" "$LAB/state"
cat >"$LAB/apps.d/90-lab.conf" <<-EOT
cat:labcat:Lab
app:900010:labstream:labcat:Lab Stream
net:900010:10.77.2.5
app:900011:labother:labcat:Lab Other
net:900011:10.77.2.6
EOT
cat >"$LAB/netify.conf" <<-EOT
config netify 'main'
	option queue '0-1'
	list lan_network '10.77.1.0/24'
	option apps_dir '$LAB/apps.d'
	option monitor_socket '$LAB/mon.sock'
	option control_socket '$LAB/ctl.sock'
	option monitor_group 'root'
	option status_interval '5'
	option usage_dir '$LAB/state'
	option reset_time '$RESET'

config device 'kid'
	list mac '$MAC'

config rule 'tiktok'
	option name 'tiktok 1m'
	list device 'kid'
	list app 'labstream'
	option time_limit '1m'

config rule 'othercap'
	option name 'labother 100M'
	list device 'kid'
	list app 'labother'
	option volume_limit '100M'
	option limit_warn '2'
EOT
daemon_start; rc=$?
ok $rc "netify run with a 1-minute limit on labstream for 'kid' (the usage day starts at $RESET)"
if [ $rc != 0 ]; then
	sed 's/^/# /' "$LAB/daemon.log" | tail -20
	exit 0
fi
monitor
echo "# streams at $(date -d "@$((M0 + 2))" +%T), limit expected at $(date -d "@$((M0 + 60))" +%T), reset at $RESET"

# 3-5: both streams from M0 + 2 s: labstream 150 s, labother 75 s
wait_until $((M0 + 2))
inc $TRAFFIC tcp-client 10.77.2.6 5001 41002 0 -1 50000 75 >"$LAB/other.out" 2>&1 & OP=$!
inc $TRAFFIC tcp-client 10.77.2.5 5001 41001 0 -1 50000 150 >"$LAB/stream.out" 2>&1 & SP=$!
# hang guard only: the stream cannot outlive its 150 s (+5 s silence)
for i in $(seq 1000); do kill -0 $SP 2>/dev/null || break; sleep 0.2; done
wait $SP
ev=$(event limit_reached)
evms=$(echo "$ev" | js 'd["timestamp"]' 2>/dev/null)
boundary=$(( (M0 + 60) * 1000 ))
echo "$ev" | js 'd["by"] == "time" and d["used_s"] == 60 and d["mac"] == "'"$MAC"'" and d["device"] == "kid" and d["cut"] >= 1 and d["resets_at"] == '"$RS"' * 1000' |
	grep -qx True
ok $? "limit_reached for 'kid': by time, 60 s used, its live connection cut, renews at $RESET"
[ -n "$evms" ] && echo "# limit reached $((evms - boundary)) ms after the first active minute ended"
read -r _ _ _ got _ _ _ reset _ _ _ lastms <"$LAB/stream.out"
[ "${reset:-0}" = 1 ] && [ "${got:-0}" -gt 0 ] && [ "$got" -lt $((50000 * 150)) ]
ok $? "the labstream stream was cut ($got of $((50000 * 150)) bytes received, then reset)"
[ -n "$evms" ] && [ -n "${lastms:-}" ] && echo "# its last byte came $((lastms - evms)) ms after the limit_reached event"
wait $OP
read -r _ _ _ ogot _ _ _ oreset _ <"$LAB/other.out"
[ "$ogot" = $((50000 * 75)) ] && [ "$oreset" = 0 ]
ok $? "the same device's labother ran its 75 s to the end ($ogot bytes, no reset)"
# 6: labother's own volume limit warned at 2% (2 MB), never reached
wev=$(grep '"type":"limit_warning"' "$LAB/events" | grep '"rule":"labother 100M"' | head -1)
echo "$wev" | js 'd["by"] == "volume" and d["share"] >= 2 and d["used_bytes"] >= 2000000 and d["volume_limit"] == 100000000 and not d["reached"] and d["mac"] == "'"$MAC"'"' |
	grep -qx True && ! grep -q '"type":"limit_reached".*"rule":"labother 100M"' "$LAB/events"
ok $? "limit_warning for labother's 100 MB at 2% ($(echo "$wev" | js 'd["used_bytes"]' 2>/dev/null) bytes used), not reached"

# 7-8: new connections: labstream refused, labother served
[ -z "$(fetch 10.77.2.5 41003)" ]
ok $? "a new labstream connection is refused"
fetch 10.77.2.6 41004 | grep -q 'received 100000 '
ok $? "a new labother connection works"

# 9: the budget as netify usage says it
usage --json --device kid --app labstream >"$LAB/u1.json"
usage --limits --json >"$LAB/l1.json"
js 'd["devices"][0]["totals"]["active_s"] == 60' <"$LAB/u1.json" | grep -qx True &&
js '[l for l in d["limits"] if l["rule"] == "tiktok 1m" and l["mac"] == "'"$MAC"'" and l["reached"] and l["used_s"] == 60 and l["remaining_s"] == 0 and l["resets_at"] == '"$RS"' * 1000] != []' \
	<"$LAB/l1.json" | grep -qx True
ok $? "netify usage: labstream 60 s active today, the limit reached, renewing at $RESET"

# stops the daemon; only it (a bare `wait` would wait for the servers)
daemon_stop() { [ -n "$DPID" ] && kill -TERM $DPID && wait $DPID; DPID=""; }

# 10-11: a restart keeps what was counted and the spent budget
usage --json --device kid >"$LAB/before.json"
daemon_stop
[ -s "$LAB/state/usage.state" ] && daemon_start && monitor &&
	usage --json --device kid >"$LAB/after.json" &&
	python3 - "$LAB/before.json" "$LAB/after.json" <<-'PY'
	# What the daemon answered before SIGTERM is all there after the
	# restart. A figure may have grown: notes and readings that came
	# between the question and the signal (a minute's dump, the decided
	# flows still in the workers' ring) are counted and saved at exit.
	import json, sys
	a, b = (json.load(open(f))["devices"] for f in sys.argv[1:])
	bad = []
	def cmp(x, y, where):
	    if isinstance(x, dict) and isinstance(y, dict):
	        for k in x:
	            if k not in y:
	                bad.append(where + "." + k + " lost")
	            else:
	                cmp(x[k], y[k], where + "." + k)
	    elif isinstance(x, list) and isinstance(y, list):
	        keyed = lambda l: {json.dumps({k: v for k, v in e.items() if isinstance(v, str)}, sort_keys=True): e
	                           for e in l if isinstance(e, dict)}
	        kx, ky = keyed(x), keyed(y)
	        if len(kx) != len(x) or len(ky) != len(y):
	            if x != y:
	                bad.append(where + ": %r != %r" % (x, y))
	            return
	        for k in kx:
	            if k not in ky:
	                bad.append(where + "[" + k + "] lost")
	            else:
	                cmp(kx[k], ky[k], where + "[" + k + "]")
	    elif isinstance(x, bool) or not isinstance(x, (int, float)):
	        if x != y:
	            bad.append(where + ": %r != %r" % (x, y))
	    elif not isinstance(y, (int, float)) or y < x:
	        bad.append(where + ": %r then %r" % (x, y))
	    elif y != x:
	        print("# grew while stopping: %s %r -> %r" % (where, x, y))
	cmp(a, b, "devices")
	for l in bad:
	    print("# " + l)
	sys.exit(1 if bad or not a else 0)
	PY
ok $? "SIGTERM saves, a restart loads: netify usage gives the same figures ($(stat -c %s "$LAB/state/usage.state" 2>/dev/null) bytes of state)"
usage --limits --json | js '[l for l in d["limits"] if l["rule"] == "tiktok 1m" and l["reached"]] != []' | grep -qx True &&
	[ -z "$(fetch 10.77.2.5 41005)" ] && fetch 10.77.2.6 41006 | grep -q 'received 100000 '
ok $? "after the restart the budget is still spent: labstream refused, labother served"

# 12-13: the usage day ends at $RESET: the budget renews
wait_until $((RS + 2))
for i in $(seq 50); do [ -n "$(event limit_reset)" ] && break; sleep 0.2; done
event limit_reset | js 'd["reason"] == "day" and d["mac"] == "'"$MAC"'"' | grep -qx True
ok $? "limit_reset at $RESET: a new usage day"
fetch 10.77.2.5 41007 | grep -q 'received 100000 '
ok $? "after the reset a new labstream connection works"

# 14: labother's bytes equal the kernel's counters of its connections
# (both ended, in TIME_WAIT; the minute dump read them before the day ended)
read -r o1 r1 _ <<<"$(ct_bytes -p tcp --sport 41002)"
read -r o2 r2 _ <<<"$(ct_bytes -p tcp --sport 41004)"
read -r o3 r3 _ <<<"$(ct_bytes -p tcp --sport 41006)"
kin=$((r1 + r2 + r3)) kout=$((o1 + o2 + o3))
yesterday=$(date -d "@$((RS - 86400))" +%F)	# the day that ended at $RESET began then
usage --json --device kid --app labother --since "$yesterday" >"$LAB/u2.json"
uin=$(js 'd["devices"][0]["totals"]["bytes_in"]' <"$LAB/u2.json")
uout=$(js 'd["devices"][0]["totals"]["bytes_out"]' <"$LAB/u2.json")
echo "# labother: kernel in $kin out $kout, netify usage in $uin out $uout"
python3 -c "import sys; k,u=int(sys.argv[1]),int(sys.argv[2]); sys.exit(not (k > 3750000 and abs(u - k) <= k / 100))" "$kin" "${uin:-0}" &&
python3 -c "import sys; k,u=int(sys.argv[1]),int(sys.argv[2]); sys.exit(not (k > 0 and abs(u - k) <= k / 100))" "$kout" "${uout:-0}"
ok $? "netify usage equals the kernel's conntrack counters within 1% (in $uin / $kin, out $uout / $kout)"

# 15: the readable table names the device and its applications
usage --since "$yesterday" >"$LAB/table.txt"
grep -q "^kid ($MAC)" "$LAB/table.txt" && grep -q '^  labother ' "$LAB/table.txt" && grep -q '^  labstream ' "$LAB/table.txt"
ok $? "netify usage prints a table per device with its applications"
usage --json --hours >"$LAB/hours.json"
usage --json --category labcat --since "$yesterday" >"$LAB/cat.json"

# 16: a truncated state file is reported, set aside, and the daemon runs
daemon_stop
size=$(stat -c %s "$LAB/state/usage.state")
truncate -s $((size / 2)) "$LAB/state/usage.state"
daemon_start && usage --json >/dev/null && grep -q "state file $LAB/state/usage.state is not usable" "$LAB/daemon.log" &&
	ls "$LAB"/state/usage.state.bad-* >/dev/null 2>&1
ok $? "a truncated state file: reported ($(grep -m1 'is not usable' "$LAB/daemon.log" | sed 's/.*usage: //' | cut -c1-150)), set aside, the daemon runs"
daemon_stop

# 17: every monitor message matched its schema, limit messages included
kill $NCP 2>/dev/null
$VALIDATE --require limit_warning --require limit_reached --require limit_reset "$LAB/events" >"$LAB/validate.out" 2>&1
ok $? "monitor stream: limit_warning, limit_reached, limit_reset and the rest schema-valid ($(tail -1 "$LAB/validate.out"))"

# 18: the usage control replies above match schema/usage.json
python3 - "$top_srcdir/schema/usage.json" "$LAB"/u1.json "$LAB"/l1.json "$LAB"/before.json "$LAB"/after.json \
	"$LAB"/u2.json "$LAB"/hours.json "$LAB"/cat.json >"$LAB/uschema.out" 2>&1 <<-'PY'
	import json, sys
	import jsonschema
	v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
	bad = ["%s: %s" % (f.rsplit("/", 1)[-1], e.message) for f in sys.argv[2:]
	       for e in v.iter_errors(json.load(open(f)))]
	print("\n".join(bad[:10]) or "%d replies" % (len(sys.argv) - 2))
	sys.exit(1 if bad else 0)
	PY
ok $? "netify usage --json (device, application, category, since, hours, limits): schema-valid ($(tail -1 "$LAB/uschema.out"))"

if [ $fails -ne 0 ]; then
	echo "# daemon log:"; sed 's/^/#   /' "$LAB/daemon.log" | tail -40
	echo "# events:"; grep limit "$LAB/events" | sed 's/^/#   /'
	for f in stream.out other.out u1.json l1.json u2.json table.txt validate.out uschema.out; do
		echo "# $f:"; sed 's/^/#   /' "$LAB/$f" 2>/dev/null | head -20
	done
	echo "# check log:"; sed 's/^/#   /' "$LAB/check.log" | tail -20
fi
exit 0
