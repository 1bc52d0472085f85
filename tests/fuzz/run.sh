#!/bin/sh
# Runs every libFuzzer target tests/fuzz/fuzz_*.c, as built by automake in
# BUILDDIR (configure --enable-fuzz CC=clang; make fuzz), for FUZZ_RUNS
# inputs (default 200000) from a fixed seed, at most SECONDS each.
# A fixed seed makes CI's run the same run as the developer's: a crash it
# finds is reproducible, and a passing tree does not fail by luck later.
# FUZZ_SEED=0 gives a random seed for longer exploratory runs. Corpora,
# logs and crash artifacts go to BUILDDIR/tests/fuzz/run. Prints TAP, one
# line per target; a target that was not built is a failure.
# Usage: tests/fuzz/run.sh SECONDS BUILDDIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-20}
build=${2:-$top/build/fuzz}
out=$build/tests/fuzz/run
mkdir -p "$out"
targets=$(ls "$top"/tests/fuzz/fuzz_*.c 2>/dev/null)
n=$(echo "$targets" | grep -c .)
echo "1..$n"
i=0
for t in $targets; do
	i=$((i + 1))
	name=$(basename "$t" .c)
	bin=$build/tests/fuzz/$name
	if ! [ -x "$bin" ]; then
		echo "not ok $i - $name builds (no $bin: make fuzz in a tree configured with --enable-fuzz)"
		continue
	fi
	seeds=""
	[ -d "$top/tests/fuzz/seeds/$name" ] && seeds="$top/tests/fuzz/seeds/$name"
	rm -rf "$out/$name.corpus" && mkdir -p "$out/$name.corpus"
	# shellcheck disable=SC2086
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
