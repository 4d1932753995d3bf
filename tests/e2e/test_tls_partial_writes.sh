#!/usr/bin/env bash
# Partial writes: OpenSSL with SSL_MODE_ENABLE_PARTIAL_WRITE (Ruby's
# openssl sets it) writes one record per SSL_write call and returns; the
# program calls again with the rest. The probe parses a call's bytes once:
# the rest, brought again, is checked against a keyed hash and not parsed
# again, and its credit is taken back until then. Before, the rest was
# parsed as a new request (Ruby's 40 KB POST refused as `malformed`, 16 KB
# of it at the provider) and its credit stood, covering anything written
# on the socket past the TLS library.
#
# Ruby Net::HTTP, 40 KB and 1 MB bodies: the approved model arrives whole,
# another model and an AWS key 800 KB in are refused with zero bytes at the
# provider, an SSN near the end arrives masked. python3 with the mode set
# (tests/lib/partial_client.py), HTTP/1.1 and HTTP/2: the same; a record
# written past the TLS library after a partial write is refused; a rest
# that is not the rest (an AWS key in it) loses the connection's framing,
# refused, the key never at the provider. wget (GnuTLS, whose
# gnutls_record_send writes one record a call): 40 KB in partial writes and
# 1 MB in 8 KiB writes, allowed, denied, refused and masked alike.
source "$(dirname "$0")/../lib/harness.sh"
export H_PROVIDER_H2=1 H_PROVIDER_H2_WINDOW_openai=16777216 # a 1 MB stream goes at once
harness_start tls-partial-writes

command -v ruby >/dev/null 2>&1 || skip_or_fail "ruby missing (scripts/install-deps.sh)"
/usr/bin/python3 -c 'import h2' 2>/dev/null || skip_or_fail "python3-h2 missing (scripts/install-deps.sh)"

obj=$(make_policy partial <<'EOF_POLICY'
policy "partial"
default allow
uninspectable deny
import "providers"
import "pii"
import "secrets"

rule no_aws_keys {
  on request
  when request.body matches secrets.aws_access_key
  deny "credentials in a prompt"
}
rule other_models {
  on request
  when request.model not in ["gpt-4o-mini"]
  deny "model not approved"
}
rule mask_pii {
  on request
  redact pii.ssn with "X"
  audit
}
EOF_POLICY
)
OA=https://api.openai.com/v1/chat/completions
KEY=AKIAIOSFODNN7EXAMPLE
SSN=123-45-6789
for size in 40k 1m; do
	bytes=${size/k/000}
	bytes=${bytes/m/000000}
	big_body "$H_WORK/$size-ok.json" "$bytes" gpt-4o-mini
	big_body "$H_WORK/$size-deny.json" "$bytes" gpt-4o
	big_body "$H_WORK/$size-aws.json" "$bytes" gpt-4o-mini "$KEY"
	big_body "$H_WORK/$size-ssn.json" "$bytes" gpt-4o-mini "$SSN"
done
start_aspend "$obj"
audit_wait event=policy_load policy=partial >/dev/null

ruby_post() { # NAME FILE
	client "$1" ruby -rnet/http -rjson -e '
u = URI(ARGV[0]); body = File.binread(ARGV[1])
begin
  h = Net::HTTP.new(u.host, u.port)
  h.use_ssl = true; h.ca_file = ARGV[2]; h.open_timeout = 15; h.read_timeout = 15
  r = h.post(u.path, body, "Content-Type" => "application/json")
  puts JSON.generate({pid: Process.pid, status: r.code.to_i, body: r.body[0, 200]})
rescue => e
  puts JSON.generate({pid: Process.pid, error: "#{e.class}: #{e.message}"}); exit 7
end' "$OA" "$2" "$H_CA"
}
partial_post() { # NAME FILE [OPTS...]
	client "$1" /usr/bin/python3 "$H_LIB/partial_client.py" api.openai.com "$2" "$H_CA" "${@:3}"
}
# the client wrote in several calls, the first one part of the request
expect_partial() {
	local writes first
	writes=$(sed -n 's/.*"writes": \([0-9]*\).*/\1/p' "$C_OUT")
	first=$(sed -n 's/.*"first": \([0-9]*\).*/\1/p' "$C_OUT")
	[ "${writes:-0}" -ge 2 ] && [ "${first:-0}" -le 16384 ] ||
		fail "$1: not written in partial writes (writes=$writes, first=$first): the case is not exercised"
}
expect_allowed() { # WHAT FILE
	assert_ok "$1"
	assert_arrived "$1" 1 model=gpt-4o-mini body_bytes="$(stat -c %s "$2")"
	audit_wait event=request decision=allow model=gpt-4o-mini unparsed=null pid="$C_PID" >/dev/null
}
expect_refused() { # WHAT RULE [h2]
	local got
	assert_failed "$1"
	if [ "${3:-}" = h2 ]; then # the preface and SETTINGS may have arrived: no stream frame
		read -r -a got <<<"$(provider_since)"
		assert_eq 1 "${got[0]}" "$1: TLS connections accepted by the provider"
		assert_eq 0 "${got[1]}" "$1: requests (complete or partial) at the provider"
		assert_eq 0 "$(h2_stream_bytes)" "$1: request bytes at the provider"
	else
		assert_nothing_arrived "$1" 1
	fi
	audit_wait event=request decision=deny rule="$2" unparsed=null pid="$C_PID" >/dev/null
}
expect_masked() { # WHAT
	local got line
	assert_ok "$1"
	assert_arrived "$1" 1 model=gpt-4o-mini
	got=$(rec_bodies event=request addr="$IP_OPENAI")
	case $got in *"$SSN"*) fail "$1: the SSN reached the provider" ;; esac
	case $got in *"key XXXXXXXXXXX "*) ;; *) fail "$1: no SSN mask at the provider" ;; esac
	line=$(audit_wait event=request decision=allow model=gpt-4o-mini unparsed=null pid="$C_PID")
	assert_eq '[{"pattern": "pii.ssn", "count": 1}]' "$(audit_field "$line" redactions)" "$1: audit redactions"
}

