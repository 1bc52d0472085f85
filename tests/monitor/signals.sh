#!/bin/sh
# `netify run -r` takes signals and reloads as the inline daemon does, and
# `netify reload` tells the truth (TAP):
#   - SIGHUP reloads (the replay goes on), SIGTERM and SIGINT end the
#     replay with its last events, its counters in the log, exit 0 and the
#     socket files removed;
#   - --pace waits out a gap longer than 2^32 microseconds in full;
#   - `netify reload` answers after the reload: "reloaded" and 0, or the
#     errors with file and line and 1, {"reload":false,"errors":[...]}.
here=$(cd "$(dirname "$0")" && pwd)
: "${NETIFY:=$here/../../netify}"
if ! command -v python3 >/dev/null || ! "$NETIFY" run --help 2>&1 | grep -q -- --pace; then
	echo "1..0 # SKIP needs python3 and netify run -r --pace"
	exit 0
fi
export ASAN_OPTIONS=detect_leaks=0 NETIFY_CONFIG=/nonexistent
tmp=$(mktemp -d /tmp/netify-signals.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/apps"
conf() {
	cat > "$tmp/netify" <<EOC
config netify 'main'
	option monitor_socket '$tmp/m.sock'
	option control_socket '$tmp/c.sock'
	option status_interval '1'
	option apps_dir '$tmp/apps'
$1
EOC
}
n=0
t() { n=$((n + 1)); if "$@" >>"$tmp/log" 2>&1; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; sed 's/^/# /' "$tmp/log" | tail -20; fi; : >"$tmp/log"; }
# starts the replay of $1 in the background, waits for its control socket
start() {
	rm -f "$tmp/err"
	"$NETIFY" run -c "$tmp/netify" -r "$1" --pace >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	i=0
	while ! "$NETIFY" status --socket "$tmp/c.sock" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -gt 200 ] && return 1
		kill -0 $pid 2>/dev/null || return 1
		sleep 0.05
	done
}
# waits up to 20 s for the replay to end (then kills it): its exit status in $rc
finish() {
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 $pid 2>/dev/null
	wait $pid
	rc=$?
	pid=""
}
alive() { kill -0 $pid 2>/dev/null; }
ended_cleanly() {
	[ "$rc" = 0 ] && grep -q "worker 0: packets 1 " "$tmp/err" && ! [ -e "$tmp/c.sock" ] &&
		! [ -e "$tmp/m.sock" ] && grep -q '"type":"flow_purge"' "$tmp/out"
}
python3 "$here/mkpcap.py" gap "$tmp/hour.pcap" 3600
# 2^32 us + 0.1 s: a 32-bit microsecond sleep would last 0.1 s
python3 "$here/mkpcap.py" gap "$tmp/wrap.pcap" 4295.0673
echo "1..10"
conf ""

start "$tmp/hour.pcap"
kill -HUP $pid
sleep 1
desc="run -r: SIGHUP reloads, the replay goes on"
t sh -c "kill -0 $pid && grep -q 'reloaded: 0 rules' '$tmp/err' &&
	'$NETIFY' status --socket '$tmp/c.sock' | grep -q running"
kill -TERM $pid
finish
desc="run -r: SIGTERM ends it: exit 0, last events, counters logged, sockets removed"
t ended_cleanly

start "$tmp/hour.pcap"
kill -INT $pid
finish
desc="run -r: SIGINT ends it the same way"
t ended_cleanly

start "$tmp/wrap.pcap"
sleep 3
desc="run -r --pace: a gap of 2^32 us + 0.1 s is not cut short"
t sh -c "kill -0 $pid && '$NETIFY' status --json --socket '$tmp/c.sock' | grep -q '\"flows\":1,'"
kill -TERM $pid
finish

start "$tmp/hour.pcap"
desc="netify reload of a good file: reloaded, exit 0"
t sh -c "'$NETIFY' reload --socket '$tmp/c.sock' | grep -qx reloaded"
conf "config rule 'r1'
	list app 'nosuchapp'
	option action 'block'"
"$NETIFY" reload --socket "$tmp/c.sock" >"$tmp/rl.out" 2>"$tmp/rl.err"
rrc=$?
desc="netify reload of a bad file: exit 1, the error with file and line"
t sh -c "[ $rrc = 1 ] && grep -q '^$tmp/netify:[0-9]*: .*nosuchapp' '$tmp/rl.err' &&
	grep -q 'reload failed' '$tmp/rl.err' && ! grep -q reloaded '$tmp/rl.out'"
desc="control socket: {\"reload\":false,\"errors\":[...]} with the same error"
t sh -c "'$NETIFY' reload --json --socket '$tmp/c.sock' >'$tmp/rl.json'; [ \$? = 1 ] &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d[\"reload\"] is False and
		len(d[\"errors\"]) == 1 and \"nosuchapp\" in d[\"errors\"][0]))' '$tmp/rl.json'"
desc="a reload that failed keeps the running configuration (0 rules)"
t sh -c "'$NETIFY' status --json --socket '$tmp/c.sock' | grep -q '\"rules\":0,' &&
	grep -q 'reload failed; keeping the running policy' '$tmp/err'"
conf "config rule 'r1'
	option proto 'DNS'
	option action 'block'"
desc="netify reload of the fixed file: reloaded, 1 rule"
t sh -c "'$NETIFY' reload --socket '$tmp/c.sock' | grep -qx reloaded &&
	'$NETIFY' status --json --socket '$tmp/c.sock' | grep -q '\"rules\":1,'"
kill -TERM $pid
finish
desc="the replay that reloaded ends cleanly"
t ended_cleanly
