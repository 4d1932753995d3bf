#!/usr/bin/env bash
# Big requests written in many writes, as curl sends a file: the head, then
# the body in 64 KiB writes (HTTP/1.1), or in 16 KiB DATA frames, 64 KiB a
# write (HTTP/2, curl's default). A request is decided on its whole body up
# to the body bound (4 MiB) whatever its writes: its ciphertext is held
# until then (by sk_msg's cork, and past what a cork holds by aspend's
# spill slots). 40 KB and 1 MB bodies, the model after the messages: the
# approved model arrives whole at the provider; an unapproved model, and an
# AWS key 800 KB into an approved request, are denied with zero bytes of
# that request at the provider (no request, no HEADERS or DATA frame).
source "$(dirname "$0")/../lib/harness.sh"
export H_PROVIDER_H2=1
harness_start tls-big-writes

OA=https://api.openai.com/v1/chat/completions
obj=$(make_policy bigw <<'EOF_POLICY'
policy "bigw"
default deny
uninspectable deny
import "providers"
import "secrets"

rule no_aws_keys {
  on request
  when request.body matches secrets.aws_access_key
  deny "credentials in a prompt"
}

rule approved_models {
  on request
  when request.model in ["gpt-4o-mini"]
  allow
}
EOF_POLICY
)

# big_body FILE BYTES MODEL [SECRET]: a chat body of about BYTES, the model
# last; SECRET goes into a message 80% of the way in.
big_body() {
	"$H_PY" - "$@" <<'EOF_PY'
import json, sys
path, size, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
secret = sys.argv[4] if len(sys.argv) > 4 else None
msgs, n = [], 0
line = 'code: if (x == "y") { return "\\n"; } // caf\u00e9 ' * 4
while n < size:
    content = line
    if secret and n >= size * 0.8:
        content, secret = line + " key " + secret + " ", None
    m = {"role": "user" if len(msgs) % 2 == 0 else "assistant", "content": content}
    msgs.append(m)
    n += len(json.dumps(m))
open(path, "w").write(json.dumps({"messages": msgs, "model": model}))
EOF_PY
}
for size in 40k 1m; do
	bytes=${size/k/000}
	bytes=${bytes/m/000000}
	big_body "$H_WORK/$size-ok.json" "$bytes" gpt-4o-mini
	big_body "$H_WORK/$size-deny.json" "$bytes" gpt-4o
done
big_body "$H_WORK/1m-aws.json" 1000000 gpt-4o-mini AKIAIOSFODNN7EXAMPLE

# h2_stream_bytes: bytes of HEADERS, CONTINUATION and DATA frames the
# provider at the marked address received since the mark.
h2_stream_bytes() {
	local files=() n
	for n in $(rec_since event=accept addr="$PM_ADDR" | "$H_PY" -c 'import json,sys
for l in sys.stdin: print(json.loads(l)["conn"])'); do
		files+=("$H_REC/$PM_ADDR/conn-$n.raw")
	done
	[ ${#files[@]} -gt 0 ] || { echo 0; return; }
	"$H_PY" - "${files[@]}" <<'EOP'
import sys
total = 0
for name in sys.argv[1:]:
    try:
        b = open(name, "rb").read()
    except OSError:
        continue
    if not b.startswith(b"PRI * HTTP/2.0"):
        total += len(b)  # HTTP/1.1: every byte is the request's
        continue
    i = 24
    while i + 9 <= len(b):
        n = int.from_bytes(b[i:i + 3], "big")
        if b[i + 3] in (0, 1, 9):
            total += 9 + n
        i += 9 + n
print(total)
EOP
}

start_aspend "$obj"
audit_wait event=policy_load policy=bigw >/dev/null

JSON=(-H 'Content-Type: application/json')
for proto in h1 h2; do
	opt=()
	[ $proto = h2 ] || opt=(--http1.1)
	pname=$([ $proto = h2 ] && echo h2 || echo http/1.1)
	for size in 40k 1m; do
		want=$(stat -c %s "$H_WORK/$size-ok.json")
		provider_mark "$IP_OPENAI"
		curl_call "curl-$proto-$size-ok" "$OA" "${opt[@]}" "${JSON[@]}" --data-binary @"$H_WORK/$size-ok.json" \
			-w '\nhttp_version=%{http_version}\n'
		assert_ok "curl ($pname) $size body, gpt-4o-mini"
		assert_contains "$C_OUT" '"completion_tokens"'
		assert_contains "$C_OUT" "http_version=$([ $proto = h2 ] && echo 2 || echo 1.1)" "curl spoke $pname"
		assert_arrived "curl $pname $size body, gpt-4o-mini" 1 model=gpt-4o-mini body_bytes="$want"
		audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini unparsed=null pid="$C_PID" >/dev/null

		provider_mark "$IP_OPENAI"
		curl_call "curl-$proto-$size-deny" "$OA" "${opt[@]}" "${JSON[@]}" --data-binary @"$H_WORK/$size-deny.json"
		assert_failed "curl ($pname) $size body, gpt-4o (denied)"
		assert_nothing_arrived "curl $pname $size body, gpt-4o" 1
		assert_eq 0 "$(h2_stream_bytes)" "curl $pname $size gpt-4o: request bytes at the provider"
		audit_wait event=request decision=deny rule=default model=gpt-4o unparsed=null pid="$C_PID" >/dev/null
	done

	provider_mark "$IP_OPENAI"
	curl_call "curl-$proto-aws" "$OA" "${opt[@]}" "${JSON[@]}" --data-binary @"$H_WORK/1m-aws.json"
	assert_failed "curl ($pname) 1m body with an AWS key at 800 KB (denied)"
	assert_nothing_arrived "curl $pname 1m body with an AWS key" 1
	assert_eq 0 "$(h2_stream_bytes)" "curl $pname AWS key: request bytes at the provider"
	audit_wait event=request decision=deny rule=no_aws_keys model=gpt-4o-mini pid="$C_PID" >/dev/null
done
# the key never reaches the audit trail
assert_not_contains "$H_AUDIT" AKIAIOSFODNN7EXAMPLE "the audit trail"
stop_aspend
