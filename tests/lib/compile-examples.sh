#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every examples/*.asp must compile (clang included) with no diagnostic at
# all, and the object must carry the .aspen.meta section aspend reads.
#
#   tests/lib/compile-examples.sh ASPENC EXAMPLES_DIR
set -u

ASPENC=${1:?usage: compile-examples.sh ASPENC DIR}
DIR=${2:?usage: compile-examples.sh ASPENC DIR}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aspen-examples.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

if command -v llvm-readelf >/dev/null 2>&1; then READELF=llvm-readelf; else READELF=readelf; fi

pass=0
fail=0
for asp in "$DIR"/*.asp; do
	[ -e "$asp" ] || continue
	name=$(basename "$asp" .asp)
	obj="$TMP/$name.bpf.o"
	"$ASPENC" "$asp" -o "$obj" >"$TMP/$name.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$TMP/$name.out" ]; then
		echo "FAIL $asp (exit $rc):"
		sed 's/^/    /' "$TMP/$name.out"
		fail=$((fail + 1))
		continue
	fi
	if ! "$READELF" -S "$obj" 2>/dev/null | grep -q '\.aspen\.meta'; then
		echo "FAIL $asp: $obj has no .aspen.meta section"
		fail=$((fail + 1))
		continue
	fi
	echo "ok   $asp"
	pass=$((pass + 1))
done

echo "examples: $pass compiled, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
