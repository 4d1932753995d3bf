#!/usr/bin/env bash
# WebSocket messages decided one by one, as a user sees them (docs/language.md,
# "WebSocket"): python3-websockets 10.4 and node 20's WebSocket talk the
# Responses API over a WebSocket (wss://api.openai.com/v1/responses) to the
# fake provider. The upgrade passes (rule `messages`); each response.create
# is decided by its model: an approved one is answered, an unapproved one
# (or one holding an AWS key) is dropped with zero bytes of it at the
# provider and the connection cut; fragmented messages, control frames and
# a message naming no model pass; a permessage-deflate client's compressed
# message is `uninspectable` (ws_compressed) and, under `uninspectable
# deny`, never reaches the provider.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-websocket

PY=/usr/bin/python3 # Debian's: python3-websockets
"$PY" -c 'import websockets' 2>/dev/null || skip_or_fail "python3-websockets missing (scripts/install-deps.sh)"
"$H_NODE" --experimental-websocket -e 'if (typeof WebSocket !== "function") process.exit(1)' 2>/dev/null ||
	skip_or_fail "node has no global WebSocket (node 20 with --experimental-websocket, or 22)"
PYEXE=$(readlink -f "$PY")
URL=wss://api.openai.com/v1/responses

wsc() { # NAME ARGS...: tests/lib/ws_client.py
	client "$1" env SSL_CERT_FILE="$H_CA" "$PY" "$H_LIB/ws_client.py" "${@:2}"
}
wsn() { # NAME ARGS...: tests/lib/ws_client.js
	client "$1" env NODE_EXTRA_CA_CERTS="$H_CA" "$H_NODE" --experimental-websocket "$H_LIB/ws_client.js" "${@:2}"
}

# ws_at_provider: what the provider received on the WebSocket connections
# accepted since the mark, from its raw plaintext: one JSON object per
# connection {"msgs": [the model (its session's, or its type) of each complete client message],
# "rsv1": messages sent compressed, "tail": bytes after the last complete
# frame}. A message dropped whole leaves no frame and no tail.
ws_at_provider() {
	local n
	provider_settle "$PM_ADDR"
	for n in $(conns_since); do
		"$PY" - "$H_REC/$PM_ADDR/conn-$n.raw" <<'EOP'
import json, sys, zlib
try:
    b = open(sys.argv[1], "rb").read()
except OSError:
    b = b""
i = b.find(b"\r\n\r\n")
i = i + 4 if i >= 0 else len(b)
msgs, rsv1, cur, comp, inf = [], 0, b"", False, zlib.decompressobj(-15)
while True:
    if i + 2 > len(b):
        break
    fin, rsv, op, n = b[i] >> 7, (b[i] >> 4) & 7, b[i] & 15, b[i + 1] & 127
    j = i + 2
    if n == 126:
        n, j = int.from_bytes(b[j:j + 2], "big"), j + 2
    elif n == 127:
        n, j = int.from_bytes(b[j:j + 8], "big"), j + 8
    if j + 4 + n > len(b):
        break
    key, data = b[j:j + 4], bytes(x ^ b[j + (k % 4)] for k, x in enumerate(b[j + 4:j + 4 + n]))
    i = j + 4 + n
    if op in (1, 2):
        cur, comp = data, bool(rsv & 4)
        rsv1 += comp
    elif op == 0:
        cur += data
    else:
        continue
    if fin:
        if comp:
            cur = inf.decompress(cur + b"\x00\x00\xff\xff")
        try:
            m = json.loads(cur)
            sess = m.get("session") if isinstance(m.get("session"), dict) else {}
            msgs.append(m.get("model") or sess.get("model") or m.get("type"))
        except ValueError:
            msgs.append(None)
print(json.dumps({"msgs": msgs, "rsv1": rsv1, "tail": len(b) - i}))
EOP
	done
}

