#!/usr/bin/env bash
# Go clients (their own crypto/tls, no library to probe): aspend finds
# crypto/tls.(*Conn).Write in the executable's Go symbol table (stripped
# binaries too) and decides their requests like any other client's. Over
# HTTP/1.1 (the fake provider offers no h2 by ALPN): an approved model
# answers 200 with an allow line naming tls "go"; a model no rule allows
# fails inside the client with zero bytes at the provider and a deny line;
# the same with the client built -ldflags="-s -w". tls_attach names lib
# "go", found "pclntab" and the Go version. A Go version not tested is not
# probed (unparsed go_version) and refused by `uninspectable deny`. A request that needs a mask is
# denied for a Go client (its writer is not held: docs/internals.md).
# The read side: (*tls.Conn).Read probed at its entry and at each RET
# (found by decoding it; tls_attach go_read "ret_probes"): every answer,
# plain JSON and streamed (SSE), gets its response line (rule log_tokens,
# tls go, status 200, the model, the tokens the fake provider reported),
# the 8 parallel ones too (goroutines moving between 2 threads).
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-go

go_build
go_build -s
go_version=$(go env GOVERSION)

obj=$(make_policy go <<'EOF_POLICY'
policy "go"
default deny
uninspectable deny
import "providers"
import "pii"

rule mask_pii {
  on request
  when provider in [openai, anthropic]
  redact pii.email
}

rule approved_models {
  on request
  when request.model in ["gpt-4o-mini"]
  allow
}

rule log_tokens {
  on response
  when response.tokens > 0
  audit
}
EOF_POLICY
)
start_aspend "$obj"
audit_wait event=policy_load policy=go >/dev/null


OA=https://api.openai.com/v1/chat/completions

# usage_of KEY: a field of the one request record since the mark
usage_of() {
	rec_since event=request addr="$PM_ADDR" | "$H_PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"
}

# check_response LABEL: the one response line of $C_PID carries what the
# fake provider answered (status 200, the model, the tokens of its usage)
check_response() {
	local line tin tout
	tin=$(usage_of tokens_in) tout=$(usage_of tokens_out)
	line=$(audit_wait event=response pid="$C_PID" status=200)
	for kv in rule=log_tokens decision=allow exe="$bin" model=gpt-4o-mini tokens.input="$tin" tokens.output="$tout"; do
		assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "$1: response ${kv%%=*}"
	done
	assert_eq 1 "$(audit_count event=response pid="$C_PID")" "$1: response lines"
}

for bin in "$H_GOCLIENT" "$H_GOCLIENT_STRIPPED"; do
	name=$(basename "$bin")

	# ---- an approved model: 200 over HTTP/1.1, one allow line
	provider_mark "$IP_OPENAI"
	GO_BIN=$bin go_call "$name-ok" "$OA" "$(chat_body gpt-4o-mini)"
	assert_contains "$C_OUT" '"status":200' "$name, approved model"
	assert_contains "$C_OUT" '"proto":"HTTP/1.1"' "$name, approved model"
	assert_arrived "$name gpt-4o-mini" 1 model=gpt-4o-mini
	line=$(audit_wait event=request decision=allow rule=approved_models pid="$C_PID")
	for kv in tls=go model=gpt-4o-mini exe="$bin" host=api.openai.com path=/v1/chat/completions unparsed=null; do
		assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "audit field ${kv%%=*} of $name's allowed request"
	done
	line=$(audit_wait event=tls_attach pid="$C_PID" exe="$bin")
	nrets=$(objdump -d --no-show-raw-insn "$H_GOCLIENT" | awk '/^[0-9a-f]+ <crypto\/tls\.\(\*Conn\)\.Read>:/ { f = 1; next } /^$/ { f = 0 } f && $2 == "ret" { n++ } END { print n + 0 }')
	[ "$nrets" -ge 1 ] || fail "objdump finds no RET in (*tls.Conn).Read"
	for kv in lib=go found=pclntab go_version="$go_version" probes=$((2 + nrets)) go_read=ret_probes; do
		assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "tls_attach ${kv%%=*} for $name"
	done
	check_response "$name, approved model"
	no_stopped "$name-ok"

	# ---- a streamed answer (SSE, chunked): usage in its last data chunk
	provider_mark "$IP_OPENAI"
	GO_BIN=$bin go_call "$name-stream" "$OA" "$(chat_body gpt-4o-mini '"stream":true,"stream_options":{"include_usage":true}')"
	assert_contains "$C_OUT" '"status":200' "$name, streamed answer"
	assert_arrived "$name streamed" 1 stream=true
	check_response "$name, streamed answer"
	no_stopped "$name-stream"

	# ---- a model no rule allows: refused inside the client, nothing arrives
	provider_mark "$IP_OPENAI"
	GO_BIN=$bin go_call "$name-deny" "$OA" "$(chat_body gpt-3.5-turbo)"
	assert_contains "$C_OUT" '"error"' "$name, unapproved model"
	assert_nothing_arrived "$name gpt-3.5-turbo"
	line=$(audit_wait event=request decision=deny pid="$C_PID")
	assert_eq default "$(audit_field "$line" rule)" "rule of $name's denied request"
	assert_eq gpt-3.5-turbo "$(audit_field "$line" model)" "model of $name's denied request"
	assert_eq go "$(audit_field "$line" tls)" "tls of $name's denied request"
	no_stopped "$name-deny"
