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
log() { echo "sweep: $*" >&2; }
# kill_cgroup, cgroup2_mount (function definitions only)
source "$here/ns.sh"
root=$(cgroup2_mount)

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

unload() { # CGROUP_DIR or SCOPE
	[ -x "$ASPEND" ] || return 0
	"$ASPEND" --unload "$1" --force 2>&1 | grep -E '^unloaded' | sed 's/^/sweep: /'
}

if [ -n "$root" ]; then
	for cg in "$root"/aspen-test-*; do
		[ -d "$cg" ] && stale_cgroup "$cg" || continue
		kill_scoped_aspend "$cg"
		unload "$cg"
		kill_cgroup "$cg" # cgroup.kill: its child cgroups too
		find "$cg" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
		rmdir "$cg" 2>/dev/null && echo "sweep: removed $cg"
	done
fi
# pinned test scopes whose cgroup is gone (the cgroup links went with it,
# the tracepoint links and maps did not)
for dir in /sys/fs/bpf/aspen/aspen-test-*; do
	[ -d "$dir" ] || continue
	scope=${dir##*/}
	[ -n "$root" ] && [ -d "$root/${scope//+//}" ] && continue # a + stands for a /
	unload "$scope"
done
exit 0
