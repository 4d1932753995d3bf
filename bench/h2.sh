#!/usr/bin/env bash
# What inspecting HTTP/2 costs next to HTTP/1.1, measured as ratios in one
# sitting: curl (libssl; nghttp2 for HTTP/2) POSTing the same 2.1 KB chat
# completion N times on one keep-alive connection to nginx over loopback
# TLS, with --http1.1 and with --http2, each
#   direct        no aspend
#   model rules   aspend, request rules (uprobes + in-kernel parse + sk_msg)
# and, from the kernel's BPF statistics, the write probe's runs per request
# and mean cost per run for each protocol.
#   sudo bench/h2.sh [BUILD_DIR] [REQUESTS]
source "$(dirname "$0")/lib.sh"
N=${2:-2000}
harness_start bench-h2

PORT=8443
conf=$H_WORK/nginx.conf
cat >"$conf" <<EOF_NGINX
worker_processes 1;
pid $H_WORK/nginx.pid;
error_log $H_WORK/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen $IP_OPENAI:$PORT ssl http2;
		ssl_certificate $H_WORK/certs/server.pem;
		ssl_certificate_key $H_WORK/certs/server.key;
		keepalive_requests 1000000;
		location / {
			client_body_buffer_size 64k;
			default_type application/json;
			return 200 '{"id":"x","model":"gpt-4o-mini","usage":{"prompt_tokens":512,"completion_tokens":9}}';
		}
	}
}
EOF_NGINX
bench_nginx_start "$conf"

"$H_PY" -c '
import json
msgs = [{"role": "user", "content": "Summarise the quarterly report section %d. " % i * 3} for i in range(14)]
print(json.dumps({"model": "gpt-4o-mini", "messages": msgs, "user": "bench"}), end="")' >"$H_WORK/body.json"
url=https://api.openai.com:$PORT/v1/chat/completions
urls=()
for _ in $(seq "$N"); do urls+=(-o /dev/null "$url"); done

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

run_curl() { # NAME PROTO-OPTION: prints requests/s
	local t0 t1 ok
	t0=$(date +%s%N)
	in_cgroup "$H_CURL" -sS --cacert "$H_CA" "$2" -H 'Content-Type: application/json' \
		--data-binary @"$H_WORK/body.json" -w '%{http_code}\n' "${urls[@]}" >"$H_WORK/$1.out" 2>"$H_WORK/$1.err"
	t1=$(date +%s%N)
	ok=$(grep -c '^200$' "$H_WORK/$1.out")
	[ "$ok" = "$N" ] || fail "$1: $ok of $N requests answered 200 ($(head -c 200 "$H_WORK/$1.err"))"
	"$H_PY" -c 'import sys; print("%.0f" % (int(sys.argv[1]) / ((int(sys.argv[3]) - int(sys.argv[2])) / 1e9)))' "$N" "$t0" "$t1"
}

write_stats() { # "runs ns" of the write probe
	bpftool prog show 2>/dev/null | awk '
		/^[0-9]+: / { name = ""; for (i = 1; i <= NF; i++) if ($i == "name") name = $(i + 1) }
		/run_time_ns/ { for (i = 1; i <= NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) }
			if (name == "aspen_ssl_write") { rc += c; rt += t } }
		END { print rc + 0, rt + 0 }'
}

declare -A res
for round in 1 2; do
	for p in 1.1 2; do
		res[direct$p$round]=$(run_curl "direct-$p-$round" "--http$p")
	done
	start_aspend "$model_policy"
	for p in 1.1 2; do
		stats_on
		read -r c0 t0 <<<"$(write_stats)"
		res[model$p$round]=$(run_curl "model-$p-$round" "--http$p")
		read -r c1 t1 <<<"$(write_stats)"
		stats_off
		res[runs$p$round]=$((c1 - c0))
		res[ns$p$round]=$((t1 - t0))
	done
	stop_aspend
done

echo
echo "curl, $N POSTs of $(stat -c %s "$H_WORK/body.json") B JSON on one keep-alive connection, loopback TLS, nginx"
for round in 1 2; do
	echo "round $round"
	for p in 1.1 2; do
		d=${res[direct$p$round]} m=${res[model$p$round]} runs=${res[runs$p$round]} ns=${res[ns$p$round]}
		printf '  HTTP/%-4s direct %7s req/s  model rules %7s req/s  %sx   write probe: %s runs/request, %s ns/run, %s ns/request\n' \
			"$p" "$d" "$m" "$(ratio "$m" "$d")" "$(ratio "$runs" "$N")" "$((runs ? ns / runs : 0))" "$((ns / N))"
	done
	printf '  HTTP/2 against HTTP/1.1 under model rules: %sx the requests/s; write probe ns/request %sx\n' \
		"$(ratio "${res[model2$round]}" "${res[model1.1$round]}")" "$(ratio "${res[ns2$round]}" "${res[ns1.1$round]}")"
done
