/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Models named in the URL path: a request's path against a provider's
 * `model_paths` templates (stdlib-policies/providers.asp), one step at a
 * time. Compiles as eBPF C and as host C (tests/unit/test_path_model.c),
 * like aspen_http.h: no tables, every store indexed `i & (LEN - 1)`.
 *
 * A template as the compiler encodes it (compiler/src/emit_c.c): bytes
 * compared as they are, ASPEN_TMPL_MODEL where the policy wrote `{model}`,
 * ASPEN_TMPL_STAR for `*`, NUL-terminated, at most ASPEN_TMPL_LEN - 2
 * bytes (the generated table keeps the provider index in the last byte). Matching is left to right without backtracking:
 *
 *   literal  the same byte;
 *   `*`      any bytes up to the first one equal to the template's next
 *            byte, never a '/'; a `*` that ends the template takes the
 *            rest of the path, query included;
 *   {model}  one byte or more up to the first one equal to the template's
 *            next byte, never '/' or '?' (unless that is the next byte);
 *            at the template's end, up to the path's end or its '?'.
 *            The bytes are percent-decoded (%3A is ':'): Bedrock's model
 *            ids and ARNs are sent URL-encoded. A bad %-escape: no match;
 *   end      the path ends, or its query ('?') begins.
 *
 * The model is cut at ASPEN_MODEL_LEN - 1 bytes (trunc set); a capture
 * that runs into the end of a path the parser cut (ASPEN_PATH_LEN - 1
 * bytes) is taken as far as it goes, cut too.
 */
#ifndef ASPEN_PATH_MODEL_H
#define ASPEN_PATH_MODEL_H

#include "aspen_shared.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define ASPEN_TMPL_LEN 64    /* bytes of an encoded template, NUL included */
#define ASPEN_TMPL_MODEL 0x01 /* `{model}` */
#define ASPEN_TMPL_STAR 0x02  /* `*` */
/* in a row's last byte, with the provider's index: a stream_paths row */
#define ASPEN_TMPL_STREAM_ROW 64
/* steps to match one template: each consumes a path or a template byte,
 * or switches mode once before doing so */
#define ASPEN_PM_STEPS (2 * (ASPEN_PATH_LEN + ASPEN_TMPL_LEN))

enum { AH_PM_LIT = 0, AH_PM_STAR, AH_PM_CAP };
enum { AH_PM_RUN = 0, AH_PM_MATCH = 1, AH_PM_FAIL = 2 };

struct aspen_pm {
	__u32 pi;   /* next path byte       */
	__u32 ti;   /* next template byte   */
	__u32 oi;   /* bytes of out         */
	__u8 mode;  /* AH_PM_*              */
	__u8 pct;   /* %-escape: 0, 1 (after %), 2 (after %X) */
	__u8 hex;   /* the first hex digit  */
	__u8 trunc; /* out was cut          */
	char out[ASPEN_MODEL_LEN];
};

