/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * In-kernel enforcement of request decisions. sockops puts every TCP socket
 * the governed cgroup connects into a SOCKHASH; the sk_msg verdict program
 * runs on each write to those sockets and acts on what the TLS probe decided
 * for the writing thread: pass, drop (write() fails with EACCES inside the
 * TLS library, zero bytes reach the provider), or hold an undecided
 * request's ciphertext in the kernel until its decision is known.
 * The first write of a connection is its ClientHello: its SNI must agree
 * with the address's providers; a socket to an address no provider has
 * leaves the SOCKHASH there (never slowed again) unless its SNI names a
 * provider, which then governs it as connect() would have.
 * A policy without request rules (!ASPEN_NEED_TLS) has these programs too,
 * for the ClientHello alone: unlearned addresses whose SNI names a provider
 * and fronting are decided there, and every socket then leaves the
 * SOCKHASH at its next ACK.
 */
#ifndef ASPEN_SOCKMAP_BPF_H
#define ASPEN_SOCKMAP_BPF_H

#include "aspen_sni.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, struct aspen_sock_key);
	__type(value, __u64);
} aspen_sockhash SEC(".maps");

/* A provider socket's state: who opened it, the TLS session it carries,
 * and where the record walk stands (sk_msg may see a record's header in
 * one write and its end in a later one). */
struct aspen_sock {
	__u64 providers;
	__u32 tgid;
	__u32 dead;     /* enum aspen_unparsed + 1, or 1 for a denied request: all dropped */
	struct aspen_stream_key sess; /* bound session; sess.session == 0: none yet */
	__u32 rec_left; /* bytes of the current record still to come */
	__u8 hdr_n;     /* bytes of a split record header kept in hdr */
	__u8 ovh;       /* per-record overhead of the negotiated AEAD; 0: not known yet */
	__u8 free_recs; /* application-data records passed without credit (Finished, alerts) */
	__u8 flags;     /* ASPEN_SOCK_* */
	__u8 hdr[8];
};

#define ASPEN_SOCK_CCS 1       /* a ChangeCipherSpec was sent (TLS 1.2 or 1.3 compat) */
#define ASPEN_SOCK_PASSED 2    /* `uninspectable allow` passed it once: audited        */
#define ASPEN_SOCK_APPDATA 4   /* application data was charged                        */
#define ASPEN_SOCK_HELLO 8     /* the first write (the ClientHello) was looked at      */
#define ASPEN_SOCK_SNIWAIT 16  /* an address no provider has: its SNI decides          */
#define ASPEN_SOCK_FORGET 32   /* not a provider connection: sockops drops it at an ACK */
#define ASPEN_SOCK_SPILL 64    /* its writes go through a spill slot (aspen_spill_of)  */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct aspen_sock_key);
	__type(value, struct aspen_sock);
} aspen_socks SEC(".maps");

#if ASPEN_NEED_TLS
/* Spill slots (aspen_shared.h, docs/internals.md "Spill"): requests too big
 * to cork are held by aspend */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ASPEN_SPILL_SLOTS);
	__type(key, __u32);
	__type(value, struct aspen_spill);
} aspen_spill SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, ASPEN_SPILL_SLOTS);
	__type(value, __u32);
} aspen_spill_free SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * ASPEN_SPILL_SLOTS);
	__type(key, struct aspen_sock_key);
	__type(value, __u32);
} aspen_spill_of SEC(".maps");
#endif

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

#if ASPEN_NEED_TLS
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct aspen_stream_key);
	__type(value, struct aspen_ledger);
} aspen_ledger SEC(".maps");

/* The session's ledger entry, made (zero) if it has none; NULL if the map
 * takes none. */
static __always_inline struct aspen_ledger *aspen_ledger_get(const struct aspen_stream_key *key)
{
	struct aspen_ledger *l = bpf_map_lookup_elem(&aspen_ledger, key);
	struct aspen_ledger zero = {};

	if (l)
		return l;
	bpf_map_update_elem(&aspen_ledger, key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&aspen_ledger, key);
}

/* Writers stopped for aspend to mask their buffer (aspen_shared.h): here,
 * beside the ledger, for sk_msg's check that none runs before aspend is
 * done with it (aspen_redact_escaped_here). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ASPEN_REDACT_HELD_MAX);
	__type(key, __u32);
	__type(value, struct aspen_redact_held);
} aspen_redact_held SEC(".maps");

#if ASPEN_NEED_BODY_SCAN
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "aspen_redact_swap() reads { tgid, state } as one little-endian word"
#endif
/* A hold's state from -> to, in place, if it still is `from` (the kernel's
 * escape and aspend's DONE race for it): returns the state it found. The
 * BPF ISA before v3 (these objects) has a 64-bit compare-and-swap only:
 * { tgid, state } is swapped as one word, tgid unchanged. */
static __always_inline __u32 aspen_redact_swap(struct aspen_redact_held *h, __u32 from, __u32 to)
{
	__u64 tgid = h->tgid;
	__u64 was = __sync_val_compare_and_swap((__u64 *)h, tgid | (__u64)from << 32,
						tgid | (__u64)to << 32);

	return (__u32)(was >> 32);
}

/* A writer held for redaction runs before aspend masked its buffer: a
 * SIGCONT came from someone else than aspend's resume (another process, a
 * shell, aspend resuming the process for another reason), or something
 * resumed it without a signal, so its write may carry what was to be
 * masked. Its session is denied in
 * the ledger (sk_msg drops all it writes) and its record says ESCAPED:
 * aspend leaves its memory alone and audits the denial. */
