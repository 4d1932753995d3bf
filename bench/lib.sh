# shellcheck shell=bash
# What the bench scripts share. Sourced first by each, with the script's
# arguments still in "$@" (its first is BUILD_DIR, default build/):
#   source "$(dirname "$0")/lib.sh"   # ASPENC, ASPEND, the e2e harness, nginx.sh
#   harness_start bench-NAME           # root, namespaces, child cgroup
# then bench_nginx PORT (nginx.sh), chat_body, post_lua, ratio, median, spread.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export ASPEN_SRC=${ASPEN_SRC:-$here/..}
build=${1:-$ASPEN_SRC/build}
export ASPENC=${ASPENC:-$build/compiler/aspenc} ASPEND=${ASPEND:-$build/runtime/aspend}
# shellcheck source=../tests/lib/harness.sh
source "$ASPEN_SRC/tests/lib/harness.sh"
# shellcheck source=nginx.sh
source "$here/nginx.sh"

# kernel.bpf_stats_enabled (every BPF program's run time, a cost on each
# run host-wide): on only while a measured run goes (stats_on, stats_off),
# and as it was before the bench however the bench ends (bench_exit).
bench_stats0=$(sysctl -n kernel.bpf_stats_enabled)
stats_on() { sysctl -qw kernel.bpf_stats_enabled=1; }
stats_off() { sysctl -qw kernel.bpf_stats_enabled="$bench_stats0"; }