done

# ---- 16 requests at once, each from its own goroutine on its own
# connection, 2 threads running them (GOMAXPROCS): goroutines that block
# resume on another thread, so a session is bound to the socket its Conn
# wraps, not to a thread. Every other one approved: exactly those 8 arrive.
# Through net/http (its dial goroutine does the handshake), then written
# by hand on tls.Client Conns whose handshake runs inside the probed Write
# (GOCLIENT_RAW=1: the goroutine blocks between the probe and its send).
bodies=()
for i in $(seq 0 15); do
	if [ $((i % 2)) -eq 0 ]; then bodies+=("$(chat_body gpt-4o-mini)"); else bodies+=("$(chat_body gpt-3.5-turbo)"); fi
done
for raw in 0 1; do
	what="16 parallel Go requests (raw $raw)"
	provider_mark "$IP_OPENAI"
	GOCLIENT_RAW=$raw GOMAXPROCS=2 go_call "go-parallel-$raw" "$OA" "${bodies[@]}"
	assert_eq "200 E 200 E 200 E 200 E 200 E 200 E 200 E 200 E" \
		"$("$H_PY" -c 'import json,sys; print(" ".join(str(r["status"]) if "status" in r else "E" for r in json.load(sys.stdin)["results"]))' <"$C_OUT")" \
		"$what: statuses in order"
	assert_arrived "$what" 8 model=gpt-4o-mini
	assert_arrived "$what" 0 model=gpt-3.5-turbo
	audit_wait event=request decision=deny model=gpt-3.5-turbo pid="$C_PID" >/dev/null
	assert_eq 8 "$(audit_count event=request decision=allow model=gpt-4o-mini pid="$C_PID")" "$what: allow lines"
	assert_eq 8 "$(audit_count event=request decision=deny model=gpt-3.5-turbo pid="$C_PID")" "$what: deny lines"
	assert_eq 0 "$(audit_count event=request rule=uninspectable pid="$C_PID")" "$what: uninspectable lines"
	audit_settle 8 event=response pid="$C_PID" # the batch's lines, written as aspend reads them
	assert_eq 8 "$(audit_count event=response rule=log_tokens status=200 model=gpt-4o-mini pid="$C_PID")" "$what: response lines"
	no_stopped "go-parallel-$raw"
done

# ---- Write called at every stack depth of a fresh goroutine (200 requests,
# one connection each): where the stack is just short of Write's frame, its
# stack check fails, the stack grows and Write runs again from its entry.
# The probe, past that check, sees each call once: one line per request,
# each answered and received once (at the entry, until session 39, such a
# call was parsed twice: two allow lines for one request, its bytes
# credited twice; the intermittent 10-for-8 lines of the test above)
provider_mark "$IP_OPENAI"
GOCLIENT_RAW=1 GOCLIENT_STACK=200 go_call go-stack "$OA" "$(chat_body gpt-4o-mini)"
assert_contains "$C_OUT" '"n":200,"ok":200' "Go Writes at every stack depth: all answered"
assert_arrived "Go Writes at every stack depth" 200 model=gpt-4o-mini
assert_eq 200 "$(audit_count event=request decision=allow model=gpt-4o-mini pid="$C_PID")" \
	"Go Writes at every stack depth: allow lines"

