#!/usr/bin/env bash
# Big requests written in many writes, as curl sends a file: the head, then
# the body in 64 KiB writes (HTTP/1.1), or in 16 KiB DATA frames, 64 KiB a
# write (HTTP/2, curl's default). An HTTP/1.1 request is decided on its
# whole body up to the body bound (4 MiB) whatever its writes: its
# ciphertext is held until then (by sk_msg's cork, and past what a cork
# holds by aspend's spill slots). 40 KB and 1 MB bodies, the model after the
# messages: the approved model arrives whole at the provider; an unapproved
# model, and an AWS key 800 KB into an approved request, are denied with
# zero bytes of that request at the provider. HTTP/2: 40 KB the same; a
# stream past the server's initial flow-control window (64 KiB) is decided
# with what was read (scan_bound: `uninspectable`), zero bytes, no hang.
source "$(dirname "$0")/../lib/harness.sh"
export H_PROVIDER_H2=1
harness_start tls-big-writes

OA=https://api.openai.com/v1/chat/completions
obj=$(make_policy big-bodies <"$H_POLICIES/big-bodies.asp")

for size in 40k 1m; do
	bytes=${size/k/000}
	bytes=${bytes/m/000000}
	big_body "$H_WORK/$size-ok.json" "$bytes" gpt-4o-mini
	big_body "$H_WORK/$size-deny.json" "$bytes" gpt-4o
done
big_body "$H_WORK/1m-aws.json" 1000000 gpt-4o-mini AKIAIOSFODNN7EXAMPLE

M=127.0.0.1:19464
start_aspend "$obj" --metrics "$M"
audit_wait event=policy_load policy=big-bodies >/dev/null
# reads_holds: how many times a process was held for its TLS read probes
# (no response rules: at its first HTTP/2 preface, never for HTTP/1.1)
reads_holds() {
	curl -sS --max-time 5 "http://$M/metrics" >"$H_WORK/metrics.txt" || fail "metrics scrape failed"
	awk 'index($0, "aspen_hold_seconds_count{reason=\"tls_reads\"} ") == 1 { n = $NF } END { print n + 0 }' \
		"$H_WORK/metrics.txt"
}

JSON=(-H 'Content-Type: application/json')

# curl_big NAME FILE [OPTS...]: curl posts FILE as it sends a file
curl_big() {
	local name=$1 file=$2
	shift 2
	curl_call "$name" "$OA" "$@" "${JSON[@]}" --data-binary @"$file" -w '\nhttp_version=%{http_version}\n'
}

# expect_allowed WHAT SIZE: the approved request arrived whole, and was audited
expect_allowed() {
	assert_ok "$1"
	assert_contains "$C_OUT" '"completion_tokens"'
	assert_arrived "$1" 1 model=gpt-4o-mini body_bytes="$(stat -c %s "$H_WORK/$2-ok.json")"
	audit_wait event=request decision=allow rule=approved_models model=gpt-4o-mini unparsed=null pid="$C_PID" >/dev/null
}

# expect_refused WHAT: zero bytes of the request at the provider (over
# HTTP/2 the connection preface and SETTINGS, which carry no request, may
# have arrived: no HEADERS, CONTINUATION or DATA frame)
expect_refused() {
	local got
	assert_failed "$1"
	read -r -a got <<<"$(provider_since)"
	assert_eq 1 "${got[0]}" "$1: TLS connections accepted by the provider"
	assert_eq 0 "${got[1]}" "$1: requests (complete or partial) at the provider"
	assert_eq 0 "$(h2_stream_bytes)" "$1: request bytes at the provider"
}

# ---- HTTP/1.1: the head, then the body in 64 KiB writes
for size in 40k 1m; do
	provider_mark "$IP_OPENAI"
	curl_big "curl-h1-$size-ok" "$H_WORK/$size-ok.json" --http1.1
	assert_contains "$C_OUT" "http_version=1.1" "curl spoke HTTP/1.1"
	expect_allowed "curl (http/1.1) $size body, gpt-4o-mini" $size

	provider_mark "$IP_OPENAI"
	curl_big "curl-h1-$size-deny" "$H_WORK/$size-deny.json" --http1.1
	expect_refused "curl (http/1.1) $size body, gpt-4o (denied)"
	audit_wait event=request decision=deny rule=default model=gpt-4o unparsed=null pid="$C_PID" >/dev/null
done
provider_mark "$IP_OPENAI"
curl_big curl-h1-aws "$H_WORK/1m-aws.json" --http1.1
expect_refused "curl (http/1.1) 1m body with an AWS key at 800 KB (denied)"
audit_wait event=request decision=deny rule=no_aws_keys model=gpt-4o-mini unparsed=null pid="$C_PID" >/dev/null

assert_eq 0 "$(reads_holds)" "HTTP/1.1 clients held for read probes"

# ---- HTTP/2 (curl's default): 16 KiB DATA frames, 64 KiB a write
provider_mark "$IP_OPENAI"
curl_big curl-h2-40k-ok "$H_WORK/40k-ok.json"
assert_contains "$C_OUT" "http_version=2" "curl spoke HTTP/2"
expect_allowed "curl (h2) 40k body, gpt-4o-mini" 40k
assert_eq 1 "$(reads_holds)" "HTTP/2 curl held once for its read probes"

provider_mark "$IP_OPENAI"
curl_big curl-h2-40k-deny "$H_WORK/40k-deny.json"
expect_refused "curl (h2) 40k body, gpt-4o (denied)"
audit_wait event=request decision=deny rule=default model=gpt-4o unparsed=null pid="$C_PID" >/dev/null

# A stream's body past the server's initial flow-control window (65,535
# bytes; the window updates are on the read side, not seen) cannot be
# held: the client would wait for a WINDOW_UPDATE the held bytes never
# earn. It is decided with what was read: unparsed scan_bound, here
# `uninspectable deny`, zero bytes at the provider, never a hang.
for f in 1m-ok 1m-aws; do
	provider_mark "$IP_OPENAI"
	curl_big "curl-h2-$f" "$H_WORK/$f.json"
	expect_refused "curl (h2) $f body past the flow-control window"
	assert_not_contains "$C_ERR" "timed out" "curl (h2) $f: decided, not left waiting"
	audit_wait event=request decision=deny rule=uninspectable unparsed=scan_bound pid="$C_PID" >/dev/null
done

# the key never reaches the audit trail
assert_not_contains "$H_AUDIT" AKIAIOSFODNN7EXAMPLE "the audit trail"
stop_aspend
