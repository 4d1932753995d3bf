#!/usr/bin/env bash
# Monitor mode on request rules: `aspend --monitor` over the enforcing
# policy; a request the policy would deny goes through, reaches the provider
# whole and is audited would_deny with its rule; allowed requests stay allow.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-monitor

obj=$(contract_policy | make_policy tls)
start_aspend "$obj" --monitor
audit_wait event=policy_load policy=tls mode=monitor >/dev/null

OA=https://api.openai.com/v1/chat/completions

provider_mark "$IP_OPENAI"
curl_call curl-4o "$OA" -H 'Content-Type: application/json' -d "$(chat_body gpt-4o)"
assert_ok "curl gpt-4o under --monitor"
assert_contains "$C_OUT" '"completion_tokens"'
assert_arrived "curl gpt-4o under --monitor" 1 model=gpt-4o
audit_wait event=request decision=would_deny rule=curl_mini_only model=gpt-4o pid="$C_PID" exe="$H_CURL" >/dev/null

provider_mark "$IP_OPENAI"
py_client py-ka "$OA" --mode keepalive --data "$(chat_body gpt-4o)" --data "$(chat_body gpt-3.5-turbo)"
assert_ok "python3 keep-alive under --monitor"
assert_contains "$C_OUT" '"done": true, "ok": 2, "failed": 0'
assert_arrived "python3 keep-alive under --monitor" 1 model=gpt-3.5-turbo
audit_wait event=request decision=allow rule=approved_models model=gpt-4o pid="$C_PID" >/dev/null
audit_wait event=request decision=would_deny rule=default model=gpt-3.5-turbo pid="$C_PID" >/dev/null

audit_none event=request decision=deny
stop_aspend

# The same policy with 120 more request rules: the chain is split into
# functions (emit_c.c, RULES_PER_FUNCTION), which leave --monitor to
# aspen_decide_request (a deny of theirs becomes would_deny there;
# docs/internals.md, "Two objects, linked").
obj=$({
	contract_policy
	for i in $(seq 120); do
		printf 'rule filler%d { on request when request.model == "filler-%d" and http.path != "/v%d" deny }\n' \
			"$i" $((i % 40)) $((i % 30))
	done
} | make_policy tls-long)
start_aspend "$obj" --monitor
provider_mark "$IP_OPENAI"
curl_call curl-long "$OA" -H 'Content-Type: application/json' -d "$(chat_body gpt-4o)"
assert_ok "curl gpt-4o under --monitor, long chain"
assert_arrived "curl gpt-4o under --monitor, long chain" 1 model=gpt-4o
audit_wait event=request decision=would_deny rule=curl_mini_only model=gpt-4o pid="$C_PID" exe="$H_CURL" >/dev/null
audit_none event=request decision=deny
stop_aspend
