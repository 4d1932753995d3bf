#!/usr/bin/env bash
# The trail across a SIGKILL (issue 14): while no aspend runs, the pinned
# policy keeps deciding and queues its records in the pinned ring buffer.
# A burst of N denied connects (more than the 8 MiB ring holds) is made
# with aspend dead; the aspend that adopts the policy writes every record
# the ring kept, and one `lost` line counts the rest: connect lines + lost
# = N exactly. The hash chain continues across the restart.
source "$(dirname "$0")/../lib/harness.sh"
harness_start outlives-ring

obj=$(make_policy conn <"$H_POLICIES/connect-allowlist.asp")
N=${ASPEN_RING_BURST:-30000}

start_aspend "$obj"
curl_call before https://api.mistral.ai/
assert_refused "aspend running"
kill -KILL "$ASPEND_PID"
wait "$ASPEND_PID" 2>/dev/null || true
ASPEND_PID=
wait_output "$H_WORK/aspend.log" "watchdog: aspend" 5

# N connects to a denied provider, one process, aspend dead
client burst "$H_PY" -c '
import errno, socket, sys
n, refused = int(sys.argv[2]), 0
for _ in range(n):
    s = socket.socket()
    try:
        s.connect((sys.argv[1], 443))
    except PermissionError:
        refused += 1
    except OSError:
        pass
    s.close()
print(refused)
' "$IP_MISTRAL" "$N"
assert_ok "the burst"
assert_eq "$N" "$(cat "$C_OUT")" "connects refused while aspend is dead"
BURST_PID=$C_PID

start_aspend "$obj"
grep -q "adopting the pinned policy" "$H_WORK/aspend.log" || fail "the restart did not adopt"
lost_line=$(audit_wait event=lost)
lost=$(audit_field "$lost_line" count)
kept=0
for _ in $(seq 100); do
	kept=$(audit_count event=connect pid="$BURST_PID")
	[ $((kept + lost)) -ge "$N" ] && break
	sleep 0.2
done
log "burst of $N denied connects while aspend was dead: $kept in the trail after the restart, $lost counted lost"
assert_eq "$N" "$((kept + lost))" "connect lines + lost after the restart"
assert_gt 10000 "$kept" "records kept across the SIGKILL"
audit_check_chain
stop_aspend
