#!/usr/bin/env bash
# Where the time of a masked request goes: bench/redact_client.py (python3,
# keep-alive, a fresh body with an SSN in every request) to the bench nginx
# under a policy masking pii.ssn, N requests per run, ROUNDS rounds, each
# round: direct, then aspen with ASPEN_REDACT_PROFILE (aspend's own
# timestamps of every hold, CLOCK_BOOTTIME like the kernel's since_ns), then
# aspen again under `perf record -k mono` on sched_switch, sched_wakeup and
# signal_generate (the scheduler's view: when the writer stopped, when
# aspend ran, when the writer ran again after SIGCONT). Prints per phase
# p50 / p99 in microseconds, per round, and the client's p50 / p99.
# Environment: CLIENT_CPU=N runs the client under taskset -c N (to pin it
# beside or away from aspend: ASPEND may name a wrapper that pins aspend),
# ASPEND_FIFO=PRIO puts aspend's main thread at SCHED_FIFO PRIO (chrt).
#   sudo bench/redact_profile.sh [BUILD_DIR] [N] [ROUNDS]
source "$(dirname "$0")/lib.sh"
N=${2:-2000}
ROUNDS=${3:-3}
harness_start bench-redact-profile

PORT=8443
bench_nginx $PORT
redact_policy=$(redact_policy_src $PORT | make_policy bench-redact)
client() { in_cgroup ${CLIENT_CPU:+taskset -c $CLIENT_CPU} env SSL_CERT_FILE="$H_CA" "$H_PY" "$here/redact_client.py" api.openai.com $PORT "$N" "${1:-pii}"; }

# aspend's stamps -> per-phase p50/p99 (us)
phases() {
	"$H_PY" - "$1" <<'EOF_PY'
import sys
names = ["stop", "wake", "start", "lookup", "read", "mask", "write", "done", "cont"]
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if all(r)]
def pct(v, q): v = sorted(v); return v[min(len(v) - 1, len(v) * q // 100)] / 1000.0
out = []
for i in range(1, len(names)):
    d = [r[i] - r[i - 1] for r in rows]
    out.append("%s %.1f/%.1f" % (names[i - 1] + "->" + names[i], pct(d, 50), pct(d, 99)))
t = [r[-1] - r[0] for r in rows]
out.append("stop->cont %.1f/%.1f" % (pct(t, 50), pct(t, 99)))
print("%d holds: " % len(rows) + ", ".join(out))
EOF_PY
}

# perf's view -> per hold: SIGSTOP sent -> writer off CPU (T), -> aspend
# woken, -> aspend on CPU, SIGCONT sent -> writer on CPU (SIGCONT wakes the
# writer before the signal_generate event: no separate wakeup phase)
sched() { # PERF_DATA CLIENT_COMM ASPEND_PID
	cat >"$H_WORK/sched.py" <<'EOF_PY'
import re, sys
comm, apid = sys.argv[1], sys.argv[2]
kv = lambda s: dict(re.findall(r"(\w+)=(\S+)", s))
cur = None; holds = []; cpid = None
for line in open(sys.argv[3]):
    m = re.match(r"\s*([\d.]+):\s+(\S+):\s+(.*)", line)
    if not m: continue
    t, ev, tr = float(m.group(1)) * 1e6, m.group(2), m.group(3)
    if ev == "signal:signal_generate":
        a = kv(tr)
        if not a.get("comm", "").startswith(comm): continue
        if a["sig"] == "19":
            cpid = a["pid"]; cur = {"stop": t}; holds.append(cur)
        elif a["sig"] == "18" and cur is not None:
            cur["cont"] = t
    elif cur is None:
        continue
    elif ev == "sched:sched_switch":
        prev, nxt = tr.split("==>")
        p, n = kv(prev), kv(nxt)
        if p.get("prev_pid") == cpid and p.get("prev_state") == "T" and "off" not in cur:
            cur["off"] = t
        if n.get("next_pid") == apid and "stop" in cur and "arun" not in cur and "awake" in cur:
            cur["arun"] = t
        if n.get("next_pid") == cpid and "cont" in cur and "crun" not in cur:
            cur["crun"] = t
    elif ev == "sched:sched_wakeup":
        a = kv(tr)
        if a.get("pid") == apid and "awake" not in cur and "cont" not in cur:
            cur["awake"] = t
def pct(v, q): v = sorted(v); return v[min(len(v) - 1, len(v) * q // 100)] if v else float("nan")
out = []
for a, b in (("stop", "off"), ("stop", "awake"), ("awake", "arun"), ("cont", "crun"), ("stop", "crun")):
    d = [h[b] - h[a] for h in holds if a in h and b in h]
    out.append("%s->%s %.1f/%.1f (%d)" % (a, b, pct(d, 50), pct(d, 99), len(d)))
already = sum(1 for h in holds if "stop" in h and "awake" not in h and "cont" in h)
print("%d holds: " % len(holds) + ", ".join(out) + ", aspend already awake: %d" % already)
EOF_PY
	perf script -i "$1" -F time,event,trace >"$1.txt" 2>/dev/null
	"$H_PY" "$H_WORK/sched.py" "$2" "$3" "$1.txt"
}

for round in $(seq "$ROUNDS"); do
	direct=$(client)
	export ASPEN_REDACT_PROFILE=$H_WORK/prof$round
	start_aspend "$redact_policy"
	[ -z "${ASPEND_FIFO:-}" ] || chrt -f -p "$ASPEND_FIFO" "$ASPEND_PID"
	aspen=$(client)
	clean=$(client clean)
	stop_aspend
	unset ASPEN_REDACT_PROFILE
	start_aspend "$redact_policy"
	[ -z "${ASPEND_FIFO:-}" ] || chrt -f -p "$ASPEND_FIFO" "$ASPEND_PID"
	apid=$ASPEND_PID
	perf record -q -k mono -a -e sched:sched_switch,sched:sched_wakeup,signal:signal_generate \
		-o "$H_WORK/perf$round.data" >/dev/null 2>&1 &
	perf_pid=$!
	sleep 0.5
	traced=$(client)
	kill -INT $perf_pid || true
	wait $perf_pid || true
	stop_aspend
	echo "round $round: client p50/p99 us: direct $(echo $direct | tr ' ' /), aspen $(echo $aspen | tr ' ' /), aspen without PII $(echo $clean | tr ' ' /), aspen under perf $(echo $traced | tr ' ' /)"
	echo "  aspend (p50/p99 us): $(phases "$H_WORK/prof$round")"
	echo "  scheduler (p50/p99 us): $(sched "$H_WORK/perf$round.data" python3 "$apid")"
done
