#!/bin/sh
# Golden tests on the nDPI regression captures in ../shared/corpus/ndpi:
#  1. every capture is processed without a crash (under ASan when built so)
#  2. every output line is valid JSON
#  3. with no packet budget, the nDPI protocol agrees with the ndpiReader
#     of the same nDPI version as netify's libndpi (NDPI_READER, found by
#     configure; its table is made by ndpiref.sh) on >= 99% of flows
#  4. metadata (SNI, JA3, certificates, User-Agent, DHCP) agrees with nDPI's
#     own expected output (the .out files) on >= 80% per field
#  5. with the default budget, the protocol still agrees on >= 97%
# Prints TAP. Needs python3.
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
NETIFY=${NETIFY:-$top/netify}
CORPUS=${NETIFY_CORPUS:-$top/../shared/corpus/ndpi}
echo "1..5"
if [ ! -d "$CORPUS/pcap" ]; then
	for i in 1 2 3 4 5; do echo "ok $i # SKIP corpus not found at $CORPUS"; done
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
# the same version's ndpiReader, run once per binary and kept in the build tree
ref=
if [ -n "${NDPI_READER:-}" ]; then
	ref=$(sh "$top/tests/golden/ndpiref.sh" "$NDPI_READER" "$CORPUS" "$PWD/tests/golden/ndpiref") ||
		ref=
	echo "# reference: $NDPI_READER ($("$NDPI_READER" -h 2>&1 | grep -o 'nDPI [0-9][0-9.]*' | head -1))"
fi

run_all() {	# budget dir
	mkdir -p "$2"
	crashed=0 n=0
	for f in "$CORPUS"/pcap/*; do
		name=$(basename "$f")
		"$NETIFY" classify --budget "$1" --no-summary "$f" >"$2/$name.json" 2>"$2/$name.err"
		rc=$?
		n=$((n + 1))
		# Exit 1 is a capture libpcap cannot read (truncated, odd link
		# type): reported, not a crash. Signals and sanitizers are.
		if [ $rc -gt 1 ] || grep -q "Sanitizer\|runtime error" "$2/$name.err"; then
			echo "# crash ($rc): $name"
			crashed=$((crashed + 1))
		fi
	done
}

run_all 0 "$out/nobudget"
if [ "$crashed" -eq 0 ]; then
	echo "ok 1 - $n captures processed without a crash"
else
	echo "not ok 1 - $crashed of $n captures crashed"
fi

if python3 -c '
import json, sys, glob
bad = 0
for p in glob.glob(sys.argv[1] + "/*.json"):
    with open(p, "rb") as f:
        for line in f:
            try:
                json.loads(line.decode("utf-8"))
            except Exception as e:
                bad += 1
                print("# invalid JSON in", p, e)
sys.exit(1 if bad else 0)' "$out/nobudget"; then
	echo "ok 2 - every record is valid UTF-8 JSON"
else
	echo "not ok 2 - invalid JSON records"
fi

if [ -z "$ref" ]; then
	echo "ok 3 # SKIP no ndpiReader of netify's nDPI version (configure: NDPI_READER)"
elif python3 "$top/tests/golden/compare.py" "$ref" "$out/nobudget" --min-agreement 99 --show 40; then
	echo "ok 3 - protocol agrees with the same version's ndpiReader on >= 99% of flows (no budget)"
else
	echo "not ok 3 - protocol agreement with the same version's ndpiReader under 99%"
fi

if python3 "$top/tests/golden/metadata.py" "$CORPUS/result" "$out/nobudget" --min 80; then
	echo "ok 4 - metadata agrees with nDPI's expected output on >= 80% per field"
else
	echo "not ok 4 - metadata agreement under 80% for a field"
fi

run_all 32 "$out/budget"
if [ -z "$ref" ]; then
	echo "ok 5 # SKIP no ndpiReader of netify's nDPI version (configure: NDPI_READER)"
elif python3 "$top/tests/golden/compare.py" "$ref" "$out/budget" --min-agreement 97 --show 10; then
	echo "ok 5 - protocol agrees on >= 97% with the default 32-packet budget"
else
	echo "not ok 5 - agreement under 97% with the default budget"
fi
