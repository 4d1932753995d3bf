#!/usr/bin/env bash
# Issue 16's realistic figure in one command: a provider that answers
# every request after DELAY_MS (2 ms; bench/slow_provider.py, TLS, keep-
# alive), wrk -t1 -c4 POSTing the 2.2 KB chat completion of bench/rules.sh
# for SECONDS per run; per round, in turn:
#   direct     no aspend
#   model      a model allowlist (request rules)
#   patterns   the same plus secrets denied and pii.ssn masked (no match)
# p50 and p99 latency (wrk --latency) as ratios to direct of the same
# round; medians and spread over ROUNDS rounds. Goal: p50 <= 1.01x, p99
# <= 1.03x.
#   sudo bench/realistic.sh [BUILD_DIR] [SECONDS] [ROUNDS] [DELAY_MS]
source "$(dirname "$0")/lib.sh"
harness_start bench-realistic
BENCH_SECS=${2:-10}
ROUNDS=${3:-3}
DELAY_MS=${4:-2}
PORT=8443

ready=$H_WORK/slow.ready
"$H_PY" "$here/slow_provider.py" "$IP_OPENAI" $PORT "$H_WORK/certs/server.pem" \
	"$H_WORK/certs/server.key" "$DELAY_MS" "$ready" 2>"$H_WORK/slow.err" &
slow_pid=$!
trap 'kill $slow_pid 2>/dev/null; harness_cleanup' EXIT
for _ in $(seq 50); do [ -e "$ready" ] && break; sleep 0.1; done
[ -e "$ready" ] || fail "slow_provider did not start: $(cat "$H_WORK/slow.err")"

body=$(chat_body)
post_lua "$body" >"$H_WORK/post.lua"
bench_policies "$PORT" # model_policy, patterns_policy

# wrk's latency in microseconds ("1.23ms", "850.00us", "1.01s")
us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else print n * 1000000 }'; }
run() { # NAME: "p50_us p99_us requests" of one wrk run
	in_cgroup wrk -t1 -c4 -d"${BENCH_SECS}s" --latency -s "$H_WORK/post.lua" \
		"https://api.openai.com:$PORT/v1/chat/completions" >"$H_WORK/$1.wrk" 2>&1 || true
	echo "$(us "$(awk '$1 == "50%" { print $2 }' "$H_WORK/$1.wrk")")" \
		"$(us "$(awk '$1 == "99%" { print $2 }' "$H_WORK/$1.wrk")")" \
		"$(awk '/requests in/ { print $1 }' "$H_WORK/$1.wrk")"
}

declare -A p50 p99
for round in $(seq "$ROUNDS"); do
	read -r d50 d99 dn < <(run direct)
	line="round $round: direct p50 ${d50} us p99 ${d99} us ($dn requests)"
	for cfg in model patterns; do
		pol=${cfg}_policy
		start_aspend "${!pol}"
		read -r c50 c99 cn < <(run "$cfg")
		stop_aspend
		p50[$cfg]+="$(ratio "$c50" "$d50" 3) "
		p99[$cfg]+="$(ratio "$c99" "$d99" 3) "
		line+=", $cfg p50 ${c50} ($(ratio "$c50" "$d50" 3)x) p99 ${c99} ($(ratio "$c99" "$d99" 3)x, $cn requests)"
	done
	echo "$line"
done
echo "provider answering after ${DELAY_MS} ms; wrk -t1 -c4 ${BENCH_SECS}s, POST ${#body} B, $ROUNDS rounds; latency ratio to direct:"
for cfg in model patterns; do
	# shellcheck disable=SC2086
	echo "  $cfg: p50 median $(median ${p50[$cfg]})x (spread $(spread ${p50[$cfg]})), p99 median $(median ${p99[$cfg]})x (spread $(spread ${p99[$cfg]}))"
done
