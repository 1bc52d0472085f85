#!/bin/sh
# The layers of src/ (README, "How it is built"): a file includes headers of
# its own folder or of a folder below it, never above. Folders from the
# bottom up; a new folder must be placed here before anything builds on it.
# TAP.
order="base packet apps classify config inline io export usage daemon cli"
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
src=$top/src

rank() {
	i=0
	for l in $order; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}

echo "1..2"
bad=""
for d in "$src"/*/; do
	d=$(basename "$d")
	[ "$(rank "$d")" -ge 0 ] || bad="$bad $d"
done
if [ -z "$bad" ]; then
	echo "ok 1 - every folder of src/ has a layer"
else
	echo "not ok 1 - folders without a layer:$bad (add them to tests/layers/layers.sh and the README)"
fi

n=0 up=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for f in "$src"/*/*.[ch]; do
	from=$(basename "$(dirname "$f")")
	rf=$(rank "$from")
	sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" >"$tmp"
	while read -r h; do
		[ "$h" = config.h ] && continue	# configure's, in the build tree
		n=$((n + 1))
		set -- "$src"/*/"$h"
		if ! [ -f "$1" ]; then
			echo "# ${f#"$top"/}: \"$h\" is in no folder of src/"
			up=$((up + 1))
			continue
		fi
		to=$(basename "$(dirname "$1")")
		rt=$(rank "$to")
		if [ "$to" != "$from" ] && [ "$rt" -ge "$rf" ]; then
			echo "# ${f#"$top"/} ($from) includes $h ($to): up a layer"
			up=$((up + 1))
		fi
	done <"$tmp"
done
if [ "$up" -eq 0 ] && [ "$n" -gt 0 ]; then
	echo "ok 2 - no include runs up a layer ($n includes)"
else
	echo "not ok 2 - $up of $n includes run up a layer or go nowhere"
fi
