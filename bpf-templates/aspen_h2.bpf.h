/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * HTTP/2 in the write probe (included by aspen_tls.bpf.h, which calls
 * aspen_h2_on_write() before its HTTP/1.1 parse).
 *
 * A TLS session whose first plaintext bytes are the HTTP/2 connection
 * preface gets a `struct aspen_h2conn` (frame parser + HPACK decoder, about
 * 10 KiB) in `aspen_h2conns`; from then on every byte it writes goes through
 * aspen_h2_byte() (bpf-templates/aspen_h2.h) instead of the HTTP/1.1 parser.
 * Each stream is a `struct aspen_stream` of its own in `aspen_h2streams`
 * (key: tgid, session, stream id), so a stream is decided exactly as an
 * HTTP/1.1 request is: its head's :method, :path and :authority fill
 * r->method/path/host, its DATA bytes go through the same JSON scanner
 * (aspen_http_req_byte() in body mode: "model", "user", "stream") and body
 * patterns, and aspen_decide_stream() decides it when the JSON object closes,
 * at END_STREAM, at RST_STREAM, or at once when the head says the body is
 * unreadable (content-encoding).
 *
 * Bytes go to the session's ledger frame by frame, as aspen_account() does
 * for a request: the bytes of a stream's HEADERS, CONTINUATION and DATA
 * frames are that stream's (pending while it is undecided: sk_msg holds the
 * ciphertext; credit once allowed; nothing and DENIED when denied: sk_msg
 * drops the write and cuts the connection, and every other stream on it);
 * the preface and connection frames (SETTINGS, PING, WINDOW_UPDATE,
 * PRIORITY, RST_STREAM, GOAWAY, unknown types) are credited. A frame still
 * incomplete at the end of a write is accounted as far as it goes (a frame
 * header that is not complete yet: pending, until its frame is known).
 *
 * What is not inspected, and says so (enum aspen_unparsed):
 * - ASPEN_UNPARSED_H2_MIDSTREAM: the first bytes a probe sees on a session
 *   are an HTTP/2 frame, not the preface: the connection began before the
 *   probes, its HPACK table cannot be known. One `uninspectable` decision
 *   for the connection.
 * - ASPEN_UNPARSED_H2_STATE: the parser lost the connection (a frame or
 *   header block it refused, an HPACK entry older than it keeps, a write
 *   whose bytes could not be copied). One `uninspectable` decision; nothing
 *   later on the session is credited.
 *
 * A write call that fails (the return probe sees <= 0) is repeated by the
 * TLS library with the same bytes, and one that wrote part of them
 * (SSL_MODE_ENABLE_PARTIAL_WRITE) is followed by a call with the rest:
 * those bytes are not parsed again (`replay`, struct aspen_replay in
 * aspen_tls.bpf.h). "The same" is checked, not trusted: OpenSSL re-reads
 * the part it had not yet encrypted from the repeated call's buffer, which
 * the program may have changed (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER). The
 * return probe hashes the owed bytes while they are still the caller's
 * (SipHash, a random key per call); the next call's leading bytes must
 * hash the same, or the connection is lost (ASPEN_UNPARSED_H2_STATE, so
 * `uninspectable` decides it).
 *
 * Redaction: a write in which a stream's redact patterns match stops the
 * writer once (aspen_h2_redact_hold()) for aspend to mask in place.
 * Reload: aspen_h2conns is handed to the new object (the header table of a
 * live connection cannot be rebuilt); aspen_h2streams is not.
 */
#ifndef ASPEN_H2_BPF_H
#define ASPEN_H2_BPF_H

#include "aspen_h2.h"

#define ASPEN_H2_CONNS 1024
#define ASPEN_H2_STREAMS 8192
#define ASPEN_H2_WINDOW 65535 /* RFC 9113 6.9.2: the initial flow-control window */
#define ASPEN_H2_HELD 8	      /* undecided streams a connection's windows are followed for */

struct aspen_h2conn {
	struct aspen_h2 p;
	struct aspen_stream_key key;
	__u64 id; /* this connection (its streams' keys): boot time at its preface */
	__u64 unattributed; /* bytes of the current frame not in the ledger yet */
	__u64 hdr_pend;	    /* bytes the ledger holds pending for a frame not known yet */
	struct aspen_replay replay; /* what a failed call or a partial write owes again */
	__u64 call_len;	    /* this write call's length ... */
	__u64 call_wptr;    /* ... and where it stores what it wrote (aspen_written()) */
	__u64 call_credit;  /* credit this write call added to the ledger */
	__u32 lost;	    /* enum aspen_unparsed once nothing more can be followed */
	__u32 in_call;
	__u64 write_seq; /* write calls seen (streams reset their per-write state) */
	__u64 at;	 /* offset in the write of the byte being parsed */
	/* this write's matches to mask, over its streams (one hold per write) */
	__u64 w_matched;
	__u32 w_patterns;
	__u32 w_off;	 /* first body byte of a stream with a match */
	__u64 w_req_seq; /* such a stream's req_seq; ~0: more than one stream */
	__u64 bound; /* body bytes a stream may hold undecided (the hold bound) */
	/* the current write's walk (aspen_h2_parse_write) */
	__u64 wbuf, wlen, wskip, wpos;
	/* flow control (docs/internals.md "HTTP/2 flow control and responses"): the server's
	 * frames as the client reads them (the read probe: SETTINGS,
	 * WINDOW_UPDATE), the client's DATA bytes on the connection, the
	 * undecided streams whose windows are watched */
	struct aspen_h2 rd; /* the server's side */
	__u64 conn_sent;
	__u32 held[ASPEN_H2_HELD];
	__u32 acked;   /* the client acknowledged the server's SETTINGS */
	__u32 stalled; /* an undecided stream ran out of window before that */
	/* the current read's walk (aspen_h2_on_read) */
	__u64 rbuf, rlen, rpos, rbase, rend;
};

/* A stream: the request (as an HTTP/1.1 request is kept) and what the
 * current write did to it. */
