#!/bin/sh
# Build the native twin of a policy's body scanner (tests/lib/scan-native.c):
# cut the ASPEN_BODY_* defines, the body DFA tables, aspen_body_step and
# aspen_body_scan out of the generated C (`aspenc --emit-c`, or the file
# ASPEN_KEEP_C=1 keeps) and compile them with the host C compiler.
#   scan-native.sh GENERATED.c OUT.so
set -eu
gen=$1 out=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
inc=$(cd "$(dirname "$out")" && pwd)/$(basename "$out").inc.c
awk '
	/^#define ASPEN_BODY_/ { print; next }
	/^\/\* body DFA 1 of / { on = 1 }
	on { print }
	on && /^aspen_body_scan\(/ { fn = 1 }
	fn && /^}/ { exit }
' "$gen" >"$inc"
grep -q '^aspen_body_scan(' "$inc" || { echo "scan-native: no body DFA in $gen" >&2; exit 2; }
${CC:-cc} -O2 -fPIC -shared -o "$out" -I"$src/bpf-templates" -DASPEN_DFA_INC="\"$inc\"" \
	"$src/tests/lib/scan-native.c"