static __always_inline int aspen_redact_escape(struct aspen_redact_held *h)
{
	struct aspen_stream_key key = {.tgid = h->tgid, .session = h->session};
	struct aspen_ledger *l;

	/* in place, and only from HELD: aspend's DONE (aspen_redact_done)
	 * swaps the same word, so one of the two wins, and both know which */
	if (aspen_redact_swap(h, ASPEN_REDACT_HELD, ASPEN_REDACT_ESCAPED) != ASPEN_REDACT_HELD)
		return 0; /* aspend was done with it first: its resume is legitimate */
	l = aspen_ledger_get(&key);
	if (!l)
		return 1; /* the session's sk_msg finds no ledger: uninspectable */
	l->rule = ASPEN_RULE_UNINSPECTABLE;
	if (!l->reason)
		l->reason = ASPEN_UNPARSED_NO_REDACT;
	__sync_fetch_and_or(&l->flags, ASPEN_LEDGER_DENIED);
	return 1;
}

/* aspend is done with a hold (masked, or denied it): HELD -> DONE, in
 * place, unless a SIGCONT not aspend's made it ESCAPED first (the kernel
 * then denied its session: aspend audits that, then ESCAPED -> DONE, and
 * the thread may be held again). A map update from
 * userspace could not tell: it replaces the element, and a tracer that
 * had just read HELD would mark the old one. Run by aspend with
 * BPF_PROG_TEST_RUN (redact.c, hold_done); never attached. */
SEC("syscall")
int aspen_redact_done(struct aspen_redact_done_ctx *ctx)
{
	__u32 tid = ctx->tid;
	struct aspen_redact_held *h = bpf_map_lookup_elem(&aspen_redact_held, &tid);

	ctx->was = 0;
	if (!h || h->tgid != ctx->tgid || h->session != ctx->session || h->buf != ctx->buf)
		return 0; /* not this hold any more */
	if (ctx->from != ASPEN_REDACT_HELD && ctx->from != ASPEN_REDACT_ESCAPED)
		return 0;
	ctx->was = aspen_redact_swap(h, ctx->from, ASPEN_REDACT_DONE);
	return 0;
}

/* This write's thread is recorded HELD: it sends though aspend has not
 * resumed it (a resume no signal made: a tracer attached while it was
 * held). Its hold escaped. Not inlined: its stack is not added to every
 * path of sk_msg. */
static __noinline int aspen_redact_escaped_here(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct aspen_redact_held *h = bpf_map_lookup_elem(&aspen_redact_held, &tid);

	if (!h || h->state != ASPEN_REDACT_HELD)
		return 0;
	return aspen_redact_escape(h);
}
#endif

/* key: a thread id, or ASPEN_TGID_SESSION(tgid) for the process (ids are
 * below 2^22, so the two never meet) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct aspen_tid_session);
} aspen_tid_session SEC(".maps");
#endif

#define ASPEN_TGID_SESSION(tgid) ((tgid) | 0x80000000u)

struct aspen_sockops_addr {
	__u32 family, ip4;
	__u32 ip6[4];
	__u32 port; /* host order */
};

static __always_inline int aspen_sock_key_eq(const struct aspen_sock_key *a,
					      const struct aspen_sock_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2];
}

/* ---- spill: requests too big to cork are held by aspend -----------------
 *
 * sk_msg can cork a message only as far as its scatterlist goes (17
 * entries: 68 KiB of single pages); past that the kernel sends it whatever
 * the verdict. A held message past ASPEN_SPILL_AT is therefore redirected,
 * with every later write of the connection, to the receive queue of a
 * socket aspend reads (a slot's hold socket); aspend keeps the bytes and
 * writes the prefix this program allowed (`ok`) to the slot's forward
 * socket, whose verdict redirects them to the provider connection's
 * egress. Order is kept: from the spill on, all of the connection's bytes
 * take that path. A denied request: DEAD, aspend throws its bytes away and
 * the connection is cut, so zero bytes of it reach the provider.
 */
#if ASPEN_NEED_TLS
#define ASPEN_SPILL_AT 32768

static __always_inline struct aspen_spill *aspen_spill_slot(const struct aspen_sock_key *key,
							     __u32 *idx)
{
	__u32 *i = bpf_map_lookup_elem(&aspen_spill_of, key);

	if (!i)
		return NULL;
	*idx = *i;
	return bpf_map_lookup_elem(&aspen_spill, i);
}

/* The provider connection is gone: aspend drops what it still holds. */
static __always_inline void aspen_spill_end(const struct aspen_sock_key *key)
{
	struct aspen_spill *sp;
	__u32 idx;

	sp = aspen_spill_slot(key, &idx);
	if (sp && sp->state == ASPEN_SPILL_ACTIVE && aspen_sock_key_eq(&sp->target, key))
		sp->state = ASPEN_SPILL_DEAD;
	bpf_map_delete_elem(&aspen_spill_of, key);
}
#endif

/* An ACK on a socket still waiting for its first write to name it. sk_msg
 * cannot take a socket out of the SOCKHASH; sockops can: a socket whose
 * ClientHello named no provider leaves it here, at the ACK of that write,
 * and its later writes take the kernel's plain path. */
