/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * TLS plaintext probes: uprobes on the TLS library's write and read
 * functions, attached by aspend per process (pid filter) when the process
 * first connects to a provider. The write probe parses the request as it
 * is written (state per TLS session), decides it with the policy's
 * generated aspen_decide_request(), and leaves its verdict for the sk_msg
 * program (aspen_sockmap.bpf.h), which drops or holds the ciphertext.
 *
 * Function shapes probed (all: ctx, buffer, length as the first three
 * arguments; what a write wrote: its return value, or the size_t * the
 * attach cookie names, aspen_wptr()):
 *   SSL_write(SSL *, const void *, int)
 *   SSL_write_ex(SSL *, const void *, size_t, size_t *)
 *   OpenSSL's internal write (SSL *, const void *, size_t, [uint64_t,] size_t *)
 *   gnutls_record_send(gnutls_session_t, const void *, size_t)
 *   SSL_read(SSL *, void *, int)                    -> int bytes
 *   SSL_read_ex(SSL *, void *, size_t, size_t *)    -> 1, *readbytes
 *   gnutls_record_recv(gnutls_session_t, void *, size_t) -> ssize_t bytes
 */
#ifndef ASPEN_TLS_BPF_H
#define ASPEN_TLS_BPF_H

#include <linux/ptrace.h>
#include <bpf/bpf_tracing.h> /* PT_REGS_*: __TARGET_ARCH_x86 / _arm64 from aspenc's build */

#include "aspen_http.h"
#include "aspen_path_model.h"
#include "aspen_ws.h"
#include "aspen_siphash.h"

#define ASPEN_CHUNK 16384     /* plaintext bytes copied and parsed at a time */
/* steps of one write's walk (a chunk parsed, or a decided body passed over):
 * bpf_loop stops at the write's end; 1 << 20 chunks is 16 GiB */
#define ASPEN_WRITE_STEPS (1 << 20)
/* Bytes of an undecided request that may be held across writes when
 * aspend holds no spill slots (or is not alive): sk_msg corks their
 * ciphertext until the decision, and a cork the kernel cannot grow (its
 * scatterlist is full: from 17 pages) is sent as it is. A request still
 * undecided past this at the end of a write is then decided with what was
 * read (unparsed scan_bound). With spill slots (aspen_sockmap.bpf.h,
 * "spill") a request is held up to the body bound whatever its writes. */
#define ASPEN_HOLD_MAX 65536

/* How much of an undecided request's body can be held across writes. */
static __always_inline __u64 aspen_hold_bound(void)
{
	return aspen_spill_on() ? aspen_body_bound() : ASPEN_HOLD_MAX;
}


/* Bytes of a write call that its next call brings again: all of a failed
 * call's (the TLS library repeats it), the unwritten rest of one that
 * wrote part (aspen_replay_seal()). They were parsed once; the next call's
 * leading bytes must be the same (aspen_replay_check()) and are not parsed
 * again. A failed call's are hashed whole: its repeat writes them all. A
 * partial write's rest is hashed per 16 KiB block (aspen_replay_blocks):
 * the next call writes one record, so it is checked one block at a time,
 * once each, where hashing the whole rest at every call was quadratic in
 * the body. */
struct aspen_replay {
	__u64 len;    /* how many, from the next call's first byte */
	__u64 key[2]; /* random per seal ... */
	__u64 hash;   /* ... whole: the SipHash of those bytes under it; blocks: 1;
		       * 0: they could not be read */
	__u64 credit; /* what the returns took back of their credit, not given again yet */
	__u64 spent;  /* blocks: bytes of the owed ones that failed calls already sent */
	__u64 vlen;   /* of them, how many the current call's entry checked */
	__u32 first;  /* blocks: the block the owed bytes start with */
	__u16 blocks; /* 1: hashed per block, 0: whole */
	__u16 retry;  /* a call failed since: its repeat may write more (aspen_replay_check()) */
};

#define ASPEN_REPLAY_BLOCK ASPEN_CHUNK /* a TLS record's plaintext at most */
#define ASPEN_REPLAY_BLOCKS 256	       /* 4 MiB (the body bound) in blocks */

struct aspen_stream {
	struct aspen_http_req_state st;
	struct aspen_req r;
	struct aspen_verdict v;
	__u32 decided;
	__u32 unsynced; /* framing lost: every later request is uninspectable */
	__u32 fresh;    /* the last request ended with the last write */
	__u32 redact;   /* patterns to mask in this request (decided at head end) */
	__u64 bytes;    /* of the current request */
	__u64 body_state;  /* the body DFA's state (patterns) */
	__u64 write_match; /* patterns a match of which ended in this write */
	__u32 redact_ready;
	__u32 body_off;    /* first body byte in this write, or ~0 */
	__u64 session;
	__u64 acct;        /* bytes of the current request already in the ledger */
	__u64 pend;        /* of those, bytes the ledger holds as pending */
	__u64 call_credit; /* credit and pending this write call added to the ledger */
	__s64 call_pend;
	__u64 debt;        /* bytes a failed call sent before it failed (aspen_write_ret()):
			    * its repeat parses them again, but they do not leave again */
	struct aspen_replay replay; /* the rest of a call that wrote part */
	__u64 wpos;        /* bytes of the current write walked so far */
	__u32 run;         /* the fast path's position in the chunk (aspen_feed_plain) */
	__u32 blast;       /* the last body byte the patterns read in this write, or ~0 */
	char last_model[ASPEN_MODEL_LEN]; /* of the last request, for its response */
	/* after a WebSocket upgrade (aspen_ws.bpf.h): the client's frames */
	struct aspen_ws ws;
	__u32 ws_on;   /* the upgrade head was allowed: bytes are frames now */
	__u32 ws_unit; /* a unit (a message and the frames inside it, or a control frame) is open */
	__u32 ws_lost; /* enum aspen_unparsed: the frames cannot be followed */
	__u32 _ws_pad;
	__u64 req_seq; /* when the current request began (boot ns): names it to
			* aspend, its masks' counts go to its line. Unique also
			* across connections that reuse an SSL's address */
};

struct aspen_rstream {
	struct aspen_http_resp_state st;
	struct aspen_resp r;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct aspen_stream_key);
	__type(value, struct aspen_stream);
} aspen_streams SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct aspen_stream_key);
	__type(value, struct aspen_rstream);
} aspen_rstreams SEC(".maps");

/* SSL_read arguments, from entry to return, by thread id */
struct aspen_read_args {
	__u64 session;
	__u64 buf;
	__u64 readbytes; /* SSL_read_ex's size_t *, else 0 */
	__u32 probe;
	__u32 ex;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* allocated on insert: 2 MB less to make at start-up */
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct aspen_read_args);
} aspen_read_args SEC(".maps");

/* plaintext copied out of the process (twice the chunk: reads are masked
 * with 2 * ASPEN_CHUNK - 1), and a zeroed stream to start from. Separate
 * maps: a per-CPU value may not exceed 32 KiB. */
struct aspen_tls_scratch {
	__u8 buf[2 * ASPEN_CHUNK];
};

/* This write's match ends to mask (aspen_end_note), for a hold; reset as
 * each write begins. Per CPU, as the scratch: a write is parsed in one
 * program run, and no other runs on this CPU meanwhile. (Not in the
 * scratch: a per-CPU value is 32 KiB at most.) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_redact_ends);
} aspen_redact_ends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_tls_scratch);
} aspen_tls_scratch SEC(".maps");

struct aspen_tls_zero {
	struct aspen_stream zero;
};

/* A thread under ptrace: its stops are its tracer's to keep or not (it may
 * swallow the SIGSTOP, or resume it with PTRACE_CONT, no SIGCONT seen), so
 * it cannot be held for masking: its request is denied. Until session 40
 * such a writer (tests/lib/swallow_stop.py) encrypted its buffer while
 * aspend masked it, and an SSN left. */
struct task_struct___aspen_ptrace {
	unsigned int ptrace;
} __attribute__((preserve_access_index));

static __always_inline int aspen_traced(void)
{
	/* a trusted BTF pointer: read in place, no stack (the write probe's
	 * call chain is near the verifier's 512-byte bound) */
	struct task_struct___aspen_ptrace *t = (void *)bpf_get_current_task_btf();

	return t->ptrace != 0;
}

/* List thread tid in its process's entry (aspen_shared.h), once. */
static __noinline void aspen_redact_list_thread(__u32 tgid, __u32 tid)
{
	__u32 key = ASPEN_REDACT_PROC_KEY(tgid), i;
	struct aspen_redact_held zero = {.tgid = tgid, .state = ASPEN_REDACT_PROC};
	struct aspen_redact_held *pe = bpf_map_lookup_elem(&aspen_redact_held, &key);

	if (!pe) {
		bpf_map_update_elem(&aspen_redact_held, &key, &zero, BPF_NOEXIST);
		pe = bpf_map_lookup_elem(&aspen_redact_held, &key);
		if (!pe)
			return; /* the tracer finds no entry: sk_msg's check stands */
	}
	for (i = 0; i < ASPEN_REDACT_PROC_TIDS; i++)
		if (i < pe->ntids && pe->tids[i] == tid)
			return;
	/* two threads listed at once may write the same slot: both count,
	 * the slot one of them left 0 sends the tracer to its walk */
	i = pe->ntids;
	if (i < ASPEN_REDACT_PROC_TIDS)
		pe->tids[i] = tid;
	__sync_fetch_and_add(&pe->ntids, 1);
}

/* Stop the current thread for aspend to mask its buffer: recorded first
 * (aspen_redact_held), so that whoever finds the record knows the thread
 * is stopped or about to be, and can resume it (aspend, or its watchdog
 * when aspend died: see aspen_shared.h). 0: stopped; -1: not recorded, not
 * stopped: the caller denies instead (the thread's previous hold is still
 * HELD: never the case while it runs; or ESCAPED, not yet seen by aspend,
 * whose DONE must not land on a newer hold; or it is traced; or the
 * update failed). The caller reserved the hold's event before: aspend
 * takes a ring with no record after the one it handles for "no other hold
 * is recorded" (redact.c redact_resume). */
static __always_inline int aspen_redact_stop(__u32 tgid, __u64 session, __u64 buf)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct aspen_redact_held h = { .tgid = tgid, .state = ASPEN_REDACT_HELD, .session = session,
				       .buf = buf, .since_ns = bpf_ktime_get_boot_ns() };
	struct aspen_redact_held *was = bpf_map_lookup_elem(&aspen_redact_held, &tid);

	if (was && (was->state == ASPEN_REDACT_HELD || was->state == ASPEN_REDACT_ESCAPED))
		return -1;
	if (aspen_traced())
		return -1;
	aspen_redact_list_thread(tgid, tid); /* before the record: the tracer's index */
	if (bpf_map_update_elem(&aspen_redact_held, &tid, &h, BPF_ANY))
		return -1;
	bpf_send_signal_thread(19 /* SIGSTOP */);
	return 0;
}

#if ASPEN_NEED_BODY_SCAN
/* A SIGCONT resumes every stopped thread of its process, whoever sends it.
 * aspend marks a hold DONE before its own: any SIGCONT that finds a hold of
 * its process still HELD resumes that writer before its buffer is masked
 * (another thread of the program spinning on kill(getpid(), SIGCONT), a
 * shell's `kill -CONT`, aspend resuming the process for a probe). Seen
 * here before the writer runs: the kernel traces the signal with the
 * target's siglock held, and the woken thread takes it to leave its stop. */
