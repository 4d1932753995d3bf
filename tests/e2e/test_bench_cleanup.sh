#!/usr/bin/env bash
# A bench that fails cleans up as one that passes (bench/lib.sh, bench_exit):
# once, a failed bench's EXIT trap stopped at its first command and left
# the fake providers running in a cgroup that was never removed, holding
# /tmp/aspen-bpf.lock (inherited), so every later load waited on it. Runs a
# bench made to fail (no aspend, no nginx), then looks for what it left.
# Not on the harness itself: the bench's own harness starts the providers.
set -euo pipefail
src=${ASPEN_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
me=bench-cleanup
fail() { echo "[$me] FAIL: $*" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" != true ] || fail "not root (CI=true: e2e tests must not be skipped)"
	echo "[$me] SKIP: needs root (cgroups, fake providers on port 443)" >&2
	exit 77
fi
work=$(mktemp -d /tmp/aspen-$me.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat >"$work/bench-fails.sh" <<EOF_INNER
source "$src/bench/lib.sh"
harness_start bench-fails
trap bench_exit EXIT
echo "\$H_CG \${H_FAKE_PIDS[*]}" >"$work/left"
false # the bench fails here
EOF_INNER
rc=0
bash "$work/bench-fails.sh" "${ASPEN_BUILD:-$src/build}" >"$work/inner.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { cat "$work/inner.log" >&2; fail "the bench made to fail exited 0"; }
read -r cg pids <"$work/left" || { cat "$work/inner.log" >&2; fail "the failing bench did not start"; }
[ -n "$pids" ] || fail "the failing bench started no fake provider"
left=""
for p in $pids; do
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && left+=" $p"
done
cgleft=""
[ ! -d "$cg" ] || cgleft=$cg
if [ -n "$left$cgleft" ]; then # what this test then removes itself
	# shellcheck disable=SC2086 # pids, a word each
	[ -z "$left" ] || kill $left 2>/dev/null || true
	sleep 0.5
	[ -z "$cgleft" ] || rmdir "$cg" 2>/dev/null || true
	fail "a failed bench left behind: fake providers${left:- none}; cgroup ${cgleft:-none}"
fi
echo "[$me] PASS: a failed bench (status $rc) stopped its $(wc -w <<<"$pids") fake providers and removed its cgroup" >&2
