#!/usr/bin/env bash
# Request rules on the TLS plaintext, as a user sees them: a request whose
# model (or stream flag) the policy forbids fails inside the client, and the
# provider receives zero bytes of it, although the TLS connection itself was
# allowed; allowed requests answer. Every client kind: curl (libssl), python3
# urllib (one write) and http.client (head and body in separate writes, the
# model in the last one), node https and fetch (static OpenSSL in node), wget
# (GnuTLS), curl with Expect: 100-continue. The same model is denied for curl
# and allowed for python3 (process.exe). Audit: one request line per request
# with who/what/which rule, and a tls_attach line per probed process.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-model-rules

obj=$(contract_policy | make_policy tls)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null

OA=https://api.openai.com/v1/chat/completions
AN=https://api.anthropic.com/v1/messages
JSON=(-H 'Content-Type: application/json')

# ---- curl: gpt-4o-mini allowed
provider_mark "$IP_OPENAI"
curl_call curl-mini "$OA" "${JSON[@]}" -d "$(chat_body gpt-4o-mini)"
assert_ok "curl gpt-4o-mini"
assert_contains "$C_OUT" '"completion_tokens"'
assert_arrived "curl gpt-4o-mini" 1 model=gpt-4o-mini
curl_pid=$C_PID
line=$(audit_wait event=request decision=allow rule=approved_models pid="$curl_pid")
for kv in provider=openai host=api.openai.com method=POST path=/v1/chat/completions model=gpt-4o-mini \
	stream=false request_user=null unparsed=null exe="$H_CURL" comm=curl uid=0 cgroup="$H_CG_REL" policy=tls; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of curl's allowed request"
done
# bytes: the request's plaintext size (head + body), what the provider got.
assert_eq "$(rec_since event=request addr="$IP_OPENAI" | head -n1 | "$H_PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["bytes"])')" \
	"$(audit_field "$line" bytes)" "audit bytes of curl's allowed request"
assert_tls_attach "$curl_pid" "$H_CURL"

# ---- curl: gpt-4o denied by curl_mini_only (first request of the process:
# the first write must not escape inspection)
provider_mark "$IP_OPENAI"
curl_call curl-4o "$OA" "${JSON[@]}" -d "$(chat_body gpt-4o)"
assert_failed "curl gpt-4o (denied)"
assert_not_contains "$C_OUT" '"completion_tokens"' "curl's output for a denied request"
assert_nothing_arrived "curl gpt-4o" 1
curl_deny_pid=$C_PID
line=$(audit_wait event=request decision=deny rule=curl_mini_only pid="$curl_deny_pid")
for kv in reason="curl may only use gpt-4o-mini" provider=openai host=api.openai.com method=POST \
	path=/v1/chat/completions model=gpt-4o stream=false exe="$H_CURL" comm=curl cgroup="$H_CG_REL" unparsed=null; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of curl's denied request"
done
assert_eq 1 "$(audit_count event=request pid="$curl_deny_pid")" "request audit lines for the denied curl"

# ---- python3 urllib (one write): gpt-4o allowed for python (per-exe difference)
provider_mark "$IP_OPENAI"
py_client py-4o "$OA" --data "$(chat_body gpt-4o)"
assert_ok "python3 urllib gpt-4o"
assert_contains "$C_OUT" '"status": 200'
assert_arrived "python3 gpt-4o" 1 model=gpt-4o
audit_wait event=request decision=allow rule=approved_models model=gpt-4o pid="$C_PID" exe="$H_PY" >/dev/null
assert_tls_attach "$C_PID" "$H_PY"

# ---- python3 urllib, stream: true: denied by no_streaming_for_python
provider_mark "$IP_OPENAI"
py_client py-stream "$OA" --data "$(chat_body gpt-4o '"stream":true')"
assert_failed "python3 streaming request (denied)"
assert_contains "$C_OUT" '"error"'
assert_nothing_arrived "python3 streaming request" 1
audit_wait event=request decision=deny rule=no_streaming_for_python model=gpt-4o stream=true pid="$C_PID" >/dev/null