# ---- without aspend: the fake provider and the clients work, and a
# permessage-deflate client really sends compressed frames (RSV1)
provider_mark "$IP_OPENAI"
wsc py-direct --compression deflate "$URL?deflate=1" create:o1 frag:gpt-4o
assert_ok "python websockets, permessage-deflate, no aspend"
assert_contains "$C_OUT" '"step": "frag:gpt-4o"' "python's fragmented message answered"
assert_eq '{"msgs": ["o1", "gpt-4o"], "rsv1": 2, "tail": 0}' "$(ws_at_provider)" "frames at the provider (no aspend)"
wsn node-direct "$URL" create:o1
assert_ok "node WebSocket, no aspend"

obj=$(make_policy ws <<'EOF_POLICY'
policy "ws"
default deny
uninspectable deny
import "providers"
import "secrets"

rule no_keys {
  on request
  when request.body matches secrets.aws_access_key
  deny "an AWS key in a prompt"
}

rule approved_models {
  on request
  when request.model in ["gpt-4o-mini", "gpt-4o"]
  allow
}
EOF_POLICY
)
trace=$H_WORK/ws.trace.jsonl
ASPEND_EXTRA="--record $trace" start_aspend "$obj"
audit_wait event=policy_load policy=ws >/dev/null

# ---- python, no compression: approved models, a fragmented message, a
# message naming no model, a ping: all answered, all at the provider
provider_mark "$IP_OPENAI"
wsc py-ok "$URL" create:gpt-4o-mini frag:gpt-4o nomodel ping create:gpt-4o-mini
assert_ok "python websockets: approved models"
assert_contains "$C_OUT" '{"events": ["response.created", ' "python got the response events"
assert_contains "$C_OUT" '"response.completed"], "step": "frag:gpt-4o"}' "the fragmented message answered"
assert_contains "$C_OUT" '"step": "nomodel"' "the model-less message passed (its ping answered)"
assert_eq '{"msgs": ["gpt-4o-mini", "gpt-4o", "response.cancel", "gpt-4o-mini"], "rsv1": 0, "tail": 0}' \
	"$(ws_at_provider)" "frames at the provider"
assert_arrived "python ws gpt-4o-mini" 2 model=gpt-4o-mini proto=ws
assert_eq 1 "$(rec_since event=request proto=ws ws_type=response.cancel | wc -l)" "the model-less message at the provider"
audit_wait event=request decision=allow rule=messages pid="$C_PID" proto=websocket ws=upgrade \
	method=GET path=/v1/responses host=api.openai.com provider=openai unparsed=null exe="$PYEXE" >/dev/null
audit_wait event=request decision=allow rule=approved_models pid="$C_PID" proto=websocket ws=message \
	model=gpt-4o path=/v1/responses exe="$PYEXE" >/dev/null
assert_eq 2 "$(audit_count event=request rule=approved_models pid="$C_PID" ws=message model=gpt-4o-mini)" \
	"audit lines of python's gpt-4o-mini messages"
# one line per message that names a model; the model-less one is not audited
assert_eq 3 "$(audit_count event=request pid="$C_PID" ws=message)" "audit lines of python's messages"

# ---- python: an unapproved model after an approved one: zero bytes of it
provider_mark "$IP_OPENAI"
wsc py-deny "$URL" create:gpt-4o-mini create:o1
assert_failed "python websockets: o1 (denied)"
assert_contains "$C_OUT" '"step": "create:o1", "error"' "python saw its connection fail at o1"
assert_eq '{"msgs": ["gpt-4o-mini"], "rsv1": 0, "tail": 0}' "$(ws_at_provider)" "frames at the provider (o1 denied)"
assert_eq 0 "$(rec_since model=o1 | wc -l)" "o1 records at the provider"
assert_eq 0 "$(rec_since event=partial_request | wc -l)" "partial messages at the provider"
audit_wait event=request decision=deny rule=default pid="$C_PID" model=o1 proto=websocket ws=message \
	path=/v1/responses exe="$PYEXE" >/dev/null

