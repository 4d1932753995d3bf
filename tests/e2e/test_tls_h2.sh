#!/usr/bin/env bash
# HTTP/2 requests decided per stream, as a user sees them: the fake providers
# offer h2 by ALPN, so curl with its defaults, python httpx (http2=True) and
# node's http2 module speak HTTP/2. An approved model is allowed and
# answered; an unapproved one is denied and the provider receives zero bytes
# of that stream (no HEADERS, no DATA: only the connection preface and
# SETTINGS, which carry no request, may have arrived). node: three
# concurrent streams on one connection, one denied: the denied model never
# reaches the provider (the connection is cut: docs/operators.md).
source "$(dirname "$0")/../lib/harness.sh"
export H_PROVIDER_H2=1
harness_start tls-h2

/usr/bin/python3 -c 'import h2, httpx' 2>/dev/null || skip_or_fail "python3-h2 / python3-httpx missing (scripts/install-deps.sh)"

obj=$(contract_policy | make_policy tls)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null

OA=https://api.openai.com/v1/chat/completions
JSON=(-H 'Content-Type: application/json')

# requests_since: requests (complete or partial) at the marked address since the mark
requests_since() {
	provider_settle "$PM_ADDR"
	rec_since addr="$PM_ADDR" | grep -cE '"event": "(partial_)?request"' || true
}

# ---- curl, defaults (HTTP/2 by ALPN): gpt-4o-mini allowed
provider_mark "$IP_OPENAI"
curl_call curl-h2-mini "$OA" "${JSON[@]}" -d "$(chat_body gpt-4o-mini)" -w '\nhttp_version=%{http_version}\n'
assert_ok "curl (HTTP/2) gpt-4o-mini"
assert_contains "$C_OUT" '"completion_tokens"'
assert_contains "$C_OUT" 'http_version=2' "curl spoke HTTP/2"
assert_arrived "curl h2 gpt-4o-mini" 1 model=gpt-4o-mini proto=h2
# bytes: the stream's HEADERS and DATA frames, as the provider got them
# (until session 39 the HEADERS' alone: the line was filled inside the
# DATA frame, before its bytes went to the stream)
audit_wait event=request decision=allow rule=approved_models pid="$C_PID" model=gpt-4o-mini \
	method=POST path=/v1/chat/completions host=api.openai.com provider=openai unparsed=null \
	bytes="$(h2_stream_bytes)" >/dev/null

# ---- curl, defaults: gpt-4o denied (curl_mini_only), zero bytes of the stream
provider_mark "$IP_OPENAI"
curl_call curl-h2-4o "$OA" "${JSON[@]}" -d "$(chat_body gpt-4o)"
assert_failed "curl (HTTP/2) gpt-4o (denied)"
assert_not_contains "$C_OUT" '"completion_tokens"' "curl's output for a denied h2 request"
assert_eq 0 "$(requests_since)" "requests at the provider (denied h2 stream)"
assert_eq 0 "$(h2_stream_bytes)" "HEADERS/DATA bytes at the provider (denied h2 stream)"
audit_wait event=request decision=deny rule=curl_mini_only pid="$C_PID" model=gpt-4o \
	path=/v1/chat/completions host=api.openai.com >/dev/null

# ---- python httpx, http2=True: gpt-4o allowed, o1 denied by default
HTTPX='import httpx, json, sys
c = httpx.Client(http2=True, verify=sys.argv[2], timeout=10)
try:
    r = c.post(sys.argv[1], json={"messages": [{"role": "user", "content": "hi"}], "model": sys.argv[3]})
    print(json.dumps({"http": r.http_version, "status": r.status_code, "body": r.text}))
except Exception as e:
    print(json.dumps({"error": type(e).__name__}))
    sys.exit(1)'
provider_mark "$IP_OPENAI"
client httpx-4o /usr/bin/python3 -c "$HTTPX" "$OA" "$H_CA" gpt-4o
assert_ok "httpx (http2=True) gpt-4o"
assert_contains "$C_OUT" '"http": "HTTP/2"' "httpx spoke HTTP/2"
assert_arrived "httpx gpt-4o" 1 model=gpt-4o proto=h2
audit_wait event=request decision=allow rule=approved_models pid="$C_PID" model=gpt-4o >/dev/null

