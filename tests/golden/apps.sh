#!/bin/sh
# Application agreement with nDPI's expected results, per nDPI version: on
# the nDPI corpus, netify with the shipped catalog must name the expected
# application (nDPI dev's ground truth) of at least as many flows, less
# one point, as the ndpiReader of the same nDPI version as netify's libndpi
# (NDPI_READER; its table from ndpiref.sh). A flow agrees when the expected
# application is netify's application, nDPI's application kept in the
# record or the protocol (tests/bench/app_accuracy.sh says how names are
# compared). TAP.
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
corpus=${NETIFY_CORPUS:-$top/../shared/corpus/ndpi}
echo "1..1"
if [ ! -f "$corpus/expected-ndpi-dev.tsv" ]; then
	echo "ok 1 # SKIP corpus not found at $corpus"
	exit 0
fi
if [ -z "${NDPI_READER:-}" ] ||
   ! ref=$(sh "$top/tests/golden/ndpiref.sh" "$NDPI_READER" "$corpus" "$PWD/tests/golden/ndpiref"); then
	echo "ok 1 # SKIP no ndpiReader of netify's nDPI version (configure: NDPI_READER)"
	exit 0
fi
version=$("$NDPI_READER" -h 2>&1 | grep -o 'nDPI [0-9][0-9.]*' | head -1)
out=$(NETIFY=${NETIFY:-$top/netify} sh "$top/tests/bench/app_accuracy.sh" "$corpus" "$top/policy/apps.d" "$ref" 2>&1)
line=$(echo "$out" | grep '^OVERALL')
echo "# $version: $line"
echo "$out" | tail -1 | sed 's/^/# /'
mine=$(echo "$line" | awk '{ sub("%", "", $3); print $3 }')
peer=$(echo "$line" | awk '{ sub("%", "", $4); print $4 }')
if [ -n "$mine" ] && awk -v a="$mine" -v b="$peer" 'BEGIN { exit !(a >= b - 1 && a > 0) }'; then
	echo "ok 1 - application agreement $mine%, $version's ndpiReader $peer% (at most 1 point more)"
else
	echo "not ok 1 - application agreement $mine%, more than 1 point under $version's ndpiReader ($peer%)"
	echo "$out" | awk 'NR > 1 && $3 != $4' | head -40 | sed 's/^/# /'
fi
