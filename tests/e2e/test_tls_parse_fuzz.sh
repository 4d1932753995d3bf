#!/usr/bin/env bash
# The kernel's request parse against a server's JSON parser, on
# random requests through the real TLS write path: tests/lib/parse_fuzz.py
# writes COUNT chat requests on one keep-alive connection (python3,
# OpenSSL), a third with chunked bodies, some pipelined 2 or 3 together,
# each in 1 to 6 writes cut at random bytes, with bodies built to
# find where the write probe's parse and its fast paths (8 and 32 bytes a
# step over string text, the messages array passed by its nesting only)
# could read other than a server: duplicate and escaped keys, "model" keys
# below the top level and quoted inside strings, escapes of every kind,
# brackets in strings, whitespace anywhere, message text up to 40 KB (past
# the 16 KiB chunks the probe copies). For each request the audit line's
# model, request_user and stream must be what Python's json module reads
# (a server's view), every request must be answered, the provider must
# have received each one whole. For a policy of request rules only and
# one with body patterns (the fast loop takes another shape: escapes go
# through the parser, every byte through the DFA); and over HTTP/2 (--h2:
# a stream per request, its body in DATA frames of random sizes, some
# padded, the frames' bytes cut into random writes again).
#
# The patterns runs also check what the patterns decide (--pii: one request
# in four carries SSNs, email addresses and AWS keys, plain, escaped, beside
# escapes, cut by the writes), against the stdlib patterns run by Python's
# re over the body as the kernel reads it: an AWS key is denied (rule
# keys); an SSN or address reaches the provider masked (its received body
# holds none, the audit names the redaction) or the request is denied
# no_redact, and one written plain in one write must be masked.
#
# ASPEN_FUZZ_SEED, ASPEN_FUZZ_COUNT, ASPEN_FUZZ_RUNS (below): another seed,
# more requests, some of the runs (the suite
# runs seed 37, 400 requests a run; a failure prints the seed and the
# request's index: `parse_fuzz.py api.openai.com SEED COUNT [--h2]` replays
# it). Longer runs need a longer H_CLIENT_TIMEOUT (about 3 ms a request).
source "$(dirname "$0")/../lib/harness.sh"
export H_PROVIDER_H2=1 H_PROVIDER_H2_WINDOW_openai=16777216 # h2 offered; HTTP/1.1 clients get 1.1
harness_start tls-parse-fuzz
/usr/bin/python3 -c 'import h2' 2>/dev/null || skip_or_fail "python3-h2 missing (scripts/install-deps.sh)"

SEED=${ASPEN_FUZZ_SEED:-37}
COUNT=${ASPEN_FUZZ_COUNT:-400}