struct aspen_h2stream {
	struct aspen_stream s;
	__u64 write_seq;
	__u64 sent; /* flow-controlled bytes of its DATA frames */
	__u64 upd;  /* the server's WINDOW_UPDATE increments for it */
	struct aspen_rstream resp; /* its response (the read side) */
};

/* A stream's key. conn: the connection's `id`: a session object the TLS
 * library frees and hands to its next connection (python's OpenSSL) keeps
 * its key (tgid, session), and that connection's stream 1 must not find
 * the last one's (it was taken for its trailers, and its DATA credited
 * with the old stream's verdict). */
struct aspen_h2skey {
	__u32 tgid;
	__u32 stream;
	__u64 session;
	__u64 conn;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ASPEN_H2_CONNS);
	__type(key, struct aspen_stream_key);
	__type(value, struct aspen_h2conn);
} aspen_h2conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ASPEN_H2_STREAMS);
	__type(key, struct aspen_h2skey);
	__type(value, struct aspen_h2stream);
} aspen_h2streams SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_h2stream);
} aspen_h2szero SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_h2conn);
} aspen_h2zero SEC(".maps");

static __always_inline struct aspen_h2stream *aspen_h2_stream(const struct aspen_h2conn *c,
							      __u32 id)
{
	struct aspen_h2skey k = {
	    .tgid = c->key.tgid, .stream = id, .session = c->key.session, .conn = c->id};

	return bpf_map_lookup_elem(&aspen_h2streams, &k);
}

/* Bytes straight to the session's ledger (connection frames; frame
 * headers not yet known: pending). */
static __always_inline void aspen_h2_ledger_add(struct aspen_h2conn *c, __u64 n, int pending)
{
	struct aspen_ledger *l = aspen_ledger_get(&c->key);

	if (!l)
		return;
	if (pending) {
		__sync_fetch_and_add(&l->pending, n);
	} else {
		__sync_fetch_and_add(&l->credit, n);
		if (c->in_call)
			c->call_credit += n;
	}
}

/* A stream's bytes to the ledger (aspen_account()), counted in the write
 * call's credit. */
static __always_inline void aspen_h2_account(struct aspen_h2conn *c, struct aspen_stream *s)
{
	__u64 before = s->call_credit;

	aspen_account(s);
	if (c->in_call)
		c->call_credit += s->call_credit - before;
}

static __always_inline void aspen_h2_ledger_unpend(const struct aspen_h2conn *c, __u64 n)
{
	struct aspen_ledger *l = bpf_map_lookup_elem(&aspen_ledger, &c->key);

	if (l)
		__sync_fetch_and_sub(&l->pending, n);
}

/* The bytes of the frame so far go to its stream or the connection.
 * end: the frame is complete. Global: verified once. */
__noinline int aspen_h2_attribute(struct aspen_h2conn *c, int end)
{
	struct aspen_h2stream *s;
	__u64 n;
	__u8 t;

	if (!c)
		return 0;
	n = c->unattributed;
	if (!end && c->p.phase != AH2_P_PAYLOAD) {
		/* preface or frame header incomplete: whose bytes is not known yet */
		if (n) {
			aspen_h2_ledger_add(c, n, 1);
			c->hdr_pend += n;
			c->unattributed = 0;
		}
		return 0;
	}
	if (c->hdr_pend) {
		aspen_h2_ledger_unpend(c, c->hdr_pend);
		n += c->hdr_pend;
		c->hdr_pend = 0;
	}
	c->unattributed = 0;
	if (!n)
		return 0;
	t = c->p.type;
	if ((t == AH2_DATA || t == AH2_HEADERS || t == AH2_CONTINUATION) && c->p.stream) {
		s = aspen_h2_stream(c, c->p.stream);
		if (!s && t != AH2_DATA) {
			/* a header block not complete yet (its stream is set up at
			 * its end): pending until then */
			aspen_h2_ledger_add(c, n, 1);
			c->hdr_pend += n;
			return 0;
		}
		if (!s) {
			/* a stream we hold no state for (evicted): not credited */
			struct aspen_ledger *l = bpf_map_lookup_elem(&aspen_ledger, &c->key);

			if (l && !l->reason)
				l->reason = ASPEN_UNPARSED_H2_STATE;
			return 0;
		}
		s->s.bytes += n;
		aspen_h2_account(c, &s->s);
		return 0;
	}
	aspen_h2_ledger_add(c, n, 0);
	return 0;
}

/* Watch an undecided stream's windows: a free slot (empty, or its stream
 * decided or gone since). 0: none free. Global. */
__noinline int aspen_h2_watch(struct aspen_h2conn *c, __u32 id)
{
	struct aspen_h2stream *s;

	if (!c)
		return 0;
	for (int i = 0; i < ASPEN_H2_HELD; i++) {
		__u32 o = c->held[i];

		if (o) {
			s = aspen_h2_stream(c, o);
			if (s && !s->s.decided)
				continue;
		}
		c->held[i] = id;
		return 1;
	}
	return 0;
}

/* What the client may still send on stream s: the windows the server
 * granted, as far as the read probe followed them (aspen_h2.h, "Passing
 * frames over; flow control"). A connection whose reads were not seen (not
 * yet, or no read probe: Go) or were lost: the initial windows, with only
 * the held bytes (held: of all watched undecided streams) counted against
 * the connection's, since what was passed earns WINDOW_UPDATEs. */
static __always_inline __s64 aspen_h2_avail(const struct aspen_h2conn *c,
					    const struct aspen_h2stream *s, __u64 held)
{
	__s64 strm, conn;

	if (c->rd.frames && !c->rd.err)
		return aspen_h2fc_avail(&c->rd, c->conn_sent, s->upd, s->sent);
	strm = (__s64)ASPEN_H2_WINDOW - (__s64)s->sent;
	conn = (__s64)ASPEN_H2_WINDOW - (__s64)held;
	return conn < strm ? conn : strm;
}

