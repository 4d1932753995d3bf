/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bpf-templates/aspen_ws.h in host C: client frames built here (masked, as
 * RFC 6455 requires) fed one byte at a time, split at every offset; the
 * events, the unmasked payload and, through aspen_http.h's JSON scan in
 * WebSocket mode (AH_JF_WS), the model a message names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_host_shim.h"
#include "../../bpf-templates/aspen_ws.h"

/* ---- building frames ------------------------------------------------------ */

struct buf {
	unsigned char b[200000];
	size_t n;
};

static const unsigned char KEY[4] = {0x37, 0xfa, 0x21, 0x3d};

/* A frame: fin, opcode, rsv (bits 4-6), masked, payload. */
static void frame(struct buf *o, int fin, int op, int rsv, int masked, const void *p, size_t len)
{
	const unsigned char *d = p;

	o->b[o->n++] = (unsigned char)((fin ? 0x80 : 0) | (rsv << 4) | op);
	if (len < 126) {
		o->b[o->n++] = (unsigned char)((masked ? 0x80 : 0) | len);
	} else if (len < 65536) {
		o->b[o->n++] = (unsigned char)((masked ? 0x80 : 0) | 126);
		o->b[o->n++] = (unsigned char)(len >> 8);
		o->b[o->n++] = (unsigned char)len;
	} else {
		o->b[o->n++] = (unsigned char)((masked ? 0x80 : 0) | 127);
		for (int i = 7; i >= 0; i--)
			o->b[o->n++] = (unsigned char)((unsigned long long)len >> (8 * i));
	}
	if (masked) {
		memcpy(o->b + o->n, KEY, 4);
		o->n += 4;
	}
	for (size_t i = 0; i < len; i++)
		o->b[o->n++] = masked ? d[i] ^ KEY[i % 4] : d[i];
}

static void text(struct buf *o, int fin, int op, const char *s)
{
	frame(o, fin, op, 0, 1, s, strlen(s));
}

/* ---- feeding -------------------------------------------------------------- */

#define MAXMSG 8
struct result {
	int err;		    /* the first error, 0 */
	long err_at;		    /* its byte offset */
	int msgs, ctrl, starts;	    /* message ends, control frame ends, message starts */
	size_t frames;		    /* frame ends */
	char payload[MAXMSG][4096]; /* each message's unmasked payload */
	size_t plen[MAXMSG];
	char model[MAXMSG][ASPEN_MODEL_LEN];
	int has_model[MAXMSG];
	int op[MAXMSG];
};

struct feeder {
	struct aspen_ws w;
	struct aspen_http_req_state st;
	struct aspen_req r;
	struct result res;
};

/* As aspen_ws_step_byte() does: frames, then each message's JSON. */
static void feed(struct feeder *f, const unsigned char *b, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		__u8 out = 0;
		int ev = aspen_ws_byte(&f->w, b[i], &out);
		int m = f->res.msgs < MAXMSG ? f->res.msgs : MAXMSG - 1;

		if (ev < 0) {
			if (!f->res.err) {
				f->res.err = ev;
				f->res.err_at = (long)i;
			}
			continue;
		}
		if (ev & AWS_EV_MSG_START) {
			memset(&f->st, 0, sizeof(f->st));
			memset(&f->r, 0, sizeof(f->r));
			f->st.state = AH_RQ_BODY;
			f->st.jflags = AH_JF_WS;
			f->r.content_length = ~0ULL;
			f->res.starts++;
			f->res.op[m] = f->w.msg_op;
		}
		if (ev & AWS_EV_DATA) {
			if (f->res.plen[m] < sizeof(f->res.payload[m]) - 1)
				f->res.payload[m][f->res.plen[m]++] = (char)out;
			aspen_http_req_byte(&f->st, &f->r, out);
		}
		if (ev & AWS_EV_FRAME_END)
			f->res.frames++;
		if (ev & AWS_EV_CTRL)
			f->res.ctrl++;
		if (ev & AWS_EV_MSG_END) {
			f->res.has_model[m] = !!(f->r.flags & ASPEN_REQ_HAS_MODEL);
			memcpy(f->res.model[m], f->r.model, ASPEN_MODEL_LEN);
			f->res.msgs++;
		}
	}
}

static struct feeder *run(const struct buf *o, size_t split)
{
	struct feeder *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	feed(f, o->b, 0, split);
	feed(f, o->b, split, o->n);
	return f;
}

/* The same result whatever the split: the state carries across writes. */
static struct feeder *run_all_splits(const struct buf *o)
{
	struct feeder *whole = run(o, o->n);

