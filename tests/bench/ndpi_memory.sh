#!/bin/sh
# Memory per nDPI version: what one inspected flow holds (netify's flow
# record, its pool element: netify's side record plus nDPI's flow state,
# 16-byte aligned) and the daemon's idle RSS with 1 and with 4 queues
# (default flow table, shipped catalog), in a network namespace of its
# own. Root. Prints one line per measure.
# usage: tests/bench/ndpi_memory.sh NETIFY [NDPI_PREFIX]
#   NDPI_PREFIX  where that netify's nDPI is installed (default: the system's)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
netify=${1:?usage: ndpi_memory.sh NETIFY [NDPI_PREFIX]}
prefix=${2:-}
tmp=$(mktemp -d /tmp/netify-mem.XXXXXX)
ns=nfm$$
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

if [ -n "$prefix" ]; then
	inc="-I$prefix/include/ndpi" lib="-L$prefix/lib -Wl,-rpath,$prefix/lib"
else
	inc=$(pkg-config --cflags libndpi) lib=
fi
# shellcheck disable=SC2086
cc -std=gnu11 $(for d in "$top"/src/*/; do printf -- "-iquote %s " "$d"; done) $inc "$top/tests/bench/sizes.c" -o "$tmp/sizes" $lib -lndpi ||
	exit 1
eval "$("$tmp/sizes" | awk '{ print $1 "=" $2 }')"
printf '#include <stdio.h>\n#include <ndpi_api.h>\nint main(void) { puts(ndpi_revision()); return 0; }\n' \
	>"$tmp/v.c"
# shellcheck disable=SC2086
cc $inc "$tmp/v.c" -o "$tmp/v" $lib -lndpi && echo "nDPI $("$tmp/v")"
# struct dpi_flow: next_free pointer, meta_extra, then nDPI's flow at 16
head=$(( (8 + meta_extra + 15) / 16 * 16 ))
elem=$(( (head + ndpi_flow + 15) / 16 * 16 ))
echo "nDPI flow state ${ndpi_flow} B; pool element ${elem} B; flow record ${flow_record} B;" \
	"per inspected flow $((elem + flow_record)) B (+ strings nDPI allocates for metadata)"

ip netns add $ns || exit 1
ip -n $ns link set lo up
for q in 0 0-3; do
	cat >"$tmp/netify.conf" <<-EOT
	config netify 'main'
		option queue '$q'
		option apps_dir '$top/policy/apps.d'
		option monitor_socket '$tmp/mon.sock'
		option control_socket '$tmp/ctl.sock'
		option monitor_group 'root'
		option usage_dir '$tmp'
	EOT
	ip netns exec $ns "$netify" run -c "$tmp/netify.conf" --firewall-config /dev/null \
		>"$tmp/daemon.log" 2>&1 &
	pid=$!
	for i in $(seq 50); do
		[ -S "$tmp/ctl.sock" ] && break
		sleep 0.1
	done
	sleep 2
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status 2>/dev/null)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	rm -f "$tmp/ctl.sock" "$tmp/mon.sock"
	n=$(echo "$q" | awk -F- '{ print NF == 2 ? $2 - $1 + 1 : 1 }')
	echo "idle RSS with $n queue(s): ${rss:-?} kB"
done
