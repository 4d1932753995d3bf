#!/usr/bin/env bash
# process.cgroup rules, with a cgroup created while aspend runs (as a
# container starting would): aspend learns it from the cgroup_mkdir
# tracepoint, the client in it is denied, one in the parent is allowed, the
# audit names the cgroup, and aspend survives (it once crashed writing into
# the read-only ring buffer when a cgroup appeared).
# A cgroup aspend has not seen (its mkdir not read yet, or lost with a full
# ring: here its entry is removed from the pinned map) must not walk around
# the rule: before, its bits read 0 and the client in it reached the
# provider. Now its first provider connection is decided by `uninspectable`
# ("cgroup_unknown"), aspend records the cgroup, and the next one is denied
# by the rule. A removed cgroup's entry goes with it (cgroup_rmdir).
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
trap 'rc=$?; set +e; kill_cgroup "$child"; rmdir "$child" 2>/dev/null; (exit $rc); harness_cleanup' EXIT
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

scope=${H_CG_REL#/}
scope=${scope//\//+}
CG_MAP=/sys/fs/bpf/aspen/$scope/map:aspen_cgroup
[ -e "$CG_MAP" ] || fail "no pinned aspen_cgroup map at $CG_MAP"
# key_of ID: the map key (a __u64 cgroup id, little endian) as bpftool's hex bytes
key_of() {
	local i out=hex
	for i in 0 8 16 24 32 40 48 56; do out+=$(printf ' %02x' $((($1 >> i) & 255))); done
	echo "$out"
}
has_entry() { bpftool map lookup pinned "$CG_MAP" key $(key_of "$1") >/dev/null 2>&1; }

unseen=$H_CG/jobs-43
trap 'rc=$?; set +e; for d in "$child" "$unseen"; do [ ! -d "$d" ] || { kill_cgroup "$d"; rmdir "$d" 2>/dev/null || true; }; done; (exit $rc); harness_cleanup' EXIT
mkdir "$unseen"
unseen_id=$(stat -c %i "$unseen")
for i in $(seq 50); do has_entry "$unseen_id" && break; sleep 0.1; done
has_entry "$unseen_id" || fail "aspend made no aspen_cgroup entry for $H_CG_REL/jobs-43"
bpftool map delete pinned "$CG_MAP" key $(key_of "$unseen_id") || fail "cannot remove the entry of jobs-43"
H_CG=$unseen
curl_call curl-unseen https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
H_CG=$parent_cg
assert_eq 7 "$C_RC" "curl in a cgroup aspend has not seen: exit status"
audit_wait event=connect decision=deny rule=uninspectable unparsed=cgroup_unknown pid="$C_PID" \
	cgroup="$H_CG_REL/jobs-43" >/dev/null
for i in $(seq 50); do has_entry "$unseen_id" && break; sleep 0.1; done
has_entry "$unseen_id" || fail "aspend did not record jobs-43 after its cgroup_unknown connection"
H_CG=$unseen
curl_call curl-unseen-again https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
H_CG=$parent_cg
assert_eq 7 "$C_RC" "curl in jobs-43, recorded again: exit status"
audit_wait event=connect decision=deny rule=sandboxed_jobs pid="$C_PID" cgroup="$H_CG_REL/jobs-43" >/dev/null

# a removed cgroup's entry goes with it
child_id=$(stat -c %i "$child")
has_entry "$child_id" || fail "no aspen_cgroup entry for jobs-42"
kill_cgroup "$child"
rmdir "$child"
has_entry "$child_id" && fail "the entry of the removed jobs-42 is still in aspen_cgroup"

aspend_alive || fail "aspend died"
assert_eq 1 "$(provider_requests "$IP_OPENAI")" "requests that reached openai"
stop_aspend
