#!/usr/bin/env bash
# What a process that never talks to a provider pays while a request-level
# policy governs its cgroup (docs/internals.md, "The ClientHello"): every TCP
# socket of the cgroup enters the SOCKHASH at connect, and one whose
# ClientHello names no provider leaves it at its first ACK. wrk (libssl) GETs
# from nginx at internal.example.test over loopback TLS, in the same cgroup:
#   keep-alive        wrk -t1 -c8: the cost is paid once per connection
#   new connection    "Connection: close": a TCP and TLS handshake per request
# each without aspend (direct) and with aspend and a model-rules policy, in
# ROUNDS rounds; prints each round's ratio and the median.
#   sudo bench/bystander.sh [BUILD_DIR] [SECONDS] [ROUNDS]
source "$(dirname "$0")/lib.sh"
BENCH_SECS=${2:-5}
ROUNDS=${3:-3}
harness_start bench-bystander
PORT=8443
bench_nginx $PORT

policy=$(make_policy bench-bystander <<EOF_POLICY
policy "bench-bystander"
default deny
uninspectable deny
provider bench_openai { hosts = ["api.openai.com"]  ports = [$PORT] }
rule approved { on connect  when provider == bench_openai  allow }
rule mini_only { on request  when request.model not in ["gpt-4o-mini"]  deny "model not approved" }
rule chat { on request  when http.path == "/v1/chat/completions"  allow }
EOF_POLICY
)
printf 'wrk.headers["Connection"] = "close"\n' >"$H_WORK/close.lua"

rps() { # NAME [WRK ARGS...]: requests/s of wrk -t1 -c8 to the bystander's host
	local name=$1
	shift
	in_cgroup wrk -t1 -c8 -d"${BENCH_SECS}s" "$@" "https://internal.example.test:$PORT/" \
		>"$H_WORK/$name.wrk" 2>&1 || true
	awk '/Requests\/sec/ { print $2 }' "$H_WORK/$name.wrk"
}
ratio() { "$H_PY" -c 'import sys; print("%.3f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

ka=() nc=()
for round in $(seq "$ROUNDS"); do
	d_ka=$(rps direct-ka)
	d_nc=$(rps direct-nc -s "$H_WORK/close.lua")
	start_aspend "$policy"
	a_ka=$(rps aspen-ka)
	stats_on
	a_nc=$(rps aspen-nc -s "$H_WORK/close.lua")
	prog_stats >"$H_WORK/stats$round"
	stats_off
	conns=$(awk '/requests in/ { print $1 }' "$H_WORK/aspen-nc.wrk")
	awk -v n="$conns" '$1 == "aspen_sockops" || $1 == "aspen_sk_msg" {
		printf "  %s: %d runs, %.0f ns per run, %.0f ns per connection (%d connections)\n",
			$1, $2, $2 ? $3 / $2 : 0, n ? $3 / n : 0, n }' "$H_WORK/stats$round"
	[ "$(audit_find event=request | wc -l)" = 0 ] || fail "the bystander's requests were audited"
	stop_aspend
	ka+=("$(ratio "$a_ka" "$d_ka")")
	nc+=("$(ratio "$a_nc" "$d_nc")")
	printf 'round %d: keep-alive %s / %s req/s = %sx; new connection %s / %s req/s = %sx\n' \
		"$round" "$a_ka" "$d_ka" "${ka[-1]}" "$a_nc" "$d_nc" "${nc[-1]}"
done
echo "bystander under a model-rules policy, wrk -t1 -c8 ${BENCH_SECS}s, $ROUNDS rounds:" \
	"keep-alive median $(median "${ka[@]}")x (${ka[*]}), new connection per request median $(median "${nc[@]}")x (${nc[*]})"
