#!/usr/bin/env bash
# The OpenAI Codex CLI (@openai/codex, pinned in tests/lib/agents/,
# installed by tests/lib/agents-setup.sh) under aspend, as a user runs it:
# `codex exec -m MODEL PROMPT` with an API key, through a model provider of
# its config.toml on https://api.openai.com/v1. It is a static, stripped
# Rust (musl) executable with rustls; it speaks the Responses API over a
# WebSocket (GET /v1/responses with Upgrade: websocket, then masked text
# frames {"type":"response.create","model":...}), or over HTTP + SSE (POST
# /v1/responses) when WebSockets are off or fail. First, without aspend,
# both models answer over both transports (the fake provider speaks what
# Codex speaks, so a later failure is Aspen's).
#
# INSPECTED=0 (today): Aspen recognises rustls but does not probe it
# (tls_attach "lib":null, "unparsed":"rustls", "rustls_version":"0.23.x";
# why: docs/internals.md "rustls"), so every request of Codex is decided by the
# policy's `uninspectable` setting, whatever model it names: under
# `uninspectable deny` (the default) Codex fails and not one byte of any
# request (nor of the WebSocket upgrade) reaches the provider; under
# `uninspectable allow` both models pass, audited as uninspectable.
# INSPECTED=1 (set it, or ASPEN_CODEX_INSPECTED=1, once rustls and the
# WebSocket transport are inspected, issue 19): the approved model answers
# over both transports, the other fails with no message naming it at the
# provider, and the audit names the model and Codex's executable.
source "$(dirname "$0")/../lib/harness.sh"
harness_start agent-codex
need_agent codex
INSPECTED=${ASPEN_CODEX_INSPECTED:-0}

OK_MODEL=gpt-5.2-codex
NO_MODEL=gpt-5.1-codex-max

# codex_run CALL MODEL TRANSPORT: one `codex exec` over TRANSPORT (ws: the
# WebSocket, http: HTTP + SSE only)
codex_run() {
	local ws=true
	[ "$3" = ws ] || ws=false
	CODEX_WS=$ws agent_call "$1" codex "$2"
}

# assert_answered WHAT MODEL TRANSPORT: the last run answered, and the
# provider got MODEL's requests by TRANSPORT (a WebSocket session carries
# two response.create messages per prompt: a warm-up and the turn)
assert_answered() {
	assert_ok "$1"
	assert_contains "$C_OUT" "hello from fake" "$1: Codex's answer"
	provider_settle "$IP_OPENAI"
	local how=(method=POST) # HTTP: POST /v1/responses; WebSocket messages: method WS, proto ws
	[ "$3" = http ] || how=(method=WS proto=ws)
	assert_gt 0 "$(rec_since event=request addr="$IP_OPENAI" model="$2" path=/v1/responses "${how[@]}" | wc -l)" \
		"$1: requests for $2 over $3 at the provider"
	assert_eq 0 "$(rec_since event=partial_request addr="$IP_OPENAI" | wc -l)" "$1: partial requests at the provider"
}

# ---- without aspend: both models answer, over both transports
for t in ws http; do
	for m in "$OK_MODEL" "$NO_MODEL"; do
		provider_mark "$IP_OPENAI"
		codex_run "direct-$t-$m" "$m" "$t"
		assert_answered "codex $m over $t without aspend" "$m" "$t"
	done
done

start_aspend "$(agent_policy agents "$OK_MODEL")"
audit_wait event=policy_load policy=agents >/dev/null

