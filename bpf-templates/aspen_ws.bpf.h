/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * WebSocket in the write probe (included by aspen_tls.bpf.h, which calls
 * aspen_ws_on_write() for a session once its upgrade head was allowed).
 *
 * The client's frames go through aspen_ws_byte() (aspen_ws.h); the payload
 * of each message, unmasked, goes through the HTTP/1.1 parser's JSON scan
 * (aspen_http_req_byte() in body mode, with AH_JF_WS: a top-level "model",
 * or "session": {"model"} of a Realtime session.update) and the body
 * patterns, as a request body does. The session's one `struct aspen_stream`
 * keeps the head's fields (method, path, host, process) and its per-request
 * fields are each message's in turn.
 *
 * Bytes go to the ledger by units: a message (its frames' headers and
 * payload, and the control frames sent between its fragments) is pending
 * until its last frame ends, then decided: credit, or DENIED (sk_msg drops
 * it and cuts the connection); a control frame (ping, pong, close) between
 * messages is credited when it ends. A unit still open at the end of a
 * write stays pending (sk_msg holds its ciphertext, aspend's spill slots
 * past what the kernel can cork).
 *
 * A message is decided like a request (aspen_decide_stream()): its model
 * is the one it names, else the last one the connection's messages (or the
 * upgrade's URL) named, else unknown (ASPEN_REQ_UNSEEN_MODEL). What cannot
 * be followed is decided once, by `uninspectable`, and nothing later on the
 * connection is read (aspen_ws_lose()): RSV1 on a message (permessage-deflate:
 * ws_compressed), a frame the parser refuses (ws_framing), a message larger
 * than can be held undecided (ws_too_big). A match a `redact` rule masks
 * cannot be masked in a masked frame: the message is denied (no_redact).
 */
#ifndef ASPEN_WS_BPF_H
#define ASPEN_WS_BPF_H

/* A new message: the per-request fields start over, the head's stay. */
static __always_inline void aspen_ws_msg_reset(struct aspen_stream *s)
{
	__builtin_memset(&s->st, 0, sizeof(s->st));
	__builtin_memset(s->r.model, 0, ASPEN_MODEL_LEN);
	__builtin_memset(s->r.user, 0, ASPEN_USER_LEN);
	s->st.state = AH_RQ_BODY; /* the JSON scan, no framing */
	s->st.jflags = AH_JF_WS;
	s->r.flags = ASPEN_REQ_HEAD_DONE | ASPEN_REQ_WS_MSG;
	s->r.content_length = ~0ULL;
	s->r.body_seen = 0;
	s->r.body_match = 0;
	s->r.unparsed = 0;
	s->body_state = ASPEN_BODY_START;
}

/* The unit's bytes are decided (s->v): to the ledger, and a new unit. */
static __always_inline void aspen_ws_unit_end(struct aspen_stream *s)
{
	aspen_account(s);
	s->ws_unit = 0;
	s->bytes = 0;
	s->acct = 0;
	s->pend = 0;
}

/* The frames cannot be followed: one `uninspectable` decision for the
 * connection (the open unit's bytes with it), nothing later read. Global. */
__noinline int aspen_ws_lose(struct aspen_stream *s, __u32 why, int probe)
{
	if (!s)
		return 0;
	if (!(s->r.flags & ASPEN_REQ_WS_MSG))
		aspen_ws_msg_reset(s); /* before any message: not the head's line */
	s->decided = 0;
	s->r.unparsed = why;
	aspen_decide_stream(s, probe);
	aspen_account(s);
	s->unsynced = 1;
	return 0;
}

/* A message's last frame ended: decide it. */
static __always_inline void aspen_ws_msg_end(struct aspen_stream *s, int probe)
{
	if (s->r.flags & ASPEN_REQ_HAS_MODEL) {
		s->r.flags |= ASPEN_REQ_WS_NAMED;
	} else if (s->last_model[0]) { /* the connection's model */
		__builtin_memcpy(s->r.model, s->last_model, ASPEN_MODEL_LEN);
		s->r.flags |= ASPEN_REQ_HAS_MODEL;
	} else {
		s->r.flags |= ASPEN_REQ_UNSEEN_MODEL;
	}
	s->r.flags |= ASPEN_REQ_BODY_DONE;
	aspen_decide_stream(s, probe);
}

