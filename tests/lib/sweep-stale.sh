#!/usr/bin/env bash
# Removes what an interrupted test run left behind (a SIGKILLed ctest, a
# machine restarted mid-suite: the tests' EXIT traps never ran). Only the
# tests' own state is touched: child cgroups named aspen-test-NAME-PID whose
# test process PID is gone, the aspend processes scoped to them, and their
# pinned policies under /sys/fs/bpf/aspen/aspen-test-*. A policy left pinned
# there keeps its programs loaded (tracepoints included), which the teardown
# and unload tests would otherwise see as theirs. scripts/test.sh runs this
# before ctest, as root. Prints one line per thing removed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
ASPEND=${ASPEND:-$here/../../build/runtime/aspend}
[ "$(id -u)" -eq 0 ] || exit 0
root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

stale_cgroup() { # DIR: aspen-test-NAME-PID whose PID no longer runs
	local pid=${1##*-}
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	! kill -0 "$pid" 2>/dev/null
}

kill_scoped_aspend() { # CGROUP_DIR: aspend processes started with --cgroup DIR
	local p cmd
	for p in $(pgrep -x aspend 2>/dev/null); do
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
		[[ " $cmd " == *" $1 "* ]] || continue
		echo "sweep: killing aspend $p ($1)"
		kill -KILL "$p" 2>/dev/null
	done
}

empty_cgroup() { # DIR
	local i
	for i in $(seq 50); do
		[ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ] || return 0
		if [ -e "$1/cgroup.kill" ]; then
			echo 1 >"$1/cgroup.kill"
		else
			xargs -r kill -KILL <"$1/cgroup.procs" 2>/dev/null
		fi
		sleep 0.1
	done
	return 1
}

unload() { # CGROUP_DIR or SCOPE
	[ -x "$ASPEND" ] || return 0
	"$ASPEND" --unload "$1" --force 2>&1 | grep -E '^unloaded' | sed 's/^/sweep: /'
}

if [ -n "$root" ]; then
	for cg in "$root"/aspen-test-*; do
		[ -d "$cg" ] && stale_cgroup "$cg" || continue
		kill_scoped_aspend "$cg"
		unload "$cg"
		empty_cgroup "$cg" || echo "sweep: warning: processes left in $cg" >&2
		rmdir "$cg" 2>/dev/null && echo "sweep: removed $cg"
	done
fi
# pinned test scopes whose cgroup is gone (the cgroup links went with it,
# the tracepoint links and maps did not)
for dir in /sys/fs/bpf/aspen/aspen-test-*; do
	[ -d "$dir" ] || continue
	[ -n "$root" ] && [ -d "$root/${dir##*/}" ] && continue
	unload "${dir##*/}"
done
exit 0
