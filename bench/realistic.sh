#!/usr/bin/env bash
# Issue 16's realistic figure in one command: a provider that answers
# every request after DELAY_MS (2 ms; bench/slow_provider.c, TLS, keep-
# alive, slept to the microsecond), wrk -t1 -c4 POSTing the 2.2 KB chat
# completion of bench/rules.sh for SECONDS per run. Each round runs, in an
# order that turns by one each round:
#   direct     no aspend
#   model      a model allowlist (request rules)
#   patterns   the same plus secrets denied and pii.ssn masked (no match)
#   direct2    no aspend again: the A/A control, what the method itself
#              swings by (a ratio of direct2 to direct away from 1.00 is
#              noise, not Aspen)
# Every run dumps wrk's whole latency histogram (its done() hook); the
# runs of a configuration are pooled, and its p50 and p99 are read from
# the pool and set against direct's pool: many short interleaved runs,
# so the machine's drift falls on every configuration alike, and enough
# requests that the p99 rests on hundreds of samples. Also each round's
# own ratios, for the spread. Goal: p50 <= 1.01x, p99 <= 1.03x.
#   sudo bench/realistic.sh [BUILD_DIR] [SECONDS] [ROUNDS] [DELAY_MS]
source "$(dirname "$0")/lib.sh"
harness_start bench-realistic
BENCH_SECS=${2:-4}
ROUNDS=${3:-10}
DELAY_MS=${4:-2}
PORT=8443
SLOW=$build/bench/slow_provider
[ -x "$SLOW" ] || fail "$SLOW is not built (cmake --build $build --target slow_provider)"

ready=$H_WORK/slow.ready
"$SLOW" "$IP_OPENAI" $PORT "$H_WORK/certs/server.pem" "$H_WORK/certs/server.key" \
	"$((DELAY_MS * 1000))" "$ready" 2>"$H_WORK/slow.err" &
slow_pid=$!
trap 'kill $slow_pid 2>/dev/null; harness_cleanup' EXIT
for _ in $(seq 50); do [ -e "$ready" ] && break; sleep 0.1; done
[ -e "$ready" ] || fail "slow_provider did not start: $(cat "$H_WORK/slow.err")"

body=$(chat_body)
post_lua "$body" >"$H_WORK/post.lua"
# the histogram: a "H <latency us> <count>" line per distinct latency
cat >>"$H_WORK/post.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("E %d %d %d\n", summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for i = 1, #latency do
    local v, c = latency(i)
    io.write(string.format("H %d %d\n", v, c))
  end
end
LUA
bench_policies "$PORT" # model_policy, patterns_policy

run() { # CFG ROUND: one wrk run, its histogram in $H_WORK/hist.CFG.ROUND
	local f=$H_WORK/$1.$2.wrk
	# a second's warm-up first, not counted: what follows a start (aspend's
	# first look at the client, new connections) is not the steady state
	in_cgroup wrk -t1 -c4 -d1s -s "$H_WORK/post.lua" \
		"https://api.openai.com:$PORT/v1/chat/completions" >/dev/null 2>&1 || true
	in_cgroup wrk -t1 -c4 -d"${BENCH_SECS}s" -s "$H_WORK/post.lua" \
		"https://api.openai.com:$PORT/v1/chat/completions" >"$f" 2>&1 || true
	awk '$1 == "E" && ($3 != 0 || $4 != 0) { bad = 1 } END { exit bad }' "$f" ||
		fail "$1: wrk saw errors: $(grep -v '^H ' "$f")"
	awk '$1 == "H" { print $2, $3 }' "$f" >"$H_WORK/hist.$1.$2"
	[ -s "$H_WORK/hist.$1.$2" ] || fail "$1: wrk printed no latencies: $(cat "$f")"
}

cfgs=(direct model patterns direct2)
for round in $(seq "$ROUNDS"); do
	n=${#cfgs[@]}
	for i in $(seq 0 $((n - 1))); do
		cfg=${cfgs[$(((i + round - 1) % n))]}
		case $cfg in
		model | patterns)
			pol=${cfg}_policy
			start_aspend "${!pol}"
			run "$cfg" "$round"
			stop_aspend
			;;
		*) run "$cfg" "$round" ;;
		esac
	done
done

# the pools and the rounds: percentiles of each histogram
"$H_PY" - "$H_WORK" "$ROUNDS" "$DELAY_MS" "$BENCH_SECS" ${#body} <<'PY'
import sys
work, rounds, delay, secs, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
cfgs = ["direct", "model", "patterns", "direct2"]

def load(cfg, r):
    h = {}
    for line in open("%s/hist.%s.%d" % (work, cfg, r)):
        v, c = map(int, line.split())
        h[v] = h.get(v, 0) + c
    return h

def pct(h, p):
    total = sum(h.values())
    want, seen = total * p / 100.0, 0
    for v in sorted(h):
        seen += h[v]
        if seen >= want:
            return v
    return max(h)

def med(xs):
    xs = sorted(xs)
    return xs[(len(xs) - 1) // 2]

pool = {c: {} for c in cfgs}
per = {c: [] for c in cfgs}
for r in range(1, rounds + 1):
    base = load("direct", r)
    line = "round %d:" % r
    for c in cfgs:
        h = load(c, r)
        for v, n in h.items():
            pool[c][v] = pool[c].get(v, 0) + n
        per[c].append((pct(h, 50) / pct(base, 50), pct(h, 99) / pct(base, 99)))
        line += " %s p50 %d p99 %d us (%d);" % (c, pct(h, 50), pct(h, 99), sum(h.values()))
    print(line)
d = pool["direct"]
print("provider answering after %s ms; wrk -t1 -c4, %d runs of %s s per configuration, "
      "interleaved, POST %s B; latency of the pooled runs, ratio to direct's pool:" % (delay, rounds, secs, size))
print("  direct: p50 %d us, p99 %d us, %d requests" % (pct(d, 50), pct(d, 99), sum(d.values())))
for c in cfgs[1:]:
    h = pool[c]
    r50 = [a for a, _ in per[c]]
    r99 = [b for _, b in per[c]]
    print("  %s: p50 %d us %.3fx, p99 %d us %.3fx (%d requests; per run: p50 median %.3fx, spread %.3f-%.3f, "
          "p99 median %.3fx, spread %.3f-%.3f)%s" % (
              c, pct(h, 50), pct(h, 50) / pct(d, 50), pct(h, 99), pct(h, 99) / pct(d, 99), sum(h.values()),
              med(r50), min(r50), max(r50), med(r99), min(r99), max(r99),
              "  <- the A/A control: the method's own noise" if c == "direct2" else ""))
PY
