#!/usr/bin/env bash
# Provider addresses aspend learns by itself: (1) the system resolver (no
# --hosts, no --resolve): here the test's private /etc/hosts answers, through
# aspend's resolver thread; (2) DNS answers seen in the cgroup, for wildcard
# provider hosts it cannot resolve: a fake DNS server answers
# acme.openai.azure.com; once aspend has learned it, a connection there is
# decided as azure_openai traffic (denied). The first connection right after
# the answer may race aspend's update: docs/operators.md says so, and the
# test asserts on the connection after the learned line.
source "$(dirname "$0")/../lib/harness.sh"
harness_start resolver-dns

obj=$(make_policy resolver <<'EOF_POLICY'
policy "resolver"
default allow
import "providers"
rule no_mistral { on connect  when provider == mistral  deny "mistral is not approved" }
rule no_azure { on connect  when provider == azure_openai  deny "azure openai is not approved" }
EOF_POLICY
)

# a DNS server for the cgroup's clients (this mount namespace only)
start_fake_dns 127.0.0.53 '*.openai.azure.com=127.0.0.7'

# aspend with the system resolver only
ready=$H_WORK/aspend.ready
"$ASPEND" "$obj" --cgroup "$H_CG" --audit "$H_AUDIT" --ready-file "$ready" \
	>>"$H_WORK/aspend.log" 2>&1 &
ASPEND_PID=$!
for _ in $(seq 300); do [ -e "$ready" ] && break; aspend_alive || break; sleep 0.1; done
[ -e "$ready" ] || { cat "$H_WORK/aspend.log" >&2; fail "aspend not ready"; }
# aspend enforces before its resolver answers (issue 14: start-up never waits
# on DNS) and logs each provider's addresses as they arrive: wait for that line
for _ in $(seq 100); do grep -q 'resolved api.mistral.ai' "$H_WORK/aspend.log" && break; sleep 0.1; done
grep -q 'resolved api.mistral.ai: 1 new address(es) in force' "$H_WORK/aspend.log" ||
	{ cat "$H_WORK/aspend.log" >&2; fail "aspend did not log api.mistral.ai's addresses"; }

curl_call curl-mistral https://api.mistral.ai/
assert_eq 7 "$C_RC" "curl to api.mistral.ai (resolved by aspend's resolver): exit status"
audit_wait event=connect decision=deny rule=no_mistral provider=mistral host=api.mistral.ai pid="$C_PID" >/dev/null
curl_call curl-openai https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
assert_ok "curl to api.openai.com"

# DNS answers: the client resolves the wildcard name through the fake DNS
py_resolve() { in_cgroup "$H_PY" -c '
import socket, sys
print(socket.gethostbyname(sys.argv[1]))' "$1"; }
got=$(py_resolve acme.openai.azure.com)
assert_eq 127.0.0.7 "$got" "acme.openai.azure.com through the fake DNS server"
for _ in $(seq 50); do grep -q 'learned acme.openai.azure.com' "$H_WORK/aspend.log" && break; sleep 0.1; done
grep -q 'learned acme.openai.azure.com = 127.0.0.7' "$H_WORK/aspend.log" ||
	{ cat "$H_WORK/aspend.log" >&2; fail "aspend did not learn acme.openai.azure.com from the DNS answer"; }
py_call py-azure https://acme.openai.azure.com/ "$CHAT_BODY"
assert_ne 0 "$C_RC" "python3 to acme.openai.azure.com after aspend learned it"
assert_contains "$C_OUT" PermissionError
audit_wait event=connect decision=deny rule=no_azure provider=azure_openai host=acme.openai.azure.com \
	pid="$C_PID" >/dev/null
stop_aspend
