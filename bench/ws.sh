#!/usr/bin/env bash
# Cost of WebSocket message inspection, as ratios in one sitting: python
# websockets (tests/lib/ws_client.py, no compression) sends N
# response.create messages of about SIZE bytes, one after the other on one
# connection, each answered by the fake provider's Responses API events;
# without aspend (direct) and with a model policy (the upgrade passes, each
# message is unmasked and scanned in the write probe, byte by byte).
# Elapsed time per message and throughput as a ratio of direct, per size.
#   sudo bench/ws.sh [BUILD_DIR] [MESSAGES]
here=$(cd "$(dirname "$0")" && pwd)
export ASPEN_SRC=${ASPEN_SRC:-$here/..}
build=${1:-$ASPEN_SRC/build}
export ASPENC=${ASPENC:-$build/compiler/aspenc} ASPEND=${ASPEND:-$build/runtime/aspend}
N=${2:-50}
source "$ASPEN_SRC/tests/lib/harness.sh"
harness_start bench-ws
/usr/bin/python3 -c 'import websockets' 2>/dev/null || skip_or_fail "python3-websockets missing"
URL=wss://api.openai.com/v1/responses

run() { # NAME SIZE -> elapsed ns for N messages
	local steps=() i t0 t1
	for i in $(seq "$N"); do steps+=("big:gpt-4o-mini:$2"); done
	t0=$(date +%s%N)
	client "$1" env SSL_CERT_FILE="$H_CA" /usr/bin/python3 "$H_LIB/ws_client.py" "$URL" "${steps[@]}"
	t1=$(date +%s%N)
	[ "$C_RC" = 0 ] || fail "$1: status $C_RC"
	echo $((t1 - t0))
}

obj=$(make_policy bench-ws <<'EOF_POLICY'
policy "bench-ws"
default deny
uninspectable deny
import "providers"
rule approved { on request  when request.model in ["gpt-4o-mini"]  allow }
EOF_POLICY
)
declare -A direct aspen
for size in 1000 100000; do
	run warm-$size "$size" >/dev/null
	direct[$size]=$(run direct-$size "$size")
done
start_aspend "$obj"
audit_wait event=policy_load policy=bench-ws >/dev/null
for size in 1000 100000; do
	run warm-aspen-$size "$size" >/dev/null
	aspen[$size]=$(run aspen-$size "$size")
done
stop_aspend
for size in 1000 100000; do
	d=${direct[$size]} a=${aspen[$size]}
	printf 'ws message ~%6d B x %d: direct %6.2f ms/msg, aspen %6.2f ms/msg, throughput %.2fx of direct\n' \
		"$size" "$N" "$(echo "$d / $N / 1000000" | bc -l)" "$(echo "$a / $N / 1000000" | bc -l)" \
		"$(echo "$d / $a" | bc -l)"
done