struct task_struct___aspen_sig {
	int tgid;
} __attribute__((preserve_access_index));

struct bpf_map;

static long aspen_sigcont_hold(struct bpf_map *map, __u32 *tid, struct aspen_redact_held *h,
			       __u32 *tgid)
{
	if (h->tgid == *tgid && h->state == ASPEN_REDACT_HELD)
		aspen_redact_escape(h);
	return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(aspen_redact_sigcont, int sig, void *info, struct task_struct___aspen_sig *task,
	     int group, int result)
{
	struct aspen_redact_held *pe, *h;
	__u32 tgid, key, tid, i;

	if (sig != 18 /* SIGCONT */ || !task)
		return 0;
	tgid = task->tgid;
	key = ASPEN_REDACT_PROC_KEY(tgid);
	pe = bpf_map_lookup_elem(&aspen_redact_held, &key);
	if (!pe)
		return 0; /* none of its threads was ever held */
	for (i = 0; i < ASPEN_REDACT_PROC_TIDS; i++) {
		if (i >= pe->ntids)
			return 0;
		tid = pe->tids[i];
		if (!tid)
			break; /* a slot two threads wrote at once */
		h = bpf_map_lookup_elem(&aspen_redact_held, &tid);
		if (h && h->tgid == tgid && h->state == ASPEN_REDACT_HELD)
			aspen_redact_escape(h);
	}
	if (pe->ntids > i) /* more threads than listed */
		bpf_for_each_map_elem(&aspen_redact_held, aspen_sigcont_hold, &tgid, 0);
	return 0;
}
#endif

struct aspen_write_undo;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_tls_zero);
} aspen_tls_zero SEC(".maps");

/* Copies of records over 1 KiB (streams, request events): clang inlines
 * __builtin_memcpy only up to 128 stores; the helper copies any size. */
#define aspen_copy(dst, src, n) bpf_probe_read_kernel((dst), (n), (src))

/* ---- the write side ------------------------------------------------------ */

static __always_inline void aspen_fill_conn(struct aspen_conn *c)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();
	__u32 tgid = id >> 32, uid = (__u32)ug;
	__u64 cg = bpf_get_current_cgroup_id();
	struct aspen_proc *p = bpf_map_lookup_elem(&aspen_proc, &tgid);
	__u64 *bits;

	c->pid = (__u32)id;
	c->tgid = tgid;
	c->uid = uid;
	c->gid = ug >> 32;
	c->cgroup_id = cg;
	c->family = 0;
	c->proto = IPPROTO_TCP;
	c->host_idx = ~0u;
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	c->comm_bits = aspen_comm_bits(c->comm);
	if (p)
		c->exe_bits = p->exe_bits;
	bits = bpf_map_lookup_elem(&aspen_cgroup, &cg);
	if (bits)
		c->cgroup_bits = *bits;
	bits = bpf_map_lookup_elem(&aspen_user, &uid);
	if (bits)
		c->user_bits = *bits;
}

/* A write is only a write once the TLS library accepted it: node, for
 * one, calls SSL_write while its handshake is still running, gets "try
 * again", and calls it again with the same bytes. So the write probe keeps
 * a copy of the session's parse state from before the call and the request
 * lines it decided, and the return probe either publishes those lines
 * (the call succeeded) or puts the state back (it failed). Decisions take
 * effect at entry all the same: nothing is encrypted before them. */
struct aspen_write_undo {
	struct aspen_stream_key key;
	__u64 buf, len; /* the call's arguments ... */
	__u64 wptr;     /* ... and where it stores what it wrote (aspen_written()) */
	struct aspen_stream snap;
	__u32 has_audit;
	__u32 active; /* between a write's entry and its return */
	struct aspen_request_event ev;
};

/* One record per thread (the call's entry and return run on it), made at
 * its first probed write and freed with the thread: a write fills it in
 * place and its return clears `active`, where a hash keyed by thread id
 * allocated and freed 2 KB on every write (and kept the entries of threads
 * that died inside a write). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct aspen_write_undo);
} aspen_write_undo SEC(".maps");

/* this thread's record while a write is in flight, else NULL */
static __always_inline struct aspen_write_undo *aspen_undo_active(void)
{
	struct aspen_write_undo *u =
		bpf_task_storage_get(&aspen_write_undo, bpf_get_current_task_btf(), 0, 0);

	return u && u->active ? u : NULL;
}

static __always_inline void aspen_fill_request_event(struct aspen_request_event *e,
						     const struct aspen_stream *s, int probe)
{
	__u32 tgid = s->r.conn.tgid;
	struct aspen_proc *p;

	e->kind = ASPEN_EV_REQUEST;
	e->probe = probe;
	e->ts_ns = bpf_ktime_get_boot_ns();
	aspen_copy(&e->req, &s->r, sizeof(e->req));
	__builtin_memcpy(&e->verdict, &s->v, sizeof(e->verdict));
	e->_pad = 0;
	e->req_seq = s->req_seq;
	e->session = s->session;
	/* bytes parsed so far, plus the body still announced by Content-Length */
	e->bytes = s->bytes;
	if (s->r.content_length != ~0ULL && s->r.content_length > s->r.body_seen)
		e->bytes += s->r.content_length - s->r.body_seen;
	e->exe[0] = 0;
	p = bpf_map_lookup_elem(&aspen_proc, &tgid);
	if (p)
		__builtin_memcpy(e->exe, p->exe, ASPEN_EXE_LEN);
}

static __always_inline void aspen_publish(const struct aspen_request_event *ev)
{
	struct aspen_request_event *e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);

	if (!e) {
		aspen_count_lost();
		return;
	}
	aspen_copy(e, ev, sizeof(*e));
	aspen_submit(e, ev->verdict.decision != ASPEN_ALLOW);
}

static __always_inline void aspen_audit_request(struct aspen_stream *s, int probe)
{
	struct aspen_write_undo *u = aspen_undo_active();
	struct aspen_request_event *e;

	/* a request that is stopped (deny, kill) makes its own write fail, or
	 * its process die: its line is published now, not on return */
	if (u && (s->v.decision == ASPEN_DENY || s->v.decision == ASPEN_KILL))
		u = NULL;
	if (u) { /* inside a write: held until the return probe */
		if (u->has_audit)
			aspen_publish(&u->ev); /* a second request in one write */
		aspen_fill_request_event(&u->ev, s, probe);
		u->has_audit = 1;
		return;
	}
	e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);
	if (!e) {
		aspen_count_lost();
		return;
	}
	aspen_fill_request_event(e, s, probe);
	aspen_submit(e, s->v.decision != ASPEN_ALLOW);
}

static __always_inline struct aspen_ledger *aspen_ledger_of(const struct aspen_stream *s)
{
	struct aspen_stream_key key = { .tgid = s->r.conn.tgid, .session = s->session };

	return aspen_ledger_get(&key);
}

/* A request's Host must name a provider its connection's address is: on
 * a bound session that is checked here; before binding, the providers
 * every request named are kept (intersected) for sk_msg to check. */
static __always_inline int aspen_providers_agree(struct aspen_ledger *l, __u64 providers)
{
	struct aspen_sock *so;

	if (!providers)
		return 1; /* not a provider request: decided elsewhere */
	if (l->flags & ASPEN_LEDGER_BOUND) {
		so = bpf_map_lookup_elem(&aspen_socks, &l->sock);
		return !so || (so->providers & providers);
	}
	if (l->flags & ASPEN_LEDGER_HOSTS)
		l->req_providers &= providers;
	else
		l->req_providers = providers;
	__sync_fetch_and_or(&l->flags, ASPEN_LEDGER_HOSTS);
	return 1;
}

/* The bytes of the current request parsed since the last call go where
 * its decision says: credit (allowed), pending (undecided: the sk_msg
 * program holds their ciphertext), or nowhere (denied, or a request that
 * names no provider: the connection's sk_msg decides by `uninspectable`).
 * Global: verified once. */
__noinline int aspen_account(struct aspen_stream *s)
{
	struct aspen_ledger *l;
	__u64 delta;

	if (!s)
		return 0;
	l = aspen_ledger_of(s);
	if (!l)
		return 0;
	delta = s->bytes - s->acct;
	s->acct = s->bytes;
	if (!s->decided) {
		__sync_fetch_and_add(&l->pending, delta);
		s->pend += delta;
		s->call_pend += delta;
		return 0;
	}
	if (s->pend) {
		__sync_fetch_and_sub(&l->pending, s->pend);
		s->call_pend -= s->pend;
		delta += s->pend;
		s->pend = 0;
	}
	if (s->v.decision == ASPEN_DENY || s->v.decision == ASPEN_KILL) {
		l->rule = s->v.rule;
		__sync_fetch_and_or(&l->flags, ASPEN_LEDGER_DENIED);
		return 0;
	}
	if (s->v.rule == ASPEN_RULE_NONE && !s->r.conn.providers) {
		l->reason = ASPEN_UNPARSED_HOST_MISMATCH;
		return 0;
	}
	if (!aspen_providers_agree(l, s->r.conn.providers)) {
		/* Host names a provider the connection's address is not (fronting):
		 * not credited; the connection's sk_msg decides by `uninspectable` */
		l->reason = ASPEN_UNPARSED_PROVIDER_MISMATCH;
		return 0;
	}
	if (s->v.rule == ASPEN_RULE_UNINSPECTABLE && s->r.unparsed)
		/* `uninspectable allow` passed a request it could not read: what
		 * follows on the session is not followed either, nor audited again */
		__sync_fetch_and_or(&l->flags, ASPEN_LEDGER_PASS_REST);
	if (s->debt) { /* bytes a failed call already sent: not credited twice */
		__u64 pay = s->debt < delta ? s->debt : delta;

		s->debt -= pay;
		delta -= pay;
	}
	__sync_fetch_and_add(&l->credit, delta);
	s->call_credit += delta;
	return 0;
}

static __always_inline void aspen_ledger_flag(const struct aspen_stream *s, __u32 flag, __u16 reason)
{
	struct aspen_ledger *l = aspen_ledger_of(s);

	if (!l)
		return;
	if (reason && !l->reason)
		l->reason = reason;
	if (flag)
		__sync_fetch_and_or(&l->flags, flag);
}

/* The upgrade head was allowed and is complete: the bytes that follow (the
 * client sends none before the 101) are frames. */
static __always_inline void aspen_ws_begin(struct aspen_stream *s)
{
	__builtin_memset(&s->ws, 0, sizeof(s->ws));
	s->ws_on = 1;
	s->ws_unit = 0;
	s->fresh = 0;
	s->bytes = 0;
	s->acct = 0;
	s->pend = 0;
}

/* Decide the stream's current request. A global (not inlined) function:
 * the verifier checks it once, not once per place it is called from; its
 * arguments are checked as memory of their size (and may be NULL). */