static __always_inline int aspen_pm_hex(__u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static __always_inline void aspen_pm_put(struct aspen_pm *m, __u8 c)
{
	if (m->oi < ASPEN_MODEL_LEN - 1) {
		m->out[m->oi & (ASPEN_MODEL_LEN - 1)] = (char)c;
		m->oi++;
	} else {
		m->trunc = 1;
	}
}

/* The capture ends here: it must hold a byte and no half %-escape. */
static __always_inline int aspen_pm_cap_end(struct aspen_pm *m)
{
	if (!m->oi || m->pct)
		return AH_PM_FAIL;
	m->out[m->oi & (ASPEN_MODEL_LEN - 1)] = 0;
	m->mode = AH_PM_LIT;
	return AH_PM_RUN;
}

/* One byte of the capture. */
static __always_inline int aspen_pm_cap_byte(struct aspen_pm *m, __u8 c)
{
	int h;

	m->pi++;
	if (m->pct == 0) {
		if (c == '%')
			m->pct = 1;
		else
			aspen_pm_put(m, c);
		return AH_PM_RUN;
	}
	h = aspen_pm_hex(c);
	if (h < 0)
		return AH_PM_FAIL;
	if (m->pct == 1) {
		m->hex = (__u8)h;
		m->pct = 2;
		return AH_PM_RUN;
	}
	m->pct = 0;
	aspen_pm_put(m, (__u8)((m->hex << 4) | h));
	return AH_PM_RUN;
}

/* One step of matching path (ASPEN_PATH_LEN bytes, NUL-terminated) against
 * tmpl (ASPEN_TMPL_LEN bytes). AH_PM_RUN: call again; AH_PM_MATCH: out
 * holds the model (NUL-terminated); AH_PM_FAIL: no match. Start from a
 * zeroed struct aspen_pm. */
static __always_inline int aspen_pm_step(struct aspen_pm *m, const char *path, const char *tmpl)
{
	__u32 pi = m->pi, ti = m->ti;
	__u8 c = pi < ASPEN_PATH_LEN - 1 ? (__u8)path[pi & (ASPEN_PATH_LEN - 1)] : 0;
	__u8 t = ti < ASPEN_TMPL_LEN - 2 ? (__u8)tmpl[ti & (ASPEN_TMPL_LEN - 1)] : 0;

	if (m->mode == AH_PM_STAR) {
		if (!t)
			return AH_PM_MATCH; /* a trailing `*`: the rest */
		if (c == t) {
			m->mode = AH_PM_LIT;
			return AH_PM_RUN;
		}
		if (!c || c == '/')
			return AH_PM_FAIL;
		m->pi = pi + 1;
		return AH_PM_RUN;
	}
	if (m->mode == AH_PM_CAP) {
		if (!c && pi >= ASPEN_PATH_LEN - 1) {
			/* the parser cut the path inside the model: take what there is */
			m->trunc = 1;
			m->pct = 0;
			if (aspen_pm_cap_end(m) != AH_PM_RUN)
				return AH_PM_FAIL;
			return AH_PM_MATCH;
		}
		if (!t) {
			if (!c || c == '?')
				return aspen_pm_cap_end(m) == AH_PM_RUN ? AH_PM_MATCH : AH_PM_FAIL;
			if (c == '/')
				return AH_PM_FAIL;
			return aspen_pm_cap_byte(m, c);
		}
		if (c == t && !m->pct)
			return aspen_pm_cap_end(m);
		if (!c || c == '/' || c == '?')
			return AH_PM_FAIL;
		return aspen_pm_cap_byte(m, c);
	}
	/* AH_PM_LIT */
	if (t == ASPEN_TMPL_MODEL) {
		m->mode = AH_PM_CAP;
		m->ti = ti + 1;
		return AH_PM_RUN;
	}
	if (t == ASPEN_TMPL_STAR) {
		m->mode = AH_PM_STAR;
		m->ti = ti + 1;
		return AH_PM_RUN;
	}
	if (!t)
		return (!c || c == '?') && m->oi ? AH_PM_MATCH : AH_PM_FAIL;
	if (c != t)
		return AH_PM_FAIL;
	m->pi = pi + 1;
	m->ti = ti + 1;
	return AH_PM_RUN;
}

#if !defined(__bpf__) && !defined(__BPF__)
/* Host: the whole match (unit tests). 1: out holds the model. */
static inline int aspen_pm_match(struct aspen_pm *m, const char *path, const char *tmpl)
{
	__builtin_memset(m, 0, sizeof(*m));
	for (int i = 0; i < ASPEN_PM_STEPS; i++) {
		int rc = aspen_pm_step(m, path, tmpl);

		if (rc != AH_PM_RUN)
			return rc == AH_PM_MATCH;
	}
	return 0;
}
#endif

#if (defined(__bpf__) || defined(__BPF__)) && defined(ASPEN_MODEL_PATHS)
/* The generated table (compiler/src/emit_c.c): ASPEN_MODEL_PATHS templates
 * in aspen_model_tmpl, in the order the providers and their model_paths are
 * declared; byte ASPEN_TMPL_LEN - 1 of each is its provider's index. */
/* The matcher's state lives in a map value, not on the stack: the
 * verifier would follow its counters as constants, loop after loop, and
 * never see the callback converge. */
struct aspen_pm_state {
	__u32 k;     /* template being tried */
	__u32 found;
	__u32 stream; /* a stream_paths row matched */
	struct aspen_pm m;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_pm_state);
} aspen_pm_scratch SEC(".maps");