/* One payload byte of a data frame, unmasked: the JSON scan and the body
 * patterns. 1: the message is larger than the bound. (Its offset in the
 * write is not kept: a message is never masked in place.) Global: the
 * scan is verified once. */
__noinline int aspen_ws_data(struct aspen_stream *s, __u32 b, __u64 bound)
{
	__u8 c = (__u8)b;

	if (!s)
		return 0;
	if (s->r.body_seen >= bound)
		return 1;
	aspen_http_req_body_byte(&s->st, &s->r, c); /* body mode: counts body_seen */
#if ASPEN_NEED_BODY_SCAN
	aspen_body_decoded(s, c, 0);
#endif
	return 0;
}

/* Where the walk of a write is: all the global step may change. */
struct aspen_wspos {
	__u64 wbuf, wlen; /* the write */
	__u64 wpos;	  /* bytes of the write copied */
	__u64 bound;
	__u32 pos, n; /* in the scratch buffer */
	int probe;
	int failed;
};

/* The loop's context. The pointers stay outside what the step is given:
 * the verifier forgets what a global function may have written, and a
 * pointer it forgets is a pointer lost to the next round. */
struct aspen_wsfeed {
	struct aspen_stream *s;
	struct aspen_tls_scratch *sc;
	struct aspen_wspos p;
};

/* One byte of the write. Returns 1 when nothing more can be followed
 * (s->ws_lost says why; the caller loses the connection: the call chain
 * from here is as deep as the verifier's stack allows). Global, so the
 * verifier checks it once: inlined in the bpf_loop callback, each value of
 * f->pos was a state of its own (the buffer index is precise), and 6.18
 * kernels refused aspen_ssl_write ("the sequence of 8193 jumps is too
 * complex") after walking 2,048 of them. */
__noinline int aspen_ws_step_one(struct aspen_wspos *f, struct aspen_stream *s,
				 struct aspen_tls_scratch *sc)
{
	__u64 idx, n;
	__u8 out = 0;
	int ev;

	if (!f || !s || !sc)
		return 1;
	if (f->pos >= f->n) {
		if (f->wpos >= f->wlen)
			return 1;
		n = f->wlen - f->wpos > ASPEN_CHUNK ? ASPEN_CHUNK : f->wlen - f->wpos;
		if (bpf_probe_read_user(sc->buf, n & (2 * ASPEN_CHUNK - 1),
					(const void *)(f->wbuf + f->wpos))) {
			f->failed = 1;
			return 1;
		}
		f->wpos += n;
		f->pos = 0;
		f->n = (__u32)n;
	}
	if (f->pos >= ASPEN_CHUNK)
		return 1;
	idx = f->pos++;
	if (!s->ws_unit) {
		s->ws_unit = 1;
		s->decided = 0;
		s->bytes = 0;
		s->acct = 0;
		s->pend = 0;
	}
	s->bytes++;
	ev = aspen_ws_byte(&s->ws, sc->buf[idx & (2 * ASPEN_CHUNK - 1)], &out);
	if (ev < 0) {
		s->ws_lost =
		    ev == AWS_ERR_RSV ? ASPEN_UNPARSED_WS_COMPRESSED : ASPEN_UNPARSED_WS_FRAMING;
		return 1;
	}
	if (ev & AWS_EV_MSG_START)
		aspen_ws_msg_reset(s);
	if ((ev & AWS_EV_DATA) && aspen_ws_data(s, out, f->bound)) {
		s->ws_lost = ASPEN_UNPARSED_WS_TOO_BIG;
		return 1;
	}
	if (!(ev & AWS_EV_FRAME_END))
		return 0;
	if (ev & AWS_EV_MSG_END) {
		aspen_ws_msg_end(s, f->probe);
		aspen_ws_unit_end(s);
	} else if ((ev & AWS_EV_CTRL) && !s->ws.in_msg) {
		/* ping, pong, close between messages: no request, passed */
		s->v.rule = ASPEN_RULE_NONE;
		s->v.decision = ASPEN_ALLOW;
		s->v.audit = 0;
		s->decided = 1;
		aspen_ws_unit_end(s);
	}
	return 0;
}

