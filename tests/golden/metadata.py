#!/usr/bin/env python3
"""Compare the metadata netify extracts with nDPI's own expected output.

Usage: metadata.py RESULTDIR OUTDIR [--min PCT]

RESULTDIR holds nDPI's `<capture>.out` files (ndpiReader -v 2 of nDPI's
regression suite); OUTDIR holds `netify classify` output per capture.
For every flow present in both, each field nDPI printed is compared with
netify's JSON. Prints per-field agreement; exits 1 if any field with at
least 5 samples is under --min.
"""
import argparse
import ipaddress
import json
import os
import re
import sys

FLOW_RE = re.compile(r"^\s*\d+\s+(\S+)\s+(\S+)\s+(<->|->)\s+(\S+?)\s")
TAG_RE = re.compile(r"\[([A-Za-z0-9 /_-]+): ([^\]]*)\]")
L4 = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58}


def endpoint(s):
    if s.startswith("["):
        host, _, port = s[1:].partition("]:")
    else:
        host, _, port = s.rpartition(":") if s.count(":") == 1 else (s, "", "0")
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        pass
    return (host, int(port or 0))


def key(l4, a, b, vlan):
    e = sorted([a, b])
    return (l4, vlan, e[0], e[1])


def dig(fl, *path):
    for p in path:
        if not isinstance(fl, dict) or p not in fl:
            return None
        fl = fl[p]
    return fl


FIELDS = {
    "Hostname/SNI": lambda f: f.get("host_server_name"),
    "JA3C": lambda f: dig(f, "ssl", "client_ja3"),
    "JA3S": lambda f: dig(f, "ssl", "server_ja3"),
    "Certificate SHA-1": lambda f: (dig(f, "ssl", "cert_fingerprint") or "").replace(":", "").upper() or None,
    "Subject": lambda f: dig(f, "ssl", "subject_dn"),
    "Issuer": lambda f: dig(f, "ssl", "issuer_dn"),
    "User-Agent": lambda f: dig(f, "http", "user_agent"),
    "DHCP Fingerprint": lambda f: dig(f, "dhcp", "fingerprint"),
    "DHCP Class Ident": lambda f: dig(f, "dhcp", "class_ident"),
}


def norm(field, v):
    v = (v or "").strip()
    if v.endswith(" (WEAK)"):
        v = v[:-7]
    if field == "Certificate SHA-1":
        v = v.replace(":", "").upper()
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("resultdir")
    ap.add_argument("outdir")
    ap.add_argument("--min", type=float, default=0.0)
    args = ap.parse_args()
    stats = {k: [0, 0] for k in FIELDS}
    misses = {k: [] for k in FIELDS}
    for name in sorted(os.listdir(args.resultdir)):
        cap = name[:-4]
        out = os.path.join(args.outdir, cap + ".json")
        if not name.endswith(".out") or not os.path.exists(out):
            continue
        mine = {}
        with open(out) as f:
            for line in f:
                r = json.loads(line)
                if r.get("type") != "flow":
                    continue
                fl = r["flow"]
                k = key(fl["ip_protocol"], (fl["local_ip"], fl["local_port"]),
                        (fl["other_ip"], fl["other_port"]), fl["vlan_id"])
                mine[k] = fl
        with open(os.path.join(args.resultdir, name), errors="replace") as f:
            for line in f:
                m = FLOW_RE.match(line)
                if not m or m.group(1).upper() not in L4:
                    continue
                tags = dict(TAG_RE.findall(line))
                vlan = int(tags.get("VLAN", "0") or 0)
                k = key(L4[m.group(1).upper()], endpoint(m.group(2)), endpoint(m.group(4)), vlan)
                fl = mine.get(k)
                if fl is None:
                    continue
                for field, get in FIELDS.items():
                    if field not in tags or not tags[field].strip():
                        continue
                    want, got = norm(field, tags[field]), norm(field, get(fl))
                    stats[field][0] += 1
                    if want == got:
                        stats[field][1] += 1
                    elif len(misses[field]) < 5:
                        misses[field].append((cap, want[:60], got[:60]))
    rc = 0
    for field, (n, ok) in stats.items():
        pct = 100.0 * ok / n if n else 100.0
        print("# %-18s %5d/%-5d %6.2f%%" % (field, ok, n, pct))
        for miss in misses[field]:
            print("#    %s want=%r got=%r" % miss)
        if n >= 5 and pct < args.min:
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
