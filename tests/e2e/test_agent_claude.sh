#!/usr/bin/env bash
# Claude Code (@anthropic-ai/claude-code, pinned in tests/lib/agents/,
# installed by tests/lib/agents-setup.sh) under aspend, as a user runs it:
# `claude -p PROMPT --model MODEL` with an API key. It is a Bun single-file
# executable (about 400 MB) with BoringSSL built in, speaking HTTP/1.1:
# settings requests (GET /api/claude_code/...), then POST
# /v1/messages?beta=true streamed as server-sent events. First, without
# aspend, both models answer (the fake provider speaks what Claude Code
# speaks, so a later failure is Aspen's).
#
# Aspen finds Claude Code's SSL_write and SSL_read by signature (no
# symbol: runtime/lib/rt_sslpat.c; tls_attach "lib":"boringssl",
# "found":"pattern") and parses its requests in the kernel. Today's limit:
# its /v1/messages body (~90 KB) comes in 16 KiB writes and the model is
# decided when the JSON object closes, past the 64 KiB sk_msg can hold, so
# the request is decided as scan_bound, and the model rule defers to the
# policy's `uninspectable` setting for either model. Under `uninspectable
# deny` both fail with nothing at the provider; under `uninspectable
# allow` both answer, each request audited as uninspectable with the model
# it names. When a request can be decided once its model is read
# (docs/internals.md), the approved model must answer under `uninspectable
# deny` and the other be denied: see test_tls_boringssl.
source "$(dirname "$0")/../lib/harness.sh"
harness_start agent-claude
need_agent claude

OK_MODEL=claude-haiku-4-5
NO_MODEL=claude-opus-4-1
MSG_PATH="/v1/messages?beta=true"

# ---- without aspend: both models answer
for m in "$OK_MODEL" "$NO_MODEL"; do
	provider_mark "$IP_ANTHROPIC"
	agent_call "direct-$m" claude "$m"
	assert_ok "claude $m without aspend"
	assert_contains "$C_OUT" "hello from fake" "claude's answer for $m without aspend"
	assert_arrived "claude $m without aspend" 1 model="$m" path="$MSG_PATH" stream=true
done

start_aspend "$(agent_policy agents "$OK_MODEL")"
audit_wait event=policy_load policy=agents >/dev/null

# ---- `uninspectable deny`: both models refused, nothing at the provider
for m in "$OK_MODEL" "$NO_MODEL"; do
	provider_mark "$IP_ANTHROPIC"
	agent_call "unins-deny-$m" claude "$m"
	assert_failed "claude $m under uninspectable deny"
	assert_not_contains "$C_OUT" "hello from fake" "claude's output for $m under uninspectable deny"
	assert_nothing_arrived "claude $m under uninspectable deny"
	line=$(audit_first event=tls_attach pid="$C_PID")
	for kv in exe="$AGENT_EXE" lib=boringssl found=pattern unparsed=null; do
		assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "tls_attach field ${kv%%=*} of Claude Code"
	done
	line=$(audit_first event=request path="$MSG_PATH" model="$m" pid="$C_PID")
	assert_eq deny "$(audit_field "$line" decision)" "decision of claude's $m request"
	assert_eq "$AGENT_EXE" "$(audit_field "$line" exe)" "exe of claude's $m request"
	assert_eq uninspectable "$(audit_field "$line" rule)" "rule of claude's $m request"
	assert_eq scan_bound "$(audit_field "$line" unparsed)" "unparsed of claude's $m request"
	assert_eq 0 "$(audit_count event=request decision=allow path="$MSG_PATH" pid="$C_PID")" \
		"allowed /v1/messages requests of claude $m"
done
audit_check_chain
stop_aspend

# ---- `uninspectable allow`: both models answer (scan_bound, decided by
# `uninspectable`), each audited with its model
mv "$H_AUDIT" "$H_WORK/audit-deny.jsonl"
start_aspend "$(agent_policy agents-allow "$OK_MODEL" allow)"
audit_wait event=policy_load policy=agents >/dev/null
for m in "$OK_MODEL" "$NO_MODEL"; do
	provider_mark "$IP_ANTHROPIC"
	agent_call "unins-allow-$m" claude "$m"
	assert_ok "claude $m under uninspectable allow"
	assert_contains "$C_OUT" "hello from fake" "claude's answer for $m under uninspectable allow"
	assert_arrived "claude $m under uninspectable allow" 1 model="$m" path="$MSG_PATH"
	line=$(audit_first event=request decision=allow path="$MSG_PATH" model="$m" pid="$C_PID")
	for kv in rule=uninspectable unparsed=scan_bound exe="$AGENT_EXE"; do
		assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of claude's $m request"
	done
	assert_eq 0 "$(audit_count event=request rule=approved_models pid="$C_PID")" \
		"requests of claude $m decided by a model rule (none: scan_bound)"
done
audit_check_chain
stop_aspend
