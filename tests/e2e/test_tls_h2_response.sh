#!/usr/bin/env bash
# Responses over HTTP/2, as over HTTP/1.1 (test_tls_user_tokens): the read
# probe decodes the server's HEADERS with the server's own HPACK table
# (:status per stream) and feeds DATA frames to the same usage scan, so the
# response line carries the status, the model and the token counts the
# provider reported, for a JSON answer (curl, httpx http2=True) and a
# streamed one (server-sent events over DATA frames); an `on response` rule
# on response.status audits an h2 stream's 404.
source "$(dirname "$0")/../lib/harness.sh"
export H_PROVIDER_H2=1
harness_start tls-h2-response

/usr/bin/python3 -c 'import h2, httpx' 2>/dev/null || skip_or_fail "python3-h2 / python3-httpx missing (scripts/install-deps.sh)"

obj=$({
	contract_policy
	cat <<'EOF_POLICY'

rule not_found {
  on response
  when response.status == 404
  audit
}
EOF_POLICY
} | make_policy tls)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null

OA=https://api.openai.com/v1/chat/completions
JSON=(-H 'Content-Type: application/json')
secret=prompt-text-never-audited-$$

# usage_of KEY: a field of the one request record since the mark.
usage_of() {
	rec_since event=request addr="$PM_ADDR" | "$H_PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"
}

# check_response LABEL PID MODEL: the response line of PID carries what the
# fake provider answered (status 200, model, tokens from its usage).
check_response() {
	local line tin tout
	tin=$(usage_of tokens_in) tout=$(usage_of tokens_out)
	line=$(audit_wait event=response pid="$2" status=200 rule=log_tokens)
	assert_eq "$tin" "$(audit_field "$line" tokens.input)" "$1: response tokens.input"
	assert_eq "$tout" "$(audit_field "$line" tokens.output)" "$1: response tokens.output"
	assert_eq "$3" "$(audit_field "$line" model)" "$1: response model"
	assert_eq 1 "$(audit_count event=response pid="$2")" "$1: response lines"
}

# ---- curl (HTTP/2 by ALPN), a JSON answer
provider_mark "$IP_OPENAI"
curl_call curl-json "$OA" "${JSON[@]}" -w '\nhttp_version=%{http_version}\n' \
	-d "{\"messages\":[{\"role\":\"user\",\"content\":\"$secret\"}],\"model\":\"gpt-4o-mini\"}"
assert_ok "curl (h2) JSON answer"
assert_contains "$C_OUT" "http_version=2" "curl spoke HTTP/2"
assert_arrived "curl (h2)" 1 proto=h2 model=gpt-4o-mini
check_response "curl (h2) JSON" "$C_PID" gpt-4o-mini

# ---- curl, a streamed answer (SSE in DATA frames): usage in the last chunk
provider_mark "$IP_OPENAI"
curl_call curl-sse "$OA" -N "${JSON[@]}" \
	-d "$(chat_body gpt-4o-mini '"stream":true,"stream_options":{"include_usage":true}')"
assert_ok "curl (h2) streaming"
assert_contains "$C_OUT" 'data: [DONE]'
assert_arrived "curl (h2) streaming" 1 proto=h2 stream=true
check_response "curl (h2) SSE" "$C_PID" gpt-4o-mini

# ---- python httpx, http2=True: two requests on one connection (the
# server's HPACK table carries over from the first answer to the second)
HTTPX='import httpx, json, sys
c = httpx.Client(http2=True, verify=sys.argv[2], timeout=10)
for model in ("gpt-4o", "gpt-4o-mini"):
    r = c.post(sys.argv[1], json={"messages": [{"role": "user", "content": "hi"}], "model": model})
    print(json.dumps({"http": r.http_version, "status": r.status_code}))'
provider_mark "$IP_OPENAI"
client httpx-two /usr/bin/python3 -c "$HTTPX" "$OA" "$H_CA"
assert_ok "httpx (http2=True) two requests"
assert_contains "$C_OUT" '"http": "HTTP/2"' "httpx spoke HTTP/2"
assert_arrived "httpx two requests" 2 proto=h2
assert_eq 1 "$(provider_since | cut -d' ' -f1)" "httpx: one connection"
audit_wait event=response pid="$C_PID" status=200 model=gpt-4o rule=log_tokens >/dev/null
audit_wait event=response pid="$C_PID" status=200 model=gpt-4o-mini rule=log_tokens >/dev/null
assert_eq 2 "$(audit_count event=response pid="$C_PID")" "httpx: response lines"

# ---- an `on response` rule on response.status: a 404 over HTTP/2
provider_mark "$IP_OPENAI"
curl_call curl-404 https://api.openai.com/v1/no-such-thing "${JSON[@]}" -d "$(chat_body gpt-4o-mini)"
assert_contains "$C_OUT" "not found" "curl (h2) got the provider's 404"
audit_wait event=response pid="$C_PID" status=404 rule=not_found >/dev/null
assert_eq 1 "$(audit_count event=response pid="$C_PID")" "curl (h2) 404: response lines"

assert_not_contains "$H_AUDIT" "$secret" "audit trail (must not hold the prompt)"
assert_not_contains "$H_AUDIT" "hello from fake" "audit trail (must not hold the answer)"
stop_aspend
