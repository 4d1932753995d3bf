#!/usr/bin/env bash
# Issue 16's request-level figures in one command: wrk (libssl) -t1 -c8,
# keep-alive, POSTing a 2.2 KB chat completion with "model" after
# "messages" (the order the Python SDK sends) to nginx over loopback TLS:
#   direct     no aspend
#   model      a model allowlist (request rules)
#   patterns   the same plus secrets denied and pii.ssn masked (body DFA
#              over every body byte; no match in the body)
# and the peers, in the same rounds:
#   proxy      a TLS-terminating nginx reverse proxy in front of the server
#              (the MITM approach; bench_proxy in nginx.sh)
#   bpftrace   bpftrace counting SSL_write and SSL_read (uprobes on libssl,
#              no parse, no decision; skipped when bpftrace is missing)
# and what bounds any design like Aspen's on this kernel (floor_bench,
# bench/floor.c: the hooks with programs that do nothing):
#   plumbing   sk_msg on every write of the provider connection
#   hooks      the same plus an entry and a return probe on wrk's OpenSSL
#              write, placed where aspend places them
#   entry      the hooks without the return probe (what a design that
#              commits writes without it would pay)
# ROUNDS rounds, each configuration once per round, ratios of req/s to
# direct of the same round (the mean of a direct run first and last); prints each round, then medians and spread.
# With the kernel's BPF statistics on during the aspend runs, the runs per
# request and mean cost of every aspen program, per configuration.
#   sudo bench/rules.sh [BUILD_DIR] [SECONDS] [ROUNDS]
# (scripts/install-deps.sh --bench installs nginx, wrk and bpftrace)
# BENCH_CFGS="model hooks ...": only these configurations (and direct).
# BENCH_PERF="direct model ...": sample the machine while these run (the
# last round's profile is printed at the end; lib.sh, bench_rps).
source "$(dirname "$0")/lib.sh"
BENCH_SECS=${2:-5}
ROUNDS=${3:-3}
harness_start bench-rules
need_tools nginx wrk
PORT=8443 PROXY_PORT=8444
bench_nginx $PORT
bench_proxy $PROXY_PORT $PORT
peers=proxy
command -v bpftrace >/dev/null && peers+=" bpftrace" || log "bpftrace not installed: no bpftrace peer"
bench_floor_setup
peers+=" plumbing hooks entry"

body=$(chat_body)
post_lua "$body" >"$H_WORK/post.lua"
log "request body: ${#body} bytes"

bench_policies "$PORT" # model_policy, patterns_policy

rps() { bench_rps "$1" "$BENCH_SECS" "$PORT" --latency; }

# the bpftrace peer counted the client's writes (a peer whose probes never
# fired would measure nothing)
peer_saw_requests() {
	local n
	n=$(awk '/^@writes:/ { print $2 }' "$H_WORK/bpftrace.out")
	[ "${n:-0}" -gt 0 ] || { cat "$H_WORK/bpftrace.out" >&2; fail "bpftrace counted no SSL_write"; }
}

# each configuration's req/s against direct of its round: the mean of a
# direct run before the round's other runs and one after (the machine
# drifts over the minute a round takes); the order of the others turns by
# one each round, so no configuration always runs last
run_cfg() { # CFG: its req/s into rate[CFG]
	local cfg=$1 pol=${1}_policy port=$PORT
	case $cfg in
	model | patterns)
		start_aspend "${!pol}"
		stats_on
		rate[$cfg]=$(rps "$cfg")
		prog_stats >"$H_WORK/stats.$cfg.$round"
		stats_off
		awk '/requests in/ { print $1 }' "$H_WORK/$cfg.wrk" >"$H_WORK/reqs.$cfg.$round"
		stop_aspend
		return
		;;
	proxy) port=$PROXY_PORT ;;
	bpftrace) bench_bpftrace_start ;;
	plumbing) bench_floor_wrap $PORT - ;;
	hooks) bench_floor_wrap $PORT "$FLOOR_LIB" ;;
	entry) bench_floor_wrap $PORT "$FLOOR_LIB" && BENCH_WRAP="env FLOOR_ENTRY_ONLY=1 $BENCH_WRAP" ;;
	esac
	rate[$cfg]=$(bench_rps "$cfg" "$BENCH_SECS" "$port" --latency)
	BENCH_WRAP=
	case $cfg in
	bpftrace) bench_bpftrace_stop && peer_saw_requests ;;
	plumbing | hooks | entry) bench_floor_saw "$cfg" ;;
	esac
}

declare -A ratios rate
read -ra cfgs <<<"${BENCH_CFGS:-model patterns $peers}"
ran() { [[ " ${cfgs[*]} " == *" $1 "* ]]; } # CFG is measured in this run
for round in $(seq "$ROUNDS"); do
	d0=$(rps direct)
	for i in "${!cfgs[@]}"; do
		run_cfg "${cfgs[$(((i + round - 1) % ${#cfgs[@]}))]}"
	done
	d1=$(rps direct)
	d=$("$H_PY" -c 'import sys; print((float(sys.argv[1]) + float(sys.argv[2])) / 2)' "$d0" "$d1")
	line="round $round: direct $d0/$d1 req/s"
	for cfg in "${cfgs[@]}"; do
		ratios[$cfg]+="$(ratio "${rate[$cfg]}" "$d") "
		line+=", $cfg ${rate[$cfg]} ($(ratio "${rate[$cfg]}" "$d")x)"
	done
	for cfg in model patterns; do
		ran $cfg && ran hooks && ratios[$cfg/hooks]+="$(ratio "${rate[$cfg]}" "${rate[hooks]}") "
	done
	echo "$line"
done
echo "wrk -t1 -c8 ${BENCH_SECS}s, POST ${#body} B (model after messages), $ROUNDS rounds; ratio to direct:"
for cfg in $peers; do
	ran "$cfg" || continue
	# shellcheck disable=SC2086
	echo "  $cfg: median $(median ${ratios[$cfg]})x, spread $(spread ${ratios[$cfg]}) (${ratios[$cfg]% })"
done
for cfg in model/hooks patterns/hooks; do
	[ -n "${ratios[$cfg]:-}" ] || continue
	# shellcheck disable=SC2086
	echo "  $cfg (of the floor: the hooks alone): median $(median ${ratios[$cfg]})x, spread $(spread ${ratios[$cfg]}) (${ratios[$cfg]% })"
done
for cfg in model patterns; do
	ran "$cfg" || continue
	# shellcheck disable=SC2086
	echo "  $cfg: median $(median ${ratios[$cfg]})x, spread $(spread ${ratios[$cfg]}) (${ratios[$cfg]% })"
	echo "  program runs per request, ns per run (round $ROUNDS, $(cat "$H_WORK/reqs.$cfg.$ROUNDS") requests):"
	while read -r name cnt ns; do
		[ "${cnt:-0}" -gt 0 ] || continue
		printf '    %-22s %6s runs/req  %7s ns/run\n' "$name" \
			"$(ratio "$cnt" "$(cat "$H_WORK/reqs.$cfg.$ROUNDS")")" "$((ns / cnt))"
	done <"$H_WORK/stats.$cfg.$ROUNDS"
done
bench_perf_report
