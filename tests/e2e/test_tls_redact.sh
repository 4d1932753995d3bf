#!/usr/bin/env bash
# Content in the kernel: a prompt with an SSN and a card number (Luhn-valid)
# arrives at the provider masked, same length, and the client gets 200; a
# 16-digit number that fails Luhn is left alone; a prompt with a private
# key is denied and the provider sees zero bytes; the audit names patterns
# and counts, never the matched text; an unrelated process's TLS traffic is
# not scanned (no probes). python3, node, curl.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-redact

obj=$(make_policy redact <<'EOF_POLICY'
policy "redact"
default allow
uninspectable deny
import "providers"
import "pii"
import "secrets"

rule no_private_keys {
  on request
  when request.body matches secrets.private_key
  deny "credentials in a prompt"
}
rule mask_pii {
  on request
  redact pii.ssn with "X"
  redact pii.credit_card with "#"
  redact pii.email with "E"
  audit
}
EOF_POLICY
)
# -v: the daemon's own log, at its most talkative, must not hold PII either
ASPEND_EXTRA=-v start_aspend "$obj"
OA=https://api.openai.com/v1/chat/completions
ssn=123-45-6789
card=4111-1111-1111-1111   # Luhn-valid test number
nocard=4111-1111-1111-1112 # fails Luhn
prompt="my ssn is $ssn and my card is $card, not $nocard"
body=$(user_body "$prompt")

check_masked() { # LABEL
	local got
	got=$(rec_since event=request addr="$IP_OPENAI" | "$H_PY" -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(open(r["file"], "rb").read().decode("utf-8", "replace"))' )
	case $got in *"$ssn"*) fail "$1: the SSN reached the provider" ;; esac
	case $got in *"$card"*) fail "$1: the card number reached the provider" ;; esac
	case $got in *"XXXXXXXXXXX"*) ;; *) fail "$1: no SSN mask at the provider: $got" ;; esac
	case $got in *"###################"*) ;; *) fail "$1: no card mask at the provider" ;; esac
	case $got in *"$nocard"*) ;; *) fail "$1: a number failing Luhn was masked" ;; esac
}

for client in py node curl; do
	provider_mark "$IP_OPENAI"
	case $client in
	py) py_call py-pii "$OA" "$body" ;;
	node) node_call node-pii "$OA" "$body" ;;
	curl) curl_call curl-pii "$OA" -H 'Content-Type: application/json' -d "$body" ;;
	esac
	assert_ok "$client with PII"
	assert_arrived "$client with PII" 1
	check_masked "$client"
	# redact and audit do not decide: the default (allow) does
	line=$(audit_wait event=request pid="$C_PID" decision=allow rule=default)
	assert_eq '[{"pattern": "pii.ssn", "count": 1}, {"pattern": "pii.credit_card", "count": 1}]' \
		"$(audit_field "$line" redactions)" "$client: audit redactions"
done
# the audit and aspend's log never hold the matched text
assert_not_contains "$H_AUDIT" "$ssn"
assert_not_contains "$H_AUDIT" "$card"
assert_not_contains "$H_WORK/aspend.log" "$ssn"
assert_not_contains "$H_WORK/aspend.log" "$card"

# an SSN hidden behind JSON escapes: the kernel's patterns read JSON strings
# decoded and see it; it cannot be masked in place (the text on the wire is
# the escapes), so the request is denied and nothing of it leaves
provider_mark "$IP_OPENAI"
py_call py-escaped "$OA" "$(user_body 'my ssn is \u0031\u00323-45-6789')"
assert_ne 0 "$C_RC" "python3 sending an escaped SSN"
assert_nothing_arrived "escaped SSN"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null
# the same beside a plain one in the same write: the plain one is found and
# masked in the buffer, but the escaped one would have left as it was
provider_mark "$IP_OPENAI"
py_call py-escaped2 "$OA" "$(user_body "my ssn is $ssn, hers \\u0032\\u00334-56-7891")"
assert_ne 0 "$C_RC" "python3 sending a plain and an escaped SSN"
assert_nothing_arrived "a plain and an escaped SSN"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null

