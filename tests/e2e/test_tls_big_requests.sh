#!/usr/bin/env bash
# Requests as coding agents send them: a 40 KB body in one TLS write and a
# 1 MB body, the model after the messages (as SDKs serialise it), are
# decided by their model, allowed or denied with zero bytes at the provider
# (before, a write over 16 KiB or a body past 64 KiB was `scan_bound`);
# a request written in many writes is held, undecided, up to the bound too
# (test_tls_big_writes has more of those).
# With a body bound below the body (aspend --body-bound), the model is not
# read: a rule that needs it defers to `uninspectable` (denied), while a
# head-only rule before it still decides (allowed, audited with unparsed
# scan_bound and its own rule).
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-big-requests

OA=https://api.openai.com/v1/chat/completions
POLICY='policy "big"
default deny
uninspectable deny
import "providers"

rule trusted_agent {
  on request
  when http.path == "/v1/chat/completions?agent=trusted"
  allow
}

rule approved_models {
  on request
  when request.model in ["gpt-4o-mini"]
  allow
}'
obj=$(make_policy big <<<"$POLICY")

# big_body FILE BYTES MODEL: a chat body of about BYTES, many messages with
# quotes, escapes and unicode in them, "model" last.
big_body() {
	"$H_PY" - "$@" <<'EOF_PY'
import json, sys
path, size, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
msgs, n = [], 0
line = 'code: if (x == "y") { return "\\n"; } // caf\u00e9 ' * 4
while n < size:
    m = {"role": "user" if len(msgs) % 2 == 0 else "assistant", "content": line}
    msgs.append(m)
    n += len(json.dumps(m))
body = json.dumps({"messages": msgs, "tools": [{"type": "function", "function": {"name": "f", "parameters": {"model": "decoy"}}}], "model": model})
open(path, "w").write(body)
EOF_PY
}
big_body "$H_WORK/40k-ok.json" 40000 gpt-4o-mini
big_body "$H_WORK/40k-deny.json" 40000 gpt-4o
big_body "$H_WORK/1m-ok.json" 1000000 gpt-4o-mini
big_body "$H_WORK/1m-deny.json" 1000000 gpt-4o

# ---- the default bound (4 MiB)
start_aspend "$obj"
audit_wait event=policy_load policy=big >/dev/null

for size in 40k 1m; do
	provider_mark "$IP_OPENAI"
	py_client "py-$size-ok" "$OA" --data-file "$H_WORK/$size-ok.json"
	assert_ok "python3 $size body, gpt-4o-mini"
	assert_arrived "$size body, gpt-4o-mini" 1 model=gpt-4o-mini
	audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini unparsed=null pid="$C_PID" >/dev/null

	provider_mark "$IP_OPENAI"
	py_client "py-$size-deny" "$OA" --data-file "$H_WORK/$size-deny.json"
	assert_failed "python3 $size body, gpt-4o (denied)"
	assert_nothing_arrived "$size body, gpt-4o" 1
	audit_wait event=request decision=deny rule=default model=gpt-4o unparsed=null pid="$C_PID" >/dev/null
done

# curl sends the 1 MB body in 64 KiB writes after the head: the undecided
# request is held across writes (past what sk_msg corks, by aspend's spill
# slots) and decided by its model, at the end
provider_mark "$IP_OPENAI"
curl_call curl-1m "$OA" -H 'Content-Type: application/json' --data-binary @"$H_WORK/1m-ok.json"
assert_ok "curl 1m body in many writes, gpt-4o-mini"
assert_arrived "curl 1m body" 1 model=gpt-4o-mini body_bytes="$(stat -c %s "$H_WORK/1m-ok.json")"
audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini unparsed=null pid="$C_PID" >/dev/null
stop_aspend

# ---- a bound below the body: the model after the messages is not read
mv "$H_AUDIT" "$H_WORK/audit-default-bound.jsonl"
start_aspend "$obj" --body-bound 256K
audit_wait event=policy_load policy=big >/dev/null

provider_mark "$IP_OPENAI"
py_client py-1m-bound "$OA" --data-file "$H_WORK/1m-ok.json"
assert_failed "python3 1m body past the bound (model unread: uninspectable deny)"
assert_nothing_arrived "1m body past the bound" 1
audit_wait event=request decision=deny rule=uninspectable unparsed=scan_bound pid="$C_PID" >/dev/null

# a head-only rule decides it all the same
provider_mark "$IP_OPENAI"
py_client py-1m-head "$OA?agent=trusted" --data-file "$H_WORK/1m-deny.json"
assert_ok "python3 1m body past the bound, head-only allow rule"
assert_arrived "1m body, head-only rule" 1 model=gpt-4o
line=$(audit_wait event=request decision=allow rule=trusted_agent pid="$C_PID")
assert_eq scan_bound "$(audit_field "$line" unparsed)" "unparsed of the head-only decision"
assert_eq 1 "$(audit_count event=request pid="$C_PID")" "request lines of the head-only decision"
stop_aspend
