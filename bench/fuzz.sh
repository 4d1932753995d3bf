#!/usr/bin/env bash
# Fuzzing at scale, outside the test suite (tests/fuzz/README.md): builds
# every target of tests/fuzz with libFuzzer, ASan and UBSan (clang,
# -DASPEN_FUZZ=ON, in BUILD_DIR, default build-fuzz/), then runs each for
# SECONDS on JOBS cores, from its seeds and the corpus earlier runs kept
# (CORPUS_DIR/NAME, default /var/tmp/aspen-fuzz). Prints one line per
# target: runs, runs per second, coverage, corpus size, and what it found
# (crash-*, leak-*, timeout-*, slow-unit-* files in CORPUS_DIR/NAME/found,
# each a reproducer: `BUILD_DIR/tests/fuzz/NAME FILE`). A file found goes,
# minimised (`NAME -minimize_crash=1 FILE`), into tests/fuzz/regress/NAME/
# with the fix, so ctest replays it ever after.
#   bench/fuzz.sh [SECONDS=60] [TARGET...]
# Environment: ASPEN_FUZZ_BUILD, ASPEN_FUZZ_CORPUS, ASPEN_FUZZ_JOBS (1),
# ASPEN_FUZZ_TIMEOUT (10: seconds one input may take).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${ASPEN_FUZZ_BUILD:-$here/build-fuzz}
corpus=${ASPEN_FUZZ_CORPUS:-/var/tmp/aspen-fuzz}
jobs=${ASPEN_FUZZ_JOBS:-1}
timeout=${ASPEN_FUZZ_TIMEOUT:-10}
secs=${1:-60}
shift || true

CC=clang cmake -S "$here" -B "$build" -DASPEN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	mapfile -t targets < <(awk '{print $1}' "$build/fuzz-targets.txt")
fi

printf '%-16s %10s %8s %6s %8s  %s\n' target runs exec/s cov corpus found
status=0
for t in "${targets[@]}"; do
	line=$(awk -v t="$t" '$1 == t' "$build/fuzz-targets.txt")
	if [ -z "$line" ]; then
		echo "fuzz.sh: no target $t (see $build/fuzz-targets.txt)" >&2
		exit 2
	fi
	read -r _ maxlen dict seeds <<<"$line"
	dir=$corpus/$t
	mkdir -p "$dir/corpus" "$dir/found"
	opts=(-max_total_time="$secs" -timeout="$timeout" -rss_limit_mb=4096
		-artifact_prefix="$dir/found/" -print_final_stats=1)
	[ "$maxlen" != 0 ] && opts+=(-max_len="$maxlen")
	[ "$dict" != - ] && opts+=(-dict="$dict")
	# fuzz_elf: a Go executable too (stripped), built here: too big to keep
	if [ "$t" = fuzz_elf ] && [ ! -s "$dir/go/goclient" ] && command -v go >/dev/null; then
		mkdir -p "$dir/go"
		(cd "$here/tests/lib/goclient" && HOME=${HOME:-/root} GOFLAGS=-mod=mod CGO_ENABLED=0 \
			go build -ldflags="-s -w" -o "$dir/go/goclient" .) >/dev/null 2>&1 || true
	fi
	[ "$t" = fuzz_elf ] && [ -s "$dir/go/goclient" ] && seeds="$seeds $dir/go"
	regress=$here/tests/fuzz/regress/$t
	[ -d "$regress" ] || regress=
	# seeds: files and directories, read only; new inputs go to corpus/
	if [ "$jobs" -gt 1 ]; then
		opts+=(-fork="$jobs")
	fi
	log=$dir/last.log
	before=$(find "$dir/found" -type f | wc -l)
	# shellcheck disable=SC2086
	(cd "$dir" && "$build/tests/fuzz/$t" "${opts[@]}" corpus $seeds $regress) >"$log" 2>&1 || true
	after=$(find "$dir/found" -type f | wc -l)
	runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
	rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
	ncorp=$(find "$dir/corpus" -type f | wc -l)
	found=$((after - before))
	what=none
	if [ "$found" -gt 0 ]; then
		what="$found new in $dir/found (log $log)"
		status=1
	elif grep -q "ERROR: libFuzzer\|==ERROR:\|runtime error:" "$log"; then
		what="error, see $log"
		status=1
	fi
	printf '%-16s %10s %8s %6s %8s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$ncorp" "$what"
done
exit "$status"