# ---- a Go version Aspen was not tested with (the client's build info
# rewritten to say go1.99): not probed, and its requests, approved model
# or not, are refused by `uninspectable deny` with zero bytes at the provider
other=$H_WORK/goclient-go199
"$H_PY" -c 'import sys; b = open(sys.argv[1], "rb").read(); i = b.index(b"\xff Go buildinf:") + 33
open(sys.argv[2], "wb").write(b[:i] + b"go1.99" + b[i + 6:])' "$H_GOCLIENT" "$other"
chmod +x "$other"
provider_mark "$IP_OPENAI"
GO_BIN=$other go_call go199 "$OA" "$(chat_body gpt-4o-mini)"
assert_contains "$C_OUT" '"error"' "Go client of an untested version"
assert_nothing_arrived "Go client of an untested version"
line=$(audit_wait event=tls_attach pid="$C_PID" exe="$other")
assert_eq null "$(audit_field "$line" lib)" "tls_attach lib of an untested Go version"
assert_eq go_version "$(audit_field "$line" unparsed)" "tls_attach unparsed of an untested Go version"
assert_eq go1.99 "$(audit_field "$line" go_version | cut -c1-6)" "tls_attach go_version"
audit_wait event=request decision=deny rule=uninspectable pid="$C_PID" >/dev/null
no_stopped go199

# ---- a Read aspend cannot decode to its end: the client with the last
# INT3 of Read's padding (never run) made 0x06, an opcode invalid in 64-bit
# mode. Read is not probed at all (never a probe at a guessed offset):
# tls_attach says go_read not_decoded with the one Write probe, requests
# are decided as before, and the answers have no response line (checked
# after the response line of a client that is probed, started later).
undec=$H_WORK/goclient-undecoded
pad=$(objdump -d --no-show-raw-insn "$H_GOCLIENT" | awk '/^[0-9a-f]+ <crypto\/tls\.\(\*Conn\)\.Read>:/ { f = 1; next } /^$/ { f = 0 } f && $2 == "int3" { a = $1 } END { sub(":", "", a); print a }')
[ -n "$pad" ] || fail "no INT3 padding after (*tls.Conn).Read"
"$H_PY" -c '
import subprocess, sys
src, dst, pad = sys.argv[1], sys.argv[2], int(sys.argv[3], 16)
for l in subprocess.run(["readelf", "-SW", src], capture_output=True, text=True, check=True).stdout.splitlines():
    f = l.replace("[ ", "[").split()
    if len(f) > 4 and f[1] == ".text":
        off = pad - int(f[3], 16) + int(f[4], 16)
b = bytearray(open(src, "rb").read())
assert b[off] == 0xcc, hex(b[off])
b[off] = 0x06
open(dst, "wb").write(b)' "$H_GOCLIENT" "$undec" "$pad"
chmod +x "$undec"
provider_mark "$IP_OPENAI"
GO_BIN=$undec go_call undecoded "$OA" "$(chat_body gpt-4o-mini)"
assert_contains "$C_OUT" '"status":200' "Go client whose Read is not decoded, approved model"
assert_arrived "Read not decoded" 1 model=gpt-4o-mini
undec_pid=$C_PID
line=$(audit_wait event=tls_attach pid="$undec_pid" exe="$undec")
for kv in lib=go go_read=not_decoded probes=1; do
	assert_eq "${kv#*=}" "$(audit_field "$line" "${kv%%=*}")" "tls_attach ${kv%%=*} when Read is not decoded"
done
audit_wait event=request decision=allow rule=approved_models pid="$undec_pid" >/dev/null
provider_mark "$IP_OPENAI"
go_call go-after-undecoded "$OA" "$(chat_body gpt-4o-mini)"
audit_wait event=response pid="$C_PID" rule=log_tokens >/dev/null
audit_none event=response pid="$undec_pid"
grep -q "crypto/tls.(\*Conn).Read not decoded" "$H_WORK/aspend.log" ||
	fail "aspend does not say that Read was not decoded"
no_stopped undecoded

# ---- a value to mask: a Go writer is not held to rewrite its buffer, so
# the request is denied (no_redact), and no byte of it arrives
provider_mark "$IP_OPENAI"
go_call go-mask "$OA" "$(chat_body gpt-4o-mini | sed 's/hello from aspen e2e/mail alice.secret@example.com/')"
assert_contains "$C_OUT" '"error"' "Go client, a value to mask"
assert_nothing_arrived "Go client, a value to mask"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null
no_stopped go-mask
assert_not_contains "$H_AUDIT" alice.secret "the audit trail"

audit_check_chain
stop_aspend
