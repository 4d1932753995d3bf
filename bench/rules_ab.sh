#!/usr/bin/env bash
# bench/rules.sh's configurations for two builds in one sitting: each round
# runs direct, then the model allowlist and the model + patterns policy
# (bench_policies) under OLD and under NEW, alternated, each ratio to the
# direct run of its own round; medians and spread, and the kernel's BPF
# statistics per program for the last round. For a change's before/after on
# a shared machine, where separate runs of bench/rules.sh drift apart.
#   sudo bench/rules_ab.sh NEW_BUILD OLD_BUILD OLD_TEMPLATE_DIR [SECONDS] [ROUNDS]
# OLD_TEMPLATE_DIR: the bpf-templates/ OLD's aspenc compiles with (e.g. a
# copy of the old tree's, `git archive main bpf-templates | tar -x -C DIR`).
# shellcheck disable=SC2154 # model_policy, patterns_policy: set by bench_policies
source "$(dirname "$0")/lib.sh"
NEW=$(cd "${1:?NEW_BUILD}" && pwd) OLD=$(cd "${2:?OLD_BUILD}" && pwd) OLD_TPL=${3:?OLD_TEMPLATE_DIR}
SECS=${4:-4}
ROUNDS=${5:-5}
harness_start bench-rules-ab
PORT=8443
bench_nginx $PORT
post_lua "$(chat_body)" >"$H_WORK/post.lua"

ASPENC=$OLD/compiler/aspenc ASPEN_TEMPLATE_DIR=$OLD_TPL bench_policies "$PORT"
cp "$model_policy" "$H_WORK/old-model.bpf.o"
cp "$patterns_policy" "$H_WORK/old-patterns.bpf.o"
ASPENC=$NEW/compiler/aspenc bench_policies "$PORT"
cp "$model_policy" "$H_WORK/new-model.bpf.o"
cp "$patterns_policy" "$H_WORK/new-patterns.bpf.o"

rps() { bench_rps "$1" "$SECS" "$PORT"; }

declare -A ratios wns # wns: the write probe's ns a run, each round
for round in $(seq "$ROUNDS"); do
	d=$(rps direct)
	line="round $round: direct $d"
	# old first in odd rounds, new first in even ones: the machine drifts
	# within a round, and a fixed order put it all on one side
	order="old new"
	[ $((round % 2)) = 0 ] && order="new old"
	for cfg in model patterns; do
		for who in $order; do
			if [ "$who" = old ]; then export ASPEND=$OLD/runtime/aspend; else export ASPEND=$NEW/runtime/aspend; fi
			start_aspend "$H_WORK/$who-$cfg.bpf.o"
			stats_on
			r=$(rps "$who-$cfg")
			prog_stats >"$H_WORK/stats.$who-$cfg"
			wns[$who-$cfg]+="$(awk '$1 == "aspen_ssl_write" && $2 > 0 { print int($3 / $2) }' "$H_WORK/stats.$who-$cfg") "
			stats_off
			awk '/requests in/ { print $1 }' "$H_WORK/$who-$cfg.wrk" >"$H_WORK/reqs.$who-$cfg"
			stop_aspend
			ratios[$who-$cfg]+="$(ratio "$r" "$d") "
			line+=", $who $cfg $r ($(ratio "$r" "$d")x)"
		done
	done
	echo "$line"
done
echo "wrk -t1 -c8 ${SECS}s, $ROUNDS rounds; ratio to direct:"
for k in old-model new-model old-patterns new-patterns; do
	# shellcheck disable=SC2086
	echo "  $k: median $(median ${ratios[$k]})x, spread $(spread ${ratios[$k]}) (${ratios[$k]% })"
	# shellcheck disable=SC2086
	echo "    aspen_ssl_write: median $(median ${wns[$k]}) ns a run, spread $(spread ${wns[$k]}) (${wns[$k]% })"
	echo "    program runs per request, ns per run (round $ROUNDS, $(cat "$H_WORK/reqs.$k") requests):"
	while read -r name cnt ns; do
		[ "${cnt:-0}" -gt 0 ] || continue
		printf '      %-22s %6s runs/req  %7s ns/run\n' "$name" \
			"$(ratio "$cnt" "$(cat "$H_WORK/reqs.$k")")" "$((ns / cnt))"
	done <"$H_WORK/stats.$k"
done
