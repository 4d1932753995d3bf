#!/usr/bin/env bash
# aspend --otlp and --otlp-file: a local fake collector (tests/lib/fake_otlp.py)
# receives, over OTLP/HTTP JSON, one log record per audit line, in the
# trail's order, the line itself as the body, with the GenAI names
# (gen_ai.provider.name, gen_ai.operation.name, gen_ai.request.model,
# gen_ai.response.model, gen_ai.usage.input_tokens/output_tokens) and the
# client process as resource, for real allowed, denied and redacted
# requests; the file gets the same records. With the collector down,
# requests are answered as before and the failures are counted.
source "$(dirname "$0")/../lib/harness.sh"
harness_start otlp

obj=$(make_policy otlp <<'EOF_POLICY'
policy "otlp"
default allow
uninspectable deny
import "providers"
import "pii"

rule no_gpt4o {
  on request
  when request.model == "gpt-4o"
  deny "not gpt-4o"
}
rule mask_ssn {
  on request
  redact pii.ssn with "X"
  audit
}
rule log_tokens {
  on response
  when response.tokens > 0
  audit
}
EOF_POLICY
)
COL=127.0.0.1:14318
# the collector answers its first request 503: aspend tries again
"$H_PY" "$H_LIB/fake_otlp.py" "$COL" "$H_WORK/collector.jsonl" "$H_WORK/collector.ready" 1 &
H_FAKE_PIDS+=($!)
for _ in $(seq 50); do [ -e "$H_WORK/collector.ready" ] && break; sleep 0.1; done
[ -e "$H_WORK/collector.ready" ] || fail "fake collector did not start"

start_aspend "$obj" --otlp "http://$COL" --otlp-file "$H_WORK/otlp-file.jsonl" --metrics 127.0.0.1:19466
audit_wait event=policy_load policy=otlp >/dev/null

