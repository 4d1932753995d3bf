#!/bin/sh
# Runs `aspenc test` on every tests/policy/*.yaml (the examples' policy
# tests), then a short random run of both evaluators.
# usage: run-policy-tests.sh ASPENC TESTS_POLICY_DIR [RANDOM_EVENTS]
# The kernel run (BPF_PROG_TEST_RUN) needs root: in CI (CI set) a run
# without it fails; elsewhere it runs the reference evaluator only.
set -eu
aspenc=$1
dir=$2
n=${3:-500}
if [ "$(id -u)" != 0 ]; then
	if [ -n "${CI:-}" ]; then
		echo "run-policy-tests: CI must run as root (BPF_PROG_TEST_RUN)" >&2
		exit 1
	fi
	echo "run-policy-tests: not root: reference evaluator only (partial run)" >&2
	ref=--reference-only
else
	ref=
fi
"$aspenc" test $ref --coverage "$dir"/*.yaml
"$aspenc" test $ref --random "$n" --policies 5 --seed "${ASPEN_TEST_SEED:-1}"
