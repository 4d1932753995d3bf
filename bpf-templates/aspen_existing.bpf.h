/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Provider connections that were open before aspend started: no connect()
 * of theirs was decided, no ClientHello read, no byte inspected, and
 * sockops never filed them, so sk_msg never sees them either. aspend runs
 * this iterator once at a fresh start, when the provider addresses are
 * known (runtime/src/hook_iter.c). For each established TCP socket of the
 * scope's cgroups to a provider's address and port that is not filed
 * (aspen_socks), the policy's `uninspectable` setting decides, as it does
 * for every other byte no probe saw: with deny aspend shuts the
 * connection down (the client's next write fails; it connects again,
 * under every hook), with allow it is left. Either way aspend audits it
 * ("unparsed":"existing"). Sockets to an address no provider has on a
 * provider's port are only counted: their SNI went out before aspend.
 * The program reads and decides; aspend acts (pidfd_getfd + shutdown:
 * any kernel with this iterator, no kfunc).
 */
#ifndef ASPEN_EXISTING_BPF_H
#define ASPEN_EXISTING_BPF_H

struct kernfs_node___aspen_it {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup___aspen_it {
	int level;
	struct kernfs_node___aspen_it *kn;
	struct cgroup___aspen_it *ancestors[];
} __attribute__((preserve_access_index));

struct in6_addr___aspen_it {
	__u8 b[16];
} __attribute__((preserve_access_index));

struct sock_common___aspen_it {
	__be32 skc_daddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	struct in6_addr___aspen_it skc_v6_daddr;
} __attribute__((preserve_access_index));

struct inode___aspen_it {
	unsigned long i_ino;
} __attribute__((preserve_access_index));

struct file___aspen_it {
	struct inode___aspen_it *f_inode;
} __attribute__((preserve_access_index));

struct socket___aspen_it {
	struct file___aspen_it *file;
} __attribute__((preserve_access_index));

struct sock_cgroup_data___aspen_it {
	struct cgroup___aspen_it *cgroup;
} __attribute__((preserve_access_index));

struct sock___aspen_it {
	struct sock_common___aspen_it __sk_common;
	struct sock_cgroup_data___aspen_it sk_cgrp_data;
	struct socket___aspen_it *sk_socket;
} __attribute__((preserve_access_index));

struct bpf_iter_meta___aspen_it {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__tcp___aspen_it {
	struct bpf_iter_meta___aspen_it *meta;
	struct sock_common___aspen_it *sk_common;
} __attribute__((preserve_access_index));

#define ASPEN_TCP_ESTABLISHED 1
#define ASPEN_CGROUP_MAX_LEVEL 64

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_scope);
} aspen_scope SEC(".maps");

/* Whether the socket's cgroup is the scope's or below it; *id: its own. */
static __always_inline int aspen_in_scope(struct sock___aspen_it *sk, __u64 *id)
{
	struct cgroup___aspen_it *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup), *anc = NULL;
	const struct aspen_scope *sc;
	__u32 k = 0, want;
	int level;

	sc = bpf_map_lookup_elem(&aspen_scope, &k);
	if (!cg || !sc || !sc->cgroup_id)
		return 0;
	want = sc->level;
	level = BPF_CORE_READ(cg, level);
	if (want > ASPEN_CGROUP_MAX_LEVEL || level < 0 || (__u32)level < want)
		return 0;
	if (bpf_core_read(&anc, sizeof(anc), &cg->ancestors[want]) || !anc)
		return 0;
	*id = BPF_CORE_READ(cg, kn, id);
	return BPF_CORE_READ(anc, kn, id) == sc->cgroup_id;
}

/* The key sockops files the socket under (ASPEN_SOCK_KEY) */
static __always_inline void aspen_existing_key(struct sock___aspen_it *sk,
					       struct aspen_sock_key *key)
{
	__builtin_memset(key, 0, sizeof(*key));
	if (BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET) {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		key->raddr[10] = 0xff;
		key->raddr[11] = 0xff;
		__builtin_memcpy(&key->raddr[12], &a, 4);
	} else {
		BPF_CORE_READ_INTO((struct in6_addr___aspen_it *)key->raddr, sk,
				   __sk_common.skc_v6_daddr);
	}
	key->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	key->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
}

SEC("iter/tcp")
int aspen_existing(struct bpf_iter__tcp___aspen_it *ctx)
{
	struct sock_common___aspen_it *skc = ctx->sk_common;
	struct aspen_existing_rec rec = {};
	struct aspen_conn c = {};
	struct sock___aspen_it *sk;
	unsigned short family;
	__u64 cgid = 0;

	if (!skc)
		return 0;
	sk = (struct sock___aspen_it *)bpf_skc_to_tcp_sock(skc);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_state) != ASPEN_TCP_ESTABLISHED)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if ((family != AF_INET && family != AF_INET6) || !aspen_in_scope(sk, &cgid))
		return 0;
	aspen_existing_key(sk, &rec.ev.sock);
	if (bpf_map_lookup_elem(&aspen_socks, &rec.ev.sock))
		return 0; /* filed by sockops: governed */
	__builtin_memcpy(c.addr, rec.ev.sock.raddr, 16);
	c.port = (__u16)rec.ev.sock.rport;
	aspen_lookup_dst(&c);
	if (!c.providers) {
		__u16 port = c.port;

		if (!bpf_map_lookup_elem(&aspen_ports, &port))
			return 0; /* not a provider's port: nothing to say */
		rec.other_port = 1;
	}
	rec.ev.kind = ASPEN_EV_MISMATCH;
	rec.ev.reason = ASPEN_UNPARSED_EXISTING;
	rec.ev.cgroup_id = cgid;
	rec.ev.providers = c.providers;
	rec.ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	rec.deny = c.providers && ASPEN_UNINSPECTABLE_DENY && !aspen_force_monitor();
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

#endif
