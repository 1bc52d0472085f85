#!/usr/bin/env python3
"""Stream and control tests against the real monitor (TAP output).

Runs tests/monitor/monitor_harness (the monitor and control modules with
synthetic events) and talks to it with real clients: nc -U, a TCP client,
a reader that never reads, 50 concurrent readers, a junk sender, and the
netify CLI (status, flows, reload, rpc). Every received message is checked
against the JSON Schemas.
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import validate  # noqa: E402

NETIFY = os.environ.get("NETIFY") or os.path.join(HERE, "..", "..", "netify")
HARNESS = os.path.join(os.path.dirname(os.path.abspath(NETIFY)), "tests", "monitor",
                       "monitor_harness")
SCHEMAS = validate.load_schemas()
TMP = tempfile.mkdtemp(prefix="netify-stream-")
results = []


def ok(cond, name, diag=""):
    results.append((bool(cond), name))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), name))
    if not cond and diag:
        for line in str(diag).splitlines()[:20]:
            print("# " + line)
    sys.stdout.flush()


def check_schema(raw_msgs):
    """Returns a list of schema errors for a list of raw JSON texts."""
    errs = []
    for i, raw in enumerate(raw_msgs):
        try:
            msg = json.loads(raw)
        except ValueError as e:
            errs.append("%d: %s" % (i, e))
            continue
        v = SCHEMAS.get(msg.get("type"))
        if not v:
            errs.append("%d: no schema for %r" % (i, msg.get("type")))
            continue
        errs += ["%d: %s" % (i, e.message) for e in v.iter_errors(msg)]
    return errs


class Harness:
    def __init__(self, *args, events=100, wait=1, linger=30000):
        self.unix = os.path.join(TMP, "m%d.sock" % random.randrange(1 << 30))
        cmd = [HARNESS, "--unix", self.unix, "--events", str(events),
               "--wait-clients", str(wait), "--linger-ms", str(linger)] + list(args)
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.p.stderr.readline()
        if b"ready" not in line:
            raise RuntimeError("harness did not start: %r" % line)

    def stop(self):
        """Ends the linger, returns the monitor counters."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        out, _ = self.p.communicate(timeout=20)
        return json.loads(out.decode())


def read_all(sock, limit=None):
    """Reads until EOF (or until limit newline-terminated lines)."""
    chunks, lines = [], 0
    sock.settimeout(20)
    while True:
        try:
            chunk = sock.recv(1 << 16)
        except socket.timeout:
            break
        if not chunk:
            break
        chunks.append(chunk)
        lines += chunk.count(b"\n")
        if limit and lines >= limit:
            break
    return b"".join(chunks)