__noinline int aspen_decide_stream(struct aspen_stream *s, int probe)
{
	struct aspen_verdict v = { .rule = ASPEN_RULE_NONE, .decision = ASPEN_ALLOW };

	if (!s)
		return 0;
	s->r.conn.providers = aspen_host_providers(s->r.host);
	if (!s->r.conn.providers && aspen_unparsed_unseen(s->r.unparsed) != ASPEN_UNSEEN_ALL) {
		/* the Host names no provider; if this goes to a provider socket the
		 * sk_msg program sees NOT_AI and applies `uninspectable` */
		s->v = v;
		s->decided = 1;
		return 0;
	}
	aspen_req_path_model(&s->r);
	if (s->r.flags & ASPEN_REQ_PATH_MODEL)
		s->r.flags &= ~ASPEN_REQ_UNSEEN_MODEL;
	aspen_decide_request(&s->r, &v);
	if (s->r.flags & (ASPEN_REQ_WS_HEAD | ASPEN_REQ_WS_MSG))
		aspen_ws_verdict(&s->r, &v);
	v.redact |= s->redact; /* decided at head end, reported with the request */
	s->v = v;
	s->decided = 1;
	__builtin_memcpy(s->last_model, s->r.model, ASPEN_MODEL_LEN);
	if (v.decision == ASPEN_KILL)
		bpf_send_signal(9);
	if (v.audit)
		aspen_audit_request(s, probe);
	return 0;
}

/* What the parser said about one byte: decide when the fields are known,
 * start over when the request is complete. Global, like the above. */
__noinline int aspen_stream_event(struct aspen_stream *s, int code, int probe)
{
	if (!s)
		return 0;
	if (!s->redact_ready && (s->r.flags & ASPEN_REQ_HEAD_DONE)) {
		/* which patterns to mask is known from the head, before any body
		 * byte is written (redact rules read no body field) */
		__u64 providers = aspen_host_providers(s->r.host);

		s->redact = 0;
		if (providers) {
			s->r.conn.providers = providers;
			s->redact = aspen_decide_redact(&s->r);
		}
		s->redact_ready = 1;
	}
	if (code == ASPEN_HTTP_ERROR) {
		if (!s->decided)
			aspen_decide_stream(s, probe);
		aspen_account(s);
		s->unsynced = 1; /* the parser cannot find the next request */
		return 1;
	}
	/* Expect: 100-continue: the head is complete but the body, which holds
	 * the model, is not sent until the server answers or the client tires
	 * of waiting (curl: 1 s). Hold the head (undecided) until the body
	 * comes: no byte of a request that turns out denied reaches the
	 * provider, at the price of the client's expect timeout. */
	if (code == ASPEN_HTTP_DECIDABLE && (s->r.flags & ASPEN_REQ_EXPECT) && !s->r.body_seen &&
	    !s->r.unparsed)
		return 0;
	if ((code == ASPEN_HTTP_DECIDABLE || code == ASPEN_HTTP_DONE) && !s->decided)
		aspen_decide_stream(s, probe);
	if (code == ASPEN_HTTP_DONE) {
		aspen_account(s); /* before the next request resets the counts */
		s->fresh = 1;     /* the next byte starts a new request */
		if ((s->r.flags & ASPEN_REQ_WS_HEAD) && s->decided && s->v.decision != ASPEN_DENY &&
		    s->v.decision != ASPEN_KILL) {
			/* a WebSocket upgrade: what follows (after the 101) are frames */
			aspen_ws_begin(s);
			return 1;
		}
	}
	return 0;
}

struct aspen_feed {
	struct aspen_stream *s;
	const __u8 *buf;
	__u32 n;
	__u32 pos;  /* next byte of buf to parse */
	__u32 base; /* offset of buf in the write */
	int probe;
};

/* bytes one fast-path step may pass over: with body patterns every byte
 * also steps their DFA, and the verifier takes 256 of those no more */
#define ASPEN_PLAIN_RUN ASPEN_BODY_RUN /* bytes of one aspen_body_run (with patterns) */

/* A write begins: no match to mask has ended in it yet. */
static __always_inline void aspen_ends_reset(void)
{
#if ASPEN_NEED_BODY_SCAN
	__u32 k = 0;
	struct aspen_redact_ends *en = bpf_map_lookup_elem(&aspen_redact_ends, &k);

	if (en) {
		en->n = 0;
		en->over = 0;
	}
#endif
}

/* The DFA accepted patterns to mask `pats` on the byte at offset `at` of
 * this write: noted for aspend, which checks that it masked a match there
 * (struct aspen_redact_ends). Rare: only where such a match ends. */
__noinline int aspen_end_note(__u32 at, __u32 pats)
{
	__u32 k = 0, n;
	struct aspen_redact_ends *en = bpf_map_lookup_elem(&aspen_redact_ends, &k);
	struct aspen_redact_end *e;

	if (!en)
		return 0;
	n = en->n;
	if (n > 0 && n <= ASPEN_REDACT_ENDS) {
		e = &en->e[n - 1];
		if (e->pats == pats && (at == e->to || at == e->to + 1)) {
			e->to = at;
			return 0;
		}
	}
	if (n >= ASPEN_REDACT_ENDS) {
		en->over = 1;
		return 0;
	}
	e = &en->e[n];
	e->from = at;
	e->to = at;
	e->pats = pats;
	en->n = n + 1;
	return 0;
}

/* One body byte through the policy's patterns (the combined body DFA).
 * Global: the verifier checks the DFA step once, not in every unrolled
 * iteration of the loops that call it. */
__noinline int aspen_body_byte(struct aspen_stream *s, __u32 c, __u32 at)
{
	__u64 matched = 0;

	if (!s)
		return 0;
	if (s->body_off == ~0u)
		s->body_off = at;
	s->body_state = aspen_body_step(s->body_state, (__u8)c, &matched);
	s->r.body_match |= matched;
	s->write_match |= matched;
	if (matched & s->redact)
		aspen_end_note(at, (__u32)(matched & s->redact));
	return 0;
}

#if ASPEN_NEED_BODY_SCAN
/* The patterns read the body byte at offset `at` of this write next. A
 * body that resumes after bytes the patterns do not read (the write's
 * start, chunk framing, an HTTP/2 frame header) inside a JSON escape (esc:
 * the parser was inside one before the byte) or inside a possible match
 * (the DFAs not at their start) is a "break" for aspend (an end entry with
 * no patterns): a match it finds plain from there is not the one the
 * kernel saw. It would begin with an escape's last bytes (`\u003`, a frame
 * header, `001-01-0001`: masking it breaks the escape), or be the tail of
 * a match whose head was sent in an earlier write or sits before the
 * framing (`john.smi` | `th@example.com`: masking the tail sends the
 * head). HTTP/1.1 and HTTP/2; only where a stream masks. Global: checked
 * once, not in every byte path that calls it. */
__noinline int aspen_body_resume(struct aspen_stream *s, __u32 at, __u32 esc)
{
	if (!s)
		return 0;
	if (s->redact && (esc || s->body_state != ASPEN_BODY_START) &&
	    (s->blast == ~0u || at != s->blast + 1))
		aspen_end_note(at, 0);
	s->blast = at;
	return 0;
}

/* Body byte c, at `at`, through the patterns as what the parser says it
 * stands for (s->st.dec_n, dec: JSON strings decoded, a surrogate pair in
 * 4 bytes; AH_DEC_RAW: the byte itself). HTTP/1.1, WebSocket and HTTP/2
 * alike. */
static __always_inline void aspen_body_decoded(struct aspen_stream *s, __u8 c, __u32 at)
{
	__u8 dn = s->st.dec_n;
	__u32 dec = s->st.dec;

	if (dn == AH_DEC_RAW) {
		aspen_body_byte(s, c, at);
		return;
	}
	if (dn > 0)
		aspen_body_byte(s, dec & 0xff, at);
	if (dn > 1)
		aspen_body_byte(s, (dec >> 8) & 0xff, at);
	if (dn > 2)
		aspen_body_byte(s, (dec >> 16) & 0xff, at);
	if (dn > 3)
		aspen_body_byte(s, (dec >> 24) & 0xff, at);
}

/* Body bytes buf[pos .. pos + n) (n <= ASPEN_PLAIN_RUN) through the
 * policy's patterns: the generated aspen_body_scan() (the DFA states in
 * registers, the prefilter while every DFA is idle). Global: the verifier
 * checks the loop once. */
__noinline int aspen_body_run(struct aspen_stream *s, const struct aspen_tls_scratch *sc, __u32 pos,
			      __u32 n, __u32 at)
{
	__u64 state, m = 0;

	if (!s || !sc || !n)
		return 0;
	if (s->body_off == ~0u)
		s->body_off = at;
	aspen_body_resume(s, at, 0); /* plain text: never inside an escape */
	state = s->body_state;
	/* pos < ASPEN_CHUNK (a chunk's byte): the scan reads buf[pos + j], j < n */
	aspen_body_scan(&state, sc->buf, ASPEN_CHUNK - 1, pos, n, &m, 0);
	s->blast = at + n - 1;
	if (m & s->redact) {
		/* a match to mask ends in the run: again byte by byte from the
		 * state before it, for where (aspen_end_note); rare */
		for (__u32 j = 0; j < ASPEN_PLAIN_RUN && j < n; j++)
			aspen_body_byte(s, sc->buf[(pos + j) & (ASPEN_CHUNK - 1)], at + j);
		return 0;
	}
	s->body_state = state;
	s->r.body_match |= m;
	s->write_match |= m;
	return 0;
}
#endif

/* A fast step passes at most this many bytes (the body DFA's run, with
 * patterns) in at most ASPEN_FAST_ITERS iterations: 8 or 32 bytes of
 * string text at a time, the text before a quote or backslash in one, or
 * one byte of JSON structure. */
#if ASPEN_NEED_BODY_SCAN
#define ASPEN_FAST_MAX ASPEN_PLAIN_RUN
#else
#define ASPEN_FAST_MAX 1024
#endif
#if ASPEN_NEED_BODY_SCAN
#define ASPEN_FAST_ITERS 24 /* verifier cost: the body scan makes each iteration dearer */
#else
#define ASPEN_FAST_ITERS 64
#endif
/* what aspen_fast_run() passes over */
enum {
	ASPEN_RUN_TEXT = 0,
	ASPEN_RUN_NEST = 1,
	ASPEN_RUN_HVALUE = 2, /* the head's modes from here on */
	ASPEN_RUN_NAME = 3,
	ASPEN_RUN_TARGET = 4,
};

/* The fast loop over sc->buf[pos .. lim) (mode: ASPEN_RUN_NEST the
 * messages array, ASPEN_RUN_TEXT string text, ASPEN_RUN_HVALUE a header
 * value up to its first control byte, ASPEN_RUN_NAME a header name's
 * letters, digits and '-', into the window, ASPEN_RUN_TARGET the request
 * target into the path); returns the position it
 * stopped at. Global: the verifier
 * checks the loop once, with nothing known of its arguments, not once per
 * way the parser's step reaches it (that was 144k instructions of the
 * write probe's 207k). */
