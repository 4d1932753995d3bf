/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The read probe's HTTP/1.1 response parser (aspen_http_resp_byte() in
 * bpf-templates/aspen_http.h), fed as aspen_tls.bpf.h's aspen_read_plain()
 * feeds it: byte by byte, its state and response cleared after each DONE
 * and ERROR. What it finds is each response's audit line (status, token
 * counts, bytes) and the input of `on response` rules. The first input
 * byte picks the mode:
 *
 * - even: the rest is a connection's bytes, anything at all. A response
 *   that ends (DONE) has a final status (200..999) and its head and body
 *   done; r->bytes is every byte fed since the response began (an interim
 *   1xx head restarts it); a 101 ends with ERROR and UPGRADED.
 * - odd: the rest describes responses, which are written as a server
 *   would (status line with or without a reason, CRLF or bare LF, extra
 *   headers, Content-Length, chunked with extensions and trailers, both,
 *   or to the end of the connection; a 100 Continue before; gzip; SSE),
 *   their bodies filler with "..._tokens": N pairs at random places (split
 *   across chunks too). Each must end (DONE) at its last byte with its
 *   status, its bytes, its flags, and the last token counts written (none
 *   when compressed); one read to the end of the connection never ends.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_host_shim.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "fuzz_resp: %s:%d: %s\n", __FILE__, __LINE__, #x);         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* ---- feeding as the read probe does --------------------------------------- */

struct done {
	size_t end; /* offset after the last byte */
	struct aspen_resp r;
};

#define MAX_DONE 64

struct feed {
	struct done done[MAX_DONE];
	size_t ndone;
	struct aspen_http_resp_state st;
	struct aspen_resp r; /* the response still open at the end */
	size_t start;	     /* where it began (after an interim head) */
};

static void feed(struct feed *f, const uint8_t *buf, size_t n)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < n; i++) {
		int rc = aspen_http_resp_byte(&f->st, &f->r, buf[i]);

		if (f->r.bytes == 0) /* an interim (1xx) head ended: it restarts */
			f->start = i + 1;
		CHECK(f->r.bytes == i + 1 - f->start);
		if (rc == ASPEN_HTTP_DONE) {
			CHECK(f->r.status >= 200 && f->r.status <= 599);
			CHECK(f->r.flags & ASPEN_RESP_HEAD_DONE);
			CHECK(f->r.flags & ASPEN_RESP_BODY_DONE);
			if (f->ndone < MAX_DONE) {
				f->done[f->ndone].end = i + 1;
				f->done[f->ndone].r = f->r;
			}
			f->ndone++;
		} else if (rc == ASPEN_HTTP_ERROR) {
			if (f->r.flags & ASPEN_RESP_UPGRADED)
				CHECK(f->r.status == 101);
		} else {
			CHECK(rc == ASPEN_HTTP_MORE || rc == ASPEN_HTTP_HEAD);
			continue;
		}
		/* aspen_read_plain(): the next byte starts a new response */
		memset(&f->st, 0, sizeof(f->st));
		memset(&f->r, 0, sizeof(f->r));
		f->start = i + 1;
	}
}

/* ---- responses written from a description ---------------------------------- */

struct in {
	const uint8_t *p;
	size_t n, i;
};

static unsigned take(struct in *in)
{
	return in->i < in->n ? in->p[in->i++] : 0;
}

#define WIRE_MAX (1 << 18)

struct out {
	uint8_t *b;
	size_t n;
};

