#!/bin/sh
# `netify check` and `netify policy test` end to end, on the built binary
# ($NETIFY), a small app catalog and sample configurations.  Prints TAP.

NETIFY=${NETIFY:-./netify}
SRCDIR=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TZ=Europe/Berlin

n=0
fails=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
		[ -f "$TMP/out" ] && sed 's/^/# /' "$TMP/out"
	fi
}
# expect STATUS DESCRIPTION -- COMMAND...: exit status and output kept
expect() {
	want=$1 desc=$2
	shift 3
	"$@" > "$TMP/out" 2>&1
	[ $? = "$want" ]
	ok $? "$desc"
}
has() {
	grep -qF -- "$1" "$TMP/out"
	ok $? "$2"
}

mkdir -p "$TMP/apps"
cat > "$TMP/apps/10-test.conf" <<'APPS'
cat:chat:Chat
cat:games:Games
app:101:whatsapp:chat:WhatsApp
dom:101:whatsapp.net
app:102:steam:games:Steam
APPS

cat > "$TMP/netify" <<'CONF'
config netify 'main'
	option queue '0-1'

config class 'bulk'
	option mark '1'
	option dscp 'CS1'

config device 'kid_phone'
	list mac 'aa:bb:cc:dd:ee:ff'
	list ip '192.168.1.50'

config group 'kids'
	list device 'kid_phone'

config rule
	option name 'School nights'
	list group 'kids'
	list app 'whatsapp'
	option action 'block'
	option weekdays 'Mon Tue Wed Thu Sun'
	option start_time '18:00'
	option stop_time '07:00'

config rule
	option name 'Torrents slow'
	list proto 'BitTorrent'
	option action 'qos'
	option class 'bulk'
CONF

echo "1..28"

expect 0 "shipped default configuration is valid" -- \
	"$NETIFY" check -c "$SRCDIR/uci/netify.config" --apps "$TMP/apps"
expect 0 "sample configuration is valid" -- \
	"$NETIFY" check -c "$TMP/netify" --apps "$TMP/apps"
has "queue            0-1" "main settings printed"
has "1. School nights" "rules printed in order"
has "on Mon Tue Wed Thu Sun, from 18:00 to 07:00 (over midnight)" \
	"schedule described in words"
has "action: qos class bulk (mark 1, dscp 8)" "qos class printed"

sed -e "s/'whatsapp'/'whatsap'/" -e "s/'CS1'/'CS9'/" "$TMP/netify" > "$TMP/bad"
expect 1 "invalid configuration fails" -- \
	"$NETIFY" check -c "$TMP/bad" --apps "$TMP/apps"
has "$TMP/bad:6: class 'bulk': option 'dscp': invalid value 'CS9'" \
	"first error reported with file and line"
has "$TMP/bad:15: rule 'School nights': unknown application 'whatsap'" \
	"second error reported too"
has "2 errors" "error count"

expect 0 "policy test on a school night" -- \
	"$NETIFY" policy test -c "$TMP/netify" --apps "$TMP/apps" \
	--mac aa:bb:cc:dd:ee:ff --app whatsapp --at '2026-11-29 22:00' --json
has '{"rule":"School nights","index":0,"action":"block","class":null,"active":true,' \
	"blocked by the scheduled rule"

expect 0 "policy test on a Friday night" -- \
	"$NETIFY" policy test -c "$TMP/netify" --apps "$TMP/apps" \
	--mac aa:bb:cc:dd:ee:ff --app whatsapp --at '2026-11-27 22:00' --json
has '"active":false' "scheduled rule reported inactive"

expect 0 "policy test by protocol" -- \
	"$NETIFY" policy test -c "$TMP/netify" --apps "$TMP/apps" \
	--ip 10.0.0.9 --app steam --proto bittorrent --json
has '{"rule":"Torrents slow","index":1,"action":"qos","class":"bulk","active":true,' \
	"qos rule with its class"

expect 1 "unknown application is an error" -- \
	"$NETIFY" policy test -c "$TMP/netify" --apps "$TMP/apps" \
	--ip 10.0.0.9 --app nope --json

# daily limits: printed by check, explained by policy test
cat "$TMP/netify" - > "$TMP/limits" <<'CONF'

config rule 'games'
	option name 'Games 1h a day'
	list device 'kid_phone'
	list category 'games'
	option time_limit '1h30m'
	option volume_limit '2.5G'
	option limit_per 'rule'

config rule
	option name 'Steam allowed'
	list app 'steam'
	option action 'allow'
CONF
sed -i "s/option queue '0-1'/&\n\toption reset_time '04:00'/" "$TMP/limits"
expect 0 "configuration with a daily limit is valid" -- \
	"$NETIFY" check -c "$TMP/limits" --apps "$TMP/apps"
has "limit:  1h30m/day, 2.5 GB/day, warning at 80%, one budget for all its devices; matches once reached" \
	"the limit printed with its budget"
has "action: block" "a limit rule blocks by default"
has "usage            on, days start at 04:00" "usage settings printed"
expect 0 "policy test: the limit is not reached" -- \
	"$NETIFY" policy test -c "$TMP/limits" --apps "$TMP/apps" \
	--mac aa:bb:cc:dd:ee:ff --app steam --at '2026-11-27 12:00' --json
has '"rule":"Steam allowed","index":3,"action":"allow"' "the next rule decides while the limit is not reached"
has '"limits":["Games 1h a day"]' "the flow counts against the limit"
expect 0 "policy test: the limit reached" -- \
	"$NETIFY" policy test -c "$TMP/limits" --apps "$TMP/apps" \
	--mac aa:bb:cc:dd:ee:ff --app steam --at '2026-11-27 12:00' --limits-reached
has "rule 3 'Games 1h a day': block" "the limit rule decides once reached"
sed "s/option limit_per 'rule'/option action 'allow'/" "$TMP/limits" > "$TMP/bad"
expect 1 "a limit rule that allows is refused" -- \
	"$NETIFY" check -c "$TMP/bad" --apps "$TMP/apps"
has "$TMP/bad:37: rule 'Games 1h a day': a limit rule must block, qos or log once its limit is reached, not allow" \
	"with its file and line"

exit 0