	for (size_t k = 0; k <= o->n; k += (o->n > 4096 ? 97 : 1)) {
		struct feeder *f = run(o, k);

		assert_int_equal(f->res.err, whole->res.err);
		assert_int_equal(f->res.msgs, whole->res.msgs);
		assert_int_equal(f->res.ctrl, whole->res.ctrl);
		assert_int_equal(f->res.frames, whole->res.frames);
		assert_memory_equal(&f->res, &whole->res, sizeof(f->res));
		free(f);
	}
	return whole;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_response_create(void **state)
{
	(void)state;
	static struct buf o;
	const char *m =
	    "{\"type\":\"response.create\",\"model\":\"gpt-5\",\"input\":[{\"role\":\"user\","
	    "\"content\":\"hi\"}]}";

	o.n = 0;
	text(&o, 1, AWS_OP_TEXT, m);
	struct feeder *f = run_all_splits(&o);

	assert_int_equal(f->res.err, 0);
	assert_int_equal(f->res.msgs, 1);
	assert_int_equal(f->res.starts, 1);
	assert_int_equal(f->res.op[0], AWS_OP_TEXT);
	assert_string_equal(f->res.payload[0], m);
	assert_true(f->res.has_model[0]);
	assert_string_equal(f->res.model[0], "gpt-5");
	assert_int_equal(f->w.phase, AWS_HDR0);
	free(f);
}

static void test_session_update(void **state)
{
	(void)state;
	static struct buf o;

	o.n = 0;
	text(&o, 1, AWS_OP_TEXT,
	     "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"model\":\"gpt-"
	     "realtime\","
	     "\"instructions\":\"be brief\"}}");
	/* a model deeper than session's own level is not the session's */
	text(&o, 1, AWS_OP_TEXT, "{\"type\":\"x\",\"session\":{\"tools\":[{\"model\":\"no\"}]}}");
	/* "session" is only a model holder in WebSocket mode: metadata still works */
	text(&o, 1, AWS_OP_TEXT,
	     "{\"metadata\":{\"model\":\"no\"},\"type\":\"conversation.item.create\"}");
	struct feeder *f = run_all_splits(&o);

	assert_int_equal(f->res.msgs, 3);
	assert_true(f->res.has_model[0]);
	assert_string_equal(f->res.model[0], "gpt-realtime");
	assert_false(f->res.has_model[1]);
	assert_false(f->res.has_model[2]);
	free(f);
}

static void test_http_body_ignores_session(void **state)
{
	(void)state;
	/* an HTTP request body (no AH_JF_WS): "session": {"model"} is not its model */
	struct aspen_http_req_state st = {0};
	struct aspen_req r = {0};
	const char *b = "{\"session\":{\"model\":\"x\"}}";

	st.state = AH_RQ_BODY;
	r.content_length = ~0ULL;
	for (const char *p = b; *p; p++)
		aspen_http_req_byte(&st, &r, (__u8)*p);
	assert_false(r.flags & ASPEN_REQ_HAS_MODEL);
}

static void test_lengths(void **state)
{
	(void)state;
	static struct buf o;
	static char big[70000];
	size_t sizes[] = {0, 1, 125, 126, 127, 65535, 65536, 69999};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];

		memset(big, 'a', sizeof(big));
		if (n >= 20) {
			memcpy(big, "{\"model\":\"m1\",\"x\":\"", 19);
			big[n - 2] = '"';
			big[n - 1] = '}';
		}
		o.n = 0;
		frame(&o, 1, AWS_OP_TEXT, 0, 1, big, n);
		/* the header is 2 + (0, 2 or 8) + 4 bytes */
		assert_int_equal(o.n, n + 6 + (n < 126 ? 0 : n < 65536 ? 2 : 8));
		struct feeder *f = run_all_splits(&o);

		assert_int_equal(f->res.err, 0);
		assert_int_equal(f->res.msgs, 1);
		assert_int_equal(f->res.frames, 1);
		assert_int_equal(f->res.has_model[0], n >= 20);
		if (n >= 20)
			assert_string_equal(f->res.model[0], "m1");
		free(f);
	}
}

static void test_fragments_and_control(void **state)
{
	(void)state;
	static struct buf o;

	o.n = 0;
	text(&o, 0, AWS_OP_TEXT, "{\"type\":\"response.cre");
	frame(&o, 1, AWS_OP_PING, 0, 1, "p1", 2); /* control frames between fragments */
	text(&o, 0, AWS_OP_CONT, "ate\",\"mo");
	frame(&o, 1, AWS_OP_PONG, 0, 1, "", 0);
	text(&o, 1, AWS_OP_CONT, "del\":\"gpt-4o\"}");
	frame(&o, 1, AWS_OP_CLOSE, 0, 1, "\x03\xe8", 2);
	struct feeder *f = run_all_splits(&o);

	assert_int_equal(f->res.err, 0);
	assert_int_equal(f->res.msgs, 1);
	assert_int_equal(f->res.starts, 1);
	assert_int_equal(f->res.ctrl, 3);
	assert_int_equal(f->res.frames, 6);
	assert_string_equal(f->res.payload[0],
			    "{\"type\":\"response.create\",\"model\":\"gpt-4o\"}");
	assert_string_equal(f->res.model[0], "gpt-4o");
	free(f);
}

