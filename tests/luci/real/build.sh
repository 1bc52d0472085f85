#!/bin/sh
# Builds the OpenWrt web stack (libubox, uci, ubus, ucode, rpcd, uhttpd,
# lucihttp, ucode-mod-html, luci-base's core.so, rpcd-mod-luci) from the
# unmodified archives in ../shared/openwrt-web/src, and lays it out as the
# packages would install it: binaries and libraries under usr/, LuCI
# (luci-base, luci-mod-status, luci-mod-system, luci-theme-bootstrap) under
# www/, usr/share/ucode/luci/ and etc/.
#
# Usage: build.sh ARCHIVE_DIR CACHE_DIR
# Prints the directory of the finished tree.  The tree is cached under
# CACHE_DIR/<key>, the key being the archives' names and SHA-256 sums, this
# script and the compiler version: a second run with the same inputs only
# prints the path.  Nothing outside CACHE_DIR is written.
set -eu
srcs=$(cd "$1" && pwd)
mkdir -p "$2"
cache=$(cd "$2" && pwd)
key=$({
	for f in "$srcs"/*.tar.gz; do
		printf '%s ' "${f##*/}"
		sha256sum <"$f"
	done
	cat "$0"
	gcc -dumpfullversion
} | sha256sum | cut -c1-16)
out=$cache/$key
[ -f "$out/.built" ] && { echo "$out"; exit 0; }

# one build at a time per cache (parallel `make check` runs)
exec 9>"$cache/.lock"
flock 9
[ -f "$out/.built" ] && { echo "$out"; exit 0; }
# caches of other inputs are stale
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +

tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp/src" "$tmp/obj" "$tmp/stage"
S=$tmp/src B=$tmp/obj UP=$tmp/stage
log=$tmp/build.log
: >"$log"

step() { echo "=== $*" >>"$log"; }
fail() {
	echo "build.sh: $1 failed; last lines of $log:" >&2
	tail -30 "$log" >&2
	exit 1
}

for f in "$srcs"/*.tar.gz; do
	top=$(tar tzf "$f" | head -1)
	top=${top%%/*}
	tar xzf "$f" -C "$S"
	# libubox-1aa36ee -> libubox, luci-25.12-34cc436 -> luci
	case $top in
	luci-*) mv "$S/$top" "$S/luci" ;;
	*) mv "$S/$top" "$S/${top%-*}" ;;
	esac
done

# rpcd's ucode plugin needs vasprintf: _GNU_SOURCE from a forced include, as
# a -D would clash with the files that define it themselves under -Werror.
printf '#ifndef _GNU_SOURCE\n#define _GNU_SOURCE\n#endif\n' >"$tmp/gnu.h"
CFLAGS="-O1 -I$UP/usr/include -include $tmp/gnu.h -Wno-error=stringop-overread"
LDFLAGS="-L$UP/usr/lib -Wl,-rpath-link,$UP/usr/lib"
export CFLAGS LDFLAGS

cm() {
	name=$1
	dir=$2
	shift 2
	step "$name"
	mkdir -p "$B/$name"
	(cd "$B/$name" &&
		cmake -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR=lib \
			-DCMAKE_PREFIX_PATH="$UP/usr" -DCMAKE_BUILD_TYPE=None "$@" "$dir" &&
		make -j2 && make install DESTDIR="$UP") >>"$log" 2>&1 || fail "$name"
}

cm libubox "$S/libubox" -DBUILD_LUA=OFF -DBUILD_EXAMPLES=OFF -DBUILD_TESTS=OFF -DUNIT_TESTING=OFF
cm uci "$S/uci" -DBUILD_LUA=OFF -DBUILD_TESTS=OFF
cm ubus "$S/ubus" -DBUILD_LUA=OFF -DBUILD_EXAMPLES=OFF
cm ucode "$S/ucode" -DUBUS_SUPPORT=ON -DUCI_SUPPORT=ON -DULOOP_SUPPORT=ON \
	-DRTNL_SUPPORT=OFF -DNL80211_SUPPORT=OFF -DDIGEST_SUPPORT=OFF -DZLIB_SUPPORT=OFF \
	-DDEBUG_SUPPORT=ON
# sys.c needs strlcpy, which glibc 2.36 lacks
cm rpcd "$S/rpcd" -DIWINFO_SUPPORT=OFF -DFILE_SUPPORT=ON -DRPCSYS_SUPPORT=OFF -DUCODE_SUPPORT=ON
cm uhttpd "$S/uhttpd" -DTLS_SUPPORT=OFF -DLUA_SUPPORT=OFF -DUBUS_SUPPORT=ON -DUCODE_SUPPORT=ON
cm lucihttp "$S/lucihttp" -DBUILD_LUA=OFF -DBUILD_UCODE=ON -DBUILD_TESTS=OFF

step ucode-mod-html
mkdir -p "$UP/usr/lib/ucode"
gcc $CFLAGS -fPIC -shared -o "$UP/usr/lib/ucode/html.so" \
	"$S/luci/contrib/package/ucode-mod-html/src/html.c" >>"$log" 2>&1 || fail ucode-mod-html

step luci-base core.so
cp -R "$S/luci/modules/luci-base/src" "$B/luci-base-src"
(cd "$B/luci-base-src" && make CFLAGS="-O1 -I$UP/usr/include" FPIC=-fPIC \
	LUCI_VERSION=25.12-34cc436 LUCI_GITBRANCH=openwrt-25.12 install DESTDIR="$UP") \
	>>"$log" 2>&1 || fail "luci-base core.so"

# rpcd-mod-luci's CMakeLists wants CMake 3.31 (Debian 12 has 3.25): one gcc line
step rpcd-mod-luci
mkdir -p "$UP/usr/lib/rpcd"
gcc $CFLAGS -fPIC -shared -std=gnu99 -I"$S/iwinfo/include" -I"$S/rpcd/include" \
	-I/usr/include/libnl3 -o "$UP/usr/lib/rpcd/luci.so" "$S/luci/libs/rpcd-mod-luci/src/luci.c" \
	$LDFLAGS -lubox -lubus -luci -ldl -lnl-3 >>"$log" 2>&1 || fail rpcd-mod-luci

# LuCI as luci.mk installs a module: htdocs/ -> /www, ucode/ ->
# /usr/share/ucode/luci, root/ -> /, with the version substituted.
step luci
for m in modules/luci-base modules/luci-mod-status modules/luci-mod-system \
	themes/luci-theme-bootstrap; do
	d=$S/luci/$m
	mkdir -p "$UP/www" "$UP/usr/share/ucode/luci"
	[ -d "$d/htdocs" ] && cp -R "$d/htdocs/." "$UP/www/"
	[ -d "$d/ucode" ] && cp -R "$d/ucode/." "$UP/usr/share/ucode/luci/"
	[ -d "$d/root" ] && cp -R "$d/root/." "$UP/"
done
grep -rl '@VERSION@' "$UP/www" "$UP/usr/share/ucode/luci" | xargs -r sed -i 's/@VERSION@/25.12-34cc436/g'
# the ACL that OpenWrt's rpcd package installs (cmake's install does not)
mkdir -p "$UP/usr/share/rpcd/acl.d"
cp "$S/rpcd/unauthenticated.json" "$UP/usr/share/rpcd/acl.d/"
# headers and cmake files are not part of the packages
rm -rf "$UP/usr/include" "$UP/usr/lib/pkgconfig" "$UP/usr/share/cmake" "$UP/usr/lib/cmake"

rm -rf "$tmp/src" "$tmp/obj"
touch "$tmp/.built"
mv "$tmp" "$out"
echo "$out"
