#!/usr/bin/env bash
# Spill slots all taken: an undecided request too big for sk_msg to cork
# (more than ~64 KiB, model after the messages) is held by one of aspend's
# spill slots until its model decides it. With every slot taken, the next
# such request cannot be held: it is decided by `uninspectable` with
# unparsed `hold_full` (here `uninspectable deny`: refused, zero bytes of
# it at the provider), never passed undecided. aspend runs with
# --spill-slots 1: client A (python, http.client) sends 150 KB of its body
# and pauses, holding the only slot; client B sends the same request in
# that time and is refused; A then finishes and is allowed whole; once
# A's connection is gone its slot is free again and client C is allowed.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-hold-full

OA=https://api.openai.com/v1/chat/completions
obj=$(make_policy holdfull <<'EOF_POLICY'
policy "holdfull"
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

# a chat body of about 330 KB, the model last
big_body "$H_WORK/big.json" 330000 gpt-4o-mini
BYTES=$(stat -c %s "$H_WORK/big.json")
[ "$BYTES" -gt 250000 ] || fail "the test body is $BYTES bytes, want > 250 KB"

# bytes_since [SETTLE]: plaintext bytes received on the connections
# accepted since the mark; with SETTLE, once each of them closed (5 s).
# (provider_since waits for every connection of the address to close, and
# A's stays open.)
bytes_since() {
	local n i total=0 f
	for n in $(conns_since); do
		for i in $(seq 50); do
			[ -z "${1:-}" ] || [ "$(rec_since event=close addr="$PM_ADDR" conn="$n" | wc -l)" -gt 0 ] && break
			sleep 0.1
		done
		f=$H_REC/$PM_ADDR/conn-$n.raw
		[ ! -e "$f" ] || total=$((total + $(stat -c %s "$f")))
	done
	echo "$total"
}

# requests_since: requests (complete or partial) logged since the mark
requests_since() { rec_since addr="$PM_ADDR" | grep -cE '"event": "(partial_)?request"' || true; }

# mark_open: provider_mark without waiting for open connections to close
# (A's stays open while B runs)
mark_open() {
	PM_ADDR=$1 PM_LOGN=0
	[ ! -e "$H_REC/log.jsonl" ] || PM_LOGN=$(wc -l <"$H_REC/log.jsonl")
}

start_aspend "$obj" --spill-slots 1
audit_wait event=policy_load policy=holdfull >/dev/null
assert_contains "$H_WORK/aspend.log" "1 spill slots" "aspend's start-up line"

# A: the head, half the body (165 KB: past the cork, spilled), a pause
# until the test says so, the rest
provider_mark "$IP_OPENAI"
client_bg py-a env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/http_client.py" "$OA" \
	--mode split --data-file "$H_WORK/big.json" --chunks 2 --chunk-delay 0 \
	--pause "$H_WORK/go-a" --hold-timeout 60
A_PID=$BG_PID A_OUT=$C_OUT
wait_output "$A_OUT" '"sent"' 30
sleep 0.5 # its last records through sk_msg
assert_eq 1 "$(conns_since | wc -l)" "A's connection at the provider"
assert_eq 0 "$(requests_since)" "A's undecided request at the provider while it is held"
assert_eq 0 "$(bytes_since)" "A's bytes at the provider while its request is undecided"

# B: the same request while A holds the only slot: refused, hold_full
mark_open "$IP_OPENAI"
py_client py-b "$OA" --mode split --data-file "$H_WORK/big.json" --chunks 2 --chunk-delay 0.2
assert_failed "B: an undecided request too big to cork, no spill slot free"
assert_eq 0 "$(bytes_since settle)" "B's request bytes at the provider"
assert_eq 0 "$(requests_since)" "B's requests (complete or partial) at the provider"
line=$(audit_wait decision=deny rule=uninspectable unparsed=hold_full pid="$C_PID")
assert_eq "$H_PY" "$(audit_field "$line" exe)" "exe of B's refused request"

# A goes on and is decided by its model: allowed, arrived whole
touch "$H_WORK/go-a"
wait_gone "$A_PID" 30 || fail "client A still running 30 s later"
assert_contains "$A_OUT" '"status": 200' "A's answer"
audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini unparsed=null pid="$A_PID" >/dev/null
assert_eq 1 "$(rec_find event=request addr="$IP_OPENAI" body_bytes="$BYTES" | wc -l)" "A's request, whole, at the provider"

# A's connection closed: its slot is free again
provider_mark "$IP_OPENAI"
py_client py-c "$OA" --mode split --data-file "$H_WORK/big.json" --chunks 2 --chunk-delay 0.2
assert_ok "C: the slot A held is free again"
assert_arrived "C's request" 1 model=gpt-4o-mini body_bytes="$BYTES"
audit_wait event=request decision=allow rule=approved_models unparsed=null pid="$C_PID" >/dev/null
audit_check_chain
stop_aspend