static __always_inline int aspen_sockops_ack(struct bpf_sock_ops *skops)
{
	struct aspen_sock_key key;
	struct aspen_sock *s;

	ASPEN_SOCK_KEY(key, skops);
	s = bpf_map_lookup_elem(&aspen_socks, &key);
	if (s && !(s->flags & (ASPEN_SOCK_HELLO | ASPEN_SOCK_FORGET)))
		return 1; /* its first write is still to come */
	if (!s || (s->flags & ASPEN_SOCK_FORGET)) {
		bpf_map_delete_elem(&aspen_sockhash, &key);
		bpf_map_delete_elem(&aspen_socks, &key);
		bpf_sock_ops_cb_flags_set(skops, 0);
		return 1;
	}
	/* governed (its SNI named a provider): only its end is of interest */
	bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG);
	return 1;
}

#if ASPEN_NEED_TLS
static __noinline int aspen_session_end(const struct aspen_stream_key *k); /* aspen_tls.bpf.h */
#endif

/* The socket's sending side is done (our FIN, or closed): the TLS session
 * bound to it is over. Its ledger goes with it: the library may give the
 * next session the same object address (a freed SSL *), which must start
 * with a ledger and a parser of its own, not the dead socket's. */
static __always_inline int aspen_sockops_state(struct bpf_sock_ops *skops)
{
	__u32 state = skops->args[1];
	struct aspen_sock_key key;
	struct aspen_sock *s;

	if (state != BPF_TCP_FIN_WAIT1 && state != BPF_TCP_LAST_ACK && state != BPF_TCP_CLOSE)
		return 1;
	ASPEN_SOCK_KEY(key, skops);
	s = bpf_map_lookup_elem(&aspen_socks, &key);
	if (!s)
		return 1;
#if ASPEN_NEED_TLS
	if (s->sess.session) {
		struct aspen_stream_key sess = s->sess;
		struct aspen_ledger *l = bpf_map_lookup_elem(&aspen_ledger, &sess);

		if (l && (l->flags & ASPEN_LEDGER_BOUND) && aspen_sock_key_eq(&l->sock, &key))
			aspen_session_end(&sess);
		__builtin_memset(&s->sess, 0, sizeof(s->sess));
	}
#endif
	if (state == BPF_TCP_CLOSE) {
#if ASPEN_NEED_TLS
		if (s->flags & ASPEN_SOCK_SPILL)
			aspen_spill_end(&key);
#endif
		bpf_map_delete_elem(&aspen_socks, &key);
	}
	return 1;
}

SEC("sockops")
int aspen_sockops(struct bpf_sock_ops *skops)
{
	struct aspen_conn c = {};
	struct aspen_sock s = {};
	struct aspen_sock_key key;

	if (skops->family != AF_INET && skops->family != AF_INET6)
		return 1;
	if (skops->op == BPF_SOCK_OPS_RTT_CB)
		return aspen_sockops_ack(skops);
	if (skops->op == BPF_SOCK_OPS_STATE_CB)
		return aspen_sockops_state(skops);
	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		return 1;
	ASPEN_SOCK_KEY(key, skops);
	__builtin_memcpy(c.addr, key.raddr, 16);
	c.port = (__u16)key.rport;
	aspen_lookup_dst(&c);
	/* an address no provider has: its first write (a ClientHello naming a
	 * provider, or not) decides whether it stays under sk_msg; without
	 * request rules, every socket leaves after its first write */
	if (!c.providers)
		s.flags = ASPEN_SOCK_SNIWAIT;
	if (!c.providers || !ASPEN_NEED_TLS) {
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG);
	} else {
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG); /* its end */
	}
	s.providers = c.providers;
	s.tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_map_update_elem(&aspen_socks, &key, &s, BPF_ANY);
	bpf_sock_hash_update(skops, &aspen_sockhash, &key, BPF_ANY);
	return 1;
}

/* ---- the sk_msg verdict: every byte accounted ---------------------------
 *
 * A provider connection may send TLS records that carry no request
 * (handshake, ChangeCipherSpec, alerts, TLS 1.3's Finished) freely; every
 * application-data record costs its plaintext size, which must have been
 * inspected and allowed on the TLS session the socket is bound to (struct
 * aspen_ledger). A socket is bound to a session at its first application
 * data, to the session the writing thread last wrote through a probe.
 * Anything else (no probe saw it, another session's bytes, records that
 * cannot be accounted) is decided by `uninspectable`, audited once per
 * connection.
 */

#define ASPEN_TLS_MAX_RECORD (16384 + 2048) /* TLSCiphertext limit, RFC 8446 5.2 */
#define ASPEN_REC_WALK 1024                /* records one verdict walks at most */
#define ASPEN_TLS13_OVERHEAD 17            /* inner content type + 16-byte tag */

struct aspen_recwalk {
	__u64 charge;  /* plaintext bytes of application data in this message */
	__u32 pos, size;
	__u32 rec_left;
	__u32 bad;     /* enum aspen_unparsed: the records cannot be accounted */
	__u8 hdr_n, ovh, free_recs, flags;
	__u8 hdr[8];
};

#if ASPEN_NEED_TLS
/* up to 5 bytes at off (fewer at the message's end) into w->hdr[hdr_n..] */
static __always_inline __u32 aspen_recwalk_read(struct sk_msg_md *msg, struct aspen_recwalk *w,
						 __u32 want)
{
	__u32 end = w->pos + want, n = 0;
	__u8 *d, *e;

	if (end > w->size)
		end = w->size;
	if (bpf_msg_pull_data(msg, w->pos, end, 0))
		return 0;
	d = msg->data;
	e = msg->data_end;
	for (__u32 j = 0; j < 5; j++) {
		if (j >= end - w->pos || (void *)(d + j + 1) > (void *)e)
			break;
		w->hdr[(w->hdr_n + j) & 7] = d[j];
		n++;
	}
	return n;
}

