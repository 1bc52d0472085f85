#!/usr/bin/env python3
"""Traffic of known size for the usage tests (tests/usage/kernel.sh) and the
conntrack benchmark. Every byte count printed is application payload.

  traffic.py tcp-server PORT
      per connection: reads a line "DOWN RATE SECONDS", sends DOWN bytes
      back (RATE bytes/s, 0 = as fast as it can; DOWN -1 = stream at RATE
      for SECONDS), and reads what the client sends until it closes
  traffic.py tcp-client DST PORT SPORT UP DOWN [RATE [SECONDS]]
      connects from SPORT, asks for DOWN bytes, sends UP bytes, reads the
      answer; prints "sent N received M seconds S reset R last L lastms E"
      (L: when the last byte came, seconds after the start, E: the same as
      wall-clock milliseconds; R: reset, or no byte for 5 s)
  traffic.py udp-server PORT
      answers each datagram with one of the size written in its first 8
      bytes (big endian; 0: no answer)
  traffic.py udp-client DST PORT SPORT COUNT SIZE REPLY
      sends COUNT datagrams of SIZE bytes, each asking for REPLY bytes back;
      prints "sent N received M"
  traffic.py udp-many DST PORT0 N
      one datagram of 8 bytes to each of ports PORT0 .. PORT0+N-1
  traffic.py conn-server PORT
      accepts connections and closes them at once
  traffic.py conn-rate DST PORT SECONDS
      opens and closes connections one after the other for SECONDS;
      prints how many per second
"""
import socket
import sys
import threading
import time


def tcp_handle(conn):
    try:
        f = conn.makefile('rb')
        down, rate, secs = (int(x) for x in f.readline().split())
        chunk = b'x' * 16384
        start = time.time()
        sent = 0
        if down < 0:
            down = rate * secs
        while sent < down:
            n = min(len(chunk), down - sent)
            if rate:
                # pace: never ahead of rate bytes per second
                ahead = sent - rate * (time.time() - start)
                if ahead > 0:
                    time.sleep(min(ahead / rate, 0.05))
                    continue
                n = min(n, max(1, rate // 20))
            conn.sendall(chunk[:n])
            sent += n
        while f.read(65536):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def tcp_server(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port))
    s.listen(128)
    while True:
        c, _ = s.accept()
        threading.Thread(target=tcp_handle, args=(c,), daemon=True).start()


def family(dst):
    return socket.AF_INET6 if ':' in dst else socket.AF_INET


def tcp_client(dst, port, sport, up, down, rate=0, secs=0):
    s = socket.socket(family(dst), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('', sport))
    start = time.time()
    s.connect((dst, port))
    s.sendall(b'%d %d %d\n' % (down, rate, secs))
    sent, received, reset, last = 0, 0, 0, 0.0
    chunk = b'y' * 16384
    while sent < up:
        n = min(len(chunk), up - sent)
        s.sendall(chunk[:n])
        sent += n
    s.shutdown(socket.SHUT_WR)
    s.settimeout(5)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            received += len(b)
            last = time.time() - start
    except (ConnectionResetError, socket.timeout):
        reset = 1
    s.close()
    print('sent %d received %d seconds %.3f reset %d last %.3f lastms %d' %
          (sent, received, time.time() - start, reset, last, int((start + last) * 1000)))
    sys.stdout.flush()


def udp_server(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port))
    while True:
        data, peer = s.recvfrom(65535)
        want = int.from_bytes(data[:8], 'big') if len(data) >= 8 else 0
        if want:
            s.sendto(b'z' * want, peer)


def udp_client(dst, port, sport, count, size, reply):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.bind(('', sport))
    s.settimeout(1)
    payload = reply.to_bytes(8, 'big') + b'u' * (size - 8)
    received = 0
    for _ in range(count):
        s.sendto(payload, (dst, port))
        if reply:
            try:
                received += len(s.recv(65535))
            except socket.timeout:
                pass
    print('sent %d received %d' % (count * size, received))


def udp_many(dst, port0, n):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    for p in range(port0, port0 + n):
        s.sendto(b'\0' * 8, (dst, p))


def conn_server(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port))
    s.listen(1024)
    while True:
        c, _ = s.accept()
        c.close()


def conn_rate(dst, port, secs):
    n = 0
    end = time.time() + secs
    while time.time() < end:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\1\0\0\0\0\0\0\0')
        try:
            s.connect((dst, port))
            n += 1
        except OSError:
            pass
        s.close()
    print('%.0f' % (n / secs))


def main():
    a = sys.argv[1:]
    cmd = a[0]
    if cmd == 'tcp-server':
        tcp_server(int(a[1]))
    elif cmd == 'tcp-client':
        tcp_client(a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]),
                   int(a[6]) if len(a) > 6 else 0, int(a[7]) if len(a) > 7 else 0)
    elif cmd == 'udp-server':
        udp_server(int(a[1]))
    elif cmd == 'udp-client':
        udp_client(a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]), int(a[6]))
    elif cmd == 'udp-many':
        udp_many(a[1], int(a[2]), int(a[3]))
    elif cmd == 'conn-server':
        conn_server(int(a[1]))
    elif cmd == 'conn-rate':
        conn_rate(a[1], int(a[2]), float(a[3]))
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
