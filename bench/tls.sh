#!/usr/bin/env bash
# Request-level cost of Aspen, measured as ratios in one sitting: wrk (libssl)
# POSTing a 2.1 KB chat completion to nginx over loopback TLS, keep-alive,
#   direct                       no aspend
#   connect rules only           aspend, a connect-level allowlist
#   model rules                  aspend, request rules: uprobes + in-kernel
#                                HTTP/JSON parse + sk_msg on the socket
#   unrelated TLS, model rules   the same aspend, wrk to a host that is not a
#                                provider (must pay nothing)
#   redact, clean / redact, pii  a policy masking pii.ssn: a body without an
#                                SSN (scanned only) and one with an SSN in
#                                every request (writer held, masked, resumed)
# and, from the kernel's BPF statistics, program runs per request and the
# average cost of each program run.
#   sudo bench/tls.sh [BUILD_DIR] [SECONDS]
source "$(dirname "$0")/lib.sh"
BENCH_SECS=${2:-5}
harness_start bench-tls

PORT=8443
bench_nginx $PORT

body=$("$H_PY" -c '
import json
msgs = [{"role": "user", "content": "Summarise the quarterly report section %d. " % i * 3} for i in range(14)]
print(json.dumps({"model": "gpt-4o-mini", "messages": msgs, "user": "bench"}))')
post_lua "$body" >"$H_WORK/post.lua"
post_lua "${body/section 3. /section 3, ssn 123-45-6789. }" >"$H_WORK/pii.lua"
grep -q 123-45-6789 "$H_WORK/pii.lua" || fail "no SSN in the PII body"
log "request body: ${#body} bytes"

connect_policy=$(make_policy bench-connect <<EOF_POLICY
policy "bench-connect"
default deny
provider bench_openai { hosts = ["api.openai.com"]  ports = [$PORT] }
rule approved { on connect  when provider == bench_openai  allow }
EOF_POLICY
)
model_policy=$(make_policy bench-model <<EOF_POLICY
policy "bench-model"
default deny
uninspectable deny
provider bench_openai { hosts = ["api.openai.com"]  ports = [$PORT] }
rule approved { on connect  when provider == bench_openai  allow }
rule mini_only { on request  when request.model not in ["gpt-4o-mini", "gpt-4o"]  deny "model not approved" }
rule chat { on request  when http.path == "/v1/chat/completions"  allow }
EOF_POLICY
)
redact_policy=$(redact_policy_src $PORT | make_policy bench-redact)

run_wrk() { # NAME HOST [LUA]
	in_cgroup wrk -t1 -c8 -d"${BENCH_SECS}s" --latency -s "${3:-$H_WORK/post.lua}" \
		"https://$2:$PORT/v1/chat/completions" >"$H_WORK/$1.wrk" 2>&1 || true
	local rps p50 p99
	rps=$(awk '/Requests\/sec/ { print $2 }' "$H_WORK/$1.wrk")
	p50=$(awk '$1 == "50%" { print $2 }' "$H_WORK/$1.wrk")
	p99=$(awk '$1 == "99%" { print $2 }' "$H_WORK/$1.wrk")
	echo "$rps $p50 $p99"
}

declare -A res
for round in 1 2; do
	res[direct$round]=$(run_wrk direct api.openai.com)
	start_aspend "$connect_policy"
	res[connect$round]=$(run_wrk connect api.openai.com)
	stop_aspend
	start_aspend "$model_policy"
	res[unrelated$round]=$(run_wrk unrelated internal.example.test)
	stats_on
	res[model$round]=$(run_wrk model api.openai.com)
	prog_stats >"$H_WORK/stats$round"
	stats_off
	reqs=$(awk '/requests in/ { print $1 }' "$H_WORK/model.wrk")
	res[reqs$round]=$reqs
	stop_aspend
	start_aspend "$redact_policy"
	res[redact_clean$round]=$(run_wrk redact_clean api.openai.com)
	# wrk sends one buffer over and over: once masked in place it carries no
	# SSN, so per-request redaction is timed with fresh bodies (python)
	res[py_clean$round]=$(in_cgroup env SSL_CERT_FILE="$H_CA" "$H_PY" "$here/redact_client.py" api.openai.com $PORT 400 clean)
	res[py_pii$round]=$(in_cgroup env SSL_CERT_FILE="$H_CA" "$H_PY" "$here/redact_client.py" api.openai.com $PORT 400 pii)
	stop_aspend
	res[py_direct$round]=$(in_cgroup env SSL_CERT_FILE="$H_CA" "$H_PY" "$here/redact_client.py" api.openai.com $PORT 400 pii)
done

echo
echo "wrk -t1 -c8, ${BENCH_SECS}s each, POST ${#body} B JSON over loopback TLS (req/s, p50, p99; ratio of req/s to direct in the same round)"
for round in 1 2; do
	read -r d dp50 dp99 <<<"${res[direct$round]}"
	echo "round $round"
	printf '  %-28s %9s req/s  p50 %-8s p99 %-8s\n' direct "$d" "$dp50" "$dp99"
	for k in connect model unrelated redact_clean; do
		read -r r p50 p99 <<<"${res[$k$round]}"
		printf '  %-28s %9s req/s  p50 %-8s p99 %-8s %sx\n' "$k" "$r" "$p50" "$p99" "$(ratio "$r" "$d")"
	done
	echo "  python3 keep-alive, 400 fresh 1 KB bodies, p50 / p99 us: direct $(echo ${res[py_direct$round]} | tr ' ' /)," \
		"redact policy without PII $(echo ${res[py_clean$round]} | tr ' ' /), with an SSN in every request $(echo ${res[py_pii$round]} | tr ' ' /)"
	echo "  program runs per request and mean cost per run (model rules, ${res[reqs$round]} requests):"
	while read -r name cnt ns; do
		[ "${cnt:-0}" -gt 0 ] || continue
		printf '    %-22s %6s runs/request  %8s ns/run\n' "$name" "$(ratio "$cnt" "${res[reqs$round]}")" "$((ns / cnt))"
	done <"$H_WORK/stats$round"
done
