#!/usr/bin/env bash
# A reload (SIGHUP) applies to connections opened before it: python3 sends
# an allowed request on a keep-alive connection, the policy is swapped for
# one that denies the model of its next request, and that request - on the
# same, older connection - is denied in the kernel (zero bytes of it at the
# provider). Connections used to leave sk_msg enforcement at a reload (the
# new object had a SOCKHASH of its own).
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-reload

policy() { # NAME DENIED_MODEL
	cat <<EOF_POLICY
policy "$1"
default allow
uninspectable deny
import "providers"
rule no_model { on request  when request.model == "$2"  deny "model not approved" }
EOF_POLICY
}
obj=$H_WORK/live.bpf.o
policy before o9-secret | make_policy before >/dev/null
policy after gpt-4o | make_policy after >/dev/null
cp "$H_WORK/before.bpf.o" "$obj"
start_aspend "$obj"
audit_wait event=policy_load policy=before >/dev/null

OA=https://api.openai.com/v1/chat/completions
go=$H_WORK/go
provider_mark "$IP_OPENAI"
in_cgroup_bg env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/http_client.py" "$OA" --mode keepalive \
	--data "$(chat_body gpt-4o)" --data "$(chat_body gpt-4o)" --between "$go" >"$H_WORK/client.out" 2>&1
client=$BG_PID
for _ in $(seq 100); do grep -q '"status": 200' "$H_WORK/client.out" && break; sleep 0.1; done
grep -q '"req": 0, "status": 200' "$H_WORK/client.out" || { cat "$H_WORK/client.out" >&2; fail "first request did not answer"; }

cp "$H_WORK/after.bpf.o" "$obj"
kill -HUP "$ASPEND_PID"
audit_wait event=policy_load policy=after reason=reload >/dev/null
touch "$go"
wait "$client" || true
cat "$H_WORK/client.out" >&2
assert_contains "$H_WORK/client.out" '"req": 1, "error"' "the second request, after the reload"
assert_contains "$H_WORK/client.out" '"done": true, "ok": 1, "failed": 1'
assert_arrived "requests on the pre-reload connection" 1 model=gpt-4o
audit_wait event=request decision=deny rule=no_model policy=after model=gpt-4o >/dev/null

# A request too big to cork (300 KB in 10 writes, model last) on a
# connection opened before a reload is held by aspend's spill slots like
# any other and allowed whole: the sk_msg program such a connection keeps
# is the old object's, whose config aspend goes on keeping alive (it used
# to look dead there: the request was corked, then refused as scan_bound).
big_body "$H_WORK/big.json" 330000 gpt-4o-mini
go2=$H_WORK/go2
provider_mark "$IP_OPENAI"
in_cgroup_bg env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/http_client.py" "$OA" --mode keepalive --split \
	--chunks 10 --chunk-delay 0 --data "$(chat_body gpt-4o-mini)" --data-file "$H_WORK/big.json" \
	--between "$go2" >"$H_WORK/client2.out" 2>&1
client=$BG_PID
for _ in $(seq 100); do grep -q '"status": 200' "$H_WORK/client2.out" && break; sleep 0.1; done
grep -q '"req": 0, "status": 200' "$H_WORK/client2.out" || { cat "$H_WORK/client2.out" >&2; fail "first request did not answer"; }
cp "$H_WORK/before.bpf.o" "$obj"
kill -HUP "$ASPEND_PID"
audit_wait event=policy_load policy=before reason=reload >/dev/null
sleep 3 # past the heartbeat's freshness bound: the old object's config must be kept alive
touch "$go2"
wait "$client" || true
cat "$H_WORK/client2.out" >&2
assert_contains "$H_WORK/client2.out" '"done": true, "ok": 2, "failed": 0'
assert_arrived "the big request on a connection opened before the reload" 1 model=gpt-4o-mini \
	body_bytes="$(stat -c %s "$H_WORK/big.json")"
audit_wait event=request decision=allow policy=before model=gpt-4o-mini unparsed=null >/dev/null
stop_aspend
