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
python3 - "$corpus" "$out" <<'PY'
import glob, json, os, re, sys
corpus, out = sys.argv[1:3]
total = named = wrong = 0
for o in glob.glob(os.path.join(corpus, "result", "*.out")):
    cap = os.path.basename(o)[:-4]
    truth = {}
    for line in open(o, errors="replace"):
        m = re.search(r"UDP (\S+):(\d+) <?-> (\S+):(\d+) .*\[proto: 188[./].*?\[Hostname/SNI: ([^\]]+)\]", line)
        if m:
            truth[frozenset((m[1].strip("[]") + ":" + m[2], m[3].strip("[]") + ":" + m[4]))] = m[5].lower()
    if not truth:
        continue
    total += len(truth)
    p = os.path.join(out, cap + ".json")
    if not os.path.exists(p):
        continue
    for line in open(p, errors="replace"):
        f = json.loads(line).get("flow")
        if not f or f.get("ip_protocol") != 17:
            continue
        k = frozenset(("%s:%s" % (f["local_ip"], f["local_port"]), "%s:%s" % (f["other_ip"], f["other_port"])))
        want = truth.get(k)
        got = ((f.get("ssl") or {}).get("client_sni") or f.get("host_server_name") or "").lower()
        if want and got == want:
            named += 1
        elif want and got:
            wrong += 1
print("QUIC flows with an SNI in nDPI dev's results: %d; netify names %d (%.1f%%), %d differ"
      % (total, named, 100.0 * named / total if total else 0, wrong))
PY
