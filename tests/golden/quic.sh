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
	if "$netify" classify --no-summary --budget 0 "$corpus/pcap/$pcap" 2>/dev/null |
	   python3 -c '
import json, re, sys
min_share, truth = float(sys.argv[1]), {}
for line in open(sys.argv[2], errors="replace"):
    m = re.search(r"UDP (\S+):(\d+) <?-> (\S+):(\d+) .*\[proto: 188[./].*?\[Hostname/SNI: ([^\]]+)\]", line)
    if m:
        truth[frozenset((m[1].strip("[]") + ":" + m[2], m[3].strip("[]") + ":" + m[4]))] = m[5].lower()
named = wrong = 0
for line in sys.stdin:
    f = json.loads(line).get("flow")
    if not f or f.get("ip_protocol") != 17:
        continue
    key = frozenset(("%s:%s" % (f["local_ip"], f["local_port"]), "%s:%s" % (f["other_ip"], f["other_port"])))
    want = truth.get(key)
    got = ((f.get("ssl") or {}).get("client_sni") or f.get("host_server_name") or "").lower()
    if want and got == want:
        named += 1
    elif want and got:
        wrong += 1
        print("# %s: %s, nDPI dev says %s" % (sorted(key), got, want))
print("# %d of %d QUIC flows named, %d differ" % (named, len(truth), wrong))
sys.exit(0 if truth and wrong == 0 and named >= min_share * len(truth) else 1)
' "$min" "$corpus/result/$pcap.out"; then
		echo "ok $n - $pcap: QUIC SNI as nDPI dev"
	else
		echo "not ok $n - $pcap: QUIC SNI as nDPI dev"
	fi
done