# an address with one character escaped (john\u002esmith@...): the kernel
# reads john.smith@example.com; the wire's plain text holds only a piece of
# it ("u002esmith@example.com", begun inside the escape): masking that
# would break the escape and send "john"; denied, nothing of it leaves
provider_mark "$IP_OPENAI"
py_call py-email-escaped "$OA" "$(user_body 'write to john\u002esmith@example.com today')"
assert_ne 0 "$C_RC" "python3 sending an address with an escaped dot"
assert_nothing_arrived "an address with an escaped dot"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null
# an address right after an escape (\njohn.smith@...): on the wire the
# escape's "n" reads as the address's first letter; only the address is
# masked, the escape stays whole and the body JSON
provider_mark "$IP_OPENAI"
py_call py-email-after-escape "$OA" "$(user_body 'write to:\njohn.smith@example.com today')"
assert_ok "python3 sending an address right after an escape"
assert_arrived "an address right after an escape" 1
got=$(rec_bodies event=request addr="$IP_OPENAI")
case $got in *'to:\nEEEEEEEEEEEEEEEEEEEEEE today'*) ;; *) fail "an address right after an escape: not masked alone: $got" ;; esac
audit_wait event=request decision=allow pid="$C_PID" >/dev/null

# a write that ends inside an escape (\u003 | 001-01-0001): the next one
# begins with the escape's last hex digit, and "001-01-0001" reads as an
# SSN on the wire too, but its first byte is part of the escape. Masking it
# would break the escape (\u003X...) and the JSON; it is denied instead
# (until session 38 it was masked: the provider got invalid JSON)
provider_mark "$IP_OPENAI"
py_client py-midescape "$OA" --mode split --chunks 1 --chunk-delay 0 --last 15 \
	--data "$(user_body 'id \u003001-01-0001')"
assert_ne 0 "$C_RC" "python3: a write cut inside an escape before an SSN"
assert_nothing_arrived "a write cut inside an escape before an SSN"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null

# a match that began in the write before (sent: "john.smi") and ends in
# this one after a chunk's framing ("th@example.com" reads as an address
# on its own): masking only this write's part would send half the address;
# denied (until session 39 the framing hid that the match began earlier)
provider_mark "$IP_OPENAI"
client py-email-cut env SSL_CERT_FILE="$H_CA" /usr/bin/python3 - "$H_LIB" <<'EOP'
import sys, time
sys.path.insert(0, sys.argv[1])
from parse_fuzz import connect, read_response
raw = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"write to john.smith@example.com today"}]}'
k = raw.index(b"th@example")
s, f = connect("api.openai.com")
head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n" \
       b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
try:
    s.sendall(head + b"%x\r\n" % k + raw[:k] + b"\r\n")
    time.sleep(0.2)
    s.sendall(b"%x\r\n" % (len(raw) - k) + raw[k:] + b"\r\n0\r\n\r\n")
    print("status", read_response(f))
except (OSError, ValueError, IndexError) as e:
    print("error", type(e).__name__)
    sys.exit(1)
EOP
assert_failed "python3: an address begun in the write before, after a chunk's framing"
assert_never_arrived "th@example" "an address begun in the write before (chunked)"
assert_never_arrived "EEEEEEEE" "an address begun in the write before (chunked), half masked"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null

# an SSN that ends exactly where its chunk ends, the next chunk in the same
# write: the kernel decides its closing \b at the next chunk's first byte,
# past the framing; masked and answered (until session 41 denied no_redact:
# aspend took only the byte right after a match, or an escape there, as its
# \b). The match that goes on past the framing (`123-45-678` | `9`) is
# still denied: the kernel's match is not the one aspend found.
for cut in end inside; do
	provider_mark "$IP_OPENAI"
	client py-ssn-chunk-$cut env SSL_CERT_FILE="$H_CA" /usr/bin/python3 - "$H_LIB" "$cut" <<'EOP'
import sys
sys.path.insert(0, sys.argv[1])
from parse_fuzz import connect, read_response
raw = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"my ssn is 123-45-6789 today"}]}'
k = raw.index(b"6789") + (4 if sys.argv[2] == "end" else 3)
s, f = connect("api.openai.com")
head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n" \
       b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
try:
    s.sendall(head + b"%x\r\n" % k + raw[:k] + b"\r\n" + b"%x;x=1\r\n" % (len(raw) - k) + raw[k:] +
              b"\r\n0\r\n\r\n")
    print("status", read_response(f))
except (OSError, ValueError, IndexError) as e:
    print("error", type(e).__name__)
    sys.exit(1)
