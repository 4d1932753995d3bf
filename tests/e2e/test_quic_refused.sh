#!/usr/bin/env bash
# UDP to a provider (QUIC on port 443) cannot be inspected. With request
# rules in the policy it is decided by `uninspectable`: under `deny` (the
# default) a connected socket's connect() and an unconnected socket's
# sendto() to openai's address fail with EPERM, each is audited (event
# connect, proto udp, rule uninspectable, unparsed udp) and openai receives
# zero UDP bytes, while TCP to it works (the fallback); under `allow` the
# datagrams go out, audited once per socket and destination. A policy with
# connect rules only decides UDP as before: approved providers get it.
source "$(dirname "$0")/../lib/harness.sh"
harness_start quic-refused

# udp_send NAME HOST PAYLOAD connected|unconnected [COUNT]: COUNT datagrams
# (default 1) to HOST:443 from the cgroup; status 7 when refused (EPERM).
udp_send() {
	client "$1" "$H_PY" -c '
import errno, socket, sys
host, payload, mode, count = sys.argv[1], sys.argv[2].encode(), sys.argv[3], int(sys.argv[4])
fam, typ, proto, _, addr = socket.getaddrinfo(host, 443, type=socket.SOCK_DGRAM)[0]
s = socket.socket(fam, typ, proto)
try:
    if mode == "connected":
        s.connect(addr)
    for _ in range(count):
        if mode == "connected":
            s.send(payload)
        else:
            s.sendto(payload, addr)
except OSError as e:
    print(type(e).__name__, e.errno, e)
    sys.exit(7 if e.errno in (errno.EPERM, errno.EACCES) else 1)
print("sent", count, "x", len(payload), "bytes to", addr[0])' "$2" "$3" "$4" "${5:-1}"
}

# udp_bytes_settle ADDR WANT: wait (2 s) until ADDR has received WANT UDP bytes.
udp_bytes_settle() {
	for _ in $(seq 20); do [ "$(provider_udp_bytes "$1")" -ge "$2" ] && break; sleep 0.1; done
	assert_eq "$2" "$(provider_udp_bytes "$1")" "UDP bytes at $1"
}

# 1. request rules, `uninspectable deny`: refused.
start_aspend "$(make_policy tls < <(contract_policy deny))"
udp_send udp-connected api.openai.com quic-connected connected
assert_eq 7 "$C_RC" "connected UDP to openai:443 under request rules: exit status"
assert_contains "$C_OUT" "PermissionError"
audit_wait event=connect proto=udp hook=connect4 decision=deny rule=uninspectable unparsed=udp \
	provider=openai dst_ip="$IP_OPENAI" dst_port=443 pid="$C_PID" >/dev/null
udp_send udp-unconnected api.openai.com quic-unconnected unconnected
assert_eq 7 "$C_RC" "unconnected UDP to openai:443 under request rules: exit status"
audit_wait event=connect proto=udp hook=sendmsg4 decision=deny rule=uninspectable unparsed=udp \
	provider=openai dst_ip="$IP_OPENAI" dst_port=443 pid="$C_PID" >/dev/null
# the fallback: TCP to the same provider is inspected and allowed
curl_call curl-fallback https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' \
	-d "$(chat_body gpt-4o-mini)"
assert_ok "curl to openai over TCP (the fallback)"
audit_wait event=request decision=allow rule=approved_models provider=openai pid="$C_PID" >/dev/null
# UDP to a provider the connect rules refuse is still refused by them
udp_send udp-mistral api.mistral.ai quic-mistral unconnected
assert_eq 7 "$C_RC" "UDP to mistral: exit status"
audit_wait event=connect proto=udp decision=deny rule=approved_providers provider=mistral pid="$C_PID" >/dev/null
sleep 0.5
assert_eq 0 "$(provider_udp_bytes "$IP_OPENAI")" "UDP bytes at openai under uninspectable deny"
assert_eq 0 "$(provider_udp_bytes "$IP_MISTRAL")" "UDP bytes at mistral"
stop_aspend

# 2. request rules, `uninspectable allow`: delivered and audited, once per
# socket and destination for unconnected UDP.
start_aspend "$(make_policy tls-allow < <(contract_policy allow))"
udp_send udp-allow-connected api.openai.com quic-connected connected
assert_ok "connected UDP to openai under uninspectable allow"
audit_wait event=connect proto=udp hook=connect4 decision=allow rule=uninspectable unparsed=udp \
	provider=openai pid="$C_PID" >/dev/null
udp_bytes_settle "$IP_OPENAI" 14
udp_send udp-allow-unconnected api.openai.com quic-unconnected unconnected 3
assert_ok "unconnected UDP to openai under uninspectable allow"
audit_wait event=connect proto=udp hook=sendmsg4 decision=allow rule=uninspectable unparsed=udp \
	provider=openai pid="$C_PID" >/dev/null
udp_bytes_settle "$IP_OPENAI" $((14 + 3 * 16))
assert_eq 1 "$(audit_count event=connect hook=sendmsg4 pid="$C_PID")" "audit lines for 3 datagrams on one socket"
stop_aspend

# 3. connect rules only: UDP as before (no uninspectable decision).
start_aspend "$(make_policy connect-only <<'EOF_POLICY'
policy "connect-only"
default deny
import "providers"
rule approved { on connect  when provider in [openai, anthropic]  allow }
rule block_mistral { on connect  when provider == mistral  deny "mistral is not approved" }
EOF_POLICY
)"
before=$(provider_udp_bytes "$IP_OPENAI")
udp_send udp-plain-connected api.openai.com udp-connected connected
assert_ok "connected UDP to openai under a connect-only policy"
audit_wait event=connect proto=udp hook=connect4 decision=allow rule=approved provider=openai \
	pid="$C_PID" >/dev/null
udp_send udp-plain-unconnected api.openai.com udp-unconnected unconnected
assert_ok "unconnected UDP to openai under a connect-only policy"
udp_bytes_settle "$IP_OPENAI" $((before + 13 + 15))
udp_send udp-plain-mistral api.mistral.ai udp-mistral unconnected
assert_eq 7 "$C_RC" "UDP to mistral under a connect-only policy: exit status"
audit_wait event=connect proto=udp decision=deny rule=block_mistral pid="$C_PID" >/dev/null
audit_none rule=uninspectable unparsed=udp policy=connect-only
stop_aspend
audit_check_chain
