#!/usr/bin/env python3
"""Actors for tests/bench/ctl_bench.sh (namespace lab):

udp-echo ADDR PORT           UDP echo server, forever
probe ADDR PORT RATE SECS    one UDP request per new flow (a fresh source
                             port each time), RATE a second, each waiting up
                             to 3 s for its echo: prints JSON with the round
                             trip percentiles. Each round trip crosses the
                             router twice, queued to netify both ways while
                             the flow is inspected: it measures queue to
                             verdict, including time spent waiting for a
                             worker that waits for its lock
flows SOCKET SECS            `flows` on the control socket, one after the
                             other for SECS: prints JSON with the replies'
                             size, time to the first byte and to the last
"""
import json
import select
import socket
import sys
import threading
import time


def udp_echo(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    while True:
        d, peer = s.recvfrom(2048)
        s.sendto(d, peer)


def pct(v, p):
    v = sorted(v)
    return round(v[min(len(v) - 1, int(p * len(v)))] * 1000, 3) if v else None


def probe(addr, port, rate, secs):
    rate, secs = float(rate), float(secs)
    times, lost, lock = [], [0], threading.Lock()

    def one():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t0 = time.monotonic()
        try:
            s.sendto(b"probe", (addr, int(port)))
            if select.select([s], [], [], 3.0)[0] and s.recv(64):
                with lock:
                    times.append(time.monotonic() - t0)
                return
        except OSError:
            pass
        finally:
            s.close()
        with lock:
            lost[0] += 1

    ths, t0 = [], time.monotonic()
    n = int(rate * secs)
    for i in range(n):
        ahead = t0 + i / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        t = threading.Thread(target=one)
        t.start()
        ths.append(t)
    for t in ths:
        t.join()
    print(json.dumps({"sent": n, "lost": lost[0], "p50_ms": pct(times, 0.5),
                      "p99_ms": pct(times, 0.99), "max_ms": pct(times, 1.0)}))


def flows(path, secs):
    end = time.monotonic() + float(secs)
    ttfb, total, size = [], [], 0
    while time.monotonic() < end:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(60)
        s.connect(path)
        t0 = time.monotonic()
        s.sendall(b'{"method":"flows"}\n')
        first, n = None, 0
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            if first is None:
                first = time.monotonic() - t0
            n += len(d)
            if d.endswith(b"\n"):
                break
        s.close()
        ttfb.append(first or 0)
        total.append(time.monotonic() - t0)
        size = n
    print(json.dumps({"replies": len(total), "bytes": size, "first_byte_ms_p50": pct(ttfb, 0.5),
                      "first_byte_ms_max": pct(ttfb, 1.0), "whole_ms_p50": pct(total, 0.5),
                      "whole_ms_max": pct(total, 1.0)}))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "udp-echo":
        udp_echo(*args)
    elif cmd == "probe":
        probe(*args)
    elif cmd == "flows":
        flows(*args)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
