#!/usr/bin/env bash
# Issue 16's request-level figures in one command: wrk (libssl) -t1 -c8,
# keep-alive, POSTing a 2.2 KB chat completion with "model" after
# "messages" (the order the Python SDK sends) to nginx over loopback TLS:
#   direct     no aspend
#   model      a model allowlist (request rules)
#   patterns   the same plus secrets denied and pii.ssn masked (body DFA
#              over every body byte; no match in the body)
# ROUNDS rounds, each configuration once per round, ratios of req/s to
# direct of the same round; prints each round, then medians and spread.
# With the kernel's BPF statistics on during the aspend runs, the runs per
# request and mean cost of every aspen program, per configuration.
#   sudo bench/rules.sh [BUILD_DIR] [SECONDS] [ROUNDS]
source "$(dirname "$0")/lib.sh"
BENCH_SECS=${2:-5}
ROUNDS=${3:-3}
harness_start bench-rules
PORT=8443
bench_nginx $PORT

body=$(chat_body)
post_lua "$body" >"$H_WORK/post.lua"
log "request body: ${#body} bytes"

bench_policies "$PORT" # model_policy, patterns_policy

rps() { bench_rps "$1" "$BENCH_SECS" "$PORT" --latency; }

declare -A ratios
for round in $(seq "$ROUNDS"); do
	d=$(rps direct)
	line="round $round: direct $d req/s"
	for cfg in model patterns; do
		pol=${cfg}_policy
		start_aspend "${!pol}"
		stats_on
		r=$(rps "$cfg")
		prog_stats >"$H_WORK/stats.$cfg.$round"
		stats_off
		reqs=$(awk '/requests in/ { print $1 }' "$H_WORK/$cfg.wrk")
		echo "$reqs" >"$H_WORK/reqs.$cfg.$round"
		stop_aspend
		ratios[$cfg]+="$(ratio "$r" "$d") "
		line+=", $cfg $r ($(ratio "$r" "$d")x)"
	done
	echo "$line"
done
echo "wrk -t1 -c8 ${BENCH_SECS}s, POST ${#body} B (model after messages), $ROUNDS rounds; ratio to direct:"
for cfg in model patterns; do
	# shellcheck disable=SC2086
	echo "  $cfg: median $(median ${ratios[$cfg]})x, spread $(spread ${ratios[$cfg]}) (${ratios[$cfg]% })"
	echo "  program runs per request, ns per run (round $ROUNDS, $(cat "$H_WORK/reqs.$cfg.$ROUNDS") requests):"
	while read -r name cnt ns; do
		[ "${cnt:-0}" -gt 0 ] || continue
		printf '    %-22s %6s runs/req  %7s ns/run\n' "$name" \
			"$(ratio "$cnt" "$(cat "$H_WORK/reqs.$cfg.$ROUNDS")")" "$((ns / cnt))"
	done <"$H_WORK/stats.$cfg.$ROUNDS"
done
