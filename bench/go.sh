#!/usr/bin/env bash
# Per-request cost of Aspen for a Go client (its own crypto/tls, probed
# through its Go symbol table), as ratios in one sitting: tests/lib/goclient
# POSTing a 2.1 KB chat completion to nginx over loopback TLS, HTTP/1.1,
# one keep-alive connection, N requests in a row,
#   direct        no aspend
#   model rules   aspend, request rules: the Go write uprobe + in-kernel
#                 HTTP/JSON parse + sk_msg on the socket
#   + responses   the same and an `on response` rule: also the Go read
#                 probes (Read's entry and the RET it returns through) and
#                 the in-kernel response parse of every answer
# two rounds; req/s ratio to direct and p50/p99 latency.
#   sudo bench/go.sh [BUILD_DIR] [REQUESTS]
source "$(dirname "$0")/lib.sh"
N=${2:-3000}
harness_start bench-go

PORT=8443
bench_nginx $PORT
go_build

body=$("$H_PY" -c '
import json
msgs = [{"role": "user", "content": "Summarise the quarterly report section %d. " % i * 3} for i in range(14)]
print(json.dumps({"model": "gpt-4o-mini", "messages": msgs, "user": "bench"}))')
log "request body: ${#body} bytes"

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
resp_policy=$(make_policy bench-resp <<EOF_POLICY
policy "bench-resp"
default deny
uninspectable deny
provider bench_openai { hosts = ["api.openai.com"]  ports = [$PORT] }
rule approved { on connect  when provider == bench_openai  allow }
rule mini_only { on request  when request.model not in ["gpt-4o-mini", "gpt-4o"]  deny "model not approved" }
rule chat { on request  when http.path == "/v1/chat/completions"  allow }
rule errors { on response  when response.status >= 400  audit }
EOF_POLICY
)

run_go() { # NAME: "rps p50_us p99_us ok"
	GOCLIENT_REPEAT=$N go_call "$1" "https://api.openai.com:$PORT/v1/chat/completions" "$body"
	"$H_PY" -c 'import json,sys; r = json.load(sys.stdin)
print("%.0f %d %d %d" % (r["rps"], r["p50_us"], r["p99_us"], r["ok"]))' <"$C_OUT" ||
		fail "$1: $(cat "$C_OUT" "$C_ERR")"
}

declare -A res
for round in 1 2; do
	res[direct$round]=$(run_go "direct$round")
	start_aspend "$model_policy"
	res[model$round]=$(run_go "model$round")
	audit_wait event=tls_attach lib=go >/dev/null
	stop_aspend
	start_aspend "$resp_policy"
	res[resp$round]=$(run_go "resp$round")
	audit_wait event=tls_attach lib=go go_read=ret_probes >/dev/null
	stop_aspend
done

echo
echo "Go client ($(go env GOVERSION)), $N POSTs of ${#body} B JSON in a row, one keep-alive connection, loopback TLS"
for round in 1 2; do
	read -r d dp50 dp99 dok <<<"${res[direct$round]}"
	read -r m mp50 mp99 mok <<<"${res[model$round]}"
	echo "round $round"
	printf '  %-12s %7s req/s  p50 %5s us  p99 %5s us  (%s/%s 200)\n' direct "$d" "$dp50" "$dp99" "$dok" "$N"
	printf '  %-12s %7s req/s  p50 %5s us  p99 %5s us  (%s/%s 200)  %sx req/s, +%s us p50\n' "model rules" \
		"$m" "$mp50" "$mp99" "$mok" "$N" "$(ratio "$m" "$d")" "$((mp50 - dp50))"
	read -r r rp50 rp99 rok <<<"${res[resp$round]}"
	printf '  %-12s %7s req/s  p50 %5s us  p99 %5s us  (%s/%s 200)  %sx req/s, +%s us p50\n' "+ responses" \
		"$r" "$rp50" "$rp99" "$rok" "$N" "$(ratio "$r" "$d")" "$((rp50 - dp50))"
done
