#!/usr/bin/env bash
# Every byte on an inspected provider connection was inspected or refused
# (docs/operators.md, "Guarantees"). Each block is one way a program could
# try to get a request past inspection (tests/lib/evasion.py); each asserts
# what the provider received (never the denied content), what the audit
# says, and that no process of the cgroup is left stopped.
#   pipelining (a denied and an approved request in one write; a first
#   request of exactly 16 KiB), another thread sending the ciphertext,
#   fork after connect, exec after connect, a TLS library loaded after the
#   first connect, decoy libraries exporting SSL_write, SNI and Host
#   fronting, a provider at an unlearned address, a bystander left alone,
#   a tracer that swallows the SIGSTOP of the hold, a socket passed to a
#   helper process, a Go client (its own TLS, probed by its symbol table),
#   a write that fails with "try again" after part of it left.
source "$(dirname "$0")/../lib/harness.sh"
harness_start no-way-around

obj=$(make_policy nowayaround <<'EOF_POLICY'
policy "nowayaround"
default deny
uninspectable deny
import "providers"
import "secrets"

rule no_aws_keys {
  on request
  when request.body matches secrets.aws_access_key
  deny "credentials in a prompt"
}

rule approved {
  on request
  when request.model in ["gpt-4o-mini"]
  allow
}
EOF_POLICY
)
start_aspend "$obj"
audit_wait event=policy_load policy=nowayaround >/dev/null

HOST=api.openai.com
OK=$(chat_body gpt-4o-mini)
BAD=$(chat_body gpt-4o)
evasion() { # NAME ATTACK ARGS...
	local name=$1
	shift
	client "$name" env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/evasion.py" "$@"
}
# raw_has ADDR STRING: the plaintext the provider at ADDR received holds STRING
raw_has() { cat "$H_REC/$1"/conn-*.raw 2>/dev/null | grep -c -- "$2" || true; }

# ---- 1. pipelining: a denied request followed by an approved one in ONE write
provider_mark "$IP_OPENAI"
evasion pipe1 pipeline "$HOST" --data "$BAD" --data "$OK"
assert_contains "$C_OUT" '"error"' "pipelined denied+approved: the write fails in the client"
assert_nothing_arrived "pipelined denied+approved (one write)"
audit_wait event=request decision=deny model=gpt-4o pid="$C_PID" >/dev/null
no_stopped pipeline

# ... and an approved request of exactly 16 KiB (head + body), then one
# carrying an AWS key: once, the probe parsed 16 KiB per write and the
# second request went out unparsed
body=$("$H_PY" -c '
import sys
host = sys.argv[1]
for n in range(15000, 16384):
    body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}" % ("a" * n)
    head = "POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (host, len(body))
    if len(head) + len(body) == 16384:
        print(body)
        break
' "$HOST")
[ -n "$body" ] || fail "cannot size a 16 KiB request"
key='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"my key is AKIAIOSFODNN7EXAMPLE"}]}'
provider_mark "$IP_OPENAI"
evasion pipe16k pipeline "$HOST" --data "$body" --data "$key"
assert_contains "$C_OUT" '"error"' "16 KiB + AWS key in one write: the write fails"
assert_eq 0 "$(raw_has "$IP_OPENAI" AKIAIOSFODNN7EXAMPLE)" "AWS key bytes at the provider"
assert_nothing_arrived "16 KiB request + request with an AWS key (one write)"
audit_wait event=request decision=deny rule=no_aws_keys pid="$C_PID" >/dev/null

# ... and a body that is a JSON array, not an object, the key with one
# letter escaped: its strings are read decoded as an object's are (until
# session 42 an array's were read raw: the key passed the pattern, and the
# request was denied only by `default deny`, rule=default)
arr='[{"role":"user","content":"my key is AKIA\u0049OSFODNN7EXAMPLE"}]'
provider_mark "$IP_OPENAI"
evasion array-key pipeline "$HOST" --data "$arr"
assert_contains "$C_OUT" '"error"' "a JSON array body with an escaped AWS key: the write fails"
assert_eq 0 "$(raw_has "$IP_OPENAI" OSFODNN7EXAMPLE)" "escaped AWS key bytes at the provider"
audit_wait event=request decision=deny rule=no_aws_keys pid="$C_PID" >/dev/null

# ---- 2. another thread sends the ciphertext (memory BIO)
provider_mark "$IP_OPENAI"
evasion thread-bad thread "$HOST" --data "$BAD"
assert_contains "$C_OUT" '"error"' "denied model, ciphertext sent by another thread"
assert_nothing_arrived "denied model, ciphertext sent by another thread"
audit_wait event=request decision=deny model=gpt-4o pid="$C_PID" >/dev/null
provider_mark "$IP_OPENAI"
evasion thread-ok thread "$HOST" --data "$OK"
assert_contains "$C_OUT" '"status": 200' "approved model, ciphertext sent by another thread"
assert_arrived "approved model through a memory BIO" 1 model=gpt-4o-mini
no_stopped thread

