#!/usr/bin/env bash
# The same policy holds over IPv6 and for UDP: provider names resolve to IPv6
# addresses here (a private network namespace with fd00:a5::/64 on its
# loopback), a denied provider is refused over TCP/IPv6 with zero bytes
# arriving, and a UDP datagram (sendmsg) to a denied provider is refused too
# while one to an approved provider goes out.
H_FAMILY=6
source "$(dirname "$0")/../lib/harness.sh"
harness_start udp-ipv6

obj=$(make_policy udp6 <"$H_POLICIES/connect-allowlist.asp")
start_aspend "$obj"

# TCP over IPv6.
curl_call curl6-openai https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
assert_ok "curl to openai over IPv6"
audit_wait event=connect decision=allow rule=approved provider=openai dst_ip="$IP_OPENAI" pid="$C_PID" >/dev/null

py_call py6-mistral https://api.mistral.ai/v1/chat/completions "$CHAT_BODY"
assert_eq 7 "$C_RC" "python3 to mistral over IPv6: exit status"
assert_contains "$C_OUT" '"error": "PermissionError"'
audit_wait event=connect decision=deny rule=block_mistral provider=mistral dst_ip="$IP_MISTRAL" \
	dst_port=443 pid="$C_PID" exe="$H_PY" >/dev/null

node_call node6-mistral https://api.mistral.ai/
assert_eq 7 "$C_RC" "node to mistral over IPv6: exit status"
assert_eq 0 "$(provider_conns "$IP_MISTRAL")" "TCP connections that reached mistral"

# UDP (sendmsg6): the denied provider gets nothing, the approved one gets it.
udp_call udp6-mistral api.mistral.ai hello-mistral
assert_eq 7 "$C_RC" "UDP datagram to mistral: exit status"
audit_wait decision=deny provider=mistral pid="$C_PID" >/dev/null
udp_call udp6-openai api.openai.com hello-openai
assert_ok "UDP datagram to openai"
for i in $(seq 20); do [ "$(provider_udp_bytes "$IP_OPENAI")" -gt 0 ] && break; sleep 0.1; done
assert_eq 12 "$(provider_udp_bytes "$IP_OPENAI")" "UDP bytes at openai"
assert_eq 0 "$(provider_udp_bytes "$IP_MISTRAL")" "UDP bytes at mistral"

stop_aspend