# ---- Ruby Net::HTTP: its openssl writes one record a call
for size in 40k 1m; do
	provider_mark "$IP_OPENAI"
	ruby_post "rb-$size-ok" "$H_WORK/$size-ok.json"
	expect_allowed "ruby $size body, gpt-4o-mini" "$H_WORK/$size-ok.json"
	assert_contains "$C_OUT" '"status":200'

	provider_mark "$IP_OPENAI"
	ruby_post "rb-$size-deny" "$H_WORK/$size-deny.json"
	expect_refused "ruby $size body, gpt-4o (denied)" other_models

	provider_mark "$IP_OPENAI"
	ruby_post "rb-$size-aws" "$H_WORK/$size-aws.json"
	expect_refused "ruby $size body, an AWS key 80% in" no_aws_keys

	provider_mark "$IP_OPENAI"
	ruby_post "rb-$size-ssn" "$H_WORK/$size-ssn.json"
	expect_masked "ruby $size body, an SSN 80% in"
done

# ---- python3 with the mode set, HTTP/1.1 and HTTP/2
for proto in h1 h2; do
	opt=()
	[ $proto = h2 ] && opt=(--h2)
	provider_mark "$IP_OPENAI"
	partial_post "py-$proto-ok" "$H_WORK/40k-ok.json" "${opt[@]}"
	expect_partial "python3 $proto 40k"
	expect_allowed "python3 $proto 40k body in partial writes, gpt-4o-mini" "$H_WORK/40k-ok.json"

	provider_mark "$IP_OPENAI"
	partial_post "py-$proto-aws" "$H_WORK/40k-aws.json" "${opt[@]}"
	expect_refused "python3 $proto 40k body in partial writes, an AWS key" no_aws_keys $proto

	provider_mark "$IP_OPENAI"
	partial_post "py-$proto-ssn" "$H_WORK/40k-ssn.json" "${opt[@]}"
	expect_partial "python3 $proto 40k, an SSN"
	expect_masked "python3 $proto 40k body in partial writes, an SSN"

	# non-blocking, a 4 KiB send buffer: calls also fail part way through a
	# record (WANT_WRITE) and are repeated; what their sent bytes spent of
	# the owed credit is not given back twice
	provider_mark "$IP_OPENAI"
	partial_post "py-$proto-nonblock" "$H_WORK/1m-ok.json" "${opt[@]}" --nonblock
	expect_partial "python3 $proto 1m, non-blocking"
	wants=$(sed -n 's/.*"wants": \([0-9]*\).*/\1/p' "$C_OUT")
	[ "${wants:-0}" -ge 1 ] || fail "python3 $proto non-blocking: no call failed with WANT_WRITE (wants=$wants): the case is not exercised"
	expect_allowed "python3 $proto 1m body in non-blocking partial writes, gpt-4o-mini" "$H_WORK/1m-ok.json"

	# a record written past the TLS library after the first partial write:
	# the rest's credit is taken back until the next call brings it
	provider_mark "$IP_OPENAI"
	partial_post "py-$proto-smuggle" "$H_WORK/40k-ok.json" "${opt[@]}" --smuggle
	assert_contains "$C_OUT" '"smuggled": "refused 13"' "python3 $proto: a record past the TLS library after a partial write"
	audit_wait event=request decision=deny rule=uninspectable unparsed=uninspected_bytes pid="$C_PID" >/dev/null

	# the next call brings other bytes than the rest: the framing is lost
	provider_mark "$IP_OPENAI"
	partial_post "py-$proto-changed" "$H_WORK/40k-ok.json" "${opt[@]}" --change-rest "key $KEY "
	expect_partial "python3 $proto 40k, a changed rest"
	assert_failed "python3 $proto: a rest with other bytes"
	provider_settle "$IP_OPENAI"
	[ "$(cat "$H_REC/$IP_OPENAI"/conn-*.raw 2>/dev/null | grep -ac "$KEY")" = 0 ] ||
		fail "python3 $proto: the AWS key the changed rest brought reached the provider"
	lost=unsynced
	[ $proto = h2 ] && lost=h2_state
	audit_wait event=request decision=deny rule=uninspectable unparsed=$lost pid="$C_PID" >/dev/null
