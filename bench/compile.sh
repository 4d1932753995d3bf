#!/usr/bin/env bash
# Compile time of aspenc (issue 16's goals), medians of ROUNDS runs:
#   connect       bench/connect.asp (connect rules only): the floor
#   model         one model rule, no pattern: the floor of a policy with
#                 request rules (clang on the TLS/HTTP/HTTP2/WebSocket
#                 templates)
#   five          five stdlib body patterns (ssn, credit_card, aws key,
#                 private key, openai key) in deny rules
#   every         as many stdlib patterns as one policy can combine (the
#                 body DFA budget: 4 DFAs of 4096 states): 5 secrets denied,
#                 4 pii patterns redacted (EVERY_SECRETS, EVERY_PII)
#   1000x50       1000 request rules over 50 patterns (generated)
# For each: the whole compile (parse..clang..link, -o OBJ) with the
# templates' part already built ("warm": aspenc compiles it once per set of
# feature macros and keeps it, docs/internals.md "Two objects, linked") and
# with an empty cache ("cold": both parts built, at once), aspenc's own part
# (--emit-c: parse, checks, automata, C), the rest of the warm compile
# (clang on the generated part, the link) and the ratio of warm to
# `connect`. The cache is the bench's own (ASPEN_CACHE_DIR, no prebuilt
# objects); a build before the cache compiles everything every time (cold =
# warm). "fresh": as on a fresh install or CI runner, no cache at all, the
# build's prebuilt objects only (BUILD_DIR/prebuilt, compiler/prebuild/):
# warm when the policy's feature set is prebuilt, cold otherwise. Wall
# times: run it on an idle machine, and compare builds (BUILD_DIR) in one
# sitting.
#   bench/compile.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
rounds=${2:-5}
aspenc=$build/compiler/aspenc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASPEN_CACHE_DIR=$work/cache ASPEN_PREBUILT_DIR=

cat >"$work/model.asp" <<'EOF_P'
policy "model"
default allow
uninspectable deny
import "providers"
rule m { on request when request.model != "gpt-4o-mini" deny }
EOF_P
cat >"$work/five.asp" <<'EOF_P'
policy "five"
default allow
uninspectable deny
import "providers"
import "pii"
import "secrets"
rule a { on request when request.body matches pii.ssn deny }
rule b { on request when request.body matches pii.credit_card deny }
rule c { on request when request.body matches secrets.aws_access_key deny }
rule d { on request when request.body matches secrets.private_key deny }
rule e { on request when request.body matches secrets.openai_key deny }
EOF_P
{
	printf 'policy "every"\ndefault allow\nuninspectable deny\nimport "providers"\nimport "pii"\nimport "secrets"\n'
	for p in ${EVERY_SECRETS:-aws_access_key openai_key anthropic_key github_token private_key}; do
		printf 'rule s_%s { on request when request.body matches secrets.%s deny }\n' "$p" "$p"
	done
	for p in ${EVERY_PII:-ssn credit_card email phone}; do
		printf 'rule r_%s { on request redact pii.%s }\n' "$p" "$p"
	done
} >"$work/every.asp"
{
	printf 'policy "big"\ndefault allow\nuninspectable deny\nimport "providers"\n'
	for i in $(seq 50); do printf 'pattern p%d = /tok%d-[a-z]{4}[0-9]{2}/\n' "$i" "$i"; done
	for i in $(seq 1000); do
		printf 'rule r%d { on request when request.model == "m%d" and http.path != "/v%d" and request.body matches p%d deny }\n' \
			"$i" $((i % 50)) $((i % 40)) $(((i * 7) % 50 + 1))
	done
} >"$work/big.asp"

median_ms() { # [--cold|--fresh] ARGS...: median wall time of ROUNDS runs of aspenc ARGS
	local t=() t0 t1 cold=0 what= a
	if [ "$1" = --fresh ]; then
		shift
		ASPEN_CACHE_DIR=off ASPEN_PREBUILT_DIR=$build/prebuilt median_ms "$@"
		return
	fi
	[ "$1" != --cold ] || { cold=1; shift; }
	for a; do case $a in --emit-c) what="--emit-c " ;; *.asp) what+=$(basename "$a") ;; esac; done
	for _ in $(seq "$rounds"); do
		[ "$cold" = 0 ] || rm -rf "$ASPEN_CACHE_DIR"
		t0=$(date +%s%N)
		"$aspenc" "$@" >/dev/null 2>"$work/err" || {
			echo "aspenc $*: failed:" >&2
			head -3 "$work/err" >&2
			echo fails
			return
		}
		t1=$(date +%s%N)
		t+=($(((t1 - t0) / 1000000)))
	done
	# the median on stdout, the spread (min..max) on stderr
	printf '%s\n' "${t[@]}" | sort -n | awk -v what="$what" -v cold="$cold" '{ v[NR] = $1 }
		END { print v[int((NR + 1) / 2)]
		      printf "  %s%s: %d ms (%d..%d)\n", cold ? "cold " : "", what, v[int((NR + 1) / 2)], v[1], v[NR] > "/dev/stderr" }'
}

cold=$(median_ms --cold "$here/connect.asp" -o "$work/o")
base=$(median_ms "$here/connect.asp" -o "$work/o")
own=$(median_ms --emit-c "$here/connect.asp" -o "$work/c")
fresh=$(median_ms --fresh "$here/connect.asp" -o "$work/o")
printf '%-10s %8s %8s %8s %10s %9s %8s\n' policy "cold ms" "warm ms" "fresh ms" "aspenc ms" "clang ms" ratio
printf '%-10s %8s %8s %8s %10s %9s %8s\n' connect "$cold" "$base" "$fresh" "$own" $((base - own)) 1.00
for p in model five every big; do
	cold=$(median_ms --cold "$work/$p.asp" -o "$work/o")
	full=$(median_ms "$work/$p.asp" -o "$work/o")
	fresh=$(median_ms --fresh "$work/$p.asp" -o "$work/o")
	own=$(median_ms --emit-c "$work/$p.asp" -o "$work/c")
	printf '%-10s %8s %8s %8s %10s %9s %8s\n' "$p" "$cold" "$full" "$fresh" "$own" \
		"$(awk -v a="$full" -v b="$own" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) print a - b; else print "-" }')" \
		"$(awk -v a="$full" -v b="$base" 'BEGIN { if (a + 0 > 0) printf "%.2f", a / b; else print "-" }')"
done