__noinline int aspen_fast_run(struct aspen_stream *s, const struct aspen_tls_scratch *sc, __u32 pos,
			      __u32 lim, int mode)
{
	int nest = mode == ASPEN_RUN_NEST;
	volatile __u32 *run, *dp;
	volatile __u8 *jp;
	__u32 floor;

	if (!s || !sc)
		return 0;
	run = &s->run;
	dp = &s->st.depth;
	jp = &s->st.jflags;
	floor = (*jp & AH_JF_SUB) ? 3 : 2;
	*run = pos;
	for (__u32 j = 0; j < ASPEN_FAST_ITERS; j++) {
		__u32 p = *run, depth;
		__u64 off = p & (2 * ASPEN_CHUNK - 1), w;
		__u64 m;
		__u8 c, jf;
		int stop, text;

		if (p >= lim || off > 2 * ASPEN_CHUNK - 8)
			break;
		w = *(const __u64 *)(sc->buf + off);
		if (mode >= ASPEN_RUN_HVALUE) {
			/* the head, 8 bytes a step: a header value to its first
			 * control byte or DEL, a name's letters, digits and '-'
			 * into the window, the target into the path (the parser
			 * takes the rest, and the tail) */
			__u64 lower;
			__u32 k;

			if (p + 8 > lim)
				break;
			if (mode == ASPEN_RUN_NAME) {
				k = aspen_http_name_plain(w, &lower);
				if (k)
					aspen_http_req_name_skip(&s->st, lower, k);
			} else if (mode == ASPEN_RUN_TARGET) {
				k = aspen_http_target_plain(w);
				if (k)
					aspen_http_req_target_skip(&s->st, &s->r, w, k);
			} else {
				k = aspen_http_hvalue_plain(w);
			}
			*run = p + k;
			if (k < 8)
				break;
			continue;
		}
		c = sc->buf[off];
		jf = *jp;
		/* in string text, with a whole word before lim */
		text = (!nest || (jf & (AH_JF_STR | AH_JF_ESC)) == AH_JF_STR) && p + 8 <= lim;
		m = ASPEN_HAS_BYTE(w, '"') | ASPEN_HAS_BYTE(w, '\\');
		if (nest && !(jf & AH_JF_STR) && p + 8 <= lim) {
			/* between the nest's values only quotes and brackets
			 * count ('[' | 0x20 is '{', ']' | 0x20 is '}') */
			__u64 wl = w | (0x20 * ASPEN_ONES);

			m = ASPEN_HAS_BYTE(w, '"') | ASPEN_HAS_BYTE(wl, '{') | ASPEN_HAS_BYTE(wl, '}');
			if (!m) {
				*run = p + 8;
				continue;
			}
			text = 1;
		}
		if (text && m) {
			/* up to the first byte that counts in this word: pass
			 * it in one step (the lowest flagged byte is exact); in
			 * the nest, that byte goes in the same step */
			__u32 k = (__u32)ASPEN_LOW_BYTE(m);

			if (k && !nest) {
				*run = p + k;
				continue;
			}
			p += k;
			c = sc->buf[(off + k) & (2 * ASPEN_CHUNK - 1)];
		} else if (text) {
			/* a long run of text: 32 bytes an iteration while it lasts */
			if (p + 32 <= lim && off <= 2 * ASPEN_CHUNK - 32) {
				const __u8 *q;
				__u64 w1, w2, w3;

				/* the bound on off must be the one the loads use */
				asm volatile("" : "+r"(off));
				q = sc->buf + off;
				w1 = *(const __u64 *)(q + 8);
				w2 = *(const __u64 *)(q + 16);
				w3 = *(const __u64 *)(q + 24);

				if (!(ASPEN_HAS_BYTE(w1, '"') | ASPEN_HAS_BYTE(w1, '\\') |
				      ASPEN_HAS_BYTE(w2, '"') | ASPEN_HAS_BYTE(w2, '\\') |
				      ASPEN_HAS_BYTE(w3, '"') | ASPEN_HAS_BYTE(w3, '\\'))) {
					*run = p + 32;
					continue;
				}
			}
			*run = p + 8;
			continue;
		}
		if (!nest) {
			if (c == '"' || c == '\\')
				break;
			*run = p + 1;
			continue;
		}
		depth = *dp;
		/* with patterns, escapes go through the parser: the DFA sees them decoded */
		stop = aspen_http_req_nest_byte(&depth, &jf, floor, c, !ASPEN_NEED_BODY_SCAN);
		*dp = depth;
		*jp = jf;
		*run = stop ? p : p + 1;
		if (stop)
			break;
	}
	return (int)*run;
}

/* The fast paths: pass over plain bytes of message text (no quote, no
 * backslash; aspen_http_req_plain_room()), or a whole value below the keys
 * the scanner reads (the messages array: aspen_http_req_nest_room(), only
 * the nesting followed), without running the parser on each byte. String
 * text goes 8 bytes at a time. The position and the JSON nesting live in
 * the map value while the loop runs (aspen_fast_run()): the verifier knows
 * nothing of them and checks one path per way through an iteration, not
 * one per value it could tell apart. Returns how many bytes it passed. */
/* How many of the bytes sc->buf[pos .. n) the fast loop passes: at most
 * room, and ASPEN_FAST_MAX (pos < n). 0: none. Shared by the HTTP/1.1 path
 * below and HTTP/2's DATA path (aspen_h2_data_run()). */
static __always_inline __u32 aspen_fast_take(struct aspen_stream *s, const struct aspen_tls_scratch *sc,
					     __u32 pos, __u32 n, __u64 room, int mode)
{
	__u32 end;

	if (room > n - pos)
		room = n - pos;
	if (room > ASPEN_FAST_MAX)
		room = ASPEN_FAST_MAX;
	end = (__u32)aspen_fast_run(s, sc, pos, pos + (__u32)room, mode);
	if (end <= pos || end > pos + (__u32)room)
		return 0;
	return end - pos;
}

static __always_inline __u32 aspen_feed_plain(struct aspen_feed *f, struct aspen_stream *s)
{
	__u64 room = aspen_http_req_nest_room(&s->st, &s->r);
	int nest = room != 0;
	__u32 k;

	if (!nest)
		room = aspen_http_req_plain_room(&s->st, &s->r);
	if (!room)
		return 0;
	k = aspen_fast_take(s, (const struct aspen_tls_scratch *)f->buf, f->pos, f->n, room,
			    nest ? ASPEN_RUN_NEST : ASPEN_RUN_TEXT);
	if (!k)
		return 0;
#if ASPEN_NEED_BODY_SCAN
	/* the patterns see every body byte, fast path or not */
	aspen_body_run(s, (const struct aspen_tls_scratch *)f->buf, f->pos, k, f->base + f->pos);
#endif
	aspen_http_req_plain_skip(&s->st, &s->r, k);
	s->bytes += k;
	f->pos += k;
	return k;
}

/* The head in words: the request target (aspen_http_req_target_room()),
 * or a header: its name (aspen_http_req_name_room(): the run fills the
 * window itself), its ':' (aspen_http_req_colon()), the value of a header
 * nobody reads (aspen_http_req_hvalue_room()) and the turn to the next
 * header's name (aspen_http_req_turn()). */
static __always_inline __u32 aspen_feed_head(struct aspen_feed *f, struct aspen_stream *s)
{
	const struct aspen_tls_scratch *sc = (const struct aspen_tls_scratch *)f->buf;
	const __u64 mask = 2 * ASPEN_CHUNK - 1;
	__u32 pos = f->pos, room, k;

	room = aspen_http_req_target_room(&s->st);
	if (room)
		pos += aspen_fast_take(s, sc, pos, f->n, room, ASPEN_RUN_TARGET);
	/* a header in one step: its name, ':', its value, the turn */
	room = aspen_http_req_name_room(&s->st);
	if (room) {
		pos += aspen_fast_take(s, sc, pos, f->n, room, ASPEN_RUN_NAME);
		if (pos < f->n)
			pos += aspen_http_req_colon(&s->st, f->buf[pos & mask]);
	}
	room = aspen_http_req_hvalue_room(&s->st);
	if (room && pos < f->n) {
		k = aspen_fast_take(s, sc, pos, f->n, room, ASPEN_RUN_HVALUE);
		aspen_http_req_hvalue_skip(&s->st, k);
		pos += k;
		/* the value's "\r\n" and the next name's first byte */
		if (pos + 3 <= f->n)
			pos += aspen_http_req_turn(&s->st, f->buf[pos & mask], f->buf[(pos + 1) & mask],
						   f->buf[(pos + 2) & mask]);
	}
	k = pos - f->pos;
	if (!k)
		return 0;
	s->bytes += k;
	f->pos = pos;
	return k;
}

/* One step: a run of plain bytes, or one byte through the parser. */
static long aspen_feed_step(__u32 i, void *arg)
{
	struct aspen_feed *f = arg;
	struct aspen_stream *s = f->s;
	__u64 idx;
	int rc;

	if (f->pos >= f->n || f->pos >= ASPEN_CHUNK)
		return 1;
	if (s->fresh) {
		aspen_http_req_reset(&s->st, &s->r);
		s->decided = 0;
		s->bytes = 0;
		s->fresh = 0;
		s->redact = 0;
		s->redact_ready = 0;
		s->body_state = ASPEN_BODY_START;
		s->acct = 0;
		s->pend = 0;
		s->req_seq = bpf_ktime_get_boot_ns();
	}
	if (aspen_feed_head(f, s) || aspen_feed_plain(f, s))
		return 0;
	idx = f->pos++;
	barrier_var(idx); /* keep the mask: clang drops it knowing pos < CHUNK */
	__u8 c = f->buf[idx & (2 * ASPEN_CHUNK - 1)];
	__u64 seen __attribute__((unused)) = s->r.body_seen;
	int esc __attribute__((unused)) = aspen_in_escape(&s->st);

	rc = aspen_http_req_byte(&s->st, &s->r, c);
	s->bytes++;
#if ASPEN_NEED_BODY_SCAN
	if (s->r.body_seen != seen) { /* a body byte, not chunk framing */
		/* patterns see JSON strings decoded: "\u0031" is a "1" to them */
		aspen_body_resume(s, f->base + (__u32)idx, esc);
		aspen_body_decoded(s, c, f->base + (__u32)idx);
	}
#endif
	if (rc == ASPEN_HTTP_MORE)
		return 0;
	return aspen_stream_event(s, rc, f->probe) ? 1 : 0;
}

static __always_inline void aspen_note_session1(__u32 id, const struct aspen_tid_session *ts)
{
	struct aspen_tid_session *was = bpf_map_lookup_elem(&aspen_tid_session, &id);

	/* the same session as the last write (keep-alive: nearly every write):
	 * no LRU update, which takes a free node and swaps it in */
	if (was && was->key.tgid == ts->key.tgid && was->key.session == ts->key.session) {
		was->ts_ns = ts->ts_ns;
		return;
	}
	bpf_map_update_elem(&aspen_tid_session, &id, ts, BPF_ANY);
}

/* The thread wrote through this session last: its socket's first
 * application data is this session's (see aspen_sock_ledger()). */
static __always_inline void aspen_note_session(const struct aspen_stream_key *key)
{
	struct aspen_tid_session ts = { .key = *key, .ts_ns = bpf_ktime_get_boot_ns() };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	aspen_note_session1(tid, &ts);
	aspen_note_session1(ASPEN_TGID_SESSION(key->tgid), &ts);
}