/* Each watched undecided stream that can send no more (its window or the
 * connection's used up: the client waits for a WINDOW_UPDATE its held
 * bytes never earn) is decided with what was read (unparsed scan_bound),
 * never left to hang; unless the client has not applied the server's
 * SETTINGS yet (they may grant more): it acknowledges them in a later
 * write, which sweeps again (`stalled`). Global. */
__noinline int aspen_h2_sweep(struct aspen_h2conn *c, int probe)
{
	struct aspen_h2stream *s;

	__u64 held = 0;

	if (!c)
		return 0;
	c->stalled = 0;
	for (int i = 0; i < ASPEN_H2_HELD; i++) {
		s = c->held[i] ? aspen_h2_stream(c, c->held[i]) : 0;
		if (s && !s->s.decided)
			held += s->sent;
	}
	for (int i = 0; i < ASPEN_H2_HELD; i++) {
		__u32 id = c->held[i];

		if (!id)
			continue;
		s = aspen_h2_stream(c, id);
		if (!s || s->s.decided) {
			c->held[i] = 0;
			continue;
		}
		if (aspen_h2_avail(c, s, held) > 0)
			continue;
		if (!c->acked) {
			c->stalled = 1;
			continue;
		}
		s->s.r.unparsed = ASPEN_UNPARSED_BOUND;
		aspen_decide_stream(&s->s, probe);
		aspen_h2_account(c, &s->s);
		c->held[i] = 0;
	}
	return 0;
}

/* Decide stream s inside a frame of its own (its HEADERS block, a DATA
 * frame): its line counts the frame's bytes too, though they go to the
 * stream (and the ledger) only at the frame's end or the write's: those
 * walked so far (with a header block's pending ones) and the payload left.
 * Only the line's count: the ledger is as it was. (Until session 39 the
 * line left them out: a request in one DATA frame said its HEADERS' bytes
 * alone, 74 for a 12 KB body.) */
static __always_inline void aspen_h2_decide_here(struct aspen_h2conn *c, struct aspen_stream *s,
						 int probe)
{
	__u64 here = c->unattributed + c->hdr_pend + c->p.len;

	s->bytes += here;
	aspen_decide_stream(s, probe);
	s->bytes -= here;
}

/* A header block is complete: a new stream (its first block) is set up
 * from it; a later block (trailers) changes nothing. */
static __always_inline void aspen_h2_headers(struct aspen_h2conn *c, int probe)
{
	struct aspen_h2skey k = {.tgid = c->key.tgid,
				 .stream = c->p.head.stream,
				 .session = c->key.session,
				 .conn = c->id};
	struct aspen_h2stream *hs = bpf_map_lookup_elem(&aspen_h2streams, &k), *z;
	struct aspen_stream *s;
	__u32 zk = 0;
	__u64 providers;

	if (hs)
		return;
	z = bpf_map_lookup_elem(&aspen_h2szero, &zk); /* all zeros, never written */
	if (!z)
		return;
	bpf_map_update_elem(&aspen_h2streams, &k, z, BPF_ANY);
	hs = bpf_map_lookup_elem(&aspen_h2streams, &k);
	if (!hs)
		return;
	s = &hs->s;
	s->session = c->key.session;
	s->req_seq = bpf_ktime_get_boot_ns() | ASPEN_REQ_SEQ_H2;
	aspen_fill_conn(&s->r.conn);
	__builtin_memcpy(s->r.method, c->p.head.method, ASPEN_METHOD_LEN);
	__builtin_memcpy(s->r.path, c->p.head.path, ASPEN_PATH_LEN);
	__builtin_memcpy(s->r.host, c->p.head.authority, ASPEN_HOST_LEN);
	s->r.content_length = ~0ULL;
	s->r.flags = ASPEN_REQ_HEAD_DONE;
	if (c->p.head.flags & ASPEN_H2_H_TRUNCATED)
		s->r.flags |= ASPEN_REQ_TRUNCATED;
	/* the body goes through the HTTP/1.1 parser's JSON scan, no framing */
	s->st.state = AH_RQ_BODY;
	s->body_state = ASPEN_BODY_START;
	providers = aspen_host_providers(s->r.host);
	if (providers) {
		s->r.conn.providers = providers;
		s->redact = aspen_decide_redact(&s->r);
	}
	s->redact_ready = 1;
	if ((c->p.head.flags & ASPEN_H2_H_COMPRESSED) && !(c->p.head.flags & ASPEN_H2_H_END_STREAM))
		s->r.unparsed = ASPEN_UNPARSED_COMPRESSED;
	if ((c->p.head.flags & ASPEN_H2_H_END_STREAM) || s->r.unparsed) {
		s->r.flags |= ASPEN_REQ_BODY_DONE;
		aspen_h2_decide_here(c, s, probe);
		return;
	}
	if (!aspen_h2_watch(c, k.stream)) {
		/* more undecided streams than windows watched: could hang */
		s->r.unparsed = ASPEN_UNPARSED_BOUND;
		aspen_h2_decide_here(c, s, probe);
	}
}

/* Events other than DATA (HEADERS, END_STREAM, RST, FRAME). Global. */
__noinline int aspen_h2_frame_event(struct aspen_h2conn *c, int ev, int probe)
{
	struct aspen_h2stream *s;

	if (!c)
		return 0;
	if (ev & ASPEN_H2_EV_DATA_FRAME) {
		/* the client sends a frame only when the windows hold all of it */
		s = aspen_h2_stream(c, c->p.stream);
		c->conn_sent += c->p.len;
		if (s)
			s->sent += c->p.len;
	}
	if (ev & ASPEN_H2_EV_HEADERS)
		aspen_h2_headers(c, probe);
	if (ev & (ASPEN_H2_EV_END_STREAM | ASPEN_H2_EV_RST)) {
		s = aspen_h2_stream(c, c->p.stream);
		if (s && !s->s.decided && (ev & ASPEN_H2_EV_END_STREAM)) {
			s->s.r.flags |= ASPEN_REQ_BODY_DONE;
			aspen_h2_decide_here(c, &s->s, probe); /* its DATA frame's end */
		} else if (s && !s->s.decided) {
			aspen_decide_stream(&s->s, probe); /* RST_STREAM: not its frame */
		}
	}
	if (ev & ASPEN_H2_EV_SETTINGS_ACK)
		c->acked = 1;
	/* after any DATA frame (its own stream's END_STREAM was decided above;
	 * the connection window it used is the other streams' too), and when
	 * the client applied the server's SETTINGS */
	if ((ev & ASPEN_H2_EV_FRAME) &&
	    (c->p.type == AH2_DATA || (ev & ASPEN_H2_EV_SETTINGS_ACK)))
		aspen_h2_sweep(c, probe);
	if (ev & ASPEN_H2_EV_FRAME)
		aspen_h2_attribute(c, 1);
	return 0;
}

