#!/usr/bin/env bash
# The connection tables at their limit (aspend --max-connections): past it
# the least recently used connection's state is evicted (LRU), and its next
# request must be decided by `uninspectable` (unparsed state_lost), never
# passed unread. aspend runs with the smallest size (256); a python client
# makes an approved request on a keep-alive connection, then opens 2,000 more
# TCP connections to the provider (each filed by sockops: the first one's
# entry is evicted), then a second approved request on the first
# connection: refused (uninspectable deny), zero bytes of it at the
# provider, an audit line saying state_lost. (The flood connections each
# write a byte, refused as not TLS: entries looked up are kept by the
# kernel's LRU over ones never looked up, so they must be, to evict the first.) Then a new connection is
# inspected as usual (an approved request answers).
source "$(dirname "$0")/../lib/harness.sh"
harness_start conn-table-full

obj=$(contract_policy | make_policy tls)
start_aspend "$obj" --max-connections 256
audit_wait event=policy_load policy=tls >/dev/null

cat >"$H_WORK/flood.py" <<'EOF_PY'
import http.client, json, resource, socket, ssl, sys
host, n, body = sys.argv[1], int(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard == resource.RLIM_INFINITY or hard > n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, n + 64), hard))
hdr = {"Content-Type": "application/json", "Authorization": "Bearer sk-test"}
c = http.client.HTTPSConnection(host, 443, timeout=15, context=ssl.create_default_context())
c.request("POST", "/v1/chat/completions", body, hdr)
r = c.getresponse()
r.read()
print(json.dumps({"req": 0, "status": r.status}), flush=True)
peer = c.sock.getpeername()[:2]
flood = []
for _ in range(n):
    s = socket.create_connection(peer, timeout=15)
    try:  # a write: sk_msg looks its entry up (refused: not TLS)
        s.send(b"x")
    except OSError:
        pass
    flood.append(s)
print(json.dumps({"flood": len(flood)}), flush=True)
try:
    c.request("POST", "/v1/chat/completions", body, hdr)
    r = c.getresponse()
    r.read()
    print(json.dumps({"req": 1, "status": r.status}), flush=True)
except Exception as e:
    print(json.dumps({"req": 1, "error": repr(e)}), flush=True)
for s in flood:
    s.close()
EOF_PY

# 2,000 open connections, 8 times the table: with 700 the first one's entry
# outlived the flood in 2 of 6 runs (the LRU gives looked-up entries a
# second chance, and the first connection had been looked up too)
FLOOD=2000 H_CLIENT_TIMEOUT=120
provider_mark "$IP_OPENAI"
client flood env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_WORK/flood.py" api.openai.com "$FLOOD" "$(chat_body gpt-4o)"
cat "$C_OUT" "$C_ERR" >&2
assert_contains "$C_OUT" '"req": 0, "status": 200' "the first request, before the flood"
assert_contains "$C_OUT" "\"flood\": $FLOOD"
assert_contains "$C_OUT" '"req": 1, "error"' "the second request, its state evicted"
assert_arrived "table full" 1 model=gpt-4o
audit_wait event=request decision=allow model=gpt-4o pid="$C_PID" >/dev/null
audit_wait event=request decision=deny rule=uninspectable unparsed=state_lost pid="$C_PID" >/dev/null

# a connection made after the flood is inspected as usual
py_client after "https://api.openai.com/v1/chat/completions" --data "$(chat_body gpt-4o)"
assert_ok "an approved request on a new connection after the flood"
audit_wait event=request decision=allow model=gpt-4o pid="$C_PID" >/dev/null
stop_aspend
