# Sourced by the tests/luci/*.sh TAP wrappers: needs node, installs the
# npm tooling on first use (a failure only turns the checks needing it
# into SKIPs).
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1; then
	echo "1..0 # SKIP node not found"
	exit 0
fi
sh "$here/setup.sh" || echo "# npm tooling not installed; dependent checks will skip"
