#!/bin/sh
# The optional files of the monitor (issue 6): json_save_dir (status.json
# and flows.json rewritten every status interval, atomically) and
# capture_unknown_dir (a small pcap per flow that ends unknown), driven by
# `netify run -r CAPTURE` with the options in the UCI file. TAP.
here=$(cd "$(dirname "$0")" && pwd)
: "${NETIFY:=$here/../../netify}"
corpus=${NETIFY_CORPUS:-$here/../../../shared/corpus/ndpi/pcap}
validate="python3 $here/validate.py"

if ! "$NETIFY" run --help 2>&1 | grep -q -- --replay || ! [ -f "$corpus/safari.pcap" ] ||
   ! [ -f "$corpus/1kxun.pcap" ] ||
   ! python3 -c 'import jsonschema' 2>/dev/null; then
	echo "1..0 # SKIP needs netify run -r, the nDPI capture corpus, python3-jsonschema"
	exit 0
fi
tmp=$(mktemp -d /tmp/netify-files.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/apps"
# conf NAME EXTRA...: a config with the monitor's files and its own sockets
# (an empty monitor_socket is the default path, /var/run/netify/netify.sock:
# a replay of another test or checkout holding it left this one without a
# monitor, hence without files)
conf() {
	name=$1
	shift
	{
		printf "config netify 'main'\n\toption monitor_socket '%s'\n" "$tmp/$name.mon"
		printf "\toption control_socket '%s'\n\toption apps_dir '%s'\n" "$tmp/$name.ctl" "$tmp/apps"
		for o in "$@"; do printf "\toption %s\n" "$o"; done
	} > "$tmp/$name.conf"
}
n=0
t() { n=$((n + 1)); if "$@" >&2; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi; }
echo "1..11"

# ---- json_save_dir: read the files while a paced replay (~3 s) runs ----

conf js "status_interval '1'" "json_save_dir '$tmp/js'" "capture_unknown_dir '$tmp/jscap'"
"$NETIFY" run -c "$tmp/js.conf" -r "$corpus/safari.pcap" --pace >/dev/null 2>"$tmp/js.err" &
pid=$!
# Every read of a file that exists must parse: writers rename a complete
# temporary file over it. Keep a copy of each one read.
python3 - "$tmp/js" "$tmp/seen" "$pid" <<'PY' 2>"$tmp/reads.err"
import json, os, sys, time
d, out, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out)
seen = {"status.json": 0, "flows.json": 0}
bad = 0
def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
while alive():
    for name in seen:
        try:
            data = open(os.path.join(d, name), "rb").read()
        except FileNotFoundError:
            continue
        try:
            json.loads(data)
        except ValueError:
            bad += 1
            continue
        seen[name] += 1
        open(os.path.join(out, name), "wb").write(data)
    time.sleep(0.01)
print("reads", seen, "unparsable", bad, file=sys.stderr)
sys.exit(1 if bad or not all(seen.values()) else 0)
PY
reads_rc=$?
wait $pid
run_rc=$?

desc="json_save: status.json and flows.json appear while the replay runs, every read parses"
t test $reads_rc -eq 0 -a $run_rc -eq 0
desc="json_save: status.json is an agent_status that matches its schema"
t $validate --require agent_status "$tmp/seen/status.json"
desc="json_save: flows.json holds a flows array of flow maps with the expected types"
t python3 - "$tmp/seen/flows.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "flows" and isinstance(d["timestamp"], int), d.keys()
flows = d["flows"]
assert isinstance(flows, list) and flows, "no flows"
for f in flows:
    assert isinstance(f, dict), f
    for k in ("local_ip", "other_ip", "detected_protocol_name"):
        assert isinstance(f[k], str), (k, f)
    for k in ("local_port", "other_port", "ip_protocol", "first_seen_at", "last_seen_at"):
        assert isinstance(f[k], int) and not isinstance(f[k], bool), (k, f)
assert any(f["detected_protocol_name"] == "TLS" for f in flows), "safari.pcap is TLS"
PY
desc="json_save: agent_status counts the unknown-flow keeper (slots, packets kept) and no json_save error"
t python3 - "$tmp/seen/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["json_save_errors"] == 0, s
c = s["capture_unknown"]
for k in ("slots", "in_use", "pool_empty", "packets", "flows", "refused"):
    assert isinstance(c[k], int) and c[k] >= 0, (k, c)
assert c["slots"] > 0 and c["packets"] > 0 and c["in_use"] <= c["slots"], c
PY

# ---- json_save_dir with things planted in it (issue 13) ----

# Symlinks at both the final names and the temporary names the daemon used
# to write through (".NAME.tmp", opened with O_CREAT|O_TRUNC): the victims
# must keep their bytes and the files must come out as regular files.
mkdir -m 700 "$tmp/jp"
echo precious >"$tmp/victim"
for f in status.json flows.json .status.json.tmp .flows.json.tmp; do ln -s "$tmp/victim" "$tmp/jp/$f"; done
conf jp "status_interval '1'" "json_save_dir '$tmp/jp'"
"$NETIFY" run -c "$tmp/jp.conf" -r "$corpus/safari.pcap" --pace >/dev/null 2>"$tmp/jp.err"
planted_ok() {
	[ "$(cat "$tmp/victim")" = precious ] || { echo "victim now: $(head -c 80 "$tmp/victim")"; return 1; }
	for f in status.json flows.json; do
		[ -f "$tmp/jp/$f" ] && [ ! -L "$tmp/jp/$f" ] && python3 -m json.tool "$tmp/jp/$f" >/dev/null ||
			{ ls -la "$tmp/jp"; return 1; }
	done
	# the old temporary names are left as they were, and nothing else is left
	[ -L "$tmp/jp/.status.json.tmp" ] && [ -L "$tmp/jp/.flows.json.tmp" ] && [ "$(ls -A "$tmp/jp" | wc -l)" = 4 ]
}
desc="json_save: symlinks planted at the files' final and old temporary names are not followed"
t planted_ok