struct aspen_pm_loop {
	const struct aspen_req *r;
	struct aspen_pm_state *st;
};

#if ASPEN_MODEL_PATHS
static long aspen_pm_cb(__u32 i, void *arg)
{
	struct aspen_pm_loop *L = arg;
	struct aspen_pm_state *st = L->st;
	__u32 k = st->k;
	int rc;

	if (k >= ASPEN_MODEL_PATHS || k >= ASPEN_MODEL_PATHS_USED)
		return 1; /* the rows past the policy's are padding */
	if (!((L->r->conn.providers >> (aspen_model_tmpl[k][ASPEN_TMPL_LEN - 1] & 63)) & 1)) {
		st->k = k + 1; /* another provider's template */
		return 0;
	}
	rc = aspen_pm_step(&st->m, L->r->path, aspen_model_tmpl[k]);
	if (rc == AH_PM_MATCH && (aspen_model_tmpl[k][ASPEN_TMPL_LEN - 1] & ASPEN_TMPL_STREAM_ROW)) {
		st->stream = 1; /* a stream path: the model paths still to come */
		rc = AH_PM_FAIL;
	} else if (rc == AH_PM_MATCH) {
		st->found = 1;
		return 1;
	}
	if (rc == AH_PM_FAIL) {
		__builtin_memset(&st->m, 0, sizeof(st->m));
		st->k = k + 1;
	}
	return 0;
}

static __always_inline int aspen_pm_differ(const char *a, const char *b)
{
	for (int i = 0; i < ASPEN_MODEL_LEN; i++) {
		if (a[i] != b[i])
			return 1;
		if (!a[i])
			break;
	}
	return 0;
}
#endif

/*
 * request.stream and request.model from the path, for the providers the
 * Host names (r->conn.providers): a path one of their stream_paths matches
 * streams (ASPEN_REQ_STREAM, as a body's "stream": true); of their
 * model_paths, the first template that matches gives the model. The provider acts on the path's model, so it wins: r->model
 * becomes it (flag ASPEN_REQ_PATH_MODEL). A body "model" that names
 * another makes the request's model unknown (unparsed MODEL_CONFLICT); a
 * body that could not be read does not: the path's model is still the one
 * acted on. Called once per request, at its decision, before the rules.
 * Global: verified once, on its own stack.
 */
__noinline int aspen_req_path_model(struct aspen_req *r)
{
	if (!r)
		return 0;
#if ASPEN_MODEL_PATHS
	__u32 zero = 0;
	struct aspen_pm_state *st = bpf_map_lookup_elem(&aspen_pm_scratch, &zero);
	struct aspen_pm_loop L = { .r = r, .st = st };

	if (!st || !r->conn.providers || aspen_unparsed_unseen(r->unparsed) == ASPEN_UNSEEN_ALL ||
	    r->unparsed == ASPEN_UNPARSED_MODEL_CONFLICT)
		return 0;
	__builtin_memset(st, 0, sizeof(*st));
	bpf_loop(ASPEN_MODEL_PATHS * ASPEN_PM_STEPS, aspen_pm_cb, &L, 0);
	if (st->stream)
		r->flags |= ASPEN_REQ_STREAM;
	if (!st->found)
		return 0;
	if (r->unparsed == ASPEN_UNPARSED_NONE && (r->flags & ASPEN_REQ_HAS_MODEL) &&
	    !(r->flags & ASPEN_REQ_PATH_MODEL) && aspen_pm_differ(r->model, st->m.out)) {
		r->unparsed = ASPEN_UNPARSED_MODEL_CONFLICT;
		return 0;
	}
	__builtin_memcpy(r->model, st->m.out, ASPEN_MODEL_LEN);
	r->flags |= ASPEN_REQ_HAS_MODEL | ASPEN_REQ_PATH_MODEL;
	if (st->m.trunc)
		r->flags |= ASPEN_REQ_TRUNCATED;
#endif
	return 0;
}
#endif

#endif
