#!/usr/bin/env bash
# The man pages say what --help says: every long option and subcommand in
# `aspenc --help` is in aspenc(1), every long option in `aspend --help` in
# aspend(8); each page renders without a groff warning.
#
#   tests/packaging/man-options.sh ASPENC ASPEND SRC_DIR
set -euo pipefail
ASPENC=${1:?usage: man-options.sh ASPENC ASPEND SRC_DIR} ASPEND=${2:?} SRC=${3:?}
fail=0
check() { # HELP_TEXT PAGE
	local page=$2 opt
	# the page's text, roff escapes of the hyphen undone
	local text
	text=$(sed 's/\\-/-/g' "$page")
	for opt in $(printf '%s\n' "$1" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		case $text in *"$opt"*) ;; *)
			echo "FAIL: $(basename "$page") does not document $opt (in --help)"
			fail=1
			;;
		esac
	done
}
check "$("$ASPENC" --help)" "$SRC/man/aspenc.1"
for sub in test diff fmt audit; do
	"$ASPENC" --help | grep -q "aspenc $sub" || { echo "FAIL: aspenc --help does not name '$sub'"; fail=1; }
	grep -q "^\.B $sub\$\|^\.B aspenc $sub" "$SRC/man/aspenc.1" || { echo "FAIL: aspenc.1 does not document '$sub'"; fail=1; }
done
check "$("$ASPEND" --help)" "$SRC/man/aspend.8"
for page in "$SRC"/man/*.[158]; do
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null || true)
	[ -z "$warn" ] || { echo "FAIL: $(basename "$page"): $warn"; fail=1; }
done
[ "$fail" -eq 0 ] && echo "ok: man pages match --help"
exit "$fail"
