#!/bin/sh
# The IPFIX export's cost in the real daemon at a given rate of flow ends
# (default 10,000 per second): a synthetic capture of short TCP connections
# (SYN, SYN-ACK, 100 bytes of data, RST: each ends as "closed"), RATE new
# connections a second for SECONDS, is replayed in real time (`netify run
# -r --pace`) with export off and on, alternating, ROUNDS times; the daemon's
# CPU time (user + system) is read when it exits, and the exporter thread's
# own CPU time from the daemon's last log line. Prints, per run, the
# daemon's share of one core; per round the exporter thread's share, its
# cost per record and records/s per core, and the whole daemon's
# difference on - off (which also holds the workers' part: a record built
# and queued per flow end). Export goes over UDP to a
# sink on loopback that reads and counts the datagrams. No assertion:
# numbers only (the machine is shared; rounds show the noise).
#   tests/bench/export_daemon_bench.sh [RATE [SECONDS [ROUNDS]]]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
rate=${1:-10000} secs=${2:-30} rounds=${3:-2}
bin=${NETIFY:-$("$top/scripts/build")} || exit 1
tmp=$(mktemp -d /tmp/netify-xbench.XXXXXX) || exit 1
sink_pid=""
trap '[ -n "$sink_pid" ] && kill $sink_pid 2>/dev/null; rm -rf "$tmp"' EXIT

python3 - "$tmp/bench.pcap" "$rate" "$secs" <<'PY'
import struct, sys
out, rate, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cmac, smac = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def pkt(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = (smac + cmac if src[0] == 198 else cmac + smac) + b"\x08\x00"
    return eth + ip + tcp

with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    t0 = 1700000000.0
    for i in range(rate * secs):
        t = t0 + i / rate
        c = bytes([10, 1 + (i >> 16) % 200, (i >> 8) & 255, i & 255])
        s = bytes([198, 51, 100, 1 + i % 200])
        sp, dp = 1024 + i % 60000, 8000 + i % 7
        data = b"GET / HTTP/1.1\r\nHost: bench%d.example\r\n\r\n" % (i % 1000)
        data = data + b"x" * (100 - len(data))
        for dt, p in ((0, pkt(c, s, sp, dp, 1, 0, 0x02)), (0.00002, pkt(s, c, dp, sp, 7, 2, 0x12)),
                      (0.00004, pkt(c, s, sp, dp, 2, 8, 0x18, data)), (0.00006, pkt(c, s, sp, dp, 102, 8, 0x14))):
            ts = t + dt
            f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(p), len(p)) + p)
PY

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("127.0.0.1", int(sys.argv[1])))
n = b = 0
while True:
    d = s.recv(65535)
    n += 1
    b += len(d)
' "$port" &
sink_pid=$!

for mode in off on; do
	cat >"$tmp/$mode.conf" <<EOF
config netify 'main'
	option monitor_socket '$tmp/m-$mode.sock'
	option control_socket '$tmp/c-$mode.sock'
	option apps_dir '$top/policy/apps.d'
	option usage '0'
	option flow_table_size '262144'
EOF
	[ $mode = on ] && cat >>"$tmp/$mode.conf" <<EOF

config export
	option enabled '1'
	list collector '127.0.0.1:$port'
	option active_timeout '0'
	option queue '4096'
	option rate '0'
EOF
done

# CPU seconds (user + system) of a process that just exited, from its
# parent's view: run it under sh -c and read times from /proc of the child
run() {	# $1: mode; prints "cpu_s wall_s records"
	python3 - "$bin" "$tmp/$1.conf" "$tmp/bench.pcap" "$tmp/$1.err" <<'PY'
import os, subprocess, sys, time
binp, conf, cap, err = sys.argv[1:]
t0 = time.monotonic()
with open(os.devnull, "w") as null, open(err, "w") as e:
    p = subprocess.Popen([binp, "run", "-c", conf, "-r", cap, "--pace"], stdout=null, stderr=e)
    _, status, ru = os.wait4(p.pid, 0)
wall = time.monotonic() - t0
rec, thr = 0, 0
for line in open(err):
    if "export:" in line and " records (" in line:
        rec = int(line.split("export:")[1].split()[0])
        thr = int(line.split("exporter thread ")[1].split()[0])
print("%.3f %.3f %d %d" % (ru.ru_utime + ru.ru_stime, wall, rec, thr))
PY
}

echo "# $rate connections/s for $secs s ($((rate * secs)) flow ends), $rounds rounds, $(nproc) cores, $bin"
printf '%-6s %-4s %9s %9s %11s %9s %10s\n' round mode cpu_s wall_s core_share records thread_ms
i=1
while [ $i -le $rounds ]; do
	set -- $(run off); off_cpu=$1 off_wall=$2
	printf '%-6s %-4s %9s %9s %10.1f%% %9s %10s\n' $i off $1 $2 "$(echo "$1 $2" | awk '{print 100 * $1 / $2}')" - -
	set -- $(run on); on_cpu=$1 on_wall=$2 recs=$3 thr=$4
	printf '%-6s %-4s %9s %9s %10.1f%% %9s %10s\n' $i on $1 $2 "$(echo "$1 $2" | awk '{print 100 * $1 / $2}')" $3 $4
	echo "$off_cpu $on_cpu $on_wall $recs $rate $thr $i" | awk '{
		d = $2 - $1
		printf "#   round %s: the exporter thread %.2f s of CPU: %.2f%% of a core at %d flow ends/s, %.2f us a record, %.0f records/s per core;", $7, $6 / 1000, 100 * $6 / 1000 / $3, $5, 1000 * $6 / $4, $4 / ($6 / 1000)
		printf " the whole daemon, on - off: %+.2f s (%+.1f%% of a core; the run-to-run noise of this shared machine is of that order)\n", d, 100 * d / $3 }'
	i=$((i + 1))
done
grep "export: collector" "$tmp/on.err" | sed 's/^/# /'
