#!/bin/sh
# Hostile local clients against the daemon's control and monitor sockets
# (TAP): see hostile_test.py.
here=$(cd "$(dirname "$0")" && pwd)
: "${NETIFY:=$here/../../netify}"
if ! command -v python3 >/dev/null || ! "$NETIFY" run --help 2>&1 | grep -q -- --pace; then
	echo "1..0 # SKIP needs python3 and netify run -r --pace"
	exit 0
fi
NETIFY=$NETIFY exec python3 "$here/hostile_test.py"