# A directory others may write to (like /tmp itself) is refused, and said so.
mkdir -m 1777 "$tmp/jw"
conf jw "status_interval '1'" "json_save_dir '$tmp/jw'" "capture_unknown_dir '$tmp/jw'"
"$NETIFY" run -c "$tmp/jw.conf" -r "$corpus/safari.pcap" --pace >/dev/null 2>"$tmp/jw.err"
unsafe_ok() {
	[ -z "$(ls -A "$tmp/jw")" ] && grep -q "cannot write $tmp/jw/.*directory not ours alone" "$tmp/jw.err" &&
		[ "$(grep -c 'cannot write' "$tmp/jw.err")" = 1 ]
}
desc="json_save, capture: a directory writable by others gets no file, one log line says why"
t unsafe_ok

# ---- capture_unknown_dir ----

# 1kxun.pcap keeps 14 flows unknown with every nDPI version tested (4.2,
# 4.8, 4.11-dev), some of whose 4 first packets pass 1024 bytes; zabbix.pcap
# and discord.pcap, used before, are unknown to 4.2 only.
unk=1kxun.pcap

# pcap_check DIR MAXBYTES: every file opens with libpcap (tcpdump), holds
# 1..4 Ethernet packets of at most 512 bytes each, and fits MAXBYTES.
pcap_check() {
	found=0
	for f in "$1"/unknown-*.pcap; do
		[ -f "$f" ] || return 1
		found=1
		[ "$(stat -c %s "$f")" -le "$2" ] || { echo "$f: over $2 bytes"; return 1; }
		tcpdump -nr "$f" -e > "$tmp/td" 2>"$tmp/td.err" || { cat "$tmp/td.err"; return 1; }
		grep -q "link-type EN10MB" "$tmp/td.err" || return 1
		c=$(wc -l < "$tmp/td")
		[ "$c" -ge 1 ] && [ "$c" -le 4 ] || { echo "$f: $c packets"; return 1; }
	done
	[ $found = 1 ]
}
# flow ids in file names are flows that ended unknown on stdout
ids_unknown() {
	python3 - "$1" "$2" <<'PY'
import json, os, re, sys
unknown = set()
for line in open(sys.argv[2]):
    m = json.loads(line)
    f = m.get("flow", {})
    if m["type"] == "flow" and f["detected_protocol"] == 0 and f["detected_application"] == 0:
        unknown.add(f["flow_id"])
ids = [int(re.match(r"unknown-(\d+)-\d+-\d+\.pcap$", n).group(1)) for n in os.listdir(sys.argv[1])]
assert ids and set(ids) <= unknown, (ids, sorted(unknown))
PY
}

if ! command -v tcpdump >/dev/null; then
	for d in "pcaps open" "only unknown flows" "every unknown flow" "max_files" "max_bytes"; do
		n=$((n + 1)); echo "ok $n - capture: $d # SKIP needs tcpdump"
	done
	exit 0
fi
conf cap "capture_unknown_dir '$tmp/cap'"
"$NETIFY" run -c "$tmp/cap.conf" -r "$corpus/$unk" > "$tmp/cap.out" 2>"$tmp/cap.err"
desc="capture: unknown flows of $unk written as pcaps that libpcap reads (<= 4 packets)"
t pcap_check "$tmp/cap" 2136
desc="capture: every file is a flow that ended unknown (detected_protocol 0, no application)"
t ids_unknown "$tmp/cap" "$tmp/cap.out"
# Many end together when the replay ends: each still gets its file.
all_unknown() {
	u=$(python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) for m in [json.loads(l)]
          if m["type"] == "flow" and m["flow"]["detected_protocol"] == 0
          and m["flow"]["detected_application"] == 0))' "$tmp/cap.out")
	f=$(ls "$tmp/cap" | wc -l)
	echo "$u unknown flows, $f files"
	[ "$u" -gt 8 ] && [ "$f" -eq "$u" ]
}
desc="capture: all of $unk's unknown flows (more than 8) get a file"
t all_unknown

conf capn "capture_unknown_dir '$tmp/capn'" "capture_unknown_max_files '3'"
"$NETIFY" run -c "$tmp/capn.conf" -r "$corpus/$unk" > /dev/null 2>"$tmp/capn.err"
desc="capture: capture_unknown_max_files '3' writes exactly 3 files"
t test "$(ls "$tmp/capn" | wc -l)" -eq 3

conf capb "capture_unknown_dir '$tmp/capb'"
"$NETIFY" run -c "$tmp/capb.conf" -r "$corpus/$unk" > /dev/null 2>&1
conf capb2 "capture_unknown_dir '$tmp/capb2'" "capture_unknown_max_bytes '1024'"
"$NETIFY" run -c "$tmp/capb2.conf" -r "$corpus/$unk" > /dev/null 2>&1
capb_ok() {
	[ "$(stat -c %s "$tmp"/capb/* | sort -n | tail -1)" -gt 1024 ] || {
		echo "no file over 1024 bytes without the cap: nothing to test"; return 1; }
	pcap_check "$tmp/capb2" 1024
}
desc="capture: capture_unknown_max_bytes '1024' keeps files (over 1024 without it) within 1024"
t capb_ok
