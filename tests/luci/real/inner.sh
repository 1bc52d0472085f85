#!/bin/sh
# Runs as process 1 of the stack's own PID, mount and network namespaces
# (stack.sh start): mounts the chroot, boots it the way OpenWrt would
# (uci-defaults, ubusd, rpcd, uhttpd, the netify service), then waits.
# The mounts are private to the namespace: the machine's /etc, /usr and
# /www are only ever read (as the lowest overlay layer).
# Usage: inner.sh RUN_DIR STACK_DIR CAPTURE
set -eu
R=$1 S=$2 CAP=$3
C=$R/root
log=$R/logs

mount --make-rprivate /
ip link set lo up

for d in usr etc www; do
	mkdir -p "$C/$d" "$R/upper/$d" "$R/work/$d"
done
# layers, top first: the app and netify packages, the test's fixture,
# the stack's packages, the machine's own files
mount -t overlay overlay -o "lowerdir=$R/app/usr:$R/fixture/usr:$S/stage/usr:/usr,upperdir=$R/upper/usr,workdir=$R/work/usr" "$C/usr"
mount -t overlay overlay -o "lowerdir=$R/app/etc:$R/fixture/etc:$S/stage/etc:/etc,upperdir=$R/upper/etc,workdir=$R/work/etc" "$C/etc"
mount -t overlay overlay -o "lowerdir=$R/app/www:$S/stage/www,upperdir=$R/upper/www,workdir=$R/work/www" "$C/www"
for d in bin sbin lib lib64; do
	ln -sfn "usr/$d" "$C/$d"
done
mkdir -p "$C/tmp" "$C/proc" "$C/dev" "$C/root" "$C/srv"
ln -sfn tmp "$C/var"
mount -t tmpfs -o mode=1777 tmpfs "$C/tmp"
mkdir -p "$C/tmp/run/ubus" "$C/tmp/lock" "$C/tmp/run/netify"
mount -t proc proc "$C/proc"
mount -t tmpfs -o mode=755 tmpfs "$C/dev"
for d in null zero random urandom tty; do
	touch "$C/dev/$d"
	mount --bind "/dev/$d" "$C/dev/$d"
done
ln -s /proc/self/fd "$C/dev/fd"
mkdir -p "$C/dev/shm"
mount -t tmpfs tmpfs "$C/dev/shm"
touch "$C/srv/replay.pcap"
mount --bind -o ro "$CAP" "$C/srv/replay.pcap"

# DHCP leases, as dnsmasq writes them: LuCI's host hints name the devices
now=$(date +%s)
cat >"$C/tmp/dhcp.leases" <<EOF
$((now + 43200)) aa:bb:cc:dd:ee:01 192.168.1.50 kids-phone 01:aa:bb:cc:dd:ee:01
$((now + 43200)) aa:bb:cc:dd:ee:02 192.168.1.51 laptop 01:aa:bb:cc:dd:ee:02
EOF

export ASAN_OPTIONS=detect_leaks=0 PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
chroot "$C" /sbin/ldconfig
# first boot: the packages' uci-defaults, each removed when it succeeds
for f in "$C"/etc/uci-defaults/*; do
	[ -f "$f" ] || continue
	n=${f##*/}
	if chroot "$C" /bin/sh "/etc/uci-defaults/$n" >>"$log/uci-defaults.log" 2>&1; then
		rm -f "$f"
	else
		echo "uci-defaults $n failed" >>"$log/uci-defaults.log"
	fi
done

wait_for() {
	i=0
	while [ ! -e "$C$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

chroot "$C" /usr/sbin/ubusd >"$log/ubusd.log" 2>&1 &
wait_for /var/run/ubus/ubus.sock
chroot "$C" /usr/bin/ucode /usr/libexec/netify-test/procd.uc >"$log/procd.log" 2>&1 &
chroot "$C" /usr/sbin/rpcd >"$log/rpcd.log" 2>&1 &
chroot "$C" /usr/bin/uhttpd -f -h /www -r OpenWrt -x /cgi-bin -u /ubus -t 60 -T 30 -k 20 -A 1 \
	-n 3 -N 100 -p 127.0.0.1:80 -o /cgi-bin/luci -O /usr/share/ucode/luci/uhttpd.uc \
	>"$log/uhttpd.log" 2>&1 &
chroot "$C" /usr/libexec/netify-test/netify-service start >"$log/service.log" 2>&1
echo ready >"$R/ready"
# process 1 of the namespace: everything in it ends when this does
while :; do
	wait || sleep 3600
done