/* A session's parse state is made at its first write. The ledger records
 * which object made it (stream_gen): that object finding it gone later
 * knows the LRU evicted it (more sessions than aspend --max-connections)
 * and the session's bytes cannot be followed from here (a fresh parser
 * mid-request): state_lost, `uninspectable` decides. Another object (a
 * reload, an adoption of another policy) starts the session afresh, as
 * its streams are its own. 1: lost (or no ledger to tell: no credit is
 * given without one). A frame of its own: the probe's call chain is at the
 * verifier's 512-byte stack limit. z->zero is all zeros here. */
static __noinline int aspen_stream_was_lost(const struct aspen_stream_key *key,
					    struct aspen_tls_zero *z)
{
	struct aspen_config *cfg;
	struct aspen_ledger *l;
	__u32 k = 0;

	if (!key || !z)
		return 1;
	cfg = bpf_map_lookup_elem(&aspen_config, &k);
	l = bpf_map_lookup_elem(&aspen_ledger, key);
	if (!l) {
		bpf_map_update_elem(&aspen_ledger, key, &z->zero, BPF_NOEXIST);
		l = bpf_map_lookup_elem(&aspen_ledger, key);
	}
	if (!cfg || !l)
		return 1;
	if (l->stream_gen && l->stream_gen == cfg->gen) {
		if (!l->reason)
			l->reason = ASPEN_UNPARSED_STATE_LOST;
		return 1;
	}
	l->stream_gen = cfg->gen;
	return 0;
}

static __always_inline struct aspen_stream *aspen_stream_get(struct aspen_stream_key *key,
							     struct aspen_tls_zero *z)
{
	struct aspen_stream *s = bpf_map_lookup_elem(&aspen_streams, key);
	int lost;

	if (s)
		return s;
	_Static_assert(sizeof(z->zero) >= sizeof(struct aspen_ledger), "zero ledger");
	lost = aspen_stream_was_lost(key, z);
	/* z->zero is all zeros between uses */
	z->zero.r.content_length = ~0ULL;
	z->zero.session = key->session;
	z->zero.req_seq = bpf_ktime_get_boot_ns(); /* its first request */
	aspen_fill_conn(&z->zero.r.conn);
	bpf_map_update_elem(&aspen_streams, key, &z->zero, BPF_NOEXIST);
	__builtin_memset(&z->zero.r.conn, 0, sizeof(z->zero.r.conn));
	z->zero.r.content_length = 0;
	z->zero.session = 0;
	z->zero.req_seq = 0;
	s = bpf_map_lookup_elem(&aspen_streams, key);
	if (s && lost)
		s->unsynced = 1; /* nothing on this session is credited again */
	return s;
}

#if ASPEN_NEED_BODY_SCAN
/* Into a hold event: where this write's matches to mask end. */
static __always_inline void aspen_ends_copy(struct aspen_redact_ends *to)
{
	__u32 k = 0;
	struct aspen_redact_ends *en = bpf_map_lookup_elem(&aspen_redact_ends, &k);

	if (!en || bpf_probe_read_kernel(to, sizeof(*to), en))
		to->over = 1; /* cannot be checked: aspend denies */
}

/* This write holds the end of a match to mask. It is not encrypted yet:
 * stop the writer (it stops before the probed function runs) and let
 * aspend rewrite the buffer. With no aspend alive to do it, or a writer
 * that may not be held (Go: see docs/internals.md), the request is
 * denied: PII the policy masks never leaves unmasked. */
static __always_inline int aspen_redact_hold(struct aspen_stream *s,
					     const struct aspen_stream_key *key, __u64 buf,
					     __u64 len, int can_hold)
{
	struct aspen_redact_event *e;

	if (s->v.decision == ASPEN_DENY || s->v.decision == ASPEN_KILL)
		return 0; /* nothing of it leaves anyway */
	if (can_hold && aspen_daemon_alive()) {
		e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);
		if (e) {
			e->kind = ASPEN_EV_REDACT_HOLD;
			e->tgid = key->tgid;
			e->pid = (__u32)bpf_get_current_pid_tgid();
			e->patterns = s->redact;
			e->matched = s->write_match;
			e->session = key->session;
			e->buf = buf;
			e->len = len;
			e->body_off = s->body_off;
			e->req_seq = s->req_seq;
			aspen_ends_copy(&e->ends);
			if (!aspen_redact_stop(key->tgid, key->session, buf)) {
				aspen_submit(e, 1);
				return 0;
			}
			bpf_ringbuf_discard(e, 0);
		} else {
			aspen_count_lost();
		}
	}
	s->r.unparsed = ASPEN_UNPARSED_NO_REDACT;
	s->v.rule = ASPEN_RULE_UNINSPECTABLE;
	s->v.decision = aspen_force_monitor() ? ASPEN_WOULD_DENY : ASPEN_DENY;
	s->v.audit = 1;
	s->decided = 1;
	aspen_audit_request(s, 0);
	aspen_ledger_flag(s, ASPEN_LEDGER_DENIED, 0);
	return -1;
}
#endif

/* A write larger than what one probe parses: account for its rest without
 * reading it, inside a body whose request is decided or reaches the scan
 * bound. Bytes past the end of that request (a pipelined request) are not
 * inspected: the connection's sk_msg decides them by `uninspectable`. */
static __always_inline void aspen_skip_rest(struct aspen_stream *s, __u64 rest, int probe)
{
	int rc;

	if (s->fresh || s->unsynced) {
		aspen_ledger_flag(s, 0, ASPEN_UNPARSED_BOUND);
		return;
	}
	rc = aspen_http_req_skip(&s->st, &s->r, rest);
	if (!rc) {
		aspen_ledger_flag(s, 0, ASPEN_UNPARSED_BOUND);
		s->unsynced = 1;
		return;
	}
	s->bytes += rest;
	if (!s->decided) {
		if (!s->r.unparsed)
			s->r.unparsed = ASPEN_UNPARSED_BOUND;
		aspen_decide_stream(s, probe);
	}
	if (rc == ASPEN_HTTP_DONE) {
		aspen_account(s);
		s->fresh = 1;
	}
}

/* Keep what the call may have to undo (see struct aspen_write_undo). */
static __always_inline void aspen_undo_begin(const struct aspen_stream_key *key,
					     const struct aspen_stream *s, const void *buf, __u64 len,
					     __u64 wptr)
{
	struct aspen_write_undo *u = bpf_task_storage_get(&aspen_write_undo, bpf_get_current_task_btf(),
							  0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!u)
		return;
	/* a stale record (the return probe never ran): publish what it held */
	if (u->active && u->has_audit)
		aspen_publish(&u->ev);
	u->key = *key;
	u->buf = (__u64)buf;
	u->len = len;
	u->wptr = wptr;
	aspen_copy(&u->snap, s, sizeof(*s));
	u->has_audit = 0;
	u->active = 1;
}

/* Parse one chunk of a write (copied into buf). Global: the verifier
 * checks the parse loop once, not once per chunk. */
__noinline int aspen_parse_chunk(struct aspen_stream *s, struct aspen_tls_scratch *sc, __u32 n,
				 __u32 base, int probe)
{
	if (!s || !sc)
		return 0;
	struct aspen_feed f = { .s = s, .buf = sc->buf, .n = n, .base = base, .probe = probe };

	bpf_loop(ASPEN_CHUNK, aspen_feed_step, &f, 0);
	if (s->ws_on && f.pos < n)
		s->ws_lost = ASPEN_UNPARSED_WS_FRAMING; /* frames in the upgrade's write */
	return 0;
}

/* The rest of a decided request's body needs no reading, unless a pattern
 * must still be masked in it: how many of its next bytes can be passed over
 * unread (never its last byte, which goes through the parser for DONE). */
static __always_inline __u64 aspen_body_skippable(const struct aspen_stream *s)
{
	__u64 left;

	if (!s->decided || s->fresh || s->unsynced || s->redact)
		return 0;
	if (s->st.state == AH_RQ_BODY && s->r.content_length != ~0ULL)
		left = s->r.content_length - s->r.body_seen;
	else if (s->st.state == AH_RQ_CHUNKED && s->st.cstate == AH_C_DATA)
		left = s->st.chunk_left;
	else
		return 0;
	return left > 1 ? left - 1 : 0;
}

/* An undecided request whose body went past the bound is decided now, with
 * what was read: unparsed scan_bound (docs/language.md). */
static __always_inline void aspen_check_bound(struct aspen_stream *s, __u64 bound, int probe)
{
	if (s->decided || s->fresh || s->unsynced || s->r.body_seen <= bound)
		return;
	if (!s->r.unparsed)
		s->r.unparsed = ASPEN_UNPARSED_BOUND;
	aspen_decide_stream(s, probe);
}

struct aspen_wfeed {
	struct aspen_stream *s;
	struct aspen_tls_scratch *sc;
	const __u8 *buf;
	__u64 len;
	__u64 bound;
	int probe;
	int failed; /* a copy failed: the rest is accounted by aspen_skip_rest() */
};

/* One step of a write: pass over a decided body, or copy and parse the next
 * chunk. The position lives in the stream (a map value): the verifier sees
 * it as any number, so this callback is verified once. */
static long aspen_write_step(__u32 i, void *arg)
{
	struct aspen_wfeed *w = arg;
	struct aspen_stream *s = w->s;
	__u64 pos = s->wpos, n;
	__u32 unparsed;

	if (pos >= w->len || s->unsynced)
		return 1;
	if (s->ws_on) { /* the upgrade head ended in the last chunk */
		s->ws_lost = ASPEN_UNPARSED_WS_FRAMING;
		return 1;
	}
	aspen_check_bound(s, w->bound, w->probe);
	n = aspen_body_skippable(s);
	if (n) {
		if (n > w->len - pos)
			n = w->len - pos;
		unparsed = s->r.unparsed; /* decided: the skip changes no field */
		aspen_http_req_skip(&s->st, &s->r, n);
		s->r.unparsed = unparsed;
		s->bytes += n;
		s->wpos = pos + n;
		return 0;
	}
	n = w->len - pos > ASPEN_CHUNK ? ASPEN_CHUNK : w->len - pos;
	if (bpf_probe_read_user(w->sc->buf, n & (2 * ASPEN_CHUNK - 1), w->buf + pos)) {
		w->failed = 1;
		return 1;
	}
	aspen_parse_chunk(s, w->sc, (__u32)n, (__u32)pos, w->probe);
	s->wpos = pos + n;
	return 0;
}

/* Walk the whole write, chunk by chunk: every request in it is decided.
 * Returns the bytes walked. */
static __always_inline __u64 aspen_feed_write(struct aspen_stream *s, struct aspen_tls_scratch *sc,
					       const __u8 *buf, __u64 len, int probe)
{
	struct aspen_wfeed w = { .s = s, .sc = sc, .buf = buf, .len = len,
				 .bound = aspen_body_bound(), .probe = probe };

	s->wpos = 0;
	bpf_loop(ASPEN_WRITE_STEPS, aspen_write_step, &w, 0);
	aspen_check_bound(s, w.bound, probe);
	return s->wpos;
}

/* This object's probes stand down for tgid: the object was retired, or the
 * process's probes were moved to another object's programs (a reload, a
 * restart: aspend attaches the new probes, then flips aspen_tls_proc.gen in
 * one map write, then detaches the old ones), so exactly one object's
 * probes decide each write, and always one. */