def unix_client(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def lines_of(data):
    return [l for l in data.split(b"\n") if l]


def flow_ids(raw):
    out = []
    for l in raw:
        m = json.loads(l)
        if m["type"] == "flow":
            out.append(m["flow"]["flow_id"])
    return out


def test_nc_unix():
    h = Harness("--interval-ms", "100", events=200, linger=400)
    nc = subprocess.run(["nc", "-U", h.unix], capture_output=True, timeout=20)
    h.stop()
    msgs = lines_of(nc.stdout)
    types = [json.loads(m)["type"] for m in msgs]
    ok(types[:2] == ["agent_hello", "definitions"], "nc -U: agent_hello then definitions",
       types[:3])
    ok(flow_ids(msgs) == list(range(200)), "nc -U: all 200 flow events, in order")
    ok("agent_status" in types, "nc -U: agent_status at the interval")
    errs = check_schema(msgs)
    ok(not errs, "nc -U: every message matches its schema", "\n".join(errs))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_tcp():
    port = free_port()
    h = Harness("--tcp", str(port), events=300, wait=1, linger=300)
    s = socket.create_connection(("127.0.0.1", port))
    data = read_all(s)
    s.close()
    st = h.stop()
    msgs = lines_of(data)
    ok(flow_ids(msgs) == list(range(300)) and not check_schema(msgs),
       "tcp 127.0.0.1:%d (bare port = loopback): all events, schema-valid" % port)
    ok(st["clients_total"] == 1 and st["events_dropped"] == 0, "tcp: counters", st)


def test_netify_framing():
    path = os.path.join(TMP, "netify.sock")
    h = Harness("--netify-unix", path, events=100, wait=1, linger=300)
    s = unix_client(path)
    time.sleep(0.2)  # the harness waits for its first listener's clients only
    h.stop()
    data = read_all(s)
    msgs = list(validate.messages(data, "netify")) if data else []
    ok(len(msgs) >= 2 and json.loads(msgs[0])["type"] == "agent_hello"
       and not check_schema(msgs), "netify framing: {\"length\":N} frames parse, schema-valid",
       data[:200])


def test_slow_reader():
    # 20000 events of ~450 bytes (9 MB) cannot all wait in the never-read
    # client's 1 MB buffer and socket; the reader beside it has a quarter
    # second of slack at this rate, enough on a loaded machine
    h = Harness("--client-buf", "1048576", "--slots", "65536", "--size", "300",
                "--rate", "10000", events=20000, wait=2, linger=1000)
    slow = unix_client(h.unix)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    fast = unix_client(h.unix)
    got = {}
    t = threading.Thread(target=lambda: got.setdefault("d", read_all(fast)))
    t.start()
    t.join(timeout=60)
    st = h.stop()
    msgs = lines_of(got.get("d", b""))
    ok(st["clients_dropped"] >= 1, "slow reader: disconnected and counted (clients_dropped=%d)"
       % st["clients_dropped"], st)
    ok(st["events_dropped"] == 0 and st["events"] == 20000,
       "slow reader: the publisher lost nothing (events=%d dropped=%d)"
       % (st["events"], st["events_dropped"]), st)
    n = len(flow_ids(msgs))
    ok(n == 20000 and st["clients_dropped"] == 1,
       "slow reader: the reader beside it got all %d events" % n, st)
    slow.close()


def test_fifty_readers():
    h = Harness("--rate", "10000", "--slots", "8192", events=2000, wait=50, linger=60000)
    socks = [unix_client(h.unix) for _ in range(50)]
    out = [None] * 50

    def reader(i):  # hello + definitions + 2000 events
        out[i] = read_all(socks[i], limit=2002)
    ts = [threading.Thread(target=reader, args=(i,)) for i in range(50)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60)
    st = h.stop()
    complete = sum(1 for d in out if d and flow_ids(lines_of(d)) == list(range(2000)))
    ok(complete == 50 and st["events_dropped"] == 0 and st["clients_dropped"] == 0,
       "50 concurrent readers: %d got all 2000 events in order" % complete, st)


def test_junk_sender():
    h = Harness(events=100, wait=1, linger=500)
    s = unix_client(h.unix)
    junk = bytes(random.randrange(256) for _ in range(65536))
    s.sendall(junk + b"{\"method\":\"status\"}\n\x00\xff\n")
    data = read_all(s)
    st = h.stop()
    msgs = lines_of(data)
    ok(flow_ids(msgs) == list(range(100)) and not check_schema(msgs),
       "junk sender: ignored, still gets every event")
    ok(st["junk_bytes"] >= 65536, "junk sender: bytes counted (%d)" % st["junk_bytes"], st)


def netify(*args, stdin=b"", env_sock=None):
    env = dict(os.environ)
    if env_sock:
        env["NETIFY_CONTROL_SOCKET"] = env_sock
    env["NETIFY_CONFIG"] = "/nonexistent"
    r = subprocess.run([NETIFY] + list(args), input=stdin, capture_output=True, env=env,
                       timeout=20)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def one_object(out):
    lines = out.splitlines()
    if len(lines) != 1:
        return None
    try:
        v = json.loads(lines[0])
    except ValueError:
        return None
    return v if isinstance(v, dict) else None


def test_control_cli():
    ctl = os.path.join(TMP, "ctl.sock")
    h = Harness("--control", ctl, events=0, wait=0, linger=60000)
    rc, out, _ = netify("rpc", "list")
    sig = one_object(out)
    ok(rc == 0 and sig and sorted(sig) == ["apps", "devices", "flows", "policy_test", "status", "usage"]
       and sig["flows"] == {"device": "str", "app": "str", "blocked": True},
       "rpc list: the agreed signature", out)
    rc, out, _ = netify("rpc", "call", "status", env_sock=ctl)
    v = one_object(out)
    ok(rc == 0 and v and v.get("running") is True and "queues" in v, "rpc call status", out)
    rc, out, _ = netify("rpc", "call", "flows", stdin=b'{\n "app": "whatsapp"\n}\n', env_sock=ctl)
    v = one_object(out)
    apps = {f["detected_application_name"] for f in v["flows"]} if v else None
    ok(rc == 0 and apps == {"whatsapp"}, "rpc call flows: multi-line args, filter applied", out)
    rc, out, _ = netify("rpc", "call", "flows", stdin=b'{"blocked":true,"device":"laptop"}',
                        env_sock=ctl)
    v = one_object(out)
    ok(rc == 0 and v and v["flows"] and all(f["action"] == "block" and f["device"] == "laptop"
                                            for f in v["flows"]), "rpc call flows: blocked+device")
    rc, out, _ = netify("rpc", "call", "policy_test", stdin=b'{"mac":"aa:bb:cc:dd:ee:ff"}',
                        env_sock=ctl)
    ok(rc == 0 and one_object(out) == {"error": "no policy loaded"},
       "rpc call: a daemon error is one JSON object, exit 0", out)
    rc, out, _ = netify("rpc", "call", "flows", stdin=b'{"app":', env_sock=ctl)
    ok(rc == 2 and one_object(out) and "error" in one_object(out),
       "rpc call: malformed stdin -> JSON error, exit 2", out)
    rc, out, _ = netify("rpc", "call", "flows", stdin=b'{"bogus":1}', env_sock=ctl)
    v = one_object(out)
    ok(rc == 0 and v and "unknown argument" in v.get("error", ""),
       "rpc call: unknown argument refused by the daemon side", out)
    rc, out, _ = netify("rpc", "call", "shutdown", env_sock=ctl)
    ok(rc == 2 and one_object(out) and "error" in one_object(out), "rpc call: unknown method")
    rc, out, _ = netify("status", "--socket", ctl)
    ok(rc == 0 and "running" in out and "queues:" in out, "netify status: readable text", out)
    lines = out.splitlines()
    head = lines[lines.index("queues:") + 1].split() if "queues:" in lines else []
    row = lines[lines.index("queues:") + 2].split() if "queues:" in lines else []
    ok(head == ["queue", "packets", "verdicts", "dropped", "fail_open", "enobufs", "latency_p99_ns",
                "flows_released"] and row[-2:] == ["1048576", "123456789012"],
       "netify status: long column names and values stay apart", out)
    rc, out, _ = netify("status", "--json", "--socket", ctl)
    ok(rc == 0 and one_object(out) and one_object(out)["running"] is True, "netify status --json")
    rc, out, _ = netify("flows", "--app", "youtube", "--socket", ctl)
    rows = out.splitlines()
    ok(rc == 0 and rows[0].split()[:3] == ["PROTO", "LOCAL", "OTHER"]
       and all("youtube" in r for r in rows[1:-1]) and rows[-1] == "2 flows",
       "netify flows --app: table", out)
    rc, out, _ = netify("flows", "--json", "--blocked", "--socket", ctl)
    v = one_object(out)
    ok(rc == 0 and v and len(v["flows"]) == 2, "netify flows --json --blocked", out)
    rc, out, _ = netify("reload", "--socket", ctl)
    ok(rc == 0 and out == "reloaded\n", "netify reload", out)
    st = h.stop()
    ok(st["control_requests"] >= 10, "control requests counted (%d)" % st["control_requests"])
    gone = os.path.join(TMP, "gone.sock")
    rc, out, _ = netify("rpc", "call", "status", env_sock=gone)
    ok(rc == 0 and one_object(out) == {"running": False}, "not running: status {running:false}")
    rc, out, _ = netify("rpc", "call", "flows", env_sock=gone)
    ok(rc == 0 and one_object(out) and "error" in one_object(out),
       "not running: other methods answer a JSON error")
    rc, out, err = netify("status", "--json", "--socket", gone)
    ok(rc == 3 and one_object(out) == {"running": False}, "not running: netify status exits 3")


def test_json_save():
    d = os.path.join(TMP, "save")
    os.mkdir(d)
    h = Harness("--interval-ms", "50", "--json-save", d, events=10, wait=0, linger=300)
    h.p.wait(timeout=20)
    h.stop()
    files = sorted(os.listdir(d))
    st = json.load(open(os.path.join(d, "status.json")))
    fl = json.load(open(os.path.join(d, "flows.json")))
    ok(files == ["flows.json", "status.json"] and not check_schema([json.dumps(st)])
       and isinstance(fl["flows"], list), "json_save: status.json and flows.json, no temp files",
       files)


def main():
    tests = [test_nc_unix, test_tcp, test_netify_framing, test_slow_reader, test_fifty_readers,
             test_junk_sender, test_control_cli, test_json_save]
    planned = 4 + 2 + 1 + 3 + 1 + 2 + 18 + 1
    print("1..%d" % planned)
    for t in tests:
        try:
            t()
        except Exception as e:  # a crash fails the test, never the plan
            ok(False, "%s raised %r" % (t.__name__, e))
    subprocess.run(["rm", "-rf", TMP])
    return 0 if all(r for r, _ in results) and len(results) == planned else 1


if __name__ == "__main__":
    sys.exit(main())
