#!/usr/bin/env python3
"""Validate a netify monitor stream against the JSON Schemas in schema/.

usage: validate.py [--framing ndjson|netify] [--require TYPE ...] [FILE]

Reads the stream (FILE or stdin), checks that every message is one JSON
object whose "type" has a schema and that it validates, prints a count per
type, exits 1 on the first few errors (all reported) or a missing type.
"""
import argparse
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_DIR = os.path.join(HERE, "..", "..", "schema")


def load_schemas():
    out = {}
    for name in sorted(os.listdir(SCHEMA_DIR)):
        if name.endswith(".json"):
            with open(os.path.join(SCHEMA_DIR, name)) as f:
                schema = json.load(f)
            jsonschema.Draft202012Validator.check_schema(schema)
            out[name[:-5]] = jsonschema.Draft202012Validator(schema)
    return out


def messages(data, framing):
    """Yields the raw text of each message; raises ValueError on bad framing."""
    if framing == "ndjson":
        if data and not data.endswith(b"\n"):
            raise ValueError("stream does not end with a newline")
        for line in data.split(b"\n")[:-1]:
            yield line
        return
    pos = 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        hdr = json.loads(data[pos:nl])
        if list(hdr) != ["length"] or not isinstance(hdr["length"], int):
            raise ValueError("bad frame header %r" % data[pos:nl])
        body = data[nl + 1:nl + 1 + hdr["length"]]
        if len(body) != hdr["length"] or not body.endswith(b"\n"):
            raise ValueError("truncated frame")
        yield body[:-1]
        pos = nl + 1 + hdr["length"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--framing", default="ndjson", choices=["ndjson", "netify"])
    ap.add_argument("--require", action="append", default=[])
    ap.add_argument("file", nargs="?")
    a = ap.parse_args()
    data = open(a.file, "rb").read() if a.file else sys.stdin.buffer.read()
    schemas = load_schemas()
    counts, errors = {}, []
    try:
        for i, raw in enumerate(messages(data, a.framing)):
            try:
                msg = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                errors.append("message %d: not UTF-8 JSON: %s" % (i, e))
                continue
            t = msg.get("type") if isinstance(msg, dict) else None
            if t not in schemas:
                errors.append("message %d: no schema for type %r" % (i, t))
                continue
            counts[t] = counts.get(t, 0) + 1
            for err in schemas[t].iter_errors(msg):
                errors.append("message %d (%s): %s at %s" % (i, t, err.message,
                              "/".join(str(p) for p in err.absolute_path)))
    except ValueError as e:
        errors.append("framing: %s" % e)
    for t in a.require:
        if not counts.get(t):
            errors.append("no %s message" % t)
    print(json.dumps(counts, sort_keys=True))
    for e in errors[:20]:
        print("error:", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
