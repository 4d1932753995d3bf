#!/usr/bin/env bash
# agents-setup.sh [DIR]: installs the AI coding agents the e2e tests drive
# (tests/e2e/test_agent_*.sh), pinned in tests/lib/agents/package.json:
# @anthropic-ai/claude-code, @openai/codex, @google/gemini-cli, into DIR
# (default $ASPEN_AGENTS_DIR, else build-agents/ in the source tree; about
# 1 GB: Claude Code and Codex are native binaries of 300-400 MB each, in
# their platform packages, npm optional dependencies). Idempotent: with the
# same package.json installed and every agent answering --version it does
# nothing. Serialized by a lock in DIR, bounded by timeouts. Exit 0 when every
# agent runs afterwards, 1 otherwise (with the reason on stderr).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
pkg=$src/tests/lib/agents/package.json
dir=${1:-${ASPEN_AGENTS_DIR:-$src/build-agents}}
me=agents-setup.sh
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
stamp=$dir/node_modules/.aspen-installed
sum=$(sha256sum "$pkg" | cut -d' ' -f1)

# every agent's entry point answers --version (a fresh HOME: nothing read
# from or written to the caller's)
check() {
	local bin h rc=0
	h=$(mktemp -d)
	for bin in claude codex gemini; do
		[ -x "$dir/node_modules/.bin/$bin" ] || { echo "$me: $dir/node_modules/.bin/$bin missing" >&2; rc=1; continue; }
		HOME=$h timeout 60 "$dir/node_modules/.bin/$bin" --version </dev/null >"$h/v" 2>&1 ||
			{ echo "$me: $bin --version failed: $(head -c 300 "$h/v")" >&2; rc=1; continue; }
		[ "${2:-}" != quiet ] || continue
		echo "$me: $bin $(tail -n1 "$h/v")" >&2
	done
	rm -rf "$h"
	return $rc
}

if [ -e "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && check "$dir" quiet 2>/dev/null; then
	exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "$me: npm not found" >&2; exit 1; }
avail=$(df -Pk "$dir" | awk 'NR==2 {print $4}')
[ "$avail" -ge 2000000 ] || { echo "$me: less than 2 GB free in $dir (the agents take about 1 GB)" >&2; exit 1; }

# A lock from an interrupted run must not wedge the next one (flock is
# released with its holder).
exec 9>"$dir/.agents-setup.lock"
flock -w 900 9 || { echo "$me: another install holds $dir/.agents-setup.lock" >&2; exit 1; }
if [ -e "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && check "$dir" quiet 2>/dev/null; then
	exit 0 # installed by the run we waited for
fi
rm -f "$stamp"
cp "$pkg" "$dir/package.json"
# install scripts run (the agents' postinstall steps pick their platform
# binaries); optional dependencies are where those binaries are
(cd "$dir" && timeout 600 npm install --no-audit --no-fund --no-package-lock --include=optional \
	--loglevel=error >&2) || { echo "$me: npm install in $dir failed or took over 600 s" >&2; exit 1; }
check "$dir" || { echo "$me: the agents do not run after the install in $dir" >&2; exit 1; }
echo "$sum" >"$stamp"
echo "$me: agents installed in $dir/node_modules" >&2
