#!/bin/sh
# The OpenWrt package depends on every library configure requires, and on
# nothing configure does not know: PKG_CHECK_MODULES names in configure.ac
# against DEPENDS in openwrt/netify/Makefile (OpenWrt's package names;
# cmocka is for the tests only). TAP.
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
echo "1..1"
want=$(sed -n 's/^PKG_CHECK_MODULES(\[[A-Z]*\], \[\([a-z_]*\).*/\1/p' "$top/configure.ac" |
	grep -v '^cmocka$' | sed 's/^libnetfilter_queue$/libnetfilter-queue/' | sort -u)
have=$(sed -n '/DEPENDS:=/,/^[^\t ].*[^\\]$/p' "$top/openwrt/netify/Makefile" |
	grep -o '+[A-Za-z0-9_-]*' | tr -d + | grep -v '^PACKAGE_\|^libpthread$' | sort -u)
if [ -n "$want" ] && [ "$want" = "$have" ]; then
	echo "ok 1 - DEPENDS matches configure: $(echo $want)"
else
	echo "not ok 1 - DEPENDS ($(echo $have)) differs from configure ($(echo $want))"
fi