# bench_exit: the EXIT trap (bench_nginx sets it): the statistics back,
# nginx stopped, then the harness's cleanup with the bench's status
bench_exit() {
	local rc=$?
	# not errexit here: `(exit "$rc")` of a failed bench ended the trap
	# before harness_cleanup, and left the fake providers, the cgroup and
	# their inherited hold on /tmp/aspen-bpf.lock behind
	set +e
	trap - ERR
	stats_off
	local pidf
	for pidf in "$H_WORK"/nginx*.pid; do
		[ -e "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null
	done
	bench_bpftrace_stop
	(exit "$rc")
	harness_cleanup
}

# The 2.2 KB chat completion the request benches post: 14 messages, then
# "model" (after "messages", as the Python SDK sends it) and "user".
# BENCH_MSGS=N: N messages instead (how the programs' cost grows with the
# body).
chat_body() {
	"$H_PY" -c '
import json, os
n = int(os.environ.get("BENCH_MSGS", "14"))
msgs = [{"role": "user", "content": "Summarise the quarterly report section %d. " % i * 3} for i in range(n)]
print(json.dumps({"messages": msgs, "model": "gpt-4o-mini", "user": "bench"}))'
}

# post_lua BODY: a wrk script POSTing BODY as JSON. With BENCH_HEADERS=sdk
# the head is the OpenAI Python SDK's (v1.54: Accept, User-Agent, eight
# X-Stainless-* lines, a project key's Authorization: a 723-byte head, not
# wrk's 119), the head a real client sends.
post_lua() {
	printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
	if [ "${BENCH_HEADERS:-}" = sdk ]; then
		local k h v
		k=sk-proj-$(printf 'A1b2C3d4E5f6%.0s' $(seq 13))
		for h in "Accept-Encoding=gzip, deflate" "Accept=application/json" \
			"User-Agent=OpenAI/Python 1.54.4" "X-Stainless-Lang=python" \
			"X-Stainless-Package-Version=1.54.4" "X-Stainless-OS=Linux" "X-Stainless-Arch=x64" \
			"X-Stainless-Runtime=CPython" "X-Stainless-Runtime-Version=3.11.2" \
			"Authorization=Bearer $k" "X-Stainless-Async=false" "x-stainless-retry-count=0" \
			"OpenAI-Organization=org-bench0000000000000000" "OpenAI-Project=proj_bench000000000000000000"; do
			v=${h#*=}
			printf 'wrk.headers["%s"] = "%s"\n' "${h%%=*}" "$v"
		done
	fi
	printf 'wrk.body = [[%s]]\n' "$1"
}

# ratio A B [DIGITS]: A / B with DIGITS decimals (2)
ratio() { "$H_PY" -c 'import sys; print("%.*f" % (int(sys.argv[3]), float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2" "${3:-2}"; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }

# BENCH_PERF="CFG ...": while CFG's wrk runs, the whole machine is sampled
# (perf record -a, cpu-clock: these VMs have no hardware counters) into
# $H_WORK/perf.CFG.data; bench_perf_report prints where the CPU went.
BENCH_PERF_HZ=1999

# bench_rps NAME SECS PORT [WRK ARGS...]: req/s of one wrk run (-t1 -c8,
# $H_WORK/post.lua) to the bench nginx on PORT; its output in $H_WORK/NAME.wrk.
# Fails when a request failed or was answered other than 200: a run of
# refusals or proxy errors is not a throughput. Sampled when NAME is in
# BENCH_PERF.
bench_rps() {
	local sample=0
	[[ " ${BENCH_PERF:-} " != *" $1 "* ]] || sample=1
	[ "$sample" = 0 ] || command -v perf >/dev/null ||
		fail "BENCH_PERF: perf is not installed (scripts/install-deps.sh --bench)"
	[ "$sample" = 0 ] ||
		perf record -a -g -e cpu-clock -F "$BENCH_PERF_HZ" -o "$H_WORK/perf.$1.data" -- sleep "$2" >/dev/null 2>&1 &
	# shellcheck disable=SC2086 # BENCH_WRAP: words before wrk (floor_bench)
	in_cgroup ${BENCH_WRAP:-} wrk -t1 -c8 -d"$2s" "${@:4}" -s "$H_WORK/post.lua" \
		"https://api.openai.com:$3/v1/chat/completions" >"$H_WORK/$1.wrk" 2>&1 || true
	if grep -q 'Non-2xx\|Socket errors' "$H_WORK/$1.wrk"; then
		cat "$H_WORK/$1.wrk" >&2
		fail "$1: wrk saw failed requests"
	fi
	awk '/Requests\/sec/ { print $2 }' "$H_WORK/$1.wrk"
}

# bench_perf_report: for each CFG of BENCH_PERF, the client's CPU per
# request by where it went (bench/perf_buckets.py: the probes' programs and
# traps, sk_msg, waking the server, the rest), the CPU by command and the
# heaviest symbols (the JIT-ed BPF programs show as bpf_prog_*).
bench_perf_report() {
	local cfg f n
	for cfg in ${BENCH_PERF:-}; do
		f=$H_WORK/perf.$cfg.data
		[ -s "$f" ] || continue
		n=$(awk '/requests in/ { print $1 }' "$H_WORK/$cfg.wrk")
		echo "where the CPU went, $cfg (perf record -a -F $BENCH_PERF_HZ, cpu-clock; the last round, $n requests):"
		perf script -i "$f" -F comm,ip,sym 2>/dev/null | "$H_PY" "$here/perf_buckets.py" wrk "${n:-0}" "$BENCH_PERF_HZ" || true
		perf report -i "$f" --no-children -g none --sort comm --stdio 2>/dev/null >"$f.comm" || true
		perf report -i "$f" --no-children -g none --sort comm,sym --stdio 2>/dev/null >"$f.sym" || true
		echo "  by command:"
		grep -E '^ +[0-9]' "$f.comm" | awk 'NR <= 5'
		echo "  heaviest symbols:"
		grep -E '^ +[0-9]' "$f.sym" | awk 'NR <= 25'
	done
}

# bench_bpftrace_start: the tracing peer, bpftrace counting SSL_write and
# SSL_read calls of the child cgroup's processes (the client's libssl).
# bpftrace 0.17 places a uprobe on a shared library for every process that
# maps it (its -p does not narrow library probes), so the server's calls
# trap too, as they would for anyone tracing libssl this way; the predicate
# only decides what is counted. Returns 1 when bpftrace is not installed.
bench_bpftrace_start() {
	local lib i
	command -v bpftrace >/dev/null || return 1
	lib=$(readlink -f "$(ldd "$(command -v wrk)" | awk '/libssl/ { print $3 }')")
	bpftrace -e "uprobe:$lib:SSL_write /cgroup == cgroupid(\"$H_CG\")/ { @writes = count(); }
uprobe:$lib:SSL_read /cgroup == cgroupid(\"$H_CG\")/ { @reads = count(); }" \
		>"$H_WORK/bpftrace.out" 2>&1 &
	BT_PID=$!
	for i in $(seq 300); do
		grep -q '^Attaching' "$H_WORK/bpftrace.out" && sleep 0.5 && return 0
		kill -0 "$BT_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$H_WORK/bpftrace.out" >&2
	fail "bpftrace did not attach its probes"
}

# bench_bpftrace_stop: bpftrace stopped (it prints its counts into
# $H_WORK/bpftrace.out); nothing when it is not running
bench_bpftrace_stop() {
	[ -n "${BT_PID:-}" ] || return 0
	kill -INT "$BT_PID" 2>/dev/null
	wait_gone "$BT_PID" 10 || kill -KILL "$BT_PID" 2>/dev/null
	wait "$BT_PID" 2>/dev/null
	BT_PID=
}

# bench_floor_setup: floor.bpf.c compiled and floor_bench found
# (bench/floor.c, the hooks with programs that do nothing); sets FLOOR_OBJ,
# FLOOR_BIN and FLOOR_LIB (wrk's libssl)
bench_floor_setup() {
	FLOOR_BIN=$build/bench/floor_bench FLOOR_LIB=$(readlink -f "$(ldd "$(command -v wrk)" | awk '/libssl/ { print $3 }')")
	[ -x "$FLOOR_BIN" ] || fail "$FLOOR_BIN not built (cmake --build $build)"
	FLOOR_OBJ=$H_WORK/floor.bpf.o
	clang -O2 -g -Wall -Werror -target bpf -I"/usr/include/$(gcc -print-multiarch)" \
		-c "$here/floor.bpf.c" -o "$FLOOR_OBJ" || fail "floor.bpf.c did not compile"
}

# bench_floor_wrap PORT LIB|-: BENCH_WRAP for a run under floor_bench
bench_floor_wrap() { BENCH_WRAP="$FLOOR_BIN $FLOOR_OBJ $H_CG $1 $2 --"; }

# bench_floor_saw NAME: the floor run NAME's hooks saw its requests (its
# floor_bench line counts the sk_msg runs and, with probes, the writes)
bench_floor_saw() {
	local line
	line=$(grep '^floor_bench: sockets' "$H_WORK/$1.wrk") || fail "$1: no floor_bench counts"
	log "$1: ${line#floor_bench: }"
	case $line in
	*"sk_msg runs 0,"* | *"sockets 0,"*) fail "$1: the provider connections never went through sk_msg" ;;
	esac
	if [ "$1" = hooks ]; then
		case $line in *"write probes 0,"* | *"return probes 0") fail "$1: the write probes never fired" ;; esac
	fi
	return 0
}

# redact_policy_src PORT: the source of the policy the redaction benches
# time (pii.ssn masked, chat requests allowed, on the bench nginx at PORT)
redact_policy_src() {
	cat <<EOF_POLICY
policy "bench-redact"
default deny
uninspectable deny
import "pii"
provider bench_openai { hosts = ["api.openai.com"]  ports = [$1] }
rule approved { on connect  when provider == bench_openai  allow }
rule mask { on request  redact pii.ssn with "X" }
rule chat { on request  when http.path == "/v1/chat/completions"  allow }
EOF_POLICY
}

# bench_policies PORT: the two request policies the rules benches compare,
# compiled; sets model_policy (a model allow-list) and patterns_policy (the
# same plus secrets deny and a PII mask) to their objects.
bench_policies() {
	local head="default deny
uninspectable deny
provider bench_openai { hosts = [\"api.openai.com\"]  ports = [$1] }
rule approved { on connect  when provider == bench_openai  allow }
rule mini_only { on request  when request.model not in [\"gpt-4o-mini\", \"gpt-4o\"]  deny \"model not approved\" }"
	model_policy=$(make_policy bench-model <<EOF_POLICY
policy "bench-model"
$head
rule chat { on request  when http.path == "/v1/chat/completions"  allow }
EOF_POLICY
	)
	patterns_policy=$(make_policy bench-patterns <<EOF_POLICY
policy "bench-patterns"
import "pii"
import "secrets"
$head
rule no_secrets { on request  when request.body matches secrets.aws_access_key or request.body matches secrets.openai_key
	or request.body matches secrets.private_key  deny "credentials in a prompt" }
rule mask { on request  redact pii.ssn with "X" }
rule chat { on request  when http.path == "/v1/chat/completions"  allow }
EOF_POLICY
	)
}
