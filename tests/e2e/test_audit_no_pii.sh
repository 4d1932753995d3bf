#!/usr/bin/env bash
# The audit trail, the --record trace and aspend's log (-v) never hold PII
# or secrets copied from a request: an SSN and an AWS key sent as the body's
# "model" and "user", in the URL query (plain, percent-encoded, cut at the
# kernel's 127 bytes) and in the Host header are masked in every request
# line, whatever the decision (allowed, redacted, denied). Then a policy that
# names no pattern: the standard library's pii and secrets patterns mask
# them anyway, and only --no-stdlib-scan leaves them (the documented limit).
# python3 (urllib) and curl.
source "$(dirname "$0")/../lib/harness.sh"
harness_start audit-no-pii

ssn=123-45-6789
key=AKIAIOSFODNN7EXAMPLE
ssn_pct=123%2D45%2D6789
OA=https://api.openai.com/v1/chat/completions
body() { # MODEL USER
	printf '{"model":"%s","user":"%s","messages":[{"role":"user","content":"hello"}]}' "$1" "$2"
}

obj=$(make_policy nopii <<'EOF_POLICY'
policy "nopii"
default allow
uninspectable deny
import "providers"
import "pii"
import "secrets"

rule no_aws_keys {
  on request
  when request.body matches secrets.aws_access_key
  deny "AWS key in a prompt"
}
rule mask_pii {
  on request
  redact pii.ssn with "X"
  audit
}
EOF_POLICY
)
trace=$H_WORK/trace.jsonl
ASPEND_EXTRA="-v --record $trace" start_aspend "$obj"

# request_line PID: the audit's request line of the client PID
request_line() { audit_wait event=request pid="$1"; }

# 1. python3: SSN as model and user, SSN and key in the query; allowed (the
#    body's SSNs are masked on the wire), every audit value masked
py_call py-query "$OA?ssn=$ssn&key=$key" "$(body "$ssn" "$ssn")"
assert_ok "python3 with an SSN in model, user and query"
line=$(request_line "$C_PID")
assert_eq allow "$(audit_field "$line" decision)" "python3: decision"
assert_eq XXXXXXXXXXX "$(audit_field "$line" model)" "python3: audit model"
assert_eq XXXXXXXXXXX "$(audit_field "$line" request_user)" "python3: audit request_user"
assert_eq "/v1/chat/completions?ssn=XXXXXXXXXXX&key=XXXXXXXXXXXXXXXXXXXX" \
	"$(audit_field "$line" path)" "python3: audit path"

# 2. python3: the key as user: denied by no_aws_keys, still masked
py_call py-key-user "$OA" "$(body gpt-4o-mini "$key")"
assert_failed "python3 with an AWS key as user"
line=$(request_line "$C_PID")
assert_eq deny "$(audit_field "$line" decision)" "python3 key: decision"
assert_eq no_aws_keys "$(audit_field "$line" rule)" "python3 key: rule"
assert_eq XXXXXXXXXXXXXXXXXXXX "$(audit_field "$line" request_user)" "python3 key: audit request_user"
assert_eq gpt-4o-mini "$(audit_field "$line" model)" "python3 key: a model that is no secret stays"

# 3. curl: the key as model (denied), the SSN percent-encoded in the query
curl_call curl-key-model "$OA?q=$ssn_pct&k=$key" -H 'Content-Type: application/json' \
	-d "$(body "$key" "$ssn")"
assert_failed "curl with an AWS key as model"
line=$(request_line "$C_PID")
assert_eq deny "$(audit_field "$line" decision)" "curl key: decision"
assert_eq XXXXXXXXXXXXXXXXXXXX "$(audit_field "$line" model)" "curl key: audit model"
assert_eq XXXXXXXXXXX "$(audit_field "$line" request_user)" "curl key: audit request_user"
assert_eq "/v1/chat/completions?q=XXXXXXXXXXXXXXX&k=XXXXXXXXXXXXXXXXXXXX" \
	"$(audit_field "$line" path)" "curl key: audit path (percent-encoded SSN)"

# 4. curl: the query is cut at 127 bytes in the middle of the SSN (byte 120
#    on): the part of it that is left is masked, the line is valid JSON
pad=$(printf 'a%.0s' $(seq 92))
curl_call curl-cut "$OA?pad=$pad&s=$ssn" -H 'Content-Type: application/json' \
	-d "$(body gpt-4o-mini nobody)"
assert_ok "curl with a long query"
line=$(request_line "$C_PID")
assert_eq "/v1/chat/completions?pad=$pad&s=XXXXXXX" "$(audit_field "$line" path)" "curl cut: audit path"

# 5. curl: the SSN in the Host header: not a provider's name, so the kernel
#    decides the write by uninspectable (host_not_provider, no request
#    fields); were it published, the host would be masked
curl_call curl-host "$OA" -H "Host: $ssn.openai.com" -H 'Content-Type: application/json' \
	-d "$(body gpt-4o-mini nobody)"
line=$(request_line "$C_PID")
host=$(audit_field "$line" host)
case $host in null | XXXXXXXXXXX.openai.com) ;; *) fail "curl host: audit host is '$host'" ;; esac
stop_aspend

check_clean() { # FILE...
	local f s
	for f in "$@"; do
		for s in "$ssn" "$key" "$ssn_pct" 123-45 IOSFODNN7; do
			assert_not_contains "$f" "$s"
		done
	done
}
check_clean "$H_AUDIT" "$trace" "$H_WORK/aspend.log"
audit_check_chain
# the trace has the requests, with the masked values
assert_gt 3 "$(jsonl_find "$trace" event=request | wc -l)" "requests in the trace"
assert_eq 1 "$(jsonl_find "$trace" event=request model=XXXXXXXXXXXXXXXXXXXX request_user=XXXXXXXXXXX | wc -l)" \
	"the trace's masked model and request_user"
assert_contains "$H_WORK/aspend.log" "audit values are masked with"

# 6. a policy that names no pattern: the standard library's masks the same
obj=$(make_policy plain <<'EOF_POLICY'
policy "plain"
default allow
uninspectable deny
import "providers"

rule models { on request  when request.model == "o9-forbidden"  deny "not that one" }
EOF_POLICY
)
start_aspend "$obj"
py_call py-plain "$OA?ssn=$ssn&key=$key" "$(body gpt-4o-mini "$ssn")"
assert_ok "python3 under a policy without patterns"
line=$(request_line "$C_PID")
assert_eq XXXXXXXXXXX "$(audit_field "$line" request_user)" "plain: audit request_user"
assert_eq "/v1/chat/completions?ssn=XXXXXXXXXXX&key=XXXXXXXXXXXXXXXXXXXX" \
	"$(audit_field "$line" path)" "plain: audit path"
stop_aspend
check_clean "$H_AUDIT"

# 7. ... and with --no-stdlib-scan nothing masks them (docs/operators.md)
H_AUDIT=$H_WORK/audit-nostd.jsonl
start_aspend "$obj" --no-stdlib-scan
py_call py-nostd "$OA?ssn=$ssn" "$(body gpt-4o-mini nobody)"
line=$(request_line "$C_PID")
assert_eq "/v1/chat/completions?ssn=$ssn" "$(audit_field "$line" path)" "--no-stdlib-scan: audit path"
stop_aspend