#if ASPEN_NEED_BODY_SCAN
/* Before the patterns see a body byte of stream hs in this write. */
static __always_inline void aspen_h2_scan_begin(struct aspen_h2stream *hs, struct aspen_h2conn *c)
{
	struct aspen_stream *s = &hs->s;

	if (hs->write_seq != c->write_seq) {
		/* the stream's first body byte in this write */
		hs->write_seq = c->write_seq;
		s->write_match = 0;
		s->body_off = ~0u;
		s->blast = ~0u;
	}
}

/* After: a match to mask is masked in place before the write is encrypted
 * (see aspen_h2_on_write). */
static __always_inline void aspen_h2_scan_note(struct aspen_h2stream *hs, struct aspen_h2conn *c)
{
	struct aspen_stream *s = &hs->s;

	if (s->write_match & s->redact) {
		c->w_patterns |= s->redact;
		c->w_matched |= s->write_match & s->redact;
		if (s->body_off < c->w_off)
			c->w_off = s->body_off;
		if (!c->w_req_seq)
			c->w_req_seq = s->req_seq;
		else if (c->w_req_seq != s->req_seq)
			c->w_req_seq = ~0ULL;
	}
}
#endif

/* A DATA byte (at offset c->at of the write) of stream hs (may be NULL: no
 * state). The patterns see the body as over HTTP/1.1 (aspen_feed_step()):
 * JSON strings decoded, what the parser says the byte stands for; so the
 * parser reads a decided stream's body on too when there are patterns.
 * (Until session 37 they saw the raw bytes here: a key spelled with an
 * escape, AKIA\u0049OSFODNN7EXAMPLE, passed `matches` over HTTP/2.)
 * Global. */
__noinline int aspen_h2_data(struct aspen_h2stream *hs, struct aspen_h2conn *c, __u32 b, int probe)
{
	struct aspen_stream *s;
	int rc;

	if (!hs || !c)
		return 0;
	s = &hs->s;
	if (s->decided && !ASPEN_NEED_BODY_SCAN)
		return 0;
	int esc __attribute__((unused)) = aspen_in_escape(&s->st);

	rc = aspen_http_req_body_byte(&s->st, &s->r, (__u8)b);
#if ASPEN_NEED_BODY_SCAN
	aspen_h2_scan_begin(hs, c);
	aspen_body_resume(s, (__u32)c->at, esc);
	aspen_body_decoded(s, (__u8)b, (__u32)c->at);
	aspen_h2_scan_note(hs, c);
	if (s->decided)
		return 0;
#endif
	if (rc == ASPEN_HTTP_DECIDABLE || rc == ASPEN_HTTP_ERROR || rc == ASPEN_HTTP_DONE)
		aspen_h2_decide_here(c, s, probe);
	else if (s->r.body_seen >= c->bound) {
		s->r.unparsed = ASPEN_UNPARSED_BOUND;
		aspen_h2_decide_here(c, s, probe);
	}
	return 0;
}

/* The connection cannot be followed any more: one `uninspectable`
 * decision for it (on the session's HTTP/1.1 stream, which carries no
 * request), nothing more credited. Global. */
__noinline int aspen_h2_lose(struct aspen_h2conn *c, struct aspen_stream *s1, __u32 why, int probe)
{
	if (!c)
		return 0;
	c->lost = why; /* lost whether or not its HTTP/1.1 stream can carry the decision */
	if (!s1 || s1->decided)
		return 0;
	s1->r.unparsed = why;
	s1->bytes += c->unattributed + c->hdr_pend;
	if (c->hdr_pend)
		aspen_h2_ledger_unpend(c, c->hdr_pend);
	c->unattributed = 0;
	c->hdr_pend = 0;
	aspen_decide_stream(s1, probe);
	aspen_h2_account(c, s1);
	s1->unsynced = 1;
	return 0;
}

/* Where the walk of a write is: all aspen_h2_wnext may change. */
struct aspen_h2pos {
	__u32 pos, n; /* in the scratch buffer */
	__u32 b;      /* the byte aspen_h2_wnext parsed */
};

/* The loop's context. The pointers stay outside what aspen_h2_wnext is
 * given: the verifier forgets what a global function may have written. */
struct aspen_h2feed {
	struct aspen_h2conn *c;
	struct aspen_stream *s1;    /* the session's HTTP/1.1 stream (for lose) */
	struct aspen_h2stream *cur; /* the DATA frame's stream, cached */
	struct aspen_tls_scratch *sc;
	__u32 cur_id;
	int probe;
	struct aspen_h2pos p;
};

/* The next chunk of the write into the scratch buffer (the leading bytes
 * a repeated call brings again are passed over). 1: the write is done, or
 * a copy failed (wpos < wlen: the caller loses the connection). */
static __always_inline int aspen_h2_refill(struct aspen_h2pos *f, struct aspen_h2conn *c,
					   struct aspen_tls_scratch *sc)
{
	__u64 done = c->wpos, n, start;

