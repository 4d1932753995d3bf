#!/usr/bin/env bash
# A policy with typos is rejected with file:line:col diagnostics, a "did you
# mean" hint, every error of the run, exit status 1 and no object written.
# Needs no root and never skips.
source "$(dirname "$0")/../lib/harness.sh"
harness_init bad-policy
[ -x "$ASPENC" ] || fail "aspenc not built: $ASPENC"

cd "$H_WORK"
cat >bad.asp <<'EOF_POLICY'
policy "bad"
default deny
import "providers"

rule approved {
  on connect
  when provider in [openai, anthropc]
  allow
}

rule no_mistral {
  on connect
  when provider == mistrl
  deny "not approved"
}
EOF_POLICY

# line:column (1-based) of the first occurrence of WORD in bad.asp.
where() {
	awk -v w="$1" '{ i = index($0, w); if (i) { print NR ":" i; exit } }' bad.asp
}

check_run() { # LABEL ASPENC-ARGS...
	local label=$1 rc=0
	shift
	"$ASPENC" "$@" >"$label.out" 2>"$label.err" || rc=$?
	cat "$label.out" >>"$label.err"
	assert_eq 1 "$rc" "$label: exit status"
	assert_contains "$label.err" "bad.asp:$(where anthropc): error: unknown provider 'anthropc'" "$label diagnostics"
	assert_contains "$label.err" "did you mean 'anthropic'?" "$label diagnostics"
	# All errors of a run are reported, not only the first.
	assert_contains "$label.err" "bad.asp:$(where mistrl): error: unknown provider 'mistrl'" "$label diagnostics"
	assert_contains "$label.err" "did you mean 'mistral'?" "$label diagnostics"
	# The offending source line is quoted, with a caret under the name.
	assert_contains "$label.err" "  when provider in [openai, anthropc]" "$label diagnostics"
	grep -qE '^[ |0-9]*\^' "$label.err" || fail "$label: no caret line in the diagnostics"
}

check_run compile bad.asp -o bad.bpf.o
[ ! -e bad.bpf.o ] || fail "aspenc wrote bad.bpf.o for a rejected policy"
check_run check --check bad.asp

# The fixed policy passes.
sed -e 's/anthropc/anthropic/' -e 's/mistrl/mistral/' bad.asp >good.asp
rc=0
"$ASPENC" --check good.asp >check-good.out 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat check-good.out >&2; fail "aspenc --check good.asp exited $rc"; }

# A rule the analysis warns can never fire still builds: the warning is the
# user's answer, clang's own overlap warning must not turn it into an error.
cat >never.asp <<'EOF_NEVER'
policy "never"
default allow
import "providers"
rule never { on connect  when dst.port == 443 and dst.port == 8443  deny }
EOF_NEVER
rc=0
"$ASPENC" never.asp -o never.bpf.o >never.out 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat never.out >&2; fail "aspenc never.asp exited $rc"; }
assert_contains never.out "never.asp:4:6: warning: rule 'never' can never fire"
[ -s never.bpf.o ] || fail "no object for a policy with only warnings"
# ... unless --werror (CI): exit 1, the warnings printed, no object
rm -f never.bpf.o
rc=0
"$ASPENC" --werror never.asp -o never.bpf.o >werror.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat werror.out >&2; fail "aspenc --werror never.asp exited $rc, not 1"; }
assert_contains werror.out "never.asp:4:6: warning: rule 'never' can never fire"
assert_contains werror.out "aspenc: error: 1 warning, and --werror makes them errors"
[ ! -e never.bpf.o ] || fail "aspenc --werror wrote an object for a policy with warnings"
rc=0
"$ASPENC" --werror --check good.asp >werror-good.out 2>&1 || rc=$?
[ "$rc" -eq 0 ] && [ ! -s werror-good.out ] || { cat werror-good.out >&2; fail "aspenc --werror --check good.asp exited $rc"; }

# More distinct globs than a field has bits: one error, at the first glob
# past the limit, not one per later glob (a generated policy could print
# thousands)
{
	printf 'policy "globs"\ndefault allow\nuninspectable deny\nimport "providers"\n'
	for i in $(seq 80); do printf 'rule r%d { on request when request.model == "m%d*" deny }\n' "$i" "$i"; done
} >globs.asp
rc=0
"$ASPENC" --emit-c globs.asp -o globs.c >globs.out 2>&1 || rc=$?
assert_eq 1 "$rc" "aspenc on 80 distinct model globs: exit status"
assert_contains globs.out 'globs.asp:69:45: error: more than 64 distinct model globs in one policy' "the first glob past the limit"
assert_eq 1 "$(grep -c 'error: more than 64 distinct model globs' globs.out)" "errors for 80 distinct model globs"
