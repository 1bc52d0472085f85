# Shared by tests/lab/lab.sh and tests/bench/lab_bench.sh: the namespace
# lab (client -- router -- server over veth, IPv4+IPv6), its servers, a
# netify configuration and helpers. Source it after setting nothing; it
# defines $C $R $S (namespace names), $LAB (scratch dir) and functions.
# lab_init skips (TAP "1..0 # SKIP") when root or the tools are missing.

labdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$labdir/../.." && pwd)}
NETIFY=${NETIFY:-$top_srcdir/netify}
TOOL="python3 $labdir/labtool.py"
P=nfl$$
C=${P}c R=${P}r S=${P}s
LAB=$(mktemp -d /tmp/netify-lab.XXXXXX)
PIDS=""
DPID=""
n=0
fails=0

skip_all() { echo "1..0 # SKIP $*"; rm -rf "$LAB"; exit 0; }
lab_init() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	for t in ip nft conntrack curl openssl dnsmasq tc python3 tcpdump nc setpriv "$@"; do
		command -v $t >/dev/null 2>&1 || skip_all "needs $t"
	done
	[ -x "$NETIFY" ] || skip_all "no netify binary at $NETIFY"
	ip netns add $C 2>/dev/null || skip_all "cannot create network namespaces"
	trap cleanup EXIT
	trap 'exit 1' INT TERM HUP
	exec 2>>"$LAB/check.log"
}

cleanup() {
	[ -n "$DPID" ] && kill -9 $DPID 2>/dev/null
	for p in $PIDS; do kill $p 2>/dev/null; done
	wait 2>/dev/null
	for ns in $C $R $S; do ip netns del $ns 2>/dev/null; done
	# LAB_KEEP=DIR keeps the lab's files (events, captures, logs) there
	[ -n "${LAB_KEEP:-}" ] && rm -rf "$LAB_KEEP" && cp -a "$LAB" "$LAB_KEEP"
	rm -rf "$LAB"
}
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
check() { local name=$1; shift; "$@" >>"$LAB/check.log" 2>&1; ok $? "$name"; }
inc() { ip netns exec $C "$@"; }
inr() { ip netns exec $R "$@"; }
ins() { ip netns exec $S "$@"; }
bg_in() { local ns=$1; shift; ip netns exec $ns "$@" >>"$LAB/bg.log" 2>&1 & PIDS="$PIDS $!"; }

# helpers used before the tests too; curl prints the HTTP code (000 on failure)
tls() { inc curl -sk --max-time ${3:-5} --resolve "$1:443:$2" -o /dev/null -w '%{http_code}' "https://$1/"; }
# tls_from PORT HOST ADDR [MAX]: the same from a fixed client port
tls_from() { inc curl -sk --local-port $1 --max-time ${4:-5} --resolve "$2:443:$3" -o /dev/null -w '%{http_code}' "https://$2/"; }
http() { inc curl -s --max-time ${3:-5} -H "Host: $1" -o /dev/null -w '%{http_code}' "http://$2/${4:-}"; }

# ---- topology ----
lab_up() {
	ip netns add $R && ip netns add $S || return 1
	ip link add ${P}a type veth peer name ${P}b || return 1
	ip link add ${P}x type veth peer name ${P}y || return 1
	ip link set ${P}a netns $C name c0 && ip link set ${P}b netns $R name r0 &&
	ip link set ${P}x netns $R name r1 && ip link set ${P}y netns $S name s0 || return 1
	for ns in $C $R $S; do ip -n $ns link set lo up; done
	ip -n $C link set c0 up; ip -n $R link set r0 up; ip -n $R link set r1 up; ip -n $S link set s0 up
	ip -n $C addr add 10.77.1.2/24 dev c0; ip -n $C addr add fd77:1::2/64 dev c0 nodad
	ip -n $R addr add 10.77.1.1/24 dev r0; ip -n $R addr add fd77:1::1/64 dev r0 nodad
	ip -n $R addr add 10.77.2.1/24 dev r1; ip -n $R addr add fd77:2::1/64 dev r1 nodad
	for i in 2 3 4 5 6 7 8; do ip -n $S addr add 10.77.2.$i/24 dev s0; done
	ip -n $S addr add fd77:2::2/64 dev s0 nodad; ip -n $S addr add fd77:2::8/64 dev s0 nodad
	ip -n $C route add default via 10.77.1.1; ip -n $C -6 route add default via fd77:1::1
	ip -n $S route add default via 10.77.2.1; ip -n $S -6 route add default via fd77:2::1
	inr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
}

