/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Connect-level enforcement: cgroup/connect4, connect6 (TCP and connected
 * UDP) and sendmsg4/6 (unconnected UDP, e.g. QUIC). Each gathers what a rule
 * may read into struct aspen_conn, calls the generated
 * aspen_decide_connect(), audits through the ring buffer and returns 0 to
 * make the syscall fail with EPERM. No userspace round trip.
 */
#ifndef ASPEN_CONNECT_BPF_H
#define ASPEN_CONNECT_BPF_H

#include "aspen_proc.bpf.h"

static __always_inline void aspen_lookup_dst(struct aspen_conn *c)
{
	struct aspen_ip_key key;
	struct aspen_cidr_key ck;

	__builtin_memcpy(key.addr, c->addr, 16);
	c->host_idx = ~0u;
	struct aspen_dst_info *d = bpf_map_lookup_elem(&aspen_dst, &key);

	if (d) {
		c->providers = d->providers;
		c->host_bits = d->host_bits;
		c->host_idx = d->host_idx;
	}
	ck.prefixlen = 128;
	__builtin_memcpy(ck.addr, c->addr, 16);
	__u64 *cidr = bpf_map_lookup_elem(&aspen_cidr, &ck);

	if (cidr)
		c->providers |= *cidr;
	if (!c->providers)
		return;
	/* a provider is only the provider on the ports it serves */
	__u16 port = c->port;
	__u64 *on_port = bpf_map_lookup_elem(&aspen_ports, &port);

	c->providers &= on_port ? *on_port : 0;
}

/* What aspen_lookup_process found on record (aspen_subject_unknown) */
#define ASPEN_KNOWN_EXE 1    /* aspen_proc: not full, no fork racing aspend's start */
#define ASPEN_KNOWN_CGROUP 2 /* aspen_cgroup: aspend has seen the cgroup */

/* Fills the process's side of c. Returns ASPEN_KNOWN_* bits: without one,
 * the bits of that kind are 0, which no rule on it can be trusted to have
 * read (aspen_subject_unknown). */
static __always_inline int aspen_lookup_process(struct aspen_conn *c)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();

	c->pid = (__u32)id;
	c->tgid = id >> 32;
	c->uid = (__u32)ug;
	c->gid = ug >> 32;
	c->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	c->comm_bits = aspen_comm_bits(c->comm);

	__u32 tgid = c->tgid, uid = c->uid;
	__u64 cg = c->cgroup_id;
	struct aspen_proc *p = bpf_map_lookup_elem(&aspen_proc, &tgid);
	__u64 *bits;

	if (p)
		c->exe_bits = p->exe_bits;
	bits = bpf_map_lookup_elem(&aspen_cgroup, &cg);
	if (bits)
		c->cgroup_bits = *bits;
	int known = (p ? ASPEN_KNOWN_EXE : 0) | (bits ? ASPEN_KNOWN_CGROUP : 0);

	bits = bpf_map_lookup_elem(&aspen_user, &uid);
	if (bits)
		c->user_bits = *bits;
	return known;
}

/* A provider connection the rules allowed, of a process whose executable
 * (process.exe rules) or cgroup (process.cgroup, container.id rules) is not
 * on record: a deny keyed on it may not have matched. That is a process
 * that forked while aspend started, or one past aspen_proc's 65,536
 * entries; or a cgroup made a moment ago, whose mkdir aspend has not read
 * yet (or whose event the full ring lost). The policy's `uninspectable`
 * setting decides it (it can only refuse what the rules allowed), and the
 * audit says "exe_unknown" or "cgroup_unknown"; aspend records the process
 * or cgroup when it reads the line, so the next connection is decided by
 * the rules. Returns the reason, 0 when the rules' verdict stands. */
static __always_inline __u32 aspen_subject_unknown(const struct aspen_conn *c, int known,
						   struct aspen_verdict *v)
{
	__u32 why = 0;

	if (!c->providers || (v->decision != ASPEN_ALLOW && v->decision != ASPEN_WOULD_DENY))
		return 0;
	if (ASPEN_EXE_PREDS && !(known & ASPEN_KNOWN_EXE))
		why = ASPEN_UNPARSED_EXE_UNKNOWN;
	else if (ASPEN_CGROUP_PREDS && !(known & ASPEN_KNOWN_CGROUP))
		why = ASPEN_UNPARSED_CGROUP_UNKNOWN;
	if (!why)
		return 0;
	v->rule = ASPEN_RULE_UNINSPECTABLE;
	v->audit = 1;
	if (ASPEN_UNINSPECTABLE_DENY)
		v->decision = aspen_force_monitor() ? ASPEN_WOULD_DENY : ASPEN_DENY;
	return why;
}

