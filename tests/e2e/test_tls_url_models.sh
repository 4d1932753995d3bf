#!/usr/bin/env bash
# Models named in the URL (the stdlib providers' model_paths): Gemini's
# approved model is allowed and an unapproved one denied by its path alone
# (zero bytes at the provider), a body "model" that names another model than
# the path is decided by `uninspectable` (unparsed model_conflict), and a
# Bedrock path with a URL-encoded model id is read decoded. Audit: the
# request line names the path's model.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-url-models

# Gemini and Bedrock names on the fake "internal" service (this test only)
printf '%s generativelanguage.googleapis.com\n%s bedrock-runtime.us-east-1.amazonaws.com\n' \
	"$IP_INTERNAL" "$IP_INTERNAL" >>"$H_HOSTS"

obj=$(make_policy url-models <<EOF_POLICY
policy "url-models"
default deny
uninspectable deny
import "providers"

rule approved_models {
  on request
  when request.model in ["gemini-2.0-flash", "anthropic.claude-3-5-sonnet-20241022-v2:0"]
  allow
}
EOF_POLICY
)
start_aspend "$obj"
audit_wait event=policy_load policy=url-models >/dev/null

GEM=https://generativelanguage.googleapis.com/v1beta/models
BR=https://bedrock-runtime.us-east-1.amazonaws.com/model
GBODY='{"contents":[{"role":"user","parts":[{"text":"hello from aspen e2e"}]}]}'
JSON=(-H 'Content-Type: application/json')

# ---- Gemini, approved model in the path: allowed, answered
provider_mark "$IP_INTERNAL"
curl_call gem-ok "$GEM/gemini-2.0-flash:generateContent" "${JSON[@]}" -d "$GBODY"
assert_ok "curl gemini-2.0-flash"
assert_contains "$C_OUT" '"usageMetadata"'
assert_arrived "gemini-2.0-flash" 1 path=/v1beta/models/gemini-2.0-flash:generateContent
line=$(audit_wait event=request decision=allow rule=approved_models pid="$C_PID")
for kv in provider=gemini host=generativelanguage.googleapis.com model=gemini-2.0-flash stream=false unparsed=null; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of the allowed gemini request"
done

# ---- Gemini, unapproved model in the path (streaming, query string): denied,
# nothing of it at the provider
provider_mark "$IP_INTERNAL"
curl_call gem-deny "$GEM/gemini-2.5-pro:streamGenerateContent?alt=sse" "${JSON[@]}" -d "$GBODY"
assert_failed "curl gemini-2.5-pro (denied)"
assert_nothing_arrived "gemini-2.5-pro" 1
line=$(audit_wait event=request decision=deny rule=default pid="$C_PID")
assert_eq gemini-2.5-pro "$(audit_field "$line" model)" "model of the denied gemini request"
# streaming by its path (gemini's stream_paths), not by a body "stream": true
assert_eq true "$(audit_field "$line" stream)" "stream of the streamGenerateContent request"

# ---- Gemini, the body names the approved model, the path another one:
# the model is unknown, `uninspectable deny` decides
provider_mark "$IP_INTERNAL"
py_client gem-conflict "$GEM/gemini-2.5-pro:generateContent" \
	--data '{"model":"gemini-2.0-flash","contents":[{"parts":[{"text":"hi"}]}]}'
assert_failed "python3 conflicting models (denied)"
assert_nothing_arrived "conflicting models" 1
audit_wait event=request decision=deny rule=uninspectable unparsed=model_conflict pid="$C_PID" >/dev/null

# ---- Bedrock Converse, model id URL-encoded in the path: allowed; another
# model: denied
provider_mark "$IP_INTERNAL"
py_client br-ok "$BR/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse" \
	--data '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}'
assert_ok "python3 bedrock claude (allowed)"
assert_arrived "bedrock claude" 1 path=/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse
audit_wait event=request decision=allow rule=approved_models provider=bedrock \
	model=anthropic.claude-3-5-sonnet-20241022-v2:0 pid="$C_PID" >/dev/null

provider_mark "$IP_INTERNAL"
py_client br-deny "$BR/meta.llama3-70b-instruct-v1%3A0/invoke" --data '{"prompt":"hi"}'
assert_failed "python3 bedrock llama (denied)"
assert_nothing_arrived "bedrock llama" 1
audit_wait event=request decision=deny rule=default model=meta.llama3-70b-instruct-v1:0 pid="$C_PID" >/dev/null

stop_aspend

