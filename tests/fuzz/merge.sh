#!/usr/bin/env bash
# Keep what a long fuzz run learned: merges the corpus bench/fuzz.sh kept
# for each TARGET (/var/tmp/aspen-fuzz/NAME/corpus) into tests/fuzz/corpus/NAME
# with libFuzzer's -merge=1: the smallest set of inputs that covers every
# feature either covers. ctest's replay (fuzz/NAME) then runs them all.
#   tests/fuzz/merge.sh TARGET...
# Environment: ASPEN_FUZZ_BUILD (build-fuzz), ASPEN_FUZZ_CORPUS (/var/tmp/aspen-fuzz).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${ASPEN_FUZZ_BUILD:-$here/build-fuzz}
corpus=${ASPEN_FUZZ_CORPUS:-/var/tmp/aspen-fuzz}
[ $# -gt 0 ] || { echo "usage: $0 TARGET..." >&2; exit 2; }
for t in "$@"; do
	kept=$here/tests/fuzz/corpus/$t
	new=$(mktemp -d)
	mkdir -p "$kept"
	"$build/tests/fuzz/$t" -merge=1 "$new" "$kept" "$corpus/$t/corpus" >"$new.log" 2>&1 ||
		{ tail -20 "$new.log" >&2; exit 1; }
	rm -rf "$kept" "$new.log"
	mv "$new" "$kept"
	chmod 755 "$kept"
	echo "$t: $(find "$kept" -type f | wc -l) inputs, $(du -sh "$kept" | cut -f1)"
done
