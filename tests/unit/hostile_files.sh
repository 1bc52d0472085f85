#!/bin/sh
# Files the CLI reads, with something hostile at the path (issue 13): a
# FIFO, a /dev/zero link or a directory named *.conf in the apps
# directory, a FIFO as the config file or a capture, NUL bytes in an apps
# file. Each command must answer at once (a timeout fails it, where it
# used to hang) with the path and the reason. TAP.
netify="${NETIFY:-./netify}"
tmp=$(mktemp -d /tmp/netify-hostile.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
t() { n=$((n + 1)); if "$@" >&2; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi; }
echo "1..7"

mkdir "$tmp/apps"
printf 'cat:chat:Chat\napp:50001:mine:chat:Mine\ndom:50001:mine.example\n' >"$tmp/apps/10-ok.conf"
cat >"$tmp/netify" <<EOC
config netify 'main'
	option apps_dir '$tmp/apps'

config rule 'r'
	list app 'mine'
	option action 'block'
EOC

# refused CMD... : fails within 10 s, its stderr names $bad and $why
refused() {
	timeout 10 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	cat "$tmp/err"
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -qF "$bad" "$tmp/err" && grep -qF "$why" "$tmp/err"
}

for kind in fifo zero dir; do
	bad="$tmp/apps/50-$kind.conf"
	case $kind in
	fifo) mkfifo "$bad"; why="not a regular file (a FIFO)" ;;
	zero) ln -s /dev/zero "$bad"; why="not a regular file (a character device)" ;;
	dir) mkdir "$bad"; why="not a regular file (a directory)" ;;
	esac
	desc="apps list: a $kind named *.conf in the apps directory is an error with its path, at once"
	t refused "$netify" apps list --dir "$tmp/apps"
	rm -rf "$bad"
done

bad="$tmp/apps/50-fifo.conf"; why="not a regular file (a FIFO)"
mkfifo "$bad"
desc="check: the same FIFO in apps_dir is reported, and check does not hang"
t refused "$netify" check -c "$tmp/netify"
rm -f "$bad"

bad="$tmp/fifo-config"; why="not a regular file (a FIFO)"
mkfifo "$bad"
desc="check: a FIFO as the config file is an error with its path, at once"
t refused "$netify" check -c "$bad"
bad="$tmp/fifo.pcap"
mkfifo "$bad"
desc="classify: a FIFO given as a capture is an error with its path, at once"
t refused "$netify" classify "$bad"

# NUL bytes: an error at their own line, the next line read, later lines
# reported at their true numbers (one line used to vanish, numbers shifted)
printf 'app:50002:two:chat:Two\ndom:50002:a\0b.example\ndom:50002:two.example\nbogus\n' >"$tmp/apps/20-nul.conf"
nul_ok() {
	"$netify" apps list --dir "$tmp/apps" >/dev/null 2>"$tmp/err"
	cat "$tmp/err"
	grep -qF "20-nul.conf:2: NUL byte in the line (column 12)" "$tmp/err" &&
		grep -qF "20-nul.conf:4: expected <type>" "$tmp/err" &&
		[ "$(wc -l <"$tmp/err")" = 2 ] &&
		"$netify" apps lookup --dir "$tmp/apps" www.two.example | grep -q '^www.two.example: two '
}
desc="apps: a NUL byte is an error at its line (col), the next line loads, later lines keep their numbers"
t nul_ok
exit 0
