#!/usr/bin/env bash
# Monitor mode blocks nothing and records what enforcement would have done:
# first `aspend --monitor` over an enforcing policy, then a policy that says
# `mode monitor` itself. The forbidden call succeeds and reaches the
# provider; the audit trail says would_deny with the rule that matched.
source "$(dirname "$0")/../lib/harness.sh"
harness_start monitor

check_monitoring() { # LABEL
	local label=$1 before
	before=$(provider_requests "$IP_MISTRAL")

	curl_call "$label-curl-mistral" https://api.mistral.ai/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
	assert_ok "$label: curl to mistral"
	assert_contains "$C_OUT" '"prompt_tokens"'
	audit_wait event=connect decision=would_deny rule=block_mistral provider=mistral \
		pid="$C_PID" exe="$H_CURL" cgroup="$H_CG_REL" >/dev/null

	py_call "$label-py-deepseek" https://api.deepseek.com/v1/chat/completions "$CHAT_BODY"
	assert_ok "$label: python3 to deepseek (default deny, monitored)"
	audit_wait event=connect decision=would_deny rule=default provider=deepseek pid="$C_PID" >/dev/null

	node_call "$label-node-openai" https://api.openai.com/v1/chat/completions "$CHAT_BODY"
	assert_ok "$label: node to openai"
	audit_wait event=connect decision=allow rule=approved provider=openai pid="$C_PID" >/dev/null

	assert_eq $((before + 1)) "$(provider_requests "$IP_MISTRAL")" "$label: requests that reached mistral"
	audit_none event=connect decision=deny
}

# 1. An enforcing policy (no mode line: enforce), monitored by the daemon's flag.
obj=$(make_policy enforce <"$H_POLICIES/connect-allowlist.asp")
start_aspend "$obj" --monitor
audit_wait event=policy_load policy=connect-allowlist mode=monitor >/dev/null
check_monitoring flag
stop_aspend

# 2. A policy that is itself in monitor mode; no flag.
mv "$H_AUDIT" "$H_WORK/audit-flag.jsonl"
obj=$({
	cat "$H_POLICIES/connect-allowlist.asp"
	echo "mode monitor"
} | make_policy monitor)
start_aspend "$obj"
audit_wait event=policy_load policy=connect-allowlist mode=monitor >/dev/null
check_monitoring policy
stop_aspend
