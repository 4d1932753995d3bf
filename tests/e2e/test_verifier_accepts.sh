#!/usr/bin/env bash
# Every example policy, and policies whose glob DFAs have 2..40 states,
# compile and are accepted by this kernel's verifier (aspend loads and
# attaches them). Once, a DFA of exactly 16 states put its table in
# .rodata.cst16, the kernel refused the object's BTF, and every program
# using bpf_loop failed to load.
source "$(dirname "$0")/../lib/harness.sh"
harness_start verifier-accepts

load_one() { # OBJ
	start_aspend "$1"
	aspend_alive || fail "aspend died with $1"
	stop_aspend
}

for src in "$ASPEN_SRC"/examples/*.asp; do
	name=$(basename "$src" .asp)
	compile_policy "$src" "$H_WORK/$name.bpf.o"
	log "example $name"
	load_one "$H_WORK/$name.bpf.o"
done

# Globs of n literal bytes give DFAs of n + 2 states: cover the sizes that
# land on clang's mergeable-constant sections (4, 8, 16, 32) and between.
for n in 2 6 14 30 38; do
	exe=/$(head -c $((n - 1)) /dev/zero | tr '\0' a)
	comm=$(head -c $((n < 15 ? n : 15)) /dev/zero | tr '\0' b)
	obj=$(make_policy "dfa$n" <<EOF_POLICY
policy "dfa$n"
default allow
import "providers"
rule r { on connect  when process.exe == "$exe" and process.comm == "$comm"  deny }
EOF_POLICY
)
	log "DFA of $((n + 2)) states"
	load_one "$obj"
done
