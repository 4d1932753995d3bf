/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The write probe's HTTP/1.1 request parser (bpf-templates/aspen_http.h,
 * fed as aspen_tls.bpf.h feeds it: tests/unit/http_feed.h) on any bytes.
 * The first input byte picks the mode, the rest is the data:
 *
 * - even: the data is a connection's bytes (heads, bodies, pipelined
 *   requests). Fed byte by byte and again with the fast paths (the
 *   probe's word-at-a-time runs, with and without escapes in the nesting
 *   run), every request must come out the same: fields, flags, unparsed
 *   reason, and the offsets of HEAD, DECIDABLE, DONE and ERROR.
 * - odd: the data is a body, sent with a Content-Length head (or chunked,
 *   its chunk sizes from the second byte). When it is valid JSON (RFC 8259,
 *   read by a strict reader, the server's view), the parser's
 *   model and stream must be what that reader finds, and its user too
 *   when the body has no "metadata" key; the request must end (DONE) at
 *   the last byte, and the three feeds must agree as above.
 *
 * The strict reader is tests/fuzz/json_ref.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_feed.h"
#include "json_ref.h"

/* ---- feeding three ways --------------------------------------------------- */

struct result {
	struct aspen_req r;
	struct ev e;
	int rc;
	size_t pos;
};

/* Requests parsed from buf, one mode: 0 byte by byte, 1 fast paths, 2 fast
 * paths taking escapes too. Returns how many (at most max). */
static size_t feed_all(const char *buf, size_t n, int mode, struct result *out, size_t max)
{
	struct aspen_http_req_state st;
	size_t pos = 0, k = 0;

	fast_path = mode > 0;
	fast_esc = mode == 2;
	while (pos < n && k < max) {
		struct result *x = &out[k++];

		memset(&st, 0, sizeof(st));
		memset(x, 0, sizeof(*x));
		x->r.content_length = ~0ULL;
		x->rc = feed_req(&st, &x->r, buf, n, &pos, &x->e);
		/* the last byte's code: a fast path's run after it returns none */
		if (x->rc != ASPEN_HTTP_DONE && x->rc != ASPEN_HTTP_ERROR)
			x->rc = ASPEN_HTTP_MORE;
		x->pos = pos;
		if (x->rc != ASPEN_HTTP_DONE)
			break;
	}
	fast_path = 0;
	return k;
}

#define MAX_REQS 8

static void same_three_ways(const char *buf, size_t n, struct result *slow, size_t *nslow)
{
	struct result fast[MAX_REQS];

	*nslow = feed_all(buf, n, 0, slow, MAX_REQS);
	for (int mode = 1; mode <= 2; mode++) {
		size_t k = feed_all(buf, n, mode, fast, MAX_REQS);

		if (k != *nslow)
			abort();
		for (size_t i = 0; i < k; i++) {
			if (memcmp(&slow[i].r, &fast[i].r, sizeof(slow[i].r)) ||
			    memcmp(&slow[i].e, &fast[i].e, sizeof(slow[i].e)) ||
			    slow[i].rc != fast[i].rc || slow[i].pos != fast[i].pos) {
				fprintf(stderr,
					"fuzz_http: request %zu differs with fast paths (mode %d): "
					"model '%s'/'%s' flags %#x/%#x unparsed %u/%u rc %d/%d "
					"pos %zu/%zu done %ld/%ld err %ld/%ld dec %ld/%ld\n",
					i, mode, slow[i].r.model, fast[i].r.model, slow[i].r.flags,
					fast[i].r.flags, slow[i].r.unparsed, fast[i].r.unparsed,
					slow[i].rc, fast[i].rc, slow[i].pos, fast[i].pos,
					slow[i].e.done, fast[i].e.done, slow[i].e.err,
					fast[i].e.err, slow[i].e.dec1, fast[i].e.dec1);
				abort();
			}
		}
	}
}

/* The body, framed: Content-Length, or chunked with sizes from seed. */
static char *frame(const uint8_t *body, size_t n, int chunked, uint8_t seed, size_t *len)
{
	static const char head[] = "POST /v1/chat/completions HTTP/1.1\r\n"
				   "Host: api.openai.com\r\n"
				   "Content-Type: application/json\r\n";
	size_t cap = sizeof(head) + 64 + n * 2 + 16 * (n + 1), o = 0;
	char *out = malloc(cap);

	if (!out)
		abort();
	o += (size_t)snprintf(out, cap, "%s", head);
	if (!chunked) {
		o += (size_t)snprintf(out + o, cap - o, "Content-Length: %zu\r\n\r\n", n);
		memcpy(out + o, body, n);
		*len = o + n;
		return out;
	}
	o += (size_t)snprintf(out + o, cap - o, "Transfer-Encoding: chunked\r\n\r\n");
	for (size_t at = 0, i = 0; at < n; i++) {
		size_t k = 1 + ((seed * 31u + i * 17u) % 97u) * ((seed >> 4) + 1);

		if (k > n - at)
			k = n - at;
		o += (size_t)snprintf(out + o, cap - o, "%zx%s\r\n", k,
				      (i + seed) % 5 ? "" : ";x=y");
		memcpy(out + o, body + at, k);
		o += k;
		memcpy(out + o, "\r\n", 2);
		o += 2;
		at += k;
	}
	memcpy(out + o, "0\r\n\r\n", 5);
	*len = o + 5;
	return out;
}

static void body_mode(const uint8_t *data, size_t size)
{
	int chunked = size > 1 && (data[1] & 1);
	uint8_t seed = size > 1 ? data[1] : 0;
	const uint8_t *body = data + (size > 1 ? 2 : size);
	size_t n = size > 1 ? size - 2 : 0, len, k;
	char *msg = frame(body, n, chunked, seed, &len);
	struct result res[MAX_REQS];
	struct jref j;

	same_three_ways(msg, len, res, &k);
	if (jref_read(&j, body, n)) {
		const struct aspen_req *r = &res[0].r;
		size_t cut = ASPEN_MODEL_LEN - 1;

		if (res[0].rc != ASPEN_HTTP_DONE || res[0].pos != len)
			abort(); /* a valid body ends its request where it ends */
		if (!!(r->flags & ASPEN_REQ_STREAM) != j.stream)
			abort();
		if (!!(r->flags & ASPEN_REQ_HAS_MODEL) != j.has_model)
			abort();
		if (j.has_model &&
		    (j.model_len > cut
			 ? !(r->flags & ASPEN_REQ_TRUNCATED) || memcmp(r->model, j.model, cut)
			 : memcmp(r->model, j.model, j.model_len) || r->model[j.model_len])) {
			fprintf(stderr, "fuzz_http: model '%s', the server reads '%.*s'\n",
				r->model, (int)j.model_len, j.model);
			abort();
		}
		if (!j.has_metadata &&
		    (!!(r->flags & ASPEN_REQ_HAS_USER) != j.has_user ||
		     (j.has_user && j.user_len <= cut &&
		      (memcmp(r->user, j.user, j.user_len) || r->user[j.user_len]))))
			abort();
	}
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result res[MAX_REQS];
	size_t k;

	if (size && (data[0] & 1)) {
		body_mode(data, size);
		return 0;
	}
	if (size) {
		char *copy = malloc(size - 1 ? size - 1 : 1);

		if (!copy)
			abort();
		memcpy(copy, data + 1, size - 1);
		same_three_ways(copy, size - 1, res, &k);
		free(copy);
	}
	return 0;
}