static __always_inline int aspen_probe_stands_down(__u32 tgid)
{
	__u32 k = 0;
	struct aspen_config *cfg = bpf_map_lookup_elem(&aspen_config, &k);
	struct aspen_tls_proc *tp;

	if (!cfg)
		return 0;
	if (cfg->retired)
		return 1;
	tp = bpf_map_lookup_elem(&aspen_tls_ready, &tgid);
	return tp && tp->gen && tp->gen != cfg->gen;
}

/* An HTTP/2 connection's first write (its preface): will the read probes
 * see what the client reads on it (the server's SETTINGS and WINDOW_UPDATE:
 * its flow-control windows)? Policies with response rules attach them with
 * the write probes (ASPEN_LAZY_READS 0). The others attach them for a
 * process at its first HTTP/2 connection: the writer is stopped here (it
 * stops before the library encrypts anything) while aspend attaches them
 * (ASPEN_EV_TLS_READS), so that the connection's first read is seen. 0: the
 * reads will not be followed (no aspend alive, a writer that may not be
 * stopped, an attach that failed): the connection's windows are then the
 * initial ones (aspen_h2_avail()), never more. */
static __always_inline int aspen_reads_follow(__u32 tgid, int can_stop)
{
	struct aspen_tls_proc *tp;
	struct aspen_hold_event *e;

	if (!ASPEN_LAZY_READS)
		return 1;
	tp = bpf_map_lookup_elem(&aspen_tls_ready, &tgid);
	if (!tp)
		return 0;
	if (tp->reads == ASPEN_READS_ON)
		return 1;
	if (!can_stop || !aspen_daemon_alive())
		return 0;
	if (tp->reads == ASPEN_READS_HELD) {
		/* another thread's preface while aspend attaches: this one stops
		 * too (aspend sends SIGCONT once more a little later) */
		bpf_send_signal_thread(19 /* SIGSTOP */);
		return 1;
	}
	if (tp->reads != ASPEN_READS_NO)
		return 0;
	/* two threads may both get here: aspend attaches once (tls_on_reads) */
	tp->reads = ASPEN_READS_HELD;
	tp->reads_ns = bpf_ktime_get_boot_ns();
	e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);
	if (!e) {
		aspen_count_lost();
		tp->reads = ASPEN_READS_NO;
		return 0;
	}
	e->kind = ASPEN_EV_TLS_READS;
	e->tgid = tgid;
	e->pid = (__u32)bpf_get_current_pid_tgid();
	e->_pad = 0;
	bpf_send_signal_thread(19 /* SIGSTOP */);
	aspen_submit(e, 1);
	return 1;
}

/* How a write probe runs (aspen_write_plain): */
#define ASPEN_WRITE_UNDO 1 /* a return probe follows (struct aspen_write_undo) */
#define ASPEN_WRITE_NOTE 2 /* the session is the thread's and process's last (sk_msg binds by it) */
#define ASPEN_WRITE_HOLD 4 /* the writer may be stopped for aspend to mask its buffer */

/* A failed write call takes back the credit it added (the call is repeated
 * with the same bytes). Some of its records may have left before it failed
 * (a non-blocking socket whose buffer filled; OpenSSL sends the rest when
 * the call is repeated), their credit spent by sk_msg: takes back what is
 * there, up to `credit`, and returns what could not be. HTTP/1.1 parses the
 * repeat again and credits that much less (aspen_stream.debt); HTTP/2 does
 * not parse it again and gives back what was taken (replay.credit). Taking
 * back more than is there would wrap the ledger around and pass every
 * later byte. */
static __always_inline __u64 aspen_take_back(struct aspen_ledger *l, __u64 credit)
{
	__u64 have = l->credit, take = have < credit ? have : credit;

	__sync_fetch_and_sub(&l->credit, take);
	if ((__s64)l->credit < 0)
		l->credit = 0; /* an sk_msg on another CPU spent it meanwhile: none left */
	return credit - take;
}

/* ---- a call's bytes brought again (struct aspen_replay) -------------------- */

/* A partial write's rest, its SipHash per block (struct aspen_replay), by
 * session; made at the seal, dropped with the session. */
struct aspen_replay_hashes {
	__u64 h[ASPEN_REPLAY_BLOCKS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, struct aspen_stream_key);
	__type(value, struct aspen_replay_hashes);
} aspen_replay_blocks SEC(".maps");

/* SipHash of LEN bytes of user memory at PTR, 8 at a time through the
 * scratch buffer: whole (bsz 0), or per block of bsz bytes, the walk's
 * b-th block being block first + b of the owed bytes, keyed with
 * key[0] ^ (first + b) and stored in or compared with out[first + b]. */
struct aspen_hash_walk {
	__u64 ptr, len, tail, bsz, k0, k1;
	struct aspen_sip s;
	__u8 *buf;
	__u64 *out;
	__u32 first, check;
	int bad;
};

/* Block b (of BLEN bytes) is hashed: its hash, stored or compared (a
 * mismatch is `bad`, and 0), and the next block's hash begun. */
static __always_inline __u64 aspen_hash_block_end(struct aspen_hash_walk *x, __u64 b, __u64 blen)
{
	__u64 h = aspen_sip_final(&x->s, x->tail, blen) | 1, at = x->first + b;

	x->tail = 0;
	aspen_sip_init(&x->s, x->k0 ^ (at + 1), x->k1);
	if (!x->out)
		return h;
	if (at >= ASPEN_REPLAY_BLOCKS ||
	    (x->check && x->out[at & (ASPEN_REPLAY_BLOCKS - 1)] != h)) {
		x->bad = 1;
		return 0;
	}
	if (!x->check)
		x->out[at & (ASPEN_REPLAY_BLOCKS - 1)] = h;
	return h;
}

static long aspen_hash_step(__u32 i, void *arg)
{
	struct aspen_hash_walk *x = arg;
	__u64 off = (__u64)i * 8, in = off & (ASPEN_CHUNK - 1), rest, w;

	if (off >= x->len || x->bad)
		return 1;
	rest = x->len - off;
	if (!in &&
	    bpf_probe_read_user(x->buf, (rest > ASPEN_CHUNK ? ASPEN_CHUNK : rest) & (2 * ASPEN_CHUNK - 1),
				(const void *)(x->ptr + off))) {
		x->bad = 1;
		return 1;
	}
	if (x->bsz && off && !(off & (x->bsz - 1)))
		aspen_hash_block_end(x, off / x->bsz - 1, x->bsz);
	w = *(__u64 *)(x->buf + (in & (ASPEN_CHUNK - 8)));
	if (rest < 8) {
		x->tail = w & ((1ULL << (rest * 8)) - 1);
		return 1;
	}
	aspen_sip_word(&x->s, w);
	return 0;
}

/* SipHash of LEN bytes at PTR under r's key: whole (out NULL), or per
 * block from block FIRST (the low half of AT), stored in out or compared
 * with it (the high half of AT not 0). Returns the (last) block's hash,
 * never 0; 0 when the bytes could not be read or a block compared
 * differs. Global: the verifier checks it once, not at each caller. */
__noinline __u64 aspen_hash_user(__u64 ptr, __u64 len, const struct aspen_replay *r,
				 struct aspen_replay_hashes *out, __u64 at)
{
	__u32 zk = 0;
	struct aspen_tls_scratch *sc = bpf_map_lookup_elem(&aspen_tls_scratch, &zk);
	struct aspen_hash_walk x = { .ptr = ptr, .len = len, .bsz = out ? ASPEN_REPLAY_BLOCK : 0,
				     .out = out ? out->h : NULL, .first = (__u32)at,
				     .check = (__u32)(at >> 32) };
	__u64 last, h;

	if (!sc || !r || !len || len > (1ULL << 23) * 8)
		return 0;
	x.k0 = r->key[0];
	x.k1 = r->key[1];
	x.buf = sc->buf;
	aspen_sip_init(&x.s, x.k0 ^ x.first, x.k1);
	bpf_loop((__u32)((len + 7) / 8), aspen_hash_step, &x, 0);
	if (x.bad)
		return 0;
	last = x.bsz ? (len - 1) / x.bsz : 0; /* the last block, which the walk leaves open */
	h = aspen_hash_block_end(&x, last, len - last * x.bsz);
	return x.bad ? 0 : h;
}

#define ASPEN_HASH_CHECK(first) ((__u64)(first) | (1ULL << 32))

static __always_inline void aspen_replay_keys(struct aspen_replay *r)
{
	r->key[0] = ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32();
	r->key[1] = ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32();
}

/* The N bytes at BUF are owed by the next call; CREDIT is what the return
 * took back of theirs. Hashed now, while they are still the caller's:
 * OpenSSL takes a repeated call's unencrypted bytes from the repeated
 * call's buffer (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, set by python and
 * Ruby), and the rest after a partial write comes from wherever the
 * program puts it. BLOCKS: a partial write's rest, whose next call writes
 * one record (and the ledger holds no pending bytes, which sk_msg could
 * hold past the block checked): hashed per block when it is more than one
 * and fits; else whole. */
static __always_inline void aspen_replay_seal(struct aspen_replay *r,
					      const struct aspen_stream_key *key, __u64 buf,
					      __u64 n, __u64 credit, int blocks)
{
	struct aspen_replay_hashes *h;

	r->len = n;
	r->credit = credit;
	r->spent = 0;
	r->vlen = 0;
	r->first = 0;
	r->blocks = 0;
	r->retry = 0;
	aspen_replay_keys(r);
	if (blocks && n > ASPEN_REPLAY_BLOCK && n <= ASPEN_REPLAY_BLOCKS * ASPEN_REPLAY_BLOCK) {
		h = bpf_map_lookup_elem(&aspen_replay_blocks, key);
		if (!h) {
			__u32 zk = 0;
			struct aspen_tls_scratch *sc = bpf_map_lookup_elem(&aspen_tls_scratch, &zk);

			/* any bytes: every block hashed is written before it is read */
			if (sc)
				bpf_map_update_elem(&aspen_replay_blocks, key, sc->buf, BPF_ANY);
			h = bpf_map_lookup_elem(&aspen_replay_blocks, key);
		}
		if (h && aspen_hash_user(buf, n, r, h, 0)) {
			r->blocks = 1;
			r->hash = 1;
			return;
		}
	}
	r->hash = aspen_hash_user(buf, n, r, NULL, 0);
}

/* Checks the bytes at BUF, LEN against the owed bytes from block FIRST
 * (blocks; LEN a whole number of blocks but for the owed bytes' last). */
static __always_inline int aspen_replay_blocks_ok(struct aspen_replay *r,
						  const struct aspen_stream_key *key, __u64 buf,
						  __u64 len, __u32 first)
{
	struct aspen_replay_hashes *h = bpf_map_lookup_elem(&aspen_replay_blocks, key);

	return h && aspen_hash_user(buf, len, r, h, ASPEN_HASH_CHECK(first));
}

/* A call's leading bytes against what the last call left owed: how many
 * of them it brings (0 when none are owed), not parsed again, of which
 * r->vlen were checked (their credit can be given back); or -1 when they
 * are not the owed bytes (other bytes, or fewer than are checked: the
 * caller loses the connection's framing). Whole: all are checked. Blocks:
 * the first block only, when the call brings nothing but owed bytes (it
 * writes one record; what it would write past the block has no credit),
 * or after a failed call the blocks its repeat may write; all
 * of them, when new bytes follow (their credit, given at this entry, must
 * not pay for owed bytes no one checked). */
