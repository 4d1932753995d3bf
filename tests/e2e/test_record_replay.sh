#!/usr/bin/env bash
# aspend --record, then `aspenc test`: the decisions aspend made live on real
# clients (connect and request level) are what the policy's compiled code
# decides again when the recorded trace is replayed through BPF_PROG_TEST_RUN
# and through the reference evaluator.
source "$(dirname "$0")/../lib/harness.sh"
harness_start record-replay

src=$H_WORK/replay.asp
cat >"$src" <<'EOF_POLICY'
policy "replay"
default deny
uninspectable deny
import "providers"

rule approved_providers { on connect  when provider not in [openai, anthropic]  deny "provider not approved" }
rule curl_mini_only { on request  when process.comm == "curl" and request.model != "gpt-4o-mini"  deny "curl may only use gpt-4o-mini" }
rule approved_models { on request  when request.model in ["gpt-4o-mini", "gpt-4o", "claude-*"]  allow }
EOF_POLICY
obj=$H_WORK/replay.bpf.o
compile_policy "$src" "$obj"
trace=$H_WORK/live.trace.jsonl
ASPEND_EXTRA="--record $trace" start_aspend "$obj"

OA=https://api.openai.com/v1/chat/completions
curl_call curl-mini "$OA" -H 'Content-Type: application/json' -d "$(chat_body gpt-4o-mini)"
assert_ok "curl gpt-4o-mini"
curl_call curl-4o "$OA" -H 'Content-Type: application/json' -d "$(chat_body gpt-4o)"
assert_ne 0 "$C_RC" "curl gpt-4o"
py_call py-4o "$OA" "$(chat_body gpt-4o)"
assert_ok "python3 gpt-4o"
py_call py-unknown-model "$OA" "$(chat_body o9-secret)"
assert_ne 0 "$C_RC" "python3 with an unknown model (default deny)"
curl_call curl-mistral https://api.mistral.ai/
assert_eq 7 "$C_RC" "curl to mistral"
audit_wait event=connect decision=deny rule=approved_providers pid="$C_PID" >/dev/null
stop_aspend

events=$(($(wc -l <"$trace") - 1))
log "recorded $events events"
[ "$events" -ge 7 ] || { cat "$trace" >&2; fail "expected at least 7 recorded events, got $events"; }
for want in '"decision":"deny","rule":"curl_mini_only"' '"decision":"deny","rule":"default"' \
	'"decision":"deny","rule":"approved_providers"' '"decision":"allow","rule":"approved_models"'; do
	grep -q "$want" <(tr -d ' ' <"$trace") || { cat "$trace" >&2; fail "no $want in the trace"; }
done

cat >"$H_WORK/replay.yaml" <<EOF_YAML
policy: replay.asp
expect_recorded: true
traces:
  - live.trace.jsonl
EOF_YAML
rc=0
(cd "$H_WORK" && "$ASPENC" test replay.yaml) >"$H_WORK/test.out" 2>&1 || rc=$?
cat "$H_WORK/test.out" >&2
assert_eq 0 "$rc" "aspenc test on the recorded trace: exit status"
assert_contains "$H_WORK/test.out" "$events passed, 0 failed"
assert_not_contains "$H_WORK/test.out" "PARTIAL"
