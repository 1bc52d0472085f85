#!/bin/sh
# Application accuracy on the nDPI corpus: the share of flows whose
# application matches the nDPI-dev ground truth, for netify (nDPI +
# application definitions) and for the ndpiReader of the same nDPI version,
# per capture and overall, on the same flows.
#
# usage: tests/bench/app_accuracy.sh [CORPUS_DIR [APPS_DIR [PEER_TSV]]]
#   CORPUS_DIR  default ../shared/corpus/ndpi (pcap/, expected-ndpi-dev.tsv)
#   APPS_DIR    default policy/apps.d
#   PEER_TSV    ndpiReader's table for the same nDPI version as netify's
#               (tests/golden/ndpiref.sh makes one); default the corpus'
#               ndpireader-4.2.tsv (Debian's 4.2)
#   NETIFY      the netify binary (default ./netify)
#
# Names are compared case-insensitively after one mapping, applied the same
# way to the truth, to netify and to ndpiReader: a name that the catalog
# lists as an nDPI name (ndpi:), tag or display name of an application
# stands for that application (so nDPI's "WhatsAppCall" and netify's
# "whatsapp" are the same application, as a policy sees them).  A flow
# agrees when the truth's application (its app column, which falls back to
# the protocol) is one of the names the tool reports for it: for netify
# its application (detected_application_name), nDPI's application kept in
# the record (ndpi_application_name, ndpi_address_application_name) or the
# protocol (detected_protocol_name, detected_app_protocol_name); for
# ndpiReader its app, its protocol or the application it names by address
# ([IP: ...], nDPI >= 4.6).  A truth flow a tool did not report counts as
# a miss.  The raw string match of ndpiReader's app column is printed too.
set -e
corpus=${1:-../shared/corpus/ndpi}
apps=${2:-policy/apps.d}
peer_tsv=${3:-$corpus/ndpireader-4.2.tsv}
netify=${NETIFY:-./netify}
out=$(mktemp -d /tmp/netify-accuracy.XXXXXX)
trap 'rm -rf "$out"' EXIT

for p in $(cut -f1 "$corpus/expected-ndpi-dev.tsv" | tail -n +2 | sort -u); do
	"$netify" classify --no-summary --apps "$apps" "$corpus/pcap/$p" \
		>"$out/$p.ndjson" 2>/dev/null || true
done

python3 - "$corpus" "$apps" "$out" "$peer_tsv" <<'PYEOF'
import collections, glob, json, os, sys

corpus, apps_dir, out, peer_tsv = sys.argv[1:5]
L4 = {1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 47: "GRE", 50: "ESP",
      51: "AH", 58: "ICMPV6", 89: "OSPF", 103: "PIM", 112: "VRRP",
      113: "PGM", 132: "SCTP"}

# the catalog, later files winning, as netify reads it
tags, labels, ndpi = {}, {}, {}
for path in sorted(glob.glob(os.path.join(apps_dir, "*.conf"))):
    for line in open(path, encoding="utf-8", errors="replace"):
        f = [x.strip() for x in line.strip().split(":", 4)]
        if len(f) >= 3 and f[0] == "app":
            tags[f[1]] = f[2].lower()
            if len(f) == 5:
                labels[f[1]] = f[4].lower()
        elif len(f) >= 3 and f[0] == "ndpi":
            ndpi[":".join(f[2:]).lower()] = f[1]
by_name = {}
for i, t in tags.items():
    by_name.setdefault(t, t)
for i, l in labels.items():
    by_name.setdefault(l, tags[i])
for n, i in ndpi.items():
    if i in tags:
        by_name[n] = tags[i]

def canon(name):
    n = (name or "unknown").strip().lower()
    return by_name.get(n, n)

def key(pcap, l4, vlan, a, ap, b, bp):
    return (pcap, l4, vlan or "0") + tuple(sorted([(a, str(ap)), (b, str(bp))]))

def load_tsv(path):
    rows = collections.defaultdict(list)
    with open(path) as fh:
        head = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            rows[key(r["pcap"], r["l4"], r["vlan"], r["src_ip"], r["src_port"],
                     r["dst_ip"], r["dst_port"])].append(r)
    return rows

truth = load_tsv(os.path.join(corpus, "expected-ndpi-dev.tsv"))
peer = load_tsv(peer_tsv)

mine = collections.defaultdict(list)
for path in glob.glob(os.path.join(out, "*.ndjson")):
    pcap = os.path.basename(path)[:-len(".ndjson")]
    for line in open(path, errors="replace"):
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("type") != "flow":
            continue
        f = rec["flow"]
        names = [f.get(n) for n in ("detected_application_name", "ndpi_application_name",
                                    "ndpi_address_application_name", "detected_protocol_name",
                                    "detected_app_protocol_name")]
        names = {canon(n) for n in names if n and n != "unknown"} or {"unknown"}
        k = key(pcap, L4.get(f.get("ip_protocol"), str(f.get("ip_protocol"))),
                str(f.get("vlan_id") or 0), f.get("local_ip"), f.get("local_port", 0),
                f.get("other_ip"), f.get("other_port", 0))
        mine[k].append(names)

per = collections.defaultdict(lambda: [0, 0, 0, 0])  # flows, netify, peer, peer raw
for k, rows in truth.items():
    got, theirs = mine.get(k, []), peer.get(k, [])
    for i, r in enumerate(rows):
        c = per[r["pcap"]]
        c[0] += 1
        want = canon(r["app"])
        if i < len(got) and want in got[i]:
            c[1] += 1
        if i < len(theirs):
            t = theirs[i]
            c[2] += want in {canon(t["app"]), canon(t["master"]), canon(t.get("ip_proto") or "unknown")}
            c[3] += theirs[i]["app"].lower() == r["app"].lower()

pct = lambda a, b: 100.0 * a / b if b else 0.0
print("%-44s %6s %8s %8s" % ("capture", "flows", "netify", "ndpiReader"))
tot = [0, 0, 0, 0]
for pcap in sorted(per):
    c = per[pcap]
    tot = [x + y for x, y in zip(tot, c)]
    print("%-44s %6d %7.1f%% %7.1f%%" % (pcap[:44], c[0], pct(c[1], c[0]), pct(c[2], c[0])))
print("%-44s %6d %7.1f%% %7.1f%%" % ("OVERALL", tot[0], pct(tot[1], tot[0]), pct(tot[2], tot[0])))
print("ndpiReader, raw app-name match without the catalog mapping: %.1f%%" % pct(tot[3], tot[0]))
PYEOF