static __always_inline void aspen_audit_connect(const struct aspen_conn *c,
						const struct aspen_verdict *v, int hook,
						__u32 unparsed)
{
	struct aspen_connect_event *e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);

	if (!e) {
		aspen_count_lost();
		return;
	}
	e->kind = ASPEN_EV_CONNECT;
	e->hook = hook;
	e->ts_ns = bpf_ktime_get_boot_ns();
	__builtin_memcpy(&e->conn, c, sizeof(*c));
	__builtin_memcpy(&e->verdict, v, sizeof(*v));
	e->unparsed = unparsed;
	e->exe[0] = 0;
	__u32 tgid = c->tgid;
	struct aspen_proc *p = bpf_map_lookup_elem(&aspen_proc, &tgid);

	if (p)
		__builtin_memcpy(e->exe, p->exe, ASPEN_EXE_LEN);
	aspen_submit(e, v->decision != ASPEN_ALLOW);
}

#if ASPEN_NEED_TLS
/* The first provider connection of a process: its TLS probes must be in
 * place before it writes a request. Stop the thread (it stops on its way
 * back from connect()) and ask aspend to attach them; aspend resumes it.
 * With no aspend alive to do that, or no TLS library it could probe, the
 * connection is decided by the policy's `uninspectable` setting. stop = 0
 * (sk_msg, at a ClientHello, cannot stop a thread): aspend attaches while
 * the thread runs on, and what it writes before the probes are in place was
 * inspected by nobody (the byte ledger refuses it under `uninspectable deny`). */
#define ASPEN_TLS_RESCAN_NS (1000ULL * 1000 * 1000)

static __always_inline void aspen_tls_hold(const struct aspen_conn *c, struct aspen_verdict *v,
					  int stop)
{
	__u32 tgid = c->tgid;
	struct aspen_tls_proc *tp = bpf_map_lookup_elem(&aspen_tls_ready, &tgid);
	struct aspen_hold_event *e;

	__u64 now = bpf_ktime_get_boot_ns();

	if (tp && tp->state != ASPEN_TLS_NONE) {
		tp->providers |= c->providers;
		/* another thread of a process being held stops too: the held
		 * thread's stop stops the whole process only once that thread
		 * runs again, which on a loaded machine can be milliseconds
		 * (or never: aspend's SIGCONT cancels a stop still pending),
		 * while this one would go on to write before the probes exist.
		 * aspend sends the process SIGCONT again a little after the
		 * attach, for a stop that lands after its first one. */
		if (stop && tp->state == ASPEN_TLS_HELD && aspen_daemon_alive())
			bpf_send_signal_thread(19 /* SIGSTOP */);
		return;
	}
	/* no TLS library was found: look again (one hold a second at most),
	 * it may have been loaded since (dlopen) */
	if (tp && now - tp->since_ns > ASPEN_TLS_RESCAN_NS)
		bpf_map_delete_elem(&aspen_tls_ready, &tgid), tp = NULL;
	if (!tp && aspen_daemon_alive()) {
		struct aspen_tls_proc np = { .state = ASPEN_TLS_HELD, .providers = c->providers,
					     .since_ns = now };

		bpf_map_update_elem(&aspen_tls_ready, &tgid, &np, BPF_NOEXIST);
		e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);
		if (!e) {
			aspen_count_lost();
			bpf_map_delete_elem(&aspen_tls_ready, &tgid);
		} else {
			e->kind = ASPEN_EV_TLS_HOLD;
			e->tgid = tgid;
			e->pid = c->pid;
			e->_pad = 0;
			if (stop)
				bpf_send_signal_thread(19 /* SIGSTOP */);
			aspen_submit(e, 1);
			return;
		}
	}
	if (ASPEN_UNINSPECTABLE_DENY) {
		v->rule = ASPEN_RULE_UNINSPECTABLE;
		v->decision = aspen_force_monitor() ? ASPEN_WOULD_DENY : ASPEN_DENY;
		v->audit = 1;
	}
}

/* UDP to a provider (QUIC, or anything else on its ports) is never
 * inspected: the policy's `uninspectable` setting decides it, so that a
 * client falls back to TCP, where its requests are. Returns the reason. */
static __always_inline __u32 aspen_udp_uninspectable(struct aspen_verdict *v)
{
	v->rule = ASPEN_RULE_UNINSPECTABLE;
	v->audit = 1;
	if (ASPEN_UNINSPECTABLE_DENY)
		v->decision = aspen_force_monitor() ? ASPEN_WOULD_DENY : ASPEN_DENY;
	return ASPEN_UNPARSED_UDP;
}

/* (socket, destination) pairs of unconnected UDP already audited */
struct aspen_udp_key {
	__u64 cookie;
	__u8 addr[16];
	__u16 port;
	__u16 _pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct aspen_udp_key);
	__type(value, __u8);
} aspen_udp_seen SEC(".maps");

