#!/usr/bin/env bash
# SIGKILL while a writer is held for redaction (issue 14): a python client,
# probed at its first request, sends a prompt with an SSN on its keep-alive
# connection while aspend is frozen (SIGSTOP): the kernel records the hold
# and stops the writer for aspend to mask its buffer, which the frozen
# aspend never does. aspend is then killed. The watchdog sees it die,
# denies the held request in the byte ledger and resumes the writer within
# the bound (1 s here, typically milliseconds): the client is not left
# stopped, the provider receives none of the unmasked bytes, and neither
# the audit trail nor aspend's log holds the SSN. A new aspend then finds
# the hold's queued event, touches nothing in the client and writes the
# request's deny to the trail.
source "$(dirname "$0")/../lib/harness.sh"
harness_start outlives-redact

start_held_redact
# one connection: a clean request (the process is probed), then, once $go
# exists, a request with the SSN on the same connection
client_bg held env SSL_CERT_FILE="$H_CA" "$H_PY" -c '
import http.client, json, os, ssl, sys, time
host, go, ssn = sys.argv[1], sys.argv[2], sys.argv[3]
conn = http.client.HTTPSConnection(host, 443, timeout=10, context=ssl.create_default_context())
def call(text):
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]})
    try:
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        return "status %d" % r.status
    except Exception as e:
        return "error %s" % type(e).__name__
print("first:", call("hello"), flush=True)
for _ in range(3000):
    if os.path.exists(go):
        break
    time.sleep(0.01)
print("second:", call("my ssn is " + ssn), flush=True)
' api.openai.com "$go" "$ssn"
PY_PID=$BG_PID
wait_output "$C_OUT" "first: status 200" 15

# aspend frozen with a fresh heartbeat: the kernel still holds for it
kill -STOP "$ASPEND_PID"
touch "$go"
kill_aspend_held "$PY_PID" "python held for redaction"
[ "$RESUMED_MS" -lt 1000 ] || fail "python resumed only $RESUMED_MS ms after aspend died (bound 1000 ms)"
wait "$PY_PID" || true
log "client: $(tr '\n' ' ' <"$C_OUT") $(head -c 300 "$C_ERR")"
expect_held_redact_denied "$PY_PID"