done

# ---- HTTP/1.1: records of 4 KiB (max_send_fragment), each call writing
# less than the 16 KiB block the kernel checks a rest by: the call's other
# owed bytes are checked at its return and its rest sealed anew
provider_mark "$IP_OPENAI"
partial_post py-frag-ok "$H_WORK/40k-ok.json" --fragment 4096
expect_partial "python3 4 KiB records"
assert_contains "$C_OUT" '"first": 4096' "python3 4 KiB records: the first call's record"
expect_allowed "python3 40k body in 4 KiB records, gpt-4o-mini" "$H_WORK/40k-ok.json"

provider_mark "$IP_OPENAI"
partial_post py-frag-changed "$H_WORK/40k-ok.json" --fragment 4096 --change-rest "key $KEY "
expect_partial "python3 4 KiB records, a changed rest"
assert_failed "python3 4 KiB records: a rest with other bytes"
provider_settle "$IP_OPENAI"
[ "$(cat "$H_REC/$IP_OPENAI"/conn-*.raw 2>/dev/null | grep -ac "$KEY")" = 0 ] ||
	fail "python3 4 KiB records: the AWS key the changed rest brought reached the provider"
audit_wait event=request decision=deny rule=uninspectable unparsed=unsynced pid="$C_PID" >/dev/null

# ---- the request undecided at the end of the program's first write (its
# model is in the second): the rest is pending, not credited, and hashed
# whole
provider_mark "$IP_OPENAI"
partial_post py-split "$H_WORK/1m-ok.json" --split
expect_partial "python3 a request in two writes"
expect_allowed "python3 1m body in two writes of partial writes, gpt-4o-mini" "$H_WORK/1m-ok.json"

# ---- a record past the TLS library after the second call: the rest's
# credit is given back one block a call, as each is brought and checked
provider_mark "$IP_OPENAI"
partial_post py-smuggle-late "$H_WORK/40k-ok.json" --smuggle --after 2
assert_contains "$C_OUT" '"smuggled": "refused 13"' "python3: a record past the TLS library after the second partial write"
audit_wait event=request decision=deny rule=uninspectable unparsed=uninspected_bytes pid="$C_PID" >/dev/null

# ---- GnuTLS (wget): gnutls_record_send sends one record a call and
# returns its size, and wget calls again with the rest. A body given as
# --post-data goes in one call (16384, 16384, 7232 for 40 KB: partial
# writes); --post-file goes in wget's 8 KiB reads, each sent whole (the 1 MB
# body: a request in 128 writes)
wget_post() { # NAME FILE
	local how=--post-file="$2"
	[ "$(stat -c %s "$2")" -lt 100000 ] && how=--post-data="$(cat "$2")"
	client "$1" "$H_WGET" -nv -O - --timeout=15 --tries=1 --ca-certificate="$H_CA" \
		--header='Content-Type: application/json' "$how" "$OA"
}
for size in 40k 1m; do
	provider_mark "$IP_OPENAI"
	wget_post "wget-$size-ok" "$H_WORK/$size-ok.json"
	expect_allowed "wget $size body, gpt-4o-mini" "$H_WORK/$size-ok.json"

	provider_mark "$IP_OPENAI"
	wget_post "wget-$size-deny" "$H_WORK/$size-deny.json"
	expect_refused "wget $size body, gpt-4o (denied)" other_models

	provider_mark "$IP_OPENAI"
	wget_post "wget-$size-aws" "$H_WORK/$size-aws.json"
	expect_refused "wget $size body, an AWS key 80% in" no_aws_keys

	provider_mark "$IP_OPENAI"
	wget_post "wget-$size-ssn" "$H_WORK/$size-ssn.json"
	expect_masked "wget $size body, an SSN 80% in"
done

assert_not_contains "$H_AUDIT" "$KEY" "the audit trail"
assert_not_contains "$H_AUDIT" "$SSN" "the audit trail"
stop_aspend