# ---- node: approved, model-less, approved; then an unapproved one
provider_mark "$IP_OPENAI"
wsn node-ok "$URL" create:gpt-4o-mini nomodel create:gpt-4o
assert_ok "node WebSocket: approved models"
assert_contains "$C_OUT" '"step":"create:gpt-4o","events":["response.created"' "node got the response events"
assert_eq '{"msgs": ["gpt-4o-mini", "response.cancel", "gpt-4o"], "rsv1": 0, "tail": 0}' "$(ws_at_provider)" \
	"frames at the provider (node)"
audit_wait event=request decision=allow rule=approved_models pid="$C_PID" model=gpt-4o ws=message exe="$H_NODE" >/dev/null

provider_mark "$IP_OPENAI"
wsn node-deny "$URL" create:o1
assert_failed "node WebSocket: o1 (denied)"
assert_eq '{"msgs": [], "rsv1": 0, "tail": 0}' "$(ws_at_provider)" "frames at the provider (node, o1 denied)"
assert_eq 0 "$(rec_since model=o1 | wc -l)" "o1 records at the provider (node)"
audit_wait event=request decision=deny rule=default pid="$C_PID" model=o1 proto=websocket ws=message \
	exe="$H_NODE" >/dev/null

# ---- an AWS key in a message: denied, zero bytes of it, no key in the audit
provider_mark "$IP_OPENAI"
wsc py-key "$URL" create:gpt-4o-mini key:gpt-4o-mini
assert_failed "python websockets: a message with an AWS key (denied)"
assert_eq '{"msgs": ["gpt-4o-mini"], "rsv1": 0, "tail": 0}' "$(ws_at_provider)" "frames at the provider (key denied)"
audit_wait event=request decision=deny rule=no_keys pid="$C_PID" model=gpt-4o-mini ws=message >/dev/null
assert_not_contains "$H_AUDIT" "ZZ7Q3XNV2L5W8P4J" "the audit trail (the denied key)"

# ---- a Realtime session.update names the model in "session": {"model"}:
# an approved one passes (and is the connection's model for the model-less
# message after it), an unapproved one is dropped
provider_mark "$IP_OPENAI"
wsc py-session "$URL" session:gpt-4o-mini nomodel session:o1
assert_failed "python websockets: session.update to o1 (denied)"
assert_contains "$C_OUT" '"step": "nomodel"' "the model-less message after an approved session.update"
assert_eq '{"msgs": ["gpt-4o-mini", "response.cancel"], "rsv1": 0, "tail": 0}' "$(ws_at_provider)" \
	"frames at the provider (session.update)"
audit_wait event=request decision=allow rule=approved_models pid="$C_PID" model=gpt-4o-mini ws=message >/dev/null
audit_wait event=request decision=deny rule=default pid="$C_PID" model=o1 ws=message >/dev/null

# ---- a 1 MB message in one write is decided by its model; one past the
# body bound (4 MiB) is ws_too_big, with zero bytes of it at the provider
provider_mark "$IP_OPENAI"
wsc py-big "$URL" big:gpt-4o-mini:1000000 big:gpt-4o-mini:5000000
assert_failed "python websockets: a 5 MB message (past the bound)"
assert_contains "$C_OUT" '"step": "big:gpt-4o-mini:1000000"}' "the 1 MB message answered"
assert_eq '{"msgs": ["gpt-4o-mini"], "rsv1": 0, "tail": 0}' "$(ws_at_provider)" "frames at the provider (5 MB message)"
audit_wait event=request decision=allow rule=approved_models pid="$C_PID" model=gpt-4o-mini ws=message >/dev/null
audit_wait event=request decision=deny rule=uninspectable unparsed=ws_too_big pid="$C_PID" proto=websocket \
	ws=message >/dev/null

# ---- permessage-deflate (websockets' default): the compressed message is
# uninspectable (ws_compressed), once for the connection, zero bytes of it
provider_mark "$IP_OPENAI"
wsc py-deflate --compression deflate "$URL?deflate=1" create:gpt-4o-mini
assert_failed "python websockets, permessage-deflate (uninspectable deny)"
assert_eq '{"msgs": [], "rsv1": 0, "tail": 0}' "$(ws_at_provider)" "frames at the provider (compressed message)"
audit_wait event=request decision=deny rule=uninspectable unparsed=ws_compressed pid="$C_PID" proto=websocket ws=message \
	exe="$PYEXE" >/dev/null