# ---- 3. fork after connect: the child writes on the inherited connection
provider_mark "$IP_OPENAI"
evasion fork fork "$HOST" --data "$OK" --data "$BAD"
assert_contains "$C_OUT" '"attack": "fork-parent", "req": 0, "status": 200' "the parent's approved request"
assert_contains "$C_OUT" '"attack": "fork-child", "req": 1, "error"' "the child's request on the inherited connection"
assert_arrived "fork: the parent's request only" 1 model=gpt-4o-mini
assert_eq 0 "$(rec_since event=request addr="$IP_OPENAI" model=gpt-4o | wc -l)" "fork: the child's denied model at the provider"
audit_wait event=request decision=deny rule=uninspectable unparsed=uninspected_bytes >/dev/null
no_stopped fork

# ---- 4. exec after connect: the new image (wget, GnuTLS) is inspected anew
provider_mark "$IP_OPENAI"
exec_wget() { # NAME BODY
	client "$1" env SSL_CERT_FILE="$H_CA" "$H_PY" -c '
import os, sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(),
    headers={"Content-Type": "application/json"}), timeout=10).read()
os.execv(sys.argv[3], [sys.argv[3], "-nv", "-O", "-", "--timeout=10", "--tries=1",
    "--ca-certificate=" + sys.argv[4], "--header=Content-Type: application/json",
    "--post-data=" + sys.argv[5], sys.argv[1]])
' https://$HOST/v1/chat/completions "$OK" "$H_WGET" "$H_CA" "$2"
}
exec_wget exec-ok "$OK"
assert_ok "python3, then exec wget with an approved model"
assert_arrived "exec: python's request and wget's" 2 model=gpt-4o-mini
audit_wait event=request decision=allow model=gpt-4o-mini exe="$H_WGET" pid="$C_PID" >/dev/null
audit_wait event=tls_attach pid="$C_PID" exe="$H_WGET" >/dev/null
provider_mark "$IP_OPENAI"
exec_wget exec-bad "$BAD"
assert_failed "python3, then exec wget with a denied model"
assert_eq 0 "$(rec_since event=request addr="$IP_OPENAI" model=gpt-4o | wc -l)" "exec: wget's denied model at the provider"
audit_wait event=request decision=deny model=gpt-4o exe="$H_WGET" pid="$C_PID" >/dev/null
no_stopped exec

# ---- 5. a TLS library loaded after the first provider connect()
provider_mark "$IP_OPENAI"
evasion late-ok late-tls "$HOST" --data "$OK"
# before: no TLS library to probe; what the process writes on the provider
# connection was inspected by nobody and is refused in the kernel
assert_contains "$C_OUT" '"req": 0, "error": "PermissionError"' "a write no probe saw: refused (EACCES)"
audit_wait event=tls_attach pid="$C_PID" unparsed=no_tls_lib >/dev/null
audit_wait event=request decision=deny rule=uninspectable unparsed=tls_framing pid="$C_PID" >/dev/null
# after loading libssl: held again, probed, inspected
assert_contains "$C_OUT" '"req": 1, "status": 200' "the same process after loading libssl: inspected, approved"
assert_arrived "late TLS library, approved" 1 model=gpt-4o-mini
audit_wait event=tls_attach pid="$C_PID" lib="$(tls_lib_of "$H_PY")" >/dev/null
audit_wait event=request decision=allow model=gpt-4o-mini pid="$C_PID" >/dev/null
provider_mark "$IP_OPENAI"
evasion late-bad late-tls "$HOST" --data "$BAD"
assert_contains "$C_OUT" '"req": 1, "error"' "late TLS library, denied model"
assert_nothing_arrived "late TLS library, denied model"
no_stopped late-tls

# ---- 6. ten decoy libraries exporting SSL_write, loaded before libssl
mkdir -p "$H_WORK/decoys"
decoys=()
for i in $(seq 10); do
	printf 'int SSL_write(void *s, const void *b, int n) { return n; }\nint SSL_read(void *s, void *b, int n) { return 0; }\nint SSL_write_ex(void *s, const void *b, unsigned long n, unsigned long *w) { return 1; }\n' >"$H_WORK/decoys/d$i.c"
	gcc -shared -fPIC -o "$H_WORK/decoys/libdecoy$i.so" "$H_WORK/decoys/d$i.c" || fail "cannot build decoy $i"
	decoys+=(--decoy "$H_WORK/decoys/libdecoy$i.so")
