# Shared by tests/usage/*.sh and tests/bench/ct_dump_bench.sh: a client,
# a router and a server namespace over veth (IPv4 + IPv6), unique names,
# removed on exit whatever happens. Source it from bash; it defines
# $C $R $S, $UL (scratch dir), ok/skip_all helpers and ns_up.
set -u
ulib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$ulib/../.." && pwd)}
builddir=${builddir:-$(pwd)}
HARNESS=${HARNESS:-$builddir/tests/usage/ct_harness}
TRAFFIC="python3 $ulib/traffic.py"
P=nfu$$
C=${P}c R=${P}r S=${P}s
UL=$(mktemp -d /tmp/netify-usage.XXXXXX)
PIDS=""
n=0
fails=0

skip_all() { echo "1..0 # SKIP $*"; rm -rf "$UL"; exit 0; }
ns_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $C $R $S; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$UL"
}
ns_init() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	for t in ip nft conntrack python3 "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip_all "needs $t"
	done
	[ -x "$HARNESS" ] || skip_all "no harness at $HARNESS (make tests/usage/ct_harness)"
	ip netns add "$C" 2>/dev/null || skip_all "cannot create network namespaces"
	trap ns_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
inc() { ip netns exec "$C" "$@"; }
inr() { ip netns exec "$R" "$@"; }
ins() { ip netns exec "$S" "$@"; }
bg_in() { local ns=$1; shift; ip netns exec "$ns" "$@" >>"$UL/bg.log" 2>&1 & PIDS="$PIDS $!"; }

ns_up() {
	ip netns add "$R" && ip netns add "$S" || return 1
	ip link add "${P}a" type veth peer name "${P}b" || return 1
	ip link add "${P}x" type veth peer name "${P}y" || return 1
	ip link set "${P}a" netns "$C" name c0 && ip link set "${P}b" netns "$R" name r0 &&
	ip link set "${P}x" netns "$R" name r1 && ip link set "${P}y" netns "$S" name s0 || return 1
	for ns in $C $R $S; do ip -n "$ns" link set lo up; done
	ip -n "$C" link set c0 up; ip -n "$R" link set r0 up; ip -n "$R" link set r1 up; ip -n "$S" link set s0 up
	ip -n "$C" addr add 10.78.1.2/24 dev c0; ip -n "$C" addr add fd78:1::2/64 dev c0 nodad
	ip -n "$R" addr add 10.78.1.1/24 dev r0; ip -n "$R" addr add fd78:1::1/64 dev r0 nodad
	ip -n "$R" addr add 10.78.2.1/24 dev r1; ip -n "$R" addr add fd78:2::1/64 dev r1 nodad
	ip -n "$S" addr add 10.78.2.2/24 dev s0; ip -n "$S" addr add fd78:2::2/64 dev s0 nodad
	ip -n "$C" route add default via 10.78.1.1; ip -n "$C" -6 route add default via fd78:1::1
	ip -n "$S" route add default via 10.78.2.1; ip -n "$S" -6 route add default via fd78:2::1
	inr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
}

# field NAME LINE: the value of NAME=... in a record line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }
# ct_bytes ARGS...: "obytes rbytes opkts rpkts" of the one entry conntrack -L finds
ct_bytes() {
	inr conntrack -L "$@" 2>/dev/null | head -1 |
		awk '{ n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^bytes=/) b[n++] = substr($i, 7);
		       m = 0; for (i = 1; i <= NF; i++) if ($i ~ /^packets=/) p[m++] = substr($i, 9);
		       print b[0], b[1], p[0], p[1] }'
}
