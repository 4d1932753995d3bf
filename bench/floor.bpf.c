/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The floor of request-level enforcement on this kernel: the hooks Aspen
 * needs on a provider connection, with programs that decide nothing.
 *   floor_sockops  puts connections to the provider port in a SOCKHASH, so
 *                  every write on them goes through sk_msg (Aspen's
 *                  aspen_sockops does the same for provider addresses)
 *   floor_sk_msg   passes every write (Aspen's aspen_sk_msg walks the TLS
 *                  records and spends the request's ledger)
 *   floor_write    the entry probe on the TLS library's write (Aspen's
 *                  aspen_ssl_write copies, parses and decides)
 *   floor_write_ret  its return probe (Aspen's aspen_write_ret commits)
 * Loaded by floor_bench (bench/floor.c) for bench/rules.sh; counts what ran
 * in `hits` so the bench can check that the hooks saw the traffic.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* [0]: the provider port (host order), set by floor_bench after load */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} socks SEC(".maps");

enum { HIT_SOCK, HIT_MSG, HIT_WRITE, HIT_RET, HIT_N };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HIT_N);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void hit(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&hits, &what);

	if (n)
		(*n)++;
}

SEC("sockops")
int floor_sockops(struct bpf_sock_ops *ops)
{
	__u32 rp = ops->remote_port;
	__u16 port = (__u16)bpf_ntohl(rp); /* network order, upper 16 bits */
	__u32 zero = 0, *want = bpf_map_lookup_elem(&cfg, &zero);
	__u64 key;

	if (!want || ops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		return 1;
	if (!port)
		port = bpf_ntohs((__u16)rp);
	if (port != *want)
		return 1;
	key = ((__u64)ops->local_port << 32) | port;
	bpf_sock_hash_update(ops, &socks, &key, BPF_ANY);
	hit(HIT_SOCK);
	return 1;
}

SEC("sk_msg")
int floor_sk_msg(struct sk_msg_md *msg)
{
	hit(HIT_MSG);
	return SK_PASS;
}

SEC("uprobe")
int floor_write(void *ctx)
{
	hit(HIT_WRITE);
	return 0;
}

SEC("uretprobe")
int floor_write_ret(void *ctx)
{
	hit(HIT_RET);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
