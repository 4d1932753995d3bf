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

# A long rule chain: 1000 request rules over 50 body patterns, 50 models and
# 40 paths. Past about 80 rules clang once spilled the chain past the
# 512-byte BPF stack (emit_c.c now fences rules from each other).
{
	printf 'policy "long"\ndefault allow\nuninspectable deny\nimport "providers"\n'
	for i in $(seq 50); do printf 'pattern p%d = /tok%d-[a-z]{4}[0-9]{2}/\n' "$i" "$i"; done
	for i in $(seq 1000); do
		printf 'rule r%d { on request when request.model == "m%d" and http.path != "/v%d" and request.body matches p%d deny }\n' \
			"$i" $((i % 50)) $((i % 40)) $(((i * 7) % 50 + 1))
	done
} >"$H_WORK/long.asp"
compile_policy "$H_WORK/long.asp" "$H_WORK/long.bpf.o"
log "1000 request rules"
skip_lines=$(cat "$H_WORK/aspend.log" 2>/dev/null | wc -l)
start_aspend "$H_WORK/long.bpf.o"
aspend_alive || fail "aspend died with long.bpf.o"
# the verifier's work per program, against its limit of 1,000,000
sed -n 's/.*: \(aspen_[a-z0-9_]*\) at .*(\([0-9]*\) insns verified).*/\1 \2/p;
	s/.*attached \(aspen_[a-z0-9_]*\) at .*(\([0-9]*\) insns verified).*/\1 \2/p' \
	<(tail -n +"$((skip_lines + 1))" "$H_WORK/aspend.log") | sort -k2 -n | tail -4 | while read -r prog n; do
	log "  $prog: $n instructions verified ($((n / 10000))% of 1M)"
done
stop_aspend
