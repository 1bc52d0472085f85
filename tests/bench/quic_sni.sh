#!/bin/sh
# QUIC SNIs on the whole nDPI corpus: of the QUIC flows nDPI dev names with
# a host (the corpus' result/*.out, [proto: 188...][Hostname/SNI: ...]),
# how many netify reports with that SNI, and how many with another one.
# Run it with netify built against each nDPI version, with and without
# its own Initial reader, to see which keeps the SNIs (README).
# usage: tests/bench/quic_sni.sh [CORPUS_DIR]     (env: NETIFY, QUIC_CAPACITY)
corpus=${1:-../shared/corpus/ndpi}
netify=${NETIFY:-./netify}
out=$(mktemp -d /tmp/netify-quic.XXXXXX)
trap 'rm -rf "$out"' EXIT
for o in $(grep -l '\[proto: 188[./]' "$corpus"/result/*.out); do
	c=$(basename "$o" .out)
	"$netify" classify --no-summary --budget 0 ${QUIC_CAPACITY:+--quic-capacity "$QUIC_CAPACITY"} \
		"$corpus/pcap/$c" >"$out/$c.json" 2>/dev/null
done
total=0 named=0 differ=0
for o in $(grep -l '\[proto: 188[./].*Hostname/SNI' "$corpus"/result/*.out); do
	c=$(basename "$o" .out)
	set -- $(python3 "$(dirname "$0")/../golden/quicsni.py" "$o" "$out/$c.json" | tail -1)
	total=$((total + $1)) named=$((named + $2)) differ=$((differ + $3))
done
echo "QUIC flows with an SNI in nDPI dev's results: $total; netify names $named" \
	"($(awk -v n=$named -v t=$total 'BEGIN { printf "%.1f", t ? 100 * n / t : 0 }')%), $differ differ"