provider_mark "$IP_OPENAI"
client httpx-o1 /usr/bin/python3 -c "$HTTPX" "$OA" "$H_CA" o1
assert_failed "httpx (http2=True) o1 (denied)"
assert_eq 0 "$(requests_since)" "requests at the provider (httpx o1)"
assert_eq 0 "$(h2_stream_bytes)" "HEADERS/DATA bytes at the provider (httpx o1)"
audit_wait event=request decision=deny rule=default pid="$C_PID" model=o1 >/dev/null

# ---- python httpx: connections one after the other in one process (OpenSSL
# may hand the next connection the freed SSL * of the one before, so the
# same session key): each connection's stream 1 is a request of its own,
# decided by its own model, not taken for the trailers of the last one's
HTTPX_SEQ='import gc, httpx, json, sys
for model in sys.argv[3:]:
    with httpx.Client(http2=True, verify=sys.argv[2], timeout=10) as c:
        try:
            r = c.post(sys.argv[1], json={"messages": [{"role": "user", "content": "hi"}], "model": model})
            print(json.dumps({"model": model, "http": r.http_version, "status": r.status_code}), flush=True)
        except Exception as e:
            print(json.dumps({"model": model, "error": type(e).__name__}), flush=True)
    del c
    gc.collect()  # the SSL object freed: the next connection may get its address'
provider_mark "$IP_OPENAI"
client httpx-seq /usr/bin/python3 -c "$HTTPX_SEQ" "$OA" "$H_CA" gpt-4o o1 gpt-4o-mini o1
assert_contains "$C_OUT" '{"model": "gpt-4o", "http": "HTTP/2", "status": 200}' "httpx: the first connection answered"
assert_contains "$C_OUT" '{"model": "gpt-4o-mini", "http": "HTTP/2", "status": 200}' "httpx: the third connection answered"
assert_not_contains "$C_OUT" '{"model": "o1", "http"' "httpx: an o1 connection answered"
assert_eq 0 "$(rec_since addr="$IP_OPENAI" model=o1 | wc -l)" "o1 requests at the provider (httpx, connections in sequence)"
assert_eq 2 "$(audit_count event=request decision=deny rule=default pid="$C_PID" model=o1)" "httpx o1 deny lines"
assert_eq 2 "$(audit_count event=request decision=allow pid="$C_PID")" "httpx allow lines"

# ---- node http2: three concurrent streams on one connection, one denied
provider_mark "$IP_OPENAI"
node_script node-h2 "$H_LIB/h2_client.js" "$OA" gpt-4o-mini o1-denied gpt-4o
assert_contains "$C_OUT" '"model":"o1-denied"' "node reported its denied stream"
assert_not_contains "$C_OUT" '"model":"o1-denied","status":200' "node's denied stream answered"
assert_eq 0 "$(rec_since addr="$IP_OPENAI" model=o1-denied | wc -l)" "the denied stream's model at the provider"
audit_wait event=request decision=deny rule=default pid="$C_PID" model=o1-denied >/dev/null
# every stream node opened is in the audit trail, each with its own model
for m in gpt-4o-mini gpt-4o; do
	n=$(audit_count event=request pid="$C_PID" model="$m")
	a=$(rec_since event=request addr="$IP_OPENAI" model="$m" | wc -l)
	log "node stream $m: $n audit line(s), $a at the provider"
	[ "$a" = 0 ] || assert_eq 1 "$n" "audit lines of node's allowed stream $m that reached the provider"
done

