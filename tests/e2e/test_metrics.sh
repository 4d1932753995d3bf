#!/usr/bin/env bash
# aspend --metrics: after real traffic (allowed, denied at connect, denied
# by a request rule, redacted, uninspectable), a scrape of /metrics passes
# `promtool check metrics` and its counters say what happened: decisions by
# event/decision/rule/provider, requests and tokens by provider and model
# (tokens as the fake provider reported them), redactions by pattern,
# uninspected by reason, TLS holds and probe attach times (one per
# tls_attach line), no lost events, the policy in force.
source "$(dirname "$0")/../lib/harness.sh"
harness_start metrics
need_tools promtool

obj=$(make_policy metrics <<'EOF_POLICY'
policy "metrics"
default allow
uninspectable deny
import "providers"
import "pii"

rule approved_providers {
  on connect
  when provider not in [openai, anthropic]
  deny "provider not approved"
}
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
M=127.0.0.1:19464
start_aspend "$obj" --metrics "$M" --prog-stats
audit_wait event=policy_load policy=metrics >/dev/null

OA=https://api.openai.com/v1/chat/completions
JSON=(-H 'Content-Type: application/json')
scrape() { curl -sS --max-time 5 "http://$M/metrics" >"$H_WORK/metrics.txt" || fail "scrape failed"; }
# metric NAME{LABELS}: the sample's value (the line must be there)
metric() {
	local v
	v=$(awk -v k="$1 " 'index($0, k) == 1 { print $NF }' "$H_WORK/metrics.txt")
	[ -n "$v" ] || { cat "$H_WORK/metrics.txt" >&2; fail "no sample $1"; }
	echo "$v"
}

# before any traffic: the families are there, the counters at zero
scrape
assert_eq 0 "$(metric aspen_lost_events_total)" "lost events at start"
assert_eq 0 "$(metric aspen_probed_processes)" "probed processes at start"
assert_eq 1 "$(metric 'aspen_policy_loads_total{reason="start"}')" "policy loads"

# ---- traffic
provider_mark "$IP_OPENAI"
for i in 1 2; do
	curl_call "ok-$i" "$OA" "${JSON[@]}" -d "$(chat_body gpt-4o-mini)"
	assert_ok "curl gpt-4o-mini ($i)"
	audit_wait event=response pid="$C_PID" >/dev/null
done
curl_call denied "$OA" "${JSON[@]}" -d "$(chat_body gpt-4o)"
assert_failed "curl gpt-4o (denied by no_gpt4o)"
audit_wait event=request decision=deny rule=no_gpt4o pid="$C_PID" >/dev/null
curl_call ssn "$OA" "${JSON[@]}" -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"my ssn is 123-45-6789"}]}'
assert_ok "curl with an SSN (masked)"
audit_wait event=response pid="$C_PID" >/dev/null
chat_body gpt-4o-mini | gzip -c >"$H_WORK/body.gz"
curl_call gzip "$OA" -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @"$H_WORK/body.gz"
assert_failed "curl gzip body (uninspectable deny)"
audit_wait event=request unparsed=compressed pid="$C_PID" >/dev/null
# a model name that is not UTF-8 (a raw 0xff byte): its label gets U+FFFD,
# as the trail does, and the scrape stays valid
printf '{"messages":[{"role":"user","content":"hi"}],"model":"bad\xffmodel"}' >"$H_WORK/bad-utf8.json"
curl_call bad-utf8 "$OA" "${JSON[@]}" --data-binary @"$H_WORK/bad-utf8.json"
audit_wait event=request pid="$C_PID" >/dev/null
curl_call mistral https://api.mistral.ai/v1/chat/completions "${JSON[@]}" -d "$CHAT_BODY"
assert_eq 7 "$C_RC" "curl to mistral: exit status"
audit_wait event=connect decision=deny rule=approved_providers provider=mistral >/dev/null

# the probed curls have exited: the gauge goes back to 0
for _ in $(seq 50); do
	scrape
	[ "$(metric aspen_probed_processes)" = 0 ] && break
	sleep 0.1
done

# program run times: refreshed every second, with --prog-stats on
sleep 1.2
scrape

# ---- the scrape is valid exposition text
promtool check metrics <"$H_WORK/metrics.txt" >"$H_WORK/promtool.out" 2>&1 ||
	{ cat "$H_WORK/promtool.out" >&2; cat "$H_WORK/metrics.txt" >&2; fail "promtool check metrics"; }
log "promtool check metrics: ok ($(grep -vc '^#' "$H_WORK/metrics.txt") samples)"

