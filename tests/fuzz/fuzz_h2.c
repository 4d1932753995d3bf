/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP/2 frame parser and HPACK decoder of the probes
 * (bpf-templates/aspen_h2.h, aspen_hpack.h, in host C) on any bytes. The
 * first input byte picks where the bytes are cut in two writes, the second
 * which side is read:
 *
 * - even: the client's side (what the write probe reads), after the
 *   connection preface (added here): the transcript of every event
 *   (HEADERS with stream, flags, method, path and authority; DATA bytes;
 *   END_STREAM; RST; the error) must be the same when the bytes come in
 *   one piece and when they come in two, the parser's state carried over
 *   (copied, the old copy spoiled) as the probe carries it in a map;
 * - odd: the server's side (the read probe, aspen_h2_init(st, 0)): the
 *   same, and reading every byte must give the transcript that passing
 *   over the payloads it may skip (aspen_h2_skippable()) gives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2_host_shim.h"

struct tx {
	char *s;
	size_t len, cap;
};

static void put(struct tx *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2 + 256;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
}

static void put_u32(struct tx *t, char tag, uint32_t v)
{
	put(t, &tag, 1);
	put(t, &v, sizeof(v));
}

static void events(struct tx *t, const struct aspen_h2 *st, int ev, __u8 c)
{
	if (ev < 0) {
		put_u32(t, 'X', st->err);
		return;
	}
	if (ev & ASPEN_H2_EV_DATA) {
		put(t, "D", 1);
		put(t, &c, 1);
	}
	if (ev & ASPEN_H2_EV_HEADERS) {
		put_u32(t, 'H', st->head.stream);
		put_u32(t, 'f', st->head.flags);
		put_u32(t, 's', st->head.status);
		put(t, st->head.method, strnlen(st->head.method, sizeof(st->head.method)));
		put(t, "|", 1);
		put(t, st->head.path, strnlen(st->head.path, sizeof(st->head.path)));
		put(t, "|", 1);
		put(t, st->head.authority, strnlen(st->head.authority, sizeof(st->head.authority)));
	}
	if (ev & ASPEN_H2_EV_END_STREAM)
		put_u32(t, 'E', (ev & ASPEN_H2_EV_HEADERS) ? st->head.stream : st->stream);
	if (ev & ASPEN_H2_EV_RST)
		put_u32(t, 'R', st->stream);
	if (ev & ASPEN_H2_EV_SETTINGS)
		put_u32(t, 'S', st->init_win);
	if (ev & ASPEN_H2_EV_WINDOW) {
		put_u32(t, 'W', st->stream);
		put_u32(t, 'w', st->wu_inc);
	}
	if (ev & ASPEN_H2_EV_FRAME)
		put_u32(t, 'F', st->type);
}

/* Feed b[0, n) into st; skip: pass over what may be skipped (server's
 * side: DATA is not recorded byte by byte then, so neither is it here).
 * Returns -1 once the parser failed (sticky). */
static int feed(struct aspen_h2 *st, const __u8 *b, size_t n, int server, int skip, struct tx *t)
{
	size_t i = 0;

	while (i < n) {
		__u32 k = skip ? aspen_h2_skippable(st, server) : 0;
		int ev;
		__u8 c = 0;

		if (k) {
			if (k > n - i)
				k = (__u32)(n - i);
			ev = aspen_h2_skipped(st, k);
			i += k;
		} else {
			c = b[i++];
			ev = aspen_h2_byte(st, c);
		}
		if (server && ev > 0)
			ev &= ~ASPEN_H2_EV_DATA;
		events(t, st, ev, c);
		if (ev < 0)
			return -1;
	}
	return 0;
}

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static void transcript(const __u8 *b, size_t n, int server, int skip, size_t cut, struct tx *t)
{
	struct aspen_h2 *st = calloc(1, sizeof(*st)), *cp = calloc(1, sizeof(*cp));

	if (!st || !cp)
		abort();
	aspen_h2_init(st, !server);
	t->len = 0;
	if (feed(st, b, cut, server, skip, t) == 0) {
		memcpy(cp, st, sizeof(*cp));
		memset(st, 0xa5, sizeof(*st)); /* nothing may read the old copy */
		feed(cp, b + cut, n - cut, server, skip, t);
	}
	free(st);
	free(cp);
}

static void same(const struct tx *a, const struct tx *b, const char *what)
{
	if (a->len != b->len || (a->len && memcmp(a->s, b->s, a->len))) {
		fprintf(stderr, "fuzz_h2: %s: transcripts differ (%zu / %zu bytes)\n", what, a->len,
			b->len);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tx whole, split, skipped;
	int server;
	size_t n, cut, off;
	__u8 *b;

	if (size < 2)
		return 0;
	server = data[1] & 1;
	off = server ? 0 : sizeof(preface) - 1;
	n = off + size - 2;
	b = malloc(n ? n : 1);
	if (!b)
		abort();
	memcpy(b, preface, off);
	memcpy(b + off, data + 2, size - 2);
	cut = (size_t)data[0] * n / 255;
	transcript(b, n, server, 0, n, &whole);
	transcript(b, n, server, 0, cut, &split);
	same(&whole, &split, "cut in two writes");
	if (server) {
		transcript(b, n, server, 1, cut, &skipped);
		same(&whole, &skipped, "payloads passed over");
	}
	free(b);
	return 0;
}
