#!/usr/bin/env python3
"""Helpers of tests/bench/memory_bench.sh (standard library only).

  onepkt OUT.pcap N        a capture of N one-packet UDP flows (Ethernet,
                           IPv4, 32-byte payloads, all in the same second):
                           every flow stays under inspection to the end
  probe ADDR PPS SECS PORT one UDP datagram to a new port every 1/PPS s, so
                           each one is a new flow and queued
  match IN OUT ADDR        forwarding delay of the probes to ADDR: capture
                           time on the egress interface minus the ingress
                           one (json: n, lost, p50_us, p99_us, p999_us, max_us)
  sched PID                reads `perf sched timehist` on stdin; scheduling
                           delay (wakeup to running) of PID's busiest thread
  table RESULTS            prints the results file as the bench's table
"""
import json
import struct
import sys
import time


def onepkt(out, n):
    n = int(n)
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    payload = b"\x00" * 32
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            src = bytes([10, 1, (i >> 8) & 255, i & 255])
            dst = bytes([10, 2, (i >> 16) & 255, 1])
            udp = struct.pack(">HHHH", 1024 + i % 60000, 7000 + i // 60000, 8 + len(payload), 0) + payload
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, src, dst)
            s = sum(struct.unpack(">10H", ip))
            s = (s & 0xFFFF) + (s >> 16)
            s = (s & 0xFFFF) + (s >> 16)
            pkt = eth + ip[:10] + struct.pack(">H", ~s & 0xFFFF) + ip[12:] + udp
            f.write(struct.pack("<IIII", 1000000000, i % 1000000, len(pkt), len(pkt)) + pkt)


def probe(addr, pps, secs, base):
    import socket

    pps, secs, base = float(pps), float(secs), int(base)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n = int(pps * secs)
    t0 = time.monotonic()
    for i in range(n):
        try:
            s.sendto(b"probe" + struct.pack(">I", i) + b"x" * 23, (addr, base + i % 30000))
        except OSError:
            pass
        d = t0 + (i + 1) / pps - time.monotonic()
        if d > 0:
            time.sleep(d)
    print(n)


