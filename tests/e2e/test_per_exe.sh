#!/usr/bin/env bash
# Rules keyed on the executable: the same provider is allowed for python3 and
# denied for curl. The exe paths are the real resolved binaries (python3 may
# be a pyenv shim; the kernel sees the interpreter it execs).
source "$(dirname "$0")/../lib/harness.sh"
harness_start per-exe

obj=$(per_exe_policy)
start_aspend "$obj"

py_call py-openai https://api.openai.com/v1/chat/completions "$CHAT_BODY"
assert_ok "python3 to openai"
assert_contains "$C_OUT" '"status": 200'
audit_wait event=connect decision=allow rule=python_openai provider=openai pid="$C_PID" exe="$H_PY" >/dev/null

curl_call curl-openai https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
assert_eq 7 "$C_RC" "curl to openai: exit status"
audit_wait event=connect decision=deny rule=no_curl_openai provider=openai pid="$C_PID" exe="$H_CURL" comm=curl >/dev/null

# node matches neither rule: the default decides.
node_call node-openai https://api.openai.com/v1/chat/completions "$CHAT_BODY"
assert_eq 7 "$C_RC" "node to openai: exit status"
audit_wait event=connect decision=deny rule=default provider=openai pid="$C_PID" exe="$H_NODE" >/dev/null

# Only python's request reached the provider.
assert_eq 1 "$(provider_requests "$IP_OPENAI")" "requests that reached openai"
assert_eq 1 "$(provider_conns "$IP_OPENAI")" "connections that reached openai"
stop_aspend