# ---- decisions
d='aspen_decisions_total{event="request",decision='
assert_eq 4 "$(metric "${d}\"allow\",rule=\"default\",provider=\"openai\"}")" "allowed requests"
assert_eq 1 "$(metric "${d}\"deny\",rule=\"no_gpt4o\",provider=\"openai\"}")" "requests denied by no_gpt4o"
assert_eq 1 "$(metric "${d}\"deny\",rule=\"uninspectable\",provider=\"openai\"}")" "uninspectable requests denied"
assert_eq 1 "$(metric 'aspen_decisions_total{event="connect",decision="deny",rule="approved_providers",provider="mistral"}')" \
	"connections denied by approved_providers"
assert_eq "$(audit_count event=response decision=allow rule=log_tokens)" \
	"$(metric 'aspen_decisions_total{event="response",decision="allow",rule="log_tokens",provider="openai"}')" \
	"response decisions (as many as response lines)"

# ---- requests and tokens by provider and model
assert_eq 3 "$(metric 'aspen_requests_total{provider="openai",model="gpt-4o-mini"}')" "gpt-4o-mini requests (gzip: no model)"
assert_eq 1 "$(metric 'aspen_requests_total{provider="openai",model="gpt-4o"}')" "gpt-4o requests"
assert_eq 1 "$(metric 'aspen_requests_total{provider="openai",model="bad�model"}')" "requests with a model that is not UTF-8"
tin=$(rec_since event=request addr="$IP_OPENAI" model=gpt-4o-mini | "$H_PY" -c 'import json,sys; print(sum(json.loads(l)["tokens_in"] or 0 for l in sys.stdin))')
assert_eq "$tin" "$(metric 'aspen_tokens_total{provider="openai",model="gpt-4o-mini",type="input"}')" \
	"input tokens (as the provider reported them)"
assert_eq 15 "$(metric 'aspen_tokens_total{provider="openai",model="gpt-4o-mini",type="output"}')" "output tokens (3 x 5)"

# ---- redactions, uninspected, holds
assert_eq 1 "$(metric 'aspen_redactions_total{pattern="pii.ssn"}')" "SSNs masked"
assert_eq 1 "$(metric 'aspen_uninspected_total{reason="compressed"}')" "uninspected: compressed"
attach=$(audit_count event=tls_attach)
[ "$attach" -ge 6 ] || fail "expected a tls_attach line per curl, got $attach"
assert_eq "$attach" "$(metric 'aspen_hold_seconds_count{reason="tls_attach"}')" "threads held for probes"
assert_eq "$attach" "$(metric 'aspen_hold_seconds_bucket{reason="tls_attach",le="+Inf"}')" "hold histogram +Inf bucket"
assert_eq "$attach" "$(metric aspen_probe_attach_seconds_count)" "probe attach times"
assert_eq 0 "$(metric aspen_probed_processes)" "probed processes after the clients exited"
assert_eq 0 "$(metric aspen_lost_events_total)" "lost events"
sha=$(audit_field "$(audit_find event=policy_load | head -n1)" policy_sha256)
assert_eq 1 "$(metric "aspen_policy_info{policy=\"metrics\",policy_sha256=\"$sha\"}")" "policy in force"
# the kernel's run counts: 7 connect() calls (6 to openai, 1 to mistral)
runs=$(metric 'aspen_program_runs_total{program="aspen_connect4"}')
[ "$runs" -ge 7 ] || fail "aspen_connect4 runs: $runs, expected at least 7"
"$H_PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' \
	"$(metric 'aspen_program_run_seconds_total{program="aspen_connect4"}')" || fail "aspen_connect4 run time is 0"
# the SSN is in no label
assert_not_contains "$H_WORK/metrics.txt" "123-45-6789"

# a reload: counted, the same policy still in force, the counters kept
kill -HUP "$ASPEND_PID"
audit_wait event=policy_load reason=reload >/dev/null
scrape
assert_eq 1 "$(metric 'aspen_policy_loads_total{reason="reload"}')" "policy reloads"
assert_eq 1 "$(metric "aspen_policy_info{policy=\"metrics\",policy_sha256=\"$sha\"}")" "policy in force after the reload"
assert_eq 1 "$(metric 'aspen_redactions_total{pattern="pii.ssn"}')" "SSNs masked, after the reload"

# anything but /metrics: 404
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$M/")
assert_eq 404 "$code" "GET / status"
stop_aspend

# a port already taken: aspend refuses to start (exit 1), says why
"$H_PY" -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",19465)); s.listen(); time.sleep(30)' &
holder=$!
sleep 0.3
rc=0
"$ASPEND" "$obj" --cgroup "$H_CG" --audit "$H_WORK/other.jsonl" --no-resolve --metrics 127.0.0.1:19465 \
	>"$H_WORK/busy.log" 2>&1 || rc=$?
kill "$holder" 2>/dev/null || true
assert_eq 1 "$rc" "aspend with a busy --metrics port: exit status"
assert_contains "$H_WORK/busy.log" "cannot listen"
