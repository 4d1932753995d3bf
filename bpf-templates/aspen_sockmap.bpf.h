/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * In-kernel enforcement of request decisions. sockops puts every socket
 * connected to a provider into a SOCKHASH; the sk_msg verdict program runs
 * on each write to those sockets and acts on what the TLS probe decided for
 * the writing thread: pass, drop (write() fails with EACCES inside the TLS
 * library, zero bytes reach the provider), or hold an undecided request's
 * ciphertext in the kernel until its decision is known.
 */
#ifndef ASPEN_SOCKMAP_BPF_H
#define ASPEN_SOCKMAP_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* socket cookie */
	__type(value, __u64);
} aspen_sockhash SEC(".maps");

/* A provider socket's state, by socket cookie. */
struct aspen_sock {
	__u64 providers;
	__u32 tgid;
	__u32 dead; /* a request on it was denied: every later write is dropped */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct aspen_sock);
} aspen_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* thread id */
	__type(value, struct aspen_tid_verdict);
} aspen_tid_verdict SEC(".maps");

struct aspen_sockops_addr {
	__u32 family, ip4;
	__u32 ip6[4];
	__u32 port; /* host order */
};

SEC("sockops")
int aspen_sockops(struct bpf_sock_ops *skops)
{
	struct aspen_conn c = {};
	struct aspen_sock s = {};
	__u64 cookie;

	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		return 1;
	if (skops->family == AF_INET) {
		__u32 ip = skops->remote_ip4;

		c.addr[10] = 0xff;
		c.addr[11] = 0xff;
		__builtin_memcpy(&c.addr[12], &ip, 4);
	} else if (skops->family == AF_INET6) {
		__u32 w[4] = { skops->remote_ip6[0], skops->remote_ip6[1], skops->remote_ip6[2],
			       skops->remote_ip6[3] };

		__builtin_memcpy(c.addr, w, 16);
	} else {
		return 1;
	}
	/* remote_port: network order in the upper 16 bits on some kernels,
	 * the lower on others: bpf_ntohl(x) >> 16 is wrong for one of them */
	c.port = (__u16)bpf_ntohl(skops->remote_port);
	if (!c.port)
		c.port = bpf_ntohs((__u16)skops->remote_port);
	aspen_lookup_dst(&c);
	if (!c.providers)
		return 1; /* not a provider: never slowed by sk_msg */
	cookie = bpf_get_socket_cookie(skops);
	s.providers = c.providers;
	s.tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_map_update_elem(&aspen_socks, &cookie, &s, BPF_ANY);
	bpf_sock_hash_update(skops, &aspen_sockhash, &cookie, BPF_ANY);
	return 1;
}

static __always_inline void aspen_mismatch(__u64 cookie, __u32 tid_state, int dropped)
{
	struct aspen_mismatch_event *e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!e) {
		aspen_count_lost();
		return;
	}
	e->kind = ASPEN_EV_MISMATCH;
	e->tid_state = tid_state;
	e->tgid = id >> 32;
	e->pid = (__u32)id;
	e->dropped = dropped;
	e->_pad = 0;
	e->cookie = cookie;
	aspen_submit(e, 1);
}

/* The cork size sticks to the socket: every verdict that decides resets
 * it first, or later writes are accepted and then never sent. */
static __always_inline int aspen_release(struct sk_msg_md *msg, int verdict)
{
	bpf_msg_cork_bytes(msg, 0);
	return verdict;
}

SEC("sk_msg")
int aspen_sk_msg(struct sk_msg_md *msg)
{
	__u64 cookie = bpf_get_socket_cookie(msg);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct aspen_sock *s = bpf_map_lookup_elem(&aspen_socks, &cookie);
	struct aspen_tid_verdict *tv;
	__u32 state;

	if (s && s->dead)
		return aspen_release(msg, SK_DROP);
	tv = bpf_map_lookup_elem(&aspen_tid_verdict, &tid);
	if (!tv)
		return aspen_release(msg, SK_PASS); /* handshake, or no request */
	state = tv->state;
	if (state == ASPEN_TID_PENDING) {
		bpf_msg_cork_bytes(msg, msg->size + 1);
		return SK_PASS; /* held in the kernel until decided */
	}
	bpf_map_delete_elem(&aspen_tid_verdict, &tid);
	if (state == ASPEN_TID_ALLOW)
		return aspen_release(msg, SK_PASS);
	if (state == ASPEN_TID_NOT_AI || state == ASPEN_TID_UNSYNCED) {
		/* plaintext that named no provider went to a provider socket, or
		 * a request the probe could not follow: `uninspectable` decides */
		int drop = ASPEN_UNINSPECTABLE_DENY && !aspen_force_monitor();

		aspen_mismatch(cookie, state, drop);
		if (!drop)
			return aspen_release(msg, SK_PASS);
	}
	if (s)
		s->dead = 1;
	return aspen_release(msg, SK_DROP);
}

#endif
