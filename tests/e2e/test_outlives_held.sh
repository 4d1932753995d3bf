#!/usr/bin/env bash
# SIGKILL while a process is held for its TLS probes (issue 14): aspend is
# frozen (SIGSTOP) so that it cannot attach them, a new curl's first provider
# connection stops it (the kernel holds it for the probes), then aspend is
# killed. The watchdog sees it die, resumes the held curl within the bound
# (here 3 s, typically milliseconds) and the kernel stops holding: the curl's
# request was inspected by nobody, so `uninspectable deny` drops it in
# sk_msg: zero bytes at the provider, no process left stopped.
source "$(dirname "$0")/../lib/harness.sh"
harness_start outlives-held

obj=$(contract_policy deny | make_policy tls)
OPENAI=https://api.openai.com/v1/chat/completions


start_aspend "$obj"
provider_mark "$IP_OPENAI"
kill -STOP "$ASPEND_PID"
client_bg held env "$H_CURL" -sS --max-time 15 --cacert "$H_CA" -H 'Content-Type: application/json' \
	-d "$(chat_body gpt-4o-mini)" "$OPENAI"
CURL_PID=$BG_PID
# the bash wrapper execs env, which execs curl: the same pid
kill_aspend_held "$CURL_PID" "curl at its first provider connection"
rc=0
wait "$CURL_PID" || rc=$?
log "curl: status $rc: $(cat "$C_ERR")"
[ "$rc" -ne 0 ] || fail "the held curl's request was answered: it was inspected by nobody"
assert_nothing_arrived "the held request after SIGKILL"
wait_output "$H_WORK/aspend.log" "1 held process(es) resumed" 2
for p in $(cat "$H_CG/cgroup.procs"); do
	[ "$(proc_state "$p")" != T ] || fail "pid $p is left stopped"
done
