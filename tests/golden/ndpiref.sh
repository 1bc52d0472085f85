#!/bin/sh
# Prints the path of a table (corpus format, see ndpiout.py) of what the
# ndpiReader of the nDPI version netify is built with says about every
# capture of the corpus: the reference the golden tests compare netify
# with. The table is made once per ndpiReader binary (keyed by its
# SHA-256) and kept in CACHE_DIR.
# Usage: ndpiref.sh NDPI_READER CORPUS_DIR CACHE_DIR
# ndpiReader runs with -t (tunnels), as nDPI's own regression suite does.
set -u
reader=$1 corpus=$2 cache=$3
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$reader" ] || { echo "ndpiref.sh: no ndpiReader at '$reader'" >&2; exit 1; }
sum=$(sha256sum "$reader" | cut -c1-16)
tsv=$cache/ndpiref-$sum.tsv
if [ ! -s "$tsv" ]; then
	mkdir -p "$cache" || exit 1
	tmp=$(mktemp -d "$cache/ndpiref.XXXXXX") || exit 1
	for f in "$corpus"/pcap/*; do
		"$reader" -t -q -v 2 -i "$f" >"$tmp/$(basename "$f").out" 2>/dev/null </dev/null || true
	done
	python3 "$here/ndpiout.py" "$tmp" >"$tmp/table.tsv" && mv "$tmp/table.tsv" "$tsv"
	rm -rf "$tmp"
	[ -s "$tsv" ] || { echo "ndpiref.sh: no table from $reader" >&2; exit 1; }
fi
echo "$tsv"