OA=https://api.openai.com/v1/chat/completions
JSON=(-H 'Content-Type: application/json')
ssn=123-45-6789
provider_mark "$IP_OPENAI"
curl_call ok "$OA" "${JSON[@]}" -d "$(chat_body gpt-4o-mini)"
assert_ok "curl gpt-4o-mini"
ok_pid=$C_PID
audit_wait event=response pid="$ok_pid" >/dev/null
tokens_in=$(rec_since event=request addr="$IP_OPENAI" | head -n1 | "$H_PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["tokens_in"])')
curl_call denied "$OA" "${JSON[@]}" -d "$(chat_body gpt-4o)"
assert_failed "curl gpt-4o (denied)"
deny_pid=$C_PID
audit_wait event=request decision=deny pid="$deny_pid" >/dev/null
curl_call ssn "$OA" "${JSON[@]}" -d "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"my ssn is $ssn\"}]}"
assert_ok "curl with an SSN"
ssn_pid=$C_PID
audit_wait event=response pid="$ssn_pid" >/dev/null
# records arrive while aspend runs (a batch at most a second after its first line)
received() { awk '!/"refused"/ { n++ } END { print n + 0 }' "$H_WORK/collector.jsonl" 2>/dev/null || echo 0; }
for _ in $(seq 80); do
	[ "$(received)" -ge "$(wc -l <"$H_AUDIT")" ] && break
	sleep 0.1
done
assert_eq "$(wc -l <"$H_AUDIT")" "$(received)" "records at the collector while aspend runs"
assert_eq 1 "$(grep -c '"refused"' "$H_WORK/collector.jsonl")" "requests the collector refused (503)"
for _ in $(seq 20); do
	curl -sS "http://127.0.0.1:19466/metrics" >"$H_WORK/metrics.txt" || fail "scrape"
	grep -qF "aspen_otlp_records_total{output=\"collector\",outcome=\"sent\"} $(wc -l <"$H_AUDIT")" "$H_WORK/metrics.txt" && break
	sleep 0.1
done
assert_not_contains "$H_WORK/metrics.txt" 'outcome="failed"'
assert_contains "$H_WORK/metrics.txt" "aspen_otlp_records_total{output=\"collector\",outcome=\"sent\"} $(wc -l <"$H_AUDIT")"
assert_contains "$H_WORK/metrics.txt" "aspen_otlp_records_total{output=\"file\",outcome=\"sent\"} $(wc -l <"$H_AUDIT")"
assert_contains "$H_WORK/metrics.txt" "aspen_otlp_dropped_records_total 0"
# aspend sends what is queued before it exits
stop_aspend

"$H_PY" - "$H_AUDIT" "$H_WORK/collector.jsonl" "$H_WORK/otlp-file.jsonl" "$ok_pid" "$deny_pid" "$ssn_pid" \
	"$H_CURL" "$tokens_in" "$(hostname)" <<'PY' || fail "OTLP records"
import json, sys
audit, col, filelog, ok_pid, deny_pid, ssn_pid, curl, tokens_in, host = sys.argv[1:]
ok_pid, deny_pid, ssn_pid, tokens_in = int(ok_pid), int(deny_pid), int(ssn_pid), int(tokens_in)
trail = [l.rstrip("\n") for l in open(audit)]
recs = [json.loads(l) for l in open(col)]
recs = [r for r in recs if "refused" not in r]
errors = [r for r in recs if "error" in r]
assert not errors, f"the collector refused: {errors}"
# one record per audit line, in order, the line as the body
assert [r["body"] for r in recs] == trail, f"{len(recs)} records for {len(trail)} lines, or not the same"
print(f"collector: {len(recs)} records for {len(trail)} audit lines")

def find(event, pid=None, **attrs):
    out = [r for r in recs if r["attributes"].get("event.name") == "aspen." + event
           and (pid is None or r["resource"].get("process.pid") == pid)
           and all(r["attributes"].get(k) == v for k, v in attrs.items())]
    assert len(out) == 1, f"{len(out)} records for {event} pid {pid} {attrs}"
    return out[0]

r = find("request", ok_pid)
for k, v in {"gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat",
             "gen_ai.request.model": "gpt-4o-mini", "aspen.decision": "allow",
             "aspen.rule": "default", "aspen.policy": "otlp", "server.address": "api.openai.com",
             "http.request.method": "POST"}.items():
    assert r["attributes"].get(k) == v, f"request {k}: {r['attributes'].get(k)!r}, expected {v!r}"
for k, v in {"process.pid": ok_pid, "process.executable.path": curl, "service.name": "curl",
             "process.command": "curl", "host.name": host, "process.real_user.id": 0}.items():
    assert r["resource"].get(k) == v, f"resource {k}: {r['resource'].get(k)!r}, expected {v!r}"
assert r["scope"] == "aspend" and r["severity"] == 9, r
assert int(r["time"]) > 1.7e18, r["time"]

r = find("response", ok_pid)
for k, v in {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
             "gen_ai.response.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": tokens_in,
             "gen_ai.usage.output_tokens": 5, "http.response.status_code": 200,
             "aspen.rule": "log_tokens"}.items():
    assert r["attributes"].get(k) == v, f"response {k}: {r['attributes'].get(k)!r}, expected {v!r}"

r = find("request", deny_pid)
for k, v in {"aspen.decision": "deny", "aspen.rule": "no_gpt4o", "aspen.reason": "not gpt-4o",
             "gen_ai.request.model": "gpt-4o", "gen_ai.provider.name": "openai"}.items():
    assert r["attributes"].get(k) == v, f"denied request {k}: {r['attributes'].get(k)!r}, expected {v!r}"
assert r["severity"] == 13, r["severity"]

r = find("request", ssn_pid)
assert json.loads(r["attributes"]["aspen.redactions"]) == [{"pattern": "pii.ssn", "count": 1}], r["attributes"]
assert "123-45-6789" not in open(col).read(), "the SSN reached the collector"

assert find("policy_load")["resource"]["service.name"] == "aspend", "policy_load resource"

# the file: one ExportLogsServiceRequest a line, the same records
bodies = []
for line in open(filelog):
    req = json.loads(line)
    for rl in req["resourceLogs"]:
        for sl in rl["scopeLogs"]:
            bodies += [lr["body"]["stringValue"] for lr in sl["logRecords"]]
assert bodies == trail, f"--otlp-file: {len(bodies)} records for {len(trail)} lines"
print("otlp-file: the same records")
PY

# ---- the collector is down: enforcement and the clients do not notice;
# the failed exports are counted
: >"$H_AUDIT.down"
H_AUDIT=$H_AUDIT.down start_aspend "$obj" --otlp http://127.0.0.1:14319 --metrics 127.0.0.1:19467
H_AUDIT=$H_AUDIT.down audit_wait event=policy_load policy=otlp >/dev/null
t0=$(date +%s%N)
curl_call down-ok "$OA" "${JSON[@]}" -d "$(chat_body gpt-4o-mini)"
assert_ok "curl gpt-4o-mini with the collector down"
t1=$(date +%s%N)
curl_call down-deny "$OA" "${JSON[@]}" -d "$(chat_body gpt-4o)"
assert_failed "curl gpt-4o with the collector down (denied)"
log "allowed request with the collector down: $(((t1 - t0) / 1000000)) ms"
failed=0
for _ in $(seq 50); do
	failed=$(curl -sS "http://127.0.0.1:19467/metrics" |
		awk 'index($0, "aspen_otlp_records_total{output=\"collector\",outcome=\"failed\"} ") == 1 { print $NF }')
	[ "${failed:-0}" -ge 1 ] && break
	sleep 0.2
done
[ "${failed:-0}" -ge 1 ] || fail "no failed OTLP export counted"
s0=$(date +%s)
stop_aspend
[ $(($(date +%s) - s0)) -le 5 ] || fail "aspend took more than 5 s to stop with the collector down"
