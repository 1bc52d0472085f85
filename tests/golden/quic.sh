#!/bin/sh
# Golden test of netify's own QUIC Initial reader (src/classify/quic.c) end to end:
# on corpus captures whose ClientHello nDPI 4.2 cannot reassemble (split
# over Initials, CRYPTO frames out of order) and on v2/draft/T051 captures,
# `netify classify` must report the SNI that nDPI's development version
# finds (the corpus' result/<capture>.out), never a different one.
# Skips without the corpus.  TAP.
top=${top_srcdir:-.}
netify=${NETIFY:-./netify}
corpus=${NETIFY_CORPUS:-$top/../shared/corpus/ndpi}

# capture, minimum share of the nDPI-named QUIC flows netify must name
cases='quic_frags_ch_out_of_order_same_packet_craziness.pcapng 0.95
quic-v2.pcapng 1
quic-29.pcap 1
quic_t51.pcap 1
google_meet.pcapng 1'

echo "1..5"
n=0
echo "$cases" | while read -r pcap min; do
	n=$((n + 1))
	if [ ! -r "$corpus/pcap/$pcap" ] || [ ! -r "$corpus/result/$pcap.out" ]; then
		echo "ok $n - $pcap # SKIP corpus not found"
		continue
	fi
	res=$("$netify" classify --no-summary --budget 0 "$corpus/pcap/$pcap" 2>/dev/null |
		python3 "$top/tests/golden/quicsni.py" "$corpus/result/$pcap.out")
	echo "$res" | grep '^#'
	set -- $(echo "$res" | tail -1)
	echo "# $2 of $1 QUIC flows named, $3 differ"
	if [ "$1" -gt 0 ] && [ "$3" -eq 0 ] && awk -v n="$2" -v t="$1" -v m="$min" 'BEGIN { exit !(n >= m * t) }'; then
		echo "ok $n - $pcap: QUIC SNI as nDPI dev"
	else
		echo "not ok $n - $pcap: QUIC SNI as nDPI dev"
	fi
done
