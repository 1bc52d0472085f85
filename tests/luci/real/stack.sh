#!/bin/sh
# The real OpenWrt web stack with luci-app-netify and netify installed, in
# a chroot inside private PID, mount and network namespaces.
#
#   stack.sh start RUN_DIR STACK_DIR NETIFY_BIN CAPTURE   install, boot, wait until up
#   stack.sh stop RUN_DIR                                 end the namespaces
#   stack.sh chroot RUN_DIR CMD...                        run CMD inside the chroot
#   stack.sh netns RUN_DIR CMD...                         run a host CMD in its network
#
# RUN_DIR (under build/) holds the package layers, the overlay upper
# directories (every file the stack writes), logs and the namespace's pid.
# Nothing outside RUN_DIR is written.  uhttpd listens on 127.0.0.1:80 of
# the private network namespace; root's LuCI password is "netify".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)

# The packages as OpenWrt installs them: luci.mk copies htdocs/ to /www and
# root/ to /; openwrt/netify/Makefile installs the binary, the default
# configuration, the init script, uci-defaults and the catalog.
install_layers() {
	R=$1 bin=$2
	app=$R/app fix=$R/fixture
	mkdir -p "$app/www" "$app/usr/sbin" "$app/etc/config" "$app/etc/init.d" \
		"$app/etc/uci-defaults" "$app/etc/netify/apps.d"
	cp -R "$top/luci-app-netify/htdocs/." "$app/www/"
	cp -R "$top/luci-app-netify/root/." "$app/"
	install -m755 "$bin" "$app/usr/sbin/netify"
	install -m644 "$top/uci/netify.config" "$app/etc/config/netify"
	install -m755 "$top/uci/netify.init" "$app/etc/init.d/netify"
	install -m755 "$top/uci/netify.uci-defaults" "$app/etc/uci-defaults/90-netify"
	install -m644 "$top"/policy/apps.d/*.conf "$app/etc/netify/apps.d/"
	# what an OpenWrt image has besides these packages (see fixture/)
	cp -R "$here/fixture/." "$fix/"
	chmod 755 "$fix"/usr/libexec/netify-test/*
	hash=$(openssl passwd -6 -salt netifytest netify)
	printf 'root:%s:19000:0:99999:7:::\n' "$hash" >"$fix/etc/shadow"
	chmod 600 "$fix/etc/shadow"
}

ns_pid() {
	cat "$1/ns.pid"
}

case "${1:-}" in
start)
	abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
	R=$(abs "$2") S=$(abs "$3") bin=$(abs "$4") cap=$(abs "$5")
	mkdir -p "$R"
	[ -f "$R/ns.pid" ] && "$0" stop "$R"
	rm -rf "$R/app" "$R/fixture" "$R/upper" "$R/work" "$R/root" "$R/logs" "$R/ready"
	mkdir -p "$R/app" "$R/fixture" "$R/logs"
	install_layers "$R" "$bin"
	unshare --pid --fork --kill-child --mount --net --propagation private \
		sh "$here/inner.sh" "$R" "$S" "$cap" >"$R/logs/inner.log" 2>&1 &
	echo $! >"$R/unshare.pid"
	i=0
	while [ ! -f "$R/ready" ] && [ $i -lt 300 ]; do
		kill -0 "$(cat "$R/unshare.pid")" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -f "$R/ready" ]; then
		echo "stack.sh: the stack did not come up; $R/logs/inner.log:" >&2
		tail -20 "$R/logs/inner.log" >&2
		exit 1
	fi
	# process 1 of the namespaces, as the machine sees it
	cat "/proc/$(cat "$R/unshare.pid")/task/$(cat "$R/unshare.pid")/children" | tr -d ' ' >"$R/ns.pid"
	# uhttpd answers
	i=0
	until "$0" netns "$R" curl -s -o /dev/null http://127.0.0.1/ || [ $i -ge 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	;;
stop)
	R=$2
	if [ -f "$R/ns.pid" ]; then
		kill -KILL "$(ns_pid "$R")" 2>/dev/null || :
	fi
	if [ -f "$R/unshare.pid" ]; then
		p=$(cat "$R/unshare.pid")
		kill "$p" 2>/dev/null || :
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	rm -f "$R/ns.pid" "$R/unshare.pid" "$R/ready"
	;;
chroot)
	R=$2
	shift 2
	exec nsenter --target "$(ns_pid "$R")" --mount --net --pid \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root ASAN_OPTIONS=detect_leaks=0 \
		chroot "$R/root" "$@"
	;;
netns)
	R=$2
	shift 2
	exec nsenter --target "$(ns_pid "$R")" --net "$@"
	;;
*)
	echo "usage: $0 start RUN STACK NETIFY CAPTURE | stop RUN | chroot RUN CMD... | netns RUN CMD..." >&2
	exit 2
	;;
esac
