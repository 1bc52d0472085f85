#!/bin/sh
# Hostile bytes never reach a terminal raw (TAP): an HTTP Host with ESC,
# BEL and CR from a replayed capture in `netify flows`, a configuration
# value with a newline in `netify check` and in the daemon's log, a catalog
# file whose name holds ESC in `netify apps`; JSON output stays JSON.
here=$(cd "$(dirname "$0")" && pwd)
: "${NETIFY:=$here/../../netify}"
if ! command -v python3 >/dev/null || ! "$NETIFY" run --help 2>&1 | grep -q -- --pace; then
	echo "1..0 # SKIP needs python3 and netify run -r --pace"
	exit 0
fi
export ASAN_OPTIONS=detect_leaks=0 NETIFY_CONFIG=/nonexistent
tmp=$(mktemp -d /tmp/netify-escape.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/apps"
n=0
t() { n=$((n + 1)); if "$@" >>"$tmp/log" 2>&1; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; sed 's/^/# /' "$tmp/log" | tail -20; fi; : >"$tmp/log"; }
# no byte below 0x20 but newline, no DEL, in file $1
clean() { ! LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$1"; }
lines() { [ "$(wc -l <"$1")" = "$2" ]; }
cat > "$tmp/netify" <<EOC
config netify 'main'
	option monitor_socket '$tmp/m.sock'
	option control_socket '$tmp/c.sock'
	option apps_dir '$tmp/apps'
EOC
python3 "$here/mkpcap.py" http "$tmp/host.pcap" '\x1b]0;pwned\x07evil\r.example.com' 3600
echo "1..8"

"$NETIFY" run -c "$tmp/netify" -r "$tmp/host.pcap" --pace >/dev/null 2>"$tmp/err" &
pid=$!
i=0
while ! "$NETIFY" status --socket "$tmp/c.sock" >/dev/null 2>&1 && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
"$NETIFY" flows --socket "$tmp/c.sock" >"$tmp/flows" 2>&1
desc="netify flows: the Host's ESC, BEL and CR are escaped, not sent to the terminal"
flows_escaped() { clean "$tmp/flows" && grep -qF '\e]0;pwned\aevil\r.example.com' "$tmp/flows"; }
t flows_escaped
"$NETIFY" flows --json --socket "$tmp/c.sock" >"$tmp/flows.json" 2>&1
desc="netify flows --json: the same Host as JSON escapes"
t grep -qF '"host_server_name":"\u001B]0;pwned\u0007evil\r.example.com"' "$tmp/flows.json"

# a rule name with a newline in it, in the daemon's log through a reload
printf "\nconfig rule 'r1'\n\toption name 'x\nnetify: reloaded: 99 rules'\n\tlist app 'nosuch'\n\toption action 'block'\n" >>"$tmp/netify"
"$NETIFY" reload --socket "$tmp/c.sock" >"$tmp/reload.out" 2>"$tmp/reload.err"
desc="netify reload: the error quoting the value is one line, escaped"
reload_escaped() {
	clean "$tmp/reload.err" && grep -qF "rule 'x\nnetify: reloaded: 99 rules'" "$tmp/reload.err" &&
		lines "$tmp/reload.err" 3
}
t reload_escaped
kill -TERM $pid
wait $pid
pid=""
desc="the daemon's log: the same error on one line, no forged 'reloaded' line"
log_escaped() {
	clean "$tmp/err" && ! grep -q '^netify: reloaded: 99' "$tmp/err" &&
		grep -qF "rule 'x\nnetify: reloaded: 99 rules'" "$tmp/err"
}
t log_escaped

"$NETIFY" check -c "$tmp/netify" >"$tmp/check.out" 2>"$tmp/check.err"
desc="netify check: a value with a newline cannot forge an error line"
check_escaped() { clean "$tmp/check.err" && lines "$tmp/check.err" 2 && grep -qx '1 error' "$tmp/check.err"; }
t check_escaped
sed -i '/^config rule/,$d' "$tmp/netify"
printf "\nconfig rule 'r2'\n\toption name 'bell\a and \033[2J clear'\n\toption proto 'DNS'\n\toption action 'block'\n" >>"$tmp/netify"
"$NETIFY" check -c "$tmp/netify" >"$tmp/check.out" 2>"$tmp/check.err"
desc="netify check: the effective policy prints names escaped"
policy_escaped() { clean "$tmp/check.out" && grep -qF 'bell\a and \e[2J clear' "$tmp/check.out"; }
t policy_escaped

# a catalog file whose name holds ESC: its warnings quote the name
printf 'app:900:x\ndom:901:y.example\n' >"$tmp/apps/$(printf 'evil\033]0;t\007').conf"
"$NETIFY" apps list --dir "$tmp/apps" >"$tmp/apps.out" 2>"$tmp/apps.err"
desc="netify apps: a file name with ESC and BEL is escaped in warnings"
apps_escaped() { clean "$1" && grep -qF 'evil\e]0;t\a.conf' "$1"; }
t apps_escaped "$tmp/apps.err"
"$NETIFY" check -c "$tmp/netify" --apps "$tmp/apps" >/dev/null 2>"$tmp/check.err"
desc="netify check: catalog warnings escaped too"
t apps_escaped "$tmp/check.err"