	if (done >= c->wlen || c->lost)
		return 1;
	n = c->wlen - done > ASPEN_CHUNK ? ASPEN_CHUNK : c->wlen - done;
	start = c->wskip > done ? (c->wskip - done > n ? n : c->wskip - done) : 0;
	f->pos = (__u32)n; /* a chunk passed over whole: pos == n */
	f->n = (__u32)n;
	if (start < n) {
		if (bpf_probe_read_user(sc->buf, n & (2 * ASPEN_CHUNK - 1),
					(const void *)(c->wbuf + done)))
			return 1;
		c->at = done + start - 1; /* the step adds one before each byte */
		f->pos = (__u32)start;
		f->n = (__u32)n;
	}
	c->wpos = done + n;
	return 0;
}

/* aspen_h2_wnext's results besides the parser's events (0, flags, or
 * ASPEN_H2_ERROR) */
#define ASPEN_H2_WALK_END (-1000)  /* the write is done, or a copy failed */
#define ASPEN_H2_WALK_SKIP (-1001) /* a chunk the last call parsed already */

/* The write's next byte through the frame and HPACK parser: its events
 * (f->b the byte). Global, so the verifier checks it once, with the
 * position and the parser's state unknown: with the position in the
 * loop's state, each value of it was a state of its own (the buffer index
 * is precise), and each constant a path through HPACK left behind too;
 * 6.18 kernels walked the step about once per byte of a chunk
 * (aspen_ssl_write: ~800k instructions, or refused outright). */
__noinline int aspen_h2_wnext(struct aspen_h2pos *f, struct aspen_h2conn *c,
			      struct aspen_tls_scratch *sc)
{
	__u64 idx;
	__u8 b;

	if (!f || !c || !sc)
		return ASPEN_H2_WALK_END;
	if (f->pos >= f->n) {
		if (aspen_h2_refill(f, c, sc))
			return ASPEN_H2_WALK_END;
		if (f->pos >= f->n)
			return ASPEN_H2_WALK_SKIP;
	}
	if (f->pos >= ASPEN_CHUNK)
		return ASPEN_H2_WALK_END;
	idx = f->pos++;
	b = sc->buf[idx & (2 * ASPEN_CHUNK - 1)];
	f->b = b;
	c->unattributed++;
	c->at++; /* counted apart from the position: a scalar, never derived from buf */
	return aspen_h2_byte(&c->p, b);
}

/* The DATA fast path: the body bytes of the current DATA frame that lie
 * in this chunk, passed a run at a time as aspen_feed_plain() passes an
 * HTTP/1.1 body's (message text, the messages array; every byte, once the
 * stream is decided), without the frame parser and the JSON scan on each.
 * Never the frame's last body byte, nor the byte that reaches the bound:
 * those go through aspen_h2_data() for their events. The patterns still
 * see every byte (aspen_body_run). hs: the frame's stream (its id checked
 * by the caller). Returns how many bytes it passed; 0: take the next byte
 * the slow way. Global: the verifier checks it once. */
__noinline int aspen_h2_data_run(struct aspen_h2pos *f, struct aspen_h2conn *c,
				 struct aspen_h2stream *hs, struct aspen_tls_scratch *sc)
{
	struct aspen_stream *s;
	__u64 room, body;
	__u32 k;
	int nest = 0;

	if (!f || !c || !hs || !sc || f->pos >= f->n || f->n > ASPEN_CHUNK)
		return 0;
	if (c->p.phase != AH2_P_PAYLOAD || c->p.type != AH2_DATA || c->p.part != AH2_PART_BODY)
		return 0;
	s = &hs->s;
	body = c->p.len > c->p.pad ? c->p.len - c->p.pad : 0;
	if (body <= 1)
		return 0;
	room = body - 1;
	if (s->decided && !ASPEN_NEED_BODY_SCAN) {
		/* nothing left to read */
		if (room > f->n - f->pos)
			room = f->n - f->pos;
		if (room > ASPEN_FAST_MAX)
			room = ASPEN_FAST_MAX;
		k = (__u32)room;
	} else {
		/* a decided stream's body is read on for the patterns, which
		 * see its strings decoded (aspen_h2_data()): the same runs */
		nest = aspen_http_req_nest_ok(&s->st, &s->r);
		if (!nest && !aspen_http_req_plain_ok(&s->st))
			return 0;
		if (!s->decided) {
			if (s->r.body_seen + 1 >= c->bound)
				return 0;
			if (room > c->bound - s->r.body_seen - 1)
				room = c->bound - s->r.body_seen - 1;
		}
		k = aspen_fast_take(s, (const struct aspen_tls_scratch *)sc, f->pos, f->n, room,
				    nest ? ASPEN_RUN_NEST : ASPEN_RUN_TEXT);
		if (!k)
			return 0;
		aspen_http_req_plain_skip(&s->st, &s->r, k);
	}
#if ASPEN_NEED_BODY_SCAN
	aspen_h2_scan_begin(hs, c);
	aspen_body_run(s, (const struct aspen_tls_scratch *)sc, f->pos, k, (__u32)c->at + 1);
	aspen_h2_scan_note(hs, c);
#endif
	/* what aspen_h2_wnext() and the frame parser count for each byte */
	f->pos += k;
	c->unattributed += k;
	c->at += k;
	c->p.len -= k;
	c->p.data_bytes += k;
	return (int)k;
}

static long aspen_h2_step(__u32 i, void *arg)
{
	struct aspen_h2feed *f = arg;
	struct aspen_h2conn *c = f->c;
	int ev;

	if (f->cur && f->cur_id == c->p.stream && aspen_h2_data_run(&f->p, c, f->cur, f->sc))
		return 0;
	ev = aspen_h2_wnext(&f->p, c, f->sc);

	if (!ev || ev == ASPEN_H2_WALK_SKIP)
		return 0;
	if (ev == ASPEN_H2_WALK_END)
		return 1;
	if (ev < 0) {
		aspen_h2_lose(c, f->s1, ASPEN_UNPARSED_H2_STATE, f->probe);
		return 1;
	}
	if (ev & ASPEN_H2_EV_DATA) {
		if (f->cur_id != c->p.stream) {
			f->cur = aspen_h2_stream(c, c->p.stream);
			f->cur_id = c->p.stream;
		}
		aspen_h2_data(f->cur, c, f->p.b, f->probe);
	}
	if (ev & ~ASPEN_H2_EV_DATA)
		aspen_h2_frame_event(c, ev, f->probe);
	return 0;
}