/* Datagrams `uninspectable` lets through on an unconnected socket are
 * audited once per socket and destination, not once per datagram. */
static __always_inline int aspen_udp_first(struct bpf_sock_addr *ctx, const struct aspen_conn *c)
{
	struct aspen_udp_key k = { .cookie = bpf_get_socket_cookie(ctx), .port = c->port };
	__u8 one = 1;

	__builtin_memcpy(k.addr, c->addr, 16);
	return bpf_map_update_elem(&aspen_udp_seen, &k, &one, BPF_NOEXIST) == 0;
}

/* sk_msg decides at a ClientHello as connect() would: it needs the above */
#include "aspen_sockmap.bpf.h"
#include "aspen_tls.bpf.h"
#include "aspen_go.bpf.h"
#else
/* no request rules: sockops and sk_msg read each connection's ClientHello */
#include "aspen_sockmap.bpf.h"
#endif

static __always_inline int aspen_on_connect(struct bpf_sock_addr *ctx, struct aspen_conn *c,
					    int hook)
{
	struct aspen_verdict v = { .rule = ASPEN_RULE_NONE, .decision = ASPEN_ALLOW };
	__u32 unparsed = 0;

	c->port = bpf_ntohs((__u16)ctx->user_port);
	c->proto = ctx->protocol;
	aspen_lookup_dst(c);
	int known = aspen_lookup_process(c);
	aspen_decide_connect(c, &v);
	unparsed = aspen_subject_unknown(c, known, &v);
#if ASPEN_NEED_TLS
	if (c->providers && c->proto == IPPROTO_TCP &&
	    (v.decision == ASPEN_ALLOW || v.decision == ASPEN_WOULD_DENY))
		aspen_tls_hold(c, &v, 1);
	if (c->providers && c->proto == IPPROTO_UDP &&
	    (v.decision == ASPEN_ALLOW || v.decision == ASPEN_WOULD_DENY))
		unparsed = aspen_udp_uninspectable(&v);
#endif
	/* unconnected UDP decides per datagram: audit only what it stops */
	int per_datagram = hook == ASPEN_HOOK_SENDMSG4 || hook == ASPEN_HOOK_SENDMSG6;
	int quiet = per_datagram && v.decision == ASPEN_ALLOW;

#if ASPEN_NEED_TLS
	/* and what `uninspectable` lets through, once per socket and destination */
	if (per_datagram && unparsed &&
	    (v.decision == ASPEN_ALLOW || v.decision == ASPEN_WOULD_DENY))
		quiet = !aspen_udp_first(ctx, c);
#endif
	if (v.audit && !quiet)
		aspen_audit_connect(c, &v, hook, unparsed);
	return (v.decision == ASPEN_DENY || v.decision == ASPEN_KILL) ? 0 : 1;
}

static __always_inline int aspen_connect4_common(struct bpf_sock_addr *ctx, int hook)
{
	struct aspen_conn c = {};
	__u32 ip = ctx->user_ip4;

	c.family = AF_INET;
	c.addr[10] = 0xff;
	c.addr[11] = 0xff;
	__builtin_memcpy(&c.addr[12], &ip, 4);
	return aspen_on_connect(ctx, &c, hook);
}

static __always_inline int aspen_connect6_common(struct bpf_sock_addr *ctx, int hook)
{
	struct aspen_conn c = {};
	__u32 w[4];

	c.family = AF_INET6;
	w[0] = ctx->user_ip6[0];
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	__builtin_memcpy(c.addr, w, 16);
	return aspen_on_connect(ctx, &c, hook);
}

SEC("cgroup/connect4")
int aspen_connect4(struct bpf_sock_addr *ctx)
{
	return aspen_connect4_common(ctx, ASPEN_HOOK_CONNECT4);
}

SEC("cgroup/connect6")
int aspen_connect6(struct bpf_sock_addr *ctx)
{
	return aspen_connect6_common(ctx, ASPEN_HOOK_CONNECT6);
}

#if ASPEN_NEED_TLS && !ASPEN_NEED_SENDMSG
#error "request rules refuse UDP to providers: the sendmsg hooks must be compiled in"
#endif

#if ASPEN_NEED_SENDMSG
SEC("cgroup/sendmsg4")
int aspen_sendmsg4(struct bpf_sock_addr *ctx)
{
	return aspen_connect4_common(ctx, ASPEN_HOOK_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int aspen_sendmsg6(struct bpf_sock_addr *ctx)
{
	return aspen_connect6_common(ctx, ASPEN_HOOK_SENDMSG6);
}
#endif

#if ASPEN_NEED_DNS
#include "aspen_dns.bpf.h"
#endif

#endif
