#!/usr/bin/env python3
"""Small captures for the daemon's tests, written from scratch (raw IPv4,
link type 101), so that a test says exactly what is on the wire.

  mkpcap.py gap OUT SECONDS        two UDP packets of one flow SECONDS apart
  mkpcap.py flows OUT N SECONDS    N UDP flows at the start, one more packet
                                   SECONDS later (the daemon lives that long
                                   with --pace)
  mkpcap.py http OUT HOST SECONDS  a TCP connection whose HTTP request has
                                   Host: HOST (Python escapes: \\x1b...), then
                                   a UDP packet SECONDS later
"""
import socket
import struct
import sys

T0 = 1700000000.0


def write(path, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        for ts, data in pkts:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)


def ip4(src, dst, proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr + payload


def udp(src, dst, sport, dport, payload=b"x"):
    return ip4(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    return ip4(src, dst, 6, struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                                        65535, 0, 0) + payload)


def main(argv):
    kind, out = argv[1], argv[2]
    if kind == "gap":
        gap = float(argv[3])
        write(out, [(T0, udp("192.168.1.10", "10.0.0.1", 40000, 9999)),
                    (T0 + gap, udp("192.168.1.10", "10.0.0.1", 40000, 9999))])
    elif kind == "flows":
        n, gap = int(argv[3]), float(argv[4])
        pkts = [(T0 + i * 1e-6, udp("192.168.1.%d" % (10 + i // 60000), "10.0.%d.%d" % (i // 250 % 250, 1 + i % 250),
                                    1024 + i % 60000, 5000)) for i in range(n)]
        pkts.append((T0 + gap, udp("192.168.1.10", "10.0.0.1", 1024, 5000)))
        write(out, pkts)
    elif kind == "http":
        host = argv[3].encode().decode("unicode_escape").encode("latin-1")
        gap = float(argv[4])
        c, s = "192.168.1.20", "93.184.216.34"
        req = b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n"
        write(out, [(T0, tcp(c, s, 45000, 80, 1000, 0, 0x02)),
                    (T0 + 0.001, tcp(s, c, 80, 45000, 5000, 1001, 0x12)),
                    (T0 + 0.002, tcp(c, s, 45000, 80, 1001, 5001, 0x10)),
                    (T0 + 0.003, tcp(c, s, 45000, 80, 1001, 5001, 0x18, req)),
                    (T0 + 0.004, tcp(s, c, 80, 45000, 5001, 1001 + len(req), 0x10)),
                    (T0 + gap, udp("192.168.1.10", "10.0.0.1", 40000, 9999))])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