# ---- python3 urllib to anthropic: claude-* allowed
provider_mark "$IP_ANTHROPIC"
py_client py-claude "$AN" --data "$(msg_body claude-sonnet-4)"
assert_ok "python3 claude-sonnet-4"
assert_arrived "python3 claude-sonnet-4" 1 model=claude-sonnet-4
audit_wait event=request decision=allow rule=approved_models provider=anthropic host=api.anthropic.com \
	path=/v1/messages model=claude-sonnet-4 pid="$C_PID" >/dev/null

# ---- python3 http.client, head and body in separate writes, the model in
# the last of three body writes: allowed, then denied (default)
provider_mark "$IP_OPENAI"
py_client py-split-ok "$OA" --mode split --chunks 3 --data "$(chat_body gpt-4o)"
assert_ok "python3 split writes gpt-4o"
assert_contains "$C_OUT" '"ok": 1, "failed": 0'
assert_arrived "python3 split gpt-4o" 1 model=gpt-4o
audit_wait event=request decision=allow rule=approved_models model=gpt-4o pid="$C_PID" >/dev/null

provider_mark "$IP_OPENAI"
py_client py-split-deny "$OA" --mode split --chunks 3 --data "$(chat_body gpt-3.5-turbo)"
assert_failed "python3 split writes gpt-3.5-turbo (denied)"
assert_contains "$C_OUT" '"done": true, "ok": 0, "failed": 1'
assert_nothing_arrived "python3 split gpt-3.5-turbo (held head and first chunks)" 1
audit_wait event=request decision=deny rule=default model=gpt-3.5-turbo pid="$C_PID" exe="$H_PY" >/dev/null

# ---- escaped quotes in message text at every place in an 8-byte word (the
# probe passes the text before a quote or backslash in one step; one byte
# too far and `\"}],\"model\":...` would close the string and forge a
# top-level model): the model that counts is the real one, last, both ways
forged_body() { # FORGED REAL
	"$H_PY" -c '
import json, sys
msgs = [{"role": "user", "content": "a" * i + "\"}],\"model\":\"%s\",\"x\":[{\"y\":\"" % sys.argv[1]}
        for i in range(9)]
msgs.append({"role": "user", "content": "plain text " * 12 + "\\ end"})
print(json.dumps({"messages": msgs, "model": sys.argv[2]}))' "$1" "$2"
}
# decoy_both BODY_FN NAME WHERE: BODY_FN DECOY REAL's body with a decoy
# gpt-4o and the real gpt-3.5-turbo is denied, the other way round allowed
decoy_both() {
	local fn=$1 name=$2 where=$3
	provider_mark "$IP_OPENAI"
	py_client "py-$name-deny" "$OA" --data "$("$fn" gpt-4o gpt-3.5-turbo)"
	assert_failed "python3 gpt-3.5-turbo after gpt-4o $where (denied)"
	assert_nothing_arrived "python3 decoy model $where" 1
	audit_wait event=request decision=deny rule=default model=gpt-3.5-turbo pid="$C_PID" >/dev/null
	provider_mark "$IP_OPENAI"
	py_client "py-$name-allow" "$OA" --data "$("$fn" gpt-3.5-turbo gpt-4o)"
	assert_ok "python3 gpt-4o after gpt-3.5-turbo $where"
	assert_arrived "python3 real model after a decoy $where" 1 model=gpt-4o
	audit_wait event=request decision=allow rule=approved_models model=gpt-4o pid="$C_PID" >/dev/null
}
decoy_both forged_body forged "in escaped message text"

