/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Feeding bpf-templates/aspen_http.h's request parser in host C as the
 * write probe does (aspen_tls.bpf.h), fast paths included when fast_path
 * is set: shared by tests/unit/test_http.c and tests/fuzz/fuzz_http.c.
 * HTTP_FEED_ASSERT(x) checks the parser's contract (cmocka's assert_true
 * in the unit test; abort() by default).
 */
#ifndef ASPEN_HTTP_FEED_H
#define ASPEN_HTTP_FEED_H

#include <stdlib.h>

#include "http_view.h"

#ifndef HTTP_FEED_ASSERT
#define HTTP_FEED_ASSERT(x)                                                                        \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)
#endif

/* ---- feeding ------------------------------------------------------------ */

struct ev {
	long head, dec1, dec2, done, err; /* byte offset (after it), -1 never */
};

static void ev_init(struct ev *e)
{
	e->head = e->dec1 = e->dec2 = e->done = e->err = -1;
}

/* When set, feed_req takes the probe's fast path as aspen_tls.bpf.h does:
 * runs of plain string bytes are accounted with aspen_http_req_plain_skip()
 * instead of being parsed; every result must stay the same. */
static int fast_path;
static size_t fast_skipped; /* bytes the fast path passed over */

static size_t fast_nested; /* of those, bytes the nesting fast path took */
static int fast_esc;	   /* the nesting fast path takes escapes too (no body patterns) */

static size_t plain_run(struct aspen_http_req_state *st, const struct aspen_req *r, const char *buf,
			size_t pos, size_t n)
{
	__u64 room = aspen_http_req_nest_room(st, r);
	size_t k = 0;

	if (room) { /* as aspen_feed_nest() */
		__u32 depth = st->depth, floor = (st->jflags & AH_JF_SUB) ? 3 : 2;
		__u8 jf = st->jflags;

		while (k < room && pos + k < n && k < 256 &&
		       !aspen_http_req_nest_byte(&depth, &jf, floor, (__u8)buf[pos + k], fast_esc))
			k++;
		st->depth = depth;
		st->jflags = jf;
		fast_nested += k;
		return k;
	}
	room = aspen_http_req_plain_room(st, r);
	while (k < room && pos + k < n && k < 64 && buf[pos + k] != '"' && buf[pos + k] != '\\')
		k++;
	return k;
}

static size_t fast_hvalue; /* bytes the header-value fast path took */

static size_t fast_name;   /* bytes the header-name fast path took */
static size_t fast_turn;   /* bytes the line turn took (aspen_http_req_turn()) */
static size_t fast_target; /* bytes the request-target fast path took */
static size_t fast_colon;  /* names' ':' taken with them (aspen_http_req_colon()) */

/* As aspen_feed_head() and aspen_fast_run()'s head modes: whole words of
 * a header value nobody reads, to its first control byte or DEL, of a
 * header name's letters, digits and '-', pushed into the window as they go,
 * or of the request target, stored into the path (at most 256 bytes, as a
 * bounded run would). */
enum { RUN_HVALUE, RUN_NAME, RUN_TARGET }; /* head_run()'s modes, as aspen_fast_run()'s */

static size_t head_run(struct aspen_http_req_state *st, struct aspen_req *r, const char *buf,
		       size_t pos, size_t n, int mode)
{
	size_t lim = pos + (mode == RUN_NAME	 ? aspen_http_req_name_room(st)
			    : mode == RUN_TARGET ? aspen_http_req_target_room(st)
						 : aspen_http_req_hvalue_room(st));
	size_t p = pos;

	if (lim > n)
		lim = n;
	if (lim > pos + 256)
		lim = pos + 256;
	while (p + 8 <= lim) {
		__u64 w, lower;
		__u32 j;

		memcpy(&w, buf + p, 8);
		if (mode == RUN_NAME) {
			j = aspen_http_name_plain(w, &lower);
			if (j)
				aspen_http_req_name_skip(st, lower, j);
		} else if (mode == RUN_TARGET) {
			j = aspen_http_target_plain(w);
			if (j)
				aspen_http_req_target_skip(st, r, w, j);
		} else {
			j = aspen_http_hvalue_plain(w);
		}
		p += j;
		if (j < 8)
			break;
	}
	return p - pos;
}

/* As aspen_feed_head(): the target, or a header in one step (its name,
 * ':', a value nobody reads, the turn to the next name). Returns the bytes
 * taken. */
static size_t head_step(struct aspen_http_req_state *st, struct aspen_req *r, const char *buf,
			size_t pos, size_t n)
{
	size_t p = pos, k;

	k = head_run(st, r, buf, p, n, RUN_TARGET);
	fast_target += k;
	p += k;
	k = head_run(st, r, buf, p, n, RUN_NAME);
	fast_name += k;
	p += k;
	if (aspen_http_req_name_room(st) && p < n) {
		k = aspen_http_req_colon(st, (__u8)buf[p]);
		fast_colon += k;
		p += k;
	}
	if (aspen_http_req_hvalue_room(st) && p < n) {
		k = head_run(st, r, buf, p, n, RUN_HVALUE);
		aspen_http_req_hvalue_skip(st, (__u32)k);
		fast_hvalue += k;
		p += k;
		if (p + 3 <= n) {
			k = aspen_http_req_turn(st, (__u8)buf[p], (__u8)buf[p + 1],
						(__u8)buf[p + 2]);
			fast_turn += k;
			p += k;
		}
	}
	return p - pos;
}

/* Feed bytes [0, n) from *pos on; stop after DONE or ERROR. */
static int feed_req(struct aspen_http_req_state *st, struct aspen_req *r, const char *buf, size_t n,
		    size_t *pos, struct ev *e)
{
	int rc = ASPEN_HTTP_MORE;

	ev_init(e);
	while (*pos < n) {
		size_t k = fast_path ? head_step(st, r, buf, *pos, n) : 0;

		if (k) {
			*pos += k;
			continue;
		}
		k = fast_path ? plain_run(st, r, buf, *pos, n) : 0;

		if (k) {
			aspen_http_req_plain_skip(st, r, k);
			fast_skipped += k;
			*pos += k;
			continue;
		}
		rc = aspen_http_req_byte(st, r, (__u8)buf[(*pos)++]);
		switch (rc) {
		case ASPEN_HTTP_HEAD:
			HTTP_FEED_ASSERT(e->head == -1);
			e->head = (long)*pos;
			break;
		case ASPEN_HTTP_DECIDABLE:
			if (e->head == -1) {
				e->head = (long)*pos;
				e->dec1 = (long)*pos;
			} else if (e->dec1 == -1) {
				e->dec1 = (long)*pos;
			} else {
				HTTP_FEED_ASSERT(e->dec2 == -1);
				e->dec2 = (long)*pos;
			}
			break;
		case ASPEN_HTTP_DONE:
			e->done = (long)*pos;
			if (e->head == -1)
				e->head = (long)*pos;
			return rc;
		case ASPEN_HTTP_ERROR:
			e->err = (long)*pos;
			/* sticky */
			HTTP_FEED_ASSERT(aspen_http_req_byte(st, r, 'x') == ASPEN_HTTP_ERROR);
			return rc;
		default: HTTP_FEED_ASSERT(rc == ASPEN_HTTP_MORE);
		}
	}
	return rc;
}

#endif
