#!/usr/bin/env python3
"""Compare `netify classify` output with a reference table from the corpus.

Usage: compare.py REF.tsv OUTDIR [--min-agreement PCT] [--field proto|app]

OUTDIR holds one <capture>.json per capture (netify classify output).
Flows are matched on L4 protocol, VLAN and both endpoints in either order,
as the corpus README says. Prints the agreement and every flow that
differs; exits 1 when the agreement is under the minimum.
"""
import argparse
import csv
import ipaddress
import json
import os
import sys

L4 = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58}


def norm_ip(s):
    try:
        return str(ipaddress.ip_address(s.strip("[]")))
    except ValueError:
        return s


def key(l4, a, ap, b, bp, vlan):
    ends = sorted([(norm_ip(a), int(ap or 0)), (norm_ip(b), int(bp or 0))])
    return (l4, int(vlan or 0), ends[0], ends[1])


def load_ref(path):
    ref = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            l4 = row["l4"].upper()
            l4n = L4.get(l4)
            if l4n is None:
                try:
                    l4n = int(row["l4"])
                except ValueError:
                    continue
            k = key(l4n, row["src_ip"], row["src_port"], row["dst_ip"], row["dst_port"], row["vlan"])
            ref.setdefault(row["pcap"], {})[k] = row
    return ref


def load_netify(path):
    flows = {}
    with open(path, errors="strict") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("type") != "flow":
                continue
            fl = rec["flow"]
            k = key(fl["ip_protocol"], fl["local_ip"], fl["local_port"], fl["other_ip"],
                    fl["other_port"], fl["vlan_id"])
            flows[k] = fl
    return flows


def netify_proto(fl):
    master = fl["detected_protocol_name"]
    app = fl.get("detected_app_protocol_name")
    return master + "." + app if app else master


def ref_proto(row):
    master, app = row["master"], row["app"]
    return master if master == app or not app else master + "." + app


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ref")
    ap.add_argument("outdir")
    ap.add_argument("--min-agreement", type=float, default=0.0)
    ap.add_argument("--show", type=int, default=60)
    args = ap.parse_args()

    ref = load_ref(args.ref)
    matched = agree = unmatched = 0
    diffs = []
    for pcap in sorted(ref):
        out = os.path.join(args.outdir, pcap + ".json")
        if not os.path.exists(out):
            continue
        mine = load_netify(out)
        for k, row in ref[pcap].items():
            fl = mine.get(k)
            if fl is None:
                unmatched += 1
                continue
            matched += 1
            want, got = ref_proto(row), netify_proto(fl)
            if want.lower() == got.lower():
                agree += 1
            else:
                diffs.append((pcap, k, want, got))
    pct = 100.0 * agree / matched if matched else 0.0
    for d in diffs[: args.show]:
        print("# differs: %s %s want=%s got=%s" % d)
    if len(diffs) > args.show:
        print("# ... %d more" % (len(diffs) - args.show))
    print("# matched flows %d, agree %d (%.2f%%), reference flows not found %d"
          % (matched, agree, pct, unmatched))
    return 0 if pct >= args.min_agreement and matched > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