static __always_inline __s64 aspen_replay_check(struct aspen_replay *r,
						const struct aspen_stream_key *key,
						const void *buf, __u64 len)
{
	__u64 n = r->len, v;

	r->vlen = 0;
	if (!n)
		return 0;
	if (!r->hash)
		return -1;
	if (!r->blocks) {
		if (len < n || aspen_hash_user((__u64)buf, n, r, NULL, 0) != r->hash)
			return -1;
		r->vlen = n;
		return (__s64)n;
	}
	/* one block; after a failed call, the records failed calls wrote
	 * (`spent`), the one they left unwritten, and one more: OpenSSL's
	 * repeat finishes its pending record, then writes another */
	v = ASPEN_REPLAY_BLOCK;
	if (r->retry)
		v = (r->spent + ASPEN_REPLAY_BLOCK - 1) / ASPEN_REPLAY_BLOCK * ASPEN_REPLAY_BLOCK +
		    2 * ASPEN_REPLAY_BLOCK;
	if (len > n || v > n)
		v = n;
	if (len < v || !aspen_replay_blocks_ok(r, key, (__u64)buf, v, r->first))
		return -1;
	r->vlen = v;
	return (__s64)(len < n ? len : n);
}

/* What the check lets the call have back of the owed bytes' credit: all
 * of it once all are checked; for some blocks, what those blocks had,
 * less what failed calls already sent of them (`spent`). */
static __always_inline __u64 aspen_replay_give(struct aspen_replay *r)
{
	__u64 g = r->credit;

	if (r->blocks && r->vlen < r->len) {
		__u64 lim = r->vlen > r->spent ? r->vlen - r->spent : 0;

		g = g < lim ? g : lim;
	}
	r->credit -= g;
	r->spent = 0;
	r->retry = 0;
	return g;
}

/* The owed bytes the entry did not check (it checked some blocks of a
 * call that brought owed bytes only), checked now against their blocks,
 * before the call's bytes are sealed anew: 0, or -1 when they are not the
 * owed bytes or are not all in the call (owed bytes past the call's own
 * cannot be sealed from it). */
static __always_inline int aspen_replay_rest_ok(struct aspen_replay *r,
						const struct aspen_stream_key *key, __u64 buf,
						__u64 len)
{
	__u64 n = r->len, v = r->vlen;

	if (!n || v >= n)
		return 0;
	return len < n || !aspen_replay_blocks_ok(r, key, buf + v, n - v, r->first + 1) ? -1 : 0;
}

/* The call (BUF, LEN) returned success having written W of its bytes;
 * TAKEN is what it had credited that the ledger still held, taken back.
 * What it owed and did not write stays owed; what it did not write of its
 * own is owed now. BLOCKS as for aspen_replay_seal(). Returns -1 when
 * owed bytes the entry had not checked are not the owed bytes (the caller
 * loses the connection's framing), else 0. */
static __always_inline int aspen_replay_after(struct aspen_replay *r,
					      const struct aspen_stream_key *key, __u64 buf,
					      __u64 len, __u64 w, __u64 taken, int blocks)
{
	__u64 n = r->len, v = r->vlen;

	if (n && v < n && w <= v && !(w & (ASPEN_REPLAY_BLOCK - 1))) {
		/* whole blocks of those checked written: the rest is owed,
		 * hashed already */
		r->vlen = 0;
		r->len = n - w;
		r->first += (__u32)(w / ASPEN_REPLAY_BLOCK);
		r->credit += taken;
		return 0;
	}
	if (aspen_replay_rest_ok(r, key, buf, len) < 0)
		return -1;
	r->vlen = 0;
	if (w < len)
		aspen_replay_seal(r, key, buf + w, len - w, r->credit + taken, blocks);
	else
		r->len = 0;
	return 0;
}

/* The call (BUF, LEN) failed: it will be repeated with the same bytes,
 * all of which its repeat writes, so they are owed whole (TAKEN: what it
 * had credited that the ledger still held). Owed bytes its entry did not
 * check are checked first, as in aspen_replay_after(). Returns -1 when
 * they are not the owed bytes, else 0. (HTTP/2: HTTP/1.1 puts the state
 * from before the call back.) */
static __always_inline int aspen_replay_failed(struct aspen_replay *r,
					       const struct aspen_stream_key *key, __u64 buf,
					       __u64 len, __u64 taken)
{
	if (aspen_replay_rest_ok(r, key, buf, len) < 0)
		return -1;
	aspen_replay_seal(r, key, buf, len, r->credit + taken, 0);
	return 0;
}

/* The owed bytes were not brought: nothing is owed any more, and what was
 * taken back of their credit stays so. */
static __always_inline void aspen_replay_lose(struct aspen_replay *r)
{
	r->len = 0;
	r->credit = 0;
	r->vlen = 0;
}

/* What a write call that returned success wrote of its LEN bytes: its
 * return value (SSL_write, gnutls_record_send, BoringSSL's SSL_write), or
 * what it stored at WPTR (SSL_write_ex, OpenSSL's internal write:
 * aspen_wptr()). Less than LEN with OpenSSL's SSL_MODE_ENABLE_PARTIAL_WRITE
 * (Ruby sets it: one record per call). */
static __always_inline __u64 aspen_written(__u64 wptr, __s64 ret, __u64 len)
{
	__u64 w = (__u64)(__s64)(int)ret;

	/* A success that wrote nothing does not happen: an unreadable or zero
	 * count means the cookie named the wrong argument (an OpenSSL whose
	 * internal write aspend misread), and the call is taken as whole, as
	 * before partial writes were followed; taking it as unwritten would
	 * refuse every later request on the session. */
	if (wptr && (bpf_probe_read_user(&w, sizeof(w), (const void *)wptr) || !w))
		w = len;
	return w < len ? w : len;
}

/* Where the probed function stores what it wrote: the argument the
 * attach cookie names (ASPEN_COOKIE_WRITTEN_ARG4/5, aspen_shared.h), else
 * 0 (its return value says). */
static __always_inline __u64 aspen_wptr(struct pt_regs *ctx)
{
	__u64 c = bpf_get_attach_cookie(ctx), a4 = PT_REGS_PARM4(ctx), a5 = PT_REGS_PARM5(ctx);

	/* both loaded: clang would otherwise pick the register's address,
	 * a moved context pointer the verifier refuses */
	barrier_var(a4);
	barrier_var(a5);
	if (c == ASPEN_COOKIE_WRITTEN_ARG4)
		return a4;
	if (c == ASPEN_COOKIE_WRITTEN_ARG5)
		return a5;
	return 0;
}

/* An HTTP/1.1 (or WebSocket) session's owed bytes were not brought: its
 * framing is lost (`unsynced`: every later byte is decided by
 * `uninspectable`). */
static __always_inline void aspen_replay_unsync(struct aspen_stream *s)
{
	aspen_replay_lose(&s->replay);
	s->unsynced = 1;
	aspen_ledger_flag(s, 0, ASPEN_UNPARSED_UNSYNCED);
}

/* An HTTP/1.1 (or WebSocket) session owes bytes of its last call: the
 * call's leading bytes, checked, get their credit back and are not parsed
 * again; other bytes lose the session's framing (`unsynced`: every later
 * byte is decided by `uninspectable`). Returns how many to pass over. */
static __always_inline __u64 aspen_replay_take(struct aspen_stream *s,
						const struct aspen_stream_key *key, const void *buf,
						__u64 len)
{
	__s64 n = aspen_replay_check(&s->replay, key, buf, len);
	struct aspen_ledger *l;
	__u64 g;

	if (n < 0) {
		aspen_replay_unsync(s);
		return len;
	}
	g = aspen_replay_give(&s->replay);
	l = aspen_ledger_of(s);
	if (l && g) {
		__sync_fetch_and_add(&l->credit, g);
		s->call_credit += g;
	}
	return (__u64)n;
}

#include "aspen_h2.bpf.h"
#include "aspen_ws.bpf.h"

/* One write of plaintext on a session, from any probe: parsed, decided,
 * accounted in the session's ledger. */
static __always_inline int aspen_write_plain(struct aspen_stream_key *key, const void *buf,
					     __u64 len, int probe, int how, __u64 wptr)
{
	__u64 done;
	__u32 k = 0;
	struct aspen_tls_scratch *sc = bpf_map_lookup_elem(&aspen_tls_scratch, &k);
	struct aspen_tls_zero *z = bpf_map_lookup_elem(&aspen_tls_zero, &k);
	struct aspen_stream *s;

	if (!sc || !z || !len || (probe == ASPEN_PROBE_OPENSSL && (__s64)(int)len <= 0) ||
	    aspen_probe_stands_down(key->tgid))
		return 0;
	aspen_ends_reset();
	s = aspen_stream_get(key, z);
	if (!s)
		return 0;
	if (how & ASPEN_WRITE_NOTE)
		aspen_note_session(key);
	if (s->unsynced) {
		/* framing lost earlier: nothing on this session can be followed */
		aspen_ledger_flag(s, 0, ASPEN_UNPARSED_UNSYNCED);
		return 0;
	}
	if (aspen_h2_on_write(key, s, sc, buf, len, probe, how, wptr))
		return 0; /* an HTTP/2 session (aspen_h2.bpf.h) */
	s->call_credit = 0;
	s->call_pend = 0;
	if (how & ASPEN_WRITE_UNDO)
		aspen_undo_begin(key, s, buf, len, wptr);
	if (s->replay.len) {
		__u64 skip = aspen_replay_take(s, key, buf, len);

		if (skip >= len)
			return 0; /* all of them parsed before (or the framing lost) */
		buf = (const __u8 *)buf + skip;
		len -= skip;
	}
	if (s->ws_on)
		return aspen_ws_on_write(key, s, sc, buf, len, probe, how); /* aspen_ws.bpf.h */
	s->write_match = 0;
	s->body_off = ~0u;
	s->blast = ~0u;
	done = aspen_feed_write(s, sc, buf, len, probe);
	if (s->ws_on) { /* the request was a WebSocket upgrade */
		if (s->ws_lost)
			aspen_ws_lose(s, s->ws_lost, probe);
		return 0;
	}
	if (len > done && !s->unsynced) /* a copy failed: its rest is not read */
		aspen_skip_rest(s, len - done, probe);
	aspen_check_bound(s, aspen_hold_bound(), probe); /* what can be held for the next write */
	aspen_account(s);
	if (s->unsynced)
		aspen_ledger_flag(s, 0, ASPEN_UNPARSED_UNSYNCED);
#if ASPEN_NEED_BODY_SCAN
	/* after the accounting: aspend may deny the session while we are held */
	if (s->write_match & s->redact)
		aspen_redact_hold(s, key, (__u64)buf, len, how & ASPEN_WRITE_HOLD);
#endif
	return 0;
}

static __always_inline int aspen_on_write(struct pt_regs *ctx, int probe)
{
	struct aspen_stream_key key = { .tgid = bpf_get_current_pid_tgid() >> 32,
					.session = PT_REGS_PARM1(ctx) };

	return aspen_write_plain(&key, (const void *)PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx), probe,
				 ASPEN_WRITE_UNDO | ASPEN_WRITE_NOTE | ASPEN_WRITE_HOLD,
				 aspen_wptr(ctx));
}

