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
# The client and the shell that put it in the cgroup are gone with it.
assert_eq "" "$(cat "$H_CG/cgroup.procs")" "processes in the cgroup after the client exited"

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

# Request-level tooling (the TLS tests): every client mode answers.
OA=https://api.openai.com/v1/chat/completions
py_client py-split "$OA" --mode split --chunks 3 --chunk-delay 0.05 --data "$(chat_body gpt-4o)"
assert_ok "python3 split head/body"
assert_contains "$C_OUT" '"done": true, "ok": 1, "failed": 0'
assert_eq 1 "$(rec_count event=request addr="$IP_OPENAI" model=gpt-4o)" "split request recorded with its model"

conns0=$(provider_conns "$IP_OPENAI")
py_client py-ka "$OA" --mode keepalive --data "$(chat_body gpt-4o-mini)" --data "$(chat_body gpt-3.5-turbo)"
assert_ok "python3 keep-alive"
assert_contains "$C_OUT" '"done": true, "ok": 2, "failed": 0'
assert_eq $((conns0 + 1)) "$(provider_conns "$IP_OPENAI")" "python3 keep-alive: one connection"
py_client py-ka-split "$OA" --mode keepalive --split --chunk-delay 0.05 --data "$(chat_body gpt-4o)" --data "$(chat_body gpt-4o)" --data "$(chat_body gpt-4o-mini)"
assert_ok "python3 keep-alive, split writes"
assert_contains "$C_OUT" '"ok": 3, "failed": 0'

node_client node-https "$OA" --data "$(chat_body gpt-4o)"
assert_ok "node https"
node_client node-fetch "$OA" --mode fetch --data "$(chat_body gpt-4o)"
assert_ok "node fetch (undici)"
assert_contains "$C_OUT" '"status":200'
conns0=$(provider_conns "$IP_OPENAI")
node_client node-ka "$OA" --mode keepalive --data "$(chat_body gpt-4o)" --data "$(chat_body gpt-3.5-turbo)"
assert_ok "node keep-alive"
assert_contains "$C_OUT" '"done":true,"ok":2,"failed":0'
assert_eq $((conns0 + 1)) "$(provider_conns "$IP_OPENAI")" "node keep-alive: one connection"

wget_post_call wget-post "$OA" "$(chat_body o1-preview)"
assert_ok "wget POST"
assert_eq 1 "$(rec_count event=request addr="$IP_OPENAI" model=o1-preview method=POST)" "wget POST recorded"

# curl keep-alive: two requests on one connection (--next).
conns0=$(provider_conns "$IP_OPENAI")
curl_next curl-ka "$OA" "$(chat_body gpt-4o-mini)" "$(chat_body o3-next)"
assert_ok "curl --next"
assert_eq 1 "$(rec_count event=request addr="$IP_OPENAI" model=o3-next)" "curl --next: second request"
assert_eq $((conns0 + 1)) "$(provider_conns "$IP_OPENAI")" "curl --next: one connection"

# Streaming answers carry usage in their last data chunk.
curl_call curl-stream "$OA" -N -H 'Content-Type: application/json' -d "$(chat_body gpt-4o-mini '"stream":true')"
assert_ok "curl streaming"
assert_contains "$C_OUT" 'data: [DONE]'
assert_contains "$C_OUT" '"completion_tokens": 3'
assert_eq 1 "$(rec_count event=request addr="$IP_OPENAI" stream=true tokens_out=3)" "streamed request recorded"
node_client node-stream https://api.anthropic.com/v1/messages --data "$(msg_body claude-sonnet-4 '"stream":true,"metadata":{"user_id":"bob"}')"
assert_ok "node anthropic streaming"
assert_contains "$C_OUT" 'message_delta'
assert_eq 1 "$(rec_count event=request addr="$IP_ANTHROPIC" user=bob stream=true)" "anthropic user_id recorded"

# gzip bodies and Expect: 100-continue.
chat_body gpt-4o | gzip -c >"$H_WORK/body.gz"
curl_call curl-gzip "$OA" -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @"$H_WORK/body.gz"
assert_ok "curl gzip body"
assert_eq 1 "$(rec_count event=request addr="$IP_OPENAI" encoding=gzip model=gpt-4o)" "gzip body recorded and read"
curl_call curl-expect "$OA" -H 'Content-Type: application/json' -H 'Expect: 100-continue' -d "$(chat_body gpt-4o-mini '"user":"expect-test"')"
assert_ok "curl Expect: 100-continue"
assert_eq 1 "$(rec_count event=request addr="$IP_OPENAI" expect=true user=expect-test)" "Expect request recorded"
assert_eq 0 "$(rec_count event=partial_request)" "partial requests"

# The official openai npm client (v4).
need_openai_sdk
sdk_call sdk gpt-4o --user sdk-user
assert_ok "openai sdk"
assert_contains "$C_OUT" '"status":200'
assert_eq 1 "$(rec_count event=request addr="$IP_OPENAI" user=sdk-user model=gpt-4o path=/v1/chat/completions)" "sdk request recorded"
sdk_call sdk-stream gpt-4o-mini --stream
assert_ok "openai sdk streaming"
assert_contains "$C_OUT" '"completion_tokens":3'

# A held client: inspected alive, no breakpoint without aspend.
client_bg held env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/http_client.py" "$OA" --data "$(chat_body gpt-4o)" --hold "$H_WORK/release"
wait_output "$C_OUT" '"held": true'
assert_eq 0 "$(breakpoint_total "$BG_PID")" "breakpoints in a python3 client without aspend"
touch "$H_WORK/release"
wait_gone "$BG_PID" 10 || fail "held client did not exit after release"

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
