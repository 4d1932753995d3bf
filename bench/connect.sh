#!/usr/bin/env bash
# Connect-level cost of Aspen, measured as ratios in one sitting (these
# machines are noisy): connect() latency to a provider address and to an
# unrelated address, without and with aspend, plus compile and load time.
#   sudo bench/connect.sh [BUILD_DIR] [COUNT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
count=${2:-20000}
[ "$(id -u)" = 0 ] || { echo "bench/connect.sh: needs root (loads eBPF)" >&2; exit 1; }
work=$(mktemp -d /tmp/aspen-bench.XXXXXX)
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cg=$cg2/aspen-bench-$$
aspend_pid=
cleanup() {
	[ -n "$aspend_pid" ] && kill -TERM "$aspend_pid" 2>/dev/null && wait "$aspend_pid" || true
	[ -d "$cg" ] && { for p in $(cat "$cg/cgroup.procs"); do kill -9 "$p" 2>/dev/null || true; done; rmdir "$cg"; }
	rm -rf "$work"
}
trap cleanup EXIT
mkdir "$cg"

run_in_cg() { sh -c 'echo $$ > "$0/cgroup.procs"; shift; exec "$@"' "$cg" x "$@"; }
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }

# compile time: median of 5 full builds (parse..clang)
ct=()
for i in 1 2 3 4 5; do
	t0=$(date +%s%N); "$build/compiler/aspenc" "$here/connect.asp" -o "$work/p.bpf.o"; t1=$(date +%s%N)
	ct+=($(( (t1 - t0) / 1000000 )))
done
compile_ms=$(printf '%s\n' "${ct[@]}" | sort -n | sed -n 3p)

start_aspend() {
	rm -f "$work/ready"
	local t0; t0=$(date +%s%N)
	"$build/runtime/aspend" "$work/p.bpf.o" --cgroup "$cg" --audit "$work/audit.jsonl" \
		--no-resolve --resolve api.openai.com=127.0.0.2 --ready-file "$work/ready" 2>"$work/aspend.log" &
	aspend_pid=$!
	for _ in $(seq 200); do [ -f "$work/ready" ] && break; sleep 0.05; done
	[ -f "$work/ready" ] || { cat "$work/aspend.log"; exit 1; }
	load_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
stop_aspend() { kill -TERM "$aspend_pid"; wait "$aspend_pid"; aspend_pid=; }

measure() { run_in_cg "$build/bench/connect_bench" "$1" "$2" "$count"; }

declare -A r
for round in 1 2 3; do
	r[base_p$round]=$(measure 127.0.0.2 443)
	r[base_o$round]=$(measure 127.0.0.9 8080)
	start_aspend
	r[asp_p$round]=$(measure 127.0.0.2 443)
	r[asp_o$round]=$(measure 127.0.0.9 8080)
	stop_aspend
done
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }
p50() { echo "$1" | field p50_ns; }
p99() { echo "$1" | field p99_ns; }
echo "aspenc compile (parse..clang, median of 5): ${compile_ms} ms"
echo "aspend start to attached (load, verify, fill maps, attach): ${load_ms} ms"
echo "connect() to a provider address, ${count} connects x 3 rounds (p50 / p99 ns):"
for round in 1 2 3; do
	b=${r[base_p$round]}; a=${r[asp_p$round]}
	echo "  round $round: direct $(p50 "$b") / $(p99 "$b")   under aspen $(p50 "$a") / $(p99 "$a")   ratio p50 $(ratio "$(p50 "$a")" "$(p50 "$b")")x"
done
echo "connect() to an unrelated address (not AI traffic):"
for round in 1 2 3; do
	b=${r[base_o$round]}; a=${r[asp_o$round]}
	echo "  round $round: direct $(p50 "$b") / $(p99 "$b")   under aspen $(p50 "$a") / $(p99 "$a")   ratio p50 $(ratio "$(p50 "$a")" "$(p50 "$b")")x"
done
echo "audit lines written: $(grep -c '"event":"connect"' "$work/audit.jsonl") connect events for $((count * 3)) audited connects; lost: $(grep '"event":"lost"' "$work/audit.jsonl" | sed -n 's/.*"count":\([0-9]*\).*/\1/p' | awk '{ n += $1 } END { print n + 0 }')"
