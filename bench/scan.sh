#!/bin/sh
# Body scan throughput: the policy's combined body DFA (pii + secrets +
# injection patterns) over 64 KiB of chat JSON, in the kernel (the object's
# SEC("syscall") aspen_scan_test, BPF_PROG_TEST_RUN, one bpf_loop step per
# byte: the code the TLS probes run) and the same generated aspen_body_step
# compiled natively (tests/lib/scan-native.sh), in the same run. Prints MB/s
# of both and the ratio: 20 alternating slices of each (this machine's
# speed drifts over seconds), the median of the neighbouring pairs' ratios
# and their spread. Needs root (BPF_PROG_TEST_RUN).
#   bench/scan.sh [BUILD_DIR] [SECONDS] [POLICY.asp]
# Build without ASPEN_SANITIZE for figures that mean anything for the native
# side (the kernel side does not care).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
secs=${2:-2}
work=$(mktemp -d /tmp/aspen-scan-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
policy=${3:-$src/tests/lib/scan-mix.asp}
ASPEN_KEEP_C=1 "$build/compiler/aspenc" --test-programs "$policy" -o "$work/p.bpf.o" -I "$src/stdlib-policies" 2>"$work/aspenc.err" ||
	{ cat "$work/aspenc.err" >&2; exit 1; }
gen=$(sed -n 's/^aspenc: generated C kept in //p' "$work/aspenc.err")
grep '^/\* body DFA' "$gen" | sed 's/^/# /'
"$src/tests/lib/scan-native.sh" "$gen" "$work/native.so"
rm -f "$gen"
"$build/tests/scan-kernel" "$work/p.bpf.o" --bench --native "$work/native.so" --seconds "$secs"
