#!/usr/bin/env python3
"""Small network actors for the netify namespace lab (tests/lab/lab.sh).

dnsq SERVER NAME            print the A records of NAME asked of SERVER
echo-server ADDR PORT       TCP echo server (threads), forever
tls-server PORT CERT KEY    dual-stack TLS server answering any SNI with a
                            tiny HTTP/1.0 page, one thread per connection (a
                            client cut by netify leaves its server side
                            hanging, which must not stall the next ones)
live-client ADDR PORT HOST OUT
                            HTTP-looking request with Host: HOST, then one
                            echoed line every 100 ms; writes "ok N" / "cut"
                            to OUT as it goes
bt-server ADDR PORT OUT     accept one connection, write the bytes received to OUT
bt-client ADDR PORT         send a BitTorrent handshake; exit 0 if the peer
                            answered, 1 if the connection was cut or silent
ctl SOCKET METHOD           one control request, print the reply
connrate ADDR PORT SNI SECONDS THREADS
                            new TLS connections (handshake + one request) as
                            fast as THREADS clients can; prints JSON: rate
                            and connection time percentiles
udpflood ADDRS NFLOWS PPS   one UDP packet per new flow (distinct destination
                            ports over the comma-separated ADDRS), paced
pcap-merge OUT IN...        the packets of several pcap files (same link
                            type) in one file, in time order
same-flows DAEMON REPLAY    every "flow" event of the daemon (a monitor stream)
                            has a "flow" event in REPLAY (netify run -r) for
                            the same connection that says the same: exit 1
                            and print the differences otherwise
"""
import json
import os
import socket
import struct
import sys
import threading
import time


