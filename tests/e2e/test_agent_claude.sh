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
# "found":"pattern") and parses its requests in the kernel; its ~90 KB
# body (16 KiB writes) is held past sk_msg's cork by aspend's spill slots
# until the model decides it. Under `uninspectable deny` the approved model
# answers (allowed by the model rule) and the other is denied with nothing
# at the provider.
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

# ---- the approved model answers, decided by its model rule
provider_mark "$IP_ANTHROPIC"
agent_call "ok-$OK_MODEL" claude "$OK_MODEL"
assert_ok "claude $OK_MODEL under aspend"
assert_contains "$C_OUT" "hello from fake" "claude's answer for $OK_MODEL under aspend"
assert_arrived "claude $OK_MODEL under aspend" 1 model="$OK_MODEL" path="$MSG_PATH"
line=$(audit_first event=tls_attach pid="$C_PID")
for kv in exe="$AGENT_EXE" lib=boringssl found=pattern unparsed=null; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "tls_attach field ${kv%%=*} of Claude Code"
done
line=$(audit_first event=request path="$MSG_PATH" model="$OK_MODEL" pid="$C_PID")
for kv in decision=allow rule=approved_models unparsed=null exe="$AGENT_EXE"; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of claude's $OK_MODEL request"
done

# ---- another model: fails inside claude, nothing of it at the provider
provider_mark "$IP_ANTHROPIC"
agent_call "deny-$NO_MODEL" claude "$NO_MODEL"
assert_failed "claude $NO_MODEL under aspend"
assert_not_contains "$C_OUT" "hello from fake" "claude's output for $NO_MODEL under aspend"
assert_nothing_arrived "claude $NO_MODEL under aspend"
line=$(audit_first event=request path="$MSG_PATH" model="$NO_MODEL" pid="$C_PID")
assert_eq deny "$(audit_field "$line" decision)" "decision of claude's $NO_MODEL request"
assert_eq "$AGENT_EXE" "$(audit_field "$line" exe)" "exe of claude's $NO_MODEL request"
assert_eq null "$(audit_field "$line" unparsed)" "unparsed of claude's $NO_MODEL request"
assert_eq 0 "$(audit_count event=request decision=allow path="$MSG_PATH" pid="$C_PID")" \
	"allowed /v1/messages requests of claude $NO_MODEL"
audit_check_chain
stop_aspend
