/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The write probe's WebSocket frame parser (bpf-templates/aspen_ws.h, in
 * host C) on any bytes: the input is what a client wrote on an upgraded
 * connection, from its first frame.
 *
 * Checks: aspen_ws_byte() fed one byte at a time gives, at every byte, what
 * a reference decoder written here from RFC 6455 and aspen_ws.h's header
 * comment gives, reading the buffer frame by frame: the same events
 * (MSG_START, FRAME_END, MSG_END, CTRL at the same offsets; DATA on the
 * payload bytes of data frames only) with the same unmasked byte and the
 * same msg_op, and the same error (AWS_ERR_RSV or AWS_ERR_FRAMING) at the
 * same byte, returned again for every byte after it. And the same again
 * when the parser's state is copied to a fresh struct after every byte
 * (the old copy spoiled), as the probe carries it from write to write in a
 * map.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_host_shim.h"
#include "../../bpf-templates/aspen_ws.h"

/* What one byte gave: the return value, and what it said with it. */
struct step {
	int ret;
	uint8_t out;	/* with AWS_EV_DATA */
	uint8_t msg_op; /* with AWS_EV_DATA, MSG_START or MSG_END */
};

/* ---- the reference: a frame at a time ------------------------------------ */

struct ref {
	const uint8_t *b;
	size_t n;
	struct step *s;
};

/* Every byte from i on returns err. */
static size_t ref_fail(struct ref *r, size_t i, int err)
{
	for (; i < r->n; i++)
		r->s[i].ret = err;
	return r->n;
}

/* The frame at i; returns where the next begins (n once the bytes end). */
static size_t ref_frame(struct ref *r, size_t i, int *in_msg, uint8_t *msg_op)
{
	uint8_t b0 = r->b[i], op = b0 & 0x0f, rsv = b0 & 0x70;
	int fin = !!(b0 & 0x80), ctrl = op >= 8, data = op <= 2;
	uint64_t len = 0;
	uint8_t key[4];
	size_t ext, last;

	/* byte 0 */
	if (rsv == 0x40 && (op == 1 || op == 2))
		return ref_fail(r, i, AWS_ERR_RSV); /* permessage-deflate */
	if (rsv)
		return ref_fail(r, i, AWS_ERR_FRAMING);
	if (!data && !(op >= 8 && op <= 10))
		return ref_fail(r, i, AWS_ERR_FRAMING); /* unknown opcode */
	if (ctrl && !fin)
		return ref_fail(r, i, AWS_ERR_FRAMING); /* a fragmented control frame */
	if (data && (op == 0) != (*in_msg != 0))
		return ref_fail(r, i, AWS_ERR_FRAMING); /* continuation out of place */
	if (++i == r->n)
		return r->n;
	/* byte 1: MASK and the 7-bit length */
	if (!(r->b[i] & 0x80))
		return ref_fail(r, i, AWS_ERR_FRAMING);
	len = r->b[i] & 0x7f;
	if (ctrl && len > 125)
		return ref_fail(r, i, AWS_ERR_FRAMING);
	i++;
	/* the extended length, big-endian */
	ext = len == 126 ? 2 : len == 127 ? 8 : 0;
	if (ext) {
		len = 0;
		for (size_t k = 0; k < ext; k++, i++) {
			if (i == r->n)
				return r->n;
			if (ext == 8 && k == 0 && (r->b[i] & 0x80))
				return ref_fail(r, i, AWS_ERR_FRAMING);
			len = len << 8 | r->b[i];
		}
	}
	/* the masking key */
	for (size_t k = 0; k < 4; k++, i++) {
		if (i == r->n)
			return r->n;
		key[k] = r->b[i];
	}
	last = i - 1; /* the header's last byte */
	if (data && op != 0) {
		*msg_op = op;
		r->s[last].ret |= AWS_EV_MSG_START;
		r->s[last].msg_op = op;
	}
	if (data)
		*in_msg = 1;
	/* the payload */
	for (uint64_t k = 0; k < len; k++, i++) {
		if (i == r->n)
			return r->n;
		if (data) {
			r->s[i].ret |= AWS_EV_DATA;
			r->s[i].out = r->b[i] ^ key[k % 4];
			r->s[i].msg_op = *msg_op;
		}
		last = i;
	}
	r->s[last].ret |= AWS_EV_FRAME_END;
	if (ctrl) {
		r->s[last].ret |= AWS_EV_CTRL;
	} else if (fin) {
		*in_msg = 0;
		r->s[last].ret |= AWS_EV_MSG_END;
		r->s[last].msg_op = *msg_op;
	}
	return i;
}

static void reference(const uint8_t *b, size_t n, struct step *s)
{
	struct ref r = {.b = b, .n = n, .s = s};
	int in_msg = 0;
	uint8_t msg_op = 0;

	memset(s, 0, n * sizeof(*s));
	for (size_t i = 0; i < n;)
		i = ref_frame(&r, i, &in_msg, &msg_op);
}

/* ---- the parser ---------------------------------------------------------- */

static void record(struct step *s, const struct aspen_ws *w, int ret, uint8_t out)
{
	memset(s, 0, sizeof(*s));
	s->ret = ret;
	if (ret > 0 && (ret & AWS_EV_DATA))
		s->out = out;
	if (ret > 0 && (ret & (AWS_EV_DATA | AWS_EV_MSG_START | AWS_EV_MSG_END)))
		s->msg_op = w->msg_op;
}

/* Byte by byte; hop: the state moves to a fresh struct after every byte. */
static void parse(const uint8_t *b, size_t n, struct step *s, int hop)
{
	struct aspen_ws *w = calloc(1, sizeof(*w)), *other = calloc(1, sizeof(*other));

	if (!w || !other)
		abort();
	for (size_t i = 0; i < n; i++) {
		__u8 out = 0;
		int ret = aspen_ws_byte(w, b[i], &out);

		record(&s[i], w, ret, out);
		if (hop) {
			struct aspen_ws *t = other;

			memcpy(other, w, sizeof(*w));
			memset(w, 0xa5, sizeof(*w)); /* nothing may read the old copy */
			other = w;
			w = t;
		}
	}
	free(w);
	free(other);
}

static void compare(const uint8_t *b, size_t n, const struct step *want, const struct step *got,
		    const char *what)
{
	for (size_t i = 0; i < n; i++) {
		if (!memcmp(&want[i], &got[i], sizeof(want[i])))
			continue;
		fprintf(stderr,
			"fuzz_ws: %s: byte %zu (0x%02x): parser %d (out 0x%02x, msg_op %u), "
			"reference %d (out 0x%02x, msg_op %u)\n",
			what, i, b[i], got[i].ret, got[i].out, got[i].msg_op, want[i].ret,
			want[i].out, want[i].msg_op);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct step *want, *got;

	if (!size)
		return 0;
	want = malloc(size * sizeof(*want));
	got = malloc(size * sizeof(*got));
	if (!want || !got)
		abort();
	reference(data, size, want);
	parse(data, size, got, 0);
	compare(data, size, want, got, "byte by byte");
	parse(data, size, got, 1);
	compare(data, size, want, got, "state copied after every byte");
	free(want);
	free(got);
	return 0;
}
