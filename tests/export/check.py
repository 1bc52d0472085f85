#!/usr/bin/env python3
"""Compares what a real IPFIX collector stored with the records export_tool
exported (its EXPECT file), field by field.

  check.py nfdump EXPECT JSON BATCHES    nfdump -o json output (TZ=UTC)
  check.py nfdump-app EXPECT TEXT BATCHES  nfdump -o 'fmt:%sp|%dp|%nbid' output
  check.py pmacct EXPECT JSON BATCHES    nfacctd print plugin, json lines
  check.py tshark EXPECT TEXT BATCHES    tshark -T fields lines (see collectors.sh)

BATCHES: comma-separated batch numbers whose every record must be there;
records of other batches must not be. Exit 0 when all match; mismatches
are printed as TAP diagnostics.
"""
import datetime
import json
import sys

REPLACEMENT = "\ufffd"
ENGINE_USER, ENGINE_PANA_L7 = 6, 13


def text(hexstr):
    """What the exporter sends for a string: UTF-8, each bad byte U+FFFD.
    (The test's hostile strings hold no cut-off multi-byte sequences, where
    Python's 'replace' would count differently.)"""
    return bytes.fromhex(hexstr).decode("utf-8", "replace")


def fixed_text(hexstr, size):
    """A fixed-length options string: whole UTF-8 sequences that fit in
    size - 1 bytes."""
    out, used = "", 0
    for ch in text(hexstr):
        n = len(ch.encode())
        if used + n > size - 1:
            break
        out += ch
        used += n
    return out


def app_id(e):
    if e["app_id"]:
        return ENGINE_USER, e["app_id"]
    return ENGINE_PANA_L7, e["ndpi_id"]


def app_name(e):
    return text(e["app_name"] if e["app_id"] else e["ndpi_name"])


def load_expect(path, batches):
    want = {}
    for line in open(path):
        e = json.loads(line)
        if e["flow_id"] // 1000 in batches:
            want[(e["sport"], e["dport"], e["proto"])] = e
    return want


class Checker:
    """Counts mismatches, prints the first `shown` of them."""
    def __init__(self, shown=30):
        self.errors = 0
        self.shown = shown

    def eq(self, what, got, want):
        if got != want:
            self.errors += 1
            if self.errors <= self.shown:
                print(f"# {what}: got {got!r}, want {want!r}")


def ms_of_iso(s):
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)


def match_all(c, want, got_keys, name):
    for k in want:
        if k not in got_keys:
            c.eq(f"{name}: flow {want[k]['flow_id']} stored", False, True)
    for k in got_keys:
        if k not in want:
            c.eq(f"{name}: unexpected flow with ports {k}", True, False)


def check_nfdump(c, want, path):
    recs = json.load(open(path))
    got = {}
    for r in recs:
        if r.get("type") != "FLOW":
            continue
        got[(r["src_port"], r["dst_port"], r["proto"])] = r
    match_all(c, want, got, "nfdump")
    for k, r in got.items():
        e = want.get(k)
        if not e:
            continue
        f = f"nfdump flow {e['flow_id']}"
        v = "4" if e["family"] == 4 else "6"
        c.eq(f + " src addr", r.get(f"src{v}_addr"), e["saddr"])
        c.eq(f + " dst addr", r.get(f"dst{v}_addr"), e["daddr"])
        c.eq(f + " first", ms_of_iso(r["first"]), e["start_ms"])
        c.eq(f + " last", ms_of_iso(r["last"]), e["end_ms"])
        c.eq(f + " in bytes", r["in_bytes"], e["bytes"][0])
        c.eq(f + " in packets", r["in_packets"], e["packets"][0])
        c.eq(f + " out bytes", r.get("out_bytes"), e["bytes"][1])
        c.eq(f + " out packets", r.get("out_packets"), e["packets"][1])
        c.eq(f + " src mac", r.get("in_src_mac"), e["smac"])
        c.eq(f + " dst mac", r.get("in_dst_mac"), e["dmac"])


def check_nfdump_app(c, want, path):
    got = {}
    for line in open(path):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 4 or not parts[0].isdigit():
            continue
        got[(int(parts[0]), int(parts[1]), int(parts[2]))] = parts[3]
    match_all(c, want, got, "nfdump")
    for k, nbid in got.items():
        e = want.get(k)
        if e:
            # nfdump 1.7.1 prints the 5 bytes as "<last byte>..<first four,
            # little-endian>": 6/402 shows as "146..16777222"
            engine, sel = app_id(e)
            b = bytes([engine]) + sel.to_bytes(4, "big")
            c.eq(f"nfdump flow {e['flow_id']} applicationId", nbid,
                 f"{b[4]}..{int.from_bytes(b[:4], 'little')}")


