#!/usr/bin/env python3
"""Compares what the real collectors stored of a `netify run -r` export with
netify's own flow records (the monitor JSON it printed), field by field.

  replay_check.py pmacct APPS MONITOR PMACCT [--some | --need=RUNS]
  replay_check.py nfdump APPS MONITOR NFDUMP [--some | --need=RUNS]

APPS: `netify apps list --json`. MONITOR: the replays' stdout, one JSON
message a line, the runs separated by a line "#run". A flow is keyed by its
5-tuple and flow id (unique across the runs). Every flow must be stored
(unless --some: the collector was down for a while; then what it stored
must be right and not empty; --need=1,2: only the flows of those runs must
all be there), each collector's records of one flow summed
(active-timeout records carry deltas). Exit 0 when all match.
"""
import json
import subprocess
import sys

from check import Checker, ms_of_iso   # collectors.sh's checker, beside this file

END = {"idle": 1, "closed": 3, "shutdown": 4, "evicted": 5}


def load_flows(apps_path, mon_path):
    labels = {a["id"]: a["name"] for a in json.load(open(apps_path))}
    flows, run, pending = {}, 0, {}
    for line in open(mon_path):
        if line.startswith("#run"):
            run += 1
            pending = {}
            continue
        if not line.startswith("{"):
            continue
        m = json.loads(line)
        if m.get("type") == "flow":
            pending[m["flow"]["flow_id"]] = m["flow"]
        elif m.get("type") == "flow_purge":
            f = pending.pop(m["flow"]["flow_id"], None)
            if not f:
                continue
            p = m["flow"]
            lo = f["local_origin"]
            side = ("local", "other") if lo else ("other", "local")
            e = {
                "flow_id": f["flow_id"], "run": run, "family": f["ip_version"],
                "proto": f["ip_protocol"],
                "saddr": f[side[0] + "_ip"], "daddr": f[side[1] + "_ip"],
                "sport": f[side[0] + "_port"], "dport": f[side[1] + "_port"],
                "smac": f.get(side[0] + "_mac", "00:00:00:00:00:00"),
                "dmac": f.get(side[1] + "_mac", "00:00:00:00:00:00"),
                "start_ms": f["first_seen_at"], "end_ms": p["last_seen_at"],
                "bytes": [p[side[0] + "_bytes"], p[side[1] + "_bytes"]],
                "packets": [p[side[0] + "_packets"], p[side[1] + "_packets"]],
                "end": END[m["reason"]],
                "blocked": p.get("netify", {}).get("blocked", False),
                "host": f.get("host_server_name") or "",
            }
            app = f.get("detected_application", 0)
            master = f["detected_protocol_name"]
            sub = f.get("detected_app_protocol_name")
            if app:
                e["app_id"] = "06-%02X-%02X-%02X-%02X" % tuple(app.to_bytes(4, "big"))
                e["app_name"] = labels.get(app, "?")
            else:
                e["app_id"] = ("0D-%02X-%02X-%02X-%02X" % tuple(f["detected_protocol"].to_bytes(4, "big"))
                               if not sub else None)   # nDPI's sub-protocol id is not in the JSON
                e["app_name"] = master + "." + sub if sub else master
            flows[(e["saddr"], e["sport"], e["daddr"], e["dport"], e["proto"], e["flow_id"])] = e
    return flows


PCAPS = []


def last_mac(e, side):
    """The capture's last source MAC of a flow's side (0: initiator), read
    by tshark: netify's record carries the last packet's, while its flow
    message (MONITOR) shows the MAC when the flow was named."""
    if not PCAPS or e["run"] < 1 or e["run"] > len(PCAPS):
        return None
    src, dst = (e["saddr"], e["daddr"]) if side == 0 else (e["daddr"], e["saddr"])
    sp, dp = (e["sport"], e["dport"]) if side == 0 else (e["dport"], e["sport"])
    ip = "ip" if e["family"] == 4 else "ipv6"
    l4 = {6: "tcp", 17: "udp"}.get(e["proto"])
    flt = f"{ip}.src=={src} && {ip}.dst=={dst}"
    if l4:
        flt += f" && {l4}.srcport=={sp} && {l4}.dstport=={dp}"
    out = subprocess.run(["tshark", "-r", PCAPS[e["run"] - 1], "-Y", flt, "-T", "fields", "-e", "eth.src"],
                         capture_output=True, text=True).stdout.split()
    return out[-1] if out else None


def mac_ok(c, what, got, e, side):
    want = e["smac" if side == 0 else "dmac"]
    if want == "00:00:00:00:00:00" or got == want:
        return     # the flow message had none yet (one direction seen when named)
    c.eq(what + " (the capture's last one)", got, last_mac(e, side))


def merge(got, key, rec, counters, start, end, last=True):
    """Sums a flow's records; the other fields are its last record's (the
    application may be named only at the end)."""
    g = got.get(key)
    if not g:
        got[key] = dict(rec, _n=1, _start=start, _end=end, **{k: v for k, v in counters.items()})
        return
    if last:
        g.update({k: v for k, v in rec.items() if k not in counters})
    g["_n"] += 1
    g["_start"] = min(g["_start"], start)
    g["_end"] = max(g["_end"], end)
    for k, v in counters.items():
        g[k] += v


