#!/usr/bin/env bash
# Go's default over TLS is HTTP/2 when the server offers it: the fake
# providers offer h2 by ALPN here, and the Go client's requests (probed in
# crypto/tls.(*Conn).Write, parsed by the HTTP/2 path, aspen_h2.bpf.h) are
# decided per stream. An approved model answers over HTTP/2.0 with an allow
# line (tls go); an unapproved one fails in the client and the provider
# receives no request and zero HEADERS/DATA bytes (only the preface and
# SETTINGS, which carry no request, may arrive). The stripped build too.
source "$(dirname "$0")/../lib/harness.sh"
export H_PROVIDER_H2=1
harness_start tls-go-h2

/usr/bin/python3 -c 'import h2' 2>/dev/null || skip_or_fail "python3-h2 missing (scripts/install-deps.sh)"
go_build
go_build -s

obj=$(contract_policy | make_policy tls)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null

OA=https://api.openai.com/v1/chat/completions

for bin in "$H_GOCLIENT" "$H_GOCLIENT_STRIPPED"; do
	name=$(basename "$bin")

	provider_mark "$IP_OPENAI"
	GO_BIN=$bin go_call "$name-h2-ok" "$OA" "$(chat_body gpt-4o-mini)"
	assert_contains "$C_OUT" '"status":200' "$name over HTTP/2, approved model"
	assert_contains "$C_OUT" '"proto":"HTTP/2.0"' "$name over HTTP/2, approved model"
	assert_arrived "$name h2 gpt-4o-mini" 1 model=gpt-4o-mini
	line=$(audit_wait event=request decision=allow rule=approved_models pid="$C_PID")
	assert_eq go "$(audit_field "$line" tls)" "tls of $name's allowed h2 request"
	assert_eq gpt-4o-mini "$(audit_field "$line" model)" "model of $name's allowed h2 request"
	audit_wait event=tls_attach pid="$C_PID" lib=go found=pclntab go_read=ret_probes >/dev/null
	# the answer, read through Go's Read probes and the HTTP/2 read side:
	# its response line carries the fake provider's usage
	tin=$(rec_since event=request addr="$PM_ADDR" | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["tokens_in"])')
	line=$(audit_wait event=response pid="$C_PID" status=200)
	for kv in model=gpt-4o-mini tokens.input="$tin" exe="$bin"; do
		assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "$name h2: response ${kv%%=*}"
	done
	assert_eq 1 "$(audit_count event=response pid="$C_PID")" "$name h2: response lines"

	provider_mark "$IP_OPENAI"
	GO_BIN=$bin go_call "$name-h2-deny" "$OA" "$(chat_body gpt-3.5-turbo)"
	assert_contains "$C_OUT" '"error"' "$name over HTTP/2, unapproved model"
	provider_settle "$IP_OPENAI"
	assert_eq 0 "$(rec_since addr="$IP_OPENAI" | grep -cE '"event": "(partial_)?request"' || true)" \
		"$name h2 gpt-3.5-turbo: requests at the provider"
	assert_eq 0 "$(h2_stream_bytes)" "$name h2 gpt-3.5-turbo: HEADERS/DATA bytes at the provider"
	line=$(audit_wait event=request decision=deny model=gpt-3.5-turbo pid="$C_PID")
	assert_eq go "$(audit_field "$line" tls)" "tls of $name's denied h2 request"
done

audit_check_chain
stop_aspend
