#!/bin/sh
# luci-app-netify on the real OpenWrt web stack (TAP): builds the stack from
# ../shared/openwrt-web/src (cached under build/owrt-web), installs the app
# and the netify binary into a chroot, boots it in private namespaces and
# drives headless Chromium through it (real/real.js).  Skips, saying why,
# only when something it needs cannot exist here; a build or boot failure
# is a failure.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/common.sh"

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}
fail() {
	echo "1..1"
	echo "not ok 1 - $1"
	shift
	for f in "$@"; do
		[ -f "$f" ] && sed 's/^/# /' "$f" | tail -40
	done
	exit 1
}

src=${OWRT_WEB_SRC:-$top/../shared/openwrt-web/src}
capture=${NETIFY_TEST_CAPTURE:-$top/../shared/corpus/ndpi/pcap/whatsapp_login_call.pcap}
bin=${NETIFY:-$PWD/netify}
chromium=${CHROMIUM:-/usr/bin/chromium}

[ "$(id -u)" = 0 ] || skip "needs root (private mount, PID and network namespaces, chroot)"
[ -d "$src" ] || skip "no OpenWrt web stack sources at $src"
[ -f "$capture" ] || skip "no capture to replay at $capture"
[ -x "$bin" ] || skip "no netify binary built at $bin"
for t in cmake unshare nsenter openssl curl nc; do
	command -v $t >/dev/null 2>&1 || skip "$t not installed (scripts/deps test)"
done
[ -f /usr/include/libnl3/netlink/msg.h ] || skip "libnl-3-dev not installed (scripts/deps test)"
[ -f /usr/include/json-c/json.h ] || skip "libjson-c-dev not installed (scripts/deps test)"
[ -x "$chromium" ] || skip "$chromium not installed (scripts/deps test)"
[ -d "$here/node_modules/playwright-core" ] || skip "playwright-core not installed (tests/luci/setup.sh needs npm)"

# the stack and all the run's files live under build/ of the source tree
b=$top/build
mkdir -p "$b" 2>/dev/null && [ -w "$b" ] || b=$PWD/build
cache=${OWRT_WEB_CACHE:-$b/owrt-web}
rundir=$b/luci-real
shots=$rundir/shots
mkdir -p "$rundir"
rm -rf "$shots"
mkdir -p "$shots"

t0=$(date +%s)
stack=$("$here/real/build.sh" "$src" "$cache" 2>"$rundir/build.err") ||
	fail "build the OpenWrt web stack from $src" "$rundir/build.err"
t1=$(date +%s)
if [ "$(find "$stack/.built" -newermt "@$t0" 2>/dev/null)" ]; then
	note="built in $((t1 - t0)) s"
else
	note="cached in $stack"
fi

trap '"$here/real/stack.sh" stop "$rundir"' EXIT INT TERM
"$here/real/stack.sh" start "$rundir" "$stack" "$bin" "$capture" 2>"$rundir/start.err" ||
	fail "boot the stack in its namespaces" "$rundir/start.err" "$rundir/logs/inner.log"

RUN=$rundir STACK=$here/real/stack.sh SHOTS=$shots CHROMIUM=$chromium BUILD_NOTE=$note \
	"$here/real/stack.sh" netns "$rundir" node "$here/real/real.js"
rc=$?
echo "# screenshots: $shots; logs: $rundir/logs"
t2=$(date +%s)
echo "# stack: $note; browser run $((t2 - t1)) s"
exit $rc
