#!/usr/bin/env bash
# tests/lib/sweep-stale.sh, which scripts/test.sh runs before ctest, removes
# what an interrupted run left (a test cgroup aspen-test-NAME-PID whose test
# process is gone, the aspend scoped to it, its pinned policy) and nothing
# else: a live test's cgroup, its aspend and its enforcement stay. (Session
# 29: a suite killed mid-test left its policy pinned, and CI on the same
# machine failed test_teardown and test_unload on it.)
source "$(dirname "$0")/../lib/harness.sh"
harness_start sweep-stale

obj=$(make_policy conn <"$H_POLICIES/connect-allowlist.asp")

# a dead test's leftovers: its cgroup (named after a pid that is gone), a
# pinned policy scoped to it, an aspend still running for it
sleep 0 &
dead=$!
wait "$dead"
! kill -0 "$dead" 2>/dev/null || skip_or_fail "pid $dead was reused at once"
victim=$(cgroup2_mount)/aspen-test-sweepvictim-$dead
vscope=aspen-test-sweepvictim-$dead
mkdir "$victim"
own_cg=$H_CG own_audit=$H_AUDIT
H_CG=$victim H_AUDIT=$H_WORK/victim-audit.jsonl
start_aspend "$obj" --keep-on-exit
stop_aspend TERM
start_aspend "$obj" # adopts it, and keeps running: an aspend of the dead run
victim_aspend=$ASPEND_PID
ASPEND_PID=
H_FAKE_PIDS+=("$victim_aspend") # the clean-up stops it if the test fails first
H_CG=$own_cg H_AUDIT=$own_audit
[ -d "/sys/fs/bpf/aspen/$vscope" ] || fail "no pinned policy for the victim scope"

# this test's own policy, live
start_aspend "$obj" --keep-on-exit
curl_call before https://api.mistral.ai/
assert_refused "own policy before the sweep"

ASPEND=$ASPEND "$H_LIB/sweep-stale.sh" >"$H_WORK/sweep.txt" 2>&1 || fail "sweep-stale.sh failed: $(cat "$H_WORK/sweep.txt")"
cat "$H_WORK/sweep.txt" >&2
assert_contains "$H_WORK/sweep.txt" "killing aspend $victim_aspend" "the sweep kills the dead run's aspend"
assert_contains "$H_WORK/sweep.txt" "unloaded /sys/fs/bpf/aspen/$vscope" "the sweep unloads the dead run's policy"
wait_gone "$victim_aspend" 5 || fail "the dead run's aspend $victim_aspend still runs"
wait "$victim_aspend" 2>/dev/null || true
[ ! -e "/sys/fs/bpf/aspen/$vscope" ] || fail "/sys/fs/bpf/aspen/$vscope is left"
[ ! -d "$victim" ] || fail "$victim is left"

# what is alive was not touched
kill -0 "$ASPEND_PID" 2>/dev/null || fail "the sweep stopped this test's aspend"
[ -d "$H_CG" ] || fail "the sweep removed this test's cgroup"
own_scope=${H_CG_REL#/}
[ -d "/sys/fs/bpf/aspen/$own_scope" ] || fail "the sweep unloaded this test's policy"
curl_call after https://api.mistral.ai/
assert_refused "own policy after the sweep"
stop_aspend TERM