static void put(struct out *o, const void *s, size_t n)
{
	if (o->n + n > WIRE_MAX)
		n = WIRE_MAX - o->n;
	memcpy(o->b + o->n, s, n);
	o->n += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

struct want {
	size_t start, end; /* end 0: to the end of the connection */
	unsigned status;
	uint64_t tin, tout;
	uint32_t flags; /* ASPEN_RESP_CHUNKED, _SSE, _COMPRESSED, _HAS_USAGE */
};

static const char *const usage_keys[] = {"prompt_tokens", "input_tokens", "completion_tokens",
					 "output_tokens"};

/* A body: filler (no '"', so it never spells a key) and usage pairs. */
static void make_body(struct in *in, struct out *body, struct want *w)
{
	unsigned nseg = take(in) % 8;

	for (unsigned s = 0; s < nseg && body->n < WIRE_MAX - 64; s++) {
		unsigned t = take(in);

		if (t % 4 == 0) {
			unsigned k = (t >> 2) & 3, digits = 1 + take(in) % 12;
			uint64_t v = 0;
			char num[16];

			for (unsigned d = 0; d < digits; d++) {
				num[d] = (char)('0' + take(in) % 10);
				v = v * 10 + (uint64_t)(num[d] - '0');
			}
			puts_(body, "\"");
			puts_(body, usage_keys[k]);
			puts_(body, "\"");
			for (unsigned sp = take(in) % 3; sp; sp--)
				puts_(body, (t & 0x40) ? "\n" : " ");
			puts_(body, ":");
			for (unsigned sp = take(in) % 3; sp; sp--)
				puts_(body, (t & 0x80) ? "\t" : " ");
			put(body, num, digits);
			puts_(body, ","); /* a number ends at a non-digit */
			if (k < 2)
				w->tin = v;
			else
				w->tout = v;
			w->flags |= ASPEN_RESP_HAS_USAGE;
		} else {
			unsigned len = take(in) % 64;

			for (unsigned j = 0; j < len; j++) {
				uint8_t c = (uint8_t)take(in);

				put(body, c == '"' ? "'" : (const char *)&c, 1);
			}
		}
	}
}

static const char *const extra_names[] = {"x-request-id", "openai-processing-ms", "Date",
					  "server",	  "Cache-Control",	  "X-Aspen-Test"};

/* One response into wire; returns 0 when it reads to the end of the
 * connection (nothing may follow). */
static int make_response(struct in *in, struct out *wire, struct want *w, uint8_t *bodybuf)
{
	unsigned b = take(in), framing = (b >> 1) & 3;
	const char *eol = (b & 0x80) ? "\n" : "\r\n";
	int compressed = (b >> 3) & 1, sse = (b >> 4) & 1;
	struct out body = {bodybuf, 0};
	char line[128];

	memset(w, 0, sizeof(*w));
	if (b & 1) { /* an interim response first: not counted */
		snprintf(line, sizeof(line), "HTTP/1.1 100 Continue%s%s", eol, eol);
		puts_(wire, line);
	}
	w->start = wire->n;
	w->status = 200 + (take(in) | take(in) << 8) % 400;
	snprintf(line, sizeof(line), "HTTP/1.%d %u%s%s", (b >> 5) & 1, w->status,
		 (b & 0x40) ? "" : " OK", eol);
	puts_(wire, line);
	for (unsigned h = take(in) % 4; h; h--) {
		unsigned len = take(in) % 40;

		puts_(wire, extra_names[take(in) % 6]);
		puts_(wire, ": ");
		for (unsigned j = 0; j < len; j++) {
			char c = (char)(0x20 + take(in) % 0x5f);

			put(wire, &c, 1);
		}
		puts_(wire, eol);
	}
	snprintf(line, sizeof(line), "Content-Type: %s%s",
		 sse ? "text/event-stream; charset=utf-8" : "application/json", eol);
	puts_(wire, line);
	if (sse)
		w->flags |= ASPEN_RESP_SSE;
	if (compressed) {
		snprintf(line, sizeof(line), "Content-Encoding: gzip%s", eol);
		puts_(wire, line);
		w->flags |= ASPEN_RESP_COMPRESSED;
	}
	if (w->status == 204 || w->status == 304) { /* no body, whatever follows */
		puts_(wire, eol);
		w->end = wire->n;
		return 1;
	}
	make_body(in, &body, w);
	if (compressed) { /* the usage is not read in a compressed body */
		w->tin = w->tout = 0;
		w->flags &= ~(uint32_t)ASPEN_RESP_HAS_USAGE;
	}
	if (framing == 3) { /* to the end of the connection */
		puts_(wire, eol);
		put(wire, body.b, body.n);
		return 0;
	}
	if (framing != 1) {
		snprintf(line, sizeof(line), "Content-Length: %zu%s", body.n, eol);
		puts_(wire, line);
	}
	if (framing == 0) {
		puts_(wire, eol);
		put(wire, body.b, body.n);
		w->end = wire->n;
		return 1;
	}
	/* chunked (framing 2: after a Content-Length, which it overrides) */
	snprintf(line, sizeof(line), "Transfer-Encoding: chunked%s%s", eol, eol);
	puts_(wire, line);
	w->flags |= ASPEN_RESP_CHUNKED;
	for (size_t at = 0; at < body.n;) {
		size_t k = 1 + take(in) % 300;
		unsigned c = take(in);

		if (k > body.n - at)
			k = body.n - at;
		snprintf(line, sizeof(line), (c & 1) ? "%zX%s%s" : "%zx%s%s", k,
			 (c & 2) ? ";ext=1" : "", eol);
		puts_(wire, line);
		put(wire, body.b + at, k);
		puts_(wire, eol);
		at += k;
	}
	snprintf(line, sizeof(line), "0%s%s%s", eol, (b & 4) ? "x-trailer: 1" : "",
		 (b & 4) ? eol : "");
	puts_(wire, line);
	puts_(wire, eol);
	w->end = wire->n;
	return 1;
}

static void check_described(const uint8_t *data, size_t size)
{
	static uint8_t wire_buf[WIRE_MAX], body_buf[WIRE_MAX];
	static struct feed f;
	struct in in = {data, size, 0};
	struct out wire = {wire_buf, 0};
	struct want want[MAX_DONE];
	size_t nwant = 0;
	int more = 1;

	while (more && in.i < in.n && nwant < MAX_DONE && wire.n < WIRE_MAX / 2)
		more = make_response(&in, &wire, &want[nwant++], body_buf);
	if (wire.n >= WIRE_MAX) /* cut: the last response is not whole */
		return;
	feed(&f, wire.b, wire.n);
	CHECK(f.ndone == nwant - !more);
	for (size_t k = 0; k < f.ndone; k++) {
		const struct aspen_resp *r = &f.done[k].r;
		const struct want *w = &want[k];
		const uint32_t seen = ASPEN_RESP_CHUNKED | ASPEN_RESP_SSE | ASPEN_RESP_COMPRESSED |
				      ASPEN_RESP_HAS_USAGE;

		CHECK(f.done[k].end == w->end);
		CHECK(r->status == w->status);
		CHECK(r->bytes == w->end - w->start);
		CHECK(r->tokens_in == w->tin);
		CHECK(r->tokens_out == w->tout);
		CHECK((r->flags & seen) == w->flags);
	}
	if (!more) { /* the last one reads to the end of the connection */
		const struct want *w = &want[nwant - 1];

		CHECK(f.r.status == w->status);
		CHECK(f.r.bytes == wire.n - w->start);
		CHECK(f.r.tokens_in == w->tin);
		CHECK(f.r.tokens_out == w->tout);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct feed f;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		check_described(data + 1, size - 1);
	else
		feed(&f, data + 1, size - 1);
	return 0;
}
