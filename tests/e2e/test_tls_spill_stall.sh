#!/usr/bin/env bash
# A provider that stops reading must not stall anybody else's big request.
# Requests too big to cork are held by aspend's spill slots and, once
# allowed, forwarded by one aspend thread onto their provider connections.
# Client S sends a 1 MB body (model last) to a provider that reads nothing
# past the head until the test says so (X-Aspen-Test-Stall), with small TCP
# send buffers in this test's network namespace, so forwarding S's allowed
# bytes cannot finish. Meanwhile client F sends a 300 KB body on another
# connection: it must be allowed, forwarded and answered while S is still
# stuck. Then the provider reads again and S's request arrives whole.
# Last, on a connection that spilled, requests whose last write is 1 or 2
# bytes are answered.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-spill-stall

# this test's network namespace only: send buffers of at most 64 KiB
sysctl -qw net.ipv4.tcp_wmem="4096 16384 65536" || fail "cannot set tcp_wmem in the test's namespace"

OA=https://api.openai.com/v1/chat/completions
obj=$(make_policy spillstall <<'EOF_POLICY'
policy "spillstall"
default deny
uninspectable deny
import "providers"

rule approved_models {
  on request
  when request.model in ["gpt-4o-mini"]
  allow
}
EOF_POLICY
)

big_body "$H_WORK/s.json" 1000000 gpt-4o-mini
big_body "$H_WORK/f.json" 300000 gpt-4o-mini
S_BYTES=$(stat -c %s "$H_WORK/s.json") F_BYTES=$(stat -c %s "$H_WORK/f.json")

start_aspend "$obj"
audit_wait event=policy_load policy=spillstall >/dev/null

# S: the whole body in 20 writes; the provider stalls after its head
provider_mark "$IP_OPENAI"
client_bg py-s env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/http_client.py" "$OA" \
	--mode split --data-file "$H_WORK/s.json" --chunks 20 --chunk-delay 0 \
	--header "X-Aspen-Test-Stall: $H_WORK/release"
S_PID=$BG_PID S_OUT=$C_OUT
# S is decided once its last write is read: allowed, and aspend starts
# forwarding it into the stalled connection
audit_wait event=request decision=allow rule=approved_models pid="$S_PID" >/dev/null
sleep 1

# F, meanwhile: allowed, forwarded, answered, while S is still stuck
py_client py-f "$OA" --mode split --data-file "$H_WORK/f.json" --chunks 10 --chunk-delay 0
assert_ok "F: a big request while another connection's provider reads nothing"
assert_contains "$C_OUT" '"status": 200' "F's answer"
assert_eq 1 "$(rec_since event=request addr="$IP_OPENAI" body_bytes="$F_BYTES" | wc -l)" "F's request, whole, at the provider"
kill -0 "$S_PID" 2>/dev/null || fail "S ended before the provider read its body: the stall did not hold"
assert_eq 0 "$(rec_since event=request addr="$IP_OPENAI" body_bytes="$S_BYTES" | wc -l)" "S's request at the provider while it stalls"

# the provider reads again: S arrives whole and is answered
touch "$H_WORK/release"
wait_gone "$S_PID" 60 || fail "client S still running 60 s after the provider read again"
assert_contains "$S_OUT" '"status": 200' "S's answer"
assert_arrived "S and F" 1 body_bytes="$S_BYTES" model=gpt-4o-mini
assert_eq 0 "$(grep -c 'forwarding to the connection' "$H_WORK/aspend.log")" "forwarding failures in aspend's log"

# On a connection that spilled once (its writes go through the slot from
# then on), requests whose last write is 1 or 2 bytes ("}", "]}"): the
# probe allows the request on that write, and its TLS record (1 or 2 bytes
# of plaintext) must release what is held. Until session 38 sk_msg took a
# record of at most 2 bytes for an alert: free, so nothing paid the held
# request's debt and the client waited for an answer (parse_fuzz, seed 2).
provider_mark "$IP_OPENAI"
small='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
for last in 1 2; do
	py_client py-last$last "$OA" --mode keepalive --split --chunks 2 --chunk-delay 0 --last "$last" \
		--data-file "$H_WORK/f.json" --data "$small" --data "$small"
	assert_ok "a spilled request, then two whose last write is $last byte(s), on one connection"
	assert_eq 3 "$(grep -c '"status": 200' "$C_OUT")" "answers (last write $last byte(s))"
done
assert_eq 2 "$(rec_since event=request addr="$IP_OPENAI" body_bytes="$F_BYTES" | wc -l)" "the spilled requests at the provider"
assert_eq 4 "$(rec_since event=request addr="$IP_OPENAI" body_bytes="${#small}" | wc -l)" "the small ones at the provider"
audit_check_chain
stop_aspend
