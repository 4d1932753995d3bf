#!/usr/bin/env bash
# Connect-level allowlist, as a user sees it: approved providers answer
# curl, python3, node and wget; a forbidden provider fails in the client with
# a connection error and receives zero bytes; every decision is audited with
# who made the call; a non-provider destination is untouched and unaudited;
# processes outside the cgroup are out of scope.
source "$(dirname "$0")/../lib/harness.sh"
harness_start connect

obj=$(make_policy e2e <"$H_POLICIES/connect-allowlist.asp")
start_aspend "$obj"
audit_wait event=policy_load policy=connect-allowlist >/dev/null

# Approved providers answer every client.
curl_call curl-openai https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
assert_ok "curl to openai"
assert_contains "$C_OUT" '"completion_tokens"'
curl_pid=$C_PID

py_call py-anthropic https://api.anthropic.com/v1/messages "$MSG_BODY"
assert_ok "python3 to anthropic"
assert_contains "$C_OUT" '"input_tokens'
py_pid=$C_PID

node_call node-openai https://api.openai.com/v1/chat/completions "$CHAT_BODY"
assert_ok "node to openai"
assert_contains "$C_OUT" '"status":200'
node_pid=$C_PID

wget_call wget-anthropic https://api.anthropic.com/
assert_ok "wget to anthropic"

# A non-provider service is not governed (policy scope: AI traffic only).
curl_call curl-internal https://internal.example.test/
assert_ok "curl to a non-provider service"
assert_eq ok "$(cat "$C_OUT")" "internal service answer"

# The forbidden provider: each client fails to connect, nothing arrives.
curl_call curl-mistral https://api.mistral.ai/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
assert_eq 7 "$C_RC" "curl to mistral: exit status"
grep -qE "Operation not permitted|Couldn't connect|Failed to connect" "$C_ERR" || fail "curl's error does not say the connect failed: $(cat "$C_ERR")"
curl_deny_pid=$C_PID

py_call py-mistral https://api.mistral.ai/v1/chat/completions "$CHAT_BODY"
assert_eq 7 "$C_RC" "python3 to mistral: exit status"
assert_contains "$C_OUT" '"error": "PermissionError"'
py_deny_pid=$C_PID

node_call node-mistral https://api.mistral.ai/v1/chat/completions "$CHAT_BODY"
assert_eq 7 "$C_RC" "node to mistral: exit status"
assert_contains "$C_OUT" '"error":"EPERM"'

# deepseek: no rule names it, so the default (deny) decides.
wget_call wget-deepseek https://api.deepseek.com/
assert_eq 4 "$C_RC" "wget to deepseek: exit status (network failure)"
assert_contains "$C_ERR" "Operation not permitted" "wget's error message"
wget_deny_pid=$C_PID

assert_eq 0 "$(provider_conns "$IP_MISTRAL")" "TCP connections that reached mistral"
assert_eq 0 "$(provider_bytes "$IP_MISTRAL")" "bytes that reached mistral"
assert_eq 0 "$(provider_conns "$IP_DEEPSEEK")" "TCP connections that reached deepseek"

# The audit trail: who, what, which rule.
audit_wait event=connect decision=deny rule=default provider=deepseek pid="$wget_deny_pid" >/dev/null
line=$(audit_wait event=connect decision=deny rule=block_mistral pid="$curl_deny_pid")
assert_eq 1 "$(printf '%s\n' "$line" | wc -l)" "audit lines for the denied curl connect"
for kv in provider=mistral host=api.mistral.ai dst_ip="$IP_MISTRAL" dst_port=443 \
	comm=curl exe="$H_CURL" uid=0 user=root cgroup="$H_CG_REL" policy=connect-allowlist; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of the denied curl connect"
done
[ -n "$(audit_field "$line" policy_sha256)" ] || fail "audit line without policy_sha256"

audit_wait event=connect decision=deny rule=block_mistral pid="$py_deny_pid" exe="$H_PY" >/dev/null
audit_wait event=connect decision=allow rule=approved provider=openai host=api.openai.com \
	dst_ip="$IP_OPENAI" pid="$curl_pid" exe="$H_CURL" cgroup="$H_CG_REL" >/dev/null
audit_wait event=connect decision=allow rule=approved provider=anthropic \
	pid="$py_pid" exe="$H_PY" uid=0 cgroup="$H_CG_REL" >/dev/null
audit_wait event=connect decision=allow rule=approved provider=openai pid="$node_pid" exe="$H_NODE" comm=node >/dev/null
audit_wait event=connect decision=allow rule=approved provider=anthropic exe="$H_WGET" comm=wget >/dev/null

# Later events are written: the internal call would be there by now.
audit_none event=connect dst_ip="$IP_INTERNAL"
audit_none host=internal.example.test

# Out of scope: the same call from outside the child cgroup goes through.
rc=0
timeout 20 "$H_CURL" -sS --max-time 15 --cacert "$H_CA" -o /dev/null https://api.mistral.ai/ || rc=$?
assert_eq 0 "$rc" "curl to mistral from outside the governed cgroup"
[ "$(provider_bytes "$IP_MISTRAL")" -gt 0 ] || fail "mistral received nothing from the ungoverned curl"

audit_check_chain
stop_aspend