done
provider_mark "$IP_OPENAI"
evasion decoys-bad decoys "$HOST" --data "$BAD" "${decoys[@]}"
assert_contains "$C_OUT" '"error"' "denied model behind ten decoy libraries"
assert_nothing_arrived "denied model behind ten decoy libraries"
provider_mark "$IP_OPENAI"
evasion decoys-ok decoys "$HOST" --data "$OK" "${decoys[@]}"
assert_contains "$C_OUT" '"status": 200' "approved model behind ten decoy libraries"
assert_arrived "approved model behind ten decoy libraries" 1 model=gpt-4o-mini
no_stopped decoys

# ---- 7. fronting: an allowed provider's address, SNI and Host naming another:
# refused at the ClientHello (sk_msg reads its SNI), before any request
provider_mark "$IP_OPENAI"
evasion fronting fronting "$HOST" --front api.anthropic.com --data "$OK"
assert_contains "$C_OUT" '"error"' "Host/SNI api.anthropic.com on api.openai.com's address"
assert_nothing_arrived "fronting"
audit_wait event=request decision=deny rule=fronting unparsed=sni_mismatch pid="$C_PID" \
	provider=openai >/dev/null
no_stopped fronting

# ... and with an honest SNI, only the Host naming another provider: the
# request is refused (the probe checks Host against the address)
provider_mark "$IP_OPENAI"
evasion fronting-host fronting "$HOST" --front api.anthropic.com --sni "$HOST" --data "$OK"
assert_contains "$C_OUT" '"error"' "Host api.anthropic.com, SNI $HOST, on api.openai.com's address"
assert_nothing_arrived "fronting by Host only"
audit_wait event=request decision=deny rule=fronting unparsed=provider_mismatch pid="$C_PID" >/dev/null
no_stopped fronting-host

# ---- 8. a provider at an address aspend never learned (the program's own
# hosts entry, a CDN edge): its ClientHello names the provider, and the
# connection is governed as that provider's (connect decision, hook "sni")
UNLEARNED=internal.example.test # IP_INTERNAL: no provider's address
provider_mark "$IP_INTERNAL"
evasion unlearned-bad unlearned "$UNLEARNED" --front "$HOST" --data "$BAD" --wait 1
assert_eq 2 "$(grep -c '"error"' "$C_OUT")" "denied model at an unlearned address, twice: refused"
assert_nothing_arrived "denied model at an unlearned address"
audit_wait event=connect hook=sni provider=openai pid="$C_PID" >/dev/null
no_stopped unlearned-bad
provider_mark "$IP_INTERNAL"
evasion unlearned-ok unlearned "$UNLEARNED" --front "$HOST" --data "$OK" --wait 1
# the first connection may be refused (its probes are attached while it runs
# on: what it wrote before was inspected by nobody); the second is inspected
sed -n 2p "$C_OUT" >"$H_WORK/unlearned-2nd"
assert_contains "$H_WORK/unlearned-2nd" '"status": 200' "approved model at an unlearned address, probes in place"
audit_wait event=request decision=allow model=gpt-4o-mini pid="$C_PID" >/dev/null
no_stopped unlearned-ok

# ... and a bystander there (SNI naming no provider) is left alone: its
# request arrives whatever it says, and no audit line names it
provider_mark "$IP_INTERNAL"
evasion bystander fronting "$UNLEARNED" --front "$UNLEARNED" --data "$BAD"
assert_contains "$C_OUT" '"status": 200' "a bystander's TLS connection to a non-provider"
assert_arrived "a bystander's request" 1 model=gpt-4o
assert_eq 0 "$(audit_find pid="$C_PID" | wc -l)" "audit lines about the bystander"

# ---- 9. a tracer that swallows SIGSTOP: the thread Aspen holds at its first
# provider connect() runs on before its probes exist; what it writes then
# was inspected by nobody and is refused in the kernel
# aspend's SIGCONT cancels a SIGSTOP still pending: when the attach wins the
# race with the stop's delivery (a loaded machine), nothing is swallowed and
# the request was inspected as usual; try again (3 times at most) until the
# tracer swallows the stop
for try in 1 2 3; do
	provider_mark "$IP_OPENAI"
	client tracer env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/swallow_stop.py" \
		"$H_PY" "$H_LIB/evasion.py" fronting "$HOST" --front "$HOST" --data "$BAD"
	assert_contains "$C_ERR" "swallowed " "the tracer ran"
	assert_nothing_arrived "a denied model from a traced process (try $try)"
	[ "$(sed -n 's/.*swallowed \([0-9]*\).*/\1/p' "$C_ERR")" -ge 1 ] && break
	[ "$try" -lt 3 ] || fail "the tracer swallowed no SIGSTOP in 3 tries: the hold was not exercised"