/* What one record costs, from its header. */
static __always_inline void aspen_recwalk_record(struct aspen_recwalk *w, __u8 type, __u32 len)
{
	__u32 plain;

	switch (type) {
	case 20: /* ChangeCipherSpec */
		w->flags |= ASPEN_SOCK_CCS;
		return;
	case 21: /* alert (TLS 1.2; TLS 1.3 hides them in application data) */
		return;
	case 22: /* handshake; TLS 1.2's encrypted Finished (16 bytes) names the AEAD */
		if ((w->flags & ASPEN_SOCK_CCS) && !w->ovh) {
			if (len == 16 + 16 || len == 16 + 24)
				w->ovh = len - 16; /* ChaCha20-Poly1305 / AES-GCM */
			else
				w->bad = ASPEN_UNPARSED_TLS_FRAMING; /* CBC: sizes vary */
		}
		return;
	case 23:
		if (!w->ovh) { /* TLS 1.3: the first one is the client's Finished */
			w->ovh = ASPEN_TLS13_OVERHEAD;
			if (len == 32 + 4 + ASPEN_TLS13_OVERHEAD ||
			    len == 48 + 4 + ASPEN_TLS13_OVERHEAD) {
				w->free_recs++;
				return;
			}
		}
		if (len < w->ovh) {
			w->bad = ASPEN_UNPARSED_TLS_FRAMING;
			return;
		}
		plain = len - w->ovh;
		/* an alert (close_notify: 2 bytes), or an empty record. Not one
		 * byte: that is data (until session 38 a 1-byte write, a
		 * request's closing "}", passed free; on a spilling connection
		 * the request it completed then waited for a next write) */
		if ((plain == 2 && w->free_recs < 4) || !plain) {
			w->free_recs += plain == 2;
			return;
		}
		w->charge += plain;
		w->flags |= ASPEN_SOCK_APPDATA;
		return;
	default:
		w->bad = ASPEN_UNPARSED_TLS_FRAMING;
	}
}

/* One step of the walk: a record's rest skipped, or its header read and
 * charged; 1 to stop. A global function, so that the verifier checks it
 * once with every field of w unknown: inlined in the bpf_loop callback,
 * each combination of the constants a step leaves in w (ovh, free_recs,
 * flags, hdr_n, bad) was a state of its own, walked again (about 110k of
 * the 160k instructions sk_msg cost the verifier at start-up, issue 14). */
__noinline int aspen_recwalk_one(struct sk_msg_md *msg, struct aspen_recwalk *w)
{
	__u32 left, take, got, len;

	if (!msg || !w)
		return 1;
	if (w->pos >= w->size || w->bad)
		return 1;
	left = w->size - w->pos;
	if (w->rec_left) {
		take = w->rec_left < left ? w->rec_left : left;
		w->rec_left -= take;
		w->pos += take;
		return 0;
	}
	got = aspen_recwalk_read(msg, w, 5 - (w->hdr_n & 7));
	if (!got) {
		w->bad = ASPEN_UNPARSED_TLS_FRAMING;
		return 1;
	}
	w->hdr_n += got;
	w->pos += got;
	if (w->hdr_n < 5)
		return 1; /* the header continues in the next write */
	w->hdr_n = 0;
	len = ((__u32)w->hdr[3] << 8) | w->hdr[4];
	if (w->hdr[1] != 3 || len > ASPEN_TLS_MAX_RECORD) {
		w->bad = ASPEN_UNPARSED_TLS_FRAMING;
		return 1;
	}
	aspen_recwalk_record(w, w->hdr[0], len);
	w->rec_left = len;
	return 0;
}

struct aspen_recwalk_loop {
	struct sk_msg_md *msg;
	struct aspen_recwalk *w; /* apart from msg: the global function may write it all */
};

static long aspen_recwalk_step(__u32 i, void *arg)
{
	struct aspen_recwalk_loop *l = arg;

	return aspen_recwalk_one(l->msg, l->w) ? 1 : 0;
}

/* The walk over a message's records. Its own frame holds the loop's
 * context: in aspen_sk_msg's frame those 16 bytes made the deepest chain
 * (aspen_sk_msg -> aspen_sock_hello -> its callee) 528 bytes, past the
 * verifier's 512 (e2e test_quic_refused's `uninspectable allow` policy). */
static __noinline void aspen_recwalk_run(struct sk_msg_md *msg, struct aspen_recwalk *w)
{
	struct aspen_recwalk_loop loop = {.msg = msg, .w = w};

	bpf_loop(ASPEN_REC_WALK, aspen_recwalk_step, &loop, 0);
}
#endif /* ASPEN_NEED_TLS */

static __always_inline void aspen_recwalk_commit(struct aspen_sock *s, const struct aspen_recwalk *w)
{
	s->rec_left = w->rec_left;
	s->hdr_n = w->hdr_n;
	s->ovh = w->ovh;
	s->free_recs = w->free_recs;
	s->flags = w->flags | (s->flags & (ASPEN_SOCK_PASSED | ASPEN_SOCK_SPILL));
	__builtin_memcpy(s->hdr, w->hdr, sizeof(s->hdr));
}

