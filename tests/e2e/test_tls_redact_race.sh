#!/usr/bin/env bash
# A SIGCONT not aspend's that lands after aspend's last look at a held
# writer's record and before it marks the hold DONE (a window of
# microseconds): the kernel denies the request's session (the
# signal_generate tracer), and its audit line must say deny too. aspend
# runs with ASPEN_REDACT_TEST_RACE=1, a test aid that makes it send that
# SIGCONT itself, in that window, at every hold. Until session 41 aspend's
# DONE was a map update: it replaced the record the tracer had just marked
# ESCAPED, and each line said allow, with its redactions, while the
# client's connection was cut. Now the kernel swaps HELD -> DONE
# (aspen_redact_done, BPF_PROG_TEST_RUN) against the tracer's HELD ->
# ESCAPED: one of the two wins and aspend knows which. python3, 10
# requests with an SSN, one connection each after a denial.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-redact-race

obj=$(make_policy redact-race <<'EOF_POLICY'
policy "redact-race"
default allow
uninspectable deny
import "providers"
import "pii"

rule mask_pii {
  on request
  redact pii.ssn with "X"
  audit
}
EOF_POLICY
)
ASPEN_REDACT_TEST_RACE=1 start_aspend "$obj"
assert_contains "$H_WORK/aspend.log" "ASPEN_REDACT_TEST_RACE=1"
ssn=123-45-6789
body=$(user_body "my ssn is $ssn, mask it")

provider_mark "$IP_OPENAI"
client py-race env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/evasion.py" repeat api.openai.com \
	--data "$(user_body 'nothing to mask')" --data "$body" --count 10
assert_contains "$C_OUT" '"attack": "sigcont-first", "req": 0, "status": 200' "the request with nothing to mask"
assert_never_arrived "$ssn" "an SSN whose writer was resumed before its hold was done"
denied=$(grep -c '"attack": "sigcont", .*"error"' "$C_OUT" || true)
[ "$denied" -eq 10 ] || fail "py-race: $denied of 10 requests denied on the wire: $(cat "$C_OUT")"
# what the audit says of them: denied, each, and never allowed with a redaction
audit_settle 11 event=request pid="$C_PID"
n=$(audit_count event=request pid="$C_PID" decision=deny rule=uninspectable unparsed=no_redact)
[ "$n" -eq 10 ] || fail "py-race: $n deny lines for the 10 requests cut: $(audit_find event=request pid="$C_PID")"
allowed=$(audit_find event=request pid="$C_PID" decision=allow | grep -c 'ssn' || true)
[ "$allowed" -eq 0 ] || fail "py-race: $allowed lines say allow with redactions for requests the kernel cut: $(audit_find event=request pid="$C_PID")"
escaped=$(audit_find event=request pid="$C_PID" | grep -c 'resumed before masking\|ran before its match to mask' || true)
[ "$escaped" -ge 1 ] || fail "py-race: no line says the writer was resumed before masking"
assert_not_contains "$H_AUDIT" "$ssn"
no_stopped py-race
echo "[tls-redact-race] $denied of 10 denied on the wire, $n deny lines, $escaped say resumed before masking"
stop_aspend
