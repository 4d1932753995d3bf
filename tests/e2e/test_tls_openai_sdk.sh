#!/usr/bin/env bash
# The official openai npm client (v4, tests/lib/openai-client) as a user runs
# it, unchanged: chat.completions.create with an allowed model answers; with
# a denied model it throws APIConnectionError (no retries), the program goes
# on, and the provider got zero bytes of that request. Streaming is allowed
# for node and answers too.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-openai-sdk
need_openai_sdk

obj=$(contract_policy | make_policy tls)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null

provider_mark "$IP_OPENAI"
sdk_call sdk-ok gpt-4o --user sdk-alice
assert_ok "openai sdk gpt-4o"
assert_contains "$C_OUT" '"status":200'
assert_contains "$C_OUT" '"done":true,"ok":1,"failed":0'
assert_arrived "openai sdk gpt-4o" 1 model=gpt-4o user=sdk-alice
audit_wait event=request decision=allow rule=approved_models model=gpt-4o request_user=sdk-alice \
	method=POST path=/v1/chat/completions pid="$C_PID" exe="$H_NODE" >/dev/null
assert_tls_attach "$C_PID" "$H_NODE"

provider_mark "$IP_OPENAI"
sdk_call sdk-deny gpt-3.5-turbo
assert_failed "openai sdk gpt-3.5-turbo (denied)"
assert_contains "$C_OUT" '"error":"APIConnectionError"'
assert_contains "$C_OUT" '"done":true,"ok":0,"failed":1' "the sdk program survived the denied call"
assert_nothing_arrived "openai sdk gpt-3.5-turbo" 1
audit_wait event=request decision=deny rule=default model=gpt-3.5-turbo pid="$C_PID" exe="$H_NODE" >/dev/null

# allowed, denied, allowed from one process (the SDK's keep-alive agent)
provider_mark "$IP_OPENAI"
sdk_call sdk-mixed gpt-4o-mini gpt-3.5-turbo gpt-4o
assert_failed "openai sdk, one denied call of three"
assert_contains "$C_OUT" '"done":true,"ok":2,"failed":1'
assert_arrived "openai sdk mixed" 1 model=gpt-4o-mini
assert_arrived "openai sdk mixed" 1 model=gpt-4o
assert_arrived "openai sdk mixed" 0 model=gpt-3.5-turbo

provider_mark "$IP_OPENAI"
sdk_call sdk-stream gpt-4o-mini --stream
assert_ok "openai sdk streaming"
assert_contains "$C_OUT" '"completion_tokens":3'
audit_wait event=request decision=allow stream=true pid="$C_PID" >/dev/null
stop_aspend
