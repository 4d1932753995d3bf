#!/usr/bin/env bash
# Cost of the spill path (issue 15), as ratios in one sitting: a python
# http.client keep-alive client POSTs N chat bodies of about 330 KB, the
# model last, to nginx over loopback TLS:
#   one write     the body in one SSL_write: decided by the write probe
#                 before sk_msg sees a byte (no hold)
#   20 writes     the body in 20 writes of ~16 KiB: undecided past the
#                 ~64 KiB sk_msg can cork, so the connection spills: aspend
#                 reads its ciphertext from a slot's hold socket and
#                 forwards it once the model is read (an extra copy of
#                 every byte through aspend)
# each without aspend (direct) and with a model policy; elapsed time per
# request and the ratio of throughput to direct with the same writes.
#   sudo bench/spill.sh [BUILD_DIR] [REQUESTS]
source "$(dirname "$0")/lib.sh"
N=${2:-40}
harness_start bench-spill

PORT=8443
bench_nginx $PORT

big_body "$H_WORK/big.json" 330000 gpt-4o-mini
BYTES=$(stat -c %s "$H_WORK/big.json")

model_policy=$(make_policy bench-spill <<EOF_POLICY
policy "bench-spill"
default deny
uninspectable deny
provider bench_openai { hosts = ["api.openai.com"]  ports = [$PORT] }
rule approved { on connect  when provider == bench_openai  allow }
rule mini_only { on request  when request.model in ["gpt-4o-mini", "gpt-4o"]  allow }
EOF_POLICY
)

files=()
for _ in $(seq "$N"); do files+=(--data-file "$H_WORK/big.json"); done

run_client() { # NAME [--split]: "seconds ok"
	local t0 t1
	t0=$(date +%s%N)
	py_client "$1" "https://api.openai.com:$PORT/v1/chat/completions" --mode keepalive \
		"${files[@]}" ${2:+--split --chunks 20 --chunk-delay 0}
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000)) $(grep -c '"status": 200' "$C_OUT")"
}

declare -A res
for round in 1 2; do
	res[d1$round]=$(run_client "direct-one-$round")
	res[ds$round]=$(run_client "direct-split-$round" split)
	start_aspend "$model_policy"
	res[m1$round]=$(run_client "model-one-$round")
	res[ms$round]=$(run_client "model-split-$round" split)
	[ "$(audit_count event=request decision=deny)" = 0 ] || fail "a request was denied"
	stop_aspend
	mv "$H_AUDIT" "$H_WORK/audit-$round.jsonl"
done

echo
echo "python http.client, keep-alive, $N POSTs of $BYTES B (model last) over loopback TLS; µs per request (ratio of throughput to direct, same writes, same round)"
for round in 1 2; do
	echo "round $round"
	for w in 1 s; do
		read -r d dok <<<"${res[d$w$round]}"
		read -r m mok <<<"${res[m$w$round]}"
		[ "$dok" = "$N" ] && [ "$mok" = "$N" ] || fail "round $round ($w): $dok / $mok of $N answered"
		printf '  %-10s direct %7d µs/req   model rules %7d µs/req   %sx\n' \
			"$([ $w = 1 ] && echo "one write" || echo "20 writes")" $((d / N)) $((m / N)) "$(ratio "$d" "$m")"
	done
done
