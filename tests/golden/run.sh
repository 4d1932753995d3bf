#!/bin/sh
# Golden diagnostics: run `aspenc --check` on every NAME.asp in DIR (not in
# subdirectories: inc/ holds files the cases import). A case starts with
#   # %%FAIL   (exit status 1 expected)  or  # %%OK   (exit status 0)
# followed by `# expect: LINE` lines; each LINE must appear, whole, in the
# output; an optional `# warnings: N` says exactly how many warnings. See
# README.md.
# usage: run.sh ASPENC DIR
set -u
[ $# -eq 2 ] || { echo "usage: $0 ASPENC DIR" >&2; exit 2; }
case $1 in /*) aspenc=$1 ;; *) aspenc=$(pwd)/$1 ;; esac
cd "$2" || exit 2

pass=0
fail=0
for f in *.asp; do
	head=$(head -n 1 "$f")
	case $head in
	"# %%FAIL") want=1 ;;
	"# %%OK") want=0 ;;
	*) echo "FAIL $f: first line must be '# %%FAIL' or '# %%OK'"; fail=$((fail + 1)); continue ;;
	esac
	out=$("$aspenc" --check "$f" 2>&1)
	rc=$?
	ok=1
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $f: exit status $rc, expected $want"
		ok=0
	fi
	# every "# expect: " line, without the prefix
	expects=$(sed -n 's/^# expect: //p' "$f")
	if [ -n "$expects" ]; then
		while IFS= read -r line; do
			if ! printf '%s\n' "$out" | grep -qxF -- "$line"; then
				echo "FAIL $f: missing: $line"
				ok=0
			fi
		done <<EXPECTS
$expects
EXPECTS
	fi
	# optional "# warnings: N": exactly N warnings (nothing reported in excess)
	nwant=$(sed -n 's/^# warnings: //p' "$f")
	if [ -n "$nwant" ]; then
		ngot=$(printf '%s\n' "$out" | grep -c ': warning: ')
		if [ "$ngot" -ne "$nwant" ]; then
			echo "FAIL $f: $ngot warnings, expected $nwant"
			ok=0
		fi
	fi
	if [ $ok -eq 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		printf '%s\n' "--- output of aspenc --check $f:" "$out" "---"
	fi
done
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