# ---- a reload (SIGHUP) keeps a live HTTP/2 connection's header table: httpx
# sends a request, the policy is reloaded, and the next request on the same
# connection (its HEADERS refer to header table entries the first one made)
# is decoded and allowed, not refused as an unknown connection (h2_midstream)
contract_policy | sed 's/^policy "tls"$/policy "tls2"/' | make_policy tls2 >/dev/null
go=$H_WORK/go
HTTPX2='import httpx, json, os, sys, time
c = httpx.Client(http2=True, verify=sys.argv[2], timeout=10)
for i in range(2):
    if i:
        for _ in range(200):
            if os.path.exists(sys.argv[3]):
                break
            time.sleep(0.1)
    try:
        r = c.post(sys.argv[1], json={"messages": [{"role": "user", "content": "hi"}], "model": "gpt-4o-mini"})
        print(json.dumps({"req": i, "http": r.http_version, "status": r.status_code}), flush=True)
    except Exception as e:
        print(json.dumps({"req": i, "error": type(e).__name__}), flush=True)'
provider_mark "$IP_OPENAI"
in_cgroup_bg /usr/bin/python3 -c "$HTTPX2" "$OA" "$H_CA" "$go" >"$H_WORK/reload.out" 2>&1
reload_client=$BG_PID
for _ in $(seq 100); do grep -q '"status": 200' "$H_WORK/reload.out" && break; sleep 0.1; done
grep -q '"req": 0, "http": "HTTP/2", "status": 200' "$H_WORK/reload.out" || { cat "$H_WORK/reload.out" >&2; fail "httpx: first request did not answer"; }
cp "$H_WORK/tls2.bpf.o" "$obj"
kill -HUP "$ASPEND_PID"
audit_wait event=policy_load policy=tls2 reason=reload >/dev/null
touch "$go"
wait "$reload_client" || true
cat "$H_WORK/reload.out" >&2
assert_contains "$H_WORK/reload.out" '"req": 1, "http": "HTTP/2", "status": 200' "the request after the reload, same connection"
assert_arrived "httpx across a reload" 2 model=gpt-4o-mini proto=h2
assert_eq 1 "$(rec_since event=accept addr="$IP_OPENAI" | wc -l)" "connections for the two requests across the reload"
audit_wait event=request decision=allow policy=tls2 model=gpt-4o-mini unparsed=null >/dev/null
assert_eq 0 "$(audit_count unparsed=h2_midstream)" "h2_midstream lines"

stop_aspend

# ---- redaction inside DATA frames: curl (HTTP/2), an SSN masked in place,
# same length, the client answered
obj=$(make_policy redact <<'EOF_POLICY'
policy "redact"
default allow
uninspectable deny
import "providers"
import "pii"
import "secrets"

rule mask_pii {
  on request
  redact pii.ssn with "X"
  redact pii.email with "E"
  audit
}
rule keys {
  on request
  when request.body matches secrets.aws_access_key
  deny "credentials in a prompt"
}
EOF_POLICY
)
start_aspend "$obj"
audit_wait event=policy_load policy=redact >/dev/null
ssn=123-45-6789
provider_mark "$IP_OPENAI"
curl_call curl-h2-ssn "$OA" "${JSON[@]}" -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"my ssn is '"$ssn"', thanks"}]}' \
	-w '\nhttp_version=%{http_version}\n'
assert_ok "curl (HTTP/2) with an SSN"
assert_contains "$C_OUT" 'http_version=2' "curl spoke HTTP/2"
assert_arrived "curl h2 with an SSN" 1 proto=h2 model=gpt-4o-mini
got=$(rec_bodies event=request addr="$IP_OPENAI")
case $got in *"$ssn"*) fail "the SSN reached the provider over HTTP/2: $got" ;; esac
case $got in *"my ssn is XXXXXXXXXXX, thanks"*) ;; *) fail "no same-length SSN mask at the provider: $got" ;; esac
audit_wait event=request pid="$C_PID" model=gpt-4o-mini >/dev/null

# the same deep in a 12 KB body (message text with quotes, escapes and
# brackets, model after the messages): the DATA fast path passes the text a
# run at a time and the patterns still see every byte of it
big_body "$H_WORK/ssn.json" 12000 gpt-4o-mini "$ssn"
provider_mark "$IP_OPENAI"
curl_call curl-h2-ssn-deep "$OA" -H 'Content-Type: application/json' --data-binary @"$H_WORK/ssn.json" \
	-w '\nhttp_version=%{http_version}\n'
