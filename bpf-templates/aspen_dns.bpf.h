/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * DNS answers seen by processes in the monitored cgroup, copied to aspend
 * so that it learns the addresses of wildcard provider hosts
 * (*.openai.azure.com) that it cannot resolve by itself. Observes only:
 * always lets the packet through. Included when the policy has such hosts.
 */
#ifndef ASPEN_DNS_BPF_H
#define ASPEN_DNS_BPF_H

struct aspen_iphdr4 {
	__u8 ver_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u32 saddr, daddr;
};

static __always_inline void aspen_dns_capture(struct __sk_buff *skb, __u32 off)
{
	__u16 sport;
	__u32 len;
	struct aspen_dns_event *e;

	if (bpf_skb_load_bytes(skb, off, &sport, sizeof(sport)) || sport != bpf_htons(53))
		return;
	off += 8; /* UDP header */
	if (skb->len <= off)
		return;
	len = skb->len - off;
	if (len > ASPEN_DNS_MAX)
		len = ASPEN_DNS_MAX;
	e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);
	if (!e) {
		aspen_count_lost();
		return;
	}
	e->kind = ASPEN_EV_DNS;
	e->len = 0;
	/* keep clang from folding the bound into a form the verifier rejects */
	__u64 n = len;

	asm volatile("" : "+r"(n));
	if (n >= 12 && n <= ASPEN_DNS_MAX && !bpf_skb_load_bytes(skb, off, e->payload, n))
		e->len = (__u32)n;
	aspen_submit(e, 1); /* learn it before the client connects, if we can */
}

SEC("cgroup_skb/ingress")
int aspen_dns_ingress(struct __sk_buff *skb)
{
	__u8 v;

	if (bpf_skb_load_bytes(skb, 0, &v, 1))
		return 1;
	if ((v >> 4) == 4) {
		struct aspen_iphdr4 ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) || ip.protocol != IPPROTO_UDP)
			return 1;
		if (ip.frag_off & bpf_htons(0x3fff))
			return 1; /* fragments: not parsed */
		aspen_dns_capture(skb, (ip.ver_ihl & 0x0f) * 4);
	} else if ((v >> 4) == 6) {
		__u8 next;

		/* no extension headers: DNS answers do not carry them */
		if (bpf_skb_load_bytes(skb, 6, &next, 1) || next != IPPROTO_UDP)
			return 1;
		aspen_dns_capture(skb, 40);
	}
	return 1;
}

#endif