static __always_inline void aspen_mismatch(const struct aspen_sock *s,
					   const struct aspen_sock_key *key, __u32 reason,
					   int dropped)
{
	struct aspen_mismatch_event *e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!e) {
		aspen_count_lost();
		return;
	}
	e->kind = ASPEN_EV_MISMATCH;
	e->reason = reason;
	e->tgid = id >> 32;
	e->pid = (__u32)id;
	e->dropped = dropped;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->gid = bpf_get_current_uid_gid() >> 32;
	e->_pad = 0;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->providers = s ? s->providers : 0;
	__builtin_memcpy(&e->sock, key, sizeof(e->sock));
	aspen_submit(e, 1);
}

/* The cork size sticks to the socket: every verdict that decides resets
 * it first, or later writes are accepted and then never sent. */
static __always_inline int aspen_release(struct sk_msg_md *msg, int verdict)
{
	bpf_msg_cork_bytes(msg, 0);
	return verdict;
}

/* SNI or Host naming a provider the connection's address is not: the
 * policy's `fronting` setting decides, not `uninspectable`. */
static __always_inline int aspen_is_fronting(__u32 reason)
{
	return reason == ASPEN_UNPARSED_SNI_MISMATCH || reason == ASPEN_UNPARSED_PROVIDER_MISMATCH;
}

/* Bytes no inspection covers: the policy's `uninspectable` setting decides
 * (`fronting` for a name mismatch), audited once per connection (a dropped
 * connection stays dropped). */
static __always_inline int aspen_uninspected(struct sk_msg_md *msg, struct aspen_sock *s,
					     const struct aspen_sock_key *key,
					     const struct aspen_recwalk *w, __u32 reason)
{
	int deny = aspen_is_fronting(reason) ? ASPEN_FRONTING_DENY : ASPEN_UNINSPECTABLE_DENY;
	int drop = deny && !aspen_force_monitor();

	if (s && (s->flags & ASPEN_SOCK_PASSED) && !drop) {
		aspen_recwalk_commit(s, w);
		return aspen_release(msg, SK_PASS);
	}
	aspen_mismatch(s, key, reason, drop);
	if (!s)
		return aspen_release(msg, drop ? SK_DROP : SK_PASS);
	if (!drop) {
		aspen_recwalk_commit(s, w);
		s->flags |= ASPEN_SOCK_PASSED;
		return aspen_release(msg, SK_PASS);
	}
	s->dead = reason + 1;
	return aspen_release(msg, SK_DROP);
}

#if ASPEN_NEED_TLS
/* The session whose plaintext this socket carries: bound at the first
 * application data to the session the writing thread last wrote. */
static __always_inline struct aspen_ledger *aspen_sock_ledger(struct aspen_sock *s,
							      const struct aspen_sock_key *key,
							      __u32 *why)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct aspen_tid_session *ts;
	struct aspen_ledger *l;

	if (s->sess.session) {
		l = bpf_map_lookup_elem(&aspen_ledger, &s->sess);
		/* gone, or made again (not bound) after an eviction (LRU:
		 * aspend --max-connections): what it held is lost */
		if (!l || !(l->flags & ASPEN_LEDGER_BOUND)) {
			*why = ASPEN_UNPARSED_STATE_LOST;
			return NULL;
		}
		return l;
	}
	ts = bpf_map_lookup_elem(&aspen_tid_session, &tid);
	if (!ts) { /* a thread that never wrote through a probe: its process's last session */
		__u32 proc = ASPEN_TGID_SESSION(bpf_get_current_pid_tgid() >> 32);

		ts = bpf_map_lookup_elem(&aspen_tid_session, &proc);
	}
	if (!ts) {
		*why = ASPEN_UNPARSED_UNINSPECTED; /* no probe saw this process write */
		return NULL;
	}
	l = bpf_map_lookup_elem(&aspen_ledger, &ts->key);
	if (!l) {
		*why = ASPEN_UNPARSED_UNINSPECTED;
		return NULL;
	}
	if ((l->flags & ASPEN_LEDGER_BOUND) && !aspen_sock_key_eq(&l->sock, key)) {
		*why = ASPEN_UNPARSED_SESSION; /* that session writes to another socket */
		return NULL;
	}
	if ((l->flags & ASPEN_LEDGER_HOSTS) && !(l->req_providers & s->providers)) {
		*why = ASPEN_UNPARSED_PROVIDER_MISMATCH; /* Host vs address: fronting */
		return NULL;
	}
	__builtin_memcpy(&l->sock, key, sizeof(l->sock));
	__sync_fetch_and_or(&l->flags, ASPEN_LEDGER_BOUND);
	__builtin_memcpy(&s->sess, &ts->key, sizeof(s->sess));
	return l;
}
#endif /* ASPEN_NEED_TLS */

#if ASPEN_NEED_TLS
/* ---- spill (see above): the verdicts of a spilling connection ----------- */

/* The message goes to the slot's hold socket; allowed: everything sent so
 * far may go on to the provider. */
static __always_inline int aspen_spill_send(struct sk_msg_md *msg, struct aspen_sock *s,
					    struct aspen_spill *sp, __u32 idx, int allowed)
{
	struct aspen_sock_key hk;
	long r;

