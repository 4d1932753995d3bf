#!/bin/sh
# 10,000 random events over 40 random policies, each decided by the
# policy's compiled code in the kernel (BPF_PROG_TEST_RUN, needs root) and
# by aspenc's reference evaluator; prints the runtime and the number of
# disagreements (each one printed with its event; its policy is kept).
# usage: bench/aspenc-test.sh [ASPENC] [EVENTS] [SEED]
set -eu
aspenc=${1:-build/compiler/aspenc}
n=${2:-10000}
seed=${3:-$(date +%s)}
echo "seed $seed"
"$aspenc" test --random "$n" --policies 40 --seed "$seed"