EOP
	assert_never_arrived "$ssn" "an SSN that ends where its chunk ends ($cut)"
	if [ "$cut" = end ]; then
		assert_ok "python3: an SSN that ends exactly where its chunk ends"
		assert_contains "$C_OUT" "status 200"
		assert_arrived "an SSN that ends where its chunk ends, masked" 1
		rec_since event=request addr="$IP_OPENAI" | grep -q . || fail "py-ssn-chunk-end: nothing recorded"
		got=$(rec_since event=request addr="$IP_OPENAI" | "$H_PY" -c 'import json,sys; print(open(json.loads(sys.stdin.readline())["file"],"rb").read().decode("utf-8","replace"))')
		case $got in *"is XXXXXXXXXXX"*) ;; *) fail "py-ssn-chunk-end: no SSN mask at the provider: $got" ;; esac
	else
		assert_failed "python3: an SSN whose last digit is past its chunk's framing"
		audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null
	fi
done

# a prompt holding a list: 600 addresses and 300 SSNs in one write, all
# masked (until session 40, more than 256 places where matches end in one
# write could not be checked and the request was denied)
provider_mark "$IP_OPENAI"
list=$("$H_PY" -c 'print(" ".join("c%d: user%d@example.com ssn %03d-45-6789;" % (i, i, 100 + i % 300) if i % 2 else "c%d: user%d@example.com;" % (i, i) for i in range(600)))')
py_call py-list "$OA" "$(user_body "$list")"
assert_ok "python3: a prompt listing 600 addresses and 300 SSNs"
assert_arrived "a prompt listing 600 addresses and 300 SSNs" 1
assert_never_arrived "@example.com" "a prompt listing 600 addresses"
assert_never_arrived "-45-6789" "a prompt listing 300 SSNs"
line=$(audit_wait event=request pid="$C_PID" decision=allow rule=default)
assert_eq '[{"pattern": "pii.ssn", "count": 300}, {"pattern": "pii.email", "count": 600}]' \
	"$(audit_field "$line" redactions)" "py-list: audit redactions"

# a writer stopped for its SSN to be masked, resumed before aspend masked
# it: a child process sends SIGCONT to the client without pause (so did
# aspend itself once, 100 ms after a process's probes were attached: the
# fuzz run in CI sent an SSN). The kernel sees every SIGCONT that finds a
# writer held: its request is denied, nothing of it at the provider.
provider_mark "$IP_OPENAI"
client py-sigcont env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/evasion.py" sigcont api.openai.com \
	--data "$(user_body 'nothing to mask')" --data "$body" --count 40
assert_contains "$C_OUT" '"attack": "sigcont-first", "req": 0, "status": 200' "the request before the SIGCONTs"
assert_never_arrived "$ssn" "an SSN whose writer was resumed by another process's SIGCONT"
assert_never_arrived "$card" "a card number whose writer was resumed by another process's SIGCONT"
denied=$(grep -c '"attack": "sigcont", .*"error"' "$C_OUT" || true)
masked=$(grep -c '"attack": "sigcont", .*"status": 200' "$C_OUT" || true)
[ $((denied + masked)) -eq 40 ] || fail "py-sigcont: $denied denied and $masked answered of 40: $(cat "$C_OUT")"
[ "$denied" -ge 1 ] || fail "py-sigcont: no request was denied: no hold was escaped"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null
escaped=$(audit_find event=request pid="$C_PID" | grep -c 'resumed before masking\|ran before its match to mask' || true)
[ "$escaped" -ge 1 ] || fail "py-sigcont: no audit line says the writer was resumed before masking"
# each answered one arrived, and no SSN arrived at all (above): masked
[ "$masked" -eq 0 ] || [ "$(rec_since event=request addr="$IP_OPENAI" | wc -l)" -eq $((masked + 1)) ] ||
	fail "py-sigcont: $masked answered, the provider received $(rec_since event=request addr="$IP_OPENAI" | wc -l) - 1"
echo "[tls-redact] py-sigcont: $denied denied, $masked masked, $escaped lines say resumed before masking"
assert_not_contains "$H_AUDIT" "$ssn"
no_stopped py-sigcont