if [ "$INSPECTED" = 1 ]; then
	for t in ws http; do
		# ---- the approved model: answered, audited as allowed
		provider_mark "$IP_OPENAI"
		codex_run "codex-ok-$t" "$OK_MODEL" "$t"
		assert_answered "codex $OK_MODEL over $t under aspend" "$OK_MODEL" "$t"
		line=$(audit_first event=request decision=allow rule=approved_models model="$OK_MODEL" pid="$C_PID")
		for kv in provider=openai host=api.openai.com path=/v1/responses exe="$AGENT_EXE" unparsed=null; do
			assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of codex's allowed request ($t)"
		done
		line=$(audit_first event=tls_attach pid="$C_PID" exe="$AGENT_EXE")
		assert_ne null "$(audit_field "$line" lib)" "tls_attach lib of Codex"

		# ---- the other model: fails in Codex, no message naming it at the provider
		provider_mark "$IP_OPENAI"
		codex_run "codex-deny-$t" "$NO_MODEL" "$t"
		assert_failed "codex $NO_MODEL over $t under aspend (denied)"
		assert_not_contains "$C_OUT" "hello from fake" "codex's output for the denied model ($t)"
		provider_settle "$IP_OPENAI"
		assert_eq 0 "$(rec_since event=request addr="$IP_OPENAI" model="$NO_MODEL" | wc -l)" \
			"requests for $NO_MODEL at the provider ($t)"
		assert_eq 0 "$(rec_since event=partial_request addr="$IP_OPENAI" | wc -l)" "partial requests at the provider ($t)"
		line=$(audit_first event=request decision=deny rule=default model="$NO_MODEL" pid="$C_PID")
		assert_eq "$AGENT_EXE" "$(audit_field "$line" exe)" "exe of codex's denied request ($t)"
	done
	audit_check_chain
	stop_aspend
	exit 0
fi

# ---- not inspectable: `uninspectable deny` refuses every request, the
# approved model's too, over both transports; not one byte of a request
# reaches the provider
for t in ws http; do
	for m in "$OK_MODEL" "$NO_MODEL"; do
		provider_mark "$IP_OPENAI"
		codex_run "unins-deny-$t-$m" "$m" "$t"
		assert_failed "codex $m over $t under uninspectable deny"
		assert_not_contains "$C_OUT" "hello from fake" "codex's output for $m over $t under uninspectable deny"
		assert_nothing_arrived "codex $m over $t under uninspectable deny"
		line=$(audit_first event=tls_attach pid="$C_PID")
		for kv in exe="$AGENT_EXE" lib=null unparsed=rustls; do
			assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "tls_attach field ${kv%%=*} of Codex"
		done
		case $(audit_field "$line" rustls_version) in
		0.2[3-9].*) ;;
		*) fail "tls_attach rustls_version of Codex: '$(audit_field "$line" rustls_version)', want 0.23 or later" ;;
		esac
		line=$(audit_first event=request decision=deny rule=uninspectable pid="$C_PID")
		assert_eq "$AGENT_EXE" "$(audit_field "$line" exe)" "exe of codex's refused request"
		case $(audit_field "$line" unparsed) in
		rustls | uninspected_bytes) ;;
		*) fail "unparsed of codex's refused request: $(audit_field "$line" unparsed), want rustls or uninspected_bytes" ;;
		esac
		assert_eq 0 "$(audit_count event=request decision=allow pid="$C_PID")" "allowed requests of codex $m over $t"
	done
done
audit_check_chain
stop_aspend

# ---- `uninspectable allow`: both models pass, every request audited as
# uninspectable (Aspen cannot tell the models apart)
mv "$H_AUDIT" "$H_WORK/audit-deny.jsonl"
start_aspend "$(agent_policy agents-allow "$OK_MODEL" allow)"
audit_wait event=policy_load policy=agents >/dev/null
for t in ws http; do
	for m in "$OK_MODEL" "$NO_MODEL"; do
		provider_mark "$IP_OPENAI"
		codex_run "unins-allow-$t-$m" "$m" "$t"
		assert_answered "codex $m over $t under uninspectable allow" "$m" "$t"
		line=$(audit_first event=request decision=allow rule=uninspectable pid="$C_PID")
		assert_eq "$AGENT_EXE" "$(audit_field "$line" exe)" "exe of codex's uninspectable request"
		assert_eq 0 "$(audit_count event=request rule=approved_models pid="$C_PID")" \
			"requests of codex $m decided by a model rule (none: not inspected)"
	done
done
audit_check_chain
stop_aspend