def check_pmacct(c, want, path):
    got = {}
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        proto = {"tcp": 6, "udp": 17}.get(r["ip_proto"], r["ip_proto"])
        got[(r["port_src"], r["port_dst"], proto)] = r
    match_all(c, want, got, "nfacctd")
    for k, r in got.items():
        e = want.get(k)
        if not e:
            continue
        f = f"nfacctd flow {e['flow_id']}"
        c.eq(f + " src addr", r["ip_src"], e["saddr"])
        c.eq(f + " dst addr", r["ip_dst"], e["daddr"])
        c.eq(f + " src mac", r["mac_src"], e["smac"])
        c.eq(f + " dst mac", r["mac_dst"], e["dmac"])
        c.eq(f + " start", round(float(r["timestamp_start"]) * 1000), e["start_ms"])
        c.eq(f + " end", round(float(r["timestamp_end"]) * 1000), e["end_ms"])
        c.eq(f + " bytes", r["bytes"], e["bytes"][0])
        c.eq(f + " packets", r["packets"], e["packets"][0])
        c.eq(f + " reverse bytes", int(r["rev_bytes"]), e["bytes"][1])
        c.eq(f + " reverse packets", int(r["rev_pkts"]), e["packets"][1])
        c.eq(f + " flowId", int(r["flow_id"]), e["flow_id"])
        c.eq(f + " flowEndReason", int(r["end_reason"]), e["end"])
        c.eq(f + " forwardingStatus", int(r["fwd"]), 129 if e["action"] == 2 else 64)
        engine, sel = app_id(e)
        c.eq(f + " applicationId", r["app_id"], "%02X-%02X-%02X-%02X-%02X" % (
            engine, sel >> 24, (sel >> 16) & 255, (sel >> 8) & 255, sel & 255))
        # the name from the options records (RFC 6759), as nfacctd's class
        name = fixed_text(e["app_name"] if e["app_id"] else e["ndpi_name"], 32)
        c.eq(f + " class (applicationName)", r["class"], name or "unknown")
        c.eq(f + " httpRequestHost", r["http_host"], text(e["host"]))


def check_tshark(c, want, path):
    """Lines: stream|seq|flowset ids|flow ids|app names|categories|hosts,
    lists joined with ';' (tshark -E aggregator). Checks that each TCP
    connection starts with templates and sequence number 0, that sequence
    numbers count the data records, and the strings of every record."""
    got, streams = {}, {}
    for line in open(path):
        parts = line.rstrip("\n").split("|")
        if len(parts) != 7 or not parts[0]:
            continue
        stream, seq, sets, fids, names, cats, hosts = parts
        st = streams.setdefault(stream, {"seq": None, "first": True})
        sets = [int(s) for s in sets.split(";") if s]
        fids = [int(x) for x in fids.split(";") if x]
        seq = int(seq)
        if st["first"]:
            c.eq(f"tshark stream {stream} starts with templates", sets[:1], [2])
            c.eq(f"tshark stream {stream} first sequence", seq, 0)
            st["first"] = False
            st["seq"] = 0
        c.eq(f"tshark stream {stream} sequence", seq, st["seq"])
        names, cats, hosts = names.split(";"), cats.split(";"), hosts.split(";")
        if 256 in sets or 257 in sets:
            st["seq"] = seq + len(fids)
        elif 258 in sets:   # a message of application records only
            st["seq"] = seq + len(names)
            continue
        else:               # templates: no data records
            continue
        # tshark leaves empty strings out of its lists: compare the
        # non-empty ones of each message, in order
        want_ids = {e["flow_id"]: e for e in want.values()}
        es = [want_ids.get(fid) for fid in fids]
        for fid in fids:
            got[fid] = True
        if None in es:
            continue
        f = f"tshark message of flows {fids[0]}..{fids[-1]}"
        c.eq(f + " applicationName", [n for n in names if n], [app_name(e) for e in es if app_name(e)])
        c.eq(f + " applicationCategoryName", [x for x in cats if x],
             [text(e["category"]) for e in es if e["app_id"] and text(e["category"])])
        c.eq(f + " httpRequestHost", [x for x in hosts if x], [text(e["host"]) for e in es if text(e["host"])])
    want_ids = {e["flow_id"]: e for e in want.values()}
    match_all(c, want_ids, got, "tshark")
    c.eq("tshark TCP connections", len(streams), 2)


def main():
    kind, expect, got, batches = sys.argv[1:5]
    want = load_expect(expect, {int(b) for b in batches.split(",")})
    if not want:
        print("# no expected records")
        return 1
    c = Checker()
    if kind == "nfdump":
        check_nfdump(c, want, got)
    elif kind == "nfdump-app":
        check_nfdump_app(c, want, got)
    elif kind == "pmacct":
        check_pmacct(c, want, got)
    elif kind == "tshark":
        check_tshark(c, want, got)
    else:
        print(f"# unknown kind {kind}")
        return 2
    print(f"# {kind}: {len(want)} records expected, {c.errors} mismatches")
    return 1 if c.errors else 0


if __name__ == "__main__":
    sys.exit(main())
