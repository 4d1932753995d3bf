#!/usr/bin/env bash
# A masked request's added latency, two builds alternated in one sitting:
# bench/redact_client.py (python3, keep-alive, a fresh body per request)
# to the bench nginx, N requests per run; per round: direct, then for each
# of OLD, NEW and NEW with --rt-priority 50 (NEW only when it has the
# option), aspend with a policy masking pii.ssn: without PII in the body
# (scanned only) and with an SSN in every request (writer held, masked,
# resumed). Prints p50/p99 (us) per run and the medians over ROUNDS of the
# p50 and p99 added to direct by the masked request.
# NEW_BUILD first: lib.sh takes $1 as the build (and the harness may run
# the script again with the same arguments).
#   sudo bench/redact_ab.sh NEW_BUILD OLD_BUILD [N] [ROUNDS]
NEW=${1:?usage: redact_ab.sh NEW_BUILD OLD_BUILD [N] [ROUNDS]}
OLD=${2:?usage: redact_ab.sh NEW_BUILD OLD_BUILD [N] [ROUNDS]}
N=${3:-1000}
ROUNDS=${4:-3}
source "$(dirname "$0")/lib.sh"
harness_start bench-redact-ab

PORT=8443
bench_nginx $PORT
policy_src=$(redact_policy_src $PORT)
declare -A obj bin extra
ASPENC=$OLD/compiler/aspenc obj[old]=$(make_policy bench-redact-old <<<"$policy_src")
ASPENC=$NEW/compiler/aspenc obj[new]=$(make_policy bench-redact-new <<<"$policy_src")
obj[new_rt]=${obj[new]}
bin[old]=$OLD/runtime/aspend bin[new]=$NEW/runtime/aspend bin[new_rt]=$NEW/runtime/aspend
extra[new_rt]="--rt-priority 50"
cfgs="old new"
"$NEW/runtime/aspend" --help 2>&1 | grep -q rt-priority && cfgs+=" new_rt"

client() { in_cgroup env SSL_CERT_FILE="$H_CA" "$H_PY" "$here/redact_client.py" api.openai.com $PORT "$N" "$1"; }
declare -A add50 add99
for round in $(seq "$ROUNDS"); do
	read -r d50 d99 < <(client pii)
	line="round $round: direct $d50/$d99"
	for c in $cfgs; do
		ASPEND=${bin[$c]} ASPEND_EXTRA=${extra[$c]:-} start_aspend "${obj[$c]}"
		read -r c50 c99 < <(client clean)
		read -r p50 p99 < <(client pii)
		stop_aspend
		add50[$c]+="$((p50 - d50)) "
		add99[$c]+="$((p99 - d99)) "
		line+=", $c: clean $c50/$c99 pii $p50/$p99 (+$((p50 - d50))/+$((p99 - d99)))"
	done
	echo "$line"
done
echo "python3 keep-alive, $N fresh bodies per run, $ROUNDS rounds; a masked request's latency added to direct (us):"
for c in $cfgs; do
	# shellcheck disable=SC2086
	echo "  $c: p50 median +$(median ${add50[$c]}) (spread $(spread ${add50[$c]})), p99 median +$(median ${add99[$c]}) (spread $(spread ${add99[$c]}))"
done
