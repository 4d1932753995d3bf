#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every map and program name aspend looks up (ASPEN_MAP_* and ASPEN_PROG_*
# in bpf-templates/aspen_shared.h) must name a map, or a program, in at
# least one object compiled from examples/*.asp: a name macro that drifted
# from the identifier the templates declare fails here, not at load time.
# Needs aspenc and clang; loads nothing into the kernel.
#
#   runtime/check-abi-names.sh ASPENC SRC_DIR
set -u

ASPENC=${1:?usage: check-abi-names.sh ASPENC SRC_DIR}
SRC=${2:?usage: check-abi-names.sh ASPENC SRC_DIR}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aspen-abi-names.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

if command -v llvm-objdump >/dev/null 2>&1; then OBJDUMP=llvm-objdump; else OBJDUMP=objdump; fi

# "map NAME" and "prog NAME" lines for every object
for asp in "$SRC"/examples/*.asp; do
	obj="$TMP/$(basename "$asp" .asp).bpf.o"
	if ! "$ASPENC" "$asp" -o "$obj" >"$TMP/aspenc.out" 2>&1; then
		echo "FAIL: aspenc $asp:"
		sed 's/^/    /' "$TMP/aspenc.out"
		exit 1
	fi
	"$OBJDUMP" -t "$obj" | awk '
		$3 == "O" && $4 == ".maps" { print "map", $NF }
		$3 == "F" && $4 != ".text" { print "prog", $NF }'
done | sort -u >"$TMP/names"

fail=0
n=0
sed -n 's/^#define ASPEN_\(MAP\|PROG\)_[A-Z0-9_]* *"\([^"]*\)".*/\1 \2/p' \
	"$SRC/bpf-templates/aspen_shared.h" >"$TMP/macros"
while read -r kind name; do
	want=$(echo "$kind" | tr 'A-Z' 'a-z')
	n=$((n + 1))
	if ! grep -qx "$want $name" "$TMP/names"; then
		echo "FAIL: aspen_shared.h names $want '$name', which no example object has"
		fail=$((fail + 1))
	fi
done <"$TMP/macros"

echo "abi names: $n checked, $fail missing"
[ "$fail" -eq 0 ] && [ "$n" -gt 0 ]
