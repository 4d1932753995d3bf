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

/* A connection, as both sockops and sk_msg can name it (sk_msg programs
 * cannot read the socket cookie): remote address and both ports. */
struct aspen_sock_key {
	__u8 raddr[16]; /* v4-mapped for IPv4 */
	__u32 rport;    /* host order */
	__u32 lport;    /* host order */
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, struct aspen_sock_key);
	__type(value, __u64);
} aspen_sockhash SEC(".maps");

/* A provider socket's state. */
struct aspen_sock {
	__u64 providers;
	__u32 tgid;
	__u32 dead; /* a request on it was denied: every later write is dropped */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct aspen_sock_key);
	__type(value, struct aspen_sock);
} aspen_socks SEC(".maps");

/* remote_port in sockops and sk_msg contexts: network order, in the upper
 * 16 bits on this kernel (the lower on old ones) */
static __always_inline __u32 aspen_ctx_port(__u32 p)
{
	__u16 port = (__u16)bpf_ntohl(p);

	return port ? port : bpf_ntohs((__u16)p);
}

/* key from context fields, each loaded at a constant offset: the verifier
 * refuses a context pointer that clang moved (as when branches merge) */
#define ASPEN_SOCK_KEY(key, ctx)                                                   \
	do {                                                                       \
		__u32 fam_ = (ctx)->family, ip4_ = (ctx)->remote_ip4;              \
		__u32 w0_ = (ctx)->remote_ip6[0], w1_ = (ctx)->remote_ip6[1];      \
		__u32 w2_ = (ctx)->remote_ip6[2], w3_ = (ctx)->remote_ip6[3];      \
		__u32 rp_ = (ctx)->remote_port, lp_ = (ctx)->local_port;           \
		barrier_var(ip4_);                                                 \
		barrier_var(w0_);                                                  \
		barrier_var(w1_);                                                  \
		barrier_var(w2_);                                                  \
		barrier_var(w3_);                                                  \
		barrier_var(rp_);                                                  \
		barrier_var(lp_);                                                  \
		__builtin_memset(&(key), 0, sizeof(key));                          \
		if (fam_ == AF_INET) {                                             \
			(key).raddr[10] = 0xff;                                    \
			(key).raddr[11] = 0xff;                                    \
			__builtin_memcpy(&(key).raddr[12], &ip4_, 4);              \
		} else {                                                           \
			__u32 w_[4] = { w0_, w1_, w2_, w3_ };                      \
			__builtin_memcpy((key).raddr, w_, 16);                     \
		}                                                                  \
		(key).rport = aspen_ctx_port(rp_);                                 \
		(key).lport = lp_;                                                 \
	} while (0)

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
	struct aspen_sock_key key;

	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		return 1;
	if (skops->family != AF_INET && skops->family != AF_INET6)
		return 1;
	ASPEN_SOCK_KEY(key, skops);
	__builtin_memcpy(c.addr, key.raddr, 16);
	c.port = (__u16)key.rport;
	aspen_lookup_dst(&c);
	if (!c.providers)
		return 1; /* not a provider: never slowed by sk_msg */
	s.providers = c.providers;
	s.tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_map_update_elem(&aspen_socks, &key, &s, BPF_ANY);
	bpf_sock_hash_update(skops, &aspen_sockhash, &key, BPF_ANY);
	return 1;
}

static __always_inline void aspen_mismatch(__u32 tid_state, int dropped)
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
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->gid = bpf_get_current_uid_gid() >> 32;
	e->_pad = 0;
	e->cgroup_id = bpf_get_current_cgroup_id();
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
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct aspen_sock_key key;
	struct aspen_sock *s;
	struct aspen_tid_verdict *tv;
	__u32 state;

	ASPEN_SOCK_KEY(key, msg);
	s = bpf_map_lookup_elem(&aspen_socks, &key);

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

		aspen_mismatch(state, drop);
		if (!drop)
			return aspen_release(msg, SK_PASS);
	}
	if (s)
		s->dead = 1;
	return aspen_release(msg, SK_DROP);
}

#endif
