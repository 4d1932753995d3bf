/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspend's view of a write for masking (runtime/lib/rt_jview.c) on any
 * bytes. The kernel's body patterns read a body through the JSON scanner
 * (bpf-templates/aspen_http.h: each byte stands for itself, for nothing,
 * or for the 1 to 4 bytes an escape decodes to); aspend searches rt_jview's
 * view for the matches to mask. If the two views differ, aspend looks for
 * matches the kernel did not see, or misses the ones it saw.
 *
 * Checks:
 * - on any bytes: each decoded byte's source lies in the input, in order;
 *   a byte not from an escape is its source byte; rt_jview_plain() of any
 *   range says "plain" only when the wire holds exactly those bytes there;
 * - on a body that is valid JSON (tests/fuzz/json_ref.h), and cut into two
 *   writes at the offset the first byte picks: the view of each write (the
 *   second built alone, as aspend does) is the kernel's view of those
 *   bytes, unless the cut falls inside an escape (then a match there is
 *   denied, never masked: redact.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_view.h"
#include "json_ref.h"
#include "rt_jview.h"

static void check_view(const uint8_t *buf, size_t len, const struct rt_jview *v)
{
	size_t prev = 0;

	for (size_t i = 0; i < v->n; i++) {
		size_t at = v->at[i] & RT_JVIEW_AT;

		if (at >= len || at < prev)
			abort();
		if (!(v->at[i] & RT_JVIEW_ESC) && v->dec[i] != buf[at])
			abort();
		prev = at;
	}
	/* a few ranges: every plain one is the wire's bytes */
	for (size_t s = 0; s < v->n; s += 1 + v->n / 8) {
		for (size_t e = s + 1; e <= v->n; e += 1 + v->n / 8) {
			size_t a, b;

			if (rt_jview_plain(v, s, e, &a, &b) &&
			    (b - a != e - s || b > len || memcmp(buf + a, v->dec + s, e - s)))
				abort();
		}
	}
}

/* The kernel's view of body[0, n): what each byte stands for, fed through
 * the scanner from the body's start; [from, n) of it into out. Returns
 * its length, or -1 when a write [from, n) would begin or end inside an
 * escape (redact.c denies such a write: the two views need not agree). */
static long kernel_view(const uint8_t *body, size_t n, size_t from, uint8_t *out)
{
	struct aspen_http_req_state st;
	struct aspen_req r;
	long k = 0;

	memset(&st, 0, sizeof(st));
	memset(&r, 0, sizeof(r));
	st.state = AH_RQ_BODY;
	r.flags = ASPEN_REQ_HEAD_DONE;
	r.content_length = ~0ULL;
	for (size_t i = 0; i < n; i++) {
		if (i == from && aspen_in_escape(&st))
			return -1;
		aspen_http_req_body_byte(&st, &r, body[i]);
		if (i >= from)
			k += (long)view_put(&st, body[i], out + k);
	}
	if (aspen_in_escape(&st))
		return -1; /* the write ends inside an escape */
	return k;
}

static void same_view(const uint8_t *body, size_t n, size_t from, size_t to)
{
	uint8_t *want = malloc(4 * n + 1);
	struct rt_jview v = {0};
	long k;

	if (!want)
		abort();
	k = kernel_view(body, to, from, want);
	if (k >= 0) {
		if (!rt_jview_build(&v, body + from, to - from))
			abort();
		if ((size_t)k != v.n || (k && memcmp(want, v.dec, v.n))) {
			fprintf(stderr,
				"fuzz_jview: [%zu, %zu): the kernel reads %ld bytes, aspend %zu\n",
				from, to, k, v.n);
			abort();
		}
		rt_jview_free(&v);
	}
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_jview v = {0};
	struct jref j;
	uint8_t *buf;
	size_t n, cut;

	if (!size)
		return 0;
	n = size - 1;
	buf = malloc(n ? n : 1); /* exactly n bytes: ASan sees a read past them */
	if (!buf)
		abort();
	memcpy(buf, data + 1, n);
	if (!rt_jview_build(&v, buf, n))
		abort();
	check_view(buf, n, &v);
	rt_jview_free(&v);
	if (jref_read(&j, buf, n)) {
		cut = n ? data[0] * n / 255 : 0;
		same_view(buf, n, 0, cut);
		same_view(buf, n, cut, n);
	}
	free(buf);
	return 0;
}
