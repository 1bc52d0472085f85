#!/bin/bash
# Benchmark (not a test): memory and verdict latency, the five figures of
# issue 18 side by side with a peer measured in the same run, for Debian's
# nDPI and for every nDPI built from ../shared/deps (scripts/ndpi-build,
# when the tree has it, or the prefixes already under build/ndpi).
#
#   tests/bench/memory_bench.sh [SECONDS]      (root for the namespace parts)
#
#   classify peak RSS      netify classify vs that version's ndpiReader on
#                          the N largest corpus captures x R VLAN copies
#                          (mkbench.c), and the marginal RSS per flow
#                          between R and R/2 copies
#   idle RSS               `netify run` with queue '0' and '0-3' in a network
#                          namespace of its own (default tables, the
#                          shipped catalog)
#   per inspected flow     RSS slope over captures of P and 2P one-packet UDP
#                          flows (every flow stays under inspection), netify
#                          vs ndpiReader, and the sizes behind it (sizes.c)
#   verdict latency        in the namespace lab: a paced probe, one new UDP
#                          flow every 1/200 s, timed from the router's LAN
#                          interface to its WAN interface (tcpdump, ns
#                          stamps), quiet and under load (4 TLS clients in a
#                          loop), with netify and without it (the unenforced
#                          lab: fw4's conntrack stand-in only); plus the
#                          daemon's own read-to-verdict histogram and, with
#                          perf, the worker thread's scheduling delay
#
# Prints ratios and the issue's goals beside them; asserts nothing.
# Environment: NDPI_PREFIXES (space-separated install prefixes, instead of
# the discovered ones), BENCH_CAPTURES (10), BENCH_REPS (40), BENCH_ONEPKT
# (20000), BENCH_LAB (1), BENCH_PERF (1), NETIFY_CORPUS, NETIFY_DEPS,
# BENCH_FLOWS (classify's --flows; default: classify's own, 65536, which
# the issue's size fits: a run that evicts flows says so).
# BENCH_BASELINE="LABEL=BINARY ...": other netify binaries (e.g. built from
# an older commit) measured in the same run, classify, idle and lab rows
# under their LABEL (say "4.2.0-base"), next to this tree's.
set -u
SECS=${1:-10}
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/bench
corpus=${NETIFY_CORPUS:-$top/../shared/corpus/ndpi}/pcap
deps=${NETIFY_DEPS:-$top/../shared/deps}
ncap=${BENCH_CAPTURES:-10}
reps=${BENCH_REPS:-40}
onepkt=${BENCH_ONEPKT:-20000}
PY="python3 $here/memory_bench.py"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then work=$(mktemp -d -p /dev/shm); else work=$(mktemp -d); fi
ns=nfmb$$
cleanup() {
	[ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
"$top/scripts/deps" build test >/dev/null || exit 1
results=$work/results
: >"$results"
put() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }
rss_of() {	# cmd...: peak RSS in KiB (stdout of cmd to $work/out)
	/usr/bin/time -f %M -o "$work/time" "$@" >"$work/out" 2>/dev/null
	tail -1 "$work/time"
}

# ---- the nDPI versions ------------------------------------------------
prefixes=${NDPI_PREFIXES-}
if [ -z "${NDPI_PREFIXES+set}" ]; then
	if [ -x "$top/scripts/ndpi-build" ]; then
		for a in "$deps"/nDPI-*.tar.gz; do
			[ -r "$a" ] || continue
			p=$(JOBS=2 "$top/scripts/ndpi-build" "$a") && prefixes="$prefixes $p"
		done
	else
		for p in "$top"/build/ndpi/*/; do
			[ -f "$p/.built" ] && prefixes="$prefixes ${p%/}"
		done
	fi
fi
ver_of() {	# prefix ("" = the system's): nDPI's version
	if [ -n "$1" ]; then PKG_CONFIG_PATH=$1/lib/pkgconfig pkg-config --modversion libndpi
	else pkg-config --modversion libndpi; fi
}
netify_of() {	# prefix: the netify binary built against it (scripts/build)
	if [ -z "$1" ]; then
		"$top/scripts/build" release
	else
		"$top/scripts/build" "mem-$(basename "$1")" PKG_CONFIG_PATH="$1/lib/pkgconfig" \
			LDFLAGS="-Wl,-rpath,$1/lib"
	fi
}
reader_of() {
	if [ -n "$1" ]; then echo "$1/bin/ndpiReader"; else command -v ndpiReader; fi
}
sizes_of() {	# prefix netify: "flow F + inspected I (netify H + nDPI flow N)" from sizes.c
	local inc lib dirs
	if [ -n "$1" ]; then inc="-I$1/include/ndpi" lib="-L$1/lib -Wl,-rpath,$1/lib -lndpi"
	else inc=$(pkg-config --cflags libndpi) lib=$(pkg-config --libs libndpi); fi
	dirs=$(find "$top/src" -type d -printf '-iquote %p ')
	# shellcheck disable=SC2086
	cc -std=gnu11 -I"$(dirname "$2")" $dirs $inc -o "$work/sizes" "$here/sizes.c" $lib 2>/dev/null || return 1
	"$work/sizes" | awk '
		/flow_record/ { rec = $2 } /meta_extra/ { extra = $2 } /ndpi_flow/ { nd = $2 }
		END {
			# dpi.c: a head (nDPI state pointer + meta_extra) per inspected
			# flow, the nDPI state from a second pool once nDPI sees a packet
			head = int((8 + extra + 15) / 16) * 16; nds = int((nd + 15) / 16) * 16
			printf "flow %d + inspected %d (netify %d + nDPI flow %d)", rec, head + nds, head, nds
		}'
}

# ---- inputs -----------------------------------------------------------
cc -O2 -o "$work/mkbench" "$here/mkbench.c" -lpcap || exit 1
# The N largest untagged Ethernet captures of the corpus (as classify_bench.sh).
inputs=$(for f in "$corpus"/*.pcap; do
	[ "$(tcpdump -r "$f" -c 1 -e 2>/dev/null | grep -c 'ethertype IPv\|ethertype 802.1Q')" = 1 ] || continue
	tcpdump -r "$f" -c 1 -e 2>/dev/null | grep -q 802.1Q && continue
	echo "$(stat -c %s "$f") $f"
done | sort -rn | head -"$ncap" | cut -d' ' -f2)
[ -n "$inputs" ] || { echo "no captures under $corpus"; exit 1; }
# shellcheck disable=SC2086
"$work/mkbench" "$work/big.pcap" "$reps" $inputs && "$work/mkbench" "$work/half.pcap" $((reps / 2)) $inputs || exit 1
$PY onepkt "$work/p1.pcap" "$onepkt" && $PY onepkt "$work/p2.pcap" $((onepkt * 2)) || exit 1
echo "memory_bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "big input: $(echo "$inputs" | wc -l) largest corpus captures x $reps VLAN copies," \
	"$(tcpdump -r "$work/big.pcap" -q 2>/dev/null | wc -l) packets; half: x $((reps / 2));" \
	"one-packet UDP flows: $onepkt and $((onepkt * 2))"

# ---- offline and idle, per version -------------------------------------
idle_rss() {	# netify queues: RSS (KiB) of `netify run` idle in a namespace
	local conf=$work/idle.conf i rss
	cat >"$conf" <<-EOT
	config netify 'main'
		option queue '$2'
		option apps_dir '$top/policy/apps.d'
		option monitor_socket '$work/mon.sock'
		option control_socket '$work/ctl.sock'
		option monitor_group 'root'
		option usage_dir '$work'
	EOT
	ip netns add $ns 2>/dev/null || return 1
	ip -n $ns link set lo up
	ip netns exec $ns "$1" run -c "$conf" --firewall-config /dev/null >"$work/idle.log" 2>&1 &
	dpid=$!
	for i in $(seq 100); do [ -S "$work/ctl.sock" ] && break; sleep 0.1; done
	sleep 2
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/$dpid/status 2>/dev/null)
	kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null; dpid=
	ip netns del $ns
	rm -f "$work/ctl.sock" "$work/mon.sock"
	echo "$rss"
}
flows_opt=()
[ -n "${BENCH_FLOWS:-}" ] && flows_opt=(--flows "$BENCH_FLOWS")
flows_of() {	# flows of the last classify run; warns when the table evicted some
	local ev
	ev=$(tail -1 "$work/out" | grep -o '"flows_evicted":[0-9]*' | cut -d: -f2)
	[ "${ev:-0}" = 0 ] || echo "  warning: classify evicted $ev flows (set BENCH_FLOWS)" >&2
	tail -1 "$work/out" | grep -o '"flows":[0-9]*' | cut -d: -f2
}
# version netify: classify peak and per-flow slopes, idle RSS; sets fa/fb
# (flows of the big and half inputs) for the ndpiReader rows
measure() {
	local v=$1 netify=$2 a b
	labv="$labv $v=$netify"
	a=$(rss_of "$netify" classify "${flows_opt[@]}" "$work/big.pcap"); fa=$(flows_of)
	b=$(rss_of "$netify" classify "${flows_opt[@]}" "$work/half.pcap"); fb=$(flows_of)
	put "$v" classify_rss "$a"
	[ -n "$fa" ] && [ -n "$fb" ] && [ "$fa" -gt "$fb" ] && put "$v" classify_per_flow $(( (a - b) * 1024 / (fa - fb) ))
	a=$(rss_of "$netify" classify "${flows_opt[@]}" "$work/p1.pcap")
	b=$(rss_of "$netify" classify "${flows_opt[@]}" "$work/p2.pcap")
	put "$v" insp_per_flow $(( (b - a) * 1024 / onepkt ))
	if [ "$(id -u)" = 0 ]; then
		put "$v" idle_q1 "$(idle_rss "$netify" 0)"
		put "$v" idle_q4 "$(idle_rss "$netify" 0-3)"
	fi
}
labv=""
for prefix in "" $prefixes; do
	v=$(ver_of "$prefix") || continue
	netify=$(netify_of "$prefix") || { echo "nDPI $v: netify does not build against $prefix"; continue; }
	reader=$(reader_of "$prefix")
	echo "nDPI $v: $netify, ${reader:-no ndpiReader}"
	measure "$v" "$netify"
	put "$v" sizes "$(sizes_of "$prefix" "$netify")"
	if [ -n "$reader" ] && [ -x "$reader" ]; then
		# ndpiReader counts flows in its own way: the per-flow slope uses netify's count
		a=$(rss_of "$reader" -i "$work/big.pcap" -q -v 0)
		b=$(rss_of "$reader" -i "$work/half.pcap" -q -v 0)
		put "$v" reader_rss "$a"
		[ -n "$fa" ] && [ -n "$fb" ] && [ "$fa" -gt "$fb" ] && put "$v" reader_per_flow $(( (a - b) * 1024 / (fa - fb) ))
		a=$(rss_of "$reader" -i "$work/p1.pcap" -q -v 0)
		b=$(rss_of "$reader" -i "$work/p2.pcap" -q -v 0)
		put "$v" reader_insp_per_flow $(( (b - a) * 1024 / onepkt ))
	fi
done

for e in ${BENCH_BASELINE:-}; do
	v=${e%%=*} netify=${e#*=}
	[ -x "$netify" ] || { echo "baseline $v: no binary at $netify"; continue; }
	echo "baseline $v: $netify"
	measure "$v" "$netify"
done

# ---- verdict latency in the namespace lab -------------------------------
lab() {
	top_srcdir=$top NETIFY=${labv##*=}
	. "$top/tests/lab/lablib.sh"
	lab_init tcpdump
	exec 2>>"$LAB/check.log"
	if ! { lab_up && servers_up; }; then echo "lab setup failed"; return 1; fi
	write_config
	# fw4 as OpenWrt runs it (conntrack, established accept): the baseline
	printf 'table inet fw4 {\n chain forward {\n  type filter hook forward priority filter; policy accept;\n  ct state established,related accept\n }\n}\n' >"$LAB/fw4.nft"
	inr nft -f "$LAB/fw4.nft" || return 1
	perf_ok=0
	[ "${BENCH_PERF:-1}" = 1 ] && command -v perf >/dev/null &&
		perf sched record -o "$LAB/t.perf" -- true >/dev/null 2>&1 && perf_ok=1
	phase() {	# version phase(quiet|load)
		local v=$1 ph=$2 lp="" pp="" t1 t2 m
		inr tcpdump -i r0 -n -s 96 -B 8192 --time-stamp-precision=nano -w "$LAB/in.pcap" \
			"udp and dst host 10.77.2.3" 2>/dev/null & t1=$!
		inr tcpdump -i r1 -n -s 96 -B 8192 --time-stamp-precision=nano -w "$LAB/out.pcap" \
			"udp and dst host 10.77.2.3" 2>/dev/null & t2=$!
		sleep 1
		if [ "$ph" = load ]; then
			# shellcheck disable=SC2086 # TOOL is "python3 labtool.py"
			inc $TOOL connrate 10.77.2.2 443 example.org "$SECS" 4 >"$LAB/conn.json" & lp=$!
		fi
		if [ -n "$DPID" ] && [ "$perf_ok" = 1 ]; then
			perf sched record -o "$LAB/s.perf" -- sleep $((SECS > 3 ? SECS - 2 : 1)) >/dev/null 2>&1 & pp=$!
		fi
		# shellcheck disable=SC2086 # PY is "python3 memory_bench.py"
		inc $PY probe 10.77.2.3 200 "$SECS" $((2000 + RANDOM % 20000)) >/dev/null
		[ -n "$lp" ] && wait "$lp"
		[ -n "$pp" ] && wait "$pp"
		sleep 0.5
		kill "$t1" "$t2" 2>/dev/null; wait "$t1" "$t2" 2>/dev/null
		m=$($PY match "$LAB/in.pcap" "$LAB/out.pcap" 10.77.2.3)
		for q in p50 p99 p999; do
			put "$v" "${ph}_$q" "$(echo "$m" | python3 -c "import json,sys; print(json.load(sys.stdin)['${q}_us'])")"
		done
		if [ -n "$DPID" ]; then
			status >"$LAB/st.json"
			put "$v" "${ph}_daemon_p50" "$(python3 -c "import json; q=max(json.load(open('$LAB/st.json'))['queues'], key=lambda q: q['packets']); print('%.0f' % (q['latency_p50_ns'] / 1e3))")"
			put "$v" "${ph}_daemon_p99" "$(python3 -c "import json; q=max(json.load(open('$LAB/st.json'))['queues'], key=lambda q: q['packets']); print('%.0f' % (q['latency_p99_ns'] / 1e3))")"
			if [ -n "$pp" ]; then
				perf sched timehist -i "$LAB/s.perf" -p "$DPID" 2>/dev/null | $PY sched "$DPID" >"$LAB/sched.json"
				put "$v" "${ph}_sched" "$(python3 -c "import json; d=json.load(open('$LAB/sched.json')); print('%d/%d/%d' % (d['p50_us'], d['p99_us'], d['max_us']) if d else '')")"
			fi
		fi
		echo "  $v $ph: probes $m${lp:+, TLS clients $(cat "$LAB/conn.json")}"
	}
	echo "verdict latency (lab, probes to a new UDP flow every 5 ms, $SECS s per phase):"
	phase - quiet
	phase - load
	for e in $labv; do
		NETIFY=${e#*=}
		daemon_start || { echo "  nDPI ${e%%=*}: netify did not start"; continue; }
		phase "${e%%=*}" quiet
		daemon_stop_bench
		daemon_start || continue
		phase "${e%%=*}" load
		daemon_stop_bench
	done
}
daemon_stop_bench() { kill -TERM "$DPID"; wait "$DPID" 2>/dev/null; DPID=""; }
if [ "${BENCH_LAB:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
	(lab)
else
	echo "verdict latency: skipped (BENCH_LAB=0 or not root)"
fi

echo
$PY table "$results"
