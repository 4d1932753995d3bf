#!/usr/bin/env python3
"""perf_buckets.py COMM REQUESTS HZ < `perf script -F comm,ip,sym`

Where one thread's CPU went per request, from a `perf record -a -g -F HZ`
of a bench run (bench/lib.sh, BENCH_PERF): each sample of COMM is put in
the first bucket its call chain matches, and each bucket is printed in
microseconds of that thread's CPU per request (REQUESTS: what the run
completed). The client is the bottleneck of bench/rules.sh (wrk -t1 is one
thread), so these are what each request costs its throughput.

  entry probe: program   a BPF program run by the uprobe (int3) handler
  entry probe: trap      the rest of the int3 trap and its return to user
  return probe: program  a BPF program run on the function's return
  return probe: trap     the rest of the return probe (uretprobe syscall)
  sk_msg program         a BPF program run in the socket's sendmsg
  server wake-up         waking the server's thread (sock_def_readable):
                         an IPI when its vCPU idles, dear on some VMs
  other kernel           syscalls, TCP, ...
  user                   the client itself, its TLS library
"""
import sys


def bucket(frames):
    """frames: the call chain, leaf first, as (symbol, in the kernel)."""
    syms = [f for f, _ in frames]
    chain = set(syms)
    in_bpf = any(f.startswith("bpf_prog_") for f in syms[:12])
    if "uprobe_handle_trampoline" in chain or "handle_uretprobe_chain" in chain:
        return "return probe: program" if in_bpf else "return probe: trap"
    if "asm_exc_int3" in chain:
        return "entry probe: program" if in_bpf else "entry probe: trap"
    if in_bpf and "tcp_bpf_sendmsg" in chain:
        return "sk_msg program"
    if "sock_def_readable" in chain:
        return "server wake-up"
    if frames and frames[0][1]:
        return "other kernel"
    return "user"


ORDER = ["entry probe: program", "entry probe: trap", "return probe: program",
         "return probe: trap", "sk_msg program", "server wake-up", "other kernel", "user"]


def samples(lines, comm):
    """Each sample of comm's call chain (see bucket())."""
    frames, take = None, False
    for line in lines:
        if not line.strip():
            continue
        if not line[0].isspace():  # a sample's first line: its command
            if take and frames is not None:
                yield frames
            frames, take = [], line.split()[0] == comm
            continue
        ip, _, sym = line.strip().partition(" ")
        frames.append((sym.strip() or "[unknown]", ip.startswith("ffff")))
    if take and frames is not None:
        yield frames


def main():
    comm, requests, hz = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    counts = dict.fromkeys(ORDER, 0)
    for frames in samples(sys.stdin, comm):
        counts[bucket(frames)] += 1
    total = sum(counts.values())
    if not total or not requests:
        print("  no samples of %s" % comm)
        return

    def us(n):
        return n / hz * 1e6 / requests
    print("  %s, CPU per request: %.1f us" % (comm, us(total)))
    for k in ORDER:
        print("    %-22s %5.1f us" % (k, us(counts[k])))


if __name__ == "__main__":
    main()