assert_ok "curl (HTTP/2) with an SSN 10 KB in"
assert_contains "$C_OUT" 'http_version=2' "curl spoke HTTP/2"
assert_arrived "curl h2 with an SSN 10 KB in" 1 proto=h2 model=gpt-4o-mini body_bytes="$(stat -c %s "$H_WORK/ssn.json")"
got=$(rec_bodies event=request addr="$IP_OPENAI")
case $got in *"$ssn"*) fail "the SSN 10 KB in reached the provider over HTTP/2" ;; esac
case $got in *" key XXXXXXXXXXX "*) ;; *) fail "no same-length mask of the SSN 10 KB in at the provider" ;; esac
audit_wait event=request pid="$C_PID" model=gpt-4o-mini bytes="$(h2_stream_bytes)" >/dev/null

# escapes hide nothing over HTTP/2 either: the patterns see DATA's JSON
# strings decoded, as over HTTP/1.1. An AWS key with one letter escaped is
# denied (before, the patterns read the raw bytes here and it reached the
# provider); an escaped SSN cannot be masked in place: denied
for case in 'key AKIA\u0049OSFODNN7EXAMPLE here|keys|' 'my ssn is \u0031\u00323-45-6789|uninspectable|no_redact'; do
	IFS='|' read -r text rule why <<<"$case"
	provider_mark "$IP_OPENAI"
	curl_call "curl-h2-escaped-$rule" "$OA" "${JSON[@]}" \
		-d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"'"$text"'"}]}'
	assert_failed "curl (HTTP/2): $text"
	read -r -a got <<<"$(provider_since)"
	assert_eq 0 "$(h2_stream_bytes)" "curl (HTTP/2) $text: stream bytes at the provider"
	audit_wait event=request decision=deny rule="$rule" ${why:+unparsed=$why} pid="$C_PID" >/dev/null
done

# a DATA frame that ends inside an escape (\u003 | frame header |
# 001-01-0001), both frames in one write: on the wire "001-01-0001" follows
# a frame header (no word byte) and reads as an SSN, its first digit the
# escape's last. Masked in place, the escape would break (\u003X...); the
# request is denied instead (until session 38 the provider got invalid JSON)
provider_mark "$IP_OPENAI"
client h2-midescape env SSL_CERT_FILE="$H_CA" /usr/bin/python3 "$H_LIB/h2_cut.py" \
	"$(user_body 'id \u003001-01-0001')" 01-01-0001 --back 1
assert_failed "python3 h2: a DATA frame cut inside an escape before an SSN"
assert_eq 0 "$(h2_stream_bytes)" "a frame cut inside an escape: stream bytes at the provider"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null

# a match that began in the write before (sent: "john.smi") and ends in
# this one, after a frame header ("th@example.com" reads as an address on
# its own): masking only this write's part would send half the address;
# denied, and nothing of this write reaches the provider (until session 39
# the frame header hid that the match began earlier: "john.smiEEEE...")
provider_mark "$IP_OPENAI"
client h2-email-cut env SSL_CERT_FILE="$H_CA" /usr/bin/python3 "$H_LIB/h2_cut.py" \
	"$(user_body 'write to john.smith@example.com today')" th@example --delay 0.2
assert_failed "python3 h2: an address begun in the write before, after a frame header"
assert_never_arrived "th@example" "an address begun in the write before (h2)"
assert_never_arrived "EEEEEEEE" "an address begun in the write before (h2), half masked"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null
# the same with the write cut inside one DATA frame (no frame header between)
provider_mark "$IP_OPENAI"
client h2-email-write-start env SSL_CERT_FILE="$H_CA" /usr/bin/python3 "$H_LIB/h2_cut.py" \
	"$(user_body 'write to john.smith@example.com today')" th@example --one-frame --delay 0.2
assert_failed "python3 h2: an address begun in the write before, mid-frame"
assert_never_arrived "th@example" "an address begun in the write before (h2, mid-frame)"
assert_never_arrived "EEEEEEEE" "an address begun in the write before (h2, mid-frame), half masked"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null

