#!/usr/bin/env bash
# Provider connections that were open before aspend started (no connect()
# of theirs decided, no byte inspected, never filed for sk_msg): at a fresh
# start aspend sweeps the scope's TCP sockets (iter/tcp) and the policy's
# `uninspectable` setting decides each. With `deny` the connection is shut
# down: the request the client sends on it next never reaches the provider,
# the client's next connection is inspected as usual, and the trail has a
# deny/uninspectable/"existing" line naming the process. With `allow` it is
# left and audited the same way, "decision":"allow". A connection of a
# process outside the scope is never touched. Until session 43 such a
# connection went on uninspected and unaudited for as long as it lived.
# The same after a reload from a connect-only policy (whose connections
# leave sk_msg after their ClientHello) to one with request rules: until
# session 43 the connections opened before the reload were never read.
source "$(dirname "$0")/../lib/harness.sh"
harness_start existing-conns

OA_HOST=api.openai.com

# keepalive_client OUT READY GO [inside]: python http.client, one
# connection: request 1 (gpt-4o), then READY and wait for GO, request 2 on
# the SAME connection (its body marked "second"), then request 3 on a new
# connection. One JSON line per request. In the background; inside: in the
# test's cgroup (else in this shell's). Prints its pid.
keepalive_client() {
	local out=$1 ready=$2 go=$3 cg=${4:+$H_CG}
	"$BASH" -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs"; shift; exec "$@"' aspen-client "$cg" \
		env SSL_CERT_FILE="$H_CA" "$H_PY" - "$OA_HOST" "$ready" "$go" >"$out" 2>&1 <<'EOP' &
import http.client, json, os, sys, time
host, ready, go = sys.argv[1:4]
def call(conn, n, note):
    body = json.dumps({"messages": [{"role": "user", "content": note}], "model": "gpt-4o"})
    try:
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        print(json.dumps({"pid": os.getpid(), "req": n, "status": r.status}), flush=True)
    except OSError as e:
        print(json.dumps({"pid": os.getpid(), "req": n, "error": type(e).__name__}), flush=True)
c = http.client.HTTPSConnection(host, 443, timeout=15)
call(c, 1, "first")
open(ready, "w").close()
for _ in range(600):
    if os.path.exists(go):
        break
    time.sleep(0.05)
call(c, 2, "second on the old connection")
call(http.client.HTTPSConnection(host, 443, timeout=15), 3, "third on a new connection")
EOP
	echo $!
}

# client_done OUT: its third request's line is there (30 s at most)
client_done() {
	for _ in $(seq 300); do
		grep -q '"req": 3' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "client did not finish: $(cat "$1")"
}

wait_ready() { # FILE...
	local f
	for f in "$@"; do
		for _ in $(seq 100); do [ -e "$f" ] && continue 2; sleep 0.1; done
		fail "client not ready: no $f"
	done
}

# ---- uninspectable deny: the old connection is shut down
provider_mark "$IP_OPENAI"
in_pid=$(keepalive_client "$H_WORK/in.out" "$H_WORK/in.ready" "$H_WORK/go1" inside)
out_pid=$(keepalive_client "$H_WORK/out.out" "$H_WORK/out.ready" "$H_WORK/go1")
wait_ready "$H_WORK/in.ready" "$H_WORK/out.ready"
obj=$(contract_policy deny | make_policy tls)
start_aspend "$obj"
audit_wait event=policy_load policy=tls >/dev/null
line=$(audit_wait event=request decision=deny rule=uninspectable unparsed=existing pid="$in_pid")
assert_eq openai "$(audit_field "$line" provider)" "the existing connection's line: provider"
assert_eq 443 "$(audit_field "$line" dst_port)" "the existing connection's line: port"
assert_eq "$H_PY" "$(audit_field "$line" exe)" "the existing connection's line: exe"
wait_output "$H_WORK/aspend.log" "connections open before the policy's hooks: 1 to providers (1 shut down" 10
touch "$H_WORK/go1"
client_done "$H_WORK/in.out"
client_done "$H_WORK/out.out"
log "inside: $(tr '\n' ' ' <"$H_WORK/in.out")"
log "outside: $(tr '\n' ' ' <"$H_WORK/out.out")"
assert_contains "$H_WORK/in.out" '"req": 1, "status": 200'
assert_contains "$H_WORK/in.out" '"req": 2, "error"' "the request on the connection shut down failed"
assert_contains "$H_WORK/in.out" '"req": 3, "status": 200' "a new connection is made and inspected"
assert_contains "$H_WORK/out.out" '"req": 2, "status": 200' "a process outside the scope keeps its connection"
# exactly one "second" request arrived: the outside process's
assert_eq 1 "$(rec_bodies event=request addr="$IP_OPENAI" | grep -c 'second on the old connection')" \
	"second requests at the provider (the outside process's only)"