# a tracer (ptrace) swallows every SIGSTOP of the client: a traced
# writer cannot be held for masking (its tracer may swallow the stop, or
# resume it without a SIGCONT), so the kernel denies each request to mask
# at once. Until session 40 the writer encrypted its buffer while aspend
# masked it, and the SSN left (then, for a while, sk_msg refused most
# such writes and a few went out masked, one without an audit line).
provider_mark "$IP_OPENAI"
client py-swallowed env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/swallow_stop.py" \
	"$H_PY" "$H_LIB/evasion.py" repeat api.openai.com --data "$(user_body 'nothing to mask')" --data "$body" --count 10
assert_contains "$C_ERR" "swallowed " "the tracer ran"
assert_never_arrived "$ssn" "an SSN from a process whose stops are swallowed"
swallowed=$(sed -n 's/.*swallowed \([0-9]*\).*/\1/p' "$C_ERR")
[ "${swallowed:-0}" -ge 1 ] || fail "py-swallowed: no stop swallowed: the tracer did not run"
tracee=$("$H_PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["pid"])' <"$C_OUT")
denied=$(grep -c '"attack": "sigcont", .*"error"' "$C_OUT" || true)
[ "$denied" -eq 10 ] || fail "py-swallowed: $denied of 10 requests to mask denied: $(cat "$C_OUT")"
# one line per request, each denied no_redact (the first may have gone
# before the probes: the tracer swallowed that stop too, uninspected_bytes)
audit_settle 10 event=request pid="$tracee" unparsed=no_redact
n=$(audit_count event=request pid="$tracee" decision=deny rule=uninspectable unparsed=no_redact)
[ "$n" -ge 9 ] || fail "py-swallowed: $n no_redact lines for 10 requests to mask"
echo "[tls-redact] py-swallowed: $swallowed stops swallowed, $denied of 10 denied"
no_stopped py-swallowed

# four threads of one process write requests to mask at once, each on its
# own connection. A stop is the whole process's: a second thread may be
# held an instant after the first, and the first one's resume would wake
# it unmasked (until session 40 its write left unmasked; with the SIGCONT
# tracepoint alone the kernel denied 4 in 100). aspend resumes the process
# after its last hold. A second hold recorded in the microseconds between
# that check and the SIGCONT (its thread not stopped yet: the stop is
# taken by the first writer, which may wait for a CPU) is still denied:
# at most 2 in 100 here, each with its line; none sent unmasked.
provider_mark "$IP_OPENAI"
client py-threads env SSL_CERT_FILE="$H_CA" "$H_PY" - "$H_LIB" "$body" <<'EOP'
import json, sys, threading
sys.path.insert(0, sys.argv[1])
from parse_fuzz import connect, read_response
raw = sys.argv[2].encode()
head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n" \
       b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(raw)
out = []

def worker(k):
    s, f = connect("api.openai.com")
    for i in range(25):
        try:
            s.sendall(head + raw)
            out.append(read_response(f))
        except (OSError, ValueError, IndexError) as e:
            out.append(type(e).__name__)
            s, f = connect("api.openai.com")

threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ok = out.count(200)
print(json.dumps({"ok": ok, "failed": len(out) - ok, "errors": sorted(set(map(str, out)))}))
sys.exit(0 if len(out) == 100 else 1)
EOP
assert_ok "python3: four threads writing requests to mask at once"
assert_never_arrived "$ssn" "four threads writing requests to mask at once"
ok=$("$H_PY" -c 'import json,sys; print(json.load(sys.stdin)["ok"])' <"$C_OUT")
[ "$ok" -ge 98 ] || fail "py-threads: $ok of 100 masked: $(cat "$C_OUT")"
assert_arrived "four threads writing requests to mask at once" "$ok"
audit_settle 100 event=request pid="$C_PID"
assert_eq $((100 - ok)) "$(audit_find event=request pid="$C_PID" decision=deny | grep -c 'resumed before masking\|ran before its match to mask' || true)" \
	"py-threads: denied requests whose line says the writer ran before masking"
no_stopped py-threads

# a private key: denied, zero bytes
provider_mark "$IP_OPENAI"
key='-----BEGIN RSA PRIVATE KEY-----MIIEowIBAAKCAQEAtest-----END RSA PRIVATE KEY-----'
py_call py-key "$OA" "$(user_body "$key")"
assert_ne 0 "$C_RC" "python3 sending a private key"
assert_nothing_arrived "private key"
audit_wait event=request decision=deny rule=no_private_keys pid="$C_PID" >/dev/null
assert_not_contains "$H_AUDIT" "MIIEowIBAAKCAQEA"
stop_aspend
