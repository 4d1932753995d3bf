/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Redaction, the one decision that needs userspace on a kernel in lockdown
 * (no bpf_probe_write_user): the write probe stopped a writer whose buffer
 * holds the end of a match to mask, before the buffer is encrypted. Here
 * the matches are found with the userspace matcher (runtime/lib/rx.h, built
 * from the same regex as the kernel's DFA), checked by their validator
 * (Luhn), overwritten with a mask of the same length (Content-Length stays
 * right), and the writer is resumed. Whatever happens, it is resumed.
 *
 * The kernel records every hold in aspen_redact_held (thread id -> session,
 * HELD) before it stops the writer; aspend marks it DONE before resuming
 * the writer. When aspend dies, its watchdog denies each HELD session,
 * marks it RELEASED and resumes the writer (redact_release_held); a HELD
 * record older than REDACT_ORPHAN_NS (its event long read, nobody resumed
 * it) is released the same way by redact_sweep. A hold event whose record
 * is not HELD was released so: its request is audited as denied and the
 * writer's memory is not touched.
 *
 * Any SIGCONT resumes a stopped writer. One that finds its record HELD (a
 * thread of the program, a shell, aspend resuming the process for another
 * reason) is seen by the kernel's signal tracer (aspen_redact_sigcont): it
 * marks the record ESCAPED and denies the session, so sk_msg drops what
 * the writer sends. aspend audits the denial, leaves the writer's memory
 * alone, and marks the record DONE; until then the kernel holds that
 * thread no more (its writes are denied), so our DONE never lands on a
 * newer hold.
 *
 * A match that began in an earlier write cannot be masked any more (those
 * bytes are encrypted): the request is denied instead, through the
 * thread's verdict the sk_msg program reads.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "audit.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "policy_obj.h"
#include "redact.h"
#include "luhn.h"
#include "rt_jview.h"
#include "rx.h"

#define REDACT_MAX (4u << 20) /* bytes of one write aspend will rewrite */
#define REDACT_ORPHAN_NS (5ULL * 1000 * 1000 * 1000)

/* per request counts (a session's request by its number: keep-alive
 * requests one after the other on the same SSL), reported with its line */
struct session_counts {
	__u32 tgid;
	__u64 req_seq;
	__u64 session;
	struct redact_counts c;
};

static struct session_counts counts[64];
static int ncounts;
static int evict_next; /* full: the entry a new one replaces, round robin */

/* the request's entry, or -1 */
static int counts_index(__u32 tgid, __u64 session, __u64 req_seq)
{
	for (int i = 0; i < ncounts; i++)
		if (counts[i].tgid == tgid && counts[i].session == session &&
		    counts[i].req_seq == req_seq)
			return i;
	return -1;
}

static struct session_counts *counts_for(__u32 tgid, __u64 session, __u64 req_seq)
{
	int i = counts_index(tgid, session, req_seq);
	struct session_counts *c;

	if (i >= 0)
		return &counts[i];
	if (ncounts == (int)(sizeof(counts) / sizeof(counts[0]))) {
		/* bounded: an old one (a request denied before its line, whose
		 * counts nobody takes) is dropped. Until session 38 the table
		 * started again from its first entry, the others lost at once */
		c = &counts[evict_next];
		evict_next = (evict_next + 1) % ncounts;
	} else {
		c = &counts[ncounts++];
	}
	*c = (struct session_counts){.tgid = tgid, .session = session, .req_seq = req_seq};
	return c;
}

/* Sessions on which aspend denied a write that held matches of several
 * HTTP/2 streams (such a hold names no stream: req_seq 0), and when: the
 * lines of the streams with matches to mask begun before then say deny
 * (redact_stream_denied). Bounded, oldest replaced; the time keeps a
 * session that reuses the SSL's address later out of it. */
struct several_denied {
	__u32 tgid;
	__u64 session;
	__u64 ns;
};
#define SEVERAL_MAX 16
static struct several_denied several_denied[SEVERAL_MAX];
static unsigned nseveral;

static void note_several_denied(__u32 tgid, __u64 session)
{
	several_denied[nseveral++ % SEVERAL_MAX] =
	    (struct several_denied){tgid, session, boot_ns()};
}

bool redact_stream_denied(__u32 tgid, __u64 session, __u64 req_seq)
{
	if (!(req_seq & ASPEN_REQ_SEQ_H2))
		return false;
	for (unsigned i = 0; i < SEVERAL_MAX && i < nseveral; i++)
		if (several_denied[i].tgid == tgid && several_denied[i].session == session &&
		    (req_seq & ~ASPEN_REQ_SEQ_H2) <= several_denied[i].ns)
			return true;
	return false;
}

/* Compile the policy's patterns for userspace (once per policy object). */
int redact_prepare(struct policy_obj *p)
{
	for (size_t i = 0; i < p->meta.npatterns && i < 64; i++) {
		const struct aspen_meta_pattern *mp = &p->meta.patterns[i];
		struct rx_error err;

		if (mp->idx < 0 || mp->idx >= 64 || !mp->redact)
			continue; /* only patterns to mask are needed here */
		p->rx[mp->idx] = rx_new(mp->regex, mp->icase ? RX_FLAG_ICASE : 0, &err);
		if (!p->rx[mp->idx]) {
			log_err("pattern %s: %s", mp->name, err.msg);
			return -1;
		}
		p->rx_pattern[mp->idx] = mp;
	}
	return 0;
}

void redact_release(struct policy_obj *p)
{
	for (int i = 0; i < 64; i++)
		rx_free(p->rx[i]);
}

/* A match aspend found in the write: [a, b) in the write's buffer, of
 * pattern pat (masked, or left alone by its validator). */
struct span {
	size_t a, b;
	int pat;
};

static struct span *spans;
static size_t nspans, spans_cap;

static bool span_add(size_t a, size_t b, int pat)
{
	if (nspans == spans_cap) {
		size_t cap = spans_cap ? 2 * spans_cap : 64;
		struct span *n = realloc(spans, cap * sizeof(*n));

		if (!n)
			return false;
		spans = n;
		spans_cap = cap;
	}
	spans[nspans++] = (struct span){a, b, pat};
	return true;
}

struct mask_ctx {
	uint8_t *buf;	  /* the write */
	const struct rt_jview *view; /* the body decoded (its byte 0 is buf[base]) */
	size_t base;
	const char *mask; /* cycled over the match: the length never changes */
	size_t masklen;
	aspen_validator_fn valid;
	int pat;
	unsigned n;
	bool lost; /* a span could not be kept: nothing can be checked */
};

static int mask_span(size_t start, size_t end, void *arg)
{
	struct mask_ctx *m = arg;

	m->lost |= !span_add(start, end, m->pat);
	if (m->valid && !m->valid(m->buf + start, end - start))
		return 0; /* e.g. 16 digits that are no card number */
	for (size_t i = start; i < end; i++)
		m->buf[i] = (uint8_t)m->mask[(i - start) % m->masklen];
	m->n++;
	return 0;
}

/* A match found in the body as the kernel read it (m->view, JSON escapes
 * decoded): masked where it is plain on the wire; one written with
 * escapes is left as it is (and explains none of the kernel's ends: the
 * request is denied). */
static int mask_view_span(size_t start, size_t end, void *arg)
{
	struct mask_ctx *m = arg;
	size_t a, b;

	if (!rt_jview_plain(m->view, start, end, &a, &b))
		return 0;
	return mask_span(m->base + a, m->base + b, m);
}

/* The longest JSON escape (a surrogate pair) */
#define ESCAPE_MAX 12

/* The raw bytes of the JSON escape at buf[b] (a backslash): 2, 6, or 12
 * for a surrogate pair; 0 if none starts there. */
static size_t escape_len(const uint8_t *buf, size_t len, size_t b)
{
	if (b + 1 >= len || buf[b] != '\\')
		return 0;
	if (buf[b + 1] != 'u')
		return 2;
	if (b + 7 < len && (buf[b + 2] | 0x20) == 'd' && buf[b + 3] &&
	    strchr("89abAB", buf[b + 3]) && buf[b + 6] == '\\' && buf[b + 7] == 'u')
		return ESCAPE_MAX; /* a high half and its low half: one character */
	return 6;
}

/* Chunk framing between a match and the next character: at most this long
 * ("\r\n", the size, an extension, "\r\n") */
#define FRAMING_MAX 64

/* The length of HTTP/1.1 chunk framing at buf[b]: "\r\n" SIZE [";" EXT]
 * "\r\n" with SIZE not 0 (a body that goes on), at most FRAMING_MAX; 0
 * when there is none. */
static size_t chunk_framing(const uint8_t *buf, size_t len, size_t b)
{
	size_t i = b + 2, end = len < b + FRAMING_MAX ? len : b + FRAMING_MAX;
	bool size = false;

	if (b + 2 > end || buf[b] != '\r' || buf[b + 1] != '\n')
		return 0;
	for (; i < end && isxdigit(buf[i]); i++)
		size |= buf[i] != '0';
	if (i < end && buf[i] == ';')
		while (i < end && buf[i] != '\r')
			i++;
	if (!size || i + 2 > end || buf[i] != '\r' || buf[i + 1] != '\n')
		return 0;
	return i + 2 - b;
}

/* The length of an HTTP/2 DATA frame header at buf[b] whose payload goes
 * on with the body: 9 bytes (length > 0, type DATA, flags END_STREAM or
 * PADDED only, a client stream), 10 with its pad length byte; 0 when
 * there is none. */
static size_t h2_data_framing(const uint8_t *buf, size_t len, size_t b)
{
	const uint8_t *h = buf + b;
	uint32_t flen, sid;
	size_t n;

	if (b + 9 > len || b + 9 < b)
		return 0;
	flen = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
	sid = (uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8];
	if (h[3] != 0 || (h[4] & ~0x09) || !(sid & 1) || (sid & 0x80000000u))
		return 0;
	n = (h[4] & 0x08) ? 10 : 9; /* PADDED: the pad length byte */
	if (b + n > len || flen < n - 9 + 1 + (n == 10 ? h[9] : 0))
		return 0; /* no payload byte to resume at */
	return n;
}

static bool word_byte(unsigned c)
{
	return c < 128 && (isalnum(c) || c == '_');
}

/* Framing after which the body resumes at buf[b]: HTTP/1.1 chunk framing,
 * else an HTTP/2 DATA frame header; 0 when neither. Either way the kernel
 * must have resumed the body right after it (a break), which is checked
 * by the caller. */
static size_t resume_framing(const uint8_t *buf, size_t len, size_t b)
{
	size_t f = chunk_framing(buf, len, b);

	return f ? f : h2_data_framing(buf, len, b);
}

/* Whether the character at buf[r], a byte or a JSON escape, is no word
 * character (so a \b holds before it); *last: its last byte, where the
 * kernel reads it. */
static bool nonword_at(const uint8_t *buf, size_t len, size_t r, size_t *last)
{
	size_t esc = escape_len(buf, len, r);
	unsigned c = buf[r];

	*last = r + (esc ? esc : 1) - 1;
	if (esc == 2)
		return true; /* \n \t \" \\ ...: a control or a punctuation byte */
	if (esc) {
		char hex[5] = {0};

		if (r + 6 > len)
			return false;
		memcpy(hex, buf + r + 2, 4);
		c = (unsigned)strtoul(hex, NULL, 16);
	}
	return !word_byte(c);
}

/* The kernel notes ends and breaks in the order it reads the write: the
 * breaks (entries with no patterns) are in order, copied here to be
 * searched. And mask_all finds one pattern's spans after another's, each
 * in order and apart: pattern i's are spans[pat_at[i] .. + pat_n[i]).
 * Each end is then checked in O(log n), where a walk over every span and
 * break for each made a write with a thousand matches cost 10^9 steps. */
static struct aspen_redact_end breaks[ASPEN_REDACT_ENDS];
static size_t nbreaks, pat_at[32], pat_n[32];

static void index_ends(const struct aspen_redact_ends *en)
{
	nbreaks = 0;
	for (__u32 k = 0; k < en->n && k < ASPEN_REDACT_ENDS; k++)
		if (!en->e[k].pats)
			breaks[nbreaks++] = en->e[k];
	memset(pat_n, 0, sizeof(pat_n));
	for (size_t i = nspans; i-- > 0;) {
		pat_at[spans[i].pat] = i;
		pat_n[spans[i].pat]++;
	}
}

/* Whether a break (an entry with no patterns) covers offset a */
static bool is_break(size_t a)
{
	size_t lo = 0, hi = nbreaks;

	while (lo < hi) { /* the first break starting after a */
		size_t mid = lo + (hi - lo) / 2;

		if (breaks[mid].from <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && a <= breaks[lo - 1].to;
}

/* Whether a match aspend found explains the kernel's DFA accepting pattern
 * pat on the byte at p of the write: p inside the match (a pattern that
 * goes on matching, `{20,}`), on its last byte, or on the character after
 * it (a closing \b, decided by the next character: a raw byte or a JSON
 * escape, whose last byte the kernel reads it at). A match that starts at
 * a break explains nothing: there the body resumed, after bytes the
 * patterns do not read (the write's start, chunk framing, a frame header),
 * inside a JSON escape or a possible match (an entry of the kernel's with
 * no patterns, aspen_body_resume()). It begins with an escape's last
 * bytes, or is the tail of a match whose head was sent before or sits
 * before the framing. */
static bool end_explained(const uint8_t *buf, size_t len, int pat, size_t p)
{
	size_t first = pat_at[pat], lo = first, hi = first + pat_n[pat];

	while (lo < hi) { /* the first span of pat starting after p */
		size_t mid = lo + (hi - lo) / 2;

		if (spans[mid].a <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* back over the spans that start at or before p, while one could
	 * still reach it (spans of a pattern are apart: their ends go down) */
	for (size_t i = lo; i-- > first && spans[i].b + ESCAPE_MAX + FRAMING_MAX >= p;) {
		const struct span *sp = &spans[i];
		size_t esc, f, last;

		if (is_break(sp->a))
			continue;
		if (p <= sp->b)
			return true;
		esc = escape_len(buf, len, sp->b);
		if (esc && p == sp->b + esc - 1)
			return true;
		/* the match ends where its chunk or HTTP/2 DATA frame does:
		 * the kernel reads its closing \b at the next chunk's or
		 * frame's first character, past the framing or the frame
		 * header (it resumed there: a break). Only a word character
		 * before and none after: a match that goes on past the framing
		 * is not this one (`123-45-678` | `9`: denied) */
		f = sp->b > sp->a && word_byte(buf[sp->b - 1]) ? resume_framing(buf, len, sp->b)
							       : 0;
		if (f && is_break(sp->b + f) && nonword_at(buf, len, sp->b + f, &last) && p == last)
			return true;
	}
	return false;
}

static void log_unexplained(const struct aspen_redact_event *e, const struct aspen_meta_pattern *mp,
			    __u64 at)
{
	log_warn("pid %u: pattern %s: a match ends at byte %llu of this write that is not "
		 "there whole and plain (written with escapes, or begun in an earlier write)",
		 e->tgid, mp ? mp->name : "?", (unsigned long long)at);
}

/* Every place the kernel saw a match to mask end (e->ends) explained by a
 * match found plain in the buffer; false with the first that is not. */
static bool ends_explained(struct policy_obj *p, const struct aspen_redact_event *e,
			   const uint8_t *buf, size_t len)
{
	const struct aspen_redact_ends *en = &e->ends;
	__u64 placed = 0;

	if (en->over) {
		log_warn("pid %u: more than %d matches to mask in one write: not checked", e->tgid,
			 ASPEN_REDACT_ENDS);
		return false;
	}
	index_ends(en);
	for (__u32 k = 0; k < en->n && k < ASPEN_REDACT_ENDS; k++) {
		const struct aspen_redact_end *x = &en->e[k];

		for (int i = 0; i < 32; i++) {
			if (!(x->pats & (1u << i)))
				continue;
			placed |= 1ULL << i;
			for (__u64 at = x->from; at <= x->to; at++) {
				if (end_explained(buf, len, i, (size_t)at))
					continue;
				log_unexplained(e, p->rx_pattern[i], at);
				return false;
			}
		}
	}
	if (e->matched & e->patterns & ~placed) {
		log_warn("pid %u: the kernel saw a match to mask end but not where", e->tgid);
		return false;
	}
	return true;
}

/* The session's request is denied: its connection sends nothing more. */
void redact_deny_ledger(int ledger_fd, __u32 tgid, __u64 session)
{
	struct aspen_stream_key key = { .tgid = tgid, .session = session };
	struct aspen_ledger l = { 0 };

	if (ledger_fd < 0)
		return;
	bpf_map_lookup_elem(ledger_fd, &key, &l);
	l.flags |= ASPEN_LEDGER_DENIED;
	l.rule = ASPEN_RULE_UNINSPECTABLE;
	l.reason = ASPEN_UNPARSED_NO_REDACT;
	bpf_map_update_elem(ledger_fd, &key, &l, BPF_ANY);
}

static void deny_session(struct policy_obj *p, __u32 tgid, __u64 session)
{
	redact_deny_ledger(policy_map_fd(p->maps.ledger), tgid, session);
}

void redact_release_held(int held_fd, int ledger_fd, __u32 tid, const struct aspen_redact_held *h)
{
	struct aspen_redact_held r = *h;

	redact_deny_ledger(ledger_fd, h->tgid, h->session);
	r.state = ASPEN_REDACT_RELEASED; /* the thread is stopped: the kernel writes no other */
	bpf_map_update_elem(held_fd, &tid, &r, BPF_EXIST);
	kill((pid_t)h->tgid, SIGCONT);
}

unsigned redact_sweep(struct policy_obj *p, bool all)
{
	int fd = policy_map_fd(p->maps.redact_held), ledger = policy_map_fd(p->maps.ledger);
	__u32 key, next, *prev = NULL;
	__u64 now = boot_ns();
	unsigned n = 0;

	while (fd >= 0 && bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct aspen_redact_held h;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &h) ||
		    (h.state != ASPEN_REDACT_HELD && h.state != ASPEN_REDACT_ESCAPED) ||
		    (!all && now - h.since_ns < REDACT_ORPHAN_NS))
			continue;
		log_warn("pid %u: held for redaction %llu ms ago and never resumed%s: resumed now, "
			 "its request denied", h.tgid,
			 (unsigned long long)((now - h.since_ns) / 1000000),
			 all ? " (by a previous aspend)" : "");
		redact_release_held(fd, ledger, key, &h);
		n++;
	}
	return n;
}

bool redact_holds_pending(struct policy_obj *p, __u32 tgid)
{
	int fd = policy_map_fd(p->maps.redact_held);
	char path[64];
	struct dirent *de;
	bool held = false;
	DIR *dir;

	if (fd < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%u/task", tgid);
	if (!(dir = opendir(path)))
		return false;
	while (!held && (de = readdir(dir))) {
		struct aspen_redact_held h;
		__u32 tid = (__u32)strtoul(de->d_name, NULL, 10);

		held = tid && bpf_map_lookup_elem(fd, &tid, &h) == 0 && h.tgid == tgid &&
		       h.state == ASPEN_REDACT_HELD;
	}
	closedir(dir);
	return held;
}

/* The kernel's record of this hold: ASPEN_REDACT_HELD (the writer waits
 * for us), ESCAPED (a SIGCONT not ours resumed it: the kernel denied its
 * session), or 0: released by a watchdog while no aspend ran, or gone. */
static int hold_state(struct policy_obj *p, const struct aspen_redact_event *e,
		      struct aspen_redact_held *h)
{
	int fd = policy_map_fd(p->maps.redact_held);
	__u32 tid = e->pid;

	if (fd < 0)
		return ASPEN_REDACT_HELD;
	if (bpf_map_lookup_elem(fd, &tid, h) || h->tgid != e->tgid || h->session != e->session ||
	    h->buf != e->buf)
		return 0;
	if (h->state != ASPEN_REDACT_HELD && h->state != ASPEN_REDACT_ESCAPED)
		return 0;
	return (int)h->state;
}

/* Before the SIGCONT (the writer is stopped: the kernel writes no other
 * record for it), so that its next write may be held again at once.
 * Returns false when a SIGCONT not ours resumed the writer first (the
 * record ESCAPED: the kernel denied its session). The swap is the kernel's
 * (aspen_redact_done): a map update would replace the record, and a
 * SIGCONT tracer that had just read HELD would mark the old one ESCAPED
 * and deny the session while we audit it as masked and allowed. */
static bool hold_done(struct policy_obj *p, const struct aspen_redact_event *e,
		      struct aspen_redact_held *h, __u32 from)
{
	static bool swap_failed; /* said once */
	int fd = policy_map_fd(p->maps.redact_held);
	int prog = p->progs.redact_done ? bpf_program__fd(p->progs.redact_done) : -1;
	struct aspen_redact_done_ctx c = {
	    .tid = e->pid, .tgid = e->tgid, .session = e->session, .buf = e->buf, .from = from};
	/* a syscall program's context comes back in ctx_in (no ctx_out) */
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &c, .ctx_size_in = sizeof(c));
	__u32 tid = e->pid;

	if (prog >= 0 && !bpf_prog_test_run_opts(prog, &o))
		return from != ASPEN_REDACT_HELD || c.was != ASPEN_REDACT_ESCAPED;
	if (prog >= 0 && !swap_failed) {
		swap_failed = true;
		log_warn("aspen_redact_done: %s: a hold is marked done by a map update",
			 strerror(errno));
	}
	/* an object built before aspen_redact_done */
	h->state = ASPEN_REDACT_DONE;
	if (fd >= 0)
		bpf_map_update_elem(fd, &tid, h, BPF_EXIST);
	return true;
}

/* After the hold's record says DONE. A stop is the whole process's:
 * another thread of it may have been held too, an instant after this one
 * (its record HELD, its event after this one in the ring). Our SIGCONT
 * would resume it unmasked (and the kernel deny its request): its own
 * resume is left to do it. (A record HELD whose event never comes is
 * released by redact_sweep, after REDACT_ORPHAN_NS.) */
void redact_resume(struct policy_obj *p, __u32 tgid, size_t rec_len)
{
	/* no record after ours in the ring: no other hold (the kernel
	 * reserves its event before it records the hold); else look. Read
	 * now, just before the SIGCONT: another thread's hold may have come
	 * while we worked (its stop was not the whole process's yet) */
	if (!(rec_len && ringpos_only(&p->rpos, rec_len)) && redact_holds_pending(p, tgid))
		return;
	if (kill((pid_t)tgid, SIGCONT) < 0 && errno != ESRCH)
		log_warn("pid %u: SIGCONT: %s", tgid, strerror(errno));
}

#define ESCAPED_WHY                                                                                \
	"its writer ran before its match to mask was masked (resumed by a SIGCONT not "            \
	"aspend's, or never stopped: a tracer)"

/* A SIGCONT not ours resumed the writer before we were done with it (or
 * a tracer never let it stop): the kernel denied its session
 * (aspen_redact_escape), so nothing of it left unmasked. Its line says
 * so; the record is marked DONE and the writer resumed all the same (a
 * SIGCONT that came before the kernel's SIGSTOP leaves it stopped now). */
static void hold_escaped(struct daemon *d, struct policy_obj *p, const struct aspen_redact_event *e,
			 struct session_counts *sc, struct aspen_redact_held *h, bool line_pending)
{
	sc->c.escaped = true;
	deny_session(p, e->tgid, e->session);
	if (!e->req_seq)
		note_several_denied(e->tgid, e->session);
	if (!line_pending)
		audit_redact_denied(d, p, ESCAPED_WHY, e);
	log_warn("pid %u: a writer held for redaction ran before it was masked (another "
		 "SIGCONT, or a tracer): request denied",
		 e->tgid);
	hold_done(p, e, h, ASPEN_REDACT_ESCAPED);
	redact_resume(p, e->tgid, sizeof(*e));
}

/* The copy of a held writer's buffer: kept from hold to hold (grown, never
 * shrunk: at most REDACT_MAX), no allocation on the writer's wait; wiped
 * after each use (it held what was masked). */
static uint8_t *hold_copy;
static size_t hold_cap;

static uint8_t *hold_buf(size_t len)
{
	if (len > hold_cap) {
		size_t cap = hold_cap ? hold_cap : 4096;
		uint8_t *b;

		while (cap < len)
			cap *= 2;
		if (!(b = malloc(cap)))
			return NULL;
		free(hold_copy);
		hold_copy = b;
		hold_cap = cap;
	}
	return hold_copy;
}

static bool read_buf(pid_t pid, __u64 addr, uint8_t *buf, size_t len, bool write)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
			  : process_vm_readv(pid, &local, 1, &remote, 1, 0);

	return n == (ssize_t)len;
}

/* Mask every pattern of the event in buf[off..len); returns false when a
 * match the kernel saw end cannot be found whole and plain in this write
 * (ends_explained): then the request is denied. */
static bool mask_all(struct policy_obj *p, const struct aspen_redact_event *e, uint8_t *buf,
		     size_t off, size_t len, struct session_counts *sc, bool *changed)
{
	static struct rt_jview view;
	bool lost = false;
	/* with an escape in the body, search it as the kernel read it (from
	 * the byte before it, the context of a \b at its start) */
	size_t base = off ? off - 1 : 0;
	bool decoded = memchr(buf + off, '\\', len - off) != NULL;

	if (decoded && !rt_jview_build(&view, buf + base, len - base)) {
		log_warn("pid %u: no memory to decode a write of %zu bytes", e->tgid, len);
		return false;
	}
	nspans = 0;
	for (int i = 0; i < 32; i++) {
		const struct aspen_meta_pattern *mp = p->rx_pattern[i];
		struct mask_ctx m = {.buf = buf, .pat = i, .view = &view, .base = base};

		if (!(e->patterns & (1u << i)) || !p->rx[i] || !mp)
			continue;
		m.mask = mp->mask && mp->mask[0] ? mp->mask : "*";
		m.masklen = strlen(m.mask);
		m.valid = mp->validator ? aspen_validator(mp->validator) : NULL;
		/* one pass finds and masks (each match is masked once found, and
		 * the search goes on past its end); a span that fails its
		 * validator (Luhn) is found and rightly left alone */
		/* from the body's first byte in the write, the byte before it
		 * read as context: from a body that begins with an escape's last
		 * hex digit (`\u003` | `001-01-0001`), the digits after it are
		 * no match, as the kernel reads them */
		if (decoded)
			rx_find_at(p->rx[i], view.dec, view.n, off - base, mask_view_span, &m);
		else
			rx_find_at(p->rx[i], buf, len, off, mask_span, &m);
		lost |= m.lost;
		sc->c.count[i] += m.n;
		*changed |= m.n > 0;
	}
	if (view.cap > (1u << 20))
		rt_jview_free(&view); /* 5 bytes a byte: not kept after a big write */
	/* the spans' bytes are masks now, the bytes after them as they were */
	return !lost && ends_explained(p, e, buf, len);
}

/* ASPEN_REDACT_PROFILE=FILE (a debugging aid, not an option): the phases
 * of each hold in CLOCK_BOOTTIME ns, kept in memory and written to FILE
 * when aspend exits, one hold a line: the kernel's stop (since_ns), the
 * ring's wakeup (epoll returned), the handler's start, after the record
 * lookup, the read, the masking, the write, the DONE update, the SIGCONT.
 * Timestamps only: nothing of the buffer. */
#define PROF_MAX 65536
enum {
	PROF_STOP,
	PROF_WAKE,
	PROF_START,
	PROF_LOOKUP,
	PROF_READ,
	PROF_MASK,
	PROF_WRITE,
	PROF_DONE,
	PROF_CONT,
	PROF_N
};
static __u64 (*prof)[PROF_N];
static unsigned nprof;
static const char *prof_path;
__u64 redact_wake_ns;
/* ASPEN_REDACT_TEST_RACE=1, a test aid (e2e test_tls_redact_race): aspend
 * itself sends the held writer a SIGCONT just before it marks the hold
 * DONE, the window in which a SIGCONT not aspend's could land */
static bool race_test;

void redact_profile_start(void)
{
	const char *race = getenv("ASPEN_REDACT_TEST_RACE");

	race_test = race && !strcmp(race, "1");
	if (race_test)
		log_warn("ASPEN_REDACT_TEST_RACE=1: every writer held for redaction is resumed "
			 "before its hold is done (a test aid: its requests are denied)");
	prof_path = getenv("ASPEN_REDACT_PROFILE");
	if (prof_path && *prof_path && !(prof = calloc(PROF_MAX, sizeof(*prof))))
		prof_path = NULL;
}

void redact_profile_dump(void)
{
	FILE *f;

	if (!prof || !(f = fopen(prof_path, "w")))
		return;
	for (unsigned i = 0; i < nprof; i++)
		for (int k = 0; k < PROF_N; k++)
			fprintf(f, "%llu%c", (unsigned long long)prof[i][k],
				k == PROF_N - 1 ? '\n' : ' ');
	fclose(f);
}

#define PROF(k)                                                                                    \
	do {                                                                                       \
		if (pr)                                                                            \
			pr[k] = boot_ns();                                                         \
	} while (0)

void redact_on_hold(struct daemon *d, struct policy_obj *p, const struct aspen_redact_event *e,
		    bool line_pending)
{
	__u64 *pr = prof && nprof < PROF_MAX ? prof[nprof] : NULL;
	struct session_counts *sc = counts_for(e->tgid, e->session, e->req_seq);
	size_t len = e->len, off = e->body_off == ~0u ? 0 : e->body_off;
	bool changed = false, ok = false;
	int state;
	uint8_t *buf = NULL;
	struct timespec t0, t1;
	struct aspen_redact_held held = {0};

	clock_gettime(CLOCK_MONOTONIC, &t0);
	PROF(PROF_START);
	state = hold_state(p, e, &held);
	if (state == ASPEN_REDACT_ESCAPED) {
		hold_escaped(d, p, e, sc, &held, line_pending);
		return;
	}
	if (state != ASPEN_REDACT_HELD) {
		/* its writer runs again: its memory is not ours to touch */
		audit_redact_denied(d, p,
				    "held for redaction when aspend died: resumed unmasked by the "
				    "watchdog, its request denied", e);
		log_warn("pid %u: a write held for redaction was released while no aspend ran: "
			 "request denied", e->tgid);
		return;
	}
	PROF(PROF_LOOKUP);
	if (pr) {
		pr[PROF_STOP] = held.since_ns;
		pr[PROF_WAKE] = redact_wake_ns;
	}

	if (len > REDACT_MAX || off >= len || !(buf = hold_buf(len))) {
		log_warn("pid %u: a write of %zu bytes (body at %zu) is not rewritten", e->tgid, len,
			 off);
	} else if (!read_buf((pid_t)e->tgid, e->buf, buf, len, false)) {
		log_warn("pid %u: cannot read its buffer: %s", e->tgid, strerror(errno));
	} else {
		PROF(PROF_READ);
		/* never the buffer itself: it holds what is being masked */
		if (d->opts.verbose)
			log_info("pid %u: redact hold: %zu bytes, body at %zu, patterns 0x%x, "
				 "matched 0x%llx, ends %u%s (first %u-%u) seq %llu",
				 e->tgid, len, off, e->patterns, (unsigned long long)e->matched,
				 e->ends.n, e->ends.over ? "+" : "", e->ends.e[0].from,
				 e->ends.e[0].to, (unsigned long long)e->req_seq);
		if (d->opts.verbose) {
			char list[256];
			size_t used = 0;

			list[0] = 0;
			for (__u32 k = 0; k < e->ends.n && k < 8 && used < sizeof(list) - 40; k++)
				used += (size_t)snprintf(list + used, sizeof(list) - used,
							 " %u-%u:%x", e->ends.e[k].from,
							 e->ends.e[k].to, e->ends.e[k].pats);
			log_info("pid %u: ends (offset-offset:patterns, 0: a break):%s", e->tgid,
				 list);
		}
		ok = mask_all(p, e, buf, off, len, sc, &changed);
		PROF(PROF_MASK);
		/* its writer may have been resumed meanwhile: then its memory
		 * is not ours to touch (the kernel denied its session) */
		if (ok && changed && hold_state(p, e, &held) != ASPEN_REDACT_HELD) {
			explicit_bzero(buf, len);
			hold_escaped(d, p, e, sc, &held, line_pending);
			return;
		}
		if (ok && changed && !read_buf((pid_t)e->tgid, e->buf, buf, len, true)) {
			log_warn("pid %u: cannot write its buffer: %s", e->tgid, strerror(errno));
			ok = false;
		}
	}
	if (!ok) {
		sc->c.split = true;
		deny_session(p, e->tgid, e->session);
		if (!e->req_seq)
			note_several_denied(e->tgid, e->session);
		/* its own line, held back for these counts, says it (audit.c);
		 * else (its end not parsed yet, HTTP/2 streams) a line of its own */
		if (!line_pending)
			audit_redact_denied(d, p,
					    "a match to mask cannot be masked in place "
					    "(it began in an earlier write, or is written with "
					    "escapes)",
					    e);
		log_warn("pid %u: a match to mask could not be masked in place: request denied",
			 e->tgid);
	}
	PROF(PROF_WRITE);
	if (race_test)
		kill((pid_t)e->tgid, SIGCONT);
	if (!hold_done(p, e, &held, ASPEN_REDACT_HELD)) {
		/* resumed by a SIGCONT not ours before DONE: the kernel cut
		 * its session (a denial already audited says so itself) */
		if (ok) {
			if (buf)
				explicit_bzero(buf, len);
			hold_escaped(d, p, e, sc, &held, line_pending);
			return;
		}
		hold_done(p, e, &held, ASPEN_REDACT_ESCAPED);
	}
	PROF(PROF_DONE);
	redact_resume(p, e->tgid, sizeof(*e));
	PROF(PROF_CONT);
	if (pr)
		nprof++;
	if (buf) /* after the writer runs again: it held what was masked */
		explicit_bzero(buf, len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_hold("redact", (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000);
	(void)d;
}

/* The counts of a request's masked matches, for its line (taken: a later
 * hold with the same key starts from zero). false if none were kept. */
bool redact_take_counts(__u32 tgid, __u64 session, __u64 req_seq, struct redact_counts *out)
{
	int i = counts_index(tgid, session, req_seq);

	if (i < 0)
		return false;
	*out = counts[i].c;
	counts[i] = counts[--ncounts]; /* taken: its place for another */
	return true;
}
