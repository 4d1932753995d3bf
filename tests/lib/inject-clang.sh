#!/usr/bin/env bash
# inject-clang.sh: an ASPEN_CLANG for the verifier-reject tests. aspenc runs
# it with clang's arguments; it edits the generated C (the `-c FILE`) as the
# case file says, then runs clang with aspenc's arguments unchanged, so the
# broken object is built exactly as aspenc builds every object.
#
#   INJECT_CASE=CASE.asp  the case: its `# inject LINE: STMT` lines put STMT
#                         at the start of the generated code of policy line
#                         LINE (the C line after `#line LINE "CASE.asp"`);
#                         `# inject-before LINE: STMT` puts STMT on a line of
#                         its own just before that directive (code that
#                         belongs to no policy line)
#   INJECT_CLANG          the real clang (default: clang)
# Each injection must apply at least once, or nothing is compiled (status 2).
set -euo pipefail
[ -n "${INJECT_CASE:-}" ] || { echo "inject-clang: INJECT_CASE is not set" >&2; exit 2; }
# the templates' part of the object (docs/internals.md, "Two objects,
# linked") has no policy line: built as it is
for a in "$@"; do
	[ "$a" != -DASPEN_PART_TEMPLATES ] || exec "${INJECT_CLANG:-clang}" "$@"
done
c='' prev=''
for a in "$@"; do
	[ "$prev" = -c ] && c=$a
	prev=$a
done
[ -n "$c" ] || { echo "inject-clang: no -c FILE among the arguments" >&2; exit 2; }

awk -v asp="$(basename "$INJECT_CASE")" '
	FNR == NR {
		if (match($0, /^# inject(-before)? [0-9]+: /)) {
			stmt = substr($0, RLENGTH + 1)
			line = substr($0, 1, RLENGTH)
			gsub(/[^0-9]/, "", line)
			key = ($0 ~ /^# inject-before / ? "b" : "a") line
			want[key] = stmt
			used[key] = 0
		}
		next
	}
	pending != "" { $0 = pending " " $0; pending = "" }
	/^#line [0-9]+ "/ {
		n = $2
		f = $3
		gsub(/"/, "", f)
		sub(/.*\//, "", f)
		if (f == asp) {
			if (("b" n) in want) { print want["b" n]; used["b" n]++ }
			if (("a" n) in want) { pending = want["a" n]; used["a" n]++ }
		}
	}
	{ print }
	END {
		bad = 0
		for (k in used)
			if (!used[k]) {
				printf "inject-clang: no #line %s \"%s\" in the generated C\n", substr(k, 2), asp > "/dev/stderr"
				bad = 1
			}
		exit bad ? 2 : 0
	}
' "$INJECT_CASE" "$c" >"$c.injected" || { rm -f "$c.injected"; exit 2; }
mv "$c.injected" "$c"
exec "${INJECT_CLANG:-clang}" "$@"
