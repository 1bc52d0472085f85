#!/bin/sh
# Builds every libFuzzer target tests/fuzz/fuzz_*.c with clang and runs it
# for FUZZ_RUNS inputs (default 200000) from a fixed seed, at most SECONDS.
# A fixed seed makes CI's run the same run as the developer's: a crash it
# finds is reproducible, and a passing tree does not fail by luck later.
# FUZZ_SEED=0 gives a random seed for longer exploratory runs.
# A target lists the sources it needs in its first comment
# ("fuzz-sources: src/a.c src/b.c"). Prints TAP, one line per target.
# Usage: tests/fuzz/run.sh SECONDS OUTDIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-20}
out=${2:-$top/build/fuzz}
mkdir -p "$out"
targets=$(ls "$top"/tests/fuzz/fuzz_*.c 2>/dev/null)
n=$(echo "$targets" | grep -c .)
echo "1..$n"
# config.h: from the check build if there is one, else a minimal probe.
cfgdir=$(dirname "$(ls "$top"/build/*/config.h "$top"/config.h 2>/dev/null | head -1)")
i=0
for t in $targets; do
	i=$((i + 1))
	name=$(basename "$t" .c)
	srcs=$(sed -n '1,/\*\//p' "$t" | grep -o 'src/[A-Za-z0-9_]*\.c' | sed "s#^#$top/#" | tr '\n' ' ')
	bin=$out/$name
	# shellcheck disable=SC2086
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I"$cfgdir" -iquote "$top" -iquote "$top/src" -I/usr/include/ndpi "$t" $srcs -o "$bin" \
		-lndpi -lgcrypt -lyajl -lpcap -lmnl -lnftnl -lnetfilter_queue -lm -lpthread \
		>"$out/$name.build.log" 2>&1; then
		echo "not ok $i - $name builds"
		cat "$out/$name.build.log"
		continue
	fi
	mkdir -p "$out/$name.corpus"
	seeds=""
	[ -d "$top/tests/fuzz/seeds/$name" ] && seeds="$top/tests/fuzz/seeds/$name"
	# shellcheck disable=SC2086
	rm -rf "$out/$name.corpus" && mkdir -p "$out/$name.corpus"
	if ASAN_OPTIONS=detect_leaks=0 "$bin" -seed="${FUZZ_SEED:-1}" -runs="${FUZZ_RUNS:-200000}" \
		-max_total_time="$secs" -max_len=8192 -timeout=10 \
		-artifact_prefix="$out/$name-" "$out/$name.corpus" $seeds >"$out/$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$out/$name.log" | grep -o '[0-9]*')
		echo "ok $i - $name: ${runs:-?} inputs (seed ${FUZZ_SEED:-1}), no crash"
	else
		echo "not ok $i - $name crashed"
		tail -40 "$out/$name.log"
	fi
done
