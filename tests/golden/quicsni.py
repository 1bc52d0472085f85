#!/usr/bin/env python3
"""QUIC SNIs netify reports against nDPI dev's, per capture.

Usage: quicsni.py RESULT.out [NETIFY.json]   (netify classify output; stdin
without the second argument)

RESULT.out is nDPI's expected output for the capture; its QUIC flows
([proto: 188...]) with a [Hostname/SNI: ...] are the truth. Prints
"TOTAL NAMED DIFFER" (flows in the truth, flows netify names the same,
flows netify names otherwise) and one "# ..." line per differing flow.
Used by tests/golden/quic.sh and tests/bench/quic_sni.sh.
"""
import json
import re
import sys

TRUTH_RE = re.compile(r"UDP (\S+):(\d+) <?-> (\S+):(\d+) .*\[proto: 188[./].*?\[Hostname/SNI: ([^\]]+)\]")


def truth_of(path):
    truth = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = TRUTH_RE.search(line)
            if m:
                ends = (m[1].strip("[]") + ":" + m[2], m[3].strip("[]") + ":" + m[4])
                truth[frozenset(ends)] = m[5].lower()
    return truth


def compare(truth, lines):
    named = differ = 0
    for line in lines:
        f = json.loads(line).get("flow")
        if not f or f.get("ip_protocol") != 17:
            continue
        key = frozenset(("%s:%s" % (f["local_ip"], f["local_port"]),
                         "%s:%s" % (f["other_ip"], f["other_port"])))
        want = truth.get(key)
        got = ((f.get("ssl") or {}).get("client_sni") or f.get("host_server_name") or "").lower()
        if want and got == want:
            named += 1
        elif want and got:
            differ += 1
            print("# %s: %s, nDPI dev says %s" % (sorted(key), got, want))
    return named, differ


def main():
    truth = truth_of(sys.argv[1])
    src = open(sys.argv[2], errors="replace") if len(sys.argv) > 2 else sys.stdin
    named, differ = compare(truth, src)
    print(len(truth), named, differ)


if __name__ == "__main__":
    main()
