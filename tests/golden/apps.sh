#!/bin/sh
# Application accuracy guard: on the nDPI corpus, netify with the shipped
# catalog must name at least as many flows' applications right (against
# nDPI dev's ground truth) as Debian's ndpiReader 4.2 does on the same
# flows. The numbers come from tests/bench/app_accuracy.sh. TAP.
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
corpus=${NETIFY_CORPUS:-$top/../shared/corpus/ndpi}
echo "1..1"
if [ ! -f "$corpus/expected-ndpi-dev.tsv" ]; then
	echo "ok 1 # SKIP corpus not found at $corpus"
	exit 0
fi
out=$(NETIFY=${NETIFY:-$top/netify} sh "$top/tests/bench/app_accuracy.sh" "$corpus" "$top/policy/apps.d" 2>&1)
line=$(echo "$out" | grep '^OVERALL')
echo "# $line"
echo "$out" | tail -1 | sed 's/^/# /'
mine=$(echo "$line" | awk '{ sub("%", "", $3); print $3 }')
peer=$(echo "$line" | awk '{ sub("%", "", $4); print $4 }')
if [ -n "$mine" ] && awk -v a="$mine" -v b="$peer" 'BEGIN { exit !(a >= b && a > 0) }'; then
	echo "ok 1 - application accuracy $mine% >= ndpiReader 4.2's $peer%"
else
	echo "not ok 1 - application accuracy $mine% under ndpiReader 4.2's $peer%"
	echo "$out" | tail -30 | sed 's/^/# /'
fi