done
assert_contains "$C_OUT" '"error"' "a denied model from a process whose stop was swallowed"
assert_nothing_arrived "a denied model from a process whose stop was swallowed"
TRACEE=$("$H_PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["pid"])' <"$C_OUT")
audit_wait event=request decision=deny pid="$TRACEE" >/dev/null
no_stopped tracer

# ---- 10. the socket passed to a helper process (SCM_RIGHTS), which sends
# the ciphertext of a request TLS-encrypted by its parent (memory BIO): the
# helper wrote through no probe, so its bytes have no credit, whatever the
# request said (the denied one is also denied by its own line)
provider_mark "$IP_OPENAI"
evasion fdpass-bad fdpass "$HOST" --data "$BAD"
assert_contains "$C_OUT" '"attack": "fdpass", "req": 0, "error"' "a denied model sent by a helper process"
assert_nothing_arrived "a denied model sent by a helper process"
audit_wait event=request decision=deny model=gpt-4o pid="$C_PID" >/dev/null
no_stopped fdpass-bad
provider_mark "$IP_OPENAI"
evasion fdpass-ok fdpass "$HOST" --data "$OK"
assert_contains "$C_OUT" '"attack": "fdpass", "req": 0, "error"' "an approved model sent by a helper process"
assert_nothing_arrived "an approved model sent by a helper process"
HELPER=$("$H_PY" -c 'import json,sys; print([json.loads(l) for l in sys.stdin][-1]["pid_helper"])' <"$C_OUT")
audit_wait event=request decision=deny rule=uninspectable unparsed=uninspected_bytes pid="$HELPER" >/dev/null
no_stopped fdpass-ok

# ---- 11. Go: its own crypto/tls, probed through its Go symbol table
# (tests/e2e/test_tls_go.sh): the approved model answers, another is
# denied by the default with zero bytes at the provider
go_build
provider_mark "$IP_OPENAI"
go_call go-mini "https://$HOST/v1/chat/completions" "$(chat_body gpt-4o-mini)"
assert_contains "$C_OUT" '"status":200' "Go client, approved model"
assert_arrived "Go client, approved model" 1 model=gpt-4o-mini
audit_wait event=request decision=allow rule=approved tls=go pid="$C_PID" >/dev/null
no_stopped go-mini
provider_mark "$IP_OPENAI"
go_call go-4o "https://$HOST/v1/chat/completions" "$(chat_body gpt-4o)"
assert_contains "$C_OUT" '"error"' "Go client, model gpt-4o"
assert_nothing_arrived "Go client, model gpt-4o"
audit_wait event=request decision=deny rule=default model=gpt-4o tls=go pid="$C_PID" >/dev/null
no_stopped go-4o

# ---- 12. a write that fails with "try again" after part of it left (a
# non-blocking socket whose send buffer filled) and is called again with the
# same bytes until it succeeds: the request arrives once...
provider_mark "$IP_OPENAI"
OKBIG='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"PAD"}]}'
evasion wantwrite wantwrite "$HOST" --data "$OKBIG" --pad 1000000 --release "$H_WORK/release-wantwrite"
assert_contains "$C_OUT" '"attack": "wantwrite", "req": 0, "status": 200' "a request whose write failed with 'try again' and was repeated"
tries=$("$H_PY" -c 'import json,sys; print([json.loads(l) for l in sys.stdin if "tries" in l][0]["tries"])' <"$C_OUT")
[ "${tries:-0}" -ge 1 ] || fail "no SSL_write failed with 'try again': the repeat was not exercised"
assert_arrived "the repeated write's request, once" 1 model=gpt-4o-mini
audit_wait event=request decision=allow model=gpt-4o-mini pid="$C_PID" >/dev/null
no_stopped wantwrite
# ... and what the failed call credited is not left over for bytes no probe
# saw, written before the repeat. Once, the failed call took back all it had
# credited, also what its records that left had spent: the ledger wrapped
# around until the repeat, and a record written past the TLS library then
# went out.
provider_mark "$IP_OPENAI"
evasion wantwrite-smuggle wantwrite "$HOST" --data "$OKBIG" --pad 1000000 --release "$H_WORK/release-smuggle" \
	--smuggle "SMUGGLED-RECORD-$(printf '%0480d' 0)"
assert_contains "$C_OUT" '"attack": "wantwrite", "req": 1, "error"' "a record written past the TLS library between a failed write and its repeat"
audit_wait event=request decision=deny rule=uninspectable unparsed=uninspected_bytes pid="$C_PID" >/dev/null
no_stopped wantwrite-smuggle

# the trail holds no key and its chain is whole
assert_not_contains "$H_AUDIT" AKIAIOSFODNN7EXAMPLE "the audit trail"
assert_not_contains "$H_WORK/aspend.log" AKIAIOSFODNN7EXAMPLE "aspend's log"
audit_check_chain
stop_aspend