/* Parse the write (c->wbuf, c->wlen), chunk by chunk: one loop over its
 * bytes that copies the next chunk when it reaches the end of one (a loop
 * of chunks around a loop of bytes would put one more frame on a call
 * chain that is at the verifier's 512-byte stack limit). Global: the loop
 * is verified once. Writes over 8 MiB (the loop's bound) lose the
 * connection. */
#define ASPEN_H2_WRITE_STEPS (1 << 23)

__noinline int aspen_h2_parse_write(struct aspen_h2conn *c, struct aspen_stream *s1,
				    struct aspen_tls_scratch *sc, int probe)
{
	if (!c || !s1 || !sc)
		return 0;
	struct aspen_h2feed f = {.c = c, .s1 = s1, .sc = sc, .cur_id = 0, .probe = probe};

	bpf_loop(ASPEN_H2_WRITE_STEPS, aspen_h2_step, &f, 0);
	return 0;
}

#if ASPEN_NEED_BODY_SCAN
/* This write holds the end of a match to mask in a stream's DATA: stop the
 * writer before the bytes are encrypted and let aspend mask them in place
 * (same length: frame lengths stay right), as aspen_redact_hold() does for
 * HTTP/1.1. aspend masks from the first body byte of such a stream to the
 * end of the write; a match it cannot find whole there (split by a frame
 * header, or begun in an earlier write) denies the session. No aspend
 * alive: the connection is denied. */
static __always_inline void aspen_h2_redact_hold(struct aspen_h2conn *c, struct aspen_stream *s1,
						 const struct aspen_stream_key *key, __u64 buf,
						 __u64 len, int can_hold)
{
	struct aspen_redact_event *e;

	if (can_hold && aspen_daemon_alive()) { /* a Go writer is never held */
		e = bpf_ringbuf_reserve(&aspen_events, sizeof(*e), 0);
		if (e) {
			e->kind = ASPEN_EV_REDACT_HOLD;
			e->tgid = key->tgid;
			e->pid = (__u32)bpf_get_current_pid_tgid();
			e->patterns = c->w_patterns;
			e->matched = c->w_matched;
			e->session = key->session;
			e->buf = buf;
			e->len = len;
			e->body_off = c->w_off;
			/* the stream's request: its line tells whether it was
			 * denied here; several streams: aspend's own line */
			e->req_seq = c->w_req_seq == ~0ULL ? 0 : c->w_req_seq;
			aspen_ends_copy(&e->ends);
			if (!aspen_redact_stop(key->tgid, key->session, buf)) {
				aspen_submit(e, 1);
				return;
			}
			bpf_ringbuf_discard(e, 0);
		} else {
			aspen_count_lost();
		}
	}
	s1->r.unparsed = ASPEN_UNPARSED_NO_REDACT;
	s1->v.rule = ASPEN_RULE_UNINSPECTABLE;
	s1->v.decision = aspen_force_monitor() ? ASPEN_WOULD_DENY : ASPEN_DENY;
	s1->v.audit = 1;
	s1->decided = 1;
	aspen_audit_request(s1, 0);
	if (s1->v.decision == ASPEN_DENY)
		aspen_ledger_flag(s1, ASPEN_LEDGER_DENIED, 0);
}
#endif

/* Is this the start of an HTTP/2 connection (the preface), or an HTTP/2
 * frame where the session's first bytes should be? 1: preface, 2: a frame
 * (the connection began before the probes), 0: neither. */
static __always_inline int aspen_h2_sniff(const void *buf, __u64 len)
{
	__u8 b[24] = {};
	__u64 w0, w1, w2;

	if (len < 9 || bpf_probe_read_user(b, len < 24 ? 9 : 24, buf))
		return 0;
	__builtin_memcpy(&w0, b, 8);
	__builtin_memcpy(&w1, b + 8, 8);
	__builtin_memcpy(&w2, b + 16, 8);
	if (len >= 24 && w0 == AH2_PREFACE_W0 && w1 == AH2_PREFACE_W1 && w2 == AH2_PREFACE_W2)
		return 1;
	/* a frame header: length < 2^16 in practice (its first byte 0, which
	 * no HTTP/1.x method starts with), a known type, the reserved bit clear */
	if (b[0] == 0 && b[3] <= AH2_CONTINUATION && !(b[5] & 0x80))
		return 2;
	return 0;
}

/*
 * The write probe's HTTP/2 path. Returns 1 when the session is HTTP/2 (the
 * write was handled here), 0 to parse it as HTTP/1.x.
 */