def pcap_udp_to(path, dst):
    """{probe sequence number: first capture time in us} of the probes to dst."""
    try:
        d = open(path, "rb").read()
    except OSError:
        return {}
    if len(d) < 24:
        return {}
    magic = d[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", d[20:24])[0]
    skip = {1: 14, 113: 16, 276: 20}.get(linktype, 0)
    dstb = bytes(int(x) for x in dst.split("."))
    off, out = 24, {}
    while off + 16 <= len(d):
        sec, frac, cap, _ = struct.unpack(e + "IIII", d[off:off + 16])
        off += 16
        ip = d[off + skip:off + cap]
        off += cap
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17 or ip[16:20] != dstb:
            continue
        ihl = (ip[0] & 15) * 4
        body = ip[ihl + 8:ihl + 17]
        if not body.startswith(b"probe") or len(body) < 9:
            continue
        out.setdefault(body[5:9], sec * 1e6 + (frac / 1e3 if nano else frac))
    return out


def pct(v, p):
    return v[min(len(v) - 1, int(p * len(v)))] if v else None


def match(a_path, b_path, dst):
    a, b = pcap_udp_to(a_path, dst), pcap_udp_to(b_path, dst)
    ds = sorted(b[k] - a[k] for k in a if k in b)
    r = lambda x: None if x is None else round(x, 1)
    print(json.dumps({"n": len(ds), "lost": len(a) - len(ds), "p50_us": r(pct(ds, 0.5)),
                      "p99_us": r(pct(ds, 0.99)), "p999_us": r(pct(ds, 0.999)),
                      "max_us": r(ds[-1] if ds else None)}))


def sched(pid):
    """perf sched timehist lines: time cpu task wait sch_delay run (ms)."""
    per = {}
    for line in sys.stdin:
        f = line.split()
        if len(f) < 6 or not f[1].startswith("["):
            continue
        task = f[2]
        if "/%s]" % pid not in task and "[%s]" % pid not in task:
            continue
        try:
            per.setdefault(task, []).append(float(f[4]) * 1000)
        except ValueError:
            continue
    if not per:
        print("{}")
        return
    task, v = max(per.items(), key=lambda x: len(x[1]))
    v.sort()
    print(json.dumps({"thread": task, "wakeups": len(v), "p50_us": round(pct(v, 0.5)),
                      "p99_us": round(pct(v, 0.99)), "max_us": round(v[-1])}))


def table(path):
    """RESULTS lines: version<TAB>key<TAB>value ("-": the unenforced lab).
    Prints each figure with one row per nDPI version."""
    res, versions = {}, []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) != 3:
            continue
        v, k, val = f
        if v != "-" and v not in versions:
            versions.append(v)
        res[(v, k)] = val
    versions.sort(key=lambda v: [int(x) if x.isdigit() else 0 for x in v.split(".")])

    def get(v, k):
        try:
            return float(res.get((v, k)))
        except (TypeError, ValueError):
            return None

    def mb(x):
        return "%.1f MiB" % (x / 1024) if x is not None else "-"

    def nb(x):
        return "%.0f B" % x if x is not None else "-"

    def lat(v, ph):
        x = [get(v, "%s_%s" % (ph, q)) for q in ("p50", "p99", "p999")]
        return "/".join("%.0f" % y if y is not None else "-" for y in x)

    def ratio(a, c):
        return "%.2f" % (a / c) if a is not None and c else "-"

    figures = []

    def figure(title, goal, rows):
        figures.append((title, goal, rows))

    figure("classify peak RSS, big input", "<= 40 MB", [
        (v, mb(get(v, "classify_rss")), "ndpiReader " + mb(get(v, "reader_rss")),
         ratio(get(v, "classify_rss"), get(v, "reader_rss"))) for v in versions])
    figure("classify marginal RSS per flow (big - half)", "", [
        (v, nb(get(v, "classify_per_flow")), "ndpiReader " + nb(get(v, "reader_per_flow")),
         ratio(get(v, "classify_per_flow"), get(v, "reader_per_flow"))) for v in versions])
    figure("idle RSS, queue '0'", "<= 16 MB", [(v, mb(get(v, "idle_q1")), "", "") for v in versions])
    rows = []
    for v in versions:
        a, c = get(v, "idle_q1"), get(v, "idle_q4")
        rows.append((v, mb(c), "per extra worker " + mb((c - a) / 3) if a and c else "", ratio(c, a)))
    figure("idle RSS, queue '0-3' (ratio: to queue '0')", "<= 32 MB", rows)
    figure("per inspected flow (one-packet UDP flows)", "<= 1 KiB + nDPI", [
        (v, nb(get(v, "insp_per_flow")), "ndpiReader " + nb(get(v, "reader_insp_per_flow")),
         ratio(get(v, "insp_per_flow"), get(v, "reader_insp_per_flow"))) for v in versions])
    figure("  sizes behind it", "", [(v, res.get((v, "sizes"), "-"), "", "") for v in versions])
    for ph, title, goal in (("quiet", "verdict latency p50/p99/p999 us, quiet lab", "p99 <= 200 us"),
                            ("load", "verdict latency p50/p99/p999 us, loaded lab", "")):
        if get("-", ph + "_p50") is None and not any(get(v, ph + "_p50") for v in versions):
            continue
        figure(title + " (ratio: p99)", goal, [
            (v, lat(v, ph), "unenforced " + lat("-", ph), ratio(get(v, ph + "_p99"), get("-", ph + "_p99")))
            for v in versions])
        figure("  daemon's own read-to-verdict p50/p99 us", "", [
            (v, "%s/%s" % (res.get((v, ph + "_daemon_p50"), "-"), res.get((v, ph + "_daemon_p99"), "-")), "", "")
            for v in versions if (v, ph + "_daemon_p50") in res])
        figure("  worker thread's scheduling delay p50/p99/max us (perf sched)", "", [
            (v, res[(v, ph + "_sched")], "", "") for v in versions if res.get((v, ph + "_sched"))])
    w = [max([len(r[i]) for _, _, rows in figures for r in rows] + [6]) for i in range(4)]
    for title, goal, rows in figures:
        if not rows:
            continue
        print(title + ("   [goal %s]" % goal if goal else ""))
        for r in rows:
            print("  nDPI %-*s  %-*s  %-*s  %s" % (w[0], r[0], w[1], r[1], w[2], r[2], r[3]))


def main(argv):
    cmds = {"onepkt": onepkt, "probe": probe, "match": match, "sched": sched, "table": table}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    cmds[argv[1]](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