static long aspen_ws_step(__u32 i, void *arg)
{
	struct aspen_wsfeed *f = arg;

	return aspen_ws_step_one(&f->p, f->s, f->sc) ? 1 : 0;
}

/* The write probe's WebSocket path: the whole write, byte by byte (8 MiB
 * at most: a longer write loses the connection, ws_too_big). */
#define ASPEN_WS_WRITE_STEPS (1 << 23)

/* Walk the write. Global: the feed lives on its own stack, not on the
 * probe's (whose HTTP/2 call chain is at the verifier's 512-byte limit).
 * 1: a copy failed. */
__noinline int aspen_ws_parse_write(struct aspen_stream *s, struct aspen_tls_scratch *sc, __u64 buf,
				    __u64 len, int probe)
{
	if (!s || !sc)
		return 0;
	struct aspen_wsfeed f = {.s = s,
				 .sc = sc,
				 .p = {.wbuf = buf,
				       .wlen = len,
				       .bound = aspen_body_bound(),
				       .probe = probe}};

	bpf_loop(ASPEN_WS_WRITE_STEPS, aspen_ws_step, &f, 0);
	return f.p.failed;
}

static __always_inline int aspen_ws_on_write(struct aspen_stream_key *key, struct aspen_stream *s,
					     struct aspen_tls_scratch *sc, const void *buf,
					     __u64 len, int probe, int how)
{
	int failed;

	s->write_match = 0;
	s->body_off = ~0u;
	if (len > ASPEN_WS_WRITE_STEPS) {
		aspen_ws_lose(s, ASPEN_UNPARSED_WS_TOO_BIG, probe);
		return 0;
	}
	failed = aspen_ws_parse_write(s, sc, (__u64)buf, len, probe);
	if (s->ws_lost) {
		aspen_ws_lose(s, s->ws_lost, probe);
		return 0;
	}
	if (failed) { /* a copy failed: the rest cannot be followed */
		aspen_ws_lose(s, ASPEN_UNPARSED_WS_FRAMING, probe);
		return 0;
	}
	if (s->ws_unit && !s->decided && s->bytes > aspen_hold_bound()) {
		/* more than can be held for the next write */
		aspen_ws_lose(s, ASPEN_UNPARSED_WS_TOO_BIG, probe);
		return 0;
	}
	if (s->ws_unit)
		aspen_account(s); /* the open unit: pending */
#if ASPEN_NEED_BODY_SCAN
	if ((s->write_match & s->redact) && s->v.decision != ASPEN_DENY &&
	    s->v.decision != ASPEN_KILL) {
		/* the payload is XOR-masked in the writer's buffer: a match is
		 * not masked in place, the connection is denied (no_redact),
		 * whatever `uninspectable` says: unmasked text never leaves */
		s->r.unparsed = ASPEN_UNPARSED_NO_REDACT;
		s->r.flags |= ASPEN_REQ_WS_MSG;
		s->v.rule = ASPEN_RULE_UNINSPECTABLE;
		s->v.decision = aspen_force_monitor() ? ASPEN_WOULD_DENY : ASPEN_DENY;
		s->v.audit = 1;
		s->decided = 1;
		aspen_audit_request(s, probe);
		if (s->v.decision == ASPEN_DENY)
			aspen_ledger_flag(s, ASPEN_LEDGER_DENIED, 0);
		s->unsynced = 1;
	}
#else
	(void)key;
#endif
	return 0;
}

#endif