servers_up() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=lab -keyout "$LAB/key.pem" -out "$LAB/crt.pem" >/dev/null 2>&1 || return 1
	mkdir -p "$LAB/www" && head -c 4000000 /dev/zero >"$LAB/www/big" && echo hello >"$LAB/www/index.html"
	bg_in $S $TOOL tls-server 443 "$LAB/crt.pem" "$LAB/key.pem"
	bg_in $S python3 -m http.server 80 --bind :: --directory "$LAB/www"
	bg_in $S dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces --listen-address=10.77.2.2 \
		--address=/chat.whatsapp.com/10.77.2.4 --address=/blocked.example.net/10.77.2.7 \
		--address=/allowed.example.net/10.77.2.7 --pid-file="$LAB/dnsmasq.pid" --user=root
	bg_in $S $TOOL echo-server 0.0.0.0 7000
	bg_in $S $TOOL bt-server 10.77.2.2 6881 "$LAB/bt.out"
	for i in $(seq 50); do
		ins ss -ltn | grep -q ':443 ' && ins ss -ltn | grep -q ':80 ' && ins ss -ltn | grep -q ':7000 ' &&
		ins ss -lun | grep -q ':53 ' && break
		sleep 0.1
	done
	# through the router, before netify runs
	[ "$(http example.org 10.77.2.2)" = 200 ] && [ "$(http example.org '[fd77:2::2]')" = 200 ] &&
	[ "$(tls example.org 10.77.2.2)" = 200 ]
}

# The daemon's usage state goes to the lab's directory, not the host's
# /var/run/netify (other labs, and other checkouts' tests, run beside it).
write_config() {
	mkdir -p "$LAB/apps.d"
	cp "$top_srcdir"/policy/apps.d/*.conf "$LAB/apps.d/" 2>/dev/null
	grep -qs '^app:[0-9]*:whatsapp' "$LAB"/apps.d/*.conf ||
		printf 'app:101:whatsapp\ndom:101:whatsapp.com\ndom:101:whatsapp.net\n' >"$LAB/apps.d/20-wa.conf"
	cat >"$LAB/apps.d/90-lab.conf" <<-EOT
	cat:labcat:Lab
	app:900001:labbulk:labcat:Lab Bulk
	dom:900001:bulk.example.net
	app:900002:labreload:labcat:Lab Reload
	dom:900002:reload.example.net
	app:900003:labsched:labcat:Lab Schedule
	dom:900003:sched.example.net
	# two applications behind one front end (10.77.2.7, dnsmasq), one blocked
	app:900004:labshareblock:labcat:Lab Shared Blocked
	dom:900004:blocked.example.net
	app:900005:labshareallow:labcat:Lab Shared Allowed
	dom:900005:allowed.example.net
	# an application with an address of its own
	app:900006:labnet:labcat:Lab Own Network
	net:900006:10.77.2.8/32
	net:900006:fd77:2::8/128
	EOT
	cat >"$LAB/netify.conf" <<-EOT
	config netify 'main'
		option queue '0-1'
		list lan_network '10.77.1.0/24'
		list lan_network 'fd77:1::/64'
		option apps_dir '$LAB/apps.d'
		option monitor_socket '$LAB/mon.sock'
		option control_socket '$LAB/ctl.sock'
		option monitor_group 'root'
		option block_timeout '120'
		option status_interval '1'
		option usage_dir '$LAB/state'
		${LAB_MAIN_EXTRA:-}

	config rule 'wa'
		option name 'block whatsapp'
		list app 'whatsapp'
		option action 'block'

	config rule 'bt'
		option name 'block bittorrent'
		list proto 'BitTorrent'
		option action 'block'

	config rule 'lshare'
		option name 'block one app of a shared front end'
		list app 'labshareblock'
		option action 'block'

	config rule 'lnet'
		option name 'block an app with its own address'
		list app 'labnet'
		option action 'block'

	config rule 'bulkq'
		option name 'bulk downloads'
		list app 'labbulk'
		option action 'qos'
		option class 'bulk'

	# skb priority 1:30 picks HTB class 1:30 directly (no tc filter needed)
	config class 'bulk'
		option mark '3'
		option dscp 'CS1'
		option priority '65584'
	EOT
}

daemon_start() {
	ip netns exec $R "$NETIFY" run -c "$LAB/netify.conf" --firewall-config "${LAB_FIREWALL:-/dev/null}" >>"$LAB/daemon.log" 2>&1 &
	DPID=$!
	for i in $(seq 100); do
		if inr nft list table inet netify >/dev/null 2>&1 &&
		   [ "$(inr cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | wc -l)" -ge 2 ] &&
		   [ -S "$LAB/ctl.sock" ]; then
			return 0
		fi
		kill -0 $DPID 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

tls6() { inc curl -sk --max-time ${3:-5} --resolve "$1:443:[$2]" -o /dev/null -w '%{http_code}' "https://$1/"; }
rule_count() { inr nft -a list table inet netify | grep -c '# handle'; }
set_counter() { inr nft list chain inet netify forward | grep "@$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
# in_set SET "A . B . tcp . 443": whether the block set holds that element
in_set() { inr nft list set inet netify $1 | tr -d '\n\t' | grep -qF "$2"; }
queued_total() { inr awk '{ s += $8 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue; }
status() { $TOOL ctl "$LAB/ctl.sock" status; }
status_sum() { status | python3 -c "import json,sys; print(sum(q['$1'] for q in json.load(sys.stdin)['queues']))"; }

