#!/usr/bin/env bash
# Cost of reading big requests (issue 15), as ratios in one sitting: wrk
# (libssl, one SSL_write per request) POSTing chat bodies of 2 KB, 40 KB and
# 1 MB, the model after the messages, to nginx over loopback TLS,
# keep-alive, without aspend (direct) and with request rules on the model
# (every body read to its model: the JSON parse of the whole body). Also,
# from the kernel's BPF statistics, the mean cost of one write probe run and
# that cost per body byte.
#   sudo bench/big.sh [BUILD_DIR] [SECONDS]
source "$(dirname "$0")/lib.sh"
BENCH_SECS=${2:-5}
harness_start bench-big

PORT=8443
cat >"$H_WORK/nginx.conf" <<EOF_NGINX
worker_processes 1;
pid $H_WORK/nginx.pid;
error_log $H_WORK/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	client_max_body_size 8m;
	server {
		listen $IP_OPENAI:$PORT ssl;
		ssl_certificate $H_WORK/certs/server.pem;
		ssl_certificate_key $H_WORK/certs/server.key;
		keepalive_requests 1000000;
		location / {
			default_type application/json;
			return 200 '{"id":"x","model":"gpt-4o-mini","usage":{"prompt_tokens":512,"completion_tokens":9}}';
		}
	}
}
EOF_NGINX
bench_nginx_start "$H_WORK/nginx.conf"

for size in 2000 40000 1000000; do
	"$H_PY" - "$size" "$H_WORK/post-$size.lua" <<'EOF_PY'
import json, sys
size, out = int(sys.argv[1]), sys.argv[2]
msgs, n = [], 0
while n < size:
    m = {"role": "user", "content": "Summarise the quarterly report section %d, \"quoted\" too. " % len(msgs) * 3}
    msgs.append(m)
    n += len(json.dumps(m))
body = json.dumps({"messages": msgs, "user": "bench", "model": "gpt-4o-mini"})
open(out, "w").write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[%s]==]\n' % body)
EOF_PY
done

model_policy=$(make_policy bench-big <<EOF_POLICY
policy "bench-big"
default deny
uninspectable deny
provider bench_openai { hosts = ["api.openai.com"]  ports = [$PORT] }
rule approved { on connect  when provider == bench_openai  allow }
rule mini_only { on request  when request.model in ["gpt-4o-mini", "gpt-4o"]  allow }
EOF_POLICY
)

run_wrk() { # NAME LUA
	in_cgroup wrk -t1 -c4 -d"${BENCH_SECS}s" --latency -s "$2" \
		"https://api.openai.com:$PORT/v1/chat/completions" >"$H_WORK/$1.wrk" 2>&1 || true
	echo "$(awk '/Requests\/sec/ { print $2 }' "$H_WORK/$1.wrk") $(awk '$1 == "50%" { print $2 }' "$H_WORK/$1.wrk") $(awk '/requests in/ { print $1 }' "$H_WORK/$1.wrk")"
}
write_stats() { # "run_cnt run_time_ns" of aspen_ssl_write
	bpftool prog show 2>/dev/null | awk '
		/^[0-9]+: / { name = ""; for (i = 1; i <= NF; i++) if ($i == "name") name = $(i + 1) }
		/run_time_ns/ { for (i = 1; i <= NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) }
			if (name == "aspen_ssl_write") { C += c; T += t } }
		END { print C + 0, T + 0 }'
}

declare -A res
for size in 2000 40000 1000000; do
	res[direct$size]=$(run_wrk "direct-$size" "$H_WORK/post-$size.lua")
	start_aspend "$model_policy"
	stats_on
	res[model$size]=$(run_wrk "model-$size" "$H_WORK/post-$size.lua")
	res[stats$size]=$(write_stats)
	stats_off
	audit_wait event=request decision=allow rule=mini_only >/dev/null
	[ "$(audit_count event=request decision=deny)" = 0 ] || fail "a request was denied"
	stop_aspend
	mv "$H_AUDIT" "$H_WORK/audit-$size.jsonl"
done

echo
echo "wrk -t1 -c4, ${BENCH_SECS}s each, POST over loopback TLS, model last (req/s, p50; ratio of req/s to direct, same run)"
for size in 2000 40000 1000000; do
	read -r d dp50 _ <<<"${res[direct$size]}"
	read -r m mp50 _ <<<"${res[model$size]}"
	read -r cnt ns <<<"${res[stats$size]}"
	per=$((cnt > 0 ? ns / cnt : 0))
	printf '  %8s B  direct %9s req/s p50 %-8s  model rules %9s req/s p50 %-8s %sx  write probe %8s ns/run (%s ns/KB)\n' \
		"$size" "$d" "$dp50" "$m" "$mp50" "$(ratio "$m" "$d")" "$per" "$((per * 1000 / size))"
done
