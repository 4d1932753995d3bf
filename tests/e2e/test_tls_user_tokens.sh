#!/usr/bin/env bash
# What the audit trail says about a request and its answer: request.user
# (OpenAI "user", Anthropic metadata.user_id; null when absent) and
# request.stream on the request line; on the response line the status, the
# model and the token counts the provider reported in its usage, for plain
# JSON answers and for a streamed (SSE, chunked) answer whose last data chunk
# carries the usage. The audit never contains the body.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-user-tokens

obj=$(contract_policy | make_policy tls)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null

OA=https://api.openai.com/v1/chat/completions
AN=https://api.anthropic.com/v1/messages
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
	line=$(audit_wait event=response pid="$2" status=200)
	assert_eq "$tin" "$(audit_field "$line" tokens.input)" "$1: response tokens.input"
	assert_eq "$tout" "$(audit_field "$line" tokens.output)" "$1: response tokens.output"
	assert_eq "$3" "$(audit_field "$line" model)" "$1: response model"
	assert_eq 1 "$(audit_count event=response pid="$2")" "$1: response lines"
}

# check_response_bytes LABEL PID: the response line's bytes are what curl
# read: its head (-w %{size_header}) and its body as on the wire (--raw
# keeps the chunk framing; what curl wrote before its -w line). Until
# session 43 the read probe counted the body twice.
SIZES='\nsizes %{size_header}\n'
check_response_bytes() {
	local line head body
	line=$(audit_wait event=response pid="$2" status=200)
	head=$(sed -n 's/^sizes \([0-9][0-9]*\)$/\1/p' "$C_OUT")
	[ -n "$head" ] || fail "$1: curl printed no sizes"
	body=$(( $(wc -c <"$C_OUT") - ${#head} - 8 )) # less the -w line, "\nsizes H\n"
	assert_eq "$(( head + body ))" "$(audit_field "$line" bytes)" "$1: response bytes"
}

# ---- OpenAI "user", non-streaming (curl)
provider_mark "$IP_OPENAI"
curl_call curl-user "$OA" -H 'Content-Type: application/json' \
	-w "$SIZES" -d "{\"messages\":[{\"role\":\"user\",\"content\":\"$secret\"}],\"user\":\"alice-42\",\"model\":\"gpt-4o-mini\"}"
assert_ok "curl with user alice-42"
assert_arrived "curl with user" 1 user=alice-42
audit_wait event=request decision=allow pid="$C_PID" request_user=alice-42 model=gpt-4o-mini stream=false >/dev/null
check_response "curl non-streaming" "$C_PID" gpt-4o-mini
check_response_bytes "curl non-streaming" "$C_PID"

# ---- no user in the body: user is null
provider_mark "$IP_OPENAI"
py_client py-nouser "$OA" --data "$(chat_body gpt-4o)"
assert_ok "python3 without user"
audit_wait event=request decision=allow pid="$C_PID" request_user=null model=gpt-4o >/dev/null
check_response "python3 non-streaming" "$C_PID" gpt-4o

# ---- Anthropic metadata.user_id (node)
provider_mark "$IP_ANTHROPIC"
node_client node-anthropic "$AN" --data "$(msg_body claude-sonnet-4 '"metadata":{"user_id":"bob-7"}')"
assert_ok "node anthropic with metadata.user_id"
assert_arrived "node anthropic" 1 user=bob-7
audit_wait event=request decision=allow provider=anthropic pid="$C_PID" request_user=bob-7 model=claude-sonnet-4 stream=false >/dev/null
check_response "anthropic non-streaming" "$C_PID" claude-sonnet-4

# ---- a streamed answer (curl, SSE): usage in the last data chunk
provider_mark "$IP_OPENAI"
curl_call curl-stream "$OA" -N --raw -w "$SIZES" -H 'Content-Type: application/json' \
	-d "$(chat_body gpt-4o-mini '"stream":true,"stream_options":{"include_usage":true},"user":"carol"')"
assert_ok "curl streaming"
assert_contains "$C_OUT" 'data: [DONE]'
assert_arrived "curl streaming" 1 stream=true
audit_wait event=request decision=allow pid="$C_PID" request_user=carol stream=true model=gpt-4o-mini >/dev/null
check_response "curl streaming" "$C_PID" gpt-4o-mini
check_response_bytes "curl streaming (chunked)" "$C_PID"

# The trail holds no body: the prompt text appears nowhere in it.
assert_not_contains "$H_AUDIT" "$secret" "audit trail (must not hold the prompt)"
assert_not_contains "$H_AUDIT" "hello from fake" "audit trail (must not hold the answer)"
audit_check_chain
stop_aspend