static __always_inline int aspen_h2_on_write(const struct aspen_stream_key *key,
					     struct aspen_stream *s1, struct aspen_tls_scratch *sc,
					     const __u8 *buf, __u64 len, int probe, int how,
					     __u64 wptr)
{
	struct aspen_h2conn *c = bpf_map_lookup_elem(&aspen_h2conns, key);
	__u64 skip, g;
	__u32 zk = 0;
	int kind;

	if (!c) {
		/* only a session's very first bytes can start HTTP/2 */
		if (s1->bytes || s1->fresh || s1->decided || s1->st.state || s1->acct)
			return 0;
		kind = aspen_h2_sniff(buf, len);
		if (!kind)
			return 0;
		if (kind == 2) {
			s1->r.unparsed = ASPEN_UNPARSED_H2_MIDSTREAM;
			s1->bytes = len;
			aspen_decide_stream(s1, probe);
			aspen_account(s1);
			s1->unsynced = 1;
			return 1;
		}
		struct aspen_h2conn *z = bpf_map_lookup_elem(&aspen_h2zero, &zk);

		if (!z)
			return 0;
		aspen_h2_init(&z->p, 1);
		aspen_h2_init(&z->rd, 0);
		if (!aspen_reads_follow(key->tgid, how & ASPEN_WRITE_HOLD))
			/* its reads are not seen from the first on: none is
			 * followed, its windows are the initial ones */
			ah2_fail(&z->rd, ASPEN_H2_ERR_LOST);
		z->key = *key;
		z->id = bpf_ktime_get_boot_ns();
		bpf_map_update_elem(&aspen_h2conns, key, z, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&aspen_h2conns, key);
		if (!c)
			return 0;
	}
	if (c->lost) {
		aspen_ledger_flag(s1, 0, (__u16)c->lost);
		return 1;
	}
	c->call_credit = 0;
	skip = 0;
	if (c->replay.len) {
		__s64 n = aspen_replay_check(&c->replay, key, buf, len);

		if (n < 0) { /* not the bytes the last call owes */
			aspen_replay_lose(&c->replay);
			aspen_h2_lose(c, s1, ASPEN_UNPARSED_H2_STATE, probe);
			return 1;
		}
		/* the owed bytes, checked: the credit the last calls' returns
		 * took back of them is this call's now */
		skip = (__u64)n;
		g = aspen_replay_give(&c->replay);
		aspen_h2_ledger_add(c, g, 0);
		c->call_credit = g; /* outright: a stale in_call counted it above */
	}
	c->call_len = len;
	c->call_wptr = wptr;
	c->in_call = 1;
	c->write_seq++;
	c->w_patterns = 0;
	c->w_matched = 0;
	c->w_off = ~0u;
	c->w_req_seq = 0;
	/* a stream's undecided body is held up to the hold bound, and while
	 * the client can send it: the server's flow-control windows, followed
	 * on the read side (aspen_h2_sweep()) */
	c->bound = aspen_hold_bound();
	c->wpos = 0;
	c->wbuf = (__u64)buf;
	c->wlen = len;
	c->wskip = skip;
	aspen_h2_parse_write(c, s1, sc, probe);
	if (c->lost)
		return 1;
	if (c->wpos < len) { /* a copy failed: the rest cannot be followed */
		aspen_h2_lose(c, s1, ASPEN_UNPARSED_H2_STATE, probe);
		return 1;
	}
	aspen_h2_attribute(c, 0);
#if ASPEN_NEED_BODY_SCAN
	if (c->w_matched)
		aspen_h2_redact_hold(c, s1, key, (__u64)buf, len, how & ASPEN_WRITE_HOLD);
#endif
	return 1;
}

/* ---- the read side: the server's frames -------------------------------------
 *
 * What the client reads on an HTTP/2 connection goes through a second
 * struct aspen_h2 (c->rd, the server's side: its own HPACK table), walked by
 * aspen_h2_parse_read(): SETTINGS and WINDOW_UPDATE give the windows
 * (aspen_h2_sweep()); with response rules (ASPEN_NEED_RESPONSE) HEADERS give
 * each stream's :status and DATA go to the HTTP/1.1 response body scan
 * (token usage, JSON and SSE) in the stream's `resp`, and END_STREAM ends
 * the response (aspen_response_emit(): `on response` rules, the audit
 * line); without, those frames are passed over by their length.
 */

/* A WINDOW_UPDATE the client read (on c->rd.stream, c->rd.wu_inc). Global. */
__noinline int aspen_h2_window(struct aspen_h2conn *c)
{
	struct aspen_h2stream *s;

	if (!c)
		return 0;
	if (!c->rd.stream) {
		aspen_h2fc_conn_update(&c->rd, c->conn_sent, c->rd.wu_inc);
		return 0;
	}
	s = aspen_h2_stream(c, c->rd.stream);
	if (s) /* an overflow resets the stream (the client's doing): nothing to hold */
		aspen_h2fc_stream_update(&c->rd, &s->upd, s->sent, c->rd.wu_inc);
	return 0;
}

#if ASPEN_NEED_RESPONSE
__noinline int aspen_response_emit(struct aspen_rstream *s, struct aspen_stream *req, __u32 tgid,
				   int probe); /* aspen_tls.bpf.h */

/* A response's header block (its first; 1xx are interim, trailers change
 * nothing), its END_STREAM, a server's RST_STREAM. Global. */
__noinline int aspen_h2_resp_event(struct aspen_h2conn *c, int ev, int probe)
{
	struct aspen_h2stream *s;
	struct aspen_resp *r;
	__u32 id;

	if (!c)
		return 0;
	id = (ev & ASPEN_H2_EV_HEADERS) ? c->rd.head.stream : c->rd.stream;
	s = aspen_h2_stream(c, id);
	if (!s)
		return 0;
	r = &s->resp.r;
	if ((ev & ASPEN_H2_EV_HEADERS) && !(r->flags & ASPEN_RESP_HEAD_DONE) &&
	    c->rd.head.status >= 200) {
		r->status = c->rd.head.status;
		r->flags |= ASPEN_RESP_HEAD_DONE;
		if (c->rd.head.flags & ASPEN_H2_H_SSE)
			r->flags |= ASPEN_RESP_SSE;
		if (c->rd.head.flags & ASPEN_H2_H_COMPRESSED)
			r->flags |= ASPEN_RESP_COMPRESSED;
		s->resp.st.state = AH_RS_EOF; /* the body ends with the stream */
	}
	if ((ev & ASPEN_H2_EV_END_STREAM) && (r->flags & ASPEN_RESP_HEAD_DONE) &&
	    !(r->flags & ASPEN_RESP_BODY_DONE)) {
		r->flags |= ASPEN_RESP_BODY_DONE;
		aspen_response_emit(&s->resp, &s->s, c->key.tgid, probe);
	}
	return 0;
}

/* A DATA byte of a response (stream hs, may be NULL). Global. */
__noinline int aspen_h2_resp_data(struct aspen_h2stream *hs, __u32 b)
{
	if (!hs || !(hs->resp.r.flags & ASPEN_RESP_HEAD_DONE) ||
	    (hs->resp.r.flags & ASPEN_RESP_BODY_DONE))
		return 0;
	aspen_http_resp_byte(&hs->resp.st, &hs->resp.r, (__u8)b);
	return 0;
}
#endif

