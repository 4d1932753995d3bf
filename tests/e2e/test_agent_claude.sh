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
# INSPECTED=0 (today): Aspen does not find Claude Code's TLS functions (no
# SSL_write symbol; tls_attach "lib":null, "unparsed":"no_tls_lib"), so its
# requests are decided by the policy's `uninspectable` setting, whatever
# model they name: under `uninspectable deny` (the default) Claude Code
# fails and not one byte of any request reaches the provider; under
# `uninspectable allow` both models pass, audited as uninspectable.
# INSPECTED=1 (set it, or ASPEN_CLAUDE_INSPECTED=1, once Bun's BoringSSL is
# probed, issue 19): the approved model answers, the other fails with zero
# bytes of it at the provider, the audit names the model and Claude Code's
# executable, as in test_agent_gemini.
source "$(dirname "$0")/../lib/harness.sh"
harness_start agent-claude
need_agent claude
INSPECTED=${ASPEN_CLAUDE_INSPECTED:-0}

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

if [ "$INSPECTED" = 1 ]; then
	# ---- the approved model: answered, audited as allowed
	provider_mark "$IP_ANTHROPIC"
	agent_call claude-ok claude "$OK_MODEL"
	assert_ok "claude $OK_MODEL under aspend"
	assert_contains "$C_OUT" "hello from fake" "claude's answer for $OK_MODEL"
	assert_arrived "claude $OK_MODEL" 1 model="$OK_MODEL" path="$MSG_PATH"
	line=$(audit_first event=request decision=allow rule=approved_models model="$OK_MODEL" pid="$C_PID")
	for kv in provider=anthropic host=api.anthropic.com method=POST path="$MSG_PATH" stream=true \
		exe="$AGENT_EXE" unparsed=null policy=agents; do
		assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of claude's allowed request"
	done
	line=$(audit_first event=tls_attach pid="$C_PID" exe="$AGENT_EXE")
	assert_ne null "$(audit_field "$line" lib)" "tls_attach lib of Claude Code"

	# ---- the other model: fails in Claude Code, nothing of it at the provider
	provider_mark "$IP_ANTHROPIC"
	agent_call claude-deny claude "$NO_MODEL"
	assert_failed "claude $NO_MODEL under aspend (denied)"
	assert_not_contains "$C_OUT" "hello from fake" "claude's output for the denied model"
	assert_eq 0 "$(rec_since event=request addr="$IP_ANTHROPIC" model="$NO_MODEL" | wc -l)" \
		"requests for $NO_MODEL at the provider"
	assert_eq 0 "$(rec_since event=partial_request addr="$IP_ANTHROPIC" | wc -l)" "partial requests at the provider"
	line=$(audit_first event=request decision=deny rule=default model="$NO_MODEL" pid="$C_PID")
	assert_eq "$AGENT_EXE" "$(audit_field "$line" exe)" "exe of claude's denied request"
	audit_check_chain
	stop_aspend
	exit 0
fi

# ---- not inspectable: `uninspectable deny` refuses every request, the
# approved model's too; not one byte of a request reaches the provider
for m in "$OK_MODEL" "$NO_MODEL"; do
	provider_mark "$IP_ANTHROPIC"
	agent_call "unins-deny-$m" claude "$m"
	assert_failed "claude $m under uninspectable deny"
	assert_not_contains "$C_OUT" "hello from fake" "claude's output for $m under uninspectable deny"
	assert_nothing_arrived "claude $m under uninspectable deny"
	line=$(audit_first event=tls_attach pid="$C_PID")
	for kv in exe="$AGENT_EXE" lib=null unparsed=no_tls_lib; do
		assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "tls_attach field ${kv%%=*} of Claude Code"
	done
	line=$(audit_first event=request decision=deny rule=uninspectable pid="$C_PID")
	assert_eq "$AGENT_EXE" "$(audit_field "$line" exe)" "exe of claude's refused request"
	case $(audit_field "$line" unparsed) in
	no_tls_lib | uninspected_bytes) ;;
	*) fail "unparsed of claude's refused request: $(audit_field "$line" unparsed), want no_tls_lib or uninspected_bytes" ;;
	esac
	assert_eq 0 "$(audit_count event=request decision=allow pid="$C_PID")" "allowed requests of claude $m"
done
audit_check_chain
stop_aspend

# ---- `uninspectable allow`: both models pass, every request audited as
# uninspectable (Aspen cannot tell the models apart)
mv "$H_AUDIT" "$H_WORK/audit-deny.jsonl"
start_aspend "$(agent_policy agents-allow "$OK_MODEL" allow)"
audit_wait event=policy_load policy=agents >/dev/null
for m in "$OK_MODEL" "$NO_MODEL"; do
	provider_mark "$IP_ANTHROPIC"
	agent_call "unins-allow-$m" claude "$m"
	assert_ok "claude $m under uninspectable allow"
	assert_contains "$C_OUT" "hello from fake" "claude's answer for $m under uninspectable allow"
	assert_arrived "claude $m under uninspectable allow" 1 model="$m" path="$MSG_PATH"
	line=$(audit_first event=request decision=allow rule=uninspectable pid="$C_PID")
	assert_eq "$AGENT_EXE" "$(audit_field "$line" exe)" "exe of claude's uninspectable request"
	assert_eq 0 "$(audit_count event=request rule=approved_models pid="$C_PID")" \
		"requests of claude $m decided by a model rule (none: not inspected)"
done
audit_check_chain
stop_aspend
