#!/usr/bin/env bash
# process.cgroup rules, with a cgroup created while aspend runs (as a
# container starting would): aspend learns it from the cgroup_mkdir
# tracepoint, the client in it is denied, one in the parent is allowed, the
# audit names the cgroup, and aspend survives (it once crashed writing into
# the read-only ring buffer when a cgroup appeared).
source "$(dirname "$0")/../lib/harness.sh"
harness_start cgroup-rules

obj=$(make_policy cgroup-rules <<EOF_POLICY
policy "cgroup-rules"
default allow
import "providers"

rule sandboxed_jobs {
  on connect
  when process.cgroup == "$H_CG_REL/jobs-*"
  deny "batch jobs may not call AI providers"
}
EOF_POLICY
)
start_aspend "$obj"

child=$H_CG/jobs-42
trap 'rc=$?; kill_cgroup "$child"; rmdir "$child" 2>/dev/null; (exit $rc); harness_cleanup' EXIT
mkdir "$child"
sleep 0.3 # the mkdir event reaches aspend through the ring buffer

parent_cg=$H_CG
H_CG=$child
curl_call curl-job https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
H_CG=$parent_cg
assert_eq 7 "$C_RC" "curl in $H_CG_REL/jobs-42: exit status"
line=$(audit_wait event=connect decision=deny rule=sandboxed_jobs pid="$C_PID")
assert_eq "$H_CG_REL/jobs-42" "$(audit_field "$line" cgroup)" "audit cgroup"

curl_call curl-parent https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
assert_ok "curl in the parent cgroup"
audit_wait event=connect decision=allow rule=default pid="$C_PID" cgroup="$H_CG_REL" >/dev/null

aspend_alive || fail "aspend died"
assert_eq 1 "$(provider_requests "$IP_OPENAI")" "requests that reached openai"
stop_aspend