	ASPEN_SPILL_HOLD_KEY(hk, idx);
	sp->sent += msg->size;
	if (allowed && !sp->debt)
		sp->ok = sp->sent;
	bpf_msg_cork_bytes(msg, 0);
	r = bpf_msg_redirect_hash(msg, &aspen_sockhash, &hk, BPF_F_INGRESS);
	if (r != SK_PASS) { /* the hold socket is gone (aspend stopped): cut */
		sp->state = ASPEN_SPILL_DEAD;
		s->dead = ASPEN_UNPARSED_HOLD_FULL + 1;
		return SK_DROP;
	}
	return SK_PASS;
}

static __always_inline int aspen_spill_drop(struct sk_msg_md *msg, struct aspen_sock *s,
					    struct aspen_spill *sp, __u32 dead)
{
	sp->state = ASPEN_SPILL_DEAD;
	s->dead = dead;
	return aspen_release(msg, SK_DROP);
}

/* A write that costs no credit (an alert, or two bytes of data a record
 * walk cannot tell from one) after a held request: when the probe has
 * allowed that request since (its credit covers what is held), what is
 * held may go on. Else the request's last bytes, written in such a record,
 * would wait for a next write that may never come. */
static __always_inline void aspen_spill_settle(struct aspen_sock *s, struct aspen_spill *sp)
{
	struct aspen_ledger *l;

	if (!sp->debt || !s->sess.session)
		return;
	l = bpf_map_lookup_elem(&aspen_ledger, &s->sess);
	if (!l || (l->flags & ASPEN_LEDGER_DENIED) || l->credit < sp->debt)
		return;
	__sync_fetch_and_sub(&l->credit, sp->debt);
	sp->debt = 0;
	sp->ok = sp->sent;
}

/* A write on a spilling connection, its records walked (w). Global:
 * verified once. */
__noinline int aspen_spill_msg(struct sk_msg_md *msg, struct aspen_sock *s,
			       struct aspen_sock_key *key, struct aspen_recwalk *w)
{
	__u32 idx = 0, why = ASPEN_UNPARSED_UNINSPECTED;
	struct aspen_spill *sp;
	struct aspen_ledger *l;
	__u64 credit;
	int deny;

	if (!msg || !s || !key || !w)
		return SK_DROP;
	sp = aspen_spill_slot(key, &idx);
	if (!sp || sp->state != ASPEN_SPILL_ACTIVE) {
		s->dead = ASPEN_UNPARSED_HOLD_FULL + 1;
		return aspen_release(msg, SK_DROP);
	}
	l = w->charge ? aspen_sock_ledger(s, key, &why) : NULL;
	if (l && (l->flags & ASPEN_LEDGER_DENIED))
		return aspen_spill_drop(msg, s, sp, 1); /* the request's line says why */
	if (!w->bad && !w->charge) { /* handshake, alerts */
		aspen_spill_settle(s, sp);
		aspen_recwalk_commit(s, w);
		return aspen_spill_send(msg, s, sp, idx, 1);
	}
	if (!w->bad && l) {
		credit = l->credit;
		if (sp->debt && credit >= sp->debt) { /* the held request was allowed */
			__sync_fetch_and_sub(&l->credit, sp->debt);
			credit -= sp->debt;
			sp->debt = 0;
			sp->ok = sp->sent;
		}
		if (!sp->debt && credit >= w->charge) {
			__sync_fetch_and_sub(&l->credit, w->charge);
			aspen_recwalk_commit(s, w);
			return aspen_spill_send(msg, s, sp, idx, 1);
		}
		if (credit + l->pending >= sp->debt + w->charge) { /* still undecided: held */
			sp->debt += w->charge;
			aspen_recwalk_commit(s, w);
			return aspen_spill_send(msg, s, sp, idx, 0);
		}
		if (l->flags & ASPEN_LEDGER_PASS_REST) {
			__sync_fetch_and_sub(&l->credit, credit < w->charge ? credit : w->charge);
			sp->debt = 0;
			aspen_recwalk_commit(s, w);
			return aspen_spill_send(msg, s, sp, idx, 1);
		}
		why = l->reason ? l->reason : why;
	}
	if (w->bad)
		why = w->bad;
	/* what no inspection covers: `uninspectable` (or `fronting`) decides */
	deny = (aspen_is_fronting(why) ? ASPEN_FRONTING_DENY : ASPEN_UNINSPECTABLE_DENY) &&
	       !aspen_force_monitor();
	if (!(s->flags & ASPEN_SOCK_PASSED) || deny)
		aspen_mismatch(s, key, why, deny);
	if (deny)
		return aspen_spill_drop(msg, s, sp, why + 1);
	s->flags |= ASPEN_SOCK_PASSED;
	if (l)
		__sync_fetch_and_sub(&l->credit, l->credit < w->charge ? l->credit : w->charge);
	sp->debt = 0;
	aspen_recwalk_commit(s, w);
	return aspen_spill_send(msg, s, sp, idx, 1);
}

/* A held message too big to cork: take a free slot and spill (or, none
 * free, `uninspectable` decides with hold_full). */
static __always_inline int aspen_spill_start(struct sk_msg_md *msg, struct aspen_sock *s,
					     struct aspen_sock_key *key, struct aspen_recwalk *w)
{
	struct aspen_spill *sp;
	__u32 idx = 0;