SEC("uprobe")
int aspen_ssl_write(struct pt_regs *ctx)
{
	return aspen_on_write(ctx, ASPEN_PROBE_OPENSSL);
}

SEC("uprobe")
int aspen_gnutls_send(struct pt_regs *ctx)
{
	return aspen_on_write(ctx, ASPEN_PROBE_GNUTLS);
}

/* The call returned success having written SENT of its bytes. Less than
 * all (OpenSSL's SSL_MODE_ENABLE_PARTIAL_WRITE): the rest was parsed and
 * credited, and the program's next call brings it again; until then its
 * credit is taken back (a record written past the TLS library meanwhile
 * would spend it), and the next call's leading bytes must be that rest
 * (aspen_replay_take()). A call that brought owed bytes moves them on
 * (aspen_replay_after()). The request lines the call decided are
 * published by the caller: its bytes left. */
static __always_inline void aspen_write_done(struct aspen_write_undo *u, __u64 sent)
{
	struct aspen_stream *s;
	struct aspen_ledger *l;
	__u64 taken = 0;

	if (sent == u->len && !u->snap.replay.len)
		return; /* the common case: all written, nothing was owed at entry */
	s = bpf_map_lookup_elem(&aspen_streams, &u->key);
	l = bpf_map_lookup_elem(&aspen_ledger, &u->key);
	if (!s)
		return;
	if (sent < u->len && l)
		taken = s->call_credit - aspen_take_back(l, s->call_credit);
	if (aspen_replay_after(&s->replay, &u->key, u->buf, u->len, sent, taken,
			       l && !l->pending) < 0)
		aspen_replay_unsync(s);
}

/* The write returned: > 0 is success for every function probed (bytes for
 * SSL_write and gnutls_record_send, 1 for SSL_write_ex and OpenSSL's
 * internal write). On success the request lines are published, and what
 * the call did not write is owed (aspen_write_done()); on failure the
 * parse state goes back to before the call, which will be repeated. */
SEC("uretprobe")
int aspen_write_ret(struct pt_regs *ctx)
{
	struct aspen_write_undo *u = aspen_undo_active();
	__s64 ret = (__s64)PT_REGS_RC(ctx);
	struct aspen_stream *s;

	aspen_h2_write_ret(ret);
	if (!u)
		return 0;
	if ((int)ret > 0) {
		aspen_write_done(u, aspen_written(u->wptr, ret, u->len));
		if (u->has_audit)
			aspen_publish(&u->ev);
	} else {
		s = bpf_map_lookup_elem(&aspen_streams, &u->key);
		if (s) {
			struct aspen_ledger *l = bpf_map_lookup_elem(&aspen_ledger, &u->key);
			__u64 sent = 0, pay;

			if (l) {
				sent = aspen_take_back(l, s->call_credit);
				__sync_fetch_and_sub(&l->pending, (__u64)s->call_pend);
			}
			aspen_copy(s, &u->snap, sizeof(*s));
			/* bytes the call brought again (s->replay, owed again now)
			 * left first: what they spent is not given back */
			pay = sent < s->replay.credit ? sent : s->replay.credit;
			s->replay.credit -= pay;
			s->replay.spent += pay;
			s->replay.retry = 1;
			s->debt += sent - pay;
		}
	}
	u->active = 0;
	return 0;
}

/* ---- the read side (token usage, status, response rules; HTTP/2 flow control) */

#if ASPEN_NEED_TLS_READ
#if ASPEN_NEED_RESPONSE

struct aspen_rfeed {
	struct aspen_rstream *s;
	const __u8 *buf;
	__u32 start, n;
	int code;
	__u32 stop;
};

static long aspen_rfeed_byte(__u32 i, void *arg)
{
	struct aspen_rfeed *f = arg;
	__u32 at = f->start + i;
	int rc;

	__u64 idx = at;

	if (at >= f->n || at >= ASPEN_CHUNK)
		return 1;
	barrier_var(idx);
	rc = aspen_http_resp_byte(&f->s->st, &f->s->r, f->buf[idx & (2 * ASPEN_CHUNK - 1)]);
	if (rc == ASPEN_HTTP_DONE || rc == ASPEN_HTTP_ERROR) {
		f->code = rc;
		f->stop = at + 1;
		return 1;
	}
	return 0;
}

/* A response is complete: `on response` rules, and its audit line. req:
 * the request it answers (may be NULL). Global. */
__noinline int aspen_response_emit(struct aspen_rstream *s, struct aspen_stream *req, __u32 tgid,
				   int probe)
{
	struct aspen_verdict v = { .rule = ASPEN_RULE_NONE, .decision = ASPEN_ALLOW };
	struct aspen_response_event *e;
	struct aspen_proc *p;

	if (!s)
		return 0;
	aspen_fill_conn(&s->r.conn);
	if (req)
		s->r.conn.providers = req->r.conn.providers;
	aspen_decide_response(&s->r, &v);
	if (v.decision == ASPEN_KILL)
		bpf_send_signal(9);
	if (!v.audit)
		return 0;
	e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);
	if (!e) {
		aspen_count_lost();
		return 0;
	}
	e->kind = ASPEN_EV_RESPONSE;
	e->probe = probe;
	e->ts_ns = bpf_ktime_get_boot_ns();
	__builtin_memcpy(&e->resp, &s->r, sizeof(e->resp));
	__builtin_memcpy(&e->verdict, &v, sizeof(e->verdict));
	e->_pad = 0;
	e->model[0] = 0;
	if (req)
		__builtin_memcpy(e->model, req->last_model, ASPEN_MODEL_LEN);
	e->exe[0] = 0;
	p = bpf_map_lookup_elem(&aspen_proc, &tgid);
	if (p)
		__builtin_memcpy(e->exe, p->exe, ASPEN_EXE_LEN);
	aspen_submit(e, v.decision != ASPEN_ALLOW);
	return 0;
}
#endif /* ASPEN_NEED_RESPONSE */

static __always_inline int aspen_on_read_entry(struct pt_regs *ctx, int probe, int ex)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct aspen_read_args a = {
		.session = PT_REGS_PARM1(ctx),
		.buf = PT_REGS_PARM2(ctx),
		.readbytes = ex ? PT_REGS_PARM4(ctx) : 0,
		.probe = probe,
		.ex = ex,
	};

	bpf_map_update_elem(&aspen_read_args, &tid, &a, BPF_ANY);
	return 0;
}

/* n bytes the application read into buf (its plaintext, n > 0): fed to
 * the session's response parser, a response audited and decided when it
 * ends. Shared by the OpenSSL/GnuTLS return probe and Go's RET probes
 * (aspen_go.bpf.h). */
static __always_inline void aspen_read_plain(const struct aspen_stream_key *key, __u64 buf, __u64 n,
					     int probe)
{
	__u32 k = 0;
	struct aspen_tls_scratch *sc = bpf_map_lookup_elem(&aspen_tls_scratch, &k);
	struct aspen_tls_zero *z = bpf_map_lookup_elem(&aspen_tls_zero, &k);
	struct aspen_h2conn *h2;

	if (!sc || !z || !n)
		return;
	h2 = bpf_map_lookup_elem(&aspen_h2conns, key);
	if (h2) { /* the write side is HTTP/2: the server's frames */
		aspen_h2_on_read(h2, sc, buf, n, probe);
		return;
	}
#if ASPEN_NEED_RESPONSE
	struct aspen_rstream *s = bpf_map_lookup_elem(&aspen_rstreams, key);

	if (!s) {
		/* z->zero is all zeros between uses, and larger than a rstream */
		bpf_map_update_elem(&aspen_rstreams, key, &z->zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&aspen_rstreams, key);
		if (!s)
			return;
	}
	if (n > ASPEN_CHUNK)
		n = ASPEN_CHUNK;
	if (bpf_probe_read_user(sc->buf, n & (2 * ASPEN_CHUNK - 1), (void *)buf))
		return;
	struct aspen_rfeed f = {.s = s, .buf = sc->buf, .n = (__u32)n};

	for (int round = 0; round < 4 && f.start < f.n; round++) {
		f.code = ASPEN_HTTP_MORE;
		f.stop = f.n;
		bpf_loop(ASPEN_CHUNK, aspen_rfeed_byte, &f, 0);
		if (f.code == ASPEN_HTTP_DONE || f.code == ASPEN_HTTP_ERROR) {
			if (f.code == ASPEN_HTTP_DONE)
				aspen_response_emit(s, bpf_map_lookup_elem(&aspen_streams, key),
						    key->tgid, probe);
			__builtin_memset(&s->st, 0, sizeof(s->st));
			__builtin_memset(&s->r, 0, sizeof(s->r));
		}
		f.start = f.stop;
	}
#endif
}

static __always_inline int aspen_on_read_return(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct aspen_read_args *a = bpf_map_lookup_elem(&aspen_read_args, &tid);
	struct aspen_stream_key key = {.tgid = bpf_get_current_pid_tgid() >> 32};
	__s64 ret = (__s64)PT_REGS_RC(ctx);
	__u64 n = 0;

	if (!a || aspen_probe_stands_down(key.tgid))
		return 0;
	key.session = a->session;
	if (a->ex) { /* SSL_read_ex, or OpenSSL's internal read: > 0 on success */
		if ((int)ret <= 0 || !a->readbytes ||
		    bpf_probe_read_user(&n, sizeof(n), (void *)a->readbytes))
			n = 0;
	} else if (a->probe == ASPEN_PROBE_OPENSSL) {
		n = (int)ret > 0 ? (__u64)(int)ret : 0;
	} else {
		n = ret > 0 ? (__u64)ret : 0;
	}
	aspen_read_plain(&key, a->buf, n, a->probe);
	bpf_map_delete_elem(&aspen_read_args, &tid);
	return 0;
}

SEC("uprobe")
int aspen_ssl_read(struct pt_regs *ctx)
{
	return aspen_on_read_entry(ctx, ASPEN_PROBE_OPENSSL, 0);
}

SEC("uprobe")
int aspen_ssl_read_ex(struct pt_regs *ctx)
{
	return aspen_on_read_entry(ctx, ASPEN_PROBE_OPENSSL, 1);
}

SEC("uprobe")
int aspen_gnutls_recv(struct pt_regs *ctx)
{
	return aspen_on_read_entry(ctx, ASPEN_PROBE_GNUTLS, 0);
}

SEC("uretprobe")
int aspen_tls_read_ret(struct pt_regs *ctx)
{
	return aspen_on_read_return(ctx);
}

#endif /* ASPEN_NEED_TLS_READ */

/* The socket a TLS session was bound to has sent its last byte (sockops,
 * aspen_sockops_state): the session's state goes with it, so that a session
 * object the library frees and hands out again at the same address starts
 * afresh (parser, ledger, HTTP/2 header table) instead of continuing the
 * dead connection's (e.g. the rest of a denied request's body). */
static __noinline int aspen_session_end(const struct aspen_stream_key *k)
{
	if (!k)
		return 0;
	bpf_map_delete_elem(&aspen_streams, k);
	bpf_map_delete_elem(&aspen_rstreams, k);
	bpf_map_delete_elem(&aspen_h2conns, k);
	bpf_map_delete_elem(&aspen_ledger, k);
	bpf_map_delete_elem(&aspen_replay_blocks, k);
	return 0;
}

#endif
