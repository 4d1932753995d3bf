#!/usr/bin/env bash
# Claude Code: a Bun single-file executable with BoringSSL compiled in and
# no SSL_write/SSL_read in either symbol table. aspend finds the two
# functions by their signature (runtime/lib/rt_sslpat.c: the error reports
# of BoringSSL's ssl_lib.cc) and probes them with OpenSSL's programs.
# `claude -p` against the fake Anthropic provider: tls_attach names lib
# "boringssl", found "pattern", probes on the executable and no unparsed
# reason (before: lib null, no_tls_lib, every request uninspected); its
# settings GETs and its POST /v1/messages are parsed in the kernel and
# audited with their path, method and model.
#
# Its ~90 KB request comes in 16 KB writes and the model is decided when
# the top-level JSON object closes, past the 64 KiB sk_msg can cork: aspend
# holds the rest until the decision (spill slots, docs/internals.md), so the
# approved model answers and the unapproved one is denied with zero bytes
# at the provider. (Before spill slots both were decided as scan_bound.)
#
# The binary: $ASPEN_CLAUDE_BIN, else the one tests/lib/agents-setup.sh
# installs (pinned: 2.1.332) under $ASPEN_AGENTS_DIR (default build-agents/).
# (2.1.197 is found and probed as well, but it ignores
# CLAUDE_CODE_MAX_RETRIES=0 and retries the refused request until the
# client timeout.)
# Inside the test's network namespace npm is out of reach: install first.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-boringssl

agents=${ASPEN_AGENTS_DIR:-$ASPEN_SRC/build-agents}
CLAUDE=${ASPEN_CLAUDE_BIN:-$agents/node_modules/@anthropic-ai/claude-code-linux-x64/claude}
[ -x "$CLAUDE" ] ||
	skip_or_fail "Claude Code not installed at $CLAUDE: run tests/lib/agents-setup.sh, or set ASPEN_CLAUDE_BIN"
CLAUDE=$(readlink -f "$CLAUDE")
log "claude: $CLAUDE"

OK_MODEL=claude-sonnet-4-5
NO_MODEL=claude-opus-4-1

# claude_call NAME MODEL: `claude -p` with a fresh HOME, an API key, the
# fake provider as api.anthropic.com (the hosts file of the test), the
# test CA, everything that would contact another host off, no retries,
# the model sent as asked (no remapping of older names).
claude_call() {
	local h=$H_WORK/home-$1
	mkdir -p "$h/work"
	client "$1" env -i -C "$h/work" PATH=/usr/bin:/bin HOME="$h" TERM=dumb LANG=C.UTF-8 \
		ANTHROPIC_API_KEY=sk-ant-aspen-e2e-key ANTHROPIC_BASE_URL=https://api.anthropic.com \
		NODE_EXTRA_CA_CERTS="$H_CA" CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
		DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 \
		CLAUDE_CODE_MAX_RETRIES=0 CLAUDE_CODE_DISABLE_LEGACY_MODEL_REMAP=1 "$CLAUDE" -p "say hello" --model "$2" </dev/null
}

# ---- without aspend: the fake provider speaks what claude speaks
provider_mark "$IP_ANTHROPIC"
claude_call direct "$OK_MODEL"
assert_ok "claude without aspend"
assert_contains "$C_OUT" "hello from fake" "claude's answer without aspend"
assert_arrived "claude without aspend" 1 model="$OK_MODEL" path="/v1/messages?beta=true"

obj=$(make_policy claude <<EOF_POLICY
policy "claude"
default deny
uninspectable deny
import "providers"

rule approved_models {
  on request
  when request.model in ["$OK_MODEL"]
  allow
}

rule settings_reads {
  on request
  when http.method == "GET"
  allow
}
EOF_POLICY
)
start_aspend "$obj"
audit_wait event=policy_load policy=claude >/dev/null

# ---- the approved model: probed by pattern, parsed, audited
provider_mark "$IP_ANTHROPIC"
claude_call ok "$OK_MODEL"
line=$(audit_wait event=tls_attach pid="$C_PID")
for kv in lib=boringssl found=pattern exe="$CLAUDE" unparsed=null; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "tls_attach ${kv%%=*} of claude"
done
assert_gt 1 "$(audit_field "$line" probes)" "tls_attach probes of claude (SSL_write entry and return)"
assert_contains <(echo "$line") "\"libs\":[\"$CLAUDE\"]" "tls_attach libs of claude"
line=$(audit_wait event=request decision=allow rule=settings_reads path=/api/claude_code/settings pid="$C_PID" | sed -n 1p)
for kv in method=GET model=null tls=openssl exe="$CLAUDE" unparsed=null; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of claude's settings read"
done
line=$(audit_wait event=request model="$OK_MODEL" pid="$C_PID" | sed -n 1p)
for kv in provider=anthropic host=api.anthropic.com method=POST path="/v1/messages?beta=true" \
	exe="$CLAUDE" tls=openssl policy=claude decision=allow rule=approved_models unparsed=null; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of claude's request"
done
assert_ok "claude $OK_MODEL under aspend"
assert_contains "$C_OUT" "hello from fake" "claude's answer under aspend"
assert_eq 1 "$(rec_since event=request addr="$IP_ANTHROPIC" path="/v1/messages?beta=true" model="$OK_MODEL" | wc -l)" \
	"claude $OK_MODEL: /v1/messages requests at the provider"

# ---- another model: fails inside claude, nothing of it at the provider
provider_mark "$IP_ANTHROPIC"
claude_call deny "$NO_MODEL"
assert_failed "claude $NO_MODEL under aspend (denied)"
assert_not_contains "$C_OUT" "hello from fake" "claude's output for the denied model"
assert_eq 0 "$(rec_since event=request addr="$IP_ANTHROPIC" path="/v1/messages?beta=true" | wc -l)" \
	"claude $NO_MODEL: /v1/messages requests at the provider"
assert_eq 0 "$(rec_since event=partial_request addr="$IP_ANTHROPIC" | wc -l)" \
	"claude $NO_MODEL: partial requests at the provider"
line=$(audit_wait event=request decision=deny model="$NO_MODEL" pid="$C_PID" | sed -n 1p)
for kv in exe="$CLAUDE" path="/v1/messages?beta=true"; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of claude's denied request"
done
assert_eq 0 "$(audit_count event=request decision=allow model="$NO_MODEL" pid="$C_PID")" \
	"allowed requests for $NO_MODEL"

audit_check_chain
stop_aspend
