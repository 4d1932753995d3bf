#!/bin/sh
# Golden diagnostics: run `aspenc --check` on every NAME.asp in DIR (not in
# subdirectories: inc/ holds files the cases import). A case starts with
#   # %%FAIL   (exit status 1 expected)  or  # %%OK   (exit status 0)
# and ends with its expected output, one `# expect: LINE` per line (`# expect:`
# alone for an empty line). The whole output (stderr and stdout) must equal
# the expected lines exactly: a missing, extra or reordered line fails. The
# standard library is searched as ../../stdlib-policies (relative to DIR),
# so its files print under that path. See README.md.
# usage: run.sh ASPENC DIR
set -u
[ $# -eq 2 ] || {
	echo "usage: $0 ASPENC DIR" >&2
	exit 2
}
case $1 in /*) aspenc=$1 ;; *) aspenc=$(pwd)/$1 ;; esac
cd "$2" || exit 2
ASPEN_STDLIB_DIR=../../stdlib-policies
export ASPEN_STDLIB_DIR
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aspen-golden.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# expected NAME.asp: the expected output, from the `# expect:` lines.
expected() {
	sed -n -e 's/^# expect: //p' -e 's/^# expect:$//p' "$1"
}

# expect_block_last NAME.asp: no other line follows the first `# expect:`.
expect_block_last() {
	awk '/^# expect:( |$)/ { seen = 1; next } seen { exit 1 }' "$1"
}

pass=0
fail=0
for f in *.asp; do
	case $(head -n 1 "$f") in
	"# %%FAIL") want=1 ;;
	"# %%OK") want=0 ;;
	*)
		echo "FAIL $f: first line must be '# %%FAIL' or '# %%OK'"
		fail=$((fail + 1))
		continue
		;;
	esac
	ok=1
	if ! expect_block_last "$f"; then
		echo "FAIL $f: the '# expect:' lines must end the file"
		ok=0
	fi
	expected "$f" >"$tmp/want"
	"$aspenc" --check "$f" >"$tmp/got" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $f: exit status $rc, expected $want"
		ok=0
	fi
	if ! cmp -s "$tmp/want" "$tmp/got"; then
		echo "FAIL $f: output differs from the '# expect:' lines (- expected, + actual):"
		diff -u --label expected --label "aspenc --check $f" "$tmp/want" "$tmp/got"
		ok=0
	fi
	if [ $ok -eq 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
