#!/usr/bin/env bash
# A policy with connect rules only still reads each TLS connection's
# ClientHello (sockops + sk_msg, docs/operators.md "Names that disagree"):
#   - a provider at an address aspend never learned (the program's own hosts
#     entry, a CDN edge, DoH) is governed by its SNI: a forbidden provider is
#     refused (connect line, hook "sni"), an allowed one passes and is audited;
#   - an SNI naming another provider than the address: `fronting` decides;
#   - a bystander (SNI naming no provider) and later writes on an allowed
#     connection are left alone: the socket leaves the SOCKHASH after its
#     first write.
# Before, only policies with request rules had the ClientHello check: a
# connect-only policy let a forbidden provider at an unlearned address
# through with no audit line (CI, stop 23: test_resolver_dns).
source "$(dirname "$0")/../lib/harness.sh"
harness_start connect-sni

obj=$(make_policy connectsni <<'EOF_POLICY'
policy "connectsni"
default allow
import "providers"
rule no_anthropic { on connect  when provider == anthropic  deny "anthropic is not approved" }
EOF_POLICY
)
start_aspend "$obj"
audit_wait event=policy_load policy=connectsni >/dev/null

OK=$(chat_body gpt-4o-mini)
evasion() { # NAME ATTACK ARGS...
	local name=$1
	shift
	client "$name" env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/evasion.py" "$@"
}
UNLEARNED=internal.example.test # IP_INTERNAL: no provider's address

# ---- a forbidden provider at an unlearned address: refused at its ClientHello
provider_mark "$IP_INTERNAL"
evasion unlearned-anthropic fronting "$UNLEARNED" --front api.anthropic.com --data "$OK"
assert_contains "$C_OUT" '"error"' "SNI api.anthropic.com at an unlearned address"
assert_nothing_arrived "a forbidden provider at an unlearned address"
audit_wait event=connect hook=sni decision=deny rule=no_anthropic provider=anthropic \
	pid="$C_PID" >/dev/null

# ---- an allowed provider there: passes, audited as that provider's connection
provider_mark "$IP_INTERNAL"
evasion unlearned-openai fronting "$UNLEARNED" --front api.openai.com --data "$OK"
assert_contains "$C_OUT" '"status": 200' "SNI api.openai.com at an unlearned address"
assert_arrived "an allowed provider at an unlearned address" 1 model=gpt-4o-mini
audit_wait event=connect hook=sni decision=allow provider=openai pid="$C_PID" >/dev/null

# ---- fronting: openai's address, SNI naming anthropic
provider_mark "$IP_OPENAI"
evasion fronting fronting api.openai.com --front api.anthropic.com --data "$OK"
assert_contains "$C_OUT" '"error"' "SNI api.anthropic.com on api.openai.com's address"
assert_nothing_arrived "fronting"
audit_wait rule=fronting unparsed=sni_mismatch decision=deny pid="$C_PID" >/dev/null

# ---- an allowed connection: two requests on it (parent, then a forked
# child), both arrive: after the ClientHello the socket is left alone
provider_mark "$IP_OPENAI"
evasion keepalive fork api.openai.com --data "$OK" --data "$OK"
assert_eq 2 "$(grep -c '"status": 200' "$C_OUT")" "two requests on one allowed connection"
assert_arrived "two requests on one allowed connection" 2 model=gpt-4o-mini

# ---- a bystander at the unlearned address: arrives, no audit line names it
provider_mark "$IP_INTERNAL"
evasion bystander fronting "$UNLEARNED" --front "$UNLEARNED" --data "$OK"
assert_contains "$C_OUT" '"status": 200' "a bystander's TLS connection to a non-provider"
assert_arrived "a bystander's request" 1 model=gpt-4o-mini
assert_eq 0 "$(audit_find pid="$C_PID" | wc -l)" "audit lines about the bystander"

stop_aspend
