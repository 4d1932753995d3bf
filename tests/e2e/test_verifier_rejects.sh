#!/usr/bin/env bash
# When the kernel verifier refuses a policy object, aspend names the policy
# rule and .asp line behind the refused code (the kernel selftests'
# `__failure __msg(...)`, one case per file). No policy the language accepts
# fails the verifier on purpose, so each case of tests/e2e/verifier-reject/
# is a small policy plus a deliberate fault: aspenc builds the object as
# always, with tests/lib/inject-clang.sh as its clang, which first puts the
# case's C statement into the generated code of one policy line
# (`# inject LINE: STMT`, or `# inject-before LINE: STMT` for code that
# belongs to no line). Then aspend must refuse the object (a non-zero exit
# before it is ready, "the kernel refused policy 'NAME'") and print the
# case's `# expect:` line, a glob: `*` matches registers, offsets and sizes,
# which depend on clang and the kernel. A case with a `# known-bug:` line
# documents a bug: its expect line must not match yet (reported as XFAIL);
# once it does, the test fails so that the marker is removed.
source "$(dirname "$0")/../lib/harness.sh"
harness_start verifier-rejects

CASES=$(dirname "$H_SCRIPT")/verifier-reject

# build_broken CASE.asp: the object of the case, with its fault injected.
build_broken() {
	local name real_clang=${ASPEN_CLANG:-clang}
	name=$(basename "$1" .asp)
	cp "$1" "$H_WORK/$name.asp"
	if ! (cd "$H_WORK" && INJECT_CASE="$name.asp" INJECT_CLANG="$real_clang" \
		ASPEN_CLANG="$H_LIB/inject-clang.sh" "$ASPENC" "$name.asp" -o "$name.bpf.o" \
		-I "$ASPEN_SRC/stdlib-policies") 2>"$H_WORK/$name.aspenc.err"; then
		cat "$H_WORK/$name.aspenc.err" >&2
		fail "$name: aspenc did not build the object with the injected fault"
	fi
}

# explained LOG PATTERN: 0 when a line of aspend's explanation matches PATTERN.
explained() {
	local line
	while IFS= read -r line; do
		line=${line#"${line%%[! ]*}"}
		# shellcheck disable=SC2254 # PATTERN is a glob on purpose
		case $line in $2) return 0 ;; esac
	done <"$1"
	return 1
}

n=0
for case in "$CASES"/*.asp; do
	name=$(basename "$case" .asp)
	policy=$(sed -n 's/^policy "\(.*\)"$/\1/p' "$case")
	expect=$(sed -n 's/^# expect: //p' "$case")
	bug=$(sed -n 's/^# known-bug: //p' "$case")
	if [ -z "$policy" ] || [ -z "$expect" ]; then
		fail "$name: needs a policy line and a '# expect:' line"
	fi
	log "case $name"
	build_broken "$case"
	aspend_refuses "$H_WORK/$name.bpf.o"
	assert_contains "$REFUSED_LOG" "the kernel refused policy '$policy' from $H_WORK/$name.bpf.o" "$name: aspend's error"
	got=$(grep -F 'the verifier refused' "$REFUSED_LOG" || echo "(no explanation)")
	if [ -n "$bug" ]; then
		explained "$REFUSED_LOG" "$expect" &&
			fail "$name: aspend now prints the expected line, the known bug is fixed: remove the case's '# known-bug:' line"
		log "XFAIL $name: $bug"
		log "  expected: $expect"
		log "  got:     $got"
	else
		explained "$REFUSED_LOG" "$expect" || fail "$name: aspend's explanation does not match
  expected: $expect
  got:     $got"
	fi
	n=$((n + 1))
done
assert_gt 0 "$n" "verifier-reject cases"
