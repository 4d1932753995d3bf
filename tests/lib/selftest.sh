#!/usr/bin/env bash
# selftest.sh: checks the e2e harness itself, without aspenc or aspend:
# namespaces, hosts mapping, test CA, fake providers and their recorder,
# every client, the child cgroup and its removal. Run as root.
H_NEED_ASPEN=0
source "$(dirname "$0")/harness.sh"
harness_start selftest

assert_eq "$IP_OPENAI api.openai.com" "$(getent hosts api.openai.com | awk '{print $1, $2}')" "hosts mapping"
[ -d "$H_CG" ] || fail "no child cgroup"

curl_call curl https://api.openai.com/v1/chat/completions -d "$CHAT_BODY" -H 'Content-Type: application/json'
assert_ok "curl"
assert_contains "$C_OUT" '"prompt_tokens"'
grep -qx "$C_PID" "$H_CG/cgroup.procs" 2>/dev/null && fail "client still in cgroup after exit"

py_call py https://api.anthropic.com/v1/messages "$MSG_BODY"
assert_ok "python3"
assert_contains "$C_OUT" '"input_tokens'
assert_contains "$C_OUT" "\"pid\": $C_PID"

node_call node https://api.openai.com/v1/chat/completions "$CHAT_BODY"
assert_ok "node"
assert_contains "$C_OUT" "\"pid\":$C_PID"

wget_call wget https://api.openai.com/
assert_ok "wget"
assert_eq ok "$(cat "$C_OUT")" "wget body"

# The client really ran inside the child cgroup.
client cg "$BASH" -c 'cat /proc/self/cgroup'
assert_contains "$C_OUT" "0::$H_CG_REL"

# A refused connection (nothing listens on port 444) gives status 7.
py_call refused https://api.openai.com:444/
assert_eq 7 "$C_RC" "python3 refused connection"
node_call refused-node https://api.openai.com:444/
assert_eq 7 "$C_RC" "node refused connection"

# The recorder: what curl sent is on file, byte for byte.
assert_eq 3 "$(provider_requests "$IP_OPENAI")" "requests at openai (curl, node, wget)"
grep -lF "$CHAT_BODY" "$H_REC/$IP_OPENAI"/*.req >/dev/null || fail "chat body not recorded"
[ "$(provider_bytes "$IP_OPENAI")" -gt 0 ] || fail "no bytes recorded at openai"
assert_eq 0 "$(provider_bytes "$IP_MISTRAL")" "bytes at mistral"
assert_eq 0 "$(provider_conns "$IP_MISTRAL")" "connections at mistral"

# UDP recorder.
udp_call udp api.deepseek.com hello
assert_ok "udp send"
sleep 0.3
assert_eq 5 "$(provider_udp_bytes "$IP_DEEPSEEK")" "udp bytes at deepseek"

# A background process in the cgroup is killed by the cleanup.
in_cgroup_bg sleep 300
sleep 0.2
grep -qx "$BG_PID" "$H_CG/cgroup.procs" || fail "background process not in the cgroup"
assert_eq "" "$(bpf_cgroup_progs)" "programs attached to the fresh cgroup"
