#!/usr/bin/env bash
# Start-up never waits on DNS (issue 14): with a DNS server that does not
# answer, aspend attaches what --hosts knows, is enforcing in well under a
# second, and resolves the provider names in the background, saying in the
# log when each one's addresses arrive (here api.mistral.ai, which only
# /etc/hosts names: it is refused at connect() once resolved). The same
# start with --no-resolve is the baseline; both figures are logged.
source "$(dirname "$0")/../lib/harness.sh"
harness_start start-no-dns

obj=$(make_policy conn <"$H_POLICIES/connect-allowlist.asp")
grep -v 'api.mistral.ai' "$H_HOSTS" >"$H_WORK/hosts-partial"

# enforcing_ms: the "N ms after start" of aspend's enforcing line
enforcing_ms() {
	sed -n 's/.* enforcing in cgroup .*, \([0-9]*\) ms after start.*/\1/p' "$H_WORK/aspend.log" | tail -n 1
}

# baseline: no resolver at all
start_aspend "$obj"
base=$(enforcing_ms)
stop_aspend
log "start to enforcing, --no-resolve: $base ms"

# every name the resolver asks the DNS server about goes unanswered
start_fake_dns 127.0.0.53 'silent:*=192.0.2.1'
ready=$H_WORK/aspend.ready
rm -f "$ready"
t0=$(date +%s%N)
"$ASPEND" "$obj" --cgroup "$H_CG" --audit "$H_AUDIT" --hosts "$H_WORK/hosts-partial" \
	--ready-file "$ready" >>"$H_WORK/aspend.log" 2>&1 &
ASPEND_PID=$!
for _ in $(seq 100); do [ -e "$ready" ] && break; sleep 0.01; done
[ -e "$ready" ] || fail "aspend not ready 1 s after start with a silent DNS server"
wall=$((($(date +%s%N) - t0) / 1000000))
dns=$(enforcing_ms)
log "start to enforcing, silent DNS: $dns ms (ready file after $wall ms)"
[ "$dns" -lt 1000 ] || fail "enforcing $dns ms after start with a silent DNS server (want < 1000)"

# enforcing already: a provider from --hosts is refused at once
curl_call deepseek https://api.deepseek.com/
assert_refused "right after start: a forbidden provider from --hosts"

# the names arrive later, each said in the log
wait_output "$H_WORK/aspend.log" "resolved api.mistral.ai:" 30
curl_call mistral https://api.mistral.ai/
assert_refused "once resolved: a forbidden provider named only by /etc/hosts"
assert_eq 0 "$(provider_bytes "$IP_MISTRAL")" "bytes at the forbidden provider"
grep -c "resolved .*: .* new address(es) in force" "$H_WORK/aspend.log" | while read -r n; do log "$n name(s) resolved in the background"; done
stop_aspend