assert_eq 1 "$(audit_count event=request pid="$C_PID" unparsed=ws_compressed)" "ws_compressed lines (once per connection)"
stop_aspend

# ---- the recorded trace (aspend --record: the upgrades and messages, field
# ws) replayed by `aspenc test`: its kernel program and reference evaluator
# decide every event as aspend did
grep -q '"ws":"upgrade"' "$trace" && grep -q '"ws":"message"' "$trace" || { cat "$trace" >&2; fail "no ws events recorded"; }
printf 'policy: ws.asp\nexpect_recorded: true\ntraces:\n  - ws.trace.jsonl\n' >"$H_WORK/replay.yaml"
rc=0
(cd "$H_WORK" && "$ASPENC" test replay.yaml) >"$H_WORK/test.out" 2>&1 || rc=$?
cat "$H_WORK/test.out" >&2
assert_eq 0 "$rc" "aspenc test on the recorded WebSocket trace: exit status"
assert_contains "$H_WORK/test.out" " passed, 0 failed"
assert_not_contains "$H_WORK/test.out" "PARTIAL"

# ---- under `uninspectable allow` the compressed connection passes unread,
# audited once (not a silent pass), every later message with it
sed 's/^uninspectable deny$/uninspectable allow/; s/^policy "ws"$/policy "ws_allow"/' "$H_WORK/ws.asp" |
	make_policy ws_allow >/dev/null
start_aspend "$H_WORK/ws_allow.bpf.o"
audit_wait event=policy_load policy=ws_allow >/dev/null
provider_mark "$IP_OPENAI"
wsc py-deflate-allow --compression deflate "$URL?deflate=1" create:gpt-4o-mini create:o1
assert_ok "python websockets, permessage-deflate (uninspectable allow)"
assert_eq '{"msgs": ["gpt-4o-mini", "o1"], "rsv1": 2, "tail": 0}' "$(ws_at_provider)" "frames at the provider (allowed unread)"
audit_wait event=request decision=allow rule=uninspectable unparsed=ws_compressed pid="$C_PID" proto=websocket \
	ws=message path="/v1/responses?deflate=1" >/dev/null
assert_eq 1 "$(audit_count event=request pid="$C_PID" ws=message)" "message lines of the unread connection"
stop_aspend

# ---- a `redact` rule: a message's payload is XOR-masked in the client's
# buffer, so a match in it cannot be masked in place; the message is
# denied (no_redact), none of it at the provider, the SSN in no line
sed 's/^policy "ws"$/policy "ws_redact"/; s/^import "secrets"$/import "secrets"\nimport "pii"/' \
	"$H_WORK/ws.asp" >"$H_WORK/ws_redact.src"
printf '\nrule mask_pii {\n  on request\n  redact pii.ssn\n}\n' >>"$H_WORK/ws_redact.src"
make_policy ws_redact <"$H_WORK/ws_redact.src" >/dev/null
start_aspend "$H_WORK/ws_redact.bpf.o"
audit_wait event=policy_load policy=ws_redact >/dev/null
provider_mark "$IP_OPENAI"
wsc py-ssn "$URL" create:gpt-4o-mini ssn:gpt-4o-mini
assert_failed "python websockets: a message with an SSN under a redact rule"
assert_contains "$C_OUT" '"step": "ssn:gpt-4o-mini", "error"' "python saw its connection fail at the SSN"
assert_eq '{"msgs": ["gpt-4o-mini"], "rsv1": 0, "tail": 0}' "$(ws_at_provider)" "frames at the provider (SSN denied)"
audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$C_PID" proto=websocket \
	ws=message >/dev/null
assert_not_contains "$H_AUDIT" "123-45-6789" "the audit trail (the denied SSN)"
stop_aspend
