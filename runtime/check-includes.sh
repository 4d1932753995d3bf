#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# aspend's modules depend on each other one way only: a module is a .c file
# with its .h, and "A includes B's header" is an edge A -> B; tsort fails
# on a loop. Also checks that every header compiles on its own.
#
#   runtime/check-includes.sh SRC_DIR
set -u

SRC=${1:?usage: check-includes.sh SRC_DIR}
DIR="$SRC/runtime/src"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aspen-includes.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

for f in "$DIR"/*.c "$DIR"/*.h; do
	from=$(basename "$f" | sed 's/\.[ch]$//')
	echo "$from $from"
	sed -n 's/^#include "\([^"]*\)\.h".*/\1/p' "$f" | while read -r to; do
		[ -e "$DIR/$to.h" ] && [ "$to" != "$from" ] && echo "$from $to"
	done
done >"$TMP/edges"

if ! tsort "$TMP/edges" >/dev/null 2>"$TMP/loop"; then
	echo "FAIL: include loop between runtime/src modules:"
	sed 's/^/    /' "$TMP/loop"
	exit 1
fi

fail=0
for h in "$DIR"/*.h; do
	echo "#include \"$(basename "$h")\"" >"$TMP/h.c"
	if ! ${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -fsyntax-only -I"$DIR" -I"$SRC/common" \
		-I"$SRC/bpf-templates" -I"$SRC/runtime/lib" "$TMP/h.c" 2>"$TMP/err"; then
		echo "FAIL: $(basename "$h") does not compile on its own:"
		sed 's/^/    /' "$TMP/err"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "runtime includes: no loop, every header self-contained"
exit $fail
