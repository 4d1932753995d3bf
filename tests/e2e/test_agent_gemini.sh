#!/usr/bin/env bash
# The Google Gemini CLI (@google/gemini-cli, pinned in tests/lib/agents/,
# installed by tests/lib/agents-setup.sh) under aspend, as a user runs it:
# `gemini -m MODEL -p PROMPT` with an API key. It is node (OpenSSL linked
# into node, probed) speaking HTTP/1.1, the model only in the URL path
# (/v1beta/models/MODEL:streamGenerateContent?alt=sse), the whole request
# (about 31 KB) in one write. First, without aspend, both models answer (the
# fake provider speaks what the CLI speaks, so a later failure is Aspen's).
# Then under a policy approving one model: the approved one answers, the
# other fails inside the CLI with zero bytes of it at the provider, and the
# audit lines name the model and the executable (node).
source "$(dirname "$0")/../lib/harness.sh"
harness_start agent-gemini
need_agent gemini

OK_MODEL=gemini-2.5-flash
NO_MODEL=gemini-2.5-pro
stream_path() { echo "/v1beta/models/$1:streamGenerateContent?alt=sse"; }

# ---- without aspend: both models answer
for m in "$OK_MODEL" "$NO_MODEL"; do
	provider_mark "$IP_INTERNAL"
	agent_call "direct-$m" gemini "$m"
	assert_ok "gemini $m without aspend"
	assert_contains "$C_OUT" "hello from fake" "gemini's answer for $m without aspend"
	assert_arrived "gemini $m without aspend" 1 model="$m" path="$(stream_path "$m")" stream=true
done

obj=$(agent_policy agents "$OK_MODEL")
start_aspend "$obj"
audit_wait event=policy_load policy=agents >/dev/null

# ---- the approved model: answered, audited as allowed
provider_mark "$IP_INTERNAL"
agent_call gem-ok gemini "$OK_MODEL"
assert_ok "gemini $OK_MODEL under aspend"
assert_contains "$C_OUT" "hello from fake" "gemini's answer for $OK_MODEL"
assert_arrived "gemini $OK_MODEL" 1 model="$OK_MODEL" path="$(stream_path "$OK_MODEL")"
line=$(audit_first event=request decision=allow rule=approved_models pid="$C_PID")
for kv in provider=gemini host=generativelanguage.googleapis.com method=POST path="$(stream_path "$OK_MODEL")" \
	model="$OK_MODEL" stream=true exe="$H_NODE" comm=node unparsed=null policy=agents; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of gemini's allowed request"
done
assert_tls_attach "$C_PID" "$H_NODE"

# ---- the other model: fails in the CLI, nothing of it at the provider
provider_mark "$IP_INTERNAL"
agent_call gem-deny gemini "$NO_MODEL"
assert_failed "gemini $NO_MODEL under aspend (denied)"
assert_not_contains "$C_OUT" "hello from fake" "gemini's output for the denied model"
assert_nothing_arrived "gemini $NO_MODEL"
line=$(audit_first event=request decision=deny rule=default pid="$C_PID")
for kv in provider=gemini path="$(stream_path "$NO_MODEL")" model="$NO_MODEL" exe="$H_NODE" unparsed=null; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of gemini's denied request"
done
assert_eq 0 "$(audit_count event=request decision=allow pid="$C_PID")" "allowed requests of the denied run"

audit_check_chain
stop_aspend
