#!/bin/bash
# What usage accounting costs the real daemon's forwarding path, in the
# namespace lab (not a test; needs root):
#
#   tests/bench/usage_daemon_bench.sh [SECONDS] [ROUNDS]
#
# `netify run` on the router with `option usage '0'`, against the same
# daemon with usage on (the default: destroy events read, a dump of the
# released connections every minute, a flow note per decision), in
# alternating rounds (medians; a small VM shares its cores between client,
# router and server, so single runs are noisy):
#   - new TLS connections per second through the router (4 clients)
#   - iperf3 throughput of one established flow
# and prints the ratios (goal: on >= 95% of off), the accounting's own
# counters after the run, and the daemon's RSS in both modes.
#
# Conntrack accounting itself (net.netfilter.nf_conntrack_acct) is on in
# both: netify's own table has `ct packets > packet_budget accept`, and the
# kernel turns accounting on for a table with a `ct packets` expression
# (nft_ct). What accounting costs a router without netify is measured by
# tests/bench/usage_lab_bench.sh (acct off vs on with the reader).
set -u
SECS=${1:-5}
ROUNDS=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
NETIFY=${NETIFY:-$top_srcdir/netify}
. "$top_srcdir/tests/lab/lablib.sh"
lab_init iperf3
exec 2>&1

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/$DPID/status; }
iperf() { inc iperf3 -c 10.77.2.2 -t "$SECS" -J | json 'round(d["end"]["sum_received"]["bits_per_second"] / 1e6, 1)'; }
connrate() { inc $TOOL connrate 10.77.2.2 443 example.org "$SECS" 4 | json 'd["rate"]'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
daemon_stop() { [ -n "$DPID" ] && kill -TERM $DPID && wait $DPID; DPID=""; }
mode() {	# off|on: restart the daemon with usage off (and no accounting) or on
	daemon_stop
	if [ "$1" = off ]; then
		LAB_MAIN_EXTRA="option usage '0'" write_config
		inr sysctl -qw net.netfilter.nf_conntrack_acct=0
	else
		LAB_MAIN_EXTRA="option usage_dir '$LAB/state'" write_config
	fi
	inr conntrack -F >/dev/null 2>&1
	daemon_start || { echo "netify did not start"; tail "$LAB/daemon.log"; exit 1; }
	acct="$acct $1:$(inr sysctl -n net.netfilter.nf_conntrack_acct)"
}
acct=""

lab_up && servers_up || { echo "lab setup failed"; exit 1; }
bg_in $S iperf3 -s -B 10.77.2.2
printf 'table inet fw4 {\n chain forward {\n  type filter hook forward priority filter; policy accept;\n  ct state established,related accept\n }\n}\n' >"$LAB/fw4.nft"
inr nft -f "$LAB/fw4.nft" || { echo "fw4 stand-in failed"; exit 1; }
mkdir -p "$LAB/state"

c_off="" c_on="" t_off="" t_on=""
for round in $(seq "$ROUNDS"); do
	mode off
	[ "$round" = 1 ] && rss_off=$(rss_kb)
	c_off="$c_off $(connrate)"
	t_off="$t_off $(iperf)"
	mode on
	[ "$round" = 1 ] && rss_on=$(rss_kb)
	c_on="$c_on $(connrate)"
	t_on="$t_on $(iperf)"
	echo "round $round: conns/s off $(echo $c_off | awk '{print $NF}') on $(echo $c_on | awk '{print $NF}'); Mbit/s off $(echo $t_off | awk '{print $NF}') on $(echo $t_on | awk '{print $NF}')"
done
# a minute boundary inside the last "on" run's daemon: its dump and figures
sleep $(( 61 - $(date +%s) % 60 ))
st=$(status)
daemon_stop

r() { python3 -c "print('%.1f%%' % (100.0 * $1 / $2))"; }
co=$(echo $c_off | median) cn=$(echo $c_on | median) to=$(echo $t_off | median) tn=$(echo $t_on | median)
echo
echo "== summary ($ROUNDS rounds of $SECS s, medians)"
echo "TLS connections/s:   usage off $co, on $cn -> $(r "$cn" "$co") of off (goal >= 95%)  (off:$c_off; on:$c_on)"
echo "iperf3 throughput:   usage off $to, on $tn Mbit/s -> $(r "$tn" "$to") of off (goal >= 95%)  (off:$t_off; on:$t_on)"
echo "daemon RSS at start: usage off $rss_off kB, on $rss_on kB (+$((rss_on - rss_off)) kB: the tables are allocated, touched as used)"
echo "nf_conntrack_acct with each daemon:$acct (netify's table turns it on either way)"
echo "$st" | json '"accounting after the last run: %d notes (%d dropped), %d readings, %d minute dumps, last one %d us for %d connections, %d entries, %d connections held (%d read but never noted)" % (d["usage"]["notes"], d["usage"]["notes_dropped"], d["usage"]["readings"], d["usage"]["boundaries"], d["usage"]["last_dump_us"], d["usage"]["last_dump_conns"], d["usage"]["entries"], d["usage"]["conns"]["entries"], d["usage"]["conns"]["unmapped"])'
