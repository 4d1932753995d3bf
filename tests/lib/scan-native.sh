#!/bin/sh
# Build the native twin of a policy's body scanner (tests/lib/scan-native.c):
# cut the ASPEN_BODY_* defines, the body DFA tables and aspen_body_step out
# of `aspenc --emit-c` and compile them with the host C compiler.
#   scan-native.sh ASPENC POLICY.asp OUT.so
set -eu
aspenc=$1 policy=$2 out=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
inc=$out.inc.c
"$aspenc" --emit-c "$policy" -o - 2>/dev/null | awk '
	/^#define ASPEN_BODY_/ { print; next }
	/^\/\* body DFA 1 of / { on = 1 }
	on { print }
	on && /^aspen_body_step\(/ { fn = 1 }
	fn && /^}/ { exit }
' >"$inc"
grep -q '^aspen_body_step(' "$inc" || { echo "scan-native: no body DFA in $policy" >&2; exit 2; }
${CC:-cc} -O2 -fPIC -shared -o "$out" -I"$src/bpf-templates" -DASPEN_DFA_INC="\"$inc\"" \
	"$src/tests/lib/scan-native.c"
