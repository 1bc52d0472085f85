#!/bin/sh
# Numeric options are checked whole, before any narrowing (TAP): a value
# out of range, negative, empty or not decimal is a usage error (exit 2)
# that names the option and its range; a value in range is taken as it is.
here=$(cd "$(dirname "$0")" && pwd)
: "${NETIFY:=$here/../../netify}"
export ASAN_OPTIONS=detect_leaks=0
tmp=$(mktemp -d /tmp/netify-options.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
t() { n=$((n + 1)); if "$@" >"$tmp/log" 2>&1; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; sed 's/^/# /' "$tmp/log" | tail -10; fi; }
# usage OPTION VALUE RANGE: exit 2 and "netify classify: OPTION: 'VALUE' is not a number from RANGE"
usage() {
	"$NETIFY" classify "$1" "$2" "$tmp/none.pcap" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	cat "$tmp/err"
	[ $rc = 2 ] && grep -qF "'$2' is not a number from $3" "$tmp/err" && ! [ -s "$tmp/out" ]
}
echo "1..16"
for c in "-f|4294967297" "-f|4294967296" "-f|0" "-f|16777217" "-f|-1" "-f|+5" "-f|0x10" \
	 "-f|18446744073709551617" "--flows|" "-b|65536" "-b|4294967296" "-b|3x" \
	 "--quic-capacity|65537" "--quic-capacity| 1"; do
	opt=${c%%|*} val=${c#*|}
	case $opt in
	-f|--flows) range="1 to 16777216" ;;
	-b) range="0 to 65535" ;;
	*) range="0 to 65536" ;;
	esac
	desc="classify $opt '$val': usage error naming the range"
	t usage "$opt" "$val" "$range"
done
# a capture of one flow: the values in range work
python3 "$here/../monitor/mkpcap.py" gap "$tmp/one.pcap" 1 2>/dev/null ||
	printf '' >"$tmp/one.pcap"
ok_run() { "$NETIFY" classify "$@" "$tmp/one.pcap" | grep -q '"type":"summary"'; }
desc="classify -f 1 -b 0 --quic-capacity 0: taken"
t ok_run -f 1 -b 0 --quic-capacity 0
desc="classify -b 65535 --quic-capacity 65536: taken"
t ok_run -b 65535 --quic-capacity 65536