def dnsq(server, name):
    q = struct.pack(">HHHHHH", 0x4e54, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(q, (server, 53))
    r, _ = s.recvfrom(4096)
    an = struct.unpack(">H", r[6:8])[0]
    off = len(q)
    for _ in range(an):
        if r[off] & 0xC0 == 0xC0:
            off += 2
        else:
            while r[off]:
                off += r[off] + 1
            off += 1
        typ, _cls, _ttl, rdlen = struct.unpack(">HHIH", r[off:off + 10])
        off += 10
        if typ == 1 and rdlen == 4:
            print(socket.inet_ntoa(r[off:off + 4]))
        off += rdlen


def echo_server(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(16)

    def serve(c):
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def tls_server(port, cert, key):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", int(port)))
    ls.listen(64)

    def serve(c):
        c.settimeout(10)
        try:
            t = ctx.wrap_socket(c, server_side=True)
            t.recv(4096)
            t.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n")
            t.close()
        except (OSError, ssl.SSLError):
            c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def live_client(addr, port, host, out):
    def note(text):
        # replace, never truncate: the test reads the file meanwhile
        with open(out + ".tmp", "w") as f:
            f.write(text + "\n")
        os.replace(out + ".tmp", out)

    s = socket.create_connection((addr, int(port)), timeout=2)
    s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: lab\r\n\r\n" % host).encode())
    s.recv(4096)
    n = 0
    while True:
        try:
            s.sendall(b"ping %d\n" % n)
            d = s.recv(4096)
            if not d:
                raise OSError("closed")
        except OSError:
            note("cut %d" % n)
            return
        n += 1
        note("ok %d" % n)
        time.sleep(0.1)


def bt_server(addr, port, out):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(1)
    c, _ = ls.accept()
    c.settimeout(3)
    got = b""
    try:
        while True:
            d = c.recv(4096)
            if not d:
                break
            got += d
            c.sendall(d)
    except OSError:
        pass
    with open(out, "w") as f:
        f.write("%d\n" % len(got))


def bt_client(addr, port):
    hs = b"\x13BitTorrent protocol" + b"\0" * 8 + b"\x11" * 20 + b"-LB0001-" + b"\x22" * 12
    s = socket.create_connection((addr, int(port)), timeout=2)
    try:
        s.sendall(hs)
        d = s.recv(4096)
        return 0 if d else 1
    except OSError:
        return 1


def ctl(path, method):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(('{"method":"%s"}\n' % method).encode())
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    sys.stdout.write(buf.decode())


def connrate(addr, port, sni, seconds, threads):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    end = time.monotonic() + float(seconds)
    times, errors = [], [0]
    lock = threading.Lock()

    def run():
        while time.monotonic() < end:
            t0 = time.monotonic()
            try:
                with socket.create_connection((addr, int(port)), timeout=3) as c:
                    with ctx.wrap_socket(c, server_hostname=sni) as t:
                        t.sendall(b"GET / HTTP/1.0\r\n\r\n")
                        t.recv(4096)
                dt = time.monotonic() - t0
                with lock:
                    times.append(dt)
            except OSError:
                with lock:
                    errors[0] += 1

    ths = [threading.Thread(target=run) for _ in range(int(threads))]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    times.sort()
    pct = lambda p: round(times[min(len(times) - 1, int(p * len(times)))] * 1000, 3) if times else None
    print(json.dumps({"conns": len(times), "errors": errors[0],
                      "rate": round(len(times) / float(seconds), 1),
                      "p50_ms": pct(0.50), "p99_ms": pct(0.99)}))


def udpflood(addrs, nflows, pps):
    addrs = addrs.split(",")
    nflows, pps = int(nflows), float(pps)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t0 = time.monotonic()
    sent = 0
    for i in range(nflows):
        a = addrs[i // 64000 % len(addrs)]
        port = 1024 + i % 64000
        try:
            s.sendto(b"x" * 32, (a, port))
        except OSError:
            pass
        sent += 1
        if sent % 200 == 0:
            ahead = sent / pps - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    print(sent)


def pcap_read(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off, recs = 24, []
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
        recs.append(((sec, frac), data[off:off + 16 + caplen]))
        off += 16 + caplen
    return data[:24], recs


def pcap_merge(out, *paths):
    head, recs = None, []
    for i, p in enumerate(paths):
        h, r = pcap_read(p)
        head = head or h
        recs += [(ts, i, n, rec) for n, (ts, rec) in enumerate(r)]
    recs.sort()
    with open(out, "wb") as f:
        f.write(head)
        for rec in recs:
            f.write(rec[3])


# What a flow event says about a connection that the same packets must
# reproduce: classification, metadata and the policy outcome. Not its id,
# times, counters or MACs (a capture has both MACs, NFQUEUE the device's).
FLOW_SAME = ("ip_version", "ip_protocol", "vlan_id", "local_origin", "detected_protocol",
             "detected_protocol_name", "detected_application", "detected_application_name",
             "detected_app_protocol_name", "detection_source", "dns_host_name",
             "detection_guessed", "detection_packets", "detection_end", "host_server_name",
             "ssl", "http", "dns", "mdns", "dhcp", "ssh", "bt", "netify")


def flow_events(path):
    flows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            ev = json.loads(line)
            if ev.get("type") != "flow":
                continue
            fl = ev["flow"]
            key = (fl["ip_protocol"], fl["local_ip"], fl["local_port"], fl["other_ip"], fl["other_port"])
            flows[key] = {k: fl.get(k) for k in FLOW_SAME}
    return flows


def same_flows(daemon, replay):
    a, b = flow_events(daemon), flow_events(replay)
    bad = 0
    for key, fa in sorted(a.items()):
        fb = b.get(key)
        diff = [k for k in FLOW_SAME if fb is None or fa[k] != fb[k]]
        if diff:
            bad += 1
            print("%s: %s" % (key, "not in the replay" if fb is None else
                              "; ".join("%s %r vs %r" % (k, fa[k], fb[k]) for k in diff)))
    print("%d flows of the daemon, %d in the replay, %d differ" % (len(a), len(b), bad))
    return 1 if bad or not a else 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "dnsq":
        dnsq(*args)
    elif cmd == "echo-server":
        echo_server(*args)
    elif cmd == "tls-server":
        tls_server(*args)
    elif cmd == "live-client":
        live_client(*args)
    elif cmd == "bt-server":
        bt_server(*args)
    elif cmd == "bt-client":
        return bt_client(*args)
    elif cmd == "connrate":
        connrate(*args)
    elif cmd == "udpflood":
        udpflood(*args)
    elif cmd == "ctl":
        ctl(*args)
    elif cmd == "pcap-merge":
        pcap_merge(*args)
    elif cmd == "same-flows":
        return same_flows(*args)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