audit_wait event=request decision=allow rule=approved_models model=gpt-4o pid="$in_pid" >/dev/null
audit_none event=request unparsed=existing pid="$out_pid"
stop_aspend

# ---- uninspectable allow: the old connection is left, and audited
provider_mark "$IP_OPENAI"
in_pid=$(keepalive_client "$H_WORK/in2.out" "$H_WORK/in2.ready" "$H_WORK/go2" inside)
wait_ready "$H_WORK/in2.ready"
obj=$(contract_policy allow | make_policy tls-allow)
start_aspend "$obj"
audit_wait event=policy_load >/dev/null
audit_wait event=request decision=allow rule=uninspectable unparsed=existing pid="$in_pid" >/dev/null
touch "$H_WORK/go2"
client_done "$H_WORK/in2.out"
assert_contains "$H_WORK/in2.out" '"req": 2, "status": 200' "uninspectable allow: the old connection goes on"
assert_eq 1 "$(rec_bodies event=request addr="$IP_OPENAI" | grep -c 'second on the old connection')" \
	"uninspectable allow: the request on the old connection arrived"
stop_aspend

# ---- a reload from a connect-only policy to request rules: the connection
# the connect-only policy let go of sk_msg is decided by `uninspectable`
obj=$H_WORK/live.bpf.o
make_policy connect-only >/dev/null <<'EOF_POLICY'
policy "connect-only"
default allow
import "providers"

rule approved_providers {
  on connect
  when provider not in [openai, anthropic]
  deny "provider not approved"
}
EOF_POLICY
cp "$H_WORK/connect-only.bpf.o" "$obj"
start_aspend "$obj"
audit_wait event=policy_load policy=connect-only >/dev/null
provider_mark "$IP_OPENAI"
in_cgroup_bg env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/http_client.py" "https://$OA_HOST/v1/chat/completions" \
	--mode keepalive --data "$(chat_body gpt-4o)" --data "$(chat_body gpt-4o-mini)" --between "$H_WORK/go3" \
	>"$H_WORK/reload.out" 2>&1
client=$BG_PID
for _ in $(seq 100); do grep -q '"req": 0, "status": 200' "$H_WORK/reload.out" && break; sleep 0.1; done
assert_contains "$H_WORK/reload.out" '"req": 0, "status": 200' "connect-only: the first request"
cp "$H_WORK/tls.bpf.o" "$obj"
kill -HUP "$ASPEND_PID"
audit_wait event=policy_load policy=tls reason=reload >/dev/null
audit_wait event=request decision=deny rule=uninspectable unparsed=existing pid="$client" >/dev/null
touch "$H_WORK/go3"
wait "$client" || true
assert_contains "$H_WORK/reload.out" '"req": 1, "error"' "after the reload, the request on the old connection"
assert_arrived "requests on the connection opened under the connect-only policy" 1 model=gpt-4o
assert_eq 0 "$(rec_since event=request addr="$IP_OPENAI" model=gpt-4o-mini | wc -l)" \
	"the request after the reload at the provider"
stop_aspend
