#!/usr/bin/env python3
"""Turn ndpiReader `-v 2` flow lines into the corpus' table format.

Usage: ndpiout.py OUTDIR > TABLE.tsv

OUTDIR holds one <capture>.out per capture (ndpiReader -v 2 output, as
nDPI's own result/ files are). Prints the columns of the corpus'
expected-ndpi-dev.tsv: pcap, flow_id, l4, endpoints, vlan, protocol ids,
master, app, confidence, category, host, ip_proto. Lines that are not
flows are ignored. Used to build the reference of the ndpiReader of the
same nDPI version as the libndpi netify is built with (tests/golden).
"""
import os
import re
import sys

FLOW_RE = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(<->|->)\s+(\S+)\s+(\[.*)$")
TAG_RE = re.compile(r"\[([A-Za-z0-9 /_()-]+): ([^\]]*)\]")
COLS = ["pcap", "flow_id", "l4", "src_ip", "src_port", "dir", "dst_ip", "dst_port", "vlan",
        "proto_ids", "master", "app", "confidence", "category", "host", "ip_proto"]


def endpoint(s):
    """'1.2.3.4:80', '[2001::1]:443' or '1.2.3.4' -> (address, port)."""
    if s.startswith("["):
        host, _, port = s[1:].partition("]:")
        return host.rstrip("]"), port or "0"
    if s.count(":") == 1:
        host, _, port = s.partition(":")
        return host, port
    return s, "0"


def proto_names(value):
    """'91.203/TLS.Github' -> ('91.203', 'TLS', 'Github'); '91/TLS' -> (.., 'TLS', 'TLS')."""
    ids, _, names = value.partition("/")
    if "." in ids and "." in names:
        master, _, app = names.partition(".")
    else:
        master = app = names
    return ids, master, app


def rows(path, pcap):
    with open(path, errors="replace") as f:
        for line in f:
            m = FLOW_RE.match(line.rstrip("\n"))
            if not m:
                continue
            fid, l4, a, d, b, rest = m.groups()
            tags = dict(TAG_RE.findall(rest))
            if "proto" not in tags:
                continue
            ids, master, app = proto_names(tags["proto"])
            (sa, sp), (da, dp) = endpoint(a), endpoint(b)
            ip = tags.get("IP", "")
            yield [pcap, fid, l4.upper(), sa, sp, d, da, dp, tags.get("VLAN", ""), ids, master, app,
                   tags.get("Confidence", ""), tags.get("cat", "").split("/")[0],
                   tags.get("Hostname/SNI", ""), ip.partition("/")[2] if ip else ""]


def main():
    outdir = sys.argv[1]
    print("\t".join(COLS))
    for name in sorted(os.listdir(outdir)):
        if name.endswith(".out"):
            for r in rows(os.path.join(outdir, name), name[:-4]):
                print("\t".join(r))


if __name__ == "__main__":
    main()