# ---- brackets and quotes between the messages' values at every place in
# an 8-byte word, and a "model" key inside a message's parts (the nest passes
# the bytes between its values in one step and takes the quote or bracket
# that ends them in the same step; one bracket missed and the depth is
# wrong): the model that counts is the top-level one, both ways
nested_body() { # NESTED REAL
	"$H_PY" -c '
import json, sys
msgs = []
for i in range(9):
    p = " " * i
    msgs.append(("{%s\"role\"%s:%s\"user\",%s\"content\":%s[%s{\"type\":%s\"text\",%s\"model\":\"%s\"%s}%s,%s[]%s]%s}"
                 % (p, p, p, p, p, p, p, p, sys.argv[1], p, p, p, p, p)))
body = "{\"messages\":[%s],\"model\":\"%s\"}" % (",".join(msgs), sys.argv[2])
json.loads(body)
print(body)' "$1" "$2"
}
decoy_both nested_body nested "in a message's parts"

# ---- an SDK's head: a long Authorization, X-Stainless-* lines, a value
# with a tab that decoys a Host and a model, and one of 3.2 KB. The values
# of headers the parser does not read pass in words, up to their first
# control byte; the host and model that count are the real ones, both ways
sdk_head=(-H "Authorization: Bearer sk-proj-$(printf 'A1b2C3d4%.0s' $(seq 20))"
	-H 'X-Stainless-Lang: python' -H 'X-Stainless-Package-Version: 1.54.4'
	-H $'X-Note: a\tb Host: evil.example.com "model":"gpt-4o-mini"'
	-H "X-Long: $(printf 'abcdefg %.0s' $(seq 400))")
provider_mark "$IP_OPENAI"
curl_call curl-sdk-deny "$OA" "${JSON[@]}" "${sdk_head[@]}" -d "$(chat_body gpt-4o)"
assert_failed "curl gpt-4o with an SDK's head (denied)"
assert_nothing_arrived "curl gpt-4o with an SDK's head" 1
audit_wait event=request decision=deny rule=curl_mini_only model=gpt-4o host=api.openai.com pid="$C_PID" >/dev/null
provider_mark "$IP_OPENAI"
curl_call curl-sdk-ok "$OA" "${JSON[@]}" "${sdk_head[@]}" -d "$(chat_body gpt-4o-mini)"
assert_ok "curl gpt-4o-mini with an SDK's head"
assert_arrived "curl gpt-4o-mini with an SDK's head" 1 model=gpt-4o-mini
line=$(audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini pid="$C_PID")
assert_eq null "$(audit_field "$line" unparsed)" "unparsed of a request with an SDK's head"

# ---- node https module and global fetch (undici): allowed, denied
provider_mark "$IP_OPENAI"
node_client node-https-ok "$OA" --data "$(chat_body gpt-4o)"
assert_ok "node https gpt-4o"
assert_arrived "node https gpt-4o" 1 model=gpt-4o
audit_wait event=request decision=allow rule=approved_models model=gpt-4o pid="$C_PID" exe="$H_NODE" comm=node >/dev/null
assert_tls_attach "$C_PID" "$H_NODE"

provider_mark "$IP_OPENAI"
node_client node-https-deny "$OA" --data "$(chat_body gpt-3.5-turbo)"
assert_failed "node https gpt-3.5-turbo (denied)"
assert_contains "$C_OUT" '"error"'
assert_nothing_arrived "node https gpt-3.5-turbo" 1
audit_wait event=request decision=deny rule=default model=gpt-3.5-turbo pid="$C_PID" exe="$H_NODE" >/dev/null

provider_mark "$IP_OPENAI"
node_client node-fetch-ok "$OA" --mode fetch --data "$(chat_body gpt-4o-mini)"
assert_ok "node fetch gpt-4o-mini"
assert_arrived "node fetch gpt-4o-mini" 1 model=gpt-4o-mini
audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini pid="$C_PID" exe="$H_NODE" >/dev/null

provider_mark "$IP_OPENAI"
node_client node-fetch-deny "$OA" --mode fetch --data "$(chat_body gpt-3.5-turbo)"
assert_failed "node fetch gpt-3.5-turbo (denied)"
assert_contains "$C_OUT" '"error"'
assert_nothing_arrived "node fetch gpt-3.5-turbo"
audit_wait event=request decision=deny rule=default model=gpt-3.5-turbo pid="$C_PID" >/dev/null

