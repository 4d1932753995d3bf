#!/usr/bin/env bash
# npm-setup.sh: installs tests/lib/openai-client's dependencies (the official
# openai npm package, v4) into tests/lib/openai-client/node_modules, once.
# A later run with node_modules in place and package.json unchanged does
# nothing. Exit 0 when `require('openai')` works afterwards, 1 otherwise.
set -euo pipefail
dir=$(cd "$(dirname "$0")/openai-client" && pwd)
stamp=$dir/node_modules/.aspen-installed
cd "$dir"
sum=$(sha256sum package.json | cut -d' ' -f1)
if [ -e "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && node -e "require('openai')" 2>/dev/null; then
	exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "npm-setup.sh: npm not found" >&2; exit 1; }
# A lock from an interrupted run must not wedge the next one.
lock=$dir/.npm-setup.lock
exec 9>"$lock"
flock -w 300 9 || { echo "npm-setup.sh: another install holds $lock" >&2; exit 1; }
timeout 240 npm install --no-audit --no-fund --no-package-lock --loglevel=error >&2 ||
	{ echo "npm-setup.sh: npm install failed" >&2; exit 1; }
node -e "require('openai')" || { echo "npm-setup.sh: openai not loadable after install" >&2; exit 1; }
echo "$sum" >"$stamp"
echo "npm-setup.sh: openai $(node -p "JSON.parse(require('fs').readFileSync('node_modules/openai/package.json')).version") installed in $dir/node_modules" >&2
