#!/usr/bin/env bash
# The body scanner in the kernel against the userspace matcher. Four
# policies over the whole standard library (pii, secrets, injection; rules
# with `matches` and `redact`) are compiled; for each, tests/lib/scan-kernel
# runs the object's SEC("syscall") program aspen_scan_test -- the generated
# aspen_body_step the TLS probes run -- with BPF_PROG_TEST_RUN (nothing is
# attached) on a corpus built from every "match:"/"no match:" comment of
# stdlib-policies/*.asp: each example alone, at the start, at the end, in the
# middle split across two calls at every offset of it and one byte per call,
# ending at and cut by the 64 KiB scan bound, across a 32 KiB call boundary;
# plus random text. Every case must give the same per-pattern result and the
# same (byte, patterns) match events as the userspace matcher (runtime/lib/rx.c:
# rx_search, rx_find's leftmost-longest ends), with the one documented
# difference (docs/language.md, "Word boundaries"): a match ending in \b is
# reported on the byte after it, and not at all at the very end of the
# buffer. The native build of the same generated step (tests/lib/scan-native.sh)
# must give byte-identical events. Needs root; outside CI it skips without.
source "$(dirname "$0")/../lib/harness.sh"
harness_init scanner-kernel
need_root
need_aspenc
SCAN=${ASPEN_SCAN_KERNEL:-$(dirname "$ASPENC")/../tests/scan-kernel}
[ -x "$SCAN" ] || skip_or_fail "scan-kernel not built: $SCAN"
STD=$ASPEN_SRC/stdlib-policies
cd "$H_WORK"

# Every stdlib pattern is in one of these (a policy's body DFAs must fit in
# 4 x 4096 states: the whole library does not fit in one).
cp "$ASPEN_SRC/tests/lib/scan-mix.asp" mix.asp
cat >pii.asp <<'EOF'
policy "scan-pii"
uninspectable deny
default allow
import "pii"

rule mask {
  on request
  redact pii.ssn
  redact pii.iban with "#"
}

rule flag {
  on request
  when request.body matches pii.credit_card or request.body matches pii.email
    or request.body matches pii.phone or request.body matches pii.ipv4 or request.body matches pii.dob
  audit
}
EOF
cat >secrets.asp <<'EOF'
policy "scan-secrets"
uninspectable deny
default allow
import "secrets"

rule mask {
  on request
  redact secrets.openai_key
}

rule keys {
  on request
  when request.body matches secrets.anthropic_key or request.body matches secrets.google_api_key
    or request.body matches secrets.gitlab_token or request.body matches secrets.jwt
  deny "credentials in a prompt"
}
EOF
cat >injection.asp <<'EOF'
policy "scan-injection"
uninspectable deny
default allow
import "injection"

rule flag {
  on request
  when request.body matches injection.ignore_instructions or request.body matches injection.prompt_leak
    or request.body matches injection.jailbreak or request.body matches injection.any
  audit
}
EOF

policies="mix pii secrets injection"
native=1
command -v "${CC:-cc}" >/dev/null 2>&1 || { log "no C compiler: the native comparison is skipped"; native=0; }

log "compiling $policies"
pids=()
for p in $policies; do
	# ASPEN_KEEP_C: the generated C of the object, for the native build
	ASPEN_KEEP_C=1 "$ASPENC" --test-programs "$p.asp" -o "$p.bpf.o" -I "$STD" 2>"$p.aspenc.err" &
	pids+=($!)
done
for i in "${!pids[@]}"; do
	p=$(echo $policies | cut -d' ' -f$((i + 1)))
	wait "${pids[$i]}" || { cat "$p.aspenc.err" >&2; fail "aspenc $p.asp failed"; }
	if [ "$native" = 1 ]; then
		gen=$(sed -n 's/^aspenc: generated C kept in //p' "$p.aspenc.err")
		[ -f "$gen" ] || fail "$p: no generated C kept"
		"$ASPEN_SRC/tests/lib/scan-native.sh" "$gen" "$p.so" || fail "$p: the native build failed"
		rm -f "$gen"
	fi
done

rc=0
for p in $policies; do
	log "policy $p"
	args=()
	[ "$native" = 1 ] && args=(--native "$H_WORK/$p.so")
	"$SCAN" "$p.bpf.o" --check "${args[@]}" --seed "${ASPEN_SCAN_SEED:-1}" --random 200 \
		"$STD/pii.asp" "$STD/secrets.asp" "$STD/injection.asp" >"$p.out" 2>"$p.err" || rc=$?
	sed "s/^/[$H_NAME] $p: /" "$p.out" >&2
	if [ "$rc" -ne 0 ]; then
		head -50 "$p.err" >&2
		fail "policy $p: the kernel scanner and the userspace matcher disagree (exit $rc)"
	fi
	grep -q "PASS: 0 case" "$p.out" || fail "policy $p: no PASS line"
	# a corpus that lost its examples would pass vacuously
	assert_gt 0 "$(sed -n 's/.* \([0-9]*\) kernel match events;.*/\1/p' "$p.out")" "policy $p: kernel match events"
	assert_gt 0 "$(sed -n 's/.* \([0-9]*\) comment verdicts checked$/\1/p' "$p.out")" "policy $p: comment verdicts checked"
done
log "PASS"
