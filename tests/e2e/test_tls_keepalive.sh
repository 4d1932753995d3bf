#!/usr/bin/env bash
# Request decisions on keep-alive connections: the first request (an allowed
# model) answers, the second on the SAME connection (a denied model) fails in
# the client, the program keeps running and says so, and the provider has
# exactly the first request and zero bytes of the second. python3
# http.client, node's https keep-alive agent, curl --next. Then writes after
# held requests: three allowed requests whose bodies are split across writes
# (each held until its model is seen) all arrive on one connection (the
# sk_msg cork must be reset after each decision).
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-keepalive

obj=$(contract_policy | make_policy tls)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null

OA=https://api.openai.com/v1/chat/completions

# check_first_only LABEL: one connection, exactly the first request arrived
# (model gpt-4o), and the provider's bytes are that request's bytes only.
check_first_only() {
	local label=$1 got first
	read -r -a got <<<"$(provider_since)"
	assert_eq 1 "${got[0]}" "$label: connections at the provider"
	assert_arrived "$label" 1 model=gpt-4o
	assert_eq 0 "$(rec_since event=request addr="$IP_OPENAI" model=gpt-3.5-turbo | wc -l)" "$label: denied requests at the provider"
	first=$(rec_since event=request addr="$IP_OPENAI" model=gpt-4o | "$H_PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["bytes"])')
	assert_eq "$first" "${got[2]}" "$label: bytes at the provider (the first request's only)"
}

# ---- python3: http.client, two requests on one connection
provider_mark "$IP_OPENAI"
py_client py-ka "$OA" --mode keepalive --data "$(chat_body gpt-4o)" --data "$(chat_body gpt-3.5-turbo)"
assert_failed "python3 keep-alive with a denied second request"
assert_eq 3 "$(wc -l <"$C_OUT")" "python3: output lines (answer, error, done)"
assert_contains "$C_OUT" '"req": 0, "status": 200'
assert_contains "$C_OUT" '"req": 1, "error"'
assert_contains "$C_OUT" '"done": true, "ok": 1, "failed": 1' "python3 survived the denied request"
check_first_only python3
audit_wait event=request decision=allow rule=approved_models model=gpt-4o pid="$C_PID" >/dev/null
audit_wait event=request decision=deny rule=default model=gpt-3.5-turbo pid="$C_PID" >/dev/null

# ---- node: https module, keep-alive agent (one socket)
provider_mark "$IP_OPENAI"
node_client node-ka "$OA" --mode keepalive --data "$(chat_body gpt-4o)" --data "$(chat_body gpt-3.5-turbo)"
assert_failed "node keep-alive with a denied second request"
assert_contains "$C_OUT" '"req":0,"status":200'
assert_contains "$C_OUT" '"req":1,"error"'
assert_contains "$C_OUT" '"done":true,"ok":1,"failed":1' "node survived the denied request"
check_first_only node
audit_wait event=request decision=allow rule=approved_models model=gpt-4o pid="$C_PID" exe="$H_NODE" >/dev/null
audit_wait event=request decision=deny rule=default model=gpt-3.5-turbo pid="$C_PID" exe="$H_NODE" >/dev/null

# ---- curl: two URLs on one connection (--next); gpt-4o-mini then gpt-4o
provider_mark "$IP_OPENAI"
curl_next curl-ka "$OA" "$(chat_body gpt-4o-mini)" "$(chat_body gpt-4o)"
assert_failed "curl --next with a denied second request"
assert_contains "$C_OUT" '"completion_tokens"' "curl's first answer"
# curl retries a request that failed on a reused connection once, on a new
# one (denied again): one or two connections, never a byte of gpt-4o.
read -r -a got <<<"$(provider_since)"
[ "${got[0]}" -ge 1 ] && [ "${got[0]}" -le 2 ] || fail "curl --next: ${got[0]} connections at the provider"
assert_arrived "curl --next" 1 model=gpt-4o-mini
first=$(rec_since event=request addr="$IP_OPENAI" model=gpt-4o-mini | "$H_PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["bytes"])')
assert_eq "$first" "${got[2]}" "curl --next: bytes at the provider (the first request's only)"
assert_eq 0 "$(rec_since event=request model=gpt-4o | wc -l)" "curl --next: denied requests at the provider"
audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini pid="$C_PID" >/dev/null
audit_wait event=request decision=deny rule=curl_mini_only model=gpt-4o pid="$C_PID" >/dev/null

# ---- writes after held requests: three allowed split requests, one connection
provider_mark "$IP_OPENAI"
py_client py-held "$OA" --mode keepalive --split --chunks 3 --chunk-delay 0.1 \
	--data "$(chat_body gpt-4o)" --data "$(chat_body gpt-4o-mini)" --data "$(chat_body claude-sonnet-4)"
assert_ok "python3 keep-alive, three held (split) requests"
assert_contains "$C_OUT" '"done": true, "ok": 3, "failed": 0'
read -r -a got <<<"$(provider_since)"
assert_eq 1 "${got[0]}" "held requests: connections at the provider"
assert_arrived "held requests" 3
assert_eq 3 "$(audit_count event=request decision=allow pid="$C_PID")" "held requests: allow lines"

# ---- and a denied request after an allowed held one: the deny still holds
provider_mark "$IP_OPENAI"
py_client py-held-deny "$OA" --mode keepalive --split --chunks 3 --chunk-delay 0.1 \
	--data "$(chat_body gpt-4o)" --data "$(chat_body gpt-3.5-turbo)"
assert_failed "python3 keep-alive, held allowed then held denied"
assert_contains "$C_OUT" '"done": true, "ok": 1, "failed": 1'
check_first_only "python3 held"

# ---- one connection after another in one process: each SSL object is freed
# before the next is made, so the next usually gets its address; the byte
# ledger and parser (keyed by that address) must start afresh with the new
# connection (they once stayed the closed socket's: session_mismatch, or the
# rest of the denied request's body, refused). The second request is denied.
provider_mark "$IP_OPENAI"
client py-sequential env SSL_CERT_FILE="$H_CA" "$H_PY" - "$(chat_body gpt-4o)" "$(chat_body gpt-3.5-turbo)" <<'EOF_PY'
import gc, http.client, ssl, sys
ctx = ssl.create_default_context()
ok = 0
for i in range(7):
    conn = http.client.HTTPSConnection("api.openai.com", 443, timeout=10, context=ctx)
    try:
        conn.request("POST", "/v1/chat/completions", body=sys.argv[2 if i == 1 else 1],
                     headers={"Content-Type": "application/json"})
        ok += conn.getresponse().status == 200
    except OSError as e:
        print("request", i, type(e).__name__, e)
    conn.close()
    del conn
    gc.collect()  # the SSL object is freed here: its address is free again
print("ok", ok)
EOF_PY
assert_contains "$C_OUT" "ok 6" "seven connections one after another, the six allowed requests"
assert_arrived "seven connections one after another" 6 model=gpt-4o
assert_eq 0 "$(rec_since event=request addr="$IP_OPENAI" model=gpt-3.5-turbo | wc -l)" "the denied request at the provider"
assert_eq 0 "$(audit_count event=request unparsed=session_mismatch)" "session_mismatch lines"

assert_eq 0 "$(rec_count event=partial_request)" "partial requests at any provider"
stop_aspend