# fuzz_policy NAME IMPORTS RULES: default allow, the approved model
# audited, with IMPORTS and RULES added; prints the object's path
fuzz_policy() {
	make_policy "$1" <<EOF_POLICY
policy "$1"
default allow
uninspectable deny
import "providers"
$2

rule approved {
  on request
  when request.model in ["gpt-4o-mini"]
  audit
}
$3
EOF_POLICY
}
rules=$(fuzz_policy fuzz-rules "" "")
patterns=$(fuzz_policy fuzz-patterns 'import "pii"
import "secrets"' 'rule keys {
  on request
  when request.body matches secrets.aws_access_key
  deny "credentials in a prompt"
}
rule mask {
  on request
  redact pii.ssn with "X"
  redact pii.email with "E"
}')

# compare EXPECTED AUDIT RECEIVED: the client's lines against the audit's
# request lines of its pid and the provider's, in order (bytes: the whole
# request over HTTP/1.1, the body over HTTP/2)
compare() {
	"$H_PY" - "$@" "$SEED" "$COUNT" "$H_LIB" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[6])
from parse_fuzz import AWS_RE, EMAIL_RE, SSN_RE, kernel_view
exp = [json.loads(l) for l in open(sys.argv[1])]
# in the order the requests were read (a line waiting for its masking
# counts may be written after later ones)
aud = sorted((json.loads(l) for l in open(sys.argv[2])), key=lambda a: a["ts"])
rec = [json.loads(l) for l in open(sys.argv[3])]
seed, count = sys.argv[4], sys.argv[5]
pii = any("expect" in e for e in exp)
bad = []
if len(exp) != int(count):
    bad.append("the client printed %d of %s requests" % (len(exp), count))
answered = [e for e in exp if "error" not in e]
if len(rec) != len(answered):
    bad.append("the provider received %d requests of %d" % (len(rec), len(answered)))
# a request the patterns may deny fails at the client; any other must not
errors = [e for e in exp if ("error" in e or e.get("status") != 200) and e.get("expect") not in ("keys", "mask")]
if errors:
    bad.append("%d requests failed, the first: %s" % (len(errors), json.dumps(errors[0])))
# one audit line per request, in order: what a JSON parser reads in it, or
# (--pii) why the patterns denied it
if len(aud) != len(exp):
    bad.append("%d audit request lines for %d requests" % (len(aud), len(exp)))
tally = {}
for e, a in zip(exp, aud):
    kind = e.get("expect")
    outcome = "denied" if "error" in e else "passed"
    if kind:
        k = "%s%s %s" % (kind, " (maskable)" if e["maskable"] else "", outcome)
        tally[k] = tally.get(k, 0) + 1
    if kind == "keys" and outcome == "passed":
        bad.append("request %d: an AWS key was not denied" % e["i"])
    if kind == "mask" and e["maskable"] and outcome == "denied":
        bad.append("request %d: every SSN and address plain and in one write, denied, not masked" % e["i"])
    if outcome == "denied":
        # an AWS key (rule keys), or an SSN before it that could not be masked
        why = (a.get("decision"), a.get("rule"), a.get("unparsed"))
        if why not in (("deny", "uninspectable", "no_redact"),) + ((("deny", "keys", None),) if kind == "keys" else ()):
            bad.append("request %d (%s): denied, its audit line %s" % (e["i"], kind, json.dumps(why)))
        continue
    if kind == "mask" and not any(r.get("pattern") in ("pii.ssn", "pii.email") for r in a.get("redactions") or []):
        bad.append("request %d: an SSN or address passed, its audit line names no redaction" % e["i"])
    want = {"model": e.get("model") or None, "stream": e.get("stream"), "request_user": e.get("user") or None,
            "unparsed": None, "decision": "allow"}
    got = {k: (a.get(k) or None) if k in ("model", "request_user") else a.get(k) for k in want}
    if kind and got["request_user"] and want["request_user"]:
        # the trail never holds the text of a match: aspend masks it there
        mask = lambda v: EMAIL_RE.sub(lambda m: b"E" * len(m.group(0)),
                                      SSN_RE.sub(lambda m: b"X" * len(m.group(0)), v.encode())).decode()
        want["request_user"] = mask(want["request_user"])
    if got != want:
        bad.append("request %d: the kernel read %s, a JSON parser %s" % (e["i"], json.dumps(got), json.dumps(want)))


def body_of(r):
    """the body the provider received, its chunk framing removed"""
    data = open(r["file"], "rb").read()
    if r.get("proto") == "h2":
        return data
    head, _, body = data.partition(b"\r\n\r\n")
    if not r.get("chunked"):
        return body
    out = bytearray()
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        out += body[:size]
        body = body[size + 2:]
        if size == 0:
            break
    return bytes(out)


for e, r in zip(answered, rec):
    got = r.get("body_bytes") if r.get("proto") == "h2" else r.get("bytes")
    if r.get("event") != "request" or got != e.get("bytes") or (r.get("model") or None) != (e.get("model") or None):
        bad.append("request %d: the provider received %s" % (e["i"], json.dumps(r)))
    elif pii:
        try:
            view = kernel_view(body_of(r))
        except (ValueError, KeyError, IndexError):  # a mask over an escape
            bad.append("request %d: the provider received a body that is not JSON (%s)" % (e["i"], r["file"]))
            continue
        if SSN_RE.search(view) or EMAIL_RE.search(view) or AWS_RE.search(view):
            bad.append("request %d: an SSN, address or AWS key reached the provider (%s)" % (e["i"], r["file"]))
for b in bad[:10]:
    print(b)
if bad:
    print("%d differences; replay: tests/lib/parse_fuzz.py api.openai.com %s %s [--h2] [--pii]" % (len(bad), seed, count))
    sys.exit(1)
if pii:
    print("%d requests, none let an SSN, address or AWS key through: %s" % (len(exp), ", ".join("%s %d" % kv for kv in sorted(tally.items()))))
else:
    print("%d requests: the kernel read what a JSON parser reads in every one" % len(exp))
PY
}

# ASPEN_FUZZ_RUNS: which runs, of rules, patterns, rules:h2, patterns:h2,
# patterns:pii, patterns:h2pii (all by default)
for run in ${ASPEN_FUZZ_RUNS:-rules patterns rules:h2 patterns:h2 patterns:pii patterns:h2pii}; do
	case ${run%%:*} in rules) obj=$rules ;; *) obj=$patterns ;; esac
	proto=${run#*:}
	[ "$proto" != "$run" ] || proto=
	name=$(basename "$obj" .bpf.o)
	py=$H_PY opt=()
	case $proto in h2*) py=/usr/bin/python3 opt=(--h2) ;; esac
	case $proto in *pii) opt+=(--pii) ;; esac
	start_aspend "$obj"
	audit_wait event=policy_load policy="$name" >/dev/null
	provider_mark "$IP_OPENAI"
	client "$name$proto" env SSL_CERT_FILE="$H_CA" "$py" "$H_LIB/parse_fuzz.py" api.openai.com "$SEED" "$COUNT" "${opt[@]}"
	assert_ok "$name $proto: parse_fuzz.py"
	provider_settle "$IP_OPENAI"
	audit_wait event=request pid="$C_PID" >/dev/null
	# the last request's line: the trail is written in batches
	audit_settle "$COUNT" event=request pid="$C_PID"
	audit_find event=request pid="$C_PID" >"$H_WORK/$name$proto.audit"
	rec_since addr="$IP_OPENAI" event=request >"$H_WORK/$name$proto.received"
	compare "$C_OUT" "$H_WORK/$name$proto.audit" "$H_WORK/$name$proto.received" >"$H_WORK/$name$proto.compare" 2>&1 ||
		fail "$name $proto: $(cat "$H_WORK/$name$proto.compare")"
	log "$name ${proto:-h1}: $(tail -1 "$H_WORK/$name$proto.compare")"
	stop_aspend
done
