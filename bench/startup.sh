#!/usr/bin/env bash
# Start to enforcing, as ratios in one sitting (issue 14): aspend's own
# "enforcing ..., N ms after start" line, median of 5 starts each (and the
# spread, min-max), for
#   baseline   --no-resolve (no resolver at all)
#   dns-ok     the resolver on, a DNS server that answers every name
#   dns-silent the resolver on, a DNS server that never answers
#   adopt      a start that adopts the policy a SIGKILLed aspend left pinned
# with a connect-rule policy (bench/connect.asp), then with a request-rule
# policy (examples/model-rules.asp: TLS probes, sockops, sk_msg), for which
# the "TLS probe programs loaded, N ms after start" line (the --ready-file)
# is given too: those programs are verified once aspend is enforcing.
# Runs in private mount and network namespaces (a fake DNS server on
# 127.0.0.53, resolv.conf bind-mounted); a child cgroup is the scope.
# With a second build directory, its aspend (and aspenc) is measured too,
# start for start alternating with the first, and each figure is given as a
# ratio to it. "first start" is a start without the BTF cache (a new kernel
# or a new policy object: CO-RE against the kernel's full BTF); every other
# start finds it (--btf-cache, made by the first).
#   sudo bench/startup.sh [BUILD_DIR [BASELINE_BUILD_DIR]]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
base=
[ -z "${2:-}" ] || base=$(cd "$2" && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/startup.sh: needs root (loads eBPF)" >&2; exit 1; }
if [ -z "${ASPEN_BENCH_NS:-}" ]; then
	export ASPEN_BENCH_NS=1
	exec unshare -m -n --propagation private -- "$BASH" "$0" "$build" $base
fi
ip link set lo up
work=$(mktemp -d /tmp/aspen-bench-startup.XXXXXX)
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cg=$cg2/aspen-bench-startup-$$
aspend_pid= dns_pid=
bins=new
[ -z "$base" ] || bins="new old"
declare -A exe
exe[new]=$build/runtime/aspend
exe[old]=$base/runtime/aspend
cleanup() {
	[ -n "$aspend_pid" ] && kill -TERM "$aspend_pid" 2>/dev/null && wait "$aspend_pid" || true
	[ -n "$dns_pid" ] && kill "$dns_pid" 2>/dev/null || true
	"${exe[new]}" --unload "$cg" --force >/dev/null 2>&1 || true
	[ -d "$cg" ] && rmdir "$cg"
	while umount /etc/resolv.conf 2>/dev/null; do :; done
	rm -rf "$work"
}
trap cleanup EXIT
mkdir "$cg"
declare -A cacheopt
for b in $bins; do
	d=$build
	[ "$b" = new ] || d=$base
	"$d/compiler/aspenc" "$here/connect.asp" -o "$work/$b-connect.bpf.o" \
		-I "$here/../stdlib-policies"
	"$d/compiler/aspenc" "$here/../examples/model-rules.asp" -o "$work/$b-request.bpf.o" \
		-I "$here/../stdlib-policies"
	cacheopt[$b]=
	! "${exe[$b]}" --help | grep -q -- --btf-cache || cacheopt[$b]="--btf-cache=$work/btf-$b"
done

dns() { # MODE: the fake DNS server, answering (ok) or not (silent)
	[ -z "$dns_pid" ] || { kill "$dns_pid"; wait "$dns_pid" 2>/dev/null || true; }
	rm -f "$work/dns.ready"
	local rule='*=192.0.2.1'
	[ "$1" = silent ] && rule='silent:*=192.0.2.1'
	python3 "$here/../tests/lib/fake_dns.py" 127.0.0.53 "$work/dns.ready" "$rule" >/dev/null 2>&1 &
	dns_pid=$!
	for _ in $(seq 50); do [ -e "$work/dns.ready" ] && break; sleep 0.1; done
	printf 'nameserver 127.0.0.53\noptions timeout:1 attempts:1\n' >"$work/resolv.conf"
	mount --bind "$work/resolv.conf" /etc/resolv.conf
}

# start ARGS...: start aspend $b with $obj, wait until ready, print its
# figures (ms): enforcing, and TLS probe programs loaded (= enforcing
# without them). Each start logs to a file of its own, opened for append.
# Before, all wrote one file, truncated at each start: the watchdog of the
# aspend just SIGKILLed (adoption) still held it at that aspend's final
# offset and wrote its "aspend ... is gone" line there after its
# redaction passes (~220 ms after the kill, watchdog.c), when the new
# start's log, about as long, had reached that offset: over its
# "enforcing" line. sed found none and the ready figure was taken (the
# 778 ms "adoption" medians of session 25). A start whose line is missing
# now ends the bench.
nstart=0
start() {
	rm -f "$work/ready"
	nstart=$((nstart + 1))
	log=$work/aspend-$nstart.log
	# shellcheck disable=SC2086 # cacheopt: one word or none
	"${exe[$b]}" "$work/$b-$pol.bpf.o" --cgroup "$cg" --audit "$work/audit.jsonl" \
		--ready-file "$work/ready" ${cacheopt[$b]} \
		--resolve api.openai.com=127.0.0.2 "$@" 2>>"$log" &
	aspend_pid=$!
	for _ in $(seq 400); do [ -f "$work/ready" ] && break; sleep 0.025; done
	[ -f "$work/ready" ] || { cat "$log" >&2; exit 1; }
	local e t
	e=$(sed -n 's/.* enforcing in cgroup .*, \([0-9]*\) ms after start.*/\1/p' "$log")
	t=$(sed -n 's/.*TLS probe programs loaded .*, \([0-9]*\) ms after start.*/\1/p' "$log")
	[ -n "$e" ] || { echo "bench/startup.sh: no enforcing line in $log:" >&2; cat -v "$log" >&2; exit 1; }
	echo "$e ${t:-$e}"
}
# After each stop but a SIGKILL, a pause (ASPEN_BENCH_SETTLE seconds,
# default 1) before the next start: the kernel frees the stopped aspend's
# maps and programs (~15 MB for a request policy) in a workqueue and after
# RCU grace periods, on the same two cores, and each start measured that
# teardown too. Session 28, alternating starts of two builds, medians of 5:
# connect rules 77-91 ms [46-107] without the pause, 46-50 [45-53] with it;
# request rules 82-116 [72-147] without, 78-81 [72-96] with. The adoption
# row's SIGKILL restart (what a host sees at an upgrade) has no pause.
stop() {
	kill -"${1:-TERM}" "$aspend_pid"
	wait "$aspend_pid" 2>/dev/null || true
	aspend_pid=
	[ "${1:-TERM}" = KILL ] || sleep "${ASPEN_BENCH_SETTLE:-1}"
}
# summary COLUMN < "enforcing ready" lines: "median [min-max]"
summary() { awk -v c="$1" '{ print $c }' | sort -n | awk '{ v[NR] = $1 } END { printf "%d [%d-%d]", v[int((NR + 1) / 2)], v[1], v[NR] }'; }

declare -A r
for pol in connect request; do
	for b in $bins; do # the first start of each: no BTF cache yet
		rm -rf "$work/btf-$b"
		start --no-resolve >"$work/$b-$pol-first"
		stop
		r[$b-$pol-first]=$(summary 1 <"$work/$b-$pol-first")
		r[$b-$pol-first-ready]=$(summary 2 <"$work/$b-$pol-first")
	done
	for kind in baseline dns-ok dns-silent adopt; do
		case $kind in dns-ok) dns ok ;; dns-silent) dns silent ;; esac
		for b in $bins; do : >"$work/$b-$pol-$kind"; done
		for i in 1 2 3 4 5; do
			for b in $bins; do
				case $kind in
				baseline) start --no-resolve; stop ;;
				dns-ok | dns-silent) start; stop ;;
				adopt) start --no-resolve >/dev/null; stop KILL; start --no-resolve; stop ;;
				esac >>"$work/$b-$pol-$kind"
			done
		done
		for b in $bins; do
			r[$b-$pol-$kind]=$(summary 1 <"$work/$b-$pol-$kind")
			r[$b-$pol-$kind-ready]=$(summary 2 <"$work/$b-$pol-$kind")
		done
		"${exe[new]}" --unload "$cg" --force >/dev/null 2>&1 || true
	done
done
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/max(float(sys.argv[2]),1):.2f}')" "${1%% *}" "${2%% *}"; }
echo "start to enforcing (aspend's own figure, ms, median of 5 [min-max]; first start: one):"
for pol in connect request; do
	for kind in first baseline dns-ok dns-silent adopt; do
		line="  $pol $kind: ${r[new-$pol-$kind]}"
		[ -z "$base" ] || line+=" vs ${r[old-$pol-$kind]} ($(ratio "${r[new-$pol-$kind]}" "${r[old-$pol-$kind]}")x the baseline build)"
		if [ "$pol" = request ]; then
			line+="; ready (TLS probes loaded): ${r[new-$pol-$kind-ready]}"
			[ -z "$base" ] || line+=" vs ${r[old-$pol-$kind-ready]}"
		fi
		echo "$line"
	done
done
