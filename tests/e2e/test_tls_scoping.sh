#!/usr/bin/env bash
# TLS probes only where AI traffic is: a process in the governed cgroup that
# talks TLS to a non-provider gets no uprobe (no tls_attach line, no
# breakpoint in its memory), even while another process of the same cgroup
# that talks to a provider, through the same libssl file, has them; when that
# provider client exits, aspend drops its uprobes.
#
# Breakpoints are counted in the process itself (breakpoints_in: bytes of its
# executable mappings that are int3 in memory but not in the file); aspend's
# uprobe attachments with `bpftool perf show` (pid = the holder, aspend) and
# its uprobe_multi links.
source "$(dirname "$0")/../lib/harness.sh"
harness_start tls-scoping

obj=$(contract_policy | make_policy tls)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null

OA=https://api.openai.com/v1/chat/completions
PYC=(env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/http_client.py")
base=$(aspend_uprobes)
log "uprobes held by aspend at start: $base"

# ---- a short-lived curl to a non-provider: answered, never probed
curl_call curl-internal https://internal.example.test/
assert_ok "curl to internal.example.test"
internal_curl=$C_PID

# ---- two live python3 processes, same cgroup, same libssl: one talks to a
# provider, the other to the internal service
client_bg py-internal "${PYC[@]}" https://internal.example.test/ --hold "$H_WORK/release-internal"
internal_pid=$BG_PID
internal_out=$C_OUT
client_bg py-provider "${PYC[@]}" "$OA" --data "$(chat_body gpt-4o)" --hold "$H_WORK/release-provider"
provider_pid=$BG_PID
provider_out=$C_OUT
wait_output "$internal_out" '"held": true'
wait_output "$provider_out" '"held": true'
assert_contains "$internal_out" '"status": 200' "internal client's answer"
assert_contains "$provider_out" '"status": 200' "provider client's answer"

assert_tls_attach "$provider_pid" "$H_PY"
audit_wait event=request decision=allow pid="$provider_pid" >/dev/null
bp=$(breakpoints_in "$provider_pid")
log "breakpoints in the provider client: $(echo "$bp" | tr '\n' ' ')"
assert_gt 0 "$(echo "$bp" | awk '$1 == "total" { print $2 }')" "breakpoints in the provider client"
echo "$bp" | grep -qF "$(tls_lib_of "$H_PY") " || fail "no breakpoint in $(tls_lib_of "$H_PY") of the provider client"
during=$(aspend_uprobes)
assert_gt "$base" "$during" "uprobes held by aspend while the provider client runs"

bp=$(breakpoints_in "$internal_pid")
assert_eq "total 0" "$bp" "breakpoints in the internal (non-provider) client"
audit_none event=tls_attach pid="$internal_pid"
audit_none event=tls_attach pid="$internal_curl"
audit_none pid="$internal_pid"
audit_none host=internal.example.test

# ---- the provider client exits: its uprobes go
touch "$H_WORK/release-provider"
wait_gone "$provider_pid" 10 || fail "provider client did not exit after release"
for i in $(seq 50); do
	[ "$(aspend_uprobes)" -le "$base" ] && break
	sleep 0.1
done
assert_eq "$base" "$(aspend_uprobes)" "uprobes held by aspend 5 s after the provider client exited"

# The internal client never got any, even now.
assert_eq "total 0" "$(breakpoints_in "$internal_pid")" "breakpoints in the internal client at the end"
touch "$H_WORK/release-internal"
wait_gone "$internal_pid" 10 || fail "internal client did not exit after release"
stop_aspend
