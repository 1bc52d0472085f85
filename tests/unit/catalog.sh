#!/bin/sh
# The shipped catalog loads without a single error, has at least 80 apps,
# each with a category, and `netify apps` answers from it.  TAP output.
dir="${top_srcdir:-.}/policy/apps.d"
netify="${NETIFY:-./netify}"
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

echo "1..7"
list=$("$netify" apps list --dir "$dir" 2>/tmp/netify-catalog.$$)
check "catalog loads without errors" "[ ! -s /tmp/netify-catalog.$$ ]"
cat /tmp/netify-catalog.$$ >&2
rm -f /tmp/netify-catalog.$$
count=$(printf '%s\n' "$list" | grep -c .)
check "at least 80 applications ($count)" "[ $count -ge 80 ]"
# columns: id tag category name; an empty category shifts the name left
uncat=$(printf '%s\n' "$list" | awk 'length($3) == 0 || $3 !~ /^[a-z-]+$/' | wc -l)
check "every application has a category" "[ $uncat -eq 0 ]"
check "lookup by parent domain" \
	"\"$netify\" apps lookup --dir \"$dir\" mmg.whatsapp.net | grep -q '^mmg.whatsapp.net: whatsapp '"
check "lookup by published range" \
	"\"$netify\" apps lookup --dir \"$dir\" 149.154.167.51 | tr '\\n' ' ' | grep -q ': telegram .*149.154.160.0/20'"
check "lookup miss exits 1" \
	"! \"$netify\" apps lookup --dir \"$dir\" host.invalid >/dev/null"
check "json list is valid and filtered" \
	"\"$netify\" apps list --json --category chat --dir \"$dir\" | python3 -c 'import json,sys; a=json.load(sys.stdin); assert len(a) >= 10 and all(x[\"category\"] == \"chat\" for x in a)'"
exit 0
