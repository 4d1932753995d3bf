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
#   sudo bench/startup.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/startup.sh: needs root (loads eBPF)" >&2; exit 1; }
if [ -z "${ASPEN_BENCH_NS:-}" ]; then
	export ASPEN_BENCH_NS=1
	exec unshare -m -n --propagation private -- "$BASH" "$0" "$build"
fi
ip link set lo up
work=$(mktemp -d /tmp/aspen-bench-startup.XXXXXX)
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cg=$cg2/aspen-bench-startup-$$
aspend=$build/runtime/aspend
aspend_pid= dns_pid=
cleanup() {
	[ -n "$aspend_pid" ] && kill -TERM "$aspend_pid" 2>/dev/null && wait "$aspend_pid" || true
	[ -n "$dns_pid" ] && kill "$dns_pid" 2>/dev/null || true
	"$aspend" --unload "$cg" --force >/dev/null 2>&1 || true
	[ -d "$cg" ] && rmdir "$cg"
	while umount /etc/resolv.conf 2>/dev/null; do :; done
	rm -rf "$work"
}
trap cleanup EXIT
mkdir "$cg"
"$build/compiler/aspenc" "$here/connect.asp" -o "$work/connect.bpf.o" -I "$here/../stdlib-policies"
"$build/compiler/aspenc" "$here/../examples/model-rules.asp" -o "$work/request.bpf.o" \
	-I "$here/../stdlib-policies"

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

# start ARGS...: start aspend with $obj, wait until ready, print its figures
# (ms): enforcing, and TLS probe programs loaded (= enforcing without them)
start() {
	rm -f "$work/ready"
	: >"$work/aspend.log"
	"$aspend" "$obj" --cgroup "$cg" --audit "$work/audit.jsonl" --ready-file "$work/ready" \
		--resolve api.openai.com=127.0.0.2 "$@" 2>"$work/aspend.log" &
	aspend_pid=$!
	for _ in $(seq 400); do [ -f "$work/ready" ] && break; sleep 0.025; done
	[ -f "$work/ready" ] || { cat "$work/aspend.log" >&2; exit 1; }
	local e t
	e=$(sed -n 's/.* enforcing in cgroup .*, \([0-9]*\) ms after start.*/\1/p' "$work/aspend.log")
	t=$(sed -n 's/.*TLS probe programs loaded .*, \([0-9]*\) ms after start.*/\1/p' "$work/aspend.log")
	echo "$e ${t:-$e}"
}
stop() { kill -"${1:-TERM}" "$aspend_pid"; wait "$aspend_pid" 2>/dev/null || true; aspend_pid=; }
# summary COLUMN < "enforcing ready" lines: "median [min-max]"
summary() { awk -v c="$1" '{ print $c }' | sort -n | awk '{ v[NR] = $1 } END { printf "%d [%d-%d]", v[int((NR + 1) / 2)], v[1], v[NR] }'; }

declare -A r
for pol in connect request; do
	obj=$work/$pol.bpf.o
	for kind in baseline dns-ok dns-silent adopt; do
		case $kind in dns-ok) dns ok ;; dns-silent) dns silent ;; esac
		for i in 1 2 3 4 5; do
			case $kind in
			baseline) start --no-resolve; stop ;;
			dns-ok | dns-silent) start; stop ;;
			adopt) start --no-resolve >/dev/null; stop KILL; start --no-resolve; stop ;;
			esac
		done >"$work/$pol-$kind"
		r[$pol-$kind]=$(summary 1 <"$work/$pol-$kind")
		r[$pol-$kind-ready]=$(summary 2 <"$work/$pol-$kind")
	done
	"$aspend" --unload "$cg" --force >/dev/null 2>&1 || true
done
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/max(float(sys.argv[2]),1):.2f}')" "${1%% *}" "${2%% *}"; }
echo "start to enforcing (aspend's own figure, ms, median of 5 [min-max]):"
for pol in connect request; do
	for kind in baseline dns-ok dns-silent adopt; do
		line="  $pol $kind: ${r[$pol-$kind]} ($(ratio "${r[$pol-$kind]}" "${r[connect-baseline]}")x connect baseline)"
		[ "$pol" = connect ] || line+="; ready (TLS probes loaded): ${r[$pol-$kind-ready]}"
		echo "$line"
	done
done
