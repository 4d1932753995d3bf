#!/usr/bin/env bash
# Cost of partial writes (OpenSSL's SSL_MODE_ENABLE_PARTIAL_WRITE, which
# Ruby sets: one record per SSL_write call, the next call brings the rest
# again): Ruby Net::HTTP POSTing chat bodies of 40 KB and 1 MB to nginx
# over loopback TLS, keep-alive, one after another, without aspend (direct)
# and with request rules on the model (the first call of each body parses
# it whole and its return hashes the rest per 16 KiB block; each later
# call checks the block it writes). Prints per body the mean time per request of each,
# their ratio (direct / model: the throughput ratio), medians and spread
# over the rounds, and from the kernel's BPF statistics the write probe's
# and the return probe's time per request.
#   sudo bench/partial.sh [BUILD_DIR] [REQUESTS] [ROUNDS]
source "$(dirname "$0")/lib.sh"
N=${2:-40}
ROUNDS=${3:-3}
harness_start bench-partial
command -v ruby >/dev/null 2>&1 || fail "ruby is not installed (scripts/install-deps.sh)"

PORT=8443
bench_nginx $PORT # its default body limit, 1 MiB, takes the 1 MB body

SIZES="40000 1000000"
for size in $SIZES; do
	big_body "$H_WORK/body-$size.json" "$size" gpt-4o-mini
done
model_policy=$(make_policy bench-partial <<EOF_POLICY
policy "bench-partial"
default deny
uninspectable deny
provider bench_openai { hosts = ["api.openai.com"]  ports = [$PORT] }
rule approved { on connect  when provider == bench_openai  allow }
rule mini_only { on request  when request.model in ["gpt-4o-mini"]  allow }
EOF_POLICY
)

# run_ruby SIZE: microseconds per request of N POSTs on one connection
# (after one to warm it)
run_ruby() {
	in_cgroup ruby -rnet/http -e '
u = URI(ARGV[0]); body = File.binread(ARGV[1]); n = ARGV[2].to_i
h = Net::HTTP.new(u.host, u.port); h.use_ssl = true; h.ca_file = ARGV[3]
h.start do |c|
  post = -> { r = c.post(u.path, body, "Content-Type" => "application/json"); raise "status #{r.code}" unless r.code == "200" }
  post.call
  t = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  n.times { post.call }
  puts ((Process.clock_gettime(Process::CLOCK_MONOTONIC) - t) * 1e6 / n).round
end' "https://api.openai.com:$PORT/v1/chat/completions" "$H_WORK/body-$1.json" "$N" "$H_CA"
}
# prog_ns NAME: "run_cnt run_time_ns" of the BPF programs called NAME
prog_ns() { prog_stats | awk -v want="$1" '$1 == want { c += $2; t += $3 } END { print c + 0, t + 0 }'; }

declare -A direct model ratios
for r in $(seq "$ROUNDS"); do
	for size in $SIZES; do
		direct[$size]+="$(run_ruby "$size") "
	done
	start_aspend "$model_policy"
	audit_wait event=policy_load policy=bench-partial >/dev/null
	stats_on
	for size in $SIZES; do
		read -r w0 wt0 <<<"$(prog_ns aspen_ssl_write)"
		read -r r0 rt0 <<<"$(prog_ns aspen_write_ret)"
		us=$(run_ruby "$size")
		read -r w1 wt1 <<<"$(prog_ns aspen_ssl_write)"
		read -r r1 rt1 <<<"$(prog_ns aspen_write_ret)"
		model[$size]+="$us "
		d=${direct[$size]% }
		d=${d##* }
		ratios[$size]+="$(ratio "$d" "$us") "
		reqs=$((N + 1))
		echo "# round $r, $size B: direct $d us, model $us us a request; write probe $(((wt1 - wt0) / reqs / 1000)) us in $(((w1 - w0) / reqs)) calls, return probe $(((rt1 - rt0) / reqs / 1000)) us a request"
	done
	stats_off
	stop_aspend
done
for size in $SIZES; do
	# shellcheck disable=SC2086 # word lists
	echo "partial writes, $size B body: direct $(median ${direct[$size]}) us, model $(median ${model[$size]}) us a request: $(median ${ratios[$size]})x ($(spread ${ratios[$size]}))"
done