# one write holding the matches of two streams: the first's address begun
# in the write before (cannot be masked), the second's SSN whole. The hold
# names no stream: aspend denies the connection with a line of its own, and
# both streams' lines say deny (until session 39 both said allow)
provider_mark "$IP_OPENAI"
client h2-two-streams env SSL_CERT_FILE="$H_CA" /usr/bin/python3 "$H_LIB/h2_cut.py" \
	"$(user_body 'write to john.smith@example.com today')" th@example --delay 0.2 \
	--with "$(user_body "my ssn is $ssn, thanks")"
assert_failed "python3 h2: two streams' matches in one write, one cannot be masked"
assert_never_arrived "th@example" "two streams' matches in one write: the address's tail"
assert_never_arrived "$ssn" "two streams' matches in one write: the SSN"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null
audit_settle 2 event=request pid="$C_PID" model=gpt-4o-mini
assert_eq 2 "$(audit_count event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" model=gpt-4o-mini)" \
	"two streams' matches in one write: the streams' deny lines"
audit_none event=request decision=allow pid="$C_PID"

# a plain SSN at the first byte of a write (one DATA frame whose bytes are
# cut before it, the rest 0.2 s later: the write begins mid-frame), after a
# space: nothing was mid-match there, so it is masked in place and answered
# (until session 39 any HTTP/2 write that began inside a JSON string
# counted as begun mid-match: denied)
provider_mark "$IP_OPENAI"
client h2-ssn-write-start env SSL_CERT_FILE="$H_CA" /usr/bin/python3 "$H_LIB/h2_cut.py" \
	"$(user_body "my ssn is $ssn, thanks")" "$ssn" --one-frame --delay 0.2
assert_ok "python3 h2: a plain SSN at a write's first byte"
assert_contains "$C_OUT" "status 200" "python3 h2: a plain SSN at a write's first byte, answered"
assert_never_arrived "$ssn" "a plain SSN at a write's first byte (h2)"
got=$(rec_bodies event=request addr="$IP_OPENAI")
case $got in *"my ssn is XXXXXXXXXXX, thanks"*) ;; *) fail "no same-length mask of an SSN at a write's first byte: $got" ;; esac
audit_wait event=request decision=allow pid="$C_PID" model=gpt-4o-mini >/dev/null

# an SSN that ends exactly where its DATA frame ends, the next frame of its
# stream in the same write: the kernel reads the closing \b at the next
# frame's first byte, past its 9-byte header. Masked in place and answered
# (until session 43 denied: aspend did not take that place as the match's
# end). Cut one digit earlier, the SSN's last digit is past the header: not
# plain in the buffer, denied, as HTTP/1.1's py-ssn-chunk-inside.
for cut in end inside; do
	provider_mark "$IP_OPENAI"
	client h2-ssn-frame-$cut env SSL_CERT_FILE="$H_CA" /usr/bin/python3 "$H_LIB/h2_cut.py" \
		"$(user_body "my ssn is $ssn, thanks")" ", thanks" --back "$([ $cut = end ] && echo 0 || echo 1)"
	assert_never_arrived "$ssn" "an SSN that ends where its DATA frame ends ($cut)"
	if [ $cut = end ]; then
		assert_ok "python3 h2: an SSN that ends exactly where its DATA frame ends"
		assert_contains "$C_OUT" "status 200" "python3 h2: an SSN at a DATA frame's end, answered"
		got=$(rec_bodies event=request addr="$IP_OPENAI")
		case $got in *"my ssn is XXXXXXXXXXX, thanks"*) ;; *) fail "no same-length mask of an SSN at a DATA frame's end: $got" ;; esac
		audit_wait event=request decision=allow pid="$C_PID" model=gpt-4o-mini >/dev/null
	else
		assert_failed "python3 h2: an SSN whose last digit is past its frame's header"
		assert_eq 0 "$(h2_stream_bytes)" "an SSN cut by a frame header: stream bytes at the provider"
		audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" >/dev/null
	fi
done
stop_aspend