	if (bpf_map_pop_elem(&aspen_spill_free, &idx) || idx >= ASPEN_SPILL_SLOTS)
		return aspen_uninspected(msg, s, key, w, ASPEN_UNPARSED_HOLD_FULL);
	sp = bpf_map_lookup_elem(&aspen_spill, &idx);
	if (!sp)
		return aspen_uninspected(msg, s, key, w, ASPEN_UNPARSED_HOLD_FULL);
	__builtin_memcpy(&sp->target, key, sizeof(sp->target));
	sp->sent = 0;
	sp->ok = 0;
	sp->debt = 0;
	sp->tgid = bpf_get_current_pid_tgid() >> 32;
	sp->state = ASPEN_SPILL_ACTIVE;
	if (bpf_map_update_elem(&aspen_spill_of, key, &idx, BPF_ANY)) {
		sp->state = ASPEN_SPILL_DEAD;
		return aspen_uninspected(msg, s, key, w, ASPEN_UNPARSED_HOLD_FULL);
	}
	s->flags |= ASPEN_SOCK_SPILL;
	return aspen_spill_msg(msg, s, key, w);
}

/* aspend's forward socket of a slot: what aspend writes goes on to the
 * provider connection (its egress, past its own verdict). */
static __always_inline int aspen_spill_forward(struct sk_msg_md *msg, const struct aspen_sock_key *key)
{
	struct aspen_sock_key tk;
	struct aspen_spill *sp;
	__u32 idx;

	sp = aspen_spill_slot(key, &idx);
	if (!sp || sp->state != ASPEN_SPILL_ACTIVE)
		return SK_DROP;
	__builtin_memcpy(&tk, &sp->target, sizeof(tk));
	return bpf_msg_redirect_hash(msg, &aspen_sockhash, &tk, 0);
}
#endif /* ASPEN_NEED_TLS */

/* ---- the first write: the ClientHello names the connection ------------- */

/* A socket sk_msg has no business with: passed, and taken out of the
 * SOCKHASH by sockops at the next ACK (aspen_sockops_ack). */
static __always_inline int aspen_sock_forget(struct sk_msg_md *msg, struct aspen_sock *s)
{
	s->flags |= ASPEN_SOCK_FORGET;
	return aspen_release(msg, SK_PASS);
}

/* Providers an SNI names that serve the connection's port. */
static __always_inline __u64 aspen_sni_providers(const struct aspen_sni *sni,
						 const struct aspen_sock_key *key)
{
	__u64 named = aspen_host_providers(sni->host), *on_port;
	__u16 port = (__u16)key->rport;

	if (!named)
		return 0;
	on_port = bpf_map_lookup_elem(&aspen_ports, &port);
	return named & (on_port ? *on_port : 0);
}

/* A connection to an address aspend never learned whose SNI names a
 * provider: decided now as connect() would have decided it, audited with
 * hook "sni"; 0 when the policy refuses it. */
static __always_inline int aspen_sni_govern(struct aspen_sock *s, const struct aspen_sock_key *key,
					    __u64 providers)
{
	struct aspen_verdict v = { .rule = ASPEN_RULE_NONE, .decision = ASPEN_ALLOW };
	struct aspen_conn c = {};
	const __u64 *w = (const __u64 *)key->raddr;

	c.family = (w[0] == 0 && ((const __u32 *)key->raddr)[2] == bpf_htonl(0xffff)) ? AF_INET
										      : AF_INET6;
	__builtin_memcpy(c.addr, key->raddr, 16);
	c.port = (__u16)key->rport;
	c.proto = IPPROTO_TCP;
	c.host_idx = ~0u;
	c.providers = providers;
	int known = aspen_lookup_process(&c);
	aspen_decide_connect(&c, &v);
	__u32 unparsed = aspen_subject_unknown(&c, known, &v);
#if ASPEN_NEED_TLS
	if (v.decision == ASPEN_ALLOW || v.decision == ASPEN_WOULD_DENY)
		aspen_tls_hold(&c, &v, 0);
#endif
	if (v.audit)
		aspen_audit_connect(&c, &v, ASPEN_HOOK_SNI, unparsed);
	if (v.decision == ASPEN_DENY || v.decision == ASPEN_KILL)
		return 0;
	s->providers = providers;
	s->flags &= ~ASPEN_SOCK_SNIWAIT;
	return 1;
}

/* The connection's first write. Returns a verdict, or -1 to go on with the
 * record walk; *why: a reason the walk's bytes are then uninspectable. A
 * global function: verified once, apart from the record walk. */
__noinline int aspen_sock_hello(struct sk_msg_md *msg, struct aspen_sock *s,
				struct aspen_sock_key *key, __u32 *why)
{
	struct aspen_sni sni;
	__u64 named = 0;
	int r;

	if (!msg || !s || !key || !why)
		return SK_DROP;
	r = aspen_sni_parse(msg, &sni);

	if (r == ASPEN_SNI_SHORT && sni.need <= ASPEN_HELLO_MAX) {
		bpf_msg_cork_bytes(msg, sni.need); /* hold until the record is whole */
		return SK_PASS;
	}
	s->flags |= ASPEN_SOCK_HELLO;
	if (r == ASPEN_SNI_FOUND)
		named = aspen_sni_providers(&sni, key);
	if (s->flags & ASPEN_SOCK_SNIWAIT) {
		if (r == ASPEN_SNI_BAD || r == ASPEN_SNI_SHORT) {
			*why = ASPEN_UNPARSED_TLS_FRAMING; /* a ClientHello we cannot read */
			return -1;
		}
		if (!named)
			return aspen_sock_forget(msg, s); /* not a provider connection */
		if (!aspen_sni_govern(s, key, named)) {
			s->dead = 1;
			return aspen_release(msg, SK_DROP);
		}
		return -1;
	}
	if (named && !(named & s->providers))
		*why = ASPEN_UNPARSED_SNI_MISMATCH; /* SNI names another provider: fronting */
	return -1;
}

