#!/usr/bin/env bash
# `kill` in a request rule: the process that writes the request is killed
# (SIGKILL) before the request leaves (zero bytes at the provider), and the
# audit says kill. In monitor mode the same request passes as would_kill.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-kill

policy() { # MODE
	cat <<EOF_POLICY
policy "tls-kill"
default allow
uninspectable deny
mode $1
import "providers"
rule exfiltration_model { on request  when request.model == "gpt-exfil*"  kill }
EOF_POLICY
}
OA=https://api.openai.com/v1/chat/completions

obj=$(policy enforce | make_policy kill-enforce)
start_aspend "$obj"
provider_mark "$IP_OPENAI"
py_call py-kill "$OA" "$(chat_body gpt-exfil-1)"
assert_eq 137 "$C_RC" "python3 writing a kill-rule request: exit status (SIGKILL)"
assert_nothing_arrived "killed request"
audit_wait event=request decision=kill rule=exfiltration_model model=gpt-exfil-1 pid="$C_PID" >/dev/null

py_call py-fine "$OA" "$(chat_body gpt-4o-mini)"
assert_ok "python3 with another model"
stop_aspend

obj=$(policy monitor | make_policy kill-monitor)
start_aspend "$obj"
provider_mark "$IP_OPENAI"
py_call py-would-kill "$OA" "$(chat_body gpt-exfil-2)"
assert_ok "python3 in monitor mode"
assert_arrived "monitor mode" 1 model=gpt-exfil-2
audit_wait event=request decision=would_kill rule=exfiltration_model pid="$C_PID" >/dev/null
stop_aspend
