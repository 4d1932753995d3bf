#!/usr/bin/env bash
# Install everything Aspen needs to build, test and run on Debian 12, as root.
# Idempotent: run it as often as you like. Fetches apt packages, and the
# openai npm client the e2e tests drive (tests/lib/npm-setup.sh, npm registry).
#   scripts/install-deps.sh           to build, test and run
#   scripts/install-deps.sh --bench   and what bench/ drives and compares
#                                     with (nginx, wrk, bpftrace, perf)
set -euo pipefail

bench=0
for arg in "$@"; do
	case $arg in
	--bench) bench=1 ;;
	*)
		echo "install-deps.sh: unknown option '$arg' (usage: $0 [--bench])" >&2
		exit 2
		;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (sudo $0)" >&2
	exit 1
fi

pkgs=(
	cmake gcc make pkg-config clang llvm
	libbpf-dev bpftool libelf-dev zlib1g-dev
	flex bison libyaml-dev libcmocka-dev libssl-dev libpcre2-dev
	openssl curl wget python3 iproute2 util-linux procps jq
	golang-go ruby
	dpkg-dev file systemd man-db python3-yaml
	libmicrohttpd-dev libcurl4-openssl-dev prometheus logrotate
	python3-hpack python3-h2 python3-httpx python3-websockets
)
# Debian starts an installed nginx as a service on port 80: the benches run
# their own, so one this script brought in is stopped and disabled.
had_nginx=1
if [ "$bench" = 1 ]; then
	pkgs+=(nginx wrk bpftrace linux-perf)
	command -v nginx >/dev/null 2>&1 || had_nginx=0
fi
# Debian's nodejs conflicts with NodeSource's, which dev machines often
# carry: only install it when no node is on PATH.
if ! command -v node >/dev/null 2>&1; then
	pkgs+=(nodejs)
fi
# npm comes with NodeSource's node; Debian ships it apart. Never apt-install
# it next to an npm that is already there.
if ! command -v npm >/dev/null 2>&1; then
	pkgs+=(npm)
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${pkgs[@]}"
if [ "$had_nginx" = 0 ]; then
	systemctl disable --now nginx 2>/dev/null || service nginx stop 2>/dev/null || true
fi

# Hooks need tracefs (exec/fork tracepoints) and bpffs (pinning).
mount_if_missing() { # FSTYPE DIR
	local type=$1 dir=$2
	if ! awk -v d="$dir" -v t="$type" '$2 == d && $3 == t { found = 1 } END { exit !found }' /proc/mounts; then
		mkdir -p "$dir"
		mount -t "$type" none "$dir"
		echo "install-deps.sh: mounted $type at $dir"
	fi
}
mount_if_missing tracefs /sys/kernel/tracing
mount_if_missing bpf /sys/fs/bpf

# cgroup v2 must be mounted somewhere (unified or hybrid layout).
if ! awk '$3 == "cgroup2" { found = 1 } END { exit !found }' /proc/mounts; then
	echo "install-deps.sh: warning: no cgroup2 mount found; aspend --cgroup needs one" >&2
fi

# The official openai npm client for tests/e2e/test_tls_openai_sdk.sh (the
# test installs it itself when this step could not).
"$(dirname "$0")/../tests/lib/npm-setup.sh" ||
	echo "install-deps.sh: warning: tests/lib/npm-setup.sh failed (the openai sdk e2e test will retry)" >&2

echo "install-deps.sh: done"