struct aspen_h2rfeed {
	struct aspen_h2conn *c;
	const __u8 *buf;
	struct aspen_h2stream *cur; /* the DATA frame's stream, cached */
	__u32 cur_id;
	int probe;
};

/* One byte the client read through the parser (global, for the reason
 * aspen_h2_wnext is). Without responses, header blocks are passed over
 * (aspen_h2_skippable): no HPACK decoder in this walk (8k of the object's
 * 36k instructions, an eighth of clang's time). */
__noinline int aspen_h2_rbyte(struct aspen_h2 *st, __u32 b)
{
	if (!st)
		return ASPEN_H2_ERROR;
	return ASPEN_NEED_RESPONSE ? aspen_h2_byte(st, (__u8)b) : aspen_h2_frame_byte(st, (__u8)b);
}

/* One step of a read's walk: a payload passed over, or one byte parsed
 * (the chunk around it copied first when it is not in the buffer). */
static long aspen_h2_rstep(__u32 i, void *arg)
{
	struct aspen_h2rfeed *f = arg;
	struct aspen_h2conn *c = f->c;
	__u64 pos = c->rpos, left, idx, n;
	__u32 skip;
	__u8 b;
	int ev;

	if (pos >= c->rlen || c->rd.err)
		return 1;
	left = c->rlen - pos;
	skip = aspen_h2_skippable(&c->rd, ASPEN_NEED_RESPONSE);
	if (skip) {
		if (skip > left)
			skip = (__u32)left;
		c->rpos = pos + skip;
		ev = aspen_h2_skipped(&c->rd, skip);
		return ev < 0;
	}
	if (pos < c->rbase || pos >= c->rend) {
		n = left > ASPEN_CHUNK ? ASPEN_CHUNK : left;
		if (bpf_probe_read_user((void *)f->buf, n & (2 * ASPEN_CHUNK - 1),
					(const void *)(c->rbuf + pos))) {
			ah2_fail(&c->rd, ASPEN_H2_ERR_LOST);
			return 1;
		}
		c->rbase = pos;
		c->rend = pos + n;
	}
	idx = pos - c->rbase;
	barrier_var(idx);
	c->rpos = pos + 1;
	b = f->buf[idx & (2 * ASPEN_CHUNK - 1)];
	ev = aspen_h2_rbyte(&c->rd, b);
	if (ev <= 0)
		return ev < 0;
	if (ev & ASPEN_H2_EV_WINDOW)
		aspen_h2_window(c);
#if ASPEN_NEED_RESPONSE
	if (ev & ASPEN_H2_EV_DATA) {
		if (f->cur_id != c->rd.stream) {
			f->cur = aspen_h2_stream(c, c->rd.stream);
			f->cur_id = c->rd.stream;
		}
		aspen_h2_resp_data(f->cur, b);
	}
	if (ev & (ASPEN_H2_EV_HEADERS | ASPEN_H2_EV_END_STREAM))
		aspen_h2_resp_event(c, ev, f->probe);
#endif
	return 0;
}

#define ASPEN_H2_READ_STEPS (1 << 22)

/* Walk what the client read (c->rbuf, c->rlen). A read the walk cannot
 * finish (a failed copy, more steps than the bound) loses the read side:
 * the windows fall back to the initial one, responses are not read. Global. */
__noinline int aspen_h2_parse_read(struct aspen_h2conn *c, struct aspen_tls_scratch *sc, int probe)
{
	if (!c || !sc)
		return 0;
	struct aspen_h2rfeed f = {.c = c, .buf = sc->buf, .cur = 0, .cur_id = 0, .probe = probe};

	bpf_loop(ASPEN_H2_READ_STEPS, aspen_h2_rstep, &f, 0);
	if (c->rpos < c->rlen && !c->rd.err)
		ah2_fail(&c->rd, ASPEN_H2_ERR_LOST);
	return 0;
}

/* The read probe's HTTP/2 path: n bytes the client read into buf. */
static __always_inline void aspen_h2_on_read(struct aspen_h2conn *c, struct aspen_tls_scratch *sc,
					     __u64 buf, __u64 n, int probe)
{
	if (c->rd.err)
		return;
	c->rbuf = buf;
	c->rlen = n;
	c->rpos = 0;
	c->rbase = 0;
	c->rend = 0;
	aspen_h2_parse_read(c, sc, probe);
}

/* The write call returned: a failed call is repeated with the same bytes. */
static __always_inline void aspen_h2_write_ret(__s64 ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct aspen_tid_session *ts = bpf_map_lookup_elem(&aspen_tid_session, &tid);
	struct aspen_ledger *l;
	struct aspen_h2conn *c;
	__u64 sent, taken;
	int rc;

	if (!ts)
		return;
	c = bpf_map_lookup_elem(&aspen_h2conns, &ts->key);
	if (!c || !c->in_call)
		return;
	c->in_call = 0;
	sent = (int)ret > 0 ? aspen_written(c->call_wptr, ret, c->call_len) : 0;
	if (sent == c->call_len && !c->replay.len)
		return; /* all written, nothing was owed (the entry's check leaves len) */
	/* failed (repeated with the same bytes), or wrote part (the next call
	 * brings the rest): until then the credit of what is owed is not
	 * there for bytes no probe saw (what its sent records spent is gone
	 * already) */
	l = bpf_map_lookup_elem(&aspen_ledger, &c->key);
	taken = l && sent < c->call_len ? c->call_credit - aspen_take_back(l, c->call_credit) : 0;
	if ((int)ret > 0)
		rc = aspen_replay_after(&c->replay, &c->key, c->wbuf, c->call_len, sent, taken,
					l && !l->pending);
	else
		rc = aspen_replay_failed(&c->replay, &c->key, c->wbuf, c->call_len, taken);
	if (rc < 0) { /* owed bytes the entry did not check are not the owed ones */
		aspen_replay_lose(&c->replay);
		aspen_h2_lose(c, bpf_map_lookup_elem(&aspen_streams, &c->key), ASPEN_UNPARSED_H2_STATE,
			      ASPEN_PROBE_OPENSSL);
	}
}

#endif