def check_counts(c, name, want, got, some, need):
    missing = [k for k in want if k not in got and (need is None or want[k]["run"] in need)]
    extra = [k for k in got if k not in want]
    if not some:
        for k in missing[:20]:
            c.eq(f"{name}: flow {want[k]['flow_id']} (run {want[k]['run']}) stored", False, True)
    elif not got:
        c.eq(f"{name}: records stored", 0, "some")
    for k in extra[:20]:
        c.eq(f"{name}: a flow netify did not report {k}", True, False)
    print(f"# {name}: {len(got)} of {len(want)} flows stored, "
          f"{sum(g['_n'] for g in got.values())} records")


def check_pmacct(c, want, path, some, need):
    got = {}
    for line in open(path):
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        proto = {"tcp": 6, "udp": 17}.get(r["ip_proto"], r["ip_proto"])
        key = (r["ip_src"], r["port_src"], r["ip_dst"], r["port_dst"], proto, int(r["flow_id"]))
        merge(got, key, r, {"bytes": r["bytes"], "packets": r["packets"], "rev_bytes": int(r["rev_bytes"]),
                            "rev_pkts": int(r["rev_pkts"])},
              round(float(r["timestamp_start"]) * 1000), round(float(r["timestamp_end"]) * 1000),
              int(r["end_reason"]) != 2)
        if int(r["end_reason"]) != 2:   # the flow's last record says why it ended
            got[key]["_last_end"] = int(r["end_reason"])
    check_counts(c, "nfacctd", want, got, some, need)
    for k, r in got.items():
        e = want.get(k)
        if not e:
            continue
        f = f"nfacctd flow {e['flow_id']} (run {e['run']})"
        mac_ok(c, f + " src mac", r["mac_src"], e, 0)
        mac_ok(c, f + " dst mac", r["mac_dst"], e, 1)
        c.eq(f + " start", r["_start"], e["start_ms"])
        c.eq(f + " end", r["_end"], e["end_ms"])
        c.eq(f + " bytes", r["bytes"], e["bytes"][0])
        c.eq(f + " packets", r["packets"], e["packets"][0])
        c.eq(f + " reverse bytes", r["rev_bytes"], e["bytes"][1])
        c.eq(f + " reverse packets", r["rev_pkts"], e["packets"][1])
        c.eq(f + " flowEndReason", r.get("_last_end"), e["end"])
        c.eq(f + " forwardingStatus", int(r["fwd"]), 129 if e["blocked"] else 64)
        if e["app_id"]:
            c.eq(f + " applicationId", r["app_id"], e["app_id"])
        else:
            c.eq(f + " applicationId engine", r["app_id"][:2], "0D")
        c.eq(f + " class (applicationName)", r["class"], e["app_name"][:31] or "unknown")
        c.eq(f + " httpRequestHost", r["http_host"], e["host"])


def check_nfdump(c, want, path, some, need):
    got = {}
    for r in json.load(open(path)):
        if r.get("type") != "FLOW":
            continue
        v = "4" if "src4_addr" in r else "6"
        # nfdump keeps no flowId: the 5-tuple and the start find the flow
        key = (r[f"src{v}_addr"], r["src_port"], r[f"dst{v}_addr"], r["dst_port"], r["proto"])
        merge(got, key, r, {"in_bytes": r["in_bytes"], "in_packets": r["in_packets"],
                            "out_bytes": r.get("out_bytes", 0), "out_packets": r.get("out_packets", 0)},
              ms_of_iso(r["first"]), ms_of_iso(r["last"]))
    by5 = {}
    for k, e in want.items():
        by5.setdefault(k[:5], []).append(e)
    w5 = {}
    for k5, es in by5.items():
        if len(es) == 1:    # a 5-tuple reused across runs is left out
            w5[k5] = es[0]
    got = {k: v for k, v in got.items() if k in w5 or k not in by5}
    check_counts(c, "nfcapd", w5, got, some, need)
    for k, r in got.items():
        e = w5.get(k)
        if not e:
            continue
        f = f"nfcapd flow {e['flow_id']} (run {e['run']})"
        mac_ok(c, f + " src mac", r.get("in_src_mac"), e, 0)
        mac_ok(c, f + " dst mac", r.get("in_dst_mac"), e, 1)
        c.eq(f + " first", r["_start"], e["start_ms"])
        c.eq(f + " last", r["_end"], e["end_ms"])
        for name, k, want_v in (("in bytes", "in_bytes", e["bytes"][0]), ("in packets", "in_packets", e["packets"][0]),
                                ("out bytes", "out_bytes", e["bytes"][1]),
                                ("out packets", "out_packets", e["packets"][1])):
            if some:    # records sent while it was down are lost: never more than the flow's
                c.eq(f + " " + name + " at most the flow's", r[k] <= want_v, True)
            else:
                c.eq(f + " " + name, r[k], want_v)


def main():
    kind, apps, mon, path = sys.argv[1:5]
    some, need = False, None
    for a in sys.argv[5:]:
        if a == "--some":
            some = True
        elif a.startswith("--pcaps="):  # the runs' captures, in order
            PCAPS.extend(a[8:].split(","))
        elif a.startswith("--need="):    # only these runs' flows must all be there
            need = {int(x) for x in a[7:].split(",")}
    want = load_flows(apps, mon)
    c = Checker(40)
    if not want:
        c.eq("netify's flows", 0, "some")
    {"pmacct": check_pmacct, "nfdump": check_nfdump}[kind](c, want, path, some, need)
    sys.exit(1 if c.errors else 0)


if __name__ == "__main__":
    main()
