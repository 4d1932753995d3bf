#!/usr/bin/env bash
# Enforcement outlives aspend (issue 14). With a connect + request policy
# pinned under /sys/fs/bpf/aspen/<scope>/:
#  1. kill -9 aspend: the programs stay attached; a forbidden provider is
#     refused at connect(); an unapproved model is denied with zero bytes at
#     the provider from a process probed before (python) and from new
#     processes (curl, python: decided by `uninspectable` at connect, never
#     stopped); the watchdog resumed what was held; no process is stopped.
#  2. a new aspend adopts the pinned policy: the records the kernel queued
#     while no aspend ran are in the trail, the hash chain continues, and a
#     client loop running throughout never got an unapproved model through
#     nor had an approved one fail (a python and a node loop).
#  3. --takeover: a third aspend replaces the running one (it hands over and
#     exits 0); the same loops are still never wrong.
#  4. two aspends on one scope: the second refuses with a clear message.
#  5. SIGTERM detaches and unpins everything (bpffs and bpftool show none).
source "$(dirname "$0")/../lib/harness.sh"
harness_start outlives

obj=$(contract_policy deny | make_policy tls)
OPENAI=https://api.openai.com/v1/chat/completions
scope=${H_CG_REL#/}
scope=${scope//\//+}
PIN=/sys/fs/bpf/aspen/$scope

# no_stopped_process WHAT: no process of the cgroup is in state T
no_stopped_process() {
	local p st
	for p in $(cat "$H_CG/cgroup.procs"); do
		st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$p/stat" 2>/dev/null || true)
		[ "$st" != T ] || fail "$1: pid $p ($(cat "/proc/$p/comm")) is stopped"
	done
}

# loop_since T: the loop's lines with t >= T, as "model ok" pairs
loop_since() {
	"$H_PY" -c '
import json, sys
for l in open(sys.argv[1]):
    try:
        e = json.loads(l)
    except ValueError:
        continue
    if e["t"] >= float(sys.argv[2]):
        print(e["model"], "ok" if e["ok"] else "failed")
' "$LOOP_OUT" "$1"
}

# loop_check WHAT T: since T, each loop (python, node) made approved and
# unapproved requests, every approved one answered, every unapproved one
# failed.
loop_check() {
	local out LOOP_OUT=$LOOP_OUT
	loop_check_one "$1 (python)" "$2"
	LOOP_OUT=$NODE_LOOP_OUT
	loop_check_one "$1 (node)" "$2"
}

loop_check_one() {
	local out
	out=$(loop_since "$2")
	log "$1: loop since $2: $(printf '%s\n' "$out" | sort | uniq -c | tr '\n' ';')"
	printf '%s\n' "$out" | grep -q '^gpt-4o-mini ok$' || fail "$1: no approved request answered"
	printf '%s\n' "$out" | grep -q '^gpt-3.5-turbo failed$' || fail "$1: no unapproved request tried"
	! printf '%s\n' "$out" | grep -q '^gpt-4o-mini failed$' || fail "$1: an approved request failed"
	! printf '%s\n' "$out" | grep -q '^gpt-3.5-turbo ok$' || fail "$1: an unapproved request was answered"
}

# the longest gap between two answered approved requests from T [to T2] (ms)
loop_gap_ms() {
	"$H_PY" -c '
import json, sys
hi = float(sys.argv[3]) if len(sys.argv) > 3 else 1e12
ts = [e["t"] for e in map(json.loads, open(sys.argv[1])) if e["ok"] and float(sys.argv[2]) <= e["t"] < hi]
print(int(max((b - a for a, b in zip(ts, ts[1:])), default=0) * 1000))
' "$LOOP_OUT" "$@"
}

start_aspend "$obj"
[ -e "$PIN/link:cgroup:connect4" ] || fail "no pinned connect4 link in $PIN: $(ls "$PIN")"
[ -e "$PIN/map:aspen_sockhash" ] || fail "no pinned SOCKHASH in $PIN"
[ -e "$PIN/state" ] || fail "no pinned state in $PIN"

# a long-running python process, probed at its first connection
rm -f "$H_WORK/loop.stop"
client_bg loop env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/loop_client.py" --interval 0.05 \
	"$OPENAI" "$H_WORK/loop.stop" gpt-4o-mini gpt-3.5-turbo
LOOP_OUT=$C_OUT LOOP_PID=$BG_PID
# the same from node (its OpenSSL is linked into the node binary)
client_bg node-loop env NODE_EXTRA_CA_CERTS="$H_CA" "$H_NODE" "$H_LIB/loop_client.js" \
	--interval 0.05 "$OPENAI" "$H_WORK/loop.stop" gpt-4o-mini gpt-3.5-turbo
NODE_LOOP_OUT=$C_OUT NODE_LOOP_PID=$BG_PID
wait_output "$LOOP_OUT" '"model": "gpt-3.5-turbo", "ok": false'
wait_output "$NODE_LOOP_OUT" '"model":"gpt-3.5-turbo","ok":false'
t_start=$(date +%s.%N)
sleep 0.5
loop_check "aspend running" "$t_start"

# ---- 1. kill -9
# (the loop keeps a connection open: mark the provider's log by hand)
PM_ADDR=$IP_OPENAI PM_LOGN=$(wc -l <"$H_REC/log.jsonl")
kill -KILL "$ASPEND_PID"
wait "$ASPEND_PID" 2>/dev/null || true
ASPEND_PID=
t_kill=$(date +%s.%N)
log "aspend killed (SIGKILL)"
[ -n "$(bpf_cgroup_progs)" ] || fail "nothing attached to the cgroup after SIGKILL"
wait_output "$H_WORK/aspend.log" "watchdog: aspend" 5

curl_call killed-mistral https://api.mistral.ai/
assert_refused "after SIGKILL: curl to a forbidden provider"
assert_eq 0 "$(provider_bytes "$IP_MISTRAL")" "after SIGKILL: bytes at the forbidden provider"

t0=$(date +%s%N)
curl_call killed-curl "$OPENAI" -H 'Content-Type: application/json' -d "$(chat_body gpt-3.5-turbo)"
assert_failed "after SIGKILL: a new curl asking for an unapproved model"
CURL_PID=$C_PID
py_call killed-py "$OPENAI" "$(chat_body gpt-3.5-turbo)"
assert_failed "after SIGKILL: a new python asking for an unapproved model"
PY_PID=$C_PID
elapsed=$((($(date +%s%N) - t0) / 1000000))
log "two new processes decided in $elapsed ms"
[ "$elapsed" -lt 8000 ] || fail "new processes took $elapsed ms: were they stopped?"
sleep 1
loop_check "after SIGKILL (probed python, pinned probes)" "$t_kill"
log "longest gap between answered approved requests while aspend ran: $(loop_gap_ms "$t_start" "$t_kill") ms"
no_stopped_process "after SIGKILL"
assert_eq 0 "$(rec_since event=request addr="$IP_OPENAI" model=gpt-3.5-turbo | wc -l)" \
	"after SIGKILL: unapproved requests at the provider"
assert_eq 0 "$(rec_since event=partial_request addr="$IP_OPENAI" | wc -l)" \
	"after SIGKILL: partial requests at the provider"
"$ASPEND" --status >"$H_WORK/status-dead.txt"
cat "$H_WORK/status-dead.txt" >&2
assert_contains "$H_WORK/status-dead.txt" "none alive" "--status with aspend dead"
assert_contains "$H_WORK/status-dead.txt" "scope $scope" "--status names the scope"

# ---- 4 (first half). a second aspend on a live scope refuses; tried after 2.

# ---- 2. restart: adopt
lines_before=$(wc -l <"$H_AUDIT")
t_restart=$(date +%s.%N)
start_aspend "$obj"
assert_contains "$H_WORK/aspend.log" "adopting the pinned policy" "the restarted aspend adopts"
audit_wait event=policy_load reason=adopt >/dev/null
# what the kernel decided while no aspend ran is in the trail now
audit_wait event=connect pid="$CURL_PID" rule=uninspectable decision=deny >/dev/null
audit_wait event=connect pid="$PY_PID" rule=uninspectable decision=deny >/dev/null
kept=$("$H_PY" -c '
import json, sys, datetime
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] in ("connect", "request") and e.get("pid") != None:
        t = datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
        n += float(sys.argv[2]) <= t < float(sys.argv[3])
print(n)' "$H_AUDIT" "$t_kill" "$t_restart")
log "records from while aspend was dead, now in the trail: $kept"
assert_gt 3 "$kept" "records kept across SIGKILL"
audit_check_chain
sleep 1
loop_check "across the restart" "$t_kill"
log "longest gap between answered approved requests across kill + restart: $(loop_gap_ms "$t_kill") ms"

# ---- 4. a second aspend on the same scope refuses
live=$ASPEND_PID
aspend_refuses "$obj"
ASPEND_PID=$live
grep -q "enforced by a running aspend" "$REFUSED_LOG" || fail "second aspend: no clear refusal: $(cat "$REFUSED_LOG")"

# ---- 3. takeover while running
old_pid=$ASPEND_PID
t_take=$(date +%s.%N)
start_aspend "$obj" --takeover
wait_gone "$old_pid" 5 || fail "the aspend taken over did not exit"
grep -q "handed the pinned policy over" "$H_WORK/aspend.log" || fail "no hand-over line"
sleep 1
loop_check "across --takeover" "$t_take"
log "longest gap between answered approved requests across --takeover: $(loop_gap_ms "$t_take") ms"
audit_check_chain

touch "$H_WORK/loop.stop"
wait_gone "$LOOP_PID" 10 || fail "loop client did not stop"
wait_gone "$NODE_LOOP_PID" 10 || fail "node loop client did not stop"
no_stopped_process "end"

# ---- 5. SIGTERM: nothing of ours left
stop_aspend TERM
[ ! -e "$PIN" ] || fail "$PIN still exists after SIGTERM: $(ls "$PIN")"
assert_eq "" "$(bpf_cgroup_progs)" "programs attached to the cgroup after SIGTERM"