#if ASPEN_NEED_TLS
SEC("sk_msg")
int aspen_sk_msg(struct sk_msg_md *msg)
{
	struct aspen_sock_key key;
	struct aspen_sock *s;
	struct aspen_ledger *l;
	__u32 why = ASPEN_UNPARSED_UNINSPECTED, hello_why = 0;
	struct aspen_recwalk w = {};

	ASPEN_SOCK_KEY(key, msg);
	w.size = msg->size;
	s = bpf_map_lookup_elem(&aspen_socks, &key);
	if (!s) {
		if (bpf_map_lookup_elem(&aspen_spill_of, &key)) /* aspend's forward socket */
			return aspen_spill_forward(msg, &key);
		/* sockops files a socket in both: its entry was evicted (LRU,
		 * aspend --max-connections) */
		return aspen_uninspected(msg, s, &key, &w, ASPEN_UNPARSED_STATE_LOST);
	}
	if (s->dead)
		return aspen_release(msg, SK_DROP);
#if ASPEN_NEED_BODY_SCAN
	if (aspen_redact_escaped_here()) {
		s->dead = 1; /* the request's line says why */
		return aspen_release(msg, SK_DROP);
	}
#endif
	if (s->flags & ASPEN_SOCK_FORGET)
		return aspen_release(msg, SK_PASS); /* not a provider's, leaving */
	if (!(s->flags & ASPEN_SOCK_HELLO)) {
		int verdict = aspen_sock_hello(msg, s, &key, &hello_why);

		if (verdict >= 0)
			return verdict;
	}
	w.rec_left = s->rec_left;
	w.hdr_n = s->hdr_n & 7;
	w.ovh = s->ovh;
	w.free_recs = s->free_recs;
	w.flags = s->flags;
	__builtin_memcpy(w.hdr, s->hdr, sizeof(w.hdr));
	aspen_recwalk_run(msg, &w);
	if (!w.bad && w.pos < w.size)
		w.bad = ASPEN_UNPARSED_TLS_FRAMING; /* more records than one walk takes */
	if (!w.bad)
		w.bad = hello_why;
	if (s->flags & ASPEN_SOCK_SPILL)
		return aspen_spill_msg(msg, s, &key, &w);
	if (w.bad)
		return aspen_uninspected(msg, s, &key, &w, w.bad);
	if (!w.charge) { /* no application data: handshake, alerts */
		aspen_recwalk_commit(s, &w);
		return aspen_release(msg, SK_PASS);
	}
	l = aspen_sock_ledger(s, &key, &why);
	if (!l)
		return aspen_uninspected(msg, s, &key, &w, why);
	if (l->flags & ASPEN_LEDGER_DENIED) {
		s->dead = 1; /* the request's own audit line says why */
		return aspen_release(msg, SK_DROP);
	}
	if (l->credit >= w.charge) {
		__sync_fetch_and_sub(&l->credit, w.charge);
		aspen_recwalk_commit(s, &w);
		return aspen_release(msg, SK_PASS);
	}
	if (l->credit + l->pending >= w.charge) {
		/* a request still undecided: hold its ciphertext in the kernel;
		 * this verdict runs again over it with the next write. Past what
		 * a cork can hold, aspend holds it (spill). */
		if (msg->size > ASPEN_SPILL_AT && aspen_spill_on())
			return aspen_spill_start(msg, s, &key, &w);
		bpf_msg_cork_bytes(msg, msg->size + 1);
		return SK_PASS;
	}
	if (l->flags & ASPEN_LEDGER_PASS_REST) { /* audited by the probe already */
		__sync_fetch_and_sub(&l->credit, l->credit < w.charge ? l->credit : w.charge);
		aspen_recwalk_commit(s, &w);
		return aspen_release(msg, SK_PASS);
	}
	return aspen_uninspected(msg, s, &key, &w, l->reason ? l->reason : why);
}
#else /* !ASPEN_NEED_TLS */
/* No request rules: only the ClientHello is read. An unlearned address
 * whose SNI names a provider is decided as connect() would have, an SNI
 * naming another provider than the address by `fronting`; then the socket
 * leaves the SOCKHASH (aspen_sockops_ack) and its writes go on unslowed. */
SEC("sk_msg")
int aspen_sk_msg(struct sk_msg_md *msg)
{
	struct aspen_recwalk w = {};
	struct aspen_sock_key key;
	struct aspen_sock *s;
	__u32 why = 0;
	int verdict;

	ASPEN_SOCK_KEY(key, msg);
	s = bpf_map_lookup_elem(&aspen_socks, &key);
	if (!s)
		return aspen_release(msg, SK_PASS); /* nothing to read it for */
	if (s->dead)
		return aspen_release(msg, SK_DROP);
	if (s->flags & (ASPEN_SOCK_FORGET | ASPEN_SOCK_HELLO))
		return aspen_sock_forget(msg, s);
	verdict = aspen_sock_hello(msg, s, &key, &why);
	if (verdict >= 0)
		return verdict;
	if (aspen_is_fronting(why)) {
		w.size = msg->size;
		w.flags = s->flags;
		verdict = aspen_uninspected(msg, s, &key, &w, why);
		if (s->dead)
			return verdict;
	}
	return aspen_sock_forget(msg, s);
}
#endif /* ASPEN_NEED_TLS */

#include "aspen_existing.bpf.h"

#endif
