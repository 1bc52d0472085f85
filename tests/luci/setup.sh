#!/bin/sh
# Installs the test tooling of tests/luci (terser, acorn, playwright-core)
# from package-lock.json into tests/luci/node_modules.  Chromium itself
# comes from Debian: apt-get install chromium.  Safe to run concurrently.
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$here/node_modules/playwright-core" ] && [ -d "$here/node_modules/terser" ] && \
	[ -d "$here/node_modules/acorn" ] && exit 0
command -v npm >/dev/null 2>&1 || { echo "setup.sh: npm not found" >&2; exit 1; }
install() {
	[ -d "$here/node_modules/playwright-core" ] && [ -d "$here/node_modules/terser" ] && \
		[ -d "$here/node_modules/acorn" ] && return 0
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
}
if command -v flock >/dev/null 2>&1; then
	(flock 9 && install) 9>"$here/.setup.lock"
else
	install
fi
