#!/usr/bin/env python3
"""perf-buckets-check.py SRC: bench/perf_buckets.py puts each sample of the
client in the bucket its call chain says, and converts counts to us per
request (golden/perf_buckets). Synthetic `perf script -F comm,ip,sym`
samples, one per bucket, plus another command's sample that must not count."""
import io
import subprocess
import sys

SAMPLES = """wrk
\tffffffffc0031e7f bpf_prog_a916f73e00465ead_aspen_feed_step
\tffffffff814ddf45 __uprobe_perf_func
\tffffffff8159f5da uprobe_notify_resume
\tffffffff81000c55 asm_exc_int3
\t           355e0 [unknown]

wrk
\tffffffff82242f3f irqentry_exit_to_user_mode
\tffffffff81000c55 asm_exc_int3

wrk
\tffffffffc002eedf bpf_prog_0123456789abcdef_aspen_write_ret
\tffffffff8159aaaa handle_uretprobe_chain
\tffffffff8159bbbb uprobe_handle_trampoline

wrk
\tffffffff8159bbbb uprobe_handle_trampoline

wrk
\tffffffffc0040000 bpf_prog_cbcc119f64c2b2c1_aspen_sk_msg
\tffffffff81f00000 sk_psock_msg_verdict
\tffffffff81f00100 tcp_bpf_sendmsg

wrk
\tffffffff81100000 pvm_irq_enable
\tffffffff81e00000 sock_def_readable
\tffffffff81e00100 tcp_data_queue

wrk
\tffffffff81e8a349 skb_clone
\tffffffff8207c2d6 __tcp_transmit_skb

wrk
\t           f838f __GI___libc_write

nginx
\tffffffff81e8a349 skb_clone
"""

# one sample each at 1000 Hz over 1000 requests: 1 ms / 1000 = 1.0 us a bucket
want = {"entry probe: program": 1.0, "entry probe: trap": 1.0, "return probe: program": 1.0,
        "return probe: trap": 1.0, "sk_msg program": 1.0, "server wake-up": 1.0,
        "other kernel": 1.0, "user": 1.0}
out = subprocess.run([sys.executable, sys.argv[1] + "/bench/perf_buckets.py", "wrk", "1000", "1000"],
                     input=SAMPLES, capture_output=True, text=True, check=True).stdout
got = {}
for line in io.StringIO(out):
    name, _, rest = line.strip().rpartition(" ")
    if rest == "us" and name:
        k, _, v = name.rpartition(" ")
        got[k.strip()] = float(v)
errors = [k for k in want if got.get(k) != want[k]]
if errors or "CPU per request: 8.0 us" not in out:
    print("perf_buckets.py misplaced samples (%s):\n%s" % (", ".join(errors) or "total", out))
    sys.exit(1)
print("perf_buckets.py: 8 samples in 8 buckets, another command's not counted")