static void test_binary_and_empty(void **state)
{
	(void)state;
	static struct buf o;

	o.n = 0;
	frame(&o, 1, AWS_OP_BINARY, 0, 1, "\x00\x01\x02", 3);
	text(&o, 0, AWS_OP_TEXT, ""); /* an empty first fragment */
	text(&o, 1, AWS_OP_CONT, "{\"model\":\"b\"}");
	struct feeder *f = run_all_splits(&o);

	assert_int_equal(f->res.err, 0);
	assert_int_equal(f->res.msgs, 2);
	assert_int_equal(f->res.op[0], AWS_OP_BINARY);
	assert_int_equal(f->res.plen[0], 3);
	assert_int_equal(f->res.op[1], AWS_OP_TEXT);
	assert_string_equal(f->res.model[1], "b");
	free(f);
}

/* A frame the parser refuses: err at byte `at`, sticky. */
static void expect_error(const struct buf *o, int err, long at)
{
	struct feeder *f = run_all_splits(o);

	assert_int_equal(f->res.err, err);
	assert_int_equal(f->res.err_at, at);
	assert_int_equal(f->w.phase, AWS_ERROR);
	free(f);
}

static void test_malformed(void **state)
{
	(void)state;
	static struct buf o;
	size_t n0;

	/* permessage-deflate: RSV1 on the first frame */
	o.n = 0;
	frame(&o, 1, AWS_OP_TEXT, 4, 1, "xx", 2);
	expect_error(&o, AWS_ERR_RSV, 0);
	o.n = 0;
	frame(&o, 0, AWS_OP_BINARY, 4, 1, "xx", 2);
	expect_error(&o, AWS_ERR_RSV, 0);
	/* RSV2, RSV3, RSV1 on a continuation or a control frame: not deflate */
	o.n = 0;
	frame(&o, 1, AWS_OP_TEXT, 2, 1, "xx", 2);
	expect_error(&o, AWS_ERR_FRAMING, 0);
	o.n = 0;
	frame(&o, 1, AWS_OP_TEXT, 1, 1, "xx", 2);
	expect_error(&o, AWS_ERR_FRAMING, 0);
	o.n = 0;
	frame(&o, 1, AWS_OP_PING, 4, 1, "xx", 2);
	expect_error(&o, AWS_ERR_FRAMING, 0);
	o.n = 0;
	text(&o, 0, AWS_OP_TEXT, "{");
	n0 = o.n;
	frame(&o, 1, AWS_OP_CONT, 4, 1, "}", 1);
	expect_error(&o, AWS_ERR_FRAMING, (long)n0);
	/* unmasked client frame */
	o.n = 0;
	frame(&o, 1, AWS_OP_TEXT, 0, 0, "xx", 2);
	expect_error(&o, AWS_ERR_FRAMING, 1);
	/* reserved opcodes */
	for (int op = 3; op <= 15; op++) {
		if (op >= 8 && op <= 10)
			continue;
		o.n = 0;
		frame(&o, 1, op, 0, 1, "xx", 2);
		expect_error(&o, AWS_ERR_FRAMING, 0);
	}
	/* a fragmented control frame, a control frame over 125 bytes */
	o.n = 0;
	frame(&o, 0, AWS_OP_PING, 0, 1, "x", 1);
	expect_error(&o, AWS_ERR_FRAMING, 0);
	static char c126[126];
	o.n = 0;
	frame(&o, 1, AWS_OP_PING, 0, 1, c126, sizeof(c126));
	expect_error(&o, AWS_ERR_FRAMING, 1);
	/* a continuation with no message open */
	o.n = 0;
	text(&o, 1, AWS_OP_CONT, "x");
	expect_error(&o, AWS_ERR_FRAMING, 0);
	/* a new message while one is open */
	o.n = 0;
	text(&o, 0, AWS_OP_TEXT, "{");
	n0 = o.n;
	text(&o, 1, AWS_OP_TEXT, "}");
	expect_error(&o, AWS_ERR_FRAMING, (long)n0);
	/* a 64-bit length with its top bit set */
	o.n = 0;
	o.b[o.n++] = 0x81;
	o.b[o.n++] = 0x80 | 127;
	o.b[o.n++] = 0x80;
	for (int i = 0; i < 11; i++)
		o.b[o.n++] = 0;
	expect_error(&o, AWS_ERR_FRAMING, 2);
	/* good frames, then garbage where a header should be: from there on */
	o.n = 0;
	text(&o, 1, AWS_OP_TEXT, "{\"model\":\"a\"}");
	n0 = o.n;
	o.b[o.n++] = 'P'; /* "POST ..." after a refused upgrade: RSV1, opcode 0 */
	o.b[o.n++] = 'O';
	struct feeder *f = run_all_splits(&o);

	assert_int_equal(f->res.msgs, 1);
	assert_int_equal(f->res.err, AWS_ERR_FRAMING);
	assert_int_equal(f->res.err_at, (long)n0);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_response_create),
	    cmocka_unit_test(test_session_update),
	    cmocka_unit_test(test_http_body_ignores_session),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_fragments_and_control),
	    cmocka_unit_test(test_binary_and_empty),
	    cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