# ---- wget (GnuTLS): allowed, denied
provider_mark "$IP_OPENAI"
wget_post_call wget-ok "$OA" "$(chat_body gpt-4o-mini)"
assert_ok "wget gpt-4o-mini"
assert_contains "$C_OUT" '"completion_tokens"'
assert_arrived "wget gpt-4o-mini" 1 model=gpt-4o-mini
audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini pid="$C_PID" exe="$H_WGET" comm=wget >/dev/null
assert_tls_attach "$C_PID" "$H_WGET"

provider_mark "$IP_OPENAI"
wget_post_call wget-deny "$OA" "$(chat_body o1-preview)"
assert_failed "wget o1-preview (denied)"
assert_nothing_arrived "wget o1-preview" 1
audit_wait event=request decision=deny rule=default model=o1-preview pid="$C_PID" exe="$H_WGET" >/dev/null

# ---- curl with Expect: 100-continue (the client waits for the server before
# the body): allowed, and denied with no byte of the body at the provider
provider_mark "$IP_OPENAI"
curl_call curl-expect-ok "$OA" "${JSON[@]}" -H 'Expect: 100-continue' -d "$(chat_body gpt-4o-mini)"
assert_ok "curl Expect: 100-continue gpt-4o-mini"
assert_arrived "curl Expect gpt-4o-mini" 1 model=gpt-4o-mini expect=true
audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini pid="$C_PID" >/dev/null

provider_mark "$IP_OPENAI"
marker=expect-body-marker-$$
curl_call curl-expect-deny "$OA" "${JSON[@]}" -H 'Expect: 100-continue' -d "$(chat_body gpt-4o "\"user\":\"$marker\"")"
assert_failed "curl Expect: 100-continue gpt-4o (denied)"
assert_nothing_arrived "curl Expect gpt-4o" 1
rc=0
grep -rqF "$marker" "$H_REC/$IP_OPENAI" || rc=$?
assert_eq 1 "$rc" "grep for the denied Expect request's body at the provider (1: not found)"
audit_wait event=request decision=deny rule=curl_mini_only model=gpt-4o pid="$C_PID" >/dev/null

# ---- per-executable difference, side by side: the same body, the same model
body=$(chat_body gpt-4o '"user":"per-exe"')
provider_mark "$IP_OPENAI"
curl_call curl-same "$OA" "${JSON[@]}" -d "$body"
assert_failed "curl gpt-4o (same body as python3)"
py_client py-same "$OA" --data "$body"
assert_ok "python3 gpt-4o (same body as curl)"
assert_arrived "curl then python3, same body" 1 model=gpt-4o user=per-exe
audit_wait event=request decision=allow rule=approved_models exe="$H_PY" request_user=per-exe >/dev/null
audit_wait event=request decision=deny rule=curl_mini_only exe="$H_CURL" request_user=per-exe >/dev/null

# Nothing was left half-sent anywhere.
assert_eq 0 "$(rec_count event=partial_request)" "partial requests at any provider"
assert_eq 0 "$(audit_count event=request decision=would_deny)" "would_deny lines while enforcing"
audit_check_chain
# every line names the policy in force by its hash (fleet queries group by it)
"$H_PY" - "$H_AUDIT" <<'EOF_PY' || fail "audit lines without the policy's hash"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
want = {l["policy_sha256"] for l in lines if l["event"] == "policy_load"}
bad = [l["event"] for l in lines if l["event"] != "audit_rotate" and l.get("policy_sha256") not in want]
attach = sum(l["event"] == "tls_attach" for l in lines)
if bad or not attach:
    sys.exit(f"{len(want)} policy hash(es), {attach} tls_attach lines; lines without it: {bad}")
EOF_PY
stop_aspend
