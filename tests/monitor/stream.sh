#!/bin/sh
# Stream and control tests (TAP): see stream_test.py.
here=$(dirname "$0")
if ! python3 -c 'import jsonschema' 2>/dev/null || ! command -v nc >/dev/null; then
	echo "1..0 # SKIP needs python3-jsonschema and nc (netcat-openbsd)"
	exit 0
fi
exec python3 "$here/stream_test.py"
