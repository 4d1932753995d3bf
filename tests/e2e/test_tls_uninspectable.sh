#!/usr/bin/env bash
# Requests Aspen cannot read are decided by the policy's `uninspectable`
# setting, before any rule: a gzip-compressed body (Content-Encoding: gzip)
# with an otherwise allowed model is denied under `uninspectable deny` (zero
# bytes at the provider, audit rule=uninspectable unparsed=compressed) and
# passes under `uninspectable allow` (audited the same way, decision allow).
# Plain requests are unaffected. Fronting (SNI naming another provider than
# the address's) is decided by `fronting`, not `uninspectable`.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-uninspectable

OA=https://api.openai.com/v1/chat/completions
chat_body gpt-4o-mini | gzip -c >"$H_WORK/body.gz"
GZ=(-H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @"$H_WORK/body.gz")

# ---- uninspectable deny
obj=$(contract_policy deny | make_policy tls-deny)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null

provider_mark "$IP_OPENAI"
curl_call curl-gz-deny "$OA" "${GZ[@]}"
assert_failed "curl gzip body under uninspectable deny"
assert_nothing_arrived "gzip body, uninspectable deny" 1
line=$(audit_wait event=request decision=deny rule=uninspectable pid="$C_PID")
assert_eq compressed "$(audit_field "$line" unparsed)" "unparsed of the denied gzip request"
assert_eq POST "$(audit_field "$line" method)" "method of the denied gzip request"
assert_eq /v1/chat/completions "$(audit_field "$line" path)" "path of the denied gzip request"

provider_mark "$IP_OPENAI"
curl_call curl-plain "$OA" -H 'Content-Type: application/json' -d "$(chat_body gpt-4o-mini)"
assert_ok "curl plain body under uninspectable deny"
assert_arrived "plain body" 1 model=gpt-4o-mini
audit_wait event=request decision=allow rule=approved_models unparsed=null pid="$C_PID" >/dev/null

# A protocol that is neither HTTP/1.x nor HTTP/2 (HTTP/2 is parsed, see
# test_tls_h2): refused by `uninspectable deny`, nothing of it reaches the
# provider
provider_mark "$IP_OPENAI"
client py-other env SSL_CERT_FILE="$H_CA" "$H_PY" -c '
import socket, ssl
s = ssl.create_default_context().wrap_socket(socket.create_connection(("api.openai.com", 443)),
                                             server_hostname="api.openai.com")
s.sendall(b"HELLO api.openai.com MODEL gpt-4o\r\n\r\n")
s.recv(1)'
assert_ne 0 "$C_RC" "python3 speaking another protocol under uninspectable deny"
assert_nothing_arrived "another protocol"
audit_wait event=request decision=deny rule=uninspectable unparsed=not_http1 pid="$C_PID" >/dev/null
stop_aspend

# ---- uninspectable allow
[ ! -e "$H_AUDIT" ] || mv "$H_AUDIT" "$H_WORK/audit-deny.jsonl"
obj=$(contract_policy allow | make_policy tls-allow)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null

provider_mark "$IP_OPENAI"
curl_call curl-gz-allow "$OA" "${GZ[@]}"
assert_ok "curl gzip body under uninspectable allow"
assert_arrived "gzip body, uninspectable allow" 1 encoding=gzip model=gpt-4o-mini
audit_wait event=request decision=allow rule=uninspectable unparsed=compressed pid="$C_PID" >/dev/null

# fronting (SNI and Host naming anthropic on openai's address) is not
# "uninspectable": the `fronting` setting (default deny) refuses it
front() { # NAME: the fronting attempt of tests/lib/evasion.py
	client "$1" env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/evasion.py" fronting api.openai.com \
		--front api.anthropic.com --data "$(chat_body gpt-4o-mini)"
}
provider_mark "$IP_OPENAI"
front front-allow-unins
assert_contains "$C_OUT" '"error"' "fronting under uninspectable allow"
assert_nothing_arrived "fronting under uninspectable allow"
audit_wait event=request decision=deny rule=fronting unparsed=sni_mismatch pid="$C_PID" >/dev/null
stop_aspend

# ---- fronting allow: the same attempt passes, audited
mv "$H_AUDIT" "$H_WORK/audit-allow.jsonl"
obj=$(contract_policy deny "fronting allow" | make_policy tls-fronting)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null
provider_mark "$IP_OPENAI"
front front-allowed
assert_contains "$C_OUT" '"status": 200' "fronting under fronting allow"
assert_arrived "fronting under fronting allow" 1 model=gpt-4o-mini
audit_wait event=request decision=allow rule=fronting unparsed=sni_mismatch pid="$C_PID" >/dev/null
stop_aspend
